/* The report from the events alone (see report_oracle.h): the queries of
 * the version before the rollups, each figure an aggregate of `events`,
 * printed by the report's own renderer (report_print). */
#include "report_oracle.h"

#include <stdlib.h>

#include "report_int.h"
#include "rollup.h"
#include "status.h"

/* A not_mapped denial inside the hour after an aws-auth parse error of
 * the same log group is a symptom of the broken ConfigMap. */
#define IN_CONFIG_BREAK(d) RU_IN_CONFIG_BREAK(d)

static long long cell_ll(const struct row_list *r, size_t col)
{
	const char *c = r->cells[col];
	return c ? strtoll(c, NULL, 10) : 0;
}

/* Who authenticated as kubernetes-admin: one row per cluster and
 * principal, oldest first (ties by principal, then cluster). */
static int creators(sqlite3 *db, const char *const *win, struct report *r, char *err, size_t err_sz)
{
	struct row_list rows;
	int rc = report_rows(db,
			     "SELECT COALESCE(principal_arn, arn, uid, '(unknown)'), MIN(ts), MAX(ts), COUNT(*),"
			     " COALESCE(cluster, '') FROM events WHERE outcome = 'granted' AND username = 'kubernetes-admin'"
			     " AND " REPORT_CLUSTER("cluster") " GROUP BY 1, 5 ORDER BY 2, 1, 5",
			     0, win, 12, &rows, err, err_sz);
	return rc ? rc : report_creators_take(&rows, &r->creators, &r->ncreators, err, err_sz);
}

/* The summary line's figures: the pairs NEW_DENIAL calls new for the
 * last run (?4 = news_from), and the cluster's scans: those of a log group
 * the clusters table gives it or its events came from. */
#define ORACLE_OWN_GROUP                                                                                  \
	"(?12 IS NULL OR EXISTS (SELECT 1 FROM clusters c WHERE c.name = ?12 AND c.log_group = s.log_group)" \
	" OR EXISTS (SELECT 1 FROM events e WHERE e.log_group = s.log_group AND COALESCE(e.cluster, '') = ?12))"

static int fleet(sqlite3 *db, const struct report_opts *o, struct report *r, char *err, size_t err_sz)
{
	char news[24];
	snprintf(news, sizeof(news), "%lld", (long long)o->news_from);
	const char *p[12] = {o->since ? o->since : "0000", o->until ? o->until : "9999", NULL, news,
			     [11] = o->cluster};
	struct row_list rows;
	int rc = report_rows(db,
			     "SELECT CASE WHEN ?4 <> 0 THEN (SELECT COUNT(*) FROM (SELECT DISTINCT error_class, principal_arn,"
			     "  COALESCE(cluster, '') FROM events WHERE outcome = 'denied' AND " NEW_DENIAL("events")
			     "  AND " REPORT_CLUSTER("cluster") ")) END,"
			     " (SELECT s.finished FROM scan_runs s WHERE s.status = 'complete' AND s.finished IS NOT NULL"
			     "  AND " ORACLE_OWN_GROUP " ORDER BY s.finished DESC LIMIT 1),"
			     " (SELECT CAST(TOTAL(s.bytes_scanned) AS INTEGER) FROM scan_runs s"
			     "  WHERE s.window_end >= ?1 AND s.window_start < ?2 AND " ORACLE_OWN_GROUP ")",
			     0, p, 12, &rows, err, err_sz);
	if (!rc)
		report_fleet_take(&rows, r);
	return rc;
}

