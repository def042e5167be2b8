/* One AWS API call done the way an SDK does it: resolve nothing here
 * (endpoint, region and credentials come in), sign with SigV4, add the
 * standard headers, retry in the standard mode (max attempts, full-jitter
 * exponential backoff capped at 20 s, retry-quota token bucket, one
 * clock-skew correction), decode error bodies into a code and a one-line
 * message naming the operation. */
#ifndef AUTHLOG_AWS_REQUEST_H
#define AUTHLOG_AWS_REQUEST_H

#include <stdint.h>

#include "aws_creds.h"
#include "http.h"

enum aws_err_kind {
	AWS_ERR_NONE = 0,
	AWS_ERR_THROTTLING,    /* ThrottlingException, TooManyRequestsException, RequestLimitExceeded, ... */
	AWS_ERR_LIMIT,         /* LimitExceededException (Logs concurrent-query quota) */
	AWS_ERR_ACCESS_DENIED, /* AccessDenied*, UnauthorizedOperation, 403 */
	AWS_ERR_AUTH,          /* InvalidSignatureException, InvalidClientTokenId, ExpiredToken, UnrecognizedClient */
	AWS_ERR_VALIDATION,    /* ValidationException, InvalidParameterException, MalformedQueryException, 400 */
	AWS_ERR_NOT_FOUND,     /* ResourceNotFoundException */
	AWS_ERR_SERVER,        /* 5xx, ServiceUnavailable, InternalFailure */
	AWS_ERR_TRANSPORT,     /* connect/timeout/reset after retries */
	AWS_ERR_BAD_RESPONSE,  /* unparsable or unexpected body */
	AWS_ERR_OTHER,
};

struct aws_error {
	enum aws_err_kind kind;
	long status;          /* HTTP status, 0 if none */
	char code[128];       /* __type without "prefix#", or x-amzn-ErrorType, or STS Error.Code */
	char message[512];    /* one line: "StartQuery: AccessDeniedException: User ... (HTTP 400)" */
	int attempts;
};

struct aws_retry_opts {
	int max_attempts;     /* AWS_MAX_ATTEMPTS / max_attempts; default 3 */
	long max_backoff_ms;  /* 20000 */
	long base_ms;         /* 0: 1000 for throttling, 50 otherwise (conventions doc 4.3,
				 botocore's next-generation scales); > 0 replaces both */
};

/* A client per worker: one http_client (keep-alive), a retry quota shared
 * by the calls of that client, the clock-skew offset learned so far. */
struct aws_client;

struct aws_client_opts {
	struct http_opts http;
	struct aws_retry_opts retry;
	int verbose;          /* log operation, status, latency, attempts (never secrets) */
};

int aws_client_new(const struct aws_client_opts *opts, struct aws_client **out);

struct aws_config;
/* Zeroes *out and fills what the environment or the profile sets:
 * AWS_CA_BUNDLE / ca_bundle, AWS_MAX_ATTEMPTS / max_attempts (1-20).
 * 0, or -1 with err naming the bad value. */
int aws_client_opts_from_config(const struct aws_config *cfg, const char *profile, struct aws_client_opts *out,
				char *err, size_t err_sz);
void aws_client_free(struct aws_client *c);

/* The protocol-specific part of a call. */
struct aws_call {
	const char *operation;      /* "StartQuery", "GetCallerIdentity" (for messages and retries) */
	const char *endpoint;       /* "https://logs.eu-west-1.amazonaws.com" (scheme://host[:port]) */
	const char *region;         /* signing region */
	const char *service;        /* signing name: "logs", "sts", "sso" ... */
	const char *method;         /* "POST" default */
	const char *path;           /* "/" default */
	const char *query;          /* raw query or NULL */
	const struct http_header *headers; /* extra headers, e.g. X-Amz-Target, Content-Type, Accept */
	size_t nheaders;
	const char *body;
	size_t body_len;
	int unsigned_request;       /* SSO portal / IMDS style calls: no SigV4 */
};

/* Returns AL_OK with *out holding a 2xx response, or an al_status
 * (AL_UNAVAILABLE transport/5xx/throttling after retries, AL_NOPERM access
 * denied, AL_CONFIG bad credentials, AL_DATAERR validation, AL_NOINPUT
 * resource not found) with *err filled. out must be freed with
 * http_response_free in every case. */
int aws_request(struct aws_client *c, const struct aws_call *call, const struct aws_credentials *creds,
		struct http_response *out, struct aws_error *err);

/* Decodes an error response (awsJson __type/message/Message, query-JSON
 * {"Error":{"Code","Message"}}, x-amzn-ErrorType header) — exposed for tests. */
void aws_error_decode(const char *operation, const struct http_response *r, struct aws_error *err);

/* The al_status an error kind maps to (AL_OK for AWS_ERR_NONE). */
int aws_error_status(enum aws_err_kind kind);
/* "throttling", "access-denied", ... (for logs and test drivers). */
const char *aws_err_kind_name(enum aws_err_kind kind);

/* Test hook: when set, called with each computed backoff delay instead of
 * sleeping (the clock-skew retry does not sleep).  NULL in production. */
extern void (*aws_request_sleep_hook)(long delay_ms);

#endif
