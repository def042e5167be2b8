/* HTTP over libcurl; see http.h for the contract.
 *
 * One easy handle per client.  Before every request the handle is
 * curl_easy_reset() and configured again: reset drops the options of the
 * previous request (a CUSTOMREQUEST or a POSTFIELDS pointer must not leak
 * into the next one) but keeps the connection cache, so keep-alive works.
 *
 * Secrets: the header lines we hand to libcurl (Authorization, the session
 * token, IMDS / SSO / container tokens) and response bodies (which carry
 * credentials for STS, IMDS, SSO and container calls) are wiped with
 * OPENSSL_cleanse before they are freed.  libcurl's own internal buffers are
 * out of our reach. */
#include "http.h"

#include "aws_secret.h"
#include "config.h"
#include "status.h"
#include "timeutil.h"

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_DEFAULT_CONNECT_TIMEOUT_MS 3100L
#define HTTP_DEFAULT_TIMEOUT_MS 60000L
#define HTTP_DEFAULT_MAX_BODY ((size_t)64 * 1024 * 1024)
#define HTTP_MAX_HEADER_VALUE 1024

struct http_client {
	CURL *curl;
	char *user_agent;
	char *ca_bundle;
	const char *ca_pem;
	size_t ca_pem_len;
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_body;
	int insecure_loopback;
	int verbose;
	const atomic_int *cancel;
	int64_t deadline_ms;
};

/* State of one transfer, seen by the write, header and progress callbacks. */
struct xfer {
	struct http_response *resp;
	size_t max_body;
	const atomic_int *cancel;
	int too_large;
	int oom;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_cleanup(void)
{
	curl_global_cleanup();
}

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (global_rc == CURLE_OK)
		atexit(global_cleanup);
}

/* ---- small helpers ------------------------------------------------------ */

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Names whose values are never printed (compared case-insensitively). */
static const char *const sensitive_headers[] = {
	"authorization",            /* SigV4, and the container credentials token */
	"proxy-authorization",
	"x-amz-security-token",     /* session token */
	"x-amz-sso_bearer_token",   /* SSO portal */
	"x-aws-ec2-metadata-token", /* IMDSv2 token */
	"cookie",
	"set-cookie",
	NULL,
};

int http_header_is_sensitive(const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; sensitive_headers[i]; i++)
		if (strcasecmp(name, sensitive_headers[i]) == 0)
			return 1;
	return 0;
}

const char *http_header_display_value(const char *name, const char *value)
{
	if (http_header_is_sensitive(name))
		return "[redacted]";
	return value ? value : "";
}

/* Host part of a URL: after "scheme://" and any "userinfo@", up to the
 * port, path, query or fragment; brackets of an IPv6 literal removed.
 * Returns the length written to host, or -1. */
static int url_host(const char *url, char *host, size_t host_sz)
{
	const char *p = strstr(url, "://");
	if (!p)
		return -1;
	p += 3;
	size_t auth_len = strcspn(p, "/?#");
	/* the last '@' of the authority ends any userinfo */
	for (size_t i = auth_len; i > 0; i--) {
		if (p[i - 1] == '@') {
			p += i;
			auth_len -= i;
			break;
		}
	}
	const char *start = p, *end;
	if (*p == '[') {
		const char *close = memchr(p, ']', auth_len);
		if (!close)
			return -1;
		start = p + 1;
		end = close;
	} else {
		end = p + strcspn(p, ":/?#");
		if (end > p + auth_len)
			end = p + auth_len;
	}
	size_t n = (size_t)(end - start);
	if (n == 0 || n >= host_sz)
		return -1;
	memcpy(host, start, n);
	host[n] = '\0';
	return (int)n;
}

int http_url_is_loopback(const char *url)
{
	char host[256];
	if (!url || url_host(url, host, sizeof(host)) < 0)
		return 0;
	size_t n = strlen(host);
	if (n && host[n - 1] == '.')
		host[--n] = '\0';
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	unsigned char a[16];
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1) {
		static const unsigned char v6_loop[16] = {0, 0, 0, 0, 0, 0, 0, 0,
							  0, 0, 0, 0, 0, 0, 0, 1};
		static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0,
							    0, 0, 0xff, 0xff};
		if (memcmp(a, v6_loop, 16) == 0)
			return 1;
		if (memcmp(a, v4_mapped, 12) == 0 && a[12] == 127)
			return 1;
	}
	return 0;
}

