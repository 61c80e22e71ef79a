#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_netstring.c: netstrings and socketmap requests (aliasd/netstring.h)
 * as Postfix's socketmap: tables and sendmail's socket maps send them:
 * the empty string, leading zeros, lengths over the limit refused before
 * their data, garbage, a missing comma, two in one read, the split of
 * "virtuser joe@example.com", and the answers written back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliasd/netstring.h"

/* Parse len bytes copied to a buffer of exactly that size (ASan sees a
 * read past it); check what every result promises. */
static enum netstring_parse
parse(const char *buf, size_t len, size_t *used, size_t *dlen, size_t *off)
{
	char *p = malloc(len > 0 ? len : 1);
	enum netstring_parse r;
	const char *data;

	assert_non_null(p);
	memcpy(p, buf, len);
	r = netstring_parse(p, len, used, &data, dlen);
	if (r == NETSTRING_OK) {
		assert_non_null(data);
		assert_true(data >= p && data + *dlen < p + *used);
		assert_true(*used <= len);
		assert_int_equal(p[*used - 1], ',');
		*off = (size_t)(data - p);
	} else {
		assert_int_equal(*used, 0);
		*off = 0;
	}
	free(p);
	return r;
}

static enum netstring_parse
parse_str(const char *s)
{
	size_t used, dlen, off;

	return parse(s, strlen(s), &used, &dlen, &off);
}

/* Every prefix of s is MORE up to the result, then that result. */
static void
feed_bytewise(const char *s, enum netstring_parse want, size_t want_used)
{
	enum netstring_parse r, first = NETSTRING_MORE;
	size_t used, dlen, off, first_used = 0;

	for (size_t k = 0; k <= strlen(s); k++) {
		r = parse(s, k, &used, &dlen, &off);
		if (first == NETSTRING_MORE) {
			first = r;
			first_used = used;
		} else {
			assert_int_equal(r, first);
			assert_int_equal(used, first_used);
		}
	}
	assert_int_equal(first, want);
	assert_int_equal(first_used, want_used);
}

static void
test_plain(void **state)
{
	const char *s = "24:virtuser joe@example.com,";
	size_t used, dlen, off;

	(void)state;
	assert_int_equal(parse(s, strlen(s), &used, &dlen, &off),
	    NETSTRING_OK);
	assert_int_equal(used, strlen(s));
	assert_int_equal(dlen, 24);
	assert_int_equal(off, 3);
	assert_memory_equal(s + off, "virtuser joe@example.com", 24);
	feed_bytewise(s, NETSTRING_OK, strlen(s));
}

static void
test_empty(void **state)
{
	size_t used, dlen, off;

	(void)state;
	assert_int_equal(parse("0:,", 3, &used, &dlen, &off), NETSTRING_OK);
	assert_int_equal(used, 3);
	assert_int_equal(dlen, 0);
	assert_int_equal(parse_str(""), NETSTRING_MORE);
	assert_int_equal(parse_str("0"), NETSTRING_MORE);
	assert_int_equal(parse_str("0:"), NETSTRING_MORE);
}

static void
test_leading_zeros(void **state)
{
	(void)state;
	assert_int_equal(parse_str("00:,"), NETSTRING_FATAL);
	assert_int_equal(parse_str("00"), NETSTRING_FATAL);
	assert_int_equal(parse_str("03:abc,"), NETSTRING_FATAL);
	assert_int_equal(parse_str("0003:abc,"), NETSTRING_FATAL);
	/* a zero inside a length is a digit like another */
	assert_int_equal(parse_str("10:0123456789,"), NETSTRING_OK);
}

