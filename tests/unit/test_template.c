#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_template.c: address templates: parsing with clear errors,
 * rendering with an unbiased random part, and recognising rendered
 * output again.
 */
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/address.h"
#include "common/template.h"

/* The default before issue 11: still valid, only easy to guess. */
#define TEMPLATE_CLASSIC "mail-%04n-%2r"

static struct template *
parse_ok(const char *text)
{
	char err[256] = "";
	struct template *t = template_parse(text, err, sizeof(err));

	if (t == NULL)
		fail_msg("template \"%s\" rejected: %s", text, err);
	/* cppcheck 2.10 takes "struct template" for C++'s template keyword. */
	/* cppcheck-suppress CastIntegerToAddressAtReturn */
	return t;
}

/* Expect a parse error whose text contains want. */
static void
parse_bad(const char *text, const char *want)
{
	char err[256] = "";
	struct template *t = template_parse(text, err, sizeof(err));

	if (t != NULL) {
		template_free(t);
		fail_msg("template \"%s\" accepted", text);
	}
	if (strstr(err, want) == NULL)
		fail_msg("template \"%s\": error \"%s\" lacks \"%s\"", text,
		    err, want);
}

static void
render(const struct template *t, uint64_t seq, char *out, size_t len)
{
	assert_int_equal(template_render(t, seq, out, len), 0);
}

static void
test_default_shape(void **state)
{
	struct template *t = parse_ok(TEMPLATE_DEFAULT);
	char out[LOCAL_MAX + 1];
	regex_t re;

	(void)state;
	assert_true(template_has_sequence(t));
	assert_int_equal(regcomp(&re, "^mail-[0-9]{4}-[a-km-np-z2-9]{6}$",
			     REG_EXTENDED | REG_NOSUB),
	    0);
	for (uint64_t seq = 0; seq < 200; seq++) {
		render(t, seq, out, sizeof(out));
		if (regexec(&re, out, 0, NULL, 0) != 0)
			fail_msg("\"%s\" does not look like the default", out);
	}
	render(t, 7, out, sizeof(out));
	assert_memory_equal(out, "mail-0007-", 10);
	/* Wider numbers than the width just grow. */
	render(t, 12345, out, sizeof(out));
	assert_memory_equal(out, "mail-12345-", 11);
	assert_int_equal(strlen(out), 17);
	regfree(&re);
	template_free(t);
}

static void
test_alphabet_use(void **state)
{
	static const char alphabet[] = SUFFIX_ALPHABET;
	struct template *t = parse_ok("x%2r");
	char out[LOCAL_MAX + 1];
	unsigned seen[256] = { 0 };
	unsigned total = 0;

	(void)state;
	assert_int_equal(strlen(alphabet), 32);
	/* No easily confused characters. */
	assert_null(strpbrk(alphabet, "01lo"));
	for (int i = 0; i < 5000; i++) {
		render(t, 0, out, sizeof(out));
		assert_int_equal(strlen(out), 3);
		for (int j = 1; j < 3; j++) {
			if (strchr(alphabet, out[j]) == NULL)
				fail_msg("'%c' is not in the alphabet",
				    out[j]);
			seen[(unsigned char)out[j]]++;
			total++;
		}
	}
	/* 10000 draws over 32 letters: about 312 each.  Every letter shows
	 * up, and none is wildly over- or under-used (a loose check: the
	 * chance of a false alarm is far below one in a billion). */
	for (size_t k = 0; k < 32; k++) {
		unsigned n = seen[(unsigned char)alphabet[k]];

		if (n < 200 || n > 450)
			fail_msg("'%c' drawn %u times of %u", alphabet[k], n,
			    total);
	}
	template_free(t);
}

static void
test_widths(void **state)
{
	struct template *t;
	char out[LOCAL_MAX + 1];

	(void)state;
	t = parse_ok("a%nb%1r");
	render(t, 0, out, sizeof(out));
	assert_memory_equal(out, "a0b", 3);
	render(t, 42, out, sizeof(out));
	assert_memory_equal(out, "a42b", 4);
	assert_int_equal(strlen(out), 5);
	template_free(t);

	t = parse_ok("a%06n-%3r");
	render(t, 42, out, sizeof(out));
	assert_memory_equal(out, "a000042-", 8);
	assert_int_equal(strlen(out), 11);
	render(t, 1234567, out, sizeof(out));
	assert_memory_equal(out, "a1234567-", 9);
	template_free(t);

	/* A width without 0 would pad with spaces: refused up front. */
	parse_bad("a%6n-%2r", "%06n");

	/* %% is a literal percent sign (atext). */
	t = parse_ok("100%%-%n-%2r");
	render(t, 3, out, sizeof(out));
	assert_memory_equal(out, "100%-3-", 7);
	template_free(t);

	/* No %n: no sequence. */
	t = parse_ok("%8r");
	assert_false(template_has_sequence(t));
	render(t, 99, out, sizeof(out));
	assert_int_equal(strlen(out), 8);
	template_free(t);
}

