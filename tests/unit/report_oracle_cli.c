/* report_oracle_cli: prints the report of a database computed from the
 * events alone (report_oracle.c), for tests/cli/test_report_rollup.py to
 * hold `authlog-scan report` to, byte for byte.
 *
 *   report_oracle_cli DB [--since T] [--until T] [--format text|markdown|json]
 *                        [--top N] [--cluster C] [--region R] [--new]
 *
 * T is RFC 3339 (what the test passes; relative times would read the
 * clock twice). Colour is off, as for `report` on a pipe. Exit status: 0,
 * the report's al_status, or 64 on a malformed command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "report_oracle.h"
#include "status.h"
#include "store.h"
#include "timeutil.h"

static int stored_time(const char *arg, char out[TIME_ISO_LEN])
{
	int64_t t;
	if (time_parse(arg, strlen(arg), &t) != 0)
		return -1;
	time_format(t, out);
	return 0;
}

static int parse_args(int argc, char **argv, struct report_opts *o, int *new_only, char since[TIME_ISO_LEN],
		      char until[TIME_ISO_LEN])
{
	for (int i = 2; i < argc; i++) {
		const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(opt, "--new")) {
			*new_only = 1;
			continue;
		}
		if (!v)
			return -1;
		i++;
		if (!strcmp(opt, "--since") && !stored_time(v, since))
			o->since = since;
		else if (!strcmp(opt, "--until") && !stored_time(v, until))
			o->until = until;
		else if (!strcmp(opt, "--format"))
			o->format = !strcmp(v, "json") ? REPORT_JSON : !strcmp(v, "markdown") ? REPORT_MARKDOWN : REPORT_TEXT;
		else if (!strcmp(opt, "--top"))
			o->top = atoi(v);
		else if (!strcmp(opt, "--cluster"))
			o->cluster = v;
		else if (!strcmp(opt, "--region"))
			o->region = v;
		else
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct report_opts o = {.format = REPORT_TEXT, .top = 10};
	char since[TIME_ISO_LEN], until[TIME_ISO_LEN], err[512];
	struct store *s = NULL;
	int new_only = 0;
	long long denials = 0;
	if (argc < 2 || parse_args(argc, argv, &o, &new_only, since, until) != 0) {
		fprintf(stderr, "usage: report_oracle_cli DB [report options]\n");
		return AL_USAGE;
	}
	int rc = store_open(argv[1], STORE_READONLY, &s, err, sizeof(err));
	if (!rc && classify_init() != 0) {
		snprintf(err, sizeof(err), "cannot compile the classifier patterns");
		rc = AL_SOFTWARE;
	}
	/* as cmd_report: each cluster's new findings are the last run's */
	if (!rc) {
		rc = store_import_first_event(s, 0, &o.news_from, err, sizeof(err));
		if (!o.news_from) /* nothing was ever stored: everything is new (as cmd_report) */
			o.news_from = 1;
		if (new_only)
			o.new_from = o.news_from;
	}
	if (!rc)
		rc = report_oracle_run(store_db(s), &o, stdout, &denials, err, sizeof(err));
	if (rc)
		fprintf(stderr, "report_oracle_cli: %s\n", err);
	classify_cleanup();
	store_close(s);
	return rc;
}
