#include "parse.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "buf.h"
#include "hotpath.h"
#include "status.h"


/* The grammar, as the PCRE2 pattern it replaces spelled it (the unit test
 * keeps that pattern as the reference it compares against):
 *
 *   \G[ \t\r\n]*([A-Za-z_][A-Za-z0-9_.-]*)=
 *   (?:"((?:[^"\\]++|\\.)*+)"|([^ \t\r\n"][^ \t\r\n]*+|))
 *
 * matched repeatedly from the start of the line; the first place where it
 * does not match ends the record. A quoted value runs to the first quote
 * not escaped by a backslash; one without its closing quote is an empty
 * value, and the record ends there. A bare value runs to the next blank
 * and may be empty. Tokens need no blank between them (k="a"b=c). */

/* Slack after the copied line: the 16-byte loads below may read past its
 * end (never past the buffer), and the value after the last one needs a
 * terminator. */
#define PAD 32

struct parser {
	char *buf; /* the line being parsed, values NUL-terminated in place */
	size_t cap;
};

int parse_new(struct parser **out)
{
	struct parser *p = calloc(1, sizeof(*p));
	if (!p)
		return AL_SOFTWARE;
	*out = p;
	return AL_OK;
}

void parse_free(struct parser *p)
{
	if (!p)
		return;
	free(p->buf);
	free(p);
}

enum { C_WS = 1, C_KEY0 = 2, C_KEY = 4 };

/* Character classes of the grammar, one byte per code unit. */
static const unsigned char cclass[256] = {
	[' '] = C_WS, ['\t'] = C_WS, ['\r'] = C_WS, ['\n'] = C_WS,
	['_'] = C_KEY0 | C_KEY, ['.'] = C_KEY, ['-'] = C_KEY,
#define R3(c) [c] = C_KEY0 | C_KEY, [c + 1] = C_KEY0 | C_KEY, [c + 2] = C_KEY0 | C_KEY
	R3('A'), R3('D'), R3('G'), R3('J'), R3('M'), R3('P'), R3('S'), R3('V'),
	['Y'] = C_KEY0 | C_KEY, ['Z'] = C_KEY0 | C_KEY,
	R3('a'), R3('d'), R3('g'), R3('j'), R3('m'), R3('p'), R3('s'), R3('v'),
	['y'] = C_KEY0 | C_KEY, ['z'] = C_KEY0 | C_KEY,
#undef R3
	['0'] = C_KEY, ['1'] = C_KEY, ['2'] = C_KEY, ['3'] = C_KEY, ['4'] = C_KEY,
	['5'] = C_KEY, ['6'] = C_KEY, ['7'] = C_KEY, ['8'] = C_KEY, ['9'] = C_KEY,
};

#define IS(c, cls) (cclass[(unsigned char)(c)] & (cls))

/* The scans below look for their stop bytes and NUL together, and the
 * copied line is followed by a NUL, so they need no bounds test: they stop
 * at the end of the line at the latest. A NUL inside the line (rare, and
 * known from the copy) is then handled by the caller. They read up to 15
 * bytes past the NUL, which the buffer's slack allows. */

/* The first '"', '\\' or NUL at or after p. */
static ALWAYS_INLINE char *find_quote_end(char *p)
{
#if defined(__SSE2__)
	const __m128i dq = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), nul = _mm_setzero_si128();
	for (;; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, dq), _mm_cmpeq_epi8(v, bs)),
					   _mm_cmpeq_epi8(v, nul));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);
		if (m)
			return p + __builtin_ctz(m);
	}
#else
	while (*p != '"' && *p != '\\' && *p != '\0')
		p++;
	return p;
#endif
}

/* The first blank (space, tab, CR, LF) or NUL at or after p. */
static ALWAYS_INLINE char *find_blank(char *p)
{
#if defined(__SSE2__)
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t'), cr = _mm_set1_epi8('\r'),
		      lf = _mm_set1_epi8('\n'), nul = _mm_setzero_si128();
	for (;; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i a = _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab));
		__m128i b = _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_cmpeq_epi8(v, nul)));
		if (m)
			return p + __builtin_ctz(m);
	}
#else
	while (!IS(*p, C_WS) && *p != '\0')
		p++;
	return p;
#endif
}

