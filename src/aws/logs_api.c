#include "logs_api.h"
#include "logs_api_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "aws_doc.h"
#include "msg.h"
#include "status.h"

#define TARGET_PREFIX "Logs_20140328."
#define DESCRIBE_MAX_PAGES 20 /* 1,000 groups sharing the prefix: far more than a real account has */
#define STREAMS_MAX_PAGES 400 /* 20,000 authenticator streams in the group's retention: more than EKS
			       * writes in years (it rotates a few a day) */

/* ---- bodies ---- */

static void key(struct buf *b, const char *name, int first)
{
	buf_puts(b, first ? "{" : ",");
	buf_json_string(b, name, strlen(name));
	buf_putc(b, ':');
}

int logs_api_start_query_body(struct buf *b, const char *log_group, int64_t start, int64_t end,
			      const char *query, int limit)
{
	key(b, "logGroupName", 1);
	buf_json_string(b, log_group, strlen(log_group));
	key(b, "startTime", 0);
	buf_printf(b, "%" PRId64, start);
	key(b, "endTime", 0);
	buf_printf(b, "%" PRId64, end);
	key(b, "queryString", 0);
	buf_json_string(b, query, strlen(query));
	if (limit > 0) {
		key(b, "limit", 0);
		buf_printf(b, "%d", limit);
	}
	buf_putc(b, '}');
	return b->oom ? AL_SOFTWARE : AL_OK;
}

int logs_api_query_id_body(struct buf *b, const char *query_id)
{
	key(b, "queryId", 1);
	buf_json_string(b, query_id, strlen(query_id));
	buf_putc(b, '}');
	return b->oom ? AL_SOFTWARE : AL_OK;
}

int logs_api_get_results_body(struct buf *b, const char *query_id, const char *next_token, int max_items)
{
	key(b, "queryId", 1);
	buf_json_string(b, query_id, strlen(query_id));
	if (next_token && *next_token) {
		key(b, "nextToken", 0);
		buf_json_string(b, next_token, strlen(next_token));
	}
	if (max_items > 0) {
		key(b, "maxItems", 0);
		buf_printf(b, "%d", max_items);
	}
	buf_putc(b, '}');
	return b->oom ? AL_SOFTWARE : AL_OK;
}

int logs_api_describe_log_groups_body(struct buf *b, const char *prefix, const char *next_token)
{
	key(b, "logGroupNamePrefix", 1);
	buf_json_string(b, prefix, strlen(prefix));
	key(b, "limit", 0);
	buf_puts(b, "50");
	if (next_token && *next_token) {
		key(b, "nextToken", 0);
		buf_json_string(b, next_token, strlen(next_token));
	}
	buf_putc(b, '}');
	return b->oom ? AL_SOFTWARE : AL_OK;
}

/* The API's largest page of DescribeLogStreams:
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogStreams.html */
int logs_api_describe_log_streams_body(struct buf *b, const char *group, const char *prefix,
				       const char *next_token)
{
	key(b, "logGroupName", 1);
	buf_json_string(b, group, strlen(group));
	key(b, "logStreamNamePrefix", 0);
	buf_json_string(b, prefix, strlen(prefix));
	key(b, "limit", 0);
	buf_puts(b, "50");
	if (next_token && *next_token) {
		key(b, "nextToken", 0);
		buf_json_string(b, next_token, strlen(next_token));
	}
	buf_putc(b, '}');
	return b->oom ? AL_SOFTWARE : AL_OK;
}

int logs_api_filter_log_events_body(struct buf *b, const char *group, const char *prefix, const char *pattern,
				    int64_t start_ms, int64_t end_ms, const char *next_token)
{
	key(b, "logGroupName", 1);
	buf_json_string(b, group, strlen(group));
	key(b, "logStreamNamePrefix", 0);
	buf_json_string(b, prefix, strlen(prefix));
	key(b, "filterPattern", 0);
	buf_json_string(b, pattern, strlen(pattern));
	key(b, "startTime", 0);
	buf_printf(b, "%" PRId64, start_ms);
	key(b, "endTime", 0);
	buf_printf(b, "%" PRId64, end_ms);
	if (next_token && *next_token) {
		key(b, "nextToken", 0);
		buf_json_string(b, next_token, strlen(next_token));
	}
	buf_putc(b, '}');
	return b->oom ? AL_SOFTWARE : AL_OK;
}

