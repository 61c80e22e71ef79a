/*
 * store.c: opening the store, its statements, errors, transactions and
 * settings.
 *
 * The file is created by us with open(2) before SQLite sees it, so that
 * its mode is 0600 from the first byte (SQLite gives the -wal and -shm
 * files the same mode and owner).  A PostgreSQL URI opens a connection
 * instead (db/sql_pg.c); the statements are the same.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/store_int.h"

/* The rows of a chunk of counts (COUNT_CHUNK of them): an address and
 * a time; an address, a domain and a time; the addresses alone. */
/* clang-format off */
#define ROWS_ID_AT \
	"(CAST(?1 AS BIGINT), CAST(?2 AS BIGINT)), " \
	"(CAST(?3 AS BIGINT), CAST(?4 AS BIGINT)), " \
	"(CAST(?5 AS BIGINT), CAST(?6 AS BIGINT)), " \
	"(CAST(?7 AS BIGINT), CAST(?8 AS BIGINT)), " \
	"(CAST(?9 AS BIGINT), CAST(?10 AS BIGINT)), " \
	"(CAST(?11 AS BIGINT), CAST(?12 AS BIGINT)), " \
	"(CAST(?13 AS BIGINT), CAST(?14 AS BIGINT)), " \
	"(CAST(?15 AS BIGINT), CAST(?16 AS BIGINT)), " \
	"(CAST(?17 AS BIGINT), CAST(?18 AS BIGINT)), " \
	"(CAST(?19 AS BIGINT), CAST(?20 AS BIGINT)), " \
	"(CAST(?21 AS BIGINT), CAST(?22 AS BIGINT)), " \
	"(CAST(?23 AS BIGINT), CAST(?24 AS BIGINT)), " \
	"(CAST(?25 AS BIGINT), CAST(?26 AS BIGINT)), " \
	"(CAST(?27 AS BIGINT), CAST(?28 AS BIGINT)), " \
	"(CAST(?29 AS BIGINT), CAST(?30 AS BIGINT)), " \
	"(CAST(?31 AS BIGINT), CAST(?32 AS BIGINT))"
#define ROWS_ID_DOMAIN_AT \
	"(CAST(?1 AS BIGINT), CAST(?2 AS TEXT), CAST(?3 AS BIGINT)), " \
	"(CAST(?4 AS BIGINT), CAST(?5 AS TEXT), CAST(?6 AS BIGINT)), " \
	"(CAST(?7 AS BIGINT), CAST(?8 AS TEXT), CAST(?9 AS BIGINT)), " \
	"(CAST(?10 AS BIGINT), CAST(?11 AS TEXT), CAST(?12 AS BIGINT)), " \
	"(CAST(?13 AS BIGINT), CAST(?14 AS TEXT), CAST(?15 AS BIGINT)), " \
	"(CAST(?16 AS BIGINT), CAST(?17 AS TEXT), CAST(?18 AS BIGINT)), " \
	"(CAST(?19 AS BIGINT), CAST(?20 AS TEXT), CAST(?21 AS BIGINT)), " \
	"(CAST(?22 AS BIGINT), CAST(?23 AS TEXT), CAST(?24 AS BIGINT)), " \
	"(CAST(?25 AS BIGINT), CAST(?26 AS TEXT), CAST(?27 AS BIGINT)), " \
	"(CAST(?28 AS BIGINT), CAST(?29 AS TEXT), CAST(?30 AS BIGINT)), " \
	"(CAST(?31 AS BIGINT), CAST(?32 AS TEXT), CAST(?33 AS BIGINT)), " \
	"(CAST(?34 AS BIGINT), CAST(?35 AS TEXT), CAST(?36 AS BIGINT)), " \
	"(CAST(?37 AS BIGINT), CAST(?38 AS TEXT), CAST(?39 AS BIGINT)), " \
	"(CAST(?40 AS BIGINT), CAST(?41 AS TEXT), CAST(?42 AS BIGINT)), " \
	"(CAST(?43 AS BIGINT), CAST(?44 AS TEXT), CAST(?45 AS BIGINT)), " \
	"(CAST(?46 AS BIGINT), CAST(?47 AS TEXT), CAST(?48 AS BIGINT))"
