#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_smtpaddr.c: the envelope addresses the milter judges, normalized
 * the way the MTA will deliver them (SPEC.md, "aliasd (the milter)").
 * Every result must leave a NUL-terminated out, whatever the input.
 */
#include <stdio.h>
#include <string.h>

#include "common/address.h"
#include "common/smtpaddr.h"

/* Expect result st and, for SMTPADDR_OK and SMTPADDR_NODOMAIN, out. */
static void
parse_is(const char *in, enum smtpaddr_result st, const char *want)
{
	char out[ADDRESS_MAX];
	enum smtpaddr_result got;

	memset(out, 'x', sizeof(out));
	got = smtpaddr_parse(in, out, sizeof(out));
	if (got != st)
		fail_msg("\"%.80s\": result %d, want %d (out \"%.80s\")", in,
		    (int)got, (int)st,
		    memchr(out, '\0', sizeof(out)) != NULL ? out :
							     "(unterminated)");
	assert_non_null(memchr(out, '\0', sizeof(out)));
	if (want != NULL)
		assert_string_equal(out, want);
}

static void
ok(const char *in, const char *want)
{
	parse_is(in, SMTPADDR_OK, want);
}

static void
bad(const char *in)
{
	parse_is(in, SMTPADDR_BAD, NULL);
}

static void
test_plain(void **state)
{
	(void)state;
	ok("<x@example.com>", "x@example.com");
	ok("x@example.com", "x@example.com");
	ok(" <x@example.com> ", "x@example.com");
	ok("<mail-0001-q3@example.com>", "mail-0001-q3@example.com");
	ok("<first.last+tag@sub.example.com>",
	    "first.last+tag@sub.example.com");
}

static void
test_case(void **state)
{
	(void)state;
	ok("<Mail-0001-Q3@Example.COM>", "mail-0001-q3@example.com");
	ok("JOE@EXAMPLE.ORG", "joe@example.org");
}

static void
test_route(void **state)
{
	(void)state;
	ok("<@route1,@route2:x@example.com>", "x@example.com");
	ok("<@relay.example.net:x@example.com>", "x@example.com");
	ok("@route1:x@example.com", "x@example.com");
}

static void
test_trailing_dot(void **state)
{
	(void)state;
	ok("x@example.com.", "x@example.com");
	ok("<x@Example.Com.>", "x@example.com");
	bad("x@example.com..");
	bad("x@.");
}

static void
test_quoted(void **state)
{
	(void)state;
	/* a quoted dot-atom is the same mailbox */
	ok("\"x\"@example.com", "x@example.com");
	ok("<\"Mail-0001-q3\"@example.com>", "mail-0001-q3@example.com");
	ok("\"\\x\"@example.com", "x@example.com");
	/* anything else stays quoted and so matches none of our dot-atoms */
	ok("\"x y\"@example.com", "\"x y\"@example.com");
	ok("\"a\\\"b\"@example.com", "\"a\\\"b\"@example.com");
	ok("\"a..b\"@example.com", "\"a..b\"@example.com");
	ok("\"x@y\"@example.com", "\"x@y\"@example.com");
	ok("\"\"@example.com", "\"\"@example.com");
	/* the quoted form is the one the MTA delivers: not x@example.com */
	ok("\"x.\"@example.com", "\"x.\"@example.com");
}

static void
test_quoted_bad(void **state)
{
	(void)state;
	bad("\"x@example.com"); /* no closing quote */
	bad("<\"x>");
	bad("\"x\\\"@example.com"); /* the only quote is escaped */
	bad("\"x\"y@example.com"); /* text after the quote */
}

static void
test_null(void **state)
{
	(void)state;
	parse_is("<>", SMTPADDR_NULL, "");
	parse_is(" <> ", SMTPADDR_NULL, "");
	parse_is("", SMTPADDR_NULL, "");
}

static void
test_nodomain(void **state)
{
	(void)state;
	parse_is("postmaster", SMTPADDR_NODOMAIN, "postmaster");
	parse_is("<Postmaster>", SMTPADDR_NODOMAIN, "postmaster");
	parse_is("<abuse>", SMTPADDR_NODOMAIN, "abuse");
	parse_is("\"Postmaster\"", SMTPADDR_NODOMAIN, "postmaster");
}

