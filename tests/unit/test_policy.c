#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_policy.c: which address a message gets, against a small
 * in-memory table standing in for the store.
 */
#include <stdio.h>
#include <string.h>

#include "rewriter/policy.h"

struct row {
	const char *correspondent; /* as stored: lowercase */
	const char *address;
};

struct fake {
	const struct row *rows;
	const char *default_address; /* NULL: none */
	const char *fail_key; /* this lookup fails; "*" all */
	bool fail_default;
	int lookups;
	char keys[512]; /* every key asked, in order */
};

static enum lookup_result
fake_by_correspondent(void *arg, const char *key, char *out, size_t outlen)
{
	struct fake *f = arg;
	size_t used = strlen(f->keys);

	f->lookups++;
	snprintf(f->keys + used, sizeof(f->keys) - used, "%s%s",
	    used > 0 ? " " : "", key);
	if (f->fail_key != NULL &&
	    (strcmp(f->fail_key, "*") == 0 || strcmp(f->fail_key, key) == 0))
		return LOOKUP_ERROR;
	for (const struct row *r = f->rows; r->correspondent != NULL; r++)
		if (strcmp(r->correspondent, key) == 0) {
			snprintf(out, outlen, "%s", r->address);
			return LOOKUP_FOUND;
		}
	return LOOKUP_NONE;
}

static enum lookup_result
fake_by_default(void *arg, char *out, size_t outlen)
{
	struct fake *f = arg;

	if (f->fail_default)
		return LOOKUP_ERROR;
	if (f->default_address == NULL)
		return LOOKUP_NONE;
	snprintf(out, outlen, "%s", f->default_address);
	return LOOKUP_FOUND;
}

static const struct row table[] = {
	{ "joe@example.org", "mail-0001-q3@example.com" },
	{ "ann@example.org", "mail-0002-a4@example.com" },
	{ "@example.org", "mail-0003-c8@example.com" },
	{ "@shop.example", "mail-0004-k7@example.com" },
	{ "bob@shop.example", "mail-0004-k7@example.com" },
	{ "j\xc3\xb6rg@example.de", "mail-0005-zz@example.com" },
	{ NULL, NULL },
};

#define DEFAULT_ADDR "me@example.com"

struct run {
	struct fake fake;
	struct policy_source src;
	struct policy_result res;
	char err[128];
	int rc;
};

/* Choose for a NULL-terminated list of recipients. */
static void
choose(struct run *r, const char *default_address, const char *const *rcpts)
{
	size_t n = 0;

	while (rcpts[n] != NULL)
		n++;
	memset(&r->fake, 0, sizeof(r->fake));
	r->fake.rows = table;
	r->fake.default_address = default_address;
	r->src = (struct policy_source){
		.by_correspondent = fake_by_correspondent,
		.by_default = fake_by_default,
		.arg = &r->fake,
	};
	r->err[0] = '\0';
	r->rc = policy_choose(&r->src, rcpts, n, &r->res, r->err,
	    sizeof(r->err));
}

static void
expect(const struct run *r, enum policy_how how, const char *address)
{
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->res.how, how);
	assert_string_equal(r->res.address, address);
	assert_false(r->res.want_new);
}

#define RCPTS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void
test_exact(void **state)
{
	struct run r;

	(void)state;
	choose(&r, DEFAULT_ADDR, RCPTS("joe@example.org"));
	expect(&r, POLICY_CORRESPONDENT, "mail-0001-q3@example.com");
	/* The exact lookup first, and nothing else needed. */
	assert_string_equal(r.fake.keys, "joe@example.org");
}

static void
test_domain(void **state)
{
	struct run r;

	(void)state;
	choose(&r, DEFAULT_ADDR, RCPTS("someone@example.org"));
	expect(&r, POLICY_DOMAIN, "mail-0003-c8@example.com");
	assert_string_equal(r.fake.keys, "someone@example.org @example.org");
}

