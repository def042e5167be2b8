#include "aws_doc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "aws_secret.h"
#include "msg.h"
#include "status.h"
#include "timeutil.h"

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

#define JPATH_BAD ((size_t)-1)

struct jctx {
	struct aws_doc_field *f;
	size_t nf;
	char path[256];
	size_t plen;
	size_t base[32];
	int depth, arrays, top_map, oom;
};

void aws_doc_fields_free(struct aws_doc_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		aws_secret_free(f[i].val);
		f[i].val = NULL;
		f[i].type = AWS_DOC_ABSENT;
	}
}

static struct aws_doc_field *jmatch(struct jctx *c)
{
	if (c->arrays || c->plen == JPATH_BAD)
		return NULL;
	for (size_t i = 0; i < c->nf; i++)
		if (strcmp(c->f[i].path, c->path) == 0)
			return &c->f[i];
	return NULL;
}

static int j_value(struct jctx *c, enum aws_doc_type t, const char *s, size_t n)
{
	struct aws_doc_field *f = jmatch(c);
	if (!f)
		return 1;
	aws_secret_free(f->val);
	f->val = NULL;
	f->type = t;
	if (s) {
		if (memchr(s, '\0', n)) {
			f->type = AWS_DOC_OTHER;
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
	return j_value(ctx, AWS_DOC_NULL, NULL, 0);
}

static int j_bool(void *ctx, int v)
{
	return j_value(ctx, AWS_DOC_BOOL, v ? "true" : "false", v ? 4 : 5);
}

static int j_number(void *ctx, const char *s, size_t n)
{
	return j_value(ctx, AWS_DOC_NUMBER, s, n);
}

static int j_string(void *ctx, const unsigned char *s, size_t n)
{
	return j_value(ctx, AWS_DOC_STRING, (const char *)s, n);
}

static int j_open(struct jctx *c, int array)
{
	if (c->depth == 0 && !array)
		c->top_map = 1;
	if (c->depth > 0 || array)
		j_value(c, AWS_DOC_OTHER, NULL, 0);
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

int aws_doc_json(const char *data, size_t len, struct aws_doc_field *f, size_t nf, char *err, size_t err_sz)
{
	yajl_alloc_funcs afs = {j_malloc, j_realloc, j_free, NULL};
	struct jctx c = {.f = f, .nf = nf};
	int rc = AL_OK;
	aws_doc_fields_free(f, nf);
	yajl_handle h = yajl_alloc(&jcallbacks, &afs, &c);
	if (!h) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	if (yajl_parse(h, (const unsigned char *)data, len) != yajl_status_ok ||
	    yajl_complete_parse(h) != yajl_status_ok || !c.top_map)
		rc = c.oom ? AL_SOFTWARE : AL_DATAERR;
	yajl_free(h);
	OPENSSL_cleanse(c.path, sizeof c.path);
	if (rc) {
		aws_doc_fields_free(f, nf);
		msg_set(err, err_sz, "%s", rc == AL_SOFTWARE ? "out of memory" : "not a JSON object");
	}
	return rc;
}

const char *aws_doc_first_string(const struct aws_doc_field *f, size_t nf)
{
	for (size_t i = 0; i < nf; i++)
		if (f[i].type == AWS_DOC_STRING)
			return f[i].val;
	return NULL;
}

int aws_doc_is_json_object(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i < n && s[i] == '{';
}

int aws_doc_json_has_nul(const char *body, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (body[i] == '\\') {
			if (body[i + 1] == 'u' && i + 5 < len && memcmp(body + i + 2, "0000", 4) == 0)
				return 1;
			i++; /* the escaped character */
		}
	return 0;
}

int aws_doc_json_valid(const char *s, size_t len)
{
	yajl_handle h = yajl_alloc(NULL, NULL, NULL);
	if (!h)
		return 0;
	int ok = yajl_parse(h, (const unsigned char *)s, len) == yajl_status_ok &&
		 yajl_complete_parse(h) == yajl_status_ok;
	yajl_free(h);
	return ok;
}

int aws_doc_time(const struct aws_doc_field *f, int ms, int64_t *out)
{
	const char *v = f->val;
	if (!v)
		return -1;
	if (f->type == AWS_DOC_STRING) {
		char tmp[64];
		size_t n = strlen(v);
		if (n < 8 || n >= sizeof tmp)
			return -1;
		memcpy(tmp, v, n + 1);
		if (n > 3 && strcmp(tmp + n - 3, "UTC") == 0)
			tmp[n -= 3] = '\0';
		return time_parse(tmp, n, out);
	}
	if (f->type == AWS_DOC_NUMBER) {
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

/* ------------------------------------------------------------------ XML */

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

/* The first "<name>" or "</name>" (any case) in [p, end), or NULL. */
static const char *find_tag(const char *p, const char *end, const char *name, int closing)
{
	size_t n = strlen(name), want = n + 2 + (size_t)closing;
	for (; p < end && (size_t)(end - p) >= want; p++) {
		if (p[0] != '<' || (closing && p[1] != '/'))
			continue;
		const char *q = p + 1 + closing;
		if (strncasecmp(q, name, n) == 0 && q[n] == '>')
			return p;
	}
	return NULL;
}

/* [*p, *end) narrowed to the content of the first <name> element. */
static int xml_element(const char **p, const char **end, const char *name)
{
	const char *s = find_tag(*p, *end, name, 0);
	if (!s)
		return -1;
	s += strlen(name) + 2;
	const char *e = find_tag(s, *end, name, 1);
	if (!e)
		return -1;
	*p = s;
	*end = e;
	return 0;
}

char *aws_doc_xml_text(const char *doc, size_t len, const char *scope, const char *tag)
{
	const char *p = doc, *end = doc + len;
	if ((scope && xml_element(&p, &end, scope)) || xml_element(&p, &end, tag))
		return NULL;
	char *v = malloc((size_t)(end - p) + 1);
	if (!v)
		return NULL;
	memcpy(v, p, (size_t)(end - p));
	v[end - p] = '\0';
	xml_unescape(v);
	return v;
}

/* yajl_tree wants a NUL-terminated document; response bodies are bufs
 * (always NUL-terminated) but the unit tests and fuzzers pass slices. */
yajl_val aws_doc_tree(const char *body, size_t len, char *err, size_t err_sz)
{
	char ebuf[128];
	char *copy = malloc(len + 1);
	if (!copy) {
		msg_set(err, err_sz, "out of memory");
		return NULL;
	}
	memcpy(copy, body, len);
	copy[len] = '\0';
	yajl_val tree = yajl_tree_parse(copy, ebuf, sizeof(ebuf));
	free(copy);
	if (!tree) {
		ebuf[strcspn(ebuf, "\r\n")] = '\0';
		msg_set(err, err_sz, "the response is not JSON: %s", ebuf);
	}
	return tree;
}

yajl_val aws_doc_member(yajl_val obj, const char *name)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], name) == 0)
			return obj->u.object.values[i];
	return NULL;
}

const char *aws_doc_str(yajl_val v)
{
	return YAJL_IS_STRING(v) ? v->u.string : NULL;
}
