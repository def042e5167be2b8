/* Shared AWS config/credentials files, profile, region and endpoint
 * resolution: see aws_config.h for the rules. */
#include "aws_config.h"

#include "aws_secret.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "msg.h"
#include "status.h"

#define MAX_FILE_SIZE (16u << 20)


struct kvlist {
	struct kv *v;
	size_t n, cap;
};

struct kv {
	char *key;   /* lower-case */
	char *value; /* "" for a nested block */
	struct kvlist sub;
	size_t line; /* where it was set (plain files' messages) */
};

enum sec_kind { SEC_PROFILE, SEC_SSO_SESSION, SEC_SERVICES, SEC_PLAIN };

struct section {
	enum aws_config_file file;
	enum sec_kind kind;
	int profile_form; /* config file: 1 for "[profile default]", 0 for "[default]" */
	char *name;
	struct kvlist kv;
	size_t line; /* of the header */
};

struct aws_config {
	struct section *sec;
	size_t n, cap;
};

const char *aws_config_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

const char *aws_config_setting(const struct aws_config *cfg, const char *profile, const char *env_name,
			       const char *key)
{
	const char *v = aws_config_env(env_name);
	if (!v && cfg && profile)
		v = aws_config_get(cfg, profile, key);
	return v && *v ? v : NULL;
}

int aws_config_true(const char *v)
{
	return v && strcasecmp(v, "true") == 0;
}

static void *grow(void *arr, size_t n, size_t *cap, size_t el)
{
	if (n < *cap)
		return arr;
	size_t nc = *cap ? *cap * 2 : 4;
	if (nc > SIZE_MAX / el)
		return NULL;
	void *p = realloc(arr, nc * el);
	if (p)
		*cap = nc;
	return p;
}

static char *dupn(const char *s, size_t n, int lower)
{
	char *d = malloc(n + 1);
	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = lower && s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	d[n] = '\0';
	return d;
}

static void kvlist_free(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		aws_secret_free(l->v[i].key);
		aws_secret_free(l->v[i].value);
		kvlist_free(&l->v[i].sub);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static struct kv *kvlist_find(const struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i].key, key) == 0)
			return &l->v[i];
	return NULL;
}

/* Sets key (replacing an earlier one and its nested block); NULL on OOM. */
static struct kv *kvlist_set(struct kvlist *l, const char *k, size_t kl, const char *v, size_t vl)
{
	char *key = dupn(k, kl, 1), *val = dupn(v, vl, 0);
	struct kv *e = NULL;
	if (!key || !val)
		goto out;
	e = kvlist_find(l, key);
	if (e) {
		aws_secret_free(e->key);
		aws_secret_free(e->value);
		kvlist_free(&e->sub);
	} else {
		struct kv *p = grow(l->v, l->n, &l->cap, sizeof *p);
		if (!p)
			goto out;
		l->v = p;
		e = &l->v[l->n++];
		memset(e, 0, sizeof *e);
	}
	e->key = key;
	e->value = val;
	key = val = NULL;
out:
	aws_secret_free(key);
	aws_secret_free(val);
	return e && e->key ? e : NULL;
}

/* *v + blank_lines+1 newlines + s; the old string is wiped. */
static int append_line(char **v, size_t blank_lines, const char *s, size_t n)
{
	size_t old = strlen(*v), nl = blank_lines + 1;
	if (nl > MAX_FILE_SIZE)
		return -1;
	char *d = malloc(old + nl + n + 1);
	if (!d)
		return -1;
	memcpy(d, *v, old);
	memset(d + old, '\n', nl);
	memcpy(d + old + nl, s, n);
	d[old + nl + n] = '\0';
	aws_secret_free(*v);
	*v = d;
	return 0;
}

static const struct section *find_sec(const struct aws_config *c, enum aws_config_file f,
				      enum sec_kind k, const char *name)
{
	if (!c || !name)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		if (c->sec[i].file == f && c->sec[i].kind == k && strcmp(c->sec[i].name, name) == 0)
			return &c->sec[i];
	return NULL;
}

/* The key/value list for that section, created when new; NULL on OOM. */
static struct kvlist *section_get(struct aws_config *c, enum aws_config_file f, enum sec_kind k,
				  const char *name, size_t nlen, int form)
{
	struct section *s;
	for (size_t i = 0; k != SEC_PLAIN && i < c->n; i++) {
		s = &c->sec[i];
		if (s->file == f && s->kind == k && strlen(s->name) == nlen &&
		    memcmp(s->name, name, nlen) == 0) {
			if (s->profile_form != form) { /* [default] vs [profile default]: last wins */
				kvlist_free(&s->kv);
				s->profile_form = form;
			}
			return &s->kv;
		}
	}
	s = grow(c->sec, c->n, &c->cap, sizeof *s);
	if (!s)
		return NULL;
	c->sec = s;
	s = &c->sec[c->n];
	memset(s, 0, sizeof *s);
	if (!(s->name = dupn(name, nlen, 0)))
		return NULL;
	s->file = f;
	s->kind = k;
	s->profile_form = form;
	c->n++;
	return &s->kv;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\f' || ch == '\v';
}

