#include "buf.h"
#include "aws/results.h"
#include "tap.h"

#include <stdlib.h>

/* Rows are flattened into one string so that whole-document and
 * byte-at-a-time parses can be compared with a single is_str. */
struct collect {
	struct buf out;
	int stop_at; /* return stop_rc from this row on (1-based), 0 = never */
	int stop_rc;
	int seen;
};

static void put_field(struct buf *b, const char *name, const char *v, size_t len)
{
	buf_printf(b, "%s=", name);
	if (!v) {
		buf_puts(b, "(null)");
	} else {
		for (size_t i = 0; i < len; i++) {
			if (v[i] == '\0')
				buf_puts(b, "\\0");
			else
				buf_putc(b, v[i]);
		}
	}
	buf_putc(b, '|');
}

static int collect_cb(void *ctx, const struct results_row *row)
{
	struct collect *c = ctx;

	put_field(&c->out, "m", row->message, row->message_len);
	put_field(&c->out, "t", row->timestamp, row->timestamp ? strlen(row->timestamp) : 0);
	put_field(&c->out, "s", row->log_stream, row->log_stream ? strlen(row->log_stream) : 0);
	put_field(&c->out, "g", row->log_group, row->log_group ? strlen(row->log_group) : 0);
	put_field(&c->out, "p", row->ptr, row->ptr ? strlen(row->ptr) : 0);
	buf_putc(&c->out, '\n');
	if (c->stop_at && ++c->seen >= c->stop_at)
		return c->stop_rc;
	return 0;
}

/* Parses doc in chunks of `chunk` bytes (0 = all at once); returns the
 * first non-zero code from feed/finish. The parser is left in *pp. */
static int parse(const char *doc, size_t len, size_t chunk, struct collect *c,
		 struct results_parser **pp)
{
	int rc = 0;

	if (results_new(collect_cb, c, pp))
		return -99;
	if (!chunk)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len && !rc; off += chunk)
		rc = results_feed(*pp, doc + off, len - off < chunk ? len - off : chunk);
	if (!rc)
		rc = results_finish(*pp);
	return rc;
}

/* Whole-document rows of doc, for a one-line check; "ERR:<message>" on error. */
static char *rows_of(const char *doc, size_t len, size_t chunk)
{
	struct collect c = {BUF_INIT, 0, 0, 0};
	struct results_parser *p = NULL;

	if (parse(doc, len, chunk, &c, &p)) {
		buf_reset(&c.out);
		buf_printf(&c.out, "ERR:%s", results_error(p));
	}
	results_free(p);
	return buf_take(&c.out);
}

static void check_rows(const char *doc, size_t len, const char *want, const char *what)
{
	char *whole = rows_of(doc, len, 0);
	char *bytes = rows_of(doc, len, 1);
	char *sevens = rows_of(doc, len, 7);

	is_str(whole, want, "%s: rows", what);
	is_str(bytes, want, "%s: same rows fed 1 byte at a time", what);
	is_str(sevens, want, "%s: same rows fed 7 bytes at a time", what);
	free(whole);
	free(bytes);
	free(sevens);
}

#define CHECK_ROWS(doc, want, what) check_rows(doc, sizeof(doc) - 1, want, what)

static const char insights[] =
	"{\n"
	"  \"results\": [\n"
	"    [\n"
	"      {\"field\": \"@timestamp\", \"value\": \"2022-12-26 20:46:48.123\"},\n"
	"      {\"field\": \"@message\", \"value\": \"time=a msg=one\"},\n"
	"      {\"field\": \"@logStream\", \"value\": \"authenticator-abc\"},\n"
	"      {\"field\": \"@log\", \"value\": \"111122223333:/aws/eks/x/cluster\"},\n"
	"      {\"field\": \"@ptr\", \"value\": \"CmAKJ1\"}\n"
	"    ],\n"
	"    [\n"
	"      {\"field\": \"@timestamp\", \"value\": \"2022-12-26 20:46:49.000\"},\n"
	"      {\"field\": \"@message\", \"value\": \"time=b msg=two\"}\n"
	"    ]\n"
	"  ],\n"
	"  \"statistics\": {\"recordsMatched\": 2.0, \"recordsScanned\": 100.0,\n"
	"                 \"bytesScanned\": 1234.5, \"estimatedBytesSkipped\": 0.0},\n"
	"  \"status\": \"Complete\",\n"
	"  \"encryptionKey\": null\n"
	"}\n";

