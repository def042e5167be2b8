/* Unit tests for aws_request.c, aws_error.c, aws_retry.c and the pure
 * parts of http.c: error body decoding (every shape), the al_status
 * mapping, retry classification, clock-skew detection, backoff bounds, the
 * retry quota, invocation ids, header redaction, loopback detection,
 * endpoint splitting and scrubbing. */
#include "aws/aws_error.h"
#include "aws/aws_request.h"
#include "aws/aws_request_int.h"
#include "aws/aws_retry.h"
#include "buf.h"
#include "status.h"
#include "timeutil.h"

#include "tap.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A failure as the assertions read it: the fault and its message. */
struct failure {
	enum aws_err_kind kind;
	long status;
	char code[128];
	char message[AWS_ERR_MAX];
	int attempts;
};

static void view(struct failure *e, const struct aws_fault *f)
{
	e->kind = f->kind;
	e->status = f->status;
	memcpy(e->code, f->code, sizeof e->code);
	e->attempts = f->attempts;
}

static int request(struct aws_client *c, const struct aws_call *call, const struct aws_credentials *creds,
		   struct http_response *r, struct failure *e)
{
	struct aws_fault f;
	int rc = aws_request(c, call, creds, r, &f, e->message, sizeof e->message);
	view(e, &f);
	return rc;
}

static struct http_response resp(long status, const char *body, const char *error_type)
{
	struct http_response r;
	memset(&r, 0, sizeof(r));
	r.status = status;
	if (body)
		buf_puts(&r.body, body);
	if (error_type)
		r.error_type = strdup(error_type);
	return r;
}

static void decode(const char *op, long status, const char *body, const char *etype,
		   struct failure *err)
{
	struct http_response r = resp(status, body, etype);
	struct aws_fault f;
	memset(&f, 0x55, sizeof(f)); /* decode must set everything */
	memset(err, 0x55, sizeof(*err));
	f.attempts = 0;
	aws_error_decode(op, &r, NULL, NULL, &f, NULL, err->message, sizeof err->message);
	view(err, &f);
	http_response_free(&r);
}

static int coral_trap(const char *body)
{
	return aws_error_coral_trap(body, strlen(body));
}

