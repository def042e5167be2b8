/* Streaming reader (yajl) for the JSON that CloudWatch Logs returns or
 * the AWS CLI prints: GetQueryResults ({"results":[[{"field","value"}..]..],
 * "statistics":{..},"status":".."}) and FilterLogEvents ({"events":[{..}..]}).
 * Rows are delivered one at a time, so input size is not bounded by memory. */
#ifndef AUTHLOG_RESULTS_H
#define AUTHLOG_RESULTS_H

#include <stddef.h>

/* One row. NULL when the field was absent. Strings are NUL-terminated and
 * only valid during the callback. For FilterLogEvents rows, message ->
 * message, log_stream <- logStreamName, ptr <- eventId, timestamp is the
 * epoch-ms number as text. */
struct results_row {
	const char *message;    /* @message / message */
	const char *timestamp;  /* @timestamp: "2022-12-26 20:46:48.123" or epoch ms */
	const char *log_stream; /* @logStream / logStreamName */
	const char *log_group;  /* @log (Insights: "ACCOUNT:GROUP") when present */
	const char *ptr;        /* @ptr / eventId */
	size_t message_len;
};

struct results_stats {
	double records_matched, records_scanned, bytes_scanned;
	double bytes_skipped; /* estimatedBytesSkipped: what a field index spared the scan */
	int have_stats;
};

/* Return non-zero from the callback to stop parsing (results_feed then
 * returns that value). */
typedef int (*results_row_cb)(void *ctx, const struct results_row *row);

struct results_parser;

int results_new(results_row_cb cb, void *ctx, struct results_parser **out);
/* Feed any chunking of the document. Returns 0, the callback's non-zero
 * value, or -1 on malformed JSON (results_error then says where). */
int results_feed(struct results_parser *p, const char *data, size_t len);
int results_finish(struct results_parser *p);
/* "status" of GetQueryResults ("Complete", ...) or "" if none seen. */
const char *results_status(const struct results_parser *p);
/* The document's "nextToken" (more rows follow), or "" if none. */
const char *results_next_token(const struct results_parser *p);
const struct results_stats *results_stats(const struct results_parser *p);
/* Rows delivered so far. */
long long results_rows(const struct results_parser *p);
/* One-line description of the last error ("line 3: ..."), or "". */
const char *results_error(const struct results_parser *p);
void results_free(struct results_parser *p);

#endif