static int gather_events(sqlite3 *db, const struct report_opts *o, struct report *r, char *err, size_t err_sz)
{
	char top[24], new_from[24];
	snprintf(top, sizeof(top), "%d", o->top > 0 ? o->top : 10);
	snprintf(new_from, sizeof(new_from), "%lld", (long long)o->new_from);
	const char *since = o->since ? o->since : "0000";
	const char *until = o->until ? o->until : "9999";
	const char *win[12] = {since, until, top, new_from, [11] = o->cluster};
	struct row_list totals, pc;
	int rc, all = !o->since && !o->until;

	rc = report_rows(db,
			"SELECT MIN(ts), MAX(ts), SUM(outcome = 'granted'), SUM(outcome = 'denied'),"
			" SUM(outcome = 'denied' AND expected = 0), SUM(kind = 'sts_response'),"
			" SUM(kind = 'config_error') FROM events WHERE " REPORT_WINDOW " AND " REPORT_CLUSTER("cluster"), all,
			win, 12, &totals, err, err_sz);
	if (rc)
		return rc;
	r->first = totals.cells[0];
	r->last = totals.cells[1];
	totals.cells[0] = totals.cells[1] = NULL;
	r->granted = cell_ll(&totals, 2);
	r->denied = cell_ll(&totals, 3);
	r->denied_unexpected = cell_ll(&totals, 4);
	r->sts_responses = cell_ll(&totals, 5);
	r->config_errors = cell_ll(&totals, 6);
	report_rows_free(&totals);

	rc = report_rows(db,
			"SELECT error_class, COUNT(*), COUNT(DISTINCT principal_arn), MIN(ts), MAX(ts)"
			" FROM events WHERE outcome = 'denied' AND " REPORT_WINDOW " AND " NEW_DENIAL("events") " AND " REPORT_CLUSTER("cluster")
			" GROUP BY error_class ORDER BY 2 DESC, 1", all,
			win, 12, &r->by_class, err, err_sz);
	if (!rc)
		rc = report_rows(db,
				"SELECT COALESCE(principal_arn, ''), COUNT(*), MIN(ts), MAX(ts), NULL, MAX(expected)"
				" FROM events WHERE outcome = 'denied' AND " REPORT_WINDOW " AND " NEW_DENIAL("events") " AND " REPORT_CLUSTER("cluster")
				" GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?3", all,
				win, 12, &r->by_principal, err, err_sz);
	if (!rc && r->by_principal.nrows) {
		rc = report_rows(db,
				"SELECT COALESCE(principal_arn, ''), error_class FROM events"
				" WHERE outcome = 'denied' AND " REPORT_WINDOW " AND " NEW_DENIAL("events") " AND " REPORT_CLUSTER("cluster")
				" GROUP BY 1, 2 ORDER BY 1, 2", all,
				win, 12, &pc, err, err_sz);
		if (!rc)
			rc = report_by_principal_classes(&r->by_principal, &pc, err, err_sz);
		report_rows_free(&pc);
	}
	if (!rc)
		rc = report_rows(db,
				"SELECT error_class, COALESCE(principal_arn, ''), COALESCE(cluster, ''),"
				" COUNT(*), MIN(ts), MAX(ts), MAX(expected), MAX(NULLIF(sts_region, ''))"
				" FROM events d WHERE outcome = 'denied' AND " REPORT_WINDOW " AND " NEW_DENIAL("d") " AND " REPORT_CLUSTER("d.cluster")
				" AND NOT (error_class = 'not_mapped' AND " IN_CONFIG_BREAK("d") ")"
				" GROUP BY 1, 2, 3 ORDER BY MAX(expected), 4 DESC, 1, 2, 3 LIMIT ?3", all,
				win, 12, &r->findings, err, err_sz);
	if (!rc)
		rc = report_finding_facts(db, o->region, r, err, err_sz);
	if (!rc)
		rc = report_rows(db,
				REPORT_BREAKS_SQL("(SELECT COUNT(*) FROM events d"
					   "  WHERE d.outcome = 'denied' AND d.error_class = 'not_mapped'"
					   "  AND d.log_group = e.log_group AND d.ts >= e.start"
					   "  AND d.ts < strftime('%Y-%m-%dT%H:%M:%SZ', e.last, '+1 hour'))"),
				all, win, 12, &r->breaks, err, err_sz);
	if (rc)
		return rc;

	report_new_since(o, r);
	const char *fresh_params[12] = {o->new_from ? "0000" : r->new_since, until, top, new_from, [11] = o->cluster};
	rc = report_rows(db,
			"SELECT p, first_seen, last_seen, granted, denied, c FROM ("
			" SELECT COALESCE(principal_arn, arn) AS p, COALESCE(cluster, '') AS c, MIN(ts) AS first_seen,"
			" MAX(ts) AS last_seen, SUM(outcome = 'granted') AS granted,"
			" SUM(outcome = 'denied') AS denied, MAX(expected) AS expected"
			" FROM events WHERE kind = 'access' AND COALESCE(principal_arn, arn) IS NOT NULL"
			" AND " REPORT_CLUSTER("cluster") " GROUP BY 1, 2) WHERE first_seen >= ?1 AND first_seen < ?2"
			" AND expected = 0 AND " NEW_PRINCIPAL("p", "c") " ORDER BY first_seen, p, c LIMIT ?3", 0,
			fresh_params, 12, &r->fresh, err, err_sz);
	if (!rc)
		rc = report_rows(db,
				"SELECT substr(ts, 1, 13), COUNT(*) FROM events"
				" WHERE outcome = 'denied' AND expected = 0 AND " REPORT_WINDOW " AND " NEW_DENIAL("events") " AND " REPORT_CLUSTER("cluster")
				" GROUP BY 1 ORDER BY 1", all,
				win, 12, &r->hours, err, err_sz);
	if (!rc)
		rc = report_rows(db, report_scans_sql, 0, win, 12, &r->scans, err, err_sz);
	if (!rc)
		rc = creators(db, win, r, err, err_sz);
	if (!rc)
		rc = fleet(db, o, r, err, err_sz);
	return rc;
}

int report_oracle_run(sqlite3 *db, const struct report_opts *o, FILE *out, long long *denials, char *err,
		      size_t err_sz)
{
	return report_compose(db, o, gather_events, out, denials, err, err_sz);
}
