/* Unit tests of the fetcher's pure parts: window splitting, the query's
 * limit, the request bodies and the small answers of logs_api, the run
 * lock, and the scan state in the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/tap.h"
#include "buf.h"
#include "fetch_int.h"
#include "lock.h"
#include "aws/logs_api_int.h"
#include "status.h"
#include "store.h"

static void test_split(void)
{
	int64_t s, e;
	is_int(fetch_split_parts(0, 3600, 0, 10000), 2, "no statistics: halves");
	is_int(fetch_split_parts(0, 3600, 10000, 10000), 2, "matched = cap: halves");
	is_int(fetch_split_parts(0, 3600, 60000, 10000), 8, "60,000 matched: 8 parts of 7,500");
	is_int(fetch_split_parts(0, 3600, 1e9, 10000), 64, "at most 64 parts");
	is_int(fetch_split_parts(0, 5, 1e9, 10000), 5, "never below one second a part");
	is_int(fetch_split_parts(0, 1, 1e9, 10000), 0, "one second: cannot split");
	is_int(fetch_split_parts(7, 7, 1e9, 10000), 0, "zero length: cannot split");
	fetch_split_bounds(100, 200, 2, 0, &s, &e);
	ok(s == 100 && e == 150, "first half [100,150]");
	fetch_split_bounds(100, 200, 2, 1, &s, &e);
	ok(s == 150 && e == 200, "second half [150,200]: shares the boundary second");
	int64_t prev = 1000;
	int tiled = 1;
	for (size_t i = 0; i < 7; i++) {
		fetch_split_bounds(1000, 1100, 7, i, &s, &e);
		tiled &= s == prev && e > s;
		prev = e;
	}
	ok(tiled && prev == 1100, "7 uneven parts tile the window");
}

static void test_query_limit(void)
{
	is_int(fetch_query_limit("fields @message | limit 50"), 50, "limit 50");
	is_int(fetch_query_limit("fields @message\n| sort @timestamp desc\n| limit 1000\n"), 1000, "multi-line");
	is_int(fetch_query_limit("fields @message"), 0, "none");
	is_int(fetch_query_limit("# | limit 5 in a comment\nfields @message"), 0, "a comment does not count");
	is_int(fetch_query_limit("fields @message | limit 10 | limit 20"), 20, "the last one");
	is_int(fetch_query_limit("fields @message | limitless 20"), 0, "only the command");
	int limit, split;
	fetch_query_plan("fields @message", &limit, &split);
	ok(limit == 100000 && split, "no limit of its own: 100,000 and split");
	fetch_query_plan("fields @message | limit 10000", &limit, &split);
	ok(limit == 10000 && split, "limit 10000 (the old cap): a cap, split at it");
	fetch_query_plan("fields @message | limit 9999", &limit, &split);
	ok(limit == 9999 && !split, "a limit below 10,000: the top N, never split");
	fetch_query_plan("fields @message | limit 500000", &limit, &split);
	ok(limit == 100000 && split, "more than the service takes: 100,000");
}

static void test_bodies(void)
{
	struct buf b = BUF_INIT;
	logs_api_start_query_body(&b, "/aws/eks/demo/cluster", 1672000000, 1672003600,
				  "fields @timestamp, @message | sort @timestamp asc", 10000);
	is_str(buf_str(&b),
	       "{\"logGroupName\":\"/aws/eks/demo/cluster\",\"startTime\":1672000000,\"endTime\":1672003600,"
	       "\"queryString\":\"fields @timestamp, @message | sort @timestamp asc\",\"limit\":10000}",
	       "StartQuery body: the reference vector's bytes");
	buf_reset(&b);
	logs_api_start_query_body(&b, "g", 1, 2, "filter @message like /msg=\"x\\ty\"/\n| limit 5", 0);
	is_str(buf_str(&b), "{\"logGroupName\":\"g\",\"startTime\":1,\"endTime\":2,"
			    "\"queryString\":\"filter @message like /msg=\\\"x\\\\ty\\\"/\\n| limit 5\"}",
	       "quotes, backslashes and newlines escaped; no limit field when 0");
	buf_reset(&b);
	logs_api_query_id_body(&b, "2dac81d5-a6a5-45d7-b355-c842b1a7c0c5");
	is_str(buf_str(&b), "{\"queryId\":\"2dac81d5-a6a5-45d7-b355-c842b1a7c0c5\"}", "queryId body");
	buf_reset(&b);
	logs_api_get_results_body(&b, "q", NULL, 0);
	is_str(buf_str(&b), "{\"queryId\":\"q\"}", "GetQueryResults without paging");
	buf_reset(&b);
	logs_api_get_results_body(&b, "q", "", 10000);
	is_str(buf_str(&b), "{\"queryId\":\"q\",\"maxItems\":10000}", "the first page");
	buf_reset(&b);
	logs_api_get_results_body(&b, "q", "t\"k", 10000);
	is_str(buf_str(&b), "{\"queryId\":\"q\",\"nextToken\":\"t\\\"k\",\"maxItems\":10000}", "a later page");
	buf_reset(&b);
	logs_api_describe_log_groups_body(&b, "/aws/eks/x/cluster", NULL);
	is_str(buf_str(&b), "{\"logGroupNamePrefix\":\"/aws/eks/x/cluster\",\"limit\":50}", "DescribeLogGroups");
	buf_reset(&b);
	logs_api_describe_log_groups_body(&b, "p", "tok");
	is_str(buf_str(&b), "{\"logGroupNamePrefix\":\"p\",\"limit\":50,\"nextToken\":\"tok\"}", "with nextToken");
	buf_free(&b);
}

/* sl: authenticator-a 1672000000.5..1672000900.7, authenticator-b
 * 1671990000..1671990005, c without events. */