/* Index of the first byte of s[0..n) in set, n when none. */
static size_t span(const char *s, size_t n, const char *set)
{
	size_t i = 0;
	while (i < n && !strchr(set, s[i]))
		i++;
	return i;
}

static void trim(const char **s, size_t *n)
{
	while (*n && is_space(**s))
		(*s)++, (*n)--;
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

/* Config-file header "profile NAME" etc.: 1 with the (unquoted) name, 0 when
 * it is not that kind of section. */
static int header_with_prefix(const char *h, size_t hl, const char *prefix,
			      const char **name, size_t *nl)
{
	size_t pl = strlen(prefix);
	if (hl <= pl || memcmp(h, prefix, pl) != 0 || !is_space(h[pl]))
		return 0;
	const char *s = h + pl;
	size_t n = hl - pl;
	trim(&s, &n);
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		s++;
		n -= 2;
	} else {
		for (size_t i = 0; i < n; i++)
			if (is_space(s[i]))
				return 0; /* botocore's shlex split gives 3 words: ignored */
	}
	*name = s;
	*nl = n;
	return n > 0;
}

/* Which key/value list a header selects: NULL (with *ignored) for a section
 * we do not keep, NULL (without) on OOM. */
static struct kvlist *open_section(struct aws_config *c, enum aws_config_file f,
				   const char *h, size_t hl, int *ignored)
{
	const char *name;
	size_t nl;
	*ignored = 0;
	if (f == AWS_CONFIG_FILE_PLAIN)
		return section_get(c, f, SEC_PLAIN, h, hl, 0);
	if (f == AWS_CONFIG_FILE_CREDENTIALS)
		return section_get(c, f, SEC_PROFILE, h, hl, 0);
	if (hl == 7 && memcmp(h, "default", 7) == 0)
		return section_get(c, f, SEC_PROFILE, h, hl, 0);
	if (header_with_prefix(h, hl, "profile", &name, &nl))
		return section_get(c, f, SEC_PROFILE, name, nl, 1);
	if (header_with_prefix(h, hl, "sso-session", &name, &nl))
		return section_get(c, f, SEC_SSO_SESSION, name, nl, 0);
	if (header_with_prefix(h, hl, "services", &name, &nl))
		return section_get(c, f, SEC_SERVICES, name, nl, 0);
	*ignored = 1;
	return NULL;
}

#define PARSE_OOM (-2)

/* A plain file is ours: a key set twice in a section is a mistake to
 * show, not a value to replace silently. 0, -1 with err set, or
 * PARSE_OOM. */
static int plain_once(const struct kvlist *cur, const char *k, size_t kl, const char *path, size_t lineno,
		      char *err, size_t err_sz)
{
	char *key = dupn(k, kl, 1), tmp[128];
	if (!key)
		return PARSE_OOM;
	const struct kv *e = kvlist_find(cur, key);
	if (e)
		msg_set(err, err_sz, "%s:%zu: %s: set twice in the section (first on line %zu)", path, lineno,
			msg_printable(key, tmp, sizeof tmp), e->line);
	aws_secret_free(key);
	return e ? -1 : 0;
}

/* A line indented under an option: one more line of its value, or (when
 * the option's own value is empty) a "k = v" line of its nested block.
 * 0, -1 with err set, or PARSE_OOM. */
static int continuation(struct kv *opt, const char *s, size_t n, size_t blanks, const char *path,
			size_t lineno, char *err, size_t err_sz)
{
	if (opt->value[0] != '\0')
		return append_line(&opt->value, blanks, s, n) ? PARSE_OOM : 0;
	size_t kl = span(s, n, "="), vl = kl < n ? n - kl - 1 : 0;
	const char *k = s, *v = s + kl + (kl < n);
	int bad = kl == n;
	trim(&k, &kl);
	trim(&v, &vl);
	if (bad || !kl) {
		msg_set(err, err_sz, "%s:%zu: expected 'key = value'", path, lineno);
		return -1;
	}
	return kvlist_set(&opt->sub, k, kl, v, vl) ? 0 : PARSE_OOM;
}

/* "[name]": *cur becomes the section the next lines fill (discard for an
 * ignored one, still checked for syntax).  0, -1 with err set, or
 * PARSE_OOM. */
