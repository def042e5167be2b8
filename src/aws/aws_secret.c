#include "aws_secret.h"
#include "aws_secret_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "status.h"

#define MAX_FILE (1u << 20)

void (*aws_secret_wipe_hook)(const void *p, size_t n);

void aws_secret_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
	if (aws_secret_wipe_hook)
		aws_secret_wipe_hook(p, n);
}

void aws_secret_free(char *s)
{
	if (!s)
		return;
	aws_secret_wipe(s, strlen(s));
	free(s);
}

void aws_secret_buf_free(struct buf *b)
{
	if (b->data)
		aws_secret_wipe(b->data, b->cap);
	buf_free(b);
}

int aws_secret_buf_append(struct buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = malloc(cap);
		if (!np) {
			b->oom = 1;
			return AL_SOFTWARE;
		}
		if (b->data) {
			memcpy(np, b->data, b->len);
			aws_secret_wipe(b->data, b->cap);
			free(b->data);
		}
		b->data = np;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return AL_OK;
}

int aws_secret_read_file(const char *path, struct buf *b)
{
	char chunk[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC), e = 0;
	if (fd < 0)
		return errno;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			break;
		}
		if (n == 0)
			break;
		if (b->len + (size_t)n > MAX_FILE) {
			e = EFBIG;
			break;
		}
		if (aws_secret_buf_append(b, chunk, (size_t)n)) {
			e = ENOMEM;
			break;
		}
	}
	OPENSSL_cleanse(chunk, sizeof chunk);
	close(fd);
	if (!e && !b->data && aws_secret_buf_append(b, "", 0))
		e = ENOMEM;
	return e;
}

int aws_secret_token_ok(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}
