/* The credential sources' fetchers: STS AssumeRole and
 * AssumeRoleWithWebIdentity, the SSO portal, credential_process, the
 * container endpoint (ECS, EKS Pod Identity) and EC2 IMDS, as the SDKs do
 * it (https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html).
 * Every buffer that held a secret is wiped before it is freed. */
#include "aws_creds_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "aws_config.h"
#include "aws_credprocess.h"
#include "aws_doc.h"
#include "aws_request.h"
#include "aws_secret.h"
#include "aws_sts.h"
#include "buf.h"
#include "http.h"
#include "msg.h"
#include "sigv4.h"
#include "status.h"
#include "timeutil.h"

/* -------------------------------------------------------------------- SSO */

int aws_cred_source_sso_cache_path(const char *key, char *out, size_t out_sz)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	const char *home = aws_config_env("HOME");
	if (!home || !key || !EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha1(), NULL))
		return AL_CONFIG;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * mdlen] = '\0';
	int n = snprintf(out, out_sz, "%s/.aws/sso/cache/%s.json", home, hex);
	return n < 0 || (size_t)n >= out_sz ? AL_CONFIG : AL_OK;
}

/* ------------------------------------------------------------- container */

static const char *const container_hosts[] = {"169.254.170.2", "169.254.170.23", "fd00:ec2::23"};

int aws_cred_source_container_url_check(const char *url, char *err, size_t err_sz)
{
	char host[256], tmp[128];
	const char *p, *h, *e;
	int https;
	if (!url || strncasecmp(url, "http://", 7) == 0)
		https = 0, p = url ? url + 7 : NULL;
	else if (strncasecmp(url, "https://", 8) == 0)
		https = 1, p = url + 8;
	else {
		msg_set(err, err_sz, "'%s' is not an http:// or https:// URL", msg_printable(url, tmp, sizeof tmp));
		return AL_CONFIG;
	}
	for (const char *q = url; *q; q++) {
		if ((unsigned char)*q <= 0x20 || *q == 0x7f) {
			msg_set(err, err_sz, "the URL holds a space or control character");
			return AL_CONFIG;
		}
	}
	size_t alen = strcspn(p, "/?#");
	if (memchr(p, '@', alen)) {
		msg_set(err, err_sz, "'%s': user information is not allowed", msg_printable(url, tmp, sizeof tmp));
		return AL_CONFIG;
	}
	if (*p == '[') {
		h = p + 1;
		e = memchr(h, ']', alen);
		if (!e) {
			msg_set(err, err_sz, "'%s': bad IPv6 address", msg_printable(url, tmp, sizeof tmp));
			return AL_CONFIG;
		}
	} else {
		h = p;
		e = p + strcspn(p, ":/?#");
	}
	if (e == h || (size_t)(e - h) >= sizeof host) {
		msg_set(err, err_sz, "'%s': no host", msg_printable(url, tmp, sizeof tmp));
		return AL_CONFIG;
	}
	memcpy(host, h, (size_t)(e - h));
	host[e - h] = '\0';
	if (https || aws_host_is_loopback(host))
		return AL_OK;
	for (size_t i = 0; i < sizeof container_hosts / sizeof *container_hosts; i++) {
		struct in6_addr a, b;
		if (strcasecmp(host, container_hosts[i]) == 0)
			return AL_OK;
		if (strchr(host, ':') && inet_pton(AF_INET6, host, &a) == 1 &&
		    inet_pton(AF_INET6, container_hosts[i], &b) == 1 && memcmp(&a, &b, sizeof a) == 0)
			return AL_OK;
	}
	msg_set(err, err_sz, "unsupported host '%s': plain http is only allowed to a loopback address or "
	       "one of these hosts: 169.254.170.2, 169.254.170.23, fd00:ec2::23, localhost",
	       msg_printable(host, tmp, sizeof tmp));
	return AL_CONFIG;
}

static int need_client(struct aws_creds_provider *p, char *err, size_t err_sz)
{
	if (p->client)
		return AL_OK;
	if (aws_client_new(&p->copts, &p->client) != 0 || !p->client) {
		p->client = NULL;
		msg_set(err, err_sz, "cannot create the HTTP client");
		return AL_SOFTWARE;
	}
	return AL_OK;
}

