/* authlog-scan scan / authlog-scan --log-group NAME — fetch the
 * authenticator records from CloudWatch Logs Insights into the database,
 * then print the report for the window fetched.
 *
 * The command: options, the lock on the database (a second cron run exits
 * 75 at once, before it spends anything on AWS), the AWS session (78 when
 * credentials or the region are missing), signals, and all that is
 * printed. The engine — planning, resume, persistence — is scan.c. */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "aws/aws_request.h"
#include "aws/aws_session.h"
#include "aws/logs_api.h"
#include "buf.h"
#include "cli.h"
#include "fleet.h"
#include "lock.h"
#include "report.h"
#include "scan.h"
#include "status.h"
#include "timeutil.h"

#define DEFAULT_SINCE_S (24 * 3600)
#define DEFAULT_OVERLAP_S (10 * 60)   /* late deliveries: events arrive minutes after their time */
#define DEFAULT_TIMEOUT_S 3600        /* a nightly cron run ends within the hour, done or not */
#define MAX_QUERY_LEN 10000           /* StartQuery queryString limit */
#define MAX_GROUPS 50

static const char usage_text[] =
	"usage: authlog-scan scan (--log-group NAME | --cluster NAME)... [options]\n"
	"       authlog-scan scan --all [--clusters FILE] [options]\n"
	"       authlog-scan --log-group NAME [options]\n"
	"\n"
	"Fetch the authenticator records of EKS clusters from CloudWatch Logs\n"
	"Insights into the database, then print the report for that window.\n"
	"Queries ask for up to 100,000 rows, read in pages; windows that return them\n"
	"(or 10,000 where the service refuses more) are split and run again, so\n"
	"nothing is silently left out; rows are stored once whatever overlaps.\n"
	"\n"
	"  -g, --log-group NAME   log group to scan (repeatable; several share one pool)\n"
	"  -c, --cluster NAME     same as --log-group /aws/eks/NAME/cluster; a cluster of\n"
	"                         the fleet file scans with its settings there\n"
	"      --all              every cluster of the fleet file, each with its own region\n"
	"                         and credentials, in parallel; one failing does not stop\n"
	"                         the others: one line per cluster at the end, exit 75\n"
	"      --clusters FILE    the fleet file (default $XDG_CONFIG_HOME/authlog-scan/\n"
	"                         clusters, ~/.config/authlog-scan/clusters): [cluster NAME]\n"
	"                         sections with region, profile, role_arn, external_id,\n"
	"                         log_group, account, keep\n"
	"      --keep AGE         after the scan, delete its clusters' events older than\n"
	"                         AGE (90d, 12w; a fleet cluster's own keep wins), as\n"
	"                         'authlog-scan prune' does: rollups rebuilt, space freed\n"
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
	"      --concurrency N    queries at once (default 8: the account's 100 are shared\n"
	"                         with its dashboards and alarms), for the whole fleet\n"
	"      --region R         region (else AWS_REGION, the profile, the instance); not\n"
	"                         with a fleet file's clusters (each has its own)\n"
	"      --profile P        AWS profile (for fleet clusters that name none)\n"
	"      --endpoint-url URL CloudWatch Logs endpoint (else AWS_ENDPOINT_URL_CLOUDWATCH_LOGS,\n"
	"                         AWS_ENDPOINT_URL, the profile)\n"
	"      --allow-insecure-endpoint\n"
	"                         send signed requests to a plain http:// endpoint that is\n"
	"                         not loopback (refused by default: the signature and the\n"
	"                         session token would cross the network in clear)\n"
	"      --wait             wait for another run holding the database lock\n"
	"                         (default: exit 75 at once)\n"
	"      --timeout DUR      stop after this long (counted once the lock is held),\n"
	"                         keep what was fetched, exit 75; the next --since-last-run\n"
	"                         fetches the rest (default 1h; 0 = no limit)\n"
	"      --max-scan GB      bill at most this many GB (10^9 bytes) of Logs Insights\n"
	"                         scanning: no query starts that the bytes billed so far\n"
	"                         plus its estimate would take past it; the run stops,\n"
	"                         keeps what was fetched and exits 75, and the next\n"
	"                         --since-last-run fetches the rest (default: no limit)\n"
	"      --method M         how windows are read: insights (Logs Insights queries,\n"
	"                         billed per byte scanned), filter (FilterLogEvents: no\n"
	"                         scan billed, at most 5 requests/s per account; the scan\n"
	"                         query's records only), auto (default: insights, except\n"
	"                         an Infrequent Access group, which has no field index;\n"
	"                         -v says so)\n"
	"      --dry-run          print each group's window, class, stored bytes and\n"
	"                         streams, and each window's streams and queries, as the\n"
	"                         run would start; run no query, write nothing\n"
	"      --allow-partial    exit 0, not 75, when some windows failed after retries\n"
	"      --exit-code        exit 1 when the window holds a denial\n"
	"      --format F         report as text (default), markdown or json\n"
	"      --new              report only what no earlier run had stored\n"
	"      --top N            rows per ranking in the report (default 10)\n"
	"      --no-report        fetch and store only\n"
	"  -q, --quiet            no progress, no summary; no report unless something new\n"
	"                         (a new finding, principal or aws-auth error) was stored\n"
	"  -v, --verbose          log every API call and query (never secrets), and every\n"
	"                         30 s what each running query is waiting for\n"
	"\n"
	"Progress goes to stderr when it is a terminal. Exit status: 0 done, 1 denials\n"
	"(--exit-code), 64 usage, 69 AWS unreachable, 75 database locked by another run,\n"
	"--timeout or --max-scan reached, some windows failed (the next --since-last-run\n"
	"retries them) or some clusters of the fleet failed (the others are stored),\n"
	"77 access denied, 78 no credentials, no region, no such log group, a bad fleet\n"
	"file, an insecure endpoint, or the cluster's authenticator log is off (75 when\n"
	"other clusters of the run were scanned). See 'man authlog-scan', FLEET.\n";

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

