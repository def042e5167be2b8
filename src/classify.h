/* Denial classification: one data table maps each authenticator error
 * text to an error class, its cause and a fix template; fixes are filled
 * in with the real ARN, cluster and region. */
#ifndef AUTHLOG_CLASSIFY_H
#define AUTHLOG_CLASSIFY_H

#include <stddef.h>

#include "arn.h"
#include "authmode.h"
#include "buf.h"

/* The names (classify_name) are a public contract: README, SQL, JSON. */
enum error_class {
	CLASS_NONE = 0, /* not a denial */
	CLASS_NOT_MAPPED,
	CLASS_ARN_USERID_MISMATCH,
	CLASS_TEMPLATE_NO_INSTANCE_ID,
	CLASS_EC2_DESCRIBE_DENIED,
	CLASS_EC2_INSTANCE_NOT_FOUND,
	CLASS_RESERVED_USERNAME,
	CLASS_INVALID_USERNAME,
	CLASS_MAPPER_ERROR,
	CLASS_INVALID_CLIENT_TOKEN,
	CLASS_SIGNATURE_MISMATCH,
	CLASS_CLOCK_SKEW,
	CLASS_EXPIRED_CREDENTIALS,
	CLASS_STS_REGION_DISABLED,
	CLASS_STS_THROTTLED,
	CLASS_STS_UNREACHABLE,
	CLASS_STS_REJECTED,
	CLASS_STS_BAD_RESPONSE,
	CLASS_TOKEN_EXPIRED,
	CLASS_TOKEN_NOT_IAM,
	CLASS_TOKEN_MALFORMED,
	CLASS_TOKEN_WRONG_HOST,
	CLASS_TOKEN_UNSIGNED_CLUSTER_ID,
	CLASS_TOKEN_BAD_PARAMS,
	CLASS_UNKNOWN,
	CLASS__COUNT
};

struct classify_result {
	enum error_class cls;
	char sts_code[64];      /* "InvalidClientTokenId" from the STS JSON body, else "" */
	int http_status;        /* from "(expected 200, got 403)", 429 for throttling, else 0 */
	char sts_region[32];    /* from "... on eu-west-1 endpoint" ("global" kept), else "" */
	char mapped_arn[2049];  /* the ARN in "ARN is not mapped: <arn>", else "" */
};

/* Compiles the rule patterns once (PCRE2, JIT). Thread-compatible after
 * init; classify_cleanup() frees them. AL_OK, or AL_SOFTWARE when a
 * pattern does not compile or memory runs out (no message: the patterns
 * are built in, so either is an internal error). */
int classify_init(void);
void classify_cleanup(void);

/* Classifies one denial. msg is the logrus msg (the v0.1
 * "access denied because ARN is not mapped" carries no error text),
 * error may be NULL. Always fills out (CLASS_UNKNOWN when nothing matches). */
int classify_error(const char *msg, const char *error, size_t error_len,
		   struct classify_result *out);

const char *classify_name(enum error_class c);   /* "not_mapped"; NULL if out of range */
int classify_from_name(const char *name, enum error_class *out); /* 0 / -1 */
const char *classify_cause(enum error_class c);   /* one or two sentences */

/* What a person or CI principal is given: cluster admin (the default,
 * with a caution), or the built-in edit / view permissions. */
enum fix_grant { GRANT_ADMIN = 0, GRANT_EDIT, GRANT_VIEW };

/* "admin", "edit", "view" -> *out; 0 / -1. */
int classify_grant_from_name(const char *name, enum fix_grant *out);

struct fix_ctx {
	const char *arn;      /* principal ARN as logged (any form) or NULL */
	const char *cluster;  /* cluster name or NULL */
	const char *region;   /* region or NULL */
	const char *username; /* suggested Kubernetes username or NULL */
	enum auth_mode mode;
	enum principal_kind kind; /* KIND_UNKNOWN: decided from arn (arn_kind) */
	const char *iam_arn;  /* the role's real IAM ARN, path included, or NULL */
	enum fix_grant grant;
};

/* Appends the fix for class c: explanations to notes and shell commands
 * to commands, one per line ('\n'-terminated) each, placeholders filled
 * from ctx (the canonical ARN for aws-auth, the IAM ARN with its path for
 * access entries; missing values written as <cluster>, <region>, <arn>).
 * Every command line runs as printed; no note is a command. Returns the
 * number of lines written to both, or -1. */
int classify_fix(enum error_class c, const struct fix_ctx *ctx, struct buf *notes, struct buf *commands);

/* The command that turns a cluster's authenticator log on (EKS
 * UpdateClusterConfig), appended to commands without a newline:
 *   aws eks update-cluster-config --name C --region R --logging '{...}'
 * 0, or -1 with nothing appended when cluster or region is not of its
 * form (arn_valid_cluster_name, arn_valid_region) or memory runs out.
 * The one place that writes it: doctor's fix, scan's clusters row and
 * clusters discover. */
int classify_fix_enable_logging(struct buf *commands, const char *cluster, const char *region);

/* EKS-internal principals (eks:node-manager, eks:addon-manager, the
 * AWSWesleyClusterManagerLambda roles, cluster-insights roles and
 * sessions): their traffic is expected, never a finding. */
int classify_is_expected_principal(const char *arn, const char *username, const char *session);
/* Its two halves, for callers that cache per ARN: is_expected_principal
 * is expected_identity(username, session) || expected_arn(arn). */
int classify_expected_arn(const char *arn);
int classify_expected_identity(const char *username, const char *session);

#endif