/* ---- small answers (yajl tree: they are a few hundred bytes) ---- */

/* Numbers may come as integers or (moto) doubles; 0 when not a number
 * or a double no int64 holds (converting one would be undefined). */
static int64_t number_of(yajl_val v)
{
	if (!YAJL_IS_NUMBER(v))
		return 0;
	if (YAJL_IS_INTEGER(v))
		return YAJL_GET_INTEGER(v);
	double d = YAJL_GET_DOUBLE(v);
	return d > -9.2e18 && d < 9.2e18 ? (int64_t)d : 0;
}

/* arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME[:*] -> ACCOUNT (12 digits). */
static void account_of(const char *arn, char *out, size_t out_sz)
{
	out[0] = '\0';
	for (int field = 0; arn && field < 4; field++)
		if ((arn = strchr(arn, ':')) != NULL)
			arn++;
	if (arn && strspn(arn, "0123456789") == 12 && arn[12] == ':' && out_sz > 12)
		snprintf(out, out_sz, "%.12s", arn);
}

void logs_api_stream_list_free(struct logs_stream_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int stream_add(struct logs_stream_list *l, const char *name, int64_t first, int64_t last)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct logs_stream *nv = realloc(l->v, ncap * sizeof(*nv));
		if (!nv)
			return AL_SOFTWARE;
		l->v = nv;
		l->cap = ncap;
	}
	char *copy = strdup(name);
	if (!copy)
		return AL_SOFTWARE;
	l->v[l->n++] = (struct logs_stream){copy, first, last};
	return AL_OK;
}

/* A page of a paged answer: its tree, the list under key, and its
 * nextToken (*tok, NULL on the last page), checked to fit token_sz. NULL
 * with err set when the answer is not such a page; *tree is freed by the
 * caller either way. */
static yajl_val page_list(const char *body, size_t len, const char *key, yajl_val *tree, const char **tok,
			  size_t token_sz, char *err, size_t err_sz)
{
	*tok = NULL;
	if (!(*tree = aws_doc_tree(body, len, err, err_sz)))
		return NULL;
	yajl_val list = aws_doc_member(*tree, key);
	if (!YAJL_IS_ARRAY(list)) {
		msg_set(err, err_sz, "the response has no %s list", key);
		return NULL;
	}
	*tok = aws_doc_str(aws_doc_member(*tree, "nextToken"));
	if (*tok && strlen(*tok) >= token_sz) {
		msg_set(err, err_sz, "the nextToken is longer than %zu bytes", token_sz - 1);
		return NULL;
	}
	return list;
}

int logs_api_parse_log_streams(const char *body, size_t len, struct logs_stream_list *out, char *next_token,
			       size_t token_sz, char *err, size_t err_sz)
{
	yajl_val tree;
	const char *tok;
	int rc = AL_UNAVAILABLE;
	next_token[0] = '\0';
	yajl_val streams = page_list(body, len, "logStreams", &tree, &tok, token_sz, err, err_sz);
	if (!streams)
		goto out;
	for (size_t i = 0; i < streams->u.array.len; i++) {
		yajl_val st = streams->u.array.values[i];
		const char *name = aws_doc_str(aws_doc_member(st, "logStreamName"));
		if (!name || !*name)
			continue;
		int64_t first = number_of(aws_doc_member(st, "firstEventTimestamp"));
		int64_t last = number_of(aws_doc_member(st, "lastEventTimestamp"));
		int64_t ingested = number_of(aws_doc_member(st, "lastIngestionTime"));
		if (stream_add(out, name, first > 0 ? first : 0, ingested > last ? ingested : last) != AL_OK) {
			msg_set(err, err_sz, "out of memory");
			rc = AL_SOFTWARE;
			goto out;
		}
	}
	if (tok)
		snprintf(next_token, token_sz, "%s", tok);
	rc = AL_OK;
out:
	yajl_tree_free(tree);
	return rc;
}

