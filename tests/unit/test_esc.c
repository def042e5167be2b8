/* esc: terminal, markdown and shell escaping of untrusted values. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "esc.h"
#include "msg.h"
#include "tap.h"

typedef int (*esc_fn)(struct buf *, const char *, size_t);

/* fn over len bytes of s, as a NUL-terminated string the caller frees;
 * *rc gets fn's return. */
static char *run(esc_fn fn, const char *s, size_t len, int *rc)
{
	struct buf b = BUF_INIT;
	*rc = fn(&b, s, len);
	return buf_take(&b);
}

static void check(esc_fn fn, const char *name, const char *in, size_t len, const char *want)
{
	int rc;
	char *got = run(fn, in, len, &rc);
	is_int(rc, 0, "%s of %s: returns 0", name, want);
	is_str(got, want, "%s: -> %s", name, want);
	free(got);
}

#define TERM(in, want) check(esc_term, "esc_term", in, sizeof(in) - 1, want)
#define MD(in, want) check(esc_md, "esc_md", in, sizeof(in) - 1, want)
#define SHELL(in, want) check(esc_shell, "esc_shell", in, sizeof(in) - 1, want)

static void test_term(void)
{
	TERM("arn:aws:iam::111122223333:role/admin", "arn:aws:iam::111122223333:role/admin");
	TERM("", "");
	TERM("a\x1b[2Jb", "a\\x1b[2Jb");
	TERM("bell\a bs\b nl\n cr\r tab\t", "bell\\x07 bs\\x08 nl\\x0a cr\\x0d tab\\x09");
	TERM("del\x7f", "del\\x7f");
	TERM("nul\0x", "nul\\x00x");
	/* printable UTF-8 stays; C1 controls (valid UTF-8) and bidi do not */
	TERM("caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80", "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80");
	TERM("csi\xc2\x9b" "2J", "csi\\u{9B}2J");
	TERM("\xc2\x80\xc2\x9f\xc2\xa0", "\\u{80}\\u{9F}\xc2\xa0");
	TERM("admin\xe2\x80\xaegnp.exe", "admin\\u{202E}gnp.exe");
	TERM("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", "\\u{202A}\\u{202B}\\u{202C}\\u{202D}");
	TERM("\xe2\x81\xa6x\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "\\u{2066}x\\u{2067}\\u{2068}\\u{2069}");
	/* neighbours of the ranges are printable */
	TERM("\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa", "\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");
	/* invalid UTF-8: raw C1 byte, lone continuation, cut sequence, overlong, surrogate */
	TERM("\x9b" "2J", "\\x9b2J");
	TERM("\x80x", "\\x80x");
	TERM("\xe2\x80", "\\xe2\\x80");
	TERM("\xc0\xaf", "\\xc0\\xaf");
	TERM("\xed\xa0\x80", "\\xed\\xa0\\x80");
	/* a backslash is kept: escaping twice changes nothing */
	TERM("a\\x1bb", "a\\x1bb");
	{
		int rc;
		static const char in[] = "x\x1b]0;t\a\xe2\x80\xae\n\xff";
		char *once = run(esc_term, in, sizeof(in) - 1, &rc);
		char *twice = run(esc_term, once, strlen(once), &rc);
		is_str(twice, once, "esc_term is idempotent");
		free(once);
		free(twice);
	}
	/* appends: what was in the buf stays */
	struct buf b = BUF_INIT;
	buf_puts(&b, "arn=");
	esc_term(&b, "x\ny", 3);
	is_str(buf_str(&b), "arn=x\\x0ay", "esc_term appends");
	buf_free(&b);
}

static void test_md(void)
{
	MD("arn:aws:iam::111122223333:role/admin-role", "arn:aws:iam::111122223333:role/admin-role");
	MD("a|b", "a\\|b");
	MD("`code`", "\\`code\\`");
	MD("[click](https://evil.example)", "\\[click\\](https://evil.example)");
	MD("<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)\\>");
	MD("*bold* _it_ ~~s~~", "\\*bold\\* \\_it\\_ \\~\\~s\\~\\~");
	MD("a\\b", "a\\\\b");
	MD("&lt;", "\\&lt;");
	/* block starts only at the start of the value */
	MD("# Fix", "\\# Fix");
	MD("a # b", "a # b");
	MD("- item", "\\- item");
	MD("role/a-b", "role/a-b");
	MD("+x", "\\+x");
	MD("===", "\\===");
	MD("1. one", "1\\. one");
	MD("12) x", "12\\) x");
	MD("v1.2", "v1.2");
	MD("> quote", "\\> quote");
	/* terminal escapes as well, one line whatever the value */
	MD("x\n# Fix\n| a |", "x\\x0a# Fix\\x0a\\| a \\|");
	MD("\x1b[31m\xe2\x80\xae", "\\x1b\\[31m\\u{202E}");
}

static void test_shell(void)
{
	SHELL("arn:aws:iam::111122223333:role/admin", "arn:aws:iam::111122223333:role/admin");
	SHELL("a-b_c.d/e@f%g+h=i:j,k", "a-b_c.d/e@f%g+h=i:j,k");
	SHELL("", "''");
	SHELL("it's", "'it'\\''s'");
	SHELL("x$(touch${IFS}pwned)", "'x$(touch${IFS}pwned)'");
	SHELL("a;touch${IFS}pwned3;#", "'a;touch${IFS}pwned3;#'");
	SHELL("`id`", "'`id`'");
	SHELL("a b", "'a b'");
	SHELL("<cluster>", "'<cluster>'");
	SHELL("'", "''\\'''");
	SHELL("~root", "'~root'");
	SHELL("*", "'*'");
	static const char *const bad[] = {"a\nb", "a\x1b", "a\x7f", "caf\xc3\xa9", "x\xe2\x80\xae", "\t"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b = BUF_INIT;
		buf_puts(&b, "cmd ");
		is_int(esc_shell(&b, bad[i], strlen(bad[i])), -1, "esc_shell refuses non-printable byte (case %zu)", i);
		is_str(buf_str(&b), "cmd ", "esc_shell appended nothing (case %zu)", i);
		buf_free(&b);
	}
}

/* The one-line form of a value in an error message (msg.h): no byte a
 * terminal obeys, no bidi control to reorder it. */
static void test_msg_printable(void)
{
	char tmp[64];
	is_str(msg_printable("a\x1b[2Jb\nc\x7f", tmp, sizeof(tmp)), "a?[2Jb?c?", "msg_printable: C0 and DEL");
	is_str(msg_printable("x\xe2\x80\xaey\xe2\x81\xa6z", tmp, sizeof(tmp)), "x?y?z", "msg_printable: bidi controls");
	is_str(msg_printable("c1\xc2\x9bz \xc3\xa9", tmp, sizeof(tmp)), "c1?z \xc3\xa9", "msg_printable: C1, not UTF-8 text");
	is_str(msg_printable("\xe2\x80", tmp, sizeof(tmp)), "\xe2\x80", "msg_printable: a cut sequence is not read past");
	is_str(msg_printable(NULL, tmp, sizeof(tmp)), "", "msg_printable: NULL");
}

/* JSON arrays of strings: values escaped, empty arrays and commas right. */
static void test_json_strings(void)
{
	char a[] = "node\x01", b[] = "say \"hi\"", c[] = "";
	char *v[] = {a, b, c};
	struct buf out = BUF_INIT;
	is_int(buf_json_strings(&out, v, 3), 0, "buf_json_strings: returns 0");
	is_str(buf_str(&out), "[\"node\\u0001\",\"say \\\"hi\\\"\",\"\"]", "buf_json_strings: three values");
	buf_free(&out);
	buf_json_strings(&out, v, 0);
	is_str(buf_str(&out), "[]", "buf_json_strings: none");
	buf_free(&out);
}

int main(void)
{
	test_json_strings();
	test_term();
	test_md();
	test_shell();
	test_msg_printable();
	return tap_done();
}
