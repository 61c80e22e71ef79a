/* test_sendmail_args.c: the sendmail command line alias-sendmail takes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "rewriter/sendmail_args.h"

#define ARGV(...) ((char *[]){ "sendmail", __VA_ARGS__, NULL })

static int
ARGC(char **v)
{
	int n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

static void
parse_ok(int argc, char **argv, struct sendmail_args *a)
{
	char err[128];

	assert_int_equal(sendmail_args_parse(argc, argv, a, err, sizeof(err)),
	    0);
}

/* The rebuilt command line, space-separated, for easy comparison. */
static void
assert_built(const struct sendmail_args *a, const char *sender,
    const char *want)
{
	char **argv = sendmail_args_build(a, "/usr/sbin/sendmail", sender);
	char got[512] = "";

	assert_non_null(argv);
	for (char **p = argv; *p != NULL; p++) {
		strcat(got, *p);
		if (p[1] != NULL)
			strcat(got, " ");
	}
	free(argv);
	assert_string_equal(got, want);
}

static void
test_plain(void **state)
{
	char **v = ARGV("-oi", "-f", "me@example.net", "joe@example.org");
	struct sendmail_args a;

	(void)state;
	parse_ok(ARGC(v), v, &a);
	assert_true(a.deliver);
	assert_false(a.extract);
	assert_string_equal(a.sender, "me@example.net");
	assert_int_equal(a.nrcpts, 1);
	assert_string_equal(a.rcpts[0], "joe@example.org");
	assert_built(&a, "x@example.com",
	    "/usr/sbin/sendmail -f x@example.com -oi joe@example.org");
	assert_built(&a, NULL, "/usr/sbin/sendmail -oi joe@example.org");
	sendmail_args_free(&a);
}

static void
test_attached_and_combined(void **state)
{
	char **v = ARGV("-tif", "me@x.example", "-FMe Myself", "-oem",
	    "--dry-run", "-N", "never", "a@b.example");
	struct sendmail_args a;

	(void)state;
	parse_ok(ARGC(v), v, &a);
	assert_true(a.extract);
	assert_true(a.dry_run);
	assert_string_equal(a.sender, "me@x.example");
	assert_int_equal(a.nrcpts, 1);
	assert_built(&a, "s@example.com", "/usr/sbin/sendmail -f s@example.com "
	    "-ti -FMe Myself -oem -N never a@b.example");
	sendmail_args_free(&a);
}

static void
test_double_dash_and_permuted(void **state)
{
	char **v = ARGV("joe@example.org", "-oi", "--", "-odd@example.org");
	struct sendmail_args a;

	(void)state;
	parse_ok(ARGC(v), v, &a);
	assert_int_equal(a.nrcpts, 2);
	assert_string_equal(a.rcpts[0], "joe@example.org");
	assert_string_equal(a.rcpts[1], "-odd@example.org");
	assert_null(a.sender);
	sendmail_args_free(&a);
}

static void
test_modes(void **state)
{
	char **bs = ARGV("-bs");
	char **bm = ARGV("-bm", "-r", "me@example.net", "x@y.example");
	struct sendmail_args a;

	(void)state;
	parse_ok(ARGC(bs), bs, &a);
	assert_false(a.deliver);
	sendmail_args_free(&a);
	parse_ok(ARGC(bm), bm, &a);
	assert_true(a.deliver);
	assert_string_equal(a.sender, "me@example.net");
	sendmail_args_free(&a);
}

static void
test_missing_value(void **state)
{
	char **v = ARGV("joe@example.org", "-f");
	struct sendmail_args a;
	char err[128];

	(void)state;
	assert_int_equal(sendmail_args_parse(ARGC(v), v, &a, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "option -f needs a value");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_attached_and_combined),
		cmocka_unit_test(test_double_dash_and_permuted),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_missing_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
