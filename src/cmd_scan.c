/* authlog-scan scan / authlog-scan --log-group NAME — fetch the
 * authenticator records from CloudWatch Logs Insights into the database,
 * then print the report for the window fetched.
 *
 * The order of things, and why:
 *  1. options; the lock on the database (a second cron run exits 75 at
 *     once, before it spends anything on AWS);
 *  2. region, credentials, endpoint (78 when missing), DescribeLogGroups
 *     (a missing group is a configuration error; its creation time trims
 *     the window);
 *  3. one transaction writes the runs, their windows and the windows
 *     earlier runs left missing (--since-last-run), so that from here on
 *     a kill at any point leaves the database saying what is still missing;
 *  4. the fetch engine (fetch.c) runs the windows; every window's rows are
 *     stored in the same transaction that removes the window from
 *     scan_windows, splits replace a window by its parts in one
 *     transaction too;
 *  5. the runs' status and totals, a summary line, the report. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/aws_config.h"
#include "aws/aws_creds.h"
#include "aws/aws_request.h"
#include "classify.h"
#include "cli.h"
#include "config.h"
#include "event.h"
#include "fetch.h"
#include "lock.h"
#include "aws/logs_api.h"
#include "report.h"
#include "status.h"
#include "store.h"
#include "timeutil.h"

#define DEFAULT_SINCE_S (24 * 3600)
#define DEFAULT_OVERLAP_S (10 * 60)   /* late deliveries: events arrive minutes after their time */
#define FIRST_WINDOW_S 3600           /* first windows: an hour, so a capped one wastes little */
#define MAX_FIRST_WINDOWS 96          /* longer for long ranges (more than 4 days) */
#define MAX_QUERY_LEN 10000           /* StartQuery queryString limit */
#define MAX_GROUPS 50

static const char usage_text[] =
	"usage: authlog-scan scan (--log-group NAME | --cluster NAME)... [options]\n"
	"       authlog-scan --log-group NAME [options]\n"
	"\n"
	"Fetch the authenticator records of EKS clusters from CloudWatch Logs\n"
	"Insights into the database, then print the report for that window.\n"
	"Windows that hit the service's 10,000-row cap are split and run again,\n"
	"so nothing is silently left out; rows are stored once whatever overlaps.\n"
	"\n"
	"  -g, --log-group NAME   log group to scan (repeatable; several share one pool)\n"
	"  -c, --cluster NAME     same as --log-group /aws/eks/NAME/cluster\n"
	"      --since TIME       30m, 24h, 7d or RFC 3339 (default: 24h ago)\n"
	"      --until TIME       end of the window (default: now)\n"
	"      --since-last-run   resume each group where the last scan ended (newest\n"
	"                         stored event or end of the last window, minus\n"
	"                         --overlap) and fetch what earlier runs left missing;\n"
	"                         --since is the start when there is no earlier scan\n"
	"      --overlap DUR      safety overlap for --since-last-run (default 10m)\n"
	"      --query FILE|NAME  run another query (a bundled name, see 'authlog-scan\n"
	"                         queries', or a file); default: scan. A query with its\n"
	"                         own limit below 10000 runs once over the window\n"
	"      --concurrency N    queries at once (default 4; the account's quota is shared)\n"
	"      --region R         region (else AWS_REGION, the profile, the instance)\n"
	"      --profile P        AWS profile\n"
	"      --endpoint-url URL CloudWatch Logs endpoint (else AWS_ENDPOINT_URL_CLOUDWATCH_LOGS,\n"
	"                         AWS_ENDPOINT_URL, the profile)\n"
	"      --wait             wait for another run holding the database lock\n"
	"                         (default: exit 75 at once)\n"
	"      --allow-partial    exit 0, not 75, when some windows failed after retries\n"
	"      --exit-code        exit 1 when the window holds a denial\n"
	"      --format F         report as text (default), markdown or json\n"
	"      --new              report only what no earlier run had stored\n"
	"      --top N            rows per ranking in the report (default 10)\n"
	"      --no-report        fetch and store only\n"
	"  -q, --quiet            no progress, no summary; no report unless something new\n"
	"                         (a new finding, principal or aws-auth error) was stored\n"
	"  -v, --verbose          log every API call and query (never secrets)\n"
	"\n"
	"Progress goes to stderr when it is a terminal. Exit status: 0 done, 1 denials\n"
	"(--exit-code), 64 usage, 69 AWS unreachable, 75 database locked by another run or\n"
	"some windows failed (the next --since-last-run retries them), 77 access denied,\n"
	"78 no credentials, no region or no such log group.\n";

/* ---- signals: the first one stops the scan cleanly, a second kills ---- */

/* Lock-free atomic (checked below), so the handler may store to it and the
 * fetch workers may read it. */
static atomic_int scan_signal;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal flag must be lock-free");

static void on_signal(int sig)
{
	if (atomic_load(&scan_signal)) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	atomic_store(&scan_signal, sig);
}

static void signals_install(struct sigaction *old_int, struct sigaction *old_term)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocking lock wait must end */
	sigaction(SIGINT, &sa, old_int);
	sigaction(SIGTERM, &sa, old_term);
}

/* ---- the run ---- */

struct group_run {
	const char *name;      /* the log group */
	const char *cluster;   /* from --cluster, or NULL (event.c derives it) */
	int64_t start, end;    /* the main window */
	int64_t run_id;
	struct store_scan_totals tot;
	long long failed_windows, missing_adopted;
	int64_t first_truncated;
	char first_error[512];
	int skip;              /* nothing to fetch (the group is younger than the window) */
};

struct scan {
	struct store *store;
	struct event_builder *eb;
	struct buf fix;
	struct group_run *g;
	size_t ng;
	const char *query_name;
	const char *region;
	int64_t import_id;
	long long stored, windows_failed, windows_done;
	int progress;          /* draw the progress line */
	int progress_drawn;
	char err[512];
};

