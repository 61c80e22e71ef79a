#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_when.c: the WHEN of --expires: dates, date-times and spans; the
 * SPAN of --idle and --since.
 * Runs in UTC so that local time is known.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/when.h"

#define NOW ((time_t)1700000000) /* 2023-11-14T22:13:20Z */

static time_t
ok(const char *text)
{
	time_t t = 0;

	if (when_parse(text, NOW, &t) != 0)
		fail_msg("\"%s\" rejected", text);
	return t;
}

static void
bad(const char *text)
{
	time_t t = 12345;

	if (when_parse(text, NOW, &t) == 0)
		fail_msg("\"%s\" accepted as %lld", text, (long long)t);
	assert_int_equal(t, 12345);
}

static void
test_dates(void **state)
{
	(void)state;
	/* A date means through its end: midnight starting the next day. */
	assert_int_equal(ok("2026-12-31"), 1798761600); /* 2027-01-01 */
	assert_int_equal(ok("2026-01-01"), 1767312000); /* 2026-01-02 */
	assert_int_equal(ok("2028-02-29"), 1835481600); /* leap day */
	assert_int_equal(ok("2026-02-28"), 1772323200); /* to 03-01 */
	assert_int_equal(ok("2000-02-29"), 951868800);
	assert_int_equal(ok("1970-01-01"), 86400);
}

static void
test_date_times(void **state)
{
	(void)state;
	assert_int_equal(ok("2026-12-31T18:00"), 1798740000);
	assert_int_equal(ok("2026-12-31T00:00"), 1798675200);
	assert_int_equal(ok("2026-12-31T23:59"), 1798761540);
	assert_int_equal(ok("2028-02-29T12:30"), 1835440200);
}

static void
test_spans(void **state)
{
	(void)state;
	assert_int_equal(ok("12h"), NOW + 12 * 3600);
	assert_int_equal(ok("1h"), NOW + 3600);
	assert_int_equal(ok("30d"), NOW + 30 * 86400);
	assert_int_equal(ok("2w"), NOW + 14 * 86400);
	assert_int_equal(ok("36500d"), NOW + (time_t)36500 * 86400);
}

static void
test_bad_dates(void **state)
{
	(void)state;
	bad("2026-02-30");
	bad("2026-02-29"); /* not a leap year */
	bad("1900-02-29");
	bad("2026-13-01");
	bad("2026-00-10");
	bad("2026-04-31");
	bad("2026-12-00");
	bad("2026-12-32");
	bad("1969-12-31");
	bad("2026-12-31T25:00");
	bad("2026-12-31T24:00");
	bad("2026-12-31T18:60");
	bad("2026-12-31T18:00:00");
	bad("2026-12-31T18:00Z");
	bad("2026-12-31T18");
	bad("2026-12-31T");
	bad("2026-12-31 18:00");
	bad("2026-12-31x");
	bad("2026-12-3");
	bad("2026-1-31");
	bad("26-12-31");
	bad("2026-12-31-");
	bad("2026- 1-31");
	bad("2026-+1-31");
	bad("2026-12-+1");
	bad("2026-12-31T 8:00");
	bad("2026-12-31T+8:00");
}

static void
test_bad_spans(void **state)
{
	(void)state;
	bad("");
	bad("12");
	bad("12x");
	bad("12m");
	bad("12hh");
	bad("12h ");
	bad("0d");
	bad("-1d");
	bad("d");
	bad("h");
	bad("1.5d");
	bad("1e3d");
	bad(" 1d");
	bad("+1d");
	bad("99999999999999999999d");
	bad("36601d"); /* past a century */
	bad("5300w");
	bad("tomorrow");
	bad("never");
}

/* span_parse: the SPAN of --idle and --since, the same grammar. */
static void
test_span_alone(void **state)
{
	int64_t n = 7;

	(void)state;
	assert_int_equal(span_parse("12h", &n), 0);
	assert_int_equal(n, 12 * 3600);
	assert_int_equal(span_parse("30d", &n), 0);
	assert_int_equal(n, 30 * 86400);
	assert_int_equal(span_parse("2w", &n), 0);
	assert_int_equal(n, 14 * 86400);
	assert_int_equal(span_parse("36600d", &n), 0);
	assert_int_equal(n, SPAN_MAX);
	n = 7;
	assert_int_equal(span_parse("36601d", &n), -1);
	assert_int_equal(span_parse("2026-12-31", &n), -1);
	assert_int_equal(span_parse("", &n), -1);
	assert_int_equal(span_parse("0h", &n), -1);
	assert_int_equal(span_parse("none", &n), -1);
	assert_int_equal(span_parse("9223372036854775807w", &n), -1);
	assert_int_equal(n, 7); /* untouched on failure */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_date_times),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_bad_dates),
		cmocka_unit_test(test_bad_spans),
		cmocka_unit_test(test_span_alone),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
