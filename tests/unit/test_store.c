#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_store.c: the SQLite store, each test in a temporary directory of
 * its own.  Times are passed explicitly, so expiry is deterministic.
 */
#include <sys/stat.h>

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

struct fixture {
	char dir[4096];
	char path[4200]; /* DIR/sub/aliases.db */
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
	snprintf(f->dir, sizeof(f->dir), "%s/aliasd-store-XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/sub/aliases.db", f->dir);
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
	char p[4300];
	static const char *const suffixes[] = { "", "-wal", "-shm",
		"-journal" };

	store_close(f->s);
	template_free(f->t);
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/sub", f->dir);
	chmod(p, 0700);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/other.db", f->dir);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static enum store_status
open_store(struct fixture *f, bool create, bool readonly, int busy_ms,
    struct store **out)
{
	struct store_options o = {
		.create = create,
		.readonly = readonly,
		.busy_ms = busy_ms,
		.uid = (uid_t)-1,
		.gid = (gid_t)-1,
	};

	return store_open(f->path, &o, out, f->err, sizeof(f->err));
}

/* The fixture's store, created. */
static struct store *
created(struct fixture *f)
{
	if (open_store(f, true, false, 1000, &f->s) != STORE_OK)
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

static int
count_all(struct store *s)
{
	struct store_iter *it;
	struct store_address a;
	int n = 0;

	assert_int_equal(store_list(s, FILTER_ALL, NOW, &it), STORE_OK);
	while (store_next(it, &a) == STORE_OK)
		n++;
	store_iter_free(it);
	return n;
}

static void
test_create_file(void **state)
{
	struct fixture *f = *state;
	char dir[4200];
	struct stat sb;
	sqlite3 *db;

	created(f);
	assert_true(store_created(f->s));
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	snprintf(dir, sizeof(dir), "%s/sub", f->dir);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY,
			     NULL),
	    SQLITE_OK);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 3);
	assert_int_equal(raw_int(db, "PRAGMA application_id"), APPLICATION_ID);
	assert_int_equal(raw_int(db,
			     "SELECT count(*) FROM sqlite_master "
			     "WHERE name IN ('address', 'setting', 'counter', "
			     "'sender_domain', 'address_correspondent')"),
	    5);
	sqlite3_close(db);
	/* journal_mode is kept in the file. */
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE,
			     NULL),
	    SQLITE_OK);
	{
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode",
				     -1, &st, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0),
		    "wal");
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

static void
test_reopen(void **state)
{
	struct fixture *f = *state;
	struct store_address a, b;

	created(f);
	create_ok(f, NULL, "joe@example.org", 0, NOW, &a);
	store_close(f->s);
	f->s = NULL;
	/* Without create, and with create on an existing store. */
	assert_int_equal(open_store(f, false, false, 100, &f->s), STORE_OK);
	assert_false(store_created(f->s));
	assert_int_equal(store_find(f->s, a.local, DOMAIN, NOW, &b), STORE_OK);
	assert_string_equal(b.address, a.address);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(open_store(f, true, false, 100, &f->s), STORE_OK);
	assert_false(store_created(f->s));
	/* The sequence goes on where it stopped. */
	create_ok(f, NULL, NULL, 0, NOW, &b);
	assert_int_equal(b.seq, a.seq + 1);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(open_store(f, false, true, 100, &f->s), STORE_OK);
	assert_int_equal(count_all(f->s), 2);
}

static void
test_open_missing(void **state)
{
	struct fixture *f = *state;
	char dir[4200];
	struct stat sb;

	assert_int_equal(open_store(f, false, false, 100, &f->s),
	    STORE_MISSING);
	assert_null(f->s);
	assert_non_null(strstr(f->err, "aliasctl init"));
	assert_int_equal(open_store(f, false, true, 100, &f->s),
	    STORE_MISSING);
	/* Nothing was made on the way. */
	snprintf(dir, sizeof(dir), "%s/sub", f->dir);
	assert_int_equal(stat(dir, &sb), -1);
}

