#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_sql.c: what the SQL driver does without a server: choosing the
 * backend by the database setting, PostgreSQL's $N placeholders from
 * the statements' ?N, and a URI's password masked for messages.
 */
#include <string.h>

#include "db/sql.h"

static const char *
pg_text(const char *text, int *n, uint64_t *used)
{
	static char out[512];

	if (sql_pg_text(text, out, sizeof(out), n, used) == -1)
		fail_msg("\"%s\" refused", text);
	return out;
}

static const char *
mask(const char *db)
{
	static char out[512];

	sql_mask(db, out, sizeof(out));
	return out;
}

static void
test_backend(void **state)
{
	(void)state;
	assert_true(sql_is_pg("postgresql:///aliasd?host=/tmp/x"));
	assert_true(sql_is_pg("postgres://u@db/aliasd"));
	assert_true(sql_is_pg("PostgreSQL://db/aliasd"));
	assert_false(sql_is_pg("/var/lib/aliasd/aliases.db"));
	assert_false(sql_is_pg("postgresql.db"));
	assert_false(sql_is_pg("./postgresql://x"));
	assert_false(sql_is_pg(NULL));
}

static void
test_placeholders(void **state)
{
	uint64_t used;
	int n;

	(void)state;
	assert_string_equal(pg_text("SELECT 1", &n, &used), "SELECT 1");
	assert_int_equal(n, 0);
	assert_string_equal(pg_text("a = ?1 AND b = ?2 OR c = ?1", &n, &used),
	    "a = $1 AND b = $2 OR c = $1");
	assert_int_equal(n, 2);
	assert_int_equal(used, 3);
	/* Two digits, and a gap: ?1 unused (the driver types it). */
	assert_string_equal(pg_text("(?2, ?10, ?15)", &n, &used),
	    "($2, $10, $15)");
	assert_int_equal(n, 15);
	assert_int_equal(used, (1u << 1) | (1u << 9) | (1u << 14));
	/* Inside quotes a ? is text; a lone ? or ?0 is left alone. */
	assert_string_equal(pg_text("'a?1' || \"b?2\" || ?3", &n, &used),
	    "'a?1' || \"b?2\" || $3");
	assert_int_equal(used, 1u << 2);
	assert_string_equal(pg_text("x ? y ?0", &n, &used), "x ? y ?0");
	assert_int_equal(n, 0);
	assert_string_equal(pg_text("'it''s ?1' = ?1", &n, &used),
	    "'it''s ?1' = $1");
}

static void
test_placeholders_refused(void **state)
{
	char out[8];
	uint64_t used;
	int n;

	(void)state;
	assert_int_equal(sql_pg_text("?65", out, sizeof(out), &n, &used), -1);
	assert_int_equal(sql_pg_text("SELECT ?1 + ?2", out, sizeof(out), &n,
			     &used),
	    -1);
	assert_int_equal(sql_pg_text("SELECT", out, sizeof(out), &n, &used),
	    0);
	assert_int_equal(sql_pg_text("SELECT 1", out, sizeof(out), &n, &used),
	    -1);
}

static void
test_mask(void **state)
{
	char small[16];

	(void)state;
	assert_string_equal(mask("/var/lib/aliasd/aliases.db"),
	    "/var/lib/aliasd/aliases.db");
	assert_string_equal(mask("postgresql:///aliasd?host=/tmp/d&port=5"),
	    "postgresql:///aliasd?host=/tmp/d&port=5");
	assert_string_equal(mask("postgresql://aliasd:s3cret@db.example/a"),
	    "postgresql://aliasd:***@db.example/a");
	assert_string_equal(
	    mask("postgres://u:p%40ss@h:5432/a?sslmode=require"),
	    "postgres://u:***@h:5432/a?sslmode=require");
	assert_string_equal(mask("postgresql://u@h/a?password=x&user=u"),
	    "postgresql://u@h/a?password=***&user=u");
	assert_string_equal(mask("postgresql:///a?user=u&password=top%20s"),
	    "postgresql:///a?user=u&password=***");
	/* A user without a password, an @ in the path: nothing to hide. */
	assert_string_equal(mask("postgresql://u@h/a"), "postgresql://u@h/a");
	assert_string_equal(mask("postgresql://h/a@b"), "postgresql://h/a@b");
	/* Cut short, never past the buffer, never the password. */
	sql_mask("postgresql://u:secretsecret@h/a", small, sizeof(small));
	assert_null(strstr(small, "secret"));
	assert_true(strlen(small) < sizeof(small));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend),
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_placeholders_refused),
		cmocka_unit_test(test_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
