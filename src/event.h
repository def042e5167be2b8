/* From a read entry to a row: parse the logrus text, then add what the
 * line implies — event time, principal and its canonical ARN, error class
 * and STS details, cluster and region, dedupe key. The import command, the
 * fetcher and the benchmark all go through here, so a row means the same
 * whichever way it arrived. */
#ifndef AUTHLOG_EVENT_H
#define AUTHLOG_EVENT_H

#include "arn.h"
#include "buf.h"
#include "classify.h"
#include "parse.h"
#include "reader.h"
#include "store.h"

/* Defaults for what the input does not say (command-line options). */
struct event_ctx {
	const char *log_group;  /* --log-group */
	const char *log_stream; /* --log-stream */
	const char *cluster;    /* --cluster (else from /aws/eks/NAME/cluster) */
	const char *region;     /* --region (else the STS endpoint's, else $AWS_REGION) */
};

/* The per-line state and the caches of repeated results (event_int.h).
 * One per thread of work; classify_init() first. AL_OK or AL_SOFTWARE
 * (out of memory) with err set. */
struct event_builder;
int event_builder_new(struct event_builder **out, char *err, size_t err_sz);
void event_builder_free(struct event_builder *b);

/* 1 = event_row(b) is a row to store, 0 = the entry is not an
 * authenticator record we keep (count it as skipped; event_skipped says
 * why). */
int event_build(struct event_builder *b, const struct event_ctx *ctx, const struct reader_entry *e);

enum event_skip {
	EVENT_SKIP_NOT_RECORD,     /* not an authenticator record we keep */
	EVENT_SKIP_NO_TIME,        /* one, but neither it nor its wrapper tells a time */
	EVENT_SKIP_FOREIGN_STREAM, /* from a stream not authenticator-* (reader.h) */
	EVENT_SKIP_MALFORMED,      /* a NUL byte, a line break inside (parse.h, reader.h) */
};
/* Why the last event_build returned 0. */
enum event_skip event_skipped(const struct event_builder *b);

/* The row the last event_build made, valid until the next call, and the
 * error class of that row when it is a denial (its error_class set). */
const struct store_event *event_row(const struct event_builder *b);
enum error_class event_class(const struct event_builder *b);

/* The region a fix should name for the current row. */
const char *event_region(const struct event_builder *b, const struct event_ctx *ctx);

/* "/aws/eks/NAME/cluster" -> NAME into out; 0 / -1. */
int event_cluster_of(const char *log_group, char *out, size_t out_sz);

#endif
