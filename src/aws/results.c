/* Streaming reader for the CloudWatch Logs JSON shapes in results.h.
 *
 * yajl's event callbacks drive a small role stack: every container that
 * opens gets a role from its parent's role and the key it sits under, so
 * without building a tree we know whether a string is a row's @message,
 * the query status, or something to ignore. Only the five row fields, the
 * status and three statistics are kept; anything else costs nothing. */
#include "results.h"

#include "buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#define MAX_DEPTH 64
#define MAX_TOKEN ((size_t)16 << 20)

enum role { R_NONE, R_ROOT, R_RESULTS, R_IROW, R_IFIELD, R_STATS, R_EVENTS, R_EVENT, R_SKIP };

enum key {
	K_OTHER, K_RESULTS, K_EVENTS, K_STATISTICS, K_STATUS, K_NEXT, /* document */
	K_MATCHED, K_SCANNED, K_BYTES, K_SKIPPED,             /* statistics */
	K_FIELD, K_VALUE,                                     /* Insights field */
	K_COLUMN,                                             /* event member kept in a slot */
};

enum slot { S_MESSAGE, S_TIMESTAMP, S_STREAM, S_GROUP, S_PTR, S_COUNT, S_NONE = S_COUNT };

enum kind { V_STRING, V_NUMBER, V_OTHER };

/* Keys that mean something, per role of the map they appear in. */
static const struct {
	unsigned char role, key, slot;
	const char *name;
} keys[] = {
	{R_ROOT, K_RESULTS, S_NONE, "results"},
	{R_ROOT, K_EVENTS, S_NONE, "events"},
	{R_ROOT, K_STATISTICS, S_NONE, "statistics"},
	{R_ROOT, K_STATUS, S_NONE, "status"},
	{R_ROOT, K_NEXT, S_NONE, "nextToken"},
	{R_STATS, K_MATCHED, S_NONE, "recordsMatched"},
	{R_STATS, K_SCANNED, S_NONE, "recordsScanned"},
	{R_STATS, K_BYTES, S_NONE, "bytesScanned"},
	{R_STATS, K_SKIPPED, S_NONE, "estimatedBytesSkipped"},
	{R_IFIELD, K_FIELD, S_NONE, "field"},
	{R_IFIELD, K_VALUE, S_NONE, "value"},
	{R_EVENT, K_COLUMN, S_MESSAGE, "message"},
	{R_EVENT, K_COLUMN, S_TIMESTAMP, "timestamp"},
	{R_EVENT, K_COLUMN, S_STREAM, "logStreamName"},
	{R_EVENT, K_COLUMN, S_PTR, "eventId"},
};

/* Logs Insights field names ("field" values) that fill a slot. */
static const struct {
	unsigned char slot;
	const char *name;
} insights_fields[] = {
	{S_MESSAGE, "@message"}, {S_TIMESTAMP, "@timestamp"}, {S_STREAM, "@logStream"},
	{S_GROUP, "@log"},       {S_PTR, "@ptr"},
};

struct results_parser {
	yajl_handle h;
	results_row_cb cb;
	void *ctx;

	unsigned char role[MAX_DEPTH];
	int depth;
	int key;  /* meaning of the last map key, for the value after it */
	int slot; /* its slot when key == K_COLUMN */

	/* An Insights field object may give "value" before "field", so the
	 * value waits here until the object closes and we know where it goes. */
	int field_slot;
	int have_value;
	struct buf value;

	struct buf col[S_COUNT]; /* reused from row to row */
	int have[S_COUNT];

	struct buf status;
	struct buf next; /* nextToken: GetQueryResults' and FilterLogEvents' paging */
	struct buf scratch; /* NUL-terminated copy of a statistics number */
	struct results_stats stats;
	long long rows;

	/* Pre-scan of the raw bytes (see scan_tokens). */
	int in_str, esc;
	size_t tok_len;
	long long lines; /* newlines in the bytes parsed so far */
	int last_nl;     /* the last byte parsed was a newline */

	const char *why; /* our own reason for cancelling yajl */
	int cb_rc;       /* what the row callback returned to stop us */
	int rc;          /* sticky once failed or stopped */
	struct buf err;
};

static int cancel(struct results_parser *p, const char *why)
{
	p->why = why;
	return 0;
}

static int parent_role(const struct results_parser *p)
{
	return p->depth ? p->role[p->depth - 1] : R_NONE;
}

static int set_buf(struct results_parser *p, struct buf *b, const char *s, size_t len)
{
	buf_reset(b);
	if (buf_append(b, s, len))
		return cancel(p, "out of memory");
	return 1;
}

/* A statistic is a count or a byte total: a number like 1e999 (strtod
 * gives infinity) or a negative one is no answer to store or print. */
static int set_stat(struct results_parser *p, const char *s, size_t len)
{
	double v;

	if (!set_buf(p, &p->scratch, s, len))
		return 0;
	v = strtod(buf_str(&p->scratch), NULL);
	if (!isfinite(v) || v < 0)
		return cancel(p, "statistics: a count that is not a finite number >= 0");
	if (p->key == K_MATCHED)
		p->stats.records_matched = v;
	else if (p->key == K_SCANNED)
		p->stats.records_scanned = v;
	else if (p->key == K_BYTES)
		p->stats.bytes_scanned = v;
	else if (p->key == K_SKIPPED)
		p->stats.bytes_skipped = v;
	return 1;
}

