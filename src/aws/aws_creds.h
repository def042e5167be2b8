/* AWS credentials: the SDK's default chain (env, shared profile with
 * static keys / credential_process / assume-role / SSO / web identity,
 * web identity env (IRSA), container (ECS, EKS Pod Identity), EC2 IMDSv2),
 * refreshed before expiry. Secrets are wiped when released. */
#ifndef AUTHLOG_AWS_CREDS_H
#define AUTHLOG_AWS_CREDS_H

#include <stddef.h>
#include <stdint.h>

#include "aws_sts.h" /* whoami: the identity of these credentials */

struct aws_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;   /* NULL for long-term keys */
	int64_t expiration;    /* epoch seconds, 0 = does not expire */
	char source[96];       /* "env", "profile:NAME (static)", "web-identity", "container", "imds", ... */
};

/* Wipes (OPENSSL_cleanse) and frees the strings; safe on a zeroed struct. */
void aws_credentials_clear(struct aws_credentials *c);

/* "AKIA…WXYZ": first 4 and last 4 characters; never more. */
void aws_credentials_mask(const char *access_key_id, char *out, size_t out_sz);

/* A deep copy of src into dst (dst is overwritten, not cleared first).
 * AL_OK, or AL_SOFTWARE on out-of-memory with dst zeroed. */
int aws_credentials_copy(struct aws_credentials *dst, const struct aws_credentials *src);

/* ------------------------------------------------------------------------
 * The chain, in the order of the SDKs' default provider chain
 * (https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html),
 * as botocore walks it for a CLI tool:
 *   1. env: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN,
 *      legacy AWS_SECURITY_TOKEN, AWS_CREDENTIAL_EXPIRATION); one without
 *      the other is an error.  Skipped when a profile is given explicitly
 *      (opts.profile, i.e. --profile), as botocore does.
 *   2. the selected profile (--profile > AWS_PROFILE > AWS_DEFAULT_PROFILE >
 *      default), botocore's order inside it: role_arn + source_profile /
 *      credential_source (STS AssumeRole; mfa_serial refused), role_arn +
 *      web_identity_token_file, sso_session / legacy sso_start_url (cached
 *      token from `aws sso login`, portal GetRoleCredentials), static keys
 *      from the credentials file, credential_process, static keys from the
 *      config file.  A profile with none of these falls through.
 *   3. AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME):
 *      STS AssumeRoleWithWebIdentity, unsigned (IRSA).
 *   4. AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2...) or
 *      _FULL_URI (https to any host, http only to loopback, 169.254.170.2,
 *      169.254.170.23, fd00:ec2::23) with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
 *      (re-read on every fetch) or AWS_CONTAINER_AUTHORIZATION_TOKEN.
 *   5. EC2 IMDSv2 (token PUT, role name, credentials; IMDSv1 fallback on a
 *      403/404/405 PUT unless ec2_metadata_v1_disabled), 1 s timeout and 1
 *      attempt by default, AWS_EC2_METADATA_DISABLED=true turns it off.
 * The first source that is configured decides: its failure is an error, not
 * a fall-through (except IMDS not answering, which means "no credentials").
 *
 * Endpoints: STS as aws_config_endpoint(AWS_SVC_STS) for the profile
 * (AWS_ENDPOINT_URL_STS > AWS_ENDPOINT_URL > services > endpoint_url >
 * regional default; global sts.amazonaws.com when no region is known), the
 * SSO portal AWS_ENDPOINT_URL_SSO > AWS_ENDPOINT_URL >
 * https://portal.sso.<sso_region>.<suffix>, IMDS
 * AWS_EC2_METADATA_SERVICE_ENDPOINT > ec2_metadata_service_endpoint > mode
 * (IPv4 http://169.254.169.254, IPv6 http://[fd00:ec2::254]).
 *
 * Status codes (status.h): AL_CONFIG for no credentials, a bad profile,
 * a failing credential_process, an expired SSO token, an STS/portal
 * rejection of the credentials; AL_NOPERM for AccessDenied on AssumeRole*;
 * AL_UNAVAILABLE when STS / the portal / the container endpoint cannot be
 * reached; AL_SOFTWARE for out-of-memory.  err always gets one line that
 * never holds a secret, naming the profile or variable involved.
 * ------------------------------------------------------------------------ */