/* Restores the handlers; then, if a signal stopped the scan, dies of it
 * as a shell expects of an interrupted program (exit status 128+N), now
 * that everything is closed. */
static void signals_restore(const struct sigaction *old_int, const struct sigaction *old_term)
{
	sigaction(SIGINT, old_int, NULL);
	sigaction(SIGTERM, old_term, NULL);
	int sig = atomic_load(&scan_signal);
	if (sig) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

/* ---- options ---- */

struct scan_args {
	const char *profile, *region, *endpoint, *query;
	const char *since_arg, *until_arg;
	int since_last, wait, allow_partial, exit_code, new_only, no_report, help;
	int allow_insecure, dry_run;
	enum scan_method method;
	long concurrency;
	const char *timeout_arg;
	const char *max_scan_arg;
	double max_scan;  /* bytes, 0 = no limit */
	int64_t timeout;  /* seconds, 0 = none */
	int verbose_here; /* -v after the command name */
	int64_t overlap, since, until;
	struct report_opts ro;
	const char **names, **clusters; /* a --cluster's name is ours to free */
	size_t nnames;
	/* the fleet file: --all, --clusters, and the section of each group
	 * (NULL: none, today's --cluster/--log-group) */
	int all, isolate;
	const char *clusters_file, *keep_arg;
	int64_t keep;
	struct fleet fleet;
	const struct fleet_cluster **fc;
};

static int parse_duration(const char *s, int64_t *out)
{
	int64_t t;
	/* relative forms only: "10m" is 10 minutes before 0 */
	if (!*s || !(s[strlen(s) - 1] >= 'a' && s[strlen(s) - 1] <= 'z') || time_parse_since(s, 0, &t) != 0)
		return -1;
	*out = -t;
	return 0;
}

static int once(const char *opt, const char **field, const char *arg)
{
	return cli_option_once("scan", opt, field, arg,
			       strcmp(opt, "--clusters") ? "one per run; a fleet file gives each cluster its own" : NULL);
}

/* -g NAME or -c CLUSTER (the group /aws/eks/CLUSTER/cluster); a group
 * named twice is fetched once. */
static int add_group(struct scan_args *a, int c, const char *arg)
{
	char *name = NULL;
	if (c == 'c') {
		size_t n = strlen(arg);
		if (n < 1 || n > 100 ||
		    strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != n)
			return cli_usage_error("scan", "--cluster '%s' is not an EKS cluster name", arg);
		if (asprintf(&name, "/aws/eks/%s/cluster", arg) < 0)
			return AL_SOFTWARE;
	} else if (!fleet_log_group_valid(arg)) {
		return cli_usage_error("scan", "--log-group '%s' is not a log group name", arg);
	}
	const char *gname = name ? name : arg;
	for (size_t k = 0; k < a->nnames; k++) {
		if (strcmp(a->names[k], gname) == 0) {
			free(name);
			return AL_OK;
		}
	}
	if (a->nnames == MAX_GROUPS) {
		free(name);
		return cli_usage_error("scan", "at most %d log groups per run", MAX_GROUPS);
	}
	a->names[a->nnames] = gname;
	a->clusters[a->nnames] = c == 'c' ? arg : NULL;
	a->nnames++;
	return AL_OK;
}

enum {
	O_SINCE = 256, O_UNTIL, O_SINCE_LAST, O_OVERLAP, O_QUERY, O_CONCURRENCY, O_REGION, O_PROFILE,
	O_ENDPOINT, O_WAIT, O_ALLOW_PARTIAL, O_EXIT_CODE, O_FORMAT, O_NEW, O_TOP, O_NO_REPORT, O_DB,
	O_COLOR, O_TIMEOUT, O_ALLOW_INSECURE, O_MAX_SCAN, O_DRY_RUN, O_METHOD, O_ALL, O_CLUSTERS, O_KEEP,
};

static const struct option opts[] = {
	{"log-group", required_argument, NULL, 'g'},
	{"cluster", required_argument, NULL, 'c'},
	{"all", no_argument, NULL, O_ALL},
	{"clusters", required_argument, NULL, O_CLUSTERS},
	{"keep", required_argument, NULL, O_KEEP},
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
	{"timeout", required_argument, NULL, O_TIMEOUT},
	{"max-scan", required_argument, NULL, O_MAX_SCAN},
	{"dry-run", no_argument, NULL, O_DRY_RUN},
	{"method", required_argument, NULL, O_METHOD},
	{"allow-insecure-endpoint", no_argument, NULL, O_ALLOW_INSECURE},
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

static int parse_option(struct scan_args *a, int c, char **argv)
{
	long n;
	int rc = AL_OK;
	switch (c) {
	case 'g':
	case 'c': return add_group(a, c, optarg);
	case O_SINCE: a->since_arg = optarg; break;
	case O_UNTIL: a->until_arg = optarg; break;
	case O_SINCE_LAST: a->since_last = 1; break;
	case O_OVERLAP:
		if (parse_duration(optarg, &a->overlap) != 0 || a->overlap < 0)
			return cli_usage_error("scan", "--overlap '%s' is not a duration (like 10m or 1h)", optarg);
		break;
	case O_QUERY: a->query = optarg; break;
	case O_CONCURRENCY: return cli_parse_number("scan", "--concurrency", optarg, 1, 50, &a->concurrency);
	case O_REGION: return once("--region", &a->region, optarg);
	case O_PROFILE: return once("--profile", &a->profile, optarg);
	case O_ALL: a->all = 1; break;
	case O_CLUSTERS: return once("--clusters", &a->clusters_file, optarg);
	case O_KEEP:
		if (fleet_parse_keep(optarg, &a->keep) != 0)
			return cli_usage_error("scan", "--keep '%s' is not an age of an hour or more (like 90d or 12w)",
					       optarg);
		a->keep_arg = optarg;
		break;
	case O_ENDPOINT: a->endpoint = optarg; break;
	case O_WAIT: a->wait = 1; break;
	case O_TIMEOUT:
		a->timeout_arg = optarg;
		if (strcmp(optarg, "0") == 0)
			a->timeout = 0;
		else if (parse_duration(optarg, &a->timeout) != 0 || a->timeout <= 0 || a->timeout > INT64_MAX / 2000)
			return cli_usage_error("scan", "--timeout '%s' is not a duration (like 30m or 2h, or 0 for none)",
					       optarg);
		break;
	case O_ALLOW_INSECURE: a->allow_insecure = 1; break;
	case O_DRY_RUN: a->dry_run = 1; break;
	case O_METHOD:
		if (strcmp(optarg, "auto") == 0)
			a->method = SCAN_AUTO;
		else if (strcmp(optarg, "insights") == 0)
			a->method = SCAN_INSIGHTS;
		else if (strcmp(optarg, "filter") == 0)
			a->method = SCAN_FILTER;
		else
			return cli_usage_error("scan", "--method '%s': use auto, insights or filter", optarg);
		break;
	case O_MAX_SCAN: {
		char *end;
		errno = 0;
		double gb = strtod(optarg, &end);
		if (end == optarg || *end || errno || !(gb > 0 && gb <= 1e9))
			return cli_usage_error("scan", "--max-scan '%s' is not a number of GB (like 5 or 0.5)", optarg);
		a->max_scan_arg = optarg;
		a->max_scan = gb * 1e9;
		break;
	}
	case O_ALLOW_PARTIAL: a->allow_partial = 1; break;
	case O_EXIT_CODE: a->exit_code = 1; break;
	case O_FORMAT: return cli_parse_format("scan", optarg, &a->ro.format);
	case O_NEW: a->new_only = 1; break;
	case O_TOP:
		if (!(rc = cli_parse_number("scan", "--top", optarg, 1, 100000, &n)))
			a->ro.top = (int)n;
		break;
	case O_NO_REPORT: a->no_report = 1; break;
	case 'q': cli.quiet = 1; break;
	case 'v': a->verbose_here++; break;
	case O_DB: cli.db_path = optarg; break;
	case O_COLOR: return cli_parse_color("scan", optarg);
	case 'h': fputs(usage_text, stdout); a->help = 1; break;
	default: return cli_bad_option("scan", c, argv);
	}
	return rc;
}

/* The window: --since (default: the day before --until) to --until
 * (default: now). */
static int parse_window(struct scan_args *a)
{
	int64_t now = (int64_t)time(NULL);
	int rc;
	if (a->since_arg && (rc = cli_parse_time("scan", "--since", a->since_arg, now, &a->since)))
		return rc;
	a->until = now;
	if (a->until_arg && (rc = cli_parse_time("scan", "--until", a->until_arg, now, &a->until)))
		return rc;
	if (!a->since_arg)
		a->since = a->until - DEFAULT_SINCE_S;
	if (a->since >= a->until)
		return cli_usage_error("scan", "the window is empty: --since must be before --until");
	return AL_OK;
}

static int parse_args(int argc, char **argv, struct scan_args *a)
{
	int c, rc = AL_OK;
	optind = 0; /* both forms: "scan ARGS" and the whole command line */
	while (!rc && !a->help && (c = getopt_long(argc, argv, ":g:c:qvh", opts, NULL)) != -1)
		rc = parse_option(a, c, argv);
	if (rc || a->help)
		return rc;
	/* main() counted the -v before the command; the top-level form
	 * (argv[0] is the program) sees those again here. */
	if (strcmp(argv[0], "scan") == 0)
		cli.verbose += a->verbose_here;
	else if (a->verbose_here > cli.verbose)
		cli.verbose = a->verbose_here;
	if (optind < argc)
		return cli_usage_error("scan", "unexpected argument '%s'", argv[optind]);
	if (a->all && a->nnames)
		return cli_usage_error("scan", "--all scans every cluster of the fleet file: no --log-group or "
					       "--cluster with it");
	if (!a->nnames && !a->all)
		return cli_usage_error("scan", "which log group? give --log-group NAME, --cluster NAME or --all");
	return parse_window(a);
}

/* The fleet file: with --all its every cluster becomes a group; a
 * --cluster it has a section for takes that section's log group, region,
 * credentials, account and keep. Without --all and --clusters, a missing
 * default file leaves --cluster as it always was. */
static int load_fleet(struct scan_args *a)
{
	char path[4096], err[1024];
	struct stat st;
	const char *file = a->clusters_file;
	if (!file) {
		int have = fleet_default_path(path, sizeof(path)) == 0;
		if (!a->all && (!have || stat(path, &st) != 0))
			return AL_OK;
		if (!have) {
			cli_error("scan", "--all: no fleet file: neither XDG_CONFIG_HOME nor HOME is set (or --clusters FILE)");
			return AL_CONFIG;
		}
		file = path;
	}
	int rc = fleet_load(file, &a->fleet, err, sizeof(err));
	if (rc) {
		cli_error("scan", "%s", err);
		return rc;
	}
	for (size_t i = 0; a->all && !rc && i < a->fleet.n; i++)
		rc = add_group(a, 'c', a->fleet.v[i].name);
	for (size_t i = 0; !rc && i < a->nnames; i++) {
		const struct fleet_cluster *c = a->clusters[i] ? fleet_find(&a->fleet, a->clusters[i]) : NULL;
		char *group = c ? strdup(c->log_group) : NULL;
		if (c && !group)
			return AL_SOFTWARE;
		if (!c)
			continue;
		free((char *)a->names[i]);
		a->names[i] = group;
		a->fc[i] = c;
		a->isolate = 1;
		for (size_t k = 0; k < i; k++)
			if (strcmp(a->names[k], group) == 0)
				return cli_usage_error("scan", "the log group %s is given twice (cluster %s of %s)", group,
						       c->name, a->fleet.path);
	}
	if (!rc && a->isolate && a->region)
		return cli_usage_error("scan", "--region: the fleet file %s gives each of its clusters a region",
				       a->fleet.path);
	return rc;
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

/* Tests shrink every wait of the fetcher (polls, backoff); never set in
 * production. */
static double time_scale(void)
{
	const char *env = getenv("AUTHLOG_SCAN_TIME_SCALE");
	double scale = env && *env ? strtod(env, NULL) : 1.0;
	return scale > 0 && scale <= 1 ? scale : 1.0;
}

/* ---- what is printed ---- */

struct progress {
	int on;    /* draw the progress line */
	int drawn;
};

static void progress_clear(struct progress *pr)
{
	if (pr->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		pr->drawn = 0;
	}
}

static void on_progress(void *arg, const struct fetch_progress *p, long long stored)
{
	struct progress *pr = arg;
	if (!pr->on)
		return;
	char eta[32] = "--:--";
	if (p->covered >= 0.02 && p->covered < 1) {
		long left = (long)(p->elapsed * (1 - p->covered) / p->covered + 0.5);
		snprintf(eta, sizeof(eta), "%ld:%02ld", left / 60, left % 60);
	}
	double rate = p->elapsed > 0 ? (double)stored / p->elapsed : 0;
	fprintf(stderr, "\r\033[Kscan: windows %zu/%zu  rows %lld  %.0f rows/s  %d running  ETA %s", p->windows_done,
		p->windows_total, stored, rate, p->running, eta);
	fflush(stderr);
	pr->drawn = 1;
}

static void summary(const struct scan_group *g)
{
	char a[TIME_ISO_LEN], b[TIME_ISO_LEN], bytes[32], skipped[32];
	report_bytes(g->tot.bytes_scanned, bytes, sizeof(bytes));
	report_bytes(g->tot.bytes_skipped, skipped, sizeof(skipped));
	time_format(g->start, a);
	time_format(g->end, b);
	fprintf(stderr,
		"scan: %s %s..%s: %lld new row%s, %lld already stored, %lld skipped; %lld quer%s, %s scanned "
		"(%.0f records scanned, %.0f matched), %s skipped by the index",
		g->name, g->skip ? "-" : a, b, g->tot.rows, g->tot.rows == 1 ? "" : "s", g->tot.duplicates,
		g->tot.skipped, g->tot.queries, g->tot.queries == 1 ? "y" : "ies", bytes, g->tot.records_scanned,
		g->tot.records_matched, skipped);
	if (g->missing_adopted)
		fprintf(stderr, "; %lld missing window%s of earlier runs", g->missing_adopted,
			g->missing_adopted == 1 ? "" : "s");
	fputc('\n', stderr);
}

/* What the user must know even with --quiet: rows that may be missing, and
 * windows left for the next run. */
static void warn_runs(const struct scan *sc)
{
	size_t ng;
	const struct scan_group *groups = scan_groups(sc, &ng);
	for (size_t i = 0; i < ng; i++) {
		const struct scan_group *g = &groups[i];
		if (g->fail_rc)
			continue; /* its line of say_clusters says why */
		if (g->tot.truncated) {
			char t[TIME_ISO_LEN];
			time_format(g->first_truncated, t);
			cli_error("scan",
				  "warning: %s: %lld one-second window%s still returned %d rows (the service's cap), "
				  "first at %s: rows there may be missing",
				  g->name, g->tot.truncated, g->tot.truncated == 1 ? "" : "s", scan_limit(sc), t);
		}
		if (g->failed_windows)
			cli_error("scan",
				  "%s: %lld window%s failed after retries (%s); what was fetched is kept and the next "
				  "--since-last-run fetches them again",
				  g->name, g->failed_windows, g->failed_windows == 1 ? "" : "s", g->first_error);
	}
}

/* Authenticator logging off is an error of its cluster, said even with
 * --quiet: without it every later scan would look clean. */
static void warn_logging(const struct scan *sc)
{
	size_t ng;
	const struct scan_group *groups = scan_groups(sc, &ng);
	for (size_t i = 0; i < ng; i++) {
		const struct store_cluster *f = &groups[i].facts;
		if (f->logging_off != 1)
			continue;
		if (strcmp(f->logging_off_reason, "disabled") == 0)
			cli_error("scan", "%s (%s): the authenticator log type is disabled (DescribeCluster): enable it: %s",
				  f->name, f->region, f->enable_logging);
		else if (f->enable_logging[0])
			cli_error("scan", "%s (%s): no authenticator stream in %s: authenticator logging is off; enable it: %s",
				  f->name, f->region, f->log_group, f->enable_logging);
		else
			cli_error("scan",
				  "%s (%s): no authenticator stream in %s although DescribeCluster lists the type enabled "
				  "(its logs arrive within minutes of enabling)",
				  f->name, f->region, f->log_group);
	}
}

static int interrupted(void)
{
	if (!cli.quiet)
		cli_error("scan", "interrupted; what was fetched is stored, and the next --since-last-run fetches the "
				  "rest");
	return AL_TEMPFAIL;
}

/* The deadline (--timeout) came first; said even with --quiet: cron must
 * know the run is not complete. what: how far the run got. */
static int timed_out(const struct scan_args *a, const char *what)
{
	cli_error("scan", "--timeout %s: %s; what was fetched is stored, and the next --since-last-run "
			  "fetches the rest",
		  a->timeout_arg ? a->timeout_arg : "1h", what);
	return AL_TEMPFAIL;
}

static int past(int64_t deadline_ms)
{
	return deadline_ms > 0 && time_mono_ms() >= deadline_ms;
}

/* ---- the run ---- */

/* "scan GROUP,GROUP…": what the import row of the run says. */
static char *source_of(const struct scan_args *a)
{
	struct buf src = BUF_INIT;
	buf_puts(&src, "scan ");
	for (size_t i = 0; i < a->nnames; i++)
		buf_printf(&src, "%s%s", i ? "," : "", a->names[i]);
	return buf_take(&src);
}

/* A fleet's clusters, one line each: how its run ended and why, what it
 * stored and billed. A complete one is said unless --quiet. */
static void say_clusters(const struct scan *sc, const struct scan_outcome *oc)
{
	size_t ng;
	const struct scan_group *groups = scan_groups(sc, &ng);
	for (size_t i = 0; i < ng; i++) {
		const struct scan_group *g = &groups[i];
		char bytes[32], why[700] = "";
		const char *status = "complete";
		if (g->fail_rc) {
			status = "failed";
			snprintf(why, sizeof(why), ": %s", g->fail_error);
		} else if (oc->interrupted) {
			status = "interrupted";
		} else if (oc->fatal) {
			status = "failed";
		} else if (oc->timed_out || oc->over_budget) {
			status = "partial";
			snprintf(why, sizeof(why), ": %s", oc->timed_out ? "--timeout reached" : "--max-scan reached");
		} else if (g->failed_windows) {
			status = "partial";
			snprintf(why, sizeof(why), ": %lld window%s failed: %s", g->failed_windows,
				 g->failed_windows == 1 ? "" : "s", g->first_error);
		} else if (g->facts.logging_off == 1) {
			status = "partial";
			snprintf(why, sizeof(why), ": the authenticator log is off");
		}
		if (cli.quiet && strcmp(status, "complete") == 0)
			continue;
		report_bytes(g->tot.bytes_scanned, bytes, sizeof(bytes));
		cli_error("scan", "cluster %s (%s): %s%s; %lld new row%s, %s billed", g->cluster ? g->cluster : g->name,
			  g->target->region, status, why, g->tot.rows, g->tot.rows == 1 ? "" : "s", bytes);
	}
}

/* --keep / keep: what each cluster's retention deleted, then what the
 * prune (one for them all) freed. */
static void say_pruned(const struct scan *sc, const struct scan_args *a, const struct store_prune_space *space)
{
	size_t ng, pruned = 0;
	const struct scan_group *groups = scan_groups(sc, &ng);
	for (size_t i = 0; !cli.quiet && i < ng; i++) {
		const struct scan_group *g = &groups[i];
		const struct store_prune_rule *r = &g->pruned;
		if (!g->pruned_done)
			continue;
		pruned++;
		fprintf(stderr, "scan: %s: keep %s: pruned before %s: %lld events, %lld scan runs, %lld scan windows\n",
			g->cluster ? g->cluster : g->name, a->fc[i] && a->fc[i]->keep ? a->fc[i]->keep_text : a->keep_arg,
			g->cutoff, r->events, r->scan_runs, r->scan_windows);
	}
	if (!pruned)
		return;
	fprintf(stderr, "scan: keep: freed %lld bytes", space->freed_bytes);
	if (space->reusable_bytes > 0 && space->vacuum_mode != 2)
		fprintf(stderr, "; %lld bytes free inside the file for reuse (prune --vacuum gives them back)",
			space->reusable_bytes);
	fputc('\n', stderr);
	cli_verbose("scan", "keep: %s", space->rollups_rebuilt ? "rollups rebuilt from the kept events"
							     : "rollups unchanged (no event or import went)");
}

/* Windows resolved and planned: fetch them, end the runs, say how it went. */
static int fetch_windows(struct scan *sc, const struct scan_args *a, struct progress *pr)
{
	struct scan_outcome oc;
	char err[1024], end_err[512];
	int rc = scan_fetch(sc, &oc, err, sizeof(err));
	progress_clear(pr);
	if (oc.store_failed)
		cli_error("scan", "%s", oc.store_err);
	int erc = scan_end(sc, &oc, err, end_err, sizeof(end_err));
	if (erc)
		cli_error("scan", "%s", end_err);
	if (oc.fatal && !oc.store_failed)
		cli_error("scan", "%s", err);
	if (!cli.quiet || cli.verbose) {
		size_t ng;
		const struct scan_group *g = scan_groups(sc, &ng);
		for (size_t i = 0; i < ng; i++)
			if (!g[i].fail_rc) /* its line of say_clusters says why */
				summary(&g[i]);
	}
	warn_runs(sc);
	warn_logging(sc);
	/* Retention once what was fetched is stored; not when a signal asks
	 * to stop, nor with the database failing. */
	if (!erc && !oc.interrupted && !oc.store_failed && !scan_signal) {
		char perr[512];
		struct store_prune_space space;
		int prc = scan_prune(sc, &space, perr, sizeof(perr));
		if (prc) {
			cli_error("scan", "keep: %s", perr);
			return prc;
		}
		say_pruned(sc, a, &space);
	}
	if (a->isolate)
		say_clusters(sc, &oc);
	if (oc.interrupted)
		return interrupted();
	if (oc.timed_out)
		return timed_out(a, err);
	if (oc.over_budget) {
		/* said even with --quiet: cron must know the run is not complete */
		cli_error("scan", "--max-scan %s: stopped: %s; what was fetched is stored, and the next "
				  "--since-last-run fetches the rest",
			  a->max_scan_arg, err);
		return AL_TEMPFAIL;
	}
	return oc.fatal ? rc : erc;
}

static int scan_and_report(struct scan *sc, struct scan_args *a, int64_t deadline_ms, struct progress *pr)
{
	char err[1024];
	int rc = scan_resolve(sc, err, sizeof(err));
	/* A signal or the deadline makes the calls under way fail: that is
	 * what happened, not their error. Nothing is planned yet. */
	if (scan_signal)
		return interrupted();
	if (past(deadline_ms))
		return timed_out(a, "time limit reached before any window was fetched");
	if (rc) {
		cli_error("scan", "%s", err);
		return rc;
	}
	if (a->dry_run) {
		if ((rc = scan_dry_run(sc, stdout, err, sizeof(err))) != AL_OK)
			cli_error("scan", "%s", err);
		return rc ? rc : scan_failed_status(sc); /* as the run would exit for its failed clusters */
	}
	char *source = source_of(a);
	rc = source ? scan_plan(sc, source, err, sizeof(err)) : AL_SOFTWARE;
	free(source);
	if (rc) {
		if (source)
			cli_error("scan", "%s", err);
		return rc;
	}
	rc = fetch_windows(sc, a, pr);
	if (rc)
		return rc;
	rc = scan_partial_status(sc, a->allow_partial);
	/* Logging off is a configuration error; it outranks windows left for
	 * the next run, which that run fetches by itself. */
	int lrc = scan_logging_status(sc);
	if (lrc && rc != AL_UNAVAILABLE && !(rc == AL_TEMPFAIL && lrc == AL_TEMPFAIL))
		rc = lrc;
	/* A fleet: some clusters failed, the others are stored: 75; all
	 * failed: the first one's own status. */
	int frc = scan_failed_status(sc);
	if (frc && (rc == AL_OK || frc != AL_TEMPFAIL))
		rc = frc;
	if (a->no_report || rc == AL_UNAVAILABLE || (frc && frc != AL_TEMPFAIL))
		return rc;
	long long denials = 0;
	a->ro.color = a->ro.format == REPORT_TEXT && cli_color(stdout);
	a->ro.width = cli_width(stdout);
	int rrc = scan_report(sc, &a->ro, a->new_only, cli.quiet, stdout, &denials, err, sizeof(err));
	if (rrc) {
		cli_error("scan", "%s", err);
		return rrc;
	}
	if (a->exit_code && denials > 0 && rc == AL_OK)
		rc = AL_FINDINGS;
	return rc;
}

/* A signed request to a plain http:// endpoint that is not loopback
 * would carry the signature and the session token in clear: refused
 * before anything is sent, unless --allow-insecure-endpoint (aws_request
 * refuses it too, for every client). */
static int check_endpoint(const struct scan_args *a, const char *what, const struct aws_endpoint *ep)
{
	if (a->allow_insecure || !aws_request_endpoint_insecure(ep->url))
		return AL_OK;
	cli_error("scan",
		  "refusing the %s endpoint %s (%s): plain http to a host that is not loopback would send the "
		  "signed requests and the session token in clear; use https, or --allow-insecure-endpoint",
		  what, ep->url, ep->origin);
	return AL_CONFIG;
}

/* One set of credentials and region: a fleet's clusters that share a
 * profile, role and region share one (its provider refreshes for all). */
struct cred_set {
	const char *profile, *region, *role_arn, *external_id;
	struct aws_session aws;
	struct aws_endpoint ep, eks_ep;
	struct logs_target target;
	struct aws_target eks;
	int have_eks;
	int rc; /* the session could not be opened (err): its clusters fail */
	char err[1024];
};

static int same(const char *x, const char *y)
{
	return x == y || (x && y && strcmp(x, y) == 0);
}

/* The set group i uses, added when new; returns its index. */
static size_t cred_set_of(struct cred_set *sets, size_t *n, const struct scan_args *a, size_t i)
{
	const struct fleet_cluster *c = a->fc[i];
	struct cred_set want = {
		.profile = c && c->profile[0] ? c->profile : a->profile,
		.region = c ? c->region : a->region,
		.role_arn = c && c->role_arn[0] ? c->role_arn : NULL,
		.external_id = c && c->external_id[0] ? c->external_id : NULL,
	};
	for (size_t k = 0; k < *n; k++)
		if (same(sets[k].profile, want.profile) && same(sets[k].region, want.region) &&
		    same(sets[k].role_arn, want.role_arn) && same(sets[k].external_id, want.external_id))
			return k;
	sets[*n] = want;
	return (*n)++;
}

/* The session, its endpoints and targets. AL_OK, or the status of a
 * refused endpoint (said: it ends the run before anything is sent); a
 * session that does not open leaves cs->rc and cs->err. */
static int cred_set_open(struct cred_set *cs, const struct scan_args *a, double scale, int64_t deadline_ms)
{
	char err[1024];
	struct aws_session_opts so = {
		.profile = cs->profile,
		.region = cs->region,
		.role_arn = cs->role_arn,
		.external_id = cs->external_id,
		.verbose = cli.verbose,
		.time_scale = scale,
		.cancel = &scan_signal,
		.deadline_ms = deadline_ms,
		.allow_insecure_endpoint = a->allow_insecure,
	};
	cs->rc = aws_session_open(&cs->aws, &so, cs->err, sizeof(cs->err));
	if (!cs->rc)
		cs->rc = aws_session_endpoint(&cs->aws, AWS_SVC_LOGS, a->endpoint, &cs->ep, cs->err, sizeof(cs->err));
	if (cs->rc)
		return AL_OK;
	int rc = check_endpoint(a, "CloudWatch Logs", &cs->ep);
	if (rc)
		return rc;
	if (cli.verbose) {
		char chain[512];
		aws_creds_provider_describe(cs->aws.prov, chain, sizeof(chain));
		fprintf(stderr, "authlog-scan: scan: credentials %s, region %s, endpoint %s (%s)\n", chain,
			cs->aws.region, cs->ep.url, cs->ep.origin);
	}
	cs->target = (struct logs_target){cs->ep.url, cs->aws.region, cs->aws.prov, NULL, cli.verbose > 0};
	/* DescribeCluster at the EKS endpoint of the same session; none is
	 * not an error for a scan (--endpoint-url is CloudWatch Logs' only). */
	cs->have_eks = aws_session_endpoint(&cs->aws, AWS_SVC_EKS, NULL, &cs->eks_ep, err, sizeof(err)) == AL_OK;
	if (!cs->have_eks && cli.verbose)
		fprintf(stderr, "authlog-scan: scan: %s (no DescribeCluster)\n", err);
	if (cs->have_eks && (rc = check_endpoint(a, "EKS", &cs->eks_ep)) != AL_OK)
		return rc;
	cs->eks = (struct aws_target){cs->eks_ep.url, cs->aws.region, cs->aws.prov, NULL, cli.verbose > 0};
	return AL_OK;
}

/* The AWS sessions (one per set of credentials and region) and the engine
 * around scan_and_report. Without a fleet file's cluster there is one,
 * and its failure ends the run as ever; a fleet's cluster whose session
 * fails is recorded failed and the others go on (isolate). */
static int scan_with_aws(struct scan_args *a, const char *db_path, const char *query, const char *query_name)
{
	struct scan *sc = NULL;
	struct progress pr = {!cli.quiet && !cli.verbose && isatty(STDERR_FILENO), 0};
	char err[1024];
	double scale = time_scale();
	int64_t deadline_ms = a->timeout > 0 ? time_mono_ms() + a->timeout * 1000 : 0;
	size_t n = a->nnames, nsets = 0;
	struct cred_set *sets = calloc(n, sizeof(*sets));
	size_t *set_of = calloc(n, sizeof(*set_of));
	const struct logs_target **targets = calloc(n, sizeof(*targets));
	const struct aws_target **eks = calloc(n, sizeof(*eks));
	const char **accounts = calloc(n, sizeof(*accounts));
	int64_t *keep = calloc(n, sizeof(*keep));
	int rc = sets && set_of && targets && eks && accounts && keep ? AL_OK : AL_SOFTWARE;
	for (size_t i = 0; !rc && i < n; i++)
		set_of[i] = cred_set_of(sets, &nsets, a, i);
	for (size_t k = 0; !rc && k < nsets && !scan_signal; k++)
		rc = cred_set_open(&sets[k], a, scale, deadline_ms);
	if (!rc && scan_signal) {
		rc = interrupted();
		goto out;
	}
	if (rc)
		goto out;
	if (!a->isolate && sets[0].rc) {
		rc = sets[0].rc;
		cli_error("scan", "%s", sets[0].err);
		goto out;
	}
	size_t first_ok = 0;
	while (first_ok + 1 < nsets && sets[first_ok].rc)
		first_ok++;
	for (size_t i = 0; i < n; i++) {
		struct cred_set *cs = &sets[set_of[i]];
		const struct fleet_cluster *c = a->fc[i];
		if (cs->rc) /* a failed cluster names its region all the same */
			cs->target.region = cs->region ? cs->region : "";
		targets[i] = &cs->target;
		eks[i] = cs->have_eks ? &cs->eks : NULL;
		accounts[i] = c && c->account[0] ? c->account : NULL;
		keep[i] = c && c->keep ? c->keep : a->keep;
	}
	struct scan_opts o = {
		.groups = a->names,
		.clusters = a->clusters,
		.ngroups = a->nnames,
		.since = a->since,
		.until = a->until,
		.resume = a->since_last,
		.overlap = a->overlap,
		.query = query,
		.query_name = query_name,
		.concurrency = (int)a->concurrency,
		.max_scan = a->max_scan,
		.dry_run = a->dry_run,
		.method = a->method,
		.time_scale = scale,
		.cancel = &scan_signal,
		.deadline_ms = deadline_ms,
		.verbose = cli.verbose > 0,
		.target = targets[0],
		.eks = eks[0],
		.targets = a->isolate ? targets : NULL,
		.eks_targets = a->isolate ? eks : NULL,
		.accounts = accounts,
		.keep = keep,
		.isolate = a->isolate,
		.client = sets[first_ok].aws.copts, /* CA bundle, attempts: one set's, for every worker */
		.on_progress = on_progress,
		.ctx = &pr,
	};
	rc = scan_open(&o, db_path, &sc, err, sizeof(err));
	if (rc) {
		cli_error("scan", "%s", err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (sets[set_of[i]].rc)
			scan_fail(sc, i, sets[set_of[i]].rc, sets[set_of[i]].err);
	rc = scan_and_report(sc, a, deadline_ms, &pr);
out:
	scan_free(sc);
	for (size_t k = 0; k < nsets; k++)
		aws_session_close(&sets[k].aws);
	free(sets);
	free(set_of);
	free(targets);
	free(eks);
	free(accounts);
	free(keep);
	return rc;
}

/* From the lock on: signals stop the scan cleanly from here on. */
static int scan_locked(struct scan_args *a, const char *query, const char *query_name)
{
	struct lock *lock = NULL;
	char err[1024];
	char *db_path = cli_db_path();
	if (!db_path)
		return AL_SOFTWARE;
	/* a dry run only reads: it neither waits for a run nor holds one off */
	int rc = a->dry_run ? AL_OK : lock_acquire(db_path, a->wait ? LOCK_WAIT : LOCK_NOWAIT, &lock, err, sizeof(err));
	if (rc) {
		if (!scan_signal)
			cli_error("scan", "%s", err);
	} else {
		rc = scan_with_aws(a, db_path, query, query_name);
	}
	lock_release(lock);
	free(db_path);
	return rc;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_args a = {.query = "scan", .concurrency = 8, .overlap = DEFAULT_OVERLAP_S,
			      .timeout = DEFAULT_TIMEOUT_S, .ro = {.format = REPORT_TEXT, .top = 10}};
	char *query = NULL, *query_name = NULL;
	struct sigaction old_int, old_term;
	int signals_on = 0;
	a.names = calloc(MAX_GROUPS + 1, sizeof(*a.names));
	a.clusters = calloc(MAX_GROUPS + 1, sizeof(*a.clusters));
	a.fc = calloc(MAX_GROUPS + 1, sizeof(*a.fc));
	int rc = a.names && a.clusters && a.fc ? parse_args(argc, argv, &a) : AL_SOFTWARE;
	if (!rc && !a.help)
		rc = load_fleet(&a);
	if (!rc && !a.help)
		rc = load_query(a.query, &query, &query_name);
	if (!rc && !a.help && a.method == SCAN_FILTER && strcmp(query_name, "scan") != 0)
		rc = cli_usage_error("scan", "--method filter reads the records of the scan query only; --query %s "
					     "needs Logs Insights",
				     a.query);
	if (!rc && !a.help) {
		signals_install(&old_int, &old_term);
		signals_on = 1;
#ifdef M_MMAP_THRESHOLD
		/* Every window passes through a few MB of response and rows, on
		 * several threads. glibc raises its mmap threshold after such
		 * frees, so later ones land in per-thread arenas that never
		 * shrink: a fixed threshold gives them back at once (500,000
		 * events: 120 -> 70 MB peak RSS, same speed). */
		mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
		rc = scan_locked(&a, query, query_name);
	}
	for (size_t i = 0; i < a.nnames; i++)
		if (a.clusters[i])
			free((char *)a.names[i]);
	free(a.names);
	free(a.clusters);
	free(a.fc);
	fleet_free(&a.fleet);
	free(query);
	free(query_name);
	if (signals_on)
		signals_restore(&old_int, &old_term);
	return rc;
}
