/* test_sendmail_args.c: the sendmail command line alias-sendmail takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sendmail/sendmail_args.h"

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
	assert_built(&a, "s@example.com",
	    "/usr/sbin/sendmail -f s@example.com "
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
	assert_int_equal(sendmail_args_parse(ARGC(v), v, &a, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "option -f needs a value");
}

/* The recipients found, space-separated. */
static void
assert_rcpts(const struct sendmail_args *a, const char *want)
{
	char got[512] = "";

	for (size_t i = 0; i < a->nrcpts; i++) {
		strcat(got, a->rcpts[i]);
		if (i + 1 < a->nrcpts)
			strcat(got, " ");
	}
	assert_string_equal(got, want);
}

static void
parse_bad(int argc, char **argv, const char *want)
{
	struct sendmail_args a;
	char err[128];

	assert_int_equal(sendmail_args_parse(argc, argv, &a, err, sizeof(err)),
	    -1);
	assert_string_equal(err, want);
	sendmail_args_free(&a); /* harmless after an error */
}

/* Issue 11: the file name of -D was taken for a recipient. */
static void
test_debug_file(void **state)
{
	char **sep = ARGV("-D", "debug.log", "joe@example.org");
	char **att = ARGV("-Ddebug.log", "-oi", "joe@example.org");
	struct sendmail_args a;

	(void)state;
	parse_ok(ARGC(sep), sep, &a);
	assert_true(a.deliver);
	assert_rcpts(&a, "joe@example.org");
	assert_built(&a, NULL,
	    "/usr/sbin/sendmail -D debug.log joe@example.org");
	sendmail_args_free(&a);
	parse_ok(ARGC(att), att, &a);
	assert_rcpts(&a, "joe@example.org");
	sendmail_args_free(&a);
}

/* Issue 11: -MJfoo@x defines macro J; it was read as -f oo@x. */
static void
test_macro(void **state)
{
	char **att = ARGV("-MJfoo@x.example", "joe@example.org");
	char **sep = ARGV("-M", "Jfoo@x.example", "joe@example.org");
	char **brace = ARGV("-M{auth}me", "-f", "me@example.net", "j@e.org");
	struct sendmail_args a;

	(void)state;
	parse_ok(ARGC(att), att, &a);
	assert_null(a.sender);
	assert_rcpts(&a, "joe@example.org");
	assert_built(&a, "s@example.com",
	    "/usr/sbin/sendmail -f "
	    "s@example.com -MJfoo@x.example joe@example.org");
	sendmail_args_free(&a);
	parse_ok(ARGC(sep), sep, &a);
	assert_null(a.sender);
	assert_rcpts(&a, "joe@example.org");
	assert_built(&a, NULL,
	    "/usr/sbin/sendmail -M Jfoo@x.example joe@example.org");
	sendmail_args_free(&a);
	parse_ok(ARGC(brace), brace, &a);
	assert_string_equal(a.sender, "me@example.net");
	assert_rcpts(&a, "j@e.org");
	sendmail_args_free(&a);
}

/* Every option that takes a value, attached and as the next argument:
 * the value is never a recipient and everything is passed on in order. */