static void
test_uppercase_folded(void **state)
{
	struct template *t = parse_ok("Mail-%04n-%2r");
	char out[LOCAL_MAX + 1];
	uint64_t seq = 0;

	(void)state;
	render(t, 5, out, sizeof(out));
	assert_memory_equal(out, "mail-0005-", 10);
	assert_true(template_match(t, out, &seq));
	assert_int_equal(seq, 5);
	template_free(t);
}

static void
test_bad_templates(void **state)
{
	char long_text[LOCAL_MAX + 8];

	(void)state;
	parse_bad("mail-%04n", "no random part");
	parse_bad("", "no random part");
	parse_bad("mail-%n-%r", "%r needs a count");
	parse_bad("mail-%n-%0r", "%r needs a count");
	parse_bad("mail-%02r", "%r needs a count");
	parse_bad("mail-%65r", "%r needs a count");
	parse_bad("%n-%n-%2r", "%n appears twice");
	parse_bad("mail-%x-%2r", "unknown conversion %x");
	parse_bad("mail-%2r%", "unknown conversion");
	parse_bad("mail-%21n-%2r", "wider than 20");
	parse_bad("mail %n-%2r", "valid local part");
	parse_bad("mail@%n-%2r", "valid local part");
	parse_bad(".mail-%2r", "valid local part");
	parse_bad("mail..%2r", "valid local part");
	/* The widest sequence must still fit in 64 characters. */
	parse_bad("%020n-%50r", "valid local part");
	parse_bad("%050n-%2r", "wider than 20");
	parse_bad("%60r-%n", "valid local part");
	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	memcpy(long_text, "%2r", 3);
	parse_bad(long_text, "longer than");
}

static void
test_error_fits_buffer(void **state)
{
	char err[8];

	(void)state;
	/* A small error buffer gets a cut message, never an overflow. */
	assert_null(template_parse("%x%2r", err, sizeof(err)));
	assert_int_equal(strlen(err), sizeof(err) - 1);
}

static void
test_render_outlen(void **state)
{
	struct template *t = parse_ok(TEMPLATE_DEFAULT);
	char out[LOCAL_MAX + 1];

	(void)state;
	/* "mail-0001-abcdef" needs 17 bytes. */
	assert_int_equal(template_render(t, 1, out, 17), 0);
	assert_int_equal(template_render(t, 1, out, 16), -1);
	assert_int_equal(template_render(t, 1, out, 10), -1);
	assert_int_equal(template_render(t, 1, out, 0), -1);
	template_free(t);
}

static void
test_match(void **state)
{
	struct template *t = parse_ok(TEMPLATE_CLASSIC);
	char out[LOCAL_MAX + 1];
	uint64_t seq;

	(void)state;
	for (uint64_t n = 0; n < 100000; n = n * 3 + 1) {
		render(t, n, out, sizeof(out));
		seq = 999999;
		if (!template_match(t, out, &seq))
			fail_msg("own output \"%s\" not recognised", out);
		assert_int_equal(seq, n);
	}
	assert_true(template_match(t, "mail-0001-q3", &seq));
	assert_int_equal(seq, 1);
	assert_true(template_match(t, "mail-12345-k3", &seq));
	assert_int_equal(seq, 12345);
	assert_true(template_match(t, "mail-18446744073709551615-ab", &seq));
	assert_true(seq == UINT64_MAX);
	/* Past 64 bits: no number, so no match. */
	assert_false(template_match(t, "mail-18446744073709551616-ab", &seq));
	assert_false(template_match(t, "mail-99999999999999999999-ab", &seq));
	/* The random part is a syntax check only. */
	assert_true(template_match(t, "mail-0001-aa", NULL));
	assert_false(template_match(t, "mail-0001-a1", &seq)); /* 1 */
	assert_false(template_match(t, "mail-0001-ao", &seq)); /* o */
	assert_false(template_match(t, "mail-0001-al", &seq)); /* l */
	assert_false(template_match(t, "mail-0001-a0", &seq)); /* 0 */
	assert_false(template_match(t, "mail-0001-aA", &seq));
	assert_false(template_match(t, "mail-001-ab", &seq));
	assert_false(template_match(t, "mail--ab", &seq));
	assert_false(template_match(t, "mail-abcd-ab", &seq));
	assert_false(template_match(t, "post-0001-ab", &seq));
	assert_false(template_match(t, "mail-0001ab", &seq));
	assert_false(template_match(t, "", &seq));
	assert_false(template_match(t, "ebay", &seq));
	template_free(t);
}