/* The URL for logs: userinfo (if any) replaced by "[redacted]". */
static void url_for_log(const char *url, char *out, size_t out_sz)
{
	const char *p = strstr(url, "://");
	const char *at = NULL;
	if (p) {
		size_t auth_len = strcspn(p + 3, "/?#");
		for (size_t i = 0; i < auth_len; i++)
			if (p[3 + i] == '@')
				at = p + 3 + i;
	}
	if (at)
		snprintf(out, out_sz, "%.*s[redacted]%s", (int)(p + 3 - url), url, at);
	else
		snprintf(out, out_sz, "%s", url);
}

/* ---- client ------------------------------------------------------------- */

int http_client_new(const struct http_opts *opts, struct http_client **out)
{
	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return AL_SOFTWARE;
	struct http_client *c = calloc(1, sizeof(*c));
	if (!c)
		return AL_SOFTWARE;
	struct http_opts none = {0};
	if (!opts)
		opts = &none;
	c->user_agent = xstrdup(opts->user_agent ? opts->user_agent : "authlog-scan/" AUTHLOG_VERSION);
	c->ca_bundle = xstrdup(opts->ca_bundle && *opts->ca_bundle ? opts->ca_bundle : NULL);
	c->ca_pem = opts->ca_pem;
	c->ca_pem_len = opts->ca_pem_len;
	c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
							     : HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
	c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	c->max_body = opts->max_body > 0 ? opts->max_body : HTTP_DEFAULT_MAX_BODY;
	c->insecure_loopback = opts->insecure_loopback;
	c->verbose = opts->verbose;
	c->cancel = opts->cancel;
	c->deadline_ms = opts->deadline_ms;
	c->curl = curl_easy_init();
	if (!c->user_agent || (opts->ca_bundle && *opts->ca_bundle && !c->ca_bundle) || !c->curl) {
		http_client_free(c);
		return AL_SOFTWARE;
	}
	*out = c;
	return AL_OK;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->user_agent);
	free(c->ca_bundle);
	free(c);
}

void http_response_free(struct http_response *r)
{
	if (!r)
		return;
	aws_secret_buf_free(&r->body);
	free(r->date);
	free(r->error_type);
	free(r->request_id);
	memset(r, 0, sizeof(*r));
}

/* ---- callbacks ---------------------------------------------------------- */

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	struct buf *b = &x->resp->body;
	size_t n = size * nmemb;
	if (n > x->max_body || b->len > x->max_body - n) {
		x->too_large = 1;
		return 0;
	}
	if (aws_secret_buf_append(b, data, n) != 0) {
		x->oom = 1;
		return 0;
	}
	return n;
}

static int set_header_copy(char **slot, const char *v, size_t n)
{
	if (n > HTTP_MAX_HEADER_VALUE)
		n = HTTP_MAX_HEADER_VALUE;
	char *s = malloc(n + 1);
	if (!s)
		return -1;
	memcpy(s, v, n);
	s[n] = '\0';
	free(*slot);
	*slot = s;
	return 0;
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	struct http_response *r = x->resp;
	size_t n = size * nmemb;
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* A new header block (after a 100 Continue, say): forget the
		 * previous one's values. */
		free(r->date);
		free(r->error_type);
		free(r->request_id);
		r->date = r->error_type = r->request_id = NULL;
		r->retry_after_ms = 0;
		return n;
	}
	const char *colon = memchr(data, ':', n);
	if (!colon)
		return n;
	size_t name_len = (size_t)(colon - data);
	const char *v = colon + 1, *end = data + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	size_t vlen = (size_t)(end - v);
#define IS(name) (name_len == sizeof(name) - 1 && strncasecmp(data, name, name_len) == 0)
	int rc = 0;
	if (IS("date"))
		rc = set_header_copy(&r->date, v, vlen);
	else if (IS("x-amzn-errortype"))
		rc = set_header_copy(&r->error_type, v, vlen);
	else if (IS("x-amzn-requestid") || IS("x-amz-request-id"))
		rc = set_header_copy(&r->request_id, v, vlen);
	else if (IS("x-amz-retry-after")) {
		char tmp[24];
		if (vlen < sizeof(tmp)) {
			memcpy(tmp, v, vlen);
			tmp[vlen] = '\0';
			char *e;
			long ms = strtol(tmp, &e, 10);
			if (e != tmp && *e == '\0' && ms > 0)
				r->retry_after_ms = ms;
		}
	}
#undef IS
	if (rc) {
		x->oom = 1;
		return 0;
	}
	return n;
}

/* libcurl calls this many times a second while data moves and about once
 * a second while a server keeps silent: a signal ends even a hung
 * transfer within a second (CURLE_ABORTED_BY_CALLBACK).
 * https://curl.se/libcurl/c/CURLOPT_XFERINFOFUNCTION.html */
static int xferinfo_cb(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	const struct xfer *x = userp;
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return x->cancel && atomic_load(x->cancel) ? 1 : 0;
}

