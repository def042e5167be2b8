/* credential_process: the JSON answer parser (aws_credprocess_parse_output)
 * and the shlex-like splitting of the command line (aws_credprocess_split),
 * both run on every input.
 *
 * Before that, every "$SECRET" in the input becomes SECRET_CANARY and every
 * "$TOKEN" TOKEN_CANARY (seeds put them where the SecretAccessKey and the
 * SessionToken go): no message may ever contain one.  The canaries are 64
 * bytes, longer than anything a message may quote from the answer (the
 * Version text is cut at 23 bytes, the Expiration text at 39), so finding
 * one in a message means the message printed a credential. */
#include "fuzz_common.h"

#include "aws/aws_creds.h"
#include "aws/aws_creds_int.h"
#include "aws/aws_credprocess_int.h"
#include "aws/aws_secret_int.h"
#include "status.h"

#define SECRET_CANARY "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETCANARY0123456789abcdefghijkl"
#define TOKEN_CANARY "IQoJb3JpZ2luX2VjEPTOKENCANARY//////////wEaCXVzLWVhc3QtMSJHMEUCIQ"
_Static_assert(sizeof SECRET_CANARY == 65 && sizeof TOKEN_CANARY == 65, "64-byte canaries");

#define PROFILE "fuzz-profile"
#define NOW 1717200000 /* 2024-06-01T00:00:00Z: expiry decisions do not depend on the day */

static int64_t fixed_clock(void)
{
	return NOW;
}