static void test_streams(const struct logs_stream_list *sl)
{
	size_t idx[8];
	int64_t qs, qe;
	const int64_t now = 1672100000;
	is_int(fetch_streams_select(sl, 1672000100, 1672000200, now, idx, &qs, &qe), 1, "one stream overlaps");
	ok(idx[0] == 0 && qs == 1672000100 && qe == 1672000200, "inside a stream: the window as it is");
	is_int(fetch_streams_select(sl, 1671980000, 1672003600, now, idx, &qs, &qe), 2, "both");
	ok(qs == 1671990000 && qe == 1672000901, "bounded by the first and last events: %lld..%lld", (long long)qs,
	   (long long)qe);
	is_int(fetch_streams_select(sl, 1671995000, 1671999000, now, idx, &qs, &qe), 0, "a gap between streams");
	is_int(fetch_streams_select(sl, 1672000000, 1672009000, 1672001000, idx, &qs, &qe), 1, "still written to");
	ok(qs == 1672000000 && qe == 1672009000, "a stream written to in the last hour runs to the window's end");
	char **qv = NULL;
	size_t nq = 0, all[] = {0, 1};
	const char *q = "# c\n\nfields @message\n| sort @timestamp asc\n";
	ok(fetch_stream_queries(q, sl, all, 2, 10000, &qv, &nq) == AL_OK && nq == 1, "one query");
	is_str(nq ? qv[0] : "", "# c\n\nfilter @logStream in [\"authenticator-a\", \"authenticator-b\"]\n| "
				"fields @message\n| sort @timestamp asc\n",
	       "the filter before the first command, after the comments");
	for (size_t i = 0; i < nq; i++)
		free(qv[i]);
	free(qv);
	size_t fit = strlen(q) + strlen("filter @logStream in [\"authenticator-a\"]\n| ");
	ok(fetch_stream_queries(q, sl, all, 2, fit, &qv, &nq) == AL_OK && nq == 2 &&
		   strstr(qv[0], "[\"authenticator-a\"]") && strstr(qv[1], "[\"authenticator-b\"]") &&
		   strlen(qv[0]) == fit,
	   "split to stay within the query limit");
	for (size_t i = 0; i < nq; i++)
		free(qv[i]);
	free(qv);
	ok(fetch_stream_queries(q, sl, all, 2, fit - 1, &qv, &nq) == AL_DATAERR, "one name alone too long");
	struct logs_stream odd = {"authenticator-\"x\\", 1, 2};
	struct logs_stream_list ol = {&odd, 1, 1};
	size_t zero = 0;
	ok(fetch_stream_queries("fields @message", &ol, &zero, 1, 10000, &qv, &nq) == AL_OK && nq == 1,
	   "a name with a quote and a backslash");
	is_str(nq ? qv[0] : "", "filter @logStream in [\"authenticator-\\\"x\\\\\"]\n| fields @message", "escaped");
	for (size_t i = 0; i < nq; i++)
		free(qv[i]);
	free(qv);
}

