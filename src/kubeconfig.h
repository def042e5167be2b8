/* The kubeconfig file kubectl uses, reduced to what `doctor` needs: one
 * context's cluster (server, CA) and its user's exec credential plugin,
 * and what that plugin's command line means for Amazon EKS (cluster name,
 * region, profile, role).
 *
 * Secrets in the file (user.token, client-key-data, passwords, exec env
 * values named like a secret) are never copied out of it; the file's
 * bytes and the parsed scalars are wiped before they are freed. */
#ifndef AUTHLOG_KUBECONFIG_H
#define AUTHLOG_KUBECONFIG_H

#include <stddef.h>

enum kubeconfig_path_source {
	KUBECONFIG_FROM_FLAG, /* --kubeconfig */
	KUBECONFIG_FROM_ENV,  /* the first non-empty entry of $KUBECONFIG */
	KUBECONFIG_FROM_HOME, /* $HOME/.kube/config */
};

/* The kubeconfig file to read: flag when not NULL or empty, else the first
 * non-empty entry of the ':'-separated $KUBECONFIG, else
 * $HOME/.kube/config. (kubectl merges every $KUBECONFIG file; doctor reads
 * one, the first, which is where kubectl finds current-context unless that
 * file leaves it unset.) AL_OK, or AL_CONFIG when none can be named (no
 * HOME) or it does not fit out_sz. src may be NULL. */
int kubeconfig_default_path(const char *flag, char *out, size_t out_sz, enum kubeconfig_path_source *src,
			    char *err, size_t err_sz);
/* "--kubeconfig", "$KUBECONFIG", "~/.kube/config". */
const char *kubeconfig_path_source_name(enum kubeconfig_path_source src);

/* Which credential plugin the exec entry runs. */
enum kubeconfig_exec_kind {
	KUBECONFIG_EXEC_NONE = 0,      /* no user.exec */
	KUBECONFIG_EXEC_AWS_CLI,       /* aws [...] eks get-token ... */
	KUBECONFIG_EXEC_AUTHENTICATOR, /* aws-iam-authenticator (or heptio-authenticator-aws) token ... */
	KUBECONFIG_EXEC_OTHER,         /* anything else: nothing is read from its arguments */
};

/* Where region came from. */
enum kubeconfig_region_source {
	KUBECONFIG_REGION_NONE = 0,
	KUBECONFIG_REGION_ARG,                /* --region in the exec args */
	KUBECONFIG_REGION_ENV_AWS_REGION,     /* exec env AWS_REGION */
	KUBECONFIG_REGION_ENV_DEFAULT_REGION, /* exec env AWS_DEFAULT_REGION */
};

struct kubeconfig_env {
	char *name;
	char *value; /* NULL when the name looks like a secret (*SECRET*, *TOKEN*, *PASSWORD*, *KEY*, *CREDENTIAL*) */
};

/* What the exec command line means for EKS. Strings are NULL when not given. */
struct kubeconfig_eks {
	enum kubeconfig_exec_kind kind;
	char *cluster;    /* aws eks get-token --cluster-name X; aws-iam-authenticator token -i X */
	char *cluster_id; /* aws eks get-token --cluster-id X: an Outposts local cluster's id, not its name */
	char *region;     /* --region, else exec env AWS_REGION, else AWS_DEFAULT_REGION */
	enum kubeconfig_region_source region_source;
	char *profile;  /* aws --profile P, else exec env AWS_PROFILE */
	int profile_from_env;
	char *role_arn; /* --role-arn A, or --role A (what `aws eks update-kubeconfig --role-arn` writes:
			 * argparse takes the prefix), aws-iam-authenticator -r / --role A */
};

struct kubeconfig {
	char *path;         /* the file read */
	char *context;      /* the context used (given, else current-context) */
	size_t context_line;
	int context_from_file; /* 1 when current-context chose it */

	char *cluster_name; /* context.cluster: the clusters[] entry's name */
	int cluster_found;  /* 0 when clusters[] has no such entry: the fields below are NULL */
	size_t cluster_line;
	char *server;       /* https://... */
	unsigned char *ca_data; /* certificate-authority-data, base64-decoded (PEM), or NULL */
	size_t ca_data_len;
	char *ca_file;      /* certificate-authority, made absolute against the kubeconfig's directory */
	char *tls_server_name;
	int insecure_skip_tls_verify;

	char *user_name; /* context.user: the users[] entry's name */
	int user_found;
	size_t user_line;
	int user_has_token;       /* token or tokenFile (the value is not kept) */
	int user_has_client_cert; /* client-certificate[-data] / client-key[-data] */

	int has_exec;
	size_t exec_line;
	char *exec_api_version; /* client.authentication.k8s.io/v1beta1 ... */
	char *exec_command;
	char **exec_args;
	size_t exec_nargs;
	struct kubeconfig_env *exec_env;
	size_t exec_nenv;
	struct kubeconfig_eks eks;
};

/* Reads path and resolves context (NULL or "": current-context) into out
 * (the caller frees it with kubeconfig_free(), on failure too). AL_OK;
 * AL_NOINPUT when the file cannot be read; AL_CONFIG when it is larger
 * than 1 MiB (the secret-file reader's limit) or is not a
 * kubeconfig kubectl would use (invalid YAML, a list that is not a list, a
 * duplicate name, an invalid certificate-authority-data, no such context,
 * no current-context): err gets one line "PATH:LINE: FIELD: PROBLEM" that
 * never quotes a secret; AL_SOFTWARE when out of memory. A context whose
 * cluster or user has no entry is not an error (kubectl runs it too):
 * cluster_found / user_found say so. */
int kubeconfig_load(const char *path, const char *context, struct kubeconfig *out, char *err,
		    size_t err_sz);
/* The same from text already in memory; path names it in messages and
 * anchors a relative certificate-authority. */
int kubeconfig_parse(const char *text, size_t len, const char *path, const char *context,
		     struct kubeconfig *out, char *err, size_t err_sz);
void kubeconfig_free(struct kubeconfig *kc);

const char *kubeconfig_exec_kind_name(enum kubeconfig_exec_kind k);     /* "none", "aws-cli", ... */
const char *kubeconfig_region_source_name(enum kubeconfig_region_source s); /* "--region", "AWS_REGION", ... */

#endif