#define IDS \
	"?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, " \
	"?16"
/* clang-format on */

/* The SQL is laid out by hand: */
/* clang-format off */
static const char *const statements[ST_MAX] = {
	[ST_FIND] = "SELECT " ADDRESS_COLUMNS ADDRESS_FROM
	    "WHERE a.local = ?1 AND a.domain = ?2",
	/* ST_FIND and, in the same round trip, whether ?3 or ?4 is on
	 * the address's allow list (two probes of its primary key, as
	 * ST_ALLOW_MATCH; a NULL key matches nothing). */
	[ST_FIND_GATE] = "SELECT " ADDRESS_COLUMNS_HEAD "0" ADDRESS_COLUMNS_TAIL ", "
	    "EXISTS (SELECT 1 FROM allow WHERE address = a.id AND key = ?3) "
	    "OR EXISTS (SELECT 1 FROM allow WHERE address = a.id AND "
	    "key = ?4)" ADDRESS_FROM "WHERE a.local = ?1 AND a.domain = ?2",
	[ST_FIND_ID] = "SELECT " ADDRESS_COLUMNS ADDRESS_FROM
	    "WHERE a.id = ?1",
	/* The rows of one correspondent by its index, newest first; the
	 * live test is a few comparisons on each. */
	[ST_FIND_CORRESPONDENT] = "SELECT " ADDRESS_COLUMNS ADDRESS_FROM
	    "WHERE a.correspondent = ?1 AND " ADDRESS_LIVE " "
	    "ORDER BY a.id DESC LIMIT 1",
	[ST_FIND_LOCAL] = "SELECT " ADDRESS_COLUMNS ADDRESS_FROM
	    "WHERE a.local = ?1 ORDER BY a.domain LIMIT 6",
	/* A range on the (local, domain) index: ?2 is ?1 with its last
	 * byte raised by one. */
	[ST_FIND_PREFIX] = "SELECT " ADDRESS_COLUMNS ADDRESS_FROM
	    "WHERE a.local >= ?1 AND a.local < ?2 "
	    "ORDER BY a.local, a.domain LIMIT 6",
	/* No row back: the address is taken (and nothing failed, which
	 * in PostgreSQL would end the transaction). */
	[ST_INSERT] = "INSERT INTO address (local, domain, seq, "
	    "correspondent, state, reason, note, created, retired, expires, "
	    "lock, on_refuse, max_mails, idle, learned) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15) ON CONFLICT DO NOTHING RETURNING id",
	[ST_RETIRE] = "UPDATE address SET state = 1, reason = ?2, "
	    "retired = ?3 WHERE id = ?1",
	[ST_REVIVE] = "UPDATE address SET state = 0, reason = NULL, "
	    "retired = NULL, expires = NULL WHERE id = ?1",
	[ST_GET_SETTING] = "SELECT value FROM setting WHERE key = ?1",
	[ST_SET_SETTING] = "INSERT INTO setting (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[ST_DELETE_SETTING] = "DELETE FROM setting WHERE key = ?1",
	/* No row changed: the address was deleted meanwhile.  A CASE,
	 * not max(a, b), which PostgreSQL calls greatest(). */
	[ST_COUNT_MESSAGE] = "INSERT INTO counter (address, messages, last) "
	    "SELECT CAST(?1 AS BIGINT), 1, CAST(?2 AS BIGINT) "
	    "WHERE EXISTS (SELECT 1 FROM address WHERE id = ?1) "
	    "ON CONFLICT (address) DO UPDATE SET "
	    "messages = counter.messages + 1, last = CASE "
	    "WHEN coalesce(counter.last, 0) > excluded.last "
	    "THEN counter.last ELSE excluded.last END",
	/* A chunk of counts: rows of one address summed, those of an
	 * address deleted meanwhile (or all NULL) joining none.  "WHERE"
	 * keeps SQLite from reading ON CONFLICT as a join's ON. */
	[ST_COUNT_MESSAGES] = "INSERT INTO counter (address, messages, last) "
	    "SELECT v.column1, count(*), max(v.column2) FROM (VALUES "
	    ROWS_ID_AT ") AS v JOIN address a ON a.id = v.column1 "
	    "WHERE v.column2 IS NOT NULL GROUP BY v.column1 "
	    "ON CONFLICT (address) DO UPDATE SET "
	    "messages = counter.messages + excluded.messages, last = CASE "
	    "WHEN coalesce(counter.last, 0) > excluded.last "
	    "THEN counter.last ELSE excluded.last END",
	[ST_COUNT_DOMAINS] = "INSERT INTO sender_domain (address, domain, "
	    "messages, last) SELECT v.column1, v.column2, count(*), "
	    "max(v.column3) FROM (VALUES " ROWS_ID_DOMAIN_AT ") AS v "
	    "JOIN address a ON a.id = v.column1 "
	    "WHERE v.column2 IS NOT NULL GROUP BY v.column1, v.column2 "
	    "ON CONFLICT (address, domain) DO UPDATE SET "
	    "messages = sender_domain.messages + excluded.messages, "
	    "last = CASE WHEN coalesce(sender_domain.last, 0) > excluded.last "
	    "THEN sender_domain.last ELSE excluded.last END",
	[ST_COUNT_DOMAIN] = "INSERT INTO sender_domain (address, domain, "
	    "messages, last) VALUES (?1, ?2, 1, ?3) "
	    "ON CONFLICT (address, domain) DO UPDATE SET "
	    "messages = sender_domain.messages + 1, last = CASE "
	    "WHEN coalesce(sender_domain.last, 0) > excluded.last "
	    "THEN sender_domain.last ELSE excluded.last END",
	/* NULLS LAST: SQLite's order of NULL, said for PostgreSQL. */
	[ST_SENDER_DOMAINS] = "SELECT domain, messages, coalesce(last, 0) "
	    "FROM sender_domain WHERE address = ?1 "
	    "ORDER BY last DESC NULLS LAST, domain LIMIT ?2",
	/* Which of a chunk's addresses (NULL: none) have more than ?17
	 * sender domains: a walk of each one's entries in the primary
	 * key. */
	[ST_DOMAINS_OVER] = "SELECT address FROM sender_domain WHERE "
	    "address IN (" IDS ") GROUP BY address HAVING count(*) > ?17",
	/* All but the ?2 most recent, in the order show lists them. */
	[ST_DOMAINS_TRIM] = "DELETE FROM sender_domain WHERE address = ?1 "
	    "AND domain NOT IN (SELECT domain FROM sender_domain WHERE "
	    "address = ?1 ORDER BY last DESC NULLS LAST, domain LIMIT ?2)",
	[ST_SET_RULES] = "UPDATE address SET lock = ?2, on_refuse = ?3, "
	    "max_mails = ?4, idle = ?5 WHERE id = ?1",
	[ST_SET_NOTE] = "UPDATE address SET note = ?2 WHERE id = ?1",
	[ST_SET_EXPIRES] = "UPDATE address SET expires = ?2 WHERE id = ?1",
	/* How long the list is, and whether it holds the key already. */
	[ST_ALLOW_STATE] = "SELECT count(*), "
	    "count(CASE WHEN key = ?2 THEN 1 END) FROM allow WHERE address = ?1",
	[ST_ALLOW_ADD] = "INSERT INTO allow (address, item, key) "
	    "VALUES (?1, ?2, ?3)",
	[ST_ALLOW_REMOVE] = "DELETE FROM allow WHERE address = ?1 AND "
	    "key = ?2",
	[ST_ALLOW_LIST] = "SELECT item, key FROM allow WHERE address = ?1 "
	    "ORDER BY key LIMIT ?2",
	/* A NULL key matches nothing.  Two probes of the primary key, not
	 * "key IN (?2, ?3)": SQLite builds a temporary b-tree of an IN list
	 * at every run. */
	[ST_ALLOW_MATCH] = "SELECT 1 FROM allow WHERE address = ?1 AND "
	    "key = ?2 UNION ALL SELECT 1 FROM allow WHERE address = ?1 AND "
	    "key = ?3 LIMIT 1",
	/* The keys not there yet, never past ?3 items on the list copied
	 * to. */
	[ST_ALLOW_COPY] = "INSERT INTO allow (address, item, key) "
	    "SELECT CAST(?2 AS BIGINT), item, key FROM allow "
	    "WHERE address = ?1 AND key NOT IN "
	    "(SELECT key FROM allow WHERE address = ?2) ORDER BY key "
	    "LIMIT (SELECT CASE WHEN count(*) < ?3 THEN ?3 - count(*) "
	    "ELSE 0 END FROM allow WHERE address = ?2)",
	/* Changes a row only the first time. */
	[ST_LEARN] = "UPDATE address SET learned = 1 WHERE id = ?1 AND "
	    "learned = 0",
	[ST_LEARN_ALLOW] = "INSERT INTO allow (address, item, key) "
	    "SELECT CAST(?1 AS BIGINT), CAST(?2 AS TEXT), CAST(?2 AS TEXT) "
	    "WHERE (SELECT count(*) FROM allow WHERE address = ?1) < ?3 "
	    "ON CONFLICT DO NOTHING",
	[ST_SIGHT] = "INSERT INTO sighting (address, domain, first, last, "
	    "messages) VALUES (?1, ?2, ?3, ?3, 1) "
	    "ON CONFLICT (address, domain) DO UPDATE SET "
	    "first = CASE WHEN sighting.first < excluded.first "
	    "THEN sighting.first ELSE excluded.first END, "
	    "last = CASE WHEN sighting.last > excluded.last "
	    "THEN sighting.last ELSE excluded.last END, "
	    "messages = sighting.messages + 1",
	[ST_SIGHTS] = "INSERT INTO sighting (address, domain, first, last, "
	    "messages) SELECT v.column1, v.column2, min(v.column3), "
	    "max(v.column3), count(*) FROM (VALUES " ROWS_ID_DOMAIN_AT ") "
	    "AS v JOIN address a ON a.id = v.column1 "
	    "WHERE v.column2 IS NOT NULL GROUP BY v.column1, v.column2 "
	    "ON CONFLICT (address, domain) DO UPDATE SET "
	    "first = CASE WHEN sighting.first < excluded.first "
	    "THEN sighting.first ELSE excluded.first END, "
	    "last = CASE WHEN sighting.last > excluded.last "
	    "THEN sighting.last ELSE excluded.last END, "
	    "messages = sighting.messages + excluded.messages",
	[ST_SIGHTINGS_OVER] = "SELECT address FROM sighting WHERE "
	    "address IN (" IDS ") GROUP BY address HAVING count(*) > ?17",
	[ST_SIGHTINGS_TRIM] = "DELETE FROM sighting WHERE address = ?1 "
	    "AND domain NOT IN (SELECT domain FROM sighting WHERE "
	    "address = ?1 ORDER BY last DESC, domain LIMIT ?2)",
	[ST_SIGHTINGS] = "SELECT " ADDRESS_COLUMNS ", s.domain, s.first, "
	    "s.last, s.messages FROM sighting s "
	    "JOIN address a ON a.id = s.address "
	    "LEFT JOIN counter c ON c.address = a.id "
	    "WHERE s.last >= ?1 "
	    "ORDER BY s.last DESC, a.local, a.domain, s.domain",
};
/* clang-format on */

