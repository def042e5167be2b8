#include "ingest.h"

#include <string.h>

#include "classify.h"
#include "kind.h"
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
	buf_free(&in->notes);
	buf_free(&in->script);
	buf_free(&in->kinds);
}

/* The principal's kind, looked up once per run: a run's denials come
 * from a few principals, so the lookup costs nothing next to the rows.
 * Asked here and not stored with each row, because knowing it at every
 * denial would mean tracking each denial's STS response on the hot path;
 * a mapping denial's STS response (which holds the session) is stored
 * just before it, so the lookup sees it. */
static int principal_kind(struct ingest *in, const char *arn, enum principal_kind *out, char *err, size_t err_sz)
{
	size_t n = strlen(arn);
	for (const char *p = buf_str(&in->kinds); *p;) {
		const char *nl = strchr(p, '\n');
		if ((size_t)(nl - p) == n + 1 && memcmp(p + 1, arn, n) == 0) {
			*out = (enum principal_kind)(p[0] - '0');
			return AL_OK;
		}
		p = nl + 1;
	}
	int rc = kind_lookup(store_db(in->store), arn, out, err, err_sz);
	if (rc)
		return rc;
	buf_printf(&in->kinds, "%d%s\n", (int)*out, arn);
	return AL_OK;
}

/* The fix of the finding just stored, filled in with its principal,
 * cluster and region; the `fixes` table holds it as a script: the notes
 * as shell comments, then the commands. */
static int store_fix(struct ingest *in, const struct event_ctx *ctx, char *err, size_t err_sz)
{
	const struct store_event *ev = event_row(in->eb);
	const char *region = event_region(in->eb, ctx);
	struct fix_ctx fc = {.arn = ev->principal_arn ? ev->principal_arn : ev->arn, .cluster = ev->cluster,
			     .region = region};
	if (ev->principal_arn) {
		int rc = principal_kind(in, ev->principal_arn, &fc.kind, err, err_sz);
		if (rc)
			return rc;
	}
	buf_reset(&in->fix);
	buf_reset(&in->notes);
	if (classify_fix(event_class(in->eb), &fc, &in->notes, &in->fix) < 0) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	buf_reset(&in->script);
	for (const char *p = buf_str(&in->notes); *p;) {
		const char *nl = strchr(p, '\n');
		buf_puts(&in->script, "# ");
		buf_append(&in->script, p, (size_t)(nl - p) + 1);
		p = nl + 1;
	}
	buf_puts(&in->script, buf_str(&in->fix));
	if (in->script.oom) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	return store_put_fix(in->store, ev->error_class, ev->principal_arn, ev->cluster, region, buf_str(&in->script),
			     err, err_sz);
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
