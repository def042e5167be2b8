/* Output escaping: the one place that makes untrusted text (log values:
 * ARNs, messages, usernames, cluster names) safe for where it is printed.
 * Each function appends to a struct buf and returns 0, or -1 when the buf
 * is out of memory (sticky, as buf) or, for esc_shell, when the value
 * cannot be one shell word on one line. JSON has its own exact encoder,
 * buf_json_string. */
#ifndef AUTHLOG_ESC_H
#define AUTHLOG_ESC_H

#include <stddef.h>

#include "buf.h"

/* For a terminal: C0 controls (tab and newline too), DEL and bytes that
 * are not valid UTF-8 become \xNN (lowercase hex); the C1 controls
 * U+0080-U+009F and the bidi overrides and isolates U+202A-U+202E,
 * U+2066-U+2069 become \u{XXXX}. Everything else, printable UTF-8
 * included, is copied. The output is one line, holds no byte < 0x20 or
 * 0x7f and no bidi control, and escaping it again changes nothing
 * (a backslash is not escaped), so layers may apply it twice. */
int esc_term(struct buf *b, const char *s, size_t len);

/* For markdown (GitHub / CommonMark), inline text or a table cell:
 * esc_term, then a backslash before \ ` * _ [ ] < > | ~ & anywhere, and
 * before what would start a block at the start of the value (# + - =, and
 * the . or ) after leading digits), so a value cannot break a table, open
 * code, emphasis, a link, an HTML tag or a heading. */
int esc_md(struct buf *b, const char *s, size_t len);

/* For sh: the value as one POSIX shell word. A non-empty value made only
 * of [A-Za-z0-9_@%+=:,./-] is appended bare, anything else in single
 * quotes with each ' written as '\'' (it's -> 'it'\''s'; "" -> ''). A
 * value holding a byte outside printable ASCII (0x20-0x7e) appends
 * nothing and returns -1: quotes would keep a newline or a terminal
 * escape raw, and a bidi control could reorder the command as shown.
 * Quoting does not stop a value starting with '-' from being read as an
 * option: callers validate values first (arn_valid_*). */
int esc_shell(struct buf *b, const char *s, size_t len);

#endif
