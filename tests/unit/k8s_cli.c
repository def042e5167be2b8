/* k8s_cli: the EKS token (src/aws/eks_token.c) and the Kubernetes API
 * client (src/k8s_api.c) from the command line, for the Python tests in
 * tests/aws/ (against tests/fake_k8s.py and `aws eks get-token`).
 *
 * usage:
 *   k8s_cli token     --cluster NAME [--region R] [--time EPOCH]
 *   k8s_cli review    --cluster NAME [--region R] [--time EPOCH] --server URL (--ca FILE | --ca-data B64)
 *                     [--insecure-loopback] [-v]
 *   k8s_cli configmap (same as review) NAMESPACE NAME
 *
 * Credentials, region and the STS endpoint come from the SDK chain
 * (aws_session: AWS_* variables, AWS_CONFIG_FILE, AWS_ENDPOINT_URL_STS ...).
 * --time signs at that time instead of now.  --insecure-loopback asks the
 * HTTP layer to skip verification for loopback hosts: k8s_api must not.
 *
 * Output: one JSON object on stdout.  `token` prints the token itself:
 * this is a test driver (the tests compare it with the AWS CLI's); the
 * program never does.  Exit status: the rc. */
#include "aws/aws_session.h"
#include "aws/eks_token.h"
#include "buf.h"
#include "k8s_api.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void key(struct buf *o, const char *k)
{
	if (o->len && o->data[o->len - 1] != '{' && o->data[o->len - 1] != '[')
		buf_putc(o, ',');
	buf_json_string(o, k, strlen(k));
	buf_putc(o, ':');
}

static void str(struct buf *o, const char *k, const char *v)
{
	key(o, k);
	if (v)
		buf_json_string(o, v, strlen(v));
	else
		buf_puts(o, "null");
}

static void num(struct buf *o, const char *k, long v)
{
	key(o, k);
	buf_printf(o, "%ld", v);
}

static void list(struct buf *o, const struct eks_strings *s)
{
	buf_putc(o, '[');
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			buf_putc(o, ',');
		buf_json_string(o, s->v[i], strlen(s->v[i]));
	}
	buf_putc(o, ']');
}

static const char *fail_name(enum http_fail f)
{
	static const char *const names[] = {"none", "connect", "timeout", "reset", "tls", "too_large", "cancelled",
					    "other"};
	return (size_t)f < sizeof names / sizeof *names ? names[f] : "?";
}

static int usage(void)
{
	fprintf(stderr, "usage: k8s_cli token|review|configmap --cluster NAME [--region R] [--time EPOCH]\n"
			"       [--server URL (--ca FILE | --ca-data B64)] [--insecure-loopback] [-v] [NS NAME]\n");
	return AL_USAGE;
}

static int read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(b, chunk, n);
	fclose(f);
	return b->oom ? -1 : 0;
}

struct args {
	const char *cmd, *cluster, *region, *server, *ca_file, *ca_data, *ns, *name;
	long when;
	int verbose, insecure;
};

/* The token for a, signed with the session's credentials at the session's
 * STS endpoint. */
static int make_token(const struct args *a, char **token, time_t *made, char *err, size_t err_sz)
{
	struct aws_session s;
	struct aws_session_opts so = {.region = a->region, .verbose = a->verbose};
	struct aws_endpoint ep;
	struct aws_credentials creds = {0};
	int rc = aws_session_open(&s, &so, err, err_sz);
	if (rc == AL_OK)
		rc = aws_session_endpoint(&s, AWS_SVC_STS, NULL, &ep, err, err_sz);
	if (rc == AL_OK)
		rc = aws_creds_get(s.prov, &creds, err, err_sz);
	if (rc == AL_OK) {
		*made = a->when ? (time_t)a->when : time(NULL);
		struct eks_token_request req = {a->cluster, ep.url, ep.signing_region, *made};
		rc = eks_token_make(&req, &creds, token, err, err_sz);
	}
	aws_credentials_clear(&creds);
	aws_session_close(&s);
	return rc;
}

