#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_maps.c: the map lines aliasctl exports for sendmail, Postfix and
 * qmail, and the virtusertable lines it imports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/maps.h"

#define OWNER "me@real.example"

static void
make(struct store_address *a, const char *address, enum address_state st,
    const char *reason)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->address, sizeof(a->address), "%s", address);
	a->state = st;
	snprintf(a->reason, sizeof(a->reason), "%s", reason);
}

/* Every line map_write gives for one address, into out. */
static void
written(enum map_format f, const struct store_address *a, char *out,
    size_t len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&buf, &size);

	assert_non_null(fp);
	map_write(fp, f, a, OWNER);
	assert_int_equal(fclose(fp), 0);
	assert_true(size < len);
	memcpy(out, buf, size + 1);
	free(buf);
}

static void
test_map_write(void **state)
{
	struct store_address act, ret, exp;
	char out[1024];

	(void)state;
	make(&act, "mail-0001-q3@example.com", STATE_ACTIVE, "");
	make(&ret, "mail-0003-c8@example.com", STATE_RETIRED,
	    "Spammers found this address");
	make(&exp, "mail-0004-k7@example.com", STATE_EXPIRED, "");

	written(MAP_VIRTUSERTABLE, &act, out, sizeof(out));
	assert_string_equal(out, "mail-0001-q3@example.com\t" OWNER "\n");
	written(MAP_VIRTUSERTABLE, &ret, out, sizeof(out));
	assert_string_equal(out,
	    "mail-0003-c8@example.com\terror:nouser "
	    "Spammers found this address\n");
	written(MAP_VIRTUSERTABLE, &exp, out, sizeof(out));
	assert_string_equal(out,
	    "mail-0004-k7@example.com\terror:nouser "
	    "address expired\n");

	written(MAP_POSTFIX, &act, out, sizeof(out));
	assert_string_equal(out, "mail-0001-q3@example.com\tOK\n");
	written(MAP_POSTFIX, &ret, out, sizeof(out));
	assert_string_equal(out,
	    "mail-0003-c8@example.com\t550 5.1.1 "
	    "Spammers found this address\n");
	written(MAP_POSTFIX, &exp, out, sizeof(out));
	assert_string_equal(out,
	    "mail-0004-k7@example.com\t550 5.1.1 "
	    "address expired\n");

	written(MAP_POSTFIX_VIRTUAL, &act, out, sizeof(out));
	assert_string_equal(out, "mail-0001-q3@example.com\t" OWNER "\n");
	written(MAP_POSTFIX_VIRTUAL, &ret, out, sizeof(out));
	assert_string_equal(out, "");
	written(MAP_POSTFIX_VIRTUAL, &exp, out, sizeof(out));
	assert_string_equal(out, "");

	written(MAP_VALIDRCPTTO, &act, out, sizeof(out));
	assert_string_equal(out, "mail-0001-q3@example.com\n");
	written(MAP_VALIDRCPTTO, &ret, out, sizeof(out));
	assert_string_equal(out, "");
	written(MAP_VALIDRCPTTO, &exp, out, sizeof(out));
	assert_string_equal(out, "");
}

static void
test_map_format_parse(void **state)
{
	enum map_format f = MAP_VALIDRCPTTO;

	(void)state;
	assert_int_equal(map_format_parse("virtusertable", &f), 0);
	assert_int_equal(f, MAP_VIRTUSERTABLE);
	assert_int_equal(map_format_parse("postfix", &f), 0);
	assert_int_equal(f, MAP_POSTFIX);
	assert_int_equal(map_format_parse("postfix-virtual", &f), 0);
	assert_int_equal(f, MAP_POSTFIX_VIRTUAL);
	assert_int_equal(map_format_parse("validrcptto", &f), 0);
	assert_int_equal(f, MAP_VALIDRCPTTO);
	assert_int_equal(map_format_parse("Postfix", &f), -1);
	assert_int_equal(map_format_parse("postfix-", &f), -1);
	assert_int_equal(map_format_parse("virtuser", &f), -1);
	assert_int_equal(map_format_parse("", &f), -1);
	assert_int_equal(f, MAP_VALIDRCPTTO);

	assert_true(map_needs_owner(MAP_VIRTUSERTABLE));
	assert_true(map_needs_owner(MAP_POSTFIX_VIRTUAL));
	assert_false(map_needs_owner(MAP_POSTFIX));
	assert_false(map_needs_owner(MAP_VALIDRCPTTO));
}

static void
parse_ok(const char *line, enum vt_kind kind, const char *address,
    bool refused, const char *reason, struct vt_entry *e)
{
	const char *why = vt_parse_line(line, e);

	if (why != NULL)
		fail_msg("\"%s\" rejected: %s", line, why);
	assert_int_equal(e->kind, kind);
	assert_string_equal(e->address, address);
	assert_int_equal(e->refused, refused);
	assert_string_equal(e->reason, reason);
}

static void
parse_bad(const char *line, const char *want)
{
	struct vt_entry e;
	const char *why = vt_parse_line(line, &e);

	if (why == NULL)
		fail_msg("\"%s\" accepted", line);
	if (strstr(why, want) == NULL)
		fail_msg("\"%s\": \"%s\" lacks \"%s\"", line, why, want);
}

