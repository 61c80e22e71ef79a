#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_allow.c: an allow-list item as typed (cli/allow.c): what is
 * stored, what the gate matches by, and what is refused.
 */
#include <string.h>

#include "cli/allow.h"

static void
taken(const char *arg, const char *item, const char *key)
{
	struct allow_item it;
	const char *why;

	if ((why = allow_parse(arg, &it)) != NULL)
		fail_msg("\"%s\" refused: %s", arg, why);
	assert_string_equal(it.item, item);
	assert_string_equal(it.key, key);
}

static void
refused(const char *arg)
{
	struct allow_item it;

	if (allow_parse(arg, &it) == NULL)
		fail_msg("\"%s\" taken as %s (key %s)", arg, it.item, it.key);
	assert_string_equal(it.item, "");
	assert_string_equal(it.key, "");
}

static void
test_domains(void **state)
{
	(void)state;
	taken("shop.example", "shop.example", "shop.example");
	taken("news.mailer.example", "news.mailer.example", "mailer.example");
	taken("@Mailer.Example", "mailer.example", "mailer.example");
	taken("mailer.example.", "mailer.example", "mailer.example");
	taken("@news.shop.co.uk.", "news.shop.co.uk", "shop.co.uk");
	taken("x.github.io", "x.github.io", "x.github.io");
	/* One organisation whatever the IDN's form: the key is the
	 * A-label (common/regdom.h), the item as given. */
	taken("news.münchen.de", "news.münchen.de", "xn--mnchen-3ya.de");
	taken("xn--mnchen-3ya.de", "xn--mnchen-3ya.de", "xn--mnchen-3ya.de");
}

static void
test_addresses(void **state)
{
	(void)state;
	taken("Alerts@Bank.Example", "alerts@bank.example",
	    "alerts@bank.example");
	taken("<news@shop.example>", "news@shop.example", "news@shop.example");
	taken("<>", "<>", "<>");
}

static void
test_refused(void **state)
{
	char long_label[300];

	(void)state;
	refused("");
	refused("@");
	refused(".");
	refused("co.uk"); /* a public suffix: no organisation */
	refused("@co.uk");
	refused("com");
	refused("github.io");
	refused("not a domain");
	refused("a..b");
	refused("-shop.example");
	refused("shop.example..");
	refused("@shop@example.org");
	refused("joe@");
	refused("@joe@example.org");
	refused("<");
	refused("<<>>");
	refused("evil\033[2J.example");
	refused("shop\n.example");
	refused("\xff.example");
	memset(long_label, 'a', sizeof(long_label) - 1);
	long_label[sizeof(long_label) - 1] = '\0';
	refused(long_label);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
