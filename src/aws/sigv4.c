/* AWS Signature Version 4 signer; see sigv4.h for the rules.
 *
 * The pipeline is a chain of static steps, as in curl's http_aws_sigv4.c:
 * canon_path + canon_query + canon_headers -> canonical request ->
 * string to sign -> derived key -> signature -> headers or query params.
 * Every step appends to a struct buf; buffers are sticky on OOM, so a step
 * checks b.oom once at its end instead of after every append. */
#include "sigv4.h"

#include "aws_secret.h"
#include "buf.h"
#include "msg.h"
#include "status.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <stdlib.h>
#include <string.h>

/* Secrets (the "AWS4"+secret key, the derived keys) and buffers that held the
 * session token are wiped through aws_secret_wipe (OPENSSL_cleanse, which the
 * compiler may not elide; the unit test watches each wipe). */
#define WIPE(p, n) aws_secret_wipe((p), (n))

/* The one allocation-failure reason: sigv4_sign tells it apart by identity. */
static const char oom_text[] = "out of memory";

#define SHA256_LEN 32
#define SCOPE_TERMINATOR "aws4_request"

/* Never signed: hop-by-hop headers a proxy or libcurl may add, drop or
 * rewrite (botocore's SIGNED_HEADERS_BLACKLIST), plus the three headers this
 * signer produces itself, so a re-sign never signs a stale copy. */
static const char *const skip_headers[] = {
	"authorization", "connection", "expect", "keep-alive",
	"proxy-authenticate", "proxy-authorization", "te", "trailer",
	"transfer-encoding", "upgrade", "user-agent", "x-amz-date",
	"x-amz-security-token", "x-amzn-trace-id", NULL,
};

/* Query parameters owned by presigning; a query that already has them is
 * ambiguous (which signature wins?), so query mode refuses it. */
static const char *const presign_names[] = {
	"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
	"X-Amz-Security-Token", "X-Amz-Signature", "X-Amz-SignedHeaders", NULL,
};

struct qparam {
	char *key;   /* encoded */
	char *value; /* encoded */
};

struct qlist {
	struct qparam *v;
	size_t n, cap;
};

struct hdr {
	char *name;  /* lower-case */
	char *value; /* trimmed, whitespace collapsed */
	size_t seq;  /* arrival order: keeps repeated headers stable in qsort */
};

struct hlist {
	struct hdr *v;
	size_t n, cap;
};

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

static int is_tchar(unsigned char c)
{
	/* RFC 9110 token characters: what a method or header name may hold. */
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* 0 when s is a non-empty string safe inside the Authorization header or
 * the credential scope: no separators the receiver would split on. */
static int check_scope_part(const char *s)
{
	if (!s || !*s)
		return -1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '/' || *p == ',' || *p == ';' || *p == '=')
			return -1;
	return 0;
}

/* 0 when no byte of s could split or inject an HTTP header line. */
static int check_header_value(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < ' ' && *p != '\t') || *p == 0x7f)
			return -1;
	return 0;
}

int sigv4_uri_encode(struct buf *b, const char *s, size_t len, int keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t run = 0; /* start of the pending run of bytes copied as-is */

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (is_unreserved(c) || (keep_slash && c == '/'))
			continue;
		char esc[3] = {'%', digits[c >> 4], digits[c & 0x0f]};
		buf_append(b, s + run, i - run);
		buf_append(b, esc, 3);
		run = i + 1;
	}
	buf_append(b, s + run, len - run);
	return b->oom ? -1 : 0;
}

/* Appends s with every valid %XX decoded; a stray '%' stays literal (and is
 * then re-encoded as %25), which is what the service does with it too. */
static int uri_decode(struct buf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < len && (hi = buf_hexval(s[i + 1])) >= 0 &&
		    (lo = buf_hexval(s[i + 2])) >= 0) {
			buf_putc(b, (char)(hi << 4 | lo));
			i += 2;
		} else {
			buf_putc(b, s[i]);
		}
	}
	return b->oom ? -1 : 0;
}

int sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[SHA256_LEN];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != SHA256_LEN)
		return -1;
	hex_encode(md, SHA256_LEN, hex);
	return 0;
}

