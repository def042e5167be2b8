/* Shared AWS config/credentials files, profile, region and endpoint
 * resolution, the way awscli v1 / botocore 1.43 do it (the SDKs' rules:
 * https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html,
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html;
 * botocore's configloader.py and endpoint rule sets for the details).
 *
 * Pure: reads the two INI files and the environment, never the network.
 *
 * File format (botocore's RawConfigParser + configloader):
 *  - `#` / `;` full-line comments (indented ones too); no inline comments:
 *    `region = x # y` has the value "x # y".
 *  - `key = value` or `key: value`, split at the first '=' or ':', key and
 *    value trimmed, keys lower-cased (case-insensitive).  Later duplicates
 *    win (botocore refuses duplicates within one file; we are lenient).
 *  - a line indented deeper than its key continues the value ("a\nb"); when
 *    the key's own value is empty the indented lines are a nested
 *    sub-section of `k = v` lines (`[services NAME]` → `cloudwatch_logs =`).
 *  - config file: `[default]`, `[profile NAME]`, `[sso-session NAME]`,
 *    `[services NAME]`; any other section (a bare `[NAME]`) is ignored.
 *    `[default]` and `[profile default]` are one profile: the section that
 *    comes last replaces the other.  credentials file: `[NAME]` verbatim.
 *  - for one profile, a key in the credentials file beats the config file.
 *  - every key and value is wiped (aws_secret_wipe) before it is freed.
 *
 * Environment values that are set but empty count as unset.  Booleans are
 * true only when they read "true" (any case), as botocore's ensure_boolean.
 */
#ifndef AUTHLOG_AWS_CONFIG_H
#define AUTHLOG_AWS_CONFIG_H

#include <stddef.h>

struct aws_config; /* opaque; aws_config_load() allocates, aws_config_free() frees */

enum aws_config_file {
	AWS_CONFIG_FILE_CONFIG = 0,      /* AWS_CONFIG_FILE, else ~/.aws/config */
	AWS_CONFIG_FILE_CREDENTIALS = 1, /* AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials */
	AWS_CONFIG_FILE_PLAIN = 2,       /* a file of ours in the same shape: aws_config_load_plain */
};

/* Writes the path of that file into out (a leading "~/" in the variable is
 * expanded).  0, or -1 when there is no HOME or out is too small. */
int aws_config_default_path(enum aws_config_file which, char *out, size_t out_sz);

/* Parses both files; a NULL path means the default path above, a missing
 * file (or no HOME) is an empty file.  AL_OK and *out set, or AL_CONFIG
 * with "FILE:LINE: what" (or "FILE: read error") in err and *out = NULL. */
int aws_config_load(const char *config_path, const char *creds_path,
		    struct aws_config **out, char *err, size_t err_sz);
void aws_config_free(struct aws_config *cfg);

/* A file of our own in the same INI shape (the fleet file), parsed by the
 * same rules, but kept as it is written: every section in file order
 * under its whole header text ("cluster prod"), none merged or ignored,
 * each section and key with its line; a key set twice in a section is an
 * error ("FILE:LINE: KEY: set twice in the section (first on line N)"),
 * and so is a missing file ("FILE: No such file or directory"). AL_OK, or
 * AL_CONFIG with the message in err. Query it with the two below. */
int aws_config_load_plain(const char *path, struct aws_config **out, char *err, size_t err_sz);
/* Section i's header text and line; NULL past the last section. */
const char *aws_config_section(const struct aws_config *cfg, size_t i, size_t *line);
/* Key k of section i (lower-case), its value ("" opens a nested block) and
 * its line; NULL past the last key. */
const char *aws_config_section_key(const struct aws_config *cfg, size_t i, size_t k, const char **value,
				   size_t *line);

/* The profile's value for key (credentials file first, then config file),
 * NULL when absent.  A key that opens a nested block has the value "".
 * Pointers stay valid until aws_config_free(). */
const char *aws_config_get(const struct aws_config *cfg, const char *profile, const char *key);
/* The same, but from one file only (the credential chain needs to know). */
const char *aws_config_file_get(const struct aws_config *cfg, enum aws_config_file which,
				const char *profile, const char *key);
/* 1 when either file has that profile. */
int aws_config_profile_exists(const struct aws_config *cfg, const char *profile);
/* `[sso-session NAME]` key, NULL when absent. */
const char *aws_config_sso_session_get(const struct aws_config *cfg, const char *session,
				       const char *key);
/* The profile's `services = NAME` → `[services NAME]` → `service_key =`
 * nested block → key.  service_key is the snake-case service id:
 * "cloudwatch_logs" for Logs, "sts" for STS.  NULL when any link is absent. */
const char *aws_config_service_get(const struct aws_config *cfg, const char *profile,
				   const char *service_key, const char *key);

/* The environment variable when it is set and not empty, else NULL. */
const char *aws_config_env(const char *name);
/* The environment variable, else the profile's key (cfg and profile may
 * be NULL), the way botocore's config chain reads a setting; NULL when
 * neither is set or the value is empty. */
const char *aws_config_setting(const struct aws_config *cfg, const char *profile, const char *env_name,
			       const char *key);
/* botocore's ensure_boolean: only "true" (any case) is true. */
int aws_config_true(const char *v);

