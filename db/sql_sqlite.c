/*
 * sql_sqlite.c: the SQL driver over SQLite: a thin layer, SQLite's own
 * calls one for one, and its result codes said in the driver's words.
 */
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "db/sql.h"

struct lite {
	struct sql base;
	sqlite3 *db;
};

struct lite_stmt {
	struct sql_stmt base;
	sqlite3_stmt *st;
};

static enum sql_rc
lite_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
		return SQL_OK;
	case SQLITE_ROW:
		return SQL_ROW;
	case SQLITE_DONE:
		return SQL_DONE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return SQL_BUSY;
	case SQLITE_CONSTRAINT:
		return rc == SQLITE_CONSTRAINT_FOREIGNKEY ? SQL_FOREIGN_KEY :
							    SQL_UNIQUE;
	case SQLITE_READONLY:
		return SQL_READONLY;
	case SQLITE_CANTOPEN:
		return SQL_CANTOPEN;
	case SQLITE_NOTADB:
		return SQL_NOTADB;
	case SQLITE_NOMEM:
		return SQL_NOMEM;
	default:
		return SQL_ERROR;
	}
}

static sqlite3 *
db_of(struct sql *c)
{
	return ((struct lite *)(void *)c)->db;
}

static sqlite3_stmt *
st_of(struct sql_stmt *st)
{
	return ((struct lite_stmt *)(void *)st)->st;
}

static void
lite_close(struct sql *c)
{
	sqlite3_close(db_of(c));
	free(c);
}

/* Persistent: kept for the life of the connection. */
static enum sql_rc
lite_prepare(struct sql *c, const char *text, struct sql_stmt **out)
{
	struct lite_stmt *ls;
	int rc;

	*out = NULL;
	if ((ls = calloc(1, sizeof(*ls))) == NULL)
		return SQL_NOMEM;
	ls->base.conn = c;
	if ((rc = sqlite3_prepare_v3(db_of(c), text, -1,
		 SQLITE_PREPARE_PERSISTENT, &ls->st, NULL)) != SQLITE_OK) {
		free(ls);
		return lite_rc(rc);
	}
	*out = &ls->base;
	return SQL_OK;
}

static void
lite_finalize(struct sql_stmt *st)
{
	sqlite3_finalize(st_of(st));
	free(st);
}

static void
lite_reset(struct sql_stmt *st)
{
	sqlite3_reset(st_of(st));
	sqlite3_clear_bindings(st_of(st));
}

static void
lite_bind_int64(struct sql_stmt *st, int col, int64_t v)
{
	sqlite3_bind_int64(st_of(st), col, (sqlite3_int64)v);
}

/* Bound texts are the caller's until the next reset. */
static void
lite_bind_text(struct sql_stmt *st, int col, const char *v)
{
	sqlite3_bind_text(st_of(st), col, v, -1, SQLITE_STATIC);
}

static void
lite_bind_null(struct sql_stmt *st, int col)
{
	sqlite3_bind_null(st_of(st), col);
}

static enum sql_rc
lite_step(struct sql_stmt *st)
{
	return lite_rc(sqlite3_step(st_of(st)));
}

static bool
lite_column_null(struct sql_stmt *st, int col)
{
	return sqlite3_column_type(st_of(st), col) == SQLITE_NULL;
}

static int64_t
lite_column_int64(struct sql_stmt *st, int col)
{
	return sqlite3_column_int64(st_of(st), col);
}

static const char *
lite_column_text(struct sql_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st_of(st), col);

	return t != NULL ? (const char *)t : "";
}

static enum sql_rc
lite_exec(struct sql *c, const char *text)
{
	return lite_rc(sqlite3_exec(db_of(c), text, NULL, NULL, NULL));
}

/* IMMEDIATE: the write lock (and the busy wait) at the start, so that
 * what the transaction reads stays true until it commits.  A deferred
 * BEGIN for reads: one WAL snapshot from the first read to the end. */
static enum sql_rc
lite_begin(struct sql *c, bool write)
{
	return lite_exec(c, write ? "BEGIN IMMEDIATE" : "BEGIN");
}

static enum sql_rc
lite_commit(struct sql *c)
{
	return lite_exec(c, "COMMIT");
}

static enum sql_rc
lite_rollback(struct sql *c)
{
	if (sqlite3_get_autocommit(db_of(c)))
		return SQL_OK;
	return lite_exec(c, "ROLLBACK");
}

static bool
lite_in_txn(struct sql *c)
{
	return sqlite3_get_autocommit(db_of(c)) == 0;
}

static int64_t
lite_changes(struct sql *c)
{
	return sqlite3_changes(db_of(c));
}

static const char *
lite_errmsg(struct sql *c)
{
	return sqlite3_errmsg(db_of(c));
}

static const struct sql_ops lite_ops = {
	.close = lite_close,
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.reset = lite_reset,
	.bind_int64 = lite_bind_int64,
	.bind_text = lite_bind_text,
	.bind_null = lite_bind_null,
	.step = lite_step,
	.column_null = lite_column_null,
	.column_int64 = lite_column_int64,
	.column_text = lite_column_text,
	.exec = lite_exec,
	.begin = lite_begin,
	.commit = lite_commit,
	.rollback = lite_rollback,
	.in_txn = lite_in_txn,
	.changes = lite_changes,
	.errmsg = lite_errmsg,
};

enum sql_rc
sql_open_sqlite(const char *path, const struct sql_open *o, struct sql **out,
    char *err, size_t errlen)
{
	struct lite *l;
	int flags, rc;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return SQL_NOMEM;
	}
	l->base.ops = &lite_ops;
	l->base.backend = SQL_SQLITE;
	flags = (o->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
	if ((rc = sqlite3_open_v2(path, &l->db, flags, NULL)) != SQLITE_OK) {
		snprintf(err, errlen, "%s",
		    l->db != NULL ? sqlite3_errmsg(l->db) :
				    sqlite3_errstr(rc));
		sqlite3_close(l->db);
		free(l);
		return lite_rc(rc);
	}
	sqlite3_extended_result_codes(l->db, 1);
	sqlite3_busy_timeout(l->db, o->busy_ms);
	*out = &l->base;
	return SQL_OK;
}

void *
sql_sqlite_handle(struct sql *c)
{
	return c->backend == SQL_SQLITE ? db_of(c) : NULL;
}

/* SQLite's memory statistics take one global mutex on every allocation:
 * with a thread per milter connection that is contention, and nothing
 * here reads them. */
int
sql_library_init(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	return sqlite3_initialize() == SQLITE_OK ? 0 : -1;
}
