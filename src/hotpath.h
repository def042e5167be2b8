/* Helpers of the per-line hot path (parse.c, event.c, store.c): forced
 * inlining, struct zeroing without rep stos, and XXH64. */
#ifndef AUTHLOG_HOTPATH_H
#define AUTHLOG_HOTPATH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Run once per token or per line: inlined whatever the optimisation
 * level (-O2 left some of them calls). */
#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* memset(p, 0, n) with plain vector stores: for a struct of a few hundred
 * bytes GCC emits rep stos (or rep movs for a struct copy), whose
 * start-up cost showed in the profile. */
static ALWAYS_INLINE void zero_struct(void *p, size_t n)
{
#if defined(__SSE2__)
	char *c = p;
	size_t i = 0;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 32
#endif
	for (; i + 16 <= n; i += 16)
		_mm_storeu_si128((__m128i *)(void *)(c + i), _mm_setzero_si128());
	for (; i < n; i++)
		c[i] = 0;
#else
	memset(p, 0, n);
#endif
}

/* XXH64 (the dedupe key), in pieces: parse.c feeds the 32-byte stripes
 * one per token from inside its scan loop, where their multiply chains run
 * alongside the scanner's load chains instead of after them; xxh64() is
 * the one-shot form (store_xxh64). The unit tests check it against the
 * published test values. */
#define XXP1 0x9E3779B185EBCA87ull
#define XXP2 0xC2B2AE3D27D4EB4Full
#define XXP3 0x165667B19E3779F9ull
#define XXP4 0x85EBCA77C2B2AE63ull
#define XXP5 0x27D4EB2F165667C5ull

static ALWAYS_INLINE uint64_t xx_rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static ALWAYS_INLINE uint64_t xx_read64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8); /* host order, as store_xxh64 reads */
	return v;
}

static ALWAYS_INLINE uint64_t xx_round(uint64_t acc, uint64_t input)
{
	acc += input * XXP2;
	return xx_rotl(acc, 31) * XXP1;
}

static ALWAYS_INLINE uint64_t xx_merge(uint64_t acc, uint64_t val)
{
	acc ^= xx_round(0, val);
	return acc * XXP1 + XXP4;
}

struct xx_state {
	uint64_t v[4];
	size_t done; /* bytes consumed by stripes */
};

static ALWAYS_INLINE void xx_init(struct xx_state *x, uint64_t seed)
{
	x->v[0] = seed + XXP1 + XXP2;
	x->v[1] = seed + XXP2;
	x->v[2] = seed;
	x->v[3] = seed - XXP1;
	x->done = 0;
}

static ALWAYS_INLINE void xx_stripe(struct xx_state *x, const char *p)
{
	x->v[0] = xx_round(x->v[0], xx_read64(p));
	x->v[1] = xx_round(x->v[1], xx_read64(p + 8));
	x->v[2] = xx_round(x->v[2], xx_read64(p + 16));
	x->v[3] = xx_round(x->v[3], xx_read64(p + 24));
	x->done += 32;
}

/* The remaining stripes, then the tail and the avalanche. */
static inline uint64_t xx_finish(struct xx_state *x, const char *data, size_t len, uint64_t seed)
{
	const char *p = data + x->done, *end = data + len;
	uint64_t h;
	if (len >= 32) {
		while (p + 32 <= end) {
			xx_stripe(x, p);
			p += 32;
		}
		h = xx_rotl(x->v[0], 1) + xx_rotl(x->v[1], 7) + xx_rotl(x->v[2], 12) + xx_rotl(x->v[3], 18);
		h = xx_merge(h, x->v[0]);
		h = xx_merge(h, x->v[1]);
		h = xx_merge(h, x->v[2]);
		h = xx_merge(h, x->v[3]);
	} else {
		h = seed + XXP5;
	}
	h += len;
	for (; p + 8 <= end; p += 8)
		h = xx_rotl(h ^ xx_round(0, xx_read64(p)), 27) * XXP1 + XXP4;
	if (p + 4 <= end) {
		uint32_t v;
		memcpy(&v, p, 4);
		h = xx_rotl(h ^ ((uint64_t)v * XXP1), 23) * XXP2 + XXP3;
		p += 4;
	}
	for (; p < end; p++)
		h = xx_rotl(h ^ ((unsigned char)*p * XXP5), 11) * XXP1;
	h ^= h >> 33;
	h *= XXP2;
	h ^= h >> 29;
	h *= XXP3;
	h ^= h >> 32;
	return h;
}

static inline uint64_t xxh64(const void *data, size_t len, uint64_t seed)
{
	struct xx_state x;
	xx_init(&x, seed);
	return xx_finish(&x, data, len, seed);
}

#endif
