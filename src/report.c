#include "report_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "classify.h"
#include "esc.h"
#include "kind.h"
#include "rollup.h"
#include "msg.h"
#include "status.h"
#include "store.h"

/*
 * Where the figures come from. The rollups (rollup.h) hold, per minute,
 * the totals and, per hour, the denials by (class, principal, cluster,
 * log group, region, expected, in_break, segment); the report sums the
 * whole buckets a window covers and reads the events only for the parts
 * of the window that are not whole buckets (at most two partial hours of
 * denials, through event_rows_denied_ts, and two partial minutes), for
 * --new the denials of the one segment the run's first id falls inside
 * (when it is no import's first_event_id), and for the few rows it lists
 * (config errors, scans). Every write keeps the rollups current (rollup.h);
 * tests/unit/report_oracle.c computes the same report from the events
 * alone, and the tests hold the two to the same bytes.
 */

void report_rows_free(struct row_list *r)
{
	for (size_t i = 0; i < r->nrows * r->ncols; i++)
		free(r->cells[i]);
	free(r->cells);
	memset(r, 0, sizeof(*r));
}

static const char *cell(const struct row_list *r, size_t row, size_t col)
{
	const char *c = r->cells[row * r->ncols + col];
	return c ? c : "";
}

static long long cell_ll(const struct row_list *r, size_t row, size_t col)
{
	return strtoll(cell(r, row, col), NULL, 10);
}

/* Without --since/--until the window is everything: the range would only
 * steer the planner onto the time index and a lookup per row, so it goes. */
static char *unbounded_sql(const char *sql)
{
	struct buf b = BUF_INIT;
	const char *hit;
	while ((hit = strstr(sql, REPORT_WINDOW))) {
		buf_append(&b, sql, (size_t)(hit - sql));
		buf_puts(&b, "1");
		sql = hit + strlen(REPORT_WINDOW);
	}
	buf_puts(&b, sql);
	return b.oom ? (buf_free(&b), NULL) : buf_take(&b);
}

int report_rows(sqlite3 *db, const char *sql, int unbounded, const char *const *params,
			size_t nparams, struct row_list *out, char *err, size_t err_sz)
{
	sqlite3_stmt *st = NULL;
	int rc = AL_OK;
	size_t cap = 0;
	char *rewritten = NULL;
	memset(out, 0, sizeof(*out));
	if (unbounded) {
		rewritten = unbounded_sql(sql);
		if (!rewritten) {
			snprintf(err, err_sz, "out of memory");
			return AL_SOFTWARE;
		}
		sql = rewritten;
	}
	int prc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	free(rewritten);
	if (prc != SQLITE_OK)
		return store_sql_error(db, prc, "report query", err, err_sz);
	for (size_t i = 0; i < nparams; i++)
		sqlite3_bind_text(st, (int)i + 1, params[i], -1, SQLITE_STATIC);
	out->ncols = (size_t)sqlite3_column_count(st);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((out->nrows + 1) * out->ncols > cap) {
			size_t ncap = cap ? cap * 2 : out->ncols * 16;
			char **p = realloc(out->cells, ncap * sizeof(*p));
			if (!p) {
				rc = AL_SOFTWARE;
				snprintf(err, err_sz, "out of memory");
				goto out;
			}
			out->cells = p;
			cap = ncap;
		}
		for (size_t c = 0; c < out->ncols; c++) {
			const unsigned char *v = sqlite3_column_text(st, (int)c);
			out->cells[out->nrows * out->ncols + c] = v ? strdup((const char *)v) : NULL;
		}
		out->nrows++;
	}
	if (step != SQLITE_DONE)
		rc = store_sql_error(db, step, "report query", err, err_sz);
out:
	sqlite3_finalize(st);
	return rc;
}

static int query_rows(sqlite3 *db, const char *sql, const char *const *params, size_t nparams,
		      struct row_list *out, char *err, size_t err_sz)
{
	return report_rows(db, sql, 0, params, nparams, out, err, err_sz);
}

/* Every write keeps the rollups current (rollup.h): a watermark behind
 * the events means the database was written by something else. */
static int rollups_current(sqlite3 *db, char *err, size_t err_sz)
{
	int current = 0;
	int rc = rollup_current(db, &current, err, err_sz);
	if (!rc && !current) {
		msg_set(err, err_sz,
			"the rollups do not cover every stored event (was the database written by hand?);"
			" 'authlog-scan import' of an empty file brings them up to date");
		rc = AL_DATAERR;
	}
	return rc;
}

/* Who authenticated as kubernetes-admin: one row per cluster and
 * principal, oldest first (ties by principal, then cluster); ?1: only
 * that cluster (NULL: all). */
static const char creators_sql[] =
	"SELECT principal, first_seen, last_seen, grants, cluster FROM rollup_creators"
	" WHERE ?1 IS NULL OR cluster = ?1 ORDER BY 2, 1, 5";

int report_creators_take(struct row_list *rows, struct report_creator **out, size_t *n, char *err,
			 size_t err_sz)
{
	*out = NULL;
	*n = 0;
	if (rows->nrows) {
		*out = calloc(rows->nrows, sizeof(**out));
		if (!*out) {
			report_rows_free(rows);
			msg_set(err, err_sz, "out of memory");
			return AL_SOFTWARE;
		}
	}
	for (size_t i = 0; i < rows->nrows; i++) {
		char **c = &rows->cells[i * rows->ncols];
		(*out)[i].arn = c[0];
		(*out)[i].first_seen = c[1];
		(*out)[i].last_seen = c[2];
		(*out)[i].grants = c[3] ? strtoll(c[3], NULL, 10) : 0;
		(*out)[i].cluster = c[4];
		c[0] = c[1] = c[2] = c[4] = NULL;
	}
	*n = rows->nrows;
	report_rows_free(rows);
	return AL_OK;
}

static int creators_from_rollups(sqlite3 *db, const char *cluster, struct report_creator **out, size_t *n,
				 char *err, size_t err_sz)
{
	struct row_list rows;
	const char *p[1] = {cluster};
	int rc = query_rows(db, creators_sql, p, 1, &rows, err, err_sz);
	*out = NULL;
	*n = 0;
	return rc ? rc : report_creators_take(&rows, out, n, err, err_sz);
}

int report_creators(sqlite3 *db, const char *cluster, struct report_creator **out, size_t *n, char *err,
		    size_t err_sz)
{
	int rc = rollups_current(db, err, err_sz);
	return rc ? rc : creators_from_rollups(db, cluster, out, n, err, err_sz);
}

void report_creators_free(struct report_creator *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].arn);
		free(c[i].first_seen);
		free(c[i].last_seen);
		free(c[i].cluster);
	}
	free(c);
}

void report_free(struct report *r)
{
	free(r->first);
	free(r->last);
	free(r->last_good_scan);
	report_rows_free(&r->by_class);
	report_rows_free(&r->by_principal);
	report_rows_free(&r->findings);
	report_rows_free(&r->breaks);
	report_rows_free(&r->fresh);
	report_rows_free(&r->hours);
	report_rows_free(&r->scans);
	report_creators_free(r->creators, r->ncreators);
	free(r->facts);
}

/* The stored region and mode of cluster: the row of region_opt (--region)
 * when given, else the cluster's only row. A name stored in two regions
 * without --region says neither: the fix then keeps its placeholders and
 * its mode question rather than guess. */
