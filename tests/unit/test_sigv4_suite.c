/* Runs a folder of SigV4 test vectors through sigv4_sign, header and query
 * (presign) variants: the repository's own (tests/sigv4/vectors, signed by
 * botocore; tests/sigv4/README.md) and, when a copy is around, the official
 * AWS suite of aws-c-auth (tests/aws-signing-test-suite/v4 in
 * https://github.com/awslabs/aws-c-auth), which uses the same layout.
 *
 * usage: test_sigv4_suite SUITE_DIR MIN_CASES
 * A case folder holds context.json and request.txt, then header-*.txt and,
 * unless the case is header-only, query-*.txt (see tests/sigv4/README.md). */
#include "buf.h"
#include "aws/sigv4.h"
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include <yajl/yajl_tree.h>

/* An HTTP/1.1 request as written in request.txt / *-signed-request.txt. */
struct http_msg {
	char *method;
	char *target; /* path?query as written */
	char *path;
	char *query;  /* NULL when there is no '?' */
	struct sigv4_header *headers; /* name/value strings owned here */
	size_t n_headers;
	char *body;
	size_t body_len;
};

struct case_ctx {
	char *access_key_id;
	char *secret_access_key;
	char *token;
	char *region;
	char *service;
	time_t time;
	long expires;
	int normalize;
	int sign_body;
	int omit_session_token;
};

static char *read_file(const char *dir, const char *name, size_t *lenp)
{
	struct buf path = BUF_INIT, data = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f;

	buf_printf(&path, "%s/%s", dir, name);
	f = fopen(buf_str(&path), "rb");
	buf_free(&path);
	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&data, chunk, n);
	fclose(f);
	if (lenp)
		*lenp = data.len;
	return buf_take(&data);
}

