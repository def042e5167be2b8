/* authlog-scan import FILE... — the offline path into the database. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/aws_config.h"
#include "cli.h"
#include "event.h"
#include "ingest.h"
#include "pipeline.h"
#include "status.h"
#include "store.h"

/* Rows per transaction: large enough that commits cost nothing per
 * line, small enough that a kill loses seconds of work, never a half batch. */
#define BATCH_ROWS 50000

static const char usage_text[] =
	"usage: authlog-scan import [--log-group NAME] [--log-stream NAME] [--cluster NAME]\n"
	"                           [--region R] FILE...\n"
	"\n"
	"Parse authenticator log lines into the database. FILE '-' reads stdin.\n"
	"The format is detected: bare lines, kubectl/stern or S3-export prefixes,\n"
	"docker json-file records, Logs Insights CSV exports, and the JSON of\n"
	"'aws logs get-query-results' / 'aws logs filter-log-events'.\n"
	"\n"
	"  --log-group NAME   CloudWatch log group the lines came from\n"
	"                     (/aws/eks/CLUSTER/cluster also names the cluster)\n"
	"  --log-stream NAME  stream name for inputs that do not carry one\n"
	"  --cluster NAME     cluster name for the fixes\n"
	"  --region R         region for the fixes (default: the STS endpoint's, $AWS_REGION);\n"
	"                     with the cluster known, recorded as its region (table clusters)\n"
	"\n"
	"Prints 'imported N, duplicate D, skipped S' to stderr unless --quiet, S followed by\n"
	"how many had no time, came from a foreign stream or were malformed, if any.\n";

struct import_run {
	struct store *store;
	struct ingest in;
	struct event_ctx ctx;
	/* Counts of the open batch, moved into the totals when it commits, so
	 * the summary never counts rows a rollback took back. */
	struct import_counts {
		long long imported, duplicates, skipped;
		long long skipped_by[EVENT_SKIP_MALFORMED + 1]; /* by enum event_skip */
	} batch, file, total;
	long long in_batch;
	/* the reading thread's: see known_duplicate() */
	struct store *probe;
	long long probe_misses, probe_skipped;
	int interrupted; /* a signal stopped the reading (cli_signal) */
	char err[512];
};

static void counts_add(struct import_counts *to, struct import_counts *from)
{
	to->imported += from->imported;
	to->duplicates += from->duplicates;
	to->skipped += from->skipped;
	for (size_t i = 0; i < sizeof(to->skipped_by) / sizeof(to->skipped_by[0]); i++)
		to->skipped_by[i] += from->skipped_by[i];
	memset(from, 0, sizeof(*from));
}

/* A re-import (or an overlapping export) is mostly rows already stored.
 * For a bare line without @ptr the key and the time are known without
 * parsing (time="YYYY-MM-DDTHH:MM:SSZ" is the stored form as is), so the
 * reading thread asks its own read-only connection (run->probe) and counts
 * a committed row without parsing it; anything it misses (a row of the
 * open transaction, a line with @ptr) is parsed and INSERT OR IGNORE finds
 * it. Probing stops paying on fresh data, so after PROBE_MISSES misses in
 * a row only every PROBE_EVERY-th line is probed until one hits again. */
#define PROBE_MISSES 64
#define PROBE_EVERY 64

static int known_duplicate(void *arg, const struct reader_entry *e, int *dup)
{
	struct import_run *run = arg;
	const char *m = e->message;
	char err[512];
	*dup = 0;
	if (!run->probe || e->ptr || !m || e->message_len < 27 || memcmp(m, "time=\"", 6) != 0 || m[25] != 'Z' ||
	    m[26] != '"')
		return AL_OK;
	if (run->probe_misses >= PROBE_MISSES && ++run->probe_skipped % PROBE_EVERY != 0)
		return AL_OK;
	const char *group = e->log_group ? e->log_group : run->ctx.log_group ? run->ctx.log_group : "";
	const char *stream = e->log_stream ? e->log_stream : run->ctx.log_stream ? run->ctx.log_stream : "";
	const char *parts[3] = {group, stream, m};
	size_t lens[3] = {strlen(group), strlen(stream), e->message_len};
	/* A probe that fails (the file busy) only costs the parse it would
	 * have saved: the line is stored as any other. */
	if (store_has(run->probe, m + 6, 20, store_key(parts, lens, 3), dup, err, sizeof(err)) != AL_OK)
		*dup = 0;
	run->probe_misses = *dup ? 0 : run->probe_misses + 1;
	return AL_OK;
}

