/* eks_cli: one EKS client call (src/aws/eks_api.c) from the command line,
 * for the Python tests in tests/aws/ (against tests/fake_eks.py and
 * moto_server).
 *
 * usage: eks_cli --endpoint URL [--region R] [-v] OPERATION CLUSTER [PRINCIPAL_ARN]
 *   OPERATION: describe-cluster | list-access-entries | describe-access-entry |
 *              list-associated-access-policies
 *   --region R   signing region (default us-east-1)
 *   --max-attempts N
 *
 * Credentials: $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY, $AWS_SESSION_TOKEN.
 *
 * Output: one JSON object on stdout:
 *   {"rc":0,"kind":"none","status":0,"code":"","message":"","attempts":1,"result":{...}}
 * with result the parsed answer (null on failure). Exit status: the rc. */
#include "aws/eks_api.h"
#include "buf.h"
#include "status.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	buf_json_string(o, v, strlen(v));
}

static void num(struct buf *o, const char *k, int64_t v)
{
	key(o, k);
	buf_printf(o, "%" PRId64, v);
}

static void strings(struct buf *o, const char *k, const struct eks_strings *s)
{
	key(o, k);
	buf_putc(o, '[');
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			buf_putc(o, ',');
		buf_json_string(o, s->v[i], strlen(s->v[i]));
	}
	buf_putc(o, ']');
}

static void log_types(struct buf *o, const char *k, unsigned bits)
{
	key(o, k);
	buf_putc(o, '[');
	for (unsigned i = 0, n = 0; i < EKS_LOG_TYPES; i++)
		if (bits & (1u << i)) {
			const char *name = eks_api_log_type_name(1u << i);
			if (n++)
				buf_putc(o, ',');
			buf_json_string(o, name, strlen(name));
		}
	buf_putc(o, ']');
}

static void cluster(struct buf *o, const struct eks_cluster *c)
{
	buf_putc(o, '{');
	str(o, "name", c->name);
	str(o, "arn", c->arn);
	str(o, "status", c->status);
	str(o, "version", c->version);
	str(o, "endpoint", c->endpoint);
	str(o, "role_arn", c->role_arn);
	num(o, "ca_data_len", c->ca_data ? (int64_t)strlen(c->ca_data) : -1);
	num(o, "created_at", c->created_at);
	str(o, "auth_mode", authmode_name(c->auth_mode));
	num(o, "auth_mode_defaulted", c->auth_mode_defaulted);
	str(o, "mode_text", c->mode_text);
	num(o, "bootstrap_admin", c->bootstrap_admin);
	log_types(o, "logs_enabled", c->logs_enabled);
	log_types(o, "logs_disabled", c->logs_disabled);
	buf_putc(o, '}');
}

static void entry(struct buf *o, const struct eks_access_entry *e)
{
	buf_putc(o, '{');
	str(o, "principal_arn", e->principal_arn);
	str(o, "username", e->username);
	str(o, "type", e->type);
	strings(o, "kubernetes_groups", &e->kubernetes_groups);
	num(o, "created_at", e->created_at);
	num(o, "modified_at", e->modified_at);
	buf_putc(o, '}');
}

static void policies(struct buf *o, const struct eks_access_policies *p)
{
	buf_putc(o, '[');
	for (size_t i = 0; i < p->n; i++) {
		if (i)
			buf_putc(o, ',');
		buf_putc(o, '{');
		str(o, "policy_arn", p->v[i].policy_arn);
		str(o, "scope", eks_api_scope_name(p->v[i].scope));
		strings(o, "namespaces", &p->v[i].namespaces);
		num(o, "associated_at", p->v[i].associated_at);
		num(o, "modified_at", p->v[i].modified_at);
		buf_putc(o, '}');
	}
	buf_putc(o, ']');
}

static int usage(void)
{
	fprintf(stderr, "usage: eks_cli --endpoint URL [--region R] [-v] OPERATION CLUSTER [PRINCIPAL_ARN]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct aws_client_opts opts = {0};
	struct aws_target t = {0};
	const char *pos[3] = {NULL, NULL, NULL};
	int npos = 0;
	t.region = "us-east-1";
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "-v") == 0)
			t.verbose = opts.verbose = 1;
		else if (strcmp(argv[i], "--endpoint") == 0 && v)
			t.endpoint = argv[++i];
		else if (strcmp(argv[i], "--region") == 0 && v)
			t.region = argv[++i];
		else if (strcmp(argv[i], "--max-attempts") == 0 && v)
			opts.retry.max_attempts = atoi(argv[++i]);
		else if (argv[i][0] != '-' && npos < 3)
			pos[npos++] = argv[i];
		else
			return usage();
	}
	if (!t.endpoint || npos < 2)
		return usage();

	struct aws_credentials creds = {0};
	creds.access_key_id = getenv("AWS_ACCESS_KEY_ID");
	creds.secret_access_key = getenv("AWS_SECRET_ACCESS_KEY");
	creds.session_token = getenv("AWS_SESSION_TOKEN");
	t.static_creds = &creds;

	struct aws_client *client = NULL;
	struct aws_fault f;
	char err[AWS_ERR_MAX] = "";
	struct buf res = BUF_INIT, o = BUF_INIT;
	int rc = aws_client_new(&opts, &client);
	memset(&f, 0, sizeof(f));
	if (rc != AL_OK) {
		fprintf(stderr, "eks_cli: cannot create the client\n");
		return rc;
	}
	const char *op = pos[0], *name = pos[1], *arn = pos[2];
	if (strcmp(op, "describe-cluster") == 0) {
		struct eks_cluster c;
		rc = eks_api_describe_cluster(client, &t, name, &c, &f, err, sizeof(err));
		if (rc == AL_OK)
			cluster(&res, &c);
		eks_api_cluster_free(&c);
	} else if (strcmp(op, "list-access-entries") == 0) {
		struct eks_strings s;
		rc = eks_api_list_access_entries(client, &t, name, &s, &f, err, sizeof(err));
		if (rc == AL_OK) {
			buf_putc(&res, '{');
			strings(&res, "principal_arns", &s);
			buf_putc(&res, '}');
		}
		eks_api_strings_free(&s);
	} else if (strcmp(op, "describe-access-entry") == 0 && arn) {
		struct eks_access_entry e;
		rc = eks_api_describe_access_entry(client, &t, name, arn, &e, &f, err, sizeof(err));
		if (rc == AL_OK)
			entry(&res, &e);
		eks_api_access_entry_free(&e);
	} else if (strcmp(op, "list-associated-access-policies") == 0 && arn) {
		struct eks_access_policies p;
		rc = eks_api_list_associated_access_policies(client, &t, name, arn, &p, &f, err, sizeof(err));
		if (rc == AL_OK)
			policies(&res, &p);
		eks_api_access_policies_free(&p);
	} else {
		aws_client_free(client);
		return usage();
	}
	aws_client_free(client);

	buf_putc(&o, '{');
	num(&o, "rc", rc);
	str(&o, "kind", aws_err_kind_name(f.kind));
	num(&o, "status", f.status);
	str(&o, "code", f.code);
	str(&o, "message", err);
	num(&o, "attempts", f.attempts);
	key(&o, "result");
	buf_puts(&o, res.len ? buf_str(&res) : "null");
	buf_puts(&o, "}\n");
	fputs(buf_str(&o), stdout);
	buf_free(&o);
	buf_free(&res);
	return rc;
}
