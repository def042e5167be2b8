/* The AWS credential chain and the refreshing provider: see aws_creds.h
 * for the order and the rules, and
 * https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html
 * for the SDKs' behaviour it follows.
 *
 * Resolution builds a "plan": one node per source, an assume-role node
 * holding the plan of its source profile (aws_creds_int.h).  Each node
 * caches its own credentials and asks its source (aws_cred_sources.c)
 * again when they are about to expire. */
#include "aws_creds.h"
#include "aws_creds_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "aws_config.h"
#include "aws_doc.h"
#include "aws_request.h"
#include "aws_secret.h"
#include "http.h"
#include "msg.h"
#include "status.h"
#include "timeutil.h"

int64_t (*aws_creds_clock)(void);

#define MAX_CHAIN 8
#define CONTAINER_HOST "http://169.254.170.2"
#define IMDS_V4 "http://169.254.169.254"
#define IMDS_V6 "http://[fd00:ec2::254]"

int64_t aws_creds_now(void)
{
	return aws_creds_clock ? aws_creds_clock() : (int64_t)time(NULL);
}

static char *dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

void aws_credentials_take(struct aws_credentials *c, char **akid, char **secret, char **token)
{
	c->access_key_id = *akid;
	c->secret_access_key = *secret;
	c->session_token = token ? *token : NULL;
	*akid = *secret = NULL;
	if (token)
		*token = NULL;
}

int aws_credentials_from_fields(struct aws_doc_field *f, const char *const *labels, int ms, int need_exp,
				const char *what, struct aws_credentials *out, char *err, size_t err_sz)
{
	for (int i = 0; i < 4; i++) {
		int bad = i < 3 ? f[i].type != AWS_DOC_STRING || !aws_secret_token_ok(f[i].val)
				: (need_exp || f[3].type != AWS_DOC_ABSENT) && aws_doc_time(&f[3], ms, &out->expiration);
		if (bad) {
			msg_set(err, err_sz, "%s: the answer has no valid %s", what, labels ? labels[i] : f[i].path);
			return AL_UNAVAILABLE;
		}
	}
	aws_credentials_take(out, &f[0].val, &f[1].val, &f[2].val);
	return AL_OK;
}

/* ------------------------------------------------------------ public misc */

void aws_credentials_clear(struct aws_credentials *c)
{
	if (!c)
		return;
	aws_secret_free(c->access_key_id);
	aws_secret_free(c->secret_access_key);
	aws_secret_free(c->session_token);
	OPENSSL_cleanse(c, sizeof *c);
	memset(c, 0, sizeof *c);
}

