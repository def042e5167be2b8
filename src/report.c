#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "classify.h"
#include "status.h"
#include "timeutil.h"

/* A not_mapped denial inside the hour after an aws-auth parse error of
 * the same log group is a symptom of the broken ConfigMap (every mapping
 * is gone), not a mapping problem of its own. */
#define IN_CONFIG_BREAK(d)                                                                          \
	"EXISTS (SELECT 1 FROM events c WHERE c.kind = 'config_error' AND c.log_group = " d         \
	".log_group AND c.ts <= " d ".ts AND " d ".ts < strftime('%Y-%m-%dT%H:%M:%SZ', c.ts, '+1 hour'))"

#define WINDOW "ts >= ?1 AND ts < ?2"

/* report --new (?4 = the run's first event id, "0" = off): a denial of d's
 * (class, principal) or a principal stored before the run is not news. */
#define NEW_DENIAL(d)                                                                               \
	"(?4 = 0 OR (" d ".id >= ?4 AND NOT EXISTS (SELECT 1 FROM events o WHERE o.outcome = 'denied'" \
	" AND o.id < ?4 AND o.error_class = " d ".error_class AND o.principal_arn IS " d ".principal_arn)))"
#define NEW_PRINCIPAL(p)                                                                            \
	"(?4 = 0 OR NOT EXISTS (SELECT 1 FROM events o WHERE o.id < ?4 AND o.principal_arn = " p "))"

struct row_list {
	char **cells; /* nrows * ncols strings (NULL for SQL NULL) */
	size_t nrows, ncols;
};

struct report {
	char *first, *last;
	long long granted, denied, denied_unexpected, sts_responses, config_errors;
	struct row_list by_class, by_principal, findings, breaks, fresh, hours, scans;
	struct report_creator *creators;
	size_t ncreators;
	char new_since[TIME_ISO_LEN];
};

static void rows_free(struct row_list *r)
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

static int sql_fail(sqlite3 *db, const char *what, char *err, size_t err_sz)
{
	snprintf(err, err_sz, "%s: %s", what, sqlite3_errmsg(db));
	return sqlite3_errcode(db) == SQLITE_BUSY ? AL_TEMPFAIL : AL_SOFTWARE;
}

/* Without --since/--until the window is everything: the range would only
 * steer the planner onto the time index and a lookup per row, so it goes. */
static char *unbounded_sql(const char *sql)
{
	struct buf b = BUF_INIT;
	const char *hit;
	while ((hit = strstr(sql, WINDOW))) {
		buf_append(&b, sql, (size_t)(hit - sql));
		buf_puts(&b, "1");
		sql = hit + strlen(WINDOW);
	}
	buf_puts(&b, sql);
	return b.oom ? (buf_free(&b), NULL) : buf_take(&b);
}

/* Runs sql with text parameters ?1.. and collects every row as strings.
 * unbounded: the window clause is dropped (its parameters stay unused). */
static int query_rows_w(sqlite3 *db, const char *sql, int unbounded, const char *const *params,
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
		return sql_fail(db, "report query", err, err_sz);
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
		rc = sql_fail(db, "report query", err, err_sz);
out:
	sqlite3_finalize(st);
	return rc;
}

static int query_rows(sqlite3 *db, const char *sql, const char *const *params, size_t nparams,
		      struct row_list *out, char *err, size_t err_sz)
{
	return query_rows_w(db, sql, 0, params, nparams, out, err, err_sz);
}

int report_creators(sqlite3 *db, struct report_creator **out, size_t *n, char *err, size_t err_sz)
{
	struct row_list rows;
	int rc = query_rows(db,
			    "SELECT COALESCE(principal_arn, arn, uid, '(unknown)'), MIN(ts), MAX(ts), COUNT(*)"
			    " FROM events WHERE outcome = 'granted' AND username = 'kubernetes-admin'"
			    " GROUP BY 1 ORDER BY 2",
			    NULL, 0, &rows, err, err_sz);
	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	if (rows.nrows) {
		*out = calloc(rows.nrows, sizeof(**out));
		if (!*out) {
			rows_free(&rows);
			return AL_SOFTWARE;
		}
	}
	for (size_t i = 0; i < rows.nrows; i++) {
		/* take ownership of the strings instead of copying them */
		(*out)[i].arn = rows.cells[i * 4];
		(*out)[i].first_seen = rows.cells[i * 4 + 1];
		(*out)[i].last_seen = rows.cells[i * 4 + 2];
		(*out)[i].grants = strtoll(cell(&rows, i, 3), NULL, 10);
		rows.cells[i * 4] = rows.cells[i * 4 + 1] = rows.cells[i * 4 + 2] = NULL;
	}
	*n = rows.nrows;
	rows_free(&rows);
	return AL_OK;
}

