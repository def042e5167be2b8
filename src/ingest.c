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
}

int ingest_entry(struct ingest *in, const struct event_ctx *ctx, const struct reader_entry *e,
		 enum ingest_outcome *out, char *err, size_t err_sz)
{
	int inserted;
	if (!event_build(in->eb, ctx, e)) {
		*out = INGEST_SKIPPED;
		in->skipped = event_skipped(in->eb);
		return AL_OK;
	}
	int rc = store_insert(in->store, event_row(in->eb), &inserted, err, err_sz);
	if (rc)
		return rc;
	*out = inserted ? INGEST_STORED : INGEST_DUPLICATE;
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
