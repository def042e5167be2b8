/* The fetch engine: time windows of one or more log groups, run as Logs
 * Insights queries by a pool of worker threads (one aws_client each), so
 * that the answer is complete:
 *
 *  - a query asks for up to 100,000 rows (StartQuery's limit since 2026)
 *    and reads them in pages of 10,000 (GetQueryResults' nextToken); where
 *    the service refuses that limit, the run goes on at the 10,000 it had
 *    before (said once with -v);
 *  - a query that returns the row cap may have had more rows: its window
 *    is split (into halves, or into as many parts as the query's
 *    recordsMatched says are needed) and the parts run again, down to one
 *    second; a one-second window still at the cap is delivered marked
 *    truncated, never silently;
 *  - windows not yet started are split beforehand when the rows per second
 *    seen so far in their group say they would hit the cap (a capped
 *    query is billed for everything it scanned, for nothing);
 *  - adjacent windows share their boundary second (StartQuery's times are
 *    inclusive), so the rows of that second come with both: the store's
 *    unique key (group, stream, @ptr) keeps one;
 *  - LimitExceededException (the account's concurrent-query quota, shared
 *    with other users) holds every worker off with a growing delay and
 *    lowers the number of queries run at once, instead of failing;
 *  - other failures are retried per window with backoff; a window that
 *    keeps failing is reported failed and the run goes on; access denied,
 *    bad credentials, a missing log group or a malformed query end the run
 *    (with isolate, a fleet's: only their group, whose windows then fail);
 *  - a query still Running after 65 minutes (or a quarter of the time
 *    left before the deadline) is stopped and its window split in halves,
 *    twice at most; a window still stuck then fails;
 *  - with a budget (max_scan), no query starts once the bytes billed so
 *    far, the estimates of the queries running and this query's own
 *    estimate would pass it: the queries running end, the run stops
 *    (FETCH_END_BUDGET) and the windows not fetched stay unreported;
 *  - cancelling (a signal handler's flag: transfers in progress are
 *    aborted too), the deadline or a fatal error stops every running
 *    query with StopQuery, best-effort.
 *
 * The caller owns all persistence: fetch_run() calls back, on the thread
 * that called it and in the order things happened, for each window fetched,
 * split or failed, so one transaction can store a window's rows together
 * with the fact that it is done. */
#ifndef AUTHLOG_FETCH_H
#define AUTHLOG_FETCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/aws_request.h"
#include "aws/logs_api.h"
#include "aws/results.h"

struct fetch;

struct fetch_window {
	int64_t start, end; /* epoch seconds, both inclusive (StartQuery's semantics) */
	size_t group;       /* index into fetch_opts.groups */
	int64_t id;         /* the caller's (its database row); set it in the split callback */
	int attempts;       /* failed attempts so far */
};

/* What the queries behind one event cost (Logs Insights bills bytes scanned). */
struct fetch_cost {
	long long queries;
	double bytes_scanned, records_scanned, records_matched;
	double bytes_skipped; /* estimatedBytesSkipped: what the @logStream index spared */
};

/* The final rows of one window (opaque). */
struct fetch_rows;
size_t fetch_rows_count(const struct fetch_rows *r);
/* Row i as results.c hands rows out; pointers live as long as the event. */
void fetch_rows_get(const struct fetch_rows *r, size_t i, struct results_row *out);

enum fetch_event_kind {
	FETCH_DONE,   /* rows is the window's complete answer */
	FETCH_SPLIT,  /* window is replaced by children[0..nchildren) */
	FETCH_FAILED, /* window failed attempts times; error says why */
	FETCH_RETRY,  /* an attempt failed or was stopped, and the window is fetched
		       * again (by this run, or by the next when the run ends first):
		       * window is a copy (its group and bounds), cost is what the
		       * query was billed */
};

struct fetch_event {
	enum fetch_event_kind kind;
	const struct fetch_window *window;
	struct fetch_window *const *children; /* SPLIT: set their id */
	size_t nchildren;
	const struct fetch_rows *rows;        /* DONE */
	int truncated;                        /* DONE: a one-second window still at the cap */
	const char *error;                    /* FAILED */
	int group_rc;                         /* FAILED with isolate: the status its group ended
					       * with (every window of it fails), else 0 */
	struct fetch_cost cost;
};

struct fetch_progress {
	size_t windows_done, windows_total; /* total grows when windows split */
	double covered;                     /* fraction of the time range fetched */
	double elapsed;                     /* seconds */
	int running;                        /* queries running now */
};

/* AL_OK, or an al_status that ends the run (the caller's database failed). */
typedef int (*fetch_event_cb)(void *ctx, const struct fetch_event *ev);
typedef void (*fetch_progress_cb)(void *ctx, const struct fetch_progress *p);

