/* event.c's insides: the builder and its caches of results that repeat
 * from line to line (like SQLite's btreeInt.h). Only event.c includes it;
 * a test or the benchmark that needs to look at the caches would. */
#ifndef AUTHLOG_EVENT_INT_H
#define AUTHLOG_EVENT_INT_H

#include "event.h"

/* What event_build takes from one principal ARN (arn_parse and the
 * ARN half of the expected-principal test). Consecutive lines repeat a
 * few hundred principals, so results are kept per ARN text, in a 2-way
 * table with the hashes apart (principal_tags, a few cache lines) so a
 * line can look its ARN up and prefetch the slot before it needs it. */
struct event_principal {
	const char *key;           /* the ARN as logged; NULL: empty slot */
	size_t key_len;
	unsigned used;             /* when last used, for replacement */
	int ok;                    /* arn_parse succeeded */
	int expected_arn;          /* classify_expected_arn() */
	const char *type;          /* arn_type_name() */
	const char *name, *session, *account, *canonical;
	char *heap;                /* the texts when they do not fit in text */
	size_t heap_cap;
	char text[320];            /* key, name, session, account, canonical */
};

#define EVENT_PRINCIPAL_SETS 1024 /* two slots each */
#define EVENT_PRINCIPAL_MAX 512   /* longer ARNs are parsed every time */

/* A uid= or groups= value and what event_build made of it. */
struct event_uid {
	char raw[128];             /* a uid parse_uid() accepted, and its parts */
	size_t raw_len;
	int administrative;        /* account is "administrative" */
	char account[64], user_id[128];
};

struct event_groups {
	char raw[96];
	size_t raw_len;
	char json[160];            /* "" = empty slot */
};

#define EVENT_SMALL_CACHE 16 /* direct-mapped */

/* A classified denial: the exact msg and error text, and classify_error's
 * result. Clients retrying the same failing call repeat the same text. */
struct event_denial {
	char *text;                /* msg, NUL, error (may hold NULs); NULL: empty */
	size_t cap, msg_len, error_len;
	int has_error;             /* error= was present */
	enum error_class cls;
	int http_status;
	char sts_code[64], sts_region[32];
	char *mapped_arn;          /* in text, after the error */
};

#define EVENT_DENIAL_SLOTS 512   /* direct-mapped */
#define EVENT_DENIAL_MAX 4096    /* longer texts are classified every time */

struct event_builder {
	struct parser *parser;
	struct record rec;
	struct arn_info arn;
	struct classify_result cls;
	struct store_event ev;
	struct buf groups;
	char ts[24], account[64], user_id[256], sts_region[32], cluster[256];
	/* Per-line results that repeat, kept with the text they came from. */
	struct event_principal *principals; /* 2 * EVENT_PRINCIPAL_SETS, on first use */
	uint64_t *principal_tags;           /* text hash of each slot's key, 0 = empty */
	struct event_principal principal;   /* an uncached one, pointing into arn */
	unsigned principal_clock;
	struct event_uid uids[EVENT_SMALL_CACHE];
	struct event_denial *denials;       /* EVENT_DENIAL_SLOTS, on first use */
	struct event_groups groups_cache[EVENT_SMALL_CACHE];
	char time_raw[40];                  /* last time= parsed, and its epoch */
	size_t time_raw_len;
	int64_t time_epoch;
	int64_t ts_epoch;                   /* ts holds time_format(ts_epoch) */
	int ts_valid;
	enum event_skip skip;               /* why the last build made no row */
	uint64_t seed;                      /* store_key(group, stream) of the */
	int seed_valid;                     /* last pair, for the line's hash */
	size_t seed_group_len, seed_stream_len;
	char seed_text[512];
	char sts_raw[128];                  /* last STS host and its region */
	size_t sts_raw_len;
	int sts_rc;
	char sts_region_cache[32];
};

#endif