/* memcpy(dst, src, n), returning whether src holds a NUL byte. */
static ALWAYS_INLINE int copy_line(char *dst, const char *src, size_t n)
{
#if defined(__SSE2__)
	if (n >= 16) {
		const __m128i nul = _mm_setzero_si128();
		__m128i seen = nul;
		for (size_t i = 0; i + 16 < n; i += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
			_mm_storeu_si128((__m128i *)(void *)(dst + i), v);
			seen = _mm_or_si128(seen, _mm_cmpeq_epi8(v, nul));
		}
		/* the last 16 bytes, overlapping what was copied */
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + n - 16));
		_mm_storeu_si128((__m128i *)(void *)(dst + n - 16), v);
		seen = _mm_or_si128(seen, _mm_cmpeq_epi8(v, nul));
		return _mm_movemask_epi8(seen) != 0;
	}
#endif
	int has_nul = 0;
	for (size_t i = 0; i < n; i++)
		has_nul |= (dst[i] = src[i]) == '\0';
	return has_nul;
}

/* UTF-8 of a code point; Go writes U+FFFD for invalid ones, and so do we. */
static size_t put_utf8(char *dst, unsigned long cp)
{
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		dst[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (char)(0xC0 | (cp >> 6));
		dst[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		dst[0] = (char)(0xE0 | (cp >> 12));
		dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		dst[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	dst[0] = (char)(0xF0 | (cp >> 18));
	dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	dst[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

long parse_unquote(const char *src, size_t len, char *dst)
{
	size_t i = 0, o = 0;
	while (i < len) {
		const char *bs = memchr(src + i, '\\', len - i);
		size_t run = bs ? (size_t)(bs - (src + i)) : len - i;
		memmove(dst + o, src + i, run);
		o += run;
		i += run;
		if (!bs)
			break;
		if (i + 1 >= len)
			return -1;
		char c = src[i + 1];
		i += 2;
		switch (c) {
		case 'a': dst[o++] = '\a'; break;
		case 'b': dst[o++] = '\b'; break;
		case 'f': dst[o++] = '\f'; break;
		case 'n': dst[o++] = '\n'; break;
		case 'r': dst[o++] = '\r'; break;
		case 't': dst[o++] = '\t'; break;
		case 'v': dst[o++] = '\v'; break;
		case '\\': dst[o++] = '\\'; break;
		case '"': dst[o++] = '"'; break;
		case '\'': dst[o++] = '\''; break;
		case 'x': {
			if (i + 2 > len)
				return -1;
			int h = buf_hexval(src[i]), l = buf_hexval(src[i + 1]);
			if (h < 0 || l < 0)
				return -1;
			dst[o++] = (char)(h << 4 | l);
			i += 2;
			break;
		}
		case 'u':
		case 'U': {
			size_t n = c == 'u' ? 4 : 8;
			unsigned long cp = 0;
			if (i + n > len)
				return -1;
			for (size_t k = 0; k < n; k++) {
				int v = buf_hexval(src[i + k]);
				if (v < 0)
					return -1;
				cp = cp << 4 | (unsigned long)v;
			}
			i += n;
			/* \uXXXX is never longer in UTF-8 (≤3 of 6 bytes); \U's 4 of 10. */
			o += put_utf8(dst + o, cp);
			break;
		}
		default:
			if (c >= '0' && c <= '7') {
				if (i + 2 > len || src[i] < '0' || src[i] > '7' || src[i + 1] < '0' ||
				    src[i + 1] > '7')
					return -1;
				int v = (c - '0') * 64 + (src[i] - '0') * 8 + (src[i + 1] - '0');
				if (v > 255)
					return -1;
				dst[o++] = (char)v;
				i += 2;
				break;
			}
			return -1;
		}
	}
	return (long)o;
}

#define KEY_IS(k, lit) (memcmp((k), (lit), sizeof(lit) - 1) == 0)

enum field {
	F_NONE, F_TIME, F_LEVEL, F_MSG, F_ARN, F_CLIENT, F_ERROR, F_GROUPS, F_UID, F_USERNAME,
	F_SESSION, F_ACCESS_KEY_ID, F_ACCOUNT_ID, F_USER_ID, F_STS, F_METHOD, F_PATH, F_ROLE, F_USER
};

/* Where each field's value and length go in struct record. */
#define AT(f) {offsetof(struct record, f), offsetof(struct record, len.f)}
static const struct {
	unsigned short val, len;
} field_at[] = {
	[F_TIME] = AT(time), [F_LEVEL] = AT(level), [F_MSG] = AT(msg), [F_ARN] = AT(arn),
	[F_CLIENT] = AT(client), [F_ERROR] = {offsetof(struct record, error), offsetof(struct record, error_len)},
	[F_GROUPS] = AT(groups), [F_UID] = AT(uid), [F_USERNAME] = AT(username),
	[F_SESSION] = AT(session), [F_ACCESS_KEY_ID] = AT(access_key_id),
	[F_ACCOUNT_ID] = AT(account_id), [F_USER_ID] = AT(user_id), [F_STS] = AT(sts_endpoint),
	[F_METHOD] = AT(method), [F_PATH] = AT(path), [F_ROLE] = AT(role), [F_USER] = AT(user),
};
#undef AT

/* The field a key names, F_NONE for one we do not keep. */
static enum field field_of(const char *key, size_t klen)
{
	switch (klen) {
	case 3:
		return KEY_IS(key, "arn") ? F_ARN : KEY_IS(key, "msg") ? F_MSG
			: KEY_IS(key, "uid") ? F_UID : KEY_IS(key, "sts") ? F_STS : F_NONE;
	case 4:
		return KEY_IS(key, "time") ? F_TIME : KEY_IS(key, "path") ? F_PATH
			: KEY_IS(key, "role") ? F_ROLE : KEY_IS(key, "user") ? F_USER : F_NONE;
	case 5:
		return KEY_IS(key, "level") ? F_LEVEL : KEY_IS(key, "error") ? F_ERROR : F_NONE;
	case 6:
		return KEY_IS(key, "client") ? F_CLIENT : KEY_IS(key, "method") ? F_METHOD
			: KEY_IS(key, "groups") ? F_GROUPS : KEY_IS(key, "userid") ? F_USER_ID : F_NONE;
	case 7:
		return KEY_IS(key, "session") ? F_SESSION : F_NONE;
	case 8:
		return KEY_IS(key, "username") ? F_USERNAME : F_NONE;
	case 9:
		return KEY_IS(key, "accountid") || KEY_IS(key, "accountID") ? F_ACCOUNT_ID : F_NONE;
	case 11:
		return KEY_IS(key, "accesskeyid") ? F_ACCESS_KEY_ID
			: KEY_IS(key, "stsendpoint") ? F_STS : F_NONE;
	default:
		return F_NONE;
	}
}

/* The same for the keys the authenticator writes, recognised together
 * with their '=' in one fixed-size compare at s (which may run into the
 * NUL after the line, never past the slack). Sets *klen; F_NONE when s
 * does not start one of them. */
static ALWAYS_INLINE enum field known_key(const char *s, size_t *klen)
{
#define K(lit, f)                                \
	if (KEY_IS(s, lit "=")) {                \
		*klen = sizeof(lit) - 1;         \
		return f;                        \
	}
	switch (*s) {
	case 'a': K("arn", F_ARN) K("accesskeyid", F_ACCESS_KEY_ID) K("accountid", F_ACCOUNT_ID)
		  K("accountID", F_ACCOUNT_ID) break;
	case 'c': K("client", F_CLIENT) break;
	case 'e': K("error", F_ERROR) break;
	case 'g': K("groups", F_GROUPS) break;
	case 'l': K("level", F_LEVEL) break;
	case 'm': K("msg", F_MSG) K("method", F_METHOD) break;
	case 'p': K("path", F_PATH) break;
	case 'r': K("role", F_ROLE) break;
	case 's': K("session", F_SESSION) K("stsendpoint", F_STS) K("sts", F_STS) break;
	case 't': K("time", F_TIME) break;
	case 'u': K("uid", F_UID) K("userid", F_USER_ID) K("username", F_USERNAME) K("user", F_USER) break;
	default: break;
	}
#undef K
	return F_NONE;
}

/* msg starts with lit (n = strlen(msg)). */
#define MSG_STARTS(m, n, lit) ((n) >= sizeof(lit) - 1 && memcmp((m), (lit), sizeof(lit) - 1) == 0)
/* msg is lit. */
#define MSG_IS(m, n, lit) ((n) == sizeof(lit) - 1 && memcmp((m), (lit), sizeof(lit) - 1) == 0)

static ALWAYS_INLINE void set_kind(struct record *rec)
{
	const char *m = rec->msg;
	size_t n = rec->len.msg;
	if (MSG_IS(m, n, "access granted")) {
		rec->kind = REC_ACCESS;
		rec->outcome = OUTCOME_GRANTED;
	} else if (MSG_IS(m, n, "STS response")) {
		rec->kind = REC_STS_RESPONSE;
	} else if (MSG_IS(m, n, "access denied") || MSG_IS(m, n, "access denied because ARN is not mapped")) {
		rec->kind = REC_ACCESS;
		rec->outcome = OUTCOME_DENIED;
	} else if (MSG_STARTS(m, n, "Errors parsing configmap") ||
		   MSG_STARTS(m, n, "There was an error parsing the config maps") ||
		   MSG_STARTS(m, n, "ParseMap: Errors parsing dynamic file")) {
		rec->kind = REC_CONFIG_ERROR;
	} else if (MSG_STARTS(m, n, "mapping IAM role") || MSG_STARTS(m, n, "mapping IAM user") ||
		   MSG_STARTS(m, n, "mapping IAM Account")) {
		rec->kind = REC_MAPPING;
	}
}


/* Makes room for a line of len bytes and its slack; 0, or -1 when out of
 * memory (the line then parses as no record). calloc, not realloc: the
 * slack is read (and ignored) by the vector loads, so it must never be
 * uninitialised. */
static int grow(struct parser *p, size_t len)
{
	size_t cap = len + PAD + 1 > 2 * p->cap ? len + PAD + 1 : 2 * p->cap;
	char *b = calloc(1, cap);
	if (!b)
		return -1;
	free(p->buf);
	p->buf = b;
	p->cap = cap;
	return 0;
}

/* A quoted value; s is at its opening quote in buf (the copy of line), end
 * at the copy's NUL; line gives back the logged bytes of an escape that
 * does not unquote. Sets *val and *vlen and returns where the
 * scan goes on, after the closing quote; without one the value stays empty
 * and s is returned, so the quote ends the record. *odd: the value holds a
 * backslash or a NUL, so its C length is not *vlen. */
static ALWAYS_INLINE char *scan_quoted(char *s, const char *end, const char *line, const char *buf,
				       const char **val, size_t *vlen, int *odd)
{
	char *body = s + 1, *q = find_quote_end(body);
	int escaped = 0;
	while (*q != '"') {
		if (q == end) /* no closing quote */
			return s;
		*odd = 1;
		if (*q == '\0') { /* a NUL byte in the line */
			q = find_quote_end(q + 1);
			continue;
		}
		escaped = 1;
		if (q + 1 == end) /* a lone backslash before the end */
			return s;
		q = find_quote_end(q + 2);
	}
	size_t n = (size_t)(q - body);
	if (escaped) {
		long u = parse_unquote(body, n, body);
		if (u >= 0) /* else keep what was logged rather than lose the field */
			n = (size_t)u;
		else
			memcpy(body, line + (body - buf), n);
	}
	body[n] = '\0';
	*val = body;
	*vlen = n;
	return q + 1;
}

/* A bare value, from s to the next blank (a NUL byte in the line is part
 * of it, which sets *odd); returns where the scan goes on. */
static ALWAYS_INLINE char *scan_bare(char *s, const char *end, int has_nul, const char **val,
				     size_t *vlen, int *odd)
{
	char *e = find_blank(s);
	if (has_nul) {
		while (*e == '\0' && e < end) {
			*odd = 1;
			e = find_blank(e + 1);
		}
	}
	*vlen = (size_t)(e - s);
	*val = s;
	*e = '\0';
	return e < end ? e + 1 : e;
}

static ALWAYS_INLINE int scan_line(struct parser *p, const char *line, size_t len, struct record *rec,
				   int hashing, uint64_t seed, uint64_t *hash)
{
	zero_struct(rec, sizeof(*rec));
	if (len + PAD + 1 > p->cap && grow(p, len) != 0)
		return 0;
	char *buf = p->buf;
	/* The NUL after the line stops every scan below, so they need no
	 * bounds test (it is no blank and no key character). */
	int has_nul = copy_line(buf, line, len);
	buf[len] = '\0';
	rec->buf = buf;
	/* Values are terminated in place: behind a bare value the blank that
	 * ends it, behind a quoted one its closing quote (unquoting only ever
	 * shortens), so no write lands where the scan has not been yet. */
	char *s = buf, *end = buf + len;
	static const char empty[] = "";
	size_t nfields = 0; /* (locals: the field stores below may alias rec) */
	int malformed = has_nul;
	struct xx_state xx;
	size_t stripes_end = len - len % 32; /* where the 32-byte stripes end */
	if (hashing)
		xx_init(&xx, seed);
	for (;;) {
		if (hashing && xx.done < stripes_end)
			xx_stripe(&xx, line + xx.done);
		if (*s == ' ') /* the usual single blank between tokens */
			s++;
		while (IS(*s, C_WS))
			s++;
		size_t klen;
		enum field f = known_key(s, &klen);
		if (f != F_NONE) {
			s += klen;
		} else {
			if (!IS(*s, C_KEY0)) /* also the end of the line */
				break;
			const char *key = s++;
			while (IS(*s, C_KEY))
				s++;
			if (*s != '=' || s == end)
				break;
			klen = (size_t)(s - key);
			f = field_of(key, klen);
		}
		if (nfields == 0 && f != F_TIME && f != F_LEVEL)
			return 0; /* logrus always starts with time= (or level= without a timestamp) */
		s++; /* '=' */
		const char *val = empty;
		size_t vlen = 0;
		int odd = 0; /* the value has an escape or a NUL: its C length is not vlen */
		if (*s == '"') /* (never the NUL at the end) */
			s = scan_quoted(s, end, line, buf, &val, &vlen, &odd);
		else if (!IS(*s, C_WS) && s < end)
			s = scan_bare(s, end, has_nul, &val, &vlen, &odd);
		if (f != F_NONE) {
			size_t n = vlen;
			/* Only error= keeps a NUL (with its length); in any other
			 * value one would cut it short where it is stored. */
			if (odd && f != F_ERROR && (n = strlen(val)) != vlen)
				malformed = 1;
			*(const char **)(void *)((char *)rec + field_at[f].val) = val;
			*(size_t *)(void *)((char *)rec + field_at[f].len) = n;
		}
		nfields++;
	}
	rec->nfields = nfields;
	rec->malformed = malformed;
	if (!rec->msg || !*rec->msg) /* e.g. an unterminated msg=" */
		return 0;
	set_kind(rec);
	if (hashing)
		*hash = xx_finish(&xx, line, len, seed);
	return 1;
}

int parse_line(struct parser *p, const char *line, size_t len, struct record *rec)
{
	return scan_line(p, line, len, rec, 0, 0, NULL);
}

int parse_line_hash(struct parser *p, const char *line, size_t len, uint64_t seed, uint64_t *hash,
		    struct record *rec)
{
	return scan_line(p, line, len, rec, 1, seed, hash);
}

static int copy_part(const char *s, size_t n, char *dst, size_t dst_sz)
{
	if (n == 0 || n >= dst_sz)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int parse_uid(const char *uid, char *account, size_t account_sz, char *user_id, size_t user_id_sz)
{
	static const char *const prefixes[] = {"aws-iam-authenticator:", "heptio-authenticator-aws:"};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]);
		if (strncmp(uid, prefixes[i], pl) != 0)
			continue;
		const char *acct = uid + pl;
		const char *colon = strchr(acct, ':');
		if (!colon)
			return -1;
		if (copy_part(acct, (size_t)(colon - acct), account, account_sz) ||
		    copy_part(colon + 1, strlen(colon + 1), user_id, user_id_sz))
			return -1;
		return 0;
	}
	return -1;
}

int parse_sts_region(const char *host, char *out, size_t out_sz)
{
	/* sts[-fips].REGION.amazonaws.com[.cn] / sts.REGION.api.aws; the
	 * global endpoint has no region label. */
	const char *dot = strchr(host, '.');
	if (!dot || strncmp(host, "sts", 3) != 0)
		return -1;
	const char *label = dot + 1;
	const char *end = strchr(label, '.');
	if (!end)
		return -1;
	if (strncmp(label, "amazonaws.", 10) == 0) {
		if (out_sz)
			out[0] = '\0';
		return 0;
	}
	return copy_part(label, (size_t)(end - label), out, out_sz);
}
