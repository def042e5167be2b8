/* Reads an input file in whatever shape users have it and hands each log
 * event to a callback, unwrapped to the bare logrus text: plain lines
 * (LF or CRLF), lines with one of the known prefixes (reader_unwrap_line),
 * docker json-file records, Logs Insights console CSV exports, and the
 * JSON of `aws logs get-query-results` / `filter-log-events`. The shape is
 * sniffed from the first bytes; in line mode each line is unwrapped on its
 * own, so mixed files work.
 *
 * Log text is written by whoever can reach a cluster's logs, so only the
 * known prefixes are cut: text before a logrus line in any other shape (a
 * kube-apiserver event quoting one) leaves the line as it is, which the
 * parser then refuses. An event from a CloudWatch stream other than an
 * authenticator one is marked, never unwrapped into a record. */
#ifndef AUTHLOG_READER_H
#define AUTHLOG_READER_H

#include <stddef.h>

#define READER_MAX_LINE (1024 * 1024) /* longer lines are skipped, not stored */

enum reader_format { READER_LINES, READER_CSV, READER_JSON };

/* Why an entry is not to be stored, when the reader can tell. */
enum reader_skip {
	READER_KEEP = 0,
	READER_FOREIGN_STREAM, /* CloudWatch names a stream that is not authenticator-* */
	READER_MALFORMED,      /* a logrus line with a line break inside, a NUL in a field */
};

/* Streams of the EKS authenticator: authenticator-<hex> (EKS User Guide,
 * control-plane-logs). */
#define READER_STREAM_PREFIX "authenticator-"

struct reader_entry {
	const char *message;    /* bare logrus text; NULL for an overlong line */
	size_t message_len;
	const char *log_stream; /* @logStream / logStreamName / stern pod, or NULL */
	const char *log_group;  /* from @log ("ACCOUNT:GROUP"), or NULL */
	const char *ptr;        /* @ptr / eventId, or NULL */
	const char *timestamp;  /* transport time (CSV, JSON, docker, S3 prefix), or NULL */
	long line;              /* 1-based line where the event starts */
	enum reader_skip skip;  /* READER_KEEP, or why the event is not a record */
};

/* Return AL_OK to go on; anything else stops the run and is returned. */
typedef int (*reader_cb)(void *ctx, const struct reader_entry *e);

/* Reads fd to the end. name is used in messages ("FILE:LINE: …").
 * Returns AL_OK, AL_DATAERR for a malformed CSV/JSON document (err says
 * where; events before it were delivered), AL_NOINPUT on a read error,
 * or the callback's status. *format tells what was detected. */
int reader_run(int fd, const char *name, reader_cb cb, void *ctx, enum reader_format *format,
	       char *err, size_t err_sz);

/* Unwraps one line in place of the caller: sets e->message/len and, when
 * the prefix tells them, e->log_stream (copied to stream_buf) and
 * e->timestamp (copied to ts_buf). The prefixes it cuts, each followed by
 * one space and then `time="` or `level=` (TIME is RFC 3339):
 *   TIME                      S3 export, kubectl logs --timestamps
 *   TIME STREAM               aws logs tail (a CloudWatch stream: a stream
 *                             other than authenticator-* sets e->skip)
 *   POD CONTAINER [TIME]      stern, kubectl logs with a prefix (names
 *                             as Kubernetes allows them)
 *   [pod/POD/CONTAINER] [TIME]  kubectl logs --prefix
 *   TIME stdout|stderr F      CRI (containerd) log files
 * Any other text before the logrus line is left in the message. Exposed
 * for tests and fuzzing. */
void reader_unwrap_line(const char *line, size_t len, struct reader_entry *e, char *stream_buf,
			size_t stream_sz, char *ts_buf, size_t ts_sz);

/* A Logs Insights row (`aws logs get-query-results` output, or a row the
 * fetcher got) as an entry, so that a row fetched and the same row read
 * from an export are the same row. e's texts point into row and the two
 * buffers; e->skip says a foreign stream or a message of several lines. */
struct results_row;
void reader_entry_from_row(const struct results_row *row, long line, struct reader_entry *e, char *stream_buf,
			   size_t stream_sz, char *ts_buf, size_t ts_sz);

#endif
