/* Unit tests for the SigV4 signer: CloudWatch Logs StartQuery requests
 * signed with the example keys of the AWS SigV4 test suite (AKIDEXAMPLE,
 * 2015-08-30T12:36:00Z), their canonical requests and signatures written
 * out, URI and query encoding, header canonicalisation, session-token
 * handling, validation and secret wiping.  (tests/sigv4_oracle.py checks
 * the same signer against botocore on random requests.)
 *
 * Every wipe goes through aws_secret_wipe, whose hook
 * (aws_secret_wipe_hook, aws_secret_int.h) lets the test see the wiped
 * memory while it is still live. */
#include "aws/sigv4.h"
#include "aws/aws_secret_int.h"
#include "buf.h"
#include "status.h"

#include "tap.h"

#include <stdio.h>
#include <string.h>

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define T_20150830 1440938160 /* 2015-08-30T12:36:00Z */

static char sign_err[256];

#define SHA256_LEN 32 /* the derived HMAC keys */
#define T_20261124 1795486777 /* 2026-11-24T02:19:37Z */
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const char startquery_body[] =
	"{\"logGroupName\":\"/aws/eks/demo/cluster\",\"startTime\":1672000000,"
	"\"endTime\":1672003600,\"queryString\":\"fields @timestamp, @message | sort "
	"@timestamp asc\",\"limit\":10000}";

static const struct sigv4_header startquery_headers[] = {
	{"Host", "logs.us-east-1.amazonaws.com"},
	{"X-Amz-Target", "Logs_20140328.StartQuery"},
	{"Content-Type", "application/x-amz-json-1.1"},
};

static struct sigv4_request startquery_request(void)
{
	struct sigv4_request r = {0};
	r.method = "POST";
	r.path = "/";
	r.headers = startquery_headers;
	r.n_headers = 3;
	r.body = startquery_body;
	r.body_len = sizeof(startquery_body) - 1;
	r.region = "us-east-1";
	r.service = "logs";
	r.time = T_20150830;
	r.normalize_path = 1;
	return r;
}

static const char *add_header(const struct sigv4_result *res, const char *name)
{
	for (size_t i = 0; i < res->n_add_headers; i++)
		if (strcmp(res->add_headers[i].name, name) == 0)
			return res->add_headers[i].value;
	return NULL;
}

/* Line n (0-based) of the canonical request, in a static buffer. */
static const char *creq_line(const struct sigv4_result *res, int n)
{
	static char line[4096];
	const char *p = res->canonical_request;
	if (!p)
		return NULL;
	for (; n > 0; n--) {
		p = strchr(p, '\n');
		if (!p)
			return NULL;
		p++;
	}
	size_t len = strcspn(p, "\n");
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	memcpy(line, p, len);
	line[len] = '\0';
	return line;
}

