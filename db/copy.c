/*
 * copy.c: copying a whole store into an empty one (aliasctl copy-store),
 * SQLite to PostgreSQL or back: every address with its id, counter,
 * sender domain, allow-list item, sighting and setting.
 *
 * One read snapshot of the source, one write transaction on the
 * destination: a copy is whole or not there at all.
 */
#include <stdio.h>
#include <string.h>

#include "db/store_int.h"

/* Each table: its name, what to read, what to write, and each column's
 * kind (i: integer, t: text), in the order of both; parents first, for
 * the foreign keys. */
/* clang-format off */
static const char *const names[] = {
	"address", "counter", "sender_domain", "allow", "sighting", "setting",
};
static const char *const reads[] = {
	"SELECT id, local, domain, seq, correspondent, state, reason, "
	"note, created, retired, expires, lock, on_refuse, max_mails, "
	"idle, learned FROM address ORDER BY id",
	"SELECT address, messages, last FROM counter ORDER BY address",
	"SELECT address, domain, messages, last FROM sender_domain "
	"ORDER BY address, domain",
	"SELECT address, item, key FROM allow ORDER BY address, key",
	"SELECT address, domain, first, last, messages FROM sighting "
	"ORDER BY address, domain",
	"SELECT key, value FROM setting ORDER BY key",
};
static const char *const writes[] = {
	"INSERT INTO address (id, local, domain, seq, correspondent, "
	"state, reason, note, created, retired, expires, lock, on_refuse, "
	"max_mails, idle, learned) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	"?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
	"INSERT INTO counter (address, messages, last) VALUES (?1, ?2, ?3)",
	"INSERT INTO sender_domain (address, domain, messages, last) "
	"VALUES (?1, ?2, ?3, ?4)",
	"INSERT INTO allow (address, item, key) VALUES (?1, ?2, ?3)",
	"INSERT INTO sighting (address, domain, first, last, messages) "
	"VALUES (?1, ?2, ?3, ?4, ?5)",
	/* init may have written some already: the source's win. */
	"INSERT INTO setting (key, value) VALUES (?1, ?2) "
	"ON CONFLICT (key) DO UPDATE SET value = excluded.value",
};
static const char *const kinds[] = {
	"itti" "titt" "iiii" "iiii", "iii", "itii", "itt", "itiii", "tt",
};

/* Where the two dialects differ, side by side: after rows with ids of
 * their own, PostgreSQL's identity column must be told to go on past
 * them (SQLite takes the largest id plus one by itself). */
static const char *const after_copy[] = {
	[SQL_SQLITE] = NULL,
	[SQL_PG] = "SELECT setval(pg_get_serial_sequence('address', 'id'), "
	    "(SELECT coalesce(max(id), 0) + 1 FROM address), false)",
};
/* clang-format on */

#define NTABLES (sizeof(names) / sizeof(names[0]))

/* Copy one table's rows; *rows counts them. */
static enum store_status
copy_table(struct store *from, struct store *to, size_t t, int64_t *rows)
{
	struct sql_stmt *rd = NULL, *wr = NULL;
	enum store_status st = STORE_OK;
	enum sql_rc rc;
	int n = (int)strlen(kinds[t]);

	if ((rc = sql_prepare(from->db, reads[t], &rd)) != SQL_OK)
		return store_fail(from, rc, "cannot read the store copied");
	if ((rc = sql_prepare(to->db, writes[t], &wr)) != SQL_OK) {
		sql_finalize(rd);
		return store_fail(to, rc, "cannot write the copy");
	}
	while (st == STORE_OK && (rc = sql_step(rd)) == SQL_ROW) {
		sql_reset(wr);
		for (int i = 0; i < n; i++) {
			if (sql_column_null(rd, i))
				sql_bind_null(wr, i + 1);
			else if (kinds[t][i] == 'i')
				sql_bind_int64(wr, i + 1,
				    sql_column_int64(rd, i));
			else
				sql_bind_text(wr, i + 1,
				    sql_column_text(rd, i));
		}
		if ((rc = sql_step(wr)) != SQL_DONE) {
			st = store_fail(to, rc, "cannot write the copy");
			snprintf(to->error + strlen(to->error),
			    sizeof(to->error) - strlen(to->error), " (%s)",
			    names[t]);
		} else
			(*rows)++;
	}
	if (st == STORE_OK && rc != SQL_DONE)
		st = store_fail(from, rc, "cannot read the store copied");
	sql_finalize(wr);
	sql_finalize(rd);
	return st;
}

static enum store_status
copy_all(struct store *from, struct store *to, int64_t *rows)
{
	enum sql_backend b;
	const char *fix;
	enum store_status st;
	int64_t n = 0;
	struct sql_stmt *q;
	enum sql_rc rc;

	/* Empty, or made by init with no address yet. */
	if ((rc = sql_prepare(to->db, "SELECT count(*) FROM address", &q)) !=
	    SQL_OK)
		return store_fail(to, rc, "cannot read the store copied to");
	if ((rc = sql_step(q)) == SQL_ROW)
		n = sql_column_int64(q, 0);
	sql_finalize(q);
	if (rc != SQL_ROW)
		return store_fail(to, rc, "cannot read the store copied to");
	if (n > 0) {
		snprintf(to->error, sizeof(to->error),
		    "the store copied to holds %lld addresses: copy only "
		    "into a new or empty store",
		    (long long)n);
		return STORE_EXISTS;
	}
	for (size_t i = 0; i < NTABLES; i++)
		if ((st = copy_table(from, to, i, rows)) != STORE_OK)
			return st;
	b = sql_backend(to->db);
	fix = after_copy[b];
	if (fix != NULL) {
		/* sql-lint: constant: after_copy[] holds literals, NULL */
		if ((rc = sql_prepare(to->db, after_copy[b], &q)) != SQL_OK)
			return store_fail(to, rc, "cannot write the copy");
		rc = sql_step(q);
		sql_finalize(q);
		if (rc != SQL_ROW && rc != SQL_DONE)
			return store_fail(to, rc, "cannot write the copy");
	}
	return STORE_OK;
}

enum store_status
store_copy(struct store *from, struct store *to, int64_t *rows, char *err,
    size_t errlen)
{
	enum store_status st;
	bool own;

	*rows = 0;
	if ((st = store_read_begin(from, &own)) != STORE_OK) {
		snprintf(err, errlen, "%s", store_error(from));
		return st;
	}
	if ((st = store_begin(to)) != STORE_OK) {
		snprintf(err, errlen, "%s", store_error(to));
		store_read_end(from, own);
		return st;
	}
	/* The error is the store's that failed: both are cleared first. */
	from->error[0] = to->error[0] = '\0';
	st = copy_all(from, to, rows);
	if (st == STORE_OK)
		st = store_commit(to);
	if (st != STORE_OK) {
		snprintf(err, errlen, "%s",
		    to->error[0] != '\0' ? to->error : from->error);
		store_rollback(to);
		*rows = 0;
	}
	store_read_end(from, own);
	return st;
}