/* ---- request ------------------------------------------------------------ */

static void slist_wipe_free(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		if (p->data)
			OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static int valid_header(const struct http_header *h)
{
	if (!h->name || !*h->name)
		return 0;
	for (const char *p = h->name; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == ':' || (unsigned char)*p >= 0x7f)
			return 0;
	for (const char *p = h->value ? h->value : ""; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\0')
			return 0;
	return 1;
}

/* Appends "Name: value" (or "Name;" for an empty value, libcurl's way to
 * send an empty header) to *l.  The formatted line is wiped right away:
 * curl_slist_append keeps its own copy. */
static int slist_add(struct curl_slist **l, const char *name, const char *value)
{
	struct buf line = BUF_INIT;
	if (value && *value)
		buf_printf(&line, "%s: %s", name, value);
	else
		buf_printf(&line, "%s;", name);
	struct curl_slist *n = line.oom ? NULL : curl_slist_append(*l, line.data);
	aws_secret_buf_free(&line);
	if (!n)
		return -1;
	*l = n;
	return 0;
}

static enum http_fail map_curl_error(CURLcode rc, const struct xfer *x)
{
	switch (rc) {
	case CURLE_OK:
		return HTTP_FAIL_NONE;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTP_FAIL_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_FAIL_TIMEOUT;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return HTTP_FAIL_RESET;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		return HTTP_FAIL_TLS;
	case CURLE_FILESIZE_EXCEEDED: /* Content-Length over max_body */
		return HTTP_FAIL_TOO_LARGE;
	case CURLE_ABORTED_BY_CALLBACK:
		return HTTP_FAIL_CANCELLED;
	case CURLE_WRITE_ERROR:
		if (x->too_large)
			return HTTP_FAIL_TOO_LARGE;
		return HTTP_FAIL_OTHER;
	default:
		return HTTP_FAIL_OTHER;
	}
}

static const char *fail_name(enum http_fail r)
{
	switch (r) {
	case HTTP_FAIL_NONE: return "ok";
	case HTTP_FAIL_CONNECT: return "connect error";
	case HTTP_FAIL_TIMEOUT: return "timeout";
	case HTTP_FAIL_RESET: return "connection reset";
	case HTTP_FAIL_TLS: return "TLS error";
	case HTTP_FAIL_TOO_LARGE: return "response too large";
	case HTTP_FAIL_CANCELLED: return "interrupted";
	default: return "HTTP error";
	}
}

/* The request's headers as a curl list (values wiped when freed), plus
 * "Expect:" and an empty Content-Type unless given: no 100-continue round
 * trip, no form-urlencoded type libcurl would add to any body. */
static int build_headers(const struct http_request *req, const char *method, struct curl_slist **out,
			 char *err, size_t err_sz)
{
	struct curl_slist *hdrs = NULL;
	int have_ctype = 0, have_expect = 0;
	*out = NULL;
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct http_header *hd = &req->headers[i];
		if (!valid_header(hd)) {
			slist_wipe_free(hdrs);
			snprintf(err, err_sz, "invalid header %s",
				 hd->name && strlen(hd->name) < 64 ? hd->name : "(name)");
			return AL_SOFTWARE;
		}
		have_ctype |= strcasecmp(hd->name, "content-type") == 0;
		have_expect |= strcasecmp(hd->name, "expect") == 0;
		if (slist_add(&hdrs, hd->name, hd->value))
			goto oom;
	}
	if (!have_expect) {
		struct curl_slist *n = curl_slist_append(hdrs, "Expect:");
		if (!n)
			goto oom;
		hdrs = n;
	}
	if (!have_ctype && strcmp(method, "GET") != 0) {
		struct curl_slist *n = curl_slist_append(hdrs, "Content-Type:");
		if (!n)
			goto oom;
		hdrs = n;
	}
	*out = hdrs;
	return AL_OK;
oom:
	slist_wipe_free(hdrs);
	snprintf(err, err_sz, "out of memory");
	return AL_SOFTWARE;
}

/* timeout: the request's, else the client's, cut to what is left before
 * the deadline. */
static void set_options(struct http_client *c, const struct http_request *req, const char *method,
			struct curl_slist *hdrs, struct xfer *x, long timeout, char *errbuf)
{
	CURL *h = c->curl;
	long connect_timeout = c->connect_timeout_ms < timeout ? c->connect_timeout_ms : timeout;
	int verify = !(c->insecure_loopback && http_url_is_loopback(req->url));

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	if (x->cancel) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
	if (c->ca_pem) {
		/* Only these: no bundle, and no CA directory libcurl may have
		 * been built with (https://curl.se/libcurl/c/CURLOPT_CAINFO_BLOB.html). */
		struct curl_blob blob = {(void *)c->ca_pem, c->ca_pem_len, CURL_BLOB_COPY};
		curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	} else if (c->ca_bundle) {
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_bundle);
	}
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body_len ? req->body : "");
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
}

