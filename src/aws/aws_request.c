/* One AWS API call with SigV4 and the SDKs' standard retry mode; see
 * aws_request.h and ../shared/reference/aws-client-conventions.md (4, 5).
 *
 * Per attempt: build the headers (Host, the caller's, Content-Type,
 * amz-sdk-invocation-id, amz-sdk-request), sign them at now + the learned
 * clock skew, perform, classify.  Between attempts:
 *
 *  - what is retried: transport errors CONNECT / TIMEOUT / RESET; HTTP 500,
 *    502, 503, 504 and the transient codes; HTTP 429 and the throttling
 *    codes (botocore retries/standard.py); one clock-skew correction
 *    (section 5).  Nothing else: not AccessDenied*, not validation, not
 *    InvalidSignatureException without skew, not TLS failures.
 *  - backoff, full jitter: delay = rand[0,1) * min(max_backoff,
 *    base * 2^(attempt-1)) with attempt the 1-based number of the attempt
 *    that just failed, base 1000 ms for throttling and 50 ms otherwise
 *    (botocore's next-generation scales; retry_opts.base_ms > 0 replaces
 *    both).  An x-amz-retry-after header is honoured, clamped to
 *    [delay, delay + 5 s].  The skew retry does not sleep.
 *  - retry quota: 500 tokens per client; a retry costs 5, or 10 after a
 *    timeout / connection error; a call that succeeds at once gives 1 back,
 *    one that succeeds after retries gives back what its last retry took;
 *    an empty bucket means fail now.  The skew retry is free.
 *
 * Secrets: the Authorization value and the session token live only in the
 * sigv4_result (wiped by sigv4_result_free) and in the header lines http.c
 * builds (wiped there).  Error messages and error bodies are scrubbed of
 * the secret key and the session token before they reach the caller. */
#include "aws_request.h"

#include "aws_config.h"

#include "buf.h"
#include "config.h"
#include "sigv4.h"
#include "status.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_MAX_ATTEMPTS 3
#define DEFAULT_MAX_BACKOFF_MS 20000L
#define THROTTLING_BASE_MS 1000L
#define TRANSIENT_BASE_MS 50L
#define RETRY_AFTER_MAX_EXTRA_MS 5000L
#define RETRY_QUOTA_INITIAL 500
#define RETRY_COST 5
#define RETRY_COST_TIMEOUT 10
#define NO_RETRY_INCREMENT 1
#define SKEW_THRESHOLD_S 240 /* > 4 min between our clock and the Date header */
#define SMALL_BODY 4096      /* bodies checked for the Coral 200 error trap */

void (*aws_request_sleep_hook)(long delay_ms);

/* Replaceable in the unit test (which #includes this file). */
static double rand01(void);
static time_t now_real(void)
{
	return time(NULL);
}
static double (*rand_fn)(void) = rand01;
static time_t (*now_fn)(void) = now_real;

/* The skew learned by any client, so a new client starts right. */
static _Atomic long process_skew;

struct aws_client {
	struct http_client *http;
	struct aws_retry_opts retry;
	int quota;
	long skew; /* seconds to add to the local clock when signing */
	int verbose;
};

enum retry_class {
	RETRY_NO = 0,
	RETRY_THROTTLING,
	RETRY_TRANSIENT, /* 5xx / transient code */
	RETRY_TRANSPORT, /* connect, timeout, reset: costs more */
	RETRY_SKEW,
};

/* ---- error codes ------------------------------------------------------- */

static const char *const throttling_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
	"TooManyRequestsException", "ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
	"LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
	"EC2ThrottledException", NULL,
};

static const char *const transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
	"ServiceUnavailable", "ServiceUnavailableException", "InternalServerError",
	"InternalServerException", NULL,
};

static const char *const auth_codes[] = {
	"InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature",
	"IncompleteSignatureException", "MissingAuthenticationToken",
	"MissingAuthenticationTokenException", "InvalidClientTokenId",
	"UnrecognizedClientException", "UnrecognizedClient", "ExpiredToken",
	"ExpiredTokenException", "RequestExpired", "RequestInTheFuture", "RequestTimeTooSkewed",
	"AuthFailure", "InvalidAccessKeyId", "InvalidToken", "UnauthorizedException",
	"InvalidIdentityToken", "InvalidIdentityTokenException", "IDPRejectedClaim",
	"IDPRejectedClaimException", "ExpiredTokenException", "InvalidGrantException", NULL,
};

/* Codes that name clock skew by themselves. */
static const char *const skew_codes[] = {
	"RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture", NULL,
};

/* Codes that are clock skew when the message or the Date header says so. */
static const char *const signature_codes[] = {
	"InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure", NULL,
};

static int in_list(const char *code, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(code, list[i]) == 0)
			return 1;
	return 0;
}

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int is_throttling(const char *code, long status)
{
	return (code && in_list(code, throttling_codes)) || status == 429;
}

