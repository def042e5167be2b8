/* What every command shares: the global options, one-line error
 * messages ("authlog-scan: CMD: …"), colour decisions and the command
 * entry points main() dispatches to (one cmd_*.c file per command). */
#ifndef AUTHLOG_CLI_H
#define AUTHLOG_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "report.h"
#include "store.h"

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct cli_options {
	const char *db_path; /* --db, or NULL for the default */
	int quiet, verbose;
	enum color_mode color;
};

extern struct cli_options cli;

void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_verbose(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Colour on stream f: --color, then NO_COLOR, then isatty. */
int cli_color(FILE *f);

/* The columns prose on f is wrapped to: a terminal's width, else 80. */
int cli_width(FILE *f);
/* The database path to use; caller frees. NULL on out-of-memory. */
char *cli_db_path(void);
/* Opens the database at cli_db_path(); on failure says why, as cmd. */
int cli_store_open(const char *cmd, enum store_mode mode, struct store **out);
/* Where the bundled Logs Insights queries are: $AUTHLOG_QUERIES_DIR, else
 * the installed copy, else the source tree. */
const char *cli_queries_dir(void);
/* getopt_long returned '?' or ':' (optstrings start with ':'): names
 * the bad option in one line, points to --help, returns AL_USAGE. */
int cli_bad_option(const char *cmd, int c, char **argv);
/* A usage problem other than a bad option. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An option that holds one value (--profile, --region): *field = arg, or a
 * usage error when it was given already (with "; HINT" when not NULL),
 * never the last one silently. */
int cli_option_once(const char *cmd, const char *opt, const char **field, const char *arg, const char *hint);

/* SIGINT and SIGTERM for a command that stops cleanly: the first sets
 * what cli_signal() returns, for the command to poll; a second ends the
 * process at once. cli_signals_release restores the defaults; main()
 * then ends the process by the caught signal, after the output is
 * flushed, so a shell sees 128+N as of any interrupted program. */
void cli_signals_catch(void);
void cli_signals_release(void);
int cli_signal(void); /* the signal caught, 0 if none */

/* Option values every command reads the same way. Each returns AL_OK, or
 * AL_USAGE after saying what is wrong (cmd NULL: a global option, before
 * any command). */
int cli_parse_color(const char *cmd, const char *arg);
/* The global options written after the command name (--db, -q, -v,
 * --color, as before it): applied and removed from argv (up to a "--"),
 * *argc updated, so the command sees only its own. AL_OK or AL_USAGE. */
int cli_global_options(const char *cmd, int *argc, char **argv);
int cli_parse_format(const char *cmd, const char *arg, enum report_format *out);
/* report's --format: those, plus prometheus and lines. */
int cli_parse_report_format(const char *cmd, const char *arg, enum report_format *out);
/* A time for option opt ("--since"): time_parse_since relative to now,
 * within TIME_OPTION_MIN..TIME_OPTION_MAX (timeutil.h). */
int cli_parse_time(const char *cmd, const char *opt, const char *arg, int64_t now, int64_t *out);
/* A decimal number in [lo, hi], for option opt ("--top"). */
int cli_parse_number(const char *cmd, const char *opt, const char *arg, long lo, long hi, long *out);

int cmd_import(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_creator(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_queries(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_whoami(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_clusters(int argc, char **argv);

#endif