/* @message and friends into the reader's entry, exactly as the JSON reader
 * does for `aws logs get-query-results` output, so a fetched row and the
 * same row imported from a file are the same row (same dedupe key). */
static void entry_from_row(const struct results_row *row, struct reader_entry *e, char *stream, size_t stream_sz,
			   char *ts, size_t ts_sz, long line)
{
	memset(e, 0, sizeof(*e));
	e->line = line;
	if (row->message) {
		const char *msg = row->message;
		size_t mlen = row->message_len;
		while (mlen && (msg[mlen - 1] == '\n' || msg[mlen - 1] == '\r'))
			mlen--;
		reader_unwrap_line(msg, mlen, e, stream, stream_sz, ts, ts_sz);
	} else {
		e->message = "";
	}
	if (row->log_stream)
		e->log_stream = row->log_stream;
	if (row->timestamp)
		e->timestamp = row->timestamp;
	e->ptr = row->ptr;
	if (row->log_group) { /* "ACCOUNT:GROUP" */
		const char *colon = strchr(row->log_group, ':');
		e->log_group = colon ? colon + 1 : row->log_group;
	}
}

static void add_cost(struct store_scan_totals *t, const struct fetch_cost *c)
{
	t->queries += c->queries;
	t->bytes_scanned += c->bytes_scanned;
	t->records_scanned += c->records_scanned;
	t->records_matched += c->records_matched;
}

static int store_rows(struct scan *sc, struct group_run *g, const struct fetch_rows *rows)
{
	struct event_ctx ctx = {g->name, NULL, g->cluster, sc->region};
	char stream[256], ts[64];
	size_t n = fetch_rows_count(rows);
	for (size_t i = 0; i < n; i++) {
		struct results_row row;
		struct reader_entry e;
		int inserted, rc;
		fetch_rows_get(rows, i, &row);
		entry_from_row(&row, &e, stream, sizeof(stream), ts, sizeof(ts), (long)i + 1);
		if (!event_build(sc->eb, &ctx, &e)) {
			g->tot.skipped++;
			continue;
		}
		const struct store_event *ev = event_row(sc->eb);
		rc = store_insert(sc->store, ev, &inserted, sc->err, sizeof(sc->err));
		if (rc)
			return rc;
		if (!inserted) {
			g->tot.duplicates++;
			continue;
		}
		g->tot.rows++;
		sc->stored++;
		if (ev->error_class) {
			const char *region = event_region(sc->eb, &ctx);
			struct fix_ctx fc = {ev->principal_arn ? ev->principal_arn : ev->arn, ev->cluster, region, NULL};
			buf_reset(&sc->fix);
			if (classify_fix(event_class(sc->eb), &fc, &sc->fix) < 0)
				return AL_SOFTWARE;
			rc = store_put_fix(sc->store, ev->error_class, ev->principal_arn, ev->cluster, region,
					   buf_str(&sc->fix), sc->err, sizeof(sc->err));
			if (rc)
				return rc;
		}
	}
	return AL_OK;
}

static void progress_clear(struct scan *sc)
{
	if (sc->progress_drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		sc->progress_drawn = 0;
	}
}

static int on_event(void *arg, const struct fetch_event *ev)
{
	struct scan *sc = arg;
	struct group_run *g = &sc->g[ev->window->group];
	int rc;

	if (ev->kind == FETCH_RETRY) { /* only its cost: kept with the next write */
		add_cost(&g->tot, &ev->cost);
		return AL_OK;
	}
	rc = store_begin(sc->store, sc->err, sizeof(sc->err));
	if (rc)
		goto fail;
	add_cost(&g->tot, &ev->cost);
	switch (ev->kind) {
	case FETCH_DONE:
		rc = store_rows(sc, g, ev->rows);
		if (rc)
			goto fail;
		g->tot.duplicates += ev->edge_duplicates;
		if (ev->truncated) {
			g->tot.truncated++;
			if (!g->first_truncated)
				g->first_truncated = ev->window->start;
			rc = store_window_set(sc->store, ev->window->id, "truncated", ev->window->attempts,
					      "one second still returned the row cap: rows may be missing", sc->err,
					      sizeof(sc->err));
		} else {
			rc = store_window_done(sc->store, ev->window->id, sc->err, sizeof(sc->err));
		}
		sc->windows_done++;
		break;
	case FETCH_SPLIT:
		rc = store_window_done(sc->store, ev->window->id, sc->err, sizeof(sc->err));
		for (size_t i = 0; !rc && i < ev->nchildren; i++) {
			struct fetch_window *c = ev->children[i];
			rc = store_window_add(sc->store, g->run_id, g->name, sc->query_name, c->start, c->end, &c->id,
					      sc->err, sizeof(sc->err));
		}
		break;
	case FETCH_FAILED:
		g->failed_windows++;
		sc->windows_failed++;
		if (!g->first_error[0])
			snprintf(g->first_error, sizeof(g->first_error), "%s", ev->error);
		rc = store_window_set(sc->store, ev->window->id, "failed", ev->window->attempts, ev->error, sc->err,
				      sizeof(sc->err));
		break;
	case FETCH_RETRY:
		break;
	}
	if (rc)
		goto fail;
	rc = store_scan_update(sc->store, g->run_id, &g->tot, sc->err, sizeof(sc->err));
	if (rc)
		goto fail;
	rc = store_commit(sc->store, sc->err, sizeof(sc->err));
	if (rc)
		goto fail;
	return AL_OK;
fail:
	store_rollback(sc->store);
	progress_clear(sc);
	cli_error("scan", "%s", sc->err);
	return rc;
}

