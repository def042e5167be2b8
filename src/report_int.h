/* The report's insides that tests reach into (like SQLite's btreeInt.h):
 * the gathered figures, the row lists they are read into, the SQL the
 * report shares with tests/unit/report_oracle.c (which computes the same
 * figures from the events alone and prints them with report_print), and
 * the rendering. */
#ifndef AUTHLOG_REPORT_INT_H
#define AUTHLOG_REPORT_INT_H

#include "classify.h"
#include "report.h"
#include "timeutil.h"

/* The window of a report query: ?1 = since, ?2 = until. */
#define REPORT_WINDOW "ts >= ?1 AND ts < ?2"
/* report --cluster: ?12 = the cluster (NULL: every cluster; '' is the
 * cluster of events that name none). */
#define REPORT_CLUSTER(c) "(?12 IS NULL OR COALESCE(" c ", '') = ?12)"

/* Config errors come in bursts (every re-read of the ConfigMap logs
 * another): errors less than an hour apart form one episode, and the
 * not_mapped denials until an hour after its last error belong to it.
 * Same-second errors are taken in the order they were stored. Column 3 is
 * the count of those denials (COUNT_SQL, a subquery on e), column 7 the
 * end of that hour. */
#define REPORT_BREAKS_SQL(COUNT_SQL)                                                                          \
	"WITH c AS (SELECT id, ts, log_group, msg, cluster,"                                                  \
	"  LAG(ts) OVER (PARTITION BY log_group ORDER BY ts, id) AS prev"                                     \
	"  FROM events WHERE kind = 'config_error' AND " REPORT_WINDOW " AND (?4 = 0 OR id >= ?4)"            \
	"  AND " REPORT_CLUSTER("cluster") "),"                                                               \
	" s AS (SELECT *, SUM(prev IS NULL OR ts >= strftime('%Y-%m-%dT%H:%M:%SZ', prev, '+1 hour'))"         \
	"  OVER (PARTITION BY log_group ORDER BY ts, id ROWS UNBOUNDED PRECEDING) AS episode FROM c),"        \
	" f AS (SELECT *, FIRST_VALUE(msg) OVER (PARTITION BY log_group, episode ORDER BY ts, id) AS first_msg" \
	"  FROM s),"                                                                                          \
	" e AS (SELECT log_group, episode, MIN(ts) AS start, MAX(ts) AS last, COUNT(*) AS lines,"             \
	"  MAX(first_msg) AS msg, MAX(cluster) AS cluster FROM f GROUP BY log_group, episode)"                \
	" SELECT start, log_group, msg, " COUNT_SQL ", COALESCE(cluster, ''), lines, last,"                   \
	" strftime('%Y-%m-%dT%H:%M:%SZ', e.last, '+1 hour') FROM e ORDER BY start, log_group"

/* What is new since a run's first event id ?4 ("0" = off), from the
 * events: a denial of d's (cluster, class, principal) or a principal
 * stored on the cluster before the run is not news. report_news counts with it; the rollups' first_id
 * columns keep the same definition, which tests/unit/report_oracle.c
 * checks the report against. */
#define NEW_DENIAL(d)                                                                               \
	"(?4 = 0 OR (" d ".id >= ?4 AND NOT EXISTS (SELECT 1 FROM events o WHERE o.outcome = 'denied'" \
	" AND o.id < ?4 AND o.error_class = " d ".error_class AND o.principal_arn IS " d ".principal_arn" \
	" AND COALESCE(o.cluster, '') = COALESCE(" d ".cluster, ''))))"
#define NEW_PRINCIPAL(p, c)                                                                         \
	"(?4 = 0 OR NOT EXISTS (SELECT 1 FROM events o WHERE o.id < ?4 AND o.principal_arn = " p        \
	" AND COALESCE(o.cluster, '') = " c "))"

/* What the fetcher's runs over the window (?1, ?2) cost, newest first, at
 * most ?3 rows (bytes scanned is what Logs Insights bills); none when the
 * data was imported. With ?12, the runs over that cluster's log group. */
extern const char report_scans_sql[];

/* The log groups of ?12's cluster, as the scans section picks its runs:
 * the groups the clusters table names for it and those its events came
 * from (every group with ?12 NULL). g: a scan_runs row's log_group. */