enum store_status
store_fail(struct store *s, enum sql_rc rc, const char *what)
{
	snprintf(s->error, sizeof(s->error), "%s: %s", what,
	    s->db != NULL ? sql_errmsg(s->db) : "no connection");
	switch (rc) {
	case SQL_BUSY:
		snprintf(s->error, sizeof(s->error),
		    "%s: the store is locked by another program", what);
		return STORE_BUSY;
	case SQL_UNAVAILABLE:
		/* aliasd answers 451 4.3.0, aliasctl exits 75, as for a
		 * store it cannot read; the next use connects again. */
		snprintf(s->error, sizeof(s->error),
		    "%s: the database server is unavailable: %s", what,
		    s->db != NULL ? sql_errmsg(s->db) : "no connection");
		return STORE_ERROR;
	case SQL_READONLY:
		return STORE_READONLY;
	case SQL_CANTOPEN:
		return STORE_CANTCREATE;
	case SQL_UNIQUE:
	case SQL_FOREIGN_KEY:
		return STORE_EXISTS;
	case SQL_NOTADB:
		/* Some other file at the store's path: a configuration
		 * error, which waiting will not cure. */
		snprintf(s->error, sizeof(s->error),
		    "%s: not an aliasd "
		    "store: the file is not an SQLite database",
		    what);
		return STORE_INVALID;
	default:
		return STORE_ERROR;
	}
}

