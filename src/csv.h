/* RFC 4180 reader for CloudWatch Logs Insights console exports
 * (@timestamp,@message / @logStream,@timestamp,@message): quoted fields,
 * doubled quotes, embedded CR/LF; accepts LF or CRLF records and a UTF-8 BOM. */
#ifndef AUTHLOG_CSV_H
#define AUTHLOG_CSV_H

#include <stddef.h>

#define CSV_MAX_FIELDS 64

struct csv_record {
	size_t nfields;
	const char *field[CSV_MAX_FIELDS]; /* NUL-terminated, valid until the next call */
	size_t len[CSV_MAX_FIELDS];
	long line;                         /* 1-based physical line where the record started */
};

struct csv_reader;

/* Feeds bytes from fd-less sources: the reader owns a buffer and asks
 * read_fn for more when needed (read_fn returns bytes read, 0 at EOF, -1 error). */
typedef long (*csv_read_fn)(void *ctx, char *dst, size_t cap);

/* AL_OK, or AL_SOFTWARE (no read_fn, out of memory) with err set. */
int csv_new(csv_read_fn read_fn, void *ctx, struct csv_reader **out, char *err, size_t err_sz);
/* AL_OK with a record in rec, or with rec->nfields == 0 at the end of the
 * input (a record has at least one field). Otherwise err says
 * "line N: unterminated quoted field" etc. and the status what kind:
 * AL_DATAERR (malformed, more than CSV_MAX_FIELDS fields, a record over
 * 16 MiB), AL_NOINPUT (read_fn failed), AL_SOFTWARE (out of memory).
 * A failure is sticky: later calls return it again. */
int csv_next(struct csv_reader *r, struct csv_record *rec, char *err, size_t err_sz);
void csv_free(struct csv_reader *r);

#endif