struct fetch_opts {
	const struct logs_target *target;
	const struct logs_target *const *targets; /* per group, or NULL (or a NULL entry): target;
				      * the windows of every group share the workers, the query
				      * slots and the pacing, whatever account and Region they
				      * call (the quota is per account and Region: the bound is
				      * conservative) */
	int isolate;                 /* a group's own error that no retry mends (access denied,
				      * credentials refused, no such group, a query it refuses)
				      * fails that group's windows (FETCH_FAILED with group_rc)
				      * and the other groups go on; 0: it ends the run */
	const char *const *groups;
	size_t ngroups;
	const char *query;           /* the Logs Insights query string */
	const struct logs_stream_list *const *streams; /* per group, or NULL: the streams to
				      * name in each query (`filter @logStream in [...]`, the
				      * field index's equality, so the other streams' bytes are
				      * not billed); a window's query runs only from the first to
				      * the last event of those overlapping it, not at all when
				      * none does. NULL (or a NULL entry): the query as it is
				      * over the whole window */
	int64_t now;                 /* epoch seconds the streams were listed at */
	const int64_t *created;      /* per group, or NULL: its creation (epoch seconds, 0
				      * unknown): a named query's range ends no earlier */
	const int64_t *stored_from;  /* per group, or NULL: its oldest data, the later of its
				      * creation and its retention's start (epoch seconds, 0
				      * unknown): a window ending earlier that StartQuery
				      * refuses as invalid holds nothing */
	const int *filter;           /* per group, or NULL: 1 = read its windows with FilterLogEvents
				      * (filter_prefix, filter_pattern) instead of the query: no
				      * bytes scanned billed, calls paced under the account's 5 a
				      * second, every page read to the end; never split */
	const char *filter_prefix, *filter_pattern;
	double max_scan;             /* bytes a run may bill; 0 = no limit */
	const double *bytes_per_s;   /* per group, or NULL: what a query is expected to scan per
				      * second of its window before one of the group's queries has
				      * said (then its bytesScanned per second is used); 0 = unknown */
	int limit;                   /* StartQuery "limit"; 0 = leave it out */
	int cap;                     /* rows that mean "there may be more" */
	int split;                   /* 0: a top-N query, keep what comes and never split */
	int concurrency;             /* worker threads and queries at once; default 8 */
	int max_attempts;            /* per window; default 4 */
	struct aws_client_opts client; /* for every worker's client */
	double time_scale;           /* multiplies every wait (tests shrink it); 0 = 1 */
	double tps;                  /* calls per second per operation, all workers; 0 = 5 */
	const atomic_int *cancel;    /* set from a signal handler (lock-free, so that is
				      * allowed); workers watch it too, and their transfers
				      * are aborted at once; may be NULL */
	int64_t deadline_ms;         /* time_mono_ms() at which the run stops as if
				      * cancelled (transfers are cut to it); 0 = none */
	int verbose;                 /* one stderr line per query and split, and a line
				      * every 30 s (scaled) per query still waited for */
	fetch_event_cb on_event;
	fetch_progress_cb on_progress; /* about every 200 ms; may be NULL */
	void *ctx;
};

int fetch_new(const struct fetch_opts *o, struct fetch **out);
void fetch_free(struct fetch *f);
/* Queue a window before fetch_run. AL_OK or AL_SOFTWARE. */
int fetch_add(struct fetch *f, size_t group, int64_t start, int64_t end, int64_t id, int attempts);

/* How fetch_run ended, for a caller that must tell the cases apart. */
enum fetch_end {
	FETCH_END_COMPLETE,    /* every window ended DONE or FAILED */
	FETCH_END_INTERRUPTED, /* the cancel flag */
	FETCH_END_DEADLINE,    /* deadline_ms came first: windows not fetched stay unreported */
	FETCH_END_BUDGET,      /* the next query would have billed more than max_scan: windows
				* not fetched stay unreported */
	FETCH_END_FATAL,       /* an error that ends the run (err says which) */
	FETCH_END_CALLBACK,    /* on_event failed: the caller has its own message */
};

/* Runs every queued window to an event. AL_OK when each ended DONE or
 * FAILED; AL_TEMPFAIL when cancelled, at the deadline or at the budget; otherwise the status of the fatal
 * error (AL_NOPERM, AL_CONFIG, AL_DATAERR, …) or of the callback. *end
 * says which; err gets one line for anything but AL_OK. Events already
 * produced are delivered before it returns, unless a callback failed. */
int fetch_run(struct fetch *f, enum fetch_end *end, char *err, size_t err_sz);
/* The row cap the run ended with: opts.cap, or 10,000 when the service
 * refused the larger limit. */
int fetch_cap(struct fetch *f);

/* What fetch_run runs for the window [start, end] of a group created at
 * created (epoch seconds, 0 unknown) whose streams l were listed at now
 * (NULL: not listed, the query as it is over the window): the queries,
 * into *qv (caller frees each and the array; *nq 0 when no stream has
 * events there), over [*qs, *qe] (the streams' events in the window; its
 * end no earlier than created), naming the *nidx streams *idx indexes
 * (caller frees). AL_OK, AL_DATAERR when one stream name alone does not
 * fit a query, AL_SOFTWARE on out-of-memory. */
int fetch_window_plan(const char *query, const struct logs_stream_list *l, int64_t created, int64_t now,
		      int64_t start, int64_t end, char ***qv, size_t *nq, int64_t *qs, int64_t *qe, size_t **idx,
		      size_t *nidx);

/* ---- window sizes: the one place that decides how long a window is ---- */

/* The StartQuery limit for query and whether windows that reach it split:
 * a query's own `| limit N` below 10,000 (the cap before 2026) asks for
 * the top N, so it runs once over the window and keeps what comes; one of
 * 10,000 or more is a cap like the service's own. */
void fetch_query_plan(const char *query, int *limit, int *split);
/* How many first windows [start, end] is cut into before anything is
 * known about the group's density. */
size_t fetch_first_parts(int64_t start, int64_t end, int split);
/* Boundaries of part i of n: [start + len*i/n, start + len*(i+1)/n]; the
 * parts share their boundary seconds. */
void fetch_split_bounds(int64_t start, int64_t end, size_t n, size_t i, int64_t *s, int64_t *e);

#endif
