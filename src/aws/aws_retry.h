/* The SDKs' standard retry mode (botocore retries/standard.py,
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html):
 *
 *  - backoff, full jitter: delay = rand[0,1) * min(max_backoff,
 *    base * 2^(attempt-1)) with attempt the 1-based number of the attempt
 *    that just failed, base 1000 ms for throttling and 50 ms otherwise
 *    (botocore's next-generation scales; base_ms > 0 replaces both).  An
 *    x-amz-retry-after header is honoured, clamped to [delay, delay + 5 s].
 *  - retry quota: 500 tokens per client; a retry costs 5, or 10 after a
 *    timeout / connection error; a call that succeeds at once gives 1 back,
 *    one that succeeds after retries gives back what its last retry took;
 *    an empty bucket means fail now.
 *  - one clock-skew correction, from the Date header of an answer that
 *    says the signature's time is off. */
#ifndef AUTHLOG_AWS_RETRY_H
#define AUTHLOG_AWS_RETRY_H

#include <time.h>

#define AWS_RETRY_DEFAULT_MAX_ATTEMPTS 3
#define AWS_RETRY_DEFAULT_MAX_BACKOFF_MS 20000L
#define AWS_RETRY_QUOTA_INITIAL 500
#define AWS_RETRY_COST 5
#define AWS_RETRY_COST_TIMEOUT 10
#define AWS_RETRY_NO_RETRY_INCREMENT 1

struct aws_retry_opts {
	int max_attempts;     /* AWS_MAX_ATTEMPTS / max_attempts; default 3 */
	long max_backoff_ms;  /* 20000 */
	long base_ms;         /* 0: 1000 for throttling, 50 otherwise; > 0 replaces both */
};

/* The delay before the retry that follows the failed attempt number
 * `attempt` (1-based); r in [0, 1). */
long aws_retry_backoff_ms(const struct aws_retry_opts *o, int attempt, int throttling, double r,
			  long retry_after_ms);
/* A uniform number in [0, 1) from RAND_bytes. */
double aws_retry_rand01(void);

/* Takes cost tokens from *quota: 1, or 0 (unchanged) when there are not
 * enough. */
int aws_retry_quota_acquire(int *quota, int cost);
/* Gives amount back, never above AWS_RETRY_QUOTA_INITIAL. */
void aws_retry_quota_release(int *quota, int amount);

struct http_response;
/* RFC 1123 ("Tue, 24 Nov 2026 02:19:37 GMT"), also without the weekday;
 * RFC 850 and asctime are not accepted (AWS sends RFC 1123).  0 or -1. */
int aws_retry_parse_http_date(const char *s, time_t *out);
/* If the error (code, raw message) is a clock-skew error that the Date
 * header can correct, 1 with the new offset (server - local) in
 * *new_skew; else 0. */
int aws_retry_skew_correction(const char *code, const char *message, const struct http_response *r,
			      long cur_skew, time_t local_now, long *new_skew);

#endif