static void
test_match_no_sequence(void **state)
{
	struct template *t = parse_ok("x-%3r");
	uint64_t seq = 77;

	(void)state;
	assert_true(template_match(t, "x-abc", &seq));
	assert_int_equal(seq, 0);
	assert_false(template_match(t, "x-ab1", &seq));
	template_free(t);

	/* A number followed directly by digits of the alphabet: the
	 * matcher backs off to find the split. */
	t = parse_ok("n%n%2r");
	assert_true(template_match(t, "n12345", &seq));
	assert_int_equal(seq, 123);
	template_free(t);
}

/* Addresses of the same template with another random width are its own:
 * a store made with %2r keeps its numbers when the default grows to %6r,
 * and the exact width is preferred when both would fit. */
static void
test_match_other_width(void **state)
{
	struct template *t = parse_ok(TEMPLATE_DEFAULT);
	char local[LOCAL_MAX + 2];
	uint64_t seq = 0;

	(void)state;
	assert_true(template_match(t, "mail-0041-ab", &seq));
	assert_int_equal(seq, 41);
	assert_true(template_match(t, "mail-0100-q", &seq));
	assert_int_equal(seq, 100);
	assert_true(template_match(t, "mail-0007-abcdefghjk", &seq));
	assert_int_equal(seq, 7);
	assert_false(template_match(t, "mail-0007-", &seq));
	assert_false(template_match(t, "mail-0007-ab1", &seq));
	assert_false(template_match(t, "mail-0007-abO", &seq));
	assert_false(template_match(t, "mail-007-ab", &seq));
	template_free(t);

	t = parse_ok("n%n%2r");
	assert_true(template_match(t, "n12345", &seq));
	assert_int_equal(seq, 123);
	assert_true(template_match(t, "n1a", &seq));
	assert_int_equal(seq, 1);
	template_free(t);

	/* Many random runs and a local part that fails only at its end:
	 * the search gives up in bounded time. */
	t = parse_ok("%1r%1r%1r%1r%1r%1r%1r%1r%1r%1r%1r%1r-x");
	memset(local, 'a', 60);
	strcpy(local + 60, "-y");
	assert_false(template_match(t, local, &seq));
	strcpy(local + 60, "-x");
	assert_true(template_match(t, local, &seq));
	template_free(t);
}

/* 5 bits a random character; fewer than 30 in all is weak, and the
 * warning says what to set. */
static void
test_random_bits(void **state)
{
	static const struct {
		const char *text;
		unsigned int bits;
	} cases[] = {
		{ TEMPLATE_CLASSIC, 10 },
		{ TEMPLATE_DEFAULT, 30 },
		{ "x%1r", 5 },
		{ "a%2r-%n-%3r", 25 },
		{ "%4r%2r", 30 },
		{ "%8r", 40 },
	};
	char msg[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct template *t = parse_ok(cases[i].text);

		assert_int_equal(template_random_bits(t), cases[i].bits);
		msg[0] = '\0';
		assert_int_equal(template_weak(t, cases[i].text, msg,
				     sizeof(msg)),
		    cases[i].bits < 30);
		if (cases[i].bits < 30) {
			assert_non_null(strstr(msg, cases[i].text));
			assert_non_null(
			    strstr(msg, "template = mail-%04n-%6r"));
		} else
			assert_string_equal(msg, "");
		template_free(t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_shape),
		cmocka_unit_test(test_alphabet_use),
		cmocka_unit_test(test_widths),
		cmocka_unit_test(test_uppercase_folded),
		cmocka_unit_test(test_bad_templates),
		cmocka_unit_test(test_error_fits_buffer),
		cmocka_unit_test(test_render_outlen),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_no_sequence),
		cmocka_unit_test(test_match_other_width),
		cmocka_unit_test(test_random_bits),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