struct aws_config;
struct aws_client_opts;

/* Temporary credentials are refreshed when they expire within this. */
#define AWS_CREDS_REFRESH_SECONDS 300

enum aws_creds_kind {
	AWS_CREDS_NONE = 0,
	AWS_CREDS_ENV,
	AWS_CREDS_STATIC,       /* profile keys */
	AWS_CREDS_PROCESS,      /* profile credential_process */
	AWS_CREDS_ASSUME_ROLE,  /* profile role_arn + source_profile / credential_source */
	AWS_CREDS_SSO,          /* profile sso_session / sso_start_url */
	AWS_CREDS_WEB_IDENTITY, /* profile web_identity_token_file, or the env (IRSA) */
	AWS_CREDS_CONTAINER,
	AWS_CREDS_IMDS,
};
/* "env", "static", "credential_process", "assume-role", "sso",
 * "web-identity", "container", "imds". */
const char *aws_creds_kind_name(enum aws_creds_kind k);

struct aws_creds_opts {
	const struct aws_config *cfg;  /* required; only read by aws_creds_provider_new */
	const char *profile;           /* --profile, or NULL */
	const char *region;            /* resolved region (STS endpoint), or NULL */
	/* HTTP and retry options for the STS and SSO portal calls (CA bundle,
	 * user agent, max attempts); NULL = defaults.  Copied. */
	const struct aws_client_opts *client;
	int verbose;                   /* one stderr line per step; never secrets */
	/* Build the chain only (configuration errors still fail); the first
	 * aws_creds_get() fetches.  whoami uses it to show the source even
	 * when fetching from it fails. */
	int no_fetch;
	/* A role to assume (STS AssumeRole, with external_id when set, as
	 * session_name or authlog-scan-TIME) with the chain's credentials as
	 * its source, the way a profile's role_arn takes its source_profile's;
	 * NULL: the chain's credentials themselves. */
	const char *role_arn, *external_id, *session_name;
};

/* A resolved source that hands out fresh credentials: it keeps the current
 * set and fetches a new one when fewer than AWS_CREDS_REFRESH_SECONDS
 * remain (the assume-role source credentials too) -- but not more than
 * once per 30 s while the set still has 30 s to live, so a source that
 * hands out 4-minute keys is not asked on every call.  Env and static keys
 * are never refetched.  Thread-safe: calls are serialized by a mutex (a
 * refresh blocks the other callers until it is done). */
struct aws_creds_provider;

/* Walks the chain and fetches the first credentials (unless no_fetch).
 * AL_OK and *out, or a status with err set and *out = NULL. */
int aws_creds_provider_new(const struct aws_creds_opts *opts, struct aws_creds_provider **out,
			   char *err, size_t err_sz);
void aws_creds_provider_free(struct aws_creds_provider *p);
/* A copy of the current credentials (refreshed first when due) into out,
 * which the caller releases with aws_credentials_clear().  If a refresh
 * fails while the old credentials are still valid they are returned (and
 * the failure logged with verbose); an IMDS that stops answering extends
 * its credentials by 15 min as botocore does. */
int aws_creds_get(struct aws_creds_provider *p, struct aws_credentials *out, char *err, size_t err_sz);
/* Fetches new credentials now (after an ExpiredToken answer).  AL_CONFIG
 * for env and static keys, which cannot be refreshed. */
int aws_creds_refresh(struct aws_creds_provider *p, char *err, size_t err_sz);
enum aws_creds_kind aws_creds_provider_kind(const struct aws_creds_provider *p);
/* The chain that supplied them, e.g. "profile:dev (assume-role) <- profile:base (static)". */
void aws_creds_provider_describe(const struct aws_creds_provider *p, char *out, size_t out_sz);

/* One shot: provider_new, get, free. */
int aws_creds_resolve(const struct aws_creds_opts *opts, struct aws_credentials *out,
		      char *err, size_t err_sz);

/* The EC2 instance's region from IMDS (placement/region), for when nothing
 * else configures one.  AL_OK, or AL_CONFIG when IMDS is disabled or does
 * not answer. */
int aws_creds_imds_region(const struct aws_creds_opts *opts, char *region, size_t region_sz,
			  char *err, size_t err_sz);

#endif
