/* csv_next over a read_fn that serves the input a few bytes at a time
 * (1..16 bytes per call, sizes from the input's hash). */
#include "fuzz_common.h"

#include "csv.h"

struct src {
	const uint8_t *data;
	size_t size, pos;
	uint64_t rng;
};

static long serve(void *ctx, char *dst, size_t cap)
{
	struct src *s = ctx;
	FUZZ_CHECK(cap > 0);
	if (s->pos == s->size)
		return 0;
	s->rng = s->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	size_t n = 1 + (size_t)((s->rng >> 33) % 16);
	if (n > cap)
		n = cap;
	if (n > s->size - s->pos)
		n = s->size - s->pos;
	memcpy(dst, s->data + s->pos, n);
	s->pos += n;
	return (long)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct src s = {data, size, 0, fuzz_hash(data, size)};
	struct csv_reader *r = NULL;
	struct csv_record rec;
	long last_line = 0;
	int rc;

	if (csv_new(serve, &s, &r) != 0)
		abort();
	while ((rc = csv_next(r, &rec)) == 1) {
		FUZZ_CHECK(rec.nfields >= 1 && rec.nfields <= CSV_MAX_FIELDS);
		FUZZ_CHECK(rec.line > last_line);
		last_line = rec.line;
		for (size_t i = 0; i < rec.nfields; i++) {
			touch(rec.field[i], rec.len[i] + 1);
			FUZZ_CHECK(rec.field[i][rec.len[i]] == '\0');
			FUZZ_CHECK(rec.len[i] <= size);
		}
	}
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(rec.nfields == 0);
	/* Both end states are sticky. */
	FUZZ_CHECK(csv_next(r, &rec) == rc);
	FUZZ_CHECK((touch_str(csv_error(r)) > 0) == (rc == -1));
	csv_free(r);
	return 0;
}
