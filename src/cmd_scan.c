/* authlog-scan scan / --log-group — the CloudWatch Logs Insights fetcher.
 * The names are reserved so that scripts written for the fetcher fail
 * clearly instead of doing something else. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "status.h"

int cmd_scan(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs("usage: authlog-scan scan --log-group NAME | --cluster NAME [--since 24h] ...\n"
			      "       authlog-scan --log-group NAME\n"
			      "\n"
			      "Fetch authenticator events with CloudWatch Logs Insights. Reserved: the\n"
			      "fetcher is not in this build; export the results of the bundled queries\n"
			      "('authlog-scan queries') and load them with 'authlog-scan import'.\n",
			      stdout);
			return AL_OK;
		}
	}
	cli_error("scan", "the CloudWatch Logs fetcher is not in this build yet; run the queries in "
			  "'authlog-scan queries', export the results and use 'authlog-scan import FILE'");
	return AL_USAGE;
}
