#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_muttquote.c: the quoting of aliasctl mutt-hooks at each level mutt
 * reads a line at: the send-hook line (single quotes), the pattern
 * (double-quoted regular expressions) and the command (my_hdr escapes).
 * Expected strings are written as mutt would read them, one level at a
 * time, in the comments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/muttquote.h"

/* What put(s) writes, captured with open_memstream(); caller frees. */
static char *
capture(void (*put)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	assert_non_null(fp = open_memstream(&buf, &len));
	put(fp, s);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static void
expect_put(void (*put)(FILE *, const char *), const char *s, const char *want)
{
	char *got = capture(put, s);

	assert_string_equal(got, want);
	free(got);
}

/* got is a string returned by a muttquote function: compare, free. */
static void
expect(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* The send-hook line: taken literally, ' written as '\''. */
static void
test_squoted(void **state)
{
	(void)state;
	expect_put(mutt_put_squoted, "o'brien", "'o'\\''brien'");
	expect_put(mutt_put_squoted, "''", "''\\'''\\'''");
	expect_put(mutt_put_squoted, "", "''");
	/* nothing else acts inside single quotes */
	expect_put(mutt_put_squoted, "a\\b\"c$d`e;#", "'a\\b\"c$d`e;#'");
}

/* Double quotes: \ " $ ` get a backslash, nothing else does. */
static void
test_dquoted(void **state)
{
	(void)state;
	/* a\b"c$d`e  ->  "a\\b\"c\$d\`e" */
	expect_put(mutt_put_dquoted, "a\\b\"c$d`e", "\"a\\\\b\\\"c\\$d\\`e\"");
	expect_put(mutt_put_dquoted, "'; #", "\"'; #\"");
	expect_put(mutt_put_dquoted, "", "\"\"");
}

/* An address with + and . matches itself only: anchored, escaped. */
static void
test_regex_address(void **state)
{
	(void)state;
	/* ^joe\+news\.x@example\.org$ */
	expect(mutt_correspondent_regex("joe+news.x@example.org"),
	    "^joe\\+news\\.x@example\\.org$");
	/* a domain: not anchored at the start */
	expect(mutt_correspondent_regex("@example.org"), "@example\\.org$");
}

/* Every ERE metacharacter is escaped. */
static void
test_regex_metacharacters(void **state)
{
	(void)state;
	/* ^a\.b\[c\]\(d\)\{e\}\*f\?g\|h\^i\$j\\k@x\.org$ */
	expect(mutt_correspondent_regex("a.b[c](d){e}*f?g|h^i$j\\k@x.org"),
	    "^a\\.b\\[c\\]\\(d\\)\\{e\\}\\*f\\?g\\|h\\^i\\$j\\\\k@x\\.org$");
}

/* An address's pattern: the regex escaped again for double quotes. */
static void
test_pattern_address(void **state)
{
	(void)state;
	/* regex ^joe\+x@example\.org$, double-quoted
	 * "^joe\\+x@example\\.org\$" */
	expect(mutt_hook_pattern("joe+x@example.org", NULL, 0),
	    "~C \"^joe\\\\+x@example\\\\.org\\$\" "
	    "^~C \"^joe\\\\+x@example\\\\.org\\$\"");
	/* regex ^a`b"c\$d@x\.org$, double-quoted "^a\`b\"c\\\$d@x\\.org\$" */
	expect(mutt_hook_pattern("a`b\"c$d@x.org", NULL, 0),
	    "~C \"^a\\`b\\\"c\\\\\\$d@x\\\\.org\\$\" "
	    "^~C \"^a\\`b\\\"c\\\\\\$d@x\\\\.org\\$\"");
}

/* A domain's pattern leaves out the addresses with hooks of their own. */
static void
test_pattern_domain(void **state)
{
	static const char *const exact[] = { "ann@example.org",
		"joe.b+x@example.org" };

	(void)state;
	expect(mutt_hook_pattern("@example.org", NULL, 0),
	    "~C \"@example\\\\.org\\$\" ^~C \"@example\\\\.org\\$\"");
	/* regex ^(ann|joe\.b\+x)@example\.org$ */
	expect(mutt_hook_pattern("@example.org", exact, 2),
	    "~C \"@example\\\\.org\\$\" ^~C \"@example\\\\.org\\$\" "
	    "!~C \"^(ann|joe\\\\.b\\\\+x)@example\\\\.org\\$\"");
}

/* The whole send-hook argument: a pattern with ' single-quoted. */
static void
test_pattern_squoted(void **state)
{
	char *pattern;

	(void)state;
	assert_non_null(pattern = mutt_hook_pattern("o'b@x.org", NULL, 0));
	expect_put(mutt_put_squoted, pattern,
	    "'~C \"^o'\\''b@x\\\\.org\\$\" ^~C \"^o'\\''b@x\\\\.org\\$\"'");
	free(pattern);
}

/* The command: my_hdr keeps quotes, but ; # $ ` \ are escaped. */
static void
test_command(void **state)
{
	(void)state;
	expect(mutt_hook_command(NULL, "a@b.org"),
	    "my_hdr From: a@b.org; my_hdr Reply-To: a@b.org");
	expect(mutt_hook_command("Jane Doe", "a@b.org"),
	    "my_hdr From: Jane Doe <a@b.org>; "
	    "my_hdr Reply-To: Jane Doe <a@b.org>");
	/* "Jo; #1 $x`y\z" <a@b.org> with ; # $ ` \ escaped; the phrase's
	 * own \ is doubled first */
	expect(mutt_hook_command("Jo; #1 $x`y\\z", "a@b.org"),
	    "my_hdr From: \"Jo\\; \\#1 \\$x\\`y\\\\\\\\z\" <a@b.org>; "
	    "my_hdr Reply-To: \"Jo\\; \\#1 \\$x\\`y\\\\\\\\z\" <a@b.org>");
	/* a name that is not an atom is a quoted-string */
	expect(mutt_hook_command("J. Doe", "a@b.org"),
	    "my_hdr From: \"J. Doe\" <a@b.org>; "
	    "my_hdr Reply-To: \"J. Doe\" <a@b.org>");
}

/* The default hook: unmy_hdr, and $from double-quoted. */
static void
test_default_command(void **state)
{
	(void)state;
	expect(mutt_default_command("Jane", NULL), "unmy_hdr From: Reply-To:");
	expect(mutt_default_command("Jane \"J\"", "d$@x.org"),
	    "unmy_hdr From: Reply-To:; "
	    "set from=\"\\\"Jane \\\\\\\"J\\\\\\\"\\\" <d\\$@x.org>\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_squoted),
		cmocka_unit_test(test_dquoted),
		cmocka_unit_test(test_regex_address),
		cmocka_unit_test(test_regex_metacharacters),
		cmocka_unit_test(test_pattern_address),
		cmocka_unit_test(test_pattern_domain),
		cmocka_unit_test(test_pattern_squoted),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_default_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