static void
test_huge_length(void **state)
{
	char *s = malloc(NETSTRING_MAX + 16);
	size_t used, dlen, off;
	int n;

	(void)state;
	assert_non_null(s);
	/* exactly NETSTRING_MAX: taken */
	n = snprintf(s, 16, "%d:", NETSTRING_MAX);
	memset(s + n, 'k', NETSTRING_MAX);
	s[n + NETSTRING_MAX] = ',';
	assert_int_equal(parse(s, (size_t)n + NETSTRING_MAX + 1, &used, &dlen,
			     &off),
	    NETSTRING_OK);
	assert_int_equal(dlen, NETSTRING_MAX);
	assert_int_equal(parse(s, (size_t)n + NETSTRING_MAX, &used, &dlen,
			     &off),
	    NETSTRING_MORE);
	free(s);
	/* one more: refused at its last digit, before ':' or any data */
	assert_int_equal(parse_str("4097"), NETSTRING_FATAL);
	assert_int_equal(parse_str("409"), NETSTRING_MORE);
	assert_int_equal(parse_str("5000"), NETSTRING_FATAL);
	assert_int_equal(parse_str("9999"), NETSTRING_FATAL);
	/* five digits never fit */
	assert_int_equal(parse_str("1000"), NETSTRING_MORE);
	assert_int_equal(parse_str("10000"), NETSTRING_FATAL);
	assert_int_equal(parse_str("99999999999999999999999999:"),
	    NETSTRING_FATAL);
	/* the 100,000 Postfix would take */
	assert_int_equal(parse_str("100000:"), NETSTRING_FATAL);
}

static void
test_not_digits(void **state)
{
	(void)state;
	assert_int_equal(parse_str(":"), NETSTRING_FATAL);
	assert_int_equal(parse_str(":abc,"), NETSTRING_FATAL);
	assert_int_equal(parse_str("+3:abc,"), NETSTRING_FATAL);
	assert_int_equal(parse_str("-1:,"), NETSTRING_FATAL);
	assert_int_equal(parse_str(" 3:abc,"), NETSTRING_FATAL);
	assert_int_equal(parse_str("3 :abc,"), NETSTRING_FATAL);
	assert_int_equal(parse_str("3a"), NETSTRING_FATAL);
	assert_int_equal(parse_str("x"), NETSTRING_FATAL);
	assert_int_equal(parse_str("0x10:"), NETSTRING_FATAL);
	assert_int_equal(parse_str("GET / HTTP/1.0\r\n"), NETSTRING_FATAL);
	assert_int_equal(parse("\0", 1, &(size_t){ 0 }, &(size_t){ 0 },
			     &(size_t){ 0 }),
	    NETSTRING_FATAL);
}

static void
test_missing_comma(void **state)
{
	(void)state;
	assert_int_equal(parse_str("3:abc"), NETSTRING_MORE);
	assert_int_equal(parse_str("3:abcd"), NETSTRING_FATAL);
	assert_int_equal(parse_str("3:abc;"), NETSTRING_FATAL);
	assert_int_equal(parse_str("3:abc\n"), NETSTRING_FATAL);
	assert_int_equal(parse_str("0:x"), NETSTRING_FATAL);
	feed_bytewise("3:abcd", NETSTRING_FATAL, 0);
}

static void
test_two_in_one(void **state)
{
	const char *s = "24:virtuser joe@example.com,"
			"21:virtuser @example.com,3:a";
	size_t used, dlen, off, at;

	(void)state;
	assert_int_equal(parse(s, strlen(s), &used, &dlen, &off),
	    NETSTRING_OK);
	assert_int_equal(used, 28);
	at = used;
	assert_int_equal(parse(s + at, strlen(s) - at, &used, &dlen, &off),
	    NETSTRING_OK);
	assert_int_equal(dlen, 21);
	assert_memory_equal(s + at + off, "virtuser @example.com", 21);
	at += used;
	assert_int_equal(parse(s + at, strlen(s) - at, &used, &dlen, &off),
	    NETSTRING_MORE);
}

