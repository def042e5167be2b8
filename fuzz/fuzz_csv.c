/* csv_next over a read_fn that serves the input a few bytes at a time
 * (1..16 bytes per call, sizes from the input's hash), checked against
 * the same input read in one piece, and against a re-encoding of the
 * records (every field quoted) read back. */
#include "fuzz_common.h"

#include "buf.h"
#include "csv.h"
#include "status.h"

struct src {
	const uint8_t *data;
	size_t size, pos;
	uint64_t rng; /* 0: hand out as much as fits */
};

static long serve(void *ctx, char *dst, size_t cap)
{
	struct src *s = ctx;
	FUZZ_CHECK(cap > 0);
	if (s->pos == s->size)
		return 0;
	size_t n = cap;
	if (s->rng) {
		s->rng = s->rng * 6364136223846793005ULL + 1442695040888963407ULL;
		n = 1 + (size_t)((s->rng >> 33) % 16);
	}
	if (n > cap)
		n = cap;
	if (n > s->size - s->pos)
		n = s->size - s->pos;
	memcpy(dst, s->data + s->pos, n);
	s->pos += n;
	return (long)n;
}

/* Reads everything; out gets the records quoted RFC 4180-style (with
 * "L<line>:" before each when with_lines), then "EOF" or "ERR:<msg>".
 * enc gets the plain re-encoding (no line numbers, no end marker). */
static int read_all(const uint8_t *data, size_t size, uint64_t rng, int with_lines, struct buf *out,
		    struct buf *enc)
{
	struct src s = {data, size, 0, rng};
	struct csv_reader *r = NULL;
	struct csv_record rec;
	long last_line = 0;
	char err[256], again[256];
	int rc;

	if (csv_new(serve, &s, &r, NULL, 0) != AL_OK)
		abort();
	while ((rc = csv_next(r, &rec, err, sizeof(err))) == AL_OK && rec.nfields) {
		FUZZ_CHECK(rec.nfields >= 1 && rec.nfields <= CSV_MAX_FIELDS);
		FUZZ_CHECK(rec.line > last_line);
		last_line = rec.line;
		if (with_lines)
			buf_printf(out, "L%ld:", rec.line);
		for (size_t i = 0; i < rec.nfields; i++) {
			touch(rec.field[i], rec.len[i] + 1);
			FUZZ_CHECK(rec.field[i][rec.len[i]] == '\0');
			FUZZ_CHECK(rec.len[i] <= size);
			struct buf *b[2] = {out, enc};
			for (int k = 0; k < 2; k++) {
				if (!b[k])
					continue;
				if (i)
					buf_putc(b[k], ',');
				buf_putc(b[k], '"');
				for (size_t j = 0; j < rec.len[i]; j++) {
					if (rec.field[i][j] == '"')
						buf_putc(b[k], '"');
					buf_putc(b[k], rec.field[i][j]);
				}
				buf_putc(b[k], '"');
			}
		}
		buf_putc(out, '\n');
		if (enc)
			buf_puts(enc, "\r\n");
	}
	/* read_fn never fails here and memory lasts: only malformed input stops it */
	FUZZ_CHECK(rc == AL_OK || rc == AL_DATAERR);
	FUZZ_CHECK(rec.nfields == 0);
	/* Both end states are sticky, the message too. */
	FUZZ_CHECK(csv_next(r, &rec, again, sizeof(again)) == rc);
	FUZZ_CHECK(rc == AL_OK || (touch_str(err) > 0 && strcmp(err, again) == 0));
	if (rc == AL_OK)
		buf_puts(out, "EOF");
	else
		buf_printf(out, "ERR:%s", err);
	csv_free(r);
	FUZZ_CHECK(!out->oom && !(enc && enc->oom));
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf chunked = BUF_INIT, whole = BUF_INIT, enc = BUF_INIT, again = BUF_INIT;
	uint64_t h = fuzz_hash(data, size) | 1;

	read_all(data, size, h, 1, &chunked, NULL);
	int rc = read_all(data, size, 0, 1, &whole, &enc);
	/* How read_fn cuts the bytes must not matter, error lines included. */
	if (chunked.len != whole.len || memcmp(buf_str(&chunked), buf_str(&whole), whole.len) != 0) {
		fprintf(stderr, "chunked:\n%s\nwhole:\n%s\n", buf_str(&chunked), buf_str(&whole));
		FUZZ_CHECK(!"chunked and whole reads differ");
	}
	/* Records quoted back into CSV read back the same. */
	buf_reset(&whole);
	struct buf enc2 = BUF_INIT;
	FUZZ_CHECK(read_all((const uint8_t *)buf_str(&enc), enc.len, 0, 0, &again, &enc2) == AL_OK);
	if (enc2.len != enc.len || memcmp(buf_str(&enc2), buf_str(&enc), enc.len) != 0) {
		fprintf(stderr, "first:\n%s\nround trip:\n%s\n", buf_str(&enc), buf_str(&enc2));
		FUZZ_CHECK(!"re-encoded records read back differently");
	}
	(void)rc;
	buf_free(&chunked);
	buf_free(&whole);
	buf_free(&enc);
	buf_free(&enc2);
	buf_free(&again);
	return 0;
}