int logs_api_parse_query_id(const char *body, size_t len, char *query_id, size_t id_sz, char *err,
			    size_t err_sz)
{
	yajl_val tree = aws_doc_tree(body, len, err, err_sz);
	int rc = AL_UNAVAILABLE;
	if (!tree)
		return AL_UNAVAILABLE;
	const char *id = aws_doc_str(aws_doc_member(tree, "queryId"));
	if (!id || !*id) {
		msg_set(err, err_sz, "the response has no queryId");
		goto out;
	}
	if (strlen(id) >= id_sz) {
		msg_set(err, err_sz, "the queryId is longer than %zu bytes", id_sz - 1);
		goto out;
	}
	snprintf(query_id, id_sz, "%s", id);
	rc = AL_OK;
out:
	yajl_tree_free(tree);
	return rc;
}

int logs_api_parse_log_groups(const char *body, size_t len, const char *name, struct logs_group_info *out,
			      char *next_token, size_t token_sz, char *err, size_t err_sz)
{
	yajl_val tree = aws_doc_tree(body, len, err, err_sz);
	int rc = AL_UNAVAILABLE;
	next_token[0] = '\0';
	if (!tree)
		return AL_UNAVAILABLE;
	yajl_val groups = aws_doc_member(tree, "logGroups");
	if (!YAJL_IS_ARRAY(groups)) {
		msg_set(err, err_sz, "the response has no logGroups list");
		goto out;
	}
	for (size_t i = 0; i < groups->u.array.len; i++) {
		yajl_val g = groups->u.array.values[i];
		const char *n = aws_doc_str(aws_doc_member(g, "logGroupName"));
		if (!n || strcmp(n, name) != 0)
			continue;
		out->found = 1;
		out->creation_ms = number_of(aws_doc_member(g, "creationTime"));
		out->retention_days = (int)number_of(aws_doc_member(g, "retentionInDays"));
		account_of(aws_doc_str(aws_doc_member(g, "arn")), out->account, sizeof(out->account));
		yajl_val sb = aws_doc_member(g, "storedBytes");
		out->stored_bytes = YAJL_IS_NUMBER(sb) ? YAJL_GET_DOUBLE(sb) : -1;
		const char *cls = aws_doc_str(aws_doc_member(g, "logGroupClass"));
		out->infrequent_access = cls && strcmp(cls, "INFREQUENT_ACCESS") == 0;
		break;
	}
	const char *tok = aws_doc_str(aws_doc_member(tree, "nextToken"));
	if (tok && strlen(tok) < token_sz)
		snprintf(next_token, token_sz, "%s", tok);
	rc = AL_OK;
out:
	yajl_tree_free(tree);
	return rc;
}

/* FilterLogEvents' pages are at most 1 MB (10,000 events): a tree is fine. */
int logs_api_parse_filter_events(const char *body, size_t len, const char *group, results_row_cb cb, void *ctx,
				 long long *n, char *next_token, size_t token_sz, char *err, size_t err_sz)
{
	yajl_val tree;
	const char *tok;
	int rc = AL_UNAVAILABLE;
	next_token[0] = '\0';
	*n = 0;
	yajl_val events = page_list(body, len, "events", &tree, &tok, token_sz, err, err_sz);
	if (!events)
		goto out;
	for (size_t i = 0; i < events->u.array.len; i++) {
		yajl_val ev = events->u.array.values[i];
		const char *msg = aws_doc_str(aws_doc_member(ev, "message"));
		int64_t ts = number_of(aws_doc_member(ev, "timestamp"));
		char tsbuf[24];
		snprintf(tsbuf, sizeof(tsbuf), "%" PRId64, ts);
		struct results_row row = {
			.message = msg,
			.message_len = msg ? strlen(msg) : 0,
			.timestamp = ts > 0 ? tsbuf : NULL,
			.log_stream = aws_doc_str(aws_doc_member(ev, "logStreamName")),
			.log_group = group,
			.ptr = aws_doc_str(aws_doc_member(ev, "eventId")),
		};
		int crc = cb(ctx, &row);
		if (crc) {
			msg_set(err, err_sz, "out of memory");
			rc = crc;
			goto out;
		}
		(*n)++;
	}
	if (tok)
		snprintf(next_token, token_sz, "%s", tok);
	rc = AL_OK;
out:
	yajl_tree_free(tree);
	return rc;
}