/* What the store wrote and found since the last call, into the batch's counts. */
static int count_flushed(struct import_run *run)
{
	long long stored, found;
	int rc = store_flush(run->store, &stored, &found, run->err, sizeof(run->err));
	run->batch.imported += stored;
	run->batch.duplicates += found;
	return rc;
}

static int on_row(void *arg, const struct store_event *ev, const struct store_keys *k)
{
	struct import_run *run = arg;
	int rc = store_insert_keyed(run->store, ev, k, run->err, sizeof(run->err));
	if (rc)
		return rc;
	if (++run->in_batch >= BATCH_ROWS) {
		run->in_batch = 0;
		rc = count_flushed(run);
		if (!rc)
			rc = store_commit(run->store, run->err, sizeof(run->err));
		if (rc)
			return rc;
		counts_add(&run->file, &run->batch);
		rc = store_begin(run->store, run->err, sizeof(run->err));
		if (rc)
			return rc;
	}
	return AL_OK;
}

static int on_batch_done(void *arg)
{
	return count_flushed(arg);
}

static void on_skipped(void *arg, enum event_skip why, long long n)
{
	struct import_run *run = arg;
	run->batch.skipped += n;
	run->batch.skipped_by[why] += n;
}

static void on_found(void *arg, long long n)
{
	struct import_run *run = arg;
	run->batch.duplicates += n;
}

static int import_fd(struct import_run *run, int fd, const char *name)
{
	enum reader_format fmt;
	int64_t import_id;
	memset(&run->batch, 0, sizeof(run->batch));
	memset(&run->file, 0, sizeof(run->file));
	int rc = store_begin(run->store, run->err, sizeof(run->err));
	if (rc)
		return rc;
	rc = store_import_begin(run->store, name, &import_id, run->err, sizeof(run->err));
	if (rc)
		goto fail;
	run->in_batch = 0;
	const struct pipeline_consumer consumer = {
		.stored = known_duplicate,
		.row = on_row,
		.skipped = on_skipped,
		.found = on_found,
		.batch_done = on_batch_done,
		.arg = run,
	};
	int read_rc = pipeline_run(fd, name, run->in.eb, &run->ctx, &consumer, &fmt, &run->interrupted, run->err,
				   sizeof(run->err));
	/* A malformed document keeps the events before the bad spot: they are
	 * whole and valid, and so are those read before a signal: the open
	 * batch is committed with the import row saying it was interrupted.
	 * Store failures roll the open batch back. */
	if (read_rc && read_rc != AL_DATAERR && read_rc != AL_NOINPUT) {
		rc = read_rc;
		goto fail;
	}
	rc = count_flushed(run); /* rows a stop left queued */
	if (rc)
		goto fail;
	counts_add(&run->file, &run->batch);
	rc = (run->interrupted ? store_import_interrupted : store_import_end)(
		run->store, import_id, run->file.imported, run->file.duplicates, run->file.skipped, run->err,
		sizeof(run->err));
	if (rc)
		goto fail;
	rc = store_commit(run->store, run->err, sizeof(run->err));
	if (rc)
		goto fail;
	counts_add(&run->total, &run->file);
	cli_verbose("import", "%s: read as %s", name,
		    fmt == READER_CSV ? "CSV" : fmt == READER_JSON ? "JSON" : "lines");
	return read_rc;
fail:
	store_rollback(run->store);
	memset(&run->batch, 0, sizeof(run->batch));
	counts_add(&run->total, &run->file); /* the batches committed before the failure */
	return rc;
}

/* "imported N, duplicate D, skipped S", and in parentheses the skipped
 * lines that look like records but are not stored, by reason. */
static void print_summary(const struct import_counts *c)
{
	static const char *const why[] = {
		[EVENT_SKIP_NO_TIME] = "without a time",
		[EVENT_SKIP_FOREIGN_STREAM] = "from a foreign stream",
		[EVENT_SKIP_MALFORMED] = "malformed",
	};
	const char *sep = " (";
	fprintf(stderr, "imported %lld, duplicate %lld, skipped %lld", c->imported, c->duplicates, c->skipped);
	for (size_t i = EVENT_SKIP_NO_TIME; i < sizeof(why) / sizeof(why[0]); i++) {
		if (!c->skipped_by[i])
			continue;
		fprintf(stderr, "%s%lld %s", sep, c->skipped_by[i], why[i]);
		sep = ", ";
	}
	fputs(*sep == ',' ? ")\n" : "\n", stderr);
}

