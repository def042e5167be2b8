/* authlog-scan export --format jsonl — the events, one JSON object a line,
 * for a SIEM or a data lake. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "status.h"
#include "store.h"
#include "timeutil.h"

static const char usage_text[] =
	"usage: authlog-scan export [--format jsonl] [--since TIME] [--after-id N]\n"
	"\n"
	"Print the stored events in id order, one JSON object per line, with the\n"
	"column names of the events view (README, \"Database\"): NULL as null,\n"
	"integers as numbers, text exact (invalid UTF-8 as U+FFFD). Rows stream:\n"
	"memory stays bounded whatever the count. The last id printed goes to\n"
	"stderr (\"exported N events, last id M\"); --after-id M continues from there,\n"
	"so a nightly job that keeps M exports each event once (ids only grow).\n"
	"\n"
	"  --format jsonl  the only format (JSON Lines, https://jsonlines.org/)\n"
	"  --since TIME    only events at or after TIME (30m, 24h, 7d or RFC 3339)\n"
	"  --after-id N    only events with an id greater than N\n";

/* The events view's columns by name: its definition (store.c) owns the
 * order, and a column added there is exported too. */
static const char export_sql[] = "SELECT * FROM events WHERE id > ?1 AND ts >= ?2 ORDER BY id";

static void json_value(struct buf *b, sqlite3_stmt *st, int c)
{
	switch (sqlite3_column_type(st, c)) {
	case SQLITE_NULL: buf_puts(b, "null"); break;
	case SQLITE_INTEGER: buf_printf(b, "%lld", (long long)sqlite3_column_int64(st, c)); break;
	default: {
		/* The view holds no REAL column; text is the exact rendering of
		 * anything else a hand-edited row might hold. */
		const char *v = (const char *)sqlite3_column_text(st, c);
		buf_json_string(b, v ? v : "", (size_t)sqlite3_column_bytes(st, c));
	}
	}
}

static int export_rows(sqlite3 *db, int64_t after_id, const char *since, long long *n, int64_t *last)
{
	char err[512];
	sqlite3_stmt *st = NULL;
	int step = sqlite3_prepare_v2(db, export_sql, -1, &st, NULL);
	if (step != SQLITE_OK) {
		int rc = store_sql_error(db, step, "cannot read the events", err, sizeof(err));
		cli_error("export", "%s", err);
		return rc;
	}
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_text(st, 2, since, -1, SQLITE_STATIC);
	struct buf b = BUF_INIT, names = BUF_INIT;
	int ncols = sqlite3_column_count(st), rc = AL_OK;
	/* "\"name\":" of each column, NUL-separated, made once */
	for (int c = 0; c < ncols; c++) {
		const char *name = sqlite3_column_name(st, c);
		buf_json_string(&names, name, strlen(name));
		buf_putc(&names, ':');
		buf_putc(&names, '\0');
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW && !cli_signal()) {
		const char *name = names.data;
		buf_putc(&b, '{');
		for (int c = 0; c < ncols; c++, name += strlen(name) + 1) {
			if (c)
				buf_putc(&b, ',');
			buf_puts(&b, name);
			json_value(&b, st, c);
		}
		buf_puts(&b, "}\n");
		*last = sqlite3_column_int64(st, 0);
		(*n)++;
		if (b.len > 1 << 16) {
			if (fwrite(b.data, 1, b.len, stdout) != b.len)
				break; /* main() reports the write error */
			buf_reset(&b);
		}
		if (b.oom || names.oom)
			break;
	}
	if (b.oom || names.oom) {
		cli_error("export", "out of memory");
		rc = AL_SOFTWARE;
	} else if (step != SQLITE_DONE && step != SQLITE_ROW) {
		rc = store_sql_error(db, step, "cannot read the events", err, sizeof(err));
		cli_error("export", "%s", err);
	}
	fwrite(buf_str(&b), 1, b.len, stdout);
	sqlite3_finalize(st);
	buf_free(&b);
	buf_free(&names);
	return rc;
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"since", required_argument, NULL, 's'},
		{"after-id", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char since[TIME_ISO_LEN] = "";
	int64_t after_id = 0;
	int c, rc;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "jsonl") != 0)
				return cli_usage_error("export", "--format must be jsonl, not '%s'", optarg);
			break;
		case 's': {
			int64_t t;
			if ((rc = cli_parse_time("export", "--since", optarg, (int64_t)time(NULL), &t)))
				return rc;
			time_format(t, since);
			break;
		}
		case 'a': {
			char *end;
			long long v = strtoll(optarg, &end, 10);
			if (end == optarg || *end || v < 0)
				return cli_usage_error("export", "--after-id must be an event id (0 or more), not '%s'",
						       optarg);
			after_id = v;
			break;
		}
		case 'h': fputs(usage_text, stdout); return AL_OK;
		default: return cli_bad_option("export", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("export", "unexpected argument '%s'", argv[optind]);

	struct store *store = NULL;
	rc = cli_store_open("export", STORE_READONLY, &store);
	if (rc)
		return rc;
	long long n = 0;
	int64_t last = after_id;
	cli_signals_catch();
	rc = export_rows(store_db(store), after_id, since, &n, &last);
	cli_signals_release();
	if (!cli.quiet)
		fprintf(stderr, "exported %lld events, last id %lld\n", n, (long long)last);
	store_close(store);
	return rc;
}
