/* One AWS API call with SigV4 and the SDKs' standard retry mode (see
 * aws_request.h and aws_retry.h).
 *
 * Per attempt: build the headers (Host, the caller's, Content-Type,
 * amz-sdk-invocation-id, amz-sdk-request), sign them at now + the learned
 * clock skew, perform, classify.  What is retried: transport errors
 * CONNECT / TIMEOUT / RESET; HTTP 500, 502, 503, 504 and the transient
 * codes; HTTP 429 and the throttling codes (botocore retries/standard.py);
 * one clock-skew correction, which neither sleeps nor costs quota.
 * Nothing else: not AccessDenied*, not validation, not
 * InvalidSignatureException without skew, not TLS failures.
 *
 * Secrets: the Authorization value and the session token live only in the
 * sigv4_result (wiped by sigv4_result_free) and in the header lines http.c
 * builds (wiped there).  Error messages and error bodies are scrubbed of
 * the secret key and the session token before they reach the caller. */
#include "aws_request.h"
#include "aws_request_int.h"

#include "aws_config.h"
#include "aws_doc.h"
#include "aws_retry.h"
#include "buf.h"
#include "config.h"
#include "msg.h"
#include "sigv4.h"
#include "status.h"
#include "timeutil.h"

#include <openssl/rand.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SMALL_BODY 4096      /* bodies checked for the Coral 200 error trap */

void (*aws_request_sleep_hook)(long delay_ms);
double (*aws_request_rand)(void) = aws_retry_rand01;

/* The skew learned by any client, so a new client starts right. */
static _Atomic long process_skew;

enum retry_class {
	RETRY_NO = 0,
	RETRY_THROTTLING,
	RETRY_TRANSIENT, /* 5xx / transient code */
	RETRY_TRANSPORT, /* connect, timeout, reset: costs more */
	RETRY_SKEW,
};

/* Random UUID version 4, lower-case: xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx. */
int aws_request_invocation_id(char out[37])
{
	unsigned char u[16];
	if (RAND_bytes(u, sizeof(u)) != 1)
		return -1;
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	out[o] = '\0';
	return 0;
}


static int cancelled(const struct aws_client *c)
{
	return c->cancel && atomic_load(c->cancel);
}

/* The backoff: slept in slices of at most 100 ms so that the cancel flag
 * ends it promptly. 1 = slept, 0 = cancelled. */
static int sleep_ms(const struct aws_client *c, long ms)
{
	if (aws_request_sleep_hook) {
		aws_request_sleep_hook(ms);
		return !cancelled(c);
	}
	int64_t until = time_mono_ms() + (ms > 0 ? ms : 0);
	for (int64_t left; !cancelled(c) && (left = until - time_mono_ms()) > 0;) {
		long slice = left < 100 ? (long)left : 100;
		struct timespec ts = {0, slice * 1000000L};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !cancelled(c))
			;
	}
	return !cancelled(c);
}


/* ---- client ------------------------------------------------------------- */

int aws_client_new(const struct aws_client_opts *opts, struct aws_client **out)
{
	*out = NULL;
	struct aws_client *c = calloc(1, sizeof(*c));
	if (!c)
		return AL_SOFTWARE;
	struct aws_client_opts none = {0};
	if (!opts)
		opts = &none;
	struct http_opts ho = opts->http;
	if (opts->verbose && !ho.verbose)
		ho.verbose = opts->verbose;
	if (http_client_new(&ho, &c->http) != AL_OK) {
		free(c);
		return AL_SOFTWARE;
	}
	c->retry = opts->retry;
	if (c->retry.max_attempts <= 0)
		c->retry.max_attempts = AWS_RETRY_DEFAULT_MAX_ATTEMPTS;
	if (c->retry.max_backoff_ms <= 0)
		c->retry.max_backoff_ms = AWS_RETRY_DEFAULT_MAX_BACKOFF_MS;
	c->quota = AWS_RETRY_QUOTA_INITIAL;
	c->skew = atomic_load(&process_skew);
	c->verbose = opts->verbose;
	c->allow_insecure_endpoint = opts->allow_insecure_endpoint;
	c->cancel = opts->http.cancel;
	c->deadline_ms = opts->http.deadline_ms;
	*out = c;
	return AL_OK;
}

