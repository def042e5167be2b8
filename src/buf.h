/* Growable byte buffer, always NUL-terminated (the curl dynbuf model).
 * The owner calls buf_free(); a buf that failed to grow keeps its old
 * contents and every later append fails too, so callers may check once. */
#ifndef AUTHLOG_BUF_H
#define AUTHLOG_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;   /* NUL-terminated when len > 0 or after any append */
	size_t len;
	size_t cap;
	int oom;      /* sticky: an allocation failed */
};

#define BUF_INIT {NULL, 0, 0, 0}

int buf_grow(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hands the string over to the caller (who frees it) and empties b. */
char *buf_take(struct buf *b);
/* The contents as a C string; "" for an empty buffer. */
const char *buf_str(const struct buf *b);

/* Appends s as a JSON string literal (quotes included). Control bytes are
 * escaped and invalid UTF-8 becomes U+FFFD, so the output is always valid
 * JSON whatever a log line contained. */
int buf_json_string(struct buf *b, const char *s, size_t len);
/* '\n'-terminated lines as a JSON array of strings (each through
 * buf_json_string). */
int buf_json_lines(struct buf *b, const char *lines);
/* v[0..n) as a JSON array of strings (each through buf_json_string). */
int buf_json_strings(struct buf *b, char *const *v, size_t n);

/* Length of the valid UTF-8 sequence at s (1..4; n > 0 bytes available),
 * or 0 when it is not one: overlong, surrogate, above U+10FFFF, cut. */
size_t buf_utf8_seq(const unsigned char *s, size_t n);

/* The value of one hex digit (either case), or -1. */
static inline int buf_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
