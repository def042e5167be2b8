/* authlog-scan: read the EKS authenticator logs and explain every
 * "You must be logged in to the server (Unauthorized)". */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "status.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	int own_globals; /* parses --db, -q, -v, --color after its name itself */
} commands[] = {
	{"import", cmd_import, "parse log lines into the database ('-' = stdin)", 0},
	{"report", cmd_report, "summarize what is stored (text | markdown | json)", 0},
	{"explain", cmd_explain, "classify one error text or log line and print cause + fix", 0},
	{"creator", cmd_creator, "who created the cluster (kubernetes-admin) and when last seen", 0},
	{"sql", cmd_sql, "run read-only SQL (--format table|csv|json)", 0},
	{"queries", cmd_queries, "list the bundled Logs Insights queries", 0},
	{"scan", cmd_scan, "fetch from CloudWatch Logs Insights, store, report (also: --log-group NAME)", 1},
	{"whoami", cmd_whoami, "credential source, region, endpoints and the STS caller identity", 0},
	{"prune", cmd_prune, "delete events older than AGE, keep the rollups exact, free the space", 0},
	{"export", cmd_export, "print the events as JSON Lines (--since, resume with --after-id)", 0},
	{"doctor", cmd_doctor, "why this identity is refused by a cluster, and the one fix", 0},
	{"clusters", cmd_clusters, "the fleet: 'clusters discover' lists a region's EKS clusters as sections", 0},
};

static void usage(FILE *f)
{
	fputs("usage: authlog-scan [--db PATH] [-q|--quiet] [-v|--verbose] [--color=auto|always|never]\n"
	      "                    COMMAND [ARGS]\n"
	      "       authlog-scan --help | --version\n\ncommands:\n",
	      f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("\nThe global options may also follow COMMAND.\n"
	      "The database defaults to $AUTHLOG_DB, else $XDG_DATA_HOME/authlog-scan/authlog.db.\n"
	      "Run 'authlog-scan COMMAND --help' for a command's options; see authlog-scan(1).\n",
	      f);
}

static int run(int argc, char **argv)
{
	enum { OPT_COLOR = 256, OPT_VERSION, OPT_LOG_GROUP };
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"color", required_argument, NULL, OPT_COLOR},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{"log-group", required_argument, NULL, OPT_LOG_GROUP},
		{"cluster", required_argument, NULL, OPT_LOG_GROUP},
		{NULL, 0, NULL, 0},
	};
	int c;
	/* A file-size limit (ulimit -f) must surface as a write error that
	 * rolls the batch back and exits 73, not as a SIGXFSZ kill. */
	signal(SIGXFSZ, SIG_IGN);
	opterr = 0;
	/* '+': stop at the command name; its options are its own. */
	while ((c = getopt_long(argc, argv, "+qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cli.db_path = optarg;
			break;
		case 'q':
			cli.quiet = 1;
			break;
		case 'v':
			cli.verbose++;
			break;
		case OPT_COLOR:
			if (cli_parse_color(NULL, optarg))
				return AL_USAGE;
			break;
		case 'h':
			usage(stdout);
			return AL_OK;
		case OPT_VERSION:
			printf("authlog-scan %s\n", AUTHLOG_VERSION);
			return AL_OK;
		case OPT_LOG_GROUP:
			/* `authlog-scan --log-group G` is the fetcher's short form. */
			return cmd_scan(argc, argv);
		default:
			if (optopt)
				cli_error(NULL, "unknown option '-%c'", optopt);
			else
				cli_error(NULL, "unknown option '%s'", argv[optind - 1]);
			fputs("Try 'authlog-scan --help'.\n", stderr);
			return AL_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return AL_USAGE;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name) == 0) {
			int cargc = argc - optind;
			char **cargv = argv + optind;
			if (!commands[i].own_globals) {
				int rc = cli_global_options(name, &cargc, cargv);
				if (rc)
					return rc;
			}
			optind = 0; /* glibc: re-initialise getopt for the command's own options */
			return commands[i].run(cargc, cargv);
		}
	}
	cli_error(NULL, "unknown command '%s'", name);
	fputs("Try 'authlog-scan --help'.\n", stderr);
	return AL_USAGE;
}

/* Why stdout failed when stdio kept no errno (a large write that went
 * around the buffer): a pipe whose reader left polls POLLERR. */
static int stdout_errno(void)
{
	struct pollfd p = {.fd = fileno(stdout), .events = POLLOUT};
	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR) ? EPIPE : 0;
}

/* Output that did not reach its file is a failure (a report cut short by
 * a full disk must not exit 0): stdout is flushed and closed, stderr
 * checked, and a failure is 74 (EX_IOERR) in one line, unless the command
 * failed already with its own status. A reader that went away (EPIPE,
 * SIGPIPE ignored: `... | head -1`) gets 74 without a message: it stopped
 * reading on purpose, and SIGPIPE's default would have ended us silently. */
static int finish_output(int rc)
{
	int e = 0, bad = ferror(stdout);
	if (fflush(stdout) != 0) {
		e = errno;
		bad = 1;
	}
	if (bad && !e)
		e = stdout_errno();
	if (fclose(stdout) != 0 && !bad) {
		e = errno;
		bad = 1;
	}
	if (bad && e != EPIPE) {
		if (e)
			cli_error(NULL, "write error: standard output: %s", strerror(e));
		else
			cli_error(NULL, "write error: standard output");
	}
	/* A message to a broken stderr cannot be read: the status says it. */
	if (ferror(stderr) || fflush(stderr) != 0)
		bad = 1;
	return bad && (rc == AL_OK || rc == AL_FINDINGS) ? AL_IOERR : rc;
}

int main(int argc, char **argv)
{
	int rc = finish_output(run(argc, argv));
	int sig = cli_signal();
	if (sig) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return rc;
}