/* Dot-segment removal and '/' collapsing, with botocore's exact results
 * (utils.remove_dot_segments) so both sides agree on odd paths: ".." at the
 * root stays at the root, and a trailing '/' survives only when the input
 * ended with one and something is left. */
static int normalize_path(struct buf *out, const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i;
		while (j < len && p[j] != '/')
			j++;
		size_t n = j - i;
		if (n == 2 && p[i] == '.' && p[i + 1] == '.') {
			/* out is "/seg/seg..." here, so popping is a cut at the last '/' */
			while (out->len > 0 && out->data[out->len - 1] != '/')
				out->len--;
			if (out->len > 0)
				out->len--;
			if (out->data)
				out->data[out->len] = '\0';
		} else if (n > 0 && !(n == 1 && p[i] == '.')) {
			buf_putc(out, '/');
			buf_append(out, p + i, n);
		}
		i = j + 1;
	}
	if (out->len > 0 && len > 0 && p[len - 1] == '/')
		buf_putc(out, '/');
	return out->oom ? -1 : 0;
}

static int canon_path(struct buf *creq, const char *path, int normalize)
{
	struct buf tmp = BUF_INIT;
	const char *p = path ? path : "";
	size_t len = strlen(p);
	int rc = -1;

	if (normalize) {
		if (normalize_path(&tmp, p, len))
			goto out;
		p = buf_str(&tmp);
		len = tmp.len;
	}
	/* An empty canonical URI is never valid; the request line sends "/". */
	if (len == 0) {
		p = "/";
		len = 1;
	}
	rc = sigv4_uri_encode(creq, p, len, 1);
out:
	buf_free(&tmp);
	return rc;
}

/* The array v (n used of *cap elements of size el) with room for one more,
 * or NULL (v unchanged).  The arrays hold pointers only, so realloc()
 * copies no secret. */
static void *grow(void *v, size_t n, size_t *cap, size_t el)
{
	if (n < *cap)
		return v;
	size_t nc = *cap ? *cap * 2 : 16;
	void *nv = realloc(v, nc * el);
	if (nv)
		*cap = nc;
	return nv;
}

static int qlist_add(struct qlist *q, char *key, char *value)
{
	struct qparam *v = grow(q->v, q->n, &q->cap, sizeof(*v));
	if (!v)
		return -1;
	q->v = v;
	q->v[q->n].key = key;
	q->v[q->n].value = value;
	q->n++;
	return 0;
}

static void qlist_free(struct qlist *q)
{
	for (size_t i = 0; i < q->n; i++) {
		aws_secret_free(q->v[i].key);
		aws_secret_free(q->v[i].value);
	}
	free(q->v);
	memset(q, 0, sizeof(*q));
}

/* A freshly allocated encoded copy of len bytes of s, or NULL (OOM). */
static char *encode_dup(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	if (sigv4_uri_encode(&b, s, len, 0)) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

/* Lengths, not strlen: a decoded "%00" is a real byte of the name or value. */
static int qlist_add_encoded_n(struct qlist *q, const char *key, size_t klen, const char *value,
			       size_t vlen)
{
	char *k = encode_dup(key, klen);
	char *v = encode_dup(value, vlen);
	if (!k || !v || qlist_add(q, k, v)) {
		aws_secret_free(k);
		aws_secret_free(v);
		return -1;
	}
	return 0;
}

static int qlist_add_encoded(struct qlist *q, const char *key, const char *value)
{
	return qlist_add_encoded_n(q, key, strlen(key), value, strlen(value));
}

/* Splits the request query into encoded pairs.  refuse_presign: fail on a
 * parameter that presigning would add (error via *why). */
static int parse_query(struct qlist *q, const char *query, int refuse_presign, const char **why)
{
	struct buf dk = BUF_INIT, dv = BUF_INIT;
	const char *p = query ? query : "";
	int rc = -1;

	while (*p) {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);
		/* "a&&b" and a trailing '&' carry no parameter: skip them rather
		 * than signing a phantom "=". */
		if (n > 0) {
			const char *eq = memchr(p, '=', n);
			size_t kn = eq ? (size_t)(eq - p) : n;
			buf_reset(&dk);
			buf_reset(&dv);
			if (uri_decode(&dk, p, kn))
				goto oom;
			if (eq && uri_decode(&dv, eq + 1, n - kn - 1))
				goto oom;
			if (refuse_presign) {
				for (size_t i = 0; presign_names[i]; i++) {
					if (strcmp(buf_str(&dk), presign_names[i]) == 0) {
						*why = "query already holds X-Amz-* presign parameters";
						goto out;
					}
				}
			}
			if (qlist_add_encoded_n(q, buf_str(&dk), dk.len, buf_str(&dv), dv.len))
				goto oom;
		}
		p += n;
		if (*p == '&')
			p++;
	}
	rc = 0;
	goto out;
oom:
	*why = oom_text;
out:
	aws_secret_buf_free(&dk);
	aws_secret_buf_free(&dv);
	return rc;
}

