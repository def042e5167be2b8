/* kubeconfig reading: see kubeconfig.h.
 *
 * The rules are client-go's (k8s.io/client-go/tools/clientcmd): clusters,
 * contexts and users are lists of {name, <kind>} whose names must be
 * unique (clientcmd/api/v1/conversion.go refuses a duplicate name), a
 * relative certificate-authority is relative to the file, and a context
 * may name a cluster or user the file does not define. The exec command
 * lines are the ones `aws eks update-kubeconfig`
 * (awscli/customizations/eks/update_kubeconfig.py: `--region R eks
 * get-token --cluster-name X --output json [--role A]`, env AWS_PROFILE)
 * and eksctl (pkg/utils/kubeconfig/kubeconfig.go: `eks get-token --output
 * json --cluster-name X --region R [--role-arn A]`, or
 * `aws-iam-authenticator token -i X [-r A]` with env AWS_DEFAULT_REGION)
 * write. */
#include "kubeconfig.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/aws_secret.h"
#include "buf.h"
#include "msg.h"
#include "status.h"
#include "yamldoc.h"

int kubeconfig_default_path(const char *flag, char *out, size_t out_sz, enum kubeconfig_path_source *src,
			    char *err, size_t err_sz)
{
	enum kubeconfig_path_source s;
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
	int n;

	if (flag && *flag) {
		s = KUBECONFIG_FROM_FLAG;
		n = snprintf(out, out_sz, "%s", flag);
	} else if (env && env[strspn(env, ":")]) {
		s = KUBECONFIG_FROM_ENV;
		env += strspn(env, ":");
		n = snprintf(out, out_sz, "%.*s", (int)strcspn(env, ":"), env);
	} else if (home && *home) {
		s = KUBECONFIG_FROM_HOME;
		n = snprintf(out, out_sz, "%s/.kube/config", home);
	} else {
		msg_set(err, err_sz, "no kubeconfig: HOME is not set; use --kubeconfig");
		return AL_CONFIG;
	}
	if (src)
		*src = s;
	if (n < 0 || (size_t)n >= out_sz) {
		msg_set(err, err_sz, "kubeconfig path from %s is too long", kubeconfig_path_source_name(s));
		if (out_sz)
			out[0] = '\0';
		return AL_CONFIG;
	}
	return AL_OK;
}

const char *kubeconfig_path_source_name(enum kubeconfig_path_source src)
{
	switch (src) {
	case KUBECONFIG_FROM_FLAG: return "--kubeconfig";
	case KUBECONFIG_FROM_ENV: return "$KUBECONFIG";
	default: return "~/.kube/config";
	}
}

const char *kubeconfig_exec_kind_name(enum kubeconfig_exec_kind k)
{
	switch (k) {
	case KUBECONFIG_EXEC_AWS_CLI: return "aws-cli";
	case KUBECONFIG_EXEC_AUTHENTICATOR: return "aws-iam-authenticator";
	case KUBECONFIG_EXEC_OTHER: return "other";
	default: return "none";
	}
}

const char *kubeconfig_region_source_name(enum kubeconfig_region_source s)
{
	switch (s) {
	case KUBECONFIG_REGION_ARG: return "--region";
	case KUBECONFIG_REGION_ENV_AWS_REGION: return "AWS_REGION";
	case KUBECONFIG_REGION_ENV_DEFAULT_REGION: return "AWS_DEFAULT_REGION";
	default: return "none";
	}
}

/* The parse state: one error path, one place that names FILE:LINE. */
struct kc_parse {
	struct yamldoc d;
	const char *path;
	struct kubeconfig *out;
	char *err;
	size_t err_sz;
};

