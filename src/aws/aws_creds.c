/* The AWS credential chain: see aws_creds.h for the order and the rules,
 * ../shared/reference/aws-client-conventions.md (section 1) for the facts.
 *
 * Resolution builds a "plan": one node per source, an assume-role node
 * holding the plan of its source profile.  Everything a refresh needs is
 * copied into the plan, so the config files are read only once.  Each node
 * caches its own credentials and fetches again when they are about to
 * expire.  Every buffer that held a secret is wiped before it is freed. */
#include "aws_creds.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <yajl/yajl_parse.h>

#include "aws_config.h"
#include "aws_request.h"
#include "buf.h"
#include "http.h"
#include "msg.h"
#include "sigv4.h"
#include "status.h"
#include "timeutil.h"

extern char **environ;

int64_t (*aws_creds_clock)(void);
void (*aws_creds_wipe_hook)(const void *p, size_t n);

/* Internal: the source is not there (IMDS silent, no role attached). */
#define RC_ABSENT 1000

#define MAX_PROCESS_OUTPUT (1u << 20)
#define MAX_FILE (1u << 20)
#define MAX_CHAIN 8
#define CONTAINER_HOST "http://169.254.170.2"
#define IMDS_V4 "http://169.254.169.254"
#define IMDS_V6 "http://[fd00:ec2::254]"

/* ------------------------------------------------------------------ small */