static void on_progress(void *arg, const struct fetch_progress *p)
{
	struct scan *sc = arg;
	if (!sc->progress)
		return;
	char eta[32] = "--:--";
	if (p->covered >= 0.02 && p->covered < 1) {
		long left = (long)(p->elapsed * (1 - p->covered) / p->covered + 0.5);
		snprintf(eta, sizeof(eta), "%ld:%02ld", left / 60, left % 60);
	}
	double rate = p->elapsed > 0 ? (double)sc->stored / p->elapsed : 0;
	fprintf(stderr, "\r\033[Kscan: windows %zu/%zu  rows %lld  %.0f rows/s  %d running  ETA %s", p->windows_done,
		p->windows_total, sc->stored, rate, p->running, eta);
	fflush(stderr);
	sc->progress_drawn = 1;
}

/* ---- options ---- */

static int parse_duration(const char *s, int64_t *out)
{
	int64_t t;
	/* relative forms only: "10m" is 10 minutes before 0 */
	if (!*s || !(s[strlen(s) - 1] >= 'a' && s[strlen(s) - 1] <= 'z') || time_parse_since(s, 0, &t) != 0)
		return -1;
	*out = -t;
	return 0;
}

/* The log group name pattern of the API: [\.\-_/#A-Za-z0-9]+, 1-512. */
static int valid_group(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 512)
		return 0;
	return strspn(s, "._-/#ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == n;
}


/* --query FILE|NAME: a path when it names a file, else a bundled name. */
static int load_query(const char *arg, char **text, char **name)
{
	char path[4096];
	struct stat st;
	int is_file = strchr(arg, '/') != NULL || (stat(arg, &st) == 0 && S_ISREG(st.st_mode));
	if (is_file) {
		snprintf(path, sizeof(path), "%s", arg);
	} else {
		size_t n = strlen(arg);
		int suffix = n > 9 && strcmp(arg + n - 9, ".insights") == 0;
		snprintf(path, sizeof(path), "%s/%s%s", cli_queries_dir(), arg, suffix ? "" : ".insights");
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		cli_error("scan", "--query %s: %s: %s%s", arg, path, strerror(errno),
			  is_file ? "" : " (see 'authlog-scan queries')");
		return AL_NOINPUT;
	}
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, got);
	int read_err = ferror(f);
	fclose(f);
	if (read_err || b.oom) {
		buf_free(&b);
		cli_error("scan", "--query %s: cannot read %s", arg, path);
		return AL_NOINPUT;
	}
	if (b.len == 0 || b.len > MAX_QUERY_LEN) {
		buf_free(&b);
		cli_error("scan", "--query %s: %s is %s (Logs Insights takes 1 to %d characters)", arg, path,
			  b.len ? "too long" : "empty", MAX_QUERY_LEN);
		return AL_DATAERR;
	}
	*text = buf_take(&b);
	if (is_file) {
		*name = strdup(arg);
	} else {
		size_t n = strlen(arg);
		*name = strndup(arg, n > 9 && strcmp(arg + n - 9, ".insights") == 0 ? n - 9 : n);
	}
	return *name ? AL_OK : AL_SOFTWARE;
}

/* ---- AWS setup: the same resolution as 'authlog-scan whoami' ---- */

struct aws_setup {
	struct aws_config *cfg;
	struct aws_creds_provider *prov;
	struct aws_endpoint ep;
	struct aws_client_opts copts;
	char profile[256], region[64];
};

static int aws_setup(struct aws_setup *a, const char *opt_profile, const char *opt_region, const char *opt_endpoint,
		     double scale)
{
	enum aws_profile_source psrc;
	enum aws_region_source rsrc = AWS_REGION_NONE;
	char err[1024], region_err[512];
	int rc, have_region;

	if (aws_config_load(NULL, NULL, &a->cfg, err, sizeof(err))) {
		cli_error("scan", "%s", err);
		return AL_CONFIG;
	}
	if (aws_config_select_profile(a->cfg, opt_profile, a->profile, sizeof(a->profile), &psrc, err, sizeof(err))) {
		cli_error("scan", "%s", err);
		return AL_CONFIG;
	}
	have_region = aws_config_region(a->cfg, a->profile, opt_region, a->region, sizeof(a->region), &rsrc,
					region_err, sizeof(region_err)) == 0;
	if (!have_region && rsrc != AWS_REGION_NONE) {
		cli_error("scan", "%s", region_err); /* configured, but not a region name */
		return AL_CONFIG;
	}
	if (aws_client_opts_from_config(a->cfg, a->profile, &a->copts, err, sizeof(err))) {
		cli_error("scan", "%s", err);
		return AL_CONFIG;
	}
	if (scale < 1) { /* tests: shrink the client's backoff like ours */
		a->copts.retry.base_ms = (long)(50 * scale) > 0 ? (long)(50 * scale) : 1;
		a->copts.retry.max_backoff_ms = (long)(20000 * scale) > 0 ? (long)(20000 * scale) : 1;
	}
	/* -v: one line per call (logs_api); -vv: the client's own log of
	 * every attempt and the HTTP exchange (headers redacted). */
	a->copts.verbose = cli.verbose > 1;
	a->copts.http.verbose = cli.verbose > 1;

	struct aws_creds_opts co = {
		.cfg = a->cfg,
		.profile = opt_profile,
		.region = have_region ? a->region : NULL,
		.client = &a->copts,
		.verbose = cli.verbose > 0,
	};
	rc = aws_creds_provider_new(&co, &a->prov, err, sizeof(err));
	if (rc) {
		cli_error("scan", "%s", err);
		return rc;
	}
	if (!have_region && aws_creds_provider_kind(a->prov) == AWS_CREDS_IMDS &&
	    aws_creds_imds_region(&co, a->region, sizeof(a->region), err, sizeof(err)) == AL_OK)
		have_region = 1;
	if (!have_region) {
		cli_error("scan", "%s", region_err);
		return AL_CONFIG;
	}
	if (aws_config_endpoint(a->cfg, a->profile, AWS_SVC_LOGS, a->region, opt_endpoint, &a->ep, err, sizeof(err))) {
		cli_error("scan", "%s", err);
		return AL_CONFIG;
	}
	if (cli.verbose) {
		char chain[512];
		aws_creds_provider_describe(a->prov, chain, sizeof(chain));
		fprintf(stderr, "authlog-scan: scan: credentials %s, region %s, endpoint %s (%s)\n", chain, a->region,
			a->ep.url, a->ep.origin);
	}
	return AL_OK;
}

