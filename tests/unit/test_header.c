/*
 * test_header.c: unit tests of rewriter/header.c, leak.c and recipients.c
 * (cmocka).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>
#include <cmocka.h>

#include "rewriter/header.h"
#include "rewriter/leak.h"
#include "rewriter/recipients.h"

#define OWNER "jane@isp.example.net"
#define CHOSEN "mail-0001-q3@example.com"

static const char *const domains[] = { "example.com", "example.org" };

static const struct rewrite_request req_default = {
	.address = CHOSEN,
	.full_name = NULL,
	.owner = OWNER,
	.domains = domains,
	.ndomains = 2,
};

/* A list from name, value pairs ending in NULL. */
static void
list_make(struct header_list *hl, ...)
{
	va_list ap;
	const char *name, *value;

	header_list_init(hl);
	va_start(ap, hl);
	while ((name = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		assert_int_equal(header_list_add(hl, name, value), 0);
	}
	va_end(ap);
}

static int
contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (g_ascii_strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

/* Every value we produce is sane: no owner address, no leading white
 * space, no trailing line ending, folds followed by white space. */
static void
changes_sane(const struct header_changes *hc)
{
	const char *v, *p;
	size_t i;

	for (i = 0; i < hc->count; i++) {
		if ((v = hc->items[i].value) == NULL)
			continue;
		assert_false(contains_nocase(v, OWNER));
		assert_true(*v != '\0' && *v != ' ' && *v != '\t');
		assert_true(v[strlen(v) - 1] != '\n');
		for (p = v; *p != '\0'; p++)
			if (*p == '\n')
				assert_true(p[1] == ' ' || p[1] == '\t');
	}
}

static enum rewrite_status
run(const struct header_list *hl, const struct rewrite_request *req,
    struct header_changes *hc)
{
	char err[256] = "";
	enum rewrite_status st;

	header_changes_init(hc);
	st = rewrite_headers(hl, req, hc, err, sizeof(err));
	if (st == REWRITE_ERROR)
		print_message("rewrite error: %s\n", err);
	changes_sane(hc);
	return st;
}

static void
change_is(const struct header_changes *hc, size_t i, enum header_op op,
    const char *name, int index, const char *value)
{
	assert_true(i < hc->count);
	assert_int_equal(hc->items[i].op, op);
	assert_string_equal(hc->items[i].name, name);
	if (op != HEADER_ADD)
		assert_int_equal(hc->items[i].index, index);
	if (value == NULL)
		assert_null(hc->items[i].value);
	else
		assert_string_equal(hc->items[i].value, value);
}

/* Value of name[index] after applying hc to a copy of hl, or NULL. */
static char *
value_after(const struct header_list *hl, const struct header_changes *hc,
    const char *name, int index)
{
	struct header_list copy;
	char *v = NULL;
	size_t i;
	int seen = 0;

	header_list_init(&copy);
	for (i = 0; i < hl->count; i++)
		assert_int_equal(header_list_add(&copy, hl->fields[i].name,
				     hl->fields[i].value),
		    0);
	assert_int_equal(header_list_apply(&copy, hc), 0);
	for (i = 0; i < copy.count && v == NULL; i++)
		if (g_ascii_strcasecmp(copy.fields[i].name, name) == 0 &&
		    ++seen == index)
			v = strdup(copy.fields[i].value);
	header_list_free(&copy);
	return v;
}

static void
test_owner_plain(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	list_make(&hl, "Subject", "hi", "From", "Jane Doe <" OWNER ">", "To",
	    "joe@example.org", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 2);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, "Jane Doe <" CHOSEN ">");
	change_is(&hc, 1, HEADER_ADD, "Reply-To", 0, "Jane Doe <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_managed_domain(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	list_make(&hl, "From", "\"Jane Doe\" <mail-0007-k3@example.org>",
	    NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, "Jane Doe <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_case_insensitive(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	list_make(&hl, "FROM", "Jane@ISP.Example.NET", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, CHOSEN);
	header_changes_free(&hc);
	header_list_free(&hl);

	list_make(&hl, "from", "Someone <Someone@EXAMPLE.Com>", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, "Someone <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);

	/* a subdomain is not the domain */
	list_make(&hl, "From", "x@sub.example.com", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_NOT_OWNER);
	assert_int_equal(hc.count, 0);
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_full_name(void **state)
{
	struct header_list hl;
	struct header_changes hc;
	struct rewrite_request req = req_default;

	(void)state;
	req.full_name = "Jane Owner";
	list_make(&hl, "From", OWNER, NULL);
	assert_int_equal(run(&hl, &req, &hc), REWRITE_OK);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, "Jane Owner <" CHOSEN ">");
	change_is(&hc, 1, HEADER_ADD, "Reply-To", 0,
	    "Jane Owner <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);

	/* the message's own name wins over full_name */
	list_make(&hl, "From", "J. Doe <" OWNER ">", NULL);
	assert_int_equal(run(&hl, &req, &hc), REWRITE_OK);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, "\"J. Doe\" <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_no_name(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	list_make(&hl, "From", "<" OWNER ">", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, CHOSEN);
	change_is(&hc, 1, HEADER_ADD, "Reply-To", 0, CHOSEN);
	header_changes_free(&hc);
	header_list_free(&hl);
}

/* The name GMime decodes from the first mailbox of value. */
static char *
decoded_name(const char *value, char **addr)
{
	InternetAddressList *l;
	InternetAddress *ia;
	char *name;

	l = internet_address_list_parse(NULL, value);
	assert_non_null(l);
	ia = internet_address_list_get_address(l, 0);
	assert_true(INTERNET_ADDRESS_IS_MAILBOX(ia));
	name = strdup(internet_address_get_name(ia));
	*addr = strdup(
	    internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
	g_object_unref(l);
	return name;
}

static void
assert_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		assert_true((unsigned char)*s < 128);
}

static void
test_non_ascii(void **state)
{
	static const char *const in[] = {
		"=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <" OWNER ">",
		"=?ISO-8859-1?Q?J=F6rg_M=FCller?= <" OWNER ">",
		"J\xc3\xb6rg M\xc3\xbcller <" OWNER ">", /* raw UTF-8 */
		/* raw Latin-1, read in the charset the message declares */
		"J\xf6rg M\xfcller <" OWNER ">",
	};
	struct header_list hl;
	struct header_changes hc;
	char *name, *addr;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		list_make(&hl, "From", in[i], "Content-Type",
		    "text/plain;\r\n\tcharset=\"ISO-8859-1\"", NULL);
		assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
		assert_int_equal(hc.items[0].op, HEADER_CHANGE);
		assert_ascii(hc.items[0].value);
		assert_non_null(strstr(hc.items[0].value, "=?UTF-8?"));
		name = decoded_name(hc.items[0].value, &addr);
		assert_string_equal(name, "J\xc3\xb6rg M\xc3\xbcller");
		assert_string_equal(addr, CHOSEN);
		free(name);
		free(addr);
		header_changes_free(&hc);
		header_list_free(&hl);
	}
}

static void
test_quoted_comma(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	list_make(&hl, "From", "\"Doe, Jane\" <" OWNER ">", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1,
	    "\"Doe, Jane\" <" CHOSEN ">");
	change_is(&hc, 1, HEADER_ADD, "Reply-To", 0,
	    "\"Doe, Jane\" <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_comment_form(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	list_make(&hl, "From", OWNER " (Jane Doe)", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, "Jane Doe <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_folded_and_obsolete(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	/* folded display name, source route */
	list_make(&hl, "From",
	    "Jane\r\n\tDoe\r\n <@relay.example.net:" OWNER ">", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, "Jane Doe <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);

	/* a display name showing the real address is not kept */
	list_make(&hl, "From", "\"" OWNER "\" <" OWNER ">", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, CHOSEN);
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_long_name_folded(void **state)
{
	struct header_list hl;
	struct header_changes hc;
	const char *v, *nl;

	(void)state;
	list_make(&hl, "From",
	    "Jane Alexandra Beatrice Catherine Dorothy "
	    "Eleanor Frances Georgina Doe <" OWNER ">",
	    NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	v = hc.items[0].value;
	assert_non_null(nl = strchr(v, '\n'));
	/* "From: " plus the first line fits in 78 */
	assert_true(nl - v + 6 <= 78);
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_group(void **state)
{
	struct header_list hl;
	struct header_changes hc;
	struct rewrite_request req = req_default;

	(void)state;
	req.full_name = "Jane Owner";
	list_make(&hl, "From", "Team: " OWNER ", Bob <bob@other.net>;", NULL);
	assert_int_equal(run(&hl, &req, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 3);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1,
	    "Jane Owner <" CHOSEN ">, Bob <bob@other.net>");
	change_is(&hc, 1, HEADER_ADD, "Reply-To", 0,
	    "Jane Owner <" CHOSEN ">");
	/* two mailboxes in From: RFC 5322 wants a Sender */
	change_is(&hc, 2, HEADER_ADD, "Sender", 0, "Jane Owner <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);

	/* an empty group alone is garbled: its comment shows the owner */
	list_make(&hl, "From", "undisclosed:; (" OWNER ")", NULL);
	assert_int_equal(run(&hl, &req, &hc), REWRITE_OK);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, "Jane Owner <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_two_from_fields(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	list_make(&hl, "From", "Jane <" OWNER ">", "Subject", "x", "From",
	    "Other Me <mail-0009-zz@example.com>", "From",
	    "Bob <bob@other.net>", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 3);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, "Jane <" CHOSEN ">");
	change_is(&hc, 1, HEADER_CHANGE, "From", 2, "Other Me <" CHOSEN ">");
	change_is(&hc, 2, HEADER_ADD, "Reply-To", 0, "Jane <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);

	/* the first From decides */
	list_make(&hl, "From", "Bob <bob@other.net>", "From", OWNER, NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_NOT_OWNER);
	assert_int_equal(hc.count, 0);
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_two_mailboxes(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	list_make(&hl, "From", "Bob <bob@other.net>, Jane <" OWNER ">", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1,
	    "Bob <bob@other.net>, Jane <" CHOSEN ">");
	change_is(&hc, 2, HEADER_ADD, "Sender", 0, "Jane <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);

	/* a foreign Sender already satisfies RFC 5322 */
	list_make(&hl, "From", "Bob <bob@other.net>, Jane <" OWNER ">",
	    "Sender", "bob@other.net", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 2);
	header_changes_free(&hc);
	header_list_free(&hl);

	/* the owner's Sender becomes ours */
	list_make(&hl, "From", "Bob <bob@other.net>, Jane <" OWNER ">",
	    "Sender", OWNER, NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 3);
	change_is(&hc, 2, HEADER_CHANGE, "Sender", 1, "Jane <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);

	/* the owner twice: the chosen address appears once */
	list_make(&hl, "From", "Jane <" OWNER ">, Alias <x@example.com>",
	    NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 2);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, "Jane <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_missing_from(void **state)
{
	struct header_list hl;
	struct header_changes hc;
	struct rewrite_request req = req_default;

	(void)state;
	req.full_name = "Jane Owner";
	list_make(&hl, "Subject", "no from", NULL);
	assert_int_equal(run(&hl, &req, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 2);
	change_is(&hc, 0, HEADER_ADD, "From", 0, "Jane Owner <" CHOSEN ">");
	change_is(&hc, 1, HEADER_ADD, "Reply-To", 0,
	    "Jane Owner <" CHOSEN ">");
	header_changes_free(&hc);

	req.address = NULL;
	assert_int_equal(run(&hl, &req, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 0);
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_unparsable_from(void **state)
{
	static const char *const foreign[] = {
		"",
		",,,",
		"<>",
		"@@@",
		"undisclosed-recipients:;",
		"bob",
		"\"bob@other.net\"",
	};
	static const char *const ours[] = {
		"@@@ " OWNER,
		"\"" OWNER "\"",
		"<<>>x@example.org",
	};
	struct header_list hl;
	struct header_changes hc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		list_make(&hl, "From", foreign[i], "Sender", OWNER, NULL);
		assert_int_equal(run(&hl, &req_default, &hc),
		    REWRITE_NOT_OWNER);
		assert_int_equal(hc.count, 0);
		header_changes_free(&hc);
		header_list_free(&hl);
	}
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		list_make(&hl, "From", ours[i], NULL);
		assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
		change_is(&hc, 0, HEADER_CHANGE, "From", 1, CHOSEN);
		header_changes_free(&hc);
		header_list_free(&hl);
	}
}

static void
test_not_owner(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	/* earlier changes of the caller survive a NOT_OWNER */
	list_make(&hl, "From", OWNER, NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 2);
	header_list_free(&hl);
	list_make(&hl, "From", "Bob <bob@other.net>", "Reply-To", OWNER,
	    "Sender", OWNER, NULL);
	assert_int_equal(rewrite_headers(&hl, &req_default, &hc, NULL, 0),
	    REWRITE_NOT_OWNER);
	assert_int_equal(hc.count, 2);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, CHOSEN);
	header_changes_free(&hc);

	/* a longer address or domain is not the owner's */
	header_list_free(&hl);
	list_make(&hl, "From", "x" OWNER ".au", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_NOT_OWNER);
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_reply_to(void **state)
{
	struct header_list hl;
	struct header_changes hc;
	char *v;

	(void)state;
	/* replaced */
	list_make(&hl, "From", "Jane <" OWNER ">", "Reply-To", OWNER, NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 2);
	change_is(&hc, 1, HEADER_CHANGE, "Reply-To", 1, "Jane <" CHOSEN ">");
	header_changes_free(&hc);
	header_list_free(&hl);

	/* already right: nothing to do at all */
	list_make(&hl, "From", "Jane <" CHOSEN ">", "Reply-To",
	    "Jane <" CHOSEN ">", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 0);
	header_changes_free(&hc);
	header_list_free(&hl);

	/* several: the first changed, the others deleted, highest first */
	list_make(&hl, "Reply-To", "a@other.net", "From", OWNER, "reply-to",
	    "b@other.net", "REPLY-TO", OWNER, NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 4);
	change_is(&hc, 1, HEADER_CHANGE, "Reply-To", 1, CHOSEN);
	change_is(&hc, 2, HEADER_DELETE, "Reply-To", 3, NULL);
	change_is(&hc, 3, HEADER_DELETE, "Reply-To", 2, NULL);
	v = value_after(&hl, &hc, "Reply-To", 1);
	assert_string_equal(v, CHOSEN);
	free(v);
	assert_null(value_after(&hl, &hc, "Reply-To", 2));
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_sender(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	list_make(&hl, "From", OWNER, "Sender", "Jane <" OWNER ">", "Sender",
	    "other alias <mail-0002-a4@example.com>", "Sender",
	    "Bob <bob@other.net>", "Sender", CHOSEN, NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 4);
	change_is(&hc, 2, HEADER_DELETE, "Sender", 2, NULL);
	change_is(&hc, 3, HEADER_DELETE, "Sender", 1, NULL);
	header_changes_free(&hc);
	header_list_free(&hl);

	/* garbled Sender showing the owner goes too */
	list_make(&hl, "From", OWNER, "Sender", "\"" OWNER "\"", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	change_is(&hc, 2, HEADER_DELETE, "Sender", 1, NULL);
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_no_address(void **state)
{
	struct header_list hl;
	struct header_changes hc;
	struct rewrite_request req = req_default;

	(void)state;
	req.address = NULL;
	req.full_name = "Jane Owner";
	list_make(&hl, "From", "Jane <" OWNER ">", "Reply-To", OWNER, "Sender",
	    OWNER, "Sender", "bob@other.net", NULL);
	header_changes_init(&hc);
	assert_int_equal(rewrite_headers(&hl, &req, &hc, NULL, 0), REWRITE_OK);
	assert_int_equal(hc.count, 1);
	change_is(&hc, 0, HEADER_DELETE, "Sender", 1, NULL);
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_bad_request(void **state)
{
	struct header_list hl;
	struct header_changes hc;
	struct rewrite_request req = req_default;
	char err[128] = "";

	(void)state;
	list_make(&hl, "From", OWNER, NULL);
	header_changes_init(&hc);
	req.address = "Joe <x@example.com>";
	assert_int_equal(rewrite_headers(&hl, &req, &hc, err, sizeof(err)),
	    REWRITE_ERROR);
	assert_true(err[0] != '\0');
	assert_int_equal(hc.count, 0);
	req.address = "Jane@ISP.example.net";
	assert_int_equal(rewrite_headers(&hl, &req, &hc, err, sizeof(err)),
	    REWRITE_ERROR);
	/* a full_name showing the owner's address is not used */
	req = req_default;
	req.full_name = "Jane " OWNER;
	assert_int_equal(run(&hl, &req, &hc), REWRITE_OK);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, CHOSEN);
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_apply(void **state)
{
	struct header_list hl;
	struct header_changes hc = { NULL, 0, 0 };
	struct header_change items[] = {
		{ HEADER_DELETE, "received", 2, NULL },
		{ HEADER_CHANGE, "RECEIVED", 2, "r3 changed" },
		{ HEADER_CHANGE, "X-New", 5, "past the end" },
		{ HEADER_DELETE, "X-Missing", 1, NULL },
		{ HEADER_CHANGE, "Subject", 0, "index 0 is 1" },
		{ HEADER_ADD, "X-Added", 0, "at the end" },
		{ HEADER_CHANGE, "Received", 1, NULL },
	};
	struct header_change bad = { HEADER_DELETE, "Subject", -1, NULL };
	static const char *const want[][2] = {
		{ "Subject", "index 0 is 1" },
		{ "Received", "r3 changed" },
		{ "X-New", "past the end" },
		{ "X-Added", "at the end" },
	};
	size_t i;

	(void)state;
	list_make(&hl, "Received", "r1", "Subject", "s", "Received", "r2",
	    "Received", "r3", NULL);
	hc.items = items;
	hc.count = sizeof(items) / sizeof(items[0]);
	assert_int_equal(header_list_apply(&hl, &hc), 0);
	assert_int_equal(hl.count, 4);
	for (i = 0; i < 4; i++) {
		assert_string_equal(hl.fields[i].name, want[i][0]);
		assert_string_equal(hl.fields[i].value, want[i][1]);
	}
	hc.items = &bad;
	hc.count = 1;
	errno = 0;
	assert_int_equal(header_list_apply(&hl, &hc), -1);
	assert_int_equal(errno, EINVAL);
	header_list_free(&hl);
	header_list_free(&hl); /* idempotent */
}

/* Parse buf, write it back with eol; the output must be buf itself. */
static void
roundtrip(const char *buf, size_t len, const char *eol, size_t nfields,
    size_t want_used)
{
	struct header_list hl;
	char *out = NULL;
	size_t outlen = 0, used = 99999;
	FILE *fp;

	header_list_init(&hl);
	assert_int_equal(header_list_parse(&hl, buf, len, &used), 0);
	assert_int_equal(hl.count, nfields);
	assert_int_equal(used, want_used);
	assert_non_null(fp = open_memstream(&out, &outlen));
	assert_int_equal(header_list_write(&hl, fp, eol), 0);
	assert_int_equal(fwrite(buf + used, 1, len - used, fp), len - used);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, buf, len);
	free(out);
	header_list_free(&hl);
}

static void
test_block_roundtrip(void **state)
{
	static const char lf[] = "From: Jane <jane@isp.example.net>\n"
				 "Subject: a folded\n"
				 "\tsubject line\n"
				 "X-Odd  :  obsolete space before colon\n"
				 "X-8bit: J\xf6rg \xc3\xa9t\xc3\xa9\n"
				 "X-Empty:\n"
				 "\n"
				 "body line\n";
	static const char crlf[] = "From: Jane <jane@isp.example.net>\r\n"
				   "Subject: a folded\r\n"
				   " subject\r\n"
				   "\t line\r\n"
				   "X-8bit: \xff\xfe\r\n"
				   "\r\n"
				   "body\r\n";
	static const char noeol[] = "Subject: no line end";
	static const char nobody[] = "Subject: x\nFrom mbox line\n";

	(void)state;
	roundtrip(lf, sizeof(lf) - 1, "\n", 5, strstr(lf, "\n\n") - lf + 1);
	roundtrip(crlf, sizeof(crlf) - 1, "\r\n", 3,
	    strstr(crlf, "\r\n\r\n") - crlf + 2);
	/* mixed line ends are kept as they were, too */
	roundtrip(crlf, sizeof(crlf) - 1, "\n", 3,
	    strstr(crlf, "\r\n\r\n") - crlf + 2);
	roundtrip(noeol, sizeof(noeol) - 1, "\n", 1, sizeof(noeol) - 1);
	roundtrip(nobody, sizeof(nobody) - 1, "\n", 1, 11);
	roundtrip("", 0, "\n", 0, 0);
	roundtrip("\nbody\n", 6, "\n", 0, 0);
}

static void
test_block_values(void **state)
{
	static const char crlf[] = "Subject:  a folded\r\n"
				   " subject\r\n"
				   "From:\r\n"
				   " Jane <jane@isp.example.net>\r\n"
				   "\r\n";
	struct header_list hl;
	size_t used;

	(void)state;
	header_list_init(&hl);
	assert_int_equal(header_list_parse(&hl, crlf, sizeof(crlf) - 1, &used),
	    0);
	assert_int_equal(hl.count, 2);
	assert_string_equal(hl.fields[0].name, "Subject");
	assert_string_equal(hl.fields[0].value, "a folded\r\n subject");
	assert_string_equal(hl.fields[1].name, "From");
	assert_string_equal(hl.fields[1].value, "Jane <jane@isp.example.net>");
	header_list_free(&hl);
}

/* Rewrite a parsed block and write it: only From changes and Reply-To
 * is added, in the block's own line ending. */
static void
test_block_rewrite(void **state)
{
	static const char in[] =
	    "Received: from x\r\n\tby y\r\n"
	    "From: Jane Alexandra Beatrice Catherine Dorothy Eleanor Frances "
	    "Doe <jane@isp.example.net>\r\n"
	    "Subject: \xe9t\xe9\r\n"
	    "\r\n"
	    "body\r\n";
	static const char want[] =
	    "Received: from x\r\n\tby y\r\n"
	    "From: Jane Alexandra Beatrice Catherine Dorothy Eleanor Frances "
	    "Doe\r\n\t<" CHOSEN ">\r\n"
	    "Subject: \xe9t\xe9\r\n"
	    "Reply-To: Jane Alexandra Beatrice Catherine Dorothy Eleanor "
	    "Frances Doe\r\n\t<" CHOSEN ">\r\n";
	struct header_list hl;
	struct header_changes hc;
	char *out = NULL;
	size_t outlen = 0, used;
	FILE *fp;

	(void)state;
	header_list_init(&hl);
	assert_int_equal(header_list_parse(&hl, in, sizeof(in) - 1, &used), 0);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(header_list_apply(&hl, &hc), 0);
	assert_non_null(fp = open_memstream(&out, &outlen));
	assert_int_equal(header_list_write(&hl, fp, "\r\n"), 0);
	assert_int_equal(fclose(fp), 0);
	assert_string_equal(out, want);
	assert_false(contains_nocase(out, OWNER));
	free(out);
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_recipients(void **state)
{
	struct header_list hl;
	char **v;
	size_t n;

	(void)state;
	list_make(&hl, "To",
	    "Joe <Joe@Example.ORG>, Friends: a@x.net,\r\n"
	    "\tB <b@y.net>;",
	    "Cc", "joe@example.org, c@z.net", "Bcc", "Hidden <hidden@w.net>",
	    "From", "me@example.com", "Bcc", "", "cc",
	    "undisclosed-recipients:;", NULL);
	assert_int_equal(header_list_recipients(&hl, &v, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(v[0], "Joe@Example.ORG");
	assert_string_equal(v[1], "a@x.net");
	assert_string_equal(v[2], "b@y.net");
	assert_string_equal(v[3], "c@z.net");
	assert_string_equal(v[4], "hidden@w.net");
	assert_null(v[5]);
	header_recipients_free(v);
	header_list_free(&hl);

	/* Resent- fields take over when present */
	list_make(&hl, "To", "a@x.net", "Resent-To", "r@x.net", "Resent-Bcc",
	    "s@x.net", NULL);
	assert_int_equal(header_list_recipients(&hl, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "r@x.net");
	assert_string_equal(v[1], "s@x.net");
	header_recipients_free(v);
	header_list_free(&hl);

	list_make(&hl, "Subject", "none", NULL);
	assert_int_equal(header_list_recipients(&hl, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v[0]);
	header_recipients_free(v);
	header_list_free(&hl);
}

/*
 * The owner in every address field (issue 11).
 */

static const char *const owner_fields[] = {
	"To",
	"Cc",
	"Bcc",
	"Disposition-Notification-To",
	"Return-Receipt-To",
	"Errors-To",
	"Mail-Reply-To",
	"Mail-Followup-To",
	"X-Sender",
	"Resent-From",
	"Resent-Sender",
	"Resent-To",
	"Resent-Cc",
	"Resent-Bcc",
	"Resent-Reply-To",
};

/* A field's value as written, and as it must leave. */
static const struct {
	const char *in, *want;
} owner_values[] = {
	{ OWNER, CHOSEN },
	{ "Bob <bob@other.net>, Jane <" OWNER ">",
	    "Bob <bob@other.net>, Jane <" CHOSEN ">" },
	{ "Team: bob@other.net, " OWNER ";, c@z.net",
	    "Team: bob@other.net, " CHOSEN ";, c@z.net" },
	{ "\"Doe, Jane\" <" OWNER ">", "\"Doe, Jane\" <" CHOSEN ">" },
	{ "=?UTF-8?Q?J=C3=B6rg?= <" OWNER ">",
	    "=?UTF-8?b?SsO2cmc=?= <" CHOSEN ">" },
	{ "bob@other.net,\r\n\tJane\r\n <" OWNER ">",
	    "bob@other.net,\r\n\tJane <" CHOSEN ">" },
	{ "JANE@ISP.EXAMPLE.NET", CHOSEN },
	{ "\"jane\"@isp.example.net", CHOSEN },
	{ "Jane <\"j\\a\\ne\"@Isp.Example.Net.>", "Jane <" CHOSEN ">" },
	{ OWNER " (Jane Doe)", "Jane Doe <" CHOSEN ">" },
	{ "jane(home)@isp.example.net", CHOSEN },
	{ "<@relay.example.net:" OWNER ">", CHOSEN },
	/* twice: the chosen address once */
	{ OWNER ", bob@other.net, Jane <" OWNER ">",
	    CHOSEN ", bob@other.net" },
	{ "Jane <" OWNER ">, Me: " OWNER ";", "Jane <" CHOSEN ">, Me:;" },
	/* the chosen address there already */
	{ CHOSEN ", J <" OWNER ">", CHOSEN },
	/* a display name showing the real address is not kept */
	{ "\"" OWNER "\" <" OWNER ">", CHOSEN },
	/* foreign only: left alone */
	{ "Bob <bob@other.net>, \"jane\" <janet@isp.example.net>", NULL },
};

static void
test_owner_fields(void **state)
{
	struct header_list hl;
	struct header_changes hc;
	char name[64], *v;
	size_t f, i, k;

	(void)state;
	for (f = 0; f < sizeof(owner_fields) / sizeof(owner_fields[0]); f++)
		for (i = 0; i < sizeof(owner_values) / sizeof(owner_values[0]);
		     i++) {
			/* any case of the field name; a second field of the name */
			snprintf(name, sizeof(name), "%s", owner_fields[f]);
			for (k = 0; i % 2 && name[k] != '\0'; k++)
				name[k] = g_ascii_toupper(name[k]);
			if (i % 3 == 0)
				name[0] = g_ascii_tolower(name[0]);
			list_make(&hl, "From", "Jane <" OWNER ">", name,
			    "first@other.net", name, owner_values[i].in, NULL);
			assert_int_equal(run(&hl, &req_default, &hc),
			    REWRITE_OK);
			v = value_after(&hl, &hc, owner_fields[f], 2);
			if (owner_values[i].want == NULL) {
				assert_int_equal(hc.count, 2);
				assert_string_equal(v, owner_values[i].in);
			} else {
				if (strcmp(v, owner_values[i].want) != 0)
					print_message("%s: %s\n", name, v);
				assert_int_equal(hc.count, 3);
				change_is(&hc, 2, HEADER_CHANGE,
				    owner_fields[f], 2, owner_values[i].want);
			}
			free(v);
			v = value_after(&hl, &hc, owner_fields[f], 1);
			assert_string_equal(v, "first@other.net");
			free(v);
			header_changes_free(&hc);
			header_list_free(&hl);
		}
}

static void
test_owner_fields_others(void **state)
{
	struct header_list hl;
	struct header_changes hc;
	struct rewrite_request req = req_default;
	char *v;

	(void)state;
	/* another managed address is a recipient in To; in Resent-From it
	 * is the author's */
	list_make(&hl, "From", OWNER, "To", "mail-0009-zz@example.com, " OWNER,
	    "Resent-From", "mail-0009-zz@example.com, " OWNER, "Cc",
	    "Joe <joe@example.org>", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 4);
	change_is(&hc, 2, HEADER_CHANGE, "To", 1,
	    "mail-0009-zz@example.com, " CHOSEN);
	change_is(&hc, 3, HEADER_CHANGE, "Resent-From", 1, CHOSEN);
	header_changes_free(&hc);

	/* the display name as for From: full_name when it has none */
	req.full_name = "Jane Owner";
	assert_int_equal(run(&hl, &req, &hc), REWRITE_OK);
	v = value_after(&hl, &hc, "To", 1);
	assert_string_equal(v,
	    "mail-0009-zz@example.com, Jane Owner <" CHOSEN ">");
	free(v);
	header_changes_free(&hc);

	/* no address chosen: nothing to put there (the leak guard's turn) */
	req.address = NULL;
	assert_int_equal(run(&hl, &req, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 0);
	header_changes_free(&hc);
	header_list_free(&hl);

	/* somebody else's mail naming the owner is not ours to touch */
	list_make(&hl, "From", "bob@other.net", "To", OWNER, "Cc", OWNER,
	    NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_NOT_OWNER);
	assert_int_equal(hc.count, 0);
	header_changes_free(&hc);
	header_list_free(&hl);
}

/* An Autocrypt field with an alias in addr= but the owner's real
 * address in its key's user ID still tells it: deleted. */
static void
test_autocrypt_keydata(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	list_make(&hl, "From", OWNER, "Autocrypt",
	    "addr=" CHOSEN "; keydata=tB1KYW5lIERvZSA8SmFu\r\n"
	    " ZUBJU1AuZXhhbXBsZS5uZXQ+",
	    "Autocrypt", "addr=" CHOSEN "; keydata=mQENBqux", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	{
		char *v = value_after(&hl, &hc, "Autocrypt", 1);

		assert_string_equal(v, "addr=" CHOSEN "; keydata=mQENBqux");
		free(v);
	}
	assert_null(value_after(&hl, &hc, "Autocrypt", 2));
	header_changes_free(&hc);
	header_list_free(&hl);
}

/* A Return-Path a client left in the owner's message names the owner:
 * deleted (the delivering MTA writes its own); a foreign one stays. */
static void
test_return_path(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	list_make(&hl, "From", OWNER, "Return-Path", "<" OWNER ">",
	    "return-path", "<bounces@else.example>", "RETURN-PATH",
	    "<\"Jane\"@ISP.Example.NET>", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_null(value_after(&hl, &hc, "Return-Path", 2));
	{
		char *v = value_after(&hl, &hc, "Return-Path", 1);

		assert_string_equal(v, "<bounces@else.example>");
		free(v);
	}
	header_changes_free(&hc);
	header_list_free(&hl);
}

/* aliasd's X-Aliasd note names an address and its correspondent: none
 * leaves in the owner's mail, whatever its spelling. */
static void
test_x_aliasd(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	list_make(&hl, "From", OWNER, "X-Aliasd",
	    "address=" CHOSEN
	    "; correspondent=joe@example.org; sender=expected",
	    "x-aliasd",
	    "address=other@example.com; correspondent=none; "
	    "sender=unexpected",
	    NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_null(value_after(&hl, &hc, "X-Aliasd", 1));
	assert_null(value_after(&hl, &hc, "X-Aliasd", 2));
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_autocrypt(void **state)
{
	struct header_list hl;
	struct header_changes hc;
	struct rewrite_request req = req_default;
	char *v;

	(void)state;
	list_make(&hl, "From", OWNER, "Autocrypt",
	    "addr=" OWNER "; prefer-encrypt=mutual;\r\n"
	    " keydata=mQENBFoo",
	    "autocrypt", "addr=bob@other.net; keydata=mQENBar", "AUTOCRYPT",
	    "keydata=mQENBaz;\r\n addr = \"Jane\"@ISP.example.net.",
	    "Autocrypt", "addr=" CHOSEN "; keydata=mQENBqux",
	    "Autocrypt-Gossip", "addr=bob@other.net; keydata=x", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 4);
	change_is(&hc, 2, HEADER_DELETE, "Autocrypt", 3, NULL);
	change_is(&hc, 3, HEADER_DELETE, "Autocrypt", 1, NULL);
	v = value_after(&hl, &hc, "Autocrypt", 1);
	assert_string_equal(v, "addr=bob@other.net; keydata=mQENBar");
	free(v);
	v = value_after(&hl, &hc, "Autocrypt", 2);
	assert_string_equal(v, "addr=" CHOSEN "; keydata=mQENBqux");
	free(v);
	assert_null(value_after(&hl, &hc, "Autocrypt", 3));
	header_changes_free(&hc);

	/* removed with no address chosen too */
	req.address = NULL;
	assert_int_equal(run(&hl, &req, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 2);
	change_is(&hc, 0, HEADER_DELETE, "Autocrypt", 3, NULL);
	header_changes_free(&hc);
	header_list_free(&hl);

	/* only the owner's own */
	list_make(&hl, "From", OWNER, "Autocrypt",
	    "addr=x" OWNER "; keydata=y", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 2);
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_owner_spellings(void **state)
{
	static const char *const ours[] = {
		"\"jane\"@isp.example.net",
		"\"j\\ane\"@ISP.example.NET",
		"jane@isp.example.net.",
		"Jane <jane(home)@isp.example.net>",
		"jane @ isp.example.net",
		"Jane\r\n <\"jane\"@isp.example.net.>",
		"=?UTF-8?B?SmFuZQ==?= <JANE@isp.example.net>",
		"List: bob@other.net, \"jane\"@isp.example.net;",
	};
	static const char *const foreign[] = {
		"\"jane.x\"@isp.example.net",
		"\"jane\"@isp.example.net.au",
		"jane@isp.example.network",
		"\"jane@isp.example.net\"@other.net",
	};
	struct header_list hl;
	struct header_changes hc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		list_make(&hl, "From", ours[i], NULL);
		assert_int_equal(header_is_owners(&hl, &req_default), 1);
		assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
		assert_int_equal(hc.items[0].op, HEADER_CHANGE);
		assert_string_equal(hc.items[0].name, "From");
		assert_non_null(strstr(hc.items[0].value, CHOSEN));
		header_changes_free(&hc);
		header_list_free(&hl);
	}
	for (i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		list_make(&hl, "From", foreign[i], NULL);
		assert_int_equal(header_is_owners(&hl, &req_default), 0);
		assert_int_equal(run(&hl, &req_default, &hc),
		    REWRITE_NOT_OWNER);
		header_changes_free(&hc);
		header_list_free(&hl);
	}
}

static void
test_is_owners(void **state)
{
	static const struct {
		const char *name[3], *value[3];
		int want;
	} cases[] = {
		{ { "Subject" }, { "no from" }, 1 },
		{ { "From" }, { "bob@other.net" }, 0 },
		{ { "From" }, { "x@example.org" }, 1 },
		{ { "From" }, { "undisclosed:; (" OWNER ")" }, 1 },
		{ { "From", "Resent-From" }, { "bob@other.net", OWNER }, 1 },
		{ { "From", "Resent-Sender" },
		    { "bob@other.net", "\"jane\"@isp.example.net" }, 1 },
		{ { "From", "Resent-From", "Resent-Sender" },
		    { "bob@other.net", "carol@other.net", OWNER }, 0 },
		{ { "From", "Resent-From", "Resent-From" },
		    { "bob@other.net", "carol@other.net", OWNER }, 0 },
		{ { "From", "Resent-From" },
		    { "bob@other.net", "mail-0002-a4@example.com" }, 1 },
		{ { "From", "To", "Sender" },
		    { "bob@other.net", OWNER, OWNER }, 0 },
	};
	struct header_list hl;
	struct header_changes hc;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		header_list_init(&hl);
		for (j = 0; j < 3 && cases[i].name[j] != NULL; j++)
			assert_int_equal(header_list_add(&hl, cases[i].name[j],
					     cases[i].value[j]),
			    0);
		assert_int_equal(header_is_owners(&hl, &req_default),
		    cases[i].want);
		/* rewrite_headers agrees */
		assert_int_equal(run(&hl, &req_default, &hc) ==
			REWRITE_NOT_OWNER,
		    !cases[i].want);
		header_changes_free(&hc);
		header_list_free(&hl);
	}
}

static void
test_resent(void **state)
{
	struct header_list hl;
	struct header_changes hc;

	(void)state;
	/* mutt's bounce: the author's fields stay, the owner's go */
	list_make(&hl, "From", "Bob <bob@other.net>", "Reply-To",
	    "bob@other.net", "Sender", "list@other.net", "To",
	    "Jane <" OWNER ">", "Resent-From", "Jane <" OWNER ">", "Resent-To",
	    "carol@other.net", "Resent-Cc", OWNER ", dave@other.net", NULL);
	assert_int_equal(header_is_owners(&hl, &req_default), 1);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 3);
	change_is(&hc, 0, HEADER_CHANGE, "To", 1, "Jane <" CHOSEN ">");
	change_is(&hc, 1, HEADER_CHANGE, "Resent-From", 1,
	    "Jane <" CHOSEN ">");
	change_is(&hc, 2, HEADER_CHANGE, "Resent-Cc", 1,
	    CHOSEN ", dave@other.net");
	header_changes_free(&hc);
	header_list_free(&hl);

	/* the owner resending the owner's own message: everything */
	list_make(&hl, "From", "Jane <" OWNER ">", "Resent-Sender", OWNER,
	    "Resent-To", "carol@other.net", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 3);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1, "Jane <" CHOSEN ">");
	change_is(&hc, 1, HEADER_ADD, "Reply-To", 0, "Jane <" CHOSEN ">");
	change_is(&hc, 2, HEADER_CHANGE, "Resent-Sender", 1, CHOSEN);
	header_changes_free(&hc);
	header_list_free(&hl);
}

static void
test_raw_charset(void **state)
{
	/* 张三 in GB2312, and in UTF-8 */
	static const char gb[] = "\xd5\xc5\xc8\xfd";
	static const char utf8[] = "\xe5\xbc\xa0\xe4\xb8\x89";
	struct header_list hl;
	struct header_changes hc;
	char *name, *addr;

	(void)state;
	/* no charset declared: the bytes stay as they were */
	list_make(&hl, "From", "\xd5\xc5\xc8\xfd <" OWNER ">", "To",
	    "\xd5\xc5\xc8\xfd <bob@other.net>, " OWNER, "Content-Type",
	    "multipart/mixed; boundary=x", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(hc.count, 3);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1,
	    "\xd5\xc5\xc8\xfd <" CHOSEN ">");
	change_is(&hc, 1, HEADER_ADD, "Reply-To", 0,
	    "\xd5\xc5\xc8\xfd <" CHOSEN ">");
	/* another mailbox's raw name is kept too */
	change_is(&hc, 2, HEADER_CHANGE, "To", 1,
	    "\xd5\xc5\xc8\xfd <bob@other.net>, " CHOSEN);
	header_changes_free(&hc);
	header_list_free(&hl);

	/* in a comment */
	list_make(&hl, "From", OWNER " (\xd5\xc5\xc8\xfd)", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	change_is(&hc, 0, HEADER_CHANGE, "From", 1,
	    CHOSEN " (\xd5\xc5\xc8\xfd)");
	header_changes_free(&hc);
	header_list_free(&hl);

	/* declared: read in it, sent as UTF-8 encoded words */
	list_make(&hl, "Content-Type", "text/plain; charset=gb2312", "From",
	    "\xd5\xc5\xc8\xfd <" OWNER ">", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_ascii(hc.items[0].value);
	name = decoded_name(hc.items[0].value, &addr);
	assert_string_equal(name, utf8);
	assert_string_equal(addr, CHOSEN);
	free(name);
	free(addr);
	header_changes_free(&hc);
	header_list_free(&hl);

	/* declared wrongly (UTF-8): kept as they were */
	list_make(&hl, "Content-Type", "text/plain; charset=utf-8", "From",
	    "\xd5\xc5\xc8\xfd <" OWNER ">", NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_memory_equal(hc.items[0].value, gb, 4);
	header_changes_free(&hc);
	header_list_free(&hl);
}

static int
leak(const struct header_list *hl, const struct header_changes *hc,
    char *field, size_t len)
{
	field[0] = '\0';
	return header_leak_find(hl, hc, &req_default, field, len);
}

static void
test_leak_guard(void **state)
{
	static const char *const shows[] = {
		OWNER,
		"Jane <" OWNER ">",
		"contact: \"jane\"@ISP.example.net",
		"=?utf-8?b?amFuZUBpc3AuZXhhbXBsZS5uZXQ=?=",
		"\"=?utf-8?q?jane=40isp.example.net?=\" <x@other.net>",
		"jane(home) @ isp.example.net.",
		"v=1; i=" OWNER "; d=x",
		"<@relay:" OWNER ">",
		"jane@\r\n isp.example.net",
	};
	static const char *const hides[] = {
		"xjane@isp.example.net",
		"jane@isp.example.network",
		"<20240101.jane@isp.example.net>",
		"jane at isp example net",
		"isp.example.net",
		CHOSEN,
	};
	struct header_list hl;
	struct header_changes hc;
	char field[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(shows) / sizeof(shows[0]); i++) {
		list_make(&hl, "X-Unknown", shows[i], NULL);
		assert_int_equal(leak(&hl, NULL, field, sizeof(field)), 1);
		assert_string_equal(field, "X-Unknown");
		header_list_free(&hl);
	}
	for (i = 0; i < sizeof(hides) / sizeof(hides[0]); i++) {
		list_make(&hl, "X-Unknown", hides[i], NULL);
		assert_int_equal(leak(&hl, NULL, field, sizeof(field)), 0);
		header_list_free(&hl);
	}

	/* after the rewrite: a field nobody rewrote, as the message spells
	 * its name; Received and the free-text fields do not count */
	list_make(&hl, "Received", "from x by y for <" OWNER ">", "From",
	    "Jane <" OWNER ">", "To", "bob@other.net, " OWNER, "Subject",
	    "mail from " OWNER, "Comments", OWNER, "KEYWORDS", OWNER,
	    "x-original-from", "\"jane\"@isp.example.net", NULL);
	assert_int_equal(leak(&hl, NULL, field, sizeof(field)), 1);
	assert_string_equal(field, "From");
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(leak(&hl, &hc, field, sizeof(field)), 1);
	assert_string_equal(field, "x-original-from");
	header_changes_free(&hc);
	header_list_free(&hl);

	/* everything rewritten: nothing left */
	list_make(&hl, "Received", "by y for <" OWNER ">", "From",
	    "Jane <" OWNER ">", "Reply-To", OWNER, "Sender", OWNER, "To",
	    "Me: " OWNER ";", "Cc", "\"jane\"@isp.example.net",
	    "Disposition-Notification-To", OWNER, "Errors-To", OWNER,
	    "Autocrypt", "addr=" OWNER "; keydata=x", "Subject", OWNER,
	    "Mail-Followup-To", "bob@other.net, " OWNER, NULL);
	assert_int_equal(run(&hl, &req_default, &hc), REWRITE_OK);
	assert_int_equal(leak(&hl, &hc, field, sizeof(field)), 0);
	header_changes_free(&hc);
	header_list_free(&hl);

	/* a field name can hold it too; no owner, no leak */
	list_make(&hl, OWNER, "x", NULL);
	assert_int_equal(leak(&hl, NULL, field, sizeof(field)), 1);
	{
		struct rewrite_request req = req_default;

		req.owner = NULL;
		assert_int_equal(header_leak_find(&hl, NULL, &req, field,
				     sizeof(field)),
		    0);
	}
	header_list_free(&hl);
}

/* 40,000 distinct recipients in 400 To fields, each named twice more in
 * another case in Cc: every one once, in order. */
static void
test_recipients_many(void **state)
{
	struct header_list hl;
	GString *to, *cc;
	char **v, want[64];
	size_t i, j, n;

	(void)state;
	header_list_init(&hl);
	to = g_string_new(NULL);
	cc = g_string_new(NULL);
	for (i = 0; i < 400; i++) {
		g_string_truncate(to, 0);
		g_string_truncate(cc, 0);
		for (j = 0; j < 100; j++) {
			g_string_append_printf(to, "%sr%zu-%zu@x%zu.example",
			    j ? ", " : "", i, j, j % 7);
			g_string_append_printf(cc,
			    "%sR%zu-%zu@X%zu.EXAMPLE, "
			    "<r%zu-%zu@x%zu.example>",
			    j ? ", " : "", i, j, j % 7, i, j, j % 7);
		}
		assert_int_equal(header_list_add(&hl, "To", to->str), 0);
		assert_int_equal(header_list_add(&hl, "Cc", cc->str), 0);
	}
	g_string_free(to, TRUE);
	g_string_free(cc, TRUE);
	assert_int_equal(header_list_recipients(&hl, &v, &n), 0);
	assert_int_equal(n, 40000);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "r%zu-%zu@x%zu.example", i / 100,
		    i % 100, i % 100 % 7);
		assert_string_equal(v[i], want);
	}
	assert_null(v[n]);
	header_recipients_free(v);
	header_list_free(&hl);
}

static void *
thread_run(void *arg)
{
	struct header_list hl;
	struct header_changes hc;
	int i, *ok = arg;

	for (i = 0; i < 200; i++) {
		header_list_init(&hl);
		header_changes_init(&hc);
		if (header_list_add(&hl, "From",
			"=?UTF-8?Q?J=C3=B6rg?= <" OWNER ">") == -1 ||
		    rewrite_headers(&hl, &req_default, &hc, NULL, 0) !=
			REWRITE_OK ||
		    hc.count != 2 ||
		    strcmp(hc.items[0].value,
			"=?UTF-8?b?SsO2cmc=?= <" CHOSEN ">") != 0)
			*ok = 0;
		header_changes_free(&hc);
		header_list_free(&hl);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t t[4];
	int ok[4], i;

	(void)state;
	for (i = 0; i < 4; i++) {
		ok[i] = 1;
		assert_int_equal(pthread_create(&t[i], NULL, thread_run,
				     &ok[i]),
		    0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_true(ok[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_plain),
		cmocka_unit_test(test_managed_domain),
		cmocka_unit_test(test_case_insensitive),
		cmocka_unit_test(test_full_name),
		cmocka_unit_test(test_no_name),
		cmocka_unit_test(test_non_ascii),
		cmocka_unit_test(test_quoted_comma),
		cmocka_unit_test(test_comment_form),
		cmocka_unit_test(test_folded_and_obsolete),
		cmocka_unit_test(test_long_name_folded),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_two_from_fields),
		cmocka_unit_test(test_two_mailboxes),
		cmocka_unit_test(test_missing_from),
		cmocka_unit_test(test_unparsable_from),
		cmocka_unit_test(test_not_owner),
		cmocka_unit_test(test_reply_to),
		cmocka_unit_test(test_sender),
		cmocka_unit_test(test_no_address),
		cmocka_unit_test(test_bad_request),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_block_roundtrip),
		cmocka_unit_test(test_block_values),
		cmocka_unit_test(test_block_rewrite),
		cmocka_unit_test(test_recipients),
		cmocka_unit_test(test_owner_fields),
		cmocka_unit_test(test_owner_fields_others),
		cmocka_unit_test(test_autocrypt),
		cmocka_unit_test(test_return_path),
		cmocka_unit_test(test_x_aliasd),
		cmocka_unit_test(test_autocrypt_keydata),
		cmocka_unit_test(test_owner_spellings),
		cmocka_unit_test(test_is_owners),
		cmocka_unit_test(test_resent),
		cmocka_unit_test(test_raw_charset),
		cmocka_unit_test(test_leak_guard),
		cmocka_unit_test(test_recipients_many),
		cmocka_unit_test(test_threads),
	};

	/* the threads test needs it before they start, as aliasd will */
	header_library_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
