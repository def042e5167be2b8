/* authlog-scan sql QUERY — read-only SQL over the database. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "status.h"
#include "store.h"

static const char usage_text[] =
	"usage: authlog-scan sql [--format table|csv|json] QUERY\n"
	"\n"
	"Run read-only SQL against the database (opened read-only; writes,\n"
	"ATTACH and DETACH are refused). Tables and views: events, denials,\n"
	"grants, principals, findings, config_errors, imports, fixes (see the\n"
	"schema at the top of src/store.c or in authlog-scan(1)).\n"
	"\n"
	"  --format table  aligned columns (default)\n"
	"  --format csv    RFC 4180, header row, NULL as an empty field\n"
	"  --format json   an array of objects\n";

enum sql_format { SQL_TABLE, SQL_CSV, SQL_JSON };

/* The connection is read-only already; this also stops ATTACH from
 * creating files and keeps the refusal message clear. */
static int authorizer(void *ud, int action, const char *a, const char *b, const char *c, const char *d)
{
	(void)ud, (void)a, (void)b, (void)c, (void)d;
	return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
}

static void csv_field(struct buf *out, const char *v)
{
	if (!v)
		return;
	if (!strpbrk(v, ",\"\r\n")) {
		buf_puts(out, v);
		return;
	}
	buf_putc(out, '"');
	for (; *v; v++) {
		if (*v == '"')
			buf_putc(out, '"');
		buf_putc(out, *v);
	}
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

struct table {
	char **cells;
	size_t ncols, nrows, cap;
};

static int table_add(struct table *t, sqlite3_stmt *st)
{
	if ((t->nrows + 1) * t->ncols > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : t->ncols * 32;
		char **p = realloc(t->cells, ncap * sizeof(*p));
		if (!p)
			return -1;
		t->cells = p;
		t->cap = ncap;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		const unsigned char *v = sqlite3_column_text(st, (int)c);
		char *s = strdup(v ? (const char *)v : "NULL");
		if (!s)
			return -1;
		for (char *p = s; *p; p++) /* one row per line, whatever the value holds */
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		t->cells[t->nrows * t->ncols + c] = s;
	}
	t->nrows++;
	return 0;
}

static void table_print(struct table *t, sqlite3_stmt *st, FILE *out)
{
	size_t *w = calloc(t->ncols, sizeof(*w));
	if (!w)
		return;
	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = width(sqlite3_column_name(st, (int)c));
		for (size_t r = 0; r < t->nrows; r++) {
			size_t cw = width(t->cells[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	}
	for (size_t r = 0; r < t->nrows + 2; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *v = r == 0 ? sqlite3_column_name(st, (int)c) : r == 1 ? NULL : t->cells[(r - 2) * t->ncols + c];
			if (c)
				fputs("  ", out);
			if (!v) {
				for (size_t k = 0; k < w[c]; k++)
					fputc('-', out);
			} else {
				fputs(v, out);
				if (c + 1 < t->ncols)
					for (size_t k = width(v); k < w[c]; k++)
						fputc(' ', out);
			}
		}
		fputc('\n', out);
	}
	free(w);
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

static void json_value(struct buf *b, sqlite3_stmt *st, int c)
{
	switch (sqlite3_column_type(st, c)) {
	case SQLITE_NULL: buf_puts(b, "null"); break;
	case SQLITE_INTEGER: buf_printf(b, "%lld", (long long)sqlite3_column_int64(st, c)); break;
	case SQLITE_FLOAT: buf_printf(b, "%.17g", sqlite3_column_double(st, c)); break;
	default: {
		const char *v = (const char *)sqlite3_column_text(st, c);
		buf_json_string(b, v ? v : "", (size_t)sqlite3_column_bytes(st, c));
	}
	}
}

/* Runs one statement and prints its rows. */
static int run_statement(sqlite3 *db, sqlite3_stmt *st, enum sql_format fmt, int *json_first)
{
	struct buf b = BUF_INIT;
	struct table t = {NULL, (size_t)sqlite3_column_count(st), 0, 0};
	int rc = AL_OK, step;
	if (fmt == SQL_CSV && t.ncols) {
		for (size_t c = 0; c < t.ncols; c++) {
			if (c)
				buf_putc(&b, ',');
			csv_field(&b, sqlite3_column_name(st, (int)c));
		}
		buf_puts(&b, "\r\n");
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (fmt == SQL_TABLE) {
			if (table_add(&t, st)) {
				rc = AL_SOFTWARE;
				break;
			}
			continue;
		}
		if (fmt == SQL_CSV) {
			for (size_t c = 0; c < t.ncols; c++) {
				if (c)
					buf_putc(&b, ',');
				csv_field(&b, (const char *)sqlite3_column_text(st, (int)c));
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
		if (b.len > 1 << 16) { /* stream big results */
			fwrite(b.data, 1, b.len, stdout);
			buf_reset(&b);
		}
	}
	if (step != SQLITE_DONE && rc == AL_OK) {
		char err[512];
		rc = store_sql_error(db, step, NULL, err, sizeof(err));
		cli_error("sql", "%s", err);
	}
	if (fmt == SQL_TABLE && t.ncols && rc == AL_OK)
		table_print(&t, st, stdout);
	fwrite(buf_str(&b), 1, b.len, stdout);
	table_free(&t);
	buf_free(&b);
	return rc;
}

int cmd_sql(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum sql_format fmt = SQL_TABLE;
	struct store *store = NULL;
	int c, rc, json_first = 1;

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
		case 'h': fputs(usage_text, stdout); return AL_OK;
		default: return cli_bad_option("sql", c, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("sql", optind >= argc ? "no QUERY given" : "give the QUERY as one argument");
	const char *sql = argv[optind];

	rc = cli_store_open("sql", STORE_READONLY, &store);
	if (rc)
		goto out;
	sqlite3 *db = store_db(store);
	sqlite3_set_authorizer(db, authorizer, NULL);
	if (fmt == SQL_JSON)
		fputs("[", stdout);
	while (sql && *sql) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		int prc = sqlite3_prepare_v2(db, sql, -1, &st, &tail);
		if (prc != SQLITE_OK) {
			char err[512];
			rc = store_sql_error(db, prc, NULL, err, sizeof(err));
			cli_error("sql", "%s", err);
			break;
		}
		sql = tail;
		if (!st) /* whitespace or a comment */
			continue;
		if (!sqlite3_stmt_readonly(st)) {
			cli_error("sql", "only read-only statements are allowed (the database is opened read-only)");
			sqlite3_finalize(st);
			rc = AL_USAGE;
			break;
		}
		rc = run_statement(db, st, fmt, &json_first);
		sqlite3_finalize(st);
		if (rc)
			break;
	}
	if (fmt == SQL_JSON)
		fputs(json_first ? "]\n" : "\n]\n", stdout);
out:
	store_close(store);
	return rc;
}
