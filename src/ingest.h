/* The one path from a record read (a line of a file, a row of a Logs
 * Insights answer) to a stored, classified row. `import` and `scan` both
 * go through it, so a row fetched and the same row imported from an
 * export are the same row (same dedupe key, same class). No fix is
 * stored: it depends on what the report knows when it runs (the
 * cluster's authentication mode, the principal's kind, --grant). The
 * caller owns the transaction around it. */
#ifndef AUTHLOG_INGEST_H
#define AUTHLOG_INGEST_H

#include "aws/results.h"
#include "buf.h"
#include "event.h"
#include "reader.h"
#include "store.h"

struct ingest {
	struct store *store;
	struct event_builder *eb;
	enum event_skip skipped; /* why the last INGEST_SKIPPED entry was */
};

enum ingest_outcome {
	INGEST_STORED,    /* a new row */
	INGEST_DUPLICATE, /* the store had the row already */
	INGEST_SKIPPED,   /* not an authenticator record */
};

/* Compiles the parser and classifier patterns. AL_OK or AL_SOFTWARE. */
int ingest_open(struct ingest *in, struct store *store, char *err, size_t err_sz);
/* Safe on a zeroed struct and after a failed ingest_open. */
void ingest_close(struct ingest *in);

/* Builds, stores and classifies one entry. ctx fills in what the entry
 * does not say (group, stream, cluster, region). */
int ingest_entry(struct ingest *in, const struct event_ctx *ctx, const struct reader_entry *e,
		 enum ingest_outcome *out, char *err, size_t err_sz);

/* The same for one Logs Insights row: @message and friends are read
 * exactly as the JSON reader reads `aws logs get-query-results` output.
 * line is the row's 1-based position, for messages. */
int ingest_row(struct ingest *in, const struct event_ctx *ctx, const struct results_row *row, long line,
	       enum ingest_outcome *out, char *err, size_t err_sz);

#endif
