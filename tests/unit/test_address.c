#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_address.c: the syntax of correspondents and mailboxes, the one
 * gate every address passes before it reaches the store or a map file.
 */
#include <stdio.h>
#include <string.h>

#include "common/address.h"

/* Parse as a correspondent; expect success and the normalized form. */
static void
good(const char *in, const char *want)
{
	char out[ADDRESS_MAX];
	const char *why;

	why = address_parse_correspondent(in, out, sizeof(out));
	if (why != NULL)
		fail_msg("\"%s\" rejected: %s", in, why);
	assert_string_equal(out, want);
}

/* Parse as a correspondent; expect this reason and an empty out. */
static void
bad(const char *in, const char *reason)
{
	char out[ADDRESS_MAX];
	const char *why;

	memset(out, 'x', sizeof(out));
	why = address_parse_correspondent(in, out, sizeof(out));
	if (why == NULL)
		fail_msg("\"%s\" accepted as \"%s\"", in, out);
	assert_string_equal(why, reason);
	assert_string_equal(out, "");
}

static void
test_correspondent_good(void **state)
{
	(void)state;
	good("joe@example.org", "joe@example.org");
	good("Joe@Example.ORG", "joe@example.org");
	good("<Joe@Example.ORG>", "joe@example.org");
	good("  <joe@example.org>\t", "joe@example.org");
	good(" joe@example.org ", "joe@example.org");
	good("@example.org", "@example.org");
	good("@EXAMPLE.org", "@example.org");
	good("<@example.org>", "@example.org");
	good("first.last+tag@sub.example.co.uk",
	    "first.last+tag@sub.example.co.uk");
	good("a!#$%&'*+-/=?^_`{|}~z@x.y", "a!#$%&'*+-/=?^_`{|}~z@x.y");
	good("joe@localhost", "joe@localhost");
	good("joe@a-b.example", "joe@a-b.example");
	good("joe@123.example", "joe@123.example");
}

static void
test_correspondent_8bit(void **state)
{
	(void)state;
	/* SMTPUTF8: bytes above 0x7f pass untouched, ASCII is folded. */
	good("J\xc3\xb6rg@B\xc3\xbc"
	     "cher.example",
	    "j\xc3\xb6rg@b\xc3\xbc"
	    "cher.example");
	good("\xe7\x94\xb0\xe4\xb8\xad@\xe4\xbe\x8b.jp",
	    "\xe7\x94\xb0\xe4\xb8\xad@\xe4\xbe\x8b.jp");
}

static void
test_correspondent_bad(void **state)
{
	(void)state;
	bad("", "empty address");
	bad("   ", "empty address");
	bad("<>", "empty address");
	bad("joe", "missing @domain");
	bad("joe.example.org", "missing @domain");
	bad("joe@", "missing domain");
	bad("@", "missing domain");
	bad("a b@c", "invalid local part");
	bad("joe@@x", "invalid local part");
	bad(".joe@x", "invalid local part");
	bad("joe.@x", "invalid local part");
	bad("jo..e@x", "invalid local part");
	bad("\"joe\"@x", "invalid local part");
	bad("jo\te@x", "holds a control character");
	bad("jo\x01"
	    "e@x",
	    "holds a control character");
	bad("jo\x7f"
	    "e@x",
	    "holds a control character");
	bad("joe@-x.org", "invalid domain");
	bad("joe@x-.org", "invalid domain");
	bad("joe@x..org", "invalid domain");
	bad("joe@.x.org", "invalid domain");
	bad("joe@x.org.", "invalid domain");
	bad("joe@x_y.org", "invalid domain");
	bad("joe@x\x01.org", "holds a control character");
	bad("joe@[127.0.0.1]", "invalid domain");
	bad("joe@x y.org", "invalid domain");
	bad("<joe@example.org", "invalid local part");
	bad("joe@example.org>", "invalid domain");
}

