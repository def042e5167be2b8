/* AWS Signature Version 4 (AWS4-HMAC-SHA256) request signer.
 *
 * Pure: no I/O, no clock, no environment.  The caller describes the request
 * exactly as it will go on the wire and gets back the canonical request,
 * the string to sign, the signature and whatever must be added to the
 * request (headers, or query parameters for a presigned URL).
 *
 * Rules implemented (the standard, non-S3 ones):
 *  - canonical URI: the path as it appears on the request line, every byte
 *    outside A-Z a-z 0-9 - . _ ~ and '/' percent-encoded with upper-case hex.
 *    A '%' already in the path is encoded again (%25): that is the non-S3
 *    "encode twice" rule, since the wire path is the once-encoded form.
 *    With normalize_path, dot segments are removed and runs of '/' collapse
 *    before encoding (the way botocore does it; an empty path becomes "/").
 *  - canonical query: split on '&' (empty components dropped), name and value
 *    split at the first '=' (a missing value is ""), %XX sequences decoded and
 *    everything re-encoded as above ('/' included), then sorted by encoded name
 *    and encoded value, byte-wise.  A literal '+' is a plus sign, not a space.
 *  - headers: names lower-cased and sorted (stable, so repeated headers keep
 *    their order and are joined with ','), values trimmed of SP/HT and inner
 *    SP/HT runs collapsed to one space (quoted strings included, as the AWS
 *    test suite expects).  Names must be RFC 9110 tokens of at most 127
 *    bytes; values must hold no control bytes but HT (so no CR/LF: fold
 *    obs-fold lines before calling).  A Host header is required.  Hop-by-hop and
 *    proxy-rewritten headers are never signed (see sigv4.c: skip list).
 *    Authorization, X-Amz-Date and X-Amz-Security-Token passed in are ignored:
 *    the signer produces them.
 */
#ifndef AUTHLOG_SIGV4_H
#define AUTHLOG_SIGV4_H

#include <stddef.h>
#include <time.h>

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
/* Presigned URLs may live at most 7 days. */
#define SIGV4_MAX_EXPIRES 604800L
/* X-Amz-Date, X-Amz-Security-Token, x-amz-content-sha256. */
#define SIGV4_MAX_ADD_HEADERS 3

enum sigv4_mode {
	SIGV4_MODE_HEADER = 0, /* Authorization header */
	SIGV4_MODE_QUERY = 1,  /* presigned: X-Amz-* query parameters */
};

struct sigv4_header {
	const char *name;
	const char *value;
};

struct sigv4_request {
	const char *method;     /* "POST"; used as given */
	const char *path;       /* request-line path, without '?'; NULL or "" = "/" */
	const char *query;      /* request-line query, without '?'; NULL = none */
	const struct sigv4_header *headers;
	size_t n_headers;
	const void *body;       /* payload bytes (may be NULL when body_len is 0) */
	size_t body_len;
	/* 64 lower-case hex digits of SHA-256(body), or e.g. "UNSIGNED-PAYLOAD";
	 * when set, body/body_len are not read. */
	const char *payload_hash;
	const char *region;     /* "us-east-1" */
	const char *service;    /* signing name: "logs" */
	time_t time;            /* signing time, UTC seconds */
	int normalize_path;     /* remove dot segments, collapse '/' runs */
	int sign_body;          /* header mode: send and sign x-amz-content-sha256 */
	enum sigv4_mode mode;
	long expires;           /* query mode: X-Amz-Expires, 1..SIGV4_MAX_EXPIRES */
};

struct sigv4_credentials {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;  /* NULL or "" when the keys are long-term */
	/* Add the token to the request after signing instead of signing it
	 * (a few services want this; CloudWatch Logs signs it). */
	int omit_session_token;
};

/* A header the caller must add to the request; value owned by the result. */
struct sigv4_add_header {
	const char *name;       /* static string */
	char *value;
};

struct sigv4_result {
	char *canonical_request;
	char *string_to_sign;
	char signature[65];     /* lower-case hex */
	char amz_date[17];      /* YYYYMMDDTHHMMSSZ */
	/* Header mode. */
	char *authorization;    /* value of the Authorization header */
	struct sigv4_add_header add_headers[SIGV4_MAX_ADD_HEADERS];
	size_t n_add_headers;
	/* Query mode. */
	char *presign_params;   /* the X-Amz-* parameters incl. X-Amz-Signature,
				   encoded and '&'-joined, to append to the query */
	char *signed_query;     /* the whole query to send: the canonical query
				   string plus X-Amz-Signature (and the token when
				   omit_session_token) */
};

/* Signs req with creds.  AL_OK and *out filled, or AL_DATAERR (a request
 * the rules above refuse) / AL_SOFTWARE (out of memory, a crypto failure)
 * with why in err, never a secret; in every case the caller calls
 * sigv4_result_free(out). */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *creds,
	       struct sigv4_result *out, char *err, size_t err_sz);

/* Frees and wipes everything sigv4_sign allocated; safe on a zeroed or
 * already freed result. */
void sigv4_result_free(struct sigv4_result *res);

/* Percent-encodes len bytes of s onto b: everything outside A-Z a-z 0-9 - . _ ~
 * becomes %XX (upper-case hex); '/' is kept when keep_slash.  0 or -1 (OOM,
 * b->oom set). */
struct buf;
int sigv4_uri_encode(struct buf *b, const char *s, size_t len, int keep_slash);

/* Lower-case hex SHA-256 of data into hex[65].  0 or -1. */
int sigv4_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