static const char insights_rows[] =
	"m=time=a msg=one|t=2022-12-26 20:46:48.123|s=authenticator-abc|"
	"g=111122223333:/aws/eks/x/cluster|p=CmAKJ1|\n"
	"m=time=b msg=two|t=2022-12-26 20:46:49.000|s=(null)|g=(null)|p=(null)|\n";

static void test_insights(void)
{
	struct collect c = {BUF_INIT, 0, 0, 0};
	struct results_parser *p = NULL;
	const struct results_stats *st;

	is_int(parse(insights, sizeof insights - 1, 0, &c, &p), 0, "insights: parses");
	is_str(buf_str(&c.out), insights_rows, "insights: rows");
	is_int(results_rows(p), 2, "insights: 2 rows counted");
	is_str(results_status(p), "Complete", "insights: status");
	st = results_stats(p);
	ok(st->have_stats, "insights: have_stats");
	ok(st->records_matched == 2.0 && st->records_scanned == 100.0 &&
		   st->bytes_scanned == 1234.5,
	   "insights: statistics values");
	is_str(results_error(p), "", "insights: no error");
	results_free(p);
	buf_free(&c.out);

	CHECK_ROWS(insights, insights_rows, "insights");
}

static void test_insights_any_order(void)
{
	static const char doc[] =
		"{\"status\":\"Running\",\"statistics\":{\"bytesScanned\":7,\"recordsMatched\":1,"
		"\"nested\":{\"recordsMatched\":99}},"
		"\"encryptionKey\":{\"results\":[[{\"field\":\"@message\",\"value\":\"NOPE\"}]]},"
		"\"junk\":[[{\"field\":\"@message\",\"value\":\"NOPE\"}],{\"events\":[{}]}],"
		"\"results\":[[{\"value\":\"v-first\",\"field\":\"@message\",\"extra\":[1,{\"a\":[]}]},"
		"{\"field\":\"@ingestionTime\",\"value\":\"ignored\"},"
		"{\"field\":\"@ptr\",\"value\":7},"
		"{\"value\":null,\"field\":\"@logStream\"},"
		"{\"field\":\"@timestamp\",\"value\":{\"deep\":\"ignored\"}},"
		"{\"field\":\"@log\"},"
		"\"stray\",[\"stray\"],true]],"
		"\"events\":{\"message\":\"not an array, ignored\"}}";
	struct collect c = {BUF_INIT, 0, 0, 0};
	struct results_parser *p = NULL;

	CHECK_ROWS(doc, "m=v-first|t=(null)|s=(null)|g=(null)|p=7|\n",
		   "order: value before field, unknown keys and fields skipped");
	is_int(parse(doc, sizeof doc - 1, 0, &c, &p), 0, "order: parses");
	is_str(results_status(p), "Running", "order: status before results");
	ok(results_stats(p)->records_matched == 1.0 && results_stats(p)->bytes_scanned == 7.0 &&
		   results_stats(p)->records_scanned == 0.0,
	   "order: statistics in any order, nested unknown ignored");
	results_free(p);
	buf_free(&c.out);
}

static void test_events(void)
{
	static const char doc[] =
		"{\n"
		"    \"events\": [\n"
		"        {\n"
		"            \"logStreamName\": \"authenticator-abc\",\n"
		"            \"timestamp\": 1672260439000,\n"
		"            \"message\": \"time=x msg=one\",\n"
		"            \"ingestionTime\": 1672260440000,\n"
		"            \"eventId\": \"37165\"\n"
		"        },\n"
		"        {\"eventId\": \"2\", \"message\": \"m2\", \"unknown\": {\"message\": \"NOPE\"}}\n"
		"    ],\n"
		"    \"searchedLogStreams\": [{\"logStreamName\": \"s\", \"searchedCompletely\": true}],\n"
		"    \"nextToken\": \"Bxyz\"\n"
		"}\n";
	struct collect c = {BUF_INIT, 0, 0, 0};
	struct results_parser *p = NULL;

	CHECK_ROWS(doc,
		   "m=time=x msg=one|t=1672260439000|s=authenticator-abc|g=(null)|p=37165|\n"
		   "m=m2|t=(null)|s=(null)|g=(null)|p=2|\n",
		   "events");
	is_int(parse(doc, sizeof doc - 1, 0, &c, &p), 0, "events: parses");
	is_str(results_status(p), "", "events: no status");
	ok(!results_stats(p)->have_stats, "events: no statistics");
	is_int(results_rows(p), 2, "events: 2 rows");
	results_free(p);
	buf_free(&c.out);
}

