/* The Logs Insights / FilterLogEvents JSON parser, fed in two chunks whose
 * split point comes from the input's hash (so a valid seed stays valid). */
#include "fuzz_common.h"

#include "results.h"

struct seen {
	long long rows;
	long long stop_after; /* 0: never stop */
};

static int on_row(void *ctx, const struct results_row *row)
{
	struct seen *s = ctx;
	if (row->message) {
		/* message_len bytes (NULs allowed), then a terminator */
		touch(row->message, row->message_len + 1);
		FUZZ_CHECK(row->message[row->message_len] == '\0');
	} else {
		FUZZ_CHECK(row->message_len == 0);
	}
	touch_str(row->timestamp);
	touch_str(row->log_stream);
	touch_str(row->log_group);
	touch_str(row->ptr);
	s->rows++;
	return s->stop_after && s->rows == s->stop_after ? 42 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t h = fuzz_hash(data, size);
	size_t split = (size_t)(h % (size + 1));
	struct seen s = {0, (h >> 32) % 8 == 0 ? (long long)((h >> 40) % 4) + 1 : 0};
	struct results_parser *p = NULL;

	if (results_new(on_row, &s, &p) != 0)
		abort();
	const char *doc = (const char *)data;
	int rc = split ? results_feed(p, doc, split) : 0;
	if (rc == 0 && size > split)
		rc = results_feed(p, doc + split, size - split);
	if (rc == 0)
		rc = results_finish(p);
	FUZZ_CHECK(rc == 0 || rc == -1 || rc == 42);
	if (rc == 42)
		FUZZ_CHECK(s.stop_after && s.rows == s.stop_after);
	/* Once failed or stopped, the parser stays so. */
	if (rc != 0)
		FUZZ_CHECK(results_feed(p, "{}", 2) == rc && results_finish(p) == rc);

	FUZZ_CHECK(results_rows(p) == s.rows);
	const char *e = results_error(p);
	FUZZ_CHECK(e != NULL);
	FUZZ_CHECK((touch_str(e) > 0) == (rc == -1));
	touch_str(results_status(p));
	const struct results_stats *st = results_stats(p);
	FUZZ_CHECK(st != NULL);
	fuzz_sink += (unsigned)st->have_stats;
	results_free(p);
	return 0;
}
