/* Output escaping (esc.h). Terminal control sequences start with ESC
 * (0x1b) or a C1 control (CSI is U+009B), and bidi overrides reorder what
 * follows them on screen ("Trojan Source", CVE-2021-42574,
 * https://trojansource.codes/), so both are shown rather than obeyed.
 * Markdown escapes follow CommonMark's backslash escapes
 * (https://spec.commonmark.org/0.31.2/#backslash-escapes): any ASCII
 * punctuation may be escaped, and an escaped character is plain text. */
#include "esc.h"

#include <string.h>

/* The code point of a sequence buf_utf8_seq found valid (n bytes). */
static unsigned long utf8_cp(const unsigned char *s, size_t n)
{
	static const unsigned char lead_mask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
	unsigned long cp = s[0] & lead_mask[n];
	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3F);
	return cp;
}

static int shown_escaped(unsigned long cp)
{
	return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Markdown specials that are escaped wherever they are. */
static int md_special(unsigned char c)
{
	return c && strchr("\\`*_[]<>|~&", c) != NULL;
}

/* How many bytes at the start of s (len bytes) would open a block:
 * a heading, a list item, a setext underline or a block quote. The
 * byte at the returned offset - 1 is the one to escape; 0: none. */
static size_t md_block_start(const unsigned char *s, size_t len)
{
	if (len && s[0] && strchr("#+-=", s[0]))
		return 1;
	size_t d = 0;
	while (d < len && d < 9 && s[d] >= '0' && s[d] <= '9')
		d++;
	if (d && d < len && (s[d] == '.' || s[d] == ')'))
		return d + 1;
	return 0;
}

static int escape(struct buf *b, const char *s, size_t len, int md)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t lead = md ? md_block_start(u, len) : 0;
	size_t i = 0;
	while (i < len) {
		size_t run = i;
		while (run < len && u[run] >= 0x20 && u[run] < 0x7f && !(md && (md_special(u[run]) || run + 1 == lead)))
			run++;
		buf_append(b, s + i, run - i);
		i = run;
		if (i >= len)
			break;
		unsigned char c = u[i];
		if (c >= 0x20 && c < 0x7f) { /* a markdown special */
			char e[2] = {'\\', (char)c};
			buf_append(b, e, 2);
			i++;
			continue;
		}
		size_t n = c < 0x80 ? 0 : buf_utf8_seq(u + i, len - i);
		if (!n) {
			buf_printf(b, "\\x%02x", c);
			i++;
			continue;
		}
		unsigned long cp = utf8_cp(u + i, n);
		if (shown_escaped(cp))
			buf_printf(b, "\\u{%lX}", cp);
		else
			buf_append(b, s + i, n);
		i += n;
	}
	return b->oom ? -1 : 0;
}

int esc_term(struct buf *b, const char *s, size_t len)
{
	return escape(b, s, len, 0);
}

int esc_md(struct buf *b, const char *s, size_t len)
{
	return escape(b, s, len, 1);
}

int esc_shell(struct buf *b, const char *s, size_t len)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-";
	int bare = len > 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e)
			return -1;
		if (!strchr(safe, c))
			bare = 0;
	}
	if (bare)
		return buf_append(b, s, len);
	buf_putc(b, '\'');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, s[i]);
	}
	return buf_putc(b, '\'');
}