static const char *const status_names[] = {
	[LOGS_Q_UNKNOWN_STATUS] = "",   [LOGS_Q_SCHEDULED] = "Scheduled", [LOGS_Q_RUNNING] = "Running",
	[LOGS_Q_COMPLETE] = "Complete", [LOGS_Q_FAILED] = "Failed",       [LOGS_Q_CANCELLED] = "Cancelled",
	[LOGS_Q_TIMEOUT] = "Timeout",   [LOGS_Q_UNKNOWN] = "Unknown",
};

enum logs_query_status logs_api_status_of(const char *text)
{
	for (size_t i = 1; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(text, status_names[i]) == 0)
			return (enum logs_query_status)i;
	return LOGS_Q_UNKNOWN_STATUS;
}

const char *logs_api_status_name(enum logs_query_status s)
{
	return s <= LOGS_Q_UNKNOWN && *status_names[s] ? status_names[s] : "(no status)";
}

int logs_api_status_terminal(enum logs_query_status s)
{
	return s == LOGS_Q_COMPLETE || s == LOGS_Q_FAILED || s == LOGS_Q_CANCELLED || s == LOGS_Q_TIMEOUT ||
	       s == LOGS_Q_UNKNOWN;
}

/* ---- calls ---- */

/* One signed awsJson1_1 POST of body (NULL: out of memory building it). */
static int call(struct aws_client *c, const struct logs_target *t, const char *op, const struct buf *body,
		struct http_response *resp, struct aws_fault *f, char *err, size_t err_sz)
{
	char target[64];
	memset(resp, 0, sizeof(*resp));
	memset(f, 0, sizeof(*f));
	if (!body || body->oom)
		return aws_error_fail(f, AWS_ERR_OTHER, AL_SOFTWARE, op, err, err_sz, "out of memory");
	snprintf(target, sizeof(target), TARGET_PREFIX "%s", op);
	const struct http_header headers[] = {
		{"X-Amz-Target", target},
		{"Content-Type", "application/x-amz-json-1.1"},
	};
	const struct aws_call ac = {
		.operation = op,
		.service = "logs",
		.method = "POST",
		.path = "/",
		.headers = headers,
		.nheaders = sizeof(headers) / sizeof(headers[0]),
		.body = buf_str(body),
		.body_len = body->len,
		/* a query started is billed until it ends: its id must come back */
		.finish_on_cancel = strcmp(op, "StartQuery") == 0,
	};
	const struct aws_target at = {t->endpoint, t->region, t->creds, t->static_creds, t->verbose};
	return aws_request_target(c, &at, &ac, resp, f, err, err_sz);
}

static const char *body_of(const struct http_response *resp)
{
	return resp->body.data ? resp->body.data : "";
}

int logs_api_start_query(struct aws_client *c, const struct logs_target *t, const char *log_group,
			 int64_t start, int64_t end, const char *query, int limit, char *query_id, size_t id_sz,
			 struct aws_fault *f, char *err, size_t err_sz)
{
	struct buf body = BUF_INIT;
	struct http_response resp;
	char why[256];
	int built = logs_api_start_query_body(&body, log_group, start, end, query, limit);
	int rc = call(c, t, "StartQuery", built == AL_OK ? &body : NULL, &resp, f, err, err_sz);
	if (rc == AL_OK &&
	    logs_api_parse_query_id(body_of(&resp), resp.body.len, query_id, id_sz, why, sizeof(why)) != AL_OK)
		rc = aws_error_fail(f, AWS_ERR_BAD_RESPONSE, AL_UNAVAILABLE, "StartQuery", err, err_sz,
			  "%s (HTTP %ld, %zu bytes)", why, resp.status, resp.body.len);
	http_response_free(&resp);
	buf_free(&body);
	return rc;
}

