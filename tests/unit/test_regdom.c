#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_regdom.c: registered domains, the one answer behind every
 * comparison of organisations (lock, allow list, leak sightings).  The
 * cases are the awkward ones: public suffixes, private suffixes like
 * github.io, IDNs in both forms, literals, trailing dots, lengths.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/regdom.h"

struct want {
	const char *in;
	int kind;
	const char *out;
};

static void
check(const struct want *w, size_t n)
{
	char out[REGDOM_MAX];
	int kind;

	for (size_t i = 0; i < n; i++) {
		memset(out, 'x', sizeof(out));
		out[sizeof(out) - 1] = '\0';
		kind = regdom_of(w[i].in, out, sizeof(out));
		if (kind != w[i].kind || strcmp(out, w[i].out) != 0)
			fail_msg("case %zu \"%s\": got %d \"%s\", want %d "
				 "\"%s\"",
			    i, w[i].in, kind, out, w[i].kind, w[i].out);
	}
}

/* First of all, before anything has loaded the list: threads racing to
 * be the first caller all get the answer (the list loads once). */
static void *
race(void *arg)
{
	char out[REGDOM_MAX];
	int *ok = arg;

	*ok = 1;
	for (int i = 0; i < 200; i++)
		if (regdom_of("news.shop.co.uk", out, sizeof(out)) !=
			REGDOM_FOUND ||
		    strcmp(out, "shop.co.uk") != 0)
			*ok = 0;
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t t[4];
	int ok[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race, &ok[i]), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(ok[i], 1);
	}
	assert_int_equal(regdom_init(), 0);
	assert_int_equal(regdom_init(), 0);
}

static void
test_found(void **state)
{
	static const struct want w[] = {
		{ "example.org", REGDOM_FOUND, "example.org" },
		{ "www.example.org", REGDOM_FOUND, "example.org" },
		{ "news.shop.co.uk", REGDOM_FOUND, "shop.co.uk" },
		{ "shop.co.uk", REGDOM_FOUND, "shop.co.uk" },
		{ "a.b.c.d.e.shop.co.uk", REGDOM_FOUND, "shop.co.uk" },
		/* private suffixes: each user of github.io is its own */
		{ "x.github.io", REGDOM_FOUND, "x.github.io" },
		{ "www.x.github.io", REGDOM_FOUND, "x.github.io" },
		/* upper case, and one trailing dot (the root) */
		{ "WWW.Example.ORG", REGDOM_FOUND, "example.org" },
		{ "example.org.", REGDOM_FOUND, "example.org" },
		{ "News.Shop.CO.UK.", REGDOM_FOUND, "shop.co.uk" },
		/* an unknown TLD: the PSL's default rule "*" */
		{ "foo.invalid", REGDOM_FOUND, "foo.invalid" },
		{ "a.b.foo.invalid", REGDOM_FOUND, "foo.invalid" },
		/* look-alikes are other organisations */
		{ "example-org.net", REGDOM_FOUND, "example-org.net" },
		{ "example.org.evil.net", REGDOM_FOUND, "evil.net" },
		/* real names with "--" that are no IDN */
		{ "r3---sn-x.googlevideo.com", REGDOM_FOUND,
		    "googlevideo.com" },
		{ "ab--cd.example", REGDOM_FOUND, "ab--cd.example" },
		/* digits are fine below the TLD */
		{ "123.example", REGDOM_FOUND, "123.example" },
	};

	(void)state;
	check(w, sizeof(w) / sizeof(w[0]));
}

static void
test_idn(void **state)
{
	static const struct want w[] = {
		/* U-label and A-label, any case: one A-label */
		{ "m\xc3\xbcnchen.de", REGDOM_FOUND, "xn--mnchen-3ya.de" },
		{ "www.M\xc3\x9cNCHEN.DE", REGDOM_FOUND, "xn--mnchen-3ya.de" },
		{ "xn--mnchen-3ya.de", REGDOM_FOUND, "xn--mnchen-3ya.de" },
		{ "mail.XN--MNCHEN-3YA.de.", REGDOM_FOUND,
		    "xn--mnchen-3ya.de" },
		/* decomposed u + combining diaeresis: NFC first */
		{ "mu\xcc\x88nchen.de", REGDOM_FOUND, "xn--mnchen-3ya.de" },
		/* non-transitional: sharp s stays itself */
		{ "stra\xc3\x9f"
		  "e.de",
		    REGDOM_FOUND, "xn--strae-oqa.de" },
		/* an IDN TLD and an IDN suffix under it */
		{ "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80."
		  "\xd1\x80\xd1\x84",
		    REGDOM_FOUND, "xn--e1afmkfd.xn--p1ai" },
		{ "foo.\xe5\x80\x8b\xe4\xba\xba.\xe9\xa6\x99\xe6\xb8\xaf",
		    REGDOM_FOUND, "foo.xn--gmqw5a.xn--j6w193g" },
		{ "foo.xn--gmqw5a.xn--j6w193g", REGDOM_FOUND,
		    "foo.xn--gmqw5a.xn--j6w193g" },
		/* an ASCII label beside an IDN one is left alone */
		{ "ab--cd.m\xc3\xbcnchen.de", REGDOM_FOUND,
		    "xn--mnchen-3ya.de" },
		/* a malformed A-label is only lowercased: it equals nothing
		 * but itself */
		{ "XN--ZZ.de", REGDOM_FOUND, "xn--zz.de" },
	};

	(void)state;
	check(w, sizeof(w) / sizeof(w[0]));
}

