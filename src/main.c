/* authlog-scan: read the EKS authenticator logs and explain every
 * "You must be logged in to the server (Unauthorized)". */
#include <getopt.h>
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
} commands[] = {
	{"import", cmd_import, "parse log lines into the database ('-' = stdin)"},
	{"report", cmd_report, "summarize what is stored (text | markdown | json)"},
	{"explain", cmd_explain, "classify one error text or log line and print cause + fix"},
	{"creator", cmd_creator, "who created the cluster (kubernetes-admin) and when last seen"},
	{"sql", cmd_sql, "run read-only SQL (--format table|csv|json)"},
	{"queries", cmd_queries, "list the bundled Logs Insights queries"},
	{"scan", cmd_scan, "fetch from CloudWatch Logs Insights, store, report (also: --log-group NAME)"},
	{"whoami", cmd_whoami, "credential source, region, endpoints and the STS caller identity"},
};

static void usage(FILE *f)
{
	fputs("usage: authlog-scan [--db PATH] [-q|--quiet] [-v|--verbose] [--color=auto|always|never]\n"
	      "                    COMMAND [ARGS]\n"
	      "       authlog-scan --help | --version\n\ncommands:\n",
	      f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("\nThe database defaults to $AUTHLOG_DB, else $XDG_DATA_HOME/authlog-scan/authlog.db.\n"
	      "Run 'authlog-scan COMMAND --help' for a command's options; see authlog-scan(1).\n",
	      f);
}

int main(int argc, char **argv)
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
			optind = 0; /* glibc: re-initialise getopt for the command's own options */
			return commands[i].run(cargc, cargv);
		}
	}
	cli_error(NULL, "unknown command '%s'", name);
	fputs("Try 'authlog-scan --help'.\n", stderr);
	return AL_USAGE;
}
