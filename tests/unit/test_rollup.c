/* rollups: after imports, duplicates, a rolled-back batch and a config
 * error that arrives after the denials it explains, every rollup table
 * equals the same aggregates recomputed from `events` (written here
 * independently of rollup.c), and the report read from the rollups prints
 * the same bytes as the report computed from the events alone (the oracle,
 * report_oracle.c), for every format and many windows and --new values. A version-2 database migrated
 * to the current version gets the same rollups as one that grew batch by
 * batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "report.h"
#include "report_oracle.h"
#include "rollup.h"
#include "status.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/authlog-test-rollup-XXXXXX";

static char *path_in(const char *name)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static long long scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		printf("# %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return n;
}

/* ---- the aggregates, from the events view, written without rollup.c ---- */

#define IN_BREAK                                                                                    \
	"(CASE WHEN d.outcome = 'denied' AND (d.error_class IS NULL OR d.error_class = 'not_mapped')"  \
	" THEN EXISTS (SELECT 1 FROM events c WHERE c.kind = 'config_error' AND c.log_group = d.log_group" \
	" AND c.ts <= d.ts AND d.ts < strftime('%Y-%m-%dT%H:%M:%SZ', c.ts, '+1 hour')) ELSE 0 END)"

static const struct {
	const char *table, *sql;
} expect[] = {
	{"rollup_minutes",
	 "SELECT substr(ts, 1, 16), IFNULL(cluster, ''), COUNT(*), SUM(outcome IS 'granted'), SUM(outcome IS 'denied'),"
	 " SUM(outcome IS 'denied' AND expected = 0), SUM(kind = 'sts_response'), SUM(kind = 'config_error')"
	 " FROM events GROUP BY 1, 2"},
	{"rollup_denials",
	 "SELECT substr(d.ts, 1, 13), IFNULL(d.error_class, char(0)), IFNULL(d.principal_arn, char(0)),"
	 " IFNULL(d.cluster, ''), d.log_group, IFNULL(NULLIF(d.sts_region, ''), ''), d.expected, " IN_BREAK ","
	 " IFNULL((SELECT MAX(first_event_id) FROM imports i WHERE i.first_event_id <= d.id), 1),"
	 " COUNT(*), MIN(d.ts), MAX(d.ts) FROM events d WHERE d.outcome = 'denied' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"},
	{"rollup_denial_pairs",
	 "SELECT IFNULL(cluster, ''), IFNULL(error_class, char(0)), IFNULL(principal_arn, char(0)), MIN(id) FROM events"
	 " WHERE outcome = 'denied' GROUP BY 1, 2, 3"},
	{"rollup_principals",
	 "SELECT IFNULL(cluster, ''), IFNULL(principal_arn, arn), MIN(ts), MAX(ts), SUM(outcome IS 'granted'),"
	 " SUM(outcome IS 'denied'), COUNT(outcome), MAX(expected), COUNT(*) FROM events WHERE kind = 'access'"
	 " AND IFNULL(principal_arn, arn) IS NOT NULL GROUP BY 1, 2"},
	{"rollup_principal_ids",
	 "SELECT IFNULL(cluster, ''), principal_arn, MIN(id) FROM events WHERE principal_arn IS NOT NULL GROUP BY 1, 2"},
	{"rollup_creators",
	 "SELECT IFNULL(cluster, ''), IFNULL(principal_arn, IFNULL(arn, IFNULL(uid, '(unknown)'))), MIN(ts), MAX(ts),"
	 " COUNT(*) FROM events WHERE outcome = 'granted' AND username = 'kubernetes-admin' GROUP BY 1, 2"},
};

/* Every rollup table equals its aggregate (both ways of EXCEPT), and the
 * watermark is the last event. */
static void check_rollups(sqlite3 *db, const char *when)
{
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		char sql[4096];
		snprintf(sql, sizeof(sql),
			 "SELECT (SELECT COUNT(*) FROM (SELECT * FROM %s EXCEPT %s))"
			 " + (SELECT COUNT(*) FROM (%s EXCEPT SELECT * FROM %s))"
			 " + ABS((SELECT COUNT(*) FROM %s) - (SELECT COUNT(*) FROM (%s)))",
			 expect[i].table, expect[i].sql, expect[i].sql, expect[i].table, expect[i].table, expect[i].sql);
		is_int(scalar(db, sql), 0, "%s: %s equals the aggregate of events", when, expect[i].table);
	}
	is_int(scalar(db, "SELECT (SELECT last_event_id FROM rollup_state) = (SELECT IFNULL(MAX(id), 0) FROM events)"),
	       1, "%s: the watermark is the last event", when);
}

