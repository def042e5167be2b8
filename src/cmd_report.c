/* authlog-scan report — summarize what is stored. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "cli.h"
#include "report.h"
#include "status.h"
#include "store.h"
#include "timeutil.h"

static const char usage_text[] =
	"usage: authlog-scan report [--since 24h|7d|RFC3339] [--until TIME]\n"
	"                           [--format text|markdown|json|prometheus|lines] [--top N]\n"
	"                           [--cluster NAME] [--region R] [--grant admin|edit|view]\n"
	"                           [--exit-code] [--new]\n"
	"\n"
	"Summarize the stored events: totals, denials by class and by principal,\n"
	"the fix for each finding, a broken aws-auth ConfigMap, new principals,\n"
	"the cluster creator and denials per hour.\n"
	"\n"
	"  --since, --until  window (relative like 30m, 24h, 7d, or absolute); default: everything\n"
	"  --format          text (default; colour only on a terminal, honours NO_COLOR),\n"
	"                    markdown, json, prometheus (node_exporter's textfile\n"
	"                    collector: denials by cluster and class, new findings, last\n"
	"                    complete scan, authenticator logging, bytes scanned), or lines\n"
	"                    (one line per new finding: cluster class principal count\n"
	"                    first-fix-command, for a chat webhook; implies --new)\n"
	"  --top N           rows per ranking (default 10)\n"
	"  --cluster, --region  fill these into the fixes instead of what the logs say\n"
	"  --grant G         what the fixes give a person or CI principal: admin (default,\n"
	"                    with a caution), edit or view; nodes always get a node mapping\n"
	"  --exit-code       exit 1 when the window holds at least one denial\n"
	"  --new             only denials (class, principal) and principals that the last\n"
	"                    import or scan stored for the first time\n";

static int parse_time_opt(const char *opt, const char *arg, char out[TIME_ISO_LEN])
{
	int64_t t;
	int rc = cli_parse_time("report", opt, arg, (int64_t)time(NULL), &t);
	if (!rc)
		time_format(t, out);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},
		{"format", required_argument, NULL, 'f'},
		{"top", required_argument, NULL, 't'},
		{"cluster", required_argument, NULL, 'c'},
		{"region", required_argument, NULL, 'r'},
		{"grant", required_argument, NULL, 'g'},
		{"exit-code", no_argument, NULL, 'x'},
		{"new", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct report_opts o = {.format = REPORT_TEXT, .top = 10};
	char since[TIME_ISO_LEN], until[TIME_ISO_LEN], err[512];
	struct store *store = NULL;
	int c, rc, exit_code = 0, new_only = 0;
	long long denials = 0;
	int64_t first = 0;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if ((rc = parse_time_opt("--since", optarg, since)))
				return rc;
			o.since = since;
			break;
		case 'u':
			if ((rc = parse_time_opt("--until", optarg, until)))
				return rc;
			o.until = until;
			break;
		case 'f':
			if ((rc = cli_parse_report_format("report", optarg, &o.format)))
				return rc;
			break;
		case 't': {
			long n;
			if ((rc = cli_parse_number("report", "--top", optarg, 1, 100000, &n)))
				return rc;
			o.top = (int)n;
			break;
		}
		case 'c': o.cluster = optarg; break;
		case 'r': o.region = optarg; break;
		case 'g':
			if (classify_grant_from_name(optarg, &o.grant) != 0)
				return cli_usage_error("report", "--grant must be admin, edit or view");
			break;
		case 'x': exit_code = 1; break;
		case 'n': new_only = 1; break;
		case 'h': fputs(usage_text, stdout); return AL_OK;
		default: return cli_bad_option("report", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("report", "unexpected argument '%s'", argv[optind]);
	o.color = o.format == REPORT_TEXT && cli_color(stdout);
	o.width = cli_width(stdout);

	rc = cli_store_open("report", STORE_READONLY, &store);
	if (rc)
		goto out;
	if (classify_init() != 0) {
		cli_error("report", "cannot compile the classifier patterns");
		rc = AL_SOFTWARE;
		goto out;
	}
	/* A chat line is news: what the last run found for the first time;
	 * every format counts each cluster's new findings. */
	if (o.format == REPORT_LINES)
		new_only = 1;
	rc = store_import_first_event(store, 0, &first, err, sizeof(err));
	if (rc) {
		cli_error("report", "%s", err);
		goto out;
	}
	if (!first) /* nothing was ever stored: everything is new */
		first = 1;
	if (new_only)
		o.new_from = first;
	o.news_from = first;
	rc = report_run(store_db(store), &o, stdout, &denials, err, sizeof(err));
	if (rc)
		cli_error("report", "%s", err);
	else if (exit_code && denials > 0)
		rc = AL_FINDINGS;
out:
	classify_cleanup();
	store_close(store);
	return rc;
}