#define REPORT_SCAN_GROUPS(g)                                                                            \
	"(?12 IS NULL OR " g " IN (SELECT log_group FROM clusters WHERE name = ?12)"                      \
	" OR " g " IN (SELECT log_group FROM streams WHERE COALESCE(cluster, '') = ?12))"

struct row_list {
	char **cells; /* nrows * ncols strings (NULL for SQL NULL) */
	size_t nrows, ncols;
};

/* Everything a report prints, gathered once. */
struct report {
	char *first, *last;
	long long granted, denied, denied_unexpected, sts_responses, config_errors;
	struct row_list by_class, by_principal, findings, breaks, fresh, hours, scans;
	struct report_creator *creators;
	size_t ncreators;
	char new_since[TIME_ISO_LEN];
	struct finding_facts *facts; /* per finding, from report_finding_facts; NULL: none shown */
	/* A cluster's summary line (--cluster's, or every cluster's with none):
	 * the (class, principal) pairs the last run denied for the first time
	 * (NEW_DENIAL with ?4 = news_from; -1 when news_from is 0), the
	 * finished time of the latest complete scan of its log groups
	 * (REPORT_SCAN_GROUPS; NULL: never), and the bytes the scans of those
	 * groups over the window billed (as the scans section picks them). */
	long long new_findings, bytes_billed;
	char *last_good_scan;
};

/* What a finding's fix is filled with, beyond the finding's own row. */
struct finding_facts {
	enum principal_kind kind; /* node, Fargate, person or CI: from the stored sessions */
	enum auth_mode mode;      /* the cluster's, from the clusters table; unknown when not stored */
	char region[64];          /* the cluster's stored region, or "" when not known */
};

/* Runs sql with text parameters ?1.. and collects every row as strings.
 * unbounded: REPORT_WINDOW is dropped from the SQL (its parameters stay
 * unused), since a range over everything only steers the planner onto
 * the time index. */
int report_rows(sqlite3 *db, const char *sql, int unbounded, const char *const *params, size_t nparams,
		struct row_list *out, char *err, size_t err_sz);
void report_rows_free(struct row_list *r);

/* The one row (new findings or NULL, last good scan or NULL, bytes
 * billed) becomes r's summary figures; the rows are freed either way. */
void report_fleet_take(struct row_list *rows, struct report *r);

/* Rows (principal, first_seen, last_seen, grants) become creators; the
 * strings move, the rows are freed either way. */
int report_creators_take(struct row_list *rows, struct report_creator **out, size_t *n, char *err,
			 size_t err_sz);

/* Fills the classes column (4) of the by-principal ranking bp from pc,
 * (principal, class) rows sorted by principal, then class. */
int report_by_principal_classes(struct row_list *bp, const struct row_list *pc, char *err, size_t err_sz);

/* r->facts: what each finding's principal is (node, Fargate, person or
 * CI), from the sessions stored with it, and its cluster's region and
 * authentication mode, from the clusters table: a few lookups per finding
 * shown. region_opt: --region, which picks among a name's regions. */
int report_finding_facts(sqlite3 *db, const char *region_opt, struct report *r, char *err, size_t err_sz);

/* r->new_since: --since, or the last day of what the window holds. */
void report_new_since(const struct report_opts *o, struct report *r);

/* The version of report --format json's shape (README "JSON output"):
 * raised when a key changes meaning or type or goes away. */
#define REPORT_JSON_SCHEMA_VERSION 1

/* Gathers the report of o's window (and o->cluster, NULL: every cluster)
 * into r: from the rollups (report.c) or from the events alone (the
 * oracle in tests/unit/report_oracle.c). */
typedef int (*report_gather_fn)(sqlite3 *db, const struct report_opts *o, struct report *r, char *err,
				size_t err_sz);

/* The report as o asks, gathered with gather inside one read transaction:
 * the whole window, and per cluster its summary line and, when there are
 * several, its section. Written to out (NULL: only count); *denials = the
 * window's denials. */
int report_compose(sqlite3 *db, const struct report_opts *o, report_gather_fn gather, FILE *out, long long *denials,
		   char *err, size_t err_sz);
void report_free(struct report *r);

#endif
