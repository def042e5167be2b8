/* An AWS error answer, decoded the way the SDKs do it: the code (awsJson
 * __type, query-protocol Error.Code, the x-amzn-ErrorType header; botocore
 * parsers.py), the kind a caller decides on, and a one-line message naming
 * the operation with every secret scrubbed out. */
#ifndef AUTHLOG_AWS_ERROR_H
#define AUTHLOG_AWS_ERROR_H

#include <stddef.h>

/* Messages of the AWS layer are at most this long (a longer one is cut in
 * the middle, keeping its "(HTTP ...)" tail). */
#define AWS_ERR_MAX 512

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

/* What a failed call was, for the caller that decides (retry, split a
 * window, stop, refresh the credentials); the words go to err. */
struct aws_fault {
	enum aws_err_kind kind;
	long status;          /* HTTP status, 0 if none */
	char code[128];       /* __type without "prefix#", or x-amzn-ErrorType, or STS Error.Code */
	int attempts;
};

/* The al_status an error kind maps to (AL_OK for AWS_ERR_NONE). */
int aws_error_status(enum aws_err_kind kind);
/* "throttling", "access-denied", ... (for logs and test drivers). */
const char *aws_err_kind_name(enum aws_err_kind kind);

/* The kind of an error code (may be NULL or "") with that HTTP status. */
enum aws_err_kind aws_error_kind(const char *code, long status);
/* The standard retry mode's classes (botocore retries/standard.py). */
int aws_error_is_throttling(const char *code, long status);
int aws_error_is_transient(const char *code, long status);
/* Codes that name clock skew (RequestTimeTooSkewed, ...), and signature
 * codes that are clock skew when the message or the Date says so. */
int aws_error_is_skew(const char *code);
int aws_error_is_signature(const char *code);

struct http_response;
struct buf;

/* Decodes an error response into fault (kind, status, code) and the line
 * "OP: CODE: message (HTTP N[, extra])" into err, every secret (a
 * NULL-terminated list, or NULL) replaced by "[redacted]".  When raw is
 * not NULL it gets the service's message as sent (the caller frees it). */
void aws_error_decode(const char *operation, const struct http_response *r, const char *extra,
		      const char *const *secrets, struct aws_fault *fault, struct buf *raw,
		      char *err, size_t err_sz);

/* A failure found by a client rather than by aws_request (an answer of
 * the wrong shape, no credentials): fault->kind = kind and "OP: what" in
 * err; returns status. */
int aws_error_fail(struct aws_fault *f, enum aws_err_kind kind, int status, const char *op, char *err,
		   size_t err_sz, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* 1 when a 2xx body is Coral's error envelope, {"Output":{"__type":
 * "...#UnknownOperationException"},"Version":"1.0"}: what a service
 * answers when the target or the Content-Type is wrong. */
int aws_error_coral_trap(const char *body, size_t len);

/* Replaces every occurrence of each secret (at least 4 bytes long) in b
 * by "[redacted]"; a NULL-terminated list. */
void aws_error_scrub(struct buf *b, const char *const *secrets);

#endif