static int run_api(const struct args *a, const char *token, struct buf *o, char *err, size_t err_sz)
{
	struct buf ca = BUF_INIT, body = BUF_INIT;
	struct http_opts ho = {.verbose = a->verbose, .insecure_loopback = a->insecure, .timeout_ms = 20000};
	struct k8s_api *k = NULL;
	struct k8s_api_fault fault = {0};
	int rc;
	if (a->ca_file)
		rc = read_file(a->ca_file, &ca) == 0 ? AL_OK : AL_NOINPUT;
	else
		rc = k8s_api_decode_ca(a->ca_data, &ca, err, err_sz);
	if (rc == AL_OK) {
		struct k8s_api_opts ko = {a->server, buf_str(&ca), ca.len, &ho};
		rc = k8s_api_new(&ko, &k, err, err_sz);
	}
	if (rc == AL_OK && strcmp(a->cmd, "review") == 0) {
		struct k8s_api_review r;
		rc = k8s_api_self_subject_review(k, token, &r, &fault, err, err_sz);
		num(o, "accepted", r.accepted);
		num(o, "http_status", r.http_status);
		str(o, "api_version", r.api_version);
		str(o, "username", r.username);
		str(o, "uid", r.uid);
		key(o, "groups");
		list(o, &r.groups);
		key(o, "extra");
		buf_putc(o, '{');
		for (size_t i = 0; i < r.n_extra; i++) {
			key(o, r.extra[i].key);
			list(o, &r.extra[i].values);
		}
		buf_putc(o, '}');
		k8s_api_review_free(&r);
	} else if (rc == AL_OK) {
		rc = k8s_api_get_configmap(k, token, a->ns, a->name, &body, &fault, err, err_sz);
		num(o, "http_status", fault.http_status);
		key(o, "object");
		buf_puts(o, rc == AL_OK ? buf_str(&body) : "null");
	}
	str(o, "fail", fail_name(fault.fail));
	k8s_api_free(k);
	buf_free(&ca);
	buf_free(&body);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	const char *pos[2] = {NULL, NULL};
	int npos = 0;
	if (argc < 2)
		return usage();
	a.cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "-v") == 0)
			a.verbose = 2;
		else if (strcmp(argv[i], "--insecure-loopback") == 0)
			a.insecure = 1;
		else if (strcmp(argv[i], "--cluster") == 0 && v)
			a.cluster = argv[++i];
		else if (strcmp(argv[i], "--region") == 0 && v)
			a.region = argv[++i];
		else if (strcmp(argv[i], "--time") == 0 && v)
			a.when = atol(argv[++i]);
		else if (strcmp(argv[i], "--server") == 0 && v)
			a.server = argv[++i];
		else if (strcmp(argv[i], "--ca") == 0 && v)
			a.ca_file = argv[++i];
		else if (strcmp(argv[i], "--ca-data") == 0 && v)
			a.ca_data = argv[++i];
		else if (argv[i][0] != '-' && npos < 2)
			pos[npos++] = argv[i];
		else
			return usage();
	}
	a.ns = pos[0];
	a.name = pos[1];
	int is_token = strcmp(a.cmd, "token") == 0, is_cm = strcmp(a.cmd, "configmap") == 0;
	if (!a.cluster || (!is_token && !is_cm && strcmp(a.cmd, "review") != 0) ||
	    (!is_token && (!a.server || (!a.ca_file && !a.ca_data))) || (is_cm && npos != 2))
		return usage();

	char err[1024] = "", exp[21];
	char *token = NULL;
	time_t made = 0;
	struct buf o = BUF_INIT;
	int rc = make_token(&a, &token, &made, err, sizeof err);
	buf_putc(&o, '{');
	if (rc == AL_OK && is_token) {
		eks_token_expiration(made, exp);
		str(&o, "token", token);
		str(&o, "expiration", exp);
	} else if (rc == AL_OK) {
		rc = run_api(&a, token, &o, err, sizeof err);
	}
	num(&o, "rc", rc);
	str(&o, "message", err);
	buf_puts(&o, "}\n");
	fputs(buf_str(&o), stdout);
	buf_free(&o);
	eks_token_free(token);
	return rc;
}
