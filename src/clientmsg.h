/* Client-side messages: what kubectl, the AWS CLI, aws-iam-authenticator
 * and the AWS SDKs print when EKS authentication fails on the user's
 * side, each with a stable name, a cause and a fix. The authenticator's
 * own log texts are classify.c's. */
#ifndef AUTHLOG_CLIENTMSG_H
#define AUTHLOG_CLIENTMSG_H

#include <stddef.h>

#include "arn.h"
#include "buf.h"
#include "classify.h"

/* The names (clientmsg_name) are a public contract: README, JSON, tests. */
enum clientmsg_id {
	CLIENTMSG_NONE = 0, /* not a client message authlog-scan knows */
	CLIENTMSG_KUBECTL_UNAUTHORIZED,
	CLIENTMSG_KUBECTL_CREDENTIALS_REQUIRED,
	CLIENTMSG_EXEC_PLUGIN_V1ALPHA1,
	CLIENTMSG_EXEC_NOT_FOUND,
	CLIENTMSG_ASSUME_ROLE_DENIED,
	CLIENTMSG_UNABLE_TO_LOCATE_CREDENTIALS,
	CLIENTMSG_NO_CREDENTIAL_PROVIDERS,
	CLIENTMSG_SSO_SESSION_EXPIRED,
	CLIENTMSG_INCOMPLETE_SIGNATURE,
	CLIENTMSG_SIGNATURE_EXPIRED,
	CLIENTMSG_SIGNATURE_DOES_NOT_MATCH,
	CLIENTMSG_EXPIRED_TOKEN,
	CLIENTMSG_INVALID_CLIENT_TOKEN_ID,
	CLIENTMSG__COUNT
};

#define CLIENTMSG_VALUE_MAX 256 /* profile and executable names */

struct clientmsg_result {
	enum clientmsg_id id;
	const char *sts_code;              /* "AccessDenied", "ExpiredToken", ... or NULL */
	/* As they appear in the text (not validated), "" when absent: */
	char caller_arn[ARN_MAX + 1];      /* assume_role_denied: "User: <caller>" */
	char role_arn[ARN_MAX + 1];        /* assume_role_denied: "on resource: <role>" */
	char profile[CLIENTMSG_VALUE_MAX]; /* a --profile NAME or AWS_PROFILE=NAME in the text */
	char executable[CLIENTMSG_VALUE_MAX]; /* exec_not_found: the plugin kubectl looked for */
};

/* Compiles the patterns once (PCRE2, JIT). AL_OK, or AL_SOFTWARE when a
 * built-in pattern does not compile or memory runs out. Not reentrant,
 * like classify_init; clientmsg_cleanup() frees them. */
int clientmsg_init(void);
void clientmsg_cleanup(void);

/* Recognises one pasted client message (several lines allowed: the
 * most specific message in it wins). Always fills out (id NONE when
 * nothing matches, and for the authenticator's own error texts, which
 * classify_error explains). 0, or -1 before clientmsg_init. */
int clientmsg_match(const char *text, size_t len, struct clientmsg_result *out);

const char *clientmsg_name(enum clientmsg_id id);  /* "assume_role_denied"; NULL if out of range or NONE */
const char *clientmsg_cause(enum clientmsg_id id); /* one or two sentences; NULL as above */
/* The authenticator class the same failure is logged as, when the client
 * message names it (ExpiredToken: expired_credentials); CLASS_UNKNOWN
 * otherwise (kubectl's Unauthorized is every class). */
enum error_class clientmsg_class(enum clientmsg_id id);

struct clientmsg_ctx {
	const char *cluster; /* NULL when not known */
	const char *region;
	const char *profile; /* overrides r->profile */
};

/* Appends the fix for r as classify_fix does: explanations to notes,
 * shell commands to commands, one per '\n'-terminated line. Every value
 * put into a command is validated (IAM ARN, profile, cluster, region,
 * program name) and single-quoted; a malformed value gives no command and
 * a note saying it is malformed, and is never copied into either list.
 * Returns the number of lines written, or -1 (out of memory, id NONE). */
int clientmsg_fix(const struct clientmsg_result *r, const struct clientmsg_ctx *ctx, struct buf *notes,
		  struct buf *commands);

/* Text pasted from a web page or a chat, made ASCII where typography
 * changed it: curly double quotes (U+201C U+201D U+201E U+201F) to ",
 * curly single quotes (U+2018 U+2019 U+201A U+201B) to ', en and em
 * dashes, hyphens and minus (U+2010 U+2011 U+2013 U+2014 U+2212) to -,
 * non-breaking spaces (U+00A0 U+202F) to a space; every other byte is
 * copied. Appends to out; 0, or -1 when out runs out of memory. */
int clientmsg_normalize(const char *s, size_t len, struct buf *out);

#endif
