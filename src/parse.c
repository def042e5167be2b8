#include "parse.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

/* One key=value token, anchored at the current offset (\G). A quoted value
 * is a Go %q string; a bare value runs to the next blank and may be empty
 * ("session= userid=…" for IAM users). */
static const char token_pattern[] =
	"\\G[ \\t\\r\\n]*([A-Za-z_][A-Za-z0-9_.-]*)="
	"(?:\"((?:[^\"\\\\]++|\\\\.)*+)\"|([^ \\t\\r\\n\"][^ \\t\\r\\n]*+|))";

struct parser {
	pcre2_code *re;
	pcre2_match_data *md;
	int jit;
	char *scratch; /* unquoted values, NUL-separated */
	size_t scratch_cap;
};

int parse_new(struct parser **out)
{
	int errcode;
	PCRE2_SIZE erroff;
	struct parser *p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	p->re = pcre2_compile((PCRE2_SPTR)token_pattern, PCRE2_ZERO_TERMINATED, PCRE2_DOTALL, &errcode,
			      &erroff, NULL);
	if (!p->re)
		goto fail;
	p->jit = pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE) == 0;
	p->md = pcre2_match_data_create_from_pattern(p->re, NULL);
	if (!p->md)
		goto fail;
	*out = p;
	return 0;
fail:
	parse_free(p);
	return -1;
}

void parse_free(struct parser *p)
{
	if (!p)
		return;
	pcre2_match_data_free(p->md);
	pcre2_code_free(p->re);
	free(p->scratch);
	free(p);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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
			int h = hexval(src[i]), l = hexval(src[i + 1]);
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
				int v = hexval(src[i + k]);
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

#define KEY_IS(k, klen, lit) ((klen) == sizeof(lit) - 1 && memcmp((k), (lit), sizeof(lit) - 1) == 0)

static void assign(struct record *rec, const char *key, size_t klen, const char *val, size_t vlen)
{
	switch (key[0]) {
	case 'a':
		if (KEY_IS(key, klen, "arn"))
			rec->arn = val;
		else if (KEY_IS(key, klen, "accesskeyid"))
			rec->access_key_id = val;
		else if (KEY_IS(key, klen, "accountid") || KEY_IS(key, klen, "accountID"))
			rec->account_id = val;
		break;
	case 'c':
		if (KEY_IS(key, klen, "client"))
			rec->client = val;
		break;
	case 'e':
		if (KEY_IS(key, klen, "error")) {
			rec->error = val;
			rec->error_len = vlen;
		}
		break;
	case 'g':
		if (KEY_IS(key, klen, "groups"))
			rec->groups = val;
		break;
	case 'l':
		if (KEY_IS(key, klen, "level"))
			rec->level = val;
		break;
	case 'm':
		if (KEY_IS(key, klen, "msg"))
			rec->msg = val;
		else if (KEY_IS(key, klen, "method"))
			rec->method = val;
		break;
	case 'p':
		if (KEY_IS(key, klen, "path"))
			rec->path = val;
		break;
	case 'r':
		if (KEY_IS(key, klen, "role"))
			rec->role = val;
		break;
	case 's':
		if (KEY_IS(key, klen, "session"))
			rec->session = val;
		else if (KEY_IS(key, klen, "sts") || KEY_IS(key, klen, "stsendpoint"))
			rec->sts_endpoint = val;
		break;
	case 't':
		if (KEY_IS(key, klen, "time"))
			rec->time = val;
		break;
	case 'u':
		if (KEY_IS(key, klen, "uid"))
			rec->uid = val;
		else if (KEY_IS(key, klen, "username"))
			rec->username = val;
		else if (KEY_IS(key, klen, "userid"))
			rec->user_id = val;
		else if (KEY_IS(key, klen, "user"))
			rec->user = val;
		break;
	default:
		break;
	}
}

static int has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void set_kind(struct record *rec)
{
	const char *m = rec->msg;
	if (strcmp(m, "access granted") == 0) {
		rec->kind = REC_ACCESS;
		rec->outcome = OUTCOME_GRANTED;
	} else if (strcmp(m, "access denied") == 0 ||
		   strcmp(m, "access denied because ARN is not mapped") == 0) {
		rec->kind = REC_ACCESS;
		rec->outcome = OUTCOME_DENIED;
	} else if (strcmp(m, "STS response") == 0) {
		rec->kind = REC_STS_RESPONSE;
	} else if (has_prefix(m, "Errors parsing configmap") ||
		   has_prefix(m, "There was an error parsing the config maps") ||
		   has_prefix(m, "ParseMap: Errors parsing dynamic file")) {
		rec->kind = REC_CONFIG_ERROR;
	} else if (has_prefix(m, "mapping IAM role") || has_prefix(m, "mapping IAM user") ||
		   has_prefix(m, "mapping IAM Account")) {
		rec->kind = REC_MAPPING;
	}
}

int parse_line(struct parser *p, const char *line, size_t len, struct record *rec)
{
	memset(rec, 0, sizeof(*rec));
	/* Every unquoted value fits in its source bytes plus one NUL, and
	 * there is at most one token per two input bytes. */
	size_t need = len + len / 2 + 2;
	if (need > p->scratch_cap) {
		char *s = realloc(p->scratch, need);
		if (!s)
			return 0;
		p->scratch = s;
		p->scratch_cap = need;
	}
	char *out = p->scratch;
	size_t off = 0;
	while (off < len) {
		int rc = p->jit ? pcre2_jit_match(p->re, (PCRE2_SPTR)line, len, off, 0, p->md, NULL)
				: pcre2_match(p->re, (PCRE2_SPTR)line, len, off, 0, p->md, NULL);
		if (rc < 0)
			break;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
		if (ov[1] == off) /* an empty match cannot advance: stop */
			break;
		const char *key = line + ov[2];
		size_t klen = ov[3] - ov[2];
		if (rec->nfields == 0 && !KEY_IS(key, klen, "time") && !KEY_IS(key, klen, "level"))
			return 0; /* logrus always starts with time= (or level= without a timestamp) */
		const char *val = out;
		size_t vlen;
		if (rc >= 3 && ov[4] != PCRE2_UNSET) {
			long n = parse_unquote(line + ov[4], ov[5] - ov[4], out);
			if (n < 0) { /* keep what was logged rather than lose the field */
				vlen = ov[5] - ov[4];
				memcpy(out, line + ov[4], vlen);
			} else {
				vlen = (size_t)n;
			}
		} else if (rc >= 4 && ov[6] != PCRE2_UNSET) {
			vlen = ov[7] - ov[6];
			memcpy(out, line + ov[6], vlen);
		} else {
			vlen = 0;
		}
		out[vlen] = '\0';
		out += vlen + 1;
		assign(rec, key, klen, val, vlen);
		rec->nfields++;
		off = ov[1];
	}
	if (!rec->msg || !*rec->msg) /* e.g. an unterminated msg=" */
		return 0;
	set_kind(rec);
	return 1;
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