/* ---- events ---- */

struct ev {
	const char *ts, *group, *cluster, *kind, *outcome, *parn, *arn, *user, *uid, *cls, *region;
	int expected;
};

/* The same element of the same array is the same line (a duplicate when
 * imported again). */
static int put(struct store *s, const struct ev *e, int *inserted, const char *raw_override)
{
	char raw[256], err[256];
	struct store_event ev = {0};
	snprintf(raw, sizeof(raw), "time=\"%s\" line %p", e->ts, (const void *)e);
	ev.ts = e->ts;
	ev.log_group = e->group ? e->group : "";
	ev.log_stream = "authenticator-0";
	ev.cluster = e->cluster;
	ev.kind = e->kind;
	ev.level = "info";
	ev.msg = e->outcome ? (strcmp(e->outcome, "denied") ? "access granted" : "access denied") : e->kind;
	ev.outcome = e->outcome;
	ev.arn = e->arn;
	ev.username = e->user;
	ev.uid = e->uid;
	ev.error_class = e->cls;
	if (e->outcome && !strcmp(e->outcome, "denied")) {
		ev.error = e->cls ? e->cls : "something";
		ev.error_len = strlen(ev.error);
	}
	ev.sts_region = e->region;
	ev.principal_arn = e->parn;
	ev.expected = e->expected;
	ev.raw = raw_override ? raw_override : raw;
	ev.raw_len = strlen(ev.raw);
	const char *parts[3] = {ev.log_group, ev.log_stream, ev.raw};
	size_t lens[3] = {strlen(ev.log_group), strlen(ev.log_stream), ev.raw_len};
	ev.dedupe_key = store_key(parts, lens, 3);
	int ins = 0;
	int rc = store_insert(s, &ev, &ins, err, sizeof(err));
	if (inserted)
		*inserted = ins;
	if (rc)
		printf("# insert: %s\n", err);
	return rc;
}

#define G1 "/aws/eks/alpha/cluster"
#define G2 "/aws/eks/beta/cluster"
#define ROLE(n) "arn:aws:iam::111122223333:role/" n
#define USER(n) "arn:aws:iam::111122223333:user/" n