static int fail(struct kc_parse *p, int rc, size_t line, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(struct kc_parse *p, int rc, size_t line, const char *field, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (line)
		msg_set(p->err, p->err_sz, "%s:%zu: %s: %s", p->path, line, field, what);
	else
		msg_set(p->err, p->err_sz, "%s: %s: %s", p->path, field, what);
	return rc;
}

static int oom(struct kc_parse *p)
{
	msg_set(p->err, p->err_sz, "%s: out of memory", p->path);
	return AL_SOFTWARE;
}

/* *dst = a copy of n's value (NULL when absent); -1 when out of memory. */
static int dup_value(const yaml_node_t *n, char **dst)
{
	const char *s = yamldoc_value(n);
	*dst = NULL;
	if (!s)
		return 0;
	return (*dst = strdup(s)) ? 0 : -1;
}

/* The entry named name in list key (clusters, contexts, users), checking
 * the whole list the way client-go does: a list, of mappings, names unique.
 * *entry is the item (NULL when none has that name). */
static int find_named(struct kc_parse *p, const char *key, const char *name, yaml_node_t **entry)
{
	yaml_node_t *k, *list = yamldoc_get(&p->d, yamldoc_root(&p->d), key, 0, &k);
	*entry = NULL;
	if (!list || (list->type == YAML_SCALAR_NODE && !yamldoc_value(list)))
		return AL_OK;
	if (list->type != YAML_SEQUENCE_NODE)
		return fail(p, AL_CONFIG, yamldoc_line(list), key, "not a list");
	size_t n = yamldoc_len(list);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yamldoc_item(&p->d, list, i);
		if (it->type != YAML_MAPPING_NODE)
			return fail(p, AL_CONFIG, yamldoc_line(it), key, "item %zu is not a mapping", i + 1);
		const char *nm = yamldoc_str(yamldoc_get(&p->d, it, "name", 0, NULL));
		if (!nm)
			continue;
		for (size_t j = 0; j < i; j++) {
			const char *prev = yamldoc_str(yamldoc_get(&p->d, yamldoc_item(&p->d, list, j), "name", 0, NULL));
			if (prev && strcmp(prev, nm) == 0) {
				char q[MSG_QUOTE_MAX + 1];
				return fail(p, AL_CONFIG, yamldoc_line(it), key, "duplicate name '%s'",
					    msg_printable(nm, q, sizeof q));
			}
		}
		if (name && strcmp(nm, name) == 0)
			*entry = it;
	}
	return AL_OK;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 as Go encodes a []byte; blanks and line breaks (a
 * folded YAML scalar) are skipped, padding is optional. -1 when invalid. */
static int b64_decode(const char *s, unsigned char **out, size_t *out_len)
{
	size_t n = strlen(s), o = 0, pad = 0;
	unsigned acc = 0, bits = 0;
	unsigned char *d = malloc(n / 4 * 3 + 3);
	if (!d)
		return -2;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		int v = b64val(c);
		if (v < 0 || pad)
			goto bad;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* 6 or 12 leftover bits of a 1- or 2-byte tail must be zero padding
	 * bits; 18 cannot happen (every 8 are flushed) */
	if (bits == 6 || acc != 0 || pad > 2 || o == 0)
		goto bad;
	*out = d;
	*out_len = o;
	return 0;
bad:
	free(d);
	return -1;
}

static int load_cluster(struct kc_parse *p, yaml_node_t *entry)
{
	struct kubeconfig *kc = p->out;
	yaml_node_t *c = yamldoc_get(&p->d, entry, "cluster", 0, NULL), *k;
	kc->cluster_found = 1;
	kc->cluster_line = yamldoc_line(entry);
	if (!c)
		return AL_OK;
	if (c->type != YAML_MAPPING_NODE)
		return fail(p, AL_CONFIG, yamldoc_line(c), "cluster", "not a mapping");
	if (dup_value(yamldoc_get(&p->d, c, "server", 0, NULL), &kc->server) ||
	    dup_value(yamldoc_get(&p->d, c, "tls-server-name", 0, NULL), &kc->tls_server_name))
		return oom(p);
	const char *v = yamldoc_value(yamldoc_get(&p->d, c, "insecure-skip-tls-verify", 0, NULL));
	kc->insecure_skip_tls_verify = v && strcmp(v, "true") == 0;

	const char *ca = yamldoc_value(yamldoc_get(&p->d, c, "certificate-authority-data", 0, &k));
	if (ca) {
		int r = b64_decode(ca, &kc->ca_data, &kc->ca_data_len);
		if (r == -2)
			return oom(p);
		if (r)
			return fail(p, AL_CONFIG, yamldoc_line(k), "certificate-authority-data", "not base64");
	}
	const char *file = yamldoc_value(yamldoc_get(&p->d, c, "certificate-authority", 0, NULL));
	if (file) {
		/* relative to the kubeconfig's directory, as client-go resolves it */
		const char *slash = strrchr(p->path, '/');
		int n = file[0] == '/' || !slash
				? asprintf(&kc->ca_file, "%s", file)
				: asprintf(&kc->ca_file, "%.*s/%s", (int)(slash - p->path), p->path, file);
		if (n < 0) {
			kc->ca_file = NULL;
			return oom(p);
		}
	}
	return AL_OK;
}

/* Environment variable names whose values are credentials. */
static int secret_name(const char *name)
{
	static const char *const parts[] = {"SECRET", "TOKEN", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL"};
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
		if (strcasestr(name, parts[i]))
			return 1;
	return 0;
}

static const char *base_name(const char *cmd)
{
	const char *s = strrchr(cmd, '/');
	const char *b = strrchr(cmd, '\\'); /* a kubeconfig written on Windows */
	if (b && (!s || b > s))
		s = b;
	return s ? s + 1 : cmd;
}

/* cmd is name, or name.exe / name.cmd (the Windows installers' names). */
static int is_command(const char *cmd, const char *name)
{
	const char *b = base_name(cmd);
	size_t n = strlen(name);
	return strncasecmp(b, name, n) == 0 &&
	       (b[n] == '\0' || strcasecmp(b + n, ".exe") == 0 || strcasecmp(b + n, ".cmd") == 0);
}

/* Options of one command line: long ones (--name V, --name=V) and, for
 * pflag, short ones (-x V, -xV, -x=V). takes_value lists those with a
 * value; a known option's value is never read as a positional word. */
struct opt {
	const char *name; /* without dashes */
	char shorthand;
	int takes_value;
	char **dst; /* where a value we want goes, or NULL */
};

/* The next word of args at *i: what it means. Returns the option matched
 * (with *val its value, possibly NULL at the end of args), or NULL for a
 * positional word (*val = the word) or an unknown option (*val = NULL). */
static const struct opt *next_arg(char **args, size_t nargs, size_t *i, const struct opt *opts, size_t nopts,
				  const char **val)
{
	const char *a = args[*i];
	*val = NULL;
	if (a[0] != '-' || a[1] == '\0') {
		*val = a;
		return NULL;
	}
	for (size_t j = 0; j < nopts; j++) {
		const struct opt *o = &opts[j];
		const char *rest = NULL;
		size_t n = strlen(o->name);
		if (a[1] == '-' && strncmp(a + 2, o->name, n) == 0 && (a[2 + n] == '\0' || a[2 + n] == '='))
			rest = a + 2 + n;
		else if (o->shorthand && a[1] == o->shorthand)
			rest = a + 2;
		if (!rest)
			continue;
		if (!o->takes_value)
			return o;
		if (*rest == '=')
			*val = rest + 1;
		else if (*rest)
			*val = rest; /* -iNAME */
		else if (*i + 1 < nargs)
			*val = args[++*i];
		return o;
	}
	return NULL;
}

/* Sets the wanted options' values from args; words gets the positional
 * words in order (at most nwords). The last occurrence of an option wins,
 * as with argparse and pflag. -1 when out of memory. */
static int scan_args(char **args, size_t nargs, const struct opt *opts, size_t nopts, const char **words,
		     size_t nwords)
{
	size_t w = 0;
	for (size_t i = 0; i < nargs; i++) {
		const char *val;
		const struct opt *o = next_arg(args, nargs, &i, opts, nopts, &val);
		if (!o) {
			if (val && w < nwords)
				words[w++] = val;
			continue;
		}
		if (o->dst && val) {
			free(*o->dst);
			if (!(*o->dst = strdup(val)))
				return -1;
		}
	}
	return 0;
}

static int read_eks(struct kubeconfig *kc)
{
	struct kubeconfig_eks *e = &kc->eks;
	const char *words[3] = {NULL, NULL, NULL};
	char *role = NULL;
	int rc = 0;

	if (is_command(kc->exec_command, "aws")) {
		/* the AWS CLI's global options with a value, and get-token's own */
		const struct opt opts[] = {
			{"region", 0, 1, &e->region},         {"profile", 0, 1, &e->profile},
			{"cluster-name", 0, 1, &e->cluster},  {"cluster-id", 0, 1, &e->cluster_id},
			{"role-arn", 0, 1, &e->role_arn},     {"role", 0, 1, &role},
			{"output", 0, 1, NULL},               {"query", 0, 1, NULL},
			{"endpoint-url", 0, 1, NULL},         {"color", 0, 1, NULL},
			{"ca-bundle", 0, 1, NULL},            {"cli-read-timeout", 0, 1, NULL},
			{"cli-connect-timeout", 0, 1, NULL},  {"cli-binary-format", 0, 1, NULL},
		};
		rc = scan_args(kc->exec_args, kc->exec_nargs, opts, sizeof opts / sizeof *opts, words, 2);
		e->kind = words[0] && words[1] && strcmp(words[0], "eks") == 0 && strcmp(words[1], "get-token") == 0
				  ? KUBECONFIG_EXEC_AWS_CLI
				  : KUBECONFIG_EXEC_OTHER;
	} else if (is_command(kc->exec_command, "aws-iam-authenticator") ||
		   is_command(kc->exec_command, "heptio-authenticator-aws")) {
		/* cmd/aws-iam-authenticator/{root,token}.go */
		const struct opt opts[] = {
			{"cluster-id", 'i', 1, &e->cluster}, {"role", 'r', 1, &role},
			{"region", 0, 1, &e->region},        {"session-name", 's', 1, NULL},
			{"external-id", 'e', 1, NULL},       {"config", 'c', 1, NULL},
			{"log-format", 'l', 1, NULL},        {"log-verbosity", 'v', 1, NULL},
			{"feature-gates", 0, 1, NULL},
		};
		rc = scan_args(kc->exec_args, kc->exec_nargs, opts, sizeof opts / sizeof *opts, words, 1);
		e->kind = words[0] && strcmp(words[0], "token") == 0 ? KUBECONFIG_EXEC_AUTHENTICATOR
								     : KUBECONFIG_EXEC_OTHER;
	} else {
		e->kind = KUBECONFIG_EXEC_OTHER;
	}
	if (rc)
		goto out;
	if (e->kind == KUBECONFIG_EXEC_OTHER) {
		/* nothing read from a command we do not know */
		free(e->region), free(e->profile), free(e->cluster), free(e->cluster_id), free(e->role_arn);
		e->region = e->profile = e->cluster = e->cluster_id = e->role_arn = NULL;
		goto out;
	}
	if (role && !e->role_arn) {
		e->role_arn = role;
		role = NULL;
	}
	if (e->region)
		e->region_source = KUBECONFIG_REGION_ARG;
	/* the exec env: AWS_REGION before AWS_DEFAULT_REGION (the SDKs' order) */
	for (int pass = 0; pass < 2 && !e->region; pass++) {
		const char *want = pass == 0 ? "AWS_REGION" : "AWS_DEFAULT_REGION";
		for (size_t i = kc->exec_nenv; i-- > 0;) {
			if (strcmp(kc->exec_env[i].name, want) != 0 || !kc->exec_env[i].value || !*kc->exec_env[i].value)
				continue;
			if (!(e->region = strdup(kc->exec_env[i].value))) {
				rc = -1;
				goto out;
			}
			e->region_source = pass == 0 ? KUBECONFIG_REGION_ENV_AWS_REGION
						     : KUBECONFIG_REGION_ENV_DEFAULT_REGION;
			break;
		}
	}
	for (size_t i = kc->exec_nenv; !e->profile && i-- > 0;) {
		if (strcmp(kc->exec_env[i].name, "AWS_PROFILE") != 0 || !kc->exec_env[i].value ||
		    !*kc->exec_env[i].value)
			continue;
		if (!(e->profile = strdup(kc->exec_env[i].value))) {
			rc = -1;
			goto out;
		}
		e->profile_from_env = 1;
	}
out:
	free(role);
	return rc;
}

static int load_exec(struct kc_parse *p, yaml_node_t *x)
{
	struct kubeconfig *kc = p->out;
	if (x->type != YAML_MAPPING_NODE)
		return fail(p, AL_CONFIG, yamldoc_line(x), "exec", "not a mapping");
	kc->has_exec = 1;
	kc->exec_line = yamldoc_line(x);
	yaml_node_t *cmd = yamldoc_get(&p->d, x, "command", 0, NULL);
	if (!yamldoc_value(cmd))
		return fail(p, AL_CONFIG, cmd ? yamldoc_line(cmd) : yamldoc_line(x), "exec.command", "missing");
	if (dup_value(cmd, &kc->exec_command) ||
	    dup_value(yamldoc_get(&p->d, x, "apiVersion", 0, NULL), &kc->exec_api_version))
		return oom(p);

	yaml_node_t *args = yamldoc_get(&p->d, x, "args", 0, NULL);
	if (args && yamldoc_value(args) == NULL && args->type == YAML_SCALAR_NODE)
		args = NULL; /* args: (null) */
	if (args && args->type != YAML_SEQUENCE_NODE)
		return fail(p, AL_CONFIG, yamldoc_line(args), "exec.args", "not a list");
	size_t n = yamldoc_len(args);
	if (n && !(kc->exec_args = calloc(n, sizeof *kc->exec_args)))
		return oom(p);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *a = yamldoc_item(&p->d, args, i);
		const char *s = yamldoc_str(a);
		if (!s)
			return fail(p, AL_CONFIG, yamldoc_line(a), "exec.args", "item %zu is not a string", i + 1);
		if (!(kc->exec_args[i] = strdup(s)))
			return oom(p);
		kc->exec_nargs = i + 1;
	}

	yaml_node_t *env = yamldoc_get(&p->d, x, "env", 0, NULL);
	if (env && yamldoc_value(env) == NULL && env->type == YAML_SCALAR_NODE)
		env = NULL;
	if (env && env->type != YAML_SEQUENCE_NODE)
		return fail(p, AL_CONFIG, yamldoc_line(env), "exec.env", "not a list");
	n = yamldoc_len(env);
	if (n && !(kc->exec_env = calloc(n, sizeof *kc->exec_env)))
		return oom(p);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yamldoc_item(&p->d, env, i);
		const char *name = yamldoc_value(yamldoc_get(&p->d, it, "name", 0, NULL));
		if (it->type != YAML_MAPPING_NODE || !name)
			return fail(p, AL_CONFIG, yamldoc_line(it), "exec.env", "item %zu has no name", i + 1);
		struct kubeconfig_env *ev = &kc->exec_env[kc->exec_nenv++];
		if (!(ev->name = strdup(name)))
			return oom(p);
		if (!secret_name(name) && dup_value(yamldoc_get(&p->d, it, "value", 0, NULL), &ev->value))
			return oom(p);
	}
	return read_eks(kc) ? oom(p) : AL_OK;
}

