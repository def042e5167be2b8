/* The Amazon EKS calls the diagnosis and `clusters discover` make —
 * ListClusters, DescribeCluster, ListAccessEntries, DescribeAccessEntry,
 * ListAssociatedAccessPolicies —
 * as REST-JSON GETs through aws_request_target() (SigV4 signing name
 * "eks", retries, error decoding), their answers parsed here with yajl.
 * Wire format: the EKS API reference,
 * https://docs.aws.amazon.com/eks/latest/APIReference/ (botocore's model:
 * data/eks/2017-11-01/service-2.json).
 *
 * The answers are untrusted: every string a caller may print or put into
 * a command is checked against the form the API documents (a cluster
 * name, an ARN, a Kubernetes name, ...) and bounded; a field that is
 * absent, of the wrong type, too long or not of its form is left empty
 * (0 for numbers), never a reason to fail the call. Only an answer that is
 * not JSON or lacks its top-level object fails, with AL_UNAVAILABLE and
 * fault->kind AWS_ERR_BAD_RESPONSE.
 *
 * Errors (the contract of status.h): the al_status of aws_request, so
 *   ResourceNotFoundException (no such cluster or access entry) is
 *     AL_NOINPUT with fault->kind AWS_ERR_NOT_FOUND;
 *   AccessDeniedException (403) is AL_NOPERM with fault->kind
 *     AWS_ERR_ACCESS_DENIED: a caller may say "eks:DescribeCluster denied"
 *     and go on without the facts.
 * err names the operation ("DescribeCluster: AccessDeniedException: ...").
 *
 * Thread use: one aws_client per thread; the aws_target is read-only. */
#ifndef AUTHLOG_EKS_API_H
#define AUTHLOG_EKS_API_H

#include <stddef.h>
#include <stdint.h>

#include "authmode.h"
#include "aws_request.h"

#define EKS_API_NAME_MAX 100   /* cluster names: 1-100 of [0-9A-Za-z_-], a letter or digit first */
#define EKS_API_ARN_MAX 2048   /* IAM allows ARNs this long */
#define EKS_API_K8S_NAME_MAX 253 /* a Kubernetes user, group or namespace name */
#define EKS_API_LIST_MAX 10000 /* items of one list kept; more is a bad answer */


/* The control plane log types (logging.clusterLogging[].types), as bits. */
enum eks_log_type {
	EKS_LOG_API = 1 << 0,
	EKS_LOG_AUDIT = 1 << 1,
	EKS_LOG_AUTHENTICATOR = 1 << 2,
	EKS_LOG_CONTROLLER_MANAGER = 1 << 3,
	EKS_LOG_SCHEDULER = 1 << 4,
};
#define EKS_LOG_TYPES 5

/* What DescribeCluster says that matters for authentication. */
struct eks_cluster {
	char name[EKS_API_NAME_MAX + 1];
	char arn[EKS_API_ARN_MAX + 1];     /* arn:PARTITION:eks:REGION:ACCOUNT:cluster/NAME */
	char account[13];                  /* ACCOUNT of that ARN (12 digits), "" when the ARN is
					    * absent or not a cluster ARN */
	char status[16];                   /* CREATING, ACTIVE, DELETING, FAILED, UPDATING, PENDING */
	char version[16];                  /* Kubernetes version, "1.31" */
	char endpoint[512];                /* https://HOST of the API server; empty while creating */
	char role_arn[EKS_API_ARN_MAX + 1]; /* the cluster's IAM role */
	char *ca_data;                     /* certificateAuthority.data (base64 of the PEM), or NULL */
	int64_t created_at;                /* epoch seconds, 0 when absent */
	enum auth_mode auth_mode; /* unknown: a value this build does not know (kept in mode_text) */
	/* 1 when accessConfig.authenticationMode is absent (the answer may
	 * leave it out: AccessConfigResponse, "Required: No"). A cluster that
	 * answers without it predates access entries and reads aws-auth only,
	 * so auth_mode is AUTH_MODE_CONFIG_MAP, also the mode the API gives a
	 * cluster created without one:
	 * https://docs.aws.amazon.com/eks/latest/APIReference/API_AccessConfigResponse.html
	 * https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessConfigRequest.html */
	int auth_mode_defaulted;
	char mode_text[32];                /* the mode as sent (validated), "" when absent */
	int bootstrap_admin;               /* bootstrapClusterCreatorAdminPermissions: 1, 0, -1 absent */
	/* The log types listed as enabled / disabled (bits of eks_log_type); a
	 * type in neither (or no logging object at all) is unknown. */
	unsigned logs_enabled, logs_disabled;
};

