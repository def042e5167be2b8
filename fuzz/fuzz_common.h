/* Shared helpers for the libFuzzer targets: checks that hold in any build
 * type, and "touching" bytes so ASan sees every byte an API hands out. */
#ifndef AUTHLOG_FUZZ_COMMON_H
#define AUTHLOG_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unlike assert(), not compiled out by -Db_ndebug. */
#define FUZZ_CHECK(cond)                                                                  \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                          \
		}                                                                         \
	} while (0)

static volatile unsigned fuzz_sink;

/* Reads n bytes one by one. */
static inline void touch(const void *p, size_t n)
{
	const unsigned char *s = p;
	unsigned acc = 0;
	for (size_t i = 0; i < n; i++)
		acc += s[i];
	fuzz_sink += acc;
}

/* Reads a C string including its NUL (NULL is fine); returns its length. */
static inline size_t touch_str(const char *s)
{
	if (!s)
		return 0;
	size_t n = strlen(s);
	touch(s, n + 1);
	return n;
}

/* A NUL-terminated heap copy of the input (the input itself is not). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* FNV-1a: picks chunk sizes from the input without consuming bytes of it,
 * so seed documents stay intact and every run is reproducible. */
static inline uint64_t fuzz_hash(const uint8_t *data, size_t size)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < size; i++) {
		h ^= data[i];
		h *= 1099511628211ULL;
	}
	return h;
}

#endif
