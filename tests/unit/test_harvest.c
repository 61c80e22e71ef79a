#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_harvest.c: the harvest guard's table: counting to the limit,
 * blocking for one window, expiry, who counts as one client (an IPv4
 * address, an IPv6 /64, IPv4-mapped as IPv4), limit 0, and a flood of
 * distinct clients that must neither grow the table nor break it.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "aliasd/harvest.h"

#define T0 ((time_t)1700000000)
#define LIMIT 5
#define WINDOW 3600

static struct harvest_key
key_of(const char *text)
{
	struct harvest_client c;

	if (harvest_client_parse(text, &c) == -1)
		fail_msg("\"%s\" did not parse", text);
	return c.key;
}

/* Refuse n recipients of key at time now; how many of them blocked. */
static int
refuse_n(const struct harvest_key *k, int n, time_t now)
{
	int blocks = 0;

	for (int i = 0; i < n; i++)
		blocks += harvest_refused(k, now, LIMIT, WINDOW);
	return blocks;
}

static int
reset(void **state)
{
	(void)state;
	harvest_clear();
	return 0;
}

static void
test_counts_to_limit(void **state)
{
	struct harvest_key k = key_of("192.0.2.1");

	(void)state;
	assert_false(harvest_blocked(&k, T0));
	assert_int_equal(refuse_n(&k, LIMIT - 1, T0), 0);
	assert_false(harvest_blocked(&k, T0));
	/* The refusal that reaches the limit says so, once. */
	assert_true(harvest_refused(&k, T0 + 10, LIMIT, WINDOW));
	assert_true(harvest_blocked(&k, T0 + 10));
	/* Further refusals are not counted and do not prolong the block. */
	assert_int_equal(refuse_n(&k, 3 * LIMIT, T0 + 20), 0);
	assert_true(harvest_blocked(&k, T0 + 10 + WINDOW - 1));
	assert_false(harvest_blocked(&k, T0 + 10 + WINDOW));
	assert_int_equal(harvest_entries(), 1);
}

static void
test_window_expiry(void **state)
{
	struct harvest_key k = key_of("192.0.2.2");

	(void)state;
	/* Refusals spread over more than a window never add up. */
	for (int i = 0; i < 4 * LIMIT; i++)
		assert_false(harvest_refused(&k,
		    T0 + (time_t)i * (WINDOW / (LIMIT - 1) + 1), LIMIT,
		    WINDOW));
	assert_false(harvest_blocked(&k, T0 + 4 * WINDOW));

	/* After a block the client is judged afresh: LIMIT more. */
	harvest_clear();
	assert_int_equal(refuse_n(&k, LIMIT, T0), 1);
	assert_true(harvest_blocked(&k, T0 + WINDOW - 1));
	assert_false(harvest_blocked(&k, T0 + WINDOW));
	assert_int_equal(refuse_n(&k, LIMIT - 1, T0 + WINDOW), 0);
	assert_false(harvest_blocked(&k, T0 + WINDOW));
	assert_int_equal(refuse_n(&k, 1, T0 + WINDOW + 1), 1);
	assert_true(harvest_blocked(&k, T0 + WINDOW + 1));

	/* A clock that went back starts a new window. */
	k = key_of("192.0.2.3");
	assert_int_equal(refuse_n(&k, LIMIT - 1, T0), 0);
	assert_int_equal(refuse_n(&k, LIMIT - 1, T0 - 100), 0);
	assert_false(harvest_blocked(&k, T0 - 100));
}

static void
test_other_clients_unaffected(void **state)
{
	struct harvest_key a = key_of("192.0.2.10"), b = key_of("192.0.2.11");

	(void)state;
	assert_int_equal(refuse_n(&a, LIMIT, T0), 1);
	assert_true(harvest_blocked(&a, T0));
	/* An IPv4 client is one address: its neighbour is not blocked. */
	assert_false(harvest_blocked(&b, T0));
	assert_int_equal(refuse_n(&b, LIMIT - 1, T0), 0);
	assert_false(harvest_blocked(&b, T0));
}

static void
test_ipv6_slash64(void **state)
{
	struct harvest_key a = key_of("2001:db8:1:2::1");
	struct harvest_key same = key_of("2001:db8:1:2:ffff:ffff:ffff:ffff");
	struct harvest_key other = key_of("2001:db8:1:3::1");
	struct harvest_key sendmail = key_of("IPv6:2001:DB8:1:2::99");

	(void)state;
	assert_memory_equal(&a, &same, sizeof(a));
	assert_memory_equal(&a, &sendmail, sizeof(a));
	/* Guesses from all over one /64 add up. */
	assert_int_equal(refuse_n(&a, 2, T0), 0);
	assert_int_equal(refuse_n(&same, 2, T0), 0);
	assert_int_equal(refuse_n(&sendmail, 1, T0), 1);
	assert_true(harvest_blocked(&a, T0));
	assert_true(harvest_blocked(&same, T0));
	assert_false(harvest_blocked(&other, T0));
}

