/* aws_call_cli: performs aws_request() calls from the command line, for the
 * Python tests in tests/aws/ (against tests/fake_aws.py and moto_server) and
 * for poking at an endpoint by hand.
 *
 * usage: aws_call_cli [options]
 *   --endpoint URL           scheme://host[:port][/prefix] (else $AWS_ENDPOINT_URL)
 *   --region R               signing region (else $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1)
 *   --service S              signing name (default logs)
 *   --target T               adds X-Amz-Target: T; the operation is what follows the '.'
 *   --operation OP           operation name for messages (default from --target)
 *   --method M --path P --query Q
 *   --header 'Name: value'   extra header, repeatable
 *   --body TEXT | --body-file FILE
 *   --unsigned               no SigV4 (IMDS / SSO portal style)
 *   --repeat N               N calls on the same client (keep-alive, quota)
 *   --max-attempts N         else $AWS_MAX_ATTEMPTS, else the default (3)
 *   --base-ms N --max-backoff-ms N --timeout-ms N --connect-timeout-ms N
 *   --max-body N --ca-bundle FILE --insecure-loopback
 *   -v                       verbose (twice: also the canonical request)
 *
 * Credentials: $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY, $AWS_SESSION_TOKEN.
 *
 * Backoff sleeps go through aws_request_sleep_hook: they are recorded and
 * printed, and only really slept when $AUTHLOG_TEST_REAL_SLEEP=1.
 *
 * Output: one JSON object per call on stdout:
 *   {"call":1,"rc":0,"status":200,"attempts":1,"kind":"none","code":"",
 *    "message":"","request_id":"...","delays_ms":[12,80],"seconds":0.0012,
 *    "wall_ms":3.1,"body":"..."}
 * Exit status: the al_status of the last call, 2 on usage errors. */
#include "aws/aws_request.h"
#include "aws/aws_request_int.h"
#include "buf.h"
#include "status.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_HEADERS 32
#define MAX_DELAYS 256

static long delays[MAX_DELAYS];
static int ndelays;
static int real_sleep;

static void record_sleep(long ms)
{
	if (ndelays < MAX_DELAYS)
		delays[ndelays++] = ms;
	if (real_sleep) {
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

static int usage(const char *why)
{
	fprintf(stderr, "aws_call_cli: %s (see the comment at the top of aws_call_cli.c)\n", why);
	return 2;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b = BUF_INIT;
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&b, tmp, n);
	fclose(f);
	*len = b.len;
	return buf_take(&b);
}

static char *env_dup(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? strdup(v) : NULL;
}

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct aws_call call = {0};
	struct aws_client_opts opts = {0};
	struct http_header headers[MAX_HEADERS];
	char *header_lines[MAX_HEADERS];
	size_t nheaders = 0, nlines = 0;
	const char *target = NULL;
	char *body = NULL;
	size_t body_len = 0;
	int repeat = 1;

	call.endpoint = getenv("AWS_ENDPOINT_URL");
	call.region = getenv("AWS_REGION");
	if (!call.region || !*call.region)
		call.region = getenv("AWS_DEFAULT_REGION");
	if (!call.region || !*call.region)
		call.region = "us-east-1";
	call.service = "logs";
	const char *ma = getenv("AWS_MAX_ATTEMPTS");
	if (ma && *ma)
		opts.retry.max_attempts = atoi(ma);

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(a, name) == 0 && v && (i++, 1))
		if (strcmp(a, "-v") == 0)
			opts.verbose++;
		else if (strcmp(a, "--unsigned") == 0)
			call.unsigned_request = 1;
		else if (strcmp(a, "--insecure-loopback") == 0)
			opts.http.insecure_loopback = 1;
		else if (ARG("--endpoint"))
			call.endpoint = v;
		else if (ARG("--region"))
			call.region = v;
		else if (ARG("--service"))
			call.service = v;
		else if (ARG("--target"))
			target = v;
		else if (ARG("--operation"))
			call.operation = v;
		else if (ARG("--method"))
			call.method = v;
		else if (ARG("--path"))
			call.path = v;
		else if (ARG("--query"))
			call.query = v;
		else if (ARG("--header")) {
			if (nheaders + 1 >= MAX_HEADERS)
				return usage("too many headers");
			char *line = strdup(v);
			char *colon = line ? strchr(line, ':') : NULL;
			if (!colon) {
				free(line);
				return usage("--header wants 'Name: value'");
			}
			*colon = '\0';
			const char *val = colon + 1;
			while (*val == ' ')
				val++;
			header_lines[nlines++] = line;
			headers[nheaders++] = (struct http_header){line, val};
		} else if (ARG("--body")) {
			free(body);
			body = strdup(v);
			body_len = strlen(v);
		} else if (ARG("--body-file")) {
			free(body);
			body = read_file(v, &body_len);
			if (!body)
				return usage("cannot read --body-file");
		} else if (ARG("--repeat"))
			repeat = atoi(v);
		else if (ARG("--max-attempts"))
			opts.retry.max_attempts = atoi(v);
		else if (ARG("--base-ms"))
			opts.retry.base_ms = atol(v);
		else if (ARG("--max-backoff-ms"))
			opts.retry.max_backoff_ms = atol(v);
		else if (ARG("--timeout-ms"))
			opts.http.timeout_ms = atol(v);
		else if (ARG("--connect-timeout-ms"))
			opts.http.connect_timeout_ms = atol(v);
		else if (ARG("--max-body"))
			opts.http.max_body = (size_t)atol(v);
		else if (ARG("--ca-bundle"))
			opts.http.ca_bundle = v;
		else
			return usage("unknown or incomplete option");
