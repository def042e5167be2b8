/* The scan engine: from log groups and a time range to stored rows and the
 * runs that say what was fetched, on top of the fetch engine (fetch.c).
 *
 *  1. scan_open: the database (written), the parser;
 *  2. scan_resolve: each group's window — --since, or with resume where
 *     the last scan ended minus the overlap — and its authenticator
 *     streams (DescribeLogStreams, every page: the fetcher bounds each
 *     window's queries by their events; where they cannot be listed,
 *     the window is trimmed to the group's creation instead), from
 *     DescribeLogGroups (a missing group is a configuration error);
 *     for a group of an EKS cluster, whether the authenticator log
 *     is on (DescribeLogStreams: is there an authenticator stream; EKS
 *     DescribeCluster: is the type enabled — denied or failing, it is only
 *     said with -v) and what the cluster is, stored in `clusters`;
 *  3. scan_plan: one transaction writes the runs, their first windows and
 *     the windows earlier runs left missing (resume), so that from here on
 *     a kill at any point leaves the database saying what is still missing;
 *  4. scan_fetch: the fetch engine runs the windows; each window's rows are
 *     stored in the transaction that removes the window from scan_windows,
 *     and a split replaces a window by its parts in one transaction too;
 *  5. scan_end: the runs' status and totals, in one transaction;
 *  6. scan_report: the report for the window fetched.
 *
 * Nothing here prints but the -v log; every step returns an al_status
 * with one line in err, and the caller says it. */
#ifndef AUTHLOG_SCAN_H
#define AUTHLOG_SCAN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aws/aws_request.h"
#include "aws/logs_api.h"
#include "fetch.h"
#include "report.h"
#include "store.h"
#include "timeutil.h"

/* One log group's run: its window and what came of it. */
struct scan_group {
	const char *name;      /* the log group */
	const char *cluster;   /* from --cluster, or NULL (event.c derives it) */
	const struct logs_target *target; /* its Logs endpoint, region and credentials */
	const struct aws_target *eks;     /* DescribeCluster's, or NULL: not asked */
	const char *account;   /* the account its group must be in, or NULL */
	int64_t keep;          /* seconds of its cluster's events kept (scan_prune); 0: all */
	/* The group failed as a whole (scan_opts.isolate): credentials that
	 * could not be had (scan_fail), access denied, no such group, another
	 * account, ...; its run is recorded failed, the others go on. */
	int fail_rc;
	char fail_error[512];
	struct store_prune_rule pruned; /* scan_prune's, when pruned_done */
	int pruned_done;
	char cutoff[TIME_ISO_LEN];  /* what it pruned before */
	char keep_cluster[101];     /* the cluster it pruned (an EKS name is up to 100) */
	int64_t start, end;    /* the main window, both inclusive */
	int skip;              /* nothing to fetch (the group is younger than the window) */
	int64_t run_id;
	struct store_scan_totals tot;
	long long failed_windows, missing_adopted;
	int64_t first_truncated; /* start of the first window still at the cap */
	/* The group's authenticator streams (DescribeLogStreams), listed
	 * once a run: each window's queries name those with events in it. */
	struct logs_stream_list streams;
	int streams_listed;      /* 0: the call failed; the query filters by name */
	/* DescribeLogGroups: storedBytes (-1 unknown) and the time it covers
	 * from (creation, or the retention's start when later), for the
	 * budget's estimate; the group's class */
	double stored_bytes;
	int64_t stored_from;
	int64_t created;         /* creationTime, epoch seconds; 0 unknown */
	int infrequent_access;
	int filter;              /* read with FilterLogEvents (scan_opts.method) */
	char first_error[512];   /* why the first failed window failed */
	/* The cluster's facts (cluster name "" when the group names none):
	 * facts.logging_off == 1 is an error for the group, said with
	 * facts.enable_logging (the command) unless DescribeCluster lists
	 * the type enabled (then it is ""). */
	struct store_cluster facts;
};

/* How a group's windows are read. */
enum scan_method {
	SCAN_AUTO,     /* Logs Insights, except an Infrequent Access group (no field index: every
			* byte of its window would be billed) read with the bundled scan query */
	SCAN_INSIGHTS, /* Logs Insights queries, the streams named */
	SCAN_FILTER,   /* FilterLogEvents: no scan billed, 5 requests/s per account */
};

/* The FilterLogEvents side of the bundled scan query: the authenticator
 * streams, and a pattern that keeps every line the query's regex keeps
 * (a superset: the parser drops what is no record). */
#define SCAN_FILTER_PREFIX "authenticator"
#define SCAN_FILTER_PATTERN \
	"?\"access granted\" ?\"access denied\" ?\"STS response\" ?\"Errors parsing\" " \
	"?\"error parsing the config maps\" ?\"mapping IAM\""

/* About every 200 ms while windows run; stored = rows stored so far. */
typedef void (*scan_progress_cb)(void *ctx, const struct fetch_progress *p, long long stored);