static int section_line(struct aws_config *c, enum aws_config_file f, const char *s, size_t n,
			struct kvlist **cur, struct kvlist *discard, const char *path, size_t lineno,
			char *err, size_t err_sz)
{
	const char *h = s + 1;
	size_t hl = span(h, n - 1, "]"), t = hl + 2;
	int ignored;
	if (hl == n - 1) {
		msg_set(err, err_sz, "%s:%zu: expected ']' to close the section header", path, lineno);
		return -1;
	}
	while (t < n && is_space(s[t]))
		t++;
	if (t < n && s[t] != '#' && s[t] != ';') {
		msg_set(err, err_sz, "%s:%zu: unexpected text after ']'", path, lineno);
		return -1;
	}
	trim(&h, &hl);
	if (!hl) {
		msg_set(err, err_sz, "%s:%zu: empty section name", path, lineno);
		return -1;
	}
	*cur = open_section(c, f, h, hl, &ignored);
	if (!*cur && !ignored)
		return PARSE_OOM;
	if (f == AWS_CONFIG_FILE_PLAIN)
		c->sec[c->n - 1].line = lineno;
	if (!*cur)
		*cur = discard;
	return 0;
}

static int parse(struct aws_config *c, enum aws_config_file f, const char *path,
		 const char *data, size_t len, char *err, size_t err_sz)
{
	struct kvlist discard = {0}, *cur = NULL;
	struct kv *opt = NULL;  /* the option indented lines continue */
	size_t opt_indent = 0, blanks = 0, lineno = 0;
	const char *p = data, *end = data + len;
	int rc = 0;

	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (p < end && rc == 0) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *s = p;
		size_t n = (size_t)((eol ? eol : end) - p), indent = 0;
		p = eol ? eol + 1 : end;
		lineno++;
		if (n && s[n - 1] == '\r')
			n--;
		if (memchr(s, '\0', n)) {
			msg_set(err, err_sz, "%s:%zu: NUL byte", path, lineno);
			rc = -1;
			break;
		}
		while (indent < n && is_space(s[indent]))
			indent++;
		trim(&s, &n);
		if (n == 0) {
			blanks++;
			continue;
		}
		if (s[0] == '#' || s[0] == ';')
			continue;
		if (opt && indent > opt_indent) {
			rc = continuation(opt, s, n, blanks, path, lineno, err, err_sz);
			blanks = 0;
			continue;
		}
		opt = NULL;
		if (s[0] == '[') {
			rc = section_line(c, f, s, n, &cur, &discard, path, lineno, err, err_sz);
			continue;
		}
		if (!cur) {
			msg_set(err, err_sz, "%s:%zu: expected a [section] header before 'key = value'",
			       path, lineno);
			rc = -1;
			break;
		}
		size_t kl = span(s, n, "=:"), vl = kl < n ? n - kl - 1 : 0;
		const char *k = s, *v = s + kl + (kl < n);
		int bad = kl == n;
		trim(&k, &kl);
		if (bad || !kl) {
			msg_set(err, err_sz, "%s:%zu: expected 'key = value'", path, lineno);
			rc = -1;
			break;
		}
		trim(&v, &vl);
		if (f == AWS_CONFIG_FILE_PLAIN && (rc = plain_once(cur, k, kl, path, lineno, err, err_sz)) != 0)
			break;
		if (!(opt = kvlist_set(cur, k, kl, v, vl)))
			rc = PARSE_OOM;
		else
			opt->line = lineno;
		opt_indent = indent;
		blanks = 0;
	}
	if (rc == PARSE_OOM)
		msg_set(err, err_sz, "%s: out of memory", path);
	kvlist_free(&discard);
	return rc ? -1 : 0;
}