/* What the transfer's outcome was: out->fail and a one-line err. */
static enum http_fail outcome(struct http_client *c, CURLcode rc, const struct xfer *x, const char *errbuf,
			      struct http_response *out, char *err, size_t err_sz)
{
	enum http_fail fail;
	if (x->oom) {
		snprintf(err, err_sz, "out of memory");
		return HTTP_FAIL_OTHER;
	}
	fail = map_curl_error(rc, x);
	if (fail == HTTP_FAIL_TOO_LARGE)
		snprintf(err, err_sz, "response body over %zu bytes", c->max_body);
	else if (fail != HTTP_FAIL_NONE)
		snprintf(err, err_sz, "%s: %s", fail_name(fail), errbuf[0] ? errbuf : curl_easy_strerror(rc));
	for (char *p = err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (fail == HTTP_FAIL_NONE) {
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &out->status);
		if (!out->body.data && buf_puts(&out->body, "") != 0) {
			snprintf(err, err_sz, "out of memory");
			return HTTP_FAIL_OTHER;
		}
	}
	return fail;
}

int http_perform(struct http_client *c, const struct http_request *req, struct http_response *out,
		 char *err, size_t err_sz)
{
	char dummy[1], logurl[512], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs;
	if (!err || err_sz == 0) {
		err = dummy;
		err_sz = sizeof(dummy);
	}
	err[0] = '\0';
	memset(out, 0, sizeof(*out));
	out->fail = HTTP_FAIL_OTHER;
	if (!c || !req || !req->url || !*req->url) {
		snprintf(err, err_sz, "invalid request");
		return AL_SOFTWARE;
	}
	const char *method = req->method && *req->method ? req->method : "GET";
	for (const char *p = method; *p; p++)
		if (*p < 'A' || *p > 'Z') {
			snprintf(err, err_sz, "invalid method");
			return AL_SOFTWARE;
		}
	long timeout = req->timeout_ms > 0 ? req->timeout_ms : c->timeout_ms;
	if (c->cancel && atomic_load(c->cancel)) {
		out->fail = HTTP_FAIL_CANCELLED;
		snprintf(err, err_sz, "%s", fail_name(out->fail));
		return AL_UNAVAILABLE;
	}
	if (c->deadline_ms > 0) {
		int64_t left = c->deadline_ms - time_mono_ms();
		if (left <= 0) {
			out->fail = HTTP_FAIL_TIMEOUT;
			snprintf(err, err_sz, "%s: the run's time limit is reached", fail_name(out->fail));
			return AL_UNAVAILABLE;
		}
		if (left < timeout)
			timeout = (long)left;
	}
	if (build_headers(req, method, &hdrs, err, err_sz) != AL_OK)
		return AL_SOFTWARE;
	struct xfer x = {out, c->max_body, req->finish_on_cancel ? NULL : c->cancel, 0, 0};
	set_options(c, req, method, hdrs, &x, timeout, errbuf);
	if (c->verbose) {
		url_for_log(req->url, logurl, sizeof(logurl));
		fprintf(stderr, "authlog-scan: http: > %s %s\n", method, logurl);
		for (size_t i = 0; i < req->nheaders; i++)
			fprintf(stderr, "authlog-scan: http: >   %s: %s\n", req->headers[i].name,
				http_header_display_value(req->headers[i].name, req->headers[i].value));
	}

	CURLcode rc = curl_easy_perform(c->curl);
	slist_wipe_free(hdrs);
	/* the handle keeps pointers to our stack: drop them */
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);

	double secs = 0;
	curl_easy_getinfo(c->curl, CURLINFO_TOTAL_TIME, &secs);
	out->seconds = secs;
	out->fail = outcome(c, rc, &x, errbuf, out, err, err_sz);
	if (c->verbose) {
		if (out->fail == HTTP_FAIL_NONE)
			fprintf(stderr, "authlog-scan: http: < %ld %s %s (%zu bytes, %.1f ms%s%s)\n",
				out->status, method, logurl, out->body.len, secs * 1000.0,
				out->request_id ? ", request id " : "",
				out->request_id ? out->request_id : "");
		else
			fprintf(stderr, "authlog-scan: http: < %s %s: %s (%.1f ms)\n", method, logurl,
				err, secs * 1000.0);
	}
	if (out->fail == HTTP_FAIL_NONE)
		return AL_OK;
	return x.oom ? AL_SOFTWARE : AL_UNAVAILABLE;
}