struct scan_opts {
	const char *const *groups;
	const char *const *clusters; /* per group, may be NULL */
	size_t ngroups;
	int64_t since, until;        /* both inclusive */
	int resume;                  /* --since-last-run */
	int64_t overlap;             /* seconds fetched again before the resume point */
	const char *query;           /* the Logs Insights query string */
	const char *query_name;      /* what runs and windows are stored under */
	int concurrency;
	enum scan_method method;     /* SCAN_FILTER only with the bundled scan query */
	int dry_run;                 /* scan_dry_run only: the database is read (when it exists),
				      * never written; no query runs */
	double max_scan;             /* bytes the run may bill (--max-scan); 0 = no limit */
	double time_scale;           /* multiplies every wait (tests shrink it) */
	const atomic_int *cancel;    /* a signal handler's flag */
	int64_t deadline_ms;         /* time_mono_ms() at which fetching stops; 0 = none */
	int verbose;                 /* -v: one stderr line per query, split, skipped step */
	const struct logs_target *target;
	const struct aws_target *eks; /* DescribeCluster's endpoint, or NULL: not asked */
	/* Per group, or NULL: a fleet's clusters each with their own region
	 * and credentials (a NULL entry: target / eks); every target names its
	 * region, that of a group that failed before too (scan_fail). */
	const struct logs_target *const *targets;
	const struct aws_target *const *eks_targets;
	const char *const *accounts;  /* per group, or NULL: the account the group must be in
				       * (its ARN's, DescribeLogGroups), NULL entry: any */
	const int64_t *keep;          /* per group, or NULL: seconds of the cluster's events kept */
	int isolate;                  /* a group's failure (scan_fail, resolving it, fetching it:
				       * access denied, credentials refused, no such group, another
				       * account) is its own: recorded and said, the others go on */
	struct aws_client_opts client;
	scan_progress_cb on_progress; /* may be NULL */
	void *ctx;
};

/* How scan_fetch ended, for the caller to say it. */
struct scan_outcome {
	int interrupted;       /* the cancel flag stopped the run */
	int timed_out;         /* the deadline stopped it (err says how far it got) */
	int over_budget;       /* max_scan stopped it (err says how far it got) */
	int fatal;             /* an error ended the run early (err says which) */
	int store_failed;      /* of those: the database failed; store_err says how */
	char store_err[512];
};

struct scan;

int scan_open(const struct scan_opts *o, const char *db_path, struct scan **out, char *err, size_t err_sz);
void scan_free(struct scan *sc);
/* The groups, in the order of scan_opts.groups; valid until scan_free. */
const struct scan_group *scan_groups(const struct scan *sc, size_t *n);
/* The StartQuery limit: the row cap, or the query's own smaller limit;
 * after scan_fetch, 10,000 where the service refused more. */
int scan_limit(const struct scan *sc);

/* Group i failed before anything was asked (its credentials could not be
 * had): rc and why are kept, and its run is recorded failed. */
void scan_fail(struct scan *sc, size_t i, int rc, const char *why);
int scan_resolve(struct scan *sc, char *err, size_t err_sz);
/* The budget's estimate of a group's bytes per second of window before
 * any of its queries has said: its storedBytes spread evenly over the
 * time they cover (up to now). It counts every stream, so scan_fetch uses
 * it only where a query scans them all (an Infrequent Access group, or
 * streams not listed). 0 when DescribeLogGroups did not say. */
double scan_stored_rate(const struct scan_group *g, int64_t now);
/* --dry-run, after scan_resolve: each group's window, class, stored
 * bytes and streams, then every window the run would start with (with
 * resume, the missing windows it would adopt too), its streams and its
 * queries, to out. Runs no query, writes nothing. */
int scan_dry_run(struct scan *sc, FILE *out, char *err, size_t err_sz);
int scan_plan(struct scan *sc, const char *source, char *err, size_t err_sz);
/* AL_OK when every window ended fetched or failed; otherwise what ended
 * the run, described by *out. */
int scan_fetch(struct scan *sc, struct scan_outcome *out, char *err, size_t err_sz);
/* why: the message of a fatal end, stored with the failed runs. */
int scan_end(struct scan *sc, const struct scan_outcome *oc, const char *why, char *err, size_t err_sz);
/* The exit status the authenticator logging calls for: AL_CONFIG when
 * it is off for every group, AL_TEMPFAIL when off for some and the others
 * were scanned, else AL_OK. */
int scan_logging_status(const struct scan *sc);
/* The exit status the windows call for: AL_UNAVAILABLE when some failed
 * and nothing came through at all, AL_TEMPFAIL when some failed (AL_OK
 * with allow_partial), else AL_OK. */
int scan_partial_status(const struct scan *sc, int allow_partial);
/* With isolate: the status failed groups call for: 0 when none failed,
 * AL_TEMPFAIL when some did, the first one's own status when all did. */
int scan_failed_status(const struct scan *sc);
/* Retention, after scan_end: each group with a keep loses its cluster's
 * events older than now - keep, all the groups in one store_prune (one
 * transaction, the rollups rebuilt once, space reclaimed); g->pruned says
 * what went of each, *space what the whole prune gave back (zeroed when
 * no group has a keep). A group naming no cluster is left alone. */
int scan_prune(struct scan *sc, struct store_prune_space *space, char *err, size_t err_sz);

/* The report for the window fetched, from the earliest window run (maybe
 * an earlier run's missing one) to --until, into out; with only_news, out
 * gets it only when something is new (a new denial pair, principal or
 * aws-auth error). ro's format, top and colour are the caller's;
 * new_only: report --new. *denials counts the window's denials either way. */
int scan_report(struct scan *sc, struct report_opts *ro, int new_only, int only_news, FILE *out,
		long long *denials, char *err, size_t err_sz);

#endif