static int is_transient(const char *code, long status)
{
	return (code && in_list(code, transient_codes)) || status == 500 || status == 502 ||
	       status == 503 || status == 504;
}

static enum aws_err_kind kind_for(const char *code, long status)
{
	if (code && *code) {
		if (strcmp(code, "LimitExceededException") == 0)
			return AWS_ERR_LIMIT;
		if (in_list(code, throttling_codes))
			return AWS_ERR_THROTTLING;
		if (starts_with(code, "AccessDenied") || strcmp(code, "UnauthorizedOperation") == 0 ||
		    strcmp(code, "AuthorizationError") == 0 || strcmp(code, "Forbidden") == 0)
			return AWS_ERR_ACCESS_DENIED;
		if (in_list(code, auth_codes))
			return AWS_ERR_AUTH;
		if (in_list(code, transient_codes))
			return AWS_ERR_SERVER;
		if (strcmp(code, "ResourceNotFoundException") == 0 || strcmp(code, "NoSuchEntity") == 0 ||
		    strcmp(code, "NotFound") == 0 || ends_with(code, "NotFoundException") ||
		    ends_with(code, "NotFound"))
			return AWS_ERR_NOT_FOUND;
		if (starts_with(code, "Validation") || starts_with(code, "Invalid") ||
		    starts_with(code, "Malformed") || starts_with(code, "Missing") ||
		    strcmp(code, "SerializationException") == 0 ||
		    strcmp(code, "UnknownOperationException") == 0 || strcmp(code, "BadRequest") == 0)
			return AWS_ERR_VALIDATION;
	}
	if (status == 429)
		return AWS_ERR_THROTTLING;
	if (status >= 500 && status <= 599)
		return AWS_ERR_SERVER;
	if (status == 401)
		return AWS_ERR_AUTH;
	if (status == 403)
		return AWS_ERR_ACCESS_DENIED;
	if (status == 404)
		return AWS_ERR_NOT_FOUND;
	if (status >= 400 && status <= 499)
		return AWS_ERR_VALIDATION;
	return AWS_ERR_OTHER;
}

int aws_error_status(enum aws_err_kind kind)
{
	switch (kind) {
	case AWS_ERR_NONE:
		return AL_OK;
	case AWS_ERR_ACCESS_DENIED:
		return AL_NOPERM;
	case AWS_ERR_AUTH:
		return AL_CONFIG;
	case AWS_ERR_VALIDATION:
		return AL_DATAERR;
	case AWS_ERR_NOT_FOUND:
		return AL_NOINPUT;
	case AWS_ERR_THROTTLING:
	case AWS_ERR_LIMIT:
	case AWS_ERR_SERVER:
	case AWS_ERR_TRANSPORT:
	case AWS_ERR_BAD_RESPONSE:
	case AWS_ERR_OTHER:
		return AL_UNAVAILABLE;
	}
	return AL_UNAVAILABLE;
}

const char *aws_err_kind_name(enum aws_err_kind kind)
{
	switch (kind) {
	case AWS_ERR_NONE: return "none";
	case AWS_ERR_THROTTLING: return "throttling";
	case AWS_ERR_LIMIT: return "limit";
	case AWS_ERR_ACCESS_DENIED: return "access-denied";
	case AWS_ERR_AUTH: return "auth";
	case AWS_ERR_VALIDATION: return "validation";
	case AWS_ERR_NOT_FOUND: return "not-found";
	case AWS_ERR_SERVER: return "server";
	case AWS_ERR_TRANSPORT: return "transport";
	case AWS_ERR_BAD_RESPONSE: return "bad-response";
	case AWS_ERR_OTHER: return "other";
	}
	return "other";
}

/* A code for a response that carried none. */
static const char *status_code_name(long status)
{
	switch (status) {
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 408: return "RequestTimeout";
	case 413: return "RequestEntityTooLarge";
	case 429: return "TooManyRequests";
	case 500: return "InternalServerError";
	case 502: return "BadGateway";
	case 503: return "ServiceUnavailable";
	case 504: return "GatewayTimeout";
	default: return NULL;
	}
}

/* "com.amazon.coral.service#ThrottlingException" -> "ThrottlingException";
 * "Foo:http://internal.amazon.com/..." -> "Foo" (cut at the first ':',
 * then keep what follows the last '#'); surrounding blanks trimmed. */
static void sanitize_code(const char *in, size_t len, char *out, size_t out_sz)
{
	const char *colon = memchr(in, ':', len);
	if (colon)
		len = (size_t)(colon - in);
	for (size_t i = len; i > 0; i--)
		if (in[i - 1] == '#') {
			in += i;
			len -= i;
			break;
		}
	while (len && isspace((unsigned char)*in)) {
		in++;
		len--;
	}
	while (len && isspace((unsigned char)in[len - 1]))
		len--;
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < out_sz; i++) {
		unsigned char ch = (unsigned char)in[i];
		if (isalnum(ch) || ch == '_' || ch == '-' || ch == '.')
			out[o++] = (char)ch;
	}
	out[o] = '\0';
}