static void aws_setup_free(struct aws_setup *a)
{
	aws_creds_provider_free(a->prov);
	aws_config_free(a->cfg);
}

/* Each group's window: --since (or where the last run ended, minus the
 * overlap, with --since-last-run: overlap >= 0) to --until, trimmed to the
 * group's creation; and the group must exist. */
static int resolve_groups(struct scan *sc, const struct logs_target *t, const struct aws_client_opts *copts,
			  int64_t since, int64_t until, int64_t overlap)
{
	struct aws_client *client = NULL;
	char err[512];
	int rc = AL_OK;
	if (aws_client_new(copts, &client) != AL_OK) {
		cli_error("scan", "cannot create the HTTP client");
		return AL_SOFTWARE;
	}
	for (size_t i = 0; i < sc->ng && !rc && !scan_signal; i++) {
		struct group_run *g = &sc->g[i];
		struct logs_group_info info;
		struct aws_fault aerr;
		char aerr_msg[AWS_ERR_MAX];
		g->start = since;
		g->end = until;
		if (overlap >= 0) {
			int64_t last_end, newest;
			rc = store_scan_resume_point(sc->store, g->name, sc->query_name, &last_end, &newest, err,
						     sizeof(err));
			if (rc) {
				cli_error("scan", "%s", err);
				break;
			}
			int64_t from = last_end > newest ? last_end : newest;
			if (from >= 0)
				g->start = from - overlap;
		}
		/* The group must exist; and before its creation there is
		 * nothing to fetch (the service rejects such a window). */
		int drc = logs_api_describe_log_group(client, t, g->name, &info, &aerr, aerr_msg, sizeof(aerr_msg));
		if (drc == AL_OK && !info.found) {
			cli_error("scan", "log group %s does not exist in %s (is the cluster's authenticator log type"
					  " enabled, and is this its region?)",
				  g->name, t->region);
			rc = AL_CONFIG;
			break;
		}
		/* Bad credentials or an endpoint that does not answer at all
		 * would fail every query the same way: say it now. */
		if (drc != AL_OK &&
		    (aerr.kind == AWS_ERR_AUTH || aerr.kind == AWS_ERR_TRANSPORT || drc == AL_SOFTWARE)) {
			cli_error("scan", "%s", aerr_msg);
			rc = drc;
			break;
		}
		if (drc != AL_OK) /* e.g. no logs:DescribeLogGroups: StartQuery will tell */
			cli_verbose("scan", "%s (going on without it)", aerr_msg);
		if (drc == AL_OK && info.creation_ms > 0 && info.creation_ms / 1000 > g->start)
			g->start = info.creation_ms / 1000;
		if (g->start >= g->end)
			g->skip = 1;
	}
	aws_client_free(client);
	return rc;
}

/* ---- planning ---- */

struct plan_window {
	size_t group;
	int64_t start, end, id;
	int attempts;
};

struct plan {
	struct plan_window *v;
	size_t n, cap;
};

static int plan_add(struct plan *p, size_t group, int64_t start, int64_t end, int64_t id, int attempts)
{
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 64;
		struct plan_window *nv = realloc(p->v, ncap * sizeof(*nv));
		if (!nv)
			return AL_SOFTWARE;
		p->v = nv;
		p->cap = ncap;
	}
	p->v[p->n++] = (struct plan_window){group, start, end, id, attempts};
	return AL_OK;
}

static int by_start(const void *a, const void *b)
{
	const struct plan_window *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->group < y->group ? -1 : x->group > y->group;
}

/* Writes the runs and their windows (and adopts what earlier runs left
 * missing) in one transaction. */
static int plan_runs(struct scan *sc, struct plan *p, int resume, int split, const char *source)
{
	int rc = store_begin(sc->store, sc->err, sizeof(sc->err));
	if (rc)
		return rc;
	rc = store_scan_mark_interrupted(sc->store, sc->err, sizeof(sc->err));
	if (!rc)
		rc = store_import_begin(sc->store, source, &sc->import_id, sc->err, sizeof(sc->err));
	for (size_t gi = 0; !rc && gi < sc->ng; gi++) {
		struct group_run *g = &sc->g[gi];
		rc = store_scan_begin(sc->store, g->name, sc->query_name, g->start, g->end, &g->run_id, sc->err,
				      sizeof(sc->err));
		if (rc)
			break;
		if (resume) {
			struct store_window *miss = NULL;
			size_t nmiss = 0;
			rc = store_windows_missing(sc->store, g->name, sc->query_name, &miss, &nmiss, sc->err,
						   sizeof(sc->err));
			for (size_t i = 0; !rc && i < nmiss; i++) {
				struct store_window *w = &miss[i];
				if (!g->skip && w->start >= g->start) { /* inside this run's window anyway */
					rc = store_window_done(sc->store, w->id, sc->err, sizeof(sc->err));
					continue;
				}
				int64_t end = !g->skip && w->end > g->start ? g->start : w->end;
				rc = store_window_move(sc->store, w->id, g->run_id, w->start, end, sc->err, sizeof(sc->err));
				if (!rc)
					rc = plan_add(p, gi, w->start, end, w->id, w->attempts);
				g->missing_adopted++;
			}
			free(miss);
			if (rc)
				break;
		}
		if (g->skip)
			continue;
		/* First windows: an hour each (up to MAX_FIRST_WINDOWS). A
		 * window that hits the cap is billed for all it scanned and
		 * run again in parts, so the first ones are kept small; the
		 * rows per second they see then splits the later ones before
		 * they run. A busy cluster wastes about one hour of scanning
		 * per worker, a quiet one costs one short query per hour. */
		int64_t len = g->end - g->start;
		int64_t n = split ? (len + FIRST_WINDOW_S - 1) / FIRST_WINDOW_S : 1;
		if (n > MAX_FIRST_WINDOWS)
			n = MAX_FIRST_WINDOWS;
		if (n < 1)
			n = 1;
		for (int64_t i = 0; !rc && i < n; i++) {
			int64_t s, e, id;
			fetch_split_bounds(g->start, g->end, (size_t)n, (size_t)i, &s, &e);
			rc = store_window_add(sc->store, g->run_id, g->name, sc->query_name, s, e, &id, sc->err,
					      sizeof(sc->err));
			if (!rc)
				rc = plan_add(p, gi, s, e, id, 0);
		}
	}
	if (!rc)
		rc = store_commit(sc->store, sc->err, sizeof(sc->err));
	if (rc) {
		store_rollback(sc->store);
		cli_error("scan", "%s", sc->err);
		return rc;
	}
	qsort(p->v, p->n, sizeof(*p->v), by_start);
	return AL_OK;
}

