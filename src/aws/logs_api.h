/* The CloudWatch Logs calls the fetcher makes — StartQuery,
 * GetQueryResults, StopQuery, DescribeLogGroups, DescribeLogStreams,
 * FilterLogEvents — as
 * awsJson1_1 requests
 * through aws_request() (signing, retries, error decoding), with their
 * bodies built here and their answers parsed here (GetQueryResults through
 * the streaming results.c parser, so rows reach the caller one at a time).
 * Wire format: the CloudWatch Logs API reference,
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/
 * (awsJson1_1, X-Amz-Target Logs_20140328.<Operation>).
 *
 * Thread use: one aws_client per thread; the logs_target (endpoint,
 * region, credential provider) is shared and read-only, the provider is
 * thread-safe. */
#ifndef AUTHLOG_LOGS_API_H
#define AUTHLOG_LOGS_API_H

#include <stddef.h>
#include <stdint.h>

#include "aws_creds.h"
#include "aws_request.h"
#include "buf.h"
#include "results.h"

/* StartQuery's largest `limit` (since 2026-05-15; the botocore model of
 * logs 2014-03-28 says 1..100000), and the 10,000 it was before, which an
 * older partition or an emulator may still enforce. A query returning its
 * limit may have more. */
#define LOGS_API_MAX_LIMIT 100000
#define LOGS_API_LEGACY_LIMIT 10000
/* GetQueryResults' maxItems: rows per page, at most 10,000. */
#define LOGS_API_PAGE_MAX 10000
#define LOGS_API_QUERY_ID_MAX 257
#define LOGS_API_TOKEN_MAX 4096

struct logs_target {
	const char *endpoint;                 /* "https://logs.eu-west-1.amazonaws.com" */
	const char *region;                   /* signing region */
	struct aws_creds_provider *creds;     /* shared; NULL only in tests that pass static_creds */
	const struct aws_credentials *static_creds; /* used when creds is NULL */
	int verbose;                          /* one stderr line per call: operation, status,
					       * latency, attempts (never a secret) */
};

/* GetQueryResults, as far as the fetcher needs it. */
enum logs_query_status {
	LOGS_Q_UNKNOWN_STATUS = 0, /* missing or not one of the documented values */
	LOGS_Q_SCHEDULED,
	LOGS_Q_RUNNING,
	LOGS_Q_COMPLETE,
	LOGS_Q_FAILED,
	LOGS_Q_CANCELLED,
	LOGS_Q_TIMEOUT,
	LOGS_Q_UNKNOWN,            /* the service's own "Unknown" */
};

struct logs_query_result {
	enum logs_query_status status;
	char status_text[32];      /* as sent, for messages */
	struct results_stats stats;
	long long rows;            /* rows delivered to the callback */
	char next_token[LOGS_API_TOKEN_MAX]; /* more rows of a Complete query: "" when none */
};

struct logs_group_info {
	int found;
	int64_t creation_ms;       /* creationTime, 0 when absent */
	int retention_days;        /* retentionInDays, 0 = never expires */
	char account[13];          /* the account in the group's arn, "" when absent */
	double stored_bytes;       /* storedBytes: everything the group holds; -1 when absent */
	int infrequent_access;     /* logGroupClass INFREQUENT_ACCESS: no field index, so every
				    * byte of the window is scanned whatever the query names */
};

/* A log stream and the times of its events, from DescribeLogStreams. */
struct logs_stream {
	char *name;
	int64_t first_ms;          /* firstEventTimestamp; 0: the stream has no event */
	int64_t last_ms;           /* the later of lastEventTimestamp (updated within about an
				    * hour, "eventually") and lastIngestionTime; 0 when absent */
};

struct logs_stream_list {
	struct logs_stream *v;
	size_t n, cap;
};
void logs_api_stream_list_free(struct logs_stream_list *l);

enum logs_query_status logs_api_status_of(const char *text);
const char *logs_api_status_name(enum logs_query_status s);
/* 1 for Complete, Failed, Cancelled, Timeout and Unknown. */
int logs_api_status_terminal(enum logs_query_status s);

/* ---- the calls ----
 * Each returns aws_request()'s status (AL_OK or an al_status) with fault
 * and the message in err filled on failure. A 2xx whose body is not the
 * expected shape is AL_UNAVAILABLE with fault->kind AWS_ERR_BAD_RESPONSE
 * (worth a retry). An ExpiredToken answer refreshes the credentials once
 * and retries. */
int logs_api_start_query(struct aws_client *c, const struct logs_target *t, const char *log_group,
			 int64_t start, int64_t end, const char *query, int limit, char *query_id, size_t id_sz,
			 struct aws_fault *fault, char *err, size_t err_sz);
/* Rows go to cb while the body is parsed; a caller that only trusts the
 * final set (it should) keeps them only when out->status is COMPLETE.
 * A callback's non-zero return stops parsing and is returned. next_token
 * (NULL or "" for the first page) and max_items (0: leave it out, as a
 * service without paging wants) page a Complete query's rows; the answer's
 * out->next_token says whether more follow. */
int logs_api_get_query_results(struct aws_client *c, const struct logs_target *t, const char *query_id,
			       const char *next_token, int max_items, results_row_cb cb, void *ctx,
			       struct logs_query_result *out,
			       struct aws_fault *fault, char *err, size_t err_sz);
/* *stopped = the service's "success". An already finished or unknown query
 * (InvalidParameterException / ResourceNotFoundException) is AL_OK with
 * *stopped = 0: there is nothing left to stop. */
int logs_api_stop_query(struct aws_client *c, const struct logs_target *t, const char *query_id, int *stopped,
			struct aws_fault *fault, char *err, size_t err_sz);
/* Every stream of the group whose name starts with prefix, page by page
 * (50 a page, the API's largest), into out (emptied first). A missing
 * group is AL_NOINPUT with fault->kind AWS_ERR_NOT_FOUND. */
int logs_api_list_log_streams(struct aws_client *c, const struct logs_target *t, const char *group,
			      const char *prefix, struct logs_stream_list *out, struct aws_fault *fault, char *err,
			      size_t err_sz);
/* One page of FilterLogEvents over [start_ms, end_ms] (both inclusive) of
 * the streams named prefix*, keeping the events filter pattern matches:
 * each to cb as a row (message, timestamp in epoch ms, stream, group,
 * eventId as ptr), their number in *n, and next_out the token of the
 * next page ("" when none). next_token: NULL or "" for the first page. A
 * page may be partial or empty while a token follows: the caller reads
 * on until there is none.
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html */
int logs_api_filter_log_events(struct aws_client *c, const struct logs_target *t, const char *group,
			       const char *prefix, const char *pattern, int64_t start_ms, int64_t end_ms,
			       const char *next_token, results_row_cb cb, void *ctx, long long *n, char *next_out,
			       size_t next_sz, struct aws_fault *fault, char *err, size_t err_sz);
/* Looks the group up by name (prefix search, a few pages at most). */
int logs_api_describe_log_group(struct aws_client *c, const struct logs_target *t, const char *name,
				struct logs_group_info *out, struct aws_fault *fault, char *err, size_t err_sz);

#endif
