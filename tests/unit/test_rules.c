#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_rules.c: the gate's part of the store (SPEC "The gate"): rules,
 * expiry by each rule and at its boundary, the allow list and its bound,
 * learning, leak sightings, replace, and the migration of a store made
 * before any of it (tests/unit/fixtures/store-v1.sql).  Each test has a
 * temporary directory of its own; times are passed explicitly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/template.h"
#include "db/store_int.h"

#define NOW ((time_t)1700000000)
#define DOMAIN "example.com"
#define DAY 86400

struct fixture {
	char dir[4096];
	char path[4200];
	struct store *s;
	struct template *t;
	char err[512];
};

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/aliasd-rules-XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/aliases.db", f->dir);
	if ((f->t = template_parse(TEMPLATE_DEFAULT, err, sizeof(err))) ==
	    NULL) {
		rmdir(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	static const char *const suffixes[] = { "", "-wal", "-shm",
		"-journal" };
	char p[4300];

	store_close(f->s);
	template_free(f->t);
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static enum store_status
open_store(struct fixture *f, bool create, bool readonly, struct store **out)
{
	struct store_options o = {
		.create = create,
		.readonly = readonly,
		.busy_ms = 1000,
		.uid = (uid_t)-1,
		.gid = (gid_t)-1,
	};

	return store_open(f->path, &o, out, f->err, sizeof(f->err));
}

static struct store *
created(struct fixture *f)
{
	if (open_store(f, true, false, &f->s) != STORE_OK)
		fail_msg("cannot create the store: %s", f->err);
	return f->s;
}

static void
create_ok(struct fixture *f, const char *local, const char *corr,
    time_t expires, time_t now, struct store_address *a)
{
	enum store_status st = store_create(f->s, f->t, local, DOMAIN, corr,
	    expires, NULL, now, a);

	if (st != STORE_OK)
		fail_msg("store_create: %d: %s", st, store_error(f->s));
}

static void
rules_ok(struct fixture *f, int64_t id, enum lock_mode lock,
    enum refuse_action on_refuse, int64_t max_mails, int64_t idle)
{
	struct store_rules r = { lock, on_refuse, max_mails, idle };
	enum store_status st = store_set_rules(f->s, id, &r);

	if (st != STORE_OK)
		fail_msg("store_set_rules: %d: %s", st, store_error(f->s));
}

static struct store_address
by_id(struct fixture *f, int64_t id, time_t now)
{
	struct store_address a;
	struct sql_stmt *st;

	assert_int_equal(store_stmt(f->s, ST_FIND_ID, &st), STORE_OK);
	sql_bind_int64(st, 1, id);
	assert_int_equal(store_step_address(f->s, st, now, &a), STORE_OK);
	return a;
}

static void
count_ok(struct fixture *f, int64_t id, time_t when, const char *regdom,
    bool unexpected, bool learn)
{
	struct store_count c;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.when = when;
	if (regdom != NULL) {
		snprintf(c.sender_domain, sizeof(c.sender_domain), "%s",
		    regdom);
		snprintf(c.sender_regdom, sizeof(c.sender_regdom), "%s",
		    regdom);
	}
	c.unexpected = unexpected;
	c.learn = learn;
	if (store_add_counts(f->s, &c, 1) != STORE_OK)
		fail_msg("store_add_counts: %s", store_error(f->s));
}

static int
raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Whether the list of a filter holds an address, at a time. */
static bool
listed(struct store *s, enum store_filter filter, time_t now, int64_t id)
{
	struct store_iter *it;
	struct store_address a;
	bool found = false;
	int n = 0;

	assert_int_equal(store_list(s, filter, now, &it), STORE_OK);
	while (n++ < 100000 && store_next(it, &a) == STORE_OK)
		if (a.id == id) {
			found = true;
			/* The list shows the state the row says. */
			if (filter == FILTER_ACTIVE)
				assert_int_equal(a.state, STATE_ACTIVE);
			if (filter == FILTER_RETIRED)
				assert_int_not_equal(a.state, STATE_ACTIVE);
		}
	store_iter_free(it);
	return found;
}

/* The C rule (store_row), the correspondent lookup and the lists agree
 * on one address at one time. */
static void
assert_expiry(struct fixture *f, const struct store_address *made, time_t now,
    enum expiry want)
{
	struct store_address a = by_id(f, made->id, now), c;
	enum store_status st;

	if (a.expired_by != want)
		fail_msg("%s at now+%lld: expired by \"%s\", wanted \"%s\"",
		    a.address, (long long)(now - NOW),
		    store_expiry_name(a.expired_by), store_expiry_name(want));
	assert_int_equal(a.state,
	    want == EXPIRY_NONE ? STATE_ACTIVE : STATE_EXPIRED);
	st = store_find_correspondent(f->s, made->correspondent, now, &c);
	if (want == EXPIRY_NONE) {
		assert_int_equal(st, STORE_OK);
		assert_int_equal(c.id, made->id);
	} else
		assert_int_equal(st, STORE_NOTFOUND);
	assert_true(listed(f->s, FILTER_ACTIVE, now, made->id) ==
	    (want == EXPIRY_NONE));
	assert_true(listed(f->s, FILTER_RETIRED, now, made->id) ==
	    (want != EXPIRY_NONE));
	assert_true(listed(f->s, FILTER_ALL, now, made->id));
}

/*
 * Rules
 */

static void
test_names(void **state)
{
	enum lock_mode m;
	enum refuse_action r;

	(void)state;
	for (int i = LOCK_NONE; i <= LOCK_SENDER; i++) {
		assert_int_equal(
		    store_lock_parse(store_lock_name((enum lock_mode)i), &m),
		    0);
		assert_int_equal(m, i);
	}
	for (int i = REFUSE_REJECT; i <= REFUSE_TEMPFAIL; i++) {
		assert_int_equal(store_refuse_parse(store_refuse_name(
							(enum refuse_action)i),
				     &r),
		    0);
		assert_int_equal(r, i);
	}
	assert_string_equal(store_lock_name(LOCK_DOMAIN), "domain");
	assert_string_equal(store_refuse_name(REFUSE_HOLD), "hold");
	assert_int_equal(store_lock_parse("Domain", &m), -1);
	assert_int_equal(store_lock_parse("", &m), -1);
	assert_int_equal(store_refuse_parse("bounce", &r), -1);
	assert_string_equal(store_expiry_name(EXPIRY_NONE), "");
	assert_string_equal(store_expiry_name(EXPIRY_DATE), "expires");
	assert_string_equal(store_expiry_name(EXPIRY_MAX_MAILS), "max-mails");
	assert_string_equal(store_expiry_name(EXPIRY_IDLE), "idle");
	assert_string_equal(store_lock_name((enum lock_mode)7), "unknown");
}

static void
test_rules_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_rules bad;
	struct store_address a, b;

	created(f);
	create_ok(f, NULL, "joe@example.org", 0, NOW, &a);
	/* A new address has the defaults. */
	b = by_id(f, a.id, NOW);
	assert_int_equal(b.rules.lock, LOCK_NONE);
	assert_int_equal(b.rules.on_refuse, REFUSE_REJECT);
	assert_int_equal(b.rules.max_mails, 0);
	assert_int_equal(b.rules.idle, 0);
	assert_false(b.learned);
	assert_int_equal(a.expired_by, EXPIRY_NONE);

	rules_ok(f, a.id, LOCK_SENDER, REFUSE_HOLD, 3, 30 * DAY);
	b = by_id(f, a.id, NOW);
	assert_int_equal(b.rules.lock, LOCK_SENDER);
	assert_int_equal(b.rules.on_refuse, REFUSE_HOLD);
	assert_int_equal(b.rules.max_mails, 3);
	assert_int_equal(b.rules.idle, 30 * DAY);
	/* Back to none: a limit of 0 is stored as no limit. */
	rules_ok(f, a.id, LOCK_NONE, REFUSE_TEMPFAIL, 0, 0);
	b = by_id(f, a.id, NOW);
	assert_int_equal(b.rules.on_refuse, REFUSE_TEMPFAIL);
	assert_int_equal(b.rules.max_mails, 0);
	assert_int_equal(raw_int(sql_sqlite_handle(f->s->db),
			     "SELECT count(*) FROM address "
			     "WHERE max_mails IS NULL AND idle IS NULL"),
	    1);

	bad = (struct store_rules){ (enum lock_mode)3, REFUSE_REJECT, 0, 0 };
	assert_int_equal(store_set_rules(f->s, a.id, &bad), STORE_INVALID);
	bad = (struct store_rules){ LOCK_NONE, (enum refuse_action)4, 0, 0 };
	assert_int_equal(store_set_rules(f->s, a.id, &bad), STORE_INVALID);
	bad = (struct store_rules){ LOCK_NONE, REFUSE_REJECT, -1, 0 };
	assert_int_equal(store_set_rules(f->s, a.id, &bad), STORE_INVALID);
	bad = (struct store_rules){ LOCK_NONE, REFUSE_REJECT, 0, -5 };
	assert_int_equal(store_set_rules(f->s, a.id, &bad), STORE_INVALID);
	bad = (struct store_rules){ LOCK_DOMAIN, REFUSE_REJECT, 1, 1 };
	assert_int_equal(store_set_rules(f->s, a.id + 99, &bad),
	    STORE_NOTFOUND);

	/* Note and expiry date. */
	assert_int_equal(store_set_note(f->s, a.id, "the plumber"), STORE_OK);
	assert_string_equal(by_id(f, a.id, NOW).note, "the plumber");
	assert_int_equal(store_set_note(f->s, a.id, NULL), STORE_OK);
	assert_string_equal(by_id(f, a.id, NOW).note, "");
	{
		char longnote[NOTE_MAX + 1];

		memset(longnote, 'n', NOTE_MAX);
		longnote[NOTE_MAX] = '\0';
		assert_int_equal(store_set_note(f->s, a.id, longnote),
		    STORE_INVALID);
		longnote[NOTE_MAX - 1] = '\0';
		assert_int_equal(store_set_note(f->s, a.id, longnote),
		    STORE_OK);
		assert_int_equal(strlen(by_id(f, a.id, NOW).note),
		    NOTE_MAX - 1);
	}
	assert_int_equal(store_set_note(f->s, a.id + 99, "x"), STORE_NOTFOUND);
	assert_int_equal(store_set_expires(f->s, a.id, NOW + DAY), STORE_OK);
	assert_int_equal(by_id(f, a.id, NOW).expires, NOW + DAY);
	assert_int_equal(by_id(f, a.id, NOW + DAY).expired_by, EXPIRY_DATE);
	assert_int_equal(store_set_expires(f->s, a.id, 0), STORE_OK);
	assert_int_equal(by_id(f, a.id, NOW + DAY).state, STATE_ACTIVE);
	assert_int_equal(store_set_expires(f->s, a.id + 99, 0),
	    STORE_NOTFOUND);
}

/* Import carries rules (copy-store, export and back). */
static void
test_insert_rules(void **state)
{
	struct fixture *f = *state;
	struct store_address a, b;

	created(f);
	memset(&a, 0, sizeof(a));
	snprintf(a.local, sizeof(a.local), "shop");
	snprintf(a.domain, sizeof(a.domain), DOMAIN);
	a.seq = -1;
	a.created = NOW;
	a.rules = (struct store_rules){ LOCK_DOMAIN, REFUSE_DISCARD, 10, DAY };
	a.learned = true;
	assert_int_equal(store_insert(f->s, &a), STORE_OK);
	assert_int_equal(store_find(f->s, "shop", DOMAIN, NOW, &b), STORE_OK);
	assert_int_equal(b.rules.lock, LOCK_DOMAIN);
	assert_int_equal(b.rules.on_refuse, REFUSE_DISCARD);
	assert_int_equal(b.rules.max_mails, 10);
	assert_int_equal(b.rules.idle, DAY);
	assert_true(b.learned);
	snprintf(a.local, sizeof(a.local), "bad");
	a.rules.on_refuse = (enum refuse_action)9;
	assert_int_equal(store_insert(f->s, &a), STORE_INVALID);
}

/*
 * Expiry
 */

static void
test_expiry_max_mails(void **state)
{
	struct fixture *f = *state;
	struct store_address a;

	created(f);
	create_ok(f, NULL, "joe@example.org", 0, NOW, &a);
	rules_ok(f, a.id, LOCK_NONE, REFUSE_REJECT, 3, 0);
	assert_expiry(f, &a, NOW, EXPIRY_NONE);
	count_ok(f, a.id, NOW + 1, "example.org", false, false);
	count_ok(f, a.id, NOW + 2, "example.org", false, false);
	assert_expiry(f, &a, NOW + 3, EXPIRY_NONE);
	/* Messages not written yet count as well (aliasd's queue). */
	a = by_id(f, a.id, NOW + 3);
	assert_int_equal(store_expiry(&a, a.messages, NOW + 3), EXPIRY_NONE);
	assert_int_equal(store_expiry(&a, a.messages + 1, NOW + 3),
	    EXPIRY_MAX_MAILS);
	/* Exactly max_mails: expired. */
	count_ok(f, a.id, NOW + 3, "example.org", false, false);
	assert_expiry(f, &a, NOW + 4, EXPIRY_MAX_MAILS);
	/* A higher limit brings it back. */
	rules_ok(f, a.id, LOCK_NONE, REFUSE_REJECT, 4, 0);
	assert_expiry(f, &a, NOW + 4, EXPIRY_NONE);
}

static void
test_expiry_idle(void **state)
{
	struct fixture *f = *state;
	struct store_address a;

	created(f);
	create_ok(f, NULL, "ann@example.net", 0, NOW, &a);
	rules_ok(f, a.id, LOCK_NONE, REFUSE_REJECT, 0, 100);
	/* From its creation until the first mail. */
	assert_expiry(f, &a, NOW + 99, EXPIRY_NONE);
	assert_expiry(f, &a, NOW + 100, EXPIRY_IDLE);
	/* Then from the last mail. */
	count_ok(f, a.id, NOW + 50, NULL, false, false);
	assert_expiry(f, &a, NOW + 149, EXPIRY_NONE);
	assert_expiry(f, &a, NOW + 150, EXPIRY_IDLE);
	/* A clock set back idles nothing out. */
	assert_expiry(f, &a, NOW - 1000, EXPIRY_NONE);
}

static void
test_expiry_order(void **state)
{
	struct fixture *f = *state;
	struct store_address a, r;

	created(f);
	create_ok(f, NULL, "bob@example.org", NOW + 10, NOW, &a);
	rules_ok(f, a.id, LOCK_NONE, REFUSE_REJECT, 1, 5);
	count_ok(f, a.id, NOW + 1, NULL, false, false);
	/* Every rule has struck by now + 10: the date is named. */
	assert_expiry(f, &a, NOW + 10, EXPIRY_DATE);
	assert_expiry(f, &a, NOW + 6, EXPIRY_MAX_MAILS);
	/* The date exactly: expired. */
	rules_ok(f, a.id, LOCK_NONE, REFUSE_REJECT, 0, 0);
	assert_expiry(f, &a, NOW + 9, EXPIRY_NONE);
	assert_expiry(f, &a, NOW + 10, EXPIRY_DATE);
	/* Retired is retired, whatever the rules say. */
	assert_int_equal(store_retire(f->s, a.id, NULL, NOW + 20), STORE_OK);
	r = by_id(f, a.id, NOW + 30);
	assert_int_equal(r.state, STATE_RETIRED);
	assert_int_equal(r.expired_by, EXPIRY_NONE);
	assert_int_equal(store_expiry(&r, 100, NOW + 30), EXPIRY_NONE);
	assert_true(listed(f->s, FILTER_RETIRED, NOW + 30, a.id));
}

/* An address expired by a rule no longer answers for its correspondent;
 * an older live one of the same correspondent does. */
static void
test_correspondent_skips_expired(void **state)
{
	struct fixture *f = *state;
	struct store_address old, young, c;

	created(f);
	create_ok(f, NULL, "joe@example.org", 0, NOW, &old);
	create_ok(f, NULL, "joe@example.org", 0, NOW + 1, &young);
	assert_int_equal(store_find_correspondent(f->s, "joe@example.org",
			     NOW + 2, &c),
	    STORE_OK);
	assert_int_equal(c.id, young.id);
	rules_ok(f, young.id, LOCK_NONE, REFUSE_REJECT, 1, 0);
	count_ok(f, young.id, NOW + 2, NULL, false, false);
	assert_int_equal(store_find_correspondent(f->s, "joe@example.org",
			     NOW + 3, &c),
	    STORE_OK);
	assert_int_equal(c.id, old.id);
	rules_ok(f, old.id, LOCK_NONE, REFUSE_REJECT, 0, 10);
	assert_int_equal(store_find_correspondent(f->s, "joe@example.org",
			     NOW + 10, &c),
	    STORE_NOTFOUND);
}

/*
 * The allow list
 */

struct items {
	int n;
	char keys[ALLOW_MAX + 5][ALLOW_ITEM_MAX];
	char items[ALLOW_MAX + 5][ALLOW_ITEM_MAX];
};

static void
item_cb(void *arg, const char *item, const char *key)
{
	struct items *it = arg;

	if (it->n < ALLOW_MAX + 5) {
		snprintf(it->items[it->n], ALLOW_ITEM_MAX, "%s", item);
		snprintf(it->keys[it->n], ALLOW_ITEM_MAX, "%s", key);
	}
	it->n++;
}

static int
allow_items(struct fixture *f, int64_t id, struct items *it)
{
	memset(it, 0, sizeof(*it));
	assert_int_equal(store_allow_list(f->s, id, item_cb, it), STORE_OK);
	return it->n;
}

/* Whether k1 or k2 is on id's list; the gate's lookup, which asks the
 * same in the address's own query, must say the same. */
static bool
matches(struct fixture *f, int64_t id, const char *k1, const char *k2)
{
	struct store_address a;
	sqlite3_stmt *st;
	char local[LOCAL_MAX + 1] = "", domain[DOMAIN_MAX + 1] = "";
	bool found = true, in_gate = true;

	assert_int_equal(store_allow_match(f->s, id, k1, k2, &found),
	    STORE_OK);
	assert_int_equal(sqlite3_prepare_v2(sql_sqlite_handle(f->s->db),
			     "SELECT local, domain FROM address WHERE id = ?",
			     -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(local, sizeof(local), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		snprintf(domain, sizeof(domain), "%s",
		    (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (local[0] != '\0') {
		assert_int_equal(store_find_gate(f->s, local, domain, NOW, k1,
				     k2, &a, &in_gate),
		    STORE_OK);
		assert_int_equal(a.id, id);
		assert_int_equal(in_gate, found);
	}
	return found;
}

static void
test_allow(void **state)
{
	struct fixture *f = *state;
	struct store_address a, b;
	struct items *it = calloc(1, sizeof(*it));
	char item[64];

	assert_non_null(it);
	created(f);
	create_ok(f, NULL, "shop.co.uk", 0, NOW, &a);
	create_ok(f, NULL, NULL, 0, NOW, &b);
	assert_int_equal(store_allow_add(f->s, a.id, "News.Mailer.example",
			     "mailer.example"),
	    STORE_OK);
	assert_int_equal(store_allow_add(f->s, a.id, "ann@list.example",
			     "ann@list.example"),
	    STORE_OK);
	assert_int_equal(store_allow_add(f->s, a.id, NULL_SENDER_ITEM,
			     NULL_SENDER_ITEM),
	    STORE_OK);
	assert_int_equal(store_allow_add(f->s, a.id, "mailer.example",
			     "mailer.example"),
	    STORE_EXISTS);
	/* Kept as given, in key order. */
	assert_int_equal(allow_items(f, a.id, it), 3);
	assert_string_equal(it->keys[0], NULL_SENDER_ITEM);
	assert_string_equal(it->keys[1], "ann@list.example");
	assert_string_equal(it->items[2], "News.Mailer.example");
	assert_string_equal(it->keys[2], "mailer.example");

	/* Matching: NULL keys are skipped, either key may hit. */
	assert_false(matches(f, a.id, NULL, NULL));
	assert_true(matches(f, a.id, "mailer.example", NULL));
	assert_true(matches(f, a.id, NULL, "mailer.example"));
	assert_true(matches(f, a.id, "bob@mailer.example", "mailer.example"));
	assert_true(matches(f, a.id, "ann@list.example", "list.example"));
	assert_false(matches(f, a.id, "bob@list.example", "list.example"));
	assert_true(matches(f, a.id, NULL_SENDER_ITEM, NULL));
	assert_false(matches(f, b.id, "mailer.example", NULL));
	assert_false(matches(f, a.id + 99, "mailer.example", NULL));

	/* Bad text, a missing address. */
	assert_int_equal(store_allow_add(f->s, a.id, "", "x"), STORE_INVALID);
	assert_int_equal(store_allow_add(f->s, a.id, "x", NULL),
	    STORE_INVALID);
	assert_int_equal(store_allow_add(f->s, a.id, "e\x1b.example",
			     "e\x1b.example"),
	    STORE_INVALID);
	assert_int_equal(store_allow_add(f->s, a.id + 99, "x.example",
			     "x.example"),
	    STORE_NOTFOUND);

	/* Remove. */
	assert_int_equal(store_allow_remove(f->s, a.id, "mailer.example"),
	    STORE_OK);
	assert_int_equal(store_allow_remove(f->s, a.id, "mailer.example"),
	    STORE_NOTFOUND);
	assert_int_equal(store_allow_remove(f->s, b.id, "ann@list.example"),
	    STORE_NOTFOUND);
	assert_false(matches(f, a.id, "mailer.example", NULL));
	assert_int_equal(allow_items(f, a.id, it), 2);

	/* The bound. */
	for (int i = 2; i < ALLOW_MAX; i++) {
		snprintf(item, sizeof(item), "d%03d.example", i);
		assert_int_equal(store_allow_add(f->s, a.id, item, item),
		    STORE_OK);
	}
	assert_int_equal(allow_items(f, a.id, it), ALLOW_MAX);
	assert_int_equal(store_allow_add(f->s, a.id, "one.more.example",
			     "more.example"),
	    STORE_INVALID);
	assert_non_null(strstr(store_error(f->s), "full"));
	assert_int_equal(store_allow_add(f->s, a.id, "d050.example",
			     "d050.example"),
	    STORE_EXISTS);
	assert_int_equal(allow_items(f, a.id, it), ALLOW_MAX);

	/* Copy: all to an empty list, never past the bound to a full one. */
	assert_int_equal(store_allow_copy(f->s, a.id, b.id), STORE_OK);
	assert_int_equal(allow_items(f, b.id, it), ALLOW_MAX);
	assert_int_equal(store_allow_remove(f->s, b.id, "d050.example"),
	    STORE_OK);
	assert_int_equal(store_allow_remove(f->s, b.id, "d051.example"),
	    STORE_OK);
	assert_int_equal(store_allow_add(f->s, b.id, "z.example", "z.example"),
	    STORE_OK);
	assert_int_equal(store_allow_copy(f->s, a.id, b.id), STORE_OK);
	assert_int_equal(allow_items(f, b.id, it), ALLOW_MAX);
	assert_int_equal(store_allow_copy(f->s, a.id, a.id + 99),
	    STORE_NOTFOUND);
	assert_int_equal(raw_int(sql_sqlite_handle(f->s->db),
			     "SELECT count(*) FROM allow"),
	    2 * ALLOW_MAX);
	free(it);
}

/*
 * Learning and leak sightings
 */

struct sightings {
	int n;
	struct store_sighting s[8];
};

static void
sighting_cb(void *arg, const struct store_sighting *sg)
{
	struct sightings *ss = arg;

	if (ss->n < 8)
		ss->s[ss->n] = *sg;
	ss->n++;
}

static int
sightings(struct fixture *f, time_t since, time_t now, struct sightings *ss)
{
	memset(ss, 0, sizeof(*ss));
	assert_int_equal(store_sightings(f->s, since, now, sighting_cb, ss),
	    STORE_OK);
	return ss->n;
}

static void
test_learn_once(void **state)
{
	struct fixture *f = *state;
	struct store_address a, b;
	struct sightings *ss = calloc(1, sizeof(*ss));
	struct items *it = calloc(1, sizeof(*it));
	struct store_count c[2];

	assert_non_null(ss);
	assert_non_null(it);
	created(f);
	create_ok(f, "ebay", NULL, 0, NOW, &a);
	create_ok(f, "shop", NULL, 0, NOW, &b);
	/* A count without a registered domain learns nothing. */
	count_ok(f, a.id, NOW + 1, NULL, false, true);
	assert_false(by_id(f, a.id, NOW).learned);
	count_ok(f, a.id, NOW + 2, "ebay.com", false, true);
	assert_true(by_id(f, a.id, NOW).learned);
	assert_int_equal(allow_items(f, a.id, it), 1);
	assert_string_equal(it->items[0], "ebay.com");
	assert_string_equal(it->keys[0], "ebay.com");
	assert_true(matches(f, a.id, NULL, "ebay.com"));
	/* Once only: a later learner from elsewhere is a sighting, one from
	 * the learned organisation nothing. */
	count_ok(f, a.id, NOW + 3, "ebay-deals.example", false, true);
	count_ok(f, a.id, NOW + 4, "ebay.com", false, true);
	assert_int_equal(allow_items(f, a.id, it), 1);
	assert_int_equal(sightings(f, 0, NOW, ss), 1);
	assert_string_equal(ss->s[0].domain, "ebay-deals.example");
	assert_int_equal(by_id(f, a.id, NOW).messages, 4);

	/* Two learners in one batch: the first wins. */
	memset(c, 0, sizeof(c));
	for (int i = 0; i < 2; i++) {
		c[i].id = b.id;
		c[i].when = NOW + 10 + i;
		c[i].learn = true;
		snprintf(c[i].sender_regdom, sizeof(c[i].sender_regdom),
		    i == 0 ? "shop.example" : "other.example");
	}
	assert_int_equal(store_add_counts(f->s, c, 2), STORE_OK);
	assert_int_equal(allow_items(f, b.id, it), 1);
	assert_string_equal(it->keys[0], "shop.example");
	assert_int_equal(sightings(f, 0, NOW, ss), 2);
	assert_string_equal(ss->s[0].domain, "other.example");
	assert_string_equal(ss->s[0].address.address, "shop@" DOMAIN);
	free(ss);
	free(it);
}

static void
test_sightings(void **state)
{
	struct fixture *f = *state;
	struct store_address a, b;
	struct sightings *ss = calloc(1, sizeof(*ss));

	assert_non_null(ss);
	created(f);
	create_ok(f, NULL, "joe@example.org", 0, NOW, &a);
	create_ok(f, NULL, "@shop.example", 0, NOW, &b);
	rules_ok(f, b.id, LOCK_DOMAIN, REFUSE_REJECT, 0, 0);
	/* Expected mail and unexpected mail without a registered domain
	 * are no sightings. */
	count_ok(f, a.id, NOW + 1, "example.org", false, false);
	count_ok(f, a.id, NOW + 2, NULL, true, false);
	assert_int_equal(sightings(f, 0, NOW, ss), 0);

	count_ok(f, a.id, NOW + 30, "spam.example", true, false);
	count_ok(f, a.id, NOW + 10, "spam.example", true, false);
	count_ok(f, a.id, NOW + 20, "spam.example", true, false);
	count_ok(f, b.id, NOW + 40, "zz.example", true, false);
	count_ok(f, b.id, NOW + 40, "aa.example", true, false);
	count_ok(f, a.id, NOW + 40, "bb.example", true, false);
	/* Unclean text is not recorded; the message is still counted. */
	count_ok(f, a.id, NOW + 50, "x\x1b[2J.example", true, false);
	assert_int_equal(by_id(f, a.id, NOW).messages, 7);

	/* Newest first, then address, then domain. */
	assert_int_equal(sightings(f, 0, NOW + 60, ss), 4);
	assert_true(strcmp(a.address, b.address) < 0);
	assert_string_equal(ss->s[0].address.address, a.address);
	assert_string_equal(ss->s[0].domain, "bb.example");
	assert_string_equal(ss->s[1].address.address, b.address);
	assert_string_equal(ss->s[1].domain, "aa.example");
	assert_string_equal(ss->s[2].address.address, b.address);
	assert_string_equal(ss->s[2].domain, "zz.example");
	assert_string_equal(ss->s[3].domain, "spam.example");
	/* First, last and messages, whatever order the counts came in. */
	assert_int_equal(ss->s[3].first, NOW + 10);
	assert_int_equal(ss->s[3].last, NOW + 30);
	assert_int_equal(ss->s[3].messages, 3);
	/* The address as show would print it. */
	assert_string_equal(ss->s[3].address.correspondent, "joe@example.org");
	assert_int_equal(ss->s[1].address.rules.lock, LOCK_DOMAIN);
	assert_int_equal(ss->s[1].address.state, STATE_ACTIVE);
	assert_int_equal(ss->s[0].address.messages, 7);

	/* --since: last seen at or after. */
	assert_int_equal(sightings(f, NOW + 40, NOW + 60, ss), 3);
	assert_int_equal(sightings(f, NOW + 41, NOW + 60, ss), 0);
	assert_int_equal(sightings(f, NOW + 30, NOW + 60, ss), 4);
	/* A retired address keeps its sightings, shown retired. */
	assert_int_equal(store_retire(f->s, a.id, NULL, NOW + 70), STORE_OK);
	assert_int_equal(sightings(f, 0, NOW + 80, ss), 4);
	assert_int_equal(ss->s[3].address.state, STATE_RETIRED);
	free(ss);
}

static void
test_sightings_trim(void **state)
{
	struct fixture *f = *state;
	struct store_address a, b;
	char sql[512];

	created(f);
	create_ok(f, NULL, NULL, 0, NOW, &a);
	create_ok(f, NULL, NULL, 0, NOW, &b);
	/* A flood of organisations, written straight in. */
	snprintf(sql, sizeof(sql),
	    "WITH RECURSIVE n(i) AS (SELECT 0 "
	    "UNION ALL SELECT i + 1 FROM n WHERE i < 1199) "
	    "INSERT INTO sighting (address, domain, first, last, messages) "
	    "SELECT %lld, printf('s%%05d.example', i), %lld + i, %lld + i, 1 "
	    "FROM n",
	    (long long)a.id, (long long)NOW, (long long)NOW);
	assert_int_equal(sqlite3_exec(sql_sqlite_handle(f->s->db), sql, NULL,
			     NULL, NULL),
	    SQLITE_OK);
	count_ok(f, b.id, NOW + 5000, "other.example", true, false);
	/* Counting another address leaves this one alone. */
	assert_int_equal(raw_int(sql_sqlite_handle(f->s->db),
			     "SELECT count(*) FROM sighting"),
	    1201);
	/* One more sighting: the newest SIGHTINGS_MAX are kept. */
	count_ok(f, a.id, NOW + 5000, "new.example", true, false);
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM sighting WHERE "
	    "address = %lld",
	    (long long)a.id);
	assert_int_equal(raw_int(sql_sqlite_handle(f->s->db), sql),
	    SIGHTINGS_MAX);
	snprintf(sql, sizeof(sql),
	    "SELECT min(last) - %lld FROM sighting "
	    "WHERE address = %lld",
	    (long long)NOW, (long long)a.id);
	assert_int_equal(raw_int(sql_sqlite_handle(f->s->db), sql), 201);
	assert_int_equal(raw_int(sql_sqlite_handle(f->s->db),
			     "SELECT count(*) FROM sighting "
			     "WHERE domain = 'new.example'"),
	    1);
}

/*
 * replace
 */

static void
test_replace(void **state)
{
	struct fixture *f = *state;
	struct store_address a, n, old, c;
	struct items *it = calloc(1, sizeof(*it));

	assert_non_null(it);
	created(f);
	assert_int_equal(store_create(f->s, f->t, NULL, DOMAIN,
			     "joe@example.org", NOW + 90 * DAY, "the plumber",
			     NOW, &a),
	    STORE_OK);
	rules_ok(f, a.id, LOCK_DOMAIN, REFUSE_DISCARD, 50, 30 * DAY);
	assert_int_equal(store_allow_add(f->s, a.id, "mailer.example",
			     "mailer.example"),
	    STORE_OK);
	assert_int_equal(store_allow_add(f->s, a.id, NULL_SENDER_ITEM,
			     NULL_SENDER_ITEM),
	    STORE_OK);
	count_ok(f, a.id, NOW + 1, "example.org", false, false);

	assert_int_equal(store_replace(f->s, f->t, a.id,
			     "Leaked to spam.example", NOW + 10, &n),
	    STORE_OK);
	assert_int_not_equal(n.id, a.id);
	assert_string_not_equal(n.address, a.address);
	assert_int_equal(n.seq, a.seq + 1);
	assert_int_equal(n.state, STATE_ACTIVE);
	assert_string_equal(n.correspondent, "joe@example.org");
	assert_string_equal(n.domain, DOMAIN);
	assert_string_equal(n.note, "the plumber");
	assert_int_equal(n.expires, NOW + 90 * DAY);
	assert_int_equal(n.created, NOW + 10);
	/* What out says is what is stored. */
	c = by_id(f, n.id, NOW + 10);
	assert_string_equal(c.address, n.address);
	assert_int_equal(c.rules.lock, LOCK_DOMAIN);
	assert_int_equal(c.rules.on_refuse, REFUSE_DISCARD);
	assert_int_equal(c.rules.max_mails, 50);
	assert_int_equal(c.rules.idle, 30 * DAY);
	assert_int_equal(c.messages, 0);
	assert_int_equal(allow_items(f, n.id, it), 2);
	assert_true(matches(f, n.id, "mailer.example", NULL));
	old = by_id(f, a.id, NOW + 10);
	assert_int_equal(old.state, STATE_RETIRED);
	assert_string_equal(old.reason, "Leaked to spam.example");
	assert_int_equal(old.retired, NOW + 10);
	assert_int_equal(allow_items(f, a.id, it), 2);
	assert_int_equal(store_find_correspondent(f->s, "joe@example.org",
			     NOW + 11, &c),
	    STORE_OK);
	assert_int_equal(c.id, n.id);

	/* Replacing a retired address keeps its reason unless given one. */
	assert_int_equal(store_replace(f->s, f->t, a.id, NULL, NOW + 20, &c),
	    STORE_OK);
	old = by_id(f, a.id, NOW + 20);
	assert_string_equal(old.reason, "Leaked to spam.example");
	assert_int_equal(old.retired, NOW + 10);

	/* A missing id: nothing changes, no number is used. */
	assert_int_equal(store_replace(f->s, f->t, a.id + 99, NULL, NOW + 30,
			     &c),
	    STORE_NOTFOUND);
	assert_true(sqlite3_get_autocommit(sql_sqlite_handle(f->s->db)));
	assert_int_equal(raw_int(sql_sqlite_handle(f->s->db),
			     "SELECT count(*) FROM address"),
	    3);
	assert_int_equal(raw_int(sql_sqlite_handle(f->s->db),
			     "SELECT CAST(value AS INTEGER) "
			     "FROM setting WHERE key = 'next_seq'"),
	    4);
	free(it);
}

/* A named address is replaced by a templated one, with what it learned;
 * a failure half-way leaves the old one as it was. */
static void
test_replace_named_atomic(void **state)
{
	struct fixture *f = *state;
	struct store_address a, n, c;
	struct items *it = calloc(1, sizeof(*it));

	assert_non_null(it);
	created(f);
	create_ok(f, "ebay", NULL, 0, NOW, &a);
	rules_ok(f, a.id, LOCK_DOMAIN, REFUSE_REJECT, 0, 0);
	count_ok(f, a.id, NOW + 1, "ebay.com", false, true);
	assert_int_equal(store_replace(f->s, f->t, a.id, NULL, NOW + 2, &n),
	    STORE_OK);
	assert_true(n.seq >= 0);
	assert_non_null(strstr(n.local, "mail-"));
	assert_string_equal(n.correspondent, "");
	c = by_id(f, n.id, NOW + 2);
	assert_true(c.learned);
	assert_int_equal(c.rules.lock, LOCK_DOMAIN);
	assert_int_equal(allow_items(f, n.id, it), 1);
	assert_string_equal(it->keys[0], "ebay.com");
	c = by_id(f, a.id, NOW + 2);
	assert_int_equal(c.state, STATE_RETIRED);
	assert_string_equal(c.reason, DEFAULT_REASON);

	/* The last sequence number: the new row goes in, then the
	 * transaction fails and takes it out again. */
	create_ok(f, "amazon", NULL, 0, NOW, &a);
	assert_int_equal(store_set_setting(f->s, "next_seq",
			     "9223372036854775807"),
	    STORE_OK);
	assert_int_equal(store_replace(f->s, f->t, a.id, "gone", NOW + 3, &c),
	    STORE_INVALID);
	assert_true(sqlite3_get_autocommit(sql_sqlite_handle(f->s->db)));
	c = by_id(f, a.id, NOW + 3);
	assert_int_equal(c.state, STATE_ACTIVE);
	assert_int_equal(raw_int(sql_sqlite_handle(f->s->db),
			     "SELECT count(*) FROM address"),
	    3);

	/* Inside the caller's transaction it joins it. */
	assert_int_equal(store_set_setting(f->s, "next_seq", "10"), STORE_OK);
	assert_int_equal(store_begin(f->s), STORE_OK);
	assert_int_equal(store_replace(f->s, f->t, a.id, NULL, NOW + 4, &n),
	    STORE_OK);
	assert_false(sqlite3_get_autocommit(sql_sqlite_handle(f->s->db)));
	store_rollback(f->s);
	assert_int_equal(by_id(f, a.id, NOW + 4).state, STATE_ACTIVE);
	assert_int_equal(raw_int(sql_sqlite_handle(f->s->db),
			     "SELECT count(*) FROM address"),
	    3);
	free(it);
}

/*
 * The migration from schema version 1
 */

static char *
read_fixture(const char *name)
{
	const char *top = getenv("ALIASD_TOP");
	char path[4096];
	char *text;
	FILE *fp;
	long len;

	snprintf(path, sizeof(path), "%s/tests/unit/fixtures/%s",
	    top != NULL && top[0] != '\0' ? top : ".", name);
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s (set ALIASD_TOP)", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len > 0 && len < 1000000);
	rewind(fp);
	assert_non_null(text = malloc((size_t)len + 1));
	assert_int_equal(fread(text, 1, (size_t)len, fp), (size_t)len);
	text[len] = '\0';
	fclose(fp);
	return text;
}

/* A version 1 store as aliasctl init left it: WAL, the schema and rows
 * of the fixture, user_version 1 and our application_id. */
static void
make_v1(struct fixture *f)
{
	char *sql = read_fixture("store-v1.sql");
	char pragma[64];
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(f->path, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL,
			     NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 1", NULL,
			     NULL, NULL),
	    SQLITE_OK);
	/* sql-lint: constant: APPLICATION_ID is a compile-time integer */
	snprintf(pragma, sizeof(pragma), "PRAGMA application_id = %d",
	    APPLICATION_ID);
	assert_int_equal(sqlite3_exec(db, pragma, NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	free(sql);
}

static int
user_version(struct fixture *f)
{
	sqlite3 *db;
	int v;

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY,
			     NULL),
	    SQLITE_OK);
	v = raw_int(db, "PRAGMA user_version");
	sqlite3_close(db);
	return v;
}

static void
domain_cb(void *arg, const char *domain, int64_t count, time_t last)
{
	char *out = arg;
	size_t used = strlen(out);

	snprintf(out + used, 256 - used, "%s=%lld@%lld ", domain,
	    (long long)count, (long long)(last - NOW));
}

static void
test_migrate_v1(void **state)
{
	struct fixture *f = *state;
	struct store_address a, n;
	struct sightings *ss = calloc(1, sizeof(*ss));
	struct items *it = calloc(1, sizeof(*it));
	char value[64], domains[256] = "";

	assert_non_null(ss);
	assert_non_null(it);
	make_v1(f);
	/* Read-only (a dry run), or without upgrade: told to upgrade, the
	 * file untouched. */
	assert_int_equal(open_store(f, false, true, &f->s), STORE_INVALID);
	assert_non_null(strstr(f->err, "needs an upgrade"));
	assert_int_equal(open_store(f, false, false, &f->s), STORE_INVALID);
	assert_non_null(strstr(f->err, "run aliasctl init"));
	assert_int_equal(user_version(f), 1);

	/* aliasd, aliasctl and alias-sendmail open with upgrade: the first
	 * of them after an update migrates, with no step of the admin's. */
	{
		struct store_options o = { .upgrade = true,
			.busy_ms = 1000,
			.uid = (uid_t)-1,
			.gid = (gid_t)-1 };

		assert_int_equal(store_open(f->path, &o, &f->s, f->err,
				     sizeof(f->err)),
		    STORE_OK);
	}
	assert_false(store_created(f->s));
	assert_int_equal(user_version(f), 3);
	assert_int_equal(raw_int(sql_sqlite_handle(f->s->db),
			     "PRAGMA application_id"),
	    APPLICATION_ID);
	assert_int_equal(raw_int(sql_sqlite_handle(f->s->db),
			     "SELECT count(*) FROM address"),
	    5);
	assert_int_equal(
	    raw_int(sql_sqlite_handle(f->s->db),
		"SELECT count(*) FROM "
		"sqlite_master WHERE name IN ('allow', 'sighting', "
		"'sighting_last')"),
	    3);

	/* Every row as it was, with the default rules. */
	for (int64_t id = 1; id <= 5; id++) {
		a = by_id(f, id, NOW);
		assert_int_equal(a.rules.lock, LOCK_NONE);
		assert_int_equal(a.rules.on_refuse, REFUSE_REJECT);
		assert_int_equal(a.rules.max_mails, 0);
		assert_int_equal(a.rules.idle, 0);
		assert_false(a.learned);
		assert_int_equal(allow_items(f, id, it), 0);
	}
	a = by_id(f, 1, NOW);
	assert_string_equal(a.address, "mail-0001-diq2ti@example.com");
	assert_string_equal(a.correspondent, "joe@example.org");
	assert_int_equal(a.seq, 1);
	assert_int_equal(a.state, STATE_ACTIVE);
	assert_int_equal(a.created, NOW);
	assert_int_equal(a.messages, 3);
	assert_int_equal(a.last_mail, NOW + 50000);
	assert_int_equal(store_sender_domains(f->s, 1, domain_cb, domains),
	    STORE_OK);
	assert_string_equal(domains,
	    "mail.example.org=1@50000 example.org=2@40000 ");
	a = by_id(f, 2, NOW);
	assert_string_equal(a.correspondent, "@shop.example");
	assert_int_equal(a.messages, 0);
	a = by_id(f, 3, NOW);
	assert_string_equal(a.address, "ebay@example.com");
	assert_int_equal(a.seq, -1);
	assert_string_equal(a.correspondent, "");
	assert_true(a.is_default);
	a = by_id(f, 4, NOW);
	assert_string_equal(a.note, "a trial");
	assert_int_equal(a.expires, 1701209900);
	assert_int_equal(a.state, STATE_ACTIVE);
	assert_int_equal(by_id(f, 4, 1701209900).expired_by, EXPIRY_DATE);
	a = by_id(f, 5, NOW);
	assert_int_equal(a.state, STATE_RETIRED);
	assert_string_equal(a.reason, "Leaked to spammers");
	assert_int_equal(a.retired, NOW + 500);
	assert_int_equal(store_get_setting(f->s, "next_seq", value,
			     sizeof(value)),
	    STORE_OK);
	assert_string_equal(value, "5");
	assert_int_equal(store_find_correspondent(f->s, "joe@example.org", NOW,
			     &a),
	    STORE_OK);
	assert_int_equal(a.id, 1);

	/* And it works as a new store does. */
	create_ok(f, NULL, "new@example.org", 0, NOW, &n);
	assert_int_equal(n.seq, 5);
	rules_ok(f, 1, LOCK_SENDER, REFUSE_HOLD, 5, 0);
	count_ok(f, 1, NOW + 60000, "spam.example", true, false);
	assert_int_equal(sightings(f, 0, NOW, ss), 1);
	assert_int_equal(by_id(f, 1, NOW).messages, 4);
	assert_int_equal(store_allow_add(f->s, 3, "ebay.com", "ebay.com"),
	    STORE_OK);
	store_close(f->s);
	f->s = NULL;
	/* Migrated once: the next opens, read-only too, just open. */
	assert_int_equal(open_store(f, false, true, &f->s), STORE_OK);
	assert_int_equal(by_id(f, 1, NOW).rules.lock, LOCK_SENDER);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(open_store(f, true, false, &f->s), STORE_OK);
	assert_int_equal(user_version(f), 3);
	free(ss);
	free(it);
}

/*
 * Plans: the lookups made per RCPT and per leaks --since are index
 * searches.
 */

static void
plan_of(struct store *s, enum stmt_id id, char *out, size_t len)
{
	char sql[4096];
	sqlite3_stmt *st;
	size_t used = 0;

	snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s",
	    store_stmt_text(id));
	assert_int_equal(sqlite3_prepare_v2(sql_sqlite_handle(s->db), sql, -1,
			     &st, NULL),
	    SQLITE_OK);
	out[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW && used < len)
		used += (size_t)snprintf(out + used, len - used, "%s\n",
		    (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
}

static void
test_plans(void **state)
{
	struct fixture *f = *state;
	static const enum stmt_id searches[] = { ST_ALLOW_MATCH, ST_FIND_GATE,
		ST_ALLOW_STATE, ST_ALLOW_LIST, ST_SIGHTINGS_OVER, ST_LEARN,
		ST_SET_RULES };
	char plan[4096];

	created(f);
	/* Every statement compiles against the migrated schema. */
	for (int i = 0; i < ST_MAX; i++) {
		struct sql_stmt *st;

		if (store_stmt(f->s, (enum stmt_id)i, &st) != STORE_OK)
			fail_msg("statement %d: %s", i, store_error(f->s));
	}
	for (size_t i = 0; i < sizeof(searches) / sizeof(searches[0]); i++) {
		plan_of(f->s, searches[i], plan, sizeof(plan));
		if (strstr(plan, "SCAN") != NULL ||
		    strstr(plan, "SEARCH") == NULL)
			fail_msg("statement %d scans:\n%s", (int)searches[i],
			    plan);
	}
	plan_of(f->s, ST_SIGHTINGS, plan, sizeof(plan));
	if (strstr(plan, "sighting_last") == NULL)
		fail_msg("leaks --since does not use its index:\n%s", plan);
	plan_of(f->s, ST_FIND_CORRESPONDENT, plan, sizeof(plan));
	assert_non_null(strstr(plan, "address_correspondent"));
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_names),
		T(test_rules_round_trip),
		T(test_insert_rules),
		T(test_expiry_max_mails),
		T(test_expiry_idle),
		T(test_expiry_order),
		T(test_correspondent_skips_expired),
		T(test_allow),
		T(test_learn_once),
		T(test_sightings),
		T(test_sightings_trim),
		T(test_replace),
		T(test_replace_named_atomic),
		T(test_migrate_v1),
		T(test_plans),
	};
#undef T

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
