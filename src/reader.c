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

static int starts_logrus(const char *s, size_t len)
{
	return starts_with(s, len, "time=\"") || starts_with(s, len, "level=");
}

/* RFC 3339 as the wrappers print it ("2023-03-23T15:00:41.719Z",
 * "…+00:00", nanoseconds); time_parse alone would also take the epoch
 * milliseconds a pod could be named. */
static int is_rfc3339(const char *s, size_t n)
{
	int64_t epoch;
	return n >= 20 && s[4] == '-' && s[10] == 'T' && time_parse(s, n, &epoch) == 0;
}

/* A Kubernetes name: a pod's is a DNS-1123 subdomain (max 253, dots
 * allowed), a container's a DNS-1123 label (max 63): lower-case letters,
 * digits and '-', a letter or digit at both ends (kubernetes.io, "Object
 * Names and IDs"). */
static int is_k8s_name(const char *s, size_t n, size_t max, int dots)
{
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || i == n - 1 || !(c == '-' || (dots && c == '.'))))
			return 0;
	}
	return 1;
}

/* A CloudWatch Logs stream name: 1 to 512 characters, no ':' or '*'
 * (CreateLogStream). */
static int is_cw_stream(const char *s, size_t n)
{
	return n && n <= 512 && !memchr(s, ':', n) && !memchr(s, '*', n);
}

/* kubectl logs --prefix: "[pod/NAME/CONTAINER]"; sets the pod name. */
static int is_kubectl_prefix(const char *s, size_t n, const char **pod, size_t *pod_len)
{
	if (n < 8 || !starts_with(s, n, "[pod/") || s[n - 1] != ']')
		return 0;
	const char *name = s + 5, *slash = memchr(name, '/', n - 6);
	if (!slash)
		return 0;
	*pod = name;
	*pod_len = (size_t)(slash - name);
	return is_k8s_name(name, *pod_len, 253, 1) && is_k8s_name(slash + 1, (size_t)(s + n - 1 - slash - 1), 63, 0);
}

static int stream_foreign(const char *stream)
{
	return stream && strncmp(stream, READER_STREAM_PREFIX, sizeof(READER_STREAM_PREFIX) - 1) != 0;
}

void reader_unwrap_line(const char *line, size_t len, struct reader_entry *e, char *stream_buf,
			size_t stream_sz, char *ts_buf, size_t ts_sz)
{
	e->message = line;
	e->message_len = len;
	if (starts_logrus(line, len))
		return;
	/* The prefix: one to three space-separated words, then the logrus
	 * line. Anything else is left as it is (the parser refuses it). */
	struct {
		const char *s;
		size_t n;
	} w[3];
	size_t nw = 0, scan = len < PREFIX_MAX ? len : PREFIX_MAX;
	const char *p = line;
	for (;;) {
		const char *sp = memchr(p, ' ', scan - (size_t)(p - line));
		if (!sp || sp == p || nw == 3)
			return;
		w[nw].s = p;
		w[nw].n = (size_t)(sp - p);
		nw++;
		p = sp + 1;
		if (starts_logrus(p, len - (size_t)(p - line)))
			break;
	}
	const char *ts = NULL, *stream = NULL;
	size_t ts_len = 0, stream_len = 0;
	int cloudwatch = 0;
	if (nw == 1 && is_rfc3339(w[0].s, w[0].n)) {
		ts = w[0].s, ts_len = w[0].n;
	} else if (nw == 1 && is_kubectl_prefix(w[0].s, w[0].n, &stream, &stream_len)) {
		/* the pod is the stream */
	} else if (nw == 2 && is_rfc3339(w[0].s, w[0].n) && is_cw_stream(w[1].s, w[1].n)) {
		ts = w[0].s, ts_len = w[0].n;
		stream = w[1].s, stream_len = w[1].n;
		cloudwatch = 1;
	} else if (nw == 2 && is_kubectl_prefix(w[0].s, w[0].n, &stream, &stream_len) &&
		   is_rfc3339(w[1].s, w[1].n)) {
		ts = w[1].s, ts_len = w[1].n;
	} else if (nw >= 2 && is_k8s_name(w[0].s, w[0].n, 253, 1) && is_k8s_name(w[1].s, w[1].n, 63, 0) &&
		   (nw == 2 || is_rfc3339(w[2].s, w[2].n))) {
		stream = w[0].s, stream_len = w[0].n;
		if (nw == 3)
			ts = w[2].s, ts_len = w[2].n;
	} else if (nw == 3 && is_rfc3339(w[0].s, w[0].n) &&
		   (starts_with(w[1].s, w[1].n, "stdout") || starts_with(w[1].s, w[1].n, "stderr")) &&
		   w[1].n == 6 && w[2].n == 1 && w[2].s[0] == 'F') {
		ts = w[0].s, ts_len = w[0].n; /* CRI: "P" would be part of a longer line */
	} else {
		return;
	}
	e->message = p;
	e->message_len = len - (size_t)(p - line);
	if (ts) {
		copy_cstr(ts_buf, ts_sz, ts, ts_len);
		e->timestamp = ts_buf;
	}
	if (stream) {
		copy_cstr(stream_buf, stream_sz, stream, stream_len);
		e->log_stream = stream_buf;
		if (cloudwatch && stream_foreign(stream_buf))
			e->skip = READER_FOREIGN_STREAM;
	}
}

