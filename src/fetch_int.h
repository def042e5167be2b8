/* fetch.c's pure pieces that the unit tests (tests/fetch) call; not part
 * of the fetch engine's interface. */
#ifndef AUTHLOG_FETCH_INT_H
#define AUTHLOG_FETCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "aws/logs_api.h"
#include "fetch.h"

/* How many parts a capped window becomes: enough that each is expected to
 * hold at most 3/4 of the cap, from recordsMatched when known (else 2);
 * never more than the window has seconds, at most 64. 0 when w cannot be
 * split (one second). */
size_t fetch_split_parts(int64_t start, int64_t end, double matched, int cap);
/* The query's own `| limit N` (the last one), or 0 when it has none. */
int fetch_query_limit(const char *query);

/* The streams of l whose events may fall in [start, end] (epoch seconds):
 * their indexes into idx (room for l->n), their count returned, and the
 * span of their events within the window in *qs..*qe. A stream whose
 * last event or ingestion is within STREAM_ACTIVE_S of now (still written
 * to: lastEventTimestamp lags up to an hour) is taken to run to the end. */
size_t fetch_streams_select(const struct logs_stream_list *l, int64_t start, int64_t end, int64_t now, size_t *idx,
			    int64_t *qs, int64_t *qe);
/* query with `filter @logStream in [...]` put before its first command
 * (after its leading comments), the n streams idx[] of l spread over as
 * few queries as keep each at most max_len characters. *out (caller frees
 * each and the array) and *nout. AL_OK, AL_DATAERR when one name alone
 * does not fit, AL_SOFTWARE on out-of-memory. */
int fetch_stream_queries(const char *query, const struct logs_stream_list *l, const size_t *idx, size_t n,
			 size_t max_len, char ***out, size_t *nout);

#endif
