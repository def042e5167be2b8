/* Time in the shapes the logs use. All times are UTC seconds since the
 * epoch; the stored form is "YYYY-MM-DDTHH:MM:SSZ" (20 chars + NUL). */
#ifndef AUTHLOG_TIMEUTIL_H
#define AUTHLOG_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#define TIME_ISO_LEN 21

/* The times a command-line option may name: 1970-01-01T00:00:00Z to
 * 9998-12-31T23:59:59Z. The stored form has four-digit years, and a
 * report rounds its window's edges out to whole hours and days, so a
 * time in year 9999 could round past 9999-12-31 (and a --since there
 * became "everything"); before 1970 no log exists. */
#define TIME_OPTION_MIN INT64_C(0)
#define TIME_OPTION_MAX INT64_C(253370764799)

/* Accepts RFC 3339 ("2022-12-28T15:37:19Z", fractions, +hh:mm offsets),
 * the Logs Insights form "2022-12-26 20:46:48.123" (UTC), and epoch
 * milliseconds ("1672260439000"). 0 on success, -1 otherwise. */
int time_parse(const char *s, size_t len, int64_t *epoch);
void time_format(int64_t epoch, char out[TIME_ISO_LEN]);
/* "30m", "24h", "7d", "2w", "90s" relative to now, or an absolute
 * time_parse form. 0 / -1. */
int time_parse_since(const char *s, int64_t now, int64_t *epoch);
/* Milliseconds of CLOCK_MONOTONIC: for waits and deadlines, which a clock
 * set back or forward must not stretch or cut. */
int64_t time_mono_ms(void);

#endif