static int cmp_qparam(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->value, y->value);
}

/* Sorted "k=v&k=v"; byte order of the encoded forms, as the service does. */
static int canon_query(struct buf *out, struct qlist *q)
{
	if (q->n > 1)
		qsort(q->v, q->n, sizeof(*q->v), cmp_qparam);
	for (size_t i = 0; i < q->n; i++) {
		if (i)
			buf_putc(out, '&');
		buf_puts(out, q->v[i].key);
		buf_putc(out, '=');
		buf_puts(out, q->v[i].value);
	}
	return out->oom ? -1 : 0;
}

static int hlist_add(struct hlist *h, char *name, char *value)
{
	struct hdr *v = grow(h->v, h->n, &h->cap, sizeof(*v));
	if (!v)
		return -1;
	h->v = v;
	h->v[h->n].name = name;
	h->v[h->n].value = value;
	h->v[h->n].seq = h->n;
	h->n++;
	return 0;
}

static void hlist_free(struct hlist *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].name);
		aws_secret_free(h->v[i].value);
	}
	free(h->v);
	memset(h, 0, sizeof(*h));
}

/* Trimall: strip SP/HT at both ends, squeeze inner SP/HT runs to one space.
 * Quoted strings get the same treatment: the AWS suite's get-header-value-trim
 * expects "a   b   c" to sign as "a b c". */
