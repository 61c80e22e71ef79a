/*
 * fuzz_allow.c: libFuzzer harness for what aliasctl set and new take
 * from the command line for the gate: an allow-list item (allow_parse,
 * for --allow and --disallow) and a span (span_parse, for --idle and
 * --since).
 *
 * Input: the first byte picks the parser (even: allow, odd: span); the
 * rest, cut at its first NUL as a command-line word is, is the value.
 *
 * Invariants, from cli/allow.h and cli/when.h:
 * - allow_parse: on failure item and key are empty; on success both are
 *   non-empty, NUL-terminated within their size and hold no ASCII
 *   capital; "<>" and an address (an item with '@') are their own key;
 *   a domain item has no '@', and its key is its registered domain:
 *   regdom_of(item) gives the key, and regdom_of(key) gives it back.
 * - span_parse: on success a positive whole number of hours, at most
 *   SPAN_MAX; on failure the output is untouched.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/allow.h"
#include "cli/when.h"
#include "common/regdom.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fail(const char *what, const char *arg, const struct allow_item *it)
{
	fprintf(stderr,
	    "allow: %s\n  arg: \"%s\"\n  item: \"%s\"\n"
	    "  key: \"%s\"\n",
	    what, arg, it != NULL ? it->item : "", it != NULL ? it->key : "");
	abort();
}

static int
has_capital(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			return 1;
	return 0;
}

static void
check_allow(const char *arg)
{
	struct allow_item it;
	char again[REGDOM_MAX];

	memset(&it, 'x', sizeof(it)); /* no NUL: a missing one shows */
	if (allow_parse(arg, &it) != NULL) {
		if (it.item[0] != '\0' || it.key[0] != '\0')
			fail("refused, but item or key is not empty", arg,
			    &it);
		return;
	}
	if (memchr(it.item, '\0', sizeof(it.item)) == NULL ||
	    memchr(it.key, '\0', sizeof(it.key)) == NULL)
		fail("item or key not terminated", arg, NULL);
	if (it.item[0] == '\0' || it.key[0] == '\0')
		fail("taken, but item or key is empty", arg, &it);
	if (has_capital(it.item) || has_capital(it.key))
		fail("a capital in item or key", arg, &it);
	if (strcmp(it.item, NULL_SENDER_ITEM) == 0 ||
	    strchr(it.item, '@') != NULL) {
		if (strcmp(it.item, it.key) != 0)
			fail("an address that is not its own key", arg, &it);
		return;
	}
	if (regdom_of(it.item, again, sizeof(again)) != REGDOM_FOUND ||
	    strcmp(again, it.key) != 0)
		fail("a domain whose key is not its registered domain", arg,
		    &it);
	if (regdom_of(it.key, again, sizeof(again)) != REGDOM_FOUND ||
	    strcmp(again, it.key) != 0)
		fail("a key that is not its own registered domain", arg, &it);
}

static void
check_span(const char *arg)
{
	int64_t n = -42;

	if (span_parse(arg, &n) == -1) {
		if (n != -42)
			fail("span refused, but the output changed", arg,
			    NULL);
		return;
	}
	if (n <= 0 || n > SPAN_MAX || n % 3600 != 0)
		fail("span out of range or not whole hours", arg, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *arg;

	if (size == 0)
		return 0;
	if ((arg = malloc(size)) == NULL)
		return 0;
	/* A command-line word ends at its first NUL. */
	memcpy(arg, data + 1, size - 1);
	arg[size - 1] = '\0';
	if (data[0] % 2 == 0)
		check_allow(arg);
	else
		check_span(arg);
	free(arg);
	return 0;
}
