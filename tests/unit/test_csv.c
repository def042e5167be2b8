#include "buf.h"
#include "csv.h"
#include "status.h"
#include "tap.h"

#include <stdlib.h>

/* In-memory source handing out at most `chunk` bytes per read, optionally
 * failing once `fail_at` bytes have been read. */
struct src {
	const char *s;
	size_t len, pos, chunk;
	long fail_at; /* -1 = never */
};

static long src_read(void *ctx, char *dst, size_t cap)
{
	struct src *in = ctx;
	size_t n = in->len - in->pos;

	if (in->fail_at >= 0 && in->pos >= (size_t)in->fail_at)
		return -1;
	if (n > cap)
		n = cap;
	if (in->chunk && n > in->chunk)
		n = in->chunk;
	memcpy(dst, in->s + in->pos, n);
	in->pos += n;
	return (long)n;
}

/* All records as "L<line>:[f1][f2]\n", fields' NUL bytes as \0, then
 * "EOF" or "ERR:<message>". */
static char *dump(const char *s, size_t len, size_t chunk, long fail_at)
{
	struct src in = {s, len, 0, chunk, fail_at};
	struct buf out = BUF_INIT;
	struct csv_reader *r = NULL;
	struct csv_record rec;
	char err[256], again[256];
	int rc;

	if (csv_new(src_read, &in, &r, NULL, 0))
		return NULL;
	while ((rc = csv_next(r, &rec, err, sizeof(err))) == AL_OK && rec.nfields) {
		buf_printf(&out, "L%ld:", rec.line);
		for (size_t i = 0; i < rec.nfields; i++) {
			buf_putc(&out, '[');
			for (size_t j = 0; j < rec.len[i]; j++)
				buf_puts(&out, rec.field[i][j] ? (char[]){rec.field[i][j], 0} : "\\0");
			buf_putc(&out, ']');
			if (rec.field[i][rec.len[i]] != '\0')
				buf_puts(&out, "(not NUL-terminated)");
		}
		buf_putc(&out, '\n');
	}
	if (rc == AL_OK)
		buf_puts(&out, "EOF");
	else
		buf_printf(&out, "ERR:%s", err);
	/* the outcome is sticky */
	if (csv_next(r, &rec, again, sizeof(again)) != rc || rec.nfields != 0 || (rc && strcmp(again, err)))
		buf_puts(&out, " (not sticky)");
	csv_free(r);
	return buf_take(&out);
}

static void check(const char *s, size_t len, const char *want, const char *what)
{
	char *whole = dump(s, len, 0, -1);
	char *bytes = dump(s, len, 1, -1);

	is_str(whole, want, "%s", what);
	is_str(bytes, want, "%s (read 1 byte at a time)", what);
	free(whole);
	free(bytes);
}

#define CHECK(s, want, what) check(s, sizeof(s) - 1, want, what)