static char *trimall_dup(const char *v)
{
	struct buf b = BUF_INIT;
	int pending_space = 0;

	buf_grow(&b, strlen(v));
	for (const char *p = v; *p; p++) {
		if (is_ows(*p)) {
			pending_space = b.len > 0;
			continue;
		}
		if (pending_space) {
			buf_putc(&b, ' ');
			pending_space = 0;
		}
		buf_putc(&b, *p);
	}
	/* buf_grow alone leaves no terminator; an all-blank value needs one. */
	buf_append(&b, "", 0);
	if (b.oom) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

static int hlist_add_copy(struct hlist *h, const char *name, const char *value)
{
	char *n = strdup(name);
	char *v = trimall_dup(value);
	if (!n || !v || hlist_add(h, n, v)) {
		free(n);
		aws_secret_free(v);
		return -1;
	}
	return 0;
}

static int cmp_hdr(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Collects the headers to sign from the request, lower-cased, validated and
 * filtered.  *has_host tells whether a Host header was among them. */
static int collect_headers(struct hlist *h, const struct sigv4_request *req, int skip_sha,
			   int *has_host, const char **why)
{
	char lname[128];

	*has_host = 0;
	for (size_t i = 0; i < req->n_headers; i++) {
		const char *name = req->headers[i].name;
		const char *value = req->headers[i].value ? req->headers[i].value : "";
		size_t nlen = name ? strlen(name) : 0;

		if (nlen == 0 || nlen >= sizeof(lname)) {
			*why = "header name empty or too long";
			return -1;
		}
		for (size_t k = 0; k < nlen; k++) {
			unsigned char c = (unsigned char)name[k];
			if (!is_tchar(c)) {
				*why = "header name has a character outside RFC 9110 token";
				return -1;
			}
			lname[k] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
		}
		lname[nlen] = '\0';
		if (check_header_value(value)) {
			*why = "header value holds a control character (CR/LF?)";
			return -1;
		}
		int skip = 0;
		for (size_t k = 0; skip_headers[k] && !skip; k++)
			skip = strcmp(lname, skip_headers[k]) == 0;
		if (skip_sha && strcmp(lname, "x-amz-content-sha256") == 0)
			skip = 1;
		if (skip)
			continue;
		if (strcmp(lname, "host") == 0)
			*has_host = 1;
		if (hlist_add_copy(h, lname, value)) {
			*why = oom_text;
			return -1;
		}
	}
	return 0;
}

/* Appends the canonical header block (each "name:v1,v2\n") to creq and the
 * "a;b;c" list to signed. */
static int canon_headers(struct buf *creq, struct buf *signed_hdrs, struct hlist *h)
{
	if (h->n > 1)
		qsort(h->v, h->n, sizeof(*h->v), cmp_hdr);
	for (size_t i = 0; i < h->n; i++) {
		int same = i > 0 && strcmp(h->v[i].name, h->v[i - 1].name) == 0;
		if (same) {
			buf_putc(creq, ',');
		} else {
			if (i > 0) {
				buf_putc(creq, '\n');
				buf_putc(signed_hdrs, ';');
			}
			buf_puts(creq, h->v[i].name);
			buf_putc(creq, ':');
			buf_puts(signed_hdrs, h->v[i].name);
		}
		buf_puts(creq, h->v[i].value);
	}
	if (h->n > 0)
		buf_putc(creq, '\n');
	return creq->oom || signed_hdrs->oom ? -1 : 0;
}

static int hmac_sha256(EVP_MAC_CTX *ctx, const unsigned char *key, size_t keylen,
		       const void *msg, size_t msglen, unsigned char out[SHA256_LEN])
{
	size_t outl = 0;

	if (!EVP_MAC_init(ctx, key, keylen, NULL) ||
	    !EVP_MAC_update(ctx, msg, msglen) ||
	    !EVP_MAC_final(ctx, out, &outl, SHA256_LEN) || outl != SHA256_LEN)
		return -1;
	return 0;
}

/* signature = HMAC(kSigning, sts), kSigning = HMAC chain over date, region,
 * service, "aws4_request", starting from "AWS4" + secret. */
static int compute_signature(const char *secret, const char *date8, const char *region,
			     const char *service, const char *sts, char sig_hex[65])
{
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	unsigned char key[SHA256_LEN], next[SHA256_LEN];
	size_t slen = strlen(secret);
	unsigned char *ksecret = malloc(slen + 4);
	char digest_name[] = "SHA256";
	OSSL_PARAM params[2];
	int rc = -1;

	if (!ksecret)
		goto out;
	memcpy(ksecret, "AWS4", 4);
	memcpy(ksecret + 4, secret, slen);

	/* One fetch and one context per signature; EVP_MAC_init re-keys it. */
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_CTX_set_params(ctx, params))
		goto out;

	if (hmac_sha256(ctx, ksecret, slen + 4, date8, 8, key) ||
	    hmac_sha256(ctx, key, SHA256_LEN, region, strlen(region), next) ||
	    hmac_sha256(ctx, next, SHA256_LEN, service, strlen(service), key) ||
	    hmac_sha256(ctx, key, SHA256_LEN, SCOPE_TERMINATOR, strlen(SCOPE_TERMINATOR), next) ||
	    hmac_sha256(ctx, next, SHA256_LEN, sts, strlen(sts), key))
		goto out;
	hex_encode(key, SHA256_LEN, sig_hex);
	rc = 0;
out:
	/* The context holds HMAC pads derived from the last key (the signing
	 * key); EVP_MAC_CTX_free clears them before freeing. */
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	if (ksecret) {
		WIPE(ksecret, slen + 4);
		free(ksecret);
	}
	WIPE(key, sizeof(key));
	WIPE(next, sizeof(next));
	return rc;
}

static int set_add_header(struct sigv4_result *out, const char *name, const char *value)
{
	char *v = strdup(value);
	if (!v)
		return -1;
	out->add_headers[out->n_add_headers].name = name;
	out->add_headers[out->n_add_headers].value = v;
	out->n_add_headers++;
	return 0;
}

static int validate(const struct sigv4_request *req, const struct sigv4_credentials *creds,
		    const char **why)
{
	if (!req || !creds) {
		*why = "missing request or credentials";
		return -1;
	}
	if (!req->method || !*req->method) {
		*why = "missing method";
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)req->method; *p; p++) {
		if (!is_tchar(*p)) {
			*why = "method is not an HTTP token";
			return -1;
		}
	}
	if (check_scope_part(req->region) || check_scope_part(req->service)) {
		*why = "region or service empty or holds a separator";
		return -1;
	}
	if (check_scope_part(creds->access_key_id)) {
		*why = "access key id empty or holds a separator";
		return -1;
	}
	if (!creds->secret_access_key || !*creds->secret_access_key) {
		*why = "missing secret access key";
		return -1;
	}
	if (creds->session_token && check_header_value(creds->session_token)) {
		*why = "session token holds a control character";
		return -1;
	}
	if (req->payload_hash && (!*req->payload_hash || check_scope_part(req->payload_hash))) {
		*why = "payload hash empty or malformed";
		return -1;
	}
	if (req->body_len > 0 && !req->body && !req->payload_hash) {
		*why = "body_len without body";
		return -1;
	}
	if (req->mode != SIGV4_MODE_HEADER && req->mode != SIGV4_MODE_QUERY) {
		*why = "unknown signing mode";
		return -1;
	}
	if (req->mode == SIGV4_MODE_QUERY &&
	    (req->expires < 1 || req->expires > SIGV4_MAX_EXPIRES)) {
		*why = "expires outside 1..604800 seconds";
		return -1;
	}
	return 0;
}

