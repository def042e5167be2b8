/* fetch.c's pure pieces that the unit tests (tests/fetch) call; not part
 * of the fetch engine's interface. */
#ifndef AUTHLOG_FETCH_INT_H
#define AUTHLOG_FETCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "fetch.h"

/* How many parts a capped window becomes: enough that each is expected to
 * hold at most 3/4 of the cap, from recordsMatched when known (else 2);
 * never more than the window has seconds, at most 64. 0 when w cannot be
 * split (one second). */
size_t fetch_split_parts(int64_t start, int64_t end, double matched, int cap);
/* The query's own `| limit N` (the last one), or 0 when it has none. */
int fetch_query_limit(const char *query);

#endif