static void
test_correspondent_lengths(void **state)
{
	char local[LOCAL_MAX + 2], in[ADDRESS_MAX + 10], want[ADDRESS_MAX];
	char label[64], domain[DOMAIN_MAX + 10];

	(void)state;
	/* A local part of exactly 64 is fine, 65 is not. */
	memset(local, 'a', LOCAL_MAX);
	local[LOCAL_MAX] = '\0';
	snprintf(in, sizeof(in), "%s@x.org", local);
	good(in, in);
	memset(local, 'a', LOCAL_MAX + 1);
	local[LOCAL_MAX + 1] = '\0';
	snprintf(in, sizeof(in), "%s@x.org", local);
	bad(in, "invalid local part");

	/* A label of 63 is fine, 64 is not. */
	memset(label, 'b', 63);
	label[63] = '\0';
	snprintf(in, sizeof(in), "joe@%s.org", label);
	good(in, in);
	snprintf(in, sizeof(in), "joe@%sb.org", label);
	bad(in, "invalid domain");

	/* A domain of 253 is fine (4 labels of 63 with dots = 255: trim). */
	snprintf(domain, sizeof(domain), "%s.%s.%s.%.61s", label, label, label,
	    label);
	assert_int_equal(strlen(domain), DOMAIN_MAX);
	snprintf(in, sizeof(in), "j@%s", domain);
	memcpy(want, in, strlen(in) + 1);
	good(in, want);
	snprintf(domain, sizeof(domain), "%s.%s.%s.%.62s", label, label, label,
	    label);
	assert_int_equal(strlen(domain), DOMAIN_MAX + 1);
	snprintf(in, sizeof(in), "j@%s", domain);
	bad(in, "invalid domain");
}

static void
test_correspondent_outlen(void **state)
{
	char out[8];

	(void)state;
	/* Too long for the caller's buffer: an error, never a cut. */
	assert_string_equal(address_parse_correspondent("joe@example.org", out,
				sizeof(out)),
	    "address too long");
	assert_string_equal(out, "");
	assert_null(address_parse_correspondent("j@x.org", out, sizeof(out)));
	assert_string_equal(out, "j@x.org");
}

static void
test_mailbox(void **state)
{
	char out[ADDRESS_MAX];

	(void)state;
	assert_null(
	    address_parse_mailbox("<Joe@Example.ORG>", out, sizeof(out)));
	assert_string_equal(out, "joe@example.org");
	/* A bare domain is a correspondent, never a mailbox. */
	assert_string_equal(address_parse_mailbox("@example.org", out,
				sizeof(out)),
	    "missing local part");
	assert_string_equal(out, "");
	assert_string_equal(address_parse_mailbox("joe@", out, sizeof(out)),
	    "missing domain");
	assert_string_equal(address_parse_mailbox("@", out, sizeof(out)),
	    "missing local part");
	assert_string_equal(address_parse_mailbox("a b@c", out, sizeof(out)),
	    "invalid local part");
	assert_string_equal(address_parse_mailbox("", out, sizeof(out)),
	    "empty address");
}

static void
test_split(void **state)
{
	char local[LOCAL_MAX + 1], domain[DOMAIN_MAX + 1];
	char small[4];

	(void)state;
	assert_int_equal(address_split("joe@example.org", local, sizeof(local),
			     domain, sizeof(domain)),
	    0);
	assert_string_equal(local, "joe");
	assert_string_equal(domain, "example.org");
	/* The last '@' splits. */
	assert_int_equal(address_split("a@b@c", local, sizeof(local), domain,
			     sizeof(domain)),
	    0);
	assert_string_equal(local, "a@b");
	assert_string_equal(domain, "c");
	assert_int_equal(address_split("@example.org", local, sizeof(local),
			     domain, sizeof(domain)),
	    0);
	assert_string_equal(local, "");
	assert_string_equal(domain, "example.org");
	assert_int_equal(address_split("joe", local, sizeof(local), domain,
			     sizeof(domain)),
	    -1);
	/* Too long for a buffer: -1, not a cut. */
	assert_int_equal(address_split("joe@x", small, sizeof(small), domain,
			     sizeof(domain)),
	    0);
	assert_int_equal(address_split("joel@x", small, sizeof(small), domain,
			     sizeof(domain)),
	    -1);
	assert_int_equal(address_split("j@xyzw", local, sizeof(local), small,
			     sizeof(small)),
	    -1);
	assert_int_equal(address_split("j@xyz", local, sizeof(local), small,
			     sizeof(small)),
	    0);
	assert_string_equal(small, "xyz");
}

