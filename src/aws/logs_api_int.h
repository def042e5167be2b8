/* What the unit tests reach in logs_api.c: the request bodies and the
 * parsers of the small answers. */
#ifndef AUTHLOG_LOGS_API_INT_H
#define AUTHLOG_LOGS_API_INT_H

#include "logs_api.h"

/* request bodies:
 * StartQuery: {"logGroupName":G,"startTime":S,"endTime":E,"queryString":Q,"limit":L}
 * (limit left out when 0). AL_OK, or AL_SOFTWARE on out-of-memory. */
int logs_api_start_query_body(struct buf *b, const char *log_group, int64_t start, int64_t end,
			      const char *query, int limit);
/* {"queryId":ID} for StopQuery. */
int logs_api_query_id_body(struct buf *b, const char *query_id);
/* GetQueryResults: {"queryId":ID[,"nextToken":T][,"maxItems":N]} (the
 * token left out when NULL or "", maxItems when 0). */
int logs_api_get_results_body(struct buf *b, const char *query_id, const char *next_token, int max_items);
/* {"logGroupNamePrefix":P,"limit":50[,"nextToken":T]} */
int logs_api_describe_log_groups_body(struct buf *b, const char *prefix, const char *next_token);

/* {"logGroupName":G,"logStreamNamePrefix":P,"limit":50[,"nextToken":T]} */
int logs_api_describe_log_streams_body(struct buf *b, const char *group, const char *prefix,
				       const char *next_token);

/* {"queryId":"…"}: AL_OK and the id copied, or AL_UNAVAILABLE
 * (AL_SOFTWARE on out-of-memory) with err set. */
int logs_api_parse_query_id(const char *body, size_t len, char *query_id, size_t id_sz, char *err,
			    size_t err_sz);
/* The entry named exactly name in a DescribeLogGroups answer, and its
 * nextToken (empty when none). AL_OK, or a status with err set. */
/* A DescribeLogStreams answer: its streams appended to out, its nextToken
 * (empty when none). AL_OK, AL_SOFTWARE on out-of-memory, or another
 * status with err set. */
int logs_api_parse_log_streams(const char *body, size_t len, struct logs_stream_list *out, char *next_token,
			       size_t token_sz, char *err, size_t err_sz);
int logs_api_parse_log_groups(const char *body, size_t len, const char *name, struct logs_group_info *out,
			      char *next_token, size_t token_sz, char *err, size_t err_sz);

/* {"logGroupName":G,"logStreamNamePrefix":P,"filterPattern":F,"startTime":MS,
 * "endTime":MS[,"nextToken":T]} */
int logs_api_filter_log_events_body(struct buf *b, const char *group, const char *prefix, const char *pattern,
				    int64_t start_ms, int64_t end_ms, const char *next_token);
/* A FilterLogEvents answer: each event to cb (group as its log group, its
 * eventId as ptr, its timestamp as epoch ms), the events counted in *n,
 * its nextToken (empty when none). AL_OK, the callback's status, or
 * AL_UNAVAILABLE / AL_SOFTWARE with err set. */
int logs_api_parse_filter_events(const char *body, size_t len, const char *group, results_row_cb cb, void *ctx,
				 long long *n, char *next_token, size_t token_sz, char *err, size_t err_sz);

#endif