static void test_decode_shapes(void)
{
	struct failure e;

	decode("StartQuery", 400,
	       "{\"__type\":\"com.amazonaws.logs#ThrottlingException\",\"message\":\"Rate exceeded\"}",
	       NULL, &e);
	is_str(e.code, "ThrottlingException", "awsJson: __type prefix# stripped");
	is_int(e.kind, AWS_ERR_THROTTLING, "awsJson: throttling kind");
	is_int(e.status, 400, "awsJson: status");
	is_str(e.message, "StartQuery: ThrottlingException: Rate exceeded (HTTP 400)",
	       "awsJson: one-line message naming the operation");

	decode("StartQuery", 400,
	       "{\"__type\": \"ResourceNotFoundException\", \"message\": \"The specified log group does not exist.\"}",
	       "ResourceNotFoundException", &e);
	is_str(e.code, "ResourceNotFoundException", "moto form: plain __type + header");
	is_int(e.kind, AWS_ERR_NOT_FOUND, "ResourceNotFound kind");
	is_str(e.message,
	       "StartQuery: ResourceNotFoundException: The specified log group does not exist. (HTTP 400)",
	       "moto form message");

	decode("PutItem", 400,
	       "{\"__type\":\"com.amazon.coral.service#SerializationException\",\"Message\":\"Start of list found where not expected\"}",
	       NULL, &e);
	is_str(e.code, "SerializationException", "capital Message: code");
	is_str(e.message, "PutItem: SerializationException: Start of list found where not expected (HTTP 400)",
	       "capital Message: message");
	is_int(e.kind, AWS_ERR_VALIDATION, "SerializationException is validation");

	decode("StartQuery", 400,
	       "{\"__type\":\"ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/\",\"message\":\"x\"}",
	       NULL, &e);
	is_str(e.code, "ThrottlingException", "__type with ':' suffix cut");

	decode("StartQuery", 400,
	       "{\"__type\":\"aws.protocoltests#Foo:http://internal.amazon.com/x#y\",\"message\":\"x\"}",
	       NULL, &e);
	is_str(e.code, "Foo", "cut at ':' first, then after '#'");

	decode("GetCallerIdentity", 403,
	       "{\"Error\":{\"Code\":\"AccessDenied\",\"Message\":\"User: arn:aws:iam::1:user/x is not authorized\",\"Type\":\"Sender\"},\"RequestId\":\"r-1\"}",
	       NULL, &e);
	is_str(e.code, "AccessDenied", "query JSON Error.Code");
	is_int(e.kind, AWS_ERR_ACCESS_DENIED, "query JSON AccessDenied kind");
	is_str(e.message, "GetCallerIdentity: AccessDenied: User: arn:aws:iam::1:user/x is not authorized (HTTP 403)",
	       "query JSON Error.Message");

	decode("StartQuery", 400, "",
	       "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/", &e);
	is_str(e.code, "ThrottlingException", "x-amzn-ErrorType header, ':' suffix cut");
	is_str(e.message, "StartQuery: ThrottlingException (HTTP 400)", "no message: no dangling ': '");

	decode("StartQuery", 400, "{\"__type\":\"ValidationException\",\"message\":\"m\"}",
	       "AccessDeniedException", &e);
	is_str(e.code, "AccessDeniedException", "the header wins over the body");
	is_str(e.message, "StartQuery: AccessDeniedException: m (HTTP 400)", "... with the body's message");

	decode("StartQuery", 503, "", NULL, &e);
	is_str(e.code, "ServiceUnavailable", "empty 503: code from status");
	is_int(e.kind, AWS_ERR_SERVER, "empty 503: server");
	is_str(e.message, "StartQuery: ServiceUnavailable (HTTP 503)", "empty 503 message");

	decode("StopQuery", 500,
	       "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>",
	       NULL, &e);
	is_str(e.code, "InternalServerError", "moto HTML 500: code from status");
	is_str(e.message, "StopQuery: InternalServerError: 500 Internal Server Error (HTTP 500)",
	       "moto HTML 500: the <title> as message");

	decode("StartQuery", 400, "{\"__type\": \"Thrott", NULL, &e);
	is_str(e.code, "BadRequest", "truncated JSON: code from status");
	is_int(e.kind, AWS_ERR_VALIDATION, "truncated JSON 400: validation");
	ok(strstr(e.message, "(HTTP 400)") != NULL, "truncated JSON: message still formed");

	decode("StartQuery", 502, "\x01\x02garbage\xff", NULL, &e);
	is_str(e.code, "BadGateway", "binary garbage 502");
	is_str(e.message, "StartQuery: BadGateway (HTTP 502)", "binary garbage not echoed");

	decode("StartQuery", 504, "upstream request timeout", NULL, &e);
	is_str(e.message, "StartQuery: GatewayTimeout: upstream request timeout (HTTP 504)",
	       "short text body used as message");

	decode("GetCallerIdentity", 403,
	       "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
	       "<Code>InvalidClientTokenId</Code><Message>The security token included in the request is "
	       "invalid.</Message></Error><RequestId>x</RequestId></ErrorResponse>",
	       NULL, &e);
	is_str(e.code, "InvalidClientTokenId", "XML ErrorResponse code");
	is_int(e.kind, AWS_ERR_AUTH, "InvalidClientTokenId is auth");
	is_str(e.message,
	       "GetCallerIdentity: InvalidClientTokenId: The security token included in the request is invalid. (HTTP 403)",
	       "XML ErrorResponse message");

	decode("X", 400, "<Error><Code>A&amp;B</Code><Message>x &lt; y</Message></Error>", NULL, &e);
	is_str(e.message, "X: AB: x < y (HTTP 400)", "XML entities decoded, code sanitised");

	decode("StartQuery", 400, "{\"__type\":\"X\",\"message\":\"line one\\nline two\\r\\n\\tthree\"}",
	       NULL, &e);
	is_str(e.message, "StartQuery: X: line one line two three (HTTP 400)", "multi-line message joined");

	char big[2000];
	memset(big, 'a', sizeof(big));
	memcpy(big, "{\"__type\":\"ValidationException\",\"message\":\"", 43);
	memcpy(big + sizeof(big) - 3, "\"}", 3);
	decode("StartQuery", 400, big, NULL, &e);
	ok(strlen(e.message) < sizeof(e.message), "long message fits");
	ok(strstr(e.message, "... (HTTP 400)") != NULL, "long message cut, status kept: %s",
	   e.message + strlen(e.message) - 20);

	decode("StartQuery", 400, "[1,2]", NULL, &e);
	is_str(e.code, "BadRequest", "JSON array body: code from status");

	decode("StartQuery", 400, "{\"__type\":42,\"message\":null}", NULL, &e);
	is_str(e.code, "BadRequest", "non-string __type ignored");

	decode("StartQuery", 400, "{\"code\":\"LimitExceededException\",\"message\":\"Account maximum query concurrency limit of [10] reached.\"}", NULL, &e);
	is_str(e.code, "LimitExceededException", "lower-case code key");
	is_int(e.kind, AWS_ERR_LIMIT, "LimitExceededException is the limit kind");

	decode("X", 200, "{\"Output\":{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"},\"Version\":\"1.0\"}",
	       NULL, &e);
	is_str(e.code, "UnknownOperationException", "Coral 200 trap: Output.__type");
	ok(coral_trap("{\"Output\":{\"__type\":\"x#UnknownOperationException\"},\"Version\":\"1.0\"}"),
	   "coral_error_trap detects the 200 error");
	ok(!coral_trap("{\"results\":[[{\"field\":\"@message\",\"value\":\"\\\"Output\\\" __type\"}]]}"),
	   "coral_error_trap: the words inside a value do not count");

	decode("X", 429, "", NULL, &e);
	is_int(e.kind, AWS_ERR_THROTTLING, "bare 429 is throttling");
	is_str(e.code, "TooManyRequests", "bare 429 code");
	decode("X", 401, "", NULL, &e);
	is_int(e.kind, AWS_ERR_AUTH, "bare 401 is auth");
	decode("X", 403, "", NULL, &e);
	is_int(e.kind, AWS_ERR_ACCESS_DENIED, "bare 403 is access denied");
	decode("X", 404, "", NULL, &e);
	is_int(e.kind, AWS_ERR_NOT_FOUND, "bare 404 is not found");
	decode("X", 418, "", NULL, &e);
	is_str(e.code, "HTTP418", "unnamed status code");
	decode("X", 302, "", NULL, &e);
	is_int(e.kind, AWS_ERR_OTHER, "3xx is other");
	decode(NULL, 400, "", NULL, &e);
	ok(strncmp(e.message, "request: ", 9) == 0, "no operation: 'request'");
}