static void
test_domain_and_lower(void **state)
{
	char s[] = "MiXeD@Case.ORG\xc3\x84";

	(void)state;
	assert_string_equal(address_domain("joe@example.org"), "example.org");
	assert_string_equal(address_domain("@example.org"), "example.org");
	assert_null(address_domain("joe"));
	address_lower(s);
	assert_string_equal(s, "mixed@case.org\xc3\x84");
}

#define LV(s) address_local_valid(s, strlen(s))
#define DV(s) address_domain_valid(s, strlen(s))

static void
test_local_valid(void **state)
{
	char buf[LOCAL_MAX + 2];

	(void)state;
	assert_true(LV("a"));
	assert_true(LV("a.b.c"));
	assert_true(LV("mail-0001-q3"));
	assert_true(LV("j\xc3\xb6rg"));
	assert_false(LV("\xff"));
	assert_false(LV("a\xc2\x85"));
	assert_false(LV(""));
	assert_false(LV("."));
	assert_false(LV(".a"));
	assert_false(LV("a."));
	assert_false(LV("a..b"));
	assert_false(LV("a b"));
	assert_false(LV("a@b"));
	assert_false(LV("a\"b"));
	assert_false(LV("a(b"));
	assert_false(LV("a,b"));
	assert_false(LV("a\\b"));
	memset(buf, 'x', LOCAL_MAX);
	assert_true(address_local_valid(buf, LOCAL_MAX));
	assert_false(address_local_valid(buf, LOCAL_MAX + 1));
	/* Only len bytes count: a longer string's head is judged alone. */
	assert_true(address_local_valid("ab..", 2));
	assert_false(address_local_valid("ab..", 3));
}

static void
test_domain_valid(void **state)
{
	(void)state;
	assert_true(DV("a"));
	assert_true(DV("example.org"));
	assert_true(DV("xn--bcher-kva.example"));
	assert_true(DV("0.example"));
	assert_true(DV("a-b-c.d"));
	assert_true(DV("\xc3\xbc.example"));
	assert_false(DV("\xfc.example"));
	assert_false(DV("a\xc2\x9b.example"));
	assert_false(DV(""));
	assert_false(DV("."));
	assert_false(DV("-a.org"));
	assert_false(DV("a-.org"));
	assert_false(DV("a.-org"));
	assert_false(DV("a..org"));
	assert_false(DV(".a.org"));
	assert_false(DV("a.org."));
	assert_false(DV("a_b.org"));
	assert_false(DV("a b.org"));
	assert_false(DV("a@b.org"));
	assert_true(address_domain_valid("a.org..", 5));
	assert_false(address_domain_valid("a.org..", 6));
}

/* Found by fuzzing: "#x@..." would be a comment line in every exported
 * map, and its refusal would silently vanish from sendmail's and
 * Postfix's tables. */
static void
test_hash_local_part(void **state)
{
	char out[ADDRESS_MAX];

	(void)state;
	assert_false(address_local_valid("#sales", 6));
	assert_true(address_local_valid("sa#les", 6));
	assert_non_null(
	    address_parse_correspondent("#x@example.org", out, sizeof(out)));
}