/* --- profile: --profile > AWS_PROFILE > AWS_DEFAULT_PROFILE > "default" --- */
enum aws_profile_source {
	AWS_PROFILE_FROM_DEFAULT = 0,
	AWS_PROFILE_FROM_CLI,
	AWS_PROFILE_FROM_ENV,        /* AWS_PROFILE */
	AWS_PROFILE_FROM_DEFAULT_ENV /* AWS_DEFAULT_PROFILE (legacy) */
};
/* Copies the selected name into name.  AL_OK, or AL_CONFIG with "the config profile (X) could
 * not be found" when it was named explicitly (option or environment) and
 * neither file has it; a missing "default" profile is fine. */
int aws_config_select_profile(const struct aws_config *cfg, const char *cli_profile,
			      char *name, size_t name_sz, enum aws_profile_source *src,
			      char *err, size_t err_sz);
const char *aws_profile_source_name(enum aws_profile_source src);

/* --- region: --region > AWS_REGION > AWS_DEFAULT_REGION > profile region --- */
enum aws_region_source {
	AWS_REGION_NONE = 0,     /* nothing configured: the caller may ask IMDS, else exit 78 */
	AWS_REGION_FROM_CLI,
	AWS_REGION_FROM_ENV,         /* AWS_REGION */
	AWS_REGION_FROM_DEFAULT_ENV, /* AWS_DEFAULT_REGION */
	AWS_REGION_FROM_PROFILE,
	AWS_REGION_FROM_IMDS,        /* never set here: for the caller's IMDS hook */
};
/* AL_OK with the region copied into region; AL_CONFIG with a message when
 * none is configured (*src = AWS_REGION_NONE) or the winning value is not
 * a valid region name (*src says where it came from). */
int aws_config_region(const struct aws_config *cfg, const char *profile, const char *cli_region,
		      char *region, size_t region_sz, enum aws_region_source *src,
		      char *err, size_t err_sz);
const char *aws_region_source_name(enum aws_region_source src);
/* botocore's rule: ^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$ */
int aws_region_valid(const char *region);

/* --- partitions (botocore partitions.json) --- */
struct aws_partition {
	const char *name;             /* aws, aws-cn, aws-us-gov, aws-iso, ... (ARNs) */
	const char *dns_suffix;       /* amazonaws.com */
	const char *dualstack_suffix; /* api.aws */
};
/* The partition whose region pattern matches; "aws" when none does. */
const struct aws_partition *aws_partition_for_region(const char *region);

/* 1 for localhost (any case, trailing dot allowed), 127.0.0.0/8, ::1 and
 * ::ffff:127.x.x.x; host may be bracketed ("[::1]").  The HTTP layer allows
 * turning TLS verification off only for these. */
int aws_host_is_loopback(const char *host);

/* --- endpoints --- */
enum aws_service {
	AWS_SVC_LOGS = 0, /* host prefix logs, env AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, services key cloudwatch_logs */
	AWS_SVC_STS,      /* host prefix sts,  env AWS_ENDPOINT_URL_STS, services key sts */
	AWS_SVC_EKS,      /* host prefix eks,  env AWS_ENDPOINT_URL_EKS, services key eks;
			   * FIPS in the aws partition is fips.eks.<region>.amazonaws.com */
	AWS_SVC_IAM,      /* env AWS_ENDPOINT_URL_IAM, services key iam; one global endpoint
			   * per partition (iam.amazonaws.com signed for us-east-1) */
};

enum aws_endpoint_source {
	AWS_ENDPOINT_DEFAULT = 0,    /* https://<svc>.<region>.<suffix> */
	AWS_ENDPOINT_FROM_CLI,       /* --endpoint-url (applies even when ignoring) */
	AWS_ENDPOINT_FROM_ENV_SERVICE, /* AWS_ENDPOINT_URL_<SERVICE> */
	AWS_ENDPOINT_FROM_ENV,       /* AWS_ENDPOINT_URL */
	AWS_ENDPOINT_FROM_SERVICES,  /* profile services section */
	AWS_ENDPOINT_FROM_PROFILE,   /* profile endpoint_url */
};

#define AWS_ENDPOINT_URL_MAX 1024
#define AWS_ENDPOINT_HOST_MAX 256

struct aws_endpoint {
	char url[AWS_ENDPOINT_URL_MAX];   /* no trailing '/' added or removed */
	char host[AWS_ENDPOINT_HOST_MAX]; /* lower-case, IPv6 without brackets */
	unsigned port;                    /* 0 when the URL gives none */
	int https;                        /* scheme is https */
	char signing_region[64];          /* region, or us-east-1 for global STS */
	const char *partition;            /* from the region: for ARNs */
	enum aws_endpoint_source source;
	char origin[160];                 /* e.g. "AWS_ENDPOINT_URL_STS", "[services moto] cloudwatch_logs" */
	int fips, dualstack;              /* variant actually used in the default host */
	int variant_ignored;              /* FIPS/dual-stack asked for, but a custom URL wins */
	int loopback;                     /* aws_host_is_loopback(host) */
};

/* Resolves the endpoint for svc.  region must be the resolved region (it
 * picks the partition and the signing region).  AL_OK, or AL_CONFIG with a
 * message naming
 * the source for an invalid URL, a `services` name with no such section,
 * an invalid sts_regional_endpoints, or no valid region for a default URL. */
int aws_config_endpoint(const struct aws_config *cfg, const char *profile, enum aws_service svc,
			const char *region, const char *cli_endpoint_url,
			struct aws_endpoint *out, char *err, size_t err_sz);
const char *aws_endpoint_source_name(enum aws_endpoint_source src);

#endif