/* ---- error body decoding ----------------------------------------------- */

static yajl_val obj_get(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

static const char *obj_str(yajl_val obj, const char *key)
{
	yajl_val v = obj_get(obj, key);
	return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

/* Text of the first <tag>...</tag> in an XML/HTML body into b (entities
 * &lt; &gt; &amp; &quot; &apos; decoded).  0 when found. */
static int xml_text(const char *body, size_t len, const char *tag, struct buf *b)
{
	char open[40], close[40];
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	const char *end = body + len;
	for (const char *p = body; p < end; p++) {
		if (*p != '<' || (size_t)(end - p) < strlen(open) ||
		    strncasecmp(p, open, strlen(open)) != 0)
			continue;
		p += strlen(open);
		const char *q = p;
		while (q < end && !((size_t)(end - q) >= strlen(close) &&
				    strncasecmp(q, close, strlen(close)) == 0))
			q++;
		if (q >= end)
			return -1;
		static const struct { const char *ent; char ch; } ents[] = {
			{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''},
		};
		for (const char *r = p; r < q;) {
			int done = 0;
			for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]) && !done; i++) {
				size_t n = strlen(ents[i].ent);
				if ((size_t)(q - r) >= n && memcmp(r, ents[i].ent, n) == 0) {
					buf_putc(b, ents[i].ch);
					r += n;
					done = 1;
				}
			}
			if (!done)
				buf_putc(b, *r++);
		}
		return b->oom ? -1 : 0;
	}
	return -1;
}

static int looks_like_text(const char *s, size_t len)
{
	if (len == 0 || len > 1024)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t')
			return 0;
	}
	return 1;
}

/* What one error response says, before formatting. */
struct decoded {
	char code[128];
	struct buf message; /* raw, maybe long or multi-line */
	int json_ok;        /* body parsed as JSON */
};

static void decode_response(const struct http_response *r, struct decoded *d)
{
	memset(d, 0, sizeof(*d));
	const char *body = r->body.data ? r->body.data : "";
	size_t len = r->body.len;
	const char *code = NULL;
	size_t code_len = 0;
	const char *msg = NULL;
	yajl_val tree = NULL;

	size_t skip = 0;
	while (skip < len && isspace((unsigned char)body[skip]))
		skip++;
	if (skip < len && body[skip] == '{') {
		char ebuf[128];
		tree = yajl_tree_parse(body, ebuf, sizeof(ebuf));
	}
	if (YAJL_IS_OBJECT(tree)) {
		d->json_ok = 1;
		yajl_val errobj = obj_get(tree, "Error");
		yajl_val output = obj_get(tree, "Output");
		const char *c = obj_str(tree, "__type");
		if (!c)
			c = obj_str(tree, "code");
		if (!c)
			c = obj_str(tree, "Code");
		if (!c && YAJL_IS_OBJECT(errobj))
			c = obj_str(errobj, "Code");
		if (!c && YAJL_IS_OBJECT(output))
			c = obj_str(output, "__type");
		if (c) {
			code = c;
			code_len = strlen(c);
		}
		msg = obj_str(tree, "message");
		if (!msg)
			msg = obj_str(tree, "Message");
		if (!msg && YAJL_IS_OBJECT(errobj)) {
			msg = obj_str(errobj, "Message");
			if (!msg)
				msg = obj_str(errobj, "message");
		}
		if (!msg && YAJL_IS_OBJECT(output)) {
			msg = obj_str(output, "message");
			if (!msg)
				msg = obj_str(output, "Message");
		}
		if (!msg)
			msg = obj_str(tree, "errorMessage");
		if (msg)
			buf_puts(&d->message, msg);
	} else if (skip < len && body[skip] == '<') {
		struct buf c = BUF_INIT;
		if (xml_text(body, len, "Code", &c) == 0 && c.len) {
			sanitize_code(c.data, c.len, d->code, sizeof(d->code));
			if (xml_text(body, len, "Message", &d->message) != 0)
				buf_reset(&d->message);
		} else if (xml_text(body, len, "title", &d->message) != 0) {
			buf_reset(&d->message);
		}
		buf_free(&c);
	} else if (looks_like_text(body + skip, len - skip)) {
		buf_append(&d->message, body + skip, len - skip);
	}

	/* The header wins over the body (smithy, aws-sdk-go-v2). */
	if (r->error_type && *r->error_type)
		sanitize_code(r->error_type, strlen(r->error_type), d->code, sizeof(d->code));
	if (!d->code[0] && code)
		sanitize_code(code, code_len, d->code, sizeof(d->code));
	if (!d->code[0]) {
		const char *name = status_code_name(r->status);
		if (name)
			snprintf(d->code, sizeof(d->code), "%s", name);
		else
			snprintf(d->code, sizeof(d->code), "HTTP%ld", r->status);
	}
	if (tree)
		yajl_tree_free(tree);
}