static void test_answers(void)
{
	char id[LOGS_API_QUERY_ID_MAX], why[256], tok[64];
	struct logs_group_info gi;
	const char *a = "{\"queryId\": \"4c63d184-d73f-13d1-86cf-09fc92fd55f3\"}";
	ok(logs_api_parse_query_id(a, strlen(a), id, sizeof(id), why, sizeof(why)) == 0 &&
		   strcmp(id, "4c63d184-d73f-13d1-86cf-09fc92fd55f3") == 0,
	   "queryId parsed");
	const char *bad[] = {"{}", "{\"queryId\":null}", "{\"queryId\":\"\"}", "{\"queryId\":\"x\"",
			     "<html>500</html>", "{\"Output\":{\"__type\":\"x#UnknownOperationException\"}}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(logs_api_parse_query_id(bad[i], strlen(bad[i]), id, sizeof(id), why, sizeof(why)) != 0 && why[0],
		   "no queryId in %s: %s", bad[i], why);
	const char *groups = "{\"logGroups\":[{\"logGroupName\":\"/aws/eks/x/cluster-old\",\"creationTime\":1},"
			     "{\"logGroupName\":\"/aws/eks/x/cluster\",\"creationTime\":1672000000123,"
			     "\"retentionInDays\":90}],\"nextToken\":\"next\"}";
	memset(&gi, 0, sizeof(gi));
	ok(logs_api_parse_log_groups(groups, strlen(groups), "/aws/eks/x/cluster", &gi, tok, sizeof(tok), why,
				     sizeof(why)) == 0 && gi.found && gi.creation_ms == 1672000000123LL &&
		   gi.retention_days == 90 && strcmp(tok, "next") == 0,
	   "the exact group, not a prefix match");
	const char *arned = "{\"logGroups\":[{\"logGroupName\":\"g\",\"arn\":"
			    "\"arn:aws:logs:eu-west-1:111122223333:log-group:g:*\"},{\"logGroupName\":\"h\","
			    "\"arn\":\"arn:aws:logs:eu-west-1:1111:log-group:h:*\"}]}";
	ok(logs_api_parse_log_groups(arned, strlen(arned), "g", &gi, tok, sizeof(tok), why, sizeof(why)) == 0 &&
		   strcmp(gi.account, "111122223333") == 0,
	   "the account of the group's arn");
	ok(logs_api_parse_log_groups(arned, strlen(arned), "h", &gi, tok, sizeof(tok), why, sizeof(why)) == 0 &&
		   gi.found && gi.account[0] == '\0',
	   "no account from an arn whose account is not 12 digits");
	struct logs_stream_list sl = {0};
	const char *streams = "{\"logStreams\":[{\"logStreamName\":\"authenticator-a\",\"firstEventTimestamp\":"
			      "1672000000500,\"lastEventTimestamp\":1672000900000,\"lastIngestionTime\":1672000900700},"
			      "{\"logStreamName\":\"authenticator-b\",\"firstEventTimestamp\":1671990000000.5,"
			      "\"lastIngestionTime\":1671990005000},{\"logStreamName\":7},{\"logStreamName\":\"c\"}],"
			      "\"nextToken\":\"t\"}";
	ok(logs_api_parse_log_streams(streams, strlen(streams), &sl, tok, sizeof(tok), why, sizeof(why)) == 0 &&
		   sl.n == 3 && strcmp(sl.v[0].name, "authenticator-a") == 0 && sl.v[0].first_ms == 1672000000500LL &&
		   sl.v[0].last_ms == 1672000900700LL && sl.v[1].first_ms == 1671990000000LL &&
		   sl.v[1].last_ms == 1671990005000LL && sl.v[2].first_ms == 0 && strcmp(tok, "t") == 0,
	   "streams by name, first event, the later of last event and ingestion; the token");
	const char *none = "{\"logStreams\":[]}", *broken = "{\"streams\":[]}";
	ok(logs_api_parse_log_streams(none, strlen(none), &sl, tok, sizeof(tok), why, sizeof(why)) == 0 && sl.n == 3 &&
		   tok[0] == '\0',
	   "an empty page appends nothing");
	ok(logs_api_parse_log_streams(broken, strlen(broken), &sl, tok, sizeof(tok), why, sizeof(why)) != 0 && why[0],
	   "no logStreams list: %s", why);
	struct buf b = BUF_INIT;
	ok(logs_api_describe_log_streams_body(&b, "/aws/eks/x/cluster", "authenticator", NULL) == 0 &&
		   strcmp(buf_str(&b), "{\"logGroupName\":\"/aws/eks/x/cluster\",\"logStreamNamePrefix\":"
					"\"authenticator\",\"limit\":50}") == 0,
	   "DescribeLogStreams body: %s", buf_str(&b));
	buf_reset(&b);
	ok(logs_api_describe_log_streams_body(&b, "g", "authenticator", "n") == 0 &&
		   strcmp(buf_str(&b), "{\"logGroupName\":\"g\",\"logStreamNamePrefix\":\"authenticator\",\"limit\":50,"
					"\"nextToken\":\"n\"}") == 0,
	   "DescribeLogStreams next page: %s", buf_str(&b));
	buf_free(&b);
	test_streams(&sl);
	logs_api_stream_list_free(&sl);
	const char *moto = "{\"logGroups\":[{\"logGroupName\":\"g\",\"creationTime\":1795486767066.988}]}";
	memset(&gi, 0, sizeof(gi));
	ok(logs_api_parse_log_groups(moto, strlen(moto), "g", &gi, tok, sizeof(tok), why, sizeof(why)) == 0 &&
		   gi.found && gi.creation_ms == 1795486767066LL && tok[0] == '\0',
	   "moto's float creationTime");
	memset(&gi, 0, sizeof(gi));
	ok(logs_api_parse_log_groups(moto, strlen(moto), "h", &gi, tok, sizeof(tok), why, sizeof(why)) == 0 &&
		   !gi.found,
	   "absent group");
	ok(logs_api_parse_log_groups("[]", 2, "g", &gi, tok, sizeof(tok), why, sizeof(why)) != 0, "not an object");
	is_int(logs_api_status_of("Complete"), LOGS_Q_COMPLETE, "Complete");
	is_int(logs_api_status_of("Scheduled"), LOGS_Q_SCHEDULED, "Scheduled");
	is_int(logs_api_status_of("Unknown"), LOGS_Q_UNKNOWN, "the service's Unknown");
	is_int(logs_api_status_of("complete"), LOGS_Q_UNKNOWN_STATUS, "case matters");
	ok(!logs_api_status_terminal(LOGS_Q_RUNNING) && logs_api_status_terminal(LOGS_Q_TIMEOUT), "terminal");
}

