/* RFC 4180 reader (see csv.h). Bytes come from read_fn into a fixed input
 * buffer; each record's fields are unquoted into one growing buffer, NUL
 * after each, so a record costs one allocation that is reused for the next. */
#include "csv.h"

#include "buf.h"
#include "msg.h"
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_CHUNK 65536
#define CSV_MAX_RECORD ((size_t)16 << 20)

enum { CSV_EOF = -1, CSV_ERR = -2 };

struct csv_reader {
	csv_read_fn read_fn;
	void *ctx;
	char in[CSV_CHUNK];
	size_t pos, len; /* unread input is in[pos..len) */
	int eof;         /* read_fn said EOF; it is not asked again */
	int bom_done;
	long line;     /* physical line of the next unread byte */
	long rec_line; /* line where the current record began */
	struct buf rec;
	size_t off[CSV_MAX_FIELDS]; /* field starts in rec: it may move while growing */
	size_t nfields;
	size_t field_start;
	size_t max_record;
	int status; /* sticky al_status once an error was reported */
	struct buf err;
};

/* Records the failure (status, "line N: what") and returns -1, what the
 * functions below return for it. */
static int fail(struct csv_reader *r, int status, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct csv_reader *r, int status, long line, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&r->err);
	buf_printf(&r->err, "line %ld: ", line);
	va_start(ap, fmt);
	buf_vprintf(&r->err, fmt, ap);
	va_end(ap);
	r->status = status;
	return -1;
}

/* Moves the unread bytes to the front and asks read_fn for more after
 * them. Returns -1 only on a read error; EOF just stops adding bytes. */
static int fill(struct csv_reader *r)
{
	size_t room;
	long n;

	if (r->eof)
		return 0;
	memmove(r->in, r->in + r->pos, r->len - r->pos);
	r->len -= r->pos;
	r->pos = 0;
	room = sizeof r->in - r->len;
	n = r->read_fn(r->ctx, r->in + r->len, room);
	if (n < 0 || (size_t)n > room)
		return fail(r, AL_NOINPUT, r->line, "read error");
	if (n == 0)
		r->eof = 1;
	r->len += (size_t)n;
	return 0;
}

static int next_byte(struct csv_reader *r)
{
	if (r->pos == r->len) {
		if (fill(r))
			return CSV_ERR;
		if (r->pos == r->len)
			return CSV_EOF;
	}
	return (unsigned char)r->in[r->pos++];
}

static int peek_byte(struct csv_reader *r)
{
	int c = next_byte(r);

	if (c >= 0)
		r->pos--;
	return c;
}

/* Console exports from Windows tools start with a UTF-8 BOM; read_fn may
 * hand it over a byte at a time, so gather three bytes before looking. */
static int skip_bom(struct csv_reader *r)
{
	r->bom_done = 1;
	while (r->len - r->pos < 3 && !r->eof)
		if (fill(r))
			return -1;
	if (r->len - r->pos >= 3 && !memcmp(r->in + r->pos, "\xEF\xBB\xBF", 3))
		r->pos += 3;
	return 0;
}

static int put(struct csv_reader *r, int c)
{
	if (r->rec.len >= r->max_record)
		return fail(r, AL_DATAERR, r->rec_line, "record longer than %zu bytes", r->max_record);
	if (buf_putc(&r->rec, (char)c))
		return fail(r, AL_SOFTWARE, r->rec_line, "out of memory");
	return 0;
}

static int end_field(struct csv_reader *r, struct csv_record *rec)
{
	if (r->nfields == CSV_MAX_FIELDS)
		return fail(r, AL_DATAERR, r->rec_line, "more than %d fields", CSV_MAX_FIELDS);
	r->off[r->nfields] = r->field_start;
	rec->len[r->nfields] = r->rec.len - r->field_start;
	r->nfields++;
	if (put(r, '\0'))
		return -1;
	r->field_start = r->rec.len;
	return 0;
}

int csv_new(csv_read_fn read_fn, void *ctx, struct csv_reader **out, char *err, size_t err_sz)
{
	struct csv_reader *r;

	*out = NULL;
	if (!read_fn) {
		msg_set(err, err_sz, "csv: no read function");
		return AL_SOFTWARE;
	}
	r = calloc(1, sizeof *r);
	if (!r) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	r->read_fn = read_fn;
	r->ctx = ctx;
	r->line = 1;
	r->max_record = CSV_MAX_RECORD;
	*out = r;
	return AL_OK;
}

/* 1 = a record in rec, 0 = end of input, -1 = r->status says why.
 * One state machine, kept whole: each state reads and sets st, c and quote_line byte by byte. */
static int read_record(struct csv_reader *r, struct csv_record *rec)
{
	enum { FIELD_START, UNQUOTED, QUOTED, QUOTE_SEEN } st = FIELD_START;
	int any = 0; /* bytes of this record seen: a blank line has none */
	long quote_line = 0;
	int c;

	rec->nfields = 0;
	if (r->status)
		return -1;
	if (!r->bom_done && skip_bom(r))
		return -1;
	buf_reset(&r->rec);
	r->nfields = 0;
	r->field_start = 0;
	r->rec_line = r->line;
	for (;;) {
		c = next_byte(r);
		if (c == CSV_ERR)
			return -1;
		if (c == CSV_EOF) {
			if (st == QUOTED)
				return fail(r, AL_DATAERR, quote_line, "unterminated quoted field");
			if (!any)
				return 0;
			break; /* the last record needs no newline */
		}
		if (c == '\n')
			r->line++;
		if (st == QUOTED) {
			if (c == '"')
				st = QUOTE_SEEN;
			else if (put(r, c))
				return -1;
			continue;
		}
		if (st == QUOTE_SEEN && c == '"') {
			st = QUOTED;
			if (put(r, c))
				return -1;
			continue;
		}
		if (c == '\r') {
			/* CRLF ends a record; so does CR at EOF. A lone CR
			 * elsewhere is data, except right after a closing quote. */
			int n = peek_byte(r);

			if (n == CSV_ERR)
				return -1;
			if (n == '\n') {
				r->pos++;
				r->line++;
			}
			if (n == '\n' || n == CSV_EOF)
				c = '\n';
		}
		if (st == QUOTE_SEEN && c != ',' && c != '\n')
			return fail(r, AL_DATAERR, r->line, "unexpected character after closing quote");
		if (c == '\n') {
			if (any)
				break;
			r->rec_line = r->line; /* skip a blank line */
			continue;
		}
		any = 1;
		if (c == ',') {
			if (end_field(r, rec))
				return -1;
			st = FIELD_START;
		} else if (c == '"' && st == FIELD_START) {
			st = QUOTED;
			quote_line = r->line;
		} else {
			/* a quote inside an unquoted field is taken literally */
			st = UNQUOTED;
			if (put(r, c))
				return -1;
		}
	}
	if (end_field(r, rec))
		return -1;
	for (size_t i = 0; i < r->nfields; i++)
		rec->field[i] = r->rec.data + r->off[i];
	rec->nfields = r->nfields;
	rec->line = r->rec_line;
	return 1;
}

int csv_next(struct csv_reader *r, struct csv_record *rec, char *err, size_t err_sz)
{
	if (read_record(r, rec) >= 0)
		return AL_OK;
	msg_set(err, err_sz, "%s", buf_str(&r->err));
	return r->status;
}

void csv_free(struct csv_reader *r)
{
	if (!r)
		return;
	buf_free(&r->rec);
	buf_free(&r->err);
	free(r);
}
