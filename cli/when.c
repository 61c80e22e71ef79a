/* when.c: parse --expires values and the spans of --idle and --since. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/when.h"

int
span_parse(const char *text, int64_t *seconds)
{
	char *end;
	long long n;
	long long unit;

	/* strtoll alone would take " 1d" and "+1d". */
	if (!isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno != 0 || n <= 0 || *end == '\0' || end[1] != '\0')
		return -1;
	switch (*end) {
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	case 'w':
		unit = 7 * 86400;
		break;
	default:
		return -1;
	}
	if (n > SPAN_MAX / unit) /* a century is enough */
		return -1;
	*seconds = (int64_t)(n * unit);
	return 0;
}

static int
parse_span(const char *text, time_t now, time_t *out)
{
	int64_t span;

	if (span_parse(text, &span) == -1)
		return -1;
	*out = now + (time_t)span;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Does text have exactly this shape, '9' standing for any digit? */
static bool
shaped(const char *text, const char *shape)
{
	for (; *shape != '\0'; text++, shape++)
		if (*shape == '9' ? !isdigit((unsigned char)*text) :
				    *text != *shape)
			return false;
	return *text == '\0';
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM", local time. */
static int
parse_date(const char *text, time_t *out)
{
	int y, mo, d, h = 0, mi = 0, n = 0;
	struct tm tm;
	time_t t;

	/* sscanf's %d would take blanks and signs: "2026- 1-31". */
	if (!shaped(text, "9999-99-99") && !shaped(text, "9999-99-99T99:99"))
		return -1;
	if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	if (text[10] == 'T') {
		int m = 0;

		if (sscanf(text + 11, "%2d:%2d%n", &h, &mi, &m) != 2 ||
		    m != 5 || text[16] != '\0')
			return -1;
	} else if (text[10] != '\0')
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || h < 0 || mi > 59 || mi < 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	/* A date alone means through the end of that day. */
	tm.tm_mday = text[10] == '\0' ? d + 1 : d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	*out = t;
	return 0;
}

int
when_parse(const char *text, time_t now, time_t *out)
{
	if (text[0] != '\0' && isdigit((unsigned char)text[0]) &&
	    strchr(text, '-') != NULL)
		return parse_date(text, out);
	return parse_span(text, now, out);
}