static int load_user(struct kc_parse *p, yaml_node_t *entry)
{
	struct kubeconfig *kc = p->out;
	yaml_node_t *u = yamldoc_get(&p->d, entry, "user", 0, NULL);
	kc->user_found = 1;
	kc->user_line = yamldoc_line(entry);
	if (!u || (u->type == YAML_SCALAR_NODE && !yamldoc_value(u)))
		return AL_OK;
	if (u->type != YAML_MAPPING_NODE)
		return fail(p, AL_CONFIG, yamldoc_line(u), "user", "not a mapping");
	/* presence only: the values are credentials */
	kc->user_has_token = yamldoc_value(yamldoc_get(&p->d, u, "token", 0, NULL)) ||
			     yamldoc_value(yamldoc_get(&p->d, u, "tokenFile", 0, NULL));
	static const char *const certs[] = {"client-certificate-data", "client-key-data", "client-certificate",
					    "client-key"};
	for (size_t i = 0; i < sizeof certs / sizeof *certs; i++)
		kc->user_has_client_cert |= yamldoc_value(yamldoc_get(&p->d, u, certs[i], 0, NULL)) != NULL;
	yaml_node_t *x = yamldoc_get(&p->d, u, "exec", 0, NULL);
	if (!x || (x->type == YAML_SCALAR_NODE && !yamldoc_value(x)))
		return AL_OK;
	return load_exec(p, x);
}