const char *
store_error(const struct store *s)
{
	return s->error;
}

bool
store_created(const struct store *s)
{
	return s->created;
}

bool
store_is_url(const char *database)
{
	return sql_is_pg(database);
}

void
store_display_name(const char *database, char *out, size_t outlen)
{
	sql_mask(database, out, outlen);
}

int
store_library_init(void)
{
	return sql_library_init();
}

/* A statement, prepared the first time it is needed: a command runs a
 * handful of the statements, and preparing all of them at every open
 * was a tenth of the time of aliasctl new.  Kept until store_close. */
enum store_status
store_stmt(struct store *s, enum stmt_id id, struct sql_stmt **out)
{
	enum sql_rc rc;

	*out = NULL;
	/* On failure s->stmt[id] stays NULL: the next call tries again. */
	if (s->stmt[id] == NULL &&
	    (rc = sql_prepare(s->db, statements[id], &s->stmt[id])) != SQL_OK)
		return store_fail(s, rc, "cannot prepare a statement");
	sql_reset(s->stmt[id]);
	*out = s->stmt[id];
	return STORE_OK;
}

const char *
store_stmt_text(enum stmt_id id)
{
	return statements[id];
}

/* mkdir -p for the store's directory; created levels get mode 0700 and,
 * for root making the store of aliasd, the daemon's owner. */