static void test_logs_vector(void)
{
	struct sigv4_request r = startquery_request();
	struct sigv4_credentials c = {AKID, SECRET, NULL, 0};
	struct sigv4_result res;

	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), 0, "StartQuery vector: signs");
	is_str(res.canonical_request,
	       "POST\n/\n\n"
	       "content-type:application/x-amz-json-1.1\n"
	       "host:logs.us-east-1.amazonaws.com\n"
	       "x-amz-date:20150830T123600Z\n"
	       "x-amz-target:Logs_20140328.StartQuery\n\n"
	       "content-type;host;x-amz-date;x-amz-target\n"
	       "ca57f5199109c663f2fb9a397ede8ba62b96f20b9c3c709690aa4f53627f0acc",
	       "StartQuery vector: canonical request");
	is_str(res.string_to_sign,
	       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/logs/aws4_request\n"
	       "b435b5e445ac571ef066446d24d89f3b9ed94cb540391ca08c771d243fe990df",
	       "StartQuery vector: string to sign");
	is_str(res.signature, "c8053e3eb4041a7fa0a83f199ce4726aabd6f63d90b30e8cf2ac8ae688e1d20a",
	       "StartQuery vector: signature");
	is_str(res.authorization,
	       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/logs/aws4_request, "
	       "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
	       "Signature=c8053e3eb4041a7fa0a83f199ce4726aabd6f63d90b30e8cf2ac8ae688e1d20a",
	       "StartQuery vector: Authorization");
	is_int(res.n_add_headers, 1, "StartQuery vector: only X-Amz-Date to add");
	is_str(add_header(&res, "X-Amz-Date"), "20150830T123600Z", "StartQuery vector: X-Amz-Date");
	is_str(add_header(&res, "x-amz-content-sha256"), NULL,
	       "StartQuery vector: no x-amz-content-sha256 (Logs does not send it)");
	sigv4_result_free(&res);

	/* Same again from a precomputed payload hash instead of the body. */
	r.body = NULL;
	r.body_len = 0;
	r.payload_hash = "ca57f5199109c663f2fb9a397ede8ba62b96f20b9c3c709690aa4f53627f0acc";
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), 0, "StartQuery vector, payload_hash: signs");
	is_str(res.signature, "c8053e3eb4041a7fa0a83f199ce4726aabd6f63d90b30e8cf2ac8ae688e1d20a",
	       "StartQuery vector, payload_hash: same signature");
	sigv4_result_free(&res);
}

static void test_logs_vector_token(void)
{
	struct sigv4_request r = startquery_request();
	struct sigv4_credentials c = {AKID, SECRET, "AQoDYXdzEPT//////////wEXAMPLEtoken", 0};
	struct sigv4_result res;

	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), 0, "StartQuery+token: signs");
	is_str(res.canonical_request,
	       "POST\n/\n\n"
	       "content-type:application/x-amz-json-1.1\n"
	       "host:logs.us-east-1.amazonaws.com\n"
	       "x-amz-date:20150830T123600Z\n"
	       "x-amz-security-token:AQoDYXdzEPT//////////wEXAMPLEtoken\n"
	       "x-amz-target:Logs_20140328.StartQuery\n\n"
	       "content-type;host;x-amz-date;x-amz-security-token;x-amz-target\n"
	       "ca57f5199109c663f2fb9a397ede8ba62b96f20b9c3c709690aa4f53627f0acc",
	       "StartQuery+token: canonical request");
	is_str(creq_line(&(struct sigv4_result){.canonical_request = res.string_to_sign}, 3),
	       "eb4e876d77ad119813c61b25684e18bf687ef16292dd52bffc7d12dd3da3c3e3",
	       "StartQuery+token: string-to-sign hash");
	is_str(res.signature, "cdb689ff02161e691ef1bafcc349284f23d139da6a62508e736329beb0f19f5d",
	       "StartQuery+token: signature");
	is_str(add_header(&res, "X-Amz-Security-Token"), "AQoDYXdzEPT//////////wEXAMPLEtoken",
	       "StartQuery+token: X-Amz-Security-Token to add");
	sigv4_result_free(&res);
}

/* The request awscli sent to moto (logs-insights-api.md section 8).  It had a
 * User-Agent, which botocore does not sign; neither may we. */
