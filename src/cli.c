#include "cli.h"

#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "config.h"
#include "status.h"
#include "store.h"
#include "timeutil.h"

struct cli_options cli = {NULL, 0, 0, COLOR_AUTO};

/* "authlog-scan: CMD: MESSAGE" on stderr, one line. */
static void say(const char *cmd, const char *fmt, va_list ap)
{
	fputs("authlog-scan: ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say(cmd, fmt, ap);
	va_end(ap);
}

void cli_verbose(const char *cmd, const char *fmt, ...)
{
	if (!cli.verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	say(cmd, fmt, ap);
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

int cli_width(FILE *f)
{
	struct winsize ws;
	if (isatty(fileno(f)) && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

static atomic_int caught;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal flag must be lock-free");

static void on_signal(int sig)
{
	if (atomic_load(&caught)) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	atomic_store(&caught, sig);
}

static const int caught_signals[2] = {SIGINT, SIGTERM};
static struct sigaction saved[2];

void cli_signals_catch(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 2; i++) {
		sigaction(caught_signals[i], NULL, &saved[i]);
		/* A background job of a non-interactive shell starts with
		 * SIGINT ignored: it stays ignored. */
		if (saved[i].sa_handler != SIG_IGN)
			sigaction(caught_signals[i], &sa, NULL);
	}
}

void cli_signals_release(void)
{
	for (int i = 0; i < 2; i++)
		sigaction(caught_signals[i], &saved[i], NULL);
}

int cli_signal(void)
{
	return atomic_load(&caught);
}

char *cli_db_path(void)
{
	return cli.db_path ? strdup(cli.db_path) : store_default_path();
}

int cli_store_open(const char *cmd, enum store_mode mode, struct store **out)
{
	char err[512];
	char *path = cli_db_path();
	*out = NULL;
	if (!path)
		return AL_SOFTWARE;
	int rc = store_open(path, mode, out, err, sizeof(err));
	if (rc)
		cli_error(cmd, "%s", err);
	free(path);
	return rc;
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
	say(cmd, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'authlog-scan %s --help'.\n", cmd);
	return AL_USAGE;
}

int cli_option_once(const char *cmd, const char *opt, const char **field, const char *arg, const char *hint)
{
	if (*field)
		return cli_usage_error(cmd, "%s given twice ('%s', '%s')%s%s", opt, *field, arg, hint ? "; " : "",
				       hint ? hint : "");
	*field = arg;
	return AL_OK;
}

int cli_parse_color(const char *cmd, const char *arg)
{
	static const char *const names[] = {[COLOR_AUTO] = "auto", [COLOR_ALWAYS] = "always", [COLOR_NEVER] = "never"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(arg, names[i]) == 0) {
			cli.color = (enum color_mode)i;
			return AL_OK;
		}
	}
	char msg[512];
	snprintf(msg, sizeof(msg), "--color must be auto, always or never, not '%s'", arg);
	if (cmd)
		return cli_usage_error(cmd, "%s", msg);
	cli_error(NULL, "%s", msg);
	return AL_USAGE;
}

int cli_global_options(const char *cmd, int *argc, char **argv)
{
	int out = 1, i;
	for (i = 1; i < *argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];
		int rc = AL_OK;
		if (strncmp(a, "--color=", 8) == 0) {
			rc = cli_parse_color(cmd, a + 8);
		} else if (strncmp(a, "--db=", 5) == 0) {
			cli.db_path = a + 5;
		} else if (strcmp(a, "--color") == 0 || strcmp(a, "--db") == 0) {
			if (i + 1 == *argc)
				return cli_usage_error(cmd, "option '%s' needs a value", a);
			if (a[2] == 'c')
				rc = cli_parse_color(cmd, argv[++i]);
			else
				cli.db_path = argv[++i];
		} else if (strcmp(a, "--quiet") == 0) {
			cli.quiet = 1;
		} else if (strcmp(a, "--verbose") == 0) {
			cli.verbose++;
		} else if (a[0] == '-' && a[1] && strspn(a + 1, "qv") == strlen(a + 1)) {
			for (const char *p = a + 1; *p; p++) {
				if (*p == 'q')
					cli.quiet = 1;
				else
					cli.verbose++;
			}
		} else {
			argv[out++] = argv[i];
		}
		if (rc)
			return rc;
	}
	while (i < *argc)
		argv[out++] = argv[i++];
	argv[out] = NULL;
	*argc = out;
	return AL_OK;
}

int cli_parse_format(const char *cmd, const char *arg, enum report_format *out)
{
	if (!strcmp(arg, "text"))
		*out = REPORT_TEXT;
	else if (!strcmp(arg, "markdown") || !strcmp(arg, "md"))
		*out = REPORT_MARKDOWN;
	else if (!strcmp(arg, "json"))
		*out = REPORT_JSON;
	else
		return cli_usage_error(cmd, "--format must be text, markdown or json, not '%s'", arg);
	return AL_OK;
}

int cli_parse_report_format(const char *cmd, const char *arg, enum report_format *out)
{
	if (!strcmp(arg, "prometheus"))
		*out = REPORT_PROMETHEUS;
	else if (!strcmp(arg, "lines"))
		*out = REPORT_LINES;
	else if (strcmp(arg, "text") && strcmp(arg, "markdown") && strcmp(arg, "md") && strcmp(arg, "json"))
		return cli_usage_error(cmd, "--format must be text, markdown, json, prometheus or lines, not '%s'",
				       arg);
	else
		return cli_parse_format(cmd, arg, out);
	return AL_OK;
}

int cli_parse_time(const char *cmd, const char *opt, const char *arg, int64_t now, int64_t *out)
{
	if (time_parse_since(arg, now, out) != 0)
		return cli_usage_error(cmd, "%s: '%s' is not a time (use 30m, 24h, 7d or RFC 3339)", opt, arg);
	if (*out < TIME_OPTION_MIN || *out > TIME_OPTION_MAX)
		return cli_usage_error(cmd, "%s: '%s' is out of range (times run from 1970-01-01 to 9998-12-31 UTC)",
				       opt, arg);
	return AL_OK;
}

int cli_parse_number(const char *cmd, const char *opt, const char *arg, long lo, long hi, long *out)
{
	char *end;
	long n = strtol(arg, &end, 10);
	if (end == arg || *end || n < lo || n > hi)
		return cli_usage_error(cmd, "%s must be a number from %ld to %ld, not '%s'", opt, lo, hi, arg);
	*out = n;
	return AL_OK;
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
