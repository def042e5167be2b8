/* Shared by aws_creds.c (the chain and the refreshing provider) and
 * aws_cred_sources.c (the fetchers), and reached by the unit tests. */
#ifndef AUTHLOG_AWS_CREDS_INT_H
#define AUTHLOG_AWS_CREDS_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "aws_creds.h"
#include "aws_request.h"

/* A fetcher's status for "the source is not there" (IMDS silent, no role
 * attached): the chain turns it into "no credentials". */
#define AWS_CREDS_ABSENT 1000

/* One resolved source.  Everything a refresh needs is copied in, so the
 * config files are read once; an assume-role plan holds the plan of its
 * source profile. */
struct aws_cred_plan {
	enum aws_creds_kind kind;
	char source[96];      /* what the credentials say they came from */
	char *profile;        /* the profile that configured it, or NULL */
	/* credential_process */
	char *command;
	/* assume-role and web identity */
	char *role_arn, *session_name, *external_id, *token_file;
	int duration;
	struct aws_cred_plan *src; /* assume-role: the source credentials */
	struct aws_endpoint *sts;
	/* SSO */
	char *sso_key, *sso_region, *sso_account, *sso_role, *sso_session, *sso_portal;
	/* container */
	char *url;
	/* IMDS */
	char *imds;
	int imds_v1_disabled, imds_attempts;
	long imds_timeout_ms;
	/* state */
	struct aws_credentials cur;
	int have;
	int64_t fetched_at;
};

struct aws_creds_provider {
	pthread_mutex_t lock;
	struct aws_cred_plan *root;
	struct aws_client_opts copts;
	char *ca_bundle, *user_agent;
	struct aws_client *client; /* STS, SSO portal; created when needed */
	struct http_client *meta;  /* IMDS, container */
	int verbose;
	char selected[300];        /* "profile NAME (AWS_PROFILE)", for messages */
};

/* aws_creds.c */
int64_t aws_creds_now(void);
void aws_creds_vlog(const struct aws_creds_provider *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Moves the strings into c (token may be NULL) and clears the pointers. */
void aws_credentials_take(struct aws_credentials *c, char **akid, char **secret, char **token);
struct aws_doc_field;
/* Moves f[0..2] (AccessKeyId, SecretAccessKey, session token) and the
 * expiration f[3] (epoch milliseconds when ms; may be absent unless
 * need_exp) of a service's answer into out.  AL_OK, or AL_UNAVAILABLE with
 * "WHAT: the answer has no valid LABEL" in err (LABEL from labels, else
 * the field's path). */
int aws_credentials_from_fields(struct aws_doc_field *f, const char *const *labels, int ms, int need_exp,
				const char *what, struct aws_credentials *out, char *err, size_t err_sz);
/* The plan's credentials, fetched again when due (or when force). */
int aws_creds_plan_get(struct aws_creds_provider *p, struct aws_cred_plan *pl, int force, char *err,
		       size_t err_sz);

/* aws_cred_sources.c: fetches pl's credentials from its source. */
int aws_cred_source_fetch(struct aws_creds_provider *p, struct aws_cred_plan *pl, struct aws_credentials *out,
			  char *err, size_t err_sz);
/* The EC2 instance's region through pl (an IMDS plan). */
int aws_cred_source_imds_region(struct aws_creds_provider *p, const struct aws_cred_plan *pl, char *region,
				size_t region_sz, char *err, size_t err_sz);

/* ---- test seams ---- */

/* $HOME/.aws/sso/cache/<sha1 hex of key>.json, key being the sso_session
 * name or (legacy) the start URL.  0, or -1 when there is no HOME or out is
 * too small. */
int aws_cred_source_sso_cache_path(const char *key, char *out, size_t out_sz);
/* AL_OK when url may serve container credentials, else AL_CONFIG with the
 * reason. */
int aws_cred_source_container_url_check(const char *url, char *err, size_t err_sz);

/* The clock (epoch seconds) used for expiry decisions; NULL = time(). */
extern int64_t (*aws_creds_clock)(void);

#endif