/* Replaces every occurrence of each secret in b by "[redacted]". */
static void scrub_buf(struct buf *b, const char *const *secrets)
{
	if (!b->data || !secrets)
		return;
	for (size_t s = 0; secrets[s]; s++) {
		size_t sl = strlen(secrets[s]);
		if (sl < 4 || b->len < sl)
			continue;
		if (!memmem(b->data, b->len, secrets[s], sl))
			continue;
		struct buf nb = BUF_INIT;
		size_t i = 0;
		while (i < b->len) {
			const char *hit = memmem(b->data + i, b->len - i, secrets[s], sl);
			size_t upto = hit ? (size_t)(hit - b->data) : b->len;
			buf_append(&nb, b->data + i, upto - i);
			if (!hit)
				break;
			buf_puts(&nb, "[redacted]");
			i = upto + sl;
		}
		if (nb.oom) {
			/* cannot rebuild: blank the secret bytes in place */
			for (const char *hit; (hit = memmem(b->data, b->len, secrets[s], sl));)
				memset((char *)hit, '*', sl);
			OPENSSL_cleanse(nb.data, nb.cap);
			buf_free(&nb);
			continue;
		}
		OPENSSL_cleanse(b->data, b->cap);
		buf_free(b);
		*b = nb;
	}
}

/* "OP: CODE: message (HTTP N[, extra])" on one line, secrets scrubbed. */
static void format_message(struct aws_error *err, const char *op, const char *code, struct buf *raw,
			   long status, const char *extra, const char *const *secrets)
{
	scrub_buf(raw, secrets);
	struct buf m = BUF_INIT;
	buf_printf(&m, "%s: ", op && *op ? op : "request");
	if (code && *code)
		buf_printf(&m, "%s: ", code);
	/* the message: control bytes and whitespace runs become one space */
	int space = 0;
	size_t start = m.len;
	for (size_t i = 0; i < raw->len; i++) {
		unsigned char ch = (unsigned char)raw->data[i];
		if (ch < 0x20 || ch == 0x7f || ch == ' ') {
			space = 1;
			continue;
		}
		if (space && m.len > start)
			buf_putc(&m, ' ');
		space = 0;
		buf_putc(&m, (char)ch);
	}
	if (m.len == start && m.len >= 2) {
		/* no message: drop the ": " after the code */
		m.len -= 2;
		m.data[m.len] = '\0';
	}
	if (status)
		buf_printf(&m, " (HTTP %ld%s%s)", status, extra && *extra ? ", " : "",
			   extra ? extra : "");
	else if (extra && *extra)
		buf_printf(&m, " (%s)", extra);
	const char *s = buf_str(&m);
	size_t n = strlen(s);
	if (n >= sizeof(err->message)) {
		/* keep the tail "(HTTP ...)" when there is room for it */
		const char *tail = strrchr(s, '(');
		size_t tl = tail ? strlen(tail) : 0;
		if (tl > 120)
			tl = 0;
		size_t head = sizeof(err->message) - 1 - tl - 4;
		/* do not cut a UTF-8 sequence */
		while (head > 0 && ((unsigned char)s[head] & 0xC0) == 0x80)
			head--;
		snprintf(err->message, sizeof(err->message), "%.*s...%s%s", (int)head, s,
			 tl ? " " : "", tl ? tail : "");
	} else {
		memcpy(err->message, s, n + 1);
	}
	OPENSSL_cleanse(m.data, m.cap);
	buf_free(&m);
}

static void decode_with_secrets(const char *operation, const struct http_response *r,
				struct aws_error *err, const char *extra,
				const char *const *secrets, struct decoded *d)
{
	decode_response(r, d);
	err->status = r->status;
	snprintf(err->code, sizeof(err->code), "%s", d->code);
	err->kind = kind_for(d->code, r->status);
	format_message(err, operation, d->code, &d->message, r->status, extra, secrets);
}

void aws_error_decode(const char *operation, const struct http_response *r, struct aws_error *err)
{
	memset(err, 0, sizeof(*err));
	struct decoded d;
	decode_with_secrets(operation, r, err, NULL, NULL, &d);
	buf_free(&d.message);
}

/* ---- clock skew ---------------------------------------------------------- */

/* RFC 1123 ("Tue, 24 Nov 2026 02:19:37 GMT"), also without the weekday and
 * RFC 850 / asctime are not accepted (AWS sends RFC 1123).  0 or -1. */
