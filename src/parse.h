/* The authenticator's logrus text format: time="…" level=… msg="…" k=v …
 * A hand-written scanner (grammar in parse.c; tests/unit/test_parse.c
 * checks it against the PCRE2 pattern it replaced) tokenises key=value
 * pairs in any order. The line is copied once into a buffer the parser
 * owns and reuses; values are NUL-terminated in place there, and quoted
 * ones Go-%q unquoted in place only when they hold a backslash, so
 * parsing a line allocates nothing (after the first long one). */
#ifndef AUTHLOG_PARSE_H
#define AUTHLOG_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum rec_kind {
	REC_OTHER = 0,    /* a logrus line, but not one we store */
	REC_ACCESS,       /* access granted / access denied */
	REC_STS_RESPONSE, /* STS response (raw STS ARN, access key, session) */
	REC_CONFIG_ERROR, /* aws-auth / dynamic file parse errors */
	REC_MAPPING,      /* mapping IAM role / user / Account */
};

enum rec_outcome { OUTCOME_NONE = 0, OUTCOME_GRANTED, OUTCOME_DENIED };

/* A value: NULL when the key was absent, "" when present but empty. */
struct record {
	enum rec_kind kind;
	enum rec_outcome outcome;
	const char *time, *level, *msg;
	const char *arn, *client, *error, *groups, *uid, *username;
	const char *session, *access_key_id, *account_id, *user_id;
	const char *sts_endpoint; /* sts= (EKS fork) or stsendpoint= (upstream) */
	const char *method, *path;
	const char *role, *user;  /* mapping lines */
	size_t error_len;         /* error may hold NULs after \x00 unquoting */
	size_t nfields;           /* all key=value pairs seen, known or not */
	/* The parser's copy of the line, where the values above point: a
	 * value starts at offset (value - buf) of the line too (unquoting
	 * only shortens it in place). An empty value may point elsewhere. */
	const char *buf;
	/* The line holds a NUL byte, or a value other than error= does once
	 * unquoted (\x00): a record no authenticator writes, and one whose
	 * C strings would be cut short where they are stored. Not to store. */
	int malformed;
	/* strlen() of each value above, so callers need not measure them
	 * again; 0 when absent. (error has error_len instead.) */
	struct record_lens {
		size_t time, level, msg, arn, client, groups, uid, username;
		size_t session, access_key_id, account_id, user_id, sts_endpoint;
		size_t method, path, role, user;
	} len;
};

struct parser;

/* AL_OK, or AL_SOFTWARE when out of memory (no message: that is all it
 * can say). */
int parse_new(struct parser **out);
void parse_free(struct parser *p);

/* Parses one bare logrus line (no transport prefix, no trailing newline).
 * Returns 1 and fills rec when the line is a logrus record with a msg,
 * 0 when it is not one. Strings in rec live until the next call. */
int parse_line(struct parser *p, const char *line, size_t len, struct record *rec);

/* parse_line, and also *hash = store_xxh64(line, len, seed) (set only
 * when it returns 1). The hash is computed a 32-byte stripe per token
 * from inside the scan loop, where its multiply chains overlap with the
 * scanner's loads: event_build's dedupe key at a fraction of its cost. */
int parse_line_hash(struct parser *p, const char *line, size_t len, uint64_t seed, uint64_t *hash,
		    struct record *rec);

/* Go strconv.Unquote for the body of a %q string (without the outer
 * quotes): \" \\ \a \b \f \n \r \t \v \xNN \NNN \uXXXX \UXXXXXXXX.
 * Writes at most len bytes to dst (never longer than the source) and
 * returns the length written, or -1 on an invalid escape. */
long parse_unquote(const char *src, size_t len, char *dst);

/* uid="aws-iam-authenticator:ACCOUNT:USERID" (or heptio-authenticator-aws:,
 * or aws-iam-authenticator:administrative:USERNAME). Copies the account
 * and user id parts; 0 on success, -1 if uid has another shape. */
int parse_uid(const char *uid, char *account, size_t account_sz, char *user_id, size_t user_id_sz);

/* Region label of an STS host: sts.eu-west-1.amazonaws.com -> eu-west-1,
 * sts.amazonaws.com -> "" (global). Returns 0 or -1. */
int parse_sts_region(const char *host, char *out, size_t out_sz);

#endif
