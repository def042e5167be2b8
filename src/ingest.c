#include "ingest.h"

#include <string.h>

#include "classify.h"
#include "msg.h"
#include "status.h"

int ingest_open(struct ingest *in, struct store *store, char *err, size_t err_sz)
{
	memset(in, 0, sizeof(*in));
	in->store = store;
	if (classify_init() != 0) {
		msg_set(err, err_sz, "cannot compile the parser patterns");
		return AL_SOFTWARE;
	}
	return event_builder_new(&in->eb, err, err_sz);
}

void ingest_close(struct ingest *in)
{
	event_builder_free(in->eb);
	in->eb = NULL;
	classify_cleanup();
	buf_free(&in->fix);
}

/* The fix of the finding just stored, filled in with its principal,
 * cluster and region. */
static int store_fix(struct ingest *in, const struct event_ctx *ctx, char *err, size_t err_sz)
{
	const struct store_event *ev = event_row(in->eb);
	const char *region = event_region(in->eb, ctx);
	struct fix_ctx fc = {ev->principal_arn ? ev->principal_arn : ev->arn, ev->cluster, region, NULL};
	buf_reset(&in->fix);
	if (classify_fix(event_class(in->eb), &fc, &in->fix) < 0) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	return store_put_fix(in->store, ev->error_class, ev->principal_arn, ev->cluster, region, buf_str(&in->fix),
			     err, err_sz);
}

int ingest_entry(struct ingest *in, const struct event_ctx *ctx, const struct reader_entry *e,
		 enum ingest_outcome *out, char *err, size_t err_sz)
{
	int inserted;
	if (!event_build(in->eb, ctx, e)) {
		*out = INGEST_SKIPPED;
		return AL_OK;
	}
	int rc = store_insert(in->store, event_row(in->eb), &inserted, err, err_sz);
	if (rc)
		return rc;
	*out = inserted ? INGEST_STORED : INGEST_DUPLICATE;
	if (inserted && event_row(in->eb)->error_class)
		return store_fix(in, ctx, err, err_sz);
	return AL_OK;
}

int ingest_row(struct ingest *in, const struct event_ctx *ctx, const struct results_row *row, long line,
	       enum ingest_outcome *out, char *err, size_t err_sz)
{
	struct reader_entry e;
	char stream[256], ts[64];
	reader_entry_from_row(row, line, &e, stream, sizeof(stream), ts, sizeof(ts));
	return ingest_entry(in, ctx, &e, out, err, err_sz);
}