static void
test_open_empty_file(void **state)
{
	struct fixture *f = *state;
	char dir[4200];
	FILE *fp;

	/* A zero-length file, as a crash during init would leave. */
	snprintf(dir, sizeof(dir), "%s/sub", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_non_null(fp = fopen(f->path, "w"));
	fclose(fp);
	assert_int_equal(open_store(f, false, false, 100, &f->s),
	    STORE_MISSING);
	assert_non_null(strstr(f->err, "aliasctl init"));
	created(f);
	assert_int_equal(count_all(f->s), 0);
}

static void
test_open_foreign(void **state)
{
	struct fixture *f = *state;
	char dir[4200];
	sqlite3 *db;
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s/sub", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	/* Some other program's SQLite database. */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
			     "CREATE TABLE t (x); "
			     "INSERT INTO t VALUES (1)",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(open_store(f, false, false, 100, &f->s),
	    STORE_INVALID);
	assert_non_null(strstr(f->err, "not an aliasd store"));
	/* Not even init may take it over. */
	assert_int_equal(open_store(f, true, false, 100, &f->s),
	    STORE_INVALID);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master"), 1);
	sqlite3_close(db);

	/* Another application_id. */
	unlink(f->path);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA application_id = 42", NULL,
			     NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(open_store(f, false, false, 100, &f->s),
	    STORE_INVALID);
	assert_non_null(strstr(f->err, "not an aliasd store"));

	/* Not SQLite at all. */
	unlink(f->path);
	assert_non_null(fp = fopen(f->path, "w"));
	for (int i = 0; i < 200; i++)
		fputs("this is not a database\n", fp);
	fclose(fp);
	assert_int_equal(open_store(f, false, false, 100, &f->s),
	    STORE_INVALID);
	assert_non_null(strstr(f->err, "not an aliasd store"));
	assert_int_equal(open_store(f, true, false, 100, &f->s),
	    STORE_INVALID);
	assert_null(f->s);
}

static void
test_open_newer_schema(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;

	created(f);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
			     NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(open_store(f, false, false, 100, &f->s),
	    STORE_INVALID);
	assert_non_null(strstr(f->err, "newer"));
}

static void
test_sequence(void **state)
{
	struct fixture *f = *state;
	struct store_address a;
	char prev[3][ADDRESS_MAX];
	uint64_t seq;

	created(f);
	for (int i = 0; i < 3; i++) {
		create_ok(f, NULL, NULL, 0, NOW, &a);
		assert_int_equal(a.seq, i + 1);
		assert_int_equal(a.state, STATE_ACTIVE);
		assert_string_equal(a.domain, DOMAIN);
		assert_true(template_match(f->t, a.local, &seq));
		assert_int_equal(seq, (uint64_t)(i + 1));
		assert_non_null(strstr(a.address, "@" DOMAIN));
		assert_true(a.id > 0);
		assert_int_equal(a.created, NOW);
		snprintf(prev[i], sizeof(prev[i]), "%s", a.address);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(prev[i], prev[j]);
	}
	/* A named address does not use up a number. */
	create_ok(f, "ebay", NULL, 0, NOW, &a);
	assert_int_equal(a.seq, -1);
	create_ok(f, NULL, NULL, 0, NOW, &a);
	assert_int_equal(a.seq, 4);
}

static void
test_insert_raises_sequence(void **state)
{
	struct fixture *f = *state;
	struct store_address in, a;
	char value[32];

	created(f);
	memset(&in, 0, sizeof(in));
	snprintf(in.local, sizeof(in.local), "mail-0500-ab");
	snprintf(in.domain, sizeof(in.domain), DOMAIN);
	in.seq = 500;
	in.created = NOW - 100;
	assert_int_equal(store_insert(f->s, &in), STORE_OK);
	create_ok(f, NULL, NULL, 0, NOW, &a);
	assert_int_equal(a.seq, 501);
	/* A lower imported number never lowers the next one. */
	snprintf(in.local, sizeof(in.local), "mail-0010-ab");
	in.seq = 10;
	assert_int_equal(store_insert(f->s, &in), STORE_OK);
	create_ok(f, NULL, NULL, 0, NOW, &a);
	assert_int_equal(a.seq, 502);
	/* An imported retired address keeps its state and reason. */
	snprintf(in.local, sizeof(in.local), "old");
	in.seq = -1;
	in.state = STATE_RETIRED;
	in.retired = NOW - 50;
	snprintf(in.reason, sizeof(in.reason), "Spammers found it");
	assert_int_equal(store_insert(f->s, &in), STORE_OK);
	assert_int_equal(store_find(f->s, "old", DOMAIN, NOW, &a), STORE_OK);
	assert_int_equal(a.state, STATE_RETIRED);
	assert_string_equal(a.reason, "Spammers found it");
	assert_int_equal(a.retired, NOW - 50);
	assert_int_equal(a.created, NOW - 100);
	assert_int_equal(a.seq, -1);
	/* Twice: exists. */
	assert_int_equal(store_insert(f->s, &in), STORE_EXISTS);
	/* The last number there is: refused, nothing changes. */
	snprintf(in.local, sizeof(in.local), "mail-9223372036854775807-ab");
	in.seq = INT64_MAX;
	in.state = STATE_ACTIVE;
	assert_int_equal(store_insert(f->s, &in), STORE_INVALID);
	assert_int_equal(store_find(f->s, in.local, DOMAIN, NOW, &a),
	    STORE_NOTFOUND);
	assert_int_equal(store_get_setting(f->s, "next_seq", value,
			     sizeof(value)),
	    STORE_OK);
	assert_string_equal(value, "503");
}

static void
test_named(void **state)
{
	struct fixture *f = *state;
	struct store_address a, b;

	created(f);
	create_ok(f, "ebay", NULL, 0, NOW, &a);
	assert_string_equal(a.address, "ebay@" DOMAIN);
	assert_string_equal(a.correspondent, "");
	assert_int_equal(store_create(f->s, f->t, "ebay", DOMAIN, NULL, 0,
			     NULL, NOW, &b),
	    STORE_EXISTS);
	assert_non_null(strstr(store_error(f->s), "ebay@" DOMAIN));
	/* The same local part in another domain is another address. */
	assert_int_equal(store_create(f->s, f->t, "ebay", "example.net", NULL,
			     0, "note", NOW, &b),
	    STORE_OK);
	assert_string_equal(b.note, "note");
	assert_int_equal(count_all(f->s), 2);
	/* A failed create leaves no open transaction behind. */
	assert_int_equal(store_begin(f->s), STORE_OK);
	store_rollback(f->s);
}

static void
test_find(void **state)
{
	struct fixture *f = *state;
	struct store_address a, b;

	created(f);
	create_ok(f, NULL, "joe@example.org", NOW + 3600, NOW, &a);
	assert_int_equal(store_find(f->s, a.local, DOMAIN, NOW, &b), STORE_OK);
	assert_int_equal(b.id, a.id);
	assert_string_equal(b.address, a.address);
	assert_string_equal(b.local, a.local);
	assert_string_equal(b.domain, DOMAIN);
	assert_string_equal(b.correspondent, "joe@example.org");
	assert_int_equal(b.seq, 1);
	assert_int_equal(b.state, STATE_ACTIVE);
	assert_int_equal(b.expires, NOW + 3600);
	assert_int_equal(b.created, NOW);
	assert_int_equal(b.messages, 0);
	assert_int_equal(b.last_mail, 0);
	assert_false(b.is_default);
	/* Expiry is decided by now. */
	assert_int_equal(store_find(f->s, a.local, DOMAIN, NOW + 3600, &b),
	    STORE_OK);
	assert_int_equal(b.state, STATE_EXPIRED);
	/* Names are stored lowercase; store_find takes them normalized. */
	create_ok(f, "shop", NULL, 0, NOW, &b);
	assert_int_equal(store_find(f->s, "shop", DOMAIN, NOW, &b), STORE_OK);
	assert_int_equal(store_find(f->s, "shop", "example.net", NOW, &b),
	    STORE_NOTFOUND);
	assert_int_equal(store_find(f->s, "sho", DOMAIN, NOW, &b),
	    STORE_NOTFOUND);
	/* Created already expired. */
	create_ok(f, NULL, NULL, NOW - 1, NOW, &b);
	assert_int_equal(b.state, STATE_EXPIRED);
}

static void
test_find_correspondent(void **state)
{
	struct fixture *f = *state;
	struct store_address a1, a2, a3, d, b;

	created(f);
	create_ok(f, NULL, "joe@example.org", NOW + 1000, NOW, &a1);
	create_ok(f, NULL, "joe@example.org", 0, NOW, &a2);
	create_ok(f, NULL, "@example.org", 0, NOW, &d);
	create_ok(f, NULL, "ann@example.org", 0, NOW, &a3);
	/* The newest active one. */
	assert_int_equal(store_find_correspondent(f->s, "joe@example.org", NOW,
			     &b),
	    STORE_OK);
	assert_int_equal(b.id, a2.id);
	/* Retired ones are skipped. */
	assert_int_equal(store_retire(f->s, a2.id, "leaked", NOW), STORE_OK);
	assert_int_equal(store_find_correspondent(f->s, "joe@example.org", NOW,
			     &b),
	    STORE_OK);
	assert_int_equal(b.id, a1.id);
	/* So are expired ones, exactly from their expiry on. */
	assert_int_equal(store_find_correspondent(f->s, "joe@example.org",
			     NOW + 999, &b),
	    STORE_OK);
	assert_int_equal(b.id, a1.id);
	assert_int_equal(store_find_correspondent(f->s, "joe@example.org",
			     NOW + 1000, &b),
	    STORE_NOTFOUND);
	/* A domain is a correspondent like any other. */
	assert_int_equal(store_find_correspondent(f->s, "@example.org", NOW,
			     &b),
	    STORE_OK);
	assert_int_equal(b.id, d.id);
	assert_int_equal(store_find_correspondent(f->s, "ann@example.org", NOW,
			     &b),
	    STORE_OK);
	assert_int_equal(b.id, a3.id);
	assert_int_equal(store_find_correspondent(f->s, "bob@example.org", NOW,
			     &b),
	    STORE_NOTFOUND);
	assert_int_equal(store_find_correspondent(f->s, "", NOW, &b),
	    STORE_NOTFOUND);
}

static void
insert_named(struct fixture *f, const char *local, const char *domain)
{
	struct store_address a;

	assert_int_equal(store_create(f->s, f->t, local, domain, NULL, 0, NULL,
			     NOW, &a),
	    STORE_OK);
}

static void
test_resolve(void **state)
{
	struct fixture *f = *state;
	struct store_address a;
	char cand[512];

	created(f);
	insert_named(f, "mail-0001-q3", DOMAIN);
	insert_named(f, "mail-0002-a4", DOMAIN);
	insert_named(f, "mail-0003-c8", DOMAIN);
	insert_named(f, "mail-0013-k9", DOMAIN);
	insert_named(f, "shop", DOMAIN);
	insert_named(f, "shopping", DOMAIN);
	insert_named(f, "news", DOMAIN);
	insert_named(f, "news", "example.net");

	assert_int_equal(store_resolve(f->s, "mail-0003-c8@example.com", NOW,
			     &a, cand, sizeof(cand)),
	    STORE_OK);
	assert_string_equal(a.address, "mail-0003-c8@example.com");
	assert_int_equal(store_resolve(f->s, "MAIL-0003-C8@Example.COM", NOW,
			     &a, cand, sizeof(cand)),
	    STORE_OK);
	assert_string_equal(a.address, "mail-0003-c8@example.com");
	assert_int_equal(store_resolve(f->s, "mail-0003-c8@example.net", NOW,
			     &a, cand, sizeof(cand)),
	    STORE_NOTFOUND);
	assert_int_equal(store_resolve(f->s, "mail-0003-c8", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_OK);
	assert_string_equal(a.local, "mail-0003-c8");
	assert_int_equal(store_resolve(f->s, "mail-0003", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_OK);
	assert_string_equal(a.local, "mail-0003-c8");
	assert_int_equal(store_resolve(f->s, "Mail-0002", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_OK);
	assert_string_equal(a.local, "mail-0002-a4");
	/* Ambiguous: the candidates are named, in order. */
	assert_int_equal(store_resolve(f->s, "mail-000", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_AMBIGUOUS);
	assert_string_equal(cand,
	    "mail-0001-q3@example.com, "
	    "mail-0002-a4@example.com, mail-0003-c8@example.com");
	assert_int_equal(store_resolve(f->s, "mail-", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_AMBIGUOUS);
	assert_non_null(strstr(cand, "mail-0013-k9@example.com"));
	/* An exact local part beats the longer ones it begins. */
	assert_int_equal(store_resolve(f->s, "shop", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_OK);
	assert_string_equal(a.local, "shop");
	assert_int_equal(store_resolve(f->s, "shopp", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_OK);
	assert_string_equal(a.local, "shopping");
	/* One local part in two domains. */
	assert_int_equal(store_resolve(f->s, "news", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_AMBIGUOUS);
	assert_string_equal(cand, "news@example.com, news@example.net");
	assert_int_equal(store_resolve(f->s, "news@example.net", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_OK);
	/* Unknown. */
	assert_int_equal(store_resolve(f->s, "mail-0004", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_NOTFOUND);
	/* Prefixes ending in a character that is not ASCII: the range ends
	 * at the next code point, past the surrogates (U+D7FF -> U+E000);
	 * after U+10FFFF, at the character before it raised. */
	insert_named(f, "p\xed\x9f\xbfx", DOMAIN);
	insert_named(f, "p\xee\x80\x80", DOMAIN);
	insert_named(f, "q\xf4\x8f\xbf\xbfz", DOMAIN);
	insert_named(f, "r\xc3\xbf\xc3\xbfy", DOMAIN);
	assert_int_equal(store_resolve(f->s, "p\xed\x9f\xbf", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_OK);
	assert_string_equal(a.local, "p\xed\x9f\xbfx");
	assert_int_equal(store_resolve(f->s, "q\xf4\x8f\xbf\xbf", NOW, &a,
			     cand, sizeof(cand)),
	    STORE_OK);
	assert_string_equal(a.local, "q\xf4\x8f\xbf\xbfz");
	assert_int_equal(store_resolve(f->s, "r\xc3\xbf", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_OK);
	assert_string_equal(a.local, "r\xc3\xbf\xc3\xbfy");
	/* Half a character, or a byte that is never UTF-8, names none. */
	assert_int_equal(store_resolve(f->s, "r\xc3", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_NOTFOUND);
	assert_int_equal(store_resolve(f->s, "\xff", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_NOTFOUND);
	assert_int_equal(store_resolve(f->s, "zzz", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_NOTFOUND);
	assert_int_equal(store_resolve(f->s, "", NOW, &a, cand, sizeof(cand)),
	    STORE_NOTFOUND);
	assert_int_equal(store_resolve(f->s, "@example.com", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_NOTFOUND);
	/* A prefix ending in the highest byte. */
	assert_int_equal(store_resolve(f->s, "\xff\xff", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_NOTFOUND);
}

static void
test_resolve_many(void **state)
{
	struct fixture *f = *state;
	struct store_address a;
	char cand[512], small[40], local[16];

	created(f);
	for (int i = 0; i < 8; i++) {
		snprintf(local, sizeof(local), "x%d", i);
		insert_named(f, local, DOMAIN);
	}
	assert_int_equal(store_resolve(f->s, "x", NOW, &a, cand, sizeof(cand)),
	    STORE_AMBIGUOUS);
	assert_string_equal(cand,
	    "x0@example.com, x1@example.com, "
	    "x2@example.com, x3@example.com, x4@example.com, ...");
	/* A small buffer holds what fits, terminated. */
	assert_int_equal(store_resolve(f->s, "x", NOW, &a, small,
			     sizeof(small)),
	    STORE_AMBIGUOUS);
	assert_true(strlen(small) < sizeof(small));
	assert_int_equal(strncmp(small, "x0@example.com, x1@example.com", 30),
	    0);
}

static void
test_retire_revive(void **state)
{
	struct fixture *f = *state;
	struct store_address a, b;

	created(f);
	create_ok(f, NULL, "joe@example.org", NOW + 10, NOW, &a);
	assert_int_equal(store_retire(f->s, a.id,
			     "Spammers found this "
			     "address",
			     NOW + 5),
	    STORE_OK);
	assert_int_equal(store_find(f->s, a.local, DOMAIN, NOW, &b), STORE_OK);
	assert_int_equal(b.state, STATE_RETIRED);
	assert_string_equal(b.reason, "Spammers found this address");
	assert_int_equal(b.retired, NOW + 5);
	/* Retired stays retired after its expiry too. */
	assert_int_equal(store_find(f->s, a.local, DOMAIN, NOW + 20, &b),
	    STORE_OK);
	assert_int_equal(b.state, STATE_RETIRED);

	assert_int_equal(store_revive(f->s, a.id), STORE_OK);
	assert_int_equal(store_find(f->s, a.local, DOMAIN, NOW + 20, &b),
	    STORE_OK);
	assert_int_equal(b.state, STATE_ACTIVE);
	assert_string_equal(b.reason, "");
	assert_int_equal(b.retired, 0);
	assert_int_equal(b.expires, 0);

	/* The default reason. */
	assert_int_equal(store_retire(f->s, a.id, NULL, NOW), STORE_OK);
	assert_int_equal(store_find(f->s, a.local, DOMAIN, NOW, &b), STORE_OK);
	assert_string_equal(b.reason, DEFAULT_REASON);
	assert_int_equal(store_retire(f->s, a.id, "", NOW), STORE_OK);
	assert_int_equal(store_find(f->s, a.local, DOMAIN, NOW, &b), STORE_OK);
	assert_string_equal(b.reason, DEFAULT_REASON);

	assert_int_equal(store_retire(f->s, a.id + 100, "x", NOW),
	    STORE_NOTFOUND);
	assert_int_equal(store_revive(f->s, a.id + 100), STORE_NOTFOUND);
}

static void
test_default(void **state)
{
	struct fixture *f = *state;
	struct store_address a, b, d;

	created(f);
	create_ok(f, NULL, NULL, 0, NOW, &a);
	create_ok(f, "web", NULL, 0, NOW, &b);
	assert_int_equal(store_get_default(f->s, NOW, &d), STORE_NOTFOUND);
	assert_int_equal(store_set_default(f->s, b.id), STORE_OK);
	assert_int_equal(store_get_default(f->s, NOW, &d), STORE_OK);
	assert_int_equal(d.id, b.id);
	assert_true(d.is_default);
	assert_int_equal(store_find(f->s, a.local, DOMAIN, NOW, &d), STORE_OK);
	assert_false(d.is_default);
	assert_int_equal(store_find(f->s, "web", DOMAIN, NOW, &d), STORE_OK);
	assert_true(d.is_default);
	assert_int_equal(store_set_default(f->s, a.id), STORE_OK);
	assert_int_equal(store_get_default(f->s, NOW, &d), STORE_OK);
	assert_int_equal(d.id, a.id);
	/* The default is reported with its state; callers judge it. */
	assert_int_equal(store_retire(f->s, a.id, NULL, NOW), STORE_OK);
	assert_int_equal(store_get_default(f->s, NOW, &d), STORE_OK);
	assert_int_equal(d.state, STATE_RETIRED);
	assert_int_equal(store_set_default(f->s, 0), STORE_OK);
	assert_int_equal(store_get_default(f->s, NOW, &d), STORE_NOTFOUND);
	assert_int_equal(store_set_default(f->s, 0), STORE_OK);
}

/* List with a filter; the locals, comma-separated, into out. */
static void
list_locals(struct store *s, enum store_filter filter, time_t now, char *out,
    size_t len)
{
	struct store_iter *it;
	struct store_address a;
	enum store_status st;
	size_t used = 0;

	out[0] = '\0';
	assert_int_equal(store_list(s, filter, now, &it), STORE_OK);
	while ((st = store_next(it, &a)) == STORE_OK)
		used += (size_t)snprintf(out + used, len - used, "%s%s:%s",
		    used > 0 ? "," : "", a.address, store_state_name(a.state));
	assert_int_equal(st, STORE_NOTFOUND);
	/* Past the end it stays at the end. */
	assert_int_equal(store_next(it, &a), STORE_NOTFOUND);
	store_iter_free(it);
}

static void
test_list(void **state)
{
	struct fixture *f = *state;
	struct store_address a;
	char out[1024];

	created(f);
	assert_int_equal(store_create(f->s, f->t, "b", "z.org", NULL, 0, NULL,
			     NOW, &a),
	    STORE_OK);
	create_ok(f, "c", NULL, NOW + 100, NOW, &a); /* expires */
	create_ok(f, "d", NULL, 0, NOW, &a);
	assert_int_equal(store_retire(f->s, a.id, NULL, NOW), STORE_OK);
	create_ok(f, "a", NULL, 0, NOW, &a);
	create_ok(f, "b", NULL, 0, NOW, &a);

	list_locals(f->s, FILTER_ALL, NOW, out, sizeof(out));
	assert_string_equal(out,
	    "a@example.com:active,"
	    "b@example.com:active,b@z.org:active,c@example.com:active,"
	    "d@example.com:retired");
	list_locals(f->s, FILTER_ACTIVE, NOW, out, sizeof(out));
	assert_string_equal(out,
	    "a@example.com:active,"
	    "b@example.com:active,b@z.org:active,c@example.com:active");
	list_locals(f->s, FILTER_RETIRED, NOW, out, sizeof(out));
	assert_string_equal(out, "d@example.com:retired");
	/* Once c has expired it counts as retired. */
	list_locals(f->s, FILTER_ACTIVE, NOW + 100, out, sizeof(out));
	assert_string_equal(out,
	    "a@example.com:active,"
	    "b@example.com:active,b@z.org:active");
	list_locals(f->s, FILTER_RETIRED, NOW + 100, out, sizeof(out));
	assert_string_equal(out,
	    "c@example.com:expired,"
	    "d@example.com:retired");
	list_locals(f->s, FILTER_ALL, NOW + 100, out, sizeof(out));
	assert_non_null(strstr(out, "c@example.com:expired"));
}

static void
test_list_empty(void **state)
{
	struct fixture *f = *state;
	struct store_iter *it;
	struct store_address a;

	created(f);
	assert_int_equal(store_list(f->s, FILTER_ALL, NOW, &it), STORE_OK);
	assert_int_equal(store_next(it, &a), STORE_NOTFOUND);
	store_iter_free(it);
	store_iter_free(NULL);
}

struct domains_seen {
	char text[512];
	size_t used;
};

static void
domain_cb(void *arg, const char *domain, int64_t count, time_t last)
{
	struct domains_seen *d = arg;

	d->used += (size_t)snprintf(d->text + d->used,
	    sizeof(d->text) - d->used, "%s%s=%lld@%lld",
	    d->used > 0 ? "," : "", domain, (long long)count,
	    (long long)(last - NOW));
}

/*
 * Counts written COUNT_CHUNK to a statement come to what they would one
 * at a time: 40 counts (two chunks and a half) over three addresses and
 * one that is gone, with and without a sender domain, half of them
 * sightings, out of time order.
 */
struct sum {
	int64_t messages;
	time_t first, last;
};

static void
sum_add(struct sum *x, time_t when)
{
	if (x->messages == 0 || when < x->first)
		x->first = when;
	if (when > x->last)
		x->last = when;
	x->messages++;
}

struct chunk_check {
	struct sum (*want)[2]; /* by address index, then domain index */
	int addr;
	int seen, bad;
};

static int
name_index(const char *name)
{
	return name[1] - '0'; /* "d0.example", "r1.example", ... */
}

static void
chunk_domain_cb(void *arg, const char *domain, int64_t count, time_t last)
{
	struct chunk_check *k = arg;
	struct sum *w = &k->want[k->addr][name_index(domain)];

	k->seen++;
	if (w->messages != count || w->last != last)
		k->bad++;
}

static void
chunk_sighting_cb(void *arg, const struct store_sighting *sg)
{
	struct chunk_check *k = arg;
	struct sum
	    *w = &k->want[sg->address.local[1] - '0'][name_index(sg->domain)];

	k->seen++;
	if (w->messages != sg->messages || w->first != sg->first ||
	    w->last != sg->last)
		k->bad++;
}

static void
test_counts_chunked(void **state)
{
	struct fixture *f = *state;
	struct store_address a[3], r;
	struct store_count c[40];
	struct sum messages[3] = { { 0 } }, domains[3][2], sights[3][2];
	struct chunk_check k = { .want = domains };
	int want_domains = 0, want_sights = 0;
	char local[16];

	created(f);
	memset(domains, 0, sizeof(domains));
	memset(sights, 0, sizeof(sights));
	for (int i = 0; i < 3; i++) {
		snprintf(local, sizeof(local), "a%d", i);
		insert_named(f, local, DOMAIN);
		assert_int_equal(store_find(f->s, local, DOMAIN, NOW, &a[i]),
		    STORE_OK);
	}
	memset(c, 0, sizeof(c));
	for (int i = 0; i < 40; i++) {
		int who = i % 4, d = i % 3, rd = (i / 3) % 2;

		c[i].id = who < 3 ? a[who].id : a[2].id + 1000;
		c[i].when = NOW + (i * 7) % 23;
		if (d < 2)
			snprintf(c[i].sender_domain,
			    sizeof(c[i].sender_domain), "d%d.example", d);
		snprintf(c[i].sender_regdom, sizeof(c[i].sender_regdom),
		    "r%d.example", rd);
		c[i].unexpected = i % 2 == 0;
		if (who == 3)
			continue;
		sum_add(&messages[who], c[i].when);
		if (d < 2)
			sum_add(&domains[who][d], c[i].when);
		if (c[i].unexpected)
			sum_add(&sights[who][rd], c[i].when);
	}
	for (int i = 0; i < 3; i++)
		for (int d = 0; d < 2; d++) {
			want_domains += domains[i][d].messages > 0;
			want_sights += sights[i][d].messages > 0;
		}
	assert_int_equal(store_add_counts(f->s, c, 40), STORE_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_find(f->s, a[i].local, DOMAIN, NOW, &r),
		    STORE_OK);
		assert_int_equal(r.messages, messages[i].messages);
		assert_int_equal(r.last_mail, messages[i].last);
		k.addr = i;
		assert_int_equal(store_sender_domains(f->s, a[i].id,
				     chunk_domain_cb, &k),
		    STORE_OK);
	}
	assert_int_equal(k.seen, want_domains);
	assert_int_equal(k.bad, 0);
	k = (struct chunk_check){ .want = sights };
	assert_int_equal(store_sightings(f->s, 0, NOW, chunk_sighting_cb, &k),
	    STORE_OK);
	assert_int_equal(k.seen, want_sights);
	assert_int_equal(k.bad, 0);
}

static void
test_counts(void **state)
{
	struct fixture *f = *state;
	struct store_address a, b, r;
	struct store_count c[5];
	struct domains_seen seen = { .used = 0 };

	created(f);
	create_ok(f, NULL, NULL, 0, NOW, &a);
	create_ok(f, NULL, NULL, 0, NOW, &b);
	memset(c, 0, sizeof(c));
	c[0] = (struct store_count){ .id = a.id, .when = NOW + 10 };
	snprintf(c[0].sender_domain, sizeof(c[0].sender_domain), "spam.biz");
	c[1] = (struct store_count){ .id = a.id, .when = NOW + 30 };
	snprintf(c[1].sender_domain, sizeof(c[1].sender_domain), "shop.com");
	/* Out of order: the last time seen is the latest, not the last
	 * written. */
	c[2] = (struct store_count){ .id = a.id, .when = NOW + 20 };
	snprintf(c[2].sender_domain, sizeof(c[2].sender_domain), "spam.biz");
	c[3] = (struct store_count){ .id = b.id, .when = NOW + 5 };
	/* An address that is gone is skipped, not fatal. */
	c[4] = (struct store_count){ .id = b.id + 1000, .when = NOW + 5 };
	snprintf(c[4].sender_domain, sizeof(c[4].sender_domain), "x.org");
	assert_int_equal(store_add_counts(f->s, c, 5), STORE_OK);
	assert_int_equal(store_add_counts(f->s, c, 0), STORE_OK);

	assert_int_equal(store_find(f->s, a.local, DOMAIN, NOW, &r), STORE_OK);
	assert_int_equal(r.messages, 3);
	assert_int_equal(r.last_mail, NOW + 30);
	assert_int_equal(store_find(f->s, b.local, DOMAIN, NOW, &r), STORE_OK);
	assert_int_equal(r.messages, 1);
	assert_int_equal(r.last_mail, NOW + 5);

	assert_int_equal(store_sender_domains(f->s, a.id, domain_cb, &seen),
	    STORE_OK);
	assert_string_equal(seen.text, "shop.com=1@30,spam.biz=2@20");
	seen.used = 0;
	seen.text[0] = '\0';
	assert_int_equal(store_sender_domains(f->s, b.id, domain_cb, &seen),
	    STORE_OK);
	assert_string_equal(seen.text, "");
	/* Lists carry the counts too. */
	{
		struct store_iter *it;

		assert_int_equal(store_list(f->s, FILTER_ALL, NOW, &it),
		    STORE_OK);
		assert_int_equal(store_next(it, &r), STORE_OK);
		assert_int_equal(r.messages, 3);
		store_iter_free(it);
	}
}

static void
test_settings(void **state)
{
	struct fixture *f = *state;
	char value[64];

	created(f);
	assert_int_equal(store_get_setting(f->s, "colour", value,
			     sizeof(value)),
	    STORE_NOTFOUND);
	assert_int_equal(store_set_setting(f->s, "colour", "blue"), STORE_OK);
	assert_int_equal(store_get_setting(f->s, "colour", value,
			     sizeof(value)),
	    STORE_OK);
	assert_string_equal(value, "blue");
	assert_int_equal(store_set_setting(f->s, "colour", "it's 'red'; --"),
	    STORE_OK);
	assert_int_equal(store_get_setting(f->s, "colour", value,
			     sizeof(value)),
	    STORE_OK);
	assert_string_equal(value, "it's 'red'; --");
	assert_int_equal(store_set_setting(f->s, "colour", NULL), STORE_OK);
	assert_int_equal(store_get_setting(f->s, "colour", value,
			     sizeof(value)),
	    STORE_NOTFOUND);
	assert_int_equal(store_set_setting(f->s, "colour", NULL), STORE_OK);
	/* Settings survive a reopen. */
	assert_int_equal(store_set_setting(f->s, "k", "v"), STORE_OK);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(open_store(f, false, true, 100, &f->s), STORE_OK);
	assert_int_equal(store_get_setting(f->s, "k", value, sizeof(value)),
	    STORE_OK);
	assert_string_equal(value, "v");
}

static void
test_transaction(void **state)
{
	struct fixture *f = *state;
	struct store_address a;

	created(f);
	/* Inside the caller's transaction nothing commits on its own. */
	assert_int_equal(store_begin(f->s), STORE_OK);
	create_ok(f, NULL, NULL, 0, NOW, &a);
	create_ok(f, "x", NULL, 0, NOW, &a);
	assert_int_equal(count_all(f->s), 2);
	store_rollback(f->s);
	assert_int_equal(count_all(f->s), 0);
	/* Rolled back numbers may be drawn again: they were never seen. */
	create_ok(f, NULL, NULL, 0, NOW, &a);
	assert_int_equal(a.seq, 1);
	/* A rollback with nothing open is harmless. */
	store_rollback(f->s);
	assert_int_equal(store_begin(f->s), STORE_OK);
	create_ok(f, "y", NULL, 0, NOW, &a);
	assert_int_equal(store_commit(f->s), STORE_OK);
	assert_int_equal(count_all(f->s), 2);
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)((t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

static void
test_busy(void **state)
{
	struct fixture *f = *state;
	struct store_address a;
	struct timespec t0;
	char value[32];
	sqlite3 *other;
	long ms;

	created(f);
	create_ok(f, NULL, NULL, 0, NOW, &a);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(open_store(f, false, false, 100, &f->s), STORE_OK);

	/* Another writer holds the lock. */
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
			     NULL),
	    SQLITE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(store_create(f->s, f->t, NULL, DOMAIN, NULL, 0, NULL,
			     NOW, &a),
	    STORE_BUSY);
	ms = elapsed_ms(&t0);
	assert_true(ms >= 90);
	assert_true(ms < 5000);
	assert_non_null(strstr(store_error(f->s), "locked"));
	assert_int_equal(store_retire(f->s, 1, NULL, NOW), STORE_BUSY);
	assert_int_equal(store_set_default(f->s, 1), STORE_BUSY);
	/* Readers are not blocked (WAL). */
	assert_int_equal(count_all(f->s), 1);
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);

	/* Nothing changed, and the handle still works. */
	assert_int_equal(count_all(f->s), 1);
	assert_int_equal(store_get_setting(f->s, "next_seq", value,
			     sizeof(value)),
	    STORE_OK);
	assert_string_equal(value, "2");
	assert_int_equal(store_get_default(f->s, NOW, &a), STORE_NOTFOUND);
	assert_int_equal(store_find(f->s, "mail-0001", DOMAIN, NOW, &a),
	    STORE_NOTFOUND);
	create_ok(f, NULL, NULL, 0, NOW, &a);
	assert_int_equal(a.seq, 2);
}

static void
test_readonly(void **state)
{
	struct fixture *f = *state;
	struct store_address a, b;

	created(f);
	create_ok(f, NULL, NULL, 0, NOW, &a);
	store_close(f->s);
	f->s = NULL;
	/* Opened read-only: reads work, every write says READONLY. */
	assert_int_equal(open_store(f, false, true, 100, &f->s), STORE_OK);
	assert_int_equal(store_find(f->s, a.local, DOMAIN, NOW, &b), STORE_OK);
	assert_int_equal(store_create(f->s, f->t, NULL, DOMAIN, NULL, 0, NULL,
			     NOW, &b),
	    STORE_READONLY);
	assert_int_equal(store_retire(f->s, a.id, NULL, NOW), STORE_READONLY);
	assert_int_equal(store_set_setting(f->s, "k", "v"), STORE_READONLY);
	assert_int_equal(count_all(f->s), 1);
	store_close(f->s);
	f->s = NULL;

	/* File permissions only bind non-root users: root bypasses them,
	 * so this half runs only when the tests are not run as root. */
	if (geteuid() != 0) {
		assert_int_equal(chmod(f->path, 0400), 0);
		assert_int_equal(open_store(f, false, false, 100, &f->s),
		    STORE_OK);
		assert_int_equal(store_create(f->s, f->t, NULL, DOMAIN, NULL,
				     0, NULL, NOW, &b),
		    STORE_READONLY);
		chmod(f->path, 0600);
	}
}

static void
test_cannot_create(void **state)
{
	struct fixture *f = *state;
	char file[4200];
	FILE *fp;

	/* "sub" is a file, so no directory can be made there. */
	snprintf(file, sizeof(file), "%s/sub", f->dir);
	assert_non_null(fp = fopen(file, "w"));
	fclose(fp);
	assert_int_equal(open_store(f, true, false, 100, &f->s),
	    STORE_CANTCREATE);
	assert_null(f->s);
	assert_non_null(strstr(f->err, "cannot create"));
	unlink(file);
}

/* EXPLAIN QUERY PLAN of one prepared statement: every line, joined. */
static int
domain_rows(struct store *s, int64_t id)
{
	char sql[128];

	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM sender_domain WHERE "
	    "address = %lld",
	    (long long)id);
	return raw_int(sql_sqlite_handle(s->db), sql);
}

static int
domain_last(struct store *s, int64_t id, const char *which)
{
	char sql[128];

	snprintf(sql, sizeof(sql),
	    "SELECT %s(last) - %lld FROM sender_domain "
	    "WHERE address = %lld",
	    which, (long long)NOW, (long long)id);
	return raw_int(sql_sqlite_handle(s->db), sql);
}

static bool
domain_kept(struct store *s, int64_t id, const char *domain)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM sender_domain WHERE "
	    "address = %lld AND domain = '%s'",
	    (long long)id, domain);
	return raw_int(sql_sqlite_handle(s->db), sql) == 1;
}

/* One message from sender domain d<seq>.example at NOW + at. */
static void
count_from(struct store_count *c, int64_t id, int seq, int at)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->when = NOW + at;
	snprintf(c->sender_domain, sizeof(c->sender_domain), "d%05d.example",
	    seq);
}

struct first_domain {
	int n;
	char first[DOMAIN_MAX + 1];
};

static void
first_domain_cb(void *arg, const char *domain, int64_t count, time_t last)
{
	struct first_domain *d = arg;

	(void)count;
	(void)last;
	if (d->n++ == 0)
		snprintf(d->first, sizeof(d->first), "%s", domain);
}

/* Issue 11: 50,000 messages from 50,000 domains to one address grew its
 * rows to 50,000.  Now the 1,000 most recent are kept, in batches as the
 * counter thread writes them (one transaction a second). */
static void
test_sender_domains_bound(void **state)
{
	struct fixture *f = *state;
	struct store_address a, b, r;
	struct store_count c[500];
	struct first_domain seen = { 0, "" };
	struct timespec t0;

	created(f);
	create_ok(f, NULL, NULL, 0, NOW, &a);
	create_ok(f, NULL, NULL, 0, NOW, &b);
	for (int i = 0; i < 3; i++)
		count_from(&c[i], b.id, i, i);
	assert_int_equal(store_add_counts(f->s, c, 3), STORE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 50000; i += 500) {
		for (int j = 0; j < 500; j++)
			count_from(&c[j], a.id, i + j, i + j);
		assert_int_equal(store_add_counts(f->s, c, 500), STORE_OK);
		/* Never more than the bound between transactions. */
		assert_true(domain_rows(f->s, a.id) <= SENDER_DOMAINS_MAX);
	}
	/* Generous, for sanitizer builds; about a second otherwise. */
	assert_true(elapsed_ms(&t0) < 60000);
	assert_int_equal(domain_rows(f->s, a.id), SENDER_DOMAINS_MAX);
	assert_int_equal(domain_last(f->s, a.id, "min"), 49000);
	assert_int_equal(domain_last(f->s, a.id, "max"), 49999);
	assert_true(domain_kept(f->s, a.id, "d49000.example"));
	assert_false(domain_kept(f->s, a.id, "d48999.example"));
	assert_int_equal(domain_rows(f->s, b.id), 3);
	assert_int_equal(store_find(f->s, a.local, DOMAIN, NOW, &r), STORE_OK);
	assert_int_equal(r.messages, 50000);
	assert_int_equal(store_sender_domains(f->s, a.id, first_domain_cb,
			     &seen),
	    STORE_OK);
	assert_int_equal(seen.n, SENDER_DOMAINS_MAX);
	assert_string_equal(seen.first, "d49999.example");

	/* A kept domain writing again changes nothing but its row. */
	count_from(&c[0], a.id, 49500, 50000);
	assert_int_equal(store_add_counts(f->s, c, 1), STORE_OK);
	assert_int_equal(domain_rows(f->s, a.id), SENDER_DOMAINS_MAX);
	assert_true(domain_kept(f->s, a.id, "d49000.example"));
	/* A forgotten one is new again, and pushes out the oldest: the
	 * order is the last time seen. */
	count_from(&c[0], a.id, 0, 50001);
	assert_int_equal(store_add_counts(f->s, c, 1), STORE_OK);
	assert_int_equal(domain_rows(f->s, a.id), SENDER_DOMAINS_MAX);
	assert_true(domain_kept(f->s, a.id, "d00000.example"));
	assert_false(domain_kept(f->s, a.id, "d49000.example"));
	assert_true(domain_kept(f->s, a.id, "d49001.example"));
	/* A batch from a caller's transaction is trimmed in it. */
	assert_int_equal(store_begin(f->s), STORE_OK);
	for (int j = 0; j < 2; j++)
		count_from(&c[j], a.id, 60000 + j, 60000 + j);
	assert_int_equal(store_add_counts(f->s, c, 2), STORE_OK);
	assert_int_equal(domain_rows(f->s, a.id), SENDER_DOMAINS_MAX);
	store_rollback(f->s);
	assert_true(domain_kept(f->s, a.id, "d49001.example"));
}

/* A store written before the bound may hold any number of rows: shown
 * up to the bound, trimmed in the first transaction that counts mail to
 * the address (no migration: older aliasd and aliasctl keep working on
 * the same file). */
static void
test_sender_domains_old_store(void **state)
{
	struct fixture *f = *state;
	struct store_address a, b;
	struct store_count c;
	struct first_domain seen = { 0, "" };
	char sql[512];

	created(f);
	create_ok(f, NULL, NULL, 0, NOW, &a);
	create_ok(f, NULL, NULL, 0, NOW, &b);
	for (int k = 0; k < 2; k++) {
		snprintf(sql, sizeof(sql),
		    "WITH RECURSIVE n(i) AS (SELECT 0 "
		    "UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
		    "INSERT INTO sender_domain (address, domain, messages, "
		    "last) SELECT %lld, printf('old%%05d.example', i), 1, "
		    "%lld + i FROM n",
		    k == 0 ? 1499 : 1199, (long long)(k == 0 ? a.id : b.id),
		    (long long)NOW);
		assert_int_equal(sqlite3_exec(sql_sqlite_handle(f->s->db), sql,
				     NULL, NULL, NULL),
		    SQLITE_OK);
	}
	assert_int_equal(domain_rows(f->s, a.id), 1500);
	assert_int_equal(store_sender_domains(f->s, a.id, first_domain_cb,
			     &seen),
	    STORE_OK);
	assert_int_equal(seen.n, SENDER_DOMAINS_MAX);
	assert_string_equal(seen.first, "old01499.example");
	/* Reading writes nothing. */
	assert_int_equal(domain_rows(f->s, a.id), 1500);

	/* Any counted message trims, even one without a sender domain (a
	 * bounce). */
	memset(&c, 0, sizeof(c));
	c.id = a.id;
	c.when = NOW + 5000;
	assert_int_equal(store_add_counts(f->s, &c, 1), STORE_OK);
	assert_int_equal(domain_rows(f->s, a.id), SENDER_DOMAINS_MAX);
	assert_int_equal(domain_last(f->s, a.id, "min"), 500);
	assert_int_equal(domain_last(f->s, a.id, "max"), 1499);
	/* The address nobody wrote to is as it was, until it is. */
	assert_int_equal(domain_rows(f->s, b.id), 1200);
	c.id = b.id;
	assert_int_equal(store_add_counts(f->s, &c, 1), STORE_OK);
	assert_int_equal(domain_rows(f->s, b.id), SENDER_DOMAINS_MAX);
	assert_int_equal(domain_last(f->s, b.id, "min"), 200);
}

/* A sender domain that is not clean text never reaches the store; the
 * message is still counted. */
static void
test_counts_unclean_domain(void **state)
{
	static const char *const unclean[] = {
		"ex\xc2\x85"
		"ample.org", /* C1 NEL, as UTF-8 */
		"\x9b"
		"31m.example", /* a raw C1 byte */
		"b\xfc"
		"cher.example", /* Latin-1 */
		"x\x1b[2J.example", /* C0 */
		"\xed\xa0\x80.example", /* a surrogate */
	};
	struct fixture *f = *state;
	struct store_address a, r;
	struct store_count c[6];
	size_t n = sizeof(unclean) / sizeof(unclean[0]);

	created(f);
	create_ok(f, NULL, NULL, 0, NOW, &a);
	memset(c, 0, sizeof(c));
	for (size_t i = 0; i < n; i++) {
		c[i].id = a.id;
		c[i].when = NOW + 1;
		snprintf(c[i].sender_domain, sizeof(c[i].sender_domain), "%s",
		    unclean[i]);
	}
	count_from(&c[n], a.id, 7, 2);
	assert_int_equal(store_add_counts(f->s, c, n + 1), STORE_OK);
	assert_int_equal(store_find(f->s, a.local, DOMAIN, NOW, &r), STORE_OK);
	assert_int_equal(r.messages, (int64_t)n + 1);
	assert_int_equal(domain_rows(f->s, a.id), 1);
	assert_true(domain_kept(f->s, a.id, "d00007.example"));
}

/* The store's own guard, behind the parsers of every front end. */
static void
test_create_unclean(void **state)
{
	struct fixture *f = *state;
	struct store_address a;

	created(f);
	assert_int_equal(store_create(f->s, f->t, NULL, DOMAIN,
			     "j\xf6rg@example.org", 0, NULL, NOW, &a),
	    STORE_INVALID);
	assert_int_equal(store_create(f->s, f->t, NULL, DOMAIN,
			     "x\xc2\x85y@example.org", 0, NULL, NOW, &a),
	    STORE_INVALID);
	assert_int_equal(store_create(f->s, f->t, "bad\x1b", DOMAIN, NULL, 0,
			     NULL, NOW, &a),
	    STORE_INVALID);
	assert_int_equal(count_all(f->s), 0);
	create_ok(f, NULL, "j\xc3\xb6rg@example.org", 0, NOW, &a);
	assert_int_equal(count_all(f->s), 1);
}

static void
query_plan(struct store *s, enum stmt_id id, char *out, size_t len)
{
	char sql[2048];
	sqlite3_stmt *st;
	size_t used = 0;

	snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s",
	    store_stmt_text(id));
	assert_int_equal(sqlite3_prepare_v2(sql_sqlite_handle(s->db), sql, -1,
			     &st, NULL),
	    SQLITE_OK);
	out[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW)
		used += (size_t)snprintf(out + used, len - used, "%s\n",
		    (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
}

static void
test_index_plans(void **state)
{
	struct fixture *f = *state;
	static const enum stmt_id lookups[] = { ST_FIND, ST_FIND_GATE,
		ST_FIND_ID, ST_FIND_CORRESPONDENT, ST_FIND_LOCAL,
		ST_FIND_PREFIX, ST_SENDER_DOMAINS };
	struct store_address a;
	struct timespec t0;
	char plan[2048], corr[64], cand[256];

	created(f);
	/* Statements are prepared when first needed: every one of them
	 * must compile against the schema. */
	for (int i = 0; i < ST_MAX; i++) {
		struct sql_stmt *st;

		if (store_stmt(f->s, (enum stmt_id)i, &st) != STORE_OK)
			fail_msg("statement %d: %s", i, store_error(f->s));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(store_begin(f->s), STORE_OK);
	for (int i = 0; i < 20000; i++) {
		snprintf(corr, sizeof(corr), "c%d@example.org", i % 5000);
		create_ok(f, NULL, corr, 0, NOW + i, &a);
	}
	assert_int_equal(store_commit(f->s), STORE_OK);
	/* Generous, for sanitizer builds: at most a few ms each. */
	assert_true(elapsed_ms(&t0) < 60000);
	assert_int_equal(sqlite3_exec(sql_sqlite_handle(f->s->db), "ANALYZE",
			     NULL, NULL, NULL),
	    SQLITE_OK);

	for (size_t i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		query_plan(f->s, lookups[i], plan, sizeof(plan));
		/* Sender domains of one address are sorted in a temporary
		 * b-tree: a handful of rows, found by the primary key. */
		if (strstr(plan, "SCAN") != NULL ||
		    (lookups[i] != ST_SENDER_DOMAINS &&
			strstr(plan, "TEMP B-TREE") != NULL))
			fail_msg("statement %d scans:\n%s", (int)lookups[i],
			    plan);
		assert_non_null(strstr(plan, "SEARCH"));
	}
	query_plan(f->s, ST_FIND_PREFIX, plan, sizeof(plan));
	assert_non_null(strstr(plan, "SEARCH a USING INDEX"));
	query_plan(f->s, ST_FIND_CORRESPONDENT, plan, sizeof(plan));
	assert_non_null(strstr(plan, "address_correspondent"));

	/* And they answer right at this size. */
	assert_int_equal(store_find_correspondent(f->s, "c7@example.org",
			     NOW + 30000, &a),
	    STORE_OK);
	assert_int_equal(a.seq, 15008);
	assert_int_equal(store_resolve(f->s, "mail-12345", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_OK);
	assert_int_equal(a.seq, 12345);
	assert_int_equal(store_resolve(f->s, "mail-1234", NOW, &a, cand,
			     sizeof(cand)),
	    STORE_AMBIGUOUS);
	assert_int_equal(count_all(f->s), 20000);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_create_file),
		T(test_reopen),
		T(test_open_missing),
		T(test_open_empty_file),
		T(test_open_foreign),
		T(test_open_newer_schema),
		T(test_sequence),
		T(test_insert_raises_sequence),
		T(test_named),
		T(test_find),
		T(test_find_correspondent),
		T(test_resolve),
		T(test_resolve_many),
		T(test_retire_revive),
		T(test_default),
		T(test_list),
		T(test_list_empty),
		T(test_counts),
		T(test_counts_chunked),
		T(test_settings),
		T(test_transaction),
		T(test_busy),
		T(test_readonly),
		T(test_cannot_create),
		T(test_index_plans),
		T(test_sender_domains_bound),
		T(test_sender_domains_old_store),
		T(test_counts_unclean_domain),
		T(test_create_unclean),
	};
#undef T

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
