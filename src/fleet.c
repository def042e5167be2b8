/* The fleet file: see fleet.h. */
#include "fleet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arn.h"
#include "aws/aws_config.h"
#include "msg.h"
#include "status.h"
#include "timeutil.h"

#define KEEP_MIN_S 3600

int fleet_default_path(char *out, size_t out_sz)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;
	if (xdg && *xdg)
		n = snprintf(out, out_sz, "%s/authlog-scan/clusters", xdg);
	else if (home && *home)
		n = snprintf(out, out_sz, "%s/.config/authlog-scan/clusters", home);
	else
		return -1;
	return n < 0 || (size_t)n >= out_sz ? -1 : 0;
}

int fleet_parse_keep(const char *s, int64_t *out)
{
	int64_t t;
	size_t n = strlen(s);
	/* relative forms only: "90d" is 90 days before 0 */
	if (!n || !(s[n - 1] >= 'a' && s[n - 1] <= 'z') || time_parse_since(s, 0, &t) != 0 || -t < KEEP_MIN_S)
		return -1;
	*out = -t;
	return 0;
}

int fleet_log_group_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 512 &&
	       strspn(s, "._-/#ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == n;
}

/* Printable, no blank: a profile name as ~/.aws/config can hold it. */
static int profile_valid(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '[' || s[i] == ']')
			return 0;
	return n >= 1 && n < 256;
}

/* ExternalId's pattern in the STS AssumeRole reference: [\w+=,.@:\/-]*, 2-1224. */
static int external_id_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= 2 && n <= 1224 &&
	       strspn(s, "+=,.@:/-_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == n;
}

static int account_valid(const char *s)
{
	return strlen(s) == 12 && strspn(s, "0123456789") == 12;
}

/* A role ARN as STS AssumeRole takes it: an IAM role with a 12-digit account. */
static int role_arn_valid(const char *s, const char **why)
{
	struct arn_info a;
	if (!arn_valid_principal(s, strlen(s), why))
		return 0;
	if (arn_parse(s, strlen(s), &a) != 0 || a.type != PRINCIPAL_ROLE) {
		*why = "not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)";
		return 0;
	}
	return 1;
}

/* "FILE:LINE: KEY: what", the key and value made printable. */
static int bad(char *err, size_t err_sz, const char *path, size_t line, const char *key, const char *what)
{
	char tmp[128];
	msg_set(err, err_sz, "%s:%zu: %s: %s", path, line, msg_printable(key, tmp, sizeof(tmp)), what);
	return AL_CONFIG;
}

