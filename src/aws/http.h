/* HTTP over libcurl: one reused easy handle per client (keep-alive), so a
 * worker thread owns one client. Timeouts, CA bundle, proxies (libcurl's
 * HTTPS_PROXY / NO_PROXY handling) and a capped response body. TLS peer and
 * host verification are always on, except for loopback hosts when the
 * caller explicitly asks (tests against 127.0.0.1). */
#ifndef AUTHLOG_HTTP_H
#define AUTHLOG_HTTP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Why no response arrived: what the retry logic decides on. */
enum http_fail {
	HTTP_FAIL_NONE = 0,  /* a response arrived (any status) */
	HTTP_FAIL_CONNECT,   /* DNS, refused, unreachable */
	HTTP_FAIL_TIMEOUT,   /* connect or transfer timeout */
	HTTP_FAIL_RESET,     /* connection reset / closed mid-response (retryable) */
	HTTP_FAIL_TLS,       /* certificate or handshake failure (not retried) */
	HTTP_FAIL_TOO_LARGE, /* body over max_body */
	HTTP_FAIL_CANCELLED, /* the cancel flag was set: aborted at once, never retried */
	HTTP_FAIL_OTHER,     /* out of memory, a bad request, any other libcurl error */
};

struct http_header {
	const char *name, *value;
};

struct http_opts {
	const char *user_agent;      /* "authlog-scan/VERSION" when NULL */
	const char *ca_bundle;       /* AWS_CA_BUNDLE / ca_bundle, or NULL */
	/* PEM certificates to trust instead of ca_bundle and the system's
	 * (a Kubernetes cluster's own CA); not copied: they must outlive the
	 * client. NULL: ca_bundle or the system's. */
	const char *ca_pem;
	size_t ca_pem_len;
	long connect_timeout_ms;     /* default 3100 (SDK default) */
	long timeout_ms;             /* whole transfer; default 60000 */
	size_t max_body;             /* default 64 MiB */
	int insecure_loopback;       /* allow TLS verification off, loopback only */
	int verbose;                 /* log method, URL, status, latency to stderr (never secrets) */
	/* A signal handler's flag (lock-free, so it may be read here): once
	 * nonzero, a transfer in progress is aborted within about a second
	 * and none starts. NULL: never. */
	const atomic_int *cancel;
	/* time_mono_ms() after which no transfer may run (a run's deadline):
	 * every transfer's timeout is cut to what is left. 0: none. */
	int64_t deadline_ms;
};

struct http_request {
	const char *method; /* GET, PUT, POST */
	const char *url;
	const struct http_header *headers;
	size_t nheaders;
	const char *body;
	size_t body_len;
	long timeout_ms;    /* per request override, 0 = client default (IMDS uses 1000) */
	int finish_on_cancel; /* once started, not aborted by the cancel flag (aws_call's) */
};

struct http_response {
	long status;
	struct buf body;
	char *date;        /* Date header, for clock-skew correction */
	char *error_type;  /* x-amzn-ErrorType */
	char *request_id;  /* x-amzn-RequestId / x-amz-request-id */
	double seconds;    /* total time */
	long retry_after_ms; /* x-amz-retry-after (ms), 0 when absent */
	enum http_fail fail; /* HTTP_FAIL_NONE when status is set */
};

struct http_client;

/* AL_OK, or AL_SOFTWARE (libcurl cannot start, out of memory). */
int http_client_new(const struct http_opts *opts, struct http_client **out);
void http_client_free(struct http_client *c);
/* Performs one request (no retries here).  AL_OK when a response arrived
 * (any status); otherwise AL_UNAVAILABLE (AL_SOFTWARE for out-of-memory or
 * a malformed request) with out->fail saying why and a one-line reason in
 * err.  out is reset first and must be freed with http_response_free
 * (which wipes the body) whatever the result. */
int http_perform(struct http_client *c, const struct http_request *req, struct http_response *out,
		 char *err, size_t err_sz);
void http_response_free(struct http_response *r);
/* 1 if the URL's host is 127.0.0.0/8, ::1 or localhost. */
int http_url_is_loopback(const char *url);
/* 1 for headers whose values are never printed: Authorization (SigV4 and
 * the container credentials token), Proxy-Authorization,
 * X-Amz-Security-Token, x-amz-sso_bearer_token, X-aws-ec2-metadata-token,
 * Cookie, Set-Cookie (any case). */
int http_header_is_sensitive(const char *name);
/* value, or "[redacted]" when the header is sensitive: what -v prints. */
const char *http_header_display_value(const char *name, const char *value);

#endif