/* GetQueryResults' body through the streaming parser into out. */
static int read_results(struct results_parser *p, const struct http_response *resp, struct logs_query_result *out,
			struct aws_fault *f, char *err, size_t err_sz)
{
	int r = results_feed(p, body_of(resp), resp->body.len);
	if (r == 0)
		r = results_finish(p);
	if (r > 0) /* the callback's own status */
		return r;
	if (r < 0)
		return aws_error_fail(f, AWS_ERR_BAD_RESPONSE, AL_UNAVAILABLE, "GetQueryResults", err, err_sz,
			    "malformed response (HTTP %ld, %zu bytes): %s", resp->status, resp->body.len,
			    results_error(p));
	snprintf(out->status_text, sizeof(out->status_text), "%s", results_status(p));
	out->status = logs_api_status_of(out->status_text);
	out->stats = *results_stats(p);
	out->rows = results_rows(p);
	const char *tok = results_next_token(p);
	if (strlen(tok) >= sizeof(out->next_token))
		return aws_error_fail(f, AWS_ERR_BAD_RESPONSE, AL_UNAVAILABLE, "GetQueryResults", err, err_sz,
			    "the nextToken is longer than %zu bytes", sizeof(out->next_token) - 1);
	snprintf(out->next_token, sizeof(out->next_token), "%s", tok);
	if (out->status == LOGS_Q_UNKNOWN_STATUS) /* {} or a Coral envelope: nothing says what the query is doing */
		return aws_error_fail(f, AWS_ERR_BAD_RESPONSE, AL_UNAVAILABLE, "GetQueryResults", err, err_sz,
			    "the response has %s (HTTP %ld, %zu bytes)",
			    *out->status_text ? "an unknown status" : "no status", resp->status, resp->body.len);
	return AL_OK;
}

int logs_api_get_query_results(struct aws_client *c, const struct logs_target *t, const char *query_id,
			       const char *next_token, int max_items, results_row_cb cb, void *ctx,
			       struct logs_query_result *out, struct aws_fault *f, char *err, size_t err_sz)
{
	struct buf body = BUF_INIT;
	struct http_response resp;
	struct results_parser *p = NULL;
	memset(out, 0, sizeof(*out));
	int built = logs_api_get_results_body(&body, query_id, next_token, max_items) == AL_OK &&
		    results_new(cb, ctx, &p) == 0;
	int rc = call(c, t, "GetQueryResults", built ? &body : NULL, &resp, f, err, err_sz);
	if (rc == AL_OK)
		rc = read_results(p, &resp, out, f, err, err_sz);
	results_free(p);
	http_response_free(&resp);
	buf_free(&body);
	return rc;
}

int logs_api_stop_query(struct aws_client *c, const struct logs_target *t, const char *query_id, int *stopped,
			struct aws_fault *f, char *err, size_t err_sz)
{
	struct buf body = BUF_INIT;
	struct http_response resp;
	*stopped = 0;
	int built = logs_api_query_id_body(&body, query_id);
	int rc = call(c, t, "StopQuery", built == AL_OK ? &body : NULL, &resp, f, err, err_sz);
	if (rc == AL_OK) {
		yajl_val tree = aws_doc_tree(body_of(&resp), resp.body.len, NULL, 0);
		*stopped = YAJL_IS_TRUE(aws_doc_member(tree, "success"));
		if (tree)
			yajl_tree_free(tree);
	} else if (rc != AL_SOFTWARE &&
		   (f->kind == AWS_ERR_NOT_FOUND || strcmp(f->code, "InvalidParameterException") == 0)) {
		rc = AL_OK; /* already finished, or never known: nothing holds a slot */
	}
	http_response_free(&resp);
	buf_free(&body);
	return rc;
}