static void
test_self(void **state)
{
	static const struct want w[] = {
		/* public suffixes, ICANN and private, and bare names */
		{ "co.uk", REGDOM_SELF, "co.uk" },
		{ "CO.UK.", REGDOM_SELF, "co.uk" },
		{ "com", REGDOM_SELF, "com" },
		{ "github.io", REGDOM_SELF, "github.io" },
		{ "localhost", REGDOM_SELF, "localhost" },
		{ "xn--p1ai", REGDOM_SELF, "xn--p1ai" },
		{ "\xd1\x80\xd1\x84", REGDOM_SELF, "xn--p1ai" },
		/* address literals, as inet_ntop writes them */
		{ "[192.0.2.1]", REGDOM_SELF, "[192.0.2.1]" },
		{ "192.0.2.1", REGDOM_SELF, "[192.0.2.1]" },
		{ "[192.0.2.1].", REGDOM_SELF, "[192.0.2.1]" },
		{ "[IPv6:2001:DB8:0:0::1]", REGDOM_SELF,
		    "[ipv6:2001:db8::1]" },
		{ "[ipv6:2001:db8::1]", REGDOM_SELF, "[ipv6:2001:db8::1]" },
		{ "[IPv6:::1]", REGDOM_SELF, "[ipv6:::1]" },
		{ "[IPv6:::ffff:192.0.2.1]", REGDOM_SELF,
		    "[ipv6:::ffff:192.0.2.1]" },
	};

	(void)state;
	check(w, sizeof(w) / sizeof(w[0]));
}

static void
test_invalid(void **state)
{
	static const struct want w[] = {
		{ "", REGDOM_INVALID, "" },
		{ ".", REGDOM_INVALID, "" },
		{ "..", REGDOM_INVALID, "" },
		{ ".example.org", REGDOM_INVALID, "" },
		{ "example..org", REGDOM_INVALID, "" },
		{ "example.org..", REGDOM_INVALID, "" },
		{ "ex ample.org", REGDOM_INVALID, "" },
		{ "a_b.example.org", REGDOM_INVALID, "" },
		{ "joe@example.org", REGDOM_INVALID, "" },
		{ "-a.example.org", REGDOM_INVALID, "" },
		{ "a-.example.org", REGDOM_INVALID, "" },
		{ "ex\x01.org", REGDOM_INVALID, "" },
		{ "ex\xc2\x85.org", REGDOM_INVALID, "" },
		/* not UTF-8: Latin-1, a stray byte, a cut character */
		{ "m\xfcnchen.de", REGDOM_INVALID, "" },
		{ "\xff.org", REGDOM_INVALID, "" },
		{ "example.\xc3", REGDOM_INVALID, "" },
		/* IDNA refuses a symbol */
		{ "a\xe2\x98\x83"
		  "b.de",
		    REGDOM_INVALID, "" },
		/* literals that are none */
		{ "[192.0.2.256]", REGDOM_INVALID, "" },
		{ "[192.0.2.1", REGDOM_INVALID, "" },
		{ "[]", REGDOM_INVALID, "" },
		{ "[example.org]", REGDOM_INVALID, "" },
		{ "[IPv6:]", REGDOM_INVALID, "" },
		{ "[IPv6:2001:db8::g]", REGDOM_INVALID, "" },
		{ "[IPv6:192.0.2.1]", REGDOM_INVALID, "" },
		{ "[2001:db8::1]", REGDOM_INVALID, "" },
		/* no TLD is all digits: mistyped addresses */
		{ "192.0.2.01", REGDOM_INVALID, "" },
		{ "1.2.3", REGDOM_INVALID, "" },
		{ "42", REGDOM_INVALID, "" },
	};

	(void)state;
	check(w, sizeof(w) / sizeof(w[0]));
	assert_int_equal(regdom_of(NULL, (char[8]){ 0 }, 8), REGDOM_INVALID);
}

