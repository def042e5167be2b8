/* The fastest this SQLite stores the lines at all: every line that starts
 * with time="…" becomes a row (ts, dedupe_key, raw) of a table with the
 * unique (ts, dedupe_key) index import needs for dedupe, inserted through
 * one prepared statement in 50,000-row transactions, with the pragmas of
 * src/store.c (16 KiB pages, WAL, synchronous=NORMAL, 32 MiB cache).
 * Nothing is parsed and nothing else is stored, so no schema that keeps
 * the raw line can import faster on this machine. Then the same without
 * the line, (ts, dedupe_key) only: the floor of any schema with a row per
 * line and that index, whatever it stores (schema version 11 stores no
 * line, but a row and its index entry are still written per line).
 *
 * With ROWS_DB (a database import made of FILE), also the row floor: the
 * very rows import wrote (event_rows, every column but id) read into
 * memory, then inserted 16 to a prepared INSERT (as import does) into a new database
 * made with ROWS_DB's own CREATE statements for the table and its
 * indexes, the per-principal index built at the end as import builds it,
 * the close included: SQLite alone storing what import stores. It reads
 * each row from 13 separately allocated values where import reads one
 * compact batch, so import, whose other work runs on a second thread,
 * can come out a little ahead of it.
 *
 *   store_floor [--runs N] FILE DB [ROWS_DB]
 *
 * prints "store_floor LINES MEDIAN_WALL_SECONDS KEYS_ONLY_SECONDS
 * [ROWS ROWS_SECONDS]" (the file is read into memory first; DB is
 * recreated for each run). */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The end of a timed run, one path for both: the statements finalized and
 * the database closed (the checkpoint at close belongs to the import too),
 * *secs set when the run got there (ok), the reason said when not. */
static int run_end(int ok, sqlite3 *db, sqlite3_stmt *const *st, size_t nst, const char *path, double t0,
		   double *secs)
{
	if (!ok && db)
		fprintf(stderr, "store_floor: %s: %s\n", path, sqlite3_errmsg(db));
	for (size_t i = 0; i < nst; i++)
		sqlite3_finalize(st[i]);
	sqlite3_close(db);
	if (ok)
		*secs = now() - t0;
	return !ok;
}

static int run(const char *data, size_t size, const char *path, int with_line, long *rows, double *secs)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char wal[4096];
	double t0 = 0;
	unlink(path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db,
			 "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			 " PRAGMA cache_size = -32768;"
			 "CREATE TABLE lines(id INTEGER PRIMARY KEY, ts TEXT NOT NULL, dedupe_key INTEGER NOT NULL,"
			 " raw TEXT);"
			 "CREATE UNIQUE INDEX lines_ts_key ON lines(ts, dedupe_key);",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO lines(ts, dedupe_key, raw) VALUES (?1, ?2, ?3)", -1, &st,
			       NULL) != SQLITE_OK)
		goto out;
	t0 = now();
	long n = 0;
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (const char *p = data, *end = data + size; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		if (len > 27 && memcmp(p, "time=\"", 6) == 0) {
			sqlite3_bind_text(st, 1, p + 6, 20, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, (int64_t)store_xxh64(p, len, 0));
			if (with_line)
				sqlite3_bind_text(st, 3, p, (int)len, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, 3);
			if (sqlite3_step(st) != SQLITE_DONE)
				goto out;
			sqlite3_reset(st);
			if (++n % 50000 == 0 && sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL, NULL) != SQLITE_OK)
				goto out;
		}
		p += len + 1;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	*rows = n;
	return run_end(1, db, &st, 1, path, t0, secs);
out:
	return run_end(0, db, &st, 1, path, t0, secs);
}

/* The rows of ROWS_DB's event_rows, each column a copy. */
struct rows {
	sqlite3_value **v;
	size_t n, ncol;
	char *schema; /* CREATE TABLE ...; CREATE INDEX ...; without the deferred index */
	char *deferred;
};

#define DEFERRED_INDEX "event_rows_identity"
#define ROWS_PER_INSERT 16

static char *append(char *to, const char *sql)
{
	size_t a = to ? strlen(to) : 0, b = strlen(sql);
	char *p = realloc(to, a + b + 2);
	if (!p)
		exit(70);
	memcpy(p + a, sql, b);
	p[a + b] = ';';
	p[a + b + 1] = 0;
	return p;
}