/* The one validator of outside text: valid UTF-8, no control
 * character.  Each case is a whole string; len is its strlen. */
static void
test_check_text(void **state)
{
	static const char *const valid[] = {
		"", "abc", "mail-0001-q3@example.com",
		"\xc2\xa0", /* U+00A0: just past C1 */
		"\xc3\xa9", /* U+00E9 */
		"\xe2\x82\xac", /* U+20AC */
		"\xed\x9f\xbf", /* U+D7FF: below surrogates */
		"\xee\x80\x80", /* U+E000: above them */
		"\xef\xbf\xbd", /* U+FFFD */
		"\xf0\x9f\x98\x80", /* U+1F600 */
		"\xf4\x8f\xbf\xbf", /* U+10FFFF, the last */
		"~", /* U+007E: just below DEL */
	};
	static const struct {
		const char *text;
		const char *why;
	} invalid[] = {
		/* C0, DEL, C1 (as UTF-8): control characters */
		{ "\x01", "holds a control character" },
		{ "a\tb", "holds a control character" },
		{ "a\nb", "holds a control character" },
		{ "\x1b[31m", "holds a control character" },
		{ "\x7f", "holds a control character" },
		{ "\xc2\x80", "holds a control character" },
		{ "\xc2\x85", "holds a control character" },
		{ "\xc2\x9b", "holds a control character" },
		{ "\xc2\x9f", "holds a control character" },
		/* C1 as raw bytes: stray continuation bytes */
		{ "\x85", "not valid UTF-8" },
		{ "\x9b", "not valid UTF-8" },
		{ "\x80", "not valid UTF-8" },
		{ "\xbf", "not valid UTF-8" },
		/* overlong forms */
		{ "\xc0\x80", "not valid UTF-8" },
		{ "\xc0\xaf", "not valid UTF-8" },
		{ "\xc1\xbf", "not valid UTF-8" },
		{ "\xe0\x80\xaf", "not valid UTF-8" },
		{ "\xe0\x9f\xbf", "not valid UTF-8" },
		{ "\xf0\x80\x80\xaf", "not valid UTF-8" },
		{ "\xf0\x8f\xbf\xbf", "not valid UTF-8" },
		/* surrogates, alone and paired as CESU-8 */
		{ "\xed\xa0\x80", "not valid UTF-8" },
		{ "\xed\xbf\xbf", "not valid UTF-8" },
		{ "\xed\xa0\xbd\xed\xb8\x80", "not valid UTF-8" },
		/* truncated sequences */
		{ "\xc3", "not valid UTF-8" },
		{ "\xe2\x82", "not valid UTF-8" },
		{ "\xf0\x9f\x98", "not valid UTF-8" },
		{ "a\xe2\x82z", "not valid UTF-8" },
		{ "\xc3\x28", "not valid UTF-8" },
		/* beyond U+10FFFF, and bytes UTF-8 never uses */
		{ "\xf4\x90\x80\x80", "not valid UTF-8" },
		{ "\xf5\x80\x80\x80", "not valid UTF-8" },
		{ "\xf7\xbf\xbf\xbf", "not valid UTF-8" },
		{ "\xf8\x88\x80\x80\x80", "not valid UTF-8" },
		{ "\xfe", "not valid UTF-8" },
		{ "\xff", "not valid UTF-8" },
		/* Latin-1, as a misconfigured client sends it */
		{ "j\xf6rg", "not valid UTF-8" },
	};
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		if ((why = address_check_text(valid[i], strlen(valid[i]))) !=
		    NULL)
			fail_msg("valid case %zu refused: %s", i, why);
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		why = address_check_text(invalid[i].text,
		    strlen(invalid[i].text));
		if (why == NULL)
			fail_msg("invalid case %zu taken", i);
		assert_string_equal(why, invalid[i].why);
	}
	/* Only len bytes are judged: a character cut by len is invalid. */
	assert_non_null(address_check_text("\xc3\xa9", 1));
	assert_null(address_check_text("ab\xff", 2));
}