static void test_kinds(void)
{
	static const struct { const char *code; long status; enum aws_err_kind kind; } cases[] = {
		{"AccessDeniedException", 400, AWS_ERR_ACCESS_DENIED},
		{"AccessDenied", 403, AWS_ERR_ACCESS_DENIED},
		{"UnauthorizedOperation", 403, AWS_ERR_ACCESS_DENIED},
		{"InvalidSignatureException", 400, AWS_ERR_AUTH},
		{"SignatureDoesNotMatch", 403, AWS_ERR_AUTH},
		{"UnrecognizedClientException", 400, AWS_ERR_AUTH},
		{"InvalidClientTokenId", 403, AWS_ERR_AUTH},
		{"ExpiredTokenException", 400, AWS_ERR_AUTH},
		{"ExpiredToken", 400, AWS_ERR_AUTH},
		{"UnauthorizedException", 401, AWS_ERR_AUTH},
		{"ValidationException", 400, AWS_ERR_VALIDATION},
		{"InvalidParameterException", 400, AWS_ERR_VALIDATION},
		{"MalformedQueryException", 400, AWS_ERR_VALIDATION},
		{"ResourceNotFoundException", 400, AWS_ERR_NOT_FOUND},
		{"ServiceUnavailableException", 503, AWS_ERR_SERVER},
		{"InternalFailure", 500, AWS_ERR_SERVER},
		{"ThrottlingException", 400, AWS_ERR_THROTTLING},
		{"LimitExceededException", 400, AWS_ERR_LIMIT},
		{"SomethingNew", 400, AWS_ERR_VALIDATION},
		{"SomethingNew", 500, AWS_ERR_SERVER},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(aws_error_kind(cases[i].code, cases[i].status), cases[i].kind, "kind of %s / %ld",
		       cases[i].code, cases[i].status);

	is_int(aws_error_status(AWS_ERR_NONE), AL_OK, "none -> 0");
	is_int(aws_error_status(AWS_ERR_THROTTLING), AL_UNAVAILABLE, "throttling -> 69");
	is_int(aws_error_status(AWS_ERR_LIMIT), AL_UNAVAILABLE, "limit -> 69");
	is_int(aws_error_status(AWS_ERR_SERVER), AL_UNAVAILABLE, "server -> 69");
	is_int(aws_error_status(AWS_ERR_TRANSPORT), AL_UNAVAILABLE, "transport -> 69");
	is_int(aws_error_status(AWS_ERR_BAD_RESPONSE), AL_UNAVAILABLE, "bad response -> 69");
	is_int(aws_error_status(AWS_ERR_ACCESS_DENIED), AL_NOPERM, "access denied -> 77");
	is_int(aws_error_status(AWS_ERR_AUTH), AL_CONFIG, "auth -> 78");
	is_int(aws_error_status(AWS_ERR_VALIDATION), AL_DATAERR, "validation -> 65");
	is_int(aws_error_status(AWS_ERR_NOT_FOUND), AL_NOINPUT, "not found -> 66");
	is_str(aws_err_kind_name(AWS_ERR_ACCESS_DENIED), "access-denied", "kind name");
}

static void test_retry_classification(void)
{
	static const char *const throttling[] = {
		"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
		"TooManyRequestsException", "ProvisionedThroughputExceededException",
		"TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
		"LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
		"EC2ThrottledException",
	};
	for (size_t i = 0; i < sizeof(throttling) / sizeof(throttling[0]); i++)
		ok(aws_error_is_throttling(throttling[i], 400), "throttling: %s", throttling[i]);
	ok(aws_error_is_throttling("", 429), "throttling: HTTP 429");
	static const char *const transient[] = {
		"RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
		"ServiceUnavailable", "ServiceUnavailableException",
	};
	for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
		ok(aws_error_is_transient(transient[i], 400), "transient: %s", transient[i]);
	static const long statuses[] = {500, 502, 503, 504};
	for (size_t i = 0; i < 4; i++)
		ok(aws_error_is_transient("", statuses[i]), "transient: HTTP %ld", statuses[i]);
	static const char *const never[] = {
		"AccessDeniedException", "AccessDenied", "ValidationException",
		"InvalidParameterException", "InvalidSignatureException", "SignatureDoesNotMatch",
		"UnrecognizedClientException", "ExpiredTokenException", "ResourceNotFoundException",
		"MalformedQueryException",
	};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		ok(!aws_error_is_throttling(never[i], 400) && !aws_error_is_transient(never[i], 400), "not retried: %s",
		   never[i]);
	ok(!aws_error_is_transient("", 501) && !aws_error_is_transient("", 400) && !aws_error_is_transient("", 403),
	   "not retried: HTTP 400, 403, 501");
}

static void test_skew(void)
{
	time_t t;
	ok(aws_retry_parse_http_date("Tue, 24 Nov 2026 02:19:37 GMT", &t) == 0 && t == 1795486777,
	   "RFC 1123 Date parsed");
	ok(aws_retry_parse_http_date("24 Nov 2026 02:19:37 GMT", &t) == 0 && t == 1795486777,
	   "Date without the weekday");
	ok(aws_retry_parse_http_date("Tue, 24 Foo 2026 02:19:37 GMT", &t) != 0, "bad month refused");
	ok(aws_retry_parse_http_date("Tue, 24 Nov 2026 02:19:37 +0200", &t) != 0, "non-GMT zone refused");
	ok(aws_retry_parse_http_date("", &t) != 0 && aws_retry_parse_http_date(NULL, &t) != 0, "empty / NULL refused");

	const time_t local = 1795486777;
	struct http_response r;
	memset(&r, 0, sizeof(r));
	long skew = 0;
	r.date = (char *)"Tue, 24 Nov 2026 03:19:37 GMT"; /* +3600 */
	ok(aws_retry_skew_correction("RequestTimeTooSkewed", "", &r, 0, local, &skew) && skew == 3600,
	   "RequestTimeTooSkewed + Date: offset 3600");
	ok(aws_retry_skew_correction("InvalidSignatureException",
			   "Signature expired: 20261124T021937Z is now earlier than 20261124T031437Z (20261124T031937Z - 5 min.)",
			   &r, 0, local, &skew) && skew == 3600,
	   "InvalidSignatureException 'Signature expired' corrected");
	ok(aws_retry_skew_correction("InvalidSignatureException", "The request signature we calculated does not match",
			   &r, 0, local, &skew),
	   "InvalidSignatureException with a Date 1 h off is skew");
	ok(!aws_retry_skew_correction("InvalidSignatureException", "The request signature we calculated does not match",
			    &r, 3600, local, &skew),
	   "... but not once the offset is learned");
	ok(!aws_retry_skew_correction("AccessDeniedException", "Signature expired", &r, 0, local, &skew),
	   "AccessDenied is never skew");
	r.date = (char *)"Tue, 24 Nov 2026 02:19:40 GMT"; /* +3 s */
	ok(!aws_retry_skew_correction("InvalidSignatureException", "The request signature we calculated does not match",
			    &r, 0, local, &skew),
	   "a real signature mismatch (Date close) is not skew");
	ok(!aws_retry_skew_correction("SignatureDoesNotMatch", "Signature not yet current: x is still later than y",
			    &r, 0, local, &skew),
	   "skew words but a Date within a minute: nothing to correct");
	r.date = (char *)"Tue, 24 Nov 2026 02:13:37 GMT"; /* -360 s */
	ok(aws_retry_skew_correction("SignatureDoesNotMatch", "Signature not yet current: x is still later than y",
			   &r, 0, local, &skew) && skew == -360,
	   "'not yet current' with the Date 6 min behind: offset -360");
	r.date = NULL;
	ok(!aws_retry_skew_correction("RequestTimeTooSkewed", "", &r, 0, local, &skew), "no Date: no correction");
	r.date = (char *)"garbage";
	ok(!aws_retry_skew_correction("RequestTimeTooSkewed", "", &r, 0, local, &skew), "bad Date: no correction");
}

static double fixed_r;
static double fixed_rand(void)
{
	return fixed_r;
}

static void test_backoff(void)
{
	struct aws_retry_opts o = {0};
	ok(aws_retry_backoff_ms(&o, 1, 1, 0.0, 0) == 0, "r=0: no delay");
	is_int(aws_retry_backoff_ms(&o, 1, 1, 0.999, 0), 999, "throttling, 1st retry < 1000 ms");
	is_int(aws_retry_backoff_ms(&o, 2, 1, 0.999, 0), 1998, "throttling, 2nd retry < 2000 ms");
	is_int(aws_retry_backoff_ms(&o, 5, 1, 0.999, 0), 15984, "throttling, 5th retry < 16000 ms");
	is_int(aws_retry_backoff_ms(&o, 6, 1, 0.999, 0), 19980, "throttling, 6th retry capped at 20 s");
	is_int(aws_retry_backoff_ms(&o, 60, 1, 0.999, 0), 19980, "a huge attempt number stays capped");
	is_int(aws_retry_backoff_ms(&o, 1, 0, 0.999, 0), 49, "transient, 1st retry < 50 ms");
	is_int(aws_retry_backoff_ms(&o, 3, 0, 0.999, 0), 199, "transient, 3rd retry < 200 ms");
	is_int(aws_retry_backoff_ms(&o, 20, 0, 0.5, 0), 10000, "transient capped at 20 s too");
	o.base_ms = 10;
	is_int(aws_retry_backoff_ms(&o, 2, 1, 0.5, 0), 10, "base_ms replaces both bases");
	o.base_ms = 0;
	o.max_backoff_ms = 1500;
	is_int(aws_retry_backoff_ms(&o, 4, 1, 0.5, 0), 750, "max_backoff_ms caps");
	o.max_backoff_ms = 0;
	is_int(aws_retry_backoff_ms(&o, 1, 1, 0.3, 1000), 1000, "x-amz-retry-after within [t, t+5 s] is used");
	is_int(aws_retry_backoff_ms(&o, 1, 1, 0.3, 100), 300, "x-amz-retry-after below t: t");
	is_int(aws_retry_backoff_ms(&o, 1, 1, 0.3, 60000), 5300, "x-amz-retry-after above t + 5 s: t + 5 s");

	int in_bounds = 1;
	for (int i = 0; i < 2000; i++) {
		int attempt = 1 + i % 7, thr = i & 1;
		long d = aws_retry_backoff_ms(&o, attempt, thr, aws_retry_rand01(), 0);
		long ceiling = (thr ? 1000L : 50L) << (attempt - 1);
		if (ceiling > 20000)
			ceiling = 20000;
		if (d < 0 || d > ceiling)
			in_bounds = 0;
	}
	ok(in_bounds, "2000 random delays within [0, min(20 s, base * 2^(n-1))]");
	double lo = 1, hi = 0;
	for (int i = 0; i < 1000; i++) {
		double r = aws_retry_rand01();
		lo = r < lo ? r : lo;
		hi = r > hi ? r : hi;
	}
	ok(lo >= 0 && lo < 0.05 && hi < 1 && hi > 0.95, "rand01 spreads over [0, 1)");
}

static void test_quota(void)
{
	struct aws_client c;
	memset(&c, 0, sizeof(c));
	c.quota = AWS_RETRY_QUOTA_INITIAL;
	ok(aws_retry_quota_acquire(&c.quota, AWS_RETRY_COST) && c.quota == 495, "a retry costs 5");
	ok(aws_retry_quota_acquire(&c.quota, AWS_RETRY_COST_TIMEOUT) && c.quota == 485, "a timeout retry costs 10");
	aws_retry_quota_release(&c.quota, AWS_RETRY_COST_TIMEOUT);
	is_int(c.quota, 495, "success after a retry refunds its cost");
	aws_retry_quota_release(&c.quota, 100);
	is_int(c.quota, 500, "the bucket never exceeds 500");
	c.quota = 7;
	ok(!aws_retry_quota_acquire(&c.quota, AWS_RETRY_COST_TIMEOUT) && c.quota == 7, "not enough for 10: refused, unchanged");
	ok(aws_retry_quota_acquire(&c.quota, AWS_RETRY_COST) && c.quota == 2, "5 of 7 granted");
	ok(!aws_retry_quota_acquire(&c.quota, AWS_RETRY_COST), "empty bucket: no retry");
}

static long slept[64];
static int nslept;
static void record_sleep(long ms)
{
	if (nslept < 64)
		slept[nslept++] = ms;
}

/* Against 127.0.0.1:1 (refused at once): transport retries, their delays
 * and the quota, with no server needed. */
static void test_transport_retries_and_quota(void)
{
	struct aws_client_opts opts = {0};
	struct aws_client *c = NULL;
	is_int(aws_client_new(&opts, &c), AL_OK, "client created");
	is_int(c->retry.max_attempts, 3, "default max attempts 3");
	is_int(c->retry.max_backoff_ms, 20000, "default max backoff 20 s");
	is_int(c->quota, 500, "quota starts at 500");

	aws_request_sleep_hook = record_sleep;
	aws_request_rand = fixed_rand;
	fixed_r = 0.5;
	struct aws_call call = {0};
	call.operation = "GetQueryResults";
	call.endpoint = "http://127.0.0.1:1";
	call.region = "us-east-1";
	call.service = "logs";
	call.body = "{}";
	call.body_len = 2;
	struct aws_credentials creds = {0};
	creds.access_key_id = (char *)"AKIDEXAMPLE";
	creds.secret_access_key = (char *)"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	struct http_response r;
	struct failure e;

	nslept = 0;
	int rc = request(c, &call, &creds, &r, &e);
	is_int(rc, AL_UNAVAILABLE, "connection refused: 69");
	is_int(e.kind, AWS_ERR_TRANSPORT, "transport kind");
	is_int(e.attempts, 3, "3 attempts");
	is_int(nslept, 2, "2 backoff sleeps");
	is_int(slept[0], 25, "1st delay 0.5 * 50 ms");
	is_int(slept[1], 50, "2nd delay 0.5 * 100 ms");
	is_int(c->quota, 480, "two transport retries cost 10 each");
	ok(strstr(e.message, "GetQueryResults: connect error") == e.message &&
		   strstr(e.message, "(3 attempts)"),
	   "message: %s", e.message);
	is_int(r.status, 0, "no status");
	http_response_free(&r);

	/* drain the bucket: 480 / 20 = 24 more full calls */
	int full = 0;
	for (int i = 0; i < 30; i++) {
		request(c, &call, &creds, &r, &e);
		http_response_free(&r);
		if (e.attempts == 3)
			full++;
		else
			break;
	}
	is_int(full, 24, "24 more calls retried in full");
	is_int(c->quota, 0, "then the bucket is empty");
	ok(e.attempts == 1 && strstr(e.message, "retry quota exhausted"),
	   "with an empty bucket: 1 attempt, 'retry quota exhausted'");

	aws_client_free(c);
	opts.retry.max_attempts = 1;
	aws_client_new(&opts, &c);
	nslept = 0;
	request(c, &call, &creds, &r, &e);
	http_response_free(&r);
	ok(e.attempts == 1 && nslept == 0, "max_attempts 1: no retry");

	/* argument errors */
	struct aws_credentials none = {0};
	rc = request(c, &call, &none, &r, &e);
	http_response_free(&r);
	ok(rc == AL_CONFIG && e.kind == AWS_ERR_AUTH, "no credentials: 78 (%s)", e.message);
	rc = request(c, &call, NULL, &r, &e);
	http_response_free(&r);
	is_int(rc, AL_CONFIG, "NULL credentials: 78");
	call.endpoint = "ftp://x";
	rc = request(c, &call, &creds, &r, &e);
	http_response_free(&r);
	is_int(rc, AL_CONFIG, "bad endpoint scheme: 78");
	call.endpoint = "http://127.0.0.1:1";
	call.unsigned_request = 1;
	rc = request(c, &call, NULL, &r, &e);
	http_response_free(&r);
	ok(rc == AL_UNAVAILABLE && e.kind == AWS_ERR_TRANSPORT, "unsigned call needs no credentials");
	aws_client_free(c);
	aws_request_sleep_hook = NULL;
	aws_request_rand = aws_retry_rand01;
}

/* The cancel flag and the deadline end a call without retries; a signed
 * request to plain http off loopback is refused before it is sent. */
static void test_cancel_deadline_insecure(void)
{
	static atomic_int flag;
	struct aws_client_opts opts = {0};
	struct aws_client *c = NULL;
	struct aws_call call = {0};
	call.operation = "GetQueryResults";
	call.endpoint = "http://127.0.0.1:1";
	call.region = "us-east-1";
	call.service = "logs";
	struct aws_credentials creds = {0};
	creds.access_key_id = (char *)"AKIDEXAMPLE";
	creds.secret_access_key = (char *)"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	struct http_response r;
	struct failure e;

	opts.http.cancel = &flag;
	atomic_store(&flag, 1);
	aws_client_new(&opts, &c);
	nslept = 0;
	aws_request_sleep_hook = record_sleep;
	int rc = request(c, &call, &creds, &r, &e);
	http_response_free(&r);
	ok(rc == AL_UNAVAILABLE && e.kind == AWS_ERR_TRANSPORT && e.attempts == 1 && nslept == 0 &&
		   strstr(e.message, "interrupted"),
	   "cancelled: one attempt, no backoff, 'interrupted' (%s)", e.message);
	aws_client_free(c);
	atomic_store(&flag, 0);

	opts.http.cancel = NULL;
	opts.http.deadline_ms = time_mono_ms() + 30; /* shorter than any retry's backoff here */
	opts.retry.base_ms = 1000;
	aws_client_new(&opts, &c);
	aws_request_rand = fixed_rand;
	fixed_r = 0.5;
	nslept = 0;
	rc = request(c, &call, &creds, &r, &e);
	http_response_free(&r);
	ok(rc == AL_UNAVAILABLE && e.attempts == 1 && nslept == 0 && strstr(e.message, "time limit"),
	   "a retry that would end past the deadline is not made (%s)", e.message);
	aws_client_free(c);
	opts.http.deadline_ms = time_mono_ms() - 1;
	aws_client_new(&opts, &c);
	rc = request(c, &call, &creds, &r, &e);
	http_response_free(&r);
	ok(rc == AL_UNAVAILABLE && strstr(e.message, "time limit is reached"), "past the deadline: nothing sent (%s)",
	   e.message);
	aws_client_free(c);
	aws_request_sleep_hook = NULL;
	aws_request_rand = aws_retry_rand01;

	memset(&opts, 0, sizeof(opts));
	aws_client_new(&opts, &c);
	call.endpoint = "http://logs.example.test";
	rc = request(c, &call, &creds, &r, &e);
	http_response_free(&r);
	ok(rc == AL_CONFIG && strstr(e.message, "refusing to send a signed request to http://logs.example.test") &&
		   strstr(e.message, "--allow-insecure-endpoint"),
	   "signed, plain http, not loopback: refused, 78 (%s)", e.message);
	call.unsigned_request = 1;
	call.endpoint = "http://127.0.0.1:1";
	rc = request(c, &call, NULL, &r, &e);
	http_response_free(&r);
	ok(rc == AL_UNAVAILABLE, "unsigned calls are not concerned");
	aws_client_free(c);
	static const char *const insecure[] = {"http://logs.example.test", "http://10.0.0.1:4566", "HTTP://[fd00::1]:80",
					       "http://127.0.0.1.example.test", NULL};
	static const char *const fine[] = {"https://logs.example.test", "http://127.0.0.1:4566", "http://127.9.9.9",
					   "http://localhost:1", "http://[::1]:80", "http://LOCALHOST.", NULL};
	for (size_t i = 0; insecure[i]; i++)
		ok(aws_request_endpoint_insecure(insecure[i]), "insecure: %s", insecure[i]);
	for (size_t i = 0; fine[i]; i++)
		ok(!aws_request_endpoint_insecure(fine[i]), "not insecure: %s", fine[i]);
}

static int is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

static void test_invocation_id(void)
{
	char ids[50][37];
	int well_formed = 1, distinct = 1;
	for (int i = 0; i < 50; i++) {
		if (aws_request_invocation_id(ids[i]) != 0)
			well_formed = 0;
		const char *s = ids[i];
		if (strlen(s) != 36)
			well_formed = 0;
		for (int k = 0; k < 36 && well_formed; k++) {
			if (k == 8 || k == 13 || k == 18 || k == 23)
				well_formed &= s[k] == '-';
			else
				well_formed &= is_hex(s[k]);
		}
		well_formed &= s[14] == '4';
		well_formed &= strchr("89ab", s[19]) != NULL;
		for (int j = 0; j < i; j++)
			if (strcmp(ids[i], ids[j]) == 0)
				distinct = 0;
	}
	ok(well_formed, "invocation ids are lower-case UUIDv4 (%s)", ids[0]);
	ok(distinct, "50 invocation ids are distinct");
}

static void test_redaction(void)
{
	static const char *const sensitive[] = {
		"Authorization", "authorization", "AUTHORIZATION", "X-Amz-Security-Token",
		"x-amz-security-token", "x-amz-sso_bearer_token", "X-aws-ec2-metadata-token",
		"Proxy-Authorization", "Cookie",
	};
	for (size_t i = 0; i < sizeof(sensitive) / sizeof(sensitive[0]); i++) {
		ok(http_header_is_sensitive(sensitive[i]), "sensitive: %s", sensitive[i]);
		is_str(http_header_display_value(sensitive[i], "AKIA/secret"), "[redacted]",
		       "redacted: %s", sensitive[i]);
	}
	static const char *const plain[] = {
		"Host", "X-Amz-Date", "X-Amz-Target", "x-aws-ec2-metadata-token-ttl-seconds",
		"Content-Type", "amz-sdk-invocation-id", "Authorizationx",
	};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		ok(!http_header_is_sensitive(plain[i]), "not sensitive: %s", plain[i]);
	is_str(http_header_display_value("Host", "h"), "h", "plain value shown");
	is_str(http_header_display_value("Host", NULL), "", "NULL value shown as empty");
	ok(!http_header_is_sensitive(NULL), "NULL name");
}

static void test_loopback(void)
{
	static const char *const yes[] = {
		"http://127.0.0.1:5000/", "https://127.1.2.3", "http://localhost/x", "http://LOCALHOST.:80",
		"http://[::1]:9000/", "https://[::ffff:127.0.0.1]/", "http://user:pw@127.0.0.1/",
	};
	static const char *const no[] = {
		"https://logs.us-east-1.amazonaws.com", "http://169.254.169.254/latest",
		"http://[fd00:ec2::254]/", "http://127.0.0.1.evil.com/", "http://localhost.evil.com/",
		"http://evil.com/?x=127.0.0.1", "http://127.0.0.1@evil.com/", "not a url", "",
		"http://[::1", "http://128.0.0.1/",
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ok(http_url_is_loopback(yes[i]), "loopback: %s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ok(!http_url_is_loopback(no[i]), "not loopback: %s", no[i]);
	ok(!http_url_is_loopback(NULL), "NULL url");
}

static void test_endpoint_and_scrub(void)
{
	struct aws_request_endpoint p;
	ok(aws_request_split_endpoint("https://logs.us-east-1.amazonaws.com", &p) == 0 &&
		   strcmp(p.host_header, "logs.us-east-1.amazonaws.com") == 0 && !p.prefix[0],
	   "plain https endpoint");
	ok(aws_request_split_endpoint("https://logs.us-east-1.amazonaws.com:443/", &p) == 0 &&
		   strcmp(p.host_header, "logs.us-east-1.amazonaws.com") == 0,
	   "default https port dropped from Host");
	ok(aws_request_split_endpoint("http://127.0.0.1:5123", &p) == 0 && strcmp(p.host_header, "127.0.0.1:5123") == 0,
	   "non-default port kept");
	ok(aws_request_split_endpoint("http://[::1]:80/base/", &p) == 0 && strcmp(p.host_header, "[::1]") == 0 &&
		   strcmp(p.prefix, "/base") == 0,
	   "IPv6, default http port dropped, prefix kept");
	ok(aws_request_split_endpoint("HTTP://u:p@h:8080/x", &p) == 0 && strcmp(p.host_header, "h:8080") == 0 &&
		   strcmp(p.scheme, "http") == 0,
	   "userinfo dropped, scheme lower-cased");
	ok(aws_request_split_endpoint("ftp://h", &p) != 0 && aws_request_split_endpoint("h:80", &p) != 0 &&
		   aws_request_split_endpoint("http://", &p) != 0 && aws_request_split_endpoint("http://h?x", &p) != 0,
	   "bad endpoints refused");

	struct buf b = BUF_INIT;
	buf_puts(&b, "token=SECRETTOKEN and SECRETTOKEN, key=KEY12345");
	const char *const secrets[] = {"SECRETTOKEN", "KEY12345", "", NULL};
	aws_error_scrub(&b, secrets);
	is_str(buf_str(&b), "token=[redacted] and [redacted], key=[redacted]", "scrub_buf");
	buf_free(&b);

	/* a message echoing the session token is scrubbed before truncation */
	char token[700];
	memset(token, 'T', sizeof(token) - 1);
	token[sizeof(token) - 1] = '\0';
	struct buf body = BUF_INIT;
	buf_printf(&body, "{\"__type\":\"InvalidSignatureException\",\"message\":\"The Canonical String "
			  "should have been 'x-amz-security-token:%s'\"}", token);
	struct http_response r = resp(400, body.data, NULL);
	struct failure e;
	struct aws_fault f;
	const char *const sec[] = {token, NULL};
	aws_error_decode("StartQuery", &r, NULL, sec, &f, NULL, e.message, sizeof e.message);
	ok(strstr(e.message, "TTTT") == NULL && strstr(e.message, "[redacted]"),
	   "token echoed by the service is redacted: %s", e.message);
	http_response_free(&r);
	buf_free(&body);
}

int main(void)
{
	test_decode_shapes();
	test_kinds();
	test_retry_classification();
	test_skew();
	test_backoff();
	test_quota();
	test_transport_retries_and_quota();
	test_cancel_deadline_insecure();
	test_invocation_id();
	test_redaction();
	test_loopback();
	test_endpoint_and_scrub();
	return tap_done();
}