static void clear_row(struct results_parser *p)
{
	memset(p->have, 0, sizeof p->have);
}

static const char *column(const struct results_parser *p, int slot)
{
	return p->have[slot] ? buf_str(&p->col[slot]) : NULL;
}

static int emit_row(struct results_parser *p)
{
	struct results_row row;
	int rc;

	row.message = column(p, S_MESSAGE);
	row.timestamp = column(p, S_TIMESTAMP);
	row.log_stream = column(p, S_STREAM);
	row.log_group = column(p, S_GROUP);
	row.ptr = column(p, S_PTR);
	row.message_len = p->have[S_MESSAGE] ? p->col[S_MESSAGE].len : 0;
	p->rows++;
	rc = p->cb(p->ctx, &row);
	if (rc) {
		p->cb_rc = rc;
		return 0;
	}
	return 1;
}

static int insights_slot(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof insights_fields / sizeof insights_fields[0]; i++)
		if (strlen(insights_fields[i].name) == len && !memcmp(insights_fields[i].name, s, len))
			return insights_fields[i].slot;
	return S_NONE;
}

static int scalar(struct results_parser *p, enum kind kind, const char *s, size_t len)
{
	int text = kind == V_STRING || kind == V_NUMBER;

	switch (parent_role(p)) {
	case R_NONE:
		return cancel(p, "expected a JSON object at the top level");
	case R_ROOT:
		if (p->key == K_STATUS && kind == V_STRING)
			return set_buf(p, &p->status, s, len);
		if (p->key == K_NEXT && kind == V_STRING)
			return set_buf(p, &p->next, s, len);
		break;
	case R_STATS:
		if (kind == V_NUMBER)
			return set_stat(p, s, len);
		break;
	case R_IFIELD:
		if (p->key == K_FIELD)
			p->field_slot = kind == V_STRING ? insights_slot(s, len) : S_NONE;
		else if (p->key == K_VALUE) {
			/* null (or a bool) reads as an absent field, last key wins */
			p->have_value = text;
			if (text)
				return set_buf(p, &p->value, s, len);
		}
		break;
	case R_EVENT:
		if (p->key == K_COLUMN) {
			p->have[p->slot] = text;
			if (text)
				return set_buf(p, &p->col[p->slot], s, len);
		}
		break;
	}
	return 1;
}

static int on_null(void *ctx)
{
	return scalar(ctx, V_OTHER, NULL, 0);
}

static int on_boolean(void *ctx, int v)
{
	(void)v;
	return scalar(ctx, V_OTHER, NULL, 0);
}

/* Numbers come as their text: an event timestamp is delivered verbatim and
 * no precision is lost on the way. */
static int on_number(void *ctx, const char *s, size_t len)
{
	return scalar(ctx, V_NUMBER, s, len);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	return scalar(ctx, V_STRING, (const char *)s, len);
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct results_parser *p = ctx;
	int role = parent_role(p);

	p->key = K_OTHER;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (keys[i].role == role && strlen(keys[i].name) == len &&
		    !memcmp(keys[i].name, s, len)) {
			p->key = keys[i].key;
			p->slot = keys[i].slot;
			break;
		}
	}
	return 1;
}

static int open_container(struct results_parser *p, int is_map)
{
	int role = R_SKIP;

	if (p->depth == MAX_DEPTH)
		return cancel(p, "JSON nested deeper than 64 levels");
	switch (parent_role(p)) {
	case R_NONE:
		if (!is_map)
			return cancel(p, "expected a JSON object at the top level");
		role = R_ROOT;
		break;
	case R_ROOT:
		if (!is_map && p->key == K_RESULTS) {
			role = R_RESULTS;
		} else if (!is_map && p->key == K_EVENTS) {
			role = R_EVENTS;
		} else if (is_map && p->key == K_STATISTICS) {
			role = R_STATS;
			p->stats.have_stats = 1;
		}
		break;
	case R_RESULTS:
		if (!is_map) {
			role = R_IROW;
			clear_row(p);
		}
		break;
	case R_IROW:
		if (is_map) {
			role = R_IFIELD;
			p->field_slot = S_NONE;
			p->have_value = 0;
		}
		break;
	case R_EVENTS:
		if (is_map) {
			role = R_EVENT;
			clear_row(p);
		}
		break;
	}
	p->role[p->depth++] = (unsigned char)role;
	return 1;
}

static int close_container(struct results_parser *p)
{
	int role = p->role[--p->depth];

	if (role == R_IFIELD && p->have_value && p->field_slot != S_NONE) {
		/* swap rather than copy: both buffers keep their capacity */
		struct buf tmp = p->col[p->field_slot];
		p->col[p->field_slot] = p->value;
		p->value = tmp;
		p->have[p->field_slot] = 1;
	}
	if (role == R_IROW || role == R_EVENT)
		return emit_row(p);
	return 1;
}

