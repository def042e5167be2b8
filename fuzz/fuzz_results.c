/* The Logs Insights / FilterLogEvents JSON parser, fed in two chunks whose
 * split point comes from the input's hash (so a valid seed stays valid),
 * and checked against the same document fed in one piece; statistics
 * are finite counts whatever the document says. */
#include "fuzz_common.h"

#include <math.h>

#include "buf.h"
#include "aws/results.h"

struct seen {
	long long rows;
	long long stop_after; /* 0: never stop */
	struct buf out;       /* every row, for comparing two runs */
};

static void put_field(struct buf *b, const char *name, const char *s, size_t n)
{
	if (!s) {
		buf_printf(b, " %s=NULL", name);
		return;
	}
	buf_printf(b, " %s=%zu:", name, n);
	buf_append(b, s, n);
}

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
	buf_puts(&s->out, "row");
	put_field(&s->out, "message", row->message, row->message_len);
	put_field(&s->out, "timestamp", row->timestamp, touch_str(row->timestamp));
	put_field(&s->out, "log_stream", row->log_stream, touch_str(row->log_stream));
	put_field(&s->out, "log_group", row->log_group, touch_str(row->log_group));
	put_field(&s->out, "ptr", row->ptr, touch_str(row->ptr));
	buf_putc(&s->out, '\n');
	s->rows++;
	return s->stop_after && s->rows == s->stop_after ? 42 : 0;
}

/* Parses data cut at split (0 or size: one piece); s->out gets the rows
 * and the final state. Returns the status. */
static int run(const uint8_t *data, size_t size, size_t split, struct seen *s)
{
	struct results_parser *p = NULL;

	if (results_new(on_row, s, &p) != 0)
		abort();
	const char *doc = (const char *)data;
	int rc = split ? results_feed(p, doc, split) : 0;
	if (rc == 0 && size > split)
		rc = results_feed(p, doc + split, size - split);
	if (rc == 0)
		rc = results_finish(p);
	FUZZ_CHECK(rc == 0 || rc == -1 || rc == 42);
	if (rc == 42)
		FUZZ_CHECK(s->stop_after && s->rows == s->stop_after);
	/* Once failed or stopped, the parser stays so. */
	if (rc != 0)
		FUZZ_CHECK(results_feed(p, "{}", 2) == rc && results_finish(p) == rc);

	FUZZ_CHECK(results_rows(p) == s->rows);
	const char *e = results_error(p);
	FUZZ_CHECK(e != NULL);
	FUZZ_CHECK((touch_str(e) > 0) == (rc == -1));
	const char *status = results_status(p);
	const struct results_stats *st = results_stats(p);
	FUZZ_CHECK(st != NULL);
	/* Statistics are finite counts or the parse failed. */
	FUZZ_CHECK(isfinite(st->records_matched) && st->records_matched >= 0);
	FUZZ_CHECK(isfinite(st->records_scanned) && st->records_scanned >= 0);
	FUZZ_CHECK(isfinite(st->bytes_scanned) && st->bytes_scanned >= 0);
	buf_printf(&s->out, "rc=%d err=%s rows=%lld status=%zu:%s stats=%d/%.17g/%.17g/%.17g\n",
		   rc, e, results_rows(p), touch_str(status), status, st->have_stats, st->records_matched,
		   st->records_scanned, st->bytes_scanned);
	FUZZ_CHECK(!s->out.oom);
	results_free(p);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t h = fuzz_hash(data, size);
	size_t split = (size_t)(h % (size + 1));
	struct seen a = {0, 0, BUF_INIT}, b = {0, 0, BUF_INIT};

	run(data, size, split, &a);
	run(data, size, 0, &b);
	/* How the document is cut must not change the rows or the outcome. */
	if (a.out.len != b.out.len || memcmp(buf_str(&a.out), buf_str(&b.out), b.out.len) != 0) {
		fprintf(stderr, "split at %zu:\n%s\none piece:\n%s\n", split, buf_str(&a.out),
			buf_str(&b.out));
		FUZZ_CHECK(!"split and whole parses differ");
	}
	buf_free(&a.out);
	buf_free(&b.out);

	/* A callback that stops the parse after one of the first rows. */
	if ((h >> 32) % 4 == 0) {
		struct seen c = {0, (long long)((h >> 40) % 4) + 1, BUF_INIT};
		run(data, size, split, &c);
		buf_free(&c.out);
	}
	return 0;
}