void report_creators_free(struct report_creator *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].arn);
		free(c[i].first_seen);
		free(c[i].last_seen);
	}
	free(c);
}

static void report_free(struct report *r)
{
	free(r->first);
	free(r->last);
	rows_free(&r->by_class);
	rows_free(&r->by_principal);
	rows_free(&r->findings);
	rows_free(&r->breaks);
	rows_free(&r->fresh);
	rows_free(&r->hours);
	rows_free(&r->scans);
	report_creators_free(r->creators, r->ncreators);
}

static int gather(sqlite3 *db, const struct report_opts *o, struct report *r, char *err, size_t err_sz)
{
	char top[24], new_from[24];
	snprintf(top, sizeof(top), "%d", o->top > 0 ? o->top : 10);
	snprintf(new_from, sizeof(new_from), "%lld", (long long)o->new_from);
	const char *since = o->since ? o->since : "0000";
	const char *until = o->until ? o->until : "9999";
	const char *win[4] = {since, until, top, new_from};
	struct row_list totals;
	int rc, all = !o->since && !o->until;

	rc = query_rows_w(db,
			"SELECT MIN(ts), MAX(ts), SUM(outcome = 'granted'), SUM(outcome = 'denied'),"
			" SUM(outcome = 'denied' AND expected = 0), SUM(kind = 'sts_response'),"
			" SUM(kind = 'config_error') FROM events WHERE " WINDOW, all,
			win, 2, &totals, err, err_sz);
	if (rc)
		return rc;
	r->first = totals.cells[0];
	r->last = totals.cells[1];
	totals.cells[0] = totals.cells[1] = NULL;
	r->granted = cell_ll(&totals, 0, 2);
	r->denied = cell_ll(&totals, 0, 3);
	r->denied_unexpected = cell_ll(&totals, 0, 4);
	r->sts_responses = cell_ll(&totals, 0, 5);
	r->config_errors = cell_ll(&totals, 0, 6);
	rows_free(&totals);

	rc = query_rows_w(db,
			"SELECT error_class, COUNT(*), COUNT(DISTINCT principal_arn), MIN(ts), MAX(ts)"
			" FROM events WHERE outcome = 'denied' AND " WINDOW " AND " NEW_DENIAL("events")
			" GROUP BY error_class ORDER BY 2 DESC, 1", all,
			win, 4, &r->by_class, err, err_sz);
	if (!rc)
		rc = query_rows_w(db,
				"SELECT COALESCE(principal_arn, ''), COUNT(*), MIN(ts), MAX(ts),"
				" GROUP_CONCAT(DISTINCT error_class), MAX(expected)"
				" FROM events WHERE outcome = 'denied' AND " WINDOW " AND " NEW_DENIAL("events")
				" GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?3", all,
				win, 4, &r->by_principal, err, err_sz);
	if (!rc)
		rc = query_rows_w(db,
				"SELECT error_class, COALESCE(principal_arn, ''), COALESCE(cluster, ''),"
				" COUNT(*), MIN(ts), MAX(ts), MAX(expected), MAX(NULLIF(sts_region, ''))"
				" FROM events d WHERE outcome = 'denied' AND " WINDOW " AND " NEW_DENIAL("d")
				" AND NOT (error_class = 'not_mapped' AND " IN_CONFIG_BREAK("d") ")"
				" GROUP BY 1, 2, 3 ORDER BY MAX(expected), 4 DESC, 1, 2 LIMIT ?3", all,
				win, 4, &r->findings, err, err_sz);
	/* Config errors come in bursts (every re-read of the ConfigMap logs
	 * another): errors less than an hour apart form one episode, and the
	 * not_mapped denials until an hour after its last error belong to it. */
	if (!rc)
		rc = query_rows_w(db,
				"WITH c AS (SELECT ts, log_group, msg, cluster,"
				"  LAG(ts) OVER (PARTITION BY log_group ORDER BY ts) AS prev"
				"  FROM events WHERE kind = 'config_error' AND " WINDOW " AND (?4 = 0 OR id >= ?4)),"
				" s AS (SELECT *, SUM(prev IS NULL OR ts >= strftime('%Y-%m-%dT%H:%M:%SZ', prev, '+1 hour'))"
				"  OVER (PARTITION BY log_group ORDER BY ts ROWS UNBOUNDED PRECEDING) AS episode FROM c),"
				" f AS (SELECT *, FIRST_VALUE(msg) OVER (PARTITION BY log_group, episode ORDER BY ts) AS first_msg FROM s),"
				" e AS (SELECT log_group, episode, MIN(ts) AS start, MAX(ts) AS last, COUNT(*) AS lines,"
				"  MAX(first_msg) AS msg, MAX(cluster) AS cluster FROM f GROUP BY log_group, episode)"
				" SELECT start, log_group, msg, (SELECT COUNT(*) FROM events d"
				"  WHERE d.outcome = 'denied' AND d.error_class = 'not_mapped'"
				"  AND d.log_group = e.log_group AND d.ts >= e.start"
				"  AND d.ts < strftime('%Y-%m-%dT%H:%M:%SZ', e.last, '+1 hour')),"
				" COALESCE(cluster, ''), lines, last FROM e ORDER BY start", all,
				win, 4, &r->breaks, err, err_sz);
	if (rc)
		return rc;

	/* New principals: first seen inside the window, or, without --since,
	 * in the last day of what is stored. */
	if (o->since) {
		snprintf(r->new_since, sizeof(r->new_since), "%s", o->since);
	} else if (r->last) {
		int64_t t;
		if (time_parse(r->last, strlen(r->last), &t) == 0)
			time_format(t - 86400, r->new_since);
	}
	const char *fresh_params[4] = {o->new_from ? "0000" : r->new_since, until, top, new_from};
	rc = query_rows(db,
			"SELECT p, first_seen, last_seen, granted, denied FROM ("
			" SELECT COALESCE(principal_arn, arn) AS p, MIN(ts) AS first_seen,"
			" MAX(ts) AS last_seen, SUM(outcome = 'granted') AS granted,"
			" SUM(outcome = 'denied') AS denied, MAX(expected) AS expected"
			" FROM events WHERE kind = 'access' AND COALESCE(principal_arn, arn) IS NOT NULL"
			" GROUP BY 1) WHERE first_seen >= ?1 AND first_seen < ?2 AND expected = 0"
			" AND " NEW_PRINCIPAL("p") " ORDER BY first_seen LIMIT ?3",
			fresh_params, 4, &r->fresh, err, err_sz);
	if (!rc)
		rc = query_rows_w(db,
				"SELECT substr(ts, 1, 13), COUNT(*) FROM events"
				" WHERE outcome = 'denied' AND expected = 0 AND " WINDOW " AND " NEW_DENIAL("events")
				" GROUP BY 1 ORDER BY 1", all,
				win, 4, &r->hours, err, err_sz);
	/* What the fetcher's runs over this window cost (bytes scanned is
	 * what Logs Insights bills); none when the data was imported. */
	if (!rc)
		rc = query_rows(db,
				"SELECT log_group, window_start, window_end, status, rows, queries, bytes_scanned,"
				" records_scanned, records_matched, truncated,"
				" (SELECT COUNT(*) FROM scan_windows w WHERE w.run_id = s.id AND w.status <> 'truncated')"
				" FROM scan_runs s WHERE window_end >= ?1 AND window_start < ?2"
				" ORDER BY id DESC LIMIT ?3",
				win, 3, &r->scans, err, err_sz);
	if (!rc)
		rc = report_creators(db, &r->creators, &r->ncreators, err, err_sz);
	return rc;
}