static int cluster_facts(sqlite3 *db, const char *cluster, const char *region_opt, struct finding_facts *f,
			 char *err, size_t err_sz)
{
	static const char sql[] = "SELECT region, auth_mode, (SELECT COUNT(*) FROM clusters WHERE name = ?1)"
				  " FROM clusters WHERE name = ?1 AND (?2 IS NULL OR region = ?2)";
	sqlite3_stmt *st = NULL;
	if (!cluster || !*cluster)
		return AL_OK;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = region_opt ? sqlite3_bind_text(st, 2, region_opt, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 2);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (region_opt || sqlite3_column_int64(st, 2) == 1)) {
		const char *region = (const char *)sqlite3_column_text(st, 0);
		snprintf(f->region, sizeof(f->region), "%s", region ? region : "");
		f->mode = authmode_from_name((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sql_error(db, rc, "cannot read the cluster's facts", err, err_sz);
	return AL_OK;
}

int report_finding_facts(sqlite3 *db, const char *region_opt, struct report *r, char *err, size_t err_sz)
{
	if (!r->findings.nrows)
		return AL_OK;
	r->facts = calloc(r->findings.nrows, sizeof(*r->facts));
	if (!r->facts) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	int rc = AL_OK;
	for (size_t i = 0; !rc && i < r->findings.nrows; i++) {
		rc = kind_lookup(db, cell(&r->findings, i, 1), &r->facts[i].kind, err, err_sz);
		if (!rc)
			rc = cluster_facts(db, cell(&r->findings, i, 2), region_opt, &r->facts[i], err, err_sz);
	}
	return rc;
}

/* The classes column of the denials by principal: every class of the
 * principal, in name order, comma separated (GROUP_CONCAT would list them
 * in whatever order the plan read the rows). pc holds (principal, class)
 * rows sorted by principal, then class. */
static int fill_classes(struct row_list *bp, const struct row_list *pc, char *err, size_t err_sz)
{
	size_t j = 0;
	for (size_t i = 0; i < bp->nrows; i++) {
		struct buf b = BUF_INIT;
		const char *p = cell(bp, i, 0);
		int any = 0;
		/* both lists are in principal order for the binary collation */
		while (j < pc->nrows && strcmp(cell(pc, j, 0), p) < 0)
			j++;
		size_t k = j;
		for (; k < pc->nrows && !strcmp(cell(pc, k, 0), p); k++) {
			if (!pc->cells[k * pc->ncols + 1])
				continue;
			buf_printf(&b, "%s%s", any ? "," : "", cell(pc, k, 1));
			any = 1;
		}
		if (b.oom) {
			buf_free(&b);
			snprintf(err, err_sz, "out of memory");
			return AL_SOFTWARE;
		}
		free(bp->cells[i * bp->ncols + 4]);
		bp->cells[i * bp->ncols + 4] = any ? buf_take(&b) : NULL;
		buf_free(&b);
	}
	return AL_OK;
}

/* The by-principal ranking comes out in count order; fill_classes walks
 * it in principal order, so it is sorted by principal, filled, and put
 * back. */
int report_by_principal_classes(struct row_list *bp, const struct row_list *pc, char *err, size_t err_sz)
{
	size_t n = bp->nrows, nc = bp->ncols;
	if (!n)
		return AL_OK;
	size_t *order = malloc(n * sizeof(*order));
	struct row_list sorted = {malloc(n * nc * sizeof(char *)), n, nc};
	int rc = AL_OK;
	if (!order || !sorted.cells) {
		snprintf(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	/* insertion sort by principal (BINARY collation = strcmp); --top keeps n small */
	for (size_t i = 1; i < n; i++) {
		size_t v = order[i], k = i;
		while (k > 0 && strcmp(cell(bp, order[k - 1], 0), cell(bp, v, 0)) > 0) {
			order[k] = order[k - 1];
			k--;
		}
		order[k] = v;
	}
	for (size_t i = 0; i < n; i++)
		memcpy(&sorted.cells[i * nc], &bp->cells[order[i] * nc], nc * sizeof(char *));
	rc = fill_classes(&sorted, pc, err, err_sz);
	for (size_t i = 0; i < n; i++)
		bp->cells[order[i] * nc + 4] = sorted.cells[i * nc + 4];
out:
	free(sorted.cells);
	free(order);
	return rc;
}

/* New principals: first seen inside the window, or, without --since, in
 * the last day of what is stored. */
void report_new_since(const struct report_opts *o, struct report *r)
{
	if (o->since) {
		snprintf(r->new_since, sizeof(r->new_since), "%s", o->since);
	} else if (r->last) {
		int64_t t;
		if (time_parse(r->last, strlen(r->last), &t) == 0)
			time_format(t - 86400, r->new_since);
	}
}

int report_news(sqlite3 *db, int64_t first_id, long long *news, char *err, size_t err_sz)
{
	static const char sql[] =
		"SELECT"
		" (SELECT COUNT(*) FROM (SELECT error_class, principal_arn, cluster, MIN(id) AS id FROM events"
		"   WHERE id >= ?4 AND outcome = 'denied' GROUP BY 1, 2, 3) x WHERE " NEW_DENIAL("x") ")"
		" + (SELECT COUNT(*) FROM (SELECT DISTINCT principal_arn, COALESCE(cluster, '') AS cluster FROM events"
		"   WHERE id >= ?4 AND kind = 'access' AND principal_arn IS NOT NULL AND expected = 0) x"
		"   WHERE " NEW_PRINCIPAL("x.principal_arn", "x.cluster") ")"
		" + (SELECT COUNT(*) FROM events WHERE id >= ?4 AND kind = 'config_error')";
	sqlite3_stmt *st;
	*news = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_sql_error(db, sqlite3_errcode(db), "cannot count what is new", err, err_sz);
	sqlite3_bind_int64(st, 4, first_id);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		*news = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return step == SQLITE_ROW ? AL_OK : store_sql_error(db, step, "cannot count what is new", err, err_sz);
}

const char report_scans_sql[] =
	"SELECT log_group, window_start, window_end, status, rows, queries, bytes_scanned,"
	" records_scanned, records_matched, truncated,"
	" (SELECT COUNT(*) FROM scan_windows w WHERE w.run_id = s.id AND w.status <> 'truncated')"
	" FROM scan_runs s WHERE window_end >= ?1 AND window_start < ?2 AND " REPORT_SCAN_GROUPS("log_group")
	" ORDER BY id DESC LIMIT ?3";

void report_fleet_take(struct row_list *rows, struct report *r)
{
	r->new_findings = rows->nrows && rows->cells[0] ? cell_ll(rows, 0, 0) : -1;
	r->last_good_scan = rows->nrows ? rows->cells[1] : NULL;
	r->bytes_billed = rows->nrows ? cell_ll(rows, 0, 2) : 0;
	if (rows->nrows)
		rows->cells[1] = NULL;
	report_rows_free(rows);
}

/* ---- from the rollups ---- */

/* A window cut into whole buckets of `unit` seconds (rollup rows with
 * bucket in [lo, hi), bucket = the first blen characters of the time) and
 * the parts at its ends that are not (event ranges [elo, ehi)). A part
 * that is not there is the empty range ["1", "0"). */
struct cut {
	char lo[TIME_ISO_LEN], hi[TIME_ISO_LEN];
	char elo[2][TIME_ISO_LEN], ehi[2][TIME_ISO_LEN];
};

static int64_t floor_to(int64_t t, int64_t unit)
{
	int64_t q = t / unit;
	if (t % unit && t < 0)
		q--;
	return q * unit;
}

/* Where a window bound falls among the stored times: BOUND_TIME (*t is
 * its epoch) for a stored-form time, BOUND_BELOW when it sorts before
 * every stored time (time_format writes "0000-00-00T00:00:00Z" for a
 * year it cannot write), -1 for anything else. */
enum { BOUND_TIME, BOUND_BELOW };
#define FIRST_STORED_TIME "0000-01-01T00:00:00Z"

static int bound_time(const char *s, int64_t *t)
{
	char back[TIME_ISO_LEN];
	if (strlen(s) == TIME_ISO_LEN - 1 && time_parse(s, TIME_ISO_LEN - 1, t) == 0) {
		time_format(*t, back);
		if (strcmp(back, s) == 0)
			return BOUND_TIME;
	}
	return strcmp(s, FIRST_STORED_TIME) < 0 ? BOUND_BELOW : -1;
}

static void cut_empty(struct cut *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->lo, "1");
	strcpy(c->hi, "0");
	for (int i = 0; i < 2; i++) {
		strcpy(c->elo[i], "1");
		strcpy(c->ehi[i], "0");
	}
}

/* 0, or -1 when a bound is no stored-form time (what report.h asks for). */
static int cut_window(const struct report_opts *o, int64_t unit, size_t blen, struct cut *c)
{
	int64_t lo = 0, hi = 0, a = 0, b = 0;
	int has_lo = 0, has_hi = 0, k;
	char iso[TIME_ISO_LEN];
	cut_empty(c);
	if (o->since) {
		if ((k = bound_time(o->since, &lo)) < 0)
			return -1;
		has_lo = k == BOUND_TIME; /* a bound below every time bounds nothing */
	}
	if (o->until) {
		if ((k = bound_time(o->until, &hi)) < 0)
			return -1;
		if (k == BOUND_BELOW)
			return 0; /* nothing is before it */
		has_hi = 1;
	}
	if (has_lo)
		a = floor_to(lo + unit - 1, unit);
	if (has_hi)
		b = floor_to(hi, unit);
	if (has_lo && has_hi && a >= b) {
		/* no whole bucket: the window is all edge */
		strcpy(c->elo[0], o->since);
		strcpy(c->ehi[0], o->until);
		return 0;
	}
	strcpy(c->lo, "0000");
	strcpy(c->hi, "9999");
	if (has_lo) {
		time_format(a, iso);
		memcpy(c->lo, iso, blen);
		c->lo[blen] = '\0';
		if (lo < a) {
			strcpy(c->elo[0], o->since);
			strcpy(c->ehi[0], iso);
		}
	}
	if (has_hi) {
		time_format(b, iso);
		memcpy(c->hi, iso, blen);
		c->hi[blen] = '\0';
		if (b < hi) {
			strcpy(c->elo[1], iso);
			strcpy(c->ehi[1], o->until);
		}
	}
	return 0;
}

/* The denials of the window as rows (error_class, principal_arn, cluster,
 * log_group, sts_region, expected, in_break, n, first_ts, last_ts, hour):
 * rollup rows of the whole hours (?5, ?6), single events of the two
 * partial hours (?7..?10). --new (?4 = the run's first event id, 0 = off):
 * an event is news when its id is >= ?4 and no denial before ?4 had its
 * (class, principal). A rollup row holds one segment (the ids from one
 * import's first_event_id to the next one's): all of it is >= ?4 when it
 * starts at or after ?4. Only when ?4 is no segment's start does one
 * segment hold ids on both sides; its ids from ?4 to the next start (?11)
 * in the whole hours come from the events too. */
#define DENIALS_CTE                                                                                       \
	"WITH src(error_class, principal_arn, cluster, log_group, sts_region, expected, in_break, n,"     \
	"   first_ts, last_ts, hour) AS ("                                                                \
	" SELECT " RU_DEC("r.error_class") ", " RU_DEC("r.principal_arn") ", r.cluster, r.log_group,"      \
	"  r.sts_region, r.expected, r.in_break, r.n, r.first_ts, r.last_ts, r.hour"                      \
	"  FROM rollup_denials r WHERE r.hour >= ?5 AND r.hour < ?6 AND (?12 IS NULL OR r.cluster = ?12)"  \
	"  AND (?4 = 0 OR (r.seg >= ?4 AND NOT EXISTS (SELECT 1 FROM rollup_denial_pairs o"               \
	"   WHERE o.cluster = r.cluster AND o.error_class = r.error_class"                                 \
	"   AND o.principal_arn = r.principal_arn AND r.error_class <> " RU_NULL " AND o.first_id < ?4)))" \
	EDGE_DENIALS(DENIALS_IN("?7", "?8")) EDGE_DENIALS(DENIALS_IN("?9", "?10"))                         \
	EDGE_DENIALS(DENIALS_WHERE("", "r.id >= ?4 AND r.id < ?11 AND r.ts >= ?5 AND r.ts < ?6")) ")"
#define EDGE_DENIALS(from)                                                                                \
	" UNION ALL SELECT d.error_class, d.principal_arn, COALESCE(d.cluster, ''), d.log_group,"          \
	"  COALESCE(NULLIF(d.sts_region, ''), ''), d.expected, " RU_IN_BREAK("d") ", 1, d.ts, d.ts,"       \
	"  substr(d.ts, 1, 13) FROM " from " d"                                                            \
	"  WHERE " REPORT_CLUSTER("d.cluster") " AND (?4 = 0 OR (d.id >= ?4 AND NOT EXISTS (SELECT 1"       \
	"   FROM rollup_denial_pairs o WHERE o.cluster = COALESCE(d.cluster, '')"                          \
	"   AND o.error_class = " RU_ENC("d.error_class") " AND d.error_class IS NOT NULL"                  \
	"   AND o.principal_arn = " RU_ENC("d.principal_arn") " AND o.first_id < ?4)))"
/* The denials where cond holds, with the columns of the events view the
 * report needs, joined as store.c's view joins them. */
#define DENIALS_WHERE(indexed, cond)                                                                      \
	"(SELECT r.id AS id, r.ts AS ts, r.outcome AS outcome, e.error_class AS error_class,"              \
	"  i.principal_arn AS principal_arn, s.cluster AS cluster, s.log_group AS log_group,"              \
	"  e.sts_region AS sts_region, COALESCE(i.expected, 0) AS expected"                                \
	"  FROM event_rows r " indexed " JOIN streams s ON s.id = r.stream_id"                             \
	"  LEFT JOIN identities i ON i.id = r.identity_id LEFT JOIN errors e ON e.id = r.error_id"          \
	"  WHERE r.outcome = 'denied' AND " cond ")"
/* The denials of [lo, hi), from the index that covers them (given the
 * view, the planner may walk streams or every row, and it reads a row
 * page per denial). */
#define DENIALS_IN(lo, hi) DENIALS_WHERE("INDEXED BY event_rows_denied_ts", "r.ts >= " lo " AND r.ts < " hi)

/* Totals of the window: whole minutes from rollup_minutes, the partial
 * ones from the events; first and last event from the time index. */
static int totals_rollup(sqlite3 *db, const struct report_opts *o, const struct cut *m, struct report *r,
			 char *err, size_t err_sz)
{
	const char *since = o->since ? o->since : "0000";
	const char *until = o->until ? o->until : "9999";
	const char *p[12] = {m->lo, m->hi, m->elo[0], m->ehi[0], m->elo[1], m->ehi[1], [11] = o->cluster};
	const char *w[12] = {since, until, [11] = o->cluster};
	struct row_list t;
	/* One cluster's first and last event: the time index walked from the
	 * first (last) minute the rollups have of it. */
	int rc = query_rows(db,
			    o->cluster ? "SELECT (SELECT MIN(ts) FROM events WHERE " REPORT_WINDOW " AND " REPORT_CLUSTER("cluster")
					 "   AND ts >= (SELECT MIN(minute) FROM rollup_minutes WHERE cluster = ?12"
					 "    AND minute >= substr(?1, 1, 16))),"
					 " (SELECT MAX(ts) FROM events WHERE " REPORT_WINDOW " AND " REPORT_CLUSTER("cluster")
					 "   AND ts < (SELECT MAX(minute) FROM rollup_minutes WHERE cluster = ?12"
					 "    AND minute <= substr(?2, 1, 16)) || ';')"
				       : "SELECT (SELECT MIN(ts) FROM events WHERE " REPORT_WINDOW "),"
					 " (SELECT MAX(ts) FROM events WHERE " REPORT_WINDOW ")",
			    w, 12, &t, err, err_sz);
	if (rc)
		return rc;
	r->first = t.cells[0];
	r->last = t.cells[1];
	t.cells[0] = t.cells[1] = NULL;
	report_rows_free(&t);
	rc = query_rows(db,
			"SELECT SUM(granted), SUM(denied), SUM(denied_unexpected), SUM(sts_responses), SUM(config_errors)"
			" FROM (SELECT granted, denied, denied_unexpected, sts_responses, config_errors"
			"  FROM rollup_minutes WHERE minute >= ?1 AND minute < ?2 AND (?12 IS NULL OR cluster = ?12)"
			" UNION ALL SELECT COUNT(CASE WHEN outcome = 'granted' THEN 1 END),"
			"  COUNT(CASE WHEN outcome = 'denied' THEN 1 END),"
			"  COUNT(CASE WHEN outcome = 'denied' AND expected = 0 THEN 1 END),"
			"  COUNT(CASE WHEN kind = 'sts_response' THEN 1 END), COUNT(CASE WHEN kind = 'config_error' THEN 1 END)"
			"  FROM events WHERE ((ts >= ?3 AND ts < ?4) OR (ts >= ?5 AND ts < ?6)) AND " REPORT_CLUSTER("cluster") ")",
			p, 12, &t, err, err_sz);
	if (rc)
		return rc;
	r->granted = cell_ll(&t, 0, 0);
	r->denied = cell_ll(&t, 0, 1);
	r->denied_unexpected = cell_ll(&t, 0, 2);
	r->sts_responses = cell_ll(&t, 0, 3);
	r->config_errors = cell_ll(&t, 0, 4);
	report_rows_free(&t);
	return AL_OK;
}

/* Column 3 of the breaks: the not_mapped denials of the episode's log
 * group in [start, end of the hour after its last error), whole hours
 * from rollup_denials (every segment, in a break or not), the rest from
 * the events. */
static int break_counts(sqlite3 *db, struct row_list *br, char *err, size_t err_sz)
{
	for (size_t i = 0; i < br->nrows; i++) {
		struct report_opts w = {.since = cell(br, i, 0), .until = cell(br, i, 7)};
		struct cut h;
		struct row_list n;
		if (cut_window(&w, 3600, 13, &h) != 0) {
			snprintf(err, err_sz, "report: unexpected time in a config error");
			return AL_SOFTWARE;
		}
		const char *p[7] = {h.lo, h.hi, h.elo[0], h.ehi[0], h.elo[1], h.ehi[1], cell(br, i, 1)};
		int rc = query_rows(db,
				    "SELECT (SELECT COALESCE(SUM(n), 0) FROM rollup_denials WHERE hour >= ?1 AND hour < ?2"
				    "  AND error_class = 'not_mapped' AND log_group = ?7)"
				    " + (SELECT COUNT(*) FROM " DENIALS_IN("?3", "?4") " d"
				    "  WHERE d.error_class = 'not_mapped' AND d.log_group = ?7)"
				    " + (SELECT COUNT(*) FROM " DENIALS_IN("?5", "?6") " d"
				    "  WHERE d.error_class = 'not_mapped' AND d.log_group = ?7)",
				    p, 7, &n, err, err_sz);
		if (rc)
			return rc;
		free(br->cells[i * br->ncols + 3]);
		br->cells[i * br->ncols + 3] = n.cells[0];
		n.cells[0] = NULL;
		report_rows_free(&n);
	}
	return AL_OK;
}

/* The parameters of the report's queries (see DENIALS_CTE). */
struct params {
	char top[24], new_from[24], seg_end[24];
	const char *v[12];
};

/* ?11: the first segment start at or after new_from (the end of the one
 * segment that new_from cuts, when it cuts one); "0" without --new. */
static int segment_end(sqlite3 *db, int64_t new_from, char out[24], char *err, size_t err_sz)
{
	struct row_list r;
	char from[24];
	const char *p[1] = {from};
	snprintf(out, 24, "0");
	if (!new_from)
		return AL_OK;
	snprintf(from, sizeof(from), "%lld", (long long)new_from);
	int rc = query_rows(db,
			    "SELECT COALESCE(MIN(b), 9223372036854775807) FROM (SELECT 1 AS b UNION ALL"
			    " SELECT first_event_id FROM imports) WHERE b >= CAST(?1 AS INTEGER)",
			    p, 1, &r, err, err_sz);
	if (rc)
		return rc;
	snprintf(out, 24, "%s", r.cells[0]);
	report_rows_free(&r);
	return AL_OK;
}

static void params_init(struct params *p, const struct report_opts *o, const struct cut *h)
{
	snprintf(p->top, sizeof(p->top), "%d", o->top > 0 ? o->top : 10);
	snprintf(p->new_from, sizeof(p->new_from), "%lld", (long long)o->new_from);
	const char *v[12] = {o->since ? o->since : "0000", o->until ? o->until : "9999", p->top, p->new_from,
			     h->lo, h->hi, h->elo[0], h->ehi[0], h->elo[1], h->ehi[1], p->seg_end, o->cluster};
	memcpy(p->v, v, sizeof(v));
}

/* The rankings and the histogram: everything read from DENIALS_CTE. */
static int gather_denials(sqlite3 *db, const struct params *p, struct report *r, char *err, size_t err_sz)
{
	struct row_list pc;
	int rc = query_rows(db,
			    DENIALS_CTE " SELECT error_class, SUM(n), COUNT(DISTINCT principal_arn), MIN(first_ts),"
			    " MAX(last_ts) FROM src GROUP BY error_class ORDER BY 2 DESC, 1",
			    p->v, 12, &r->by_class, err, err_sz);
	if (!rc)
		rc = query_rows(db,
				DENIALS_CTE " SELECT COALESCE(principal_arn, ''), SUM(n), MIN(first_ts), MAX(last_ts), NULL,"
				" MAX(expected) FROM src GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?3",
				p->v, 12, &r->by_principal, err, err_sz);
	if (!rc && r->by_principal.nrows) {
		rc = query_rows(db,
				DENIALS_CTE " SELECT COALESCE(principal_arn, ''), error_class FROM src"
				" GROUP BY 1, 2 ORDER BY 1, 2",
				p->v, 12, &pc, err, err_sz);
		if (!rc)
			rc = report_by_principal_classes(&r->by_principal, &pc, err, err_sz);
		report_rows_free(&pc);
	}
	if (!rc)
		rc = query_rows(db,
				DENIALS_CTE " SELECT error_class, COALESCE(principal_arn, ''), cluster, SUM(n),"
				" MIN(first_ts), MAX(last_ts), MAX(expected), MAX(NULLIF(sts_region, ''))"
				" FROM src WHERE NOT (error_class = 'not_mapped' AND in_break)"
				" GROUP BY 1, 2, 3 ORDER BY MAX(expected), 4 DESC, 1, 2, 3 LIMIT ?3",
				p->v, 12, &r->findings, err, err_sz);
	if (!rc)
		rc = query_rows(db, DENIALS_CTE " SELECT hour, SUM(n) FROM src WHERE expected = 0 GROUP BY 1 ORDER BY 1",
				p->v, 12, &r->hours, err, err_sz);
	return rc;
}

/* New principals: first seen in [r->new_since, until), or with --new
 * first stored by the run. */
static int gather_fresh(sqlite3 *db, const struct report_opts *o, const struct params *p, struct report *r,
			char *err, size_t err_sz)
{
	report_new_since(o, r);
	const char *fresh_params[12] = {o->new_from ? "0000" : r->new_since, p->v[1], p->top, p->new_from,
					[11] = o->cluster};
	return query_rows(db,
			  "SELECT principal, first_seen, last_seen, CASE WHEN decided > 0 THEN granted END,"
			  " CASE WHEN decided > 0 THEN denied END, cluster FROM rollup_principals p"
			  " WHERE first_seen >= ?1 AND first_seen < ?2 AND expected = 0 AND (?12 IS NULL OR cluster = ?12)"
			  " AND (?4 = 0 OR NOT EXISTS (SELECT 1 FROM rollup_principal_ids o"
			  "  WHERE o.cluster = p.cluster AND o.principal_arn = p.principal AND o.first_id < ?4))"
			  " ORDER BY first_seen, principal, cluster LIMIT ?3",
			  fresh_params, 12, &r->fresh, err, err_sz);
}

/* The summary line's figures (struct report). A pair's first denial is
 * rollup_denial_pairs.first_id, except for denials without a class,
 * which NEW_DENIAL counts whenever one is in the run: those (only in
 * databases from before classification) are read from the run's events. */
static int gather_fleet(sqlite3 *db, const struct report_opts *o, struct report *r, char *err, size_t err_sz)
{
	char news[24];
	snprintf(news, sizeof(news), "%lld", (long long)o->news_from);
	const char *p[12] = {o->since ? o->since : "0000", o->until ? o->until : "9999", NULL, news,
			     [11] = o->cluster};
	struct row_list rows;
	int rc = query_rows(db,
			    "SELECT CASE WHEN ?4 > 0 THEN"
			    "  (SELECT COUNT(*) FROM rollup_denial_pairs WHERE first_id >= ?4 AND error_class <> " RU_NULL
			    "   AND (?12 IS NULL OR cluster = ?12))"
			    "  + CASE WHEN EXISTS (SELECT 1 FROM rollup_denial_pairs WHERE error_class = " RU_NULL
			    "   AND (?12 IS NULL OR cluster = ?12)) THEN (SELECT COUNT(*) FROM (SELECT DISTINCT"
			    "   COALESCE(cluster, ''), principal_arn FROM events WHERE id >= ?4 AND outcome = 'denied'"
			    "   AND error_class IS NULL AND " REPORT_CLUSTER("cluster") ")) ELSE 0 END END,"
			    " (SELECT MAX(finished) FROM scan_runs WHERE status = 'complete' AND "
			    REPORT_SCAN_GROUPS("log_group") "),"
			    " (SELECT CAST(COALESCE(SUM(bytes_scanned), 0) AS INTEGER) FROM scan_runs"
			    "  WHERE window_end >= ?1 AND window_start < ?2 AND " REPORT_SCAN_GROUPS("log_group") ")",
			    p, 12, &rows, err, err_sz);
	if (!rc)
		report_fleet_take(&rows, r);
	return rc;
}

static int gather_rollups(sqlite3 *db, const struct report_opts *o, const struct cut *m, const struct cut *h,
			  struct report *r, char *err, size_t err_sz)
{
	struct params p;
	params_init(&p, o, h);
	int rc = segment_end(db, o->new_from, p.seg_end, err, err_sz);
	if (!rc)
		rc = totals_rollup(db, o, m, r, err, err_sz);
	if (!rc)
		rc = gather_denials(db, &p, r, err, err_sz);
	if (!rc)
		rc = report_finding_facts(db, o->region, r, err, err_sz);
	if (!rc)
		rc = report_rows(db, REPORT_BREAKS_SQL("NULL"), !o->since && !o->until, p.v, 12, &r->breaks, err,
				 err_sz);
	if (!rc)
		rc = break_counts(db, &r->breaks, err, err_sz);
	if (!rc)
		rc = gather_fresh(db, o, &p, r, err, err_sz);
	if (!rc)
		rc = query_rows(db, report_scans_sql, p.v, 12, &r->scans, err, err_sz);
	if (!rc)
		rc = creators_from_rollups(db, o->cluster, &r->creators, &r->ncreators, err, err_sz);
	if (!rc)
		rc = gather_fleet(db, o, r, err, err_sz);
	return rc;
}

/* A report_gather_fn: the report from the rollups. */
static int gather_from_rollups(sqlite3 *db, const struct report_opts *o, struct report *r, char *err, size_t err_sz)
{
	struct cut m, h;
	if (cut_window(o, 60, 16, &m) != 0 || cut_window(o, 3600, 13, &h) != 0) {
		msg_set(err, err_sz, "report: the window bounds must be stored-form times (YYYY-MM-DDTHH:MM:SSZ)");
		return AL_SOFTWARE;
	}
	int rc = rollups_current(db, err, err_sz);
	return rc ? rc : gather_rollups(db, o, &m, &h, r, err, err_sz);
}

/* The fix of finding i: its notes and its commands. */
static void fix_for(const struct report_opts *o, const struct report *r, size_t i, struct buf *notes,
		    struct buf *commands)
{
	const struct row_list *f = &r->findings;
	enum error_class cls = CLASS_UNKNOWN;
	classify_from_name(cell(f, i, 0), &cls);
	const struct finding_facts *facts = r->facts ? &r->facts[i] : NULL;
	const char *cluster = *cell(f, i, 2) ? cell(f, i, 2) : NULL;
	/* The region the cluster's log was read in beats the STS endpoint a
	 * client happened to use, which beats the reader's environment. */
	const char *region = o->region                       ? o->region
			     : facts && *facts->region ? facts->region
			     : *cell(f, i, 7)          ? cell(f, i, 7)
						       : getenv("AWS_REGION");
	struct fix_ctx fc = {.arn = *cell(f, i, 1) ? cell(f, i, 1) : NULL, .cluster = cluster, .region = region,
			     .mode = facts ? facts->mode : AUTH_MODE_UNKNOWN,
			     .kind = facts ? facts->kind : KIND_UNKNOWN, .grant = o->grant};
	buf_reset(notes);
	buf_reset(commands);
	classify_fix(cls, &fc, notes, commands);
}

/* A broken aws-auth ConfigMap: notes and commands, as a finding's fix. */
static const char aws_auth_notes[] =
	"Look at the line of aws-auth.yaml that the error names and fix the YAML there; quote templates "
	"(username: \"{{SessionName}}\").\n"
	"Apply it once the dry run passes; nodes and users recover together once it parses.\n";
static const char aws_auth_commands[] =
	"kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml\n"
	"kubectl apply --dry-run=server -f aws-auth.yaml\n"
	"kubectl apply -f aws-auth.yaml\n";

/* Steps through the lines of text: *line is the next one, *len its length
 * without the newline; 0 once text is used up. */
static int next_line(const char **text, const char **line, size_t *len)
{
	if (!**text)
		return 0;
	const char *nl = strchr(*text, '\n');
	*line = *text;
	*len = nl ? (size_t)(nl - *text) : strlen(*text);
	*text += *len + (nl ? 1 : 0);
	return 1;
}

/* ---- histogram ---- */

struct hist {
	long long *counts;
	size_t n;
	long long max;
	char first[14], last[14];
};

static void hist_build(const struct report *r, struct hist *h)
{
	memset(h, 0, sizeof(*h));
	if (!r->hours.nrows)
		return;
	char buf[32];
	int64_t t0, t1;
	snprintf(buf, sizeof(buf), "%s:00:00Z", cell(&r->hours, 0, 0));
	if (time_parse(buf, strlen(buf), &t0))
		return;
	snprintf(buf, sizeof(buf), "%s:00:00Z", cell(&r->hours, r->hours.nrows - 1, 0));
	if (time_parse(buf, strlen(buf), &t1))
		return;
	size_t n = (size_t)((t1 - t0) / 3600) + 1;
	if (n > 24 * 31) { /* keep the last month: a sparkline wider than that helps no one */
		t0 = t1 - (int64_t)(24 * 31 - 1) * 3600;
		n = 24 * 31;
	}
	h->counts = calloc(n, sizeof(*h->counts));
	if (!h->counts)
		return;
	h->n = n;
	for (size_t i = 0; i < r->hours.nrows; i++) {
		snprintf(buf, sizeof(buf), "%s:00:00Z", cell(&r->hours, i, 0));
		int64_t t;
		if (time_parse(buf, strlen(buf), &t) || t < t0)
			continue;
		size_t k = (size_t)((t - t0) / 3600);
		h->counts[k] = cell_ll(&r->hours, i, 1);
		if (h->counts[k] > h->max)
			h->max = h->counts[k];
	}
	char iso[TIME_ISO_LEN];
	time_format(t0, iso);
	memcpy(h->first, iso, 13);
	time_format(t1, iso);
	memcpy(h->last, iso, 13);
}

#define SPARK_WIDTH 72 /* characters; longer ranges are drawn with several hours per cell */

/* One character per hour, or per as many hours as fit SPARK_WIDTH. */
static void sparkline(struct buf *b, const struct hist *h)
{
	static const char *const bars[] = {" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
					   "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"};
	size_t per = (h->n + SPARK_WIDTH - 1) / SPARK_WIDTH, cells = (h->n + per - 1) / per;
	long long max = 0;
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t cidx = 0; cidx < cells; cidx++) {
			long long c = 0;
			for (size_t i = cidx * per; i < h->n && i < (cidx + 1) * per; i++)
				c += h->counts[i];
			if (pass == 0) {
				if (c > max)
					max = c;
				continue;
			}
			int level = c == 0 ? 0 : (int)((c * 8 + max - 1) / max); /* 1..8, max gets a full bar */
			buf_puts(b, bars[level]);
		}
	}
}

void report_bytes(double v, char *out, size_t out_sz)
{
	static const char *const unit[] = {"B", "kB", "MB", "GB", "TB"};
	int u = 0;
	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(out, out_sz, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* ---- text and markdown ---- */

/* How a section is drawn: escape codes (empty without --color), markdown
 * or plain text, and what opens a section heading. */
/* Log values are printed through V(): escaped for the terminal
 * (esc_term) or for markdown (esc_md), into a ring of scratch buffers so
 * that one buf_printf can take several. */
#define SCRATCH_RING 12
struct scratch {
	struct buf b[SCRATCH_RING];
	size_t next;
};

struct style {
	const char *bold, *red, *reset;
	int md;
	const char *h2, *h3; /* markdown: a section's and a finding's heading */
	struct scratch *sc;
	size_t width; /* text: prose wraps here */
};

static const char *V(const struct style *s, const char *value)
{
	struct buf *b = &s->sc->b[s->sc->next++ % SCRATCH_RING];
	buf_reset(b);
	if (value)
		(s->md ? esc_md : esc_term)(b, value, strlen(value));
	return b->oom ? "(out of memory)" : buf_str(b);
}

/* Columns of s..e on a terminal: UTF-8 continuation bytes and colour
 * sequences (ESC [ ... m, ours) take none. */
static size_t columns(const char *s, const char *e)
{
	size_t n = 0;
	while (s < e) {
		if (*s == '\033') {
			while (s < e && *s != 'm')
				s++;
			s += s < e;
			continue;
		}
		n += ((unsigned char)*s & 0xc0) != 0x80;
		s++;
	}
	return n;
}

/* One line of prose (no newline in it): in text, wrapped at spaces to
 * s->width with the lines after the first indented by rest; a word wider
 * than that (an ARN, a command) stays whole. Markdown is left to its
 * renderer. */
static void prose(struct buf *b, const struct style *s, const char *line, const char *rest)
{
	size_t col = 0, indent = strlen(rest);
	const char *p = line;
	if (s->md) {
		buf_puts(b, line);
		buf_putc(b, '\n');
		return;
	}
	while (*p) {
		const char *w = p, *e;
		while (*w == ' ')
			w++;
		for (e = w; *e && *e != ' '; e++)
			;
		size_t sp = columns(p, w), wl = columns(w, e);
		if (col > indent && col + sp + wl > s->width && wl) {
			buf_putc(b, '\n');
			buf_puts(b, rest);
			col = indent;
			p = w;
			sp = 0;
		}
		buf_append(b, p, (size_t)(e - p));
		col += sp + wl;
		p = e;
	}
	buf_putc(b, '\n');
}

/* A line of prose from a format (which holds no newline), through prose(). */
static void prosef(struct buf *b, const struct style *s, const char *rest, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void prosef(struct buf *b, const struct style *s, const char *rest, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&line, fmt, ap);
	va_end(ap);
	if (line.oom)
		b->oom = 1;
	else
		prose(b, s, buf_str(&line), rest);
	buf_free(&line);
}

static void scratch_free(struct scratch *sc)
{
	for (size_t i = 0; i < SCRATCH_RING; i++)
		buf_free(&sc->b[i]);
}

static void text_header(const struct report_opts *o, const struct report *r, const struct style *s, struct buf *b)
{
	buf_printf(b, "%s%sauthlog-scan report%s", s->md ? "# " : "", s->bold, s->reset);
	if (r->first)
		buf_printf(b, ": %s .. %s", V(s, r->first), V(s, r->last));
	if (o->since || o->until)
		buf_printf(b, " (window %s .. %s)", o->since ? o->since : "start", o->until ? o->until : "now");
	if (o->new_from)
		buf_puts(b, " — only what the last run stored for the first time");
	buf_puts(b, "\n");
	if (s->md)
		buf_putc(b, '\n');
	prosef(b, s, "", "%lld granted, %s%lld denied%s (%lld outside EKS-internal traffic), %lld STS responses, %lld aws-auth config errors",
	       r->granted, r->denied ? s->red : "", r->denied, s->reset, r->denied_unexpected, r->sts_responses,
	       r->config_errors);
}

static void text_by_class(const struct report *r, const struct style *s, struct buf *b)
{
	if (!r->by_class.nrows)
		return;
	buf_printf(b, "%s%sDenials by class%s\n", s->h2, s->bold, s->reset);
	if (s->md)
		buf_puts(b, "\n| class | denials | principals | first seen | last seen |\n|---|---:|---:|---|---|\n");
	for (size_t i = 0; i < r->by_class.nrows; i++)
		prosef(b, s, "      ", s->md ? "| %s | %s | %s | %s | %s |" : "  %-26s %7s  %3s principal(s)  %s .. %s",
		       cell(&r->by_class, i, 0), cell(&r->by_class, i, 1), cell(&r->by_class, i, 2),
		       V(s, cell(&r->by_class, i, 3)), V(s, cell(&r->by_class, i, 4)));
}

/* The label of the by-principal row i without an ARN: a not_mapped
 * denial passed STS, its line just named no ARN (arn=""); the other
 * classes without one were rejected before STS answered. */
static const char *no_identity(const struct report *r, size_t i)
{
	const char *classes = cell(&r->by_principal, i, 4);
	size_t n = strlen("not_mapped");
	for (const char *c = classes; (c = strstr(c, "not_mapped")) != NULL; c += n)
		if ((c == classes || c[-1] == ',') && (c[n] == ',' || !c[n]))
			return "(no ARN in the log line)";
	return "(no identity: rejected before STS)";
}

static void text_by_principal(const struct report *r, const struct style *s, struct buf *b)
{
	if (!r->by_principal.nrows)
		return;
	buf_printf(b, "%s%sDenials by principal%s\n", s->h2, s->bold, s->reset);
	if (s->md)
		buf_puts(b, "\n| principal | denials | classes | first seen | last seen |\n|---|---:|---|---|---|\n");
	for (size_t i = 0; i < r->by_principal.nrows; i++) {
		const char *p = *cell(&r->by_principal, i, 0) ? V(s, cell(&r->by_principal, i, 0)) : no_identity(r, i);
		const char *tag = cell_ll(&r->by_principal, i, 5) ? " [EKS-internal]" : "";
		if (s->md) {
			buf_printf(b, "| %s%s | %s | %s | %s | %s |\n", p, tag, cell(&r->by_principal, i, 1),
				   cell(&r->by_principal, i, 4), V(s, cell(&r->by_principal, i, 2)),
				   V(s, cell(&r->by_principal, i, 3)));
		} else {
			prosef(b, s, "      ", "  %s%s", p, tag);
			prosef(b, s, "        ", "      %s denials: %s  %s .. %s", cell(&r->by_principal, i, 1),
			       cell(&r->by_principal, i, 4), V(s, cell(&r->by_principal, i, 2)),
			       V(s, cell(&r->by_principal, i, 3)));
		}
	}
}

/* A fix: its notes as a list above its commands, which are one a line (a
 * shell block in markdown, indented under "fix:" in text) so that they
 * can be copied and run as they are. */
static void text_fix(const char *notes, const char *commands, const struct style *s, struct buf *b)
{
	const char *line;
	size_t len;
	if (*notes)
		buf_puts(b, s->md ? "\n" : "    notes:\n");
	/* Notes name log values: escaped as any. Commands hold only values
	 * classify_fix validated and shell-quoted (printable ASCII): a shell
	 * block shows them as they are, which is how they must be pasted. */
	struct buf note = BUF_INIT;
	while (next_line(&notes, &line, &len)) {
		buf_reset(&note);
		buf_puts(&note, s->md ? "- " : "      - ");
		(s->md ? esc_md : esc_term)(&note, line, len);
		prose(b, s, buf_str(&note), "        ");
	}
	b->oom |= note.oom;
	buf_free(&note);
	if (!*commands)
		return; /* nothing to run: the notes say why */
	buf_puts(b, s->md ? "\n```sh\n" : "    fix:\n");
	while (next_line(&commands, &line, &len)) {
		buf_puts(b, s->md ? "" : "      ");
		esc_term(b, line, len);
		buf_putc(b, '\n');
	}
	if (s->md)
		buf_puts(b, "```\n");
}

static void text_findings(const struct report_opts *o, const struct report *r, const struct style *s,
			  struct buf *b)
{
	if (!r->findings.nrows)
		return;
	struct buf notes = BUF_INIT, fix = BUF_INIT;
	buf_printf(b, "%s%sFindings and fixes%s\n", s->h2, s->bold, s->reset);
	for (size_t i = 0; i < r->findings.nrows; i++) {
		enum error_class cls = CLASS_UNKNOWN;
		classify_from_name(cell(&r->findings, i, 0), &cls);
		const char *p = *cell(&r->findings, i, 1) ? V(s, cell(&r->findings, i, 1)) : "(no identity)";
		int expected = cell_ll(&r->findings, i, 6) != 0;
		const char *cluster = V(s, cell(&r->findings, i, 2));
		buf_puts(b, s->md ? s->h3 : "\n");
		prosef(b, s, "      ", "%s%s[%s]%s %s%s%s — %s denial(s), %s .. %s%s", s->md ? "" : "  ", s->red,
		       cell(&r->findings, i, 0), s->reset, p, *cluster ? " on " : "", cluster, cell(&r->findings, i, 3),
		       V(s, cell(&r->findings, i, 4)), V(s, cell(&r->findings, i, 5)),
		       expected ? " (EKS-internal principal: expected traffic, usually transient)" : "");
		if (s->md)
			buf_putc(b, '\n');
		prosef(b, s, "      ", "%scause: %s", s->md ? "" : "    ", classify_cause(cls));
		fix_for(o, r, i, &notes, &fix);
		text_fix(buf_str(&notes), buf_str(&fix), s, b);
	}
	buf_free(&notes);
	buf_free(&fix);
}

static void text_breaks(const struct report *r, const struct style *s, struct buf *b)
{
	if (!r->breaks.nrows)
		return;
	buf_printf(b, "%s%saws-auth ConfigMap is broken%s\n", s->h2, s->bold, s->reset);
	for (size_t i = 0; i < r->breaks.nrows; i++) {
		if (s->md)
			buf_putc(b, '\n');
		prosef(b, s, "    ", "%s%s .. %s %s: %s config error line(s), first: %s", s->md ? "- " : "  ",
		       V(s, cell(&r->breaks, i, 0)), V(s, cell(&r->breaks, i, 6)),
		       *cell(&r->breaks, i, 1) ? V(s, cell(&r->breaks, i, 1)) : "(log group unknown)",
		       cell(&r->breaks, i, 5), V(s, cell(&r->breaks, i, 2)));
		prosef(b, s, "    ", "%s%s not_mapped denial(s) until an hour after the last one are this, not separate"
		       " mapping problems", s->md ? "  " : "    ", cell(&r->breaks, i, 3));
	}
	text_fix(aws_auth_notes, aws_auth_commands, s, b);
}

static void text_fresh(const struct report *r, const struct style *s, struct buf *b)
{
	if (!r->fresh.nrows)
		return;
	buf_printf(b, "%s%sNew principals%s (first seen since %s)\n", s->h2, s->bold, s->reset, r->new_since);
	for (size_t i = 0; i < r->fresh.nrows; i++)
		prosef(b, s, "    ", "%s%s%s%s  first %s, last %s, %s granted, %s denied", s->md ? "- " : "  ",
		       V(s, cell(&r->fresh, i, 0)), *cell(&r->fresh, i, 5) ? " on " : "", V(s, cell(&r->fresh, i, 5)),
		       V(s, cell(&r->fresh, i, 1)), V(s, cell(&r->fresh, i, 2)), cell(&r->fresh, i, 3), cell(&r->fresh, i, 4));
}

/* Markdown lists the hours that had denials; text draws them all as a
 * sparkline. */
static void text_hours(const struct hist *h, const struct style *s, struct buf *b)
{
	if (!h->n)
		return;
	size_t per = (h->n + SPARK_WIDTH - 1) / SPARK_WIDTH;
	buf_printf(b, "%s%sDenials per hour%s (%s .. %s UTC, max %lld/h", s->h2, s->bold, s->reset, h->first, h->last,
		   h->max);
	if (!s->md && per > 1)
		buf_printf(b, ", %zu hours per mark", per);
	buf_puts(b, s->md ? ")\n\n" : ")\n  ");
	if (!s->md) {
		sparkline(b, h);
		buf_puts(b, "\n");
		return;
	}
	buf_puts(b, "| hour | denials |\n|---|---:|\n");
	for (size_t i = 0; i < h->n; i++) {
		if (!h->counts[i])
			continue;
		char iso[TIME_ISO_LEN];
		int64_t t0;
		char first[32];
		snprintf(first, sizeof(first), "%s:00:00Z", h->first);
		time_parse(first, strlen(first), &t0);
		time_format(t0 + (int64_t)i * 3600, iso);
		buf_printf(b, "| %.13s | %lld |\n", iso, h->counts[i]);
	}
}

static void text_scans(const struct report *r, const struct style *s, struct buf *b)
{
	if (!r->scans.nrows)
		return;
	buf_printf(b, "%s%sLogs Insights scans%s (newest first; Logs Insights bills bytes scanned)\n", s->h2, s->bold,
		   s->reset);
	if (s->md)
		buf_puts(b, "\n| log group | window | status | new rows | queries | scanned | records scanned "
			    "| matched | missing windows |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < r->scans.nrows; i++) {
		char bytes[32];
		report_bytes(strtod(cell(&r->scans, i, 6), NULL), bytes, sizeof(bytes));
		long long missing = cell_ll(&r->scans, i, 10), truncated = cell_ll(&r->scans, i, 9);
		if (s->md)
			buf_printf(b, "| %s | %s .. %s | %s | %s | %s | %s | %.0f | %.0f | %lld |\n",
				   V(s, cell(&r->scans, i, 0)), V(s, cell(&r->scans, i, 1)), V(s, cell(&r->scans, i, 2)),
				   V(s, cell(&r->scans, i, 3)), cell(&r->scans, i, 4), cell(&r->scans, i, 5), bytes,
				   strtod(cell(&r->scans, i, 7), NULL), strtod(cell(&r->scans, i, 8), NULL), missing);
		else
			prosef(b, s, "    ", "  %s %s .. %s: %s, %s new rows, %s queries, %s scanned (%.0f records, %.0f matched)%s%s",
				   V(s, cell(&r->scans, i, 0)), V(s, cell(&r->scans, i, 1)), V(s, cell(&r->scans, i, 2)),
				   V(s, cell(&r->scans, i, 3)), cell(&r->scans, i, 4), cell(&r->scans, i, 5), bytes,
				   strtod(cell(&r->scans, i, 7), NULL), strtod(cell(&r->scans, i, 8), NULL),
				   missing ? "; windows still missing (the next --since-last-run fetches them)" : "",
				   truncated ? "; some one-second windows hit the row cap: rows may be missing" : "");
	}
}

static void text_creators(const struct report *r, const struct style *s, struct buf *b)
{
	buf_printf(b, "%s%sCluster creator%s (kubernetes-admin)\n", s->h2, s->bold, s->reset);
	if (!r->ncreators)
		prosef(b, s, "    ", "%sno kubernetes-admin grant stored; run the cluster-creator query over the cluster's first days",
		       s->md ? "" : "  ");
	for (size_t i = 0; i < r->ncreators; i++)
		prosef(b, s, "    ", "%s%s%s%s  first seen %s, last seen %s, %lld grant(s)", s->md ? "- " : "  ",
			   V(s, r->creators[i].arn), *r->creators[i].cluster ? " on " : "", V(s, r->creators[i].cluster),
			   V(s, r->creators[i].first_seen), V(s, r->creators[i].last_seen), r->creators[i].grants);
}

static struct style text_style(const struct report_opts *o, int in_section, struct scratch *sc)
{
	struct style s = o->color ? (struct style){"\033[1m", "\033[31m", "\033[0m", 0, NULL, NULL, sc, 0}
				  : (struct style){"", "", "", 0, NULL, NULL, sc, 0};
	s.md = o->format == REPORT_MARKDOWN;
	s.h2 = !s.md ? "\n" : in_section ? "\n### " : "\n## ";
	s.h3 = in_section ? "\n#### " : "\n### ";
	s.width = o->width > 0 ? (size_t)o->width : 80;
	return s;
}

/* Everything below the header: one cluster's section, or the report of
 * a database that holds one cluster. */
static void text_body(const struct report_opts *o, const struct report *r, const struct style *s, struct buf *b)
{
	struct hist h;
	hist_build(r, &h);
	text_by_class(r, s, b);
	text_by_principal(r, s, b);
	text_findings(o, r, s, b);
	text_breaks(r, s, b);
	text_fresh(r, s, b);
	text_hours(&h, s, b);
	free(h.counts);
}

/* ---- clusters ---- */

/* The clusters a report covers: those with events in the window (the
 * minutes the window touches: a cluster without events in it gets an
 * empty section, which is left out) and those the clusters table knows,
 * as (name, regions, mode, logging_off, reason, enable command), by name;
 * '' is the events that name no cluster. ?1, ?2: the window, ?3: --region,
 * ?4: --cluster. */
static const char clusters_sql[] =
	"SELECT c, (SELECT group_concat(region, ', ') FROM (SELECT region FROM clusters WHERE name = c ORDER BY region)),"
	" (SELECT auth_mode FROM clusters WHERE name = c AND (?3 IS NULL OR region = ?3) ORDER BY region LIMIT 1),"
	" (SELECT MAX(logging_off) FROM clusters WHERE name = c AND (?3 IS NULL OR region = ?3)),"
	" (SELECT logging_off_reason FROM clusters WHERE name = c AND logging_off = 1 AND (?3 IS NULL OR region = ?3)"
	"   ORDER BY region LIMIT 1),"
	" (SELECT enable_logging FROM clusters WHERE name = c AND logging_off = 1 AND (?3 IS NULL OR region = ?3)"
	"   ORDER BY region LIMIT 1)"
	" FROM (SELECT cluster AS c FROM rollup_minutes WHERE minute >= substr(?1, 1, 16) AND minute <= substr(?2, 1, 16)"
	"  UNION SELECT name FROM clusters WHERE ?3 IS NULL OR region = ?3)"
	" WHERE ?4 IS NULL OR c = ?4 ORDER BY c";
enum { CL_NAME, CL_REGIONS, CL_MODE, CL_LOGGING_OFF, CL_REASON, CL_ENABLE };

static const char *cluster_label(const char *name)
{
	return *name ? name : "(not named by the logs)";
}

/* One summary line per cluster: where it is, what it holds, what the
 * last run found for the first time, its last complete scan and what its
 * scans billed, and whether its authenticator log is on (a cluster whose
 * log is off reports no denials because nothing is logged, not because
 * nothing was denied). */
static void text_clusters(const struct row_list *cl, const struct report *per, const struct style *s, struct buf *b)
{
	struct buf line = BUF_INIT;
	buf_printf(b, "%s%sClusters%s\n%s", s->md ? "\n## " : "\n", s->bold, s->reset, s->md ? "\n" : "");
	for (size_t i = 0; i < cl->nrows; i++) {
		const struct report *r = &per[i];
		const char *regions = cell(cl, i, CL_REGIONS), *mode = cell(cl, i, CL_MODE);
		const char *off = cell(cl, i, CL_LOGGING_OFF), *reason = cell(cl, i, CL_REASON);
		buf_reset(&line);
		buf_printf(&line, "%s%s%s (%s, authentication mode %s): ", s->md ? "- **" : "  ",
			   V(s, cluster_label(cell(cl, i, CL_NAME))), s->md ? "**" : "",
			   *regions ? V(s, regions) : "region unknown", *mode ? V(s, mode) : "unknown");
		if (r->first)
			buf_printf(&line, "%s%lld denied%s (%lld outside EKS-internal traffic), %lld granted",
				   r->denied ? s->red : "", r->denied, s->reset, r->denied_unexpected, r->granted);
		else
			buf_puts(&line, "no events in this window");
		if (r->new_findings >= 0)
			buf_printf(&line, ", %s%lld new finding%s%s", r->new_findings ? s->red : "", r->new_findings,
				   r->new_findings == 1 ? "" : "s", s->reset);
		char billed[32];
		report_bytes((double)r->bytes_billed, billed, sizeof(billed));
		buf_printf(&line, "; last good scan %s, %s billed",
			   r->last_good_scan ? V(s, r->last_good_scan) : "never", billed);
		if (!*off)
			buf_puts(&line, "; authenticator log not checked");
		else if (!strcmp(off, "0"))
			buf_puts(&line, "; authenticator log on");
		else
			buf_printf(&line, "; %sauthenticator log OFF%s (%s): denials are not logged; enable it:", s->red,
				   s->reset, !strcmp(reason, "no_streams") ? "the log group has no authenticator stream"
									 : "the cluster's logging has the type disabled");
		if (line.oom)
			b->oom = 1;
		else
			prose(b, s, buf_str(&line), "    ");
		if (*off && strcmp(off, "0") != 0) {
			const char *cmd = cell(cl, i, CL_ENABLE);
			buf_puts(b, s->md ? "\n  ```sh\n  " : "    ");
			esc_term(b, cmd, strlen(cmd)); /* shell-quoted when scan made it */
			buf_puts(b, s->md ? "\n  ```\n" : "\n");
		}
	}
	buf_free(&line);
}

static void render_text(const struct report_opts *o, const struct report *r, const struct row_list *cl,
			const struct report *per, struct buf *b)
{
	struct scratch sc = {0};
	struct style s = text_style(o, 0, &sc);
	text_header(o, r, &s, b);
	if (cl->nrows > 1 || (cl->nrows == 1 && *cell(cl, 0, CL_NAME)))
		text_clusters(cl, per, &s, b);
	if (!r->first)
		buf_puts(b, "\nNo events stored for this window. Import logs with 'authlog-scan import FILE'.\n");
	else if (cl->nrows <= 1)
		text_body(o, r, &s, b);
	/* Several clusters: a section each, with what is the cluster's own. */
	for (size_t i = 0; cl->nrows > 1 && i < cl->nrows; i++) {
		if (!per[i].first)
			continue;
		struct style cs = text_style(o, 1, &sc);
		const char *name = V(&s, cluster_label(cell(cl, i, CL_NAME)));
		if (s.md)
			buf_printf(b, "\n## Cluster %s\n", name);
		else
			buf_printf(b, "\n%s== cluster %s ==%s\n", s.bold, name, s.reset);
		text_body(o, &per[i], &cs, b);
		text_scans(&per[i], &cs, b);
		text_creators(&per[i], &cs, b);
	}
	if (cl->nrows <= 1) {
		text_scans(r, &s, b);
		text_creators(r, &s, b);
	}
	scratch_free(&sc);
}

/* ---- JSON ---- */

static void json_str(struct buf *b, const char *s)
{
	if (s)
		buf_json_string(b, s, strlen(s));
	else
		buf_puts(b, "null");
}

/* How json_rows prints a column. */
enum { J_STR, J_INT, J_BOOL, J_LIST /* "a,b" -> ["a","b"] */ };

static void json_list(struct buf *b, const char *v)
{
	buf_putc(b, '[');
	for (const char *p = v; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (p != v)
			buf_putc(b, ',');
		buf_json_string(b, p, n);
		p += n + (comma ? 1 : 0);
	}
	buf_putc(b, ']');
}

static void json_rows(struct buf *b, const char *name, const struct row_list *r, const char *const *keys,
		      const unsigned char *type)
{
	buf_printf(b, ",\"%s\":[", name);
	for (size_t i = 0; i < r->nrows; i++) {
		buf_puts(b, i ? ",{" : "{");
		for (size_t c = 0; c < r->ncols && keys[c]; c++) {
			buf_printf(b, "%s\"%s\":", c ? "," : "", keys[c]);
			const char *v = r->cells[i * r->ncols + c];
			if (type[c] == J_LIST)
				json_list(b, v);
			else if (!v)
				buf_puts(b, "null");
			else if (type[c] == J_INT)
				buf_printf(b, "%lld", strtoll(v, NULL, 10));
			else if (type[c] == J_BOOL)
				buf_puts(b, strtoll(v, NULL, 10) ? "true" : "false");
			else
				json_str(b, v);
		}
		buf_puts(b, "}");
	}
	buf_puts(b, "]");
}

static void json_window_totals(const struct report_opts *o, const struct report *r, struct buf *b)
{
	buf_printf(b, "{\"schema_version\":%d,\"window\":{\"since\":", REPORT_JSON_SCHEMA_VERSION);
	json_str(b, o->since);
	buf_puts(b, ",\"until\":");
	json_str(b, o->until);
	buf_printf(b, ",\"new_only\":%s,\"first_event\":", o->new_from ? "true" : "false");
	json_str(b, r->first);
	buf_puts(b, ",\"last_event\":");
	json_str(b, r->last);
	buf_printf(b, "},\"totals\":{\"granted\":%lld,\"denied\":%lld,\"denied_unexpected\":%lld,"
		      "\"sts_responses\":%lld,\"config_errors\":%lld}",
		   r->granted, r->denied, r->denied_unexpected, r->sts_responses, r->config_errors);
}

static void json_findings(const struct report_opts *o, const struct report *r, struct buf *b)
{
	struct buf notes = BUF_INIT, fix = BUF_INIT;
	buf_puts(b, ",\"findings\":[");
	for (size_t i = 0; i < r->findings.nrows; i++) {
		enum error_class cls = CLASS_UNKNOWN;
		classify_from_name(cell(&r->findings, i, 0), &cls);
		buf_puts(b, i ? ",{\"class\":" : "{\"class\":");
		json_str(b, cell(&r->findings, i, 0));
		buf_puts(b, ",\"principal\":");
		json_str(b, cell(&r->findings, i, 1));
		buf_puts(b, ",\"cluster\":");
		json_str(b, cell(&r->findings, i, 2));
		buf_printf(b, ",\"denials\":%lld,\"first_seen\":", cell_ll(&r->findings, i, 3));
		json_str(b, cell(&r->findings, i, 4));
		buf_puts(b, ",\"last_seen\":");
		json_str(b, cell(&r->findings, i, 5));
		buf_printf(b, ",\"expected\":%s,\"cause\":", cell_ll(&r->findings, i, 6) ? "true" : "false");
		json_str(b, classify_cause(cls));
		fix_for(o, r, i, &notes, &fix);
		buf_puts(b, ",\"fix\":");
		buf_json_lines(b, buf_str(&fix));
		buf_puts(b, ",\"fix_notes\":");
		buf_json_lines(b, buf_str(&notes));
		buf_puts(b, "}");
	}
	buf_puts(b, "]");
	buf_free(&notes);
	buf_free(&fix);
}

static void json_hours(const struct hist *h, struct buf *b)
{
	buf_puts(b, ",\"denials_per_hour\":{\"first_hour\":");
	json_str(b, h->n ? h->first : NULL);
	buf_puts(b, ",\"counts\":[");
	for (size_t i = 0; i < h->n; i++)
		buf_printf(b, "%s%lld", i ? "," : "", h->counts[i]);
	buf_puts(b, "]}");
}

static void json_creators(const struct report *r, struct buf *b)
{
	buf_puts(b, ",\"cluster_creator\":[");
	for (size_t i = 0; i < r->ncreators; i++) {
		buf_puts(b, i ? ",{\"cluster\":" : "{\"cluster\":");
		json_str(b, r->creators[i].cluster);
		buf_puts(b, ",\"arn\":");
		json_str(b, r->creators[i].arn);
		buf_puts(b, ",\"first_seen\":");
		json_str(b, r->creators[i].first_seen);
		buf_puts(b, ",\"last_seen\":");
		json_str(b, r->creators[i].last_seen);
		buf_printf(b, ",\"grants\":%lld}", r->creators[i].grants);
	}
	buf_puts(b, "]");
}

/* Per cluster: where it is, its totals, its news, scans and bytes
 * billed, and whether its authenticator log is on (null: not checked). */
static void json_clusters(const struct row_list *cl, const struct report *per, struct buf *b)
{
	buf_puts(b, ",\"clusters\":[");
	for (size_t i = 0; i < cl->nrows; i++) {
		const char *off = cell(cl, i, CL_LOGGING_OFF);
		buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
		json_str(b, cell(cl, i, CL_NAME));
		buf_puts(b, ",\"regions\":");
		json_list(b, cell(cl, i, CL_REGIONS));
		buf_puts(b, ",\"auth_mode\":");
		json_str(b, *cell(cl, i, CL_MODE) ? cell(cl, i, CL_MODE) : NULL);
		buf_printf(b, ",\"authenticator_logging\":%s,\"logging_off_reason\":",
			   !*off ? "null" : !strcmp(off, "0") ? "true" : "false");
		json_str(b, *cell(cl, i, CL_REASON) ? cell(cl, i, CL_REASON) : NULL);
		buf_puts(b, ",\"enable_logging\":");
		json_str(b, *cell(cl, i, CL_ENABLE) ? cell(cl, i, CL_ENABLE) : NULL);
		buf_puts(b, ",\"first_event\":");
		json_str(b, per[i].first);
		buf_puts(b, ",\"last_event\":");
		json_str(b, per[i].last);
		buf_printf(b, ",\"granted\":%lld,\"denied\":%lld,\"denied_unexpected\":%lld,\"new_findings\":",
			   per[i].granted, per[i].denied, per[i].denied_unexpected);
		if (per[i].new_findings >= 0)
			buf_printf(b, "%lld", per[i].new_findings);
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"last_good_scan\":");
		json_str(b, per[i].last_good_scan);
		buf_printf(b, ",\"bytes_billed\":%lld}", per[i].bytes_billed);
	}
	buf_puts(b, "]");
}

/* The row lists' keys, in column order; a 1 in *_num prints the column as
 * a number. */
static void render_json(const struct report_opts *o, const struct report *r, const struct row_list *cl,
			const struct report *per, struct buf *b)
{
	static const char *const class_keys[] = {"class", "denials", "principals", "first_seen", "last_seen", NULL};
	static const unsigned char class_num[] = {J_STR, J_INT, J_INT, J_STR, J_STR};
	static const char *const pr_keys[] = {"principal", "denials", "first_seen", "last_seen", "classes", "expected", NULL};
	static const unsigned char pr_num[] = {J_STR, J_INT, J_STR, J_STR, J_LIST, J_BOOL};
	static const char *const br_keys[] = {"first_error", "log_group", "message", "not_mapped_denials",
					      "cluster", "config_error_lines", "last_error", NULL};
	static const unsigned char br_num[] = {J_STR, J_STR, J_STR, J_INT, J_STR, J_INT, J_STR};
	static const char *const fr_keys[] = {"principal", "first_seen", "last_seen", "granted", "denied", "cluster", NULL};
	static const unsigned char fr_num[] = {J_STR, J_STR, J_STR, J_INT, J_INT, J_STR};
	static const char *const sc_keys[] = {"log_group", "window_start", "window_end", "status", "rows",
					      "queries", "bytes_scanned", "records_scanned", "records_matched",
					      "truncated_windows", "missing_windows", NULL};
	static const unsigned char sc_num[] = {J_STR, J_STR, J_STR, J_STR, J_INT, J_INT, J_INT, J_INT, J_INT, J_INT, J_INT};
	struct hist hh, *h = &hh;
	hist_build(r, h);
	json_window_totals(o, r, b);
	json_clusters(cl, per, b);
	json_rows(b, "denials_by_class", &r->by_class, class_keys, class_num);
	json_rows(b, "denials_by_principal", &r->by_principal, pr_keys, pr_num);
	json_findings(o, r, b);
	json_rows(b, "aws_auth_broken", &r->breaks, br_keys, br_num);
	json_rows(b, "new_principals", &r->fresh, fr_keys, fr_num);
	json_hours(h, b);
	json_rows(b, "scans", &r->scans, sc_keys, sc_num);
	json_creators(r, b);
	buf_puts(b, "}\n");
	free(hh.counts);
}

/* ---- Prometheus (node_exporter's textfile collector) ---- */

/* What the metrics need beyond the report: gathered in its transaction.
 * ?1, ?2: the window; ?4: the last run's first event id (0: no news);
 * ?12: --cluster. A log group's cluster is the clusters table's, else
 * the NAME of /aws/eks/NAME/cluster, else ''. */
#define PROM_GROUP_CLUSTER(g)                                                                          \
	"COALESCE((SELECT c.name FROM clusters c WHERE c.log_group = " g " ORDER BY c.updated_at DESC LIMIT 1)," \
	" CASE WHEN " g " LIKE '/aws/eks/%/cluster' THEN substr(" g ", 10, length(" g ") - 17) END, '')"
enum { PROM_LAST_SCAN, PROM_BYTES, PROM_NEWS, PROM_LOGGING, NPROM };
static const char *const prom_sql[NPROM] = {
	"SELECT cluster, log_group, t FROM (SELECT " PROM_GROUP_CLUSTER("s.log_group") " AS cluster, s.log_group,"
	" CAST(strftime('%s', MAX(s.finished)) AS INTEGER) AS t FROM scan_runs s WHERE s.status = 'complete'"
	" AND s.finished IS NOT NULL GROUP BY s.log_group) WHERE ?12 IS NULL OR cluster = ?12 ORDER BY 1, 2",
	"SELECT cluster, log_group, b FROM (SELECT " PROM_GROUP_CLUSTER("s.log_group") " AS cluster, s.log_group,"
	" SUM(s.bytes_scanned) AS b FROM scan_runs s WHERE s.window_end >= ?1 AND s.window_start < ?2"
	" GROUP BY s.log_group)"
	" WHERE ?12 IS NULL OR cluster = ?12 ORDER BY 1, 2",
	"SELECT cluster, COUNT(*) FROM rollup_denial_pairs WHERE ?4 > 0 AND first_id >= ?4"
	" AND (?12 IS NULL OR cluster = ?12) GROUP BY 1 ORDER BY 1",
	"SELECT name, region, 1 - logging_off FROM clusters WHERE logging_off IS NOT NULL"
	" AND (?12 IS NULL OR name = ?12) ORDER BY 1, 2",
};

static int gather_prometheus(sqlite3 *db, const struct report_opts *o, struct row_list *rows, char *err,
			     size_t err_sz)
{
	char news[24];
	snprintf(news, sizeof(news), "%lld", (long long)o->news_from);
	const char *p[12] = {o->since ? o->since : "0000", o->until ? o->until : "9999", NULL, news,
			     [11] = o->cluster};
	int rc = AL_OK;
	for (int i = 0; i < NPROM && !rc; i++)
		rc = query_rows(db, prom_sql[i], p, 12, &rows[i], err, err_sz);
	return rc;
}

/* A label value: \ " and newline escaped (the exposition format's three),
 * invalid UTF-8 as U+FFFD (the format is UTF-8). */
static void prom_label(struct buf *b, const char *name, const char *v, int first)
{
	buf_printf(b, "%s%s=\"", first ? "{" : ",", name);
	const unsigned char *s = (const unsigned char *)v;
	size_t n = strlen(v);
	for (size_t i = 0; i < n;) {
		size_t k = buf_utf8_seq(s + i, n - i);
		if (!k) {
			buf_puts(b, "\xEF\xBF\xBD");
			i++;
			continue;
		}
		if (s[i] == '\\')
			buf_puts(b, "\\\\");
		else if (s[i] == '"')
			buf_puts(b, "\\\"");
		else if (s[i] == '\n')
			buf_puts(b, "\\n");
		else
			buf_append(b, s + i, k);
		i += k;
	}
	buf_putc(b, '"');
}

static void prom_family(struct buf *b, const char *name, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* A family of one sample per row of rows (cluster, label, value): the
 * value as is, or with since non-zero the time from it to since. */
static void prom_samples(struct buf *b, const char *name, const char *help, const char *label,
			 const struct row_list *rows, double since)
{
	prom_family(b, name, help);
	for (size_t k = 0; k < rows->nrows; k++) {
		double v = strtod(cell(rows, k, 2), NULL);
		buf_puts(b, name);
		prom_label(b, "cluster", cell(rows, k, 0), 1);
		prom_label(b, label, cell(rows, k, 1), 0);
		buf_printf(b, "} %.0f\n", since ? since - v : v);
	}
}

static void render_prometheus(const struct row_list *cl, const struct report *per, const struct row_list *prom,
			      struct buf *b)
{
	prom_family(b, "authlog_scan_denials",
		    "Denials in the report's window, by cluster (\"\" when the logs name none) and error class.");
	for (size_t i = 0; i < cl->nrows; i++)
		for (size_t k = 0; k < per[i].by_class.nrows; k++) {
			buf_puts(b, "authlog_scan_denials");
			prom_label(b, "cluster", cell(cl, i, CL_NAME), 1);
			prom_label(b, "class", cell(&per[i].by_class, k, 0), 0);
			buf_printf(b, "} %lld\n", cell_ll(&per[i].by_class, k, 1));
		}
	prom_family(b, "authlog_scan_new_findings",
		    "(class, principal) pairs the last import or scan denied for the first time on the cluster.");
	for (size_t i = 0; i < cl->nrows; i++) {
		long long n = 0;
		for (size_t k = 0; k < prom[PROM_NEWS].nrows; k++)
			if (!strcmp(cell(&prom[PROM_NEWS], k, 0), cell(cl, i, CL_NAME)))
				n = cell_ll(&prom[PROM_NEWS], k, 1);
		buf_puts(b, "authlog_scan_new_findings");
		prom_label(b, "cluster", cell(cl, i, CL_NAME), 1);
		buf_printf(b, "} %lld\n", n);
	}
	const struct row_list *ls = &prom[PROM_LAST_SCAN];
	prom_samples(b, "authlog_scan_last_complete_scan_timestamp_seconds",
		     "Unix time the last complete scan of the log group finished.", "log_group", ls, 0);
	/* Frozen when the file is written: alert on time() minus the
	 * timestamp above, which stays right however old the file is. */
	prom_samples(b, "authlog_scan_last_complete_scan_age_seconds",
		     "Seconds from the last complete scan of the log group to when this report was written.",
		     "log_group", ls, (double)time(NULL));
	prom_samples(b, "authlog_scan_authenticator_logging_enabled",
		     "1 when the cluster's authenticator log is on, 0 when off (clusters checked by scan).", "region",
		     &prom[PROM_LOGGING], 0);
	prom_samples(b, "authlog_scan_scanned_bytes",
		     "Bytes CloudWatch Logs Insights scanned (and bills) for the scans overlapping the window.",
		     "log_group", &prom[PROM_BYTES], 0);
}

/* ---- lines: one per finding, for a chat webhook or logger ---- */

/* A field of a line: one shell word when it can be (esc_shell), else
 * escaped for a terminal with its spaces as \x20, so a line always
 * splits into the same fields; "-" for an empty value. */
static void line_field(struct buf *b, const char *v)
{
	if (!*v) {
		buf_putc(b, '-');
		return;
	}
	size_t mark = b->len;
	if (esc_shell(b, v, strlen(v)) == 0)
		return;
	b->len = mark;
	struct buf t = BUF_INIT;
	esc_term(&t, v, strlen(v));
	for (const char *p = buf_str(&t); *p; p++)
		if (*p == ' ')
			buf_puts(b, "\\x20");
		else
			buf_putc(b, *p);
	b->oom |= t.oom;
	buf_free(&t);
}

static void render_lines(const struct report_opts *o, const struct report *r, struct buf *b)
{
	struct buf notes = BUF_INIT, fix = BUF_INIT;
	for (size_t i = 0; i < r->findings.nrows; i++) {
		line_field(b, cell(&r->findings, i, 2));
		buf_putc(b, ' ');
		line_field(b, cell(&r->findings, i, 0));
		buf_putc(b, ' ');
		line_field(b, cell(&r->findings, i, 1));
		buf_printf(b, " %lld ", cell_ll(&r->findings, i, 3));
		fix_for(o, r, i, &notes, &fix);
		/* The first command; its values are validated and shell-quoted
		 * by classify_fix. None: the notes say what to do. */
		const char *cmds = buf_str(&fix), *line;
		size_t len;
		if (next_line(&cmds, &line, &len))
			esc_term(b, line, len);
		else
			buf_putc(b, '-');
		buf_putc(b, '\n');
	}
	b->oom |= notes.oom | fix.oom;
	buf_free(&notes);
	buf_free(&fix);
}

/* The clusters of the report and, per cluster, its own report (the
 * sections and the summary lines); *per has cl->nrows entries. */
static int gather_clusters(sqlite3 *db, const struct report_opts *o, report_gather_fn gather, struct row_list *cl,
			   struct report **per, char *err, size_t err_sz)
{
	const char *p[4] = {o->since ? o->since : "0000", o->until ? o->until : "9999", o->region, o->cluster};
	int rc = report_rows(db, clusters_sql, 0, p, 4, cl, err, err_sz);
	*per = NULL;
	if (rc || !cl->nrows)
		return rc;
	if (!(*per = calloc(cl->nrows, sizeof(**per)))) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	for (size_t i = 0; !rc && i < cl->nrows; i++) {
		struct report_opts co = *o;
		co.cluster = cell(cl, i, CL_NAME);
		rc = gather(db, &co, &(*per)[i], err, err_sz);
	}
	return rc;
}

int report_compose(sqlite3 *db, const struct report_opts *o, report_gather_fn gather, FILE *out, long long *denials,
		   char *err, size_t err_sz)
{
	struct report r, *per = NULL;
	struct row_list cl = {0}, prom[NPROM] = {{0}};
	struct buf b = BUF_INIT;
	memset(&r, 0, sizeof(r));
	/* One read transaction: every figure from the same snapshot, even
	 * while an import commits (the rollups and the events agree there). */
	int own = sqlite3_get_autocommit(db);
	int rc = own ? sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) : SQLITE_OK;
	if (rc != SQLITE_OK)
		return store_sql_error(db, rc, "report query", err, err_sz);
	rc = gather(db, o, &r, err, err_sz);
	if (!rc)
		rc = gather_clusters(db, o, gather, &cl, &per, err, err_sz);
	if (!rc && o->format == REPORT_PROMETHEUS)
		rc = gather_prometheus(db, o, prom, err, err_sz);
	if (own)
		sqlite3_exec(db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	if (!rc) {
		if (o->format == REPORT_JSON)
			render_json(o, &r, &cl, per, &b);
		else if (o->format == REPORT_PROMETHEUS)
			render_prometheus(&cl, per, prom, &b);
		else if (o->format == REPORT_LINES)
			render_lines(o, &r, &b);
		else
			render_text(o, &r, &cl, per, &b);
		if (b.oom) {
			msg_set(err, err_sz, "out of memory");
			rc = AL_SOFTWARE;
		} else {
			if (out && b.len) /* --format lines without news prints nothing: b.data is NULL */
				fwrite(b.data, 1, b.len, out);
			*denials = r.denied;
		}
	}
	for (size_t i = 0; per && i < cl.nrows; i++)
		report_free(&per[i]);
	free(per);
	report_rows_free(&cl);
	for (int i = 0; i < NPROM; i++)
		report_rows_free(&prom[i]);
	report_free(&r);
	buf_free(&b);
	return rc;
}

int report_run(sqlite3 *db, const struct report_opts *o, FILE *out, long long *denials, char *err,
	       size_t err_sz)
{
	return report_compose(db, o, gather_from_rollups, out, denials, err, err_sz);
}