static void http_msg_free(struct http_msg *m)
{
	free(m->method);
	free(m->target);
	free(m->path);
	free(m->query);
	for (size_t i = 0; i < m->n_headers; i++) {
		free((char *)m->headers[i].name);
		free((char *)m->headers[i].value);
	}
	free(m->headers);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Request line "METHOD SP target SP HTTP/1.1" (the target may hold spaces:
 * get-space-*), header lines "Name:Value", continuation lines starting with
 * SP/HT folded into the previous value with one space, then an optional
 * blank line and body. */
static int parse_http(const char *text, size_t len, struct http_msg *m)
{
	const char *end = text + len;
	const char *eol = memchr(text, '\n', len);
	const char *line_end = eol ? eol : end;
	const char *sp1 = memchr(text, ' ', (size_t)(line_end - text));
	const char *sp2 = line_end;
	size_t cap = 0;

	memset(m, 0, sizeof(*m));
	while (sp2 > text && sp2[-1] != ' ')
		sp2--;
	if (!sp1 || sp2 <= sp1 + 1)
		return -1;
	m->method = dup_n(text, (size_t)(sp1 - text));
	m->target = dup_n(sp1 + 1, (size_t)(sp2 - 1 - (sp1 + 1)));
	const char *qm = strchr(m->target, '?');
	if (qm) {
		m->path = dup_n(m->target, (size_t)(qm - m->target));
		m->query = strdup(qm + 1);
	} else {
		m->path = strdup(m->target);
	}

	const char *p = eol ? eol + 1 : end;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (le == p) { /* blank line: body follows */
			p = nl ? nl + 1 : end;
			m->body_len = (size_t)(end - p);
			m->body = dup_n(p, m->body_len);
			break;
		}
		if ((*p == ' ' || *p == '\t') && m->n_headers > 0) {
			/* obs-fold: join with a single space; the signer squeezes the rest */
			struct sigv4_header *h = &m->headers[m->n_headers - 1];
			const char *c = p;
			while (c < le && (*c == ' ' || *c == '\t'))
				c++;
			struct buf v = BUF_INIT;
			buf_puts(&v, h->value);
			buf_putc(&v, ' ');
			buf_append(&v, c, (size_t)(le - c));
			free((char *)h->value);
			h->value = buf_take(&v);
		} else {
			const char *colon = memchr(p, ':', (size_t)(le - p));
			if (!colon)
				return -1;
			if (m->n_headers == cap) {
				cap = cap ? cap * 2 : 8;
				m->headers = realloc(m->headers, cap * sizeof(*m->headers));
				if (!m->headers)
					return -1;
			}
			m->headers[m->n_headers].name = dup_n(p, (size_t)(colon - p));
			m->headers[m->n_headers].value = dup_n(colon + 1, (size_t)(le - colon - 1));
			m->n_headers++;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static const char *find_header(const struct http_msg *m, const char *name)
{
	for (size_t i = 0; i < m->n_headers; i++)
		if (strcasecmp(m->headers[i].name, name) == 0)
			return m->headers[i].value;
	return NULL;
}

static char *json_str(yajl_val root, const char *a, const char *b)
{
	const char *path[3] = {a, b, NULL};
	const char *s = YAJL_GET_STRING(yajl_tree_get(root, path, yajl_t_string));
	return s ? strdup(s) : NULL;
}

static int json_bool(yajl_val root, const char *key)
{
	const char *path[2] = {key, NULL};
	return YAJL_IS_TRUE(yajl_tree_get(root, path, yajl_t_any));
}

static void case_ctx_free(struct case_ctx *c)
{
	free(c->access_key_id);
	free(c->secret_access_key);
	free(c->token);
	free(c->region);
	free(c->service);
	memset(c, 0, sizeof(*c));
}

static int load_context(const char *dir, struct case_ctx *c)
{
	char err[256];
	char *text = read_file(dir, "context.json", NULL);
	yajl_val root;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (!text)
		return -1;
	root = yajl_tree_parse(text, err, sizeof(err));
	free(text);
	if (!root) {
		printf("# %s/context.json: %s\n", dir, err);
		return -1;
	}
	c->access_key_id = json_str(root, "credentials", "access_key_id");
	c->secret_access_key = json_str(root, "credentials", "secret_access_key");
	c->token = json_str(root, "credentials", "token");
	c->region = json_str(root, "region", NULL);
	c->service = json_str(root, "service", NULL);
	c->normalize = json_bool(root, "normalize");
	c->sign_body = json_bool(root, "sign_body");
	c->omit_session_token = json_bool(root, "omit_session_token");
	const char *exp_path[] = {"expiration_in_seconds", NULL};
	yajl_val exp = yajl_tree_get(root, exp_path, yajl_t_number);
	c->expires = exp && YAJL_IS_INTEGER(exp) ? (long)YAJL_GET_INTEGER(exp) : 3600;

	char *ts = json_str(root, "timestamp", NULL);
	struct tm tm = {0};
	if (ts && sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		c->time = timegm(&tm);
		rc = 0;
	}
	free(ts);
	yajl_tree_free(root);
	if (!c->access_key_id || !c->secret_access_key || !c->region || !c->service)
		rc = -1;
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The X-Amz-* parameters of query (split on '&'), sorted and re-joined, so
 * two differently ordered queries compare equal. */
static char *xamz_params_sorted(const char *query)
{
	char *copy = strdup(query ? query : "");
	char *parts[64];
	size_t n = 0;
	struct buf out = BUF_INIT;

	for (char *save = NULL, *tok = strtok_r(copy, "&", &save); tok && n < 64;
	     tok = strtok_r(NULL, "&", &save))
		if (strncmp(tok, "X-Amz-", 6) == 0)
			parts[n++] = tok;
	qsort(parts, n, sizeof(parts[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&out, '&');
		buf_puts(&out, parts[i]);
	}
	free(copy);
	return buf_take(&out);
}

static char *read_trim(const char *dir, const char *name)
{
	/* The files have no trailing newline, but be lenient with one. */
	size_t len = 0;
	char *s = read_file(dir, name, &len);
	while (s && len > 0 && s[len - 1] == '\n')
		s[--len] = '\0';
	return s;
}

/* The signer's inputs for one variant of a case. */
static void fill_request(const struct case_ctx *c, const struct http_msg *req, enum sigv4_mode mode,
			 struct sigv4_request *r, struct sigv4_credentials *cr)
{
	r->method = req->method;
	r->path = req->path;
	r->query = req->query;
	r->headers = req->headers;
	r->n_headers = req->n_headers;
	r->body = req->body;
	r->body_len = req->body_len;
	r->region = c->region;
	r->service = c->service;
	r->time = c->time;
	r->normalize_path = c->normalize;
	r->sign_body = c->sign_body;
	r->mode = mode;
	r->expires = c->expires;
	cr->access_key_id = c->access_key_id;
	cr->secret_access_key = c->secret_access_key;
	cr->session_token = c->token;
	cr->omit_session_token = c->omit_session_token;
}

static int has_file(const char *dir, const char *name)
{
	struct buf path = BUF_INIT;
	buf_printf(&path, "%s/%s", dir, name);
	int found = access(buf_str(&path), R_OK) == 0;
	buf_free(&path);
	return found;
}

static void check_header_variant(const char *name, const char *dir, const struct case_ctx *c,
				 const struct http_msg *req)
{
	struct sigv4_request r = {0};
	struct sigv4_credentials cr = {0};
	struct sigv4_result res;
	char *want_creq = read_file(dir, "header-canonical-request.txt", NULL);
	char *want_sts = read_file(dir, "header-string-to-sign.txt", NULL);
	char *want_sig = read_trim(dir, "header-signature.txt");
	size_t slen = 0;
	char *signed_text = read_file(dir, "header-signed-request.txt", &slen);
	struct http_msg sreq = {0};

	fill_request(c, req, SIGV4_MODE_HEADER, &r, &cr);

	char why[256] = "";
	int rc = sigv4_sign(&r, &cr, &res, why, sizeof why);
	if (!is_int(rc, 0, "%s header: sigv4_sign succeeds", name))
		printf("#   error: %s\n", why);
	is_str(res.canonical_request, want_creq, "%s header: canonical request", name);
	is_str(res.string_to_sign, want_sts, "%s header: string to sign", name);
	is_str(rc == 0 ? res.signature : NULL, want_sig, "%s header: signature", name);

	if (!signed_text || parse_http(signed_text, slen, &sreq)) {
		ok(0, "%s header: parse header-signed-request.txt", name);
		goto out;
	}
	is_str(res.authorization, find_header(&sreq, "Authorization"),
	       "%s header: Authorization matches header-signed-request.txt", name);

	/* The signed request holds every header sigv4_sign asked to add, with
	 * the same value (a stale copy in request.txt replaced), and nothing
	 * new besides them and Authorization; order does not matter. */
	size_t added = 0, unexplained = 0;
	for (size_t k = 0; k < res.n_add_headers; k++) {
		const char *v = find_header(&sreq, res.add_headers[k].name);
		added += v && strcmp(v, res.add_headers[k].value) == 0;
	}
	for (size_t i = 0; i < sreq.n_headers; i++) {
		const char *hn = sreq.headers[i].name;
		int from_signer = 0;
		for (size_t k = 0; k < res.n_add_headers; k++)
			from_signer |= strcasecmp(res.add_headers[k].name, hn) == 0;
		unexplained += !from_signer && strcasecmp(hn, "Authorization") != 0 &&
			       !find_header(req, hn);
	}
	ok(added == res.n_add_headers && unexplained == 0,
	   "%s header: added headers match (%zu of %zu from signer found, %zu unexplained)", name,
	   added, res.n_add_headers, unexplained);
out:
	http_msg_free(&sreq);
	sigv4_result_free(&res);
	free(want_creq);
	free(want_sts);
	free(want_sig);
	free(signed_text);
}

static void check_query_variant(const char *name, const char *dir, const struct case_ctx *c,
				const struct http_msg *req)
{
	struct sigv4_request r = {0};
	struct sigv4_credentials cr = {0};
	struct sigv4_result res;
	char *want_creq = read_file(dir, "query-canonical-request.txt", NULL);
	char *want_sts = read_file(dir, "query-string-to-sign.txt", NULL);
	char *want_sig = read_trim(dir, "query-signature.txt");
	size_t slen = 0;
	char *signed_text = read_file(dir, "query-signed-request.txt", &slen);
	struct http_msg sreq = {0};
	char *want_params = NULL, *got_params = NULL, *got_sq = NULL;

	fill_request(c, req, SIGV4_MODE_QUERY, &r, &cr);

	char why[256] = "";
	int rc = sigv4_sign(&r, &cr, &res, why, sizeof why);
	if (!is_int(rc, 0, "%s query: sigv4_sign succeeds", name))
		printf("#   error: %s\n", why);
	is_str(res.canonical_request, want_creq, "%s query: canonical request", name);
	is_str(res.string_to_sign, want_sts, "%s query: string to sign", name);
	is_str(rc == 0 ? res.signature : NULL, want_sig, "%s query: signature", name);

	if (!signed_text || parse_http(signed_text, slen, &sreq)) {
		ok(0, "%s query: parse query-signed-request.txt", name);
		goto out;
	}
	/* The file's parameter order is not canonical: compare the X-Amz-* set. */
	want_params = xamz_params_sorted(sreq.query);
	got_params = xamz_params_sorted(res.presign_params);
	is_str(got_params, want_params, "%s query: X-Amz-* parameters match query-signed-request.txt",
	       name);
	/* signed_query must carry the same set (plus the request's own params). */
	got_sq = xamz_params_sorted(res.signed_query);
	is_str(got_sq, want_params, "%s query: signed_query carries the same X-Amz-* set", name);
out:
	http_msg_free(&sreq);
	sigv4_result_free(&res);
	free(want_creq);
	free(want_sts);
	free(want_sig);
	free(signed_text);
	free(want_params);
	free(got_params);
	free(got_sq);
}

static void run_case(const char *suite, const char *name)
{
	struct buf dir = BUF_INIT;
	struct case_ctx c;
	struct http_msg req = {0};
	size_t len = 0;
	char *text;

	buf_printf(&dir, "%s/%s", suite, name);
	text = read_file(buf_str(&dir), "request.txt", &len);
	if (!ok(load_context(buf_str(&dir), &c) == 0 && text && parse_http(text, len, &req) == 0,
		"%s: load context.json and request.txt", name))
		goto out;
	check_header_variant(name, buf_str(&dir), &c, &req);
	if (has_file(buf_str(&dir), "query-canonical-request.txt"))
		check_query_variant(name, buf_str(&dir), &c, &req);
	else
		printf("# %s: header-only case\n", name);
out:
	case_ctx_free(&c);
	http_msg_free(&req);
	free(text);
	buf_free(&dir);
}

int main(int argc, char **argv)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct stat st;
	DIR *d;

	if (argc != 3) {
		fprintf(stderr, "usage: test_sigv4_suite SUITE_DIR MIN_CASES\n");
		return 2;
	}
	const char *suite = argv[1];
	size_t min_cases = strtoul(argv[2], NULL, 10);
	if (!(d = opendir(suite))) {
		printf("Bail out! cannot open %s: %s\n", suite, strerror(errno));
		return 1;
	}

	/* Case folders are the subdirectories holding a context.json. */
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		struct buf p = BUF_INIT;
		if (e->d_name[0] == '.')
			continue;
		buf_printf(&p, "%s/%s/context.json", suite, e->d_name);
		int is_case = stat(buf_str(&p), &st) == 0 && S_ISREG(st.st_mode);
		buf_free(&p);
		if (!is_case)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				return 1;
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);

	ok(n >= min_cases, "found %zu case folders in %s (at least %zu expected)", n, suite, min_cases);
	for (size_t i = 0; i < n; i++) {
		run_case(suite, names[i]);
		free(names[i]);
	}
	free(names);
	return tap_done();
}