static int need_meta(struct aws_creds_provider *p, char *err, size_t err_sz)
{
	if (p->meta)
		return AL_OK;
	struct http_opts o = p->copts.http;
	o.connect_timeout_ms = 1000;
	o.timeout_ms = 2000;
	o.max_body = 1u << 20;
	if (http_client_new(&o, &p->meta) != 0 || !p->meta) {
		p->meta = NULL;
		msg_set(err, err_sz, "cannot create the HTTP client");
		return AL_SOFTWARE;
	}
	return AL_OK;
}

static int form_add(struct buf *b, const char *name, const char *value)
{
	if (b->len)
		buf_putc(b, '&');
	buf_puts(b, name);
	buf_putc(b, '=');
	return sigv4_uri_encode(b, value, strlen(value), 0);
}

static void session_name(const struct aws_cred_plan *pl, char *out, size_t out_sz)
{
	if (pl->session_name)
		snprintf(out, out_sz, "%s", pl->session_name);
	else
		snprintf(out, out_sz, "authlog-scan-%lld", (long long)aws_creds_now());
}

/* AssumeRole (extra: ExternalId) or AssumeRoleWithWebIdentity (extra:
 * WebIdentityToken, unsigned) for pl's role. */
static int sts_call(struct aws_creds_provider *p, struct aws_cred_plan *pl, const char *action,
		    const char *extra_name, const char *extra, const struct aws_credentials *signer,
		    struct aws_credentials *out, char *err, size_t err_sz)
{
	struct buf body = BUF_INIT;
	char sess[160], dur[16], why[512], tmp[128], tmp2[128];
	int rc;