static void
test_lengths(void **state)
{
	char in[2048], out[REGDOM_MAX], label[64], want[128];
	int n;

	(void)state;
	memset(label, 'a', 63);
	label[63] = '\0';
	/* 63 is the longest label, 64 too long */
	snprintf(in, sizeof(in), "%s.example", label);
	assert_int_equal(regdom_of(in, out, sizeof(out)), REGDOM_FOUND);
	assert_string_equal(out, in);
	snprintf(in, sizeof(in), "a%s.example", label);
	assert_int_equal(regdom_of(in, out, sizeof(out)), REGDOM_INVALID);
	assert_string_equal(out, "");

	/* 253 is the longest name (3 * 64 + 61), 254 too long; the one
	 * trailing dot does not count */
	n = snprintf(in, sizeof(in), "%s.%s.%s.%.57s.com", label, label, label,
	    label);
	assert_int_equal(n, 253);
	snprintf(want, sizeof(want), "%.57s.com", label);
	assert_int_equal(regdom_of(in, out, sizeof(out)), REGDOM_FOUND);
	assert_string_equal(out, want);
	strcat(in, ".");
	assert_int_equal(regdom_of(in, out, sizeof(out)), REGDOM_FOUND);
	assert_string_equal(out, want);
	n = snprintf(in, sizeof(in), "%s.%s.%s.%.58s.com", label, label, label,
	    label);
	assert_int_equal(n, 254);
	assert_int_equal(regdom_of(in, out, sizeof(out)), REGDOM_INVALID);

	/* U-labels: 40 u-umlauts are a 46-byte A-label, 60 too long for
	 * one; a name whose A-labels are too long together */
	in[0] = '\0';
	for (int i = 0; i < 40; i++)
		strcat(in, "\xc3\xbc");
	strcat(in, ".de");
	assert_int_equal(regdom_of(in, out, sizeof(out)), REGDOM_FOUND);
	assert_int_equal(strlen(out), 46 + 3);
	memmove(in + 4 * 64, in, strlen(in) + 1);
	for (int i = 0; i < 4; i++) {
		memcpy(in + i * 64, label, 63);
		in[i * 64 + 63] = '.';
	}
	assert_int_equal(regdom_of(in, out, sizeof(out)), REGDOM_INVALID);
	in[0] = '\0';
	for (int i = 0; i < 60; i++)
		strcat(in, "\xc3\xbc");
	strcat(in, ".de");
	assert_int_equal(regdom_of(in, out, sizeof(out)), REGDOM_INVALID);

	/* far too long: refused without being read to the end */
	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	for (size_t i = 50; i < sizeof(in) - 1; i += 50)
		in[i] = '.';
	assert_int_equal(regdom_of(in, out, sizeof(out)), REGDOM_INVALID);

	/* out too small for the answer: INVALID, out empty */
	assert_int_equal(regdom_of("news.shop.co.uk", out, 10),
	    REGDOM_INVALID);
	assert_string_equal(out, "");
	assert_int_equal(regdom_of("news.shop.co.uk", out, 11), REGDOM_FOUND);
	assert_string_equal(out, "shop.co.uk");
	assert_int_equal(regdom_of("shop.co.uk", out, 0), REGDOM_INVALID);
}

static void
test_same(void **state)
{
	static const struct {
		const char *a, *b;
		bool same;
	} c[] = {
		{ "news.shop.co.uk", "shop.co.uk", true },
		{ "a.co.uk", "b.co.uk", false },
		{ "x.github.io", "y.github.io", false },
		{ "x.github.io", "github.io", false },
		{ "example-org.net", "example.org", false },
		{ "example.org.evil.net", "example.org", false },
		{ "mail.example.org", "EXAMPLE.ORG.", true },
		{ "xn--mnchen-3ya.de", "m\xc3\xbcnchen.de", true },
		{ "www.M\xc3\x9cNCHEN.de", "xn--mnchen-3ya.de", true },
		{ "muenchen.de", "m\xc3\xbcnchen.de", false },
		{ "strasse.de",
		    "stra\xc3\x9f"
		    "e.de",
		    false },
		{ "foo.invalid", "bar.foo.invalid", true },
		/* a public suffix and a literal are themselves only */
		{ "co.uk", "co.uk", true },
		{ "a.co.uk", "co.uk", false },
		{ "[192.0.2.1]", "[192.0.2.1]", true },
		{ "[192.0.2.1]", "192.0.2.1", true },
		{ "[192.0.2.1]", "[192.0.2.2]", false },
		{ "[IPv6:2001:db8::1]", "[ipv6:2001:DB8:0::1]", true },
		{ "[IPv6:::ffff:192.0.2.1]", "[192.0.2.1]", false },
		/* nothing is the same as an invalid domain, not even itself */
		{ "", "", false },
		{ "example.org", "", false },
		{ "a_b.example.org", "a_b.example.org", false },
		{ "\xff.org", "\xff.org", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (regdom_same(c[i].a, c[i].b) != c[i].same)
			fail_msg("case %zu: \"%s\" and \"%s\" not %s", i,
			    c[i].a, c[i].b, c[i].same ? "same" : "different");
		if (regdom_same(c[i].b, c[i].a) != c[i].same)
			fail_msg("case %zu reversed", i);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_found),
		cmocka_unit_test(test_idn),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