static void
test_garbage(void **state)
{
	(void)state;
	bad("<");
	bad(">");
	bad("<<>");
	bad("<x@example.com");
	bad("x@example.com>");
	bad("@");
	bad("<@>");
	bad("<@route:>");
	bad("x@");
	bad("<x@>");
	bad("@example.com");
	bad("x@-bad-.com");
	bad("x@bad_domain.com");
	bad("x@exa mple.com");
	bad("x@[192.0.2.1]");
	bad("x@@example.com");
	bad("a@b@example.com");
	bad("x y@example.com");
	bad("a..b@example.com");
	bad(".x@example.com");
	bad("x.@example.com");
	bad("x\r\n@example.com");
	bad("x<y>@example.com");
}

static void
test_overlong(void **state)
{
	char in[1100], local[LOCAL_MAX + 2], label[64];
	char want[ADDRESS_MAX];

	(void)state;
	/* the longest local part and the longest domain still pass */
	memset(local, 'a', LOCAL_MAX);
	local[LOCAL_MAX] = '\0';
	snprintf(in, sizeof(in), "<%s@example.com>", local);
	snprintf(want, sizeof(want), "%s@example.com", local);
	ok(in, want);
	memset(label, 'b', 63);
	label[63] = '\0';
	/* 4 labels of 63 and 3 dots: 255 > 253 */
	snprintf(in, sizeof(in), "x@%s.%s.%s.%s", label, label, label, label);
	bad(in);
	/* 3 labels of 63, one of 61, 3 dots: 253 */
	snprintf(in, sizeof(in), "x@%s.%s.%s.%.61s", label, label, label,
	    label);
	parse_is(in, SMTPADDR_OK, NULL);
	/* one more byte of local part, quoted or not, is too long */
	memset(local, 'a', LOCAL_MAX + 1);
	local[LOCAL_MAX + 1] = '\0';
	snprintf(in, sizeof(in), "<%s@example.com>", local);
	bad(in);
	snprintf(in, sizeof(in), "<\"%s\"@example.com>", local);
	bad(in);
	/* a quoted local part counts its quotes: 64 pass, 65 do not */
	snprintf(in, sizeof(in), "\"%.30s %.31s\"@example.com", local, local);
	ok(in, NULL);
	snprintf(in, sizeof(in), "\"%.31s %.31s\"@example.com", local, local);
	bad(in);
	snprintf(in, sizeof(in), "%s", local);
	bad(in); /* a bare local part too long */
	/* a label of 64 */
	snprintf(in, sizeof(in), "x@%sb.com", label);
	bad(in);
	/* 1000 characters of each kind */
	memset(in, 'a', 1000);
	in[1000] = '\0';
	bad(in);
	in[500] = '@';
	bad(in);
	in[0] = '<';
	in[999] = '>';
	bad(in);
	memset(in, '"', 1000);
	bad(in);
	memset(in, '@', 1000);
	bad(in);
	memset(in, '<', 1000);
	bad(in);
}

static void
test_utf8(void **state)
{
	(void)state;
	/* SMTPUTF8: 8-bit local part and domain kept, ASCII lowercased */
	ok("<J\xc3\xb6rg@Example.com>", "j\xc3\xb6rg@example.com");
	ok("\xe7\x94\xb0\xe4\xb8\xad@example.com",
	    "\xe7\x94\xb0\xe4\xb8\xad@example.com");
	ok("x@b\xc3\xbc\x63her.example", "x@b\xc3\xbc\x63her.example");
}

/* MAIL FROM and RCPT take only valid UTF-8 without control characters
 * (C0, DEL, C1): what a stranger sends must not reach the store and from
 * there the owner's terminal.  Quoted local parts too, even kept quoted. */
