/* The diagnosis behind `authlog-scan doctor`: why is this identity refused
 * by this EKS cluster, and the one fix. Steps, in order, each recorded in
 * struct doctor_result: identity (STS GetCallerIdentity, after AssumeRole
 * for a role ARN) -> cluster (EKS DescribeCluster) -> token (made as `aws
 * eks get-token` makes it, sent as a SelfSubjectReview) -> mappings
 * (access entries, the aws-auth ConfigMap) -> logs (fetched into the
 * database as `scan` does, then read from it) -> verdict. Nothing on AWS
 * or the cluster (its mappings, its logging) is changed. */
#ifndef AUTHLOG_DOCTOR_H
#define AUTHLOG_DOCTOR_H

#include <stdint.h>

#include "authmode.h"
#include "aws/eks_api.h"
#include "awsauth.h"
#include "buf.h"
#include "classify.h"

struct doctor_opts {
	const char *cluster, *region, *profile, *role_arn; /* flags; NULL: the kubeconfig's */
	const char *kubeconfig, *context;                  /* NULL: the defaults */
	const char *aws_auth;  /* a file, "-" for stdin, or NULL */
	int64_t since;         /* epoch seconds: the logs step reads from here */
	int no_logs;
	const char *db_path;   /* the database the logs step writes and reads; NULL: none */
	/* The bundled scan query's file (cli_queries_dir()/scan.insights):
	 * the logs step fetches with it as `scan` does; NULL: read only what
	 * is stored. */
	const char *query_file;
	double time_scale;     /* scan_opts.time_scale (tests); 1 otherwise */
	int verbose;
};

/* Classes of the verdict beside the log classes (classify.h). */
enum doctor_class {
	DOCTOR_OK = 0,
	DOCTOR_LOG_CLASS,         /* verdict.log_class says which */
	DOCTOR_NO_ACCESS_ENTRY,
	DOCTOR_CONFIGMAP_IGNORED,
	DOCTOR_MAPPING_HAS_PATH,
	DOCTOR_MAPPING_WRONG_ARN,
	DOCTOR_CREDENTIALS_FAILED,
	DOCTOR_LOGGING_DISABLED,
	DOCTOR_UNKNOWN,           /* refused, no cause found */
};

enum doctor_status { DOCTOR_STATUS_OK, DOCTOR_STATUS_DENIED, DOCTOR_STATUS_UNKNOWN };

struct doctor_result {
	/* identity */
	char source[256];          /* "profile:dev (assume-role)", "env", ...; + " -> AssumeRole" */
	char profile[256];         /* the profile used ("" for default) */
	char role_arn[2049];       /* the role assumed with --role-arn (or the exec's), or "" */
	int sso;                   /* the credentials come from an IAM Identity Center profile */
	char caller_arn[2049], principal_arn[2049], account[64];
	char iam_arn[2049];        /* the role's IAM ARN with its path, when known ("" otherwise) */
	int identity_ok;
	char identity_err[1024];

	/* cluster */
	char cluster[128], region[64];
	int described;
	struct eks_cluster eks;
	int logging;               /* authenticator log type: 1 on, 0 off, -1 unknown */

	/* token */
	int token_made, reviewed, accepted;
	long http_status;
	char *username;
	struct eks_strings groups;

	/* access entries */
	int entries_checked;       /* the mode has them and they were listed */
	int entry_found;
	struct eks_access_entry entry;
	struct eks_access_policies policies;
	char entry_problem[256];   /* a node role with STANDARD, nothing attached; "" otherwise */
	int entry_wrong_type;      /* the problem is a node role's STANDARD entry (re-create it) */

	/* aws-auth */
	const char *aws_auth_source; /* "file", "stdin", "api", or NULL (not seen) */
	char aws_auth_err[1024];      /* why it could not be read or parsed */
	struct awsauth *aws_auth;
	struct awsauth_findings findings;

	/* logs */
	int logs_fetched;          /* fetched from CloudWatch Logs into the database first */
	char fetch_note[1100];      /* why they were not fetched, "" when they were */
	int logs_checked;
	char logs_note[256];
	long long log_records, log_denials;
	long long log_classes[CLASS__COUNT];

	/* verdict */
	enum doctor_status status;
	enum doctor_class cls;
	enum error_class log_class;
	struct buf cause;          /* one line */
	struct buf notes;          /* lines: what was checked, what would help */
	struct buf fix;            /* lines: commands */
};

/* Runs every step. AL_OK when a verdict was reached (accepted or not:
 * doctor_exit_code says which); otherwise the failure that stopped it,
 * err one line: AL_CONFIG (no cluster, region or credentials, a bad
 * kubeconfig), AL_NOPERM (an EKS call the diagnosis needs was denied: err
 * names the action), AL_UNAVAILABLE (AWS or the cluster unreachable),
 * AL_NOINPUT / AL_DATAERR (--aws-auth unreadable / not a ConfigMap),
 * AL_SOFTWARE. r is the caller's, freed with doctor_result_free in every
 * case. */
int doctor_run(const struct doctor_opts *o, struct doctor_result *r, char *err, size_t err_sz);
void doctor_result_free(struct doctor_result *r);

/* 0 accepted, 1 refused (credentials_failed included). */
int doctor_exit_code(const struct doctor_result *r);
/* "ok", "no_access_entry", ..., or the log class's name. */
const char *doctor_class_name(const struct doctor_result *r);
const char *doctor_status_name(enum doctor_status s); /* "ok", "denied", "unknown" */

/* The report: text a person reads top to bottom (the verdict line first,
 * every value escaped), or the JSON object of the contract. */
int doctor_format_text(const struct doctor_result *r, struct buf *out);
int doctor_format_json(const struct doctor_result *r, struct buf *out);

#endif