/* Something a cron job should mail: a (class, principal) denial pair, a
 * principal or an aws-auth config error that no earlier run had stored. */
static int count_news(struct store *s, int64_t first_id, long long *news, char *err, size_t err_sz)
{
	static const char sql[] =
		"SELECT"
		" (SELECT COUNT(*) FROM (SELECT DISTINCT error_class, principal_arn FROM events d"
		"   WHERE d.id >= ?1 AND d.outcome = 'denied') x"
		"   WHERE NOT EXISTS (SELECT 1 FROM events o WHERE o.outcome = 'denied' AND o.id < ?1"
		"     AND o.error_class = x.error_class AND o.principal_arn IS x.principal_arn))"
		" + (SELECT COUNT(*) FROM (SELECT DISTINCT principal_arn FROM events"
		"   WHERE id >= ?1 AND kind = 'access' AND principal_arn IS NOT NULL AND expected = 0) x"
		"   WHERE NOT EXISTS (SELECT 1 FROM events o WHERE o.principal_arn = x.principal_arn AND o.id < ?1))"
		" + (SELECT COUNT(*) FROM events WHERE id >= ?1 AND kind = 'config_error')";
	sqlite3_stmt *st;
	sqlite3 *db = store_db(s);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, err_sz, "cannot count what is new: %s", sqlite3_errmsg(db));
		return AL_SOFTWARE;
	}
	sqlite3_bind_int64(st, 1, first_id);
	int rc = sqlite3_step(st);
	*news = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		snprintf(err, err_sz, "cannot count what is new: %s", sqlite3_errmsg(db));
		return AL_SOFTWARE;
	}
	return AL_OK;
}

static void summary(const struct group_run *g)
{
	char a[TIME_ISO_LEN], b[TIME_ISO_LEN], bytes[32];
	double v = g->tot.bytes_scanned;
	static const char *const unit[] = {"B", "kB", "MB", "GB", "TB"};
	int u = 0;
	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(bytes, sizeof(bytes), u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	time_format(g->start, a);
	time_format(g->end, b);
	fprintf(stderr,
		"scan: %s %s..%s: %lld new row%s, %lld already stored, %lld skipped; %lld quer%s, %s scanned "
		"(%.0f records scanned, %.0f matched)",
		g->name, g->skip ? "-" : a, b, g->tot.rows, g->tot.rows == 1 ? "" : "s", g->tot.duplicates,
		g->tot.skipped, g->tot.queries, g->tot.queries == 1 ? "y" : "ies", bytes, g->tot.records_scanned,
		g->tot.records_matched);
	if (g->missing_adopted)
		fprintf(stderr, "; %lld missing window%s of earlier runs", g->missing_adopted,
			g->missing_adopted == 1 ? "" : "s");
	fputc('\n', stderr);
}

/* Writes each run's status and totals and the import's counts, in one
 * transaction. why: the fatal error, if any. */
static int end_runs(struct scan *sc, int interrupted, int fatal, const char *why)
{
	struct store_scan_totals all = {0};
	char err[512];
	int rc = store_begin(sc->store, err, sizeof(err));
	for (size_t i = 0; !rc && i < sc->ng; i++) {
		struct group_run *g = &sc->g[i];
		const char *status = interrupted ? "interrupted" : fatal ? "failed"
							: g->failed_windows ? "partial" : "complete";
		const char *error = interrupted ? "interrupted by a signal" : fatal ? why
							: g->failed_windows ? g->first_error : NULL;
		rc = store_scan_update(sc->store, g->run_id, &g->tot, err, sizeof(err));
		if (!rc)
			rc = store_scan_end(sc->store, g->run_id, status, error, err, sizeof(err));
		all.rows += g->tot.rows;
		all.duplicates += g->tot.duplicates;
		all.skipped += g->tot.skipped;
	}
	if (!rc)
		rc = store_import_end(sc->store, sc->import_id, all.rows, all.duplicates, all.skipped, err,
				      sizeof(err));
	if (!rc)
		rc = store_commit(sc->store, err, sizeof(err));
	if (rc) {
		store_rollback(sc->store);
		cli_error("scan", "%s", err);
	}
	return rc;
}

/* What the user must know even with --quiet: rows that may be missing, and
 * windows left for the next run. */
static void warn_runs(const struct scan *sc, int limit)
{
	for (size_t i = 0; i < sc->ng; i++) {
		const struct group_run *g = &sc->g[i];
		if (g->tot.truncated) {
			char t[TIME_ISO_LEN];
			time_format(g->first_truncated, t);
			cli_error("scan",
				  "warning: %s: %lld one-second window%s still returned %d rows (the service's cap), "
				  "first at %s: rows there may be missing",
				  g->name, g->tot.truncated, g->tot.truncated == 1 ? "" : "s", limit, t);
		}
		if (g->failed_windows)
			cli_error("scan",
				  "%s: %lld window%s failed after retries (%s); what was fetched is kept and the next "
				  "--since-last-run fetches them again",
				  g->name, g->failed_windows, g->failed_windows == 1 ? "" : "s", g->first_error);
	}
}

/* The report for the window fetched (from the earliest window run, which
 * may be an earlier run's missing one, to --until). --quiet: only when
 * something is new; the denials are counted either way (--exit-code). */
static int report_after(struct scan *sc, const struct plan *p, struct report_opts *ro, int64_t until, int new_only,
			long long *denials)
{
	int64_t first_id = 0, start = until;
	long long news = 1;
	char since_iso[TIME_ISO_LEN], until_iso[TIME_ISO_LEN], err[512];
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].start < start)
			start = p->v[i].start;
	for (size_t i = 0; i < sc->ng; i++)
		if (!sc->g[i].skip && sc->g[i].start < start)
			start = sc->g[i].start;
	time_format(start, since_iso);
	time_format(until + 1, until_iso); /* report windows are half-open; ours include the last second */
	int rc = store_import_first_event(sc->store, sc->import_id, &first_id, err, sizeof(err));
	if (!rc && cli.quiet)
		rc = count_news(sc->store, first_id, &news, err, sizeof(err));
	ro->since = since_iso;
	ro->until = until_iso;
	ro->region = sc->region;
	ro->new_from = new_only ? (first_id > 0 ? first_id : 1) : 0;
	ro->color = ro->format == REPORT_TEXT && cli_color(stdout);
	if (!rc)
		rc = report_run(store_db(sc->store), ro, news > 0 ? stdout : NULL, denials, err, sizeof(err));
	ro->since = ro->until = NULL; /* they were ours */
	if (rc)
		cli_error("scan", "%s", err);
	return rc;
}

