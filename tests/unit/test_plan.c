#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_plan.c: the one outbound plan, against a small in-memory table
 * standing in for the store: whose mail, which address, what is created
 * and when, the envelope sender, the leak guard.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rewriter/plan.h"

#define OWNER "real.owner@owner-home.test"
#define JOE_ADDR "mail-0001-q3xk7m@example.com"
#define NEW_ADDR "mail-0009-n3wn3w@example.com"

struct fake {
	const char *default_address; /* NULL: none */
	bool fail; /* every lookup fails */
	int created; /* create() calls */
};

static enum lookup_result
fake_by_correspondent(void *arg, const char *key, char *out, size_t outlen)
{
	struct fake *f = arg;

	if (f->fail)
		return LOOKUP_ERROR;
	if (strcmp(key, "joe@example.org") == 0) {
		snprintf(out, outlen, "%s", JOE_ADDR);
		return LOOKUP_FOUND;
	}
	return LOOKUP_NONE;
}

static enum lookup_result
fake_by_default(void *arg, char *out, size_t outlen)
{
	struct fake *f = arg;

	if (f->fail)
		return LOOKUP_ERROR;
	if (f->default_address == NULL)
		return LOOKUP_NONE;
	snprintf(out, outlen, "%s", f->default_address);
	return LOOKUP_FOUND;
}

static enum lookup_result
fake_create(void *arg, const char *correspondent, char *out, size_t outlen)
{
	struct fake *f = arg;

	(void)correspondent;
	f->created++;
	snprintf(out, outlen, "%s", NEW_ADDR);
	return LOOKUP_FOUND;
}

static const char *const domains[] = { "example.com" };

struct run {
	struct fake fake;
	struct policy_source src;
	struct header_list hl;
	struct plan_request req;
	struct plan plan;
	enum plan_status st;
	char err[256];
};

/* A request for head (NULL: no message) to rcpt, from sender. */
static void
setup_run(struct run *r, const char *head, const char *rcpt,
    const char *sender)
{
	static const char *rcpts[1];
	size_t used;

	memset(r, 0, sizeof(*r));
	header_list_init(&r->hl);
	if (head != NULL)
		assert_int_equal(header_list_parse(&r->hl, head, strlen(head),
				     &used),
		    0);
	r->src = (struct policy_source){
		.by_correspondent = fake_by_correspondent,
		.by_default = fake_by_default,
		.create = fake_create,
		.arg = &r->fake,
	};
	rcpts[0] = rcpt;
	r->req = (struct plan_request){
		.src = &r->src,
		.rcpts = rcpts,
		.nrcpts = 1,
		.headers = head != NULL ? &r->hl : NULL,
		.sender = sender,
		.owner = OWNER,
		.full_name = "Real Owner",
		.domains = domains,
		.ndomains = 1,
		.guard = true,
		.may_create = true,
	};
}

static void
make(struct run *r)
{
	r->st = plan_make(&r->req, &r->plan, r->err, sizeof(r->err));
}

static void
done(struct run *r)
{
	plan_free(&r->plan);
	header_list_free(&r->hl);
}

/* The header list with the plan applied, as alias-sendmail sends it. */
static const char *
value_after(struct run *r, const char *name)
{
	size_t pos;

	assert_int_equal(header_list_apply(&r->hl, &r->plan.changes), 0);
	pos = header_list_find(&r->hl, name, 1);
	return pos < r->hl.count ? r->hl.fields[pos].value : NULL;
}

#define FROM_OWNER "From: Real Owner <" OWNER ">\n"

static void
test_owner_to_correspondent(void **state)
{
	struct run r;

	(void)state;
	setup_run(&r, FROM_OWNER "To: joe@example.org\nSubject: hi\n",
	    "joe@example.org", OWNER);
	make(&r);
	assert_int_equal(r.st, PLAN_OK);
	assert_string_equal(r.plan.address, JOE_ADDR);
	assert_string_equal(r.plan.sender, JOE_ADDR);
	assert_false(r.plan.want_new);
	assert_non_null(strstr(value_after(&r, "From"), JOE_ADDR));
	assert_non_null(strstr(value_after(&r, "Reply-To"), JOE_ADDR));
	done(&r);
}

static void
test_bounce_address(void **state)
{
	struct run r;

	(void)state;
	setup_run(&r, FROM_OWNER, "joe@example.org", OWNER);
	r.req.bounce_address = "bounces@example.com";
	make(&r);
	assert_int_equal(r.st, PLAN_OK);
	assert_string_equal(r.plan.sender, "bounces@example.com");
	done(&r);
}

static void
test_null_sender_stays(void **state)
{
	struct run r;

	(void)state;
	setup_run(&r, FROM_OWNER, "joe@example.org", "");
	make(&r);
	assert_int_equal(r.st, PLAN_OK);
	assert_string_equal(r.plan.sender, "");
	done(&r);
}

