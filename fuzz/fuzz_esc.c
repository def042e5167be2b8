/* esc_term, esc_md and esc_shell on the input, checked against what each
 * promises: esc_term's output is one line without a byte < 0x20, 0x7f,
 * invalid UTF-8, a C1 control or a bidi override/isolate, and escaping it
 * again changes nothing; esc_md's output is that, with every markdown
 * special behind a backslash; esc_shell's output, read back the way sh
 * reads one word (bare text, '...', \c), is the input again. */
#include "fuzz_common.h"

#include "buf.h"
#include "esc.h"

/* Decodes the valid UTF-8 at s (n = buf_utf8_seq's length). */
static unsigned long cp_at(const unsigned char *s, size_t n)
{
	static const unsigned char mask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
	unsigned long cp = s[0] & mask[n];
	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3F);
	return cp;
}

static void check_terminal_safe(const struct buf *b)
{
	const unsigned char *s = (const unsigned char *)buf_str(b);
	FUZZ_CHECK(touch_str((const char *)s) == b->len);
	for (size_t i = 0; i < b->len;) {
		FUZZ_CHECK(s[i] >= 0x20 && s[i] != 0x7f);
		size_t n = buf_utf8_seq(s + i, b->len - i);
		FUZZ_CHECK(n > 0);
		unsigned long cp = cp_at(s + i, n);
		FUZZ_CHECK(!(cp >= 0x80 && cp <= 0x9f));
		FUZZ_CHECK(!(cp >= 0x202a && cp <= 0x202e) && !(cp >= 0x2066 && cp <= 0x2069));
		i += n;
	}
}

static void check_term(const uint8_t *data, size_t size)
{
	struct buf once = BUF_INIT, twice = BUF_INIT;
	FUZZ_CHECK(esc_term(&once, (const char *)data, size) == 0);
	check_terminal_safe(&once);
	FUZZ_CHECK(once.len >= size);
	FUZZ_CHECK(esc_term(&twice, buf_str(&once), once.len) == 0);
	FUZZ_CHECK(twice.len == once.len && memcmp(buf_str(&twice), buf_str(&once), once.len) == 0);
	buf_free(&once);
	buf_free(&twice);
}

static void check_md(const uint8_t *data, size_t size)
{
	struct buf b = BUF_INIT;
	FUZZ_CHECK(esc_md(&b, (const char *)data, size) == 0);
	check_terminal_safe(&b);
	const char *s = buf_str(&b);
	for (size_t i = 0; i < b.len; i++) {
		if (s[i] == '\\') {
			FUZZ_CHECK(i + 1 < b.len); /* a backslash always escapes something */
			i++;
			continue;
		}
		FUZZ_CHECK(!strchr("`*_[]<>|~&", s[i]));
		if (i == 0)
			FUZZ_CHECK(!strchr("#+-=", s[i]));
	}
	buf_free(&b);
}

static void check_shell(const uint8_t *data, size_t size)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-";
	int printable = 1;
	for (size_t i = 0; i < size; i++)
		if (data[i] < 0x20 || data[i] > 0x7e)
			printable = 0;
	struct buf b = BUF_INIT, back = BUF_INIT;
	buf_puts(&b, "x ");
	int rc = esc_shell(&b, (const char *)data, size);
	if (!printable) {
		FUZZ_CHECK(rc == -1 && b.len == 2);
		buf_free(&b);
		return;
	}
	FUZZ_CHECK(rc == 0);
	const char *s = buf_str(&b) + 2;
	size_t n = b.len - 2;
	FUZZ_CHECK(n > 0);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'') {
			const char *q = memchr(s + i + 1, '\'', n - i - 1);
			FUZZ_CHECK(q != NULL);
			buf_append(&back, s + i + 1, (size_t)(q - s - i - 1));
			i = (size_t)(q - s);
		} else if (s[i] == '\\') {
			FUZZ_CHECK(i + 1 < n);
			buf_putc(&back, s[++i]);
		} else {
			FUZZ_CHECK(strchr(safe, s[i]) != NULL); /* nothing sh would act on */
			buf_putc(&back, s[i]);
		}
	}
	FUZZ_CHECK(back.len == size && memcmp(buf_str(&back), data, size) == 0);
	buf_free(&b);
	buf_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_term(data, size);
	check_md(data, size);
	check_shell(data, size);
	return 0;
}