#undef ARG
	}
	if (!call.endpoint || !*call.endpoint)
		return usage("no --endpoint");
	if (repeat < 1)
		repeat = 1;
	if (target) {
		headers[nheaders++] = (struct http_header){"X-Amz-Target", target};
		if (!call.operation) {
			const char *dot = strrchr(target, '.');
			call.operation = dot ? dot + 1 : target;
		}
	}
	call.headers = headers;
	call.nheaders = nheaders;
	call.body = body;
	call.body_len = body_len;
	real_sleep = getenv("AUTHLOG_TEST_REAL_SLEEP") && strcmp(getenv("AUTHLOG_TEST_REAL_SLEEP"), "1") == 0;
	aws_request_sleep_hook = record_sleep;

	struct aws_credentials creds = {0};
	creds.access_key_id = env_dup("AWS_ACCESS_KEY_ID");
	creds.secret_access_key = env_dup("AWS_SECRET_ACCESS_KEY");
	creds.session_token = env_dup("AWS_SESSION_TOKEN");
	snprintf(creds.source, sizeof(creds.source), "env");

	struct aws_client *client = NULL;
	int rc = aws_client_new(&opts, &client);
	if (rc != AL_OK) {
		fprintf(stderr, "aws_call_cli: cannot create the client\n");
	} else {
		for (int n = 1; n <= repeat; n++) {
			struct http_response resp;
			struct aws_fault err;
			char msg[AWS_ERR_MAX];
			ndelays = 0;
			double t0 = now_ms();
			rc = aws_request(client, &call, &creds, &resp, &err, msg, sizeof(msg));
			double wall = now_ms() - t0;
			struct buf o = BUF_INIT;
			buf_printf(&o, "{\"call\":%d,\"rc\":%d,\"status\":%ld,\"attempts\":%d,\"kind\":", n,
				   rc, resp.status, err.attempts);
			buf_json_string(&o, aws_err_kind_name(err.kind), strlen(aws_err_kind_name(err.kind)));
			buf_puts(&o, ",\"code\":");
			buf_json_string(&o, err.code, strlen(err.code));
			buf_puts(&o, ",\"message\":");
			buf_json_string(&o, msg, strlen(msg));
			buf_puts(&o, ",\"request_id\":");
			if (resp.request_id)
				buf_json_string(&o, resp.request_id, strlen(resp.request_id));
			else
				buf_puts(&o, "null");
			buf_puts(&o, ",\"delays_ms\":[");
			for (int d = 0; d < ndelays; d++)
				buf_printf(&o, "%s%ld", d ? "," : "", delays[d]);
			buf_printf(&o, "],\"seconds\":%.6f,\"wall_ms\":%.3f,\"body\":", resp.seconds, wall);
			buf_json_string(&o, buf_str(&resp.body), resp.body.len);
			buf_puts(&o, "}\n");
			fputs(buf_str(&o), stdout);
			fflush(stdout);
			buf_free(&o);
			http_response_free(&resp);
		}
	}
	aws_client_free(client);
	wipe_free(creds.access_key_id);
	wipe_free(creds.secret_access_key);
	wipe_free(creds.session_token);
	for (size_t i = 0; i < nlines; i++)
		free(header_lines[i]);
	free(body);
	return rc;
}
