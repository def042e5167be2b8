/* Parse+classify throughput of authlog-scan without the database.
 *
 *   parse_bench [--runs N] [--only STAGE] [--probe DB] FILE
 *
 * Reads FILE into memory once, then times, each as the median of N passes
 * (default 3) on one core:
 *   split   find the lines (memchr) and touch each one: the in-memory floor
 *   touch   split + one vectorised read of every byte (memchr for a NUL
 *           that is not there): what any tokenizer pays at least
 *   hash    split + the dedupe key of each raw line (store_key, XXH64):
 *           the floor of the one full pass over the bytes that event_build
 *           cannot avoid
 *   parse   split + reader_unwrap_line + parse_line (logrus tokenising and
 *           Go unquoting only)
 *   build   split + reader_unwrap_line + event_build: everything import
 *           does per line before SQLite (parse, kind, time, classify,
 *           ARN canonicalisation, uid, region, dedupe key)
 *   probe   (with --probe DB, a database that holds FILE) split + the
 *           dedupe key of the raw line (store_key, as event_build makes it
 *           for lines without group/stream) + one lookup of that key in
 *           the event_rows_ts_key index: one seek per line, which
 *           import replaced by reading the index ahead (store_has)
 * and prints one line per stage: "STAGE LINES CPU_SECONDS KEPT WALL_SECONDS"
 * (median CPU time of this thread, so "one core" even on a busy machine;
 * KEPT = lines event_build would store, or parse_line accepted), then a
 * checksum so the work cannot be optimised away.
 *
 * Built by bench/run against build/libauthlog.a (the same objects as the
 * binary): cc -O2 -Isrc -Ibuild bench/parse_bench.c build/libauthlog.a
 * $(pkg-config --cflags --libs libpcre2-8 yajl sqlite3 libcrypto libcurl) -lm */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "classify.h"
#include "event.h"
#include "parse.h"
#include "reader.h"
#include "store.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

enum stage { SPLIT, TOUCH, HASH, PARSE, BUILD, PROBE };

static const char *const stage_name[] = {"split", "touch", "hash", "parse", "build", "probe"};

struct pass {
	long lines, kept;
	uint64_t sum;
};

static struct pass run_pass(enum stage st, const char *data, size_t size, struct parser *parser,
			    struct event_builder *eb, sqlite3_stmt *probe)
{
	struct pass r = {0, 0, 0};
	struct event_ctx ctx = {NULL, NULL, NULL, NULL};
	struct record rec;
	char stream[256], tsbuf[64];
	const char *p = data, *end = data + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p;
		p = nl ? nl + 1 : end;
		r.lines++;
		if (len && line[len - 1] == '\r')
			len--;
		if (len == 0)
			continue;
		if (st == SPLIT) {
			r.sum += (unsigned char)line[0] + (unsigned char)line[len - 1] + len;
			continue;
		}
		if (st == TOUCH) {
			/* a vectorised read of every byte that finds nothing */
			r.sum += memchr(line, '\0', len) == NULL;
			continue;
		}
		if (st == HASH) {
			const char *parts[3] = {"", "", line};
			size_t lens[3] = {0, 0, len};
			r.sum += (uint64_t)store_key(parts, lens, 3);
			continue;
		}
		if (st == PROBE) {
			const char *parts[3] = {"", "", line};
			size_t lens[3] = {0, 0, len};
			int64_t key = store_key(parts, lens, 3);
			/* bare logrus lines start time="YYYY-MM-DDTHH:MM:SSZ" */
			sqlite3_bind_int64(probe, 1, key);
			sqlite3_bind_text(probe, 2, len > 26 ? line + 6 : "", len > 26 ? 20 : 0, SQLITE_STATIC);
			if (sqlite3_step(probe) == SQLITE_ROW)
				r.kept++;
			sqlite3_reset(probe);
			r.sum += (uint64_t)key;
			continue;
		}
		struct reader_entry e = {.line = r.lines};
		reader_unwrap_line(line, len, &e, stream, sizeof(stream), tsbuf, sizeof(tsbuf));
		if (st == PARSE) {
			if (parse_line(parser, e.message, e.message_len, &rec)) {
				r.kept++;
				r.sum += rec.nfields + (unsigned)rec.kind;
			}
		} else if (event_build(eb, &ctx, &e)) {
			r.kept++;
			const struct store_event *ev = event_row(eb);
			r.sum += (uint64_t)ev->dedupe_key + (ev->error_class ? (unsigned char)ev->error_class[0] : 0);
		}
	}
	return r;
}

int main(int argc, char **argv)
{
	int runs = 3, only = -1, bad = 0;
	const char *path = NULL, *probe_db = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			runs = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--probe") && i + 1 < argc) {
			probe_db = argv[++i];
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			i++;
			for (int st = SPLIT; st <= PROBE; st++)
				if (!strcmp(argv[i], stage_name[st]))
					only = st;
			bad |= only < 0;
		} else {
			path = argv[i];
		}
	}
	if (bad || !path || runs < 1 || runs > 99) {
		fprintf(stderr, "usage: parse_bench [--runs N] [--only split|touch|hash|parse|build|probe] [--probe DB] FILE\n");
		return 2;
	}
	int fd = open(path, O_RDONLY);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		perror(path);
		return 1;
	}
	size_t size = (size_t)sb.st_size, got = 0;
	char *data = malloc(size + 1);
	if (!data)
		return 1;
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);
		if (n <= 0) {
			perror(path);
			return 1;
		}
		got += (size_t)n;
	}
	close(fd);

	struct parser *parser = NULL;
	struct event_builder *eb = NULL;
	if (classify_init() != 0 || event_builder_new(&eb, NULL, 0) != 0 || parse_new(&parser) != 0) {
		fprintf(stderr, "parse_bench: init failed\n");
		return 1;
	}
	sqlite3 *db = NULL;
	sqlite3_stmt *probe = NULL;
	if (probe_db && (sqlite3_open_v2(probe_db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
			 sqlite3_prepare_v2(db, "SELECT 1 FROM event_rows WHERE ts = ?2 AND dedupe_key = ?1", -1, &probe, NULL) != SQLITE_OK)) {
		fprintf(stderr, "parse_bench: %s: %s\n", probe_db, sqlite3_errmsg(db));
		return 1;
	}
	if (db) /* one read transaction, as import holds one write transaction per batch */
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	uint64_t check = 0;
	for (int st = SPLIT; st <= PROBE; st++) {
		if ((only >= 0 && st != only) || (st == PROBE && !probe))
			continue;
		double cpu[99], wall[99];
		struct pass r = {0, 0, 0};
		run_pass((enum stage)st, data, size, parser, eb, probe); /* warm-up: caches, JIT, scratch */
		for (int k = 0; k < runs; k++) {
			double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
			r = run_pass((enum stage)st, data, size, parser, eb, probe);
			cpu[k] = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
			wall[k] = clock_s(CLOCK_MONOTONIC) - w0;
		}
		qsort(cpu, (size_t)runs, sizeof(cpu[0]), cmp_double);
		qsort(wall, (size_t)runs, sizeof(wall[0]), cmp_double);
		printf("%s %ld %.6f %ld %.6f\n", stage_name[st], r.lines, cpu[runs / 2], r.kept, wall[runs / 2]);
		check ^= r.sum;
	}
	printf("checksum %016llx\n", (unsigned long long)check);
	sqlite3_finalize(probe);
	if (db)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	event_builder_free(eb);
	parse_free(parser);
	classify_cleanup();
	free(data);
	return 0;
}
