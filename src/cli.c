#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "status.h"
#include "store.h"

struct cli_options cli = {NULL, 0, 0, COLOR_AUTO};

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("authlog-scan: ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_verbose(const char *cmd, const char *fmt, ...)
{
	if (!cli.verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "authlog-scan: %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_color(FILE *f)
{
	if (cli.color == COLOR_ALWAYS)
		return 1;
	if (cli.color == COLOR_NEVER)
		return 0;
	const char *no = getenv("NO_COLOR");
	if (no && *no)
		return 0;
	return isatty(fileno(f));
}

char *cli_db_path(void)
{
	return cli.db_path ? strdup(cli.db_path) : store_default_path();
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
	const char *opt = argv[optind - 1];
	if (c == ':')
		cli_error(cmd, "option '%s' needs a value", opt);
	else if (optopt)
		cli_error(cmd, "unknown option '-%c'", optopt);
	else
		cli_error(cmd, "unknown option '%s'", opt);
	fprintf(stderr, "Try 'authlog-scan %s --help'.\n", cmd);
	return AL_USAGE;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "authlog-scan: %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	fprintf(stderr, "Try 'authlog-scan %s --help'.\n", cmd);
	return AL_USAGE;
}

const char *cli_queries_dir(void)
{
	const char *env = getenv("AUTHLOG_QUERIES_DIR");
	struct stat st;
	if (env && *env)
		return env;
	if (stat(AUTHLOG_QUERIES_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return AUTHLOG_QUERIES_DIR;
	return AUTHLOG_SOURCE_QUERIES_DIR; /* a fresh build works before 'meson install' */
}