/* ---- the command ---- */

int cmd_scan(int argc, char **argv)
{
	enum {
		O_SINCE = 256, O_UNTIL, O_SINCE_LAST, O_OVERLAP, O_QUERY, O_CONCURRENCY, O_REGION, O_PROFILE,
		O_ENDPOINT, O_WAIT, O_ALLOW_PARTIAL, O_EXIT_CODE, O_FORMAT, O_NEW, O_TOP, O_NO_REPORT, O_DB,
		O_COLOR,
	};
	static const struct option opts[] = {
		{"log-group", required_argument, NULL, 'g'},
		{"cluster", required_argument, NULL, 'c'},
		{"since", required_argument, NULL, O_SINCE},
		{"until", required_argument, NULL, O_UNTIL},
		{"since-last-run", no_argument, NULL, O_SINCE_LAST},
		{"overlap", required_argument, NULL, O_OVERLAP},
		{"query", required_argument, NULL, O_QUERY},
		{"concurrency", required_argument, NULL, O_CONCURRENCY},
		{"region", required_argument, NULL, O_REGION},
		{"profile", required_argument, NULL, O_PROFILE},
		{"endpoint-url", required_argument, NULL, O_ENDPOINT},
		{"wait", no_argument, NULL, O_WAIT},
		{"allow-partial", no_argument, NULL, O_ALLOW_PARTIAL},
		{"exit-code", no_argument, NULL, O_EXIT_CODE},
		{"format", required_argument, NULL, O_FORMAT},
		{"new", no_argument, NULL, O_NEW},
		{"top", required_argument, NULL, O_TOP},
		{"no-report", no_argument, NULL, O_NO_REPORT},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		/* the global options, for the `authlog-scan [--db P] --log-group G` form */
		{"db", required_argument, NULL, O_DB},
		{"color", required_argument, NULL, O_COLOR},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *opt_profile = NULL, *opt_region = NULL, *opt_endpoint = NULL, *opt_query = "scan";
	const char *since_arg = NULL, *until_arg = NULL;
	int since_last = 0, wait = 0, allow_partial = 0, exit_code = 0, new_only = 0, no_report = 0;
	int concurrency = 4, verbose_here = 0;
	int64_t overlap = DEFAULT_OVERLAP_S, since = 0, until = 0, now = (int64_t)time(NULL);
	struct report_opts ro = {.format = REPORT_TEXT, .top = 10};
	const char **names = NULL, **clusters = NULL;
	size_t nnames = 0;
	char *query = NULL, *query_name = NULL, *db_path = NULL, *source = NULL;
	struct scan sc;
	struct aws_setup aws;
	struct lock *lock = NULL;
	struct fetch *fetch = NULL;
	struct plan plan = {0};
	struct logs_target target;
	struct sigaction old_int, old_term;
	int c, rc = AL_OK, builder_ok = 0, signals_on = 0;
	char err[1024];
	double scale = 1.0;

	memset(&sc, 0, sizeof(sc));
	memset(&aws, 0, sizeof(aws));
	names = calloc((size_t)argc + 1, sizeof(*names));
	clusters = calloc((size_t)argc + 1, sizeof(*clusters));
	if (!names || !clusters) {
		rc = AL_SOFTWARE;
		goto out;
	}
	optind = 0; /* both forms: "scan ARGS" and the whole command line */
	while ((c = getopt_long(argc, argv, ":g:c:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
		case 'c': {
			char *name = NULL;
			if (c == 'c') {
				size_t n = strlen(optarg);
				if (n < 1 || n > 100 || strspn(optarg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
								      "0123456789-_") != n) {
					rc = cli_usage_error("scan", "--cluster '%s' is not an EKS cluster name", optarg);
					goto out;
				}
				if (asprintf(&name, "/aws/eks/%s/cluster", optarg) < 0) {
					rc = AL_SOFTWARE;
					goto out;
				}
			} else if (!valid_group(optarg)) {
				rc = cli_usage_error("scan", "--log-group '%s' is not a log group name", optarg);
				goto out;
			}
			const char *gname = name ? name : optarg;
			size_t k;
			for (k = 0; k < nnames && strcmp(names[k], gname) != 0; k++)
				;
			if (k < nnames) { /* named twice: once is enough */
				free(name);
				break;
			}
			if (nnames == MAX_GROUPS) {
				free(name);
				rc = cli_usage_error("scan", "at most %d log groups per run", MAX_GROUPS);
				goto out;
			}
			names[nnames] = name ? name : optarg;
			clusters[nnames] = c == 'c' ? optarg : NULL;
			nnames++;
			break; /* a --cluster name is freed through names[] at the end */
		}
		case O_SINCE: since_arg = optarg; break;
		case O_UNTIL: until_arg = optarg; break;
		case O_SINCE_LAST: since_last = 1; break;
		case O_OVERLAP:
			if (parse_duration(optarg, &overlap) != 0 || overlap < 0) {
				rc = cli_usage_error("scan", "--overlap '%s' is not a duration (like 10m or 1h)", optarg);
				goto out;
			}
			break;
		case O_QUERY: opt_query = optarg; break;
		case O_CONCURRENCY: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 50) {
				rc = cli_usage_error("scan", "--concurrency must be a number from 1 to 50, not '%s'", optarg);
				goto out;
			}
			concurrency = (int)n;
			break;
		}
		case O_REGION: opt_region = optarg; break;
		case O_PROFILE: opt_profile = optarg; break;
		case O_ENDPOINT: opt_endpoint = optarg; break;
		case O_WAIT: wait = 1; break;
		case O_ALLOW_PARTIAL: allow_partial = 1; break;
		case O_EXIT_CODE: exit_code = 1; break;
		case O_FORMAT:
			if (!strcmp(optarg, "text"))
				ro.format = REPORT_TEXT;
			else if (!strcmp(optarg, "markdown") || !strcmp(optarg, "md"))
				ro.format = REPORT_MARKDOWN;
			else if (!strcmp(optarg, "json"))
				ro.format = REPORT_JSON;
			else {
				rc = cli_usage_error("scan", "--format must be text, markdown or json, not '%s'", optarg);
				goto out;
			}
			break;
		case O_NEW: new_only = 1; break;
		case O_TOP: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 100000) {
				rc = cli_usage_error("scan", "--top must be a number from 1 to 100000, not '%s'", optarg);
				goto out;
			}
			ro.top = (int)n;
			break;
		}
		case O_NO_REPORT: no_report = 1; break;
		case 'q': cli.quiet = 1; break;
		case 'v': verbose_here++; break;
		case O_DB: cli.db_path = optarg; break;
		case O_COLOR:
			if (!strcmp(optarg, "auto"))
				cli.color = COLOR_AUTO;
			else if (!strcmp(optarg, "always"))
				cli.color = COLOR_ALWAYS;
			else if (!strcmp(optarg, "never"))
				cli.color = COLOR_NEVER;
			else {
				rc = cli_usage_error("scan", "--color must be auto, always or never, not '%s'", optarg);
				goto out;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			rc = AL_OK;
			goto out;
		default:
			rc = cli_bad_option("scan", c, argv);
			goto out;
		}
	}
	/* main() counted the -v before the command; the top-level form
	 * (argv[0] is the program) sees those again here. */
	if (strcmp(argv[0], "scan") == 0)
		cli.verbose += verbose_here;
	else if (verbose_here > cli.verbose)
		cli.verbose = verbose_here;
	if (optind < argc) {
		rc = cli_usage_error("scan", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!nnames) {
		rc = cli_usage_error("scan", "which log group? give --log-group NAME or --cluster NAME");
		goto out;
	}
	if (since_arg && time_parse_since(since_arg, now, &since) != 0) {
		rc = cli_usage_error("scan", "--since: '%s' is not a time (use 30m, 24h, 7d or RFC 3339)", since_arg);
		goto out;
	}
	until = now;
	if (until_arg && time_parse_since(until_arg, now, &until) != 0) {
		rc = cli_usage_error("scan", "--until: '%s' is not a time (use 30m, 24h, 7d or RFC 3339)", until_arg);
		goto out;
	}
	if (!since_arg) /* the day before --until */
		since = until - DEFAULT_SINCE_S;
	if (since >= until) {
		rc = cli_usage_error("scan", "the window is empty: --since must be before --until");
		goto out;
	}
	rc = load_query(opt_query, &query, &query_name);
	if (rc)
		goto out;
	/* A query's own `limit N` below the service cap asks for the top N:
	 * run it once over the window and keep what comes. */
	int qlimit = fetch_query_limit(query);
	int limit = qlimit > 0 && qlimit < LOGS_API_MAX_LIMIT ? qlimit : LOGS_API_MAX_LIMIT;
	int split = limit == LOGS_API_MAX_LIMIT;

	/* Tests shrink every wait of the fetcher (polls, backoff); never set
	 * in production. */
	const char *ts_env = getenv("AUTHLOG_SCAN_TIME_SCALE");
	if (ts_env && *ts_env) {
		scale = strtod(ts_env, NULL);
		if (!(scale > 0 && scale <= 1))
			scale = 1.0;
	}

	signals_install(&old_int, &old_term);
	signals_on = 1;
#ifdef M_MMAP_THRESHOLD
	/* Every window passes through a few MB of response and rows, on
	 * several threads. glibc raises its mmap threshold after such frees,
	 * so later ones land in per-thread arenas that never shrink: a fixed
	 * threshold gives them back at once (500,000 events: 120 -> 70 MB
	 * peak RSS, same speed). */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif

	db_path = cli_db_path();
	if (!db_path) {
		rc = AL_SOFTWARE;
		goto out;
	}
	rc = lock_acquire(db_path, wait ? LOCK_WAIT : LOCK_NOWAIT, &lock, err, sizeof(err));
	if (rc) {
		if (!scan_signal)
			cli_error("scan", "%s", err);
		goto out;
	}

	rc = aws_setup(&aws, opt_profile, opt_region, opt_endpoint, scale);
	if (rc)
		goto out;
	target = (struct logs_target){aws.ep.url, aws.region, aws.prov, NULL, cli.verbose == 1};
	sc.region = aws.region;
	sc.query_name = query_name;

	rc = store_open(db_path, STORE_WRITE, &sc.store, err, sizeof(err));
	if (rc) {
		cli_error("scan", "%s", err);
		goto out;
	}
	if (classify_init() != 0 || event_builder_new(&sc.eb, NULL, 0) != 0) {
		cli_error("scan", "cannot compile the parser patterns");
		rc = AL_SOFTWARE;
		goto out;
	}
	builder_ok = 1;

	sc.g = calloc(nnames, sizeof(*sc.g));
	if (!sc.g) {
		rc = AL_SOFTWARE;
		goto out;
	}
	sc.ng = nnames;
	for (size_t i = 0; i < nnames; i++) {
		sc.g[i].name = names[i];
		sc.g[i].cluster = clusters[i];
	}
	rc = resolve_groups(&sc, &target, &aws.copts, since, until, since_last ? overlap : -1);
	if (rc)
		goto out;
	if (scan_signal)
		goto interrupted;

	{
		struct buf src = BUF_INIT;
		buf_puts(&src, "scan ");
		for (size_t i = 0; i < nnames; i++)
			buf_printf(&src, "%s%s", i ? "," : "", names[i]);
		source = buf_take(&src);
		if (!source) {
			rc = AL_SOFTWARE;
			goto out;
		}
	}
	rc = plan_runs(&sc, &plan, since_last, split, source);
	if (rc)
		goto out;

	struct fetch_opts fo = {
		.target = &target,
		.groups = names,
		.ngroups = nnames,
		.query = query,
		.limit = limit,
		.cap = limit,
		.split = split,
		.concurrency = concurrency,
		.client = aws.copts,
		.time_scale = scale,
		.cancel = &scan_signal,
		.verbose = cli.verbose > 0,
		.on_event = on_event,
		.on_progress = on_progress,
		.ctx = &sc,
	};
	sc.progress = !cli.quiet && !cli.verbose && isatty(STDERR_FILENO);
	rc = fetch_new(&fo, &fetch);
	for (size_t i = 0; !rc && i < plan.n; i++)
		rc = fetch_add(fetch, plan.v[i].group, plan.v[i].start, plan.v[i].end, plan.v[i].id,
			       plan.v[i].attempts);
	if (rc)
		goto out;
	int fetch_rc = plan.n ? fetch_run(fetch, err, sizeof(err)) : AL_OK;
	progress_clear(&sc);
	int interrupted = fetch_interrupted(fetch) || scan_signal;
	int fatal = fetch_rc != AL_OK && !interrupted;

	/* The runs' end: status, totals, the import's counts. */
	int erc = end_runs(&sc, interrupted, fatal, err);
	if (erc && fetch_rc == AL_OK)
		fetch_rc = erc;
	/* A failing store has said so itself (on_event). */
	if (fatal && strncmp(err, "stopped:", 8) != 0)
		cli_error("scan", "%s", err);
	if (!cli.quiet || cli.verbose)
		for (size_t i = 0; i < sc.ng; i++)
			summary(&sc.g[i]);
	warn_runs(&sc, limit);
	if (interrupted)
		goto interrupted;
	if (fatal) {
		rc = fetch_rc;
		goto out;
	}
	if (fetch_rc != AL_OK) { /* the bookkeeping above failed */
		rc = fetch_rc;
		goto out;
	}

	/* The report for the window fetched. */
	int partial = sc.windows_failed > 0;
	if (partial && !sc.windows_done && !sc.stored)
		rc = AL_UNAVAILABLE; /* nothing came through at all */
	else if (partial && !allow_partial)
		rc = AL_TEMPFAIL;
	if (!no_report && rc != AL_UNAVAILABLE) {
		long long denials = 0;
		int rrc = report_after(&sc, &plan, &ro, until, new_only, &denials);
		if (rrc) {
			rc = rrc;
			goto out;
		}
		if (exit_code && denials > 0 && rc == AL_OK)
			rc = AL_FINDINGS;
	}
	goto out;

interrupted:
	if (!cli.quiet)
		cli_error("scan", "interrupted; what was fetched is stored, and the next --since-last-run fetches the "
				  "rest");
	rc = AL_TEMPFAIL;
out:
	fetch_free(fetch);
	free(plan.v);
	if (builder_ok)
		event_builder_free(sc.eb);
	classify_cleanup();
	buf_free(&sc.fix);
	free(sc.g);
	store_close(sc.store);
	aws_setup_free(&aws);
	lock_release(lock);
	for (size_t i = 0; i < nnames; i++)
		if (clusters[i])
			free((char *)names[i]);
	free(names);
	free(clusters);
	free(query);
	free(query_name);
	free(source);
	free(db_path);
	if (signals_on) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		/* Die of the signal, as a shell expects of an interrupted
		 * program (exit status 128+N), now that everything is closed. */
		int sig = atomic_load(&scan_signal);
		if (sig) {
			signal(sig, SIG_DFL);
			raise(sig);
		}
	}
	return rc;
}