/* One CloudWatch event (or docker record) is one logrus line: logrus
 * quotes a line break inside a value (\n), so a raw one means text that
 * is not the authenticator's, and the parser, to which a line break is a
 * blank, would make one record of two lines' keys. */
static void refuse_line_breaks(struct reader_entry *e)
{
	if (!e->skip && e->message &&
	    (memchr(e->message, '\n', e->message_len) || memchr(e->message, '\r', e->message_len)))
		e->skip = READER_MALFORMED;
}

/* A \u0000 escape in JSON text (one not itself escaped): yajl_tree's
 * strings end at the NUL it decodes to, which would cut the value short. */
static int json_has_nul_escape(const char *s, size_t len)
{
	for (const char *p = s; (p = memmem(p, len - (size_t)(p - s), "\\u0000", 6)) != NULL; p += 6) {
		const char *q = p;
		while (q > s && q[-1] == '\\')
			q--;
		if ((p - q) % 2 == 0)
			return 1;
	}
	return 0;
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
		refuse_line_breaks(&e);
		if (json_has_nul_escape(line, len))
			e.skip = READER_MALFORMED;
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

/* The cells read as C strings hold no NUL: one would cut a stream or a
 * time short (the message's own NULs are the parser's to refuse). */
static int csv_cells_whole(const struct csv_record *r, const struct csv_cols *c)
{
	const int cols[] = {c->timestamp, c->stream, c->ptr, c->group};
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		const char *f = csv_get(r, cols[i]);
		if (f && strlen(f) != r->len[cols[i]])
			return 0;
	}
	return 1;
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
		refuse_line_breaks(&e);
		if (csv_get(&rec, cols.stream))
			e.log_stream = csv_get(&rec, cols.stream);
		if (csv_get(&rec, cols.timestamp))
			e.timestamp = csv_get(&rec, cols.timestamp);
		e.ptr = csv_get(&rec, cols.ptr);
		e.log_group = group_of(csv_get(&rec, cols.group));
		if (!csv_cells_whole(&rec, &cols))
			e.skip = READER_MALFORMED;
		else if (!e.skip && csv_get(&rec, cols.stream) && stream_foreign(e.log_stream))
			e.skip = READER_FOREIGN_STREAM;
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
		refuse_line_breaks(e);
	} else {
		e->message = "";
	}
	if (row->log_stream) {
		e->log_stream = row->log_stream;
		if (!e->skip && stream_foreign(row->log_stream))
			e->skip = READER_FOREIGN_STREAM;
	}
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
