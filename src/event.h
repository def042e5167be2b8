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

struct event_builder {
	struct parser *parser;
	struct record rec;
	struct arn_info arn;
	struct classify_result cls;
	struct store_event ev;
	struct buf groups;
	char ts[24], account[64], user_id[256], sts_region[32], cluster[256];
};

int event_builder_init(struct event_builder *b); /* 0 / -1; classify_init() first */
void event_builder_free(struct event_builder *b);

/* 1 = b->ev holds a row to store, 0 = the entry is not an authenticator
 * record we keep (count it as skipped). b->ev lives until the next call. */
int event_build(struct event_builder *b, const struct event_ctx *ctx, const struct reader_entry *e);

/* The region a fix should name for the current row. */
const char *event_region(const struct event_builder *b, const struct event_ctx *ctx);

/* "/aws/eks/NAME/cluster" -> NAME into out; 0 / -1. */
int event_cluster_of(const char *log_group, char *out, size_t out_sz);

#endif
