/* authlog-scan sql QUERY — read-only SQL over the database. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "esc.h"
#include "status.h"
#include "store.h"

static const char usage_text[] =
	"usage: authlog-scan sql [--format table|csv|json] [--csv-safe] QUERY\n"
	"\n"
	"Run one read-only SQL statement against the database (opened read-only;\n"
	"writes, ATTACH and DETACH are refused, and so is a QUERY holding more\n"
	"than one statement). Tables and views: events, denials, grants,\n"
	"principals, findings, config_errors, clusters, imports, scan_runs (see\n"
	"DATABASE in authlog-scan(1) or the README).\n"
	"\n"
	"  --format table  aligned columns (default), as wide as the first 1000 rows;\n"
	"                  control characters and bidi controls shown as \\xNN, \\u{XXXX}\n"
	"  --format csv    RFC 4180, header row, NULL as an empty field, values exact\n"
	"  --format json   an array of objects; Inf and -Inf as null\n"
	"  --csv-safe      for spreadsheets: a text cell starting with = + - @ tab or\n"
	"                  CR gets a leading ' so it is not run as a formula\n";

enum sql_format { SQL_TABLE, SQL_CSV, SQL_JSON };

/* The connection is read-only already; this also stops ATTACH from
 * creating files and keeps the refusal message clear. */
static int authorizer(void *ud, int action, const char *a, const char *b, const char *c, const char *d)
{
	(void)ud, (void)a, (void)b, (void)c, (void)d;
	return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
}

/* A spreadsheet runs a cell starting with one of these as a formula
 * (https://owasp.org/www-community/attacks/CSV_Injection); a leading '
 * makes it text. */
static int formula_start(const char *v, size_t n)
{
	return n && strchr("=+-@\t\r", v[0]) && v[0];
}

/* One RFC 4180 field of n bytes (NUL bytes kept); v NULL: an empty field. */
static void csv_field(struct buf *out, const char *v, size_t n, int safe)
{
	if (!v)
		return;
	int quote = 0;
	for (size_t i = 0; i < n && !quote; i++)
		quote = v[i] == ',' || v[i] == '"' || v[i] == '\r' || v[i] == '\n';
	if (quote)
		buf_putc(out, '"');
	if (safe && formula_start(v, n))
		buf_putc(out, '\'');
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '"')
			buf_putc(out, '"');
		buf_putc(out, v[i]);
	}
	if (quote)
		buf_putc(out, '"');
}

/* Display width of UTF-8 text: one column per code point. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

/* The table streams: the first TABLE_HEAD_ROWS rows (or TABLE_HEAD_BYTES
 * of them) are held to size the columns, then every row is printed as it
 * comes, so memory stays bounded whatever the result's size. A later
 * value wider than its column shifts the rest of its line; none is cut. */
#define TABLE_HEAD_ROWS 1000
#define TABLE_HEAD_BYTES ((size_t)4 << 20)

struct table {
	size_t ncols;
	size_t *w;          /* column widths, once fixed */
	struct buf head;    /* held rows: cells NUL-separated */
	size_t nrows;       /* rows in head */
	int streaming;      /* widths fixed, header printed */
	struct buf cell;    /* one cell while streaming, reused */
};

/* Appends the cell text of column c: NULL as NULL, the rest through
 * esc_term, so a value can neither move the cursor nor add a line. */
static void table_cell(struct buf *b, sqlite3_stmt *st, int c)
{
	if (sqlite3_column_type(st, c) == SQLITE_NULL) {
		buf_puts(b, "NULL");
		return;
	}
	const char *v = (const char *)sqlite3_column_text(st, c);
	esc_term(b, v ? v : "", (size_t)sqlite3_column_bytes(st, c));
}

static void table_put(struct buf *out, const struct table *t, size_t c, const char *v)
{
	if (c)
		buf_puts(out, "  ");
	buf_puts(out, v);
	if (c + 1 < t->ncols)
		for (size_t k = width(v); k < t->w[c]; k++)
			buf_putc(out, ' ');
}