static int copy(char *dst, size_t dst_sz, const char *v)
{
	size_t n = strlen(v);
	if (n >= dst_sz)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

/* One `key = value` of cluster c. */
static int set_key(struct fleet_cluster *c, const char *key, const char *v, const char *path, size_t line,
		   char *err, size_t err_sz)
{
	const char *why = NULL;
	char what[256];
	if (!*v)
		return bad(err, err_sz, path, line, key, "needs a value");
	if (strcmp(key, "region") == 0) {
		/* The strict shape, as the printed fixes check it: a region the
		 * SDKs would take as a host label (foo) is refused here, on its
		 * line, rather than when a fix for it is printed. */
		if (!arn_valid_region(v, NULL) || copy(c->region, sizeof(c->region), v))
			return bad(err, err_sz, path, line, key, "not a region name (like eu-west-1)");
	} else if (strcmp(key, "profile") == 0) {
		if (!profile_valid(v) || copy(c->profile, sizeof(c->profile), v))
			return bad(err, err_sz, path, line, key, "not a profile name (no blanks or brackets)");
	} else if (strcmp(key, "role_arn") == 0) {
		if (!role_arn_valid(v, &why) || copy(c->role_arn, sizeof(c->role_arn), v)) {
			snprintf(what, sizeof(what), "not a role ARN: %s", why ? why : "too long");
			return bad(err, err_sz, path, line, key, what);
		}
	} else if (strcmp(key, "external_id") == 0) {
		if (!external_id_valid(v) || copy(c->external_id, sizeof(c->external_id), v))
			return bad(err, err_sz, path, line, key, "2 to 1224 of A-Z a-z 0-9 + = , . @ : / - _");
	} else if (strcmp(key, "log_group") == 0) {
		if (!fleet_log_group_valid(v) || copy(c->log_group, sizeof(c->log_group), v))
			return bad(err, err_sz, path, line, key, "not a log group name");
	} else if (strcmp(key, "account") == 0) {
		if (!account_valid(v) || copy(c->account, sizeof(c->account), v))
			return bad(err, err_sz, path, line, key, "not a 12-digit account id");
	} else if (strcmp(key, "keep") == 0) {
		if (fleet_parse_keep(v, &c->keep) != 0 || copy(c->keep_text, sizeof(c->keep_text), v))
			return bad(err, err_sz, path, line, key, "not an age of an hour or more (like 90d, 2160h, 12w)");
	} else {
		return bad(err, err_sz, path, line, key,
			   "unknown key (region, profile, role_arn, external_id, log_group, account, keep)");
	}
	return AL_OK;
}

/* Section i, "cluster NAME", into c. */
static int load_cluster(const struct aws_config *cfg, size_t i, const struct fleet *f, struct fleet_cluster *c,
			char *err, size_t err_sz)
{
	size_t line, kline;
	const char *h = aws_config_section(cfg, i, &line), *why = NULL, *key, *v;
	char tmp[128], what[768];
	memset(c, 0, sizeof(*c));
	c->line = line;
	size_t word = strcspn(h, " \t");
	const char *name = h + word + strspn(h + word, " \t");
	if (word != 7 || strncmp(h, "cluster", 7) != 0 || !*name) {
		snprintf(what, sizeof(what), "[%s] is not a [cluster NAME] section", msg_printable(h, tmp, sizeof(tmp)));
		msg_set(err, err_sz, "%s:%zu: %s", f->path, line, what);
		return AL_CONFIG;
	}
	if (!arn_valid_cluster_name(name, &why)) {
		snprintf(what, sizeof(what), "not an EKS cluster name: %s", why);
		return bad(err, err_sz, f->path, line, name, what);
	}
	for (size_t k = 0; k < f->n; k++)
		if (strcmp(f->v[k].name, name) == 0) {
			snprintf(what, sizeof(what), "cluster given twice (first on line %zu)", f->v[k].line);
			return bad(err, err_sz, f->path, line, name, what);
		}
	snprintf(c->name, sizeof(c->name), "%s", name);
	for (size_t k = 0; (key = aws_config_section_key(cfg, i, k, &v, &kline)); k++) {
		int rc = set_key(c, key, v, f->path, kline, err, err_sz);
		if (rc)
			return rc;
	}
	if (!c->region[0])
		return bad(err, err_sz, f->path, line, name, "no region (every cluster needs its region = ...)");
	if (c->external_id[0] && !c->role_arn[0])
		return bad(err, err_sz, f->path, line, name, "external_id without role_arn");
	if (!c->log_group[0])
		snprintf(c->log_group, sizeof(c->log_group), "/aws/eks/%s/cluster", c->name);
	/* scan runs, windows and resume points are kept per log group */
	for (size_t k = 0; k < f->n; k++)
		if (strcmp(f->v[k].log_group, c->log_group) == 0) {
			snprintf(what, sizeof(what), "its log group %.512s is cluster %s's too (line %zu)", c->log_group,
				 f->v[k].name, f->v[k].line);
			return bad(err, err_sz, f->path, line, name, what);
		}
	return AL_OK;
}

int fleet_load(const char *path, struct fleet *f, char *err, size_t err_sz)
{
	struct aws_config *cfg = NULL;
	size_t line;
	memset(f, 0, sizeof(*f));
	if (copy(f->path, sizeof(f->path), path)) {
		msg_set(err, err_sz, "the fleet file's path is too long");
		return AL_CONFIG;
	}
	int rc = aws_config_load_plain(path, &cfg, err, err_sz);
	size_t n = 0;
	while (!rc && aws_config_section(cfg, n, &line))
		n++;
	if (!rc && !n) {
		msg_set(err, err_sz, "%s: no [cluster NAME] section", path);
		rc = AL_CONFIG;
	}
	if (!rc && !(f->v = calloc(n, sizeof(*f->v)))) {
		msg_set(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
	}
	for (size_t i = 0; !rc && i < n; i++)
		if (!(rc = load_cluster(cfg, i, f, &f->v[i], err, err_sz)))
			f->n++;
	aws_config_free(cfg);
	return rc;
}

void fleet_free(struct fleet *f)
{
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

const struct fleet_cluster *fleet_find(const struct fleet *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0)
			return &f->v[i];
	return NULL;
}
