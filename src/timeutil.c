#include "timeutil.h"

#include <string.h>
#include <time.h>

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian
 * calendar, and no dependence on TZ or timegm(). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

static int digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static const unsigned char month_days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

int time_parse(const char *s, size_t len, int64_t *epoch)
{
	int Y, M, D, h, m, sec;

	if (len >= 10 && len <= 16 && s[0] != '-') {
		/* epoch milliseconds, as emulators return @timestamp */
		int64_t v = 0;
		size_t i;
		for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			v = v * 10 + (s[i] - '0');
		if (i == len) {
			*epoch = v / 1000;
			return 0;
		}
	}
	if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &Y) || digits(s + 5, 2, &M) || digits(s + 8, 2, &D) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &m) || digits(s + 17, 2, &sec))
		return -1;
	if (M < 1 || M > 12 || D < 1 || D > month_days[M - 1] || h > 23 || m > 59 || sec > 60)
		return -1;
	size_t i = 19;
	if (i < len && s[i] == '.') {
		i++;
		size_t start = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return -1;
	}
	int64_t off = 0;
	if (i == len) {
		/* no zone: Logs Insights prints UTC without a suffix */
	} else if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
	} else if ((s[i] == '+' || s[i] == '-') && i + 6 == len && s[i + 3] == ':') {
		int oh, om;
		if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = (int64_t)(oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
	} else {
		return -1;
	}
	if (sec == 60)
		sec = 59; /* a leap second sorts with its minute */
	*epoch = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 + sec - off;
	return 0;
}

void time_format(int64_t epoch, char out[TIME_ISO_LEN])
{
	int64_t days = epoch / 86400, rem = epoch % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int y;
	unsigned mo, d;
	civil_from_days(days, &y, &mo, &d);
	if (y < 0 || y > 9999) {
		memcpy(out, "0000-00-00T00:00:00Z", TIME_ISO_LEN);
		return;
	}
	/* Fixed-width digits by hand: every field is range-checked above, and
	 * this runs once per stored row. */
	unsigned v[6] = {(unsigned)y, mo, d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
			 (unsigned)(rem % 60)};
	out[0] = (char)('0' + v[0] / 1000);
	out[1] = (char)('0' + v[0] / 100 % 10);
	out[2] = (char)('0' + v[0] / 10 % 10);
	out[3] = (char)('0' + v[0] % 10);
	static const char seps[5] = {'-', '-', 'T', ':', ':'};
	for (int i = 1; i < 6; i++) {
		out[4 + (i - 1) * 3] = seps[i - 1];
		out[5 + (i - 1) * 3] = (char)('0' + v[i] / 10);
		out[6 + (i - 1) * 3] = (char)('0' + v[i] % 10);
	}
	out[19] = 'Z';
	out[20] = '\0';
}

int time_parse_since(const char *s, int64_t now, int64_t *epoch)
{
	size_t len = strlen(s);
	if (len >= 2 && len <= 12) {
		int64_t n = 0;
		size_t i;
		for (i = 0; i + 1 < len && s[i] >= '0' && s[i] <= '9'; i++)
			n = n * 10 + (s[i] - '0');
		if (i == len - 1 && i > 0) {
			int64_t unit;
			switch (s[i]) {
			case 's': unit = 1; break;
			case 'm': unit = 60; break;
			case 'h': unit = 3600; break;
			case 'd': unit = 86400; break;
			case 'w': unit = 7 * 86400; break;
			default: return -1;
			}
			*epoch = now - n * unit;
			return 0;
		}
	}
	return time_parse(s, len, epoch);
}

int64_t time_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