/* --region with a cluster (--cluster, or the group's): the cluster's
 * region, as a scan records the region it read the group in. */
static int record_cluster(struct import_run *run)
{
	struct store_cluster c = {.auth_mode_defaulted = -1, .authenticator_streams = -1, .logging_off = -1};
	if (!run->ctx.region)
		return AL_OK;
	if (run->ctx.cluster)
		snprintf(c.name, sizeof(c.name), "%s", run->ctx.cluster);
	else if (!run->ctx.log_group || event_cluster_of(run->ctx.log_group, c.name, sizeof(c.name)) != 0)
		return AL_OK;
	snprintf(c.region, sizeof(c.region), "%s", run->ctx.region);
	snprintf(c.log_group, sizeof(c.log_group), "%s", run->ctx.log_group ? run->ctx.log_group : "");
	snprintf(c.source, sizeof(c.source), "import");
	return store_cluster_put(run->store, &c, run->err, sizeof(run->err));
}

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{"log-group", required_argument, NULL, 'g'},
		{"log-stream", required_argument, NULL, 's'},
		{"cluster", required_argument, NULL, 'c'},
		{"region", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct import_run run = {0};
	int c, rc = AL_OK;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'g': run.ctx.log_group = optarg; break;
		case 's': run.ctx.log_stream = optarg; break;
		case 'c': run.ctx.cluster = optarg; break;
		case 'r': run.ctx.region = optarg; break;
		case 'h': fputs(usage_text, stdout); return AL_OK;
		default: return cli_bad_option("import", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("import", "no input files (use '-' for stdin)");
	if (run.ctx.region && !aws_region_valid(run.ctx.region))
		return cli_usage_error("import", "--region '%s' is not a region name", run.ctx.region);

	cli_signals_catch();
	rc = cli_store_open("import", STORE_WRITE, &run.store);
	if (rc)
		goto out;
	rc = ingest_open(&run.in, run.store, run.err, sizeof(run.err));
	if (!rc)
		rc = record_cluster(&run);
	if (!rc)
		rc = store_defer_indexes(run.store, run.err, sizeof(run.err));
	if (rc) {
		cli_error("import", "%s", run.err);
		goto out;
	}
	/* the reading thread's connection; without one every line is parsed */
	char perr[512];
	if (store_open(sqlite3_db_filename(store_db(run.store), "main"), STORE_READONLY, &run.probe, perr,
		       sizeof(perr)) != AL_OK)
		cli_verbose("import", "no read-ahead of stored rows: %s", perr);
	else /* a read-ahead walks 4,096 index entries (~200 KB): peak RSS stays where it was */
		sqlite3_exec(store_db(run.probe), "PRAGMA cache_size = -1024", NULL, NULL, NULL);

	for (int i = optind; i < argc && !cli_signal(); i++) {
		const char *name = argv[i];
		int fd = 0, file_rc;
		if (strcmp(name, "-") == 0) {
			name = "<stdin>";
		} else {
			fd = open(name, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				cli_error("import", "%s: %s", name, strerror(errno));
				if (!rc)
					rc = AL_NOINPUT;
				continue;
			}
		}
		file_rc = import_fd(&run, fd, name);
		if (fd > 0)
			close(fd);
		if (run.interrupted && !file_rc && !cli.quiet)
			cli_error("import", "%s: interrupted: the lines read are stored (imports row status 'interrupted'); "
					    "importing it again adds the rest", name);
		if (file_rc) {
			cli_error("import", "%s", run.err);
			if (!rc || file_rc == AL_TEMPFAIL || file_rc == AL_CANTCREAT)
				rc = file_rc;
			if (file_rc != AL_DATAERR && file_rc != AL_NOINPUT)
				break; /* the store itself failed: later files would too */
		}
	}
	store_close(run.probe); /* its cache, before the index sort's memory */
	run.probe = NULL;
	int index_rc = store_build_indexes(run.store, run.err, sizeof(run.err));
	if (index_rc) {
		cli_error("import", "%s", run.err);
		if (!rc)
			rc = index_rc;
	}
	if (!cli.quiet)
		print_summary(&run.total);
out:
	store_close(run.probe);
	ingest_close(&run.in);
	store_close(run.store);
	cli_signals_release(); /* main() then ends by the signal, if one came */
	return rc;
}