	session_name(pl, sess, sizeof sess);
	form_add(&body, "Action", action);
	form_add(&body, "Version", "2011-06-15");
	form_add(&body, "RoleArn", pl->role_arn);
	form_add(&body, "RoleSessionName", sess);
	if (extra)
		form_add(&body, extra_name, extra);
	if (pl->duration) {
		snprintf(dur, sizeof dur, "%d", pl->duration);
		form_add(&body, "DurationSeconds", dur);
	}
	if (body.oom) {
		msg_set(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
		goto out;
	}
	if ((rc = need_client(p, err, err_sz)) != AL_OK)
		goto out;
	aws_creds_vlog(p, "%s %s on %s", action, msg_printable(pl->role_arn, tmp, sizeof tmp),
		       msg_printable(pl->sts->url, tmp2, sizeof tmp2));
	rc = aws_sts_credentials(p->client, pl->sts->url, pl->sts->signing_region, action, body.data, body.len,
				 signer, out, why, sizeof why);
	if (rc != AL_OK) {
		if (pl->profile)
			msg_set(err, err_sz, "profile %s: %s (role %s, STS %s)", msg_printable(pl->profile, tmp, sizeof tmp),
			       why, msg_printable(pl->role_arn, tmp2, sizeof tmp2), pl->sts->url);
		else
			msg_set(err, err_sz, "%s (role %s, STS %s)", why, msg_printable(pl->role_arn, tmp2, sizeof tmp2),
			       pl->sts->url);
	}
out:
	aws_secret_buf_free(&body);
	return rc;
}

static int fetch_assume_role(struct aws_creds_provider *p, struct aws_cred_plan *pl, struct aws_credentials *out,
			     char *err, size_t err_sz)
{
	int rc = aws_creds_plan_get(p, pl->src, 0, err, err_sz);
	if (rc != AL_OK)
		return rc;
	return sts_call(p, pl, "AssumeRole", "ExternalId", pl->external_id, &pl->src->cur, out, err, err_sz);
}

static int fetch_web_identity(struct aws_creds_provider *p, struct aws_cred_plan *pl, struct aws_credentials *out,
			      char *err, size_t err_sz)
{
	struct buf tok = BUF_INIT;
	char tmp[128], tmp2[128];
	int rc, e;
	const char *who = pl->profile ? "profile " : "";
	const char *whon = pl->profile ? msg_printable(pl->profile, tmp2, sizeof tmp2) : "AWS_WEB_IDENTITY_TOKEN_FILE";

	/* re-read on every refresh: the kubelet rotates the token */
	if ((e = aws_secret_read_file(pl->token_file, &tok)) != 0) {
		msg_set(err, err_sz, "%s%s: cannot read the web identity token file %s: %s", who, whon,
		       msg_printable(pl->token_file, tmp, sizeof tmp), strerror(e));
		return AL_CONFIG;
	}
	while (tok.len && (tok.data[tok.len - 1] == '\n' || tok.data[tok.len - 1] == '\r' || tok.data[tok.len - 1] == ' '))
		tok.data[--tok.len] = '\0';
	if (!tok.len) {
		msg_set(err, err_sz, "%s%s: the web identity token file %s is empty", who, whon,
		       msg_printable(pl->token_file, tmp, sizeof tmp));
		aws_secret_buf_free(&tok);
		return AL_CONFIG;
	}
	rc = sts_call(p, pl, "AssumeRoleWithWebIdentity", "WebIdentityToken", tok.data, NULL, out, err, err_sz);
	aws_secret_buf_free(&tok);
	return rc;
}

static int sso_token(const struct aws_cred_plan *pl, char **token, char *err, size_t err_sz)
{
	char path[4096], tmp[128], tmp2[128], login[200];
	struct buf b = BUF_INIT;
	struct aws_doc_field f[2] = {{"accessToken", AWS_DOC_ABSENT, NULL}, {"expiresAt", AWS_DOC_ABSENT, NULL}};
	int64_t exp = 0;
	int e, rc = AL_CONFIG;
	const char *pn = msg_printable(pl->profile, tmp, sizeof tmp);

	*token = NULL;
	if (pl->sso_session)
		snprintf(login, sizeof login, "aws sso login --sso-session %s",
			 msg_printable(pl->sso_session, tmp2, sizeof tmp2));
	else
		snprintf(login, sizeof login, "aws sso login --profile %s", pn);
	if (aws_cred_source_sso_cache_path(pl->sso_key, path, sizeof path)) {
		msg_set(err, err_sz, "profile %s: SSO: no HOME to find the token cache in", pn);
		return AL_CONFIG;
	}
	if ((e = aws_secret_read_file(path, &b)) != 0) {
		if (e == ENOENT)
			msg_set(err, err_sz, "profile %s: no cached SSO token (%s): run `%s`", pn, path, login);
		else
			msg_set(err, err_sz, "profile %s: cannot read the SSO token cache %s: %s; run `%s`", pn, path,
			       strerror(e), login);
		return AL_CONFIG;
	}
	int r = aws_doc_json(b.data, b.len, f, 2, NULL, 0);
	aws_secret_buf_free(&b);
	if (r == AL_SOFTWARE) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	if (r || f[0].type != AWS_DOC_STRING || !aws_secret_token_ok(f[0].val)) {
		msg_set(err, err_sz, "profile %s: the SSO token cache %s has no valid accessToken: run `%s`", pn,
		       path, login);
		goto out;
	}
	if (aws_doc_time(&f[1], 0, &exp)) {
		msg_set(err, err_sz, "profile %s: the SSO token cache %s has no valid expiresAt: run `%s`", pn, path,
		       login);
		goto out;
	}
	if (exp <= aws_creds_now()) {
		char iso[TIME_ISO_LEN];
		time_format(exp, iso);
		msg_set(err, err_sz, "profile %s: the SSO session expired at %s: run `%s`", pn, iso, login);
		goto out;
	}
	*token = f[0].val;
	f[0].val = NULL;
	rc = AL_OK;
out:
	aws_doc_fields_free(f, 2);
	return rc;
}

/* GetRoleCredentials' answer: {"roleCredentials":{...}}, expiration in ms. */
static int parse_role_credentials(const char *pn, const struct http_response *resp, struct aws_credentials *out,
				  char *err, size_t err_sz)
{
	struct aws_doc_field f[4] = {
		{"roleCredentials.accessKeyId", AWS_DOC_ABSENT, NULL},
		{"roleCredentials.secretAccessKey", AWS_DOC_ABSENT, NULL},
		{"roleCredentials.sessionToken", AWS_DOC_ABSENT, NULL},
		{"roleCredentials.expiration", AWS_DOC_ABSENT, NULL},
	};
	int r = aws_doc_json(buf_str(&resp->body), resp->body.len, f, 4, NULL, 0);
	if (r == AL_SOFTWARE) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	int rc = AL_UNAVAILABLE;
	if (r) {
		msg_set(err, err_sz, "profile %s: GetRoleCredentials: the answer is not valid JSON", pn);
		return rc;
	}
	char what[160];
	snprintf(what, sizeof what, "profile %s: GetRoleCredentials", pn);
	rc = aws_credentials_from_fields(f, NULL, 1, 1, what, out, err, err_sz);
	aws_doc_fields_free(f, 4);
	return rc;
}

static int fetch_sso(struct aws_creds_provider *p, struct aws_cred_plan *pl, struct aws_credentials *out,
		     char *err, size_t err_sz)
{
	char *token = NULL, tmp[128], tmp2[128], why[AWS_ERR_MAX];
	struct buf query = BUF_INIT;
	struct http_response resp;
	struct aws_fault fault;
	struct aws_credentials none = {0};
	const char *pn = msg_printable(pl->profile, tmp, sizeof tmp);
	int rc;

	memset(&resp, 0, sizeof resp);
	if ((rc = sso_token(pl, &token, err, err_sz)) != AL_OK)
		return rc;
	if ((rc = need_client(p, err, err_sz)) != AL_OK)
		goto out;
	form_add(&query, "account_id", pl->sso_account);
	form_add(&query, "role_name", pl->sso_role);
	struct http_header hdrs[2] = {{"x-amz-sso_bearer_token", token}, {"Accept", "application/json"}};
	struct aws_call call = {
		.operation = "GetRoleCredentials",
		.endpoint = pl->sso_portal,
		.region = pl->sso_region,
		.service = "awsssoportal",
		.method = "GET",
		.path = "/federation/credentials",
		.query = buf_str(&query),
		.headers = hdrs,
		.nheaders = 2,
		.unsigned_request = 1,
	};
	aws_creds_vlog(p, "profile %s: SSO GetRoleCredentials account %s role %s on %s", pn, pl->sso_account,
		       msg_printable(pl->sso_role, tmp2, sizeof tmp2), pl->sso_portal);
	rc = aws_request(p->client, &call, &none, &resp, &fault, why, sizeof why);
	if (rc != AL_OK) {
		if (fault.status == 401 || fault.status == 403 || strstr(fault.code, "Unauthorized"))
			msg_set(err, err_sz, "profile %s: %s; the SSO session may have ended: run `aws sso login --profile %s`",
			       pn, why, pn);
		else
			msg_set(err, err_sz, "profile %s: %s (SSO portal %s)", pn, why, pl->sso_portal);
		if (fault.status == 401 || fault.status == 403)
			rc = AL_CONFIG;
		goto out;
	}
	rc = parse_role_credentials(pn, &resp, out, err, err_sz);
out:
	http_response_free(&resp);
	aws_secret_buf_free(&query);
	aws_secret_free(token);
	return rc;
}

static int fetch_process(struct aws_creds_provider *p, struct aws_cred_plan *pl, struct aws_credentials *out,
			 char *err, size_t err_sz)
{
	char tmp[128];
	aws_creds_vlog(p, "profile %s: running credential_process", msg_printable(pl->profile, tmp, sizeof tmp));
	return aws_credprocess_fetch(pl->profile, pl->command, out, err, err_sz);
}

/* The metadata services' JSON: AccessKeyId, SecretAccessKey, Token, Expiration. */
static int parse_meta_creds(const char *what, const struct http_response *r, int need_exp,
			    struct aws_credentials *out, char *err, size_t err_sz)
{
	struct aws_doc_field f[5] = {
		{"AccessKeyId", AWS_DOC_ABSENT, NULL}, {"SecretAccessKey", AWS_DOC_ABSENT, NULL},
		{"Token", AWS_DOC_ABSENT, NULL}, {"Expiration", AWS_DOC_ABSENT, NULL}, {"Code", AWS_DOC_ABSENT, NULL},
	};
	char tmp[64];
	int rc = AL_UNAVAILABLE;
	int x = aws_doc_json(buf_str(&r->body), r->body.len, f, 5, NULL, 0);
	if (x == AL_SOFTWARE) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	if (x) {
		msg_set(err, err_sz, "%s: the answer is not valid JSON", what);
		return rc;
	}
	if (f[4].type == AWS_DOC_STRING && strcmp(f[4].val, "Success") != 0) {
		msg_set(err, err_sz, "%s: the answer says Code %s", what, msg_printable(f[4].val, tmp, 40));
		goto out;
	}
	rc = aws_credentials_from_fields(f, NULL, 0, need_exp, what, out, err, err_sz);
out:
	aws_doc_fields_free(f, 5);
	return rc;
}

static void http_fail_msg(char *err, size_t err_sz, const char *what, const char *url, int hr,
			  const char *why, long status)
{
	if (hr != AL_OK)
		msg_set(err, err_sz, "%s: %s: %s", what, url, why);
	else
		msg_set(err, err_sz, "%s: %s answered HTTP %ld", what, url, status);
}

static int fetch_container(struct aws_creds_provider *p, struct aws_cred_plan *pl, struct aws_credentials *out,
			   char *err, size_t err_sz)
{
	struct buf tok = BUF_INIT;
	char why[256], tmp[128];
	struct http_response resp;
	int rc, hr = AL_UNAVAILABLE;
	const char *tf = aws_config_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tv = aws_config_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");

	memset(&resp, 0, sizeof resp);
	if ((rc = need_meta(p, err, err_sz)) != AL_OK)
		return rc;
	if (tf) { /* read on every fetch: the agent rotates it */
		int e = aws_secret_read_file(tf, &tok);
		if (e) {
			msg_set(err, err_sz, "container credentials: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: %s",
			       msg_printable(tf, tmp, sizeof tmp), strerror(e));
			return AL_CONFIG;
		}
	} else if (tv && aws_secret_buf_append(&tok, tv, strlen(tv))) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	if (tok.data && (strchr(tok.data, '\r') || strchr(tok.data, '\n') || strlen(tok.data) != tok.len)) {
		msg_set(err, err_sz, "container credentials: the authorization token (%s) contains a line break",
		       tf ? "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" : "AWS_CONTAINER_AUTHORIZATION_TOKEN");
		aws_secret_buf_free(&tok);
		return AL_CONFIG;
	}
	struct http_header hdrs[2] = {{"Accept", "application/json"}, {"Authorization", tok.data}};
	struct http_request req = {
		.method = "GET",
		.url = pl->url,
		.headers = hdrs,
		.nheaders = tok.data && tok.len ? 2 : 1,
		.timeout_ms = 2000,
	};
	aws_creds_vlog(p, "container: GET %s%s", pl->url, req.nheaders == 2 ? " with the authorization token" : "");
	rc = AL_UNAVAILABLE;
	/* botocore: 3 attempts, 1 s apart; a 4xx is final */
	for (int attempt = 1; attempt <= 3; attempt++) {
		if (attempt > 1) {
			http_response_free(&resp);
			memset(&resp, 0, sizeof resp);
			sleep(1);
		}
		hr = http_perform(p->meta, &req, &resp, why, sizeof why);
		if (hr == AL_OK && resp.status >= 200 && resp.status < 300) {
			rc = parse_meta_creds("container credentials", &resp, 0, out, err, err_sz);
			goto out;
		}
		if (hr == AL_OK && resp.status < 500)
			break;
	}
	http_fail_msg(err, err_sz, "container credentials", pl->url, hr, why, resp.status);
	if (hr == AL_OK && resp.status >= 400 && resp.status < 500)
		rc = resp.status == 401 || resp.status == 403 ? AL_CONFIG : AL_UNAVAILABLE;
out:
	http_response_free(&resp);
	aws_secret_buf_free(&tok);
	return rc;
}

/* IMDSv2 session token; NULL token with AL_OK means "use IMDSv1". */
static int imds_token(struct aws_creds_provider *p, const struct aws_cred_plan *pl, char **token, char *err,
		      size_t err_sz)
{
	static const struct http_header ttl = {"x-aws-ec2-metadata-token-ttl-seconds", "21600"};
	char url[512], why[256];
	struct http_response resp;
	int hr = AL_UNAVAILABLE, rc;

	*token = NULL;
	memset(&resp, 0, sizeof resp);
	snprintf(url, sizeof url, "%s/latest/api/token", pl->imds);
	struct http_request req = {.method = "PUT", .url = url, .headers = &ttl, .nheaders = 1,
				   .body = "", .body_len = 0, .timeout_ms = pl->imds_timeout_ms};
	for (int a = 1; a <= pl->imds_attempts; a++) {
		http_response_free(&resp);
		memset(&resp, 0, sizeof resp);
		hr = http_perform(p->meta, &req, &resp, why, sizeof why);
		if (hr == AL_OK && resp.status < 500)
			break;
	}
	if (hr != AL_OK) {
		/* a timeout or a refusal on the PUT means "no IMDS" */
		msg_set(err, err_sz, "IMDS: no answer from %s (%s)", pl->imds, why);
		rc = AWS_CREDS_ABSENT;
	} else if (resp.status == 200) {
		char *t = resp.body.data ? strndup(resp.body.data, resp.body.len) : NULL;
		size_t n = t ? strlen(t) : 0;
		while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' '))
			t[--n] = '\0';
		if (!t || !aws_secret_token_ok(t)) {
			aws_secret_free(t);
			msg_set(err, err_sz, "IMDS: %s answered an unusable session token", url);
			rc = AL_UNAVAILABLE;
		} else {
			*token = t;
			rc = AL_OK;
		}
	} else if (resp.status == 403 || resp.status == 404 || resp.status == 405) {
		if (pl->imds_v1_disabled) {
			msg_set(err, err_sz, "IMDS: the token PUT was refused (HTTP %ld) and IMDSv1 is disabled "
			       "(ec2_metadata_v1_disabled)", resp.status);
			rc = AL_UNAVAILABLE;
		} else {
			aws_creds_vlog(p, "imds: token PUT answered HTTP %ld, using IMDSv1", resp.status);
			rc = AL_OK;
		}
	} else {
		msg_set(err, err_sz, "IMDS: %s answered HTTP %ld", url, resp.status);
		rc = resp.status >= 500 ? AWS_CREDS_ABSENT : AL_UNAVAILABLE;
	}
	http_response_free(&resp);
	return rc;
}

