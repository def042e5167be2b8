/* The report computed from the `events` view alone, the way it was before
 * the rollups: the oracle the rollup report (src/report.c) is held to,
 * byte for byte, by test_rollup and tests/cli/test_report_rollup.py. */
#ifndef AUTHLOG_REPORT_ORACLE_H
#define AUTHLOG_REPORT_ORACLE_H

#include "report.h"

/* report_run's contract, from the events. */
int report_oracle_run(sqlite3 *db, const struct report_opts *o, FILE *out, long long *denials, char *err,
		      size_t err_sz);

#endif