static void fix_for(const struct report_opts *o, const struct row_list *f, size_t i, struct buf *out)
{
	enum error_class cls = CLASS_UNKNOWN;
	classify_from_name(cell(f, i, 0), &cls);
	const char *cluster = o->cluster ? o->cluster : *cell(f, i, 2) ? cell(f, i, 2) : NULL;
	const char *region = o->region ? o->region : *cell(f, i, 7) ? cell(f, i, 7) : getenv("AWS_REGION");
	struct fix_ctx fc = {*cell(f, i, 1) ? cell(f, i, 1) : NULL, cluster, region, NULL};
	classify_fix(cls, &fc, out);
}

static const char *const aws_auth_fix[] = {
	"kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml   # look at the line the error names",
	"fix the YAML (quote templates: username: \"{{SessionName}}\"), check it with: kubectl apply --dry-run=server -f aws-auth.yaml",
	"kubectl apply -f aws-auth.yaml, then retry; nodes and users recover together once it parses",
};

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

/* Returns the hours each character stands for. */
static size_t sparkline(struct buf *b, const struct hist *h)
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
	return per;
}

/* 1234567 -> "1.2 MB" (decimal units, as AWS bills). */
static void human_bytes(double v, char *out, size_t out_sz)
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

struct style {
	const char *bold, *red, *dim, *reset;
};

