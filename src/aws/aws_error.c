#include "aws_error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "aws_doc.h"
#include "aws_secret.h"
#include "buf.h"
#include "http.h"
#include "msg.h"
#include "status.h"

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

int aws_error_is_skew(const char *code)
{
	return code && in_list(code, skew_codes);
}

int aws_error_is_signature(const char *code)
{
	return code && in_list(code, signature_codes);
}

int aws_error_is_throttling(const char *code, long status)
{
	return (code && in_list(code, throttling_codes)) || status == 429;
}

int aws_error_is_transient(const char *code, long status)
{
	return (code && in_list(code, transient_codes)) || status == 500 || status == 502 ||
	       status == 503 || status == 504;
}

enum aws_err_kind aws_error_kind(const char *code, long status)
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

/* The code and message of a JSON error body: awsJson __type / message,
 * restJson code / Message, query-JSON {"Error":{"Code","Message"}}, the
 * Coral {"Output":{"__type","message"}} envelope, Lambda errorMessage;
 * the first of each list that is a string wins. */
static const char *const json_code_paths[] = {"__type", "code", "Code", "Error.Code", "Output.__type"};
static const char *const json_message_paths[] = {
	"message", "Message", "Error.Message", "Error.message", "Output.message", "Output.Message", "errorMessage",
};
#define N_CODE_PATHS (sizeof json_code_paths / sizeof *json_code_paths)
#define N_MESSAGE_PATHS (sizeof json_message_paths / sizeof *json_message_paths)

static void decode_json(const char *body, size_t len, char *code, size_t code_sz, struct buf *msg)
{
	struct aws_doc_field f[N_CODE_PATHS + N_MESSAGE_PATHS];
	memset(f, 0, sizeof f);
	for (size_t i = 0; i < N_CODE_PATHS; i++)
		f[i].path = json_code_paths[i];
	for (size_t i = 0; i < N_MESSAGE_PATHS; i++)
		f[N_CODE_PATHS + i].path = json_message_paths[i];
	if (aws_doc_json(body, len, f, N_CODE_PATHS + N_MESSAGE_PATHS, NULL, 0) != 0)
		return;
	const char *c = aws_doc_first_string(f, N_CODE_PATHS);
	const char *m = aws_doc_first_string(f + N_CODE_PATHS, N_MESSAGE_PATHS);
	if (c)
		snprintf(code, code_sz, "%s", c);
	if (m)
		buf_puts(msg, m);
	aws_doc_fields_free(f, N_CODE_PATHS + N_MESSAGE_PATHS);
}

/* Code and message of an XML error (<Code>, <Message>), or an HTML page's
 * <title> as the message. */
static void decode_xml(const char *body, size_t len, char *code, size_t code_sz, struct buf *msg)
{
	char *c = aws_doc_xml_text(body, len, NULL, "Code");
	char *m = c && *c ? aws_doc_xml_text(body, len, NULL, "Message")
			  : aws_doc_xml_text(body, len, NULL, "title");
	if (c && *c)
		sanitize_code(c, strlen(c), code, code_sz);
	if (m)
		buf_puts(msg, m);
	aws_secret_free(c);
	aws_secret_free(m);
}

/* What one error response says: the code (header, body, or a name for the
 * status) and the message, raw (maybe long or multi-line). */
static void decode_response(const struct http_response *r, char *code, size_t code_sz, struct buf *msg)
{
	const char *body = r->body.data ? r->body.data : "";
	size_t len = r->body.len, skip = 0;
	char body_code[128] = "";

	code[0] = '\0';
	while (skip < len && isspace((unsigned char)body[skip]))
		skip++;
	if (skip < len && body[skip] == '{')
		decode_json(body, len, body_code, sizeof body_code, msg);
	else if (skip < len && body[skip] == '<')
		decode_xml(body, len, code, code_sz, msg);
	else if (looks_like_text(body + skip, len - skip))
		buf_append(msg, body + skip, len - skip);

	/* The header wins over the body (smithy, aws-sdk-go-v2). */
	if (r->error_type && *r->error_type)
		sanitize_code(r->error_type, strlen(r->error_type), code, code_sz);
	if (!code[0] && body_code[0])
		sanitize_code(body_code, strlen(body_code), code, code_sz);
	if (!code[0]) {
		const char *name = status_code_name(r->status);
		if (name)
			snprintf(code, code_sz, "%s", name);
		else
			snprintf(code, code_sz, "HTTP%ld", r->status);
	}
}

/* Replaces every occurrence of each secret in b by "[redacted]". */
void aws_error_scrub(struct buf *b, const char *const *secrets)
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
/* "OP: CODE: message (HTTP N[, extra])" on one line into err (at most
 * AWS_ERR_MAX bytes). */
static void format_message(const char *op, const char *code, const struct buf *raw, long status,
			   const char *extra, char *err, size_t err_sz)
{
	if (!err || !err_sz)
		return;
	size_t max = err_sz < AWS_ERR_MAX ? err_sz : AWS_ERR_MAX;
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
	if (n >= max) {
		/* keep the tail "(HTTP ...)" when there is room for it */
		const char *tail = strrchr(s, '(');
		size_t tl = tail ? strlen(tail) : 0;
		if (tl > 120 || tl + 5 > max)
			tl = 0;
		size_t head = max > tl + 5 ? max - 1 - tl - 4 : 0;
		/* do not cut a UTF-8 sequence */
		while (head > 0 && ((unsigned char)s[head] & 0xC0) == 0x80)
			head--;
		snprintf(err, max, "%.*s...%s%s", (int)head, s, tl ? " " : "", tl ? tail : "");
	} else {
		memcpy(err, s, n + 1);
	}
	OPENSSL_cleanse(m.data, m.cap);
	buf_free(&m);
}

void aws_error_decode(const char *operation, const struct http_response *r, const char *extra,
		      const char *const *secrets, struct aws_fault *fault, struct buf *raw,
		      char *err, size_t err_sz)
{
	struct buf msg = BUF_INIT;
	decode_response(r, fault->code, sizeof fault->code, &msg);
	fault->status = r->status;
	fault->kind = aws_error_kind(fault->code, r->status);
	aws_error_scrub(&msg, secrets);
	if (raw)
		buf_append(raw, buf_str(&msg), msg.len);
	format_message(operation, fault->code, &msg, r->status, extra, err, err_sz);
	buf_free(&msg);
}

int aws_error_coral_trap(const char *body, size_t len)
{
	struct aws_doc_field f = {"Output.__type", AWS_DOC_ABSENT, NULL};
	int trap = aws_doc_json(body, len, &f, 1, NULL, 0) == 0 && f.type == AWS_DOC_STRING;
	aws_doc_fields_free(&f, 1);
	return trap;
}

int aws_error_fail(struct aws_fault *f, enum aws_err_kind kind, int status, const char *op, char *err,
		   size_t err_sz, const char *fmt, ...)
{
	char what[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	f->kind = kind;
	msg_set(err, err_sz, "%s: %s", op, what);
	return status;
}