static int parse(struct kc_parse *p, const char *text, size_t len, const char *context)
{
	struct kubeconfig *kc = p->out;
	int rc = yamldoc_load(&p->d, text, len, p->path, 0, NULL, p->err, p->err_sz);
	if (rc)
		return rc == AL_DATAERR ? AL_CONFIG : rc;
	yaml_node_t *root = yamldoc_root(&p->d), *cur_key;
	if (!root || root->type != YAML_MAPPING_NODE)
		return fail(p, AL_CONFIG, yamldoc_line(root), "kubeconfig", "not a mapping (an empty file?)");

	yaml_node_t *cur = yamldoc_get(&p->d, root, "current-context", 0, &cur_key);
	size_t ctx_ref_line = 0;
	if (context && *context) {
		if (!(kc->context = strdup(context)))
			return oom(p);
	} else if (yamldoc_value(cur) && *yamldoc_value(cur)) { /* "" is unset, as for kubectl */
		if (dup_value(cur, &kc->context))
			return oom(p);
		kc->context_from_file = 1;
		ctx_ref_line = yamldoc_line(cur);
	} else {
		return fail(p, AL_CONFIG, yamldoc_line(cur_key), "current-context", "not set; pass --context");
	}

	yaml_node_t *centry, *clentry, *uentry, *ck;
	if ((rc = find_named(p, "contexts", kc->context, &centry)))
		return rc;
	char q[MSG_QUOTE_MAX + 1];
	if (!centry) {
		yamldoc_get(&p->d, root, "contexts", 0, &ck);
		return fail(p, AL_CONFIG, ctx_ref_line ? ctx_ref_line : yamldoc_line(ck),
			    kc->context_from_file ? "current-context" : "contexts", "no context named '%s'",
			    msg_printable(kc->context, q, sizeof q));
	}
	kc->context_line = yamldoc_line(centry);
	yaml_node_t *c = yamldoc_get(&p->d, centry, "context", 0, NULL);
	if (c && c->type != YAML_MAPPING_NODE)
		return fail(p, AL_CONFIG, yamldoc_line(c), "context", "not a mapping");
	if (dup_value(yamldoc_get(&p->d, c, "cluster", 0, NULL), &kc->cluster_name) ||
	    dup_value(yamldoc_get(&p->d, c, "user", 0, NULL), &kc->user_name))
		return oom(p);

	/* both lists are checked whole, as client-go converts them whole */
	if ((rc = find_named(p, "clusters", kc->cluster_name, &clentry)) ||
	    (rc = find_named(p, "users", kc->user_name, &uentry)))
		return rc;
	if (clentry && (rc = load_cluster(p, clentry)))
		return rc;
	if (uentry && (rc = load_user(p, uentry)))
		return rc;
	return AL_OK;
}

