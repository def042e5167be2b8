/* authlog-scan prune --older-than AGE — bounded storage. */
#include <getopt.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "lock.h"
#include "status.h"
#include "store.h"
#include "timeutil.h"

static const char usage_text[] =
	"usage: authlog-scan prune --older-than AGE [--vacuum]\n"
	"\n"
	"Delete the events older than AGE (90d, 2160h, or an RFC 3339 time), the\n"
	"streams, principals and errors only they referenced, and the imports,\n"
	"scan runs and scan windows that ended before it; the rollups are rebuilt\n"
	"from the kept events in the same transaction, so a report over the kept\n"
	"window is unchanged. The newest event, the latest import and the latest\n"
	"scan run of each log group stay (report --new, scan --since-last-run).\n"
	"Freed pages go back to the file system when the database has\n"
	"auto_vacuum = INCREMENTAL (every database this version creates); an older\n"
	"file keeps them for reuse unless --vacuum rewrites it (VACUUM, which also\n"
	"makes it incremental from then on).\n"
	"\n"
	"  --older-than AGE  the cutoff: events with a time before now - AGE go\n"
	"  --vacuum          rewrite a database without incremental vacuum\n";

int cmd_prune(int argc, char **argv)
{
	static const struct option opts[] = {
		{"older-than", required_argument, NULL, 'o'},
		{"vacuum", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char cutoff[TIME_ISO_LEN], err[1024];
	int c, rc, have_cutoff = 0, vacuum = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': {
			int64_t t;
			if ((rc = cli_parse_time("prune", "--older-than", optarg, (int64_t)time(NULL), &t)))
				return rc;
			time_format(t, cutoff);
			have_cutoff = 1;
			break;
		}
		case 'V': vacuum = 1; break;
		case 'h': fputs(usage_text, stdout); return AL_OK;
		default: return cli_bad_option("prune", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("prune", "unexpected argument '%s'", argv[optind]);
	if (!have_cutoff)
		return cli_usage_error("prune", "--older-than AGE is required (e.g. --older-than 90d)");

	char *db_path = cli_db_path();
	if (!db_path)
		return AL_SOFTWARE;
	struct lock *lock = NULL;
	struct store *store = NULL;
	struct store_prune_rule rule = {.cutoff = cutoff};
	struct store_prune_space space;
	rc = lock_acquire(db_path, LOCK_NOWAIT, &lock, err, sizeof(err));
	if (rc) {
		cli_error("prune", "%s", err);
		goto out;
	}
	rc = cli_store_open("prune", STORE_WRITE, &store);
	if (rc)
		goto out;
	rc = store_prune(store, &rule, 1, vacuum, &space, err, sizeof(err));
	if (rc) {
		cli_error("prune", "%s", err);
		goto out;
	}
	if (!cli.quiet) {
		printf("pruned before %s: %lld events, %lld streams, %lld identities, %lld errors,"
		       " %lld imports, %lld scan runs, %lld scan windows\n",
		       cutoff, rule.events, rule.streams, rule.identities, rule.errors, rule.imports, rule.scan_runs,
		       rule.scan_windows);
		printf("freed %lld bytes", space.freed_bytes);
		if (space.reusable_bytes > 0 && space.vacuum_mode != 2)
			printf("; %lld bytes free inside the file for reuse (run prune --vacuum to give them back)",
			       space.reusable_bytes);
		putchar('\n');
	}
	cli_verbose("prune", "%s", space.rollups_rebuilt ? "rollups rebuilt from the kept events"
							   : "rollups unchanged (no event or import went)");
out:
	store_close(store);
	lock_release(lock);
	free(db_path);
	return rc;
}