static void
test_utf8_decode(void **state)
{
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(address_utf8_decode("A", 1, &cp), 1);
	assert_int_equal(cp, 0x41);
	assert_int_equal(address_utf8_decode("\xc2\x85", 2, &cp), 2);
	assert_int_equal(cp, 0x85);
	assert_true(address_is_control(cp));
	assert_int_equal(address_utf8_decode("\xe2\x82\xac!", 4, &cp), 3);
	assert_int_equal(cp, 0x20ac);
	assert_false(address_is_control(cp));
	assert_int_equal(address_utf8_decode("\xf4\x8f\xbf\xbf", 4, &cp), 4);
	assert_int_equal(cp, 0x10ffff);
	assert_int_equal(address_utf8_decode("\xf0\x9f\x98\x80", 3, &cp), 0);
	assert_int_equal(address_utf8_decode("", 0, &cp), 0);
	assert_true(address_is_control(0));
	assert_true(address_is_control(0x1f));
	assert_false(address_is_control(0x20));
	assert_true(address_is_control(0x7f));
	assert_true(address_is_control(0x9f));
	assert_false(address_is_control(0xa0));
}

/* Every parser of an address from outside goes through the validator. */
static void
test_correspondent_not_text(void **state)
{
	char out[ADDRESS_MAX];

	(void)state;
	bad("j\xf6rg@example.org", "not valid UTF-8");
	bad("joe@ex\xe4mple.org", "not valid UTF-8");
	bad("jo\xc2\x85"
	    "e@example.org",
	    "holds a control character");
	bad("joe@ex\xc2\x9b"
	    "ample.org",
	    "holds a control character");
	bad("@\xc0\xae.example", "not valid UTF-8");
	bad("\xed\xa0\x80@example.org", "not valid UTF-8");
	bad("joe\xe2\x82@example.org", "not valid UTF-8");
	bad("joe@\xf4\x90\x80\x80.example", "not valid UTF-8");
	bad("joe\r@example.org", "holds a control character");
	assert_string_equal(address_parse_mailbox("j\xf6rg@example.org", out,
				sizeof(out)),
	    "not valid UTF-8");
	assert_string_equal(out, "");
	assert_string_equal(address_parse_mailbox("<\x1b]0;x\x07@x.org>", out,
				sizeof(out)),
	    "holds a control character");
	assert_null(address_parse_mailbox("j\xc3\xb6rg@example.org", out,
	    sizeof(out)));
}

/* Reasons said in SMTP replies and written into maps. */
static void
test_clean_text(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(address_clean_text("gone\r\nOK", buf, sizeof(buf)),
	    "gone??OK");
	assert_string_equal(address_clean_text("a\xc2\x85"
					       "b\xff"
					       "c",
				buf, sizeof(buf)),
	    "a?b?c");
	assert_string_equal(address_clean_text("J\xc3\xb6rg", buf,
				sizeof(buf)),
	    "J\xc3\xb6rg");
	/* cut at a character, never inside one */
	assert_string_equal(address_clean_text("abcdefghijklmn\xc3\xb6", buf,
				sizeof(buf)),
	    "abcdefghijklmn");
	assert_string_equal(address_clean_text("", buf, sizeof(buf)), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_local_part),
		cmocka_unit_test(test_correspondent_good),
		cmocka_unit_test(test_correspondent_8bit),
		cmocka_unit_test(test_correspondent_bad),
		cmocka_unit_test(test_correspondent_lengths),
		cmocka_unit_test(test_correspondent_outlen),
		cmocka_unit_test(test_mailbox),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_domain_and_lower),
		cmocka_unit_test(test_local_valid),
		cmocka_unit_test(test_domain_valid),
		cmocka_unit_test(test_check_text),
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_correspondent_not_text),
		cmocka_unit_test(test_clean_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
