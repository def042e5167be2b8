/* store: creation (0600, parents), migrations and version checks, dedupe,
 * transactions, read-only opens, the default path. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/authlog-test-store-XXXXXX";

static char *path_in(const char *name)
{
	static char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static long long count(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;
	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static struct store_event sample(const char *raw)
{
	struct store_event ev = {0};
	ev.ts = "2022-12-28T15:37:19Z";
	ev.log_group = "/aws/eks/demo/cluster";
	ev.log_stream = "authenticator-abc";
	ev.cluster = "demo";
	ev.kind = "access";
	ev.msg = "access denied";
	ev.outcome = "denied";
	ev.error = "ARN is not mapped";
	ev.error_len = strlen(ev.error);
	ev.error_class = "not_mapped";
	ev.principal_arn = "arn:aws:iam::111122223333:role/admin";
	ev.raw = raw;
	ev.raw_len = strlen(raw);
	const char *parts[3] = {ev.log_group, ev.log_stream, raw};
	size_t lens[3] = {strlen(ev.log_group), strlen(ev.log_stream), strlen(raw)};
	ev.dedupe_key = store_key(parts, lens, 3);
	return ev;
}

static void test_create_and_dedupe(void)
{
	struct store *s = NULL;
	char err[256];
	char *db = path_in("a/b/c.db");
	is_int(store_open(db, STORE_WRITE, &s, err, sizeof(err)), AL_OK, "created with parent directories");
	struct stat st;
	ok(stat(db, &st) == 0 && (st.st_mode & 0777) == 0600, "database file is 0600");
	is_int(count(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION, "schema version set");
	is_int(count(s, "PRAGMA application_id"), 0x41554c53, "application id set");

	int inserted = -1;
	struct store_event ev = sample("line one");
	is_int(store_begin(s, err, sizeof(err)), AL_OK, "begin");
	is_int(store_insert(s, &ev, &inserted, err, sizeof(err)), AL_OK, "insert");
	is_int(inserted, 1, "new row inserted");
	is_int(store_insert(s, &ev, &inserted, err, sizeof(err)), AL_OK, "insert again");
	is_int(inserted, 0, "same key is a duplicate");
	struct store_event ev2 = sample("line two");
	store_insert(s, &ev2, &inserted, err, sizeof(err));
	is_int(inserted, 1, "other line inserted");
	is_int(store_commit(s, err, sizeof(err)), AL_OK, "commit");
	is_int(count(s, "SELECT COUNT(*) FROM events"), 2, "two rows");
	is_int(count(s, "SELECT COUNT(*) FROM denials"), 2, "denials view");
	is_int(count(s, "SELECT count FROM findings"), 2, "findings view groups by class and principal");

	/* A rolled-back batch leaves nothing behind. */
	struct store_event ev3 = sample("line three");
	store_begin(s, err, sizeof(err));
	store_insert(s, &ev3, &inserted, err, sizeof(err));
	store_rollback(s);
	is_int(count(s, "SELECT COUNT(*) FROM events"), 2, "rollback keeps the committed rows only");

	/* No fix is stored: one rendered before the cluster's mode is known
	 * would be wrong once it is (schema version 6). */
	is_int(count(s, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'fixes'"), 0, "no fixes table");
	is_int(count(s, "SELECT COUNT(*) FROM pragma_table_info('findings') WHERE name = 'fix'"), 0,
	       "findings has no fix column");
	store_close(s);

	/* Re-open: nothing to migrate, data still there. */
	is_int(store_open(db, STORE_WRITE, &s, err, sizeof(err)), AL_OK, "re-open");
	is_int(count(s, "SELECT COUNT(*) FROM events"), 2, "rows kept across opens");
	store_close(s);
}

static void test_readonly(void)
{
	struct store *s = NULL;
	char err[256];
	is_int(store_open(path_in("missing.db"), STORE_READONLY, &s, err, sizeof(err)), AL_NOINPUT,
	       "read-only open of a missing database");
	ok(strstr(err, "missing.db") != NULL, "error names the file");
	ok(access(path_in("missing.db"), F_OK) != 0, "read-only open creates nothing");
	is_int(store_open(path_in("a/b/c.db"), STORE_READONLY, &s, err, sizeof(err)), AL_OK, "read-only open");
	char *msg = NULL;
	int rc = sqlite3_exec(store_db(s), "DELETE FROM events", NULL, NULL, &msg);
	ok(rc != SQLITE_OK, "writes fail on a read-only connection");
	sqlite3_free(msg);
	is_int(count(s, "SELECT COUNT(*) FROM events"), 2, "nothing deleted");
	store_close(s);
}

static void test_versions(void)
{
	struct store *s = NULL;
	char err[256];
	sqlite3 *db;
	/* A database written by a newer authlog-scan. */
	sqlite3_open(path_in("new.db"), &db);
	sqlite3_exec(db, "PRAGMA application_id = 1096109139; PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	is_int(store_open(path_in("new.db"), STORE_WRITE, &s, err, sizeof(err)), AL_DATAERR, "newer schema refused");
	ok(strstr(err, "99") != NULL && strstr(err, "newer") != NULL, "message says it is newer: %s", err);

	/* Someone else's SQLite file. */
	sqlite3_open(path_in("other.db"), &db);
	sqlite3_exec(db, "PRAGMA application_id = 42; CREATE TABLE t(x)", NULL, NULL, NULL);
	sqlite3_close(db);
	is_int(store_open(path_in("other.db"), STORE_WRITE, &s, err, sizeof(err)), AL_DATAERR,
	       "foreign application id refused");

	/* Not a database at all. */
	FILE *f = fopen(path_in("text.db"), "w");
	fputs("this is not sqlite, just text that is long enough to have a header.........................\n", f);
	fclose(f);
	ok(store_open(path_in("text.db"), STORE_WRITE, &s, err, sizeof(err)) != AL_OK, "a text file is refused");

	/* An empty (version 0) database is migrated, and read-only opens say so. */
	sqlite3_open(path_in("old.db"), &db);
	sqlite3_close(db);
	is_int(store_open(path_in("old.db"), STORE_READONLY, &s, err, sizeof(err)), AL_NOINPUT,
	       "read-only open of an unmigrated database asks for an import");
	is_int(store_open(path_in("old.db"), STORE_WRITE, &s, err, sizeof(err)), AL_OK, "version 0 migrated");
	is_int(count(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION, "now at the current version");
	store_close(s);
}

static long long dangling(struct store *s)
{
	return count(s, "SELECT COUNT(*) FROM event_rows r"
			" LEFT JOIN identities i ON i.id = r.identity_id"
			" LEFT JOIN errors e ON e.id = r.error_id"
			" LEFT JOIN streams t ON t.id = r.stream_id"
			" WHERE (r.identity_id IS NOT NULL AND i.id IS NULL)"
			"    OR (r.error_id IS NOT NULL AND e.id IS NULL) OR t.id IS NULL");
}

static void test_interning(void)
{
	struct store *s = NULL;
	char err[256];
	int inserted = 0;
	is_int(store_open(path_in("intern.db"), STORE_WRITE, &s, err, sizeof(err)), AL_OK, "open");

	/* A rolled-back batch takes its new identities with it: the next
	 * batch must not reference the ids it had learned. */
	struct store_event a = sample("line a");
	store_begin(s, err, sizeof(err));
	is_int(store_insert(s, &a, &inserted, err, sizeof(err)), AL_OK, "insert in a batch");
	store_rollback(s);
	is_int(count(s, "SELECT COUNT(*) FROM identities"), 0, "rollback removed the identity");
	store_begin(s, err, sizeof(err));
	is_int(store_insert(s, &a, &inserted, err, sizeof(err)), AL_OK, "insert again");
	struct store_event b = sample("line b");
	is_int(store_insert(s, &b, &inserted, err, sizeof(err)), AL_OK, "same principal, other line");
	struct store_event c = sample("line c");
	c.principal_arn = NULL;
	c.error = NULL;
	c.error_class = NULL;
	is_int(store_insert(s, &c, &inserted, err, sizeof(err)), AL_OK, "no principal, no error");
	struct store_event d = sample("line d");
	d.session = "";
	is_int(store_insert(s, &d, &inserted, err, sizeof(err)), AL_OK, "empty session");
	is_int(store_commit(s, err, sizeof(err)), AL_OK, "commit");
	is_int(dangling(s), 0, "every reference resolves");
	is_int(count(s, "SELECT COUNT(*) FROM identities"), 2, "one identity per distinct principal ('' is not NULL)");
	is_int(count(s, "SELECT COUNT(*) FROM errors"), 1, "one error row for three denials");
	is_int(count(s, "SELECT COUNT(*) FROM event_rows WHERE raw = 'line c' AND identity_id IS NULL"
			" AND error_id IS NULL"),
	       1, "a record without principal or error references none");
	is_int(count(s, "SELECT COUNT(*) FROM events WHERE principal_arn = 'arn:aws:iam::111122223333:role/admin'"
			" AND error = 'ARN is not mapped' AND log_stream = 'authenticator-abc' AND cluster = 'demo'"),
	       3, "the events view joins the columns back");
	is_int(count(s, "SELECT COUNT(*) FROM events WHERE session = ''"), 1, "'' kept apart from NULL");

	/* More principals than the in-memory table holds: still one row each. */
	char arn[64], raw[64];
	store_begin(s, err, sizeof(err));
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 6000; i++) {
			struct store_event ev = sample("x");
			snprintf(arn, sizeof(arn), "arn:aws:iam::111122223333:role/r%d", i);
			snprintf(raw, sizeof(raw), "line %d %d", pass, i);
			ev.principal_arn = arn;
			ev.raw = raw;
			ev.raw_len = strlen(raw);
			ev.dedupe_key = i * 2 + pass;
			store_insert(s, &ev, &inserted, err, sizeof(err));
		}
	is_int(store_commit(s, err, sizeof(err)), AL_OK, "commit 12,000 rows");
	is_int(count(s, "SELECT COUNT(*) FROM identities"), 6002, "6,000 more principals, each stored once");
	is_int(dangling(s), 0, "every reference resolves after the cache was emptied");
	store_close(s);
}

/* A version-2 database (events a table) is migrated to interned rows with
 * the same ids and the same columns through the view. */
static void test_migrate_v2(void)
{
	struct store *s = NULL;
	char err[256];
	sqlite3 *db;
	/* Version 2 is what the first two migrations make. */
	sqlite3_open(path_in("v2.db"), &db);
	int rc = sqlite3_exec(db, store_migration(0), NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, store_migration(1), NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db,
				"INSERT INTO events(id, ts, log_group, kind, msg, outcome, arn, error, error_class,"
				"  http_status, principal_arn, username, expected, raw, dedupe_key) VALUES"
				" (5, '2022-01-01T00:00:00Z', '/aws/eks/a/cluster', 'access', 'access denied', 'denied',"
				"  'arn:x', 'boom', 'sts_error', 403, 'arn:p', NULL, 0, 'r5', 1),"
				" (9, '2022-01-01T00:00:01Z', '', 'access', 'access granted', 'granted',"
				"  'arn:x', NULL, NULL, NULL, 'arn:p', 'u', 1, 'r9', 2),"
				" (12, '2022-01-01T00:00:02Z', '', 'mapping', 'mapping', NULL,"
				"  NULL, NULL, NULL, NULL, NULL, NULL, 0, 'r12', 3);"
				"PRAGMA user_version = 2; PRAGMA application_id = 1096109139;",
				NULL, NULL, NULL);
	is_int(rc, SQLITE_OK, "built a version-2 database");
	sqlite3_close(db);
	is_int(store_open(path_in("v2.db"), STORE_WRITE, &s, err, sizeof(err)), AL_OK, "migrated: %s", err);
	is_int(count(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION, "at the current version");
	is_int(count(s, "SELECT COUNT(*) FROM events WHERE id = 5 AND error = 'boom' AND http_status = 403"
			" AND principal_arn = 'arn:p' AND log_group = '/aws/eks/a/cluster' AND expected = 0"),
	       1, "denial keeps its id, error and principal");
	is_int(count(s, "SELECT COUNT(*) FROM events WHERE id = 9 AND error IS NULL AND username = 'u'"
			" AND expected = 1 AND log_group = ''"),
	       1, "grant keeps its principal, no error");
	is_int(count(s, "SELECT COUNT(*) FROM event_rows WHERE id = 12 AND identity_id IS NULL AND error_id IS NULL"),
	       1, "a record without principal or error references none");
	is_int(count(s, "SELECT COUNT(*) FROM identities"), 2, "two distinct identities");
	is_int(dangling(s), 0, "every reference resolves");
	/* New rows find the migrated identities (same key in C as in SQL). */
	struct store_event ev = sample("after");
	ev.log_group = "/aws/eks/a/cluster";
	ev.log_stream = "";
	ev.cluster = NULL;
	ev.arn = "arn:x";
	ev.principal_arn = "arn:p";
	ev.error = "boom";
	ev.error_len = 4;
	ev.error_class = "sts_error";
	ev.http_status = 403;
	int inserted = 0;
	is_int(store_insert(s, &ev, &inserted, err, sizeof(err)), AL_OK, "insert after migration");
	is_int(count(s, "SELECT COUNT(*) FROM identities"), 2, "C and SQL keys agree: identity reused");
	is_int(count(s, "SELECT COUNT(*) FROM errors"), 1, "C and SQL keys agree: error reused");
	is_int(count(s, "SELECT COUNT(*) FROM streams"), 2, "C and SQL keys agree: stream reused");
	store_close(s);
}

/* Version 4 is version 5 without clusters: a database at 4 with rows keeps
 * them, gains the table, and store_cluster_put keeps what it is not told. */
static void test_migrate_v4_clusters(void)
{
	struct store *s = NULL;
	char err[256];
	int inserted = 0, found = 0;
	is_int(store_open(path_in("v4.db"), STORE_WRITE, &s, err, sizeof(err)), AL_OK, "created: %s", err);
	struct store_event ev = sample("kept");
	is_int(store_begin(s, err, sizeof(err)), AL_OK, "begin");
	is_int(store_insert(s, &ev, &inserted, err, sizeof(err)), AL_OK, "a row stored");
	is_int(store_commit(s, err, sizeof(err)), AL_OK, "committed: %s", err);
	is_int(sqlite3_exec(store_db(s),
			    "DROP TABLE clusters; PRAGMA user_version = 4",
			    NULL, NULL, NULL),
	       SQLITE_OK,
	       "made a version-4 database");
	store_close(s);
	is_int(store_open(path_in("v4.db"), STORE_WRITE, &s, err, sizeof(err)), AL_OK, "migrated: %s", err);
	is_int(count(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION, "at the current version");
	is_int(count(s, "SELECT COUNT(*) FROM events WHERE raw = 'kept' AND cluster = 'demo'"), 1, "the row is kept");
	is_int(count(s, "SELECT COUNT(*) FROM rollup_denials"), 1, "its rollup is kept");

	struct store_cluster c = {.name = "prod", .region = "eu-west-1", .account = "111122223333",
				  .auth_mode = "API", .auth_mode_defaulted = 0, .logging_types = "[\"authenticator\"]",
				  .endpoint = "https://x.eks.amazonaws.com", .checked_at = 1700000000, .described = 1,
				  .authenticator_streams = 1, .logging_off = 0, .source = "scan"};
	is_int(store_cluster_put(s, &c, err, sizeof(err)), AL_OK, "put: %s", err);
	struct store_cluster later = {.name = "prod", .region = "eu-west-1", .auth_mode_defaulted = -1,
				      .described = 1, .describe_error = "DescribeCluster: AccessDeniedException",
				      .authenticator_streams = 0, .logging_off = 1, .logging_off_reason = "no_streams",
				      .enable_logging = "aws eks update-cluster-config ...", .source = "scan"};
	is_int(store_cluster_put(s, &later, err, sizeof(err)), AL_OK, "put again: %s", err);
	struct store_cluster other = {.name = "prod", .region = "us-east-1", .auth_mode_defaulted = -1,
				      .authenticator_streams = -1, .logging_off = -1, .source = "import"};
	is_int(store_cluster_put(s, &other, err, sizeof(err)), AL_OK, "the same name in another region");
	struct store_cluster got;
	is_int(store_cluster_get(s, "prod", "eu-west-1", &got, &found, err, sizeof(err)), AL_OK, "get: %s", err);
	ok(found && strcmp(got.auth_mode, "API") == 0 && got.checked_at == 1700000000 &&
		   strcmp(got.account, "111122223333") == 0 && strcmp(got.endpoint, "https://x.eks.amazonaws.com") == 0,
	   "DescribeCluster's facts stay when a later one is denied");
	ok(strcmp(got.describe_error, "DescribeCluster: AccessDeniedException") == 0 && got.logging_off == 1 &&
		   got.authenticator_streams == 0 && strcmp(got.logging_off_reason, "no_streams") == 0 &&
		   got.enable_logging[0],
	   "the later check's logging facts replace the earlier");
	is_int(store_cluster_get(s, "prod", "us-east-1", &got, &found, err, sizeof(err)), AL_OK, "get the other");
	ok(found && got.logging_off == -1 && got.auth_mode_defaulted == -1 && !got.auth_mode[0] &&
		   strcmp(got.source, "import") == 0,
	   "unknown facts read back unknown");
	is_int(store_cluster_get(s, "prod", "ap-south-1", &got, &found, err, sizeof(err)), AL_OK, "get a missing one");
	is_int(found, 0, "not found");
	store_close(s);
}

/* store_has answers from a read-ahead of the index: it must agree with
 * the table whatever the order of the questions, across ranges, in a
 * second with more rows than one read-ahead, and after a rollback. */
static void test_has(void)
{
	struct store *s = NULL;
	char err[256], ts[32];
	int inserted = 0, found = 0;
	is_int(store_open(path_in("has.db"), STORE_WRITE, &s, err, sizeof(err)), AL_OK, "open");
	store_begin(s, err, sizeof(err));
	/* 10,000 rows over 100 seconds, then 6,000 in one second. */
	for (int i = 0; i < 16000; i++) {
		struct store_event ev = sample("r");
		snprintf(ts, sizeof(ts), "2022-01-01T00:%02d:%02dZ", i < 10000 ? i / 100 / 60 : 59,
			 i < 10000 ? i / 100 % 60 : 59);
		ev.ts = ts;
		ev.dedupe_key = i * 7;
		store_insert(s, &ev, &inserted, err, sizeof(err));
	}
	is_int(store_commit(s, err, sizeof(err)), AL_OK, "commit");
	int wrong = 0;
	for (int pass = 0; pass < 2; pass++)
		for (int j = 0; j < 16000; j++) {
			/* pass 0 in time order, pass 1 scattered */
			int i = pass ? (int)((j * 7919L) % 16000) : j;
			snprintf(ts, sizeof(ts), "2022-01-01T00:%02d:%02dZ", i < 10000 ? i / 100 / 60 : 59,
				 i < 10000 ? i / 100 % 60 : 59);
			for (int k = 0; k < 2; k++) {
				if (store_has(s, ts, strlen(ts), i * 7 + k, &found, err, sizeof(err)) != AL_OK)
					wrong++;
				wrong += found != (k == 0);
			}
		}
	is_int(wrong, 0, "64,000 answers agree with the table");

	/* Rows a rollback took back are not reported as stored (a fresh
	 * connection: its first question reads ahead inside the batch). */
	store_close(s);
	is_int(store_open(path_in("has.db"), STORE_WRITE, &s, err, sizeof(err)), AL_OK, "re-open");
	store_begin(s, err, sizeof(err));
	struct store_event ev = sample("late");
	ev.ts = "2023-01-01T00:00:00Z";
	ev.dedupe_key = 1;
	store_insert(s, &ev, &inserted, err, sizeof(err));
	store_has(s, ev.ts, 20, 1, &found, err, sizeof(err));
	is_int(found, 1, "seen inside its transaction");
	store_rollback(s);
	store_has(s, ev.ts, 20, 1, &found, err, sizeof(err));
	is_int(found, 0, "gone after the rollback");
	store_close(s);
}

static void test_key_and_path(void)
{
	/* Published XXH64 test values (seed 0): short, 4/8-byte and 32-byte stripe paths. */
	ok(store_xxh64("", 0, 0) == 0xEF46DB3751D8E999ULL, "xxh64 of empty input");
	ok(store_xxh64("a", 1, 0) == 0xD24EC4F1A98C6E5BULL, "xxh64 of 'a'");
	ok(store_xxh64("abc", 3, 0) == 0x44BC2CF5AD770999ULL, "xxh64 of 'abc'");
	const char *spam = "Nobody inspects the spammish repetition";
	ok(store_xxh64(spam, strlen(spam), 0) == 0xFBCEA83C8A378BF1ULL, "xxh64 of a 39-byte input");

	const char *a[2] = {"ab", "c"}, *b[2] = {"a", "bc"};
	size_t la[2] = {2, 1}, lb[2] = {1, 2};
	ok(store_key(a, la, 2) != store_key(b, lb, 2), "part boundaries matter in the key");
	ok(store_key(a, la, 2) == store_key(a, la, 2), "key is deterministic");

	setenv("AUTHLOG_DB", "/x/y.db", 1);
	char *p = store_default_path();
	is_str(p, "/x/y.db", "$AUTHLOG_DB wins");
	free(p);
	unsetenv("AUTHLOG_DB");
	setenv("XDG_DATA_HOME", "/xdg", 1);
	p = store_default_path();
	is_str(p, "/xdg/authlog-scan/authlog.db", "$XDG_DATA_HOME next");
	free(p);
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", "/home/u", 1);
	p = store_default_path();
	is_str(p, "/home/u/.local/share/authlog-scan/authlog.db", "~/.local/share last");
	free(p);
}

/* A copy needs nothing of what it was copied from: import's reading
 * thread reuses its buffers while the copy waits to be stored. */
static void test_event_copy(void)
{
	static const char *const names[] = {"ts", "group", "stream", "ptr", "cluster", "kind", "level", "msg",
					    "outcome", "arn", "client", "class", "sts_code", "sts_region", "mapped",
					    "username", "groups", "uid", "user_id", "account", "ptype", "pname",
					    "parn", "akid", "session", "endpoint", "raw", "error"};
	enum { N = sizeof(names) / sizeof(names[0]) };
	char *v[N];
	for (size_t i = 0; i < N; i++) {
		v[i] = malloc(32);
		snprintf(v[i], 32, "%s-value", names[i]);
	}
	memcpy(v[N - 1], "err\0or", 7); /* error= may hold a NUL once unquoted: its length counts */
	struct store_event ev = {
		.ts = v[0], .log_group = v[1], .log_stream = v[2], .ptr = v[3], .cluster = v[4], .kind = v[5],
		.level = v[6], .msg = v[7], .outcome = v[8], .arn = v[9], .client = v[10], .error_class = v[11],
		.sts_code = v[12], .sts_region = v[13], .mapped_arn = v[14], .username = v[15], .groups = v[16],
		.uid = v[17], .user_id = v[18], .account_id = v[19], .principal_type = v[20],
		.principal_name = v[21], .principal_arn = v[22], .access_key_id = v[23], .session = v[24],
		.sts_endpoint = v[25], .raw = v[26], .raw_len = strlen(v[26]), .error = v[27], .error_len = 6,
		.http_status = 403, .expected = 1, .dedupe_key = 42,
	};
	size_t need = store_event_size(&ev);
	char *buf = malloc(need);
	struct store_event c;
	store_event_copy(&ev, buf, &c);
	for (size_t i = 0; i < N; i++)
		memset(v[i], 'X', 31);
	const char *got[N] = {c.ts,	       c.log_group,    c.log_stream,	 c.ptr,		   c.cluster,
			      c.kind,	       c.level,	       c.msg,		 c.outcome,	   c.arn,
			      c.client,	       c.error_class,  c.sts_code,	 c.sts_region,	   c.mapped_arn,
			      c.username,      c.groups,       c.uid,		 c.user_id,	   c.account_id,
			      c.principal_type, c.principal_name, c.principal_arn, c.access_key_id, c.session,
			      c.sts_endpoint,  c.raw,	       c.error};
	int same = 1, inside = 1;
	char want[32];
	for (size_t i = 0; i + 1 < N; i++) {
		snprintf(want, sizeof(want), "%s-value", names[i]);
		same &= got[i] && strcmp(got[i], want) == 0;
		inside &= got[i] >= buf && got[i] < buf + need;
	}
	ok(same, "every text of the copy holds the value it had");
	ok(inside && c.error >= buf && c.error + c.error_len < buf + need, "and lives in the copy's buffer");
	ok(c.error_len == 6 && memcmp(c.error, "err\0or", 6) == 0, "error copied whole, past its NUL");
	ok(c.raw_len == strlen("raw-value") && c.http_status == 403 && c.expected == 1 && c.dedupe_key == 42,
	   "lengths and numbers as they were");
	ok(c.rec == NULL, "no parse: store_keys_make parses the copy's line itself");
	struct store_event sparse = {.ts = "t", .kind = "access", .raw = "r", .raw_len = 1};
	ok(store_event_size(&sparse) == 2 + 2 + 7, "absent texts take no room");
	for (size_t i = 0; i < N; i++)
		free(v[i]);
	free(buf);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_create_and_dedupe();
	test_readonly();
	test_versions();
	test_interning();
	test_migrate_v2();
	test_migrate_v4_clusters();
	test_has();
	test_key_and_path();
	test_event_copy();
	int rc = tap_done();
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