static int64_t now_s(void)
{
	return aws_creds_clock ? aws_creds_clock() : (int64_t)time(NULL);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int is_true(const char *v)
{
	return v && strcasecmp(v, "true") == 0;
}

static void wipe_str(char *s)
{
	if (!s)
		return;
	size_t n = strlen(s);
	OPENSSL_cleanse(s, n);
	if (aws_creds_wipe_hook)
		aws_creds_wipe_hook(s, n);
	free(s);
}

static char *dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A growable buffer that never leaves a copy behind when it grows and is
 * wiped when released: for anything that may hold a secret. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static int sbuf_add(struct sbuf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = malloc(cap);
		if (!np)
			return -1;
		if (b->p) {
			memcpy(np, b->p, b->len);
			OPENSSL_cleanse(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static void sbuf_free(struct sbuf *b)
{
	if (b->p) {
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Reads a whole (small) file into b.  0, or an errno value. */
static int read_file(const char *path, struct sbuf *b)
{
	char chunk[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC), e = 0;
	if (fd < 0)
		return errno;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			break;
		}
		if (n == 0)
			break;
		if (b->len + (size_t)n > MAX_FILE) {
			e = EFBIG;
			break;
		}
		if (sbuf_add(b, chunk, (size_t)n)) {
			e = ENOMEM;
			break;
		}
	}
	OPENSSL_cleanse(chunk, sizeof chunk);
	close(fd);
	if (!e && !b->p && sbuf_add(b, "", 0))
		e = ENOMEM;
	return e;
}

/* Credentials go into HTTP headers: printable ASCII only, no spaces. */
static int cred_str_ok(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static void creds_take(struct aws_credentials *c, char **akid, char **secret, char **token)
{
	c->access_key_id = *akid;
	c->secret_access_key = *secret;
	c->session_token = token ? *token : NULL;
	*akid = *secret = NULL;
	if (token)
		*token = NULL;
}

/* ------------------------------------------------------------ public misc */

void aws_credentials_clear(struct aws_credentials *c)
{
	if (!c)
		return;
	wipe_str(c->access_key_id);
	wipe_str(c->secret_access_key);
	wipe_str(c->session_token);
	OPENSSL_cleanse(c, sizeof *c);
	memset(c, 0, sizeof *c);
}

void aws_credentials_mask(const char *id, char *out, size_t out_sz)
{
	size_t n = id ? strlen(id) : 0;
	if (!out || !out_sz)
		return;
	if (n < 12) /* too short to show 8 characters of it */
		snprintf(out, out_sz, "%s", n ? "\xe2\x80\xa6" : "");
	else
		snprintf(out, out_sz, "%.4s\xe2\x80\xa6%.4s", id, id + n - 4);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

int aws_credentials_copy(struct aws_credentials *dst, const struct aws_credentials *src)
{
	memset(dst, 0, sizeof *dst);
	dst->access_key_id = dupstr(src->access_key_id);
	dst->secret_access_key = dupstr(src->secret_access_key);
	dst->session_token = dupstr(src->session_token);
	dst->expiration = src->expiration;
	memcpy(dst->source, src->source, sizeof dst->source);
	if ((src->access_key_id && !dst->access_key_id) ||
	    (src->secret_access_key && !dst->secret_access_key) ||
	    (src->session_token && !dst->session_token)) {
		aws_credentials_clear(dst);
		return -1;
	}
	return 0;
}

const char *aws_creds_kind_name(enum aws_creds_kind k)
{
	switch (k) {
	case AWS_CREDS_ENV: return "env";
	case AWS_CREDS_STATIC: return "static";
	case AWS_CREDS_PROCESS: return "credential_process";
	case AWS_CREDS_ASSUME_ROLE: return "assume-role";
	case AWS_CREDS_SSO: return "sso";
	case AWS_CREDS_WEB_IDENTITY: return "web-identity";
	case AWS_CREDS_CONTAINER: return "container";
	case AWS_CREDS_IMDS: return "imds";
	case AWS_CREDS_NONE: break;
	}
	return "none";
}

/* ------------------------------------------------------------------- JSON */

/* yajl copies strings it has to unescape into its own buffers: this
 * allocator wipes every block it frees. */
union jhdr {
	size_t n;
	max_align_t align;
};

static void *j_malloc(void *ctx, size_t sz)
{
	(void)ctx;
	union jhdr *h = malloc(sizeof *h + sz);
	if (!h)
		return NULL;
	h->n = sz;
	return h + 1;
}

static void j_free(void *ctx, void *p)
{
	(void)ctx;
	if (!p)
		return;
	union jhdr *h = (union jhdr *)p - 1;
	OPENSSL_cleanse(p, h->n);
	free(h);
}

static void *j_realloc(void *ctx, void *p, size_t sz)
{
	if (!p)
		return j_malloc(ctx, sz);
	union jhdr *h = (union jhdr *)p - 1;
	void *np = j_malloc(ctx, sz);
	if (!np)
		return NULL;
	memcpy(np, p, h->n < sz ? h->n : sz);
	j_free(ctx, p);
	return np;
}

enum jtype { J_ABSENT = 0, J_STRING, J_NUMBER, J_BOOL, J_NULL, J_OTHER };

/* One value wanted, by its path of object keys ("A.B.C"). */
struct jfield {
	const char *path;
	enum jtype type;
	char *val; /* strings and numbers as text, "true"/"false"; wiped */
};

#define JPATH_BAD ((size_t)-1)

struct jctx {
	struct jfield *f;
	size_t nf;
	char path[256];
	size_t plen;
	size_t base[32];
	int depth, arrays, top_map, oom;
};

static void jfields_free(struct jfield *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		wipe_str(f[i].val);
		f[i].val = NULL;
		f[i].type = J_ABSENT;
	}
}

static struct jfield *jmatch(struct jctx *c)
{
	if (c->arrays || c->plen == JPATH_BAD)
		return NULL;
	for (size_t i = 0; i < c->nf; i++)
		if (strcmp(c->f[i].path, c->path) == 0)
			return &c->f[i];
	return NULL;
}

static int j_value(struct jctx *c, enum jtype t, const char *s, size_t n)
{
	struct jfield *f = jmatch(c);
	if (!f)
		return 1;
	wipe_str(f->val);
	f->val = NULL;
	f->type = t;
	if (s) {
		if (memchr(s, '\0', n)) {
			f->type = J_OTHER;
			return 1;
		}
		f->val = malloc(n + 1);
		if (!f->val) {
			c->oom = 1;
			return 0;
		}
		memcpy(f->val, s, n);
		f->val[n] = '\0';
	}
	return 1;
}

static int j_null(void *ctx)
{
	return j_value(ctx, J_NULL, NULL, 0);
}

static int j_bool(void *ctx, int v)
{
	return j_value(ctx, J_BOOL, v ? "true" : "false", v ? 4 : 5);
}

static int j_number(void *ctx, const char *s, size_t n)
{
	return j_value(ctx, J_NUMBER, s, n);
}

static int j_string(void *ctx, const unsigned char *s, size_t n)
{
	return j_value(ctx, J_STRING, (const char *)s, n);
}

static int j_open(struct jctx *c, int array)
{
	if (c->depth == 0 && !array)
		c->top_map = 1;
	if (c->depth > 0 || array)
		j_value(c, J_OTHER, NULL, 0);
	if (c->depth >= (int)(sizeof c->base / sizeof *c->base))
		return 0;
	c->base[c->depth++] = c->plen;
	c->arrays += array;
	return 1;
}

static int j_start_map(void *ctx)
{
	return j_open(ctx, 0);
}

static int j_start_array(void *ctx)
{
	return j_open(ctx, 1);
}

static int j_close(struct jctx *c, int array)
{
	c->plen = c->base[--c->depth];
	if (c->plen != JPATH_BAD)
		c->path[c->plen] = '\0';
	c->arrays -= array;
	return 1;
}

static int j_end_map(void *ctx)
{
	return j_close(ctx, 0);
}

static int j_end_array(void *ctx)
{
	return j_close(ctx, 1);
}

static int j_key(void *ctx, const unsigned char *k, size_t n)
{
	struct jctx *c = ctx;
	size_t b = c->base[c->depth - 1];
	if (b == JPATH_BAD || b + 1 + n + 1 > sizeof c->path || memchr(k, '\0', n)) {
		c->plen = JPATH_BAD;
		return 1;
	}
	c->plen = b;
	if (b)
		c->path[c->plen++] = '.';
	memcpy(c->path + c->plen, k, n);
	c->plen += n;
	c->path[c->plen] = '\0';
	return 1;
}

static const yajl_callbacks jcallbacks = {
	.yajl_null = j_null,
	.yajl_boolean = j_bool,
	.yajl_number = j_number,
	.yajl_string = j_string,
	.yajl_start_map = j_start_map,
	.yajl_map_key = j_key,
	.yajl_end_map = j_end_map,
	.yajl_start_array = j_start_array,
	.yajl_end_array = j_end_array,
};

/* Fills the wanted fields from a JSON object.  0, -1 when data is not a
 * JSON object, -2 on out-of-memory.  The input is never echoed. */
static int json_extract(const char *data, size_t len, struct jfield *f, size_t nf)
{
	yajl_alloc_funcs afs = {j_malloc, j_realloc, j_free, NULL};
	struct jctx c = {.f = f, .nf = nf};
	int rc = 0;
	jfields_free(f, nf);
	yajl_handle h = yajl_alloc(&jcallbacks, &afs, &c);
	if (!h)
		return -2;
	if (yajl_parse(h, (const unsigned char *)data, len) != yajl_status_ok ||
	    yajl_complete_parse(h) != yajl_status_ok || !c.top_map)
		rc = c.oom ? -2 : -1;
	yajl_free(h);
	OPENSSL_cleanse(c.path, sizeof c.path);
	if (rc)
		jfields_free(f, nf);
	return rc;
}

static int looks_like_json(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i < n && s[i] == '{';
}

/* Expiration in any of the shapes the services use: an RFC 3339 string,
 * or a number of epoch seconds (STS JSON, possibly 1.7E9) or, with ms,
 * epoch milliseconds (SSO portal). */
static int parse_expiration(enum jtype t, const char *v, int ms, int64_t *out)
{
	if (!v)
		return -1;
	if (t == J_STRING) {
		char tmp[64];
		size_t n = strlen(v);
		if (n < 8 || n >= sizeof tmp)
			return -1;
		memcpy(tmp, v, n + 1);
		/* old awscli SSO caches: "2019-11-14T04:05:45UTC" */
		if (n > 3 && strcmp(tmp + n - 3, "UTC") == 0)
			tmp[n -= 3] = '\0';
		return time_parse(tmp, n, out);
	}
	if (t == J_NUMBER) {
		char *end;
		double d = strtod(v, &end);
		if (*end || d != d || d < 0)
			return -1;
		if (ms || d > 1e11)
			d /= 1000.0;
		if (d > 9e15)
			return -1;
		*out = (int64_t)d;
		return 0;
	}
	return -1;
}

/* -------------------------------------------------------------------- XML */

static void xml_unescape(char *s)
{
	static const struct {
		const char *ent;
		char ch;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	char *w = s;
	for (char *r = s; *r;) {
		size_t i;
		for (i = 0; i < sizeof ents / sizeof *ents; i++) {
			size_t n = strlen(ents[i].ent);
			if (strncmp(r, ents[i].ent, n) == 0) {
				*w++ = ents[i].ch;
				r += n;
				break;
			}
		}
		if (i == sizeof ents / sizeof *ents)
			*w++ = *r++;
	}
	*w = '\0';
}

/* The text of <tag> inside the first <scope> element; NULL when absent. */
static char *xml_text(const char *doc, size_t len, const char *scope, const char *tag)
{
	char open[80], close[80];
	const char *end = doc + len, *p = doc, *q;
	if (scope) {
		snprintf(open, sizeof open, "<%s>", scope);
		snprintf(close, sizeof close, "</%s>", scope);
		const char *s = memmem(doc, len, open, strlen(open));
		if (!s)
			return NULL;
		p = s + strlen(open);
		const char *e = memmem(p, (size_t)(end - p), close, strlen(close));
		if (!e)
			return NULL;
		end = e;
	}
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	p = memmem(p, (size_t)(end - p), open, strlen(open));
	if (!p)
		return NULL;
	p += strlen(open);
	q = memmem(p, (size_t)(end - p), close, strlen(close));
	if (!q)
		return NULL;
	char *v = malloc((size_t)(q - p) + 1);
	if (!v)
		return NULL;
	memcpy(v, p, (size_t)(q - p));
	v[q - p] = '\0';
	xml_unescape(v);
	return v;
}

/* ------------------------------------------------------------ STS parsing */

int aws_creds_parse_sts(const char *action, const char *body, size_t len,
			struct aws_credentials *out, char *err, size_t err_sz)
{
	char p[4][160];
	static const char *const names[4] = {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"};
	struct jfield f[4];
	int rc = AL_OK;

	memset(out, 0, sizeof *out);
	memset(f, 0, sizeof f);
	for (int i = 0; i < 4; i++) {
		snprintf(p[i], sizeof p[i], "%sResponse.%sResult.Credentials.%s", action, action, names[i]);
		f[i].path = p[i];
	}
	if (looks_like_json(body, len)) {
		int r = json_extract(body, len, f, 4);
		if (r == -2) {
			msg_set(err, err_sz, "%s: out of memory", action);
			return AL_SOFTWARE;
		}
		if (r) {
			msg_set(err, err_sz, "%s: the answer is not valid JSON", action);
			return AL_UNAVAILABLE;
		}
	} else {
		for (int i = 0; i < 4; i++) {
			f[i].val = xml_text(body, len, "Credentials", names[i]);
			f[i].type = f[i].val ? J_STRING : J_ABSENT;
		}
	}
	for (int i = 0; i < 3; i++) {
		if (f[i].type != J_STRING || !cred_str_ok(f[i].val)) {
			msg_set(err, err_sz, "%s: the answer has no valid Credentials.%s", action, names[i]);
			rc = AL_UNAVAILABLE;
			goto out;
		}
	}
	if (parse_expiration(f[3].type, f[3].val, 0, &out->expiration)) {
		msg_set(err, err_sz, "%s: the answer has no valid Credentials.Expiration", action);
		rc = AL_UNAVAILABLE;
		goto out;
	}
	creds_take(out, &f[0].val, &f[1].val, &f[2].val);
out:
	jfields_free(f, 4);
	return rc;
}

/* ------------------------------------------------------- credential_process */

int aws_creds_parse_process_output(const char *json, size_t len, const char *profile,
				   struct aws_credentials *out, char *err, size_t err_sz)
{
	struct jfield f[5] = {
		{"Version", J_ABSENT, NULL}, {"AccessKeyId", J_ABSENT, NULL},
		{"SecretAccessKey", J_ABSENT, NULL}, {"SessionToken", J_ABSENT, NULL},
		{"Expiration", J_ABSENT, NULL},
	};
	char tmp[128];
	const char *pn = msg_printable(profile, tmp, sizeof tmp);
	int rc = AL_CONFIG;

	memset(out, 0, sizeof *out);
	int r = json_extract(json, len, f, 5);
	if (r == -2) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	if (r) {
		msg_set(err, err_sz, "profile %s: credential_process: the output is not a JSON object", pn);
		return AL_CONFIG;
	}
	if (f[0].type == J_ABSENT) {
		msg_set(err, err_sz, "profile %s: credential_process: the output has no \"Version\" (must be 1)", pn);
		goto out;
	}
	if (f[0].type != J_NUMBER || strtod(f[0].val, NULL) != 1.0) {
		char vtmp[40];
		msg_set(err, err_sz, "profile %s: credential_process: unsupported \"Version\" %s (must be 1)", pn,
		       f[0].val ? msg_printable(f[0].val, vtmp, 24) : "(not a number)");
		goto out;
	}
	for (int i = 1; i <= 2; i++) {
		if (f[i].type != J_STRING || !*f[i].val) {
			msg_set(err, err_sz, "profile %s: credential_process: the output has no \"%s\"", pn,
			       f[i].path);
			goto out;
		}
		if (!cred_str_ok(f[i].val)) {
			msg_set(err, err_sz, "profile %s: credential_process: \"%s\" holds a space or control character",
			       pn, f[i].path);
			goto out;
		}
	}
	if (f[3].type != J_ABSENT && f[3].type != J_NULL &&
	    (f[3].type != J_STRING || (*f[3].val && !cred_str_ok(f[3].val)))) {
		msg_set(err, err_sz, "profile %s: credential_process: \"SessionToken\" must be a string of printable characters", pn);
		goto out;
	}
	if (f[4].type != J_ABSENT && f[4].type != J_NULL) {
		char etmp[48];
		if (f[4].type != J_STRING || parse_expiration(J_STRING, f[4].val, 0, &out->expiration)) {
			msg_set(err, err_sz, "profile %s: credential_process: \"Expiration\" %s is not an RFC 3339 time",
			       pn, f[4].type == J_STRING ? msg_printable(f[4].val, etmp, 40) : "(not a string)");
			goto out;
		}
		if (out->expiration <= now_s()) {
			char iso[TIME_ISO_LEN];
			time_format(out->expiration, iso);
			msg_set(err, err_sz, "profile %s: credential_process returned credentials that expired at %s",
			       pn, iso);
			out->expiration = 0;
			goto out;
		}
	}
	if (f[3].type == J_STRING && !*f[3].val) {
		wipe_str(f[3].val);
		f[3].val = NULL;
	}
	creds_take(out, &f[1].val, &f[2].val, f[3].type == J_STRING ? &f[3].val : NULL);
	rc = AL_OK;
out:
	jfields_free(f, 5);
	return rc;
}

void aws_creds_free_argv(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		wipe_str(*a);
	free(argv);
}

int aws_creds_split_command(const char *cmd, char ***argv_out, char *err, size_t err_sz)
{
	char **argv = NULL;
	size_t n = 0, cap = 0;
	struct sbuf tok = {0};
	int in_tok = 0, rc = -1;
	const char *s = cmd;

	*argv_out = NULL;
	for (;;) {
		char ch = *s;
		if (ch == '\0' || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			if (in_tok) {
				if (n + 2 > cap) {
					size_t nc = cap ? cap * 2 : 8;
					char **na = realloc(argv, nc * sizeof *na);
					if (!na)
						goto oom;
					argv = na;
					cap = nc;
				}
				argv[n] = tok.p ? strdup(tok.p) : strdup("");
				if (!argv[n])
					goto oom;
				argv[++n] = NULL;
				sbuf_free(&tok);
				in_tok = 0;
			}
			if (ch == '\0')
				break;
			s++;
			continue;
		}
		in_tok = 1;
		if (ch == '\'') {
			const char *e = strchr(s + 1, '\'');
			if (!e) {
				msg_set(err, err_sz, "no closing quotation");
				goto out;
			}
			if (sbuf_add(&tok, s + 1, (size_t)(e - s - 1)))
				goto oom;
			s = e + 1;
		} else if (ch == '"') {
			for (s++;; s++) {
				if (*s == '\0') {
					msg_set(err, err_sz, "no closing quotation");
					goto out;
				}
				if (*s == '"')
					break;
				/* POSIX shlex: inside "", '\' escapes only '"' and '\' */
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				if (sbuf_add(&tok, s, 1))
					goto oom;
			}
			s++;
		} else if (ch == '\\') {
			if (s[1] == '\0') {
				msg_set(err, err_sz, "no escaped character after '\\'");
				goto out;
			}
			if (sbuf_add(&tok, s + 1, 1))
				goto oom;
			s += 2;
		} else {
			if (sbuf_add(&tok, s, 1))
				goto oom;
			s++;
		}
		if (!tok.p && sbuf_add(&tok, "", 0))
			goto oom;
	}
	if (n == 0) {
		msg_set(err, err_sz, "the command is empty");
		goto out;
	}
	*argv_out = argv;
	argv = NULL;
	rc = 0;
	goto out;
oom:
	msg_set(err, err_sz, "out of memory");
out:
	sbuf_free(&tok);
	if (argv) {
		argv[n] = NULL;
		aws_creds_free_argv(argv);
	}
	return rc;
}

/* First line-ish of a child's stderr for a message: printable, <= 300. */
static void stderr_excerpt(const struct sbuf *e, char *out, size_t out_sz)
{
	size_t i = 0, o = 0;
	const char *s = e->p ? e->p : "";
	while (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
		i++;
	for (; s[i] && o + 1 < out_sz && o < 300; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\n' || ch == '\r' || ch == '\t')
			ch = ' ';
		else if (ch < 0x20 || ch == 0x7f)
			ch = '?';
		if (ch == ' ' && o && out[o - 1] == ' ')
			continue;
		out[o++] = (char)ch;
	}
	while (o && out[o - 1] == ' ')
		o--;
	if (out_sz)
		out[o] = '\0';
}

/* Runs the command without a shell; its stdout goes into out. */
static int run_process(const char *profile, const char *cmd, struct sbuf *out, char *err, size_t err_sz)
{
	char **argv = NULL, why[160], tmp[128], tmp2[128], chunk[4096];
	int op[2] = {-1, -1}, ep[2] = {-1, -1}, rc = AL_CONFIG, status = 0, e;
	struct sbuf errb = {0};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	const char *pn = msg_printable(profile, tmp, sizeof tmp);

	if (aws_creds_split_command(cmd, &argv, why, sizeof why)) {
		msg_set(err, err_sz, "profile %s: credential_process: %s", pn, why);
		return AL_CONFIG;
	}
	if (pipe2(op, O_CLOEXEC) || pipe2(ep, O_CLOEXEC)) {
		msg_set(err, err_sz, "profile %s: credential_process: pipe: %s", pn, strerror(errno));
		rc = AL_SOFTWARE;
		goto out;
	}
	if (posix_spawn_file_actions_init(&fa)) {
		rc = AL_SOFTWARE;
		goto out;
	}
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;
	if (e) {
		msg_set(err, err_sz, "profile %s: credential_process: cannot run '%s': %s", pn,
		       msg_printable(argv[0], tmp2, sizeof tmp2), strerror(e));
		goto out;
	}
	struct pollfd pf[2] = {{op[0], POLLIN, 0}, {ep[0], POLLIN, 0}};
	int open_fds = 2, too_big = 0;
	while (open_fds) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(pf[i].fd, chunk, sizeof chunk);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(pf[i].fd);
				if (i == 0)
					op[0] = -1;
				else
					ep[0] = -1;
				pf[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0) {
				if (out->len + (size_t)n > MAX_PROCESS_OUTPUT)
					too_big = 1;
				else if (sbuf_add(out, chunk, (size_t)n))
					too_big = 1;
			} else if (errb.len < 4096) {
				sbuf_add(&errb, chunk, (size_t)n);
			}
		}
	}
	OPENSSL_cleanse(chunk, sizeof chunk);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char what[48], ex[320];
		if (status != -1 && WIFSIGNALED(status))
			snprintf(what, sizeof what, "was killed by signal %d", WTERMSIG(status));
		else if (status != -1 && WIFEXITED(status))
			snprintf(what, sizeof what, "exited with status %d", WEXITSTATUS(status));
		else
			snprintf(what, sizeof what, "failed");
		stderr_excerpt(&errb, ex, sizeof ex);
		msg_set(err, err_sz, "profile %s: credential_process '%s' %s%s%s", pn,
		       msg_printable(argv[0], tmp2, sizeof tmp2), what, *ex ? ": " : "", ex);
		goto out;
	}
	if (too_big) {
		msg_set(err, err_sz, "profile %s: credential_process: the output is over %u bytes", pn,
		       MAX_PROCESS_OUTPUT);
		goto out;
	}
	if (!out->p && sbuf_add(out, "", 0)) {
		rc = AL_SOFTWARE;
		goto out;
	}
	rc = AL_OK;
out:
	for (int i = 0; i < 2; i++) {
		if (op[i] >= 0)
			close(op[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	sbuf_free(&errb);
	aws_creds_free_argv(argv);
	return rc;
}

/* -------------------------------------------------------------------- SSO */

int aws_creds_sso_cache_path(const char *key, char *out, size_t out_sz)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	const char *home = env("HOME");
	if (!home || !key || !EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha1(), NULL))
		return -1;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * mdlen] = '\0';
	int n = snprintf(out, out_sz, "%s/.aws/sso/cache/%s.json", home, hex);
	return n < 0 || (size_t)n >= out_sz ? -1 : 0;
}

/* ------------------------------------------------------------- container */

static const char *const container_hosts[] = {"169.254.170.2", "169.254.170.23", "fd00:ec2::23"};

int aws_creds_container_url_check(const char *url, char *err, size_t err_sz)
{
	char host[256], tmp[128];
	const char *p, *h, *e;
	int https;
	if (!url || strncasecmp(url, "http://", 7) == 0)
		https = 0, p = url ? url + 7 : NULL;
	else if (strncasecmp(url, "https://", 8) == 0)
		https = 1, p = url + 8;
	else {
		msg_set(err, err_sz, "'%s' is not an http:// or https:// URL", msg_printable(url, tmp, sizeof tmp));
		return -1;
	}
	for (const char *q = url; *q; q++) {
		if ((unsigned char)*q <= 0x20 || *q == 0x7f) {
			msg_set(err, err_sz, "the URL holds a space or control character");
			return -1;
		}
	}
	size_t alen = strcspn(p, "/?#");
	if (memchr(p, '@', alen)) {
		msg_set(err, err_sz, "'%s': user information is not allowed", msg_printable(url, tmp, sizeof tmp));
		return -1;
	}
	if (*p == '[') {
		h = p + 1;
		e = memchr(h, ']', alen);
		if (!e) {
			msg_set(err, err_sz, "'%s': bad IPv6 address", msg_printable(url, tmp, sizeof tmp));
			return -1;
		}
	} else {
		h = p;
		e = p + strcspn(p, ":/?#");
	}
	if (e == h || (size_t)(e - h) >= sizeof host) {
		msg_set(err, err_sz, "'%s': no host", msg_printable(url, tmp, sizeof tmp));
		return -1;
	}
	memcpy(host, h, (size_t)(e - h));
	host[e - h] = '\0';
	if (https || aws_host_is_loopback(host))
		return 0;
	for (size_t i = 0; i < sizeof container_hosts / sizeof *container_hosts; i++) {
		struct in6_addr a, b;
		if (strcasecmp(host, container_hosts[i]) == 0)
			return 0;
		if (strchr(host, ':') && inet_pton(AF_INET6, host, &a) == 1 &&
		    inet_pton(AF_INET6, container_hosts[i], &b) == 1 && memcmp(&a, &b, sizeof a) == 0)
			return 0;
	}
	msg_set(err, err_sz, "unsupported host '%s': plain http is only allowed to a loopback address or "
	       "one of these hosts: 169.254.170.2, 169.254.170.23, fd00:ec2::23, localhost",
	       msg_printable(host, tmp, sizeof tmp));
	return -1;
}

/* -------------------------------------------------------------- the plan */

struct plan {
	enum aws_creds_kind kind;
	char source[96];      /* what the credentials say they came from */
	char *profile;        /* the profile that configured it, or NULL */
	/* credential_process */
	char *command;
	/* assume-role and web identity */
	char *role_arn, *session_name, *external_id, *token_file;
	int duration;
	struct plan *src;     /* assume-role: the source credentials */
	struct aws_endpoint *sts;
	/* SSO */
	char *sso_key, *sso_region, *sso_account, *sso_role, *sso_session, *sso_portal;
	/* container */
	char *url;
	/* IMDS */
	char *imds;
	int imds_v1_disabled, imds_attempts;
	long imds_timeout_ms;
	/* state */
	struct aws_credentials cur;
	int have;
	int64_t fetched_at;
};

struct aws_creds_provider {
	pthread_mutex_t lock;
	struct plan *root;
	struct aws_client_opts copts;
	char *ca_bundle, *user_agent;
	struct aws_client *client; /* STS, SSO portal; created when needed */
	struct http_client *meta;  /* IMDS, container */
	int verbose;
	char selected[300];        /* "profile NAME (AWS_PROFILE)", for messages */
};

static void plan_free(struct plan *pl)
{
	if (!pl)
		return;
	plan_free(pl->src);
	wipe_str(pl->profile);
	wipe_str(pl->command);
	wipe_str(pl->role_arn);
	wipe_str(pl->session_name);
	wipe_str(pl->external_id);
	wipe_str(pl->token_file);
	free(pl->sts);
	wipe_str(pl->sso_key);
	wipe_str(pl->sso_region);
	wipe_str(pl->sso_account);
	wipe_str(pl->sso_role);
	wipe_str(pl->sso_session);
	wipe_str(pl->sso_portal);
	wipe_str(pl->url);
	wipe_str(pl->imds);
	aws_credentials_clear(&pl->cur);
	free(pl);
}

static void vlog(const struct aws_creds_provider *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vlog(const struct aws_creds_provider *p, const char *fmt, ...)
{
	va_list ap;
	if (!p->verbose)
		return;
	va_start(ap, fmt);
	fputs("authlog-scan: credentials: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int need_client(struct aws_creds_provider *p, char *err, size_t err_sz)
{
	if (p->client)
		return AL_OK;
	if (aws_client_new(&p->copts, &p->client) != 0 || !p->client) {
		p->client = NULL;
		msg_set(err, err_sz, "cannot create the HTTP client");
		return AL_SOFTWARE;
	}
	return AL_OK;
}

static int need_meta(struct aws_creds_provider *p, char *err, size_t err_sz)
{
	if (p->meta)
		return AL_OK;
	struct http_opts o = p->copts.http;
	o.connect_timeout_ms = 1000;
	o.timeout_ms = 2000;
	o.max_body = 1u << 20;
	if (http_client_new(&o, &p->meta) != 0 || !p->meta) {
		p->meta = NULL;
		msg_set(err, err_sz, "cannot create the HTTP client");
		return AL_SOFTWARE;
	}
	return AL_OK;
}

static void wipe_response(struct http_response *r)
{
	if (r->body.data)
		OPENSSL_cleanse(r->body.data, r->body.cap);
	http_response_free(r);
}

/* "http://h:p/prefix/" → base "http://h:p" and path prefix "/prefix". */
static int split_url(const char *url, char *base, size_t base_sz, char *prefix, size_t prefix_sz)
{
	const char *p = strstr(url, "://");
	if (!p)
		return -1;
	p += 3;
	size_t hl = strcspn(p, "/");
	size_t bl = (size_t)(p - url) + hl;
	if (bl >= base_sz)
		return -1;
	memcpy(base, url, bl);
	base[bl] = '\0';
	const char *path = p + hl;
	size_t pl = strlen(path);
	while (pl && path[pl - 1] == '/')
		pl--;
	if (pl >= prefix_sz)
		return -1;
	memcpy(prefix, path, pl);
	prefix[pl] = '\0';
	return 0;
}

static int form_add(struct buf *b, const char *name, const char *value)
{
	if (b->len)
		buf_putc(b, '&');
	buf_puts(b, name);
	buf_putc(b, '=');
	return sigv4_uri_encode(b, value, strlen(value), 0);
}

static void wipe_buf(struct buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	buf_free(b);
}

/* One STS query-protocol call answered with credentials. */
static int sts_credentials_call(struct aws_creds_provider *p, struct plan *pl, const char *action,
				const char *body, size_t body_len, const struct aws_credentials *signer,
				struct aws_credentials *out, char *err, size_t err_sz)
{
	static const struct http_header hdrs[] = {
		{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
		{"Accept", "application/json"},
	};
	char base[AWS_ENDPOINT_URL_MAX], prefix[AWS_ENDPOINT_URL_MAX], path[AWS_ENDPOINT_URL_MAX + 2];
	char why[512], tmp[128], tmp2[128];
	struct http_response resp;
	struct aws_error aerr;
	struct aws_credentials none = {0};
	int rc;

	memset(&resp, 0, sizeof resp);
	memset(&aerr, 0, sizeof aerr);
	if ((rc = need_client(p, err, err_sz)) != AL_OK)
		return rc;
	if (split_url(pl->sts->url, base, sizeof base, prefix, sizeof prefix)) {
		msg_set(err, err_sz, "bad STS endpoint '%s'", msg_printable(pl->sts->url, tmp, sizeof tmp));
		return AL_CONFIG;
	}
	snprintf(path, sizeof path, "%s/", prefix);
	struct aws_call call = {
		.operation = action,
		.endpoint = base,
		.region = pl->sts->signing_region[0] ? pl->sts->signing_region : "us-east-1",
		.service = "sts",
		.method = "POST",
		.path = path,
		.headers = hdrs,
		.nheaders = 2,
		.body = body,
		.body_len = body_len,
		.unsigned_request = signer == NULL,
	};
	vlog(p, "%s %s on %s", action, msg_printable(pl->role_arn, tmp, sizeof tmp),
	     msg_printable(pl->sts->url, tmp2, sizeof tmp2));
	rc = aws_request(p->client, &call, signer ? signer : &none, &resp, &aerr);
	if (rc == AL_OK)
		rc = aws_creds_parse_sts(action, buf_str(&resp.body), resp.body.len, out, why, sizeof why);
	else
		snprintf(why, sizeof why, "%s", aerr.message[0] ? aerr.message : action);
	if (rc != AL_OK) {
		if (pl->profile)
			msg_set(err, err_sz, "profile %s: %s (role %s, STS %s)", msg_printable(pl->profile, tmp, sizeof tmp),
			       why, msg_printable(pl->role_arn, tmp2, sizeof tmp2), pl->sts->url);
		else
			msg_set(err, err_sz, "%s (role %s, STS %s)", why, msg_printable(pl->role_arn, tmp2, sizeof tmp2),
			       pl->sts->url);
	}
	wipe_response(&resp);
	return rc;
}

static void session_name(const struct plan *pl, char *out, size_t out_sz)
{
	if (pl->session_name)
		snprintf(out, out_sz, "%s", pl->session_name);
	else
		snprintf(out, out_sz, "authlog-scan-%lld", (long long)now_s());
}

static int plan_get(struct aws_creds_provider *p, struct plan *pl, int force, char *err, size_t err_sz);

static int fetch_assume_role(struct aws_creds_provider *p, struct plan *pl, struct aws_credentials *out,
			     char *err, size_t err_sz)
{
	struct buf body = BUF_INIT;
	char sess[160], dur[16];
	int rc = plan_get(p, pl->src, 0, err, err_sz);
	if (rc != AL_OK)
		return rc;
	session_name(pl, sess, sizeof sess);
	form_add(&body, "Action", "AssumeRole");
	form_add(&body, "Version", "2011-06-15");
	form_add(&body, "RoleArn", pl->role_arn);
	form_add(&body, "RoleSessionName", sess);
	if (pl->external_id)
		form_add(&body, "ExternalId", pl->external_id);
	if (pl->duration) {
		snprintf(dur, sizeof dur, "%d", pl->duration);
		form_add(&body, "DurationSeconds", dur);
	}
	if (body.oom) {
		msg_set(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
	} else {
		rc = sts_credentials_call(p, pl, "AssumeRole", body.data, body.len, &pl->src->cur, out, err,
					  err_sz);
	}
	wipe_buf(&body);
	return rc;
}

static int fetch_web_identity(struct aws_creds_provider *p, struct plan *pl, struct aws_credentials *out,
			      char *err, size_t err_sz)
{
	struct sbuf tok = {0};
	struct buf body = BUF_INIT;
	char sess[160], dur[16], tmp[128], tmp2[128];
	int rc, e;
	const char *who = pl->profile ? "profile " : "";
	const char *whon = pl->profile ? msg_printable(pl->profile, tmp2, sizeof tmp2) : "AWS_WEB_IDENTITY_TOKEN_FILE";

	/* re-read on every refresh: the kubelet rotates the token */
	if ((e = read_file(pl->token_file, &tok)) != 0) {
		msg_set(err, err_sz, "%s%s: cannot read the web identity token file %s: %s", who, whon,
		       msg_printable(pl->token_file, tmp, sizeof tmp), strerror(e));
		return AL_CONFIG;
	}
	while (tok.len && (tok.p[tok.len - 1] == '\n' || tok.p[tok.len - 1] == '\r' || tok.p[tok.len - 1] == ' '))
		tok.p[--tok.len] = '\0';
	if (!tok.len) {
		msg_set(err, err_sz, "%s%s: the web identity token file %s is empty", who, whon,
		       msg_printable(pl->token_file, tmp, sizeof tmp));
		sbuf_free(&tok);
		return AL_CONFIG;
	}
	session_name(pl, sess, sizeof sess);
	form_add(&body, "Action", "AssumeRoleWithWebIdentity");
	form_add(&body, "Version", "2011-06-15");
	form_add(&body, "RoleArn", pl->role_arn);
	form_add(&body, "RoleSessionName", sess);
	form_add(&body, "WebIdentityToken", tok.p);
	if (pl->duration) {
		snprintf(dur, sizeof dur, "%d", pl->duration);
		form_add(&body, "DurationSeconds", dur);
	}
	if (body.oom) {
		msg_set(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
	} else {
		rc = sts_credentials_call(p, pl, "AssumeRoleWithWebIdentity", body.data, body.len, NULL, out,
					  err, err_sz);
	}
	wipe_buf(&body);
	sbuf_free(&tok);
	return rc;
}

static int sso_token(const struct plan *pl, char **token, char *err, size_t err_sz)
{
	char path[4096], tmp[128], tmp2[128], login[200];
	struct sbuf b = {0};
	struct jfield f[2] = {{"accessToken", J_ABSENT, NULL}, {"expiresAt", J_ABSENT, NULL}};
	int64_t exp = 0;
	int e, rc = AL_CONFIG;
	const char *pn = msg_printable(pl->profile, tmp, sizeof tmp);

	*token = NULL;
	if (pl->sso_session)
		snprintf(login, sizeof login, "aws sso login --sso-session %s",
			 msg_printable(pl->sso_session, tmp2, sizeof tmp2));
	else
		snprintf(login, sizeof login, "aws sso login --profile %s", pn);
	if (aws_creds_sso_cache_path(pl->sso_key, path, sizeof path)) {
		msg_set(err, err_sz, "profile %s: SSO: no HOME to find the token cache in", pn);
		return AL_CONFIG;
	}
	if ((e = read_file(path, &b)) != 0) {
		if (e == ENOENT)
			msg_set(err, err_sz, "profile %s: no cached SSO token (%s): run `%s`", pn, path, login);
		else
			msg_set(err, err_sz, "profile %s: cannot read the SSO token cache %s: %s; run `%s`", pn, path,
			       strerror(e), login);
		return AL_CONFIG;
	}
	int r = json_extract(b.p, b.len, f, 2);
	sbuf_free(&b);
	if (r == -2) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	if (r || f[0].type != J_STRING || !cred_str_ok(f[0].val)) {
		msg_set(err, err_sz, "profile %s: the SSO token cache %s has no valid accessToken: run `%s`", pn,
		       path, login);
		goto out;
	}
	if (parse_expiration(f[1].type, f[1].val, 0, &exp)) {
		msg_set(err, err_sz, "profile %s: the SSO token cache %s has no valid expiresAt: run `%s`", pn, path,
		       login);
		goto out;
	}
	if (exp <= now_s()) {
		char iso[TIME_ISO_LEN];
		time_format(exp, iso);
		msg_set(err, err_sz, "profile %s: the SSO session expired at %s: run `%s`", pn, iso, login);
		goto out;
	}
	*token = f[0].val;
	f[0].val = NULL;
	rc = AL_OK;
out:
	jfields_free(f, 2);
	return rc;
}

static int fetch_sso(struct aws_creds_provider *p, struct plan *pl, struct aws_credentials *out,
		     char *err, size_t err_sz)
{
	static const struct jfield proto[4] = {
		{"roleCredentials.accessKeyId", J_ABSENT, NULL},
		{"roleCredentials.secretAccessKey", J_ABSENT, NULL},
		{"roleCredentials.sessionToken", J_ABSENT, NULL},
		{"roleCredentials.expiration", J_ABSENT, NULL},
	};
	struct jfield f[4];
	char *token = NULL, base[AWS_ENDPOINT_URL_MAX], prefix[AWS_ENDPOINT_URL_MAX];
	char path[AWS_ENDPOINT_URL_MAX + 32], tmp[128], tmp2[128];
	struct buf query = BUF_INIT;
	struct http_response resp;
	struct aws_error aerr;
	struct aws_credentials none = {0};
	const char *pn = msg_printable(pl->profile, tmp, sizeof tmp);
	int rc;

	memcpy(f, proto, sizeof f);
	memset(&resp, 0, sizeof resp);
	memset(&aerr, 0, sizeof aerr);
	if ((rc = sso_token(pl, &token, err, err_sz)) != AL_OK)
		return rc;
	if ((rc = need_client(p, err, err_sz)) != AL_OK)
		goto out;
	if (split_url(pl->sso_portal, base, sizeof base, prefix, sizeof prefix)) {
		msg_set(err, err_sz, "profile %s: bad SSO portal endpoint '%s'", pn,
		       msg_printable(pl->sso_portal, tmp2, sizeof tmp2));
		rc = AL_CONFIG;
		goto out;
	}
	snprintf(path, sizeof path, "%s/federation/credentials", prefix);
	form_add(&query, "account_id", pl->sso_account);
	form_add(&query, "role_name", pl->sso_role);
	struct http_header hdrs[2] = {{"x-amz-sso_bearer_token", token}, {"Accept", "application/json"}};
	struct aws_call call = {
		.operation = "GetRoleCredentials",
		.endpoint = base,
		.region = pl->sso_region,
		.service = "awsssoportal",
		.method = "GET",
		.path = path,
		.query = buf_str(&query),
		.headers = hdrs,
		.nheaders = 2,
		.unsigned_request = 1,
	};
	vlog(p, "profile %s: SSO GetRoleCredentials account %s role %s on %s", pn, pl->sso_account,
	     msg_printable(pl->sso_role, tmp2, sizeof tmp2), pl->sso_portal);
	rc = aws_request(p->client, &call, &none, &resp, &aerr);
	if (rc != AL_OK) {
		if (aerr.status == 401 || aerr.status == 403 || strstr(aerr.code, "Unauthorized"))
			msg_set(err, err_sz, "profile %s: %s; the SSO session may have ended: run `aws sso login --profile %s`",
			       pn, aerr.message[0] ? aerr.message : "GetRoleCredentials failed", pn);
		else
			msg_set(err, err_sz, "profile %s: %s (SSO portal %s)", pn,
			       aerr.message[0] ? aerr.message : "GetRoleCredentials failed", pl->sso_portal);
		if (aerr.status == 401 || aerr.status == 403)
			rc = AL_CONFIG;
		goto out;
	}
	int r = json_extract(buf_str(&resp.body), resp.body.len, f, 4);
	if (r == -2) {
		msg_set(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
		goto out;
	}
	rc = AL_UNAVAILABLE;
	if (r) {
		msg_set(err, err_sz, "profile %s: GetRoleCredentials: the answer is not valid JSON", pn);
		goto out;
	}
	for (int i = 0; i < 3; i++) {
		if (f[i].type != J_STRING || !cred_str_ok(f[i].val)) {
			msg_set(err, err_sz, "profile %s: GetRoleCredentials: the answer has no valid %s", pn,
			       f[i].path);
			goto out;
		}
	}
	if (parse_expiration(f[3].type, f[3].val, 1, &out->expiration)) {
		msg_set(err, err_sz, "profile %s: GetRoleCredentials: the answer has no valid %s", pn, f[3].path);
		goto out;
	}
	creds_take(out, &f[0].val, &f[1].val, &f[2].val);
	rc = AL_OK;
out:
	jfields_free(f, 4);
	wipe_response(&resp);
	wipe_buf(&query);
	wipe_str(token);
	return rc;
}

static int fetch_process(struct aws_creds_provider *p, struct plan *pl, struct aws_credentials *out,
			 char *err, size_t err_sz)
{
	struct sbuf o = {0};
	char tmp[128];
	vlog(p, "profile %s: running credential_process", msg_printable(pl->profile, tmp, sizeof tmp));
	int rc = run_process(pl->profile, pl->command, &o, err, err_sz);
	if (rc == AL_OK)
		rc = aws_creds_parse_process_output(o.p, o.len, pl->profile, out, err, err_sz);
	sbuf_free(&o);
	return rc;
}

/* The metadata services' JSON: AccessKeyId, SecretAccessKey, Token, Expiration. */
static int parse_meta_creds(const char *what, const struct http_response *r, int need_exp,
			    struct aws_credentials *out, char *err, size_t err_sz)
{
	struct jfield f[5] = {
		{"AccessKeyId", J_ABSENT, NULL}, {"SecretAccessKey", J_ABSENT, NULL},
		{"Token", J_ABSENT, NULL}, {"Expiration", J_ABSENT, NULL}, {"Code", J_ABSENT, NULL},
	};
	char tmp[64];
	int rc = AL_UNAVAILABLE;
	int x = json_extract(buf_str(&r->body), r->body.len, f, 5);
	if (x == -2) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	if (x) {
		msg_set(err, err_sz, "%s: the answer is not valid JSON", what);
		return rc;
	}
	if (f[4].type == J_STRING && strcmp(f[4].val, "Success") != 0) {
		msg_set(err, err_sz, "%s: the answer says Code %s", what, msg_printable(f[4].val, tmp, 40));
		goto out;
	}
	for (int i = 0; i < 3; i++) {
		if (f[i].type != J_STRING || !cred_str_ok(f[i].val)) {
			msg_set(err, err_sz, "%s: the answer has no valid %s", what, f[i].path);
			goto out;
		}
	}
	if ((need_exp || f[3].type != J_ABSENT) && parse_expiration(f[3].type, f[3].val, 0, &out->expiration)) {
		msg_set(err, err_sz, "%s: the answer has no valid Expiration", what);
		goto out;
	}
	creds_take(out, &f[0].val, &f[1].val, &f[2].val);
	rc = AL_OK;
out:
	jfields_free(f, 5);
	return rc;
}

static void http_fail_msg(char *err, size_t err_sz, const char *what, const char *url, int hr,
			  const char *why, long status)
{
	if (hr != HTTP_OK)
		msg_set(err, err_sz, "%s: %s: %s", what, url, why);
	else
		msg_set(err, err_sz, "%s: %s answered HTTP %ld", what, url, status);
}

static int fetch_container(struct aws_creds_provider *p, struct plan *pl, struct aws_credentials *out,
			   char *err, size_t err_sz)
{
	struct sbuf tok = {0};
	char why[256], tmp[128];
	struct http_response resp;
	int rc, hr = HTTP_ERR_OTHER;
	const char *tf = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tv = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");

	memset(&resp, 0, sizeof resp);
	if ((rc = need_meta(p, err, err_sz)) != AL_OK)
		return rc;
	if (tf) { /* read on every fetch: the agent rotates it */
		int e = read_file(tf, &tok);
		if (e) {
			msg_set(err, err_sz, "container credentials: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: %s",
			       msg_printable(tf, tmp, sizeof tmp), strerror(e));
			return AL_CONFIG;
		}
	} else if (tv && sbuf_add(&tok, tv, strlen(tv))) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	if (tok.p && (strchr(tok.p, '\r') || strchr(tok.p, '\n') || strlen(tok.p) != tok.len)) {
		msg_set(err, err_sz, "container credentials: the authorization token (%s) contains a line break",
		       tf ? "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" : "AWS_CONTAINER_AUTHORIZATION_TOKEN");
		sbuf_free(&tok);
		return AL_CONFIG;
	}
	struct http_header hdrs[2] = {{"Accept", "application/json"}, {"Authorization", tok.p}};
	struct http_request req = {
		.method = "GET",
		.url = pl->url,
		.headers = hdrs,
		.nheaders = tok.p && tok.len ? 2 : 1,
		.timeout_ms = 2000,
	};
	vlog(p, "container: GET %s%s", pl->url, req.nheaders == 2 ? " with the authorization token" : "");
	rc = AL_UNAVAILABLE;
	/* botocore: 3 attempts, 1 s apart; a 4xx is final */
	for (int attempt = 1; attempt <= 3; attempt++) {
		if (attempt > 1) {
			wipe_response(&resp);
			memset(&resp, 0, sizeof resp);
			sleep(1);
		}
		hr = http_perform(p->meta, &req, &resp, why, sizeof why);
		if (hr == HTTP_OK && resp.status >= 200 && resp.status < 300) {
			rc = parse_meta_creds("container credentials", &resp, 0, out, err, err_sz);
			goto out;
		}
		if (hr == HTTP_OK && resp.status < 500)
			break;
	}
	http_fail_msg(err, err_sz, "container credentials", pl->url, hr, why, resp.status);
	if (hr == HTTP_OK && resp.status >= 400 && resp.status < 500)
		rc = resp.status == 401 || resp.status == 403 ? AL_CONFIG : AL_UNAVAILABLE;
out:
	wipe_response(&resp);
	sbuf_free(&tok);
	return rc;
}

/* IMDSv2 session token; NULL token with AL_OK means "use IMDSv1". */
static int imds_token(struct aws_creds_provider *p, const struct plan *pl, char **token, char *err,
		      size_t err_sz)
{
	static const struct http_header ttl = {"x-aws-ec2-metadata-token-ttl-seconds", "21600"};
	char url[512], why[256];
	struct http_response resp;
	int hr = HTTP_ERR_OTHER, rc;

	*token = NULL;
	memset(&resp, 0, sizeof resp);
	snprintf(url, sizeof url, "%s/latest/api/token", pl->imds);
	struct http_request req = {.method = "PUT", .url = url, .headers = &ttl, .nheaders = 1,
				   .body = "", .body_len = 0, .timeout_ms = pl->imds_timeout_ms};
	for (int a = 1; a <= pl->imds_attempts; a++) {
		wipe_response(&resp);
		memset(&resp, 0, sizeof resp);
		hr = http_perform(p->meta, &req, &resp, why, sizeof why);
		if (hr == HTTP_OK && resp.status < 500)
			break;
	}
	if (hr != HTTP_OK) {
		/* a timeout or a refusal on the PUT means "no IMDS" */
		msg_set(err, err_sz, "IMDS: no answer from %s (%s)", pl->imds, why);
		rc = RC_ABSENT;
	} else if (resp.status == 200) {
		char *t = resp.body.data ? strndup(resp.body.data, resp.body.len) : NULL;
		size_t n = t ? strlen(t) : 0;
		while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' '))
			t[--n] = '\0';
		if (!t || !cred_str_ok(t)) {
			wipe_str(t);
			msg_set(err, err_sz, "IMDS: %s answered an unusable session token", url);
			rc = AL_UNAVAILABLE;
		} else {
			*token = t;
			rc = AL_OK;
		}
	} else if (resp.status == 403 || resp.status == 404 || resp.status == 405) {
		if (pl->imds_v1_disabled) {
			msg_set(err, err_sz, "IMDS: the token PUT was refused (HTTP %ld) and IMDSv1 is disabled "
			       "(ec2_metadata_v1_disabled)", resp.status);
			rc = AL_UNAVAILABLE;
		} else {
			vlog(p, "imds: token PUT answered HTTP %ld, using IMDSv1", resp.status);
			rc = AL_OK;
		}
	} else {
		msg_set(err, err_sz, "IMDS: %s answered HTTP %ld", url, resp.status);
		rc = resp.status >= 500 ? RC_ABSENT : AL_UNAVAILABLE;
	}
	wipe_response(&resp);
	return rc;
}

static int imds_get(struct aws_creds_provider *p, const struct plan *pl, const char *token, const char *path,
		    struct http_response *resp, int *hr, char *why, size_t why_sz)
{
	char url[1024];
	struct http_header h = {"x-aws-ec2-metadata-token", token};
	snprintf(url, sizeof url, "%s%s", pl->imds, path);
	struct http_request req = {.method = "GET", .url = url, .headers = &h, .nheaders = token ? 1 : 0,
				   .timeout_ms = pl->imds_timeout_ms};
	for (int a = 1; a <= pl->imds_attempts; a++) {
		wipe_response(resp);
		memset(resp, 0, sizeof *resp);
		*hr = http_perform(p->meta, &req, resp, why, why_sz);
		if (*hr == HTTP_OK && resp->status < 500)
			break;
	}
	return *hr == HTTP_OK && resp->status == 200 ? 0 : -1;
}

static int fetch_imds(struct aws_creds_provider *p, struct plan *pl, struct aws_credentials *out,
		      char *err, size_t err_sz)
{
	char *token = NULL, why[256], role[256], path[512], tmp[128];
	struct http_response resp;
	int rc, hr = HTTP_ERR_OTHER;

	memset(&resp, 0, sizeof resp);
	if ((rc = need_meta(p, err, err_sz)) != AL_OK)
		return rc;
	vlog(p, "imds: asking %s", pl->imds);
	if ((rc = imds_token(p, pl, &token, err, err_sz)) != AL_OK)
		return rc;
	if (imds_get(p, pl, token, "/latest/meta-data/iam/security-credentials/", &resp, &hr, why, sizeof why)) {
		if (hr == HTTP_OK && resp.status == 404) {
			msg_set(err, err_sz, "IMDS: no IAM role is attached to this instance (%s)", pl->imds);
			rc = RC_ABSENT;
		} else {
			http_fail_msg(err, err_sz, "IMDS", pl->imds, hr, why, resp.status);
			rc = AL_UNAVAILABLE;
		}
		goto out;
	}
	size_t n = strcspn(buf_str(&resp.body), "\r\n");
	while (n && resp.body.data[n - 1] == ' ')
		n--;
	if (n == 0 || n >= sizeof role) {
		msg_set(err, err_sz, "IMDS: no IAM role is attached to this instance (%s)", pl->imds);
		rc = RC_ABSENT;
		goto out;
	}
	memcpy(role, resp.body.data, n);
	role[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!(role[i] >= 'a' && role[i] <= 'z') && !(role[i] >= 'A' && role[i] <= 'Z') &&
		    !(role[i] >= '0' && role[i] <= '9') && !strchr("+=,.@_-", role[i])) {
			msg_set(err, err_sz, "IMDS: unexpected role name '%s'", msg_printable(role, tmp, sizeof tmp));
			rc = AL_UNAVAILABLE;
			goto out;
		}
	}
	snprintf(path, sizeof path, "/latest/meta-data/iam/security-credentials/%s", role);
	if (imds_get(p, pl, token, path, &resp, &hr, why, sizeof why)) {
		http_fail_msg(err, err_sz, "IMDS", pl->imds, hr, why, resp.status);
		rc = AL_UNAVAILABLE;
		goto out;
	}
	vlog(p, "imds: role %s", role);
	rc = parse_meta_creds("IMDS", &resp, 1, out, err, err_sz);
	if (rc == AL_OK && !out->session_token) {
		aws_credentials_clear(out);
		msg_set(err, err_sz, "IMDS: the answer has no Token");
		rc = AL_UNAVAILABLE;
	}
out:
	wipe_response(&resp);
	wipe_str(token);
	return rc;
}

static int fetch(struct aws_creds_provider *p, struct plan *pl, struct aws_credentials *out, char *err,
		 size_t err_sz)
{
	switch (pl->kind) {
	case AWS_CREDS_PROCESS: return fetch_process(p, pl, out, err, err_sz);
	case AWS_CREDS_ASSUME_ROLE: return fetch_assume_role(p, pl, out, err, err_sz);
	case AWS_CREDS_SSO: return fetch_sso(p, pl, out, err, err_sz);
	case AWS_CREDS_WEB_IDENTITY: return fetch_web_identity(p, pl, out, err, err_sz);
	case AWS_CREDS_CONTAINER: return fetch_container(p, pl, out, err, err_sz);
	case AWS_CREDS_IMDS: return fetch_imds(p, pl, out, err, err_sz);
	case AWS_CREDS_ENV:
	case AWS_CREDS_STATIC:
	case AWS_CREDS_NONE: break;
	}
	msg_set(err, err_sz, "these credentials cannot be refreshed");
	return AL_CONFIG;
}

static int due(const struct plan *pl, int64_t now)
{
	if (!pl->have)
		return 1;
	if (!pl->cur.expiration)
		return 0;
	int64_t left = pl->cur.expiration - now;
	/* do not refetch on every call when a source hands out short-lived keys */
	return left < AWS_CREDS_REFRESH_SECONDS && (left < 30 || now - pl->fetched_at >= 30);
}

static int plan_get(struct aws_creds_provider *p, struct plan *pl, int force, char *err, size_t err_sz)
{
	int64_t now = now_s();
	char iso[TIME_ISO_LEN];
	if (pl->kind == AWS_CREDS_ENV || pl->kind == AWS_CREDS_STATIC) {
		if (force) {
			msg_set(err, err_sz, "%s credentials cannot be refreshed", pl->source);
			return AL_CONFIG;
		}
		return AL_OK;
	}
	if (!force && !due(pl, now))
		return AL_OK;
	struct aws_credentials fresh = {0};
	int rc = fetch(p, pl, &fresh, err, err_sz);
	if (rc == AL_OK && fresh.expiration && fresh.expiration <= now) {
		time_format(fresh.expiration, iso);
		msg_set(err, err_sz, "%s: the credentials received expired at %s", pl->source, iso);
		aws_credentials_clear(&fresh);
		rc = AL_UNAVAILABLE;
	}
	if (rc == AL_OK) {
		aws_credentials_clear(&pl->cur);
		pl->cur = fresh;
		memcpy(pl->cur.source, pl->source, sizeof pl->cur.source);
		pl->have = 1;
		pl->fetched_at = now;
		if (pl->cur.expiration) {
			time_format(pl->cur.expiration, iso);
			vlog(p, "%s: credentials valid until %s", pl->source, iso);
		}
		return AL_OK;
	}
	if (rc == RC_ABSENT && pl->have)
		rc = AL_UNAVAILABLE;
	if (pl->have && !force && rc != AL_SOFTWARE) {
		if (pl->cur.expiration > now + 30) {
			vlog(p, "%s: refresh failed, keeping the current credentials: %s", pl->source, err);
			return AL_OK;
		}
		if (pl->kind == AWS_CREDS_IMDS) {
			/* botocore _evaluate_expiration: 15 min plus 2-10 min of jitter */
			pl->cur.expiration = now + 15 * 60 + 120 + (int64_t)(rand() % 481);
			vlog(p, "imds: refresh failed, extending the current credentials: %s", err);
			return AL_OK;
		}
	}
	return rc;
}

/* ----------------------------------------------------------- chain build */

struct build {
	struct aws_creds_provider *p;
	const struct aws_config *cfg;
	const char *region;
	const char *selected;  /* the selected profile */
	const char *chain[MAX_CHAIN];
	int depth;
	char *err;
	size_t err_sz;
};

static struct plan *plan_new(enum aws_creds_kind kind, const char *profile)
{
	struct plan *pl = calloc(1, sizeof *pl);
	if (!pl)
		return NULL;
	pl->kind = kind;
	if (profile) {
		char tmp[64];
		snprintf(pl->source, sizeof pl->source, "profile:%s (%s)", msg_printable(profile, tmp, 60),
			 aws_creds_kind_name(kind));
		if (!(pl->profile = strdup(profile))) {
			free(pl);
			return NULL;
		}
	} else {
		snprintf(pl->source, sizeof pl->source, "%s", aws_creds_kind_name(kind));
	}
	return pl;
}

#define OOM(b) (msg_set((b)->err, (b)->err_sz, "out of memory"), AL_SOFTWARE)

static int set_static(struct build *b, struct plan *pl, const char *akid, const char *secret,
		      const char *token)
{
	pl->cur.access_key_id = strdup(akid);
	pl->cur.secret_access_key = strdup(secret);
	pl->cur.session_token = token && *token ? strdup(token) : NULL;
	memcpy(pl->cur.source, pl->source, sizeof pl->cur.source);
	pl->have = 1;
	if (!pl->cur.access_key_id || !pl->cur.secret_access_key || (token && *token && !pl->cur.session_token))
		return OOM(b);
	return AL_OK;
}

/* Env keys; *out NULL when none are set. */
static int build_env(struct build *b, struct plan **out)
{
	const char *akid = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
	const char *token = env("AWS_SESSION_TOKEN"), *exp = env("AWS_CREDENTIAL_EXPIRATION");
	char tmp[64];
	*out = NULL;
	if (!token)
		token = env("AWS_SECURITY_TOKEN");
	if (!akid && !secret)
		return AL_OK;
	if (!akid || !secret) {
		msg_set(b->err, b->err_sz, "partial credentials found in the environment, missing: %s",
		       akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return AL_CONFIG;
	}
	if (!cred_str_ok(akid) || !cred_str_ok(secret) || (token && !cred_str_ok(token))) {
		msg_set(b->err, b->err_sz, "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or AWS_SESSION_TOKEN holds a "
		       "space or control character");
		return AL_CONFIG;
	}
	struct plan *pl = plan_new(AWS_CREDS_ENV, NULL);
	if (!pl)
		return OOM(b);
	*out = pl;
	int rc = set_static(b, pl, akid, secret, token);
	if (rc == AL_OK && exp && time_parse(exp, strlen(exp), &pl->cur.expiration)) {
		msg_set(b->err, b->err_sz, "AWS_CREDENTIAL_EXPIRATION '%s' is not an RFC 3339 time",
		       msg_printable(exp, tmp, sizeof tmp));
		rc = AL_CONFIG;
	}
	return rc;
}

/* Static keys of one file of the profile: -1 none, else a status. */
static int profile_static(struct build *b, const char *name, int which, struct plan **out)
{
	const char *akid = aws_config_file_get(b->cfg, which, name, "aws_access_key_id");
	const char *secret = aws_config_file_get(b->cfg, which, name, "aws_secret_access_key");
	const char *token = aws_config_file_get(b->cfg, which, name, "aws_session_token");
	const char *file = which == AWS_CONFIG_FILE_CREDENTIALS ? "credentials" : "config";
	char tmp[128];
	if (akid && !*akid)
		akid = NULL;
	if (secret && !*secret)
		secret = NULL;
	if (!akid && !secret)
		return -1;
	if (!akid || !secret) {
		msg_set(b->err, b->err_sz, "profile %s: partial credentials in the %s file, missing: %s",
		       msg_printable(name, tmp, sizeof tmp), file, akid ? "aws_secret_access_key" : "aws_access_key_id");
		return AL_CONFIG;
	}
	if (!cred_str_ok(akid) || !cred_str_ok(secret) || (token && *token && !cred_str_ok(token))) {
		msg_set(b->err, b->err_sz, "profile %s: a key in the %s file holds a space or control character",
		       msg_printable(name, tmp, sizeof tmp), file);
		return AL_CONFIG;
	}
	struct plan *pl = plan_new(AWS_CREDS_STATIC, name);
	if (!pl)
		return OOM(b);
	*out = pl;
	return set_static(b, pl, akid, secret, token);
}

static int sts_endpoint(struct build *b, struct plan *pl, const char *profile)
{
	char why[512];
	pl->sts = calloc(1, sizeof *pl->sts);
	if (!pl->sts)
		return OOM(b);
	if (aws_config_endpoint(b->cfg, profile, AWS_SVC_STS, b->region ? b->region : "aws-global", NULL, pl->sts,
				why, sizeof why)) {
		msg_set(b->err, b->err_sz, "STS endpoint: %s", why);
		return AL_CONFIG;
	}
	if (!b->region || strcmp(pl->sts->signing_region, "aws-global") == 0)
		snprintf(pl->sts->signing_region, sizeof pl->sts->signing_region, "us-east-1");
	return AL_OK;
}

static int parse_duration(struct build *b, const char *name, const char *v, int *out)
{
	char *end, tmp[128], tmp2[40];
	if (!v || !*v)
		return AL_OK;
	long d = strtol(v, &end, 10);
	if (*end || d < 900 || d > 43200) {
		msg_set(b->err, b->err_sz, "profile %s: duration_seconds '%s' must be a number of seconds from 900 to 43200",
		       msg_printable(name, tmp, sizeof tmp), msg_printable(v, tmp2, 32));
		return AL_CONFIG;
	}
	*out = (int)d;
	return AL_OK;
}

static int build_profile(struct build *b, const char *name, int as_source, struct plan **out);
static int build_container(struct build *b, struct plan **out);
static int build_imds(struct build *b, struct plan **out);

static int build_assume_role(struct build *b, const char *name, struct plan **out)
{
	const struct aws_config *cfg = b->cfg;
	const char *src = aws_config_get(cfg, name, "source_profile");
	const char *cs = aws_config_get(cfg, name, "credential_source");
	const char *mfa = aws_config_get(cfg, name, "mfa_serial");
	char tmp[128], tmp2[128];
	const char *pn = msg_printable(name, tmp, sizeof tmp);
	int rc;

	if (src && !*src)
		src = NULL;
	if (cs && !*cs)
		cs = NULL;
	if (mfa && *mfa) {
		msg_set(b->err, b->err_sz, "profile %s: role_arn with mfa_serial needs an MFA code, and authlog-scan "
		       "does not prompt for one; get temporary credentials first (for example `aws configure "
		       "export-credentials --profile %s --format env`) and pass them in the environment",
		       pn, pn);
		return AL_CONFIG;
	}
	if (src && cs) {
		msg_set(b->err, b->err_sz, "profile %s: has both source_profile and credential_source; use one", pn);
		return AL_CONFIG;
	}
	struct plan *pl = plan_new(AWS_CREDS_ASSUME_ROLE, name);
	if (!pl)
		return OOM(b);
	*out = pl;
	if (!(pl->role_arn = strdup(aws_config_get(cfg, name, "role_arn"))))
		return OOM(b);
	const char *v;
	if ((v = aws_config_get(cfg, name, "role_session_name")) && *v && !(pl->session_name = strdup(v)))
		return OOM(b);
	if ((v = aws_config_get(cfg, name, "external_id")) && *v && !(pl->external_id = strdup(v)))
		return OOM(b);
	if ((rc = parse_duration(b, name, aws_config_get(cfg, name, "duration_seconds"), &pl->duration)))
		return rc;
	if ((rc = sts_endpoint(b, pl, name)))
		return rc;
	if (src) {
		for (int i = 0; i < b->depth; i++) {
			if (strcmp(b->chain[i], src) == 0 && strcmp(src, name) != 0) {
				msg_set(b->err, b->err_sz, "profile %s: source_profile %s makes a loop", pn,
				       msg_printable(src, tmp2, sizeof tmp2));
				return AL_CONFIG;
			}
		}
		if (!aws_config_profile_exists(cfg, src)) {
			msg_set(b->err, b->err_sz, "profile %s: the source_profile %s does not exist", pn,
			       msg_printable(src, tmp2, sizeof tmp2));
			return AL_CONFIG;
		}
		if (strcmp(src, name) == 0) {
			/* a profile may be its own source for its static keys */
			rc = profile_static(b, name, AWS_CONFIG_FILE_CREDENTIALS, &pl->src);
			if (rc < 0)
				rc = profile_static(b, name, AWS_CONFIG_FILE_CONFIG, &pl->src);
			if (rc < 0) {
				msg_set(b->err, b->err_sz, "profile %s: is its own source_profile but has no static keys",
				       pn);
				rc = AL_CONFIG;
			}
			return rc;
		}
		if ((rc = build_profile(b, src, 1, &pl->src)) != AL_OK)
			return rc;
		if (!pl->src) {
			msg_set(b->err, b->err_sz, "profile %s: the source_profile %s has no credentials", pn,
			       msg_printable(src, tmp2, sizeof tmp2));
			return AL_CONFIG;
		}
		return AL_OK;
	}
	if (!cs) {
		msg_set(b->err, b->err_sz, "profile %s: role_arn needs source_profile, credential_source or "
		       "web_identity_token_file", pn);
		return AL_CONFIG;
	}
	static const struct {
		const char *name;
		int (*build)(struct build *b, struct plan **out);
		const char *unavailable; /* why the builder made no plan */
	} sources[] = {
		{"Environment", build_env, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"},
		{"EcsContainer", build_container,
		 "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor _FULL_URI is set"},
		{"Ec2InstanceMetadata", build_imds, "AWS_EC2_METADATA_DISABLED is true"},
	};
	size_t i = 0;
	while (i < sizeof(sources) / sizeof(sources[0]) && strcmp(cs, sources[i].name) != 0)
		i++;
	if (i == sizeof(sources) / sizeof(sources[0])) {
		msg_set(b->err, b->err_sz, "profile %s: credential_source '%s' is not one of Environment, "
			"Ec2InstanceMetadata, EcsContainer", pn, msg_printable(cs, tmp2, sizeof tmp2));
		return AL_CONFIG;
	}
	if ((rc = sources[i].build(b, &pl->src)) != AL_OK)
		return rc;
	if (!pl->src) {
		msg_set(b->err, b->err_sz, "profile %s: credential_source = %s, but %s", pn, sources[i].name,
			sources[i].unavailable);
		return AL_CONFIG;
	}
	return AL_OK;
}

static int build_web_identity(struct build *b, const char *profile, const char *token_file,
			      const char *role_arn, const char *session, const char *duration,
			      struct plan **out)
{
	struct plan *pl = plan_new(AWS_CREDS_WEB_IDENTITY, profile);
	int rc;
	if (!pl)
		return OOM(b);
	*out = pl;
	if (!(pl->token_file = strdup(token_file)) || !(pl->role_arn = strdup(role_arn)) ||
	    (session && *session && !(pl->session_name = strdup(session))))
		return OOM(b);
	if (profile && (rc = parse_duration(b, profile, duration, &pl->duration)))
		return rc;
	return sts_endpoint(b, pl, profile ? profile : b->selected);
}

static int build_sso(struct build *b, const char *name, struct plan **out)
{
	const struct aws_config *cfg = b->cfg;
	const char *sess = aws_config_get(cfg, name, "sso_session");
	const char *url, *region, *acct = aws_config_get(cfg, name, "sso_account_id");
	const char *role = aws_config_get(cfg, name, "sso_role_name");
	char tmp[128], tmp2[128];
	const char *pn = msg_printable(name, tmp, sizeof tmp);

	if (sess && *sess) {
		url = aws_config_sso_session_get(cfg, sess, "sso_start_url");
		region = aws_config_sso_session_get(cfg, sess, "sso_region");
		if (!url || !*url || !region || !*region) {
			msg_set(b->err, b->err_sz, "profile %s: [sso-session %s] needs sso_start_url and sso_region", pn,
			       msg_printable(sess, tmp2, sizeof tmp2));
			return AL_CONFIG;
		}
		const char *pu = aws_config_get(cfg, name, "sso_start_url");
		const char *pr = aws_config_get(cfg, name, "sso_region");
		if ((pu && *pu && strcmp(pu, url)) || (pr && *pr && strcmp(pr, region))) {
			msg_set(b->err, b->err_sz, "profile %s: sso_start_url / sso_region differ from those of "
			       "[sso-session %s]", pn, msg_printable(sess, tmp2, sizeof tmp2));
			return AL_CONFIG;
		}
	} else {
		sess = NULL;
		url = aws_config_get(cfg, name, "sso_start_url");
		region = aws_config_get(cfg, name, "sso_region");
	}
	if (!url || !*url || !region || !*region || !acct || !*acct || !role || !*role) {
		msg_set(b->err, b->err_sz, "profile %s: SSO needs %s, sso_account_id and sso_role_name", pn,
		       sess ? "sso_session" : "sso_start_url, sso_region");
		return AL_CONFIG;
	}
	if (!aws_region_valid(region)) {
		msg_set(b->err, b->err_sz, "profile %s: invalid sso_region '%s'", pn, msg_printable(region, tmp2, sizeof tmp2));
		return AL_CONFIG;
	}
	struct plan *pl = plan_new(AWS_CREDS_SSO, name);
	if (!pl)
		return OOM(b);
	*out = pl;
	if (!(pl->sso_key = strdup(sess ? sess : url)) || !(pl->sso_region = strdup(region)) ||
	    !(pl->sso_account = strdup(acct)) || !(pl->sso_role = strdup(role)) ||
	    (sess && !(pl->sso_session = strdup(sess))))
		return OOM(b);
	const char *ep = NULL;
	const char *ign = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	if (!ign)
		ign = aws_config_get(cfg, name, "ignore_configured_endpoint_urls");
	if (!is_true(ign) && !(ep = env("AWS_ENDPOINT_URL_SSO")))
		ep = env("AWS_ENDPOINT_URL");
	char def[300];
	if (!ep) {
		snprintf(def, sizeof def, "https://portal.sso.%s.%s", region,
			 aws_partition_for_region(region)->dns_suffix);
		ep = def;
	} else if (strncasecmp(ep, "http://", 7) && strncasecmp(ep, "https://", 8)) {
		msg_set(b->err, b->err_sz, "the SSO endpoint '%s' is not an http:// or https:// URL",
		       msg_printable(ep, tmp2, sizeof tmp2));
		return AL_CONFIG;
	}
	if (!(pl->sso_portal = strdup(ep)))
		return OOM(b);
	return AL_OK;
}

/* The selected profile (or a source profile); *out NULL when it holds no
 * credential settings. */
static int build_profile(struct build *b, const char *name, int as_source, struct plan **out)
{
	const struct aws_config *cfg = b->cfg;
	const char *role = aws_config_get(cfg, name, "role_arn");
	const char *wif = aws_config_get(cfg, name, "web_identity_token_file");
	const char *v;
	char tmp[128];
	int rc;

	*out = NULL;
	if (b->depth >= MAX_CHAIN) {
		msg_set(b->err, b->err_sz, "profile %s: more than %d chained source_profile links",
		       msg_printable(name, tmp, sizeof tmp), MAX_CHAIN);
		return AL_CONFIG;
	}
	b->chain[b->depth++] = name;
	/* botocore: a source profile's own static keys win over its role */
	if (as_source) {
		rc = profile_static(b, name, AWS_CONFIG_FILE_CREDENTIALS, out);
		if (rc < 0)
			rc = profile_static(b, name, AWS_CONFIG_FILE_CONFIG, out);
		if (rc >= 0)
			goto done;
	}
	if (role && *role && !(wif && *wif)) {
		rc = build_assume_role(b, name, out);
		goto done;
	}
	if (role && *role) {
		rc = build_web_identity(b, name, wif, role, aws_config_get(cfg, name, "role_session_name"),
					aws_config_get(cfg, name, "duration_seconds"), out);
		goto done;
	}
	if (wif && *wif) {
		msg_set(b->err, b->err_sz, "profile %s: web_identity_token_file needs role_arn",
		       msg_printable(name, tmp, sizeof tmp));
		rc = AL_CONFIG;
		goto done;
	}
	if (((v = aws_config_get(cfg, name, "sso_session")) && *v) ||
	    ((v = aws_config_get(cfg, name, "sso_start_url")) && *v) ||
	    ((v = aws_config_get(cfg, name, "sso_account_id")) && *v)) {
		rc = build_sso(b, name, out);
		goto done;
	}
	if ((rc = profile_static(b, name, AWS_CONFIG_FILE_CREDENTIALS, out)) >= 0)
		goto done;
	if ((v = aws_config_get(cfg, name, "credential_process")) && *v) {
		struct plan *pl = plan_new(AWS_CREDS_PROCESS, name);
		*out = pl;
		rc = pl && (pl->command = strdup(v)) ? AL_OK : OOM(b);
		goto done;
	}
	if ((rc = profile_static(b, name, AWS_CONFIG_FILE_CONFIG, out)) >= 0)
		goto done;
	rc = AL_OK;
done:
	b->depth--;
	return rc;
}

static int build_web_identity_env(struct build *b, struct plan **out)
{
	const char *tf = env("AWS_WEB_IDENTITY_TOKEN_FILE"), *role = env("AWS_ROLE_ARN");
	*out = NULL;
	if (!tf)
		return AL_OK;
	if (!role) {
		msg_set(b->err, b->err_sz, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
		return AL_CONFIG;
	}
	return build_web_identity(b, NULL, tf, role, env("AWS_ROLE_SESSION_NAME"), NULL, out);
}

static int build_container(struct build *b, struct plan **out)
{
	const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	char why[300], url[2048], tmp[128];
	*out = NULL;
	if (rel) {
		if (rel[0] != '/' || strlen(rel) > 1024) {
			msg_set(b->err, b->err_sz, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI '%s' must be a path starting with '/'",
			       msg_printable(rel, tmp, sizeof tmp));
			return AL_CONFIG;
		}
		snprintf(url, sizeof url, "%s%s", CONTAINER_HOST, rel);
	} else if (full) {
		if (strlen(full) >= sizeof url || aws_creds_container_url_check(full, why, sizeof why)) {
			msg_set(b->err, b->err_sz, "AWS_CONTAINER_CREDENTIALS_FULL_URI: %s",
			       strlen(full) >= sizeof url ? "too long" : why);
			return AL_CONFIG;
		}
		snprintf(url, sizeof url, "%s", full);
	} else {
		return AL_OK;
	}
	for (const char *q = url; *q; q++) {
		if ((unsigned char)*q <= 0x20 || *q == 0x7f) {
			msg_set(b->err, b->err_sz, "the container credentials URL holds a space or control character");
			return AL_CONFIG;
		}
	}
	struct plan *pl = plan_new(AWS_CREDS_CONTAINER, NULL);
	if (!pl)
		return OOM(b);
	*out = pl;
	return (pl->url = strdup(url)) ? AL_OK : OOM(b);
}

/* IMDS settings: env first, then the profile (botocore's config chain). */
static const char *setting(struct build *b, const char *env_name, const char *key)
{
	const char *v = env(env_name);
	if (!v && b->selected)
		v = aws_config_get(b->cfg, b->selected, key);
	return v && *v ? v : NULL;
}

static int build_imds(struct build *b, struct plan **out)
{
	const char *ep = setting(b, "AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint");
	const char *mode = setting(b, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode");
	const char *t = setting(b, "AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout");
	const char *n = setting(b, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", "metadata_service_num_attempts");
	char tmp[128], *end;
	*out = NULL;
	if (is_true(env("AWS_EC2_METADATA_DISABLED")))
		return AL_OK;
	if (!ep) {
		if (mode && strcasecmp(mode, "IPv6") == 0)
			ep = IMDS_V6;
		else if (!mode || strcasecmp(mode, "IPv4") == 0)
			ep = IMDS_V4;
		else {
			msg_set(b->err, b->err_sz, "ec2_metadata_service_endpoint_mode '%s' must be IPv4 or IPv6",
			       msg_printable(mode, tmp, sizeof tmp));
			return AL_CONFIG;
		}
	}
	if ((strncasecmp(ep, "http://", 7) && strncasecmp(ep, "https://", 8)) || strlen(ep) > 400) {
		msg_set(b->err, b->err_sz, "the IMDS endpoint '%s' is not an http:// or https:// URL",
		       msg_printable(ep, tmp, sizeof tmp));
		return AL_CONFIG;
	}
	struct plan *pl = plan_new(AWS_CREDS_IMDS, NULL);
	if (!pl)
		return OOM(b);
	*out = pl;
	if (!(pl->imds = strdup(ep)))
		return OOM(b);
	size_t len = strlen(pl->imds);
	while (len && pl->imds[len - 1] == '/')
		pl->imds[--len] = '\0';
	pl->imds_v1_disabled = is_true(setting(b, "AWS_EC2_METADATA_V1_DISABLED", "ec2_metadata_v1_disabled"));
	pl->imds_timeout_ms = 1000;
	pl->imds_attempts = 1;
	if (t) {
		double d = strtod(t, &end);
		if (*end || !(d > 0 && d <= 600)) {
			msg_set(b->err, b->err_sz, "metadata_service_timeout '%s' must be a number of seconds",
			       msg_printable(t, tmp, sizeof tmp));
			return AL_CONFIG;
		}
		pl->imds_timeout_ms = (long)(d * 1000);
	}
	if (n) {
		long a = strtol(n, &end, 10);
		if (*end || a < 1 || a > 10) {
			msg_set(b->err, b->err_sz, "metadata_service_num_attempts '%s' must be a number from 1 to 10",
			       msg_printable(n, tmp, sizeof tmp));
			return AL_CONFIG;
		}
		pl->imds_attempts = (int)a;
	}
	return AL_OK;
}

/* ------------------------------------------------------------ provider */

static int provider_alloc(const struct aws_creds_opts *opts, struct aws_creds_provider **out)
{
	struct aws_creds_provider *p = calloc(1, sizeof *p);
	*out = NULL;
	if (!p)
		return -1;
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		return -1;
	}
	p->verbose = opts->verbose;
	if (opts->client) {
		p->copts = *opts->client;
		if ((opts->client->http.ca_bundle && !(p->ca_bundle = strdup(opts->client->http.ca_bundle))) ||
		    (opts->client->http.user_agent && !(p->user_agent = strdup(opts->client->http.user_agent)))) {
			aws_creds_provider_free(p);
			return -1;
		}
		p->copts.http.ca_bundle = p->ca_bundle;
		p->copts.http.user_agent = p->user_agent;
	}
	if (opts->verbose)
		p->copts.verbose = p->copts.http.verbose = 1;
	*out = p;
	return 0;
}

void aws_creds_provider_free(struct aws_creds_provider *p)
{
	if (!p)
		return;
	plan_free(p->root);
	if (p->client)
		aws_client_free(p->client);
	if (p->meta)
		http_client_free(p->meta);
	free(p->ca_bundle);
	free(p->user_agent);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static int chain_build(struct build *b, const char *cli_profile)
{
	struct aws_creds_provider *p = b->p;
	struct plan *pl = NULL;
	int rc;

	if (!cli_profile || !*cli_profile) {
		if ((rc = build_env(b, &pl)) != AL_OK || pl)
			goto out;
		vlog(p, "env: AWS_ACCESS_KEY_ID not set");
	}
	if ((rc = build_profile(b, b->selected, 0, &pl)) != AL_OK || pl)
		goto out;
	vlog(p, "profile %s: no credential settings", b->selected);
	if ((rc = build_web_identity_env(b, &pl)) != AL_OK || pl)
		goto out;
	if ((rc = build_container(b, &pl)) != AL_OK || pl)
		goto out;
	if ((rc = build_imds(b, &pl)) != AL_OK || pl)
		goto out;
out:
	p->root = pl;
	return rc;
}

/* plan_get for the root, turning "IMDS is not there" into the chain's
 * "no credentials" message when nothing was ever fetched. */
static int root_get(struct aws_creds_provider *p, int force, char *err, size_t err_sz)
{
	char why[512];
	int had = p->root->have;
	int rc = plan_get(p, p->root, force, why, sizeof why);
	if (rc == RC_ABSENT && !had) {
		msg_set(err, err_sz, "no AWS credentials: none in the environment (AWS_ACCESS_KEY_ID), in %s, "
		       "AWS_WEB_IDENTITY_TOKEN_FILE or AWS_CONTAINER_CREDENTIALS_*; %s", p->selected, why);
		return AL_CONFIG;
	}
	if (rc != AL_OK)
		msg_set(err, err_sz, "%s", why);
	return rc == RC_ABSENT ? AL_UNAVAILABLE : rc;
}

static int first_fetch(struct aws_creds_provider *p, char *err, size_t err_sz)
{
	return root_get(p, 0, err, err_sz);
}

int aws_creds_provider_new(const struct aws_creds_opts *opts, struct aws_creds_provider **out,
			   char *err, size_t err_sz)
{
	struct aws_creds_provider *p = NULL;
	char name[256], why[512], tmp[128];
	enum aws_profile_source psrc;
	int rc;

	*out = NULL;
	msg_set(err, err_sz, "%s", "");
	if (!opts || !opts->cfg) {
		msg_set(err, err_sz, "no configuration");
		return AL_SOFTWARE;
	}
	if (aws_config_select_profile(opts->cfg, opts->profile, name, sizeof name, &psrc, why, sizeof why)) {
		msg_set(err, err_sz, "%s", why);
		return AL_CONFIG;
	}
	if (provider_alloc(opts, &p)) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	struct build b = {.p = p, .cfg = opts->cfg, .region = opts->region && *opts->region ? opts->region : NULL,
			  .selected = name, .err = err, .err_sz = err_sz};
	rc = chain_build(&b, opts->profile);
	if (rc == AL_OK && !p->root) {
		msg_set(err, err_sz, "no AWS credentials: none in the environment (AWS_ACCESS_KEY_ID), in profile %s "
		       "(%s), AWS_WEB_IDENTITY_TOKEN_FILE or AWS_CONTAINER_CREDENTIALS_*, and the EC2 instance "
		       "metadata service is disabled (AWS_EC2_METADATA_DISABLED)",
		       msg_printable(name, tmp, sizeof tmp), aws_profile_source_name(psrc));
		rc = AL_CONFIG;
	}
	snprintf(p->selected, sizeof p->selected, "profile %s (%s)", msg_printable(name, tmp, sizeof tmp),
		 aws_profile_source_name(psrc));
	if (rc == AL_OK) {
		vlog(p, "using %s", p->root->source);
		if (!opts->no_fetch)
			rc = first_fetch(p, err, err_sz);
	}
	if (rc != AL_OK) {
		aws_creds_provider_free(p);
		return rc;
	}
	*out = p;
	return AL_OK;
}

int aws_creds_get(struct aws_creds_provider *p, struct aws_credentials *out, char *err, size_t err_sz)
{
	char tmp[512];
	if (!err || !err_sz)
		err = tmp, err_sz = sizeof tmp;
	err[0] = '\0';
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&p->lock);
	int rc = root_get(p, 0, err, err_sz);
	if (rc == AL_OK && aws_credentials_copy(out, &p->root->cur)) {
		msg_set(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

int aws_creds_refresh(struct aws_creds_provider *p, char *err, size_t err_sz)
{
	char tmp[512];
	if (!err || !err_sz)
		err = tmp, err_sz = sizeof tmp;
	err[0] = '\0';
	pthread_mutex_lock(&p->lock);
	int64_t keep = p->root->cur.expiration;
	/* a forced refresh must not hand back the old set: forget its expiry */
	if (p->root->kind != AWS_CREDS_ENV && p->root->kind != AWS_CREDS_STATIC)
		p->root->cur.expiration = 1;
	int rc = root_get(p, 1, err, err_sz);
	if (rc != AL_OK && p->root->cur.expiration == 1)
		p->root->cur.expiration = keep;
	pthread_mutex_unlock(&p->lock);
	return rc;
}

enum aws_creds_kind aws_creds_provider_kind(const struct aws_creds_provider *p)
{
	return p && p->root ? p->root->kind : AWS_CREDS_NONE;
}

void aws_creds_provider_describe(const struct aws_creds_provider *p, char *out, size_t out_sz)
{
	size_t o = 0;
	if (!out_sz)
		return;
	out[0] = '\0';
	for (const struct plan *pl = p ? p->root : NULL; pl && o + 1 < out_sz; pl = pl->src) {
		int n = snprintf(out + o, out_sz - o, "%s%s", o ? " <- " : "", pl->source);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

int aws_creds_resolve(const struct aws_creds_opts *opts, struct aws_credentials *out, char *err, size_t err_sz)
{
	struct aws_creds_provider *p;
	memset(out, 0, sizeof *out);
	int rc = aws_creds_provider_new(opts, &p, err, err_sz);
	if (rc != AL_OK)
		return rc;
	rc = aws_creds_get(p, out, err, err_sz);
	aws_creds_provider_free(p);
	return rc;
}

int aws_creds_imds_region(const struct aws_creds_opts *opts, char *region, size_t region_sz, char *err,
			  size_t err_sz)
{
	struct aws_creds_provider *p = NULL;
	struct plan *pl = NULL;
	struct http_response resp;
	char name[256], why[256], *token = NULL;
	enum aws_profile_source psrc;
	int rc, hr = HTTP_ERR_OTHER;

	memset(&resp, 0, sizeof resp);
	if (region_sz)
		region[0] = '\0';
	if (!opts || !opts->cfg ||
	    aws_config_select_profile(opts->cfg, opts->profile, name, sizeof name, &psrc, why, sizeof why))
		snprintf(name, sizeof name, "default");
	if (provider_alloc(opts ? opts : &(struct aws_creds_opts){0}, &p)) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	struct build b = {.p = p, .cfg = opts ? opts->cfg : NULL, .err = err, .err_sz = err_sz};
	b.selected = b.cfg ? name : NULL;
	if ((rc = build_imds(&b, &pl)) != AL_OK)
		goto out;
	if (!pl) {
		msg_set(err, err_sz, "IMDS is disabled (AWS_EC2_METADATA_DISABLED)");
		rc = AL_CONFIG;
		goto out;
	}
	if ((rc = need_meta(p, err, err_sz)) != AL_OK || (rc = imds_token(p, pl, &token, err, err_sz)) != AL_OK)
		goto out;
	if (imds_get(p, pl, token, "/latest/meta-data/placement/region", &resp, &hr, why, sizeof why)) {
		http_fail_msg(err, err_sz, "IMDS", pl->imds, hr, why, resp.status);
		rc = AL_CONFIG;
		goto out;
	}
	size_t n = strcspn(buf_str(&resp.body), "\r\n ");
	if (n == 0 || n >= region_sz) {
		msg_set(err, err_sz, "IMDS: no region in the answer");
		rc = AL_CONFIG;
		goto out;
	}
	memcpy(region, resp.body.data, n);
	region[n] = '\0';
	if (!aws_region_valid(region)) {
		region[0] = '\0';
		msg_set(err, err_sz, "IMDS: invalid region in the answer");
		rc = AL_CONFIG;
		goto out;
	}
	rc = AL_OK;
out:
	if (rc == RC_ABSENT)
		rc = AL_CONFIG;
	wipe_response(&resp);
	wipe_str(token);
	plan_free(pl);
	aws_creds_provider_free(p);
	return rc;
}

/* ------------------------------------------------------ caller identity */

int aws_creds_parse_caller_identity(const char *body, size_t len, struct aws_caller_identity *out,
				    char *err, size_t err_sz)
{
	struct jfield f[3] = {
		{"GetCallerIdentityResponse.GetCallerIdentityResult.Arn", J_ABSENT, NULL},
		{"GetCallerIdentityResponse.GetCallerIdentityResult.Account", J_ABSENT, NULL},
		{"GetCallerIdentityResponse.GetCallerIdentityResult.UserId", J_ABSENT, NULL},
	};
	static const char *const names[3] = {"Arn", "Account", "UserId"};
	char *dst[3] = {out->arn, out->account, out->user_id};
	size_t sz[3] = {sizeof out->arn, sizeof out->account, sizeof out->user_id};
	int rc = AL_UNAVAILABLE;

	memset(out, 0, sizeof *out);
	if (looks_like_json(body, len)) {
		int r = json_extract(body, len, f, 3);
		if (r == -2) {
			msg_set(err, err_sz, "GetCallerIdentity: out of memory");
			return AL_SOFTWARE;
		}
		if (r) {
			msg_set(err, err_sz, "GetCallerIdentity: the answer is not valid JSON");
			return rc;
		}
	} else {
		for (int i = 0; i < 3; i++) {
			f[i].val = xml_text(body, len, "GetCallerIdentityResult", names[i]);
			f[i].type = f[i].val ? J_STRING : J_ABSENT;
		}
	}
	for (int i = 0; i < 3; i++) {
		if (f[i].type != J_STRING || !cred_str_ok(f[i].val) || strlen(f[i].val) >= sz[i]) {
			msg_set(err, err_sz, "GetCallerIdentity: the answer has no valid %s", names[i]);
			memset(out, 0, sizeof *out);
			goto out;
		}
		memcpy(dst[i], f[i].val, strlen(f[i].val) + 1);
	}
	rc = AL_OK;
out:
	jfields_free(f, 3);
	return rc;
}

int aws_creds_caller_identity(struct aws_client *client, const char *sts_url, const char *signing_region,
			      const struct aws_credentials *creds, struct aws_caller_identity *out,
			      char *err, size_t err_sz)
{
	static const struct http_header hdrs[] = {
		{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
		{"Accept", "application/json"},
	};
	static const char body[] = "Action=GetCallerIdentity&Version=2011-06-15";
	char base[AWS_ENDPOINT_URL_MAX], prefix[AWS_ENDPOINT_URL_MAX], path[AWS_ENDPOINT_URL_MAX + 2], tmp[128];
	struct http_response resp;
	struct aws_error aerr;
	int rc;

	memset(out, 0, sizeof *out);
	memset(&resp, 0, sizeof resp);
	memset(&aerr, 0, sizeof aerr);
	if (split_url(sts_url, base, sizeof base, prefix, sizeof prefix)) {
		msg_set(err, err_sz, "bad STS endpoint '%s'", msg_printable(sts_url, tmp, sizeof tmp));
		return AL_CONFIG;
	}
	snprintf(path, sizeof path, "%s/", prefix);
	struct aws_call call = {
		.operation = "GetCallerIdentity",
		.endpoint = base,
		.region = signing_region && *signing_region ? signing_region : "us-east-1",
		.service = "sts",
		.method = "POST",
		.path = path,
		.headers = hdrs,
		.nheaders = 2,
		.body = body,
		.body_len = sizeof body - 1,
	};
	rc = aws_request(client, &call, creds, &resp, &aerr);
	if (rc == AL_OK)
		rc = aws_creds_parse_caller_identity(buf_str(&resp.body), resp.body.len, out, err, err_sz);
	else
		msg_set(err, err_sz, "%s", aerr.message[0] ? aerr.message : "GetCallerIdentity failed");
	http_response_free(&resp);
	return rc;
}