void aws_credentials_mask(const char *id, char *out, size_t out_sz)
{
	size_t n = id ? strlen(id) : 0;
	if (!out || !out_sz)
		return;
	if (n < 12) /* too short to show 8 characters of it */
		snprintf(out, out_sz, "%s", n ? "\xe2\x80\xa6" : "");
	else
		snprintf(out, out_sz, "%.4s\xe2\x80\xa6%.4s", id, id + n - 4);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

int aws_credentials_copy(struct aws_credentials *dst, const struct aws_credentials *src)
{
	memset(dst, 0, sizeof *dst);
	dst->access_key_id = dupstr(src->access_key_id);
	dst->secret_access_key = dupstr(src->secret_access_key);
	dst->session_token = dupstr(src->session_token);
	dst->expiration = src->expiration;
	memcpy(dst->source, src->source, sizeof dst->source);
	if ((src->access_key_id && !dst->access_key_id) ||
	    (src->secret_access_key && !dst->secret_access_key) ||
	    (src->session_token && !dst->session_token)) {
		aws_credentials_clear(dst);
		return AL_SOFTWARE;
	}
	return AL_OK;
}

const char *aws_creds_kind_name(enum aws_creds_kind k)
{
	switch (k) {
	case AWS_CREDS_ENV: return "env";
	case AWS_CREDS_STATIC: return "static";
	case AWS_CREDS_PROCESS: return "credential_process";
	case AWS_CREDS_ASSUME_ROLE: return "assume-role";
	case AWS_CREDS_SSO: return "sso";
	case AWS_CREDS_WEB_IDENTITY: return "web-identity";
	case AWS_CREDS_CONTAINER: return "container";
	case AWS_CREDS_IMDS: return "imds";
	case AWS_CREDS_NONE: break;
	}
	return "none";
}

/* -------------------------------------------------------------- the plan */

static void plan_free(struct aws_cred_plan *pl)
{
	if (!pl)
		return;
	plan_free(pl->src);
	aws_secret_free(pl->profile);
	aws_secret_free(pl->command);
	aws_secret_free(pl->role_arn);
	aws_secret_free(pl->session_name);
	aws_secret_free(pl->external_id);
	aws_secret_free(pl->token_file);
	free(pl->sts);
	aws_secret_free(pl->sso_key);
	aws_secret_free(pl->sso_region);
	aws_secret_free(pl->sso_account);
	aws_secret_free(pl->sso_role);
	aws_secret_free(pl->sso_session);
	aws_secret_free(pl->sso_portal);
	aws_secret_free(pl->url);
	aws_secret_free(pl->imds);
	aws_credentials_clear(&pl->cur);
	free(pl);
}

void aws_creds_vlog(const struct aws_creds_provider *p, const char *fmt, ...)
{
	va_list ap;
	if (!p->verbose)
		return;
	va_start(ap, fmt);
	fputs("authlog-scan: credentials: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}


static int due(const struct aws_cred_plan *pl, int64_t now)
{
	if (!pl->have)
		return 1;
	if (!pl->cur.expiration)
		return 0;
	int64_t left = pl->cur.expiration - now;
	/* do not refetch on every call when a source hands out short-lived keys */
	return left < AWS_CREDS_REFRESH_SECONDS && (left < 30 || now - pl->fetched_at >= 30);
}

int aws_creds_plan_get(struct aws_creds_provider *p, struct aws_cred_plan *pl, int force, char *err, size_t err_sz)
{
	int64_t now = aws_creds_now();
	char iso[TIME_ISO_LEN];
	if (pl->kind == AWS_CREDS_ENV || pl->kind == AWS_CREDS_STATIC) {
		if (force) {
			msg_set(err, err_sz, "%s credentials cannot be refreshed", pl->source);
			return AL_CONFIG;
		}
		return AL_OK;
	}
	if (!force && !due(pl, now))
		return AL_OK;
	struct aws_credentials fresh = {0};
	int rc = aws_cred_source_fetch(p, pl, &fresh, err, err_sz);
	if (rc == AL_OK && fresh.expiration && fresh.expiration <= now) {
		time_format(fresh.expiration, iso);
		msg_set(err, err_sz, "%s: the credentials received expired at %s", pl->source, iso);
		aws_credentials_clear(&fresh);
		rc = AL_UNAVAILABLE;
	}
	if (rc == AL_OK) {
		aws_credentials_clear(&pl->cur);
		pl->cur = fresh;
		memcpy(pl->cur.source, pl->source, sizeof pl->cur.source);
		pl->have = 1;
		pl->fetched_at = now;
		if (pl->cur.expiration) {
			time_format(pl->cur.expiration, iso);
			aws_creds_vlog(p, "%s: credentials valid until %s", pl->source, iso);
		}
		return AL_OK;
	}
	if (rc == AWS_CREDS_ABSENT && pl->have)
		rc = AL_UNAVAILABLE;
	if (pl->have && !force && rc != AL_SOFTWARE) {
		if (pl->cur.expiration > now + 30) {
			aws_creds_vlog(p, "%s: refresh failed, keeping the current credentials: %s", pl->source, err);
			return AL_OK;
		}
		if (pl->kind == AWS_CREDS_IMDS) {
			/* botocore _evaluate_expiration: 15 min plus 2-10 min of jitter */
			pl->cur.expiration = now + 15 * 60 + 120 + (int64_t)(rand() % 481);
			aws_creds_vlog(p, "imds: refresh failed, extending the current credentials: %s", err);
			return AL_OK;
		}
	}
	return rc;
}

/* ----------------------------------------------------------- chain build */

struct build {
	struct aws_creds_provider *p;
	const struct aws_config *cfg;
	const char *region;
	const char *selected;  /* the selected profile */
	const char *chain[MAX_CHAIN];
	int depth;
	char *err;
	size_t err_sz;
};

static struct aws_cred_plan *plan_new(enum aws_creds_kind kind, const char *profile)
{
	struct aws_cred_plan *pl = calloc(1, sizeof *pl);
	if (!pl)
		return NULL;
	pl->kind = kind;
	if (profile) {
		char tmp[64];
		snprintf(pl->source, sizeof pl->source, "profile:%s (%s)", msg_printable(profile, tmp, 60),
			 aws_creds_kind_name(kind));
		if (!(pl->profile = strdup(profile))) {
			free(pl);
			return NULL;
		}
	} else {
		snprintf(pl->source, sizeof pl->source, "%s", aws_creds_kind_name(kind));
	}
	return pl;
}

#define OOM(b) (msg_set((b)->err, (b)->err_sz, "out of memory"), AL_SOFTWARE)

static int set_static(struct build *b, struct aws_cred_plan *pl, const char *akid, const char *secret,
		      const char *token)
{
	pl->cur.access_key_id = strdup(akid);
	pl->cur.secret_access_key = strdup(secret);
	pl->cur.session_token = token && *token ? strdup(token) : NULL;
	memcpy(pl->cur.source, pl->source, sizeof pl->cur.source);
	pl->have = 1;
	if (!pl->cur.access_key_id || !pl->cur.secret_access_key || (token && *token && !pl->cur.session_token))
		return OOM(b);
	return AL_OK;
}

/* Env keys; *out NULL when none are set. */
static int build_env(struct build *b, struct aws_cred_plan **out)
{
	const char *akid = aws_config_env("AWS_ACCESS_KEY_ID"), *secret = aws_config_env("AWS_SECRET_ACCESS_KEY");
	const char *token = aws_config_env("AWS_SESSION_TOKEN"), *exp = aws_config_env("AWS_CREDENTIAL_EXPIRATION");
	char tmp[64];
	*out = NULL;
	if (!token)
		token = aws_config_env("AWS_SECURITY_TOKEN");
	if (!akid && !secret)
		return AL_OK;
	if (!akid || !secret) {
		msg_set(b->err, b->err_sz, "partial credentials found in the environment, missing: %s",
		       akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return AL_CONFIG;
	}
	if (!aws_secret_token_ok(akid) || !aws_secret_token_ok(secret) || (token && !aws_secret_token_ok(token))) {
		msg_set(b->err, b->err_sz, "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or AWS_SESSION_TOKEN holds a "
		       "space or control character");
		return AL_CONFIG;
	}
	struct aws_cred_plan *pl = plan_new(AWS_CREDS_ENV, NULL);
	if (!pl)
		return OOM(b);
	*out = pl;
	int rc = set_static(b, pl, akid, secret, token);
	if (rc == AL_OK && exp && time_parse(exp, strlen(exp), &pl->cur.expiration)) {
		msg_set(b->err, b->err_sz, "AWS_CREDENTIAL_EXPIRATION '%s' is not an RFC 3339 time",
		       msg_printable(exp, tmp, sizeof tmp));
		rc = AL_CONFIG;
	}
	return rc;
}

/* Static keys of one file of the profile: -1 none, else a status. */
static int profile_static(struct build *b, const char *name, int which, struct aws_cred_plan **out)
{
	const char *akid = aws_config_file_get(b->cfg, which, name, "aws_access_key_id");
	const char *secret = aws_config_file_get(b->cfg, which, name, "aws_secret_access_key");
	const char *token = aws_config_file_get(b->cfg, which, name, "aws_session_token");
	const char *file = which == AWS_CONFIG_FILE_CREDENTIALS ? "credentials" : "config";
	char tmp[128];
	if (akid && !*akid)
		akid = NULL;
	if (secret && !*secret)
		secret = NULL;
	if (!akid && !secret)
		return -1;
	if (!akid || !secret) {
		msg_set(b->err, b->err_sz, "profile %s: partial credentials in the %s file, missing: %s",
		       msg_printable(name, tmp, sizeof tmp), file, akid ? "aws_secret_access_key" : "aws_access_key_id");
		return AL_CONFIG;
	}
	if (!aws_secret_token_ok(akid) || !aws_secret_token_ok(secret) || (token && *token && !aws_secret_token_ok(token))) {
		msg_set(b->err, b->err_sz, "profile %s: a key in the %s file holds a space or control character",
		       msg_printable(name, tmp, sizeof tmp), file);
		return AL_CONFIG;
	}
	struct aws_cred_plan *pl = plan_new(AWS_CREDS_STATIC, name);
	if (!pl)
		return OOM(b);
	*out = pl;
	return set_static(b, pl, akid, secret, token);
}

static int sts_endpoint(struct build *b, struct aws_cred_plan *pl, const char *profile)
{
	char why[512];
	pl->sts = calloc(1, sizeof *pl->sts);
	if (!pl->sts)
		return OOM(b);
	if (aws_config_endpoint(b->cfg, profile, AWS_SVC_STS, b->region ? b->region : "aws-global", NULL, pl->sts,
				why, sizeof why)) {
		msg_set(b->err, b->err_sz, "STS endpoint: %s", why);
		return AL_CONFIG;
	}
	if (!b->region || strcmp(pl->sts->signing_region, "aws-global") == 0)
		snprintf(pl->sts->signing_region, sizeof pl->sts->signing_region, "us-east-1");
	return AL_OK;
}

static int parse_duration(struct build *b, const char *name, const char *v, int *out)
{
	char *end, tmp[128], tmp2[40];
	if (!v || !*v)
		return AL_OK;
	long d = strtol(v, &end, 10);
	if (*end || d < 900 || d > 43200) {
		msg_set(b->err, b->err_sz, "profile %s: duration_seconds '%s' must be a number of seconds from 900 to 43200",
		       msg_printable(name, tmp, sizeof tmp), msg_printable(v, tmp2, 32));
		return AL_CONFIG;
	}
	*out = (int)d;
	return AL_OK;
}

static int build_profile(struct build *b, const char *name, int as_source, struct aws_cred_plan **out);
static int build_container(struct build *b, struct aws_cred_plan **out);
static int build_imds(struct build *b, struct aws_cred_plan **out);

/* pl's source: the profile src (maybe name itself, for its static keys). */
static int source_profile(struct build *b, const char *name, const char *src, struct aws_cred_plan *pl)
{
	char tmp[128], tmp2[128];
	const char *pn = msg_printable(name, tmp, sizeof tmp);
	int rc;
	for (int i = 0; i < b->depth; i++) {
		if (strcmp(b->chain[i], src) == 0 && strcmp(src, name) != 0) {
			msg_set(b->err, b->err_sz, "profile %s: source_profile %s makes a loop", pn,
			       msg_printable(src, tmp2, sizeof tmp2));
			return AL_CONFIG;
		}
	}
	if (!aws_config_profile_exists(b->cfg, src)) {
		msg_set(b->err, b->err_sz, "profile %s: the source_profile %s does not exist", pn,
		       msg_printable(src, tmp2, sizeof tmp2));
		return AL_CONFIG;
	}
	if (strcmp(src, name) == 0) {
		/* a profile may be its own source for its static keys */
		rc = profile_static(b, name, AWS_CONFIG_FILE_CREDENTIALS, &pl->src);
		if (rc < 0)
			rc = profile_static(b, name, AWS_CONFIG_FILE_CONFIG, &pl->src);
		if (rc < 0) {
			msg_set(b->err, b->err_sz, "profile %s: is its own source_profile but has no static keys", pn);
			rc = AL_CONFIG;
		}
		return rc;
	}
	if ((rc = build_profile(b, src, 1, &pl->src)) != AL_OK)
		return rc;
	if (!pl->src) {
		msg_set(b->err, b->err_sz, "profile %s: the source_profile %s has no credentials", pn,
		       msg_printable(src, tmp2, sizeof tmp2));
		return AL_CONFIG;
	}
	return AL_OK;
}

/* pl's source: credential_source = Environment / EcsContainer / Ec2InstanceMetadata. */
static int credential_source(struct build *b, const char *name, const char *cs, struct aws_cred_plan *pl)
{
	static const struct {
		const char *name;
		int (*build)(struct build *b, struct aws_cred_plan **out);
		const char *unavailable; /* why the builder made no plan */
	} sources[] = {
		{"Environment", build_env, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"},
		{"EcsContainer", build_container,
		 "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor _FULL_URI is set"},
		{"Ec2InstanceMetadata", build_imds, "AWS_EC2_METADATA_DISABLED is true"},
	};
	char tmp[128], tmp2[128];
	const char *pn = msg_printable(name, tmp, sizeof tmp);
	size_t i = 0;
	int rc;
	while (i < sizeof(sources) / sizeof(sources[0]) && strcmp(cs, sources[i].name) != 0)
		i++;
	if (i == sizeof(sources) / sizeof(sources[0])) {
		msg_set(b->err, b->err_sz, "profile %s: credential_source '%s' is not one of Environment, "
			"Ec2InstanceMetadata, EcsContainer", pn, msg_printable(cs, tmp2, sizeof tmp2));
		return AL_CONFIG;
	}
	if ((rc = sources[i].build(b, &pl->src)) != AL_OK)
		return rc;
	if (!pl->src) {
		msg_set(b->err, b->err_sz, "profile %s: credential_source = %s, but %s", pn, sources[i].name,
			sources[i].unavailable);
		return AL_CONFIG;
	}
	return AL_OK;
}

static int build_assume_role(struct build *b, const char *name, struct aws_cred_plan **out)
{
	const struct aws_config *cfg = b->cfg;
	const char *src = aws_config_get(cfg, name, "source_profile");
	const char *cs = aws_config_get(cfg, name, "credential_source");
	const char *mfa = aws_config_get(cfg, name, "mfa_serial");
	char tmp[128];
	const char *pn = msg_printable(name, tmp, sizeof tmp);
	int rc;

	if (src && !*src)
		src = NULL;
	if (cs && !*cs)
		cs = NULL;
	if (mfa && *mfa) {
		msg_set(b->err, b->err_sz, "profile %s: role_arn with mfa_serial needs an MFA code, and authlog-scan "
		       "does not prompt for one; get temporary credentials first (for example `aws configure "
		       "export-credentials --profile %s --format env`) and pass them in the environment",
		       pn, pn);
		return AL_CONFIG;
	}
	if (src && cs) {
		msg_set(b->err, b->err_sz, "profile %s: has both source_profile and credential_source; use one", pn);
		return AL_CONFIG;
	}
	struct aws_cred_plan *pl = plan_new(AWS_CREDS_ASSUME_ROLE, name);
	if (!pl)
		return OOM(b);
	*out = pl;
	if (!(pl->role_arn = strdup(aws_config_get(cfg, name, "role_arn"))))
		return OOM(b);
	const char *v;
	if ((v = aws_config_get(cfg, name, "role_session_name")) && *v && !(pl->session_name = strdup(v)))
		return OOM(b);
	if ((v = aws_config_get(cfg, name, "external_id")) && *v && !(pl->external_id = strdup(v)))
		return OOM(b);
	if ((rc = parse_duration(b, name, aws_config_get(cfg, name, "duration_seconds"), &pl->duration)))
		return rc;
	if ((rc = sts_endpoint(b, pl, name)))
		return rc;
	if (src)
		return source_profile(b, name, src, pl);
	if (!cs) {
		msg_set(b->err, b->err_sz, "profile %s: role_arn needs source_profile, credential_source or "
		       "web_identity_token_file", pn);
		return AL_CONFIG;
	}
	return credential_source(b, name, cs, pl);
}

static int build_web_identity(struct build *b, const char *profile, const char *token_file,
			      const char *role_arn, const char *session, const char *duration,
			      struct aws_cred_plan **out)
{
	struct aws_cred_plan *pl = plan_new(AWS_CREDS_WEB_IDENTITY, profile);
	int rc;
	if (!pl)
		return OOM(b);
	*out = pl;
	if (!(pl->token_file = strdup(token_file)) || !(pl->role_arn = strdup(role_arn)) ||
	    (session && *session && !(pl->session_name = strdup(session))))
		return OOM(b);
	if (profile && (rc = parse_duration(b, profile, duration, &pl->duration)))
		return rc;
	return sts_endpoint(b, pl, profile ? profile : b->selected);
}

static int build_sso(struct build *b, const char *name, struct aws_cred_plan **out)
{
	const struct aws_config *cfg = b->cfg;
	const char *sess = aws_config_get(cfg, name, "sso_session");
	const char *url, *region, *acct = aws_config_get(cfg, name, "sso_account_id");
	const char *role = aws_config_get(cfg, name, "sso_role_name");
	char tmp[128], tmp2[128];
	const char *pn = msg_printable(name, tmp, sizeof tmp);

	if (sess && *sess) {
		url = aws_config_sso_session_get(cfg, sess, "sso_start_url");
		region = aws_config_sso_session_get(cfg, sess, "sso_region");
		if (!url || !*url || !region || !*region) {
			msg_set(b->err, b->err_sz, "profile %s: [sso-session %s] needs sso_start_url and sso_region", pn,
			       msg_printable(sess, tmp2, sizeof tmp2));
			return AL_CONFIG;
		}
		const char *pu = aws_config_get(cfg, name, "sso_start_url");
		const char *pr = aws_config_get(cfg, name, "sso_region");
		if ((pu && *pu && strcmp(pu, url)) || (pr && *pr && strcmp(pr, region))) {
			msg_set(b->err, b->err_sz, "profile %s: sso_start_url / sso_region differ from those of "
			       "[sso-session %s]", pn, msg_printable(sess, tmp2, sizeof tmp2));
			return AL_CONFIG;
		}
	} else {
		sess = NULL;
		url = aws_config_get(cfg, name, "sso_start_url");
		region = aws_config_get(cfg, name, "sso_region");
	}
	if (!url || !*url || !region || !*region || !acct || !*acct || !role || !*role) {
		msg_set(b->err, b->err_sz, "profile %s: SSO needs %s, sso_account_id and sso_role_name", pn,
		       sess ? "sso_session" : "sso_start_url, sso_region");
		return AL_CONFIG;
	}
	if (!aws_region_valid(region)) {
		msg_set(b->err, b->err_sz, "profile %s: invalid sso_region '%s'", pn, msg_printable(region, tmp2, sizeof tmp2));
		return AL_CONFIG;
	}
	struct aws_cred_plan *pl = plan_new(AWS_CREDS_SSO, name);
	if (!pl)
		return OOM(b);
	*out = pl;
	if (!(pl->sso_key = strdup(sess ? sess : url)) || !(pl->sso_region = strdup(region)) ||
	    !(pl->sso_account = strdup(acct)) || !(pl->sso_role = strdup(role)) ||
	    (sess && !(pl->sso_session = strdup(sess))))
		return OOM(b);
	const char *ep = NULL;
	const char *ign = aws_config_env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	if (!ign)
		ign = aws_config_get(cfg, name, "ignore_configured_endpoint_urls");
	if (!aws_config_true(ign) && !(ep = aws_config_env("AWS_ENDPOINT_URL_SSO")))
		ep = aws_config_env("AWS_ENDPOINT_URL");
	char def[300];
	if (!ep) {
		snprintf(def, sizeof def, "https://portal.sso.%s.%s", region,
			 aws_partition_for_region(region)->dns_suffix);
		ep = def;
	} else if (strncasecmp(ep, "http://", 7) && strncasecmp(ep, "https://", 8)) {
		msg_set(b->err, b->err_sz, "the SSO endpoint '%s' is not an http:// or https:// URL",
		       msg_printable(ep, tmp2, sizeof tmp2));
		return AL_CONFIG;
	}
	if (!(pl->sso_portal = strdup(ep)))
		return OOM(b);
	return AL_OK;
}

/* The selected profile (or a source profile); *out NULL when it holds no
 * credential settings. */
static int build_profile(struct build *b, const char *name, int as_source, struct aws_cred_plan **out)
{
	const struct aws_config *cfg = b->cfg;
	const char *role = aws_config_get(cfg, name, "role_arn");
	const char *wif = aws_config_get(cfg, name, "web_identity_token_file");
	const char *v;
	char tmp[128];
	int rc;

	*out = NULL;
	if (b->depth >= MAX_CHAIN) {
		msg_set(b->err, b->err_sz, "profile %s: more than %d chained source_profile links",
		       msg_printable(name, tmp, sizeof tmp), MAX_CHAIN);
		return AL_CONFIG;
	}
	b->chain[b->depth++] = name;
	/* botocore: a source profile's own static keys win over its role */
	if (as_source) {
		rc = profile_static(b, name, AWS_CONFIG_FILE_CREDENTIALS, out);
		if (rc < 0)
			rc = profile_static(b, name, AWS_CONFIG_FILE_CONFIG, out);
		if (rc >= 0)
			goto done;
	}
	if (role && *role && !(wif && *wif)) {
		rc = build_assume_role(b, name, out);
		goto done;
	}
	if (role && *role) {
		rc = build_web_identity(b, name, wif, role, aws_config_get(cfg, name, "role_session_name"),
					aws_config_get(cfg, name, "duration_seconds"), out);
		goto done;
	}
	if (wif && *wif) {
		msg_set(b->err, b->err_sz, "profile %s: web_identity_token_file needs role_arn",
		       msg_printable(name, tmp, sizeof tmp));
		rc = AL_CONFIG;
		goto done;
	}
	if (((v = aws_config_get(cfg, name, "sso_session")) && *v) ||
	    ((v = aws_config_get(cfg, name, "sso_start_url")) && *v) ||
	    ((v = aws_config_get(cfg, name, "sso_account_id")) && *v)) {
		rc = build_sso(b, name, out);
		goto done;
	}
	if ((rc = profile_static(b, name, AWS_CONFIG_FILE_CREDENTIALS, out)) >= 0)
		goto done;
	if ((v = aws_config_get(cfg, name, "credential_process")) && *v) {
		struct aws_cred_plan *pl = plan_new(AWS_CREDS_PROCESS, name);
		*out = pl;
		rc = pl && (pl->command = strdup(v)) ? AL_OK : OOM(b);
		goto done;
	}
	if ((rc = profile_static(b, name, AWS_CONFIG_FILE_CONFIG, out)) >= 0)
		goto done;
	rc = AL_OK;
done:
	b->depth--;
	return rc;
}

static int build_web_identity_env(struct build *b, struct aws_cred_plan **out)
{
	const char *tf = aws_config_env("AWS_WEB_IDENTITY_TOKEN_FILE"), *role = aws_config_env("AWS_ROLE_ARN");
	*out = NULL;
	if (!tf)
		return AL_OK;
	if (!role) {
		msg_set(b->err, b->err_sz, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
		return AL_CONFIG;
	}
	return build_web_identity(b, NULL, tf, role, aws_config_env("AWS_ROLE_SESSION_NAME"), NULL, out);
}

static int build_container(struct build *b, struct aws_cred_plan **out)
{
	const char *rel = aws_config_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = aws_config_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	char why[300], url[2048], tmp[128];
	*out = NULL;
	if (rel) {
		if (rel[0] != '/' || strlen(rel) > 1024) {
			msg_set(b->err, b->err_sz, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI '%s' must be a path starting with '/'",
			       msg_printable(rel, tmp, sizeof tmp));
			return AL_CONFIG;
		}
		snprintf(url, sizeof url, "%s%s", CONTAINER_HOST, rel);
	} else if (full) {
		if (strlen(full) >= sizeof url || aws_cred_source_container_url_check(full, why, sizeof why)) {
			msg_set(b->err, b->err_sz, "AWS_CONTAINER_CREDENTIALS_FULL_URI: %s",
			       strlen(full) >= sizeof url ? "too long" : why);
			return AL_CONFIG;
		}
		snprintf(url, sizeof url, "%s", full);
	} else {
		return AL_OK;
	}
	for (const char *q = url; *q; q++) {
		if ((unsigned char)*q <= 0x20 || *q == 0x7f) {
			msg_set(b->err, b->err_sz, "the container credentials URL holds a space or control character");
			return AL_CONFIG;
		}
	}
	struct aws_cred_plan *pl = plan_new(AWS_CREDS_CONTAINER, NULL);
	if (!pl)
		return OOM(b);
	*out = pl;
	return (pl->url = strdup(url)) ? AL_OK : OOM(b);
}

static int build_imds(struct build *b, struct aws_cred_plan **out)
{
	const char *ep = aws_config_setting(b->cfg, b->selected, "AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint");
	const char *mode = aws_config_setting(b->cfg, b->selected, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode");
	const char *t = aws_config_setting(b->cfg, b->selected, "AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout");
	const char *n = aws_config_setting(b->cfg, b->selected, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", "metadata_service_num_attempts");
	char tmp[128], *end;
	*out = NULL;
	if (aws_config_true(aws_config_env("AWS_EC2_METADATA_DISABLED")))
		return AL_OK;
	if (!ep) {
		if (mode && strcasecmp(mode, "IPv6") == 0)
			ep = IMDS_V6;
		else if (!mode || strcasecmp(mode, "IPv4") == 0)
			ep = IMDS_V4;
		else {
			msg_set(b->err, b->err_sz, "ec2_metadata_service_endpoint_mode '%s' must be IPv4 or IPv6",
			       msg_printable(mode, tmp, sizeof tmp));
			return AL_CONFIG;
		}
	}
	if ((strncasecmp(ep, "http://", 7) && strncasecmp(ep, "https://", 8)) || strlen(ep) > 400) {
		msg_set(b->err, b->err_sz, "the IMDS endpoint '%s' is not an http:// or https:// URL",
		       msg_printable(ep, tmp, sizeof tmp));
		return AL_CONFIG;
	}
	struct aws_cred_plan *pl = plan_new(AWS_CREDS_IMDS, NULL);
	if (!pl)
		return OOM(b);
	*out = pl;
	if (!(pl->imds = strdup(ep)))
		return OOM(b);
	size_t len = strlen(pl->imds);
	while (len && pl->imds[len - 1] == '/')
		pl->imds[--len] = '\0';
	pl->imds_v1_disabled = aws_config_true(aws_config_setting(b->cfg, b->selected, "AWS_EC2_METADATA_V1_DISABLED", "ec2_metadata_v1_disabled"));
	pl->imds_timeout_ms = 1000;
	pl->imds_attempts = 1;
	if (t) {
		double d = strtod(t, &end);
		if (*end || !(d > 0 && d <= 600)) {
			msg_set(b->err, b->err_sz, "metadata_service_timeout '%s' must be a number of seconds",
			       msg_printable(t, tmp, sizeof tmp));
			return AL_CONFIG;
		}
		pl->imds_timeout_ms = (long)(d * 1000);
	}
	if (n) {
		long a = strtol(n, &end, 10);
		if (*end || a < 1 || a > 10) {
			msg_set(b->err, b->err_sz, "metadata_service_num_attempts '%s' must be a number from 1 to 10",
			       msg_printable(n, tmp, sizeof tmp));
			return AL_CONFIG;
		}
		pl->imds_attempts = (int)a;
	}
	return AL_OK;
}

/* ------------------------------------------------------------ provider */

static int provider_alloc(const struct aws_creds_opts *opts, struct aws_creds_provider **out)
{
	struct aws_creds_provider *p = calloc(1, sizeof *p);
	*out = NULL;
	if (!p)
		return -1;
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		return -1;
	}
	p->verbose = opts->verbose;
	if (opts->client) {
		p->copts = *opts->client;
		if ((opts->client->http.ca_bundle && !(p->ca_bundle = strdup(opts->client->http.ca_bundle))) ||
		    (opts->client->http.user_agent && !(p->user_agent = strdup(opts->client->http.user_agent)))) {
			aws_creds_provider_free(p);
			return -1;
		}
		p->copts.http.ca_bundle = p->ca_bundle;
		p->copts.http.user_agent = p->user_agent;
	}
	if (opts->verbose)
		p->copts.verbose = p->copts.http.verbose = 1;
	*out = p;
	return 0;
}

void aws_creds_provider_free(struct aws_creds_provider *p)
{
	if (!p)
		return;
	plan_free(p->root);
	if (p->client)
		aws_client_free(p->client);
	if (p->meta)
		http_client_free(p->meta);
	free(p->ca_bundle);
	free(p->user_agent);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static int chain_build(struct build *b, const char *cli_profile)
{
	struct aws_creds_provider *p = b->p;
	struct aws_cred_plan *pl = NULL;
	int rc;

	if (!cli_profile || !*cli_profile) {
		if ((rc = build_env(b, &pl)) != AL_OK || pl)
			goto out;
		aws_creds_vlog(p, "env: AWS_ACCESS_KEY_ID not set");
	}
	if ((rc = build_profile(b, b->selected, 0, &pl)) != AL_OK || pl)
		goto out;
	aws_creds_vlog(p, "profile %s: no credential settings", b->selected);
	if ((rc = build_web_identity_env(b, &pl)) != AL_OK || pl)
		goto out;
	if ((rc = build_container(b, &pl)) != AL_OK || pl)
		goto out;
	if ((rc = build_imds(b, &pl)) != AL_OK || pl)
		goto out;
out:
	p->root = pl;
	return rc;
}

/* opts.role_arn: the chain's credentials become the source of an
 * AssumeRole plan, as a profile's source_profile is of its role_arn.
 * Its STS endpoint is the selected profile's (AWS_ENDPOINT_URL_STS, the
 * profile's services, the region's default). */
static int wrap_role(struct build *b, const struct aws_creds_opts *opts)
{
	struct aws_creds_provider *p = b->p;
	struct aws_cred_plan *pl = plan_new(AWS_CREDS_ASSUME_ROLE, NULL);
	if (!pl)
		return OOM(b);
	pl->src = p->root;
	p->root = pl;
	snprintf(pl->source, sizeof pl->source, "role_arn (assume-role)");
	if (!(pl->role_arn = strdup(opts->role_arn)) ||
	    (opts->external_id && !(pl->external_id = strdup(opts->external_id))) ||
	    (opts->session_name && !(pl->session_name = strdup(opts->session_name))))
		return OOM(b);
	return sts_endpoint(b, pl, b->selected);
}

/* plan_get for the root, turning "IMDS is not there" into the chain's
 * "no credentials" message when nothing was ever fetched. */
static int root_get(struct aws_creds_provider *p, int force, char *err, size_t err_sz)
{
	char why[512];
	int had = p->root->have;
	int rc = aws_creds_plan_get(p, p->root, force, why, sizeof why);
	if (rc == AWS_CREDS_ABSENT && !had) {
		msg_set(err, err_sz, "no AWS credentials: none in the environment (AWS_ACCESS_KEY_ID), in %s, "
		       "AWS_WEB_IDENTITY_TOKEN_FILE or AWS_CONTAINER_CREDENTIALS_*; %s", p->selected, why);
		return AL_CONFIG;
	}
	if (rc != AL_OK)
		msg_set(err, err_sz, "%s", why);
	return rc == AWS_CREDS_ABSENT ? AL_UNAVAILABLE : rc;
}

static int first_fetch(struct aws_creds_provider *p, char *err, size_t err_sz)
{
	return root_get(p, 0, err, err_sz);
}

int aws_creds_provider_new(const struct aws_creds_opts *opts, struct aws_creds_provider **out,
			   char *err, size_t err_sz)
{
	struct aws_creds_provider *p = NULL;
	char name[256], why[512], tmp[128];
	enum aws_profile_source psrc;
	int rc;

	*out = NULL;
	msg_set(err, err_sz, "%s", "");
	if (!opts || !opts->cfg) {
		msg_set(err, err_sz, "no configuration");
		return AL_SOFTWARE;
	}
	if (aws_config_select_profile(opts->cfg, opts->profile, name, sizeof name, &psrc, why, sizeof why)) {
		msg_set(err, err_sz, "%s", why);
		return AL_CONFIG;
	}
	if (provider_alloc(opts, &p)) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	struct build b = {.p = p, .cfg = opts->cfg, .region = opts->region && *opts->region ? opts->region : NULL,
			  .selected = name, .err = err, .err_sz = err_sz};
	rc = chain_build(&b, opts->profile);
	if (rc == AL_OK && p->root && opts->role_arn)
		rc = wrap_role(&b, opts);
	if (rc == AL_OK && !p->root) {
		msg_set(err, err_sz, "no AWS credentials: none in the environment (AWS_ACCESS_KEY_ID), in profile %s "
		       "(%s), AWS_WEB_IDENTITY_TOKEN_FILE or AWS_CONTAINER_CREDENTIALS_*, and the EC2 instance "
		       "metadata service is disabled (AWS_EC2_METADATA_DISABLED)",
		       msg_printable(name, tmp, sizeof tmp), aws_profile_source_name(psrc));
		rc = AL_CONFIG;
	}
	snprintf(p->selected, sizeof p->selected, "profile %s (%s)", msg_printable(name, tmp, sizeof tmp),
		 aws_profile_source_name(psrc));
	if (rc == AL_OK) {
		aws_creds_vlog(p, "using %s", p->root->source);
		if (!opts->no_fetch)
			rc = first_fetch(p, err, err_sz);
	}
	if (rc != AL_OK) {
		aws_creds_provider_free(p);
		return rc;
	}
	*out = p;
	return AL_OK;
}

int aws_creds_get(struct aws_creds_provider *p, struct aws_credentials *out, char *err, size_t err_sz)
{
	char tmp[512];
	if (!err || !err_sz)
		err = tmp, err_sz = sizeof tmp;
	err[0] = '\0';
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&p->lock);
	int rc = root_get(p, 0, err, err_sz);
	if (rc == AL_OK && aws_credentials_copy(out, &p->root->cur)) {
		msg_set(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

int aws_creds_refresh(struct aws_creds_provider *p, char *err, size_t err_sz)
{
	char tmp[512];
	if (!err || !err_sz)
		err = tmp, err_sz = sizeof tmp;
	err[0] = '\0';
	pthread_mutex_lock(&p->lock);
	int64_t keep = p->root->cur.expiration;
	/* a forced refresh must not hand back the old set: forget its expiry */
	if (p->root->kind != AWS_CREDS_ENV && p->root->kind != AWS_CREDS_STATIC)
		p->root->cur.expiration = 1;
	int rc = root_get(p, 1, err, err_sz);
	if (rc != AL_OK && p->root->cur.expiration == 1)
		p->root->cur.expiration = keep;
	pthread_mutex_unlock(&p->lock);
	return rc;
}

enum aws_creds_kind aws_creds_provider_kind(const struct aws_creds_provider *p)
{
	return p && p->root ? p->root->kind : AWS_CREDS_NONE;
}

void aws_creds_provider_describe(const struct aws_creds_provider *p, char *out, size_t out_sz)
{
	size_t o = 0;
	if (!out_sz)
		return;
	out[0] = '\0';
	for (const struct aws_cred_plan *pl = p ? p->root : NULL; pl && o + 1 < out_sz; pl = pl->src) {
		int n = snprintf(out + o, out_sz - o, "%s%s", o ? " <- " : "", pl->source);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

int aws_creds_resolve(const struct aws_creds_opts *opts, struct aws_credentials *out, char *err, size_t err_sz)
{
	struct aws_creds_provider *p;
	memset(out, 0, sizeof *out);
	int rc = aws_creds_provider_new(opts, &p, err, err_sz);
	if (rc != AL_OK)
		return rc;
	rc = aws_creds_get(p, out, err, err_sz);
	aws_creds_provider_free(p);
	return rc;
}

int aws_creds_imds_region(const struct aws_creds_opts *opts, char *region, size_t region_sz, char *err,
			  size_t err_sz)
{
	struct aws_creds_provider *p = NULL;
	struct aws_cred_plan *pl = NULL;
	char name[256], why[256];
	enum aws_profile_source psrc;
	int rc;

	if (region_sz)
		region[0] = '\0';
	if (!opts || !opts->cfg ||
	    aws_config_select_profile(opts->cfg, opts->profile, name, sizeof name, &psrc, why, sizeof why))
		snprintf(name, sizeof name, "default");
	if (provider_alloc(opts ? opts : &(struct aws_creds_opts){0}, &p)) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	struct build b = {.p = p, .cfg = opts ? opts->cfg : NULL, .err = err, .err_sz = err_sz};
	b.selected = b.cfg ? name : NULL;
	if ((rc = build_imds(&b, &pl)) == AL_OK && !pl) {
		msg_set(err, err_sz, "IMDS is disabled (AWS_EC2_METADATA_DISABLED)");
		rc = AL_CONFIG;
	}
	if (rc == AL_OK)
		rc = aws_cred_source_imds_region(p, pl, region, region_sz, err, err_sz);
	plan_free(pl);
	aws_creds_provider_free(p);
	return rc;
}
