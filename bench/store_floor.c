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
 *   store_floor [--runs N] FILE DB
 *
 * prints "store_floor LINES MEDIAN_WALL_SECONDS KEYS_ONLY_SECONDS" (the
 * file is read into memory first; DB is recreated for each run). */
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

static int run(const char *data, size_t size, const char *path, int with_line, long *rows, double *secs)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char wal[4096];
	int rc = 1;
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
	double t0 = now();
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
	sqlite3_finalize(st);
	st = NULL;
	sqlite3_close(db); /* the checkpoint at close belongs to the import too */
	db = NULL;
	*secs = now() - t0;
	*rows = n;
	rc = 0;
out:
	if (rc && db)
		fprintf(stderr, "store_floor: %s: %s\n", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

int main(int argc, char **argv)
{
	int runs = 3, a = 1;
	if (argc > 2 && !strcmp(argv[1], "--runs")) {
		runs = atoi(argv[2]);
		a = 3;
	}
	if (argc - a != 2 || runs < 1 || runs > 99) {
		fprintf(stderr, "usage: store_floor [--runs N] FILE DB\n");
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
	printf("store_floor %ld %.3f %.3f\n", rows, t[runs / 2], k[runs / 2]);
	free(data);
	return 0;
}