static void
test_every_value_option(void **state)
{
	static const char letters[] = "ABCDFLMNOVXehop";
	struct sendmail_args a;
	char opt[8], att[16], want[128];

	(void)state;
	for (const char *l = letters; *l != '\0'; l++) {
		char *sep[] = { "sendmail", opt, "v-1", "joe@example.org",
			NULL };
		char *one[] = { "sendmail", att, "joe@example.org", NULL };

		snprintf(opt, sizeof(opt), "-%c", *l);
		snprintf(att, sizeof(att), "-%cv-1", *l);
		parse_ok(3 + 1, sep, &a);
		assert_true(a.deliver);
		assert_null(a.sender);
		assert_rcpts(&a, "joe@example.org");
		snprintf(want, sizeof(want),
		    "/usr/sbin/sendmail -f s@e.com "
		    "-%c v-1 joe@example.org",
		    *l);
		assert_built(&a, "s@e.com", want);
		sendmail_args_free(&a);
		parse_ok(3, one, &a);
		assert_rcpts(&a, "joe@example.org");
		snprintf(want, sizeof(want),
		    "/usr/sbin/sendmail "
		    "-%cv-1 joe@example.org",
		    *l);
		assert_built(&a, NULL, want);
		sendmail_args_free(&a);
		/* -C alone is -Csendmail.cf: tested with the modes. */
		if (*l == 'C')
			continue;
		/* A value that looks like an option is still the value,
		 * as getopt() takes it. */
		sep[2] = "-t";
		parse_ok(4, sep, &a);
		assert_false(a.extract);
		assert_rcpts(&a, "joe@example.org");
		sendmail_args_free(&a);
		/* and a missing one is an error */
		sep[2] = NULL;
		snprintf(want, sizeof(want), "option -%c needs a value", *l);
		parse_bad(2, sep, want);
	}
}

static void
test_sender(void **state)
{
	char **r = ARGV("-r", "me@example.net", "joe@example.org");
	char **att = ARGV("-fme@example.net", "joe@example.org");
	char **empty = ARGV("-f", "", "joe@example.org");
	char **late = ARGV("joe@example.org", "-oi", "-f", "me@example.net");
	struct sendmail_args a;

	(void)state;
	parse_ok(ARGC(r), r, &a);
	assert_string_equal(a.sender, "me@example.net");
	assert_built(&a, "s@e.com",
	    "/usr/sbin/sendmail -f s@e.com "
	    "joe@example.org");
	sendmail_args_free(&a);
	parse_ok(ARGC(att), att, &a);
	assert_string_equal(a.sender, "me@example.net");
	assert_rcpts(&a, "joe@example.org");
	sendmail_args_free(&a);
	parse_ok(ARGC(empty), empty, &a);
	assert_string_equal(a.sender, ""); /* the null sender, <> */
	assert_rcpts(&a, "joe@example.org");
	sendmail_args_free(&a);
	parse_ok(ARGC(late), late, &a);
	assert_string_equal(a.sender, "me@example.net");
	assert_rcpts(&a, "joe@example.org");
	assert_built(&a, "s@e.com",
	    "/usr/sbin/sendmail -f s@e.com "
	    "joe@example.org -oi");
	sendmail_args_free(&a);
}

static void
test_bundled_flags(void **state)
{
	char **ti = ARGV("-ti");
	char **oi_t = ARGV("-oi", "-t");
	char **many = ARGV("-vtiGUx", "-em", "-oem", "-h", "20",
	    "a@b.example");
	char **value_last = ARGV("-tiN", "never", "a@b.example");
	struct sendmail_args a;

	(void)state;
	parse_ok(ARGC(ti), ti, &a);
	assert_true(a.extract);
	assert_int_equal(a.nrcpts, 0);
	assert_built(&a, "s@e.com", "/usr/sbin/sendmail -f s@e.com -ti");
	sendmail_args_free(&a);
	parse_ok(ARGC(oi_t), oi_t, &a);
	assert_true(a.extract);
	assert_int_equal(a.nrcpts, 0);
	assert_built(&a, NULL, "/usr/sbin/sendmail -oi -t");
	sendmail_args_free(&a);
	parse_ok(ARGC(many), many, &a);
	assert_true(a.extract);
	assert_true(a.deliver);
	assert_rcpts(&a, "a@b.example");
	assert_built(&a, NULL,
	    "/usr/sbin/sendmail -vtiGUx -em -oem -h 20 a@b.example");
	sendmail_args_free(&a);
	parse_ok(ARGC(value_last), value_last, &a);
	assert_true(a.extract);
	assert_rcpts(&a, "a@b.example");
	sendmail_args_free(&a);
}