static void
test_split(void **state)
{
	const char *d = "virtuser joe@example.com";
	char name[32], key[256];

	(void)state;
	assert_int_equal(socketmap_split(d, strlen(d), name, sizeof(name), key,
			     sizeof(key)),
	    0);
	assert_string_equal(name, "virtuser");
	assert_string_equal(key, "joe@example.com");
	/* the first space splits; the key keeps the others */
	d = "access a b ";
	assert_int_equal(socketmap_split(d, strlen(d), name, sizeof(name), key,
			     sizeof(key)),
	    0);
	assert_string_equal(name, "access");
	assert_string_equal(key, "a b ");
	/* only the dlen bytes count */
	assert_int_equal(socketmap_split("access joe,", 10, name, sizeof(name),
			     key, sizeof(key)),
	    0);
	assert_string_equal(key, "joe");
}

static void
test_split_bad(void **state)
{
	char name[9], key[16];

	(void)state;
	assert_int_equal(socketmap_split("virtuser", 8, name, sizeof(name),
			     key, sizeof(key)),
	    -1);
	assert_string_equal(name, "");
	assert_string_equal(key, "");
	assert_int_equal(socketmap_split(" joe@x", 6, name, sizeof(name), key,
			     sizeof(key)),
	    -1);
	assert_int_equal(socketmap_split("virtuser ", 9, name, sizeof(name),
			     key, sizeof(key)),
	    -1);
	assert_int_equal(socketmap_split("", 0, name, sizeof(name), key,
			     sizeof(key)),
	    -1);
	assert_int_equal(socketmap_split("a b\0c", 5, name, sizeof(name), key,
			     sizeof(key)),
	    -1);
	assert_int_equal(socketmap_split("a\0 b", 4, name, sizeof(name), key,
			     sizeof(key)),
	    -1);
	/* at the sizes of the buffers: 8 and 15 bytes fit, one more not */
	assert_int_equal(socketmap_split("virtuser 123456789012345", 24, name,
			     sizeof(name), key, sizeof(key)),
	    0);
	assert_string_equal(name, "virtuser");
	assert_string_equal(key, "123456789012345");
	assert_int_equal(socketmap_split("virtusers x", 11, name, sizeof(name),
			     key, sizeof(key)),
	    -1);
	assert_string_equal(name, "");
	assert_int_equal(socketmap_split("virtuser 1234567890123456", 25, name,
			     sizeof(name), key, sizeof(key)),
	    -1);
	assert_string_equal(key, "");
}

static void
test_format(void **state)
{
	char out[64];
	size_t used, dlen, off;

	(void)state;
	assert_int_equal(netstring_format(out, sizeof(out),
			     "OK joe@example.org"),
	    22);
	assert_string_equal(out, "18:OK joe@example.org,");
	assert_int_equal(netstring_format(out, sizeof(out), "NOTFOUND "), 12);
	assert_string_equal(out, "9:NOTFOUND ,");
	assert_int_equal(netstring_format(out, sizeof(out), ""), 3);
	assert_string_equal(out, "0:,");
	/* what it writes reads back */
	assert_int_equal(netstring_format(out, sizeof(out),
			     "TEMP store unreadable"),
	    25);
	assert_int_equal(parse(out, 25, &used, &dlen, &off), NETSTRING_OK);
	assert_int_equal(used, 25);
	assert_memory_equal(out + off, "TEMP store unreadable", dlen);
	/* exactly room for "0:," and its NUL, then one byte less */
	assert_int_equal(netstring_format(out, 4, ""), 3);
	assert_int_equal(netstring_format(out, 3, ""), 0);
	assert_string_equal(out, "");
	assert_int_equal(netstring_format(out, 13, "NOTFOUND "), 12);
	assert_int_equal(netstring_format(out, 12, "NOTFOUND "), 0);
	assert_int_equal(netstring_format(out, 2, "NOTFOUND "), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_leading_zeros),
		cmocka_unit_test(test_huge_length),
		cmocka_unit_test(test_not_digits),
		cmocka_unit_test(test_missing_comma),
		cmocka_unit_test(test_two_in_one),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_bad),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
