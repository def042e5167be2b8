/* Memory that may hold a secret (keys, session tokens, bearer tokens, the
 * shared config files): wiped with OPENSSL_cleanse, which the compiler may
 * not elide, before it is freed, and never left behind by a realloc(). */
#ifndef AUTHLOG_AWS_SECRET_H
#define AUTHLOG_AWS_SECRET_H

#include <stddef.h>

struct buf;

/* Wipes n bytes at p (the memory stays allocated). */
void aws_secret_wipe(void *p, size_t n);
/* Wipes the string and frees it; NULL is fine. */
void aws_secret_free(char *s);
/* Wipes the whole capacity of b and frees it. */
void aws_secret_buf_free(struct buf *b);

/* Appends n bytes to b, growing it by copying into a new block and wiping
 * the old one (realloc() could leave a copy behind).  AL_OK, or
 * AL_SOFTWARE on out-of-memory (b unchanged, b->oom set). */
int aws_secret_buf_append(struct buf *b, const void *data, size_t n);

/* Reads a whole file of at most 1 MiB into b (b.data is "" for an
 * empty file).  0, or an errno value (EFBIG when it is larger). */
int aws_secret_read_file(const char *path, struct buf *b);

/* 1 when s may go into an HTTP header as a credential: non-empty,
 * printable ASCII, no spaces. */
int aws_secret_token_ok(const char *s);

#endif