/* Every secret-holding string is all zeroes when it is freed. */
static void wipe_check(const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(s[i] == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	aws_creds_clock = fixed_clock;
	aws_secret_wipe_hook = wipe_check;
	return 0;
}

/* data with the two markers replaced; NUL-terminated, *out_n bytes before it. */
static char *substitute(const uint8_t *data, size_t size, size_t *out_n)
{
	size_t cap = size * 11 + 1, n = 0; /* a 6-byte "$TOKEN" grows 64/6 < 11 times */
	char *o = malloc(cap);
	if (!o)
		abort();
	for (size_t i = 0; i < size;) {
		if (size - i >= 7 && memcmp(data + i, "$SECRET", 7) == 0) {
			memcpy(o + n, SECRET_CANARY, 64);
			n += 64, i += 7;
		} else if (size - i >= 6 && memcmp(data + i, "$TOKEN", 6) == 0) {
			memcpy(o + n, TOKEN_CANARY, 64);
			n += 64, i += 6;
		} else {
			o[n++] = (char)data[i++];
		}
	}
	o[n] = '\0';
	*out_n = n;
	return o;
}

/* What a credential may hold: it goes into an HTTP header. */
static int cred_ok(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static void check_err(const char *err)
{
	size_t n = touch_str(err);
	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(!memchr(err, '\n', n) && !memchr(err, '\r', n));
	FUZZ_CHECK(!strstr(err, SECRET_CANARY) && !strstr(err, TOKEN_CANARY));
}

static void fuzz_process_output(const char *json, size_t len)
{
	struct aws_credentials c;
	char err[1024];
	memset(&c, 0xA5, sizeof c); /* must be overwritten */
	err[0] = '\0';
	int rc = aws_credprocess_parse_output(json, len, PROFILE, &c, err, sizeof err);
	FUZZ_CHECK(rc == AL_OK || rc == AL_CONFIG || rc == AL_SOFTWARE);
	if (rc != AL_OK) {
		FUZZ_CHECK(!c.access_key_id && !c.secret_access_key && !c.session_token);
		check_err(err);
		if (rc == AL_CONFIG)
			FUZZ_CHECK(strncmp(err, "profile " PROFILE ": credential_process",
					   sizeof "profile " PROFILE ": credential_process" - 1) == 0);
		aws_credentials_clear(&c);
		return;
	}
	FUZZ_CHECK(!strstr(err, SECRET_CANARY) && !strstr(err, TOKEN_CANARY));
	touch_str(c.source);
	FUZZ_CHECK(cred_ok(c.access_key_id) && touch_str(c.access_key_id) > 0);
	FUZZ_CHECK(cred_ok(c.secret_access_key) && touch_str(c.secret_access_key) > 0);
	FUZZ_CHECK(!c.session_token || (cred_ok(c.session_token) && touch_str(c.session_token) > 0));
	FUZZ_CHECK(c.expiration == 0 || c.expiration > NOW);

	/* the mask shows at most 4 + 4 characters of the key id, no controls */
	char mask[64];
	aws_credentials_mask(c.access_key_id, mask, sizeof mask);
	size_t mn = touch_str(mask);
	FUZZ_CHECK(mn <= 4 + 3 + 4);
	for (size_t i = 0; i < mn; i++)
		FUZZ_CHECK((unsigned char)mask[i] >= 0x20 && mask[i] != 0x7f);
	FUZZ_CHECK(!strstr(mask, SECRET_CANARY) && !strstr(mask, TOKEN_CANARY));

	struct aws_credentials d;
	FUZZ_CHECK(aws_credentials_copy(&d, &c) == 0);
	FUZZ_CHECK(strcmp(d.access_key_id, c.access_key_id) == 0);
	FUZZ_CHECK(strcmp(d.secret_access_key, c.secret_access_key) == 0);
	FUZZ_CHECK((d.session_token == NULL) == (c.session_token == NULL));
	FUZZ_CHECK(!d.session_token || strcmp(d.session_token, c.session_token) == 0);
	FUZZ_CHECK(d.expiration == c.expiration);
	aws_credentials_clear(&d);
	aws_credentials_clear(&c);
	FUZZ_CHECK(!c.access_key_id && !c.secret_access_key && !c.session_token && !c.expiration);
}

static size_t argv_len(char **argv)
{
	size_t n = 0;
	while (argv[n])
		touch_str(argv[n++]);
	return n;
}

/* Each word in single quotes ('\'' for a quote inside), joined by spaces. */
static char *requote(char **argv)
{
	size_t cap = 1;
	for (size_t i = 0; argv[i]; i++)
		cap += strlen(argv[i]) * 4 + 3;
	char *o = malloc(cap), *w = o;
	if (!o)
		abort();
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			*w++ = ' ';
		*w++ = '\'';
		for (const char *s = argv[i]; *s; s++) {
			if (*s == '\'') {
				memcpy(w, "'\\''", 4);
				w += 4;
			} else {
				*w++ = *s;
			}
		}
		*w++ = '\'';
	}
	*w = '\0';
	return o;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void fuzz_split(const char *cmd)
{
	static const char *const msgs[] = {
		"no closing quotation", "no escaped character after '\\'", "the command is empty",
		"out of memory",
	};
	char **argv = (char **)&argv, err[256];
	err[0] = '\0';
	int rc = aws_credprocess_split(cmd, &argv, err, sizeof err);
	FUZZ_CHECK(rc == AL_OK || rc == AL_CONFIG || rc == AL_SOFTWARE);
	if (rc) {
		int known = 0;
		FUZZ_CHECK(argv == NULL);
		check_err(err);
		for (size_t i = 0; i < sizeof msgs / sizeof *msgs; i++)
			known |= strcmp(err, msgs[i]) == 0;
		FUZZ_CHECK(known); /* fixed texts: a command line may hold a secret */
	} else {
		FUZZ_CHECK(argv != NULL);
	}

	/* Without quotes or backslashes it is a plain split on blanks. */
	if (!strpbrk(cmd, "'\"\\")) {
		const char *s = cmd;
		size_t k = 0;
		for (;;) {
			while (is_ws(*s))
				s++;
			if (!*s)
				break;
			size_t n = 0;
			while (s[n] && !is_ws(s[n]))
				n++;
			FUZZ_CHECK(rc == 0 && argv[k] && strlen(argv[k]) == n && memcmp(argv[k], s, n) == 0);
			k++;
			s += n;
		}
		FUZZ_CHECK(k == 0 ? rc == AL_CONFIG : argv[k] == NULL);
	}
	if (rc)
		return;

	/* Quoting every word and splitting again gives the same words. */
	size_t n = argv_len(argv);
	FUZZ_CHECK(n >= 1);
	char *q = requote(argv), **again = NULL;
	FUZZ_CHECK(aws_credprocess_split(q, &again, err, sizeof err) == 0);
	FUZZ_CHECK(argv_len(again) == n);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(strcmp(argv[i], again[i]) == 0);
	free(q);
	aws_credprocess_free_argv(again);
	aws_credprocess_free_argv(argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;
	char *s = substitute(data, size, &n);
	fuzz_process_output(s, n);
	fuzz_split(s); /* up to the first NUL */
	free(s);
	return 0;
}
