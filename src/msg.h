/* One-line error messages into a caller's buffer, and a printable copy of
 * untrusted text (file contents, environment) to quote inside them. */
#ifndef AUTHLOG_MSG_H
#define AUTHLOG_MSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* At most this many bytes of quoted text go into a message. */
#define MSG_QUOTE_MAX 100

/* vsnprintf into err; a NULL or empty buffer means the caller does not
 * want the message. */
static inline void msg_set(char *err, size_t err_sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline void msg_set(char *err, size_t err_sz, const char *fmt, ...)
{
	va_list ap;
	if (!err || !err_sz)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_sz, fmt, ap);
	va_end(ap);
}

/* tmp gets at most MSG_QUOTE_MAX bytes of s (NULL reads as ""), control
 * characters as '?', so a message stays one line; returns tmp. */
static inline const char *msg_printable(const char *s, char *tmp, size_t tmp_sz)
{
	size_t i;
	if (!s)
		s = "";
	for (i = 0; i < MSG_QUOTE_MAX && i + 1 < tmp_sz && s[i] != '\0'; i++)
		tmp[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	tmp[i] = '\0';
	return tmp;
}

#endif