static void render_text(const struct report_opts *o, const struct report *r, const struct hist *h, struct buf *b)
{
	struct style s = o->color ? (struct style){"\033[1m", "\033[31m", "\033[2m", "\033[0m"}
				  : (struct style){"", "", "", ""};
	int md = o->format == REPORT_MARKDOWN;
	const char *h1 = md ? "# " : "", *h2 = md ? "\n## " : "\n";
	struct buf fix = BUF_INIT;

	buf_printf(b, "%s%sauthlog-scan report%s", h1, s.bold, s.reset);
	if (r->first)
		buf_printf(b, ": %s .. %s", r->first, r->last);
	if (o->since || o->until)
		buf_printf(b, " (window %s .. %s)", o->since ? o->since : "start", o->until ? o->until : "now");
	if (o->new_from)
		buf_puts(b, " — only what the last run stored for the first time");
	buf_puts(b, "\n");
	buf_printf(b, "%s%lld granted, %s%lld denied%s (%lld outside EKS-internal traffic), %lld STS responses, %lld aws-auth config errors\n",
		   md ? "\n" : "", r->granted, r->denied ? s.red : "", r->denied, s.reset,
		   r->denied_unexpected, r->sts_responses, r->config_errors);
	if (!r->first) {
		buf_puts(b, "\nNo events stored for this window. Import logs with 'authlog-scan import FILE'.\n");
		goto creator;
	}

	if (r->by_class.nrows) {
		buf_printf(b, "%s%sDenials by class%s\n", h2, s.bold, s.reset);
		if (md)
			buf_puts(b, "\n| class | denials | principals | first seen | last seen |\n|---|---:|---:|---|---|\n");
		for (size_t i = 0; i < r->by_class.nrows; i++)
			buf_printf(b, md ? "| %s | %s | %s | %s | %s |\n" : "  %-26s %7s  %3s principal(s)  %s .. %s\n",
				   cell(&r->by_class, i, 0), cell(&r->by_class, i, 1), cell(&r->by_class, i, 2),
				   cell(&r->by_class, i, 3), cell(&r->by_class, i, 4));
	}
	if (r->by_principal.nrows) {
		buf_printf(b, "%s%sDenials by principal%s\n", h2, s.bold, s.reset);
		if (md)
			buf_puts(b, "\n| principal | denials | classes | first seen | last seen |\n|---|---:|---|---|---|\n");
		for (size_t i = 0; i < r->by_principal.nrows; i++) {
			const char *p = *cell(&r->by_principal, i, 0) ? cell(&r->by_principal, i, 0)
								       : "(no identity: rejected before STS)";
			const char *tag = cell_ll(&r->by_principal, i, 5) ? " [EKS-internal]" : "";
			if (md)
				buf_printf(b, "| `%s`%s | %s | %s | %s | %s |\n", p, tag, cell(&r->by_principal, i, 1),
					   cell(&r->by_principal, i, 4), cell(&r->by_principal, i, 2),
					   cell(&r->by_principal, i, 3));
			else
				buf_printf(b, "  %s%s\n      %s denials: %s  %s .. %s\n", p, tag,
					   cell(&r->by_principal, i, 1), cell(&r->by_principal, i, 4),
					   cell(&r->by_principal, i, 2), cell(&r->by_principal, i, 3));
		}
	}
	if (r->findings.nrows) {
		buf_printf(b, "%s%sFindings and fixes%s\n", h2, s.bold, s.reset);
		for (size_t i = 0; i < r->findings.nrows; i++) {
			enum error_class cls = CLASS_UNKNOWN;
			classify_from_name(cell(&r->findings, i, 0), &cls);
			const char *p = *cell(&r->findings, i, 1) ? cell(&r->findings, i, 1) : "(no identity)";
			int expected = cell_ll(&r->findings, i, 6) != 0;
			buf_printf(b, "%s%s[%s]%s %s — %s denial(s), %s .. %s%s\n", md ? "\n### " : "\n  ", s.red,
				   cell(&r->findings, i, 0), s.reset, p, cell(&r->findings, i, 3),
				   cell(&r->findings, i, 4), cell(&r->findings, i, 5),
				   expected ? " (EKS-internal principal: expected traffic, usually transient)" : "");
			buf_printf(b, "%scause: %s\n", md ? "\n" : "    ", classify_cause(cls));
			buf_reset(&fix);
			fix_for(o, &r->findings, i, &fix);
			buf_puts(b, md ? "\n```sh\n" : "    fix:\n");
			const char *line = buf_str(&fix);
			while (*line) {
				const char *nl = strchr(line, '\n');
				size_t len = nl ? (size_t)(nl - line) : strlen(line);
				buf_printf(b, "%s%.*s\n", md ? "" : "      ", (int)len, line);
				line += len + (nl ? 1 : 0);
			}
			if (md)
				buf_puts(b, "```\n");
		}
	}
	for (size_t i = 0; i < r->breaks.nrows; i++) {
		if (i == 0)
			buf_printf(b, "%s%saws-auth ConfigMap is broken%s\n", h2, s.bold, s.reset);
		buf_printf(b, "%s%s .. %s %s: %s config error line(s), first: %s\n%s%s not_mapped denial(s) until an hour after the last one are this, not separate mapping problems\n",
			   md ? "\n- " : "  ", cell(&r->breaks, i, 0), cell(&r->breaks, i, 6),
			   *cell(&r->breaks, i, 1) ? cell(&r->breaks, i, 1) : "(log group unknown)",
			   cell(&r->breaks, i, 5), cell(&r->breaks, i, 2), md ? "  " : "    ", cell(&r->breaks, i, 3));
		if (i + 1 == r->breaks.nrows) {
			buf_puts(b, md ? "\n```sh\n" : "    fix:\n");
			for (size_t k = 0; k < sizeof(aws_auth_fix) / sizeof(aws_auth_fix[0]); k++)
				buf_printf(b, "%s%s\n", md ? "" : "      ", aws_auth_fix[k]);
			if (md)
				buf_puts(b, "```\n");
		}
	}
	if (r->fresh.nrows) {
		buf_printf(b, "%s%sNew principals%s (first seen since %s)\n", h2, s.bold, s.reset, r->new_since);
		for (size_t i = 0; i < r->fresh.nrows; i++)
			buf_printf(b, "%s%s  first %s, last %s, %s granted, %s denied\n", md ? "- " : "  ",
				   cell(&r->fresh, i, 0), cell(&r->fresh, i, 1), cell(&r->fresh, i, 2),
				   cell(&r->fresh, i, 3), cell(&r->fresh, i, 4));
	}
	if (h->n) {
		buf_printf(b, "%s%sDenials per hour%s (%s .. %s UTC, max %lld/h)\n%s", h2, s.bold, s.reset, h->first,
			   h->last, h->max, md ? "\n" : "  ");
		if (md) {
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
		} else {
			size_t per = sparkline(b, h);
			if (per > 1)
				buf_printf(b, "  (%zu hours per mark)", per);
			buf_puts(b, "\n");
		}
	}
creator:
	if (r->scans.nrows) {
		buf_printf(b, "%s%sLogs Insights scans%s (newest first; Logs Insights bills bytes scanned)\n", h2,
			   s.bold, s.reset);
		if (md)
			buf_puts(b, "\n| log group | window | status | new rows | queries | scanned | records scanned "
				    "| matched | missing windows |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n");
		for (size_t i = 0; i < r->scans.nrows; i++) {
			char bytes[32];
			human_bytes(strtod(cell(&r->scans, i, 6), NULL), bytes, sizeof(bytes));
			long long missing = cell_ll(&r->scans, i, 10), truncated = cell_ll(&r->scans, i, 9);
			if (md)
				buf_printf(b, "| %s | %s .. %s | %s | %s | %s | %s | %.0f | %.0f | %lld |\n",
					   cell(&r->scans, i, 0), cell(&r->scans, i, 1), cell(&r->scans, i, 2),
					   cell(&r->scans, i, 3), cell(&r->scans, i, 4), cell(&r->scans, i, 5), bytes,
					   strtod(cell(&r->scans, i, 7), NULL), strtod(cell(&r->scans, i, 8), NULL),
					   missing);
			else
				buf_printf(b, "  %s %s .. %s: %s, %s new rows, %s queries, %s scanned (%.0f records, %.0f matched)%s%s\n",
					   cell(&r->scans, i, 0), cell(&r->scans, i, 1), cell(&r->scans, i, 2),
					   cell(&r->scans, i, 3), cell(&r->scans, i, 4), cell(&r->scans, i, 5), bytes,
					   strtod(cell(&r->scans, i, 7), NULL), strtod(cell(&r->scans, i, 8), NULL),
					   missing ? "; windows still missing (the next --since-last-run fetches them)" : "",
					   truncated ? "; some one-second windows hit the row cap: rows may be missing" : "");
		}
	}
	buf_printf(b, "%s%sCluster creator%s (kubernetes-admin)\n", h2, s.bold, s.reset);
	if (!r->ncreators)
		buf_printf(b, "%sno kubernetes-admin grant stored; run the cluster-creator query over the cluster's first days\n",
			   md ? "" : "  ");
	for (size_t i = 0; i < r->ncreators; i++)
		buf_printf(b, "%s%s  first seen %s, last seen %s, %lld grant(s)\n", md ? "- " : "  ", r->creators[i].arn,
			   r->creators[i].first_seen, r->creators[i].last_seen, r->creators[i].grants);
	buf_free(&fix);
}

