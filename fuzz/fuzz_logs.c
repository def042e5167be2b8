/* The CloudWatch Logs small-answer parsers (src/aws/logs_api.c) on any
 * bytes: StartQuery's queryId, DescribeLogGroups, DescribeLogStreams and
 * FilterLogEvents pages. Every value handed on must be within the bounds
 * the parsers promise; a list page is parsed twice into the same list, as
 * paging does; a FilterLogEvents callback that fails stops the page. */
#include "fuzz_common.h"

#include "aws/logs_api.h"
#include "aws/logs_api_int.h"
#include "status.h"

static void check_rc(int rc)
{
	FUZZ_CHECK(rc == AL_OK || rc == AL_UNAVAILABLE || rc == AL_SOFTWARE);
}

struct seen {
	long long rows, stop_after;
};

static int on_event(void *ctx, const struct results_row *row)
{
	struct seen *s = ctx;
	if (row->message) {
		touch(row->message, row->message_len + 1);
		FUZZ_CHECK(row->message[row->message_len] == '\0');
	} else {
		FUZZ_CHECK(row->message_len == 0);
	}
	touch_str(row->timestamp);
	touch_str(row->log_stream);
	touch_str(row->ptr);
	FUZZ_CHECK(row->log_group && strcmp(row->log_group, "/aws/eks/demo/cluster") == 0);
	return ++s->rows == s->stop_after ? AL_SOFTWARE : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *doc = (const char *)data;
	char err[256], tok[LOGS_API_TOKEN_MAX], id[LOGS_API_QUERY_ID_MAX];

	int rc = logs_api_parse_query_id(doc, size, id, sizeof(id), err, sizeof(err));
	check_rc(rc);
	if (rc == AL_OK)
		FUZZ_CHECK(touch_str(id) > 0 && touch_str(id) < sizeof(id));

	struct logs_group_info g = {0};
	rc = logs_api_parse_log_groups(doc, size, "/aws/eks/demo/cluster", &g, tok, sizeof(tok), err, sizeof(err));
	check_rc(rc);
	FUZZ_CHECK(touch_str(tok) < sizeof(tok) && touch_str(g.account) < sizeof(g.account));
	FUZZ_CHECK(g.infrequent_access == 0 || g.infrequent_access == 1);

	struct logs_stream_list l = {0};
	for (int page = 0; page < 2; page++) {
		rc = logs_api_parse_log_streams(doc, size, &l, tok, sizeof(tok), err, sizeof(err));
		check_rc(rc);
		FUZZ_CHECK(touch_str(tok) < sizeof(tok));
	}
	for (size_t i = 0; i < l.n; i++)
		FUZZ_CHECK(touch_str(l.v[i].name) > 0 && l.v[i].first_ms >= 0);
	logs_api_stream_list_free(&l);

	for (long long stop = 0; stop < 2; stop++) {
		struct seen s = {0, stop};
		long long n = -1;
		rc = logs_api_parse_filter_events(doc, size, "/aws/eks/demo/cluster", on_event, &s, &n, tok, sizeof(tok),
						  err, sizeof(err));
		check_rc(rc);
		FUZZ_CHECK(touch_str(tok) < sizeof(tok) && n >= 0 && n <= s.rows);
		if (stop && rc == AL_SOFTWARE)
			FUZZ_CHECK(s.rows == stop);
	}
	return 0;
}