/* A list of strings the caller frees with eks_api_strings_free. */
struct eks_strings {
	char **v;
	size_t n;
};

/* ListClusters: the names that are cluster names (eks_api_name_valid),
 * and the strings that are not, cut to EKS_API_REJECTED_MAX bytes and
 * otherwise as sent (anything: a caller escapes them before printing),
 * so that a caller can say what it skipped. Elements that are not
 * strings are dropped. */
#define EKS_API_REJECTED_MAX 128
struct eks_cluster_names {
	struct eks_strings names, rejected;
};

/* One access entry (DescribeAccessEntry). */
struct eks_access_entry {
	char principal_arn[EKS_API_ARN_MAX + 1];
	char username[EKS_API_K8S_NAME_MAX + 1]; /* may hold {{SessionName}}-style templates */
	char type[32];                           /* STANDARD, EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX,
						  * EC2, HYBRID_LINUX, HYPERPOD_LINUX, ...; "" absent */
	struct eks_strings kubernetes_groups;
	int64_t created_at, modified_at;         /* epoch seconds, 0 when absent */
};

enum eks_scope {
	EKS_SCOPE_UNKNOWN = 0,
	EKS_SCOPE_CLUSTER,
	EKS_SCOPE_NAMESPACE,
};

/* One associated access policy (ListAssociatedAccessPolicies). */
struct eks_access_policy {
	char policy_arn[EKS_API_ARN_MAX + 1]; /* arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy */
	enum eks_scope scope;
	struct eks_strings namespaces;        /* scope namespace: the namespaces (may hold '*' patterns) */
	int64_t associated_at, modified_at;
};

struct eks_access_policies {
	struct eks_access_policy *v;
	size_t n;
};

/* "API", "API_AND_CONFIG_MAP", "CONFIG_MAP", or "unknown". */
/* "api", "audit", "authenticator", "controllerManager", "scheduler"
 * (the API's spelling) for one bit; "" for anything else. */
const char *eks_api_log_type_name(unsigned bit);
/* "cluster", "namespace", or "unknown". */
const char *eks_api_scope_name(enum eks_scope s);

void eks_api_cluster_free(struct eks_cluster *c);
void eks_api_strings_free(struct eks_strings *s);
void eks_api_cluster_names_free(struct eks_cluster_names *n);
void eks_api_access_entry_free(struct eks_access_entry *e);
void eks_api_access_policies_free(struct eks_access_policies *p);

/* ---- the calls ----
 * Each returns aws_request's status (see above) with fault and err filled
 * on failure; out is zeroed first and must be freed with its _free
 * function in every case. A name or ARN that is not of its form is refused
 * before any request (AL_USAGE). */

/* GET /clusters, every page (maxResults=100, nextToken): the account's
 * clusters in the target's region. */
int eks_api_list_clusters(struct aws_client *c, const struct aws_target *t, struct eks_cluster_names *out,
			  struct aws_fault *fault, char *err, size_t err_sz);
/* GET /clusters/{name} */
int eks_api_describe_cluster(struct aws_client *c, const struct aws_target *t, const char *name,
			     struct eks_cluster *out, struct aws_fault *fault, char *err, size_t err_sz);
/* GET /clusters/{name}/access-entries, every page (maxResults=100,
 * nextToken): the principal ARNs. */
int eks_api_list_access_entries(struct aws_client *c, const struct aws_target *t, const char *cluster,
				struct eks_strings *out, struct aws_fault *fault, char *err, size_t err_sz);
/* GET /clusters/{name}/access-entries/{principalArn} */
int eks_api_describe_access_entry(struct aws_client *c, const struct aws_target *t, const char *cluster,
				  const char *principal_arn, struct eks_access_entry *out,
				  struct aws_fault *fault, char *err, size_t err_sz);
/* GET /clusters/{name}/access-entries/{principalArn}/access-policies,
 * every page. */
int eks_api_list_associated_access_policies(struct aws_client *c, const struct aws_target *t,
					    const char *cluster, const char *principal_arn,
					    struct eks_access_policies *out, struct aws_fault *fault,
					    char *err, size_t err_sz);

#endif