int logs_api_list_log_streams(struct aws_client *c, const struct logs_target *t, const char *group,
			      const char *prefix, struct logs_stream_list *out, struct aws_fault *f, char *err,
			      size_t err_sz)
{
	struct buf body = BUF_INIT;
	struct http_response resp;
	char token[LOGS_API_TOKEN_MAX] = "", sent[LOGS_API_TOKEN_MAX] = "", why[256];
	int rc = AL_OK;
	memset(&resp, 0, sizeof(resp));
	logs_api_stream_list_free(out);
	for (int page = 0; page < STREAMS_MAX_PAGES; page++) {
		buf_reset(&body);
		snprintf(sent, sizeof(sent), "%s", token);
		int built = logs_api_describe_log_streams_body(&body, group, prefix, token);
		http_response_free(&resp);
		rc = call(c, t, "DescribeLogStreams", built == AL_OK ? &body : NULL, &resp, f, err, err_sz);
		if (rc)
			break;
		int prc = logs_api_parse_log_streams(body_of(&resp), resp.body.len, out, token, sizeof(token), why,
						     sizeof(why));
		if (prc != AL_OK) {
			rc = aws_error_fail(f, prc == AL_SOFTWARE ? AWS_ERR_OTHER : AWS_ERR_BAD_RESPONSE,
					    prc == AL_SOFTWARE ? AL_SOFTWARE : AL_UNAVAILABLE, "DescribeLogStreams", err,
					    err_sz, "%s (HTTP %ld)", why, resp.status);
			break;
		}
		/* a token handed back unchanged would page forever */
		if (!*token || strcmp(token, sent) == 0) {
			token[0] = '\0';
			break;
		}
	}
	/* A list cut short would leave streams out of every query: no list. */
	if (rc == AL_OK && *token)
		rc = aws_error_fail(f, AWS_ERR_OTHER, AL_UNAVAILABLE, "DescribeLogStreams", err, err_sz,
				    "more than %d streams named %s*", STREAMS_MAX_PAGES * 50, prefix);
	http_response_free(&resp);
	buf_free(&body);
	return rc;
}

int logs_api_filter_log_events(struct aws_client *c, const struct logs_target *t, const char *group,
			       const char *prefix, const char *pattern, int64_t start_ms, int64_t end_ms,
			       const char *next_token, results_row_cb cb, void *ctx, long long *n, char *next_out,
			       size_t next_sz, struct aws_fault *f, char *err, size_t err_sz)
{
	struct buf body = BUF_INIT;
	struct http_response resp;
	char why[256];
	*n = 0;
	next_out[0] = '\0';
	int built = logs_api_filter_log_events_body(&body, group, prefix, pattern, start_ms, end_ms, next_token);
	int rc = call(c, t, "FilterLogEvents", built == AL_OK ? &body : NULL, &resp, f, err, err_sz);
	if (!rc) {
		int prc = logs_api_parse_filter_events(body_of(&resp), resp.body.len, group, cb, ctx, n, next_out,
						       next_sz, why, sizeof(why));
		if (prc != AL_OK)
			rc = aws_error_fail(f, prc == AL_UNAVAILABLE ? AWS_ERR_BAD_RESPONSE : AWS_ERR_OTHER,
					    prc, "FilterLogEvents", err, err_sz, "%s (HTTP %ld)", why, resp.status);
	}
	http_response_free(&resp);
	buf_free(&body);
	return rc;
}

int logs_api_describe_log_group(struct aws_client *c, const struct logs_target *t, const char *name,
				struct logs_group_info *out, struct aws_fault *f, char *err, size_t err_sz)
{
	struct buf body = BUF_INIT;
	struct http_response resp;
	char token[2048] = "", why[256];
	int rc = AL_OK;
	memset(&resp, 0, sizeof(resp));
	memset(out, 0, sizeof(*out));
	for (int page = 0; page < DESCRIBE_MAX_PAGES; page++) {
		buf_reset(&body);
		int built = logs_api_describe_log_groups_body(&body, name, token);
		http_response_free(&resp);
		rc = call(c, t, "DescribeLogGroups", built == AL_OK ? &body : NULL, &resp, f, err, err_sz);
		if (rc)
			break;
		if (logs_api_parse_log_groups(body_of(&resp), resp.body.len, name, out, token, sizeof(token), why,
					      sizeof(why)) != AL_OK) {
			rc = aws_error_fail(f, AWS_ERR_BAD_RESPONSE, AL_UNAVAILABLE, "DescribeLogGroups", err, err_sz,
				  "%s (HTTP %ld)", why, resp.status);
			break;
		}
		if (out->found || !*token)
			break;
	}
	http_response_free(&resp);
	buf_free(&body);
	return rc;
}