static void
test_exact_beats_domain(void **state)
{
	struct run r;

	(void)state;
	/* ann has her own address although example.org has one too. */
	choose(&r, DEFAULT_ADDR, RCPTS("ann@example.org"));
	expect(&r, POLICY_CORRESPONDENT, "mail-0002-a4@example.com");
}

static void
test_all_same(void **state)
{
	struct run r;

	(void)state;
	choose(&r, DEFAULT_ADDR,
	    RCPTS("joe@example.org", "JOE@example.org", "<joe@EXAMPLE.org>"));
	expect(&r, POLICY_CORRESPONDENT, "mail-0001-q3@example.com");
	/* Two people of one domain without their own addresses. */
	choose(&r, DEFAULT_ADDR, RCPTS("x@example.org", "y@example.org"));
	expect(&r, POLICY_DOMAIN, "mail-0003-c8@example.com");
	/* Same address by different routes: bob's own and his domain's. */
	choose(&r, DEFAULT_ADDR,
	    RCPTS("bob@shop.example", "sales@shop.example"));
	expect(&r, POLICY_CORRESPONDENT, "mail-0004-k7@example.com");
}

static void
test_different(void **state)
{
	struct run r;

	(void)state;
	choose(&r, DEFAULT_ADDR, RCPTS("joe@example.org", "ann@example.org"));
	expect(&r, POLICY_DEFAULT, DEFAULT_ADDR);
	/* Exact vs. domain of the same domain differ too. */
	choose(&r, DEFAULT_ADDR, RCPTS("joe@example.org", "x@example.org"));
	expect(&r, POLICY_DEFAULT, DEFAULT_ADDR);
	/* One known, one unknown: the default. */
	choose(&r, DEFAULT_ADDR,
	    RCPTS("joe@example.org", "stranger@elsewhere.net"));
	expect(&r, POLICY_DEFAULT, DEFAULT_ADDR);
	choose(&r, DEFAULT_ADDR,
	    RCPTS("stranger@elsewhere.net", "joe@example.org"));
	expect(&r, POLICY_DEFAULT, DEFAULT_ADDR);
}

static void
test_unknown(void **state)
{
	struct run r;

	(void)state;
	choose(&r, DEFAULT_ADDR, RCPTS("stranger@elsewhere.net"));
	expect(&r, POLICY_DEFAULT, DEFAULT_ADDR);
	/* No recipients at all: the default too. */
	choose(&r, DEFAULT_ADDR, RCPTS(NULL) + 1);
	expect(&r, POLICY_DEFAULT, DEFAULT_ADDR);
}

static void
test_no_default(void **state)
{
	struct run r;

	(void)state;
	/* One unknown recipient: nothing, but it may get a new address. */
	choose(&r, NULL, RCPTS("<Stranger@Elsewhere.NET>"));
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.res.how, POLICY_NONE);
	assert_string_equal(r.res.address, "");
	assert_true(r.res.want_new);
	assert_string_equal(r.res.new_correspondent, "stranger@elsewhere.net");
	/* Two: nothing, and no new address (whose would it be?). */
	choose(&r, NULL, RCPTS("a@elsewhere.net", "b@elsewhere.net"));
	expect(&r, POLICY_NONE, "");
	assert_string_equal(r.res.new_correspondent, "");
	choose(&r, NULL, RCPTS("joe@example.org", "ann@example.org"));
	expect(&r, POLICY_NONE, "");
	/* One malformed recipient: nothing to create. */
	choose(&r, NULL, RCPTS("not an address"));
	expect(&r, POLICY_NONE, "");
	choose(&r, NULL, RCPTS(NULL) + 1);
	expect(&r, POLICY_NONE, "");
	/* A known one needs no default. */
	choose(&r, NULL, RCPTS("joe@example.org"));
	expect(&r, POLICY_CORRESPONDENT, "mail-0001-q3@example.com");
}