static int rows_load(const char *path, struct rows *r)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = 1;
	memset(r, 0, sizeof(*r));
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT name, sql FROM sqlite_schema WHERE tbl_name = 'event_rows' AND sql IS NOT NULL"
				   " ORDER BY type = 'index', rowid", -1, &st, NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0), *sql = (const char *)sqlite3_column_text(st, 1);
		if (strcmp(name, DEFERRED_INDEX) == 0)
			r->deferred = append(r->deferred, sql);
		else
			r->schema = append(r->schema, sql);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (!r->schema || sqlite3_prepare_v2(db, "SELECT * FROM event_rows ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		goto out;
	r->ncol = (size_t)sqlite3_column_count(st) - 1; /* id is the first: the new table numbers its own */
	size_t cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (r->n == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			r->v = realloc(r->v, cap * r->ncol * sizeof(*r->v));
			if (!r->v)
				goto out;
		}
		for (size_t c = 0; c < r->ncol; c++)
			if (!(r->v[r->n * r->ncol + c] = sqlite3_value_dup(sqlite3_column_value(st, (int)c + 1))))
				goto out;
		r->n++;
	}
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "store_floor: %s: %s\n", path, db ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

/* v bound as import binds its values: texts not copied (sqlite3_bind_value
 * would copy each one, which import does not pay). */
static void bind_static(sqlite3_stmt *st, int i, sqlite3_value *v)
{
	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER: sqlite3_bind_int64(st, i, sqlite3_value_int64(v)); break;
	case SQLITE_TEXT:
		sqlite3_bind_text(st, i, (const char *)sqlite3_value_text(v), sqlite3_value_bytes(v), SQLITE_STATIC);
		break;
	case SQLITE_NULL: sqlite3_bind_null(st, i); break;
	default: sqlite3_bind_value(st, i, v); break;
	}
}

static int rows_run(const struct rows *r, const char *path, double *secs)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char wal[4096], sql[4096];
	double t0 = 0;
	unlink(path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	/* INSERT INTO event_rows VALUES (NULL, ?, ?, ...), ... : the table's own
	 * column order, ROWS_PER_INSERT rows to a statement as import writes
	 * them (src/store.c), the rest one at a time */
	sqlite3_stmt *one = NULL;
	size_t off = (size_t)snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO event_rows VALUES ");
	for (size_t k = 0; k < ROWS_PER_INSERT && off < sizeof(sql) - 16; k++) {
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s(NULL", k ? ", " : "");
		for (size_t c = 0; c < r->ncol && off < sizeof(sql) - 16; c++)
			off += (size_t)snprintf(sql + off, sizeof(sql) - off, ", ?%zu", k * r->ncol + c + 1);
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, ")");
	}
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db,
			 "PRAGMA page_size = 16384; PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL;"
			 " PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, r->schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, (int)(strchr(sql, ')') + 1 - sql), &one, NULL) != SQLITE_OK)
		goto out;
	t0 = now();
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; i < r->n;) {
		size_t k = r->n - i >= ROWS_PER_INSERT ? ROWS_PER_INSERT : 1;
		sqlite3_stmt *s = k > 1 ? st : one;
		for (size_t j = 0; j < k * r->ncol; j++)
			bind_static(s, (int)j + 1, r->v[i * r->ncol + j]);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto out;
		sqlite3_reset(s);
		if ((i + k) / 50000 != i / 50000 && sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			goto out;
		i += k;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK ||
	    (r->deferred && sqlite3_exec(db, r->deferred, NULL, NULL, NULL) != SQLITE_OK))
		goto out;
	return run_end(1, db, (sqlite3_stmt *const[]){st, one}, 2, path, t0, secs);
out:
	return run_end(0, db, (sqlite3_stmt *const[]){st, one}, 2, path, t0, secs);
}

int main(int argc, char **argv)
{
	int runs = 3, a = 1;
	if (argc > 2 && !strcmp(argv[1], "--runs")) {
		runs = atoi(argv[2]);
		a = 3;
	}
	if ((argc - a != 2 && argc - a != 3) || runs < 1 || runs > 99) {
		fprintf(stderr, "usage: store_floor [--runs N] FILE DB [ROWS_DB]\n");
		return 64;
	}
	int fd = open(argv[a], O_RDONLY);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		perror(argv[a]);
		return 66;
	}
	char *data = malloc((size_t)sb.st_size + 1);
	size_t got = 0;
	while (data && got < (size_t)sb.st_size) {
		ssize_t r = read(fd, data + got, (size_t)sb.st_size - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!data || got != (size_t)sb.st_size) {
		fprintf(stderr, "store_floor: cannot read %s\n", argv[a]);
		return 66;
	}
	double t[99], k[99];
	long rows = 0;
	for (int i = 0; i < runs; i++)
		if (run(data, got, argv[a + 1], 1, &rows, &t[i]) || run(data, got, argv[a + 1], 0, &rows, &k[i]))
			return 1;
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
	qsort(k, (size_t)runs, sizeof(k[0]), cmp_double);
	printf("store_floor %ld %.3f %.3f", rows, t[runs / 2], k[runs / 2]);
	free(data);
	if (argc - a == 3) {
		struct rows r;
		double w[99];
		if (rows_load(argv[a + 2], &r))
			return 1;
		for (int i = 0; i < runs; i++)
			if (rows_run(&r, argv[a + 1], &w[i]))
				return 1;
		qsort(w, (size_t)runs, sizeof(w[0]), cmp_double);
		printf(" %zu %.3f", r.n, w[runs / 2]);
		for (size_t i = 0; i < r.n * r.ncol; i++)
			sqlite3_value_free(r.v[i]);
		free(r.v);
		free(r.schema);
		free(r.deferred);
	}
	putchar('\n');
	return 0;
}