/* One signing in progress.  The buffers are initialised before the first
 * step, so the cleanup frees them all whatever step failed. */
struct signing {
	const struct sigv4_request *req;
	const struct sigv4_credentials *creds;
	const char *token;      /* NULL or a non-empty session token */
	int query_mode, sign_token, add_sha_header;
	char date8[9];
	char payload_hex[65];
	const char *payload;    /* the last line of the canonical request */
	struct buf scope, signed_hdrs, hblock;
	struct qlist q;
	struct hlist h;
	const char *why;        /* the reason of a failure */
	int crypto_failed;      /* the failure is OpenSSL's, not the request's */
};

/* Date, payload hash and credential scope.  0 or -1 (s->why). */
static int sign_prologue(struct signing *s, struct sigv4_result *out)
{
	const struct sigv4_request *req = s->req;
	struct tm tm;
	/* %Y has four digits only for years 0..9999; the scope needs exactly 8. */
	if (!gmtime_r(&req->time, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 ||
	    strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ", &tm) != 16) {
		s->why = "signing time out of range";
		return -1;
	}
	memcpy(s->date8, out->amz_date, 8);
	s->date8[8] = '\0';
	if (req->payload_hash) {
		s->payload = req->payload_hash;
	} else {
		if (sigv4_sha256_hex(req->body_len ? req->body : "", req->body_len, s->payload_hex)) {
			s->why = "SHA-256 failed";
			s->crypto_failed = 1;
			return -1;
		}
		s->payload = s->payload_hex;
	}
	buf_printf(&s->scope, "%s/%s/%s/%s", s->date8, req->region, req->service, SCOPE_TERMINATOR);
	return s->scope.oom ? -1 : 0;
}

/* The headers to sign (the signer's own included) and the query
 * parameters (presigning's included).  0 or -1 (s->why). */
static int sign_collect(struct signing *s, const struct sigv4_result *out)
{
	const struct sigv4_request *req = s->req;
	int has_host = 0;
	/* Headers first: query mode needs X-Amz-SignedHeaders for its query. */
	if (collect_headers(&s->h, req, s->add_sha_header, &has_host, &s->why))
		return -1;
	if (!has_host) {
		s->why = "no Host header (it must be signed)";
		return -1;
	}
	if (!s->query_mode &&
	    (hlist_add_copy(&s->h, "x-amz-date", out->amz_date) ||
	     (s->sign_token && hlist_add_copy(&s->h, "x-amz-security-token", s->token)) ||
	     (s->add_sha_header && hlist_add_copy(&s->h, "x-amz-content-sha256", s->payload))))
		return -1;
	if (canon_headers(&s->hblock, &s->signed_hdrs, &s->h) || parse_query(&s->q, req->query, s->query_mode, &s->why))
		return -1;
	if (!s->query_mode)
		return 0;
	char expires[24];
	struct buf cred = BUF_INIT;
	snprintf(expires, sizeof(expires), "%ld", req->expires);
	buf_printf(&cred, "%s/%s", s->creds->access_key_id, buf_str(&s->scope));
	int rc = cred.oom ||
		 qlist_add_encoded(&s->q, "X-Amz-Algorithm", SIGV4_ALGORITHM) ||
		 qlist_add_encoded(&s->q, "X-Amz-Credential", buf_str(&cred)) ||
		 qlist_add_encoded(&s->q, "X-Amz-Date", out->amz_date) ||
		 qlist_add_encoded(&s->q, "X-Amz-Expires", expires) ||
		 (s->sign_token && qlist_add_encoded(&s->q, "X-Amz-Security-Token", s->token)) ||
		 qlist_add_encoded(&s->q, "X-Amz-SignedHeaders", buf_str(&s->signed_hdrs));
	aws_secret_buf_free(&cred);
	return rc ? -1 : 0;
}

/* Method \n URI \n query \n headers (each ending in \n) \n signed \n hash */
static int sign_canonical_request(struct signing *s, struct buf *creq)
{
	buf_puts(creq, s->req->method);
	buf_putc(creq, '\n');
	if (canon_path(creq, s->req->path, s->req->normalize_path))
		return -1;
	buf_putc(creq, '\n');
	if (canon_query(creq, &s->q))
		return -1;
	buf_putc(creq, '\n');
	buf_append(creq, buf_str(&s->hblock), s->hblock.len);
	buf_putc(creq, '\n');
	buf_append(creq, buf_str(&s->signed_hdrs), s->signed_hdrs.len);
	buf_putc(creq, '\n');
	buf_puts(creq, s->payload);
	return creq->oom ? -1 : 0;
}

/* Header mode: the Authorization value and the headers to add. */
static int sign_finish_header(struct signing *s, struct sigv4_result *out)
{
	struct buf auth = BUF_INIT;
	buf_printf(&auth, "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s", SIGV4_ALGORITHM,
		   s->creds->access_key_id, buf_str(&s->scope), buf_str(&s->signed_hdrs), out->signature);
	if (auth.oom || set_add_header(out, "X-Amz-Date", out->amz_date) ||
	    (s->token && set_add_header(out, "X-Amz-Security-Token", s->token)) ||
	    (s->add_sha_header && set_add_header(out, "x-amz-content-sha256", s->payload))) {
		buf_free(&auth);
		return -1;
	}
	out->authorization = buf_take(&auth);
	return 0;
}

/* Query mode: the X-Amz-* parameters in the order SDKs emit them, and the
 * whole query to send.  The token goes in whether or not it was signed
 * (omit_session_token only keeps it out of the canonical query). */
static int sign_finish_query(struct signing *s, struct sigv4_result *out)
{
	struct buf params = BUF_INIT, sq = BUF_INIT;
	const char *akid = s->creds->access_key_id;
	buf_puts(&params, "X-Amz-Algorithm=" SIGV4_ALGORITHM "&X-Amz-Credential=");
	sigv4_uri_encode(&params, akid, strlen(akid), 0);
	buf_puts(&params, "%2F");
	sigv4_uri_encode(&params, s->scope.data, s->scope.len, 0);
	buf_printf(&params, "&X-Amz-Date=%s&X-Amz-Expires=%ld&X-Amz-SignedHeaders=", out->amz_date,
		   s->req->expires);
	sigv4_uri_encode(&params, s->signed_hdrs.data, s->signed_hdrs.len, 0);
	if (s->token) {
		buf_puts(&params, "&X-Amz-Security-Token=");
		sigv4_uri_encode(&params, s->token, strlen(s->token), 0);
	}
	buf_printf(&params, "&X-Amz-Signature=%s", out->signature);

	/* The canonical query is itself a valid wire query. */
	canon_query(&sq, &s->q);
	if (s->token && !s->sign_token) {
		buf_puts(&sq, "&X-Amz-Security-Token=");
		sigv4_uri_encode(&sq, s->token, strlen(s->token), 0);
	}
	buf_printf(&sq, "&X-Amz-Signature=%s", out->signature);
	int rc = params.oom || sq.oom ? -1 : 0;
	if (!rc) {
		out->presign_params = buf_take(&params);
		out->signed_query = buf_take(&sq);
	}
	aws_secret_buf_free(&params);
	aws_secret_buf_free(&sq);
	return rc;
}

/* Canonical request -> string to sign -> signature -> what to add. */
static int sign_steps(struct signing *s, struct sigv4_result *out)
{
	struct buf creq = BUF_INIT, sts = BUF_INIT;
	char creq_hash[65];
	int rc = -1;
	if (sign_prologue(s, out) || sign_collect(s, out) || sign_canonical_request(s, &creq))
		goto out;
	if (sigv4_sha256_hex(creq.data, creq.len, creq_hash)) {
		s->why = "SHA-256 failed";
		s->crypto_failed = 1;
		goto out;
	}
	buf_printf(&sts, "%s\n%s\n%s\n%s", SIGV4_ALGORITHM, out->amz_date, buf_str(&s->scope), creq_hash);
	if (sts.oom)
		goto out;
	if (compute_signature(s->creds->secret_access_key, s->date8, s->req->region, s->req->service, sts.data,
			      out->signature)) {
		s->why = "HMAC-SHA256 failed";
		s->crypto_failed = 1;
		goto out;
	}
	if (s->query_mode ? sign_finish_query(s, out) : sign_finish_header(s, out))
		goto out;
	out->canonical_request = buf_take(&creq);
	out->string_to_sign = buf_take(&sts);
	rc = 0;
out:
	/* the canonical request may hold the session token */
	aws_secret_buf_free(&creq);
	buf_free(&sts);
	return rc;
}

int sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *creds,
	       struct sigv4_result *out, char *err, size_t err_sz)
{
	struct signing s = {.req = req, .creds = creds, .why = oom_text,
			    .scope = BUF_INIT, .signed_hdrs = BUF_INIT, .hblock = BUF_INIT};
	int rc = -1;