static void test_captured_moto_request(void)
{
	static const char body[] =
		"{\"logGroupName\": \"/aws/eks/demo/cluster\", \"startTime\": 1795483176, "
		"\"endTime\": 1795486836, \"queryString\": \"fields @timestamp, @message, "
		"@logStream | filter @message like /access/ | sort @timestamp desc | limit 20\"}";
	const struct sigv4_header h[] = {
		{"Host", "127.0.0.1:5124"},
		{"X-Amz-Target", "Logs_20140328.StartQuery"},
		{"Content-Type", "application/x-amz-json-1.1"},
		{"User-Agent", "aws-cli/1.45.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.18.44-fc-v769 "
			       "md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython m/N,g,b,D,Z "
			       "cfg/retry-mode#legacy botocore/1.43.11"},
	};
	struct sigv4_request r = {0};
	struct sigv4_credentials c = {AKID, SECRET, NULL, 0};
	struct sigv4_result res;

	r.method = "POST";
	r.path = "/";
	r.headers = h;
	r.n_headers = 4;
	r.body = body;
	r.body_len = sizeof(body) - 1;
	r.region = "us-east-1";
	r.service = "logs";
	r.time = T_20261124;
	r.normalize_path = 1;
	is_int(r.body_len, 213, "captured request: body is the 213 bytes sent");
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), 0, "captured request: signs");
	is_str(res.canonical_request,
	       "POST\n/\n\n"
	       "content-type:application/x-amz-json-1.1\n"
	       "host:127.0.0.1:5124\n"
	       "x-amz-date:20261124T021937Z\n"
	       "x-amz-target:Logs_20140328.StartQuery\n\n"
	       "content-type;host;x-amz-date;x-amz-target\n"
	       "b076a0b8ed166f5a69ca558d1e328c2f3bf5f1f9da0b9334afcac53a88f66f59",
	       "captured request: canonical request as botocore logged it");
	is_str(res.authorization,
	       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/logs/aws4_request, "
	       "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
	       "Signature=7c290ee527fcaab0fcae220d16143124684f63956e12051dbeff30997d828af0",
	       "captured request: Authorization as sent on the wire");
	sigv4_result_free(&res);
}

static void check_encode(const char *in, int keep_slash, const char *want)
{
	struct buf b = BUF_INIT;
	is_int(sigv4_uri_encode(&b, in, strlen(in), keep_slash), 0, "uri_encode('%s') ok", in);
	is_str(buf_str(&b), want, "uri_encode('%s', keep_slash=%d)", in, keep_slash);
	buf_free(&b);
}

static void test_uri_encode(void)
{
	check_encode("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 0,
		     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
	check_encode("/example space/", 1, "/example%20space/");
	check_encode("/example space/", 0, "%2Fexample%20space%2F");
	check_encode("/\xe1\x88\xb4", 1, "/%E1%88%B4");
	check_encode("a+b*c%d=e&f;g,h:i@j!k'l(m)n$", 0,
		     "a%2Bb%2Ac%25d%3De%26f%3Bg%2Ch%3Ai%40j%21k%27l%28m%29n%24");
	check_encode("", 0, "");
}

/* Signs GET <path>?<query> with only a Host header; returns 0/-1. */
static int sign_simple(const char *path, const char *query, int normalize,
		       struct sigv4_result *res)
{
	static const struct sigv4_header h[] = {{"Host", "example.amazonaws.com"}};
	struct sigv4_request r = {0};
	struct sigv4_credentials c = {AKID, SECRET, NULL, 0};
	r.method = "GET";
	r.path = path;
	r.query = query;
	r.headers = h;
	r.n_headers = 1;
	r.region = "us-east-1";
	r.service = "service";
	r.time = T_20150830;
	r.normalize_path = normalize;
	return sigv4_sign(&r, &c, res, sign_err, sizeof sign_err);
}

static void check_path(const char *path, int normalize, const char *want)
{
	struct sigv4_result res;
	sign_simple(path, NULL, normalize, &res);
	is_str(creq_line(&res, 1), want, "canonical URI of '%s' (normalize=%d)", path ? path : "(null)",
	       normalize);
	sigv4_result_free(&res);
}

static void check_query(const char *query, const char *want)
{
	struct sigv4_result res;
	sign_simple("/", query, 1, &res);
	is_str(creq_line(&res, 2), want, "canonical query of '%s'", query);
	sigv4_result_free(&res);
}

static void test_paths_and_queries(void)
{
	check_path("/a/b/../c/./d//", 1, "/a/c/d/");
	check_path("/..", 1, "/");
	check_path("/../../x", 1, "/x");
	check_path("/a/b/..", 1, "/a");          /* botocore's remove_dot_segments */
	check_path("", 1, "/");
	check_path(NULL, 0, "/");
	check_path("//a/../", 0, "//a/../");
	check_path("/%2E%2E/x", 1, "/%252E%252E/x"); /* encoded dots are no dot segment */
	check_path("/a%20b", 1, "/a%2520b");     /* non-S3: the wire form is encoded again */

	check_query("b=2&a=1&a=0&c&=x&&", "=x&a=0&a=1&b=2&c=");
	check_query("k=%7e%41+b%zz%", "k=~A%2Bb%25zz%25");
	check_query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
		    "%E1%88%B4=Value1&Param=Value2&Param-3=Value3");
	check_query("a=b=c&sp ace=x y", "a=b%3Dc&sp%20ace=x%20y");
	check_query("A=1&a=1&_=1&~=1&-=1", "-=1&A=1&_=1&a=1&~=1");
	check_query("a=x%00y&%00=", "%00=&a=x%00y"); /* a decoded NUL is data, not an end */
	check_query("", "");
}

