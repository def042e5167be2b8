/* Parse+classify throughput of authlog-scan without the database.
 *
 *   parse_bench [--runs N] FILE
 *
 * Reads FILE into memory once, then times, each as the median of N passes
 * (default 3) on one core:
 *   split   find the lines (memchr) and touch each one: the in-memory floor
 *   parse   split + reader_unwrap_line + parse_line (logrus tokenising and
 *           Go unquoting only)
 *   build   split + reader_unwrap_line + event_build: everything import
 *           does per line before SQLite (parse, kind, time, classify,
 *           ARN canonicalisation, uid, region, dedupe key)
 * and prints one line per stage: "STAGE LINES SECONDS KEPT" (KEPT = lines
 * that event_build would store, or parse_line accepted), then a checksum
 * so the work cannot be optimised away.
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

#include "classify.h"
#include "event.h"
#include "parse.h"
#include "reader.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

enum stage { SPLIT, PARSE, BUILD };

static const char *const stage_name[] = {"split", "parse", "build"};

struct pass {
	long lines, kept;
	uint64_t sum;
};

static struct pass run_pass(enum stage st, const char *data, size_t size, struct parser *parser,
			    struct event_builder *eb)
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
		struct reader_entry e = {.line = r.lines};
		reader_unwrap_line(line, len, &e, stream, sizeof(stream), tsbuf, sizeof(tsbuf));
		if (st == PARSE) {
			if (parse_line(parser, e.message, e.message_len, &rec)) {
				r.kept++;
				r.sum += rec.nfields + (unsigned)rec.kind;
			}
		} else if (event_build(eb, &ctx, &e)) {
			r.kept++;
			r.sum += (uint64_t)eb->ev.dedupe_key + (eb->ev.error_class ? (unsigned char)eb->ev.error_class[0] : 0);
		}
	}
	return r;
}

int main(int argc, char **argv)
{
	int runs = 3;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else
			path = argv[i];
	}
	if (!path || runs < 1 || runs > 99) {
		fprintf(stderr, "usage: parse_bench [--runs N] FILE\n");
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
	struct event_builder eb;
	if (classify_init() != 0 || event_builder_init(&eb) != 0 || parse_new(&parser) != 0) {
		fprintf(stderr, "parse_bench: init failed\n");
		return 1;
	}
	uint64_t check = 0;
	for (int st = SPLIT; st <= BUILD; st++) {
		double t[99];
		struct pass r = {0, 0, 0};
		run_pass((enum stage)st, data, size, parser, &eb); /* warm-up: caches, JIT, scratch */
		for (int k = 0; k < runs; k++) {
			double t0 = now();
			r = run_pass((enum stage)st, data, size, parser, &eb);
			t[k] = now() - t0;
		}
		qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
		printf("%s %ld %.6f %ld\n", stage_name[st], r.lines, t[runs / 2], r.kept);
		check ^= r.sum;
	}
	printf("checksum %016llx\n", (unsigned long long)check);
	event_builder_free(&eb);
	parse_free(parser);
	classify_cleanup();
	free(data);
	return 0;
}