static int parse_http_date(const char *s, time_t *out)
{
	static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	if (!s)
		return -1;
	const char *comma = strchr(s, ',');
	if (comma)
		s = comma + 1;
	int day, year, hh, mm, ss;
	char mon[4], zone[8];
	if (sscanf(s, " %2d %3s %4d %2d:%2d:%2d %7s", &day, mon, &year, &hh, &mm, &ss, zone) != 7)
		return -1;
	if (strcmp(zone, "GMT") != 0 && strcmp(zone, "UTC") != 0)
		return -1;
	int m = -1;
	for (int i = 0; i < 12; i++)
		if (strcasecmp(mon, months[i]) == 0)
			m = i;
	if (m < 0 || day < 1 || day > 31 || year < 1970 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	struct tm tm = {0};
	tm.tm_year = year - 1900;
	tm.tm_mon = m;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t;
	return 0;
}

static int message_says_skew(const char *msg)
{
	static const char *const words[] = {
		"signature expired", "not yet current", "too skewed", "time-skew",
		"request has expired", "is now earlier than", "is still later than", NULL,
	};
	if (!msg)
		return 0;
	for (size_t i = 0; words[i]; i++)
		if (strcasestr(msg, words[i]))
			return 1;
	return 0;
}

/* If the error is a clock-skew error that the Date header can correct,
 * returns 1 and stores the new offset (server - local) in *new_skew. */
static int skew_correction(const char *code, const char *message, const struct http_response *r,
			   long cur_skew, time_t local_now, long *new_skew)
{
	time_t server;
	if (!code || parse_http_date(r->date, &server) != 0)
		return 0;
	long offset = (long)(server - local_now);
	long diff = offset - cur_skew;
	int date_skewed = diff > SKEW_THRESHOLD_S || diff < -SKEW_THRESHOLD_S;
	int skew_error = in_list(code, skew_codes) ||
			 (in_list(code, signature_codes) && (message_says_skew(message) || date_skewed));
	if (!skew_error || diff == 0)
		return 0;
	/* A signature error whose Date is close to our clock is a real
	 * signature error: correcting by a second or two would not help. */
	if (!date_skewed && !in_list(code, skew_codes) && (diff < 60 && diff > -60))
		return 0;
	*new_skew = offset;
	return 1;
}

/* ---- randomness, uuids, sleeping --------------------------------------- */

static double rand01(void)
{
	uint64_t v = 0;
	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = (uint64_t)rand() << 32 ^ (uint64_t)rand();
	return (double)(v >> 11) * (1.0 / 9007199254740992.0); /* [0, 1) */
}

/* Random UUID version 4, lower-case: xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx. */
static int make_invocation_id(char out[37])
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

/* Full-jitter backoff before the retry that follows the failed attempt
 * number `attempt` (1-based); r in [0, 1). */
static long backoff_ms(const struct aws_retry_opts *o, int attempt, int throttling, double r,
		       long retry_after_ms)
{
	long cap = o->max_backoff_ms > 0 ? o->max_backoff_ms : DEFAULT_MAX_BACKOFF_MS;
	long base = o->base_ms > 0 ? o->base_ms : (throttling ? THROTTLING_BASE_MS : TRANSIENT_BASE_MS);
	double ceiling = (double)base;
	for (int i = 1; i < attempt && ceiling < (double)cap; i++)
		ceiling *= 2;
	if (ceiling > (double)cap)
		ceiling = (double)cap;
	long delay = (long)(r * ceiling);
	if (retry_after_ms > 0) {
		long lo = delay, hi = delay + RETRY_AFTER_MAX_EXTRA_MS;
		delay = retry_after_ms < lo ? lo : retry_after_ms > hi ? hi : retry_after_ms;
	}
	return delay;
}

static void sleep_ms(long ms)
{
	if (aws_request_sleep_hook) {
		aws_request_sleep_hook(ms);
		return;
	}
	if (ms <= 0)
		return;
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- retry quota -------------------------------------------------------- */

static int quota_acquire(struct aws_client *c, int cost)
{
	if (c->quota < cost)
		return 0;
	c->quota -= cost;
	return 1;
}

static void quota_release(struct aws_client *c, int amount)
{
	c->quota += amount;
	if (c->quota > RETRY_QUOTA_INITIAL)
		c->quota = RETRY_QUOTA_INITIAL;
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
	if (http_client_new(&ho, &c->http) != HTTP_OK) {
		free(c);
		return AL_SOFTWARE;
	}
	c->retry = opts->retry;
	if (c->retry.max_attempts <= 0)
		c->retry.max_attempts = DEFAULT_MAX_ATTEMPTS;
	if (c->retry.max_backoff_ms <= 0)
		c->retry.max_backoff_ms = DEFAULT_MAX_BACKOFF_MS;
	c->quota = RETRY_QUOTA_INITIAL;
	c->skew = atomic_load(&process_skew);
	c->verbose = opts->verbose;
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

struct endpoint_parts {
	char scheme[8];
	char host_header[300]; /* host[:port], no userinfo, default port dropped */
	char prefix[512];      /* path prefix of the endpoint, no trailing '/' */
};

static int split_endpoint(const char *ep, struct endpoint_parts *p)
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

static void set_error(struct aws_error *err, enum aws_err_kind kind, const char *op,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set_error(struct aws_error *err, enum aws_err_kind kind, const char *op,
		      const char *fmt, ...)
{
	err->kind = kind;
	int n = snprintf(err->message, sizeof(err->message), "%s: ", op);
	if (n < 0 || (size_t)n >= sizeof(err->message))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message + n, sizeof(err->message) - (size_t)n, fmt, ap);
	va_end(ap);
	for (char *p = err->message; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

/* 1 if the body is one complete JSON value (whitespace around allowed). */
static int json_valid(const char *s, size_t len)
{
	yajl_handle h = yajl_alloc(NULL, NULL, NULL);
	if (!h)
		return 0;
	int ok = yajl_parse(h, (const unsigned char *)s, len) == yajl_status_ok &&
		 yajl_complete_parse(h) == yajl_status_ok;
	yajl_free(h);
	return ok;
}

/* The Coral trap: HTTP 200 with {"Output":{"__type":"...#UnknownOperationException"},
 * "Version":"1.0"} when the target or Content-Type is wrong. */
static int coral_error_trap(const char *body)
{
	char ebuf[64];
	yajl_val tree = yajl_tree_parse(body, ebuf, sizeof(ebuf));
	yajl_val output = obj_get(tree, "Output");
	int trap = YAJL_IS_OBJECT(tree) && obj_str(output, "__type") != NULL;
	if (tree)
		yajl_tree_free(tree);
	return trap;
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

int aws_request(struct aws_client *c, const struct aws_call *call, const struct aws_credentials *creds,
		struct http_response *out, struct aws_error *err)
{
	memset(err, 0, sizeof(*err));
	memset(out, 0, sizeof(*out));
	const char *op = call && call->operation && *call->operation ? call->operation : "request";
	if (!c || !call || !call->endpoint) {
		set_error(err, AWS_ERR_OTHER, op, "no endpoint");
		return AL_SOFTWARE;
	}
	int sign = !call->unsigned_request;
	if (sign && (!creds || !creds->access_key_id || !*creds->access_key_id ||
		     !creds->secret_access_key || !*creds->secret_access_key)) {
		set_error(err, AWS_ERR_AUTH, op, "no credentials to sign the request");
		return AL_CONFIG;
	}
	if (sign && (!call->region || !*call->region || !call->service || !*call->service)) {
		set_error(err, AWS_ERR_OTHER, op, "no signing region or service");
		return AL_SOFTWARE;
	}
	struct endpoint_parts ep;
	if (split_endpoint(call->endpoint, &ep) != 0) {
		set_error(err, AWS_ERR_OTHER, op, "invalid endpoint URL");
		return AL_CONFIG;
	}
	const char *method = call->method && *call->method ? call->method : "POST";
	const char *path = call->path && *call->path ? call->path : "/";
	if (path[0] != '/') {
		set_error(err, AWS_ERR_OTHER, op, "path must start with '/'");
		return AL_SOFTWARE;
	}
	const char *const secrets[] = {
		sign && creds->secret_access_key ? creds->secret_access_key : "",
		sign && creds->session_token ? creds->session_token : "",
		NULL,
	};

	struct buf full_path = BUF_INIT, url = BUF_INIT;
	buf_printf(&full_path, "%s%s", ep.prefix, path);
	buf_printf(&url, "%s://%s%s", ep.scheme, ep.host_header, full_path.data ? full_path.data : "");
	/* the endpoint's userinfo, if any, is kept out of the URL we log: curl
	 * gets the host only, as AWS endpoints never carry credentials */
	if (call->query && *call->query)
		buf_printf(&url, "?%s", call->query);
	if (full_path.oom || url.oom) {
		buf_free(&full_path);
		buf_free(&url);
		set_error(err, AWS_ERR_OTHER, op, "out of memory");
		return AL_SOFTWARE;
	}

	int has_ctype = 0;
	for (size_t i = 0; i < call->nheaders; i++)
		has_ctype |= header_named(&call->headers[i], "content-type");
	const char *default_ctype = !has_ctype && strcmp(method, "POST") == 0
					    ? "application/x-amz-json-1.1" : NULL;
	const char *ctype = default_ctype;
	for (size_t i = 0; i < call->nheaders && !ctype; i++)
		if (header_named(&call->headers[i], "content-type"))
			ctype = call->headers[i].value;
	int awsjson = ctype && strncasecmp(ctype, "application/x-amz-json-", 23) == 0;

	char invocation_id[37];
	if (make_invocation_id(invocation_id) != 0) {
		buf_free(&full_path);
		buf_free(&url);
		set_error(err, AWS_ERR_OTHER, op, "no random bytes for the invocation id");
		return AL_SOFTWARE;
	}

	/* header arrays: Host + caller's + Content-Type + 3 signer headers +
	 * Authorization + 2 sdk headers */
	size_t cap = call->nheaders + 8;
	struct http_header *hh = calloc(cap, sizeof(*hh));
	struct sigv4_header *sh = calloc(cap, sizeof(*sh));
	if (!hh || !sh) {
		free(hh);
		free(sh);
		buf_free(&full_path);
		buf_free(&url);
		set_error(err, AWS_ERR_OTHER, op, "out of memory");
		return AL_SOFTWARE;
	}

	int max = c->retry.max_attempts;
	int skew_retried = 0;
	int last_cost = 0; /* quota taken by the last retry */
	int rc = AL_UNAVAILABLE;
	int attempt;
	for (attempt = 1;; attempt++) {
		http_response_free(out);
		memset(err, 0, sizeof(*err));
		err->attempts = attempt;

		size_t nh = 0, ns = 0;
		hh[nh++] = (struct http_header){"Host", ep.host_header};
		sh[ns++] = (struct sigv4_header){"Host", ep.host_header};
		for (size_t i = 0; i < call->nheaders; i++) {
			const struct http_header *h = &call->headers[i];
			if (!h->name || header_named(h, "host"))
				continue;
			if (sign && (header_named(h, "authorization") || header_named(h, "x-amz-date") ||
				     header_named(h, "x-amz-security-token")))
				continue;
			hh[nh++] = *h;
			if (strncasecmp(h->name, "amz-sdk-", 8) != 0)
				sh[ns++] = (struct sigv4_header){h->name, h->value ? h->value : ""};
		}
		if (default_ctype) {
			hh[nh++] = (struct http_header){"Content-Type", default_ctype};
			sh[ns++] = (struct sigv4_header){"Content-Type", default_ctype};
		}

		struct sigv4_result sig;
		memset(&sig, 0, sizeof(sig));
		time_t local_now = now_fn();
		if (sign) {
			struct sigv4_request sr = {0};
			sr.method = method;
			sr.path = full_path.data;
			sr.query = call->query;
			sr.headers = sh;
			sr.n_headers = ns;
			sr.body = call->body;
			sr.body_len = call->body ? call->body_len : 0;
			sr.region = call->region;
			sr.service = call->service;
			sr.time = local_now + c->skew;
			sr.normalize_path = 1;
			sr.mode = SIGV4_MODE_HEADER;
			struct sigv4_credentials sc = {creds->access_key_id, creds->secret_access_key,
						       creds->session_token, 0};
			if (sigv4_sign(&sr, &sc, &sig) != 0) {
				set_error(err, AWS_ERR_OTHER, op, "cannot sign the request: %s",
					  sig.error ? sig.error : "signer error");
				sigv4_result_free(&sig);
				rc = AL_SOFTWARE;
				break;
			}
			for (size_t i = 0; i < sig.n_add_headers; i++)
				hh[nh++] = (struct http_header){sig.add_headers[i].name,
								sig.add_headers[i].value};
			hh[nh++] = (struct http_header){"Authorization", sig.authorization};
			if (c->verbose >= 2)
				log_canonical(op, sig.canonical_request);
		}
		char sdk_request[48];
		snprintf(sdk_request, sizeof(sdk_request), "attempt=%d; max=%d", attempt, max);
		hh[nh++] = (struct http_header){"amz-sdk-invocation-id", invocation_id};
		hh[nh++] = (struct http_header){"amz-sdk-request", sdk_request};

		struct http_request req = {0};
		req.method = method;
		req.url = url.data;
		req.headers = hh;
		req.nheaders = nh;
		req.body = call->body;
		req.body_len = call->body ? call->body_len : 0;
		char herr[256];
		int hr = http_perform(c->http, &req, out, herr, sizeof(herr));
		sigv4_result_free(&sig);
		memset(hh, 0, cap * sizeof(*hh));

		enum retry_class retry = RETRY_NO;
		long new_skew = 0;
		if (hr == HTTP_OK && out->status >= 200 && out->status <= 299) {
			/* success, unless the body is not what an awsJson service sends */
			struct decoded d;
			int bad = 0, trap = 0;
			if (awsjson && out->body.len) {
				if (!json_valid(out->body.data, out->body.len))
					bad = 1;
				else if (out->body.len <= SMALL_BODY)
					trap = coral_error_trap(out->body.data);
			}
			if (!bad && !trap) {
				quota_release(c, last_cost ? last_cost : NO_RETRY_INCREMENT);
				rc = AL_OK;
				err->status = out->status;
				if (c->verbose)
					fprintf(stderr,
						"authlog-scan: aws: %s attempt %d/%d: HTTP %ld (%.1f ms)\n",
						op, attempt, max, out->status, out->seconds * 1000.0);
				break;
			}
			if (bad) {
				err->status = out->status;
				set_error(err, AWS_ERR_BAD_RESPONSE, op,
					  "the response is not valid JSON (HTTP %ld, %zu bytes)",
					  out->status, out->body.len);
			} else {
				decode_with_secrets(op, out, err, NULL, secrets, &d);
				buf_free(&d.message);
			}
			rc = aws_error_status(err->kind);
			break;
		} else if (hr == HTTP_OK) {
			struct decoded d;
			decode_with_secrets(op, out, err, NULL, secrets, &d);
			const char *rawmsg = buf_str(&d.message);
			if (is_throttling(err->code, out->status))
				retry = RETRY_THROTTLING;
			else if (is_transient(err->code, out->status))
				retry = RETRY_TRANSIENT;
			else if (!skew_retried &&
				 skew_correction(err->code, rawmsg, out, c->skew, local_now, &new_skew))
				retry = RETRY_SKEW;
			buf_free(&d.message);
			scrub_buf(&out->body, secrets);
		} else {
			enum aws_err_kind kind = hr == HTTP_ERR_TOO_LARGE ? AWS_ERR_BAD_RESPONSE
				: hr == HTTP_ERR_OTHER ? AWS_ERR_OTHER : AWS_ERR_TRANSPORT;
			set_error(err, kind, op, "%s", herr);
			if (hr == HTTP_ERR_CONNECT || hr == HTTP_ERR_TIMEOUT || hr == HTTP_ERR_RESET)
				retry = RETRY_TRANSPORT;
		}
		rc = aws_error_status(err->kind);
		if (c->verbose)
			fprintf(stderr, "authlog-scan: aws: %s attempt %d/%d failed: %s\n", op, attempt,
				max, err->message);
		if (retry == RETRY_NO)
			break;
		if (attempt >= max) {
			char extra[64];
			snprintf(extra, sizeof(extra), "%d attempts", attempt);
			if (hr == HTTP_OK) {
				struct decoded d;
				decode_with_secrets(op, out, err, extra, secrets, &d);
				buf_free(&d.message);
			} else if (strlen(err->message) + strlen(extra) + 4 < sizeof(err->message)) {
				strcat(err->message, " (");
				strcat(err->message, extra);
				strcat(err->message, ")");
			}
			err->attempts = attempt;
			break;
		}
		if (retry == RETRY_SKEW) {
			long delta = new_skew - c->skew;
			fprintf(stderr,
				"authlog-scan: warning: the local clock is %ld s %s the AWS clock (Date "
				"header of a %s %s); signing again with the corrected time\n",
				delta < 0 ? -delta : delta, delta > 0 ? "behind" : "ahead of", op,
				err->code);
			c->skew = new_skew;
			atomic_store(&process_skew, new_skew);
			skew_retried = 1;
			continue;
		}
		int cost = retry == RETRY_TRANSPORT ? RETRY_COST_TIMEOUT : RETRY_COST;
		if (!quota_acquire(c, cost)) {
			if (hr == HTTP_OK) {
				struct decoded d;
				decode_with_secrets(op, out, err, "retry quota exhausted", secrets, &d);
				buf_free(&d.message);
			} else if (strlen(err->message) + 26 < sizeof(err->message)) {
				strcat(err->message, " (retry quota exhausted)");
			}
			err->attempts = attempt;
			if (c->verbose)
				fprintf(stderr, "authlog-scan: aws: %s: retry quota exhausted (%d left)\n",
					op, c->quota);
			break;
		}
		last_cost = cost;
		long delay = backoff_ms(&c->retry, attempt, retry == RETRY_THROTTLING, rand_fn(),
					hr == HTTP_OK ? out->retry_after_ms : 0);
		if (c->verbose)
			fprintf(stderr, "authlog-scan: aws: %s: %s, retrying in %ld ms (quota %d)\n", op,
				kind_retry_name(retry), delay, c->quota);
		sleep_ms(delay);
	}
	if (rc == AL_OK) {
		err->kind = AWS_ERR_NONE;
		err->attempts = attempt;
	}
	free(hh);
	free(sh);
	buf_free(&full_path);
	buf_free(&url);
	return rc;
}

/* The environment first, then the profile, as the SDKs read them. */
static const char *env_or_profile(const struct aws_config *cfg, const char *profile, const char *env_name,
				  const char *key)
{
	const char *v = getenv(env_name);
	if (v && *v)
		return v;
	v = aws_config_get(cfg, profile, key);
	return v && *v ? v : NULL;
}

int aws_client_opts_from_config(const struct aws_config *cfg, const char *profile, struct aws_client_opts *out,
				char *err, size_t err_sz)
{
	memset(out, 0, sizeof(*out));
	out->http.ca_bundle = env_or_profile(cfg, profile, "AWS_CA_BUNDLE", "ca_bundle");
	const char *ma = env_or_profile(cfg, profile, "AWS_MAX_ATTEMPTS", "max_attempts");
	if (ma) {
		char *end;
		long n = strtol(ma, &end, 10);
		if (*end || n < 1 || n > 20) {
			snprintf(err, err_sz, "max_attempts '%s' must be a number from 1 to 20", ma);
			return -1;
		}
		out->retry.max_attempts = (int)n;
	}
	return 0;
}