static int imds_get(struct aws_creds_provider *p, const struct aws_cred_plan *pl, const char *token, const char *path,
		    struct http_response *resp, int *hr, char *why, size_t why_sz)
{
	char url[1024];
	struct http_header h = {"x-aws-ec2-metadata-token", token};
	snprintf(url, sizeof url, "%s%s", pl->imds, path);
	struct http_request req = {.method = "GET", .url = url, .headers = &h, .nheaders = token ? 1 : 0,
				   .timeout_ms = pl->imds_timeout_ms};
	for (int a = 1; a <= pl->imds_attempts; a++) {
		http_response_free(resp);
		memset(resp, 0, sizeof *resp);
		*hr = http_perform(p->meta, &req, resp, why, why_sz);
		if (*hr == AL_OK && resp->status < 500)
			break;
	}
	return *hr == AL_OK && resp->status == 200 ? 0 : -1;
}

static int fetch_imds(struct aws_creds_provider *p, struct aws_cred_plan *pl, struct aws_credentials *out,
		      char *err, size_t err_sz)
{
	char *token = NULL, why[256], role[256], path[512], tmp[128];
	struct http_response resp;
	int rc, hr = AL_UNAVAILABLE;

	memset(&resp, 0, sizeof resp);
	if ((rc = need_meta(p, err, err_sz)) != AL_OK)
		return rc;
	aws_creds_vlog(p, "imds: asking %s", pl->imds);
	if ((rc = imds_token(p, pl, &token, err, err_sz)) != AL_OK)
		return rc;
	if (imds_get(p, pl, token, "/latest/meta-data/iam/security-credentials/", &resp, &hr, why, sizeof why)) {
		if (hr == AL_OK && resp.status == 404) {
			msg_set(err, err_sz, "IMDS: no IAM role is attached to this instance (%s)", pl->imds);
			rc = AWS_CREDS_ABSENT;
		} else {
			http_fail_msg(err, err_sz, "IMDS", pl->imds, hr, why, resp.status);
			rc = AL_UNAVAILABLE;
		}
		goto out;
	}
	size_t n = strcspn(buf_str(&resp.body), "\r\n");
	while (n && resp.body.data[n - 1] == ' ')
		n--;
	if (n == 0 || n >= sizeof role) {
		msg_set(err, err_sz, "IMDS: no IAM role is attached to this instance (%s)", pl->imds);
		rc = AWS_CREDS_ABSENT;
		goto out;
	}
	memcpy(role, resp.body.data, n);
	role[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!(role[i] >= 'a' && role[i] <= 'z') && !(role[i] >= 'A' && role[i] <= 'Z') &&
		    !(role[i] >= '0' && role[i] <= '9') && !strchr("+=,.@_-", role[i])) {
			msg_set(err, err_sz, "IMDS: unexpected role name '%s'", msg_printable(role, tmp, sizeof tmp));
			rc = AL_UNAVAILABLE;
			goto out;
		}
	}
	snprintf(path, sizeof path, "/latest/meta-data/iam/security-credentials/%s", role);
	if (imds_get(p, pl, token, path, &resp, &hr, why, sizeof why)) {
		http_fail_msg(err, err_sz, "IMDS", pl->imds, hr, why, resp.status);
		rc = AL_UNAVAILABLE;
		goto out;
	}
	aws_creds_vlog(p, "imds: role %s", role);
	rc = parse_meta_creds("IMDS", &resp, 1, out, err, err_sz);
	if (rc == AL_OK && !out->session_token) {
		aws_credentials_clear(out);
		msg_set(err, err_sz, "IMDS: the answer has no Token");
		rc = AL_UNAVAILABLE;
	}