static void test_lock(const char *dir)
{
	char db[512], err[512];
	struct lock *a = NULL, *b = NULL;
	snprintf(db, sizeof(db), "%s/sub/dir/x.db", dir);
	is_int(lock_acquire(db, LOCK_NOWAIT, &a, err, sizeof(err)), AL_OK, "first lock (directories made)");
	is_int(lock_acquire(db, LOCK_NOWAIT, &b, err, sizeof(err)), AL_TEMPFAIL, "second lock: 75");
	char want[64];
	snprintf(want, sizeof(want), "(pid %ld)", (long)getpid());
	ok(strstr(err, "x.db.lock") && strstr(err, want) && strstr(err, "--wait"), "message: %s", err);
	ok(b == NULL, "no handle on failure");
	lock_release(a);
	is_int(lock_acquire(db, LOCK_NOWAIT, &b, err, sizeof(err)), AL_OK, "free again after release");
	lock_release(b);
	lock_release(NULL);
	is_int(lock_acquire("/proc/no/such/dir/x.db", LOCK_NOWAIT, &a, err, sizeof(err)), AL_CANTCREAT,
	       "unwritable place: 73");
}

static void test_store(const char *dir)
{
	char db[512], err[512];
	struct store *s = NULL;
	int64_t run = 0, w1 = 0, w2 = 0, w3 = 0, last, newest, first_id = 0;
	struct store_window *miss = NULL;
	size_t n = 0;
	snprintf(db, sizeof(db), "%s/scan.db", dir);
	if (!ok(store_open(db, STORE_WRITE, &s, err, sizeof(err)) == AL_OK, "open"))
		return;
	ok(store_scan_resume_point(s, "g", "scan", &last, &newest, err, sizeof(err)) == AL_OK && last == -1 &&
		   newest == -1,
	   "no history");
	ok(store_begin(s, err, sizeof(err)) == AL_OK, "begin");
	int64_t imp;
	ok(store_import_begin(s, "scan g", &imp, err, sizeof(err)) == AL_OK, "import row");
	ok(store_import_first_event(s, imp, &first_id, err, sizeof(err)) == AL_OK && first_id == 1,
	   "first event id of an empty database is 1");
	ok(store_scan_begin(s, "g", "scan", 1000, 5000, &run, err, sizeof(err)) == AL_OK, "run");
	ok(store_window_add(s, run, "g", "scan", 1000, 2000, &w1, err, sizeof(err)) == AL_OK &&
		   store_window_add(s, run, "g", "scan", 2000, 3000, &w2, err, sizeof(err)) == AL_OK &&
		   store_window_add(s, run, "g", "other", 3000, 4000, &w3, err, sizeof(err)) == AL_OK,
	   "windows");
	ok(store_window_done(s, w1, err, sizeof(err)) == AL_OK, "done");
	ok(store_window_set(s, w2, "failed", 4, "boom", err, sizeof(err)) == AL_OK, "failed");
	struct store_scan_totals t = {10, 2, 1, 5, 0, 1e9, 2e6, 12, 9e10};
	ok(store_scan_update(s, run, &t, err, sizeof(err)) == AL_OK, "totals");
	ok(store_commit(s, err, sizeof(err)) == AL_OK, "commit");
	ok(store_windows_missing(s, "g", "scan", &miss, &n, err, sizeof(err)) == AL_OK && n == 1 &&
		   miss[0].id == w2 && miss[0].start == 2000 && miss[0].end == 3000 && miss[0].attempts == 4,
	   "the failed window is missing; the other query's is not");
	free(miss);
	ok(store_scan_resume_point(s, "g", "scan", &last, &newest, err, sizeof(err)) == AL_OK && last == 5000 &&
		   newest == -1,
	   "resume from the last window end");
	ok(store_scan_mark_interrupted(s, err, sizeof(err)) == AL_OK, "mark interrupted");
	sqlite3_stmt *st;
	sqlite3_prepare_v2(store_db(s), "SELECT status, rows, bytes_scanned, bytes_skipped FROM scan_runs", -1, &st, NULL);
	ok(sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "interrupted") == 0 &&
		   sqlite3_column_int(st, 1) == 10 && sqlite3_column_double(st, 2) == 1e9 &&
		   sqlite3_column_double(st, 3) == 9e10,
	   "a run left running is interrupted; totals kept");
	sqlite3_finalize(st);
	ok(store_begin(s, err, sizeof(err)) == AL_OK &&
		   store_window_move(s, w2, run, 2000, 2500, err, sizeof(err)) == AL_OK &&
		   store_commit(s, err, sizeof(err)) == AL_OK,
	   "adopt and clip");
	ok(store_windows_missing(s, "g", "scan", &miss, &n, err, sizeof(err)) == AL_OK && n == 1 &&
		   miss[0].end == 2500,
	   "clipped");
	free(miss);
	store_close(s);
}

int main(void)
{
	char dir[] = "/tmp/authlog-fetch-unit-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	test_split();
	test_query_limit();
	test_bodies();
	test_answers();
	test_lock(dir);
	test_store(dir);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
	return tap_done();
}
