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

int csv_new(csv_read_fn read_fn, void *ctx, struct csv_reader **out);
/* 1 = a record in rec, 0 = end of input, -1 = error (csv_error says
 * "line N: unterminated quoted field" etc.). Records over max_record bytes
 * are an error too (default 16 MiB). */
int csv_next(struct csv_reader *r, struct csv_record *rec);
const char *csv_error(const struct csv_reader *r);
void csv_free(struct csv_reader *r);

#endif