static void
test_ipv4_mapped(void **state)
{
	struct harvest_key v4 = key_of("198.51.100.7");
	struct harvest_key mapped = key_of("::ffff:198.51.100.7");
	struct harvest_key bracketed = key_of("[198.51.100.7]");
	/* The same four bytes at the start of an IPv6 address. */
	struct harvest_key v6 = key_of("c633:6407::");
	struct harvest_key from_bin;
	struct in_addr in;
	struct in6_addr in6;

	(void)state;
	assert_memory_equal(&v4, &mapped, sizeof(v4));
	assert_memory_equal(&v4, &bracketed, sizeof(v4));
	memcpy(&in, (const uint8_t[]){ 198, 51, 100, 7 }, 4);
	harvest_key_from(AF_INET, &in, &from_bin);
	assert_memory_equal(&v4, &from_bin, sizeof(v4));
	memset(&in6, 0, sizeof(in6));
	in6.s6_addr[10] = in6.s6_addr[11] = 0xff;
	memcpy(&in6.s6_addr[12], &in, 4);
	harvest_key_from(AF_INET6, &in6, &from_bin);
	assert_memory_equal(&v4, &from_bin, sizeof(v4));
	/* Half the guesses as IPv4, half mapped: one client. */
	assert_int_equal(refuse_n(&v4, LIMIT - 1, T0), 0);
	assert_int_equal(refuse_n(&mapped, 1, T0), 1);
	assert_true(harvest_blocked(&v4, T0));
	/* An IPv4 address is not the IPv6 /64 holding the same bytes. */
	assert_false(harvest_blocked(&v6, T0));
}

static void
test_parse(void **state)
{
	struct harvest_client c;
	static const char *bad[] = { "", "unknown", "192.0.2", "192.0.2.1.5",
		"[192.0.2.1", "[192.0.2.1]x", "IPv6:", "2001:db8::1/64",
		"192.0.2.1 ", "gggg::1", NULL };

	(void)state;
	assert_int_equal(harvest_client_parse(NULL, &c), -1);
	for (int i = 0; bad[i] != NULL; i++)
		if (harvest_client_parse(bad[i], &c) != -1)
			fail_msg("\"%s\" parsed", bad[i]);
	assert_int_equal(harvest_client_parse("[IPv6:::1]", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(harvest_client_parse("127.0.0.2", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.key.family, 4);
}

static void
test_limit_zero_is_off(void **state)
{
	struct harvest_key k = key_of("192.0.2.20");

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_false(harvest_refused(&k, T0, 0, WINDOW));
	assert_false(harvest_blocked(&k, T0));
	/* Off means off: nothing remembered either. */
	assert_int_equal(harvest_entries(), 0);
	/* A limit of 1: the first refusal blocks. */
	assert_true(harvest_refused(&k, T0, 1, WINDOW));
	assert_true(harvest_blocked(&k, T0));
}

/* 100,000 distinct clients, each refused once: the table stays at its
 * capacity, a client blocked before the flood stays blocked (the flood's
 * entries go first), and a new guesser is still caught. */
static void
test_flood(void **state)
{
	struct harvest_key guesser = key_of("203.0.113.9"), k, late;
	char text[64];

	(void)state;
	assert_int_equal(refuse_n(&guesser, LIMIT, T0), 1);
	for (int i = 0; i < 100000; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.%d", (i >> 16) & 0xff,
		    (i >> 8) & 0xff, i & 0xff);
		k = key_of(text);
		assert_false(
		    harvest_refused(&k, T0 + 1 + i / 1000, LIMIT, WINDOW));
		if (i % 1000 == 0)
			assert_true(harvest_entries() <= HARVEST_CAPACITY);
	}
	assert_true(harvest_entries() <= HARVEST_CAPACITY);
	assert_true(harvest_entries() > HARVEST_CAPACITY / 2);
	assert_true(harvest_blocked(&guesser, T0 + 200));

	/* The same from IPv6 /64s, as one holder of a /48 could. */
	for (int i = 0; i < 100000; i++) {
		snprintf(text, sizeof(text), "2001:db8:%x:%x::1",
		    (i >> 16) & 0xffff, i & 0xffff);
		k = key_of(text);
		assert_false(
		    harvest_refused(&k, T0 + 200 + i / 1000, LIMIT, WINDOW));
	}
	assert_true(harvest_entries() <= HARVEST_CAPACITY);
	assert_true(harvest_blocked(&guesser, T0 + 400));

	late = key_of("203.0.113.77");
	assert_int_equal(refuse_n(&late, LIMIT - 1, T0 + 400), 0);
	assert_false(harvest_blocked(&late, T0 + 400));
	assert_int_equal(refuse_n(&late, 1, T0 + 400), 1);
	assert_true(harvest_blocked(&late, T0 + 400));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_counts_to_limit, reset),
		cmocka_unit_test_setup(test_window_expiry, reset),
		cmocka_unit_test_setup(test_other_clients_unaffected, reset),
		cmocka_unit_test_setup(test_ipv6_slash64, reset),
		cmocka_unit_test_setup(test_ipv4_mapped, reset),
		cmocka_unit_test_setup(test_parse, reset),
		cmocka_unit_test_setup(test_limit_zero_is_off, reset),
		cmocka_unit_test_setup(test_flood, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