/* A day of traffic on two clusters, minute by minute around a few hours. */
static const struct ev day1[] = {
	{"2023-06-13T08:59:59Z", G1, "alpha", "sts_response", NULL, ROLE("dev"), "arn:aws:sts::111122223333:assumed-role/dev/s1", NULL, NULL, NULL, NULL, 0},
	{"2023-06-13T09:00:00Z", G1, "alpha", "access", "granted", ROLE("dev"), ROLE("dev"), "dev", "aws-iam-authenticator:1:AROA1", NULL, NULL, 0},
	{"2023-06-13T09:00:00Z", G1, "alpha", "access", "granted", USER("creator"), USER("creator"), "kubernetes-admin", "u1", NULL, NULL, 0},
	{"2023-06-13T09:00:30Z", G1, "alpha", "access", "denied", ROLE("ci"), ROLE("ci"), NULL, NULL, "not_mapped", "eu-west-1", 0},
	{"2023-06-13T09:00:31Z", G1, "alpha", "access", "denied", NULL, NULL, NULL, NULL, "token_expired", "", 0},
	{"2023-06-13T09:01:02Z", G1, "alpha", "access", "denied", NULL, NULL, NULL, NULL, "token_expired", NULL, 0},
	{"2023-06-13T09:14:59Z", G1, "alpha", "config_error", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
	{"2023-06-13T09:14:59Z", G1, "alpha", "config_error", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
	{"2023-06-13T09:20:00Z", G1, "alpha", "access", "denied", ROLE("ci"), ROLE("ci"), NULL, NULL, "not_mapped", NULL, 0},
	{"2023-06-13T09:59:59Z", G1, "alpha", "access", "denied", ROLE("node"), ROLE("node"), NULL, NULL, "not_mapped", NULL, 0},
	{"2023-06-13T10:14:59Z", G1, "alpha", "access", "denied", ROLE("node"), ROLE("node"), NULL, NULL, "not_mapped", NULL, 0},
	{"2023-06-13T10:15:00Z", G1, "alpha", "access", "denied", ROLE("node"), ROLE("node"), NULL, NULL, "not_mapped", NULL, 0},
	{"2023-06-13T10:15:00Z", G1, "alpha", "access", "denied", ROLE("nodemgr"), ROLE("nodemgr"), "eks:node-manager", NULL, "sts_throttled", NULL, 1},
	{"2023-06-13T10:30:00Z", G1, "alpha", "access", "granted", NULL, "arn:aws:iam::x:weird", "someone", NULL, NULL, NULL, 0},
	{"2023-06-13T10:31:00Z", G1, NULL, "access", "denied", ROLE("dev"), ROLE("dev"), NULL, NULL, "signature_mismatch", "us-east-2", 0},
	{"2023-06-13T11:45:10Z", G2, "beta", "access", "denied", ROLE("dev"), ROLE("dev"), NULL, NULL, "not_mapped", NULL, 0},
	{"2023-06-13T11:50:00Z", G2, "beta", "access", "denied", ROLE("ops"), ROLE("ops"), NULL, NULL, "not_mapped", NULL, 0},
	{"2023-06-13T12:20:00Z", G2, "beta", "access", "denied", NULL, NULL, NULL, NULL, NULL, NULL, 0},
	{"2023-06-13T12:29:00Z", G2, "beta", "access", "denied", NULL, NULL, NULL, NULL, "not_mapped", NULL, 0},
	{"2023-06-13T12:40:00Z", G2, "beta", "mapping", NULL, ROLE("node"), NULL, "system:node:{{EC2PrivateDNSName}}", NULL, NULL, NULL, 0},
	{"2023-06-13T13:00:00Z", G2, "beta", "access", "granted", USER("creator"), USER("creator"), "kubernetes-admin", "u1", NULL, NULL, 0},
	{"2023-06-13T13:00:00Z", G2, "beta", "access", "granted", NULL, NULL, "kubernetes-admin", NULL, NULL, NULL, 0},
};

/* Arrives later: config errors of beta that explain not_mapped denials
 * already stored, and new traffic. */
static const struct ev day2[] = {
	{"2023-06-13T11:30:00Z", G2, "beta", "config_error", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
	{"2023-06-13T12:19:00Z", G2, "beta", "config_error", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
	{"2023-06-14T08:00:00Z", G1, "alpha", "access", "denied", ROLE("ci"), ROLE("ci"), NULL, NULL, "not_mapped", NULL, 0},
	{"2023-06-14T08:00:01Z", G1, "alpha", "access", "denied", ROLE("newbie"), ROLE("newbie"), NULL, NULL, "not_mapped", NULL, 0},
	{"2023-06-14T08:00:02Z", G1, "alpha", "access", "granted", ROLE("newbie"), ROLE("newbie"), "newbie", NULL, NULL, NULL, 0},
	{"2023-06-14T08:05:00Z", G1, "alpha", "access", "denied", ROLE("dev"), ROLE("dev"), NULL, NULL, "token_expired", NULL, 0},
	{"2023-06-14T09:00:00Z", G2, "gamma", "access", "denied", ROLE("ci"), ROLE("ci"), NULL, NULL, "not_mapped", NULL, 0},
	/* a class-less denial again: new for NEW_DENIAL whenever it is in the run */
	{"2023-06-14T09:30:00Z", G2, "beta", "access", "denied", NULL, NULL, NULL, NULL, NULL, NULL, 0},
};

/* The fetcher's runs (what the summary lines read: the last complete
 * scan, the bytes billed): a complete and a partial run of alpha's group,
 * one of beta's, one of a group the clusters table gives gamma, one of a
 * group no cluster has. */
static const char scans_sql[] =
	"INSERT INTO scan_runs(log_group, query, window_start, window_end, started, finished, status, rows, queries,"
	" bytes_scanned, records_scanned, records_matched) VALUES"
	" ('" G1 "', 'scan', '2023-06-13T00:00:00Z', '2023-06-14T00:00:00Z', '2023-06-14T00:00:01Z',"
	"  '2023-06-14T00:00:05Z', 'complete', 12, 3, 1000.0, 10.0, 6.0),"
	" ('" G1 "', 'scan', '2023-06-14T00:00:00Z', '2023-06-14T12:00:00Z', '2023-06-14T12:00:01Z',"
	"  '2023-06-14T12:00:09Z', 'partial', 3, 2, 500.0, 10.0, 6.0),"
	" ('" G2 "', 'scan', '2023-06-13T10:00:00Z', '2023-06-13T12:00:00Z', '2023-06-13T12:00:01Z',"
	"  '2023-06-13T12:01:00Z', 'complete', 4, 1, 250.5, 10.0, 6.0),"
	" ('/aws/eks/gamma-logs/cluster', 'scan', '2023-06-14T08:00:00Z', '2023-06-14T10:00:00Z',"
	"  '2023-06-14T10:00:01Z', '2023-06-14T10:00:02Z', 'complete', 0, 1, 42.0, 1.0, 0.0),"
	" ('/other/group', 'scan', '2023-06-13T00:00:00Z', '2023-06-15T00:00:00Z', '2023-06-15T00:00:01Z',"
	"  '2023-06-15T00:00:02Z', 'complete', 0, 1, 7.0, 1.0, 0.0);"
	"INSERT INTO clusters(name, region, log_group, source, updated_at) VALUES"
	" ('gamma', 'eu-west-1', '/aws/eks/gamma-logs/cluster', 'scan', '2023-06-14T10:00:02Z');";

static struct store *open_write(const char *path)
{
	struct store *s = NULL;
	char err[256];
	if (store_open(path, STORE_WRITE, &s, err, sizeof(err)) != AL_OK)
		printf("# open %s: %s\n", path, err);
	return s;
}

/* One import run of n events in batches of `batch`; the batch numbered
 * rollback_batch (1-based, 0 = none) is rolled back. */
static void import_run(struct store *s, const struct ev *v, size_t n, size_t batch, size_t rollback_batch,
		       const char *what)
{
	char err[256];
	int64_t id;
	size_t nb = 0;
	int ok_all = store_begin(s, err, sizeof(err)) == AL_OK &&
		     store_import_begin(s, what, &id, err, sizeof(err)) == AL_OK;
	if (n == 0)
		ok_all = ok_all && store_import_end(s, id, 0, 0, 0, err, sizeof(err)) == AL_OK &&
			 store_commit(s, err, sizeof(err)) == AL_OK;
	for (size_t i = 0; i < n && ok_all; i++) {
		ok_all = put(s, &v[i], NULL, NULL) == AL_OK;
		if ((i + 1) % batch == 0 || i + 1 == n) {
			nb++;
			if (nb == rollback_batch) {
				store_rollback(s);
				ok_all = store_begin(s, err, sizeof(err)) == AL_OK;
				continue;
			}
			if (i + 1 == n)
				ok_all = ok_all && store_import_end(s, id, 0, 0, 0, err, sizeof(err)) == AL_OK;
			ok_all = ok_all && store_commit(s, err, sizeof(err)) == AL_OK;
			check_rollups(store_db(s), what);
			if (i + 1 < n)
				ok_all = ok_all && store_begin(s, err, sizeof(err)) == AL_OK;
		}
	}
	ok(ok_all, "%s: imported (%s)", what, ok_all ? "" : err);
}

/* ---- the report both ways ---- */

static char *report_text(sqlite3 *db, struct report_opts o, int from_events, int *rc)
{
	char *text = NULL, err[256];
	size_t len = 0;
	long long denials = 0;
	FILE *f = open_memstream(&text, &len);
	*rc = (from_events ? report_oracle_run : report_run)(db, &o, f, &denials, err, sizeof(err));
	fclose(f);
	if (*rc)
		printf("# report: %s\n", err);
	return text;
}

static int same_reports(sqlite3 *db, const struct report_opts *o, const char *what)
{
	int rc1, rc2;
	char *a = report_text(db, *o, 0, &rc1), *b = report_text(db, *o, 1, &rc2);
	int same = rc1 == AL_OK && rc2 == AL_OK && strcmp(a, b) == 0;
	if (!same) {
		printf("# %s differs; from the rollups:\n%s\n# from the events:\n%s\n", what, a, b);
	}
	free(a);
	free(b);
	return same;
}

static const char *const windows[][2] = {
	{NULL, NULL},
	{"2023-06-13T09:00:00Z", "2023-06-13T13:00:00Z"},
	{"2023-06-13T09:00:31Z", "2023-06-13T12:29:00Z"},
	{"2023-06-13T09:14:59Z", "2023-06-13T10:15:00Z"},
	{"2023-06-13T10:14:00Z", "2023-06-13T10:16:00Z"},
	{"2023-06-13T10:14:30Z", "2023-06-13T10:15:30Z"},
	{"2023-06-13T10:15:00Z", "2023-06-13T10:15:01Z"},
	{"2023-06-13T11:46:00Z", NULL},
	{NULL, "2023-06-13T10:15:00Z"},
	{"2023-06-13T12:00:00Z", "2023-06-13T11:00:00Z"},
	{"2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"},
	{"2023-06-14T08:00:00Z", "2023-06-14T08:00:02Z"},
};

static void compare_reports(sqlite3 *db, const char *what)
{
	int64_t news[12] = {0, 1};
	size_t nnews = 2;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT first_event_id FROM imports WHERE first_event_id IS NOT NULL"
				   " ORDER BY 1 LIMIT 5", -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW && nnews < 7)
			news[nnews++] = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	/* not an import's first id: one segment is cut (the last, the first,
	 * none: past every id) */
	news[nnews] = news[nnews - 1] + 1;
	news[nnews + 1] = 3;
	news[nnews + 2] = 1000000;
	nnews += 3;
	int all_same = 1, runs = 0;
	for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
		for (size_t n = 0; n < nnews; n++) {
			for (int f = 0; f < 3; f++) {
				for (int top = 1; top <= 10; top += 9) {
					struct report_opts o = {.since = windows[w][0], .until = windows[w][1],
								.format = (enum report_format)f, .top = top,
								.new_from = news[n], .news_from = news[(n + 1) % nnews],
								.color = f == 0 && n == 0};
					char label[200];
					snprintf(label, sizeof(label), "%s: window %zu, new %lld, format %d, top %d", what, w,
						 (long long)news[n], f, top);
					all_same &= same_reports(db, &o, label);
					runs++;
				}
			}
		}
	}
	/* One cluster's report: alpha and beta, gamma (later), the events
	 * that name none, and one that has none. */
	static const char *const clusters[] = {"alpha", "beta", "gamma", "", "other"};
	for (size_t c = 0; c < sizeof(clusters) / sizeof(clusters[0]); c++) {
		for (size_t w = c % 3; w < sizeof(windows) / sizeof(windows[0]); w += 3) {
			for (size_t n = 0; n < nnews; n++) {
				struct report_opts o = {.since = windows[w][0], .until = windows[w][1],
							.format = w % 2 ? REPORT_JSON : REPORT_MARKDOWN, .top = 10,
							.new_from = news[n], .news_from = news[(n + 2) % nnews],
							.cluster = clusters[c], .region = "ap-south-1"};
				char label[200];
				snprintf(label, sizeof(label), "%s: cluster '%s', window %zu, new %lld", what, clusters[c], w,
					 (long long)news[n]);
				all_same &= same_reports(db, &o, label);
				runs++;
			}
		}
	}
	ok(all_same, "%s: %d reports from the rollups are byte for byte those from the events", what, runs);
}

/* The rollups are what the report reads: a changed rollup changes it. */
static void rollups_are_read(const char *path)
{
	struct store *s = open_write(path);
	sqlite3 *db = store_db(s);
	struct report_opts o = {.format = REPORT_JSON, .top = 10};
	int rc;
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL); /* rolled back below */
	char *before = report_text(db, o, 0, &rc);
	sqlite3_exec(db, "UPDATE rollup_minutes SET granted = granted + 1000", NULL, NULL, NULL);
	char *after = report_text(db, o, 0, &rc);
	char *events = report_text(db, o, 1, &rc);
	ok(strcmp(before, after) != 0 && strstr(after, "\"granted\":6,") == NULL, "the report reads rollup_minutes");
	ok(strcmp(before, events) == 0, "the events say what they said");
	/* a watermark behind the events (a hand-written row): the report refuses */
	sqlite3_exec(db, "UPDATE rollup_state SET last_event_id = last_event_id - 1", NULL, NULL, NULL);
	char *stale = report_text(db, o, 0, &rc);
	is_int(rc, AL_DATAERR, "rollups that miss an event are not used");
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	free(before);
	free(after);
	free(events);
	free(stale);
	store_close(s);
}

/* ---- a version-2 database ---- */

/* The same events and imports in a database of schema version 2 (the
 * events view has the columns of the version-2 table, in order). */
static int make_v2(const char *from, const char *to)
{
	sqlite3 *db;
	char sql[1024];
	if (sqlite3_open(to, &db) != SQLITE_OK)
		return -1;
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS src", from);
	/* Version 2 is what the first two migrations make. */
	int rc = sqlite3_exec(db, store_migration(0), NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, store_migration(1), NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db,
				  "INSERT INTO imports SELECT id, source, started, finished, imported, duplicates, skipped,"
				  " first_event_id FROM src.imports;"
				  "INSERT INTO events SELECT * FROM src.events ORDER BY id;"
				  "PRAGMA user_version = 2; PRAGMA application_id = 1096109139;",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		printf("# v2: %s\n", sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static void test_migration(const char *grown)
{
	char *v2 = path_in("v2.db");
	ok(make_v2(grown, v2) == 0, "a version-2 database with the same events");
	struct store *s = open_write(v2);
	ok(s != NULL, "the version-2 database opens for writing (migrates)");
	if (!s)
		return;
	sqlite3 *db = store_db(s);
	is_int(scalar(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION, "migrated to version %d", STORE_SCHEMA_VERSION);
	check_rollups(db, "after the migration");
	char sql[2048];
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT (SELECT COUNT(*) FROM (SELECT * FROM %s EXCEPT SELECT * FROM g.%s))"
			 " + (SELECT COUNT(*) FROM (SELECT * FROM g.%s EXCEPT SELECT * FROM %s))",
			 expect[i].table, expect[i].table, expect[i].table, expect[i].table);
		char att[600];
		snprintf(att, sizeof(att), "ATTACH '%s' AS g", grown);
		sqlite3_exec(db, att, NULL, NULL, NULL);
		is_int(scalar(db, sql), 0, "%s built by the migration = grown batch by batch", expect[i].table);
		sqlite3_exec(db, "DETACH g", NULL, NULL, NULL);
	}
	compare_reports(db, "migrated");
	/* and it keeps growing from there */
	import_run(s, day2, 3, 2, 0, "after the migration");
	store_close(s);
}

/* A version-3 database (the schema before rollups): the migration builds
 * them; also when rollup tables survived a downgrade (rebuilt, not kept). */
static void test_from_v3(const char *grown)
{
	static const char *const variants[] = {
		"DROP TABLE rollup_state; DROP TABLE rollup_minutes; DROP TABLE rollup_denials;"
		" DROP TABLE rollup_denial_pairs; DROP TABLE rollup_principals; DROP TABLE rollup_principal_ids;"
		" DROP TABLE rollup_creators; DROP INDEX event_rows_denied_ts; DROP INDEX imports_first_event;"
		" PRAGMA user_version = 3;",
		"UPDATE rollup_minutes SET events = 0; DELETE FROM rollup_denials;"
		" PRAGMA user_version = 3;",
	};
	for (size_t v = 0; v < 2; v++) {
		char *path = path_in(v ? "v3-leftovers.db" : "v3.db"), cmd[1200];
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", grown, path);
		sqlite3 *db = NULL;
		int made = system(cmd) == 0 && sqlite3_open(path, &db) == SQLITE_OK;
		made = made && sqlite3_exec(db, variants[v], NULL, NULL, NULL) == SQLITE_OK;
		sqlite3_close(db);
		ok(made, "a version-3 database%s", v ? " with stale rollup tables" : "");
		struct store *s = open_write(path);
		ok(s != NULL, "opens for writing (migrates)");
		if (!s)
			continue;
		check_rollups(store_db(s), v ? "from version 3, stale tables" : "from version 3");
		store_close(s);
	}
}

/* rollup_update folds the rows store_insert kept when they are all the
 * batch's rows, else reads them back: a batch with a row another statement
 * stored, and one where a row the batch stored is deleted again. */
static void others_rows(void)
{
	char err[256];
	struct store *s = open_write(path_in("others.db"));
	ok(s != NULL, "others: new database");
	if (!s)
		return;
	sqlite3 *db = store_db(s);
	import_run(s, day1, sizeof(day1) / sizeof(day1[0]), 1000, 0, "others: one batch");
	int ok_all = store_begin(s, err, sizeof(err)) == AL_OK && put(s, &day2[0], NULL, "other 1") == AL_OK &&
		     sqlite3_exec(db,
				  "INSERT INTO event_rows(ts, dedupe_key, import_id, stream_id, identity_id, error_id,"
				  " shape_id, kind, outcome, client, ptr, access_key_id, raw)"
				  " SELECT '2023-06-15T12:00:00Z', dedupe_key, import_id, stream_id, identity_id, error_id,"
				  " shape_id, kind, outcome, client, ptr, access_key_id, raw FROM event_rows"
				  " WHERE outcome = 'denied' ORDER BY id LIMIT 1",
				  NULL, NULL, NULL) == SQLITE_OK &&
		     put(s, &day2[1], NULL, "other 2") == AL_OK && store_commit(s, err, sizeof(err)) == AL_OK;
	ok(ok_all, "others: a batch with a row stored by another statement (%s)", ok_all ? "" : err);
	check_rollups(db, "others: another statement's row");
	long long before = scalar(db, "SELECT COUNT(*) FROM events");
	ok_all = store_begin(s, err, sizeof(err)) == AL_OK && put(s, &day2[2], NULL, "other 3") == AL_OK &&
		 put(s, &day2[3], NULL, "other 4") == AL_OK && put(s, &day2[4], NULL, "other 5") == AL_OK &&
		 sqlite3_exec(db, "DELETE FROM event_rows WHERE id = (SELECT MAX(id) - 1 FROM event_rows)", NULL, NULL,
			      NULL) == SQLITE_OK &&
		 store_commit(s, err, sizeof(err)) == AL_OK;
	ok(ok_all, "others: a batch with one of its rows deleted (%s)", ok_all ? "" : err);
	is_int(scalar(db, "SELECT COUNT(*) FROM events"), before + 2, "others: two of the three rows stay");
	check_rollups(db, "others: a deleted row");
	store_close(s);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	if (classify_init() != 0)
		return 1;
	setenv("AWS_REGION", "eu-central-1", 1);

	char *grown = path_in("grown.db");
	struct store *s = open_write(grown);
	ok(s != NULL, "new database");
	if (!s)
		return 1;
	check_rollups(store_db(s), "empty");
	size_t n1 = sizeof(day1) / sizeof(day1[0]), n2 = sizeof(day2) / sizeof(day2[0]);
	/* batches of 4; the third is rolled back and stored by the next run */
	import_run(s, day1, n1, 4, 3, "first import");
	import_run(s, day1, n1, 5, 0, "the same file again (duplicates and the rolled-back rows)");
	is_int(scalar(store_db(s), "SELECT COUNT(*) FROM events"), (long long)n1, "every event once");
	/* an empty run, then the late config errors and new traffic */
	import_run(s, day1, 0, 1, 0, "an empty import");
	import_run(s, day2, n2, 3, 0, "late config errors and a new day");
	is_int(scalar(store_db(s), "SELECT COUNT(*) FROM rollup_denials WHERE in_break = 1 AND log_group = '" G2 "'"),
	       4, "late config errors turned stored not_mapped (and NULL-class) denials into a broken ConfigMap");
	is_int(sqlite3_exec(store_db(s), scans_sql, NULL, NULL, NULL), SQLITE_OK, "scan runs and a clusters row");
	compare_reports(store_db(s), "grown");
	store_close(s);

	rollups_are_read(grown);
	test_from_v3(grown);
	test_migration(grown);
	others_rows(); /* last: path_in's buffers would reuse the one grown is in */

	classify_cleanup();
	int rc = tap_done();
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