static enum store_status
make_parent(struct store *s, const char *path, const struct store_options *o)
{
	char dir[PATH_MAX];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		goto toolong;
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return STORE_OK;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(dir, 0700) == 0) {
			if (o->uid != (uid_t)-1 && chown(dir, o->uid, o->gid))
				goto fail;
		} else if (errno != EEXIST)
			goto fail;
		*p = c;
		if (c == '\0')
			break;
	}
	return STORE_OK;
toolong:
	snprintf(s->error, sizeof(s->error), "%s: path too long", path);
	return STORE_CANTCREATE;
fail:
	snprintf(s->error, sizeof(s->error),
	    "cannot create directory %.400s: %s", dir, strerror(errno));
	return errno == EROFS || errno == EACCES ? STORE_READONLY :
						   STORE_CANTCREATE;
}

static enum store_status
make_file(struct store *s, const char *path, const struct store_options *o)
{
	enum store_status st;
	int fd;

	if ((st = make_parent(s, path, o)) != STORE_OK)
		return st;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1 && errno == EEXIST)
		return STORE_OK;
	if (fd == -1) {
		snprintf(s->error, sizeof(s->error), "cannot create %s: %s",
		    path, strerror(errno));
		return errno == EROFS || errno == EACCES ? STORE_READONLY :
							   STORE_CANTCREATE;
	}
	s->created = true;
	if (o->uid != (uid_t)-1 && fchown(fd, o->uid, o->gid) == -1) {
		snprintf(s->error, sizeof(s->error),
		    "cannot give %s to its "
		    "owner: %s",
		    path, strerror(errno));
		close(fd);
		unlink(path);
		return STORE_CANTCREATE;
	}
	close(fd);
	return STORE_OK;
}

