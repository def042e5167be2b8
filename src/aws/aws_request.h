/* One AWS API call done the way an SDK does it: resolve nothing here
 * (endpoint, region and credentials come in), sign with SigV4, add the
 * standard headers, retry in the standard mode (aws_retry.h), decode error
 * bodies into a code and a one-line message naming the operation
 * (aws_error.h). */
#ifndef AUTHLOG_AWS_REQUEST_H
#define AUTHLOG_AWS_REQUEST_H

#include <stdint.h>

#include "aws_creds.h"
#include "aws_error.h"
#include "aws_retry.h"
#include "http.h"

/* A client per worker: one http_client (keep-alive), a retry quota shared
 * by the calls of that client, the clock-skew offset learned so far. */
struct aws_client;

struct aws_client_opts {
	struct http_opts http;
	struct aws_retry_opts retry;
	int verbose;          /* log operation, status, latency, attempts (never secrets) */
	/* A signed request to a plain http:// endpoint that is not loopback
	 * (127.0.0.0/8, ::1, localhost) carries the signature and the session
	 * token in clear: refused (AL_CONFIG) unless this is set. */
	int allow_insecure_endpoint;
};

/* AL_OK, or AL_SOFTWARE (out of memory, libcurl cannot start). */
int aws_client_new(const struct aws_client_opts *opts, struct aws_client **out);

struct aws_config;
/* Zeroes *out and fills what the environment or the profile sets:
 * AWS_CA_BUNDLE / ca_bundle, AWS_MAX_ATTEMPTS / max_attempts (1-20).
 * AL_OK, or AL_CONFIG with err naming the bad value. */
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
	/* A transfer under way when the cancel flag is set ends by itself
	 * (its timeout bounds it) instead of being cut: a call that starts
	 * something billed (StartQuery) must learn its id to stop it. Not
	 * started once the flag is set, and not retried after it. */
	int finish_on_cancel;
};

/* 1 when url is plain http:// to a host that is not loopback: what
 * aws_request refuses to sign for unless the client allows it. */
int aws_request_endpoint_insecure(const char *url);

/* Returns AL_OK with *out holding a 2xx response, or an al_status
 * (AL_UNAVAILABLE transport/5xx/throttling after retries, AL_NOPERM access
 * denied, AL_CONFIG bad credentials, AL_DATAERR validation, AL_NOINPUT
 * resource not found) with fault filled and the message in err (at most
 * AWS_ERR_MAX bytes).  fault->attempts is set on success too.  out must be
 * freed with http_response_free in every case. */
int aws_request(struct aws_client *c, const struct aws_call *call, const struct aws_credentials *creds,
		struct http_response *out, struct aws_fault *fault, char *err, size_t err_sz);

/* Where and as whom a service client calls. */
struct aws_target {
	const char *endpoint;                 /* "https://eks.eu-west-1.amazonaws.com" */
	const char *region;                   /* signing region */
	struct aws_creds_provider *creds;     /* shared; NULL only in tests that pass static_creds */
	const struct aws_credentials *static_creds; /* used when creds is NULL */
	int verbose;                          /* one stderr line per call: operation, status,
					       * latency, attempts (never a secret) */
};

/* With http.cancel set, a call ends (AWS_ERR_TRANSPORT, "interrupted")
 * as soon as the flag is: the transfer is aborted and nothing is retried.
 * With http.deadline_ms, no retry is made whose backoff would end past
 * it, and every attempt's timeout is cut to what is left. */

/* aws_request to t's endpoint and region (they replace call's) with t's
 * credentials, fetched per call: the provider hands out a copy refreshed
 * before it expires, so a run that outlives its session keeps working.
 * An ExpiredToken answer refreshes them once and retries.  The contract of
 * aws_request; resp is overwritten (not freed) first. */
int aws_request_target(struct aws_client *c, const struct aws_target *t, const struct aws_call *call,
		       struct http_response *resp, struct aws_fault *fault, char *err, size_t err_sz);

#endif