static void test_headers(void)
{
	const struct sigv4_header h[] = {
		{"HOST", "example.amazonaws.com"},
		{"X-Trim", "  a \t b  "},
		{"x-empty", " \t "},
		{"X-Quoted", "\"a   b   c\""},
		{"X-Dup", "2"},
		{"x-dup", " 1 "},
		{"User-Agent", "curl/8"},
		{"Expect", "100-continue"},
		{"Authorization", "stale"},
		{"X-Amz-Date", "19990101T000000Z"},
		{"Content-Length", "0"},
	};
	struct sigv4_request r = {0};
	struct sigv4_credentials c = {AKID, SECRET, NULL, 0};
	struct sigv4_result res;

	r.method = "GET";
	r.path = "/";
	r.headers = h;
	r.n_headers = sizeof(h) / sizeof(h[0]);
	r.region = "us-east-1";
	r.service = "service";
	r.time = T_20150830;
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), 0, "headers: signs");
	is_str(res.canonical_request,
	       "GET\n/\n\n"
	       "content-length:0\n"
	       "host:example.amazonaws.com\n"
	       "x-amz-date:20150830T123600Z\n"
	       "x-dup:2,1\n"
	       "x-empty:\n"
	       "x-quoted:\"a b c\"\n"
	       "x-trim:a b\n\n"
	       "content-length;host;x-amz-date;x-dup;x-empty;x-quoted;x-trim\n" EMPTY_SHA,
	       "headers: trimmed, squeezed, merged in order, hop-by-hop and stale auth skipped");
	sigv4_result_free(&res);

	const struct sigv4_header crlf[] = {{"Host", "h"}, {"X-Evil", "a\r\nX-Injected: 1"}};
	r.headers = crlf;
	r.n_headers = 2;
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), AL_DATAERR, "headers: CR/LF in a value is refused");
	ok(strstr(sign_err, "control"), "headers: error says why (%s)",
	   sign_err);
	sigv4_result_free(&res);

	const struct sigv4_header badname[] = {{"Host", "h"}, {"X Bad", "v"}};
	r.headers = badname;
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), AL_DATAERR, "headers: a space in a name is refused");
	sigv4_result_free(&res);

	const struct sigv4_header nohost[] = {{"X-A", "v"}};
	r.headers = nohost;
	r.n_headers = 1;
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), AL_DATAERR, "headers: no Host header is refused");
	sigv4_result_free(&res);
}