	if (!out) {
		msg_set(err, err_sz, "no result to fill");
		return AL_SOFTWARE;
	}
	memset(out, 0, sizeof(*out));
	if (!validate(req, creds, &s.why)) {
		s.query_mode = req->mode == SIGV4_MODE_QUERY;
		s.token = creds->session_token && *creds->session_token ? creds->session_token : NULL;
		s.sign_token = s.token && !creds->omit_session_token;
		/* Presigned URLs carry no extra headers, so sign_body has no effect. */
		s.add_sha_header = req->sign_body && !s.query_mode;
		rc = sign_steps(&s, out);
	}
	/* hblock and the lists may hold the session token. */
	aws_secret_buf_free(&s.hblock);
	buf_free(&s.signed_hdrs);
	buf_free(&s.scope);
	qlist_free(&s.q);
	hlist_free(&s.h);
	if (!rc)
		return AL_OK;
	sigv4_result_free(out);
	msg_set(err, err_sz, "%s", s.why);
	return s.crypto_failed || s.why == oom_text ? AL_SOFTWARE : AL_DATAERR;
}

void sigv4_result_free(struct sigv4_result *res)
{
	if (!res)
		return;
	aws_secret_free(res->canonical_request);
	free(res->string_to_sign);
	free(res->authorization);
	aws_secret_free(res->presign_params);
	aws_secret_free(res->signed_query);
	for (size_t i = 0; i < res->n_add_headers && i < SIGV4_MAX_ADD_HEADERS; i++)
		aws_secret_free(res->add_headers[i].value);
	memset(res, 0, sizeof(*res));
}
