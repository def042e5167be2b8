#include "discover.h"

#include <stdlib.h>
#include <string.h>

#include "arn.h"
#include "aws/aws_session.h"
#include "classify.h"
#include "esc.h"
#include "msg.h"
#include "status.h"

void discover_result_free(struct discover_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		eks_api_cluster_free(&r->v[i].eks);
	free(r->v);
	eks_api_strings_free(&r->invalid);
	eks_api_strings_free(&r->gone);
	memset(r, 0, sizeof(*r));
}

/* A profile goes on a line of the fleet file and, shell-quoted, into the
 * printed command: printable ASCII, no blank at either end (the file's
 * parser trims them), no leading '-' (the command would read an option). */
static int profile_valid(const char *p)
{
	size_t n = strlen(p);
	if (!n || n >= sizeof(((struct discover_result *)0)->profile) || p[0] == '-' || p[0] == ' ' ||
	    p[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DescribeCluster for each listed name, by name, each once. */
static int describe_all(struct aws_client *client, const struct aws_target *t, struct eks_strings *names,
			struct discover_result *r, char *err, size_t err_sz)
{
	if (names->n)
		qsort(names->v, names->n, sizeof(*names->v), by_name);
	if (names->n && !(r->v = calloc(names->n, sizeof(*r->v)))) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	for (size_t i = 0; i < names->n; i++) {
		if (i && strcmp(names->v[i], names->v[i - 1]) == 0)
			continue; /* a page repeated by the service: one section */
		struct discover_cluster *c = &r->v[r->n];
		struct aws_fault f;
		snprintf(c->name, sizeof(c->name), "%s", names->v[i]);
		c->status = eks_api_describe_cluster(client, t, c->name, &c->eks, &f, c->error, sizeof(c->error));
		if (c->status == AL_SOFTWARE) {
			eks_api_cluster_free(&c->eks); /* not counted in r->n: freed here */
			msg_set(err, err_sz, "%s", c->error);
			return AL_SOFTWARE;
		}
		if (c->status == AL_NOINPUT && f.kind == AWS_ERR_NOT_FOUND) {
			/* deleted between the two calls: nothing to scan */
			eks_api_cluster_free(&c->eks);
			char *name = strdup(c->name);
			char **nv = name ? realloc(r->gone.v, (r->gone.n + 1) * sizeof(*nv)) : NULL;
			if (!nv) {
				free(name);
				msg_set(err, err_sz, "out of memory");
				return AL_SOFTWARE;
			}
			r->gone.v = nv;
			r->gone.v[r->gone.n++] = name;
			continue;
		}
		c->described = c->status == AL_OK;
		if (c->described)
			c->error[0] = '\0';
		r->n++;
	}
	return AL_OK;
}

int discover_run(const struct discover_opts *o, struct discover_result *r, char *err, size_t err_sz)
{
	struct aws_session s;
	struct aws_session_opts so = {.profile = o->profile, .region = o->region, .verbose = o->verbose,
				      .allow_insecure_endpoint = o->allow_insecure_endpoint};
	struct aws_client *client = NULL;
	struct eks_cluster_names names;
	struct aws_endpoint ep;
	struct aws_fault f;
	char e[1024], tmp[MSG_QUOTE_MAX + 1];
	memset(r, 0, sizeof(*r));
	memset(&names, 0, sizeof(names));
	memset(&s, 0, sizeof(s));
	if (o->profile && !profile_valid(o->profile)) {
		msg_set(err, err_sz, "--profile '%s' cannot be written into the fleet file (printable ASCII,"
			" no blank at either end, no leading '-')", msg_printable(o->profile, tmp, sizeof(tmp)));
		return AL_USAGE;
	}
	snprintf(r->profile, sizeof(r->profile), "%s", o->profile ? o->profile : "");
	int rc = aws_session_open(&s, &so, err, err_sz);
	if (rc == AL_OK)
		rc = aws_session_endpoint(&s, AWS_SVC_EKS, NULL, &ep, err, err_sz);
	if (rc == AL_OK && (aws_client_new(&s.copts, &client) != 0 || !client)) {
		msg_set(err, err_sz, "cannot create the HTTP client");
		rc = AL_SOFTWARE;
	}
	if (rc != AL_OK)
		goto out;
	snprintf(r->region, sizeof(r->region), "%s", s.region);
	const struct aws_target t = {.endpoint = ep.url, .region = ep.signing_region, .creds = s.prov,
				     .verbose = o->verbose > 0};
	rc = eks_api_list_clusters(client, &t, &names, &f, e, sizeof(e));
	if (rc == AL_NOPERM)
		msg_set(err, err_sz, "eks:ListClusters denied: %s", e);
	else if (rc != AL_OK)
		msg_set(err, err_sz, "%s", e);
	if (rc == AL_OK)
		rc = describe_all(client, &t, &names.names, r, err, err_sz);
	if (rc == AL_OK) {
		r->invalid = names.rejected; /* moves */
		memset(&names.rejected, 0, sizeof(names.rejected));
	}
out:
	eks_api_cluster_names_free(&names);
	aws_client_free(client);
	aws_session_close(&s);
	return rc;
}

int discover_exit_code(const struct discover_result *r, char *err, size_t err_sz)
{
	size_t failed = 0;
	const struct discover_cluster *first = NULL;
	for (size_t i = 0; i < r->n; i++)
		if (!r->v[i].described && !failed++)
			first = &r->v[i];
	if (!first)
		return AL_OK;
	struct buf b = BUF_INIT;
	esc_term(&b, first->error, strlen(first->error));
	msg_set(err, err_sz, "DescribeCluster failed for %zu of %zu clusters (their sections say so): %s: %s%s",
		failed, r->n, first->name, first->status == AL_NOPERM ? "eks:DescribeCluster denied: " : "",
		b.oom ? "out of memory" : buf_str(&b));
	buf_free(&b);
	return first->status;
}

/* ---- what is known of a cluster, for both formats ---- */

/* The mode to show: the known name, else the word as sent; NULL: none. */
static const char *mode_of(const struct discover_cluster *c)
{
	if (!c->described)
		return NULL;
	if (c->eks.auth_mode != AUTH_MODE_UNKNOWN)
		return authmode_name(c->eks.auth_mode);
	return c->eks.mode_text[0] ? c->eks.mode_text : NULL;
}

/* The authenticator log: 1 listed enabled, 0 listed disabled, -1 not
 * listed or not described. */
static int logging_of(const struct discover_cluster *c)
{
	if (!c->described)
		return -1;
	return c->eks.logs_enabled & EKS_LOG_AUTHENTICATOR ? 1 : c->eks.logs_disabled & EKS_LOG_AUTHENTICATOR ? 0 : -1;
}

/* The command that turns the log on, with --profile when one was given
 * (the cluster is the profile's account's), into b; 0, or -1 when a
 * value cannot be in a command (nothing appended) or memory ran out. */
static int enable_command(const struct discover_result *r, const struct discover_cluster *c, struct buf *b)
{
	if (classify_fix_enable_logging(b, c->name, r->region) != 0)
		return -1;
	if (r->profile[0]) {
		buf_puts(b, " --profile ");
		esc_shell(b, r->profile, strlen(r->profile)); /* profile_valid: printable */
	}
	return b->oom ? -1 : 0;
}

/* ---- text: fleet file sections ---- */

static void comment_term(struct buf *out, const char *s)
{
	esc_term(out, s, strlen(s));
}

static void text_cluster(const struct discover_result *r, const struct discover_cluster *c, struct buf *out)
{
	buf_printf(out, "\n[cluster %s]\nregion = %s\n", c->name, r->region);
	if (r->profile[0])
		buf_printf(out, "profile = %s\n", r->profile);
	if (c->described && c->eks.account[0])
		buf_printf(out, "account = %s\n", c->eks.account);
	if (!c->described) {
		buf_printf(out, "# DescribeCluster failed (%s", c->status == AL_NOPERM ? "eks:DescribeCluster denied: " : "");
		comment_term(out, c->error);
		buf_puts(out, "): its account, mode and logging are not known\n");
		return;
	}
	const char *mode = mode_of(c);
	buf_puts(out, "# authentication mode ");
	if (!mode)
		buf_puts(out, "unknown (the answer's value is malformed)");
	else if (c->eks.auth_mode_defaulted)
		buf_printf(out, "%s (the answer has none: an older cluster, aws-auth only)", mode);
	else
		buf_printf(out, "%s%s", mode,
			   c->eks.auth_mode == AUTH_MODE_UNKNOWN ? " (not known to this version of authlog-scan)" : "");
	if (c->eks.version[0] || c->eks.status[0])
		buf_printf(out, "; Kubernetes %s, %s", c->eks.version[0] ? c->eks.version : "version unknown",
			   c->eks.status[0] ? c->eks.status : "status unknown");
	buf_putc(out, '\n');
	int logging = logging_of(c);
	if (logging == 1) {
		buf_puts(out, "# authenticator log on\n");
		return;
	}
	buf_puts(out, logging == 0 ? "# authenticator log OFF: nothing is logged, so a scan finds no denial"
				   : "# authenticator log not listed by DescribeCluster (off, as far as a scan can tell)");
	struct buf cmd = BUF_INIT;
	if (enable_command(r, c, &cmd) == 0)
		buf_printf(out, "; turn it on with\n#   %s\n", buf_str(&cmd));
	else
		buf_puts(out, "; no command: the region is not of the form us-east-1\n");
	out->oom |= cmd.oom;
	buf_free(&cmd);
}

int discover_format_text(const struct discover_result *r, struct buf *out)
{
	buf_printf(out, "# EKS clusters in %s", r->region);
	if (r->profile[0])
		buf_printf(out, " (profile %s)", r->profile);
	if (!r->n)
		buf_puts(out, ": none\n");
	else
		buf_printf(out, ": %zu, as sections of the fleet file (~/.config/authlog-scan/clusters) to paste\n",
			   r->n);
	for (size_t i = 0; i < r->n; i++)
		text_cluster(r, &r->v[i], out);
	if (r->invalid.n || r->gone.n)
		buf_putc(out, '\n');
	for (size_t i = 0; i < r->invalid.n; i++) {
		const char *why = "";
		arn_valid_cluster_name(r->invalid.v[i], &why);
		buf_puts(out, "# skipped \"");
		comment_term(out, r->invalid.v[i]);
		buf_printf(out, "\"%s: ListClusters listed it, but %s\n",
			   strlen(r->invalid.v[i]) >= EKS_API_REJECTED_MAX ? " (cut)" : "", why);
	}
	for (size_t i = 0; i < r->gone.n; i++)
		buf_printf(out, "# skipped %s: ListClusters listed it, but DescribeCluster no longer finds it\n",
			   r->gone.v[i]);
	return out->oom ? -1 : 0;
}

/* ---- JSON ---- */

static void json_str(struct buf *b, const char *s)
{
	if (s && *s)
		buf_json_string(b, s, strlen(s));
	else
		buf_puts(b, "null");
}

static void json_cluster(const struct discover_result *r, const struct discover_cluster *c, struct buf *out)
{
	const struct eks_cluster *e = c->described ? &c->eks : NULL;
	int logging = logging_of(c);
	buf_puts(out, "{\"name\":");
	json_str(out, c->name);
	buf_puts(out, ",\"region\":");
	json_str(out, r->region);
	buf_puts(out, ",\"account\":");
	json_str(out, e ? e->account : NULL);
	buf_puts(out, ",\"arn\":");
	json_str(out, e ? e->arn : NULL);
	buf_puts(out, ",\"status\":");
	json_str(out, e ? e->status : NULL);
	buf_puts(out, ",\"version\":");
	json_str(out, e ? e->version : NULL);
	buf_puts(out, ",\"auth_mode\":");
	json_str(out, mode_of(c));
	buf_printf(out, ",\"auth_mode_defaulted\":%s,\"authenticator_logging\":%s,\"enable_logging\":",
		   e && e->auth_mode_defaulted ? "true" : "false", logging < 0 ? "null" : logging ? "true" : "false");
	struct buf cmd = BUF_INIT;
	json_str(out, e && logging != 1 && enable_command(r, c, &cmd) == 0 ? buf_str(&cmd) : NULL);
	out->oom |= cmd.oom;
	buf_free(&cmd);
	buf_puts(out, ",\"error\":");
	json_str(out, c->described ? NULL : c->error);
	buf_putc(out, '}');
}

int discover_format_json(const struct discover_result *r, struct buf *out)
{
	buf_puts(out, "{\"schema_version\":1,\"region\":");
	json_str(out, r->region);
	buf_puts(out, ",\"profile\":");
	json_str(out, r->profile);
	buf_puts(out, ",\"clusters\":[");
	for (size_t i = 0; i < r->n; i++) {
		if (i)
			buf_putc(out, ',');
		json_cluster(r, &r->v[i], out);
	}
	buf_puts(out, "],\"invalid_names\":");
	buf_json_strings(out, r->invalid.v, r->invalid.n);
	buf_puts(out, ",\"gone\":");
	buf_json_strings(out, r->gone.v, r->gone.n);
	buf_puts(out, "}\n");
	return out->oom ? -1 : 0;
}