static int on_start_map(void *ctx)
{
	return open_container(ctx, 1);
}

static int on_start_array(void *ctx)
{
	return open_container(ctx, 0);
}

static int on_end(void *ctx)
{
	return close_container(ctx);
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = on_end,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end,
};

int results_new(results_row_cb cb, void *ctx, struct results_parser **out)
{
	struct results_parser *p = NULL;
	int rc = -1;

	if (!cb || !out)
		return -1;
	*out = NULL;
	p = calloc(1, sizeof *p);
	if (!p)
		goto out;
	p->cb = cb;
	p->ctx = ctx;
	p->h = yajl_alloc(&callbacks, NULL, p);
	if (!p->h)
		goto out;
	/* Log messages are whatever bytes the process wrote; users cat pages. */
	yajl_config(p->h, yajl_dont_validate_strings, 1);
	yajl_config(p->h, yajl_allow_multiple_values, 1);
	*out = p;
	p = NULL;
	rc = 0;
out:
	results_free(p);
	return rc;
}

/* yajl keeps a token that straddles two chunks in a buffer of its own with
 * no size limit, so strings and numbers are bounded here, before yajl sees
 * the bytes. Returns how many bytes of data may be parsed. */
static size_t scan_tokens(struct results_parser *p, const char *data, size_t len)
{
	static const char delim[] = " \t\r\n{}[],:";

	for (size_t i = 0; i < len; i++) {
		char c = data[i];

		if (p->in_str) {
			if (p->esc) {
				p->esc = 0;
			} else if (c == '\\') {
				p->esc = 1;
			} else if (c == '"') {
				p->in_str = 0;
				continue;
			}
		} else if (c == '"') {
			p->in_str = 1;
			p->tok_len = 0;
			continue;
		} else if (memchr(delim, c, sizeof delim - 1)) {
			p->tok_len = 0;
			continue;
		}
		if (++p->tok_len > MAX_TOKEN)
			return i;
	}
	return len;
}

static long long count_lines(const char *data, size_t len)
{
	long long n = 0;
	const char *end = data + len;

	while ((data = memchr(data, '\n', (size_t)(end - data))) != NULL) {
		n++;
		data++;
	}
	return n;
}

static int fail(struct results_parser *p, long long line, const char *msg, size_t msg_len)
{
	buf_reset(&p->err);
	buf_printf(&p->err, "line %lld: %.*s", line, (int)msg_len, msg);
	p->rc = -1;
	return -1;
}

/* Turns a yajl status for the chunk data[0..len) into p->rc, with an error
 * message naming the line yajl stopped on. data is NULL at end of input. */
static int check(struct results_parser *p, yajl_status st, const char *data, size_t len)
{
	long long line;
	unsigned char *msg;
	size_t msg_len;

	if (st == yajl_status_ok) {
		if (data) {
			p->lines += count_lines(data, len);
			p->last_nl = data[len - 1] == '\n';
		}
		return 0;
	}
	if (st == yajl_status_client_canceled && !p->why)
		return p->rc = p->cb_rc;
	if (data)
		line = p->lines + count_lines(data, yajl_get_bytes_consumed(p->h)) + 1;
	else
		line = p->lines + !p->last_nl; /* EOF belongs to the last line with text */
	if (p->why)
		return fail(p, line, p->why, strlen(p->why));
	msg = yajl_get_error(p->h, 0, NULL, 0);
	if (!msg)
		return fail(p, line, "parse error", strlen("parse error"));
	msg_len = strcspn((const char *)msg, "\r\n");
	fail(p, line, (const char *)msg, msg_len);
	yajl_free_error(p->h, msg);
	return -1;
}

int results_feed(struct results_parser *p, const char *data, size_t len)
{
	size_t n;
	static const char too_long[] = "string or number longer than 16 MiB";

	if (p->rc)
		return p->rc;
	n = scan_tokens(p, data, len);
	if (n && check(p, yajl_parse(p->h, (const unsigned char *)data, n), data, n))
		return p->rc;
	if (n < len)
		return fail(p, p->lines + 1, too_long, sizeof too_long - 1);
	return 0;
}

int results_finish(struct results_parser *p)
{
	if (p->rc)
		return p->rc;
	return check(p, yajl_complete_parse(p->h), NULL, 0);
}

const char *results_status(const struct results_parser *p)
{
	return buf_str(&p->status);
}

const char *results_next_token(const struct results_parser *p)
{
	return buf_str(&p->next);
}

const struct results_stats *results_stats(const struct results_parser *p)
{
	return &p->stats;
}

long long results_rows(const struct results_parser *p)
{
	return p->rows;
}

const char *results_error(const struct results_parser *p)
{
	return buf_str(&p->err);
}

void results_free(struct results_parser *p)
{
	if (!p)
		return;
	if (p->h) /* yajl_free asserts on NULL */
		yajl_free(p->h);
	buf_free(&p->value);
	for (int i = 0; i < S_COUNT; i++)
		buf_free(&p->col[i]);
	buf_free(&p->status);
	buf_free(&p->next);
	buf_free(&p->scratch);
	buf_free(&p->err);
	free(p);
}
