#include "aws_retry.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "aws_error.h"
#include "http.h"

#define THROTTLING_BASE_MS 1000L
#define TRANSIENT_BASE_MS 50L
#define RETRY_AFTER_MAX_EXTRA_MS 5000L
#define SKEW_THRESHOLD_S 240 /* > 4 min between our clock and the Date header */

/* RFC 1123 ("Tue, 24 Nov 2026 02:19:37 GMT"), also without the weekday and
 * RFC 850 / asctime are not accepted (AWS sends RFC 1123).  0 or -1. */
int aws_retry_parse_http_date(const char *s, time_t *out)
{
	static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	if (!s)
		return -1;
	const char *comma = strchr(s, ',');
	if (comma)
		s = comma + 1;
	int day, year, hh, mm, ss;
	char mon[4], zone[8];
	if (sscanf(s, " %2d %3s %4d %2d:%2d:%2d %7s", &day, mon, &year, &hh, &mm, &ss, zone) != 7)
		return -1;
	if (strcmp(zone, "GMT") != 0 && strcmp(zone, "UTC") != 0)
		return -1;
	int m = -1;
	for (int i = 0; i < 12; i++)
		if (strcasecmp(mon, months[i]) == 0)
			m = i;
	if (m < 0 || day < 1 || day > 31 || year < 1970 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	struct tm tm = {0};
	tm.tm_year = year - 1900;
	tm.tm_mon = m;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t;
	return 0;
}

static int message_says_skew(const char *msg)
{
	static const char *const words[] = {
		"signature expired", "not yet current", "too skewed", "time-skew",
		"request has expired", "is now earlier than", "is still later than", NULL,
	};
	if (!msg)
		return 0;
	for (size_t i = 0; words[i]; i++)
		if (strcasestr(msg, words[i]))
			return 1;
	return 0;
}

/* If the error is a clock-skew error that the Date header can correct,
 * returns 1 and stores the new offset (server - local) in *new_skew. */
int aws_retry_skew_correction(const char *code, const char *message, const struct http_response *r,
			   long cur_skew, time_t local_now, long *new_skew)
{
	time_t server;
	if (!code || aws_retry_parse_http_date(r->date, &server) != 0)
		return 0;
	long offset = (long)(server - local_now);
	long diff = offset - cur_skew;
	int date_skewed = diff > SKEW_THRESHOLD_S || diff < -SKEW_THRESHOLD_S;
	int skew_error = aws_error_is_skew(code) ||
			 (aws_error_is_signature(code) && (message_says_skew(message) || date_skewed));
	if (!skew_error || diff == 0)
		return 0;
	/* A signature error whose Date is close to our clock is a real
	 * signature error: correcting by a second or two would not help. */
	if (!date_skewed && !aws_error_is_skew(code) && (diff < 60 && diff > -60))
		return 0;
	*new_skew = offset;
	return 1;
}


double aws_retry_rand01(void)
{
	uint64_t v = 0;
	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = (uint64_t)rand() << 32 ^ (uint64_t)rand();
	return (double)(v >> 11) * (1.0 / 9007199254740992.0); /* [0, 1) */
}


/* Full-jitter backoff before the retry that follows the failed attempt
 * number `attempt` (1-based); r in [0, 1). */
long aws_retry_backoff_ms(const struct aws_retry_opts *o, int attempt, int throttling, double r,
		       long retry_after_ms)
{
	long cap = o->max_backoff_ms > 0 ? o->max_backoff_ms : AWS_RETRY_DEFAULT_MAX_BACKOFF_MS;
	long base = o->base_ms > 0 ? o->base_ms : (throttling ? THROTTLING_BASE_MS : TRANSIENT_BASE_MS);
	double ceiling = (double)base;
	for (int i = 1; i < attempt && ceiling < (double)cap; i++)
		ceiling *= 2;
	if (ceiling > (double)cap)
		ceiling = (double)cap;
	long delay = (long)(r * ceiling);
	if (retry_after_ms > 0) {
		long lo = delay, hi = delay + RETRY_AFTER_MAX_EXTRA_MS;
		delay = retry_after_ms < lo ? lo : retry_after_ms > hi ? hi : retry_after_ms;
	}
	return delay;
}

int aws_retry_quota_acquire(int *quota, int cost)
{
	if (*quota < cost)
		return 0;
	*quota -= cost;
	return 1;
}

void aws_retry_quota_release(int *quota, int amount)
{
	*quota += amount;
	if (*quota > AWS_RETRY_QUOTA_INITIAL)
		*quota = AWS_RETRY_QUOTA_INITIAL;
}