out:
	http_response_free(&resp);
	aws_secret_free(token);
	return rc;
}

int aws_cred_source_fetch(struct aws_creds_provider *p, struct aws_cred_plan *pl, struct aws_credentials *out, char *err,
		 size_t err_sz)
{
	switch (pl->kind) {
	case AWS_CREDS_PROCESS: return fetch_process(p, pl, out, err, err_sz);
	case AWS_CREDS_ASSUME_ROLE: return fetch_assume_role(p, pl, out, err, err_sz);
	case AWS_CREDS_SSO: return fetch_sso(p, pl, out, err, err_sz);
	case AWS_CREDS_WEB_IDENTITY: return fetch_web_identity(p, pl, out, err, err_sz);
	case AWS_CREDS_CONTAINER: return fetch_container(p, pl, out, err, err_sz);
	case AWS_CREDS_IMDS: return fetch_imds(p, pl, out, err, err_sz);
	case AWS_CREDS_ENV:
	case AWS_CREDS_STATIC:
	case AWS_CREDS_NONE: break;
	}
	msg_set(err, err_sz, "these credentials cannot be refreshed");
	return AL_CONFIG;
}

int aws_cred_source_imds_region(struct aws_creds_provider *p, const struct aws_cred_plan *pl, char *region,
				size_t region_sz, char *err, size_t err_sz)
{
	struct http_response resp;
	char why[256], *token = NULL;
	int rc, hr = AL_UNAVAILABLE;

	memset(&resp, 0, sizeof resp);
	if ((rc = need_meta(p, err, err_sz)) != AL_OK || (rc = imds_token(p, pl, &token, err, err_sz)) != AL_OK)
		goto out;
	if (imds_get(p, pl, token, "/latest/meta-data/placement/region", &resp, &hr, why, sizeof why)) {
		http_fail_msg(err, err_sz, "IMDS", pl->imds, hr, why, resp.status);
		rc = AL_CONFIG;
		goto out;
	}
	size_t n = strcspn(buf_str(&resp.body), "\r\n ");
	if (n == 0 || n >= region_sz) {
		msg_set(err, err_sz, "IMDS: no region in the answer");
		rc = AL_CONFIG;
		goto out;
	}
	memcpy(region, resp.body.data, n);
	region[n] = '\0';
	if (!aws_region_valid(region)) {
		region[0] = '\0';
		msg_set(err, err_sz, "IMDS: invalid region in the answer");
		rc = AL_CONFIG;
		goto out;
	}
	rc = AL_OK;
out:
	http_response_free(&resp);
	aws_secret_free(token);
	return rc == AWS_CREDS_ABSENT ? AL_CONFIG : rc;
}