static void
test_not_text(void **state)
{
	static const char *const refused[] = {
		"<j\xf6rg@example.com>", /* Latin-1 */
		"<x@b\xfc"
		"cher.example>",
		"<\xc0\xafx@example.com>", /* overlong */
		"<x@\xe0\x80\xae"
		"example.com>",
		"<\xed\xa0\x80@example.com>", /* surrogate */
		"<x\xc2\x85@example.com>", /* C1 NEL */
		"<x@ex\xc2\x9b"
		"31m.example>", /* C1 CSI */
		"<x\x9b"
		"31m@example.com>", /* raw C1 byte */
		"<x\xe2\x82@example.com>", /* truncated */
		"<x@example.com\xf0\x9f>",
		"<\xf4\x90\x80\x80@example.com>", /* > U+10FFFF */
		"<\"x\x1b[2J\"@example.com>", /* quoted C0 */
		"<\"x\x7f\"@example.com>", /* quoted DEL */
		"<\"x\xc2\x85\"@example.com>", /* quoted C1 */
		"<\"\xff\"@example.com>", /* quoted non-UTF-8 */
		"<\"x\\\x01\"@example.com>", /* escaped C0 */
		"\"post\x01master\"", /* no domain */
		"<post\xc2\x85master>",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		parse_is(refused[i], SMTPADDR_BAD, "");
	/* Valid UTF-8 stays welcome, quoted or not. */
	ok("<\"j\xc3\xb6rg r\"@example.com>", "\"j\xc3\xb6rg r\"@example.com");
	ok("<\xf4\x8f\xbf\xbf@example.com>", "\xf4\x8f\xbf\xbf@example.com");
}

static void
test_small_out(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(smtpaddr_parse("x@example.com", out, sizeof(out)),
	    SMTPADDR_BAD);
	assert_non_null(memchr(out, '\0', sizeof(out)));
	assert_int_equal(smtpaddr_parse("x@example.com", out, 0),
	    SMTPADDR_BAD);
	assert_int_equal(smtpaddr_parse("x@a.b", out, sizeof(out)),
	    SMTPADDR_OK);
	assert_string_equal(out, "x@a.b");
	/* "postmaster" needs 11 bytes */
	assert_int_equal(smtpaddr_parse("postmaster", out, sizeof(out)),
	    SMTPADDR_BAD);
	assert_non_null(memchr(out, '\0', sizeof(out)));
}

/* Expect smtpaddr_guess_domain to give want, or -1 when want is NULL. */
static void
guess_is(const char *in, const char *want)
{
	char out[DOMAIN_MAX + 1];
	int rc;

	rc = smtpaddr_guess_domain(in, out, sizeof(out));
	if (want == NULL) {
		if (rc != -1)
			fail_msg("\"%.80s\": guessed \"%s\"", in, out);
		return;
	}
	if (rc != 0)
		fail_msg("\"%.80s\": no domain guessed, want \"%s\"", in,
		    want);
	assert_string_equal(out, want);
}

static void
test_guess_domain(void **state)
{
	char in[1100];

	(void)state;
	guess_is("<x@Example.COM>", "example.com");
	guess_is("x@-bad-.com", "-bad-.com");
	guess_is("\"x@example.com", "example.com");
	guess_is("x y@example.com.", "example.com");
	guess_is("x@example.com..", "example.com");
	guess_is("<a@b@EXAMPLE.com >", "example.com");
	guess_is("x@example.com\t>", "example.com");
	guess_is("", NULL);
	guess_is("<", NULL);
	guess_is("@", NULL);
	guess_is("x@", NULL);
	guess_is("x@>", NULL);
	guess_is("x@.", NULL);
	guess_is("postmaster", NULL);
	memset(in, 'a', 1000);
	in[1000] = '\0';
	guess_is(in, NULL);
	in[10] = '@';
	guess_is(in, NULL); /* 989 bytes: too long */
}

/* Found by fuzzing: an unquoted dot-atom was copied without checking
 * the room left. */
static void
test_quoted_small_out(void **state)
{
	char out[4];

	(void)state;
	memset(out, 'Z', sizeof(out));
	assert_int_equal(smtpaddr_parse("\"_xyz\"@example.com", out, 2),
	    SMTPADDR_BAD);
	assert_int_equal(out[2], 'Z');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoted_small_out),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_case),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_trailing_dot),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_quoted_bad),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_nodomain),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_not_text),
		cmocka_unit_test(test_small_out),
		cmocka_unit_test(test_guess_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