/* What -b, -q, -Q, -d and -I mean for whether a message is sent. */
static void
test_mode_letters(void **state)
{
	static const char *not_mail[] = { "-bp", "-bt", "-bv", "-bi", "-bD",
		"-bd", "-bh", "-bH", "-bP", "-bC", "-q", "-q1h",
		"-qRexample.org", "-qIabc", "-Q", "-Qreason", "-I", "-vbp" };
	char **sep = ARGV("-b", "s");
	char **last = ARGV("-bp", "-bm", "joe@example.org");
	char **arpa = ARGV("-ba", "joe@example.org");
	char **qbare = ARGV("-q", "-v");
	char **dbare = ARGV("-d", "joe@example.org");
	char **cbare = ARGV("-C", "-t");
	struct sendmail_args a;

	(void)state;
	for (size_t i = 0; i < sizeof(not_mail) / sizeof(*not_mail); i++) {
		char *v[] = { "sendmail", (char *)not_mail[i], NULL };

		parse_ok(2, v, &a);
		assert_false(a.deliver);
		assert_false(a.smtp);
		assert_int_equal(a.nkeep, 1);
		sendmail_args_free(&a);
	}
	parse_ok(ARGC(sep), sep, &a);
	assert_true(a.smtp);
	assert_false(a.deliver);
	sendmail_args_free(&a);
	parse_ok(ARGC(last), last, &a); /* the last -b counts */
	assert_true(a.deliver);
	sendmail_args_free(&a);
	parse_ok(ARGC(arpa), arpa, &a); /* a message too: rewritten */
	assert_true(a.deliver);
	assert_rcpts(&a, "joe@example.org");
	sendmail_args_free(&a);
	parse_ok(ARGC(qbare), qbare, &a);
	assert_false(a.deliver);
	assert_built(&a, NULL, "/usr/sbin/sendmail -q -v");
	sendmail_args_free(&a);
	parse_ok(ARGC(dbare), dbare, &a); /* sendmail: -d0-99.1 */
	assert_rcpts(&a, "joe@example.org");
	sendmail_args_free(&a);
	parse_ok(ARGC(cbare), cbare, &a); /* sendmail: -Csendmail.cf */
	assert_true(a.extract);
	sendmail_args_free(&a);
	parse_bad(ARGC(ARGV("-bz")), ARGV("-bz"), "unknown mode -bz");
	parse_bad(ARGC(ARGV("-b", "")), ARGV("-b", ""), "unknown mode -b");
}

static void
test_unknown_and_ours(void **state)
{
	char **help = ARGV("--help", "--bogus");
	char **version = ARGV("-oi", "--version");
	char **dry = ARGV("-bt", "--dry-run");
	struct sendmail_args a;

	(void)state;
	parse_bad(ARGC(ARGV("-K", "x@y.example")), ARGV("-K", "x@y.example"),
	    "unknown option -K");
	parse_bad(ARGC(ARGV("-tK")), ARGV("-tK"), "unknown option -K");
	parse_bad(ARGC(ARGV("--bogus")), ARGV("--bogus"),
	    "unknown option --bogus");
	parse_ok(ARGC(help), help, &a);
	assert_true(a.help);
	sendmail_args_free(&a);
	parse_ok(ARGC(version), version, &a);
	assert_true(a.version);
	sendmail_args_free(&a);
	parse_ok(ARGC(dry), dry, &a);
	assert_true(a.dry_run);
	assert_false(a.deliver);
	assert_built(&a, NULL, "/usr/sbin/sendmail -bt");
	sendmail_args_free(&a);
	/* After "--" nothing is an option, ours neither. */
	parse_ok(ARGC(ARGV("--", "--bogus", "-")), ARGV("--", "--bogus", "-"),
	    &a);
	assert_rcpts(&a, "--bogus -");
	assert_false(a.dry_run);
	sendmail_args_free(&a);
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
		cmocka_unit_test(test_debug_file),
		cmocka_unit_test(test_macro),
		cmocka_unit_test(test_every_value_option),
		cmocka_unit_test(test_sender),
		cmocka_unit_test(test_bundled_flags),
		cmocka_unit_test(test_mode_letters),
		cmocka_unit_test(test_unknown_and_ours),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