static void test_session_token(void)
{
	static const struct sigv4_header h[] = {{"Host", "example.amazonaws.com"}};
	struct sigv4_request r = {0};
	struct sigv4_credentials c = {AKID, SECRET, "tok/en+=", 0};
	struct sigv4_result res;

	r.method = "POST";
	r.path = "/";
	r.headers = h;
	r.n_headers = 1;
	r.region = "us-east-1";
	r.service = "service";
	r.time = T_20150830;

	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), 0, "token: header mode signs");
	ok(strstr(res.canonical_request, "\nx-amz-security-token:tok/en+=\n") != NULL,
	   "token: signed as x-amz-security-token");
	is_str(creq_line(&res, 7), "host;x-amz-date;x-amz-security-token", "token: in SignedHeaders");
	is_str(add_header(&res, "X-Amz-Security-Token"), "tok/en+=", "token: header to add");
	sigv4_result_free(&res);

	c.omit_session_token = 1;
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), 0, "token omitted: header mode signs");
	ok(strstr(res.canonical_request, "security-token") == NULL,
	   "token omitted: not in the canonical request");
	is_str(add_header(&res, "X-Amz-Security-Token"), "tok/en+=",
	       "token omitted: still added after signing");
	sigv4_result_free(&res);

	r.mode = SIGV4_MODE_QUERY;
	r.expires = 60;
	c.omit_session_token = 0;
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), 0, "token: query mode signs");
	ok(strstr(creq_line(&res, 2), "&X-Amz-Security-Token=tok%2Fen%2B%3D&") != NULL,
	   "token: in the canonical query, encoded");
	ok(strstr(res.presign_params, "&X-Amz-Security-Token=tok%2Fen%2B%3D&") != NULL,
	   "token: in presign_params");
	sigv4_result_free(&res);

	c.omit_session_token = 1;
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), 0, "token omitted: query mode signs");
	ok(strstr(res.canonical_request, "Security-Token") == NULL,
	   "token omitted: not in the canonical query");
	ok(strstr(res.signed_query, "&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-Signature=") != NULL,
	   "token omitted: appended to signed_query after signing");
	sigv4_result_free(&res);

	c.session_token = "";
	c.omit_session_token = 0;
	r.mode = SIGV4_MODE_HEADER;
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), 0, "empty token: signs");
	ok(strstr(res.canonical_request, "security-token") == NULL && res.n_add_headers == 1,
	   "empty token: same as no token");
	sigv4_result_free(&res);
}

static void test_query_mode_and_body(void)
{
	static const struct sigv4_header h[] = {{"Host", "example.amazonaws.com"}};
	struct sigv4_request r = {0};
	struct sigv4_credentials c = {AKID, SECRET, NULL, 0};
	struct sigv4_result res;

	r.method = "GET";
	r.path = "/";
	r.headers = h;
	r.n_headers = 1;
	r.region = "us-east-1";
	r.service = "service";
	r.time = T_20150830;
	r.mode = SIGV4_MODE_QUERY;
	r.expires = 3600;
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), 0, "query: get-vanilla presign");
	is_str(res.presign_params,
	       "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1"
	       "%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600"
	       "&X-Amz-SignedHeaders=host"
	       "&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d",
	       "query: presign_params in SDK order");
	is_str(res.authorization, NULL, "query: no Authorization");
	is_int(res.n_add_headers, 0, "query: no headers to add");
	sigv4_result_free(&res);

	r.query = "X-Amz-Signature=abc";
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), AL_DATAERR, "query: refuses a query that is already presigned");
	sigv4_result_free(&res);
	r.query = NULL;

	r.expires = 0;
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), AL_DATAERR, "query: expires 0 refused");
	sigv4_result_free(&res);
	r.expires = SIGV4_MAX_EXPIRES + 1;
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), AL_DATAERR, "query: expires over 7 days refused");
	sigv4_result_free(&res);

	r.mode = SIGV4_MODE_HEADER;
	r.method = "POST";
	r.body = "Param1=value1";
	r.body_len = 13;
	r.sign_body = 1;
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), 0, "sign_body: signs");
	is_str(add_header(&res, "x-amz-content-sha256"),
	       "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
	       "sign_body: x-amz-content-sha256 to add");
	ok(strstr(res.canonical_request,
		  "\nx-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n") != NULL,
	   "sign_body: and signed");
	sigv4_result_free(&res);

	r.sign_body = 0;
	r.payload_hash = "UNSIGNED-PAYLOAD";
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), 0, "payload_hash: signs");
	is_str(creq_line(&res, 7), "UNSIGNED-PAYLOAD", "payload_hash: used as the last line");
	sigv4_result_free(&res);
}