static void
test_not_owner_untouched(void **state)
{
	struct run r;

	(void)state;
	/* a SASL user with a foreign From, root's cron mail: nothing is
	 * created for them, even with auto_create */
	setup_run(&r, "From: Somebody <some@else.test>\nTo: x@new.test\n",
	    "x@new.test", "some@else.test");
	r.req.auto_create = true;
	make(&r);
	assert_int_equal(r.st, PLAN_NOT_OWNER);
	assert_int_equal(r.fake.created, 0);
	assert_int_equal(r.plan.changes.count, 0);
	assert_string_equal(r.plan.sender, "");
	done(&r);
}

static void
test_auto_create_owner(void **state)
{
	struct run r;

	(void)state;
	setup_run(&r, FROM_OWNER "To: x@new.test\n", "x@new.test", OWNER);
	r.req.auto_create = true;
	make(&r);
	assert_int_equal(r.st, PLAN_OK);
	assert_int_equal(r.fake.created, 1);
	assert_true(r.plan.created);
	assert_string_equal(r.plan.address, NEW_ADDR);
	assert_string_equal(r.plan.new_correspondent, "x@new.test");
	assert_string_equal(r.plan.sender, NEW_ADDR);
	done(&r);
}

static void
test_dry_run_creates_nothing(void **state)
{
	struct run r;

	(void)state;
	setup_run(&r, FROM_OWNER "To: x@new.test\n", "x@new.test", OWNER);
	r.req.auto_create = true;
	r.req.may_create = false;
	make(&r);
	assert_int_equal(r.fake.created, 0);
	assert_true(r.plan.want_new);
	assert_false(r.plan.created);
	/* nothing chosen: the owner's From would leave, so the guard holds
	 * it, as the real run would not */
	assert_int_equal(r.st, PLAN_LEAK);
	assert_string_equal(r.plan.leak_field, "From");
	done(&r);
}

static void
test_dry_run_stand_in(void **state)
{
	struct run r;

	(void)state;
	/* alias-sendmail --dry-run shows the message as a real run would
	 * send it, a stand-in for the address it would create */
	setup_run(&r, FROM_OWNER "To: x@new.test\n", "x@new.test", OWNER);
	r.req.auto_create = true;
	r.req.may_create = false;
	r.req.stand_in = "new-address@example.com";
	make(&r);
	assert_int_equal(r.st, PLAN_OK);
	assert_int_equal(r.fake.created, 0);
	assert_true(r.plan.want_new);
	assert_false(r.plan.created);
	assert_string_equal(r.plan.address, "new-address@example.com");
	assert_non_null(
	    strstr(value_after(&r, "From"), "new-address@example.com"));
	done(&r);

	/* a found address needs no stand-in */
	setup_run(&r, FROM_OWNER, "joe@example.org", OWNER);
	r.req.auto_create = true;
	r.req.may_create = false;
	r.req.stand_in = "new-address@example.com";
	make(&r);
	assert_string_equal(r.plan.address, JOE_ADDR);
	assert_false(r.plan.want_new);
	done(&r);
}

static void
test_no_from(void **state)
{
	struct run r;

	(void)state;
	/* somebody else's message without a From: not the owner's, and
	 * nothing is created for it */
	setup_run(&r, "To: x@new.test\n", "x@new.test", "bob@localhost");
	r.req.auto_create = true;
	make(&r);
	assert_int_equal(r.st, PLAN_NOT_OWNER);
	assert_int_equal(r.fake.created, 0);
	done(&r);

	/* the owner's, with nothing chosen: the MTA would write the
	 * owner's From, so the guard holds it */
	setup_run(&r, "To: x@new.test\n", "x@new.test", "<" OWNER ">");
	make(&r);
	assert_int_equal(r.st, PLAN_LEAK);
	assert_string_equal(r.plan.leak_field, "From");
	done(&r);

	/* the owner's client without -f, to Joe: From is added */
	setup_run(&r, "To: joe@example.org\n", "joe@example.org", NULL);
	make(&r);
	assert_int_equal(r.st, PLAN_OK);
	assert_non_null(strstr(value_after(&r, "From"), JOE_ADDR));
	done(&r);
}

static void
test_no_address_for_ours(void **state)
{
	struct run r;

	(void)state;
	/* a note to self, or mail to one of our own addresses, makes no
	 * address whose correspondent is the owner or an alias */
	setup_run(&r, FROM_OWNER "To: " OWNER "\n",
	    "\"Real.Owner\"@"
	    "owner-home.test",
	    OWNER);
	r.req.auto_create = true;
	make(&r);
	assert_int_equal(r.fake.created, 0);
	assert_false(r.plan.want_new);
	done(&r);

	setup_run(&r, FROM_OWNER, "mail-0001-q3xk7m@Example.COM", OWNER);
	r.req.auto_create = true;
	make(&r);
	assert_int_equal(r.fake.created, 0);
	done(&r);
}