int kubeconfig_parse(const char *text, size_t len, const char *path, const char *context,
		     struct kubeconfig *out, char *err, size_t err_sz)
{
	struct kc_parse p = {.path = path, .out = out, .err = err, .err_sz = err_sz};
	memset(out, 0, sizeof *out);
	if (!(out->path = strdup(path))) {
		msg_set(err, err_sz, "%s: out of memory", path);
		return AL_SOFTWARE;
	}
	int rc = parse(&p, text, len, context);
	yamldoc_free(&p.d);
	return rc;
}

int kubeconfig_load(const char *path, const char *context, struct kubeconfig *out, char *err, size_t err_sz)
{
	struct buf b = BUF_INIT;
	memset(out, 0, sizeof *out);
	int e = aws_secret_read_file(path, &b);
	if (e) {
		aws_secret_buf_free(&b);
		if (e == ENOMEM) {
			msg_set(err, err_sz, "%s: out of memory", path);
			return AL_SOFTWARE;
		}
		msg_set(err, err_sz, "%s: %s", path, e == EFBIG ? "larger than 1 MiB" : strerror(e));
		return e == EFBIG ? AL_CONFIG : AL_NOINPUT;
	}
	int rc = kubeconfig_parse(b.data, b.len, path, context, out, err, err_sz);
	aws_secret_buf_free(&b);
	return rc;
}

void kubeconfig_free(struct kubeconfig *kc)
{
	if (!kc)
		return;
	free(kc->path);
	free(kc->context);
	free(kc->cluster_name);
	free(kc->server);
	free(kc->ca_data);
	free(kc->ca_file);
	free(kc->tls_server_name);
	free(kc->user_name);
	free(kc->exec_api_version);
	free(kc->exec_command);
	for (size_t i = 0; i < kc->exec_nargs; i++)
		free(kc->exec_args[i]);
	free(kc->exec_args);
	for (size_t i = 0; i < kc->exec_nenv; i++) {
		free(kc->exec_env[i].name);
		free(kc->exec_env[i].value);
	}
	free(kc->exec_env);
	free(kc->eks.cluster);
	free(kc->eks.cluster_id);
	free(kc->eks.region);
	free(kc->eks.profile);
	free(kc->eks.role_arn);
	memset(kc, 0, sizeof *kc);
}