static void
test_vt_delivered(void **state)
{
	struct vt_entry e;

	(void)state;
	parse_ok("mail-0001-q3@example.com\tme", VT_ADDRESS,
	    "mail-0001-q3@example.com", false, "", &e);
	parse_ok("mail-0001-q3@example.com   me@real.example", VT_ADDRESS,
	    "mail-0001-q3@example.com", false, "", &e);
	parse_ok("  \tMail-0001-Q3@Example.COM \t me  ", VT_ADDRESS,
	    "mail-0001-q3@example.com", false, "", &e);
	parse_ok("ebay@example.com\tme\r", VT_ADDRESS, "ebay@example.com",
	    false, "", &e);
	parse_ok("ebay@example.com\tme\n", VT_ADDRESS, "ebay@example.com",
	    false, "", &e);
}

static void
test_vt_refused(void **state)
{
	struct vt_entry e;

	(void)state;
	parse_ok("mail-0003-c8@example.com\terror:nouser Some reason",
	    VT_ADDRESS, "mail-0003-c8@example.com", true, "Some reason", &e);
	parse_ok("mail-0003-c8@example.com error:5.1.1:550 Some reason",
	    VT_ADDRESS, "mail-0003-c8@example.com", true, "Some reason", &e);
	parse_ok("a@example.com error:550 Gone away  ", VT_ADDRESS,
	    "a@example.com", true, "Gone away", &e);
	parse_ok("a@example.com\tERROR:NOUSER  two  spaces kept\r", VT_ADDRESS,
	    "a@example.com", true, "two  spaces kept", &e);
	parse_ok("a@example.com\terror:nouser", VT_ADDRESS, "a@example.com",
	    true, DEFAULT_REASON, &e);
	parse_ok("a@example.com\terror:nouser\r\n", VT_ADDRESS,
	    "a@example.com", true, DEFAULT_REASON, &e);
	parse_ok("a@example.com\terror:nouser   ", VT_ADDRESS, "a@example.com",
	    true, DEFAULT_REASON, &e);
	/* What map_write gives reads back the same. */
	parse_ok("mail-0004-k7@example.com\terror:nouser address expired",
	    VT_ADDRESS, "mail-0004-k7@example.com", true, "address expired",
	    &e);
}

static void
test_vt_skip(void **state)
{
	struct vt_entry e;

	(void)state;
	parse_ok("", VT_SKIP, "", false, "", &e);
	parse_ok("   \t ", VT_SKIP, "", false, "", &e);
	parse_ok("\r", VT_SKIP, "", false, "", &e);
	parse_ok("\r\n", VT_SKIP, "", false, "", &e);
	parse_ok("# a comment", VT_SKIP, "", false, "", &e);
	parse_ok("   # indented comment", VT_SKIP, "", false, "", &e);
	parse_ok("#a@example.com\tme", VT_SKIP, "", false, "", &e);
}

static void
test_vt_catchall(void **state)
{
	struct vt_entry e;

	(void)state;
	parse_ok("@example.com\tcatchall", VT_CATCHALL, "@example.com", false,
	    "", &e);
	parse_ok("@Example.COM error:nouser No such user here", VT_CATCHALL,
	    "@example.com", true, "No such user here", &e);
}

static void
test_vt_bad(void **state)
{
	char line[1200];

	(void)state;
	parse_bad("a@example.com", "no target");
	parse_bad("a@example.com   ", "no target");
	parse_bad("a@example.com\t\r", "no target");
	parse_bad("joe@\tme", "missing domain");
	parse_bad("joe\tme", "missing @domain");
	parse_bad("@\tme", "missing domain");
	parse_bad("jo..e@example.com\tme", "invalid local part");
	parse_bad("joe@-x.com\tme", "invalid domain");
	parse_bad("a@example.com\terror:nouser bad\x01reason",
	    "control character");
	/* Longer than any address. */
	memset(line, 'a', 400);
	memcpy(line + 400, "@x.com\tme", 10);
	parse_bad(line, "too long");
	/* A reason longer than a stored one. */
	snprintf(line, sizeof(line), "a@example.com\terror:nouser ");
	memset(line + strlen(line), 'r', REASON_MAX);
	line[27 + REASON_MAX] = '\0';
	parse_bad(line, "too long");
	/* One shorter than the buffer is fine. */
	line[27 + REASON_MAX - 1] = '\0';
	{
		struct vt_entry e;

		assert_null(vt_parse_line(line, &e));
		assert_int_equal(strlen(e.reason), REASON_MAX - 1);
	}
}

static void
test_vt_entry_reset(void **state)
{
	struct vt_entry e;

	(void)state;
	/* A comment after a refused line leaves no state behind. */
	parse_ok("a@example.com\terror:nouser x", VT_ADDRESS, "a@example.com",
	    true, "x", &e);
	parse_ok("# x", VT_SKIP, "", false, "", &e);
}

/* Found by fuzzing: a reason past the line buffer was cut, then taken. */
static void
test_vt_reason_not_cut(void **state)
{
	char line[1600];
	struct vt_entry e;

	(void)state;
	snprintf(line, sizeof(line), "a@example.com\terror:nouser ");
	memset(line + strlen(line), 'r', 1200);
	line[sizeof(line) - 1] = '\0';
	assert_non_null(vt_parse_line(line, &e));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vt_reason_not_cut),
		cmocka_unit_test(test_map_write),
		cmocka_unit_test(test_map_format_parse),
		cmocka_unit_test(test_vt_delivered),
		cmocka_unit_test(test_vt_refused),
		cmocka_unit_test(test_vt_skip),
		cmocka_unit_test(test_vt_catchall),
		cmocka_unit_test(test_vt_bad),
		cmocka_unit_test(test_vt_entry_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