/* ---- JSON ---- */

static void json_str(struct buf *b, const char *s)
{
	if (s)
		buf_json_string(b, s, strlen(s));
	else
		buf_puts(b, "null");
}

static void json_rows(struct buf *b, const char *name, const struct row_list *r, const char *const *keys,
		      const unsigned char *numeric)
{
	buf_printf(b, ",\"%s\":[", name);
	for (size_t i = 0; i < r->nrows; i++) {
		buf_puts(b, i ? ",{" : "{");
		for (size_t c = 0; c < r->ncols && keys[c]; c++) {
			buf_printf(b, "%s\"%s\":", c ? "," : "", keys[c]);
			const char *v = r->cells[i * r->ncols + c];
			if (numeric[c] && v)
				buf_printf(b, "%lld", strtoll(v, NULL, 10));
			else
				json_str(b, v);
		}
		buf_puts(b, "}");
	}
	buf_puts(b, "]");
}

static void render_json(const struct report_opts *o, const struct report *r, const struct hist *h, struct buf *b)
{
	struct buf fix = BUF_INIT;
	buf_puts(b, "{\"window\":{\"since\":");
	json_str(b, o->since);
	buf_puts(b, ",\"until\":");
	json_str(b, o->until);
	if (o->new_from)
		buf_puts(b, ",\"new_only\":true");
	buf_puts(b, ",\"first_event\":");
	json_str(b, r->first);
	buf_puts(b, ",\"last_event\":");
	json_str(b, r->last);
	buf_printf(b, "},\"totals\":{\"granted\":%lld,\"denied\":%lld,\"denied_unexpected\":%lld,"
		      "\"sts_responses\":%lld,\"config_errors\":%lld}",
		   r->granted, r->denied, r->denied_unexpected, r->sts_responses, r->config_errors);
	static const char *const class_keys[] = {"class", "denials", "principals", "first_seen", "last_seen", NULL};
	static const unsigned char class_num[] = {0, 1, 1, 0, 0};
	json_rows(b, "denials_by_class", &r->by_class, class_keys, class_num);
	static const char *const pr_keys[] = {"principal", "denials", "first_seen", "last_seen", "classes", "expected", NULL};
	static const unsigned char pr_num[] = {0, 1, 0, 0, 0, 1};
	json_rows(b, "denials_by_principal", &r->by_principal, pr_keys, pr_num);

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
		buf_puts(b, ",\"fix\":[");
		buf_reset(&fix);
		fix_for(o, &r->findings, i, &fix);
		const char *line = buf_str(&fix);
		for (int k = 0; *line; k++) {
			const char *nl = strchr(line, '\n');
			size_t len = nl ? (size_t)(nl - line) : strlen(line);
			if (k)
				buf_putc(b, ',');
			buf_json_string(b, line, len);
			line += len + (nl ? 1 : 0);
		}
		buf_puts(b, "]}");
	}
	buf_puts(b, "]");
	static const char *const br_keys[] = {"first_error", "log_group", "message", "not_mapped_denials",
					      "cluster", "config_error_lines", "last_error", NULL};
	static const unsigned char br_num[] = {0, 0, 0, 1, 0, 1, 0};
	json_rows(b, "aws_auth_broken", &r->breaks, br_keys, br_num);
	static const char *const fr_keys[] = {"principal", "first_seen", "last_seen", "granted", "denied", NULL};
	static const unsigned char fr_num[] = {0, 0, 0, 1, 1};
	json_rows(b, "new_principals", &r->fresh, fr_keys, fr_num);
	buf_puts(b, ",\"denials_per_hour\":{\"first_hour\":");
	json_str(b, h->n ? h->first : NULL);
	buf_puts(b, ",\"counts\":[");
	for (size_t i = 0; i < h->n; i++)
		buf_printf(b, "%s%lld", i ? "," : "", h->counts[i]);
	buf_puts(b, "]}");
	static const char *const sc_keys[] = {"log_group", "window_start", "window_end", "status", "rows",
					      "queries", "bytes_scanned", "records_scanned", "records_matched",
					      "truncated_windows", "missing_windows", NULL};
	static const unsigned char sc_num[] = {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1};
	json_rows(b, "scans", &r->scans, sc_keys, sc_num);
	buf_puts(b, ",\"cluster_creator\":[");
	for (size_t i = 0; i < r->ncreators; i++) {
		buf_puts(b, i ? ",{\"arn\":" : "{\"arn\":");
		json_str(b, r->creators[i].arn);
		buf_puts(b, ",\"first_seen\":");
		json_str(b, r->creators[i].first_seen);
		buf_puts(b, ",\"last_seen\":");
		json_str(b, r->creators[i].last_seen);
		buf_printf(b, ",\"grants\":%lld}", r->creators[i].grants);
	}
	buf_puts(b, "]}\n");
	buf_free(&fix);
}

int report_run(sqlite3 *db, const struct report_opts *o, FILE *out, long long *denials, char *err,
	       size_t err_sz)
{
	struct report r;
	struct hist h = {0};
	struct buf b = BUF_INIT;
	memset(&r, 0, sizeof(r));
	int rc = gather(db, o, &r, err, err_sz);
	if (rc)
		goto out;
	hist_build(&r, &h);
	if (o->format == REPORT_JSON)
		render_json(o, &r, &h, &b);
	else
		render_text(o, &r, &h, &b);
	if (b.oom) {
		snprintf(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
		goto out;
	}
	if (out)
		fwrite(b.data, 1, b.len, out);
	*denials = r.denied;
out:
	free(h.counts);
	buf_free(&b);
	report_free(&r);
	return rc;
}