static void
test_case_and_brackets(void **state)
{
	struct run r;

	(void)state;
	choose(&r, DEFAULT_ADDR, RCPTS("Joe@Example.ORG"));
	expect(&r, POLICY_CORRESPONDENT, "mail-0001-q3@example.com");
	choose(&r, DEFAULT_ADDR, RCPTS("<joe@example.org>"));
	expect(&r, POLICY_CORRESPONDENT, "mail-0001-q3@example.com");
	choose(&r, DEFAULT_ADDR, RCPTS(" <JOE@example.org> "));
	expect(&r, POLICY_CORRESPONDENT, "mail-0001-q3@example.com");
	choose(&r, DEFAULT_ADDR, RCPTS("Who@SHOP.Example"));
	expect(&r, POLICY_DOMAIN, "mail-0004-k7@example.com");
	/* 8-bit bytes are kept; only ASCII is folded. */
	choose(&r, DEFAULT_ADDR, RCPTS("J\xc3\xb6rg@Example.DE"));
	expect(&r, POLICY_CORRESPONDENT, "mail-0005-zz@example.com");
}

static void
test_malformed(void **state)
{
	struct run r;

	(void)state;
	static const char *const bad[] = { "joe@", "@example.org", "@", "",
		"joe", "a b@example.org", "joe@@example.org",
		"joe@example..org" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		choose(&r, DEFAULT_ADDR, RCPTS(bad[i]));
		expect(&r, POLICY_DEFAULT, DEFAULT_ADDR);
		/* Never looked up: "@example.org" must not match the
		 * domain's address by the back door. */
		assert_int_equal(r.fake.lookups, 0);
	}
	choose(&r, DEFAULT_ADDR, RCPTS("joe@example.org", "joe@"));
	expect(&r, POLICY_DEFAULT, DEFAULT_ADDR);
}

static void
test_lookup_error(void **state)
{
	struct run r;
	const char *const one[] = { "joe@example.org", NULL };
	const char *const dom[] = { "x@example.org", NULL };

	(void)state;
	choose(&r, DEFAULT_ADDR, one);
	r.fake.fail_key = "*";
	r.rc = policy_choose(&r.src, one, 1, &r.res, r.err, sizeof(r.err));
	assert_int_equal(r.rc, -1);
	assert_string_not_equal(r.err, "");
	/* The domain lookup failing is as bad. */
	memset(&r.fake.keys, 0, sizeof(r.fake.keys));
	r.fake.fail_key = "@example.org";
	r.rc = policy_choose(&r.src, dom, 1, &r.res, r.err, sizeof(r.err));
	assert_int_equal(r.rc, -1);
	/* And the default's. */
	r.fake.fail_key = NULL;
	r.fake.fail_default = true;
	r.rc = policy_choose(&r.src,
	    (const char *const[]){ "q@nowhere.net", NULL }, 1, &r.res, r.err,
	    sizeof(r.err));
	assert_int_equal(r.rc, -1);
	assert_non_null(strstr(r.err, "default"));
	/* A found address does not need the default. */
	r.rc = policy_choose(&r.src, one, 1, &r.res, r.err, sizeof(r.err));
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.res.address, "mail-0001-q3@example.com");
}

static void
test_how_name(void **state)
{
	(void)state;
	assert_string_equal(policy_how_name(POLICY_NONE), "none");
	assert_string_equal(policy_how_name(POLICY_CORRESPONDENT),
	    "correspondent");
	assert_string_equal(policy_how_name(POLICY_DOMAIN), "domain");
	assert_string_equal(policy_how_name(POLICY_DEFAULT), "default");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_exact_beats_domain),
		cmocka_unit_test(test_all_same),
		cmocka_unit_test(test_different),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_no_default),
		cmocka_unit_test(test_case_and_brackets),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_lookup_error),
		cmocka_unit_test(test_how_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