static void
test_no_auto_create(void **state)
{
	struct run r;

	(void)state;
	setup_run(&r, FROM_OWNER "To: x@new.test\n", "x@new.test", OWNER);
	make(&r);
	assert_int_equal(r.fake.created, 0);
	assert_false(r.plan.want_new);
	done(&r);
}

static void
test_default_address(void **state)
{
	struct run r;

	(void)state;
	setup_run(&r, FROM_OWNER "To: x@new.test\n", "x@new.test", OWNER);
	r.fake.default_address = "mail-0002-d3f4lt@example.com";
	r.req.auto_create = true;
	make(&r);
	assert_int_equal(r.st, PLAN_OK);
	assert_int_equal(r.fake.created, 0);
	assert_string_equal(r.plan.address, "mail-0002-d3f4lt@example.com");
	done(&r);
}

static void
test_lookup_error(void **state)
{
	struct run r;

	(void)state;
	setup_run(&r, FROM_OWNER, "joe@example.org", OWNER);
	r.fake.fail = true;
	r.req.auto_create = true;
	make(&r);
	assert_int_equal(r.st, PLAN_ERROR);
	assert_int_equal(r.fake.created, 0);
	assert_true(r.err[0] != '\0');
	done(&r);
}

static void
test_guard_other_field(void **state)
{
	struct run r;

	(void)state;
	/* a field no rule rewrites still names the owner */
	setup_run(&r, FROM_OWNER "X-Original-Author: " OWNER "\n",
	    "joe@example.org", OWNER);
	make(&r);
	assert_int_equal(r.st, PLAN_LEAK);
	assert_string_equal(r.plan.leak_field, "X-Original-Author");
	done(&r);

	/* on_leak = send */
	setup_run(&r, FROM_OWNER "X-Original-Author: " OWNER "\n",
	    "joe@example.org", OWNER);
	r.req.guard = false;
	make(&r);
	assert_int_equal(r.st, PLAN_OK);
	done(&r);
}

static void
test_guard_skips_free_text(void **state)
{
	struct run r;

	(void)state;
	setup_run(&r,
	    "Received: from x by y for <" OWNER ">;\n"
	    " Mon, 7 Dec 2026 04:00:00 +0000\n" FROM_OWNER
	    "Subject: mail " OWNER " here\n",
	    "joe@example.org", OWNER);
	make(&r);
	assert_int_equal(r.st, PLAN_OK);
	done(&r);
}

static void
test_guard_envelope(void **state)
{
	struct run r;

	(void)state;
	/* the client already wrote an address of ours in From, but sends
	 * with the real envelope sender and nothing is chosen */
	setup_run(&r, "From: mail-0007-abcdef@example.com\n", "x@new.test",
	    "\"Real.Owner\"@Owner-Home.test");
	make(&r);
	assert_int_equal(r.st, PLAN_LEAK);
	assert_string_equal(r.plan.leak_field, PLAN_ENVELOPE);
	done(&r);
}

static void
test_no_message(void **state)
{
	struct run r;

	(void)state;
	/* aliasctl for: the owner's client asks before composing */
	setup_run(&r, NULL, "joe@example.org", NULL);
	make(&r);
	assert_int_equal(r.st, PLAN_OK);
	assert_string_equal(r.plan.address, JOE_ADDR);
	assert_int_equal(r.plan.changes.count, 0);
	done(&r);
}

static void
test_envelope_rule(void **state)
{
	(void)state;
	assert_string_equal(plan_envelope_sender("b@x.test", "c@x.test"),
	    "b@x.test");
	assert_string_equal(plan_envelope_sender(NULL, "c@x.test"),
	    "c@x.test");
	assert_string_equal(plan_envelope_sender("", "c@x.test"), "c@x.test");
	assert_null(plan_envelope_sender(NULL, ""));
	assert_null(plan_envelope_sender(NULL, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_to_correspondent),
		cmocka_unit_test(test_bounce_address),
		cmocka_unit_test(test_null_sender_stays),
		cmocka_unit_test(test_not_owner_untouched),
		cmocka_unit_test(test_auto_create_owner),
		cmocka_unit_test(test_dry_run_creates_nothing),
		cmocka_unit_test(test_dry_run_stand_in),
		cmocka_unit_test(test_no_from),
		cmocka_unit_test(test_no_address_for_ours),
		cmocka_unit_test(test_no_auto_create),
		cmocka_unit_test(test_default_address),
		cmocka_unit_test(test_lookup_error),
		cmocka_unit_test(test_guard_other_field),
		cmocka_unit_test(test_guard_skips_free_text),
		cmocka_unit_test(test_guard_envelope),
		cmocka_unit_test(test_no_message),
		cmocka_unit_test(test_envelope_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