static void test_records(void)
{
	CHECK("@timestamp,@message\n"
	      "2022-12-26 20:46:48.123,\"time=\"\"2022\"\" msg=\"\"access granted\"\"\"\n"
	      "2022-12-26 20:46:49.000,plain\n",
	      "L1:[@timestamp][@message]\n"
	      "L2:[2022-12-26 20:46:48.123][time=\"2022\" msg=\"access granted\"]\n"
	      "L3:[2022-12-26 20:46:49.000][plain]\n"
	      "EOF",
	      "two-column header form, doubled quotes");
	CHECK("@logStream,@timestamp,@message\r\n"
	      "authenticator-abc,2022-12-26 20:46:48.123,\"a, b\"\r\n"
	      "authenticator-def,2022-12-26 20:46:49.000,c\r\n",
	      "L1:[@logStream][@timestamp][@message]\n"
	      "L2:[authenticator-abc][2022-12-26 20:46:48.123][a, b]\n"
	      "L3:[authenticator-def][2022-12-26 20:46:49.000][c]\n"
	      "EOF",
	      "three-column header form, CRLF, comma in quotes");
	CHECK("h1,h2\n\"multi\nline\r\nmessage\",x\nnext,\"\"\n",
	      "L1:[h1][h2]\n"
	      "L2:[multi\nline\r\nmessage][x]\n"
	      "L5:[next][]\n"
	      "EOF",
	      "embedded newlines; record lines count them");
	CHECK("\xEF\xBB\xBF@timestamp,@message\nt,m",
	      "L1:[@timestamp][@message]\nL2:[t][m]\nEOF", "BOM skipped, no trailing newline");
	CHECK("a,b\r", "L1:[a][b]\nEOF", "CR at EOF ends the record");
	CHECK("a\rb,\"q\"\r\n", "L1:[a\rb][q]\nEOF", "lone CR is data");
	CHECK(",,\n\"\"\na,\n,b\n",
	      "L1:[][][]\nL2:[]\nL3:[a][]\nL4:[][b]\nEOF", "empty fields");
	CHECK("\n\r\na\n\n\nb\n\n",
	      "L3:[a]\nL6:[b]\nEOF", "blank lines skipped");
	CHECK("", "EOF", "empty input");
	CHECK("\xEF\xBB\xBF", "EOF", "only a BOM");
	CHECK("\xEF\xBB", "L1:[\xEF\xBB]\nEOF", "partial BOM is data");
	CHECK("a\"b,\" c\"\n", "L1:[a\"b][ c]\nEOF", "quote inside an unquoted field is data");
	CHECK("x,\"a\0b\"\n", "L1:[x][a\\0b]\nEOF", "NUL byte kept, len counts it");
}

static void test_errors(void)
{
	struct buf big = BUF_INIT;
	char *s;

	CHECK("h\n\"open\n\nstill open", "L1:[h]\nERR:line 2: unterminated quoted field",
	      "unterminated quote");
	CHECK("a,b\nc,\"d\"e\n", "L1:[a][b]\nERR:line 2: unexpected character after closing quote",
	      "garbage after closing quote");
	CHECK("\"a\"\rb\n", "ERR:line 1: unexpected character after closing quote",
	      "lone CR after closing quote");

	for (int i = 0; i < CSV_MAX_FIELDS - 1; i++)
		buf_putc(&big, ',');
	buf_putc(&big, '\n');
	s = dump(big.data, big.len, 0, -1);
	ok(s && !strncmp(s, "L1:[][]", 7) && strstr(s, "\nEOF"), "%d fields accepted",
	   CSV_MAX_FIELDS);
	free(s);
	buf_reset(&big);
	buf_puts(&big, "ok\n");
	for (int i = 0; i < CSV_MAX_FIELDS; i++)
		buf_putc(&big, ',');
	s = dump(big.data, big.len, 0, -1);
	is_str(s, "L1:[ok]\nERR:line 2: more than 64 fields", "65 fields refused");
	free(s);

	s = dump("a\nb\nc\n", 6, 1, 3);
	is_str(s, "L1:[a]\nERR:line 2: read error", "read_fn error reported");
	free(s);

	/* Just over 16 MiB in one unquoted field, on line 2. */
	buf_reset(&big);
	buf_puts(&big, "h\n");
	buf_grow(&big, ((size_t)16 << 20) + 8);
	memset(big.data + big.len, 'a', ((size_t)16 << 20) + 1);
	big.len += ((size_t)16 << 20) + 1;
	big.data[big.len] = '\0';
	s = dump(big.data, big.len, 0, -1);
	is_str(s, "L1:[h]\nERR:line 2: record longer than 16777216 bytes", "record over 16 MiB");
	free(s);
	buf_free(&big);
}

int main(void)
{
	struct csv_reader *r = NULL;

	csv_free(NULL);
	is_int(csv_new(NULL, NULL, &r, NULL, 0), AL_SOFTWARE, "csv_new wants a read_fn");
	test_records();
	test_errors();
	return tap_done();
}
