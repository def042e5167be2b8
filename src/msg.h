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
 * characters (C0, DEL, C1) and bidi controls as '?', so a message stays
 * one line shown in order; returns tmp. */
static inline const char *msg_printable(const char *s, char *tmp, size_t tmp_sz)
{
	size_t i = 0, o = 0;
	if (!s)
		s = "";
	while (i < MSG_QUOTE_MAX && o + 1 < tmp_sz && s[i] != '\0') {
		const unsigned char *u = (const unsigned char *)s + i;
		size_t bad = 0;
		if (u[0] < 0x20 || u[0] == 0x7f)
			bad = 1;
		else if (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
			bad = 2; /* a C1 control */
		else if (u[0] == 0xe2 && ((u[1] == 0x80 && u[2] >= 0xaa && u[2] <= 0xae) ||
					  (u[1] == 0x81 && u[2] >= 0xa6 && u[2] <= 0xa9)))
			bad = 3; /* a bidi override or isolate: it would reorder the line */
		tmp[o++] = bad ? '?' : s[i];
		i += bad ? bad : 1;
	}
	tmp[o] = '\0';
	return tmp;
}

#endif