static void test_escapes(void)
{
	static const char doc[] = "{\"events\":[{\"message\":\"a\\\"b\\\\c\\nd\\/\\t\\u00e9"
				  "\\ud83d\\ude00\",\"logStreamName\":\"\\u0041\"}]}";
	static const char nul[] = "{\"events\":[{\"message\":\"a\\u0000b\\u0000\"}]}";
	static const char raw[] = "{\"events\":[{\"message\":\"bad \xff\xfe utf8 \xc3\"}]}";

	CHECK_ROWS(doc,
		   "m=a\"b\\c\nd/\t\xc3\xa9\xf0\x9f\x98\x80|t=(null)|s=A|g=(null)|p=(null)|\n",
		   "escapes incl. surrogate pair");
	CHECK_ROWS(nul, "m=a\\0b\\0|t=(null)|s=(null)|g=(null)|p=(null)|\n",
		   "embedded \\u0000 kept via message_len");
	CHECK_ROWS(raw, "m=bad \xff\xfe utf8 \xc3|t=(null)|s=(null)|g=(null)|p=(null)|\n",
		   "invalid UTF-8 passed through");
}

static void test_concatenated(void)
{
	static const char pages[] =
		"{\"events\":[{\"message\":\"p1\"}],\"nextToken\":\"a\"}\n"
		"{\"events\":[{\"message\":\"p2\"},{\"message\":\"p3\"}]}"
		"{\"results\":[[{\"field\":\"@message\",\"value\":\"q1\"}]],\"status\":\"Complete\"}";
	struct collect c = {BUF_INIT, 0, 0, 0};
	struct results_parser *p = NULL;

	CHECK_ROWS(pages,
		   "m=p1|t=(null)|s=(null)|g=(null)|p=(null)|\n"
		   "m=p2|t=(null)|s=(null)|g=(null)|p=(null)|\n"
		   "m=p3|t=(null)|s=(null)|g=(null)|p=(null)|\n"
		   "m=q1|t=(null)|s=(null)|g=(null)|p=(null)|\n",
		   "concatenated documents");
	is_int(parse(pages, sizeof pages - 1, 0, &c, &p), 0, "concatenated: parses");
	is_str(results_status(p), "Complete", "concatenated: status of the last page");
	results_free(p);
	buf_free(&c.out);
}

static void test_errors(void)
{
	static const char truncated[] = "{\"events\":[{\"message\":\"m1\"},\n{\"message\":\"m2\"";
	static const char bad[] = "{\"events\":[\n{\"message\":\"m1\"},\n{\"message\": nope}]}\n";
	static const char top_array[] = "[{\"events\":[]}]";
	static const char top_number[] = "{\"events\":[]}\n42";
	char *s;

	for (size_t chunk = 0; chunk <= 1; chunk++) {
		s = rows_of(truncated, sizeof truncated - 1, chunk);
		is_str(s, "ERR:line 2: parse error: premature EOF", "truncated (chunk %zu)", chunk);
		free(s);
		s = rows_of(bad, sizeof bad - 1, chunk);
		ok(!strncmp(s, "ERR:line 3: lexical error: ", 27) && !strchr(s, '\n'),
		   "bad token: one line naming line 3 (chunk %zu): %s", chunk, s);
		free(s);
		s = rows_of(top_array, sizeof top_array - 1, chunk);
		is_str(s, "ERR:line 1: expected a JSON object at the top level",
		       "top-level array refused (chunk %zu)", chunk);
		free(s);
		s = rows_of(top_number, sizeof top_number - 1, chunk);
		is_str(s, "ERR:line 2: expected a JSON object at the top level",
		       "top-level number refused (chunk %zu)", chunk);
		free(s);
	}
	s = rows_of("", 0, 0);
	is_str(s, "ERR:line 1: parse error: premature EOF", "empty input is an error");
	free(s);

	/* Statistics are refused at the boundary when not finite counts
	 * (issue 13 item 8: 1e999 was stored and printed as "inf TB"). */
	static const char *const stats[] = {"1e999", "-1e999", "-1", "1e308"};
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		char doc[160];
		snprintf(doc, sizeof doc, "{\"status\":\"Complete\",\"results\":[],\n\"statistics\":{\"bytesScanned\":%s}}",
			 stats[i]);
		s = rows_of(doc, strlen(doc), 0);
		if (i < 3)
			is_str(s, "ERR:line 2: statistics: a count that is not a finite number >= 0",
			       "bytesScanned %s refused", stats[i]);
		else
			is_str(s, "", "bytesScanned %s (finite) kept", stats[i]);
		free(s);
	}
}