static enum store_status
configure(struct store *s, const struct store_options *o)
{
	const char *sync = o->durable ? "PRAGMA synchronous = FULL" :
					"PRAGMA synchronous = NORMAL";
	enum sql_rc rc;

	if ((rc = sql_exec(s->db, "PRAGMA foreign_keys = ON")) != SQL_OK ||
	    (rc = sql_exec(s->db, sync)) != SQL_OK)
		return store_fail(s, rc, "cannot open the store");
	return STORE_OK;
}

/* A PostgreSQL database: the server makes it, we make its schema. */
static enum store_status
open_pg(struct store *s, const char *uri, const struct store_options *o)
{
	struct sql_open so = { .busy_ms = o->busy_ms };
	enum store_status st;
	enum sql_rc rc;

	if ((rc = sql_open_pg(uri, &so, &s->db, s->error, sizeof(s->error))) !=
	    SQL_OK)
		return STORE_ERROR;
	st = schema_check(s, (o->create || o->upgrade) && !o->readonly);
	if (st == STORE_MISSING && o->create && !o->readonly)
		st = schema_migrate(s);
	return st;
}

enum store_status
store_open(const char *path, const struct store_options *o, struct store **out,
    char *err, size_t errlen)
{
	enum store_status st = STORE_ERROR;
	struct store *s;
	struct sql_open so = { 0 };
	struct stat sb;
	enum sql_rc rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return STORE_ERROR;
	}
	if (sql_is_pg(path)) {
		if ((st = open_pg(s, path, o)) != STORE_OK)
			goto fail;
		*out = s;
		return STORE_OK;
	}
	/* Never through a link: the store's directory belongs to the
	 * daemon's user, and root may be the one opening it. */
	if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		snprintf(s->error, sizeof(s->error),
		    "%s is not a regular file "
		    "(a symbolic link?): refusing to open it as the store",
		    path);
		st = STORE_INVALID;
		goto fail;
	}
	if (o->create && !o->readonly) {
		if ((st = make_file(s, path, o)) != STORE_OK)
			goto fail;
	} else if (lstat(path, &sb) == -1) {
		snprintf(s->error, sizeof(s->error), "no store at %s: %s",
		    path,
		    errno == ENOENT ? "run aliasctl init to create it" :
				      strerror(errno));
		st = errno == ENOENT ? STORE_MISSING : STORE_ERROR;
		goto fail;
	}
	so.readonly = o->readonly;
	so.busy_ms = o->busy_ms;
	if ((rc = sql_open_sqlite(path, &so, &s->db, s->error,
		 sizeof(s->error))) != SQL_OK) {
		st = store_fail(s, rc, "cannot open the store");
		goto fail;
	}
	if ((st = configure(s, o)) != STORE_OK)
		goto fail;
	st = s->created ?
	    schema_migrate(s) :
	    schema_check(s, (o->create || o->upgrade) && !o->readonly);
	if (st == STORE_MISSING && o->create && !o->readonly)
		st = schema_migrate(s); /* an empty file left by a crash */
	if (st != STORE_OK)
		goto fail;
	*out = s;
	return STORE_OK;