void aws_client_free(struct aws_client *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	free(c);
}


/* ---- the call ------------------------------------------------------------- */

int aws_request_split_endpoint(const char *ep, struct aws_request_endpoint *p)
{
	memset(p, 0, sizeof(*p));
	const char *s = strstr(ep, "://");
	if (!s || s - ep >= (long)sizeof(p->scheme))
		return -1;
	memcpy(p->scheme, ep, (size_t)(s - ep));
	for (char *q = p->scheme; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	if (strcmp(p->scheme, "http") != 0 && strcmp(p->scheme, "https") != 0)
		return -1;
	s += 3;
	size_t alen = strcspn(s, "/?#");
	const char *auth = s;
	for (size_t i = 0; i < alen; i++)
		if (s[i] == '@') {
			auth = s + i + 1;
		}
	size_t hlen = alen - (size_t)(auth - s);
	if (hlen == 0 || hlen >= sizeof(p->host_header))
		return -1;
	memcpy(p->host_header, auth, hlen);
	p->host_header[hlen] = '\0';
	/* drop a default port, as botocore does */
	char *colon = strrchr(p->host_header, ':');
	char *bracket = strrchr(p->host_header, ']');
	if (colon && (!bracket || colon > bracket)) {
		const char *port = colon + 1;
		if (!*port || (strcmp(p->scheme, "https") == 0 && strcmp(port, "443") == 0) ||
		    (strcmp(p->scheme, "http") == 0 && strcmp(port, "80") == 0))
			*colon = '\0';
	}
	const char *rest = s + alen;
	if (*rest == '?' || *rest == '#')
		return -1;
	size_t plen = strlen(rest);
	while (plen && rest[plen - 1] == '/')
		plen--;
	if (plen >= sizeof(p->prefix))
		return -1;
	memcpy(p->prefix, rest, plen);
	p->prefix[plen] = '\0';
	return 0;
}

int aws_request_endpoint_insecure(const char *url)
{
	struct aws_request_endpoint ep;
	return url && aws_request_split_endpoint(url, &ep) == 0 && strcmp(ep.scheme, "http") == 0 &&
	       !http_url_is_loopback(url);
}

static int header_named(const struct http_header *h, const char *name)
{
	return h->name && strcasecmp(h->name, name) == 0;
}

/* Prints the canonical request (verbose >= 2) with sensitive header values
 * replaced. */
static void log_canonical(const char *op, const char *creq)
{
	fprintf(stderr, "authlog-scan: aws: %s canonical request:\n", op);
	for (const char *line = creq; *line;) {
		size_t n = strcspn(line, "\n");
		const char *colon = memchr(line, ':', n);
		char name[128];
		size_t nl = colon ? (size_t)(colon - line) : 0;
		if (colon && nl < sizeof(name)) {
			memcpy(name, line, nl);
			name[nl] = '\0';
		}
		if (colon && nl < sizeof(name) && http_header_is_sensitive(name))
			fprintf(stderr, "authlog-scan: aws:   %s:[redacted]\n", name);
		else
			fprintf(stderr, "authlog-scan: aws:   %.*s\n", (int)n, line);
		line += n;
		if (*line == '\n')
			line++;
	}
}


/* fault->kind and "OP: what" (one line) into err. */
static void set_error(struct aws_fault *f, enum aws_err_kind kind, const char *op, char *err, size_t err_sz,
		      const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void set_error(struct aws_fault *f, enum aws_err_kind kind, const char *op, char *err, size_t err_sz,
		      const char *fmt, ...)
{
	size_t max = err_sz < AWS_ERR_MAX ? err_sz : AWS_ERR_MAX;
	f->kind = kind;
	int n = snprintf(err, max, "%s: ", op);
	if (n < 0 || (size_t)n >= max)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + n, max - (size_t)n, fmt, ap);
	va_end(ap);
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

static const char *kind_retry_name(enum retry_class rc)
{
	switch (rc) {
	case RETRY_THROTTLING: return "throttling";
	case RETRY_TRANSIENT: return "transient error";
	case RETRY_TRANSPORT: return "transport error";
	case RETRY_SKEW: return "clock skew";
	default: return "no retry";
	}
}

/* What does not change between the attempts of one call. */
struct prepared {
	const char *op, *method;
	int sign, awsjson;
	struct aws_request_endpoint ep;
	struct buf full_path, url;
	const char *default_ctype;
	char invocation_id[37];
	struct http_header *hh;   /* Host + caller's + Content-Type + 3 signer headers + */
	struct sigv4_header *sh;  /* Authorization + 2 sdk headers */
	size_t cap;
	const char *secrets[3];
};

static void prepared_free(struct prepared *pr)
{
	free(pr->hh);
	free(pr->sh);
	buf_free(&pr->full_path);
	buf_free(&pr->url);
}

/* Checks the call and fills pr.  AL_OK, or a status with fault and err set. */
static int check_call(const struct aws_client *c, const struct aws_call *call,
		      const struct aws_credentials *creds, struct prepared *pr, struct aws_fault *f, char *err,
		      size_t err_sz)
{
	const char *op = pr->op;
	if (!c || !call || !call->endpoint) {
		set_error(f, AWS_ERR_OTHER, op, err, err_sz, "no endpoint");
		return AL_SOFTWARE;
	}
	pr->sign = !call->unsigned_request;
	if (pr->sign && (!creds || !creds->access_key_id || !*creds->access_key_id ||
			 !creds->secret_access_key || !*creds->secret_access_key)) {
		set_error(f, AWS_ERR_AUTH, op, err, err_sz, "no credentials to sign the request");
		return AL_CONFIG;
	}
	if (pr->sign && (!call->region || !*call->region || !call->service || !*call->service)) {
		set_error(f, AWS_ERR_OTHER, op, err, err_sz, "no signing region or service");
		return AL_SOFTWARE;
	}
	if (aws_request_split_endpoint(call->endpoint, &pr->ep) != 0) {
		set_error(f, AWS_ERR_OTHER, op, err, err_sz, "invalid endpoint URL");
		return AL_CONFIG;
	}
	if (pr->sign && !c->allow_insecure_endpoint && aws_request_endpoint_insecure(call->endpoint)) {
		set_error(f, AWS_ERR_OTHER, op, err, err_sz,
			  "refusing to send a signed request to http://%s: plain http to a host that is not "
			  "loopback carries the signature and the session token in clear (use https, or "
			  "--allow-insecure-endpoint)",
			  pr->ep.host_header);
		return AL_CONFIG;
	}
	pr->method = call->method && *call->method ? call->method : "POST";
	if (call->path && *call->path && call->path[0] != '/') {
		set_error(f, AWS_ERR_OTHER, op, err, err_sz, "path must start with '/'");
		return AL_SOFTWARE;
	}
	pr->secrets[0] = pr->sign && creds->secret_access_key ? creds->secret_access_key : "";
	pr->secrets[1] = pr->sign && creds->session_token ? creds->session_token : "";
	pr->secrets[2] = NULL;
	return AL_OK;
}

static int prepare(const struct aws_client *c, const struct aws_call *call, const struct aws_credentials *creds,
		   struct prepared *pr, struct aws_fault *f, char *err, size_t err_sz)
{
	int rc = check_call(c, call, creds, pr, f, err, err_sz);
	if (rc != AL_OK)
		return rc;
	const char *path = call->path && *call->path ? call->path : "/";
	buf_printf(&pr->full_path, "%s%s", pr->ep.prefix, path);
	/* the endpoint's userinfo, if any, is kept out of the URL we log: curl
	 * gets the host only, as AWS endpoints never carry credentials */
	buf_printf(&pr->url, "%s://%s%s", pr->ep.scheme, pr->ep.host_header, buf_str(&pr->full_path));
	if (call->query && *call->query)
		buf_printf(&pr->url, "?%s", call->query);

	int has_ctype = 0;
	for (size_t i = 0; i < call->nheaders; i++)
		has_ctype |= header_named(&call->headers[i], "content-type");
	pr->default_ctype = !has_ctype && strcmp(pr->method, "POST") == 0 ? "application/x-amz-json-1.1" : NULL;
	const char *ctype = pr->default_ctype;
	for (size_t i = 0; i < call->nheaders && !ctype; i++)
		if (header_named(&call->headers[i], "content-type"))
			ctype = call->headers[i].value;
	pr->awsjson = ctype && strncasecmp(ctype, "application/x-amz-json-", 23) == 0;

	if (aws_request_invocation_id(pr->invocation_id) != 0) {
		set_error(f, AWS_ERR_OTHER, pr->op, err, err_sz, "no random bytes for the invocation id");
		return AL_SOFTWARE;
	}
	pr->cap = call->nheaders + 8;
	pr->hh = calloc(pr->cap, sizeof(*pr->hh));
	pr->sh = calloc(pr->cap, sizeof(*pr->sh));
	if (!pr->hh || !pr->sh || pr->full_path.oom || pr->url.oom) {
		set_error(f, AWS_ERR_OTHER, pr->op, err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	return AL_OK;
}

/* Host, the caller's headers (minus what the signer owns) and the default
 * Content-Type into pr->hh (sent) and pr->sh (signed).  *nh, *ns. */
static void base_headers(const struct aws_call *call, struct prepared *pr, size_t *nh, size_t *ns)
{
	*nh = *ns = 0;
	pr->hh[(*nh)++] = (struct http_header){"Host", pr->ep.host_header};
	pr->sh[(*ns)++] = (struct sigv4_header){"Host", pr->ep.host_header};
	for (size_t i = 0; i < call->nheaders; i++) {
		const struct http_header *h = &call->headers[i];
		if (!h->name || header_named(h, "host"))
			continue;
		if (pr->sign && (header_named(h, "authorization") || header_named(h, "x-amz-date") ||
				 header_named(h, "x-amz-security-token")))
			continue;
		pr->hh[(*nh)++] = *h;
		if (strncasecmp(h->name, "amz-sdk-", 8) != 0)
			pr->sh[(*ns)++] = (struct sigv4_header){h->name, h->value ? h->value : ""};
	}
	if (pr->default_ctype) {
		pr->hh[(*nh)++] = (struct http_header){"Content-Type", pr->default_ctype};
		pr->sh[(*ns)++] = (struct sigv4_header){"Content-Type", pr->default_ctype};
	}
}

/* Signs the attempt at `when` and adds the signer's headers to pr->hh. */
static int sign(const struct aws_client *c, const struct aws_call *call, const struct aws_credentials *creds,
		struct prepared *pr, size_t *nh, size_t ns, time_t when, struct sigv4_result *sig,
		struct aws_fault *f, char *err, size_t err_sz)
{
	char why[160];
	struct sigv4_request sr = {0};
	sr.method = pr->method;
	sr.path = pr->full_path.data;
	sr.query = call->query;
	sr.headers = pr->sh;
	sr.n_headers = ns;
	sr.body = call->body;
	sr.body_len = call->body ? call->body_len : 0;
	sr.region = call->region;
	sr.service = call->service;
	sr.time = when;
	sr.normalize_path = 1;
	sr.mode = SIGV4_MODE_HEADER;
	struct sigv4_credentials sc = {creds->access_key_id, creds->secret_access_key, creds->session_token, 0};
	if (sigv4_sign(&sr, &sc, sig, why, sizeof why) != AL_OK) {
		set_error(f, AWS_ERR_OTHER, pr->op, err, err_sz, "cannot sign the request: %s", why);
		return AL_SOFTWARE;
	}
	for (size_t i = 0; i < sig->n_add_headers; i++)
		pr->hh[(*nh)++] = (struct http_header){sig->add_headers[i].name, sig->add_headers[i].value};
	pr->hh[(*nh)++] = (struct http_header){"Authorization", sig->authorization};
	if (c->verbose >= 2)
		log_canonical(pr->op, sig->canonical_request);
	return AL_OK;
}

/* One attempt on the wire.  AL_OK with *hr = http_perform's status (the
 * transport's reason in herr), or AL_SOFTWARE when it could not be signed. */
static int send_attempt(struct aws_client *c, const struct aws_call *call, const struct aws_credentials *creds,
			struct prepared *pr, int attempt, time_t local_now, struct http_response *out, int *hr,
			char *herr, size_t herr_sz, struct aws_fault *f, char *err, size_t err_sz)
{
	size_t nh, ns;
	char sdk_request[48];
	struct sigv4_result sig;
	memset(&sig, 0, sizeof(sig));
	base_headers(call, pr, &nh, &ns);
	if (pr->sign && sign(c, call, creds, pr, &nh, ns, local_now + c->skew, &sig, f, err, err_sz) != AL_OK) {
		sigv4_result_free(&sig);
		return AL_SOFTWARE;
	}
	snprintf(sdk_request, sizeof(sdk_request), "attempt=%d; max=%d", attempt, c->retry.max_attempts);
	pr->hh[nh++] = (struct http_header){"amz-sdk-invocation-id", pr->invocation_id};
	pr->hh[nh++] = (struct http_header){"amz-sdk-request", sdk_request};

	struct http_request req = {0};
	req.method = pr->method;
	req.url = pr->url.data;
	req.headers = pr->hh;
	req.nheaders = nh;
	req.body = call->body;
	req.body_len = call->body ? call->body_len : 0;
	req.finish_on_cancel = call->finish_on_cancel;
	*hr = http_perform(c->http, &req, out, herr, herr_sz);
	sigv4_result_free(&sig);
	memset(pr->hh, 0, pr->cap * sizeof(*pr->hh));
	return AL_OK;
}

/* A 2xx answer is a success unless the body is not what an awsJson
 * service sends (not JSON, or the Coral error envelope).  AL_OK, or a
 * status with fault and err set. */
static int check_success(const struct prepared *pr, const struct http_response *out, struct aws_fault *f,
			 char *err, size_t err_sz)
{
	if (!pr->awsjson || !out->body.len)
		return AL_OK;
	if (!aws_doc_json_valid(out->body.data, out->body.len)) {
		f->status = out->status;
		set_error(f, AWS_ERR_BAD_RESPONSE, pr->op, err, err_sz,
			  "the response is not valid JSON (HTTP %ld, %zu bytes)", out->status, out->body.len);
		return aws_error_status(f->kind);
	}
	if (out->body.len <= SMALL_BODY && aws_error_coral_trap(out->body.data, out->body.len)) {
		aws_error_decode(pr->op, out, NULL, pr->secrets, f, NULL, err, err_sz);
		return aws_error_status(f->kind);
	}
	return AL_OK;
}

/* A failed attempt (hr: http_perform's status): the fault, the message,
 * and the retry it deserves (*new_skew for RETRY_SKEW). */
static enum retry_class classify(const struct aws_client *c, const struct prepared *pr, int hr,
				 struct http_response *out, const char *herr, time_t local_now, int skew_retried,
				 long *new_skew, struct aws_fault *f, char *err, size_t err_sz)
{
	enum retry_class retry = RETRY_NO;
	if (hr == AL_OK) {
		struct buf raw = BUF_INIT;
		aws_error_decode(pr->op, out, NULL, pr->secrets, f, &raw, err, err_sz);
		if (aws_error_is_throttling(f->code, out->status))
			retry = RETRY_THROTTLING;
		else if (aws_error_is_transient(f->code, out->status))
			retry = RETRY_TRANSIENT;
		else if (!skew_retried &&
			 aws_retry_skew_correction(f->code, buf_str(&raw), out, c->skew, local_now, new_skew))
			retry = RETRY_SKEW;
		buf_free(&raw);
		aws_error_scrub(&out->body, pr->secrets);
		return retry;
	}
	enum http_fail hf = out->fail;
	enum aws_err_kind kind = hf == HTTP_FAIL_TOO_LARGE ? AWS_ERR_BAD_RESPONSE
				 : hf == HTTP_FAIL_OTHER ? AWS_ERR_OTHER : AWS_ERR_TRANSPORT;
	set_error(f, kind, pr->op, err, err_sz, "%s", herr);
	if ((hf == HTTP_FAIL_CONNECT || hf == HTTP_FAIL_TIMEOUT || hf == HTTP_FAIL_RESET) && !cancelled(c))
		retry = RETRY_TRANSPORT;
	return retry;
}

/* The call gives up (no attempts or no quota left): extra goes into the
 * message, "(HTTP 503, 3 attempts)" or "... (3 attempts)". */
static void give_up(const struct prepared *pr, int hr, const struct http_response *out, const char *extra,
		    struct aws_fault *f, char *err, size_t err_sz)
{
	size_t max = err_sz < AWS_ERR_MAX ? err_sz : AWS_ERR_MAX;
	if (hr == AL_OK) {
		aws_error_decode(pr->op, out, extra, pr->secrets, f, NULL, err, err_sz);
	} else if (strlen(err) + strlen(extra) + 4 < max) {
		strcat(err, " (");
		strcat(err, extra);
		strcat(err, ")");
	}
}

static void warn_skew(struct aws_client *c, const char *op, const struct aws_fault *f, long new_skew)
{
	long delta = new_skew - c->skew;
	fprintf(stderr,
		"authlog-scan: warning: the local clock is %ld s %s the AWS clock (Date "
		"header of a %s %s); signing again with the corrected time\n",
		delta < 0 ? -delta : delta, delta > 0 ? "behind" : "ahead of", op, f->code);
	c->skew = new_skew;
	atomic_store(&process_skew, new_skew);
}

/* The attempts of one call; see the top of this file. */
static int attempts(struct aws_client *c, const struct aws_call *call, const struct aws_credentials *creds,
		    struct prepared *pr, struct http_response *out, struct aws_fault *f, char *err, size_t err_sz)
{
	int max = c->retry.max_attempts, skew_retried = 0, last_cost = 0, hr;
	char herr[256];
	for (int attempt = 1;; attempt++) {
		http_response_free(out);
		memset(f, 0, sizeof(*f));
		err[0] = '\0';
		f->attempts = attempt;
		time_t local_now = time(NULL);
		if (send_attempt(c, call, creds, pr, attempt, local_now, out, &hr, herr, sizeof(herr), f, err,
				 err_sz) != AL_OK)
			return AL_SOFTWARE;
		if (hr == AL_OK && out->status >= 200 && out->status <= 299) {
			int rc = check_success(pr, out, f, err, err_sz);
			if (rc == AL_OK) {
				aws_retry_quota_release(&c->quota, last_cost ? last_cost : AWS_RETRY_NO_RETRY_INCREMENT);
				f->status = out->status;
				if (c->verbose)
					fprintf(stderr, "authlog-scan: aws: %s attempt %d/%d: HTTP %ld (%.1f ms)\n",
						pr->op, attempt, max, out->status, out->seconds * 1000.0);
			}
			return rc;
		}
		long new_skew = 0;
		enum retry_class retry = classify(c, pr, hr, out, herr, local_now, skew_retried, &new_skew, f, err,
						  err_sz);
		if (c->verbose)
			fprintf(stderr, "authlog-scan: aws: %s attempt %d/%d failed: %s\n", pr->op, attempt, max,
				err);
		if (retry == RETRY_NO || cancelled(c))
			return aws_error_status(f->kind);
		if (attempt >= max) {
			char extra[64];
			snprintf(extra, sizeof(extra), "%d attempts", attempt);
			give_up(pr, hr, out, extra, f, err, err_sz);
			f->attempts = attempt;
			return aws_error_status(f->kind);
		}
		if (retry == RETRY_SKEW) {
			warn_skew(c, pr->op, f, new_skew);
			skew_retried = 1;
			continue;
		}
		int cost = retry == RETRY_TRANSPORT ? AWS_RETRY_COST_TIMEOUT : AWS_RETRY_COST;
		if (!aws_retry_quota_acquire(&c->quota, cost)) {
			give_up(pr, hr, out, "retry quota exhausted", f, err, err_sz);
			f->attempts = attempt;
			if (c->verbose)
				fprintf(stderr, "authlog-scan: aws: %s: retry quota exhausted (%d left)\n", pr->op,
					c->quota);
			return aws_error_status(f->kind);
		}
		last_cost = cost;
		long delay = aws_retry_backoff_ms(&c->retry, attempt, retry == RETRY_THROTTLING, aws_request_rand(),
						  hr == AL_OK ? out->retry_after_ms : 0);
		if (c->deadline_ms > 0 && time_mono_ms() + delay >= c->deadline_ms) {
			give_up(pr, hr, out, "the run's time limit is reached", f, err, err_sz);
			return aws_error_status(f->kind);
		}
		if (c->verbose)
			fprintf(stderr, "authlog-scan: aws: %s: %s, retrying in %ld ms (quota %d)\n", pr->op,
				kind_retry_name(retry), delay, c->quota);
		if (!sleep_ms(c, delay))
			return aws_error_status(f->kind);
	}
}

int aws_request(struct aws_client *c, const struct aws_call *call, const struct aws_credentials *creds,
		struct http_response *out, struct aws_fault *fault, char *err, size_t err_sz)
{
	struct aws_fault local;
	char tmp[AWS_ERR_MAX];
	struct prepared pr;
	if (!fault)
		fault = &local;
	if (!err || !err_sz) {
		err = tmp;
		err_sz = sizeof(tmp);
	}
	memset(fault, 0, sizeof(*fault));
	memset(out, 0, sizeof(*out));
	memset(&pr, 0, sizeof(pr));
	err[0] = '\0';
	pr.op = call && call->operation && *call->operation ? call->operation : "request";
	int rc = prepare(c, call, creds, &pr, fault, err, err_sz);
	if (rc == AL_OK)
		rc = attempts(c, call, creds, &pr, out, fault, err, err_sz);
	if (rc == AL_OK)
		fault->kind = AWS_ERR_NONE;
	prepared_free(&pr);
	return rc;
}

int aws_client_opts_from_config(const struct aws_config *cfg, const char *profile, struct aws_client_opts *out,
				char *err, size_t err_sz)
{
	memset(out, 0, sizeof(*out));
	out->http.ca_bundle = aws_config_setting(cfg, profile, "AWS_CA_BUNDLE", "ca_bundle");
	const char *ma = aws_config_setting(cfg, profile, "AWS_MAX_ATTEMPTS", "max_attempts");
	if (ma) {
		char *end;
		long n = strtol(ma, &end, 10);
		if (*end || n < 1 || n > 20) {
			msg_set(err, err_sz, "max_attempts '%s' must be a number from 1 to 20", ma);
			return AL_CONFIG;
		}
		out->retry.max_attempts = (int)n;
	}
	return AL_OK;
}

static int is_expired_token(const struct aws_fault *f)
{
	return f->kind == AWS_ERR_AUTH &&
	       (strcmp(f->code, "ExpiredTokenException") == 0 || strcmp(f->code, "ExpiredToken") == 0 ||
		strcmp(f->code, "RequestExpired") == 0);
}

static void log_call(const char *op, int rc, const struct http_response *resp, const struct aws_fault *f,
		     const char *err)
{
	if (rc == AL_OK)
		fprintf(stderr, "authlog-scan: aws: %s: HTTP %ld, %.1f ms, %d attempt%s%s%s\n", op, resp->status,
			resp->seconds * 1000, f->attempts, f->attempts == 1 ? "" : "s",
			resp->request_id ? ", request id " : "", resp->request_id ? resp->request_id : "");
	else
		fprintf(stderr, "authlog-scan: aws: %s: %s (%d attempt%s)\n", op, err, f->attempts,
			f->attempts == 1 ? "" : "s");
}

int aws_request_target(struct aws_client *c, const struct aws_target *t, const struct aws_call *call,
		       struct http_response *resp, struct aws_fault *f, char *err, size_t err_sz)
{
	struct aws_call ac = *call;
	struct aws_credentials creds = {0};
	char why[512];
	int rc;
	ac.endpoint = t->endpoint;
	ac.region = t->region;
	memset(resp, 0, sizeof(*resp));
	memset(f, 0, sizeof(*f));
	for (int refreshed = 0;; refreshed = 1) {
		const struct aws_credentials *use = t->static_creds;
		if (t->creds) {
			rc = aws_creds_get(t->creds, &creds, why, sizeof(why));
			if (rc)
				return aws_error_fail(f, AWS_ERR_AUTH, rc, ac.operation, err, err_sz, "%s", why);
			use = &creds;
		}
		http_response_free(resp);
		rc = aws_request(c, &ac, use, resp, f, err, err_sz);
		aws_credentials_clear(&creds);
		if (t->verbose)
			log_call(ac.operation, rc, resp, f, err);
		if (rc == AL_OK || refreshed || !t->creds || !is_expired_token(f))
			return rc;
		if (aws_creds_refresh(t->creds, why, sizeof(why)) != AL_OK)
			return rc; /* keys that cannot be refreshed: the answer stands */
	}
}