/* Sizes the columns from the header and the held rows, prints them. */
static int table_start(struct table *t, sqlite3_stmt *st, struct buf *out)
{
	t->w = calloc(t->ncols, sizeof(*t->w));
	if (!t->w)
		return -1;
	struct buf name = BUF_INIT;
	for (size_t c = 0; c < t->ncols; c++) {
		const char *n = sqlite3_column_name(st, (int)c);
		esc_term(&name, n, strlen(n));
		buf_putc(&name, '\0');
	}
	if (name.oom || t->head.oom) {
		buf_free(&name);
		return -1;
	}
	/* the widths of the names, then of the held cells */
	const char *p = buf_str(&name);
	for (size_t c = 0; c < t->ncols; c++, p += strlen(p) + 1)
		t->w[c] = width(p);
	p = buf_str(&t->head);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++, p += strlen(p) + 1)
			if (width(p) > t->w[c])
				t->w[c] = width(p);
	p = buf_str(&name);
	for (size_t c = 0; c < t->ncols; c++, p += strlen(p) + 1)
		table_put(out, t, c, p);
	buf_putc(out, '\n');
	for (size_t c = 0; c < t->ncols; c++) {
		if (c)
			buf_puts(out, "  ");
		for (size_t k = 0; k < t->w[c]; k++)
			buf_putc(out, '-');
	}
	buf_putc(out, '\n');
	p = buf_str(&t->head);
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++, p += strlen(p) + 1)
			table_put(out, t, c, p);
		buf_putc(out, '\n');
	}
	buf_free(&name);
	buf_free(&t->head);
	t->streaming = 1;
	return out->oom ? -1 : 0;
}

static int table_row(struct table *t, sqlite3_stmt *st, struct buf *out)
{
	if (t->streaming) {
		for (size_t c = 0; c < t->ncols; c++) {
			buf_reset(&t->cell);
			table_cell(&t->cell, st, (int)c);
			table_put(out, t, c, buf_str(&t->cell));
		}
		buf_putc(out, '\n');
		return t->cell.oom || out->oom ? -1 : 0;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		table_cell(&t->head, st, (int)c);
		buf_putc(&t->head, '\0');
	}
	t->nrows++;
	if (t->nrows == TABLE_HEAD_ROWS || t->head.len >= TABLE_HEAD_BYTES)
		return table_start(t, st, out);
	return t->head.oom ? -1 : 0;
}

/* JSON has no Inf or NaN (RFC 8259 section 6): a non-finite REAL is null. */
static void json_value(struct buf *b, sqlite3_stmt *st, int c)
{
	switch (sqlite3_column_type(st, c)) {
	case SQLITE_NULL: buf_puts(b, "null"); break;
	case SQLITE_INTEGER: buf_printf(b, "%lld", (long long)sqlite3_column_int64(st, c)); break;
	case SQLITE_FLOAT: {
		double d = sqlite3_column_double(st, c);
		if (isfinite(d))
			buf_printf(b, "%.17g", d);
		else
			buf_puts(b, "null");
		break;
	}
	default: {
		const char *v = (const char *)sqlite3_column_text(st, c);
		buf_json_string(b, v ? v : "", (size_t)sqlite3_column_bytes(st, c));
	}
	}
}

/* A text cell for CSV: numbers are never formulas, so --csv-safe leaves them. */
static void csv_value(struct buf *b, sqlite3_stmt *st, int c, int safe)
{
	int type = sqlite3_column_type(st, c);
	const char *v = (const char *)sqlite3_column_text(st, c);
	csv_field(b, v, (size_t)sqlite3_column_bytes(st, c), safe && (type == SQLITE_TEXT || type == SQLITE_BLOB));
}