fail:
	snprintf(err, errlen, "%s",
	    s->error[0] != '\0' ? s->error : "cannot open the store");
	if (s->created)
		unlink(path);
	s->created = false;
	store_close(s);
	return st;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < ST_MAX; i++)
		sql_finalize(s->stmt[i]);
	sql_close(s->db);
	free(s);
}

enum store_status
store_step_done(struct store *s, struct sql_stmt *st, const char *what)
{
	enum sql_rc rc = sql_step(st);

	sql_reset(st);
	if (rc == SQL_DONE || rc == SQL_ROW)
		return STORE_OK;
	return store_fail(s, rc, what);
}

void
store_copy_text(struct sql_stmt *st, int col, char *dst, size_t len)
{
	snprintf(dst, len, "%s", sql_column_text(st, col));
}

enum store_status
store_begin(struct store *s)
{
	enum sql_rc rc;

	if ((rc = sql_begin(s->db, true)) != SQL_OK)
		return store_fail(s, rc, "cannot lock the store");
	return STORE_OK;
}

enum store_status
store_read_begin(struct store *s, bool *own)
{
	enum sql_rc rc;

	*own = false;
	if (sql_in_txn(s->db))
		return STORE_OK;
	if ((rc = sql_begin(s->db, false)) != SQL_OK)
		return store_fail(s, rc, "cannot read the store");
	*own = true;
	return STORE_OK;
}

void
store_read_end(struct store *s, bool own)
{
	/* Nothing was written: ending it loses nothing, whichever way. */
	if (own && sql_commit(s->db) != SQL_OK)
		store_rollback(s);
}

enum store_status
store_commit(struct store *s)
{
	enum sql_rc rc;

	s->doubt = 0;
	if ((rc = sql_commit(s->db)) == SQL_OK)
		return STORE_OK;
	if (rc == SQL_INDOUBT)
		s->doubt = sql_txn_id(s->db);
	return store_fail(s, rc, "cannot write the store");
}

int64_t
store_commit_doubt(const struct store *s)
{
	return s->doubt;
}

enum store_status
store_committed(struct store *s, int64_t txn, bool *committed)
{
	enum sql_rc rc;

	if ((rc = sql_outcome(s->db, txn, committed)) != SQL_OK)
		return store_fail(s, rc,
		    "cannot learn whether a commit was done");
	return STORE_OK;
}

void
store_rollback(struct store *s)
{
	/* Should even this fail, closing the handle rolls back. */
	sql_rollback(s->db);
}

enum store_status
store_get_setting(struct store *s, const char *key, char *value,
    size_t valuelen)
{
	enum store_status result;
	struct sql_stmt *st;
	enum sql_rc rc;

	if ((result = store_stmt(s, ST_GET_SETTING, &st)) != STORE_OK)
		return result;
	result = STORE_NOTFOUND;
	sql_bind_text(st, 1, key);
	if ((rc = sql_step(st)) == SQL_ROW) {
		store_copy_text(st, 0, value, valuelen);
		result = STORE_OK;
	} else if (rc != SQL_DONE)
		result = store_fail(s, rc, "cannot read a setting");
	sql_reset(st);
	return result;
}

enum store_status
store_set_setting(struct store *s, const char *key, const char *value)
{
	enum store_status ps;
	struct sql_stmt *st;

	if (value == NULL) {
		if ((ps = store_stmt(s, ST_DELETE_SETTING, &st)) != STORE_OK)
			return ps;
		sql_bind_text(st, 1, key);
		return store_step_done(s, st, "cannot write a setting");
	}
	if ((ps = store_stmt(s, ST_SET_SETTING, &st)) != STORE_OK)
		return ps;
	sql_bind_text(st, 1, key);
	sql_bind_text(st, 2, value);
	return store_step_done(s, st, "cannot write a setting");
}

const char *
store_state_name(enum address_state state)
{
	switch (state) {
	case STATE_ACTIVE:
		return "active";
	case STATE_RETIRED:
		return "retired";
	case STATE_EXPIRED:
		return "expired";
	}
	return "unknown";
}
