#include "reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "buf.h"
#include "csv.h"
#include "aws/results.h"
#include "status.h"
#include "timeutil.h"

#define CHUNK (256 * 1024)
#define PREFIX_MAX 512 /* a transport prefix is short; beyond this it is not one */

struct input {
	int fd;
	const char *name;
	char *buf;      /* sniffed bytes, handed out before reading fd again */
	size_t len, pos;
	int eof;
};

static long input_read(void *ctx, char *dst, size_t cap)
{
	struct input *in = ctx;
	if (in->pos < in->len) {
		size_t n = in->len - in->pos < cap ? in->len - in->pos : cap;
		memcpy(dst, in->buf + in->pos, n);
		in->pos += n;
		return (long)n;
	}
	if (in->eof)
		return 0;
	for (;;) {
		ssize_t n = read(in->fd, dst, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			in->eof = 1;
		return (long)n;
	}
}

static int starts_with(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	return len >= n && memcmp(s, lit, n) == 0;
}

static void copy_cstr(char *dst, size_t dst_sz, const char *src, size_t len)
{
	if (!dst_sz)
		return;
	if (len >= dst_sz)
		len = dst_sz - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

void reader_unwrap_line(const char *line, size_t len, struct reader_entry *e, char *stream_buf,
			size_t stream_sz, char *ts_buf, size_t ts_sz)
{
	e->message = line;
	e->message_len = len;
	if (starts_with(line, len, "time=\"") || starts_with(line, len, "level="))
		return;
	size_t scan = len < PREFIX_MAX ? len : PREFIX_MAX;
	const char *hit = memmem(line, scan, " time=\"", 7);
	if (!hit)
		hit = memmem(line, scan, " level=", 7);
	if (!hit)
		return; /* not ours; the parser will say so */
	size_t plen = (size_t)(hit - line);
	e->message = hit + 1;
	e->message_len = len - plen - 1;

	/* What the prefix tells: a single RFC 3339 token is the S3 export's
	 * event time; "pod container" (stern, kubectl --prefix) names the pod. */
	const char *sp = memchr(line, ' ', plen);
	int64_t epoch;
	if (!sp && time_parse(line, plen, &epoch) == 0) {
		copy_cstr(ts_buf, ts_sz, line, plen);
		e->timestamp = ts_buf;
	} else if (!sp && plen > 2 && line[0] == '[' && line[plen - 1] == ']') {
		/* kubectl logs --prefix: [pod/NAME/CONTAINER] */
		const char *name = line + 1;
		size_t nlen = plen - 2;
		if (starts_with(name, nlen, "pod/")) {
			name += 4;
			nlen -= 4;
		}
		const char *slash = memchr(name, '/', nlen);
		if (slash)
			nlen = (size_t)(slash - name);
		copy_cstr(stream_buf, stream_sz, name, nlen);
		e->log_stream = stream_buf;
	} else if (sp && !memchr(sp + 1, ' ', plen - (size_t)(sp + 1 - line))) {
		const char *second = sp + 1;
		size_t second_len = plen - (size_t)(second - line);
		if (time_parse(line, (size_t)(sp - line), &epoch) == 0) {
			/* aws logs tail: "TIME STREAM message" */
			copy_cstr(ts_buf, ts_sz, line, (size_t)(sp - line));
			e->timestamp = ts_buf;
			copy_cstr(stream_buf, stream_sz, second, second_len);
		} else {
			/* stern / kubectl logs: "POD CONTAINER message" */
			copy_cstr(stream_buf, stream_sz, line, (size_t)(sp - line));
		}
		e->log_stream = stream_buf;
	}
}

/* docker json-file: {"log":"time=\"…\" …\n","stream":"stderr","time":"…"} */
static int deliver_docker(const char *line, size_t len, long lineno, reader_cb cb, void *ctx)
{
	struct reader_entry e = {.line = lineno};
	char *copy = strndup(line, len);
	if (!copy)
		return AL_SOFTWARE;
	yajl_val root = yajl_tree_parse(copy, NULL, 0);
	free(copy);
	const char *log_path[] = {"log", NULL};
	const char *time_path[] = {"time", NULL};
	yajl_val log = root ? yajl_tree_get(root, log_path, yajl_t_string) : NULL;
	yajl_val t = root ? yajl_tree_get(root, time_path, yajl_t_string) : NULL;
	char stream[256], ts[64];
	int rc;
	if (log) {
		const char *msg = YAJL_GET_STRING(log);
		size_t mlen = strlen(msg);
		while (mlen && (msg[mlen - 1] == '\n' || msg[mlen - 1] == '\r'))
			mlen--;
		reader_unwrap_line(msg, mlen, &e, stream, sizeof(stream), ts, sizeof(ts));
		if (t)
			e.timestamp = YAJL_GET_STRING(t);
	} else {
		e.message = line; /* not a docker record after all: let the parser skip it */
		e.message_len = len;
	}
	rc = cb(ctx, &e);
	yajl_tree_free(root);
	return rc;
}

/* One line of plain text, without its newline: an overlong one goes to
 * cb with no message (skipped), a docker JSON record unwrapped. */
static int deliver_line(const char *line, size_t len, long lineno, reader_cb cb, void *ctx)
{
	struct reader_entry e = {.line = lineno};
	char stream[256], ts[64];
	if (len > READER_MAX_LINE)
		return cb(ctx, &e);
	if (line[0] == '{' && starts_with(line, len, "{\"log\":"))
		return deliver_docker(line, len, lineno, cb, ctx);
	reader_unwrap_line(line, len, &e, stream, sizeof(stream), ts, sizeof(ts));
	return cb(ctx, &e);
}

static int run_lines(struct input *in, reader_cb cb, void *ctx, char *err, size_t err_sz)
{
	size_t cap = READER_MAX_LINE + CHUNK;
	char *buf = malloc(cap);
	size_t have = 0;
	long lineno = 0;
	int skipping = 0; /* inside an overlong line, waiting for its end */
	int rc = AL_OK;
	if (!buf)
		return AL_SOFTWARE;
	for (;;) {
		long n = input_read(in, buf + have, cap - have);
		if (n < 0) {
			snprintf(err, err_sz, "%s: read error: %s", in->name, strerror(errno));
			rc = AL_NOINPUT;
			goto out;
		}
		have += (size_t)n;
		int at_eof = n == 0;
		size_t start = 0;
		for (;;) {
			char *nl = memchr(buf + start, '\n', have - start);
			size_t end;
			if (nl) {
				end = (size_t)(nl - buf);
			} else if (at_eof && start < have) {
				end = have; /* last line without a newline */
			} else {
				break;
			}
			lineno++;
			size_t len = end - start;
			const char *line = buf + start;
			start = nl ? end + 1 : end;
			if (skipping) {
				skipping = 0;
				continue;
			}
			if (len && line[len - 1] == '\r')
				len--;
			if (len == 0)
				continue;
			rc = deliver_line(line, len, lineno, cb, ctx);
			if (rc)
				goto out;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
		if (at_eof)
			break;
		if (have > READER_MAX_LINE) {
			/* Deliver the overlong line as skipped, drop it up to its newline. */
			struct reader_entry e = {.line = lineno + 1};
			rc = cb(ctx, &e);
			if (rc)
				goto out;
			have = 0;
			skipping = 1; /* its newline, when it comes, counts the line */
		}
	}
out:
	free(buf);
	return rc;
}

/* "FILE:N: what" from the parsers' "line N: what". */
static void located(char *err, size_t err_sz, const char *name, const char *msg)
{
	if (strncmp(msg, "line ", 5) == 0)
		msg += 5;
	snprintf(err, err_sz, "%s:%s", name, msg);
}

/* Columns of a Logs Insights export, found by header name. */
struct csv_cols {
	int message, timestamp, stream, ptr, group;
};

static const char *csv_get(const struct csv_record *r, int col)
{
	return col >= 0 && (size_t)col < r->nfields ? r->field[col] : NULL;
}

/* "@log" holds "ACCOUNT:GROUP": keep the group. */
static const char *group_of(const char *log)
{
	if (!log)
		return NULL;
	const char *colon = strchr(log, ':');
	return colon ? colon + 1 : log;
}

static void trim_newlines(const char **msg, size_t *len)
{
	while (*len && ((*msg)[*len - 1] == '\n' || (*msg)[*len - 1] == '\r'))
		(*len)--;
}

static int run_csv(struct input *in, reader_cb cb, void *ctx, char *err, size_t err_sz)
{
	struct csv_reader *r = NULL;
	struct csv_record rec;
	struct csv_cols cols = {-1, -1, -1, -1, -1};
	char stream[256], ts[64], why[256];
	int rc = csv_new(input_read, in, &r, err, err_sz);
	if (rc)
		return rc;
	int got = csv_next(r, &rec, why, sizeof(why));
	if (got == AL_OK) {
		for (size_t i = 0; i < rec.nfields; i++) {
			const char *f = rec.field[i];
			if (!strcmp(f, "@message"))
				cols.message = (int)i;
			else if (!strcmp(f, "@timestamp"))
				cols.timestamp = (int)i;
			else if (!strcmp(f, "@logStream"))
				cols.stream = (int)i;
			else if (!strcmp(f, "@ptr"))
				cols.ptr = (int)i;
			else if (!strcmp(f, "@log"))
				cols.group = (int)i;
		}
	}
	if (got != AL_OK || cols.message < 0) {
		snprintf(err, err_sz, "%s:1: CSV header has no @message column", in->name);
		rc = AL_DATAERR;
		goto out;
	}
	while ((got = csv_next(r, &rec, why, sizeof(why))) == AL_OK && rec.nfields) {
		const char *msg = csv_get(&rec, cols.message);
		struct reader_entry e = {.line = rec.line};
		if (msg) {
			size_t mlen = rec.len[cols.message];
			trim_newlines(&msg, &mlen);
			reader_unwrap_line(msg, mlen, &e, stream, sizeof(stream), ts, sizeof(ts));
		} else {
			e.message = "";
		}
		if (csv_get(&rec, cols.stream))
			e.log_stream = csv_get(&rec, cols.stream);
		if (csv_get(&rec, cols.timestamp))
			e.timestamp = csv_get(&rec, cols.timestamp);
		e.ptr = csv_get(&rec, cols.ptr);
		e.log_group = group_of(csv_get(&rec, cols.group));
		rc = cb(ctx, &e);
		if (rc)
			goto out;
	}
	if (got) {
		located(err, err_sz, in->name, why);
		rc = got;
	}
out:
	csv_free(r);
	return rc;
}

struct json_ctx {
	reader_cb cb;
	void *ctx;
	long rows;
};

void reader_entry_from_row(const struct results_row *row, long line, struct reader_entry *e, char *stream_buf,
			   size_t stream_sz, char *ts_buf, size_t ts_sz)
{
	memset(e, 0, sizeof(*e));
	e->line = line;
	if (row->message) {
		const char *msg = row->message;
		size_t mlen = row->message_len;
		trim_newlines(&msg, &mlen);
		reader_unwrap_line(msg, mlen, e, stream_buf, stream_sz, ts_buf, ts_sz);
	} else {
		e->message = "";
	}
	if (row->log_stream)
		e->log_stream = row->log_stream;
	if (row->timestamp)
		e->timestamp = row->timestamp;
	e->ptr = row->ptr;
	e->log_group = group_of(row->log_group);
}

static int json_row(void *ctx, const struct results_row *row)
{
	struct json_ctx *j = ctx;
	struct reader_entry e;
	char stream[256], ts[64];
	reader_entry_from_row(row, ++j->rows, &e, stream, sizeof(stream), ts, sizeof(ts));
	return j->cb(j->ctx, &e);
}

static int run_json(struct input *in, reader_cb cb, void *ctx, char *err, size_t err_sz)
{
	struct json_ctx j = {cb, ctx, 0};
	struct results_parser *p = NULL;
	char *chunk = malloc(CHUNK);
	int rc = AL_OK;
	if (!chunk || results_new(json_row, &j, &p) != 0) {
		rc = AL_SOFTWARE;
		goto out;
	}
	for (;;) {
		long n = input_read(in, chunk, CHUNK);
		if (n < 0) {
			snprintf(err, err_sz, "%s: read error: %s", in->name, strerror(errno));
			rc = AL_NOINPUT;
			goto out;
		}
		int r = n ? results_feed(p, chunk, (size_t)n) : results_finish(p);
		if (r > 0) { /* the callback's own status */
			rc = r;
			goto out;
		}
		if (r < 0) {
			located(err, err_sz, in->name, results_error(p));
			rc = AL_DATAERR;
			goto out;
		}
		if (n == 0)
			break;
	}
out:
	results_free(p);
	free(chunk);
	return rc;
}

/* Picks the shape from the first line: '{' with a "log" key is docker
 * json-file (line mode), any other '{' a JSON document; a header naming
 * @message is a console CSV export; everything else is lines. */
static enum reader_format sniff(const char *s, size_t len)
{
	size_t i = 0;
	if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	const char *first = s + i;
	const char *nl = memchr(first, '\n', len - i);
	size_t flen = nl ? (size_t)(nl - first) : len - i;
	if (flen && first[0] == '{')
		return starts_with(first, flen, "{\"log\":") ? READER_LINES : READER_JSON;
	if ((starts_with(first, flen, "@") || starts_with(first, flen, "\"@")) &&
	    memmem(first, flen, "@message", 8))
		return READER_CSV;
	return READER_LINES;
}

int reader_run(int fd, const char *name, reader_cb cb, void *ctx, enum reader_format *format,
	       char *err, size_t err_sz)
{
	struct input in = {.fd = fd, .name = name};
	int rc;
	in.buf = malloc(CHUNK);
	if (!in.buf)
		return AL_SOFTWARE;
	/* Sniff at least the first line (or 64 KiB of it). */
	while (in.len < 65536 && !memchr(in.buf, '\n', in.len)) {
		ssize_t n = read(fd, in.buf + in.len, CHUNK - in.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, err_sz, "%s: read error: %s", name, strerror(errno));
			free(in.buf);
			return AL_NOINPUT;
		}
		if (n == 0) {
			in.eof = 1;
			break;
		}
		in.len += (size_t)n;
	}
	*format = sniff(in.buf, in.len);
	switch (*format) {
	case READER_CSV: rc = run_csv(&in, cb, ctx, err, err_sz); break;
	case READER_JSON: rc = run_json(&in, cb, ctx, err, err_sz); break;
	default: rc = run_lines(&in, cb, ctx, err, err_sz); break;
	}
	free(in.buf);
	return rc;
}