/* Runs the statement and prints its rows, 64 KiB at a time. */
static int run_statement(sqlite3 *db, sqlite3_stmt *st, enum sql_format fmt, int csv_safe, int *json_first)
{
	struct buf b = BUF_INIT;
	struct table t = {(size_t)sqlite3_column_count(st), NULL, BUF_INIT, 0, 0, BUF_INIT};
	int rc = AL_OK, step;
	if (fmt == SQL_CSV && t.ncols) {
		for (size_t c = 0; c < t.ncols; c++) {
			const char *name = sqlite3_column_name(st, (int)c);
			if (c)
				buf_putc(&b, ',');
			csv_field(&b, name, strlen(name), csv_safe);
		}
		buf_puts(&b, "\r\n");
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (fmt == SQL_TABLE) {
			if (table_row(&t, st, &b)) {
				rc = AL_SOFTWARE;
				cli_error("sql", "out of memory");
				break;
			}
		} else if (fmt == SQL_CSV) {
			for (size_t c = 0; c < t.ncols; c++) {
				if (c)
					buf_putc(&b, ',');
				csv_value(&b, st, (int)c, csv_safe);
			}
			buf_puts(&b, "\r\n");
		} else {
			buf_puts(&b, *json_first ? "\n{" : ",\n{");
			*json_first = 0;
			for (size_t c = 0; c < t.ncols; c++) {
				const char *name = sqlite3_column_name(st, (int)c);
				if (c)
					buf_putc(&b, ',');
				buf_json_string(&b, name, strlen(name));
				buf_putc(&b, ':');
				json_value(&b, st, (int)c);
			}
			buf_putc(&b, '}');
		}
		if (b.len > 1 << 16) {
			fwrite(b.data, 1, b.len, stdout);
			buf_reset(&b);
		}
	}
	if (step != SQLITE_DONE && rc == AL_OK) {
		char err[512];
		rc = store_sql_error(db, step, NULL, err, sizeof(err));
		cli_error("sql", "%s", err);
	}
	if (fmt == SQL_TABLE && t.ncols && rc == AL_OK && !t.streaming && table_start(&t, st, &b)) {
		rc = AL_SOFTWARE;
		cli_error("sql", "out of memory");
	}
	fwrite(buf_str(&b), 1, b.len, stdout);
	free(t.w);
	buf_free(&t.head);
	buf_free(&t.cell);
	buf_free(&b);
	return rc;
}

/* The first statement of sql (NULL when it holds none, only blanks and
 * comments); AL_USAGE after saying so when more than one follows. */
static int prepare_one(sqlite3 *db, const char *sql, sqlite3_stmt **out)
{
	const char *tail = sql;
	*out = NULL;
	while (!*out && tail && *tail) {
		int prc = sqlite3_prepare_v2(db, tail, -1, out, &tail);
		if (prc != SQLITE_OK) {
			char err[512];
			int rc = store_sql_error(db, prc, NULL, err, sizeof(err));
			cli_error("sql", "%s", err);
			return rc;
		}
	}
	/* The rest must be blanks and comments: preparing it finds a
	 * statement, or fails on text that is none. */
	while (*out && tail && *tail) {
		sqlite3_stmt *next = NULL;
		int prc = sqlite3_prepare_v2(db, tail, -1, &next, &tail);
		sqlite3_finalize(next);
		if (prc != SQLITE_OK || next) {
			sqlite3_finalize(*out);
			*out = NULL;
			cli_error("sql", "QUERY holds more than one statement: run them one per call");
			return AL_USAGE;
		}
	}
	return AL_OK;
}

int cmd_sql(int argc, char **argv)
{
	enum { O_CSV_SAFE = 256 };
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"csv-safe", no_argument, NULL, O_CSV_SAFE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum sql_format fmt = SQL_TABLE;
	struct store *store = NULL;
	sqlite3_stmt *st = NULL;
	int c, rc, json_first = 1, csv_safe = 0;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "table"))
				fmt = SQL_TABLE;
			else if (!strcmp(optarg, "csv"))
				fmt = SQL_CSV;
			else if (!strcmp(optarg, "json"))
				fmt = SQL_JSON;
			else
				return cli_usage_error("sql", "--format must be table, csv or json, not '%s'", optarg);
			break;
		case O_CSV_SAFE: csv_safe = 1; break;
		case 'h': fputs(usage_text, stdout); return AL_OK;
		default: return cli_bad_option("sql", c, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("sql", optind >= argc ? "no QUERY given" : "give the QUERY as one argument");
	if (csv_safe && fmt != SQL_CSV)
		return cli_usage_error("sql", "--csv-safe goes with --format csv");

	rc = cli_store_open("sql", STORE_READONLY, &store);
	if (rc)
		goto out;
	sqlite3 *db = store_db(store);
	sqlite3_set_authorizer(db, authorizer, NULL);
	rc = prepare_one(db, argv[optind], &st);
	if (rc)
		goto out;
	if (st && !sqlite3_stmt_readonly(st)) {
		cli_error("sql", "only read-only statements are allowed (the database is opened read-only)");
		rc = AL_USAGE;
		goto out;
	}
	if (fmt == SQL_JSON)
		fputs("[", stdout);
	if (st)
		rc = run_statement(db, st, fmt, csv_safe, &json_first);
	if (fmt == SQL_JSON)
		fputs(json_first ? "]\n" : "\n]\n", stdout);
out:
	sqlite3_finalize(st);
	store_close(store);
	return rc;
}