static void test_abort(void)
{
	static const char doc[] = "{\"events\":[{\"message\":\"1\"},{\"message\":\"2\"},"
				  "{\"message\":\"3\"}]}";

	for (size_t chunk = 0; chunk <= 1; chunk++) {
		struct collect c = {BUF_INIT, 2, 7, 0};
		struct results_parser *p = NULL;

		is_int(parse(doc, sizeof doc - 1, chunk, &c, &p), 7,
		       "callback value propagated (chunk %zu)", chunk);
		is_int(results_rows(p), 2, "stopped after row 2 (chunk %zu)", chunk);
		is_int(results_feed(p, "{}", 2), 7, "later feeds keep returning it");
		is_int(results_finish(p), 7, "finish too");
		is_str(results_error(p), "", "a stop is not an error");
		results_free(p);
		buf_free(&c.out);
	}
}

static void test_limits(void)
{
	struct buf doc = BUF_INIT;
	struct collect c = {BUF_INIT, 0, 0, 0};
	struct results_parser *p = NULL;
	char *s, *big;
	size_t mib = (size_t)1 << 20;
	int rc = 0;

	/* The root object plus 63 arrays is the deepest accepted. */
	buf_puts(&doc, "{\"x\":");
	for (int i = 0; i < 63; i++)
		buf_putc(&doc, '[');
	for (int i = 0; i < 63; i++)
		buf_putc(&doc, ']');
	buf_puts(&doc, ",\"events\":[{\"message\":\"ok\"}]}");
	s = rows_of(doc.data, doc.len, 0);
	is_str(s, "m=ok|t=(null)|s=(null)|g=(null)|p=(null)|\n", "64 levels accepted");
	free(s);

	buf_reset(&doc);
	buf_puts(&doc, "{\n\"x\":");
	for (int i = 0; i < 64; i++)
		buf_putc(&doc, '[');
	s = rows_of(doc.data, doc.len, 0);
	is_str(s, "ERR:line 2: JSON nested deeper than 64 levels", "65 levels refused");
	free(s);
	s = rows_of(doc.data, doc.len, 1);
	is_str(s, "ERR:line 2: JSON nested deeper than 64 levels", "65 levels refused bytewise");
	free(s);
	buf_free(&doc);

	/* 17 MiB of string body in 1 MiB chunks: refused once it passes 16. */
	big = malloc(mib);
	ok(big != NULL, "allocated 1 MiB");
	if (!big)
		return;
	memset(big, 'a', mib);
	results_new(collect_cb, &c, &p);
	rc = results_feed(p, "{\"events\":[{\"message\":\"", 23);
	for (int i = 0; i < 17 && !rc; i++)
		rc = results_feed(p, big, mib);
	is_int(rc, -1, "string over 16 MiB refused");
	is_str(results_error(p), "line 1: string or number longer than 16 MiB",
	       "over-long string error");
	results_free(p);
	free(big);
	buf_free(&c.out);
}

int main(void)
{
	results_free(NULL);
	test_insights();
	test_insights_any_order();
	test_events();
	test_escapes();
	test_concatenated();
	test_errors();
	test_abort();
	test_limits();
	return tap_done();
}