static void test_validation(void)
{
	static const struct sigv4_header h[] = {{"Host", "example.amazonaws.com"}};
	struct sigv4_request r = {0};
	struct sigv4_credentials c = {AKID, SECRET, NULL, 0};
	struct sigv4_result res;

	r.method = "GET";
	r.path = "/";
	r.headers = h;
	r.n_headers = 1;
	r.region = "us-east-1";
	r.service = "logs";
	r.time = T_20150830;

	r.region = "us-east-1/x";
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), AL_DATAERR, "validation: '/' in region refused");
	sigv4_result_free(&res);
	r.region = "us-east-1";

	c.access_key_id = "";
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), AL_DATAERR, "validation: empty access key refused");
	sigv4_result_free(&res);
	c.access_key_id = AKID;

	c.secret_access_key = NULL;
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), AL_DATAERR, "validation: missing secret refused");
	sigv4_result_free(&res);
	c.secret_access_key = SECRET;

	r.method = "GET /";
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), AL_DATAERR, "validation: method with a space refused");
	sigv4_result_free(&res);
	r.method = "GET";

	r.time = (time_t)253402300800LL; /* 10000-01-01: no 4-digit year */
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), AL_DATAERR, "validation: year 10000 refused");
	ok(sign_err[0] != 0, "validation: error set (%s)", sign_err);
	sigv4_result_free(&res);
	sigv4_result_free(&res);
	ok(1, "validation: sigv4_result_free twice is harmless");

	is_int(sigv4_sign(&r, NULL, &res, sign_err, sizeof sign_err), AL_DATAERR, "validation: NULL credentials refused");
	sigv4_result_free(&res);
}

/* Wipe observer: every wiped buffer must read all-zero right after the wipe,
 * and the "AWS4"+secret key and the 32-byte derived keys must be among them. */
static size_t wipes, wiped_nonzero, wiped_ksecret, wiped_keys;

static void on_wipe(const void *p, size_t n)
{
	const unsigned char *b = p;
	wipes++;
	for (size_t i = 0; i < n; i++) {
		if (b[i]) {
			wiped_nonzero++;
			break;
		}
	}
	if (n == 4 + strlen(SECRET))
		wiped_ksecret++;
	if (n == SHA256_LEN)
		wiped_keys++;
}

static int holds_secret(const char *s)
{
	return s && strstr(s, SECRET) != NULL;
}

static void test_wiping(void)
{
	struct sigv4_request r = startquery_request();
	struct sigv4_credentials c = {AKID, SECRET, "session-token-value", 0};
	struct sigv4_result res;

	aws_secret_wipe_hook = on_wipe;
	is_int(sigv4_sign(&r, &c, &res, sign_err, sizeof sign_err), 0, "wipe: signs");
	aws_secret_wipe_hook = NULL;
	ok(wipes > 0, "wipe: %zu buffers wiped", wipes);
	is_int(wiped_nonzero, 0, "wipe: every wiped buffer reads as zero afterwards");
	is_int(wiped_ksecret, 1, "wipe: the AWS4+secret key was wiped");
	ok(wiped_keys >= 2, "wipe: the derived HMAC keys were wiped (%zu)", wiped_keys);
	ok(!holds_secret(res.canonical_request) && !holds_secret(res.string_to_sign) &&
	   !holds_secret(res.authorization) && !holds_secret(add_header(&res, "X-Amz-Date")) &&
	   !holds_secret(add_header(&res, "X-Amz-Security-Token")),
	   "wipe: the secret appears in no output");

	wipes = wiped_nonzero = 0;
	aws_secret_wipe_hook = on_wipe;
	sigv4_result_free(&res);
	aws_secret_wipe_hook = NULL;
	ok(wipes >= 2 && wiped_nonzero == 0,
	   "wipe: sigv4_result_free wipes the token-bearing strings (%zu)", wipes);
}

int main(void)
{
	test_logs_vector();
	test_logs_vector_token();
	test_captured_moto_request();
	test_uri_encode();
	test_paths_and_queries();
	test_headers();
	test_session_token();
	test_query_mode_and_body();
	test_validation();
	test_wiping();
	return tap_done();
}