/* Reads the whole file; growth copies and wipes, never realloc()s secrets. */
static int load_file(struct aws_config *c, enum aws_config_file f, const char *path,
		     char *err, size_t err_sz)
{
	int must_exist = f == AWS_CONFIG_FILE_PLAIN;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	char *data = NULL;
	size_t len = 0, cap = 0;
	struct stat st;

	if (fd < 0) {
		if ((errno == ENOENT || errno == ENOTDIR) && !must_exist)
			rc = 0; /* a missing file is an empty one */
		else
			msg_set(err, err_sz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0)
		st.st_size = 0, st.st_mode = 0;
	if (S_ISDIR(st.st_mode)) {
		msg_set(err, err_sz, "%s: is a directory", path);
		goto out;
	}
	cap = st.st_size > 0 && (uintmax_t)st.st_size < MAX_FILE_SIZE ? (size_t)st.st_size + 1 : 4096;
	if (!(data = malloc(cap)))
		goto oom;
	for (;;) {
		if (len + 1 >= cap) {
			char *d;
			if (cap >= MAX_FILE_SIZE) {
				msg_set(err, err_sz, "%s: larger than %u bytes", path, MAX_FILE_SIZE);
				goto out;
			}
			if (!(d = malloc(cap * 2)))
				goto oom;
			memcpy(d, data, len);
			aws_secret_wipe(data, len);
			free(data);
			data = d;
			cap *= 2;
		}
		ssize_t r = read(fd, data + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			msg_set(err, err_sz, "%s: read error: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	data[len] = '\0';
	rc = parse(c, f, path, data, len, err, err_sz);
	goto out;
oom:
	msg_set(err, err_sz, "%s: out of memory", path);
out:
	if (data) {
		aws_secret_wipe(data, cap);
		free(data);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

int aws_config_default_path(enum aws_config_file which, char *out, size_t out_sz)
{
	const char *v = aws_config_env(which == AWS_CONFIG_FILE_CONFIG ? "AWS_CONFIG_FILE"
							    : "AWS_SHARED_CREDENTIALS_FILE");
	const char *home = aws_config_env("HOME");
	int n;
	if (v && !(v[0] == '~' && (v[1] == '/' || v[1] == '\0'))) {
		n = snprintf(out, out_sz, "%s", v);
	} else if (!home) {
		return -1;
	} else if (v) {
		n = snprintf(out, out_sz, "%s%s", home, v + 1);
	} else {
		n = snprintf(out, out_sz, "%s/.aws/%s", home,
			     which == AWS_CONFIG_FILE_CONFIG ? "config" : "credentials");
	}
	return n < 0 || (size_t)n >= out_sz ? -1 : 0;
}

int aws_config_load(const char *config_path, const char *creds_path,
		    struct aws_config **out, char *err, size_t err_sz)
{
	struct aws_config *c = calloc(1, sizeof *c);
	char path[4096];
	int rc = AL_CONFIG;

	*out = NULL;
	msg_set(err, err_sz, "%s", "");
	if (!c) {
		msg_set(err, err_sz, "out of memory");
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		enum aws_config_file f = i ? AWS_CONFIG_FILE_CREDENTIALS : AWS_CONFIG_FILE_CONFIG;
		const char *p = i ? creds_path : config_path;
		if (!p) {
			if (aws_config_default_path(f, path, sizeof path))
				continue;
			p = path;
		}
		if (*p && load_file(c, f, p, err, err_sz))
			goto out;
	}
	*out = c;
	c = NULL;
	rc = AL_OK;
out:
	aws_config_free(c);
	return rc;
}

void aws_config_free(struct aws_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n; i++) {
		aws_secret_free(cfg->sec[i].name);
		kvlist_free(&cfg->sec[i].kv);
	}
	free(cfg->sec);
	free(cfg);
}

const char *aws_config_file_get(const struct aws_config *cfg, enum aws_config_file which,
				const char *profile, const char *key)
{
	const struct section *s = find_sec(cfg, which, SEC_PROFILE, profile);
	const struct kv *e = s && key ? kvlist_find(&s->kv, key) : NULL;
	return e ? e->value : NULL;
}

const char *aws_config_get(const struct aws_config *cfg, const char *profile, const char *key)
{
	const char *v = aws_config_file_get(cfg, AWS_CONFIG_FILE_CREDENTIALS, profile, key);
	return v ? v : aws_config_file_get(cfg, AWS_CONFIG_FILE_CONFIG, profile, key);
}

int aws_config_profile_exists(const struct aws_config *cfg, const char *profile)
{
	return find_sec(cfg, AWS_CONFIG_FILE_CONFIG, SEC_PROFILE, profile) ||
	       find_sec(cfg, AWS_CONFIG_FILE_CREDENTIALS, SEC_PROFILE, profile);
}

const char *aws_config_sso_session_get(const struct aws_config *cfg, const char *session,
				       const char *key)
{
	const struct section *s = find_sec(cfg, AWS_CONFIG_FILE_CONFIG, SEC_SSO_SESSION, session);
	const struct kv *e = s && key ? kvlist_find(&s->kv, key) : NULL;
	return e ? e->value : NULL;
}

const char *aws_config_service_get(const struct aws_config *cfg, const char *profile,
				   const char *service_key, const char *key)
{
	const char *name = aws_config_get(cfg, profile, "services");
	const struct section *s = find_sec(cfg, AWS_CONFIG_FILE_CONFIG, SEC_SERVICES, name);
	const struct kv *e = s && service_key ? kvlist_find(&s->kv, service_key) : NULL;
	e = e && key ? kvlist_find(&e->sub, key) : NULL;
	return e ? e->value : NULL;
}

/* ---------------------------------------------------------------- profile */

int aws_config_select_profile(const struct aws_config *cfg, const char *cli_profile,
			      char *name, size_t name_sz, enum aws_profile_source *src,
			      char *err, size_t err_sz)
{
	const char *p;
	char tmp[96];
	if (cli_profile && *cli_profile) {
		p = cli_profile;
		*src = AWS_PROFILE_FROM_CLI;
	} else if ((p = aws_config_env("AWS_PROFILE"))) {
		*src = AWS_PROFILE_FROM_ENV;
	} else if ((p = aws_config_env("AWS_DEFAULT_PROFILE"))) {
		*src = AWS_PROFILE_FROM_DEFAULT_ENV;
	} else {
		p = "default";
		*src = AWS_PROFILE_FROM_DEFAULT;
	}
	if (strlen(p) >= name_sz) {
		msg_set(err, err_sz, "profile name too long (from %s)", aws_profile_source_name(*src));
		if (name_sz)
			name[0] = '\0';
		return AL_CONFIG;
	}
	memcpy(name, p, strlen(p) + 1);
	if (*src != AWS_PROFILE_FROM_DEFAULT && !aws_config_profile_exists(cfg, p)) {
		msg_set(err, err_sz, "the config profile (%s) could not be found (from %s)",
		       msg_printable(p, tmp, sizeof tmp), aws_profile_source_name(*src));
		return AL_CONFIG;
	}
	return AL_OK;
}

const char *aws_profile_source_name(enum aws_profile_source src)
{
	switch (src) {
	case AWS_PROFILE_FROM_CLI: return "--profile";
	case AWS_PROFILE_FROM_ENV: return "AWS_PROFILE";
	case AWS_PROFILE_FROM_DEFAULT_ENV: return "AWS_DEFAULT_PROFILE";
	case AWS_PROFILE_FROM_DEFAULT: break;
	}
	return "default";
}

/* ----------------------------------------------------------------- region */

static int is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

int aws_region_valid(const char *r)
{
	size_t n = r ? strlen(r) : 0;
	if (n == 0 || n > 63 || !is_alnum(r[0]) || !is_alnum(r[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(r[i]) && r[i] != '-')
			return 0;
	return 1;
}

int aws_config_region(const struct aws_config *cfg, const char *profile, const char *cli_region,
		      char *region, size_t region_sz, enum aws_region_source *src,
		      char *err, size_t err_sz)
{
	const char *v = NULL;
	char tmp[96];
	*src = AWS_REGION_NONE;
	if (region_sz)
		region[0] = '\0';
	if (cli_region && *cli_region) {
		v = cli_region;
		*src = AWS_REGION_FROM_CLI;
	} else if ((v = aws_config_env("AWS_REGION"))) {
		*src = AWS_REGION_FROM_ENV;
	} else if ((v = aws_config_env("AWS_DEFAULT_REGION"))) {
		*src = AWS_REGION_FROM_DEFAULT_ENV;
	} else if ((v = aws_config_get(cfg, profile, "region")) && *v) {
		*src = AWS_REGION_FROM_PROFILE;
	} else {
		msg_set(err, err_sz, "no AWS region: use --region, or set AWS_REGION, "
		       "AWS_DEFAULT_REGION or 'region' in profile %s",
		       msg_printable(profile ? profile : "default", tmp, sizeof tmp));
		return AL_CONFIG;
	}
	if (!aws_region_valid(v) || strlen(v) >= region_sz) {
		msg_set(err, err_sz, "invalid AWS region '%s' (from %s)", msg_printable(v, tmp, sizeof tmp),
		       aws_region_source_name(*src));
		return AL_CONFIG;
	}
	memcpy(region, v, strlen(v) + 1);
	return AL_OK;
}

const char *aws_region_source_name(enum aws_region_source src)
{
	switch (src) {
	case AWS_REGION_FROM_CLI: return "--region";
	case AWS_REGION_FROM_ENV: return "AWS_REGION";
	case AWS_REGION_FROM_DEFAULT_ENV: return "AWS_DEFAULT_REGION";
	case AWS_REGION_FROM_PROFILE: return "profile";
	case AWS_REGION_FROM_IMDS: return "imds";
	case AWS_REGION_NONE: break;
	}
	return "none";
}

/* ------------------------------------------------------------- partitions */

static const struct aws_partition partitions[] = {
	{"aws", "amazonaws.com", "api.aws"},
	{"aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn"},
	{"aws-us-gov", "amazonaws.com", "api.aws"},
	{"aws-iso", "c2s.ic.gov", "api.aws.ic.gov"},
	{"aws-iso-b", "sc2s.sgov.gov", "api.aws.scloud"},
	{"aws-iso-e", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"},
	{"aws-iso-f", "csp.hci.ic.gov", "api.aws.hci.ic.gov"},
	{"aws-eusc", "amazonaws.eu", "api.amazonwebservices.eu"},
};

/* partitions.json regionRegex values are all PREFIX\w+-\d+$. */
static const struct {
	const char *prefix;
	unsigned part;
} region_rules[] = {
	{"us-", 0}, {"eu-", 0}, {"ap-", 0}, {"sa-", 0}, {"ca-", 0}, {"me-", 0}, {"af-", 0},
	{"il-", 0}, {"mx-", 0}, {"cn-", 1}, {"us-gov-", 2}, {"us-iso-", 3}, {"us-isob-", 4},
	{"eu-isoe-", 5}, {"us-isof-", 6}, {"eusc-de-", 7},
};

static int word_dash_digits(const char *s)
{
	size_t w = 0, d = 0;
	while (is_alnum(s[w]) || s[w] == '_')
		w++;
	if (!w || s[w] != '-')
		return 0;
	s += w + 1;
	while (s[d] >= '0' && s[d] <= '9')
		d++;
	return d > 0 && s[d] == '\0';
}

const struct aws_partition *aws_partition_for_region(const char *region)
{
	if (!region)
		return &partitions[0];
	for (size_t i = 0; i < sizeof partitions / sizeof *partitions; i++) {
		size_t n = strlen(partitions[i].name);
		/* the explicit pseudo-regions: aws-global, aws-cn-global, ... */
		if (strncmp(region, partitions[i].name, n) == 0 && strcmp(region + n, "-global") == 0)
			return &partitions[i];
	}
	for (size_t i = 0; i < sizeof region_rules / sizeof *region_rules; i++) {
		size_t n = strlen(region_rules[i].prefix);
		if (strncmp(region, region_rules[i].prefix, n) == 0 && word_dash_digits(region + n))
			return &partitions[region_rules[i].part];
	}
	return &partitions[0];
}

int aws_host_is_loopback(const char *host)
{
	char h[AWS_ENDPOINT_HOST_MAX];
	size_t n = host ? strlen(host) : 0;
	struct in_addr a4;
	struct in6_addr a6;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof h)
		return 0;
	memcpy(h, host, n);
	h[n] = '\0';
	if (strcasecmp(h, "localhost") == 0 || strcasecmp(h, "localhost.") == 0)
		return 1;
	if (inet_pton(AF_INET, h, &a4) == 1)
		return ((const unsigned char *)&a4.s_addr)[0] == 127;
	if (inet_pton(AF_INET6, h, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

/* -------------------------------------------------------------- endpoints */

static const struct {
	const char *prefix, *env, *key;
} services[] = {
	[AWS_SVC_LOGS] = {"logs", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "cloudwatch_logs"},
	[AWS_SVC_STS] = {"sts", "AWS_ENDPOINT_URL_STS", "sts"},
	[AWS_SVC_EKS] = {"eks", "AWS_ENDPOINT_URL_EKS", "eks"},
	[AWS_SVC_IAM] = {"iam", "AWS_ENDPOINT_URL_IAM", "iam"},
};

/* IAM's global endpoint and signing region per partition (botocore
 * data/iam/2010-05-08/endpoint-rule-set-1.json); other partitions get the
 * regional form below. */
static const struct {
	const char *partition, *host, *region;
} iam_global[] = {
	{"aws", "iam.amazonaws.com", "us-east-1"},
	{"aws-cn", "iam.cn-north-1.amazonaws.com.cn", "cn-north-1"},
	{"aws-us-gov", "iam.us-gov.amazonaws.com", "us-gov-west-1"},
};

/* The STS rule set's UseGlobalEndpoint list (sts_regional_endpoints=legacy). */
static const char *const sts_legacy_global[] = {
	"ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "aws-global",
	"ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3",
	"sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
};

/* scheme://host[:port][/path], no user info, query or fragment. */
static const char *parse_url(const char *url, struct aws_endpoint *out)
{
	const char *p, *h, *hend;
	size_t n = strlen(url);
	if (n >= sizeof out->url)
		return "too long";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return "contains a space or control character";
	if (strncasecmp(url, "https://", 8) == 0)
		out->https = 1, p = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else
		return "the scheme must be http:// or https://";
	if (strpbrk(url, "?#"))
		return "a query or fragment is not allowed";
	size_t alen = strcspn(p, "/");
	if (memchr(p, '@', alen))
		return "user information is not allowed";
	if (*p == '[') {
		struct in6_addr a6;
		char tmp[64];
		h = p + 1;
		hend = memchr(h, ']', alen - 1);
		if (!hend || (size_t)(hend - h) >= sizeof tmp)
			return "bad IPv6 address";
		memcpy(tmp, h, (size_t)(hend - h));
		tmp[hend - h] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1)
			return "bad IPv6 address";
		p = hend + 1;
	} else {
		h = p;
		while (is_alnum(*p) || *p == '-' || *p == '.' || *p == '_')
			p++;
		hend = p;
		if (hend == h)
			return "no host";
		if (*p != ':' && *p != '/' && *p != '\0')
			return "bad character in the host name";
	}
	if ((size_t)(hend - h) >= sizeof out->host)
		return "host name too long";
	for (size_t i = 0; i < (size_t)(hend - h); i++)
		out->host[i] = h[i] >= 'A' && h[i] <= 'Z' ? (char)(h[i] - 'A' + 'a') : h[i];
	out->host[hend - h] = '\0';
	if (*p == ':') {
		unsigned long port = 0;
		size_t d = 0;
		for (p++; p[d] >= '0' && p[d] <= '9' && d < 6; d++)
			port = port * 10 + (unsigned long)(p[d] - '0');
		if (d == 0 || port == 0 || port > 65535 || (p[d] != '/' && p[d] != '\0'))
			return "bad port";
		out->port = (unsigned)port;
		p += d;
	}
	if (*p != '/' && *p != '\0')
		return "bad URL";
	memcpy(out->url, url, n + 1);
	return NULL;
}

/* The configured URL for svc (--endpoint-url, the environment, the
 * profile's services section, its endpoint_url), its source in out; NULL
 * when none.  -1 with err set for a services name with no section. */
static int configured_url(const struct aws_config *cfg, const char *profile, enum aws_service svc,
			  const char *cli_endpoint_url, struct aws_endpoint *out, const char **urlp,
			  char *err, size_t err_sz)
{
	const char *url = NULL, *svc_name;
	char tmp[96], tmp2[96];
	*urlp = NULL;
	if (cli_endpoint_url && *cli_endpoint_url) {
		out->source = AWS_ENDPOINT_FROM_CLI;
		snprintf(out->origin, sizeof out->origin, "--endpoint-url");
		*urlp = cli_endpoint_url;
		return 0;
	}
	if (aws_config_true(aws_config_setting(cfg, profile, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
					       "ignore_configured_endpoint_urls")))
		return 0;
	if ((url = aws_config_env(services[svc].env))) {
		out->source = AWS_ENDPOINT_FROM_ENV_SERVICE;
		snprintf(out->origin, sizeof out->origin, "%s", services[svc].env);
	} else if ((url = aws_config_env("AWS_ENDPOINT_URL"))) {
		out->source = AWS_ENDPOINT_FROM_ENV;
		snprintf(out->origin, sizeof out->origin, "AWS_ENDPOINT_URL");
	} else if ((svc_name = aws_config_get(cfg, profile, "services")) && *svc_name) {
		if (!find_sec(cfg, AWS_CONFIG_FILE_CONFIG, SEC_SERVICES, svc_name)) {
			msg_set(err, err_sz, "profile %s: the services section '%s' does not exist",
			       msg_printable(profile, tmp, sizeof tmp), msg_printable(svc_name, tmp2, sizeof tmp2));
			return -1;
		}
		url = aws_config_service_get(cfg, profile, services[svc].key, "endpoint_url");
		if (url && *url) {
			out->source = AWS_ENDPOINT_FROM_SERVICES;
			snprintf(out->origin, sizeof out->origin, "[services %s] %s",
				 msg_printable(svc_name, tmp, sizeof tmp), services[svc].key);
		} else {
			url = NULL;
		}
	}
	if (!url && (url = aws_config_get(cfg, profile, "endpoint_url")) && *url) {
		out->source = AWS_ENDPOINT_FROM_PROFILE;
		snprintf(out->origin, sizeof out->origin, "profile %s endpoint_url",
			 msg_printable(profile, tmp, sizeof tmp));
	}
	*urlp = url && *url ? url : NULL;
	return 0;
}

/* *global: STS answers region on the global sts.amazonaws.com (region
 * aws-global, or sts_regional_endpoints = legacy and a region of the
 * legacy list).  -1 with err set for an invalid sts_regional_endpoints. */
static int sts_global(const struct aws_config *cfg, const char *profile, const char *region, int *global,
		      char *err, size_t err_sz)
{
	const char *mode = aws_config_env("AWS_STS_REGIONAL_ENDPOINTS");
	char tmp[96];
	int legacy = 0;
	*global = strcmp(region, "aws-global") == 0;
	if (!mode)
		mode = aws_config_get(cfg, profile, "sts_regional_endpoints");
	if (mode && *mode) {
		legacy = strcasecmp(mode, "legacy") == 0;
		if (!legacy && strcasecmp(mode, "regional") != 0) {
			msg_set(err, err_sz, "invalid sts_regional_endpoints '%s': expected legacy or regional",
			       msg_printable(mode, tmp, sizeof tmp));
			return -1;
		}
	}
	for (size_t i = 0; legacy && i < sizeof sts_legacy_global / sizeof *sts_legacy_global; i++)
		*global |= strcmp(region, sts_legacy_global[i]) == 0;
	return 0;
}

int aws_config_endpoint(const struct aws_config *cfg, const char *profile, enum aws_service svc,
			const char *region, const char *cli_endpoint_url,
			struct aws_endpoint *out, char *err, size_t err_sz)
{
	const char *url, *why;
	char tmp[96];
	int valid_region = region && aws_region_valid(region), global = 0;
	const struct aws_partition *part = aws_partition_for_region(valid_region ? region : NULL);

	memset(out, 0, sizeof *out);
	if ((unsigned)svc >= sizeof services / sizeof *services) {
		msg_set(err, err_sz, "unknown service");
		return AL_CONFIG;
	}
	out->partition = part->name;
	if (valid_region)
		snprintf(out->signing_region, sizeof out->signing_region, "%s", region);
	int fips = aws_config_true(aws_config_setting(cfg, profile, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint"));
	int ds = aws_config_true(aws_config_setting(cfg, profile, "AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint"));
	if (configured_url(cfg, profile, svc, cli_endpoint_url, out, &url, err, err_sz))
		return AL_CONFIG;
	if (url) {
		/* botocore turns FIPS and dual-stack off when an endpoint is given */
		if ((why = parse_url(url, out)) != NULL) {
			msg_set(err, err_sz, "invalid endpoint URL '%s' (from %s): %s",
			       msg_printable(url, tmp, sizeof tmp), out->origin, why);
			return AL_CONFIG;
		}
		out->variant_ignored = fips || ds;
		out->loopback = aws_host_is_loopback(out->host);
		return AL_OK;
	}

	snprintf(out->origin, sizeof out->origin, "default");
	if (!valid_region) {
		msg_set(err, err_sz, "no valid region to build the %s endpoint from", services[svc].prefix);
		return AL_CONFIG;
	}
	out->https = 1;
	out->fips = fips;
	out->dualstack = ds;
	if (svc == AWS_SVC_STS && sts_global(cfg, profile, region, &global, err, err_sz))
		return AL_CONFIG;
	for (size_t i = 0; svc == AWS_SVC_IAM && i < sizeof iam_global / sizeof *iam_global; i++) {
		if (strcmp(part->name, iam_global[i].partition) == 0) {
			/* FIPS and dual-stack IAM hosts are left out: plain is used */
			out->fips = out->dualstack = 0;
			snprintf(out->host, sizeof out->host, "%s", iam_global[i].host);
			snprintf(out->signing_region, sizeof out->signing_region, "%s", iam_global[i].region);
			snprintf(out->url, sizeof out->url, "https://%s", out->host);
			return AL_OK;
		}
	}
	if (global && !fips && !ds) {
		snprintf(out->host, sizeof out->host, "sts.amazonaws.com");
		snprintf(out->signing_region, sizeof out->signing_region, "us-east-1");
	} else if (svc == AWS_SVC_EKS && fips && !ds && strcmp(part->name, "aws") == 0) {
		/* EKS's rule set names its FIPS host this way in the aws
		 * partition only (botocore data/eks/2017-11-01/endpoint-rule-set-1.json). */
		snprintf(out->host, sizeof out->host, "fips.eks.%s.%s", region, part->dns_suffix);
	} else {
		/* GovCloud hosts are FIPS already: the rule sets keep the plain name. */
		int fips_label = fips && !(strcmp(part->name, "aws-us-gov") == 0 && !ds);
		snprintf(out->host, sizeof out->host, "%s%s.%s.%s", services[svc].prefix,
			 fips_label ? "-fips" : "", region, ds ? part->dualstack_suffix : part->dns_suffix);
	}
	snprintf(out->url, sizeof out->url, "https://%s", out->host);
	return AL_OK;
}

const char *aws_endpoint_source_name(enum aws_endpoint_source src)
{
	switch (src) {
	case AWS_ENDPOINT_FROM_CLI: return "--endpoint-url";
	case AWS_ENDPOINT_FROM_ENV_SERVICE: return "AWS_ENDPOINT_URL_<SERVICE>";
	case AWS_ENDPOINT_FROM_ENV: return "AWS_ENDPOINT_URL";
	case AWS_ENDPOINT_FROM_SERVICES: return "services";
	case AWS_ENDPOINT_FROM_PROFILE: return "profile";
	case AWS_ENDPOINT_DEFAULT: break;
	}
	return "default";
}

int aws_config_load_plain(const char *path, struct aws_config **out, char *err, size_t err_sz)
{
	struct aws_config *c = calloc(1, sizeof *c);
	*out = NULL;
	msg_set(err, err_sz, "%s", "");
	if (!c) {
		msg_set(err, err_sz, "out of memory");
		return AL_CONFIG;
	}
	if (load_file(c, AWS_CONFIG_FILE_PLAIN, path, err, err_sz)) {
		aws_config_free(c);
		return AL_CONFIG;
	}
	*out = c;
	return AL_OK;
}

const char *aws_config_section(const struct aws_config *cfg, size_t i, size_t *line)
{
	if (!cfg || i >= cfg->n || cfg->sec[i].kind != SEC_PLAIN)
		return NULL;
	*line = cfg->sec[i].line;
	return cfg->sec[i].name;
}

const char *aws_config_section_key(const struct aws_config *cfg, size_t i, size_t k, const char **value,
				   size_t *line)
{
	if (!aws_config_section(cfg, i, line) || k >= cfg->sec[i].kv.n)
		return NULL;
	const struct kv *e = &cfg->sec[i].kv.v[k];
	*value = e->value;
	*line = e->line;
	return e->key;
}
