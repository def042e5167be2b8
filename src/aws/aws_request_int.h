/* What the unit tests and test drivers reach in aws_request.c. */
#ifndef AUTHLOG_AWS_REQUEST_INT_H
#define AUTHLOG_AWS_REQUEST_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include "aws_request.h"
#include "aws_retry.h"

struct aws_client {
	struct http_client *http;
	struct aws_retry_opts retry;
	int quota;
	long skew; /* seconds to add to the local clock when signing */
	int verbose;
	int allow_insecure_endpoint;
	const atomic_int *cancel; /* http's: no retry, no backoff once set */
	int64_t deadline_ms;      /* http's: no retry whose backoff ends past it */
};

/* An endpoint URL taken apart for the request line and the Host header. */
struct aws_request_endpoint {
	char scheme[8];
	char host_header[300]; /* host[:port], no userinfo, default port dropped */
	char prefix[512];      /* path prefix of the endpoint, no trailing '/' */
};
/* 0, or -1 for anything but http(s)://host[:port][/prefix]. */
int aws_request_split_endpoint(const char *ep, struct aws_request_endpoint *p);

/* Random UUID version 4, lower-case.  0, or -1 without random bytes. */
int aws_request_invocation_id(char out[37]);

/* When set, called with each computed backoff delay instead of sleeping.
 * NULL in production. */
extern void (*aws_request_sleep_hook)(long delay_ms);
/* The jitter source, [0, 1); aws_retry_rand01 in production. */
extern double (*aws_request_rand)(void);

#endif
