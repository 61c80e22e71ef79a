/*
 * sql.h: the store's SQL driver: one small interface over SQLite and
 * PostgreSQL (libpq), so that the rest of db/ is written once.
 *
 * A struct sql is one connection; statements are prepared on it once
 * and reused (SQLite's prepared statements, PostgreSQL's named ones).
 * Statement texts number their parameters ?1, ?2, ... in both dialects;
 * an unbound parameter is NULL.  A connection is for one thread at a
 * time, as the store handle that owns it.
 */
#ifndef ALIASD_SQL_H
#define ALIASD_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sql_backend {
	SQL_SQLITE,
	SQL_PG
};

/* What a call came to, in the same words for both backends. */
enum sql_rc {
	SQL_OK = 0,
	SQL_ROW, /* a row is there to read */
	SQL_DONE, /* no more rows */
	SQL_BUSY, /* a lock was not granted in time */
	SQL_UNAVAILABLE, /* no connection to the server */
	SQL_UNIQUE, /* a unique key or another constraint */
	SQL_FOREIGN_KEY, /* a row referred to is not there */
	SQL_READONLY, /* no right to write */
	SQL_CANTOPEN, /* the file or database cannot be opened */
	SQL_NOTADB, /* the file is not a database */
	SQL_NOMEM,
	SQL_INDOUBT, /* the connection was lost during COMMIT: whether it
		      * was done is not known (sql_outcome) */
	SQL_ERROR /* anything else */
};

struct sql;
struct sql_stmt;

/* Each backend's functions; sql.c dispatches to them. */
struct sql_ops {
	void (*close)(struct sql *);
	enum sql_rc (*prepare)(struct sql *, const char *, struct sql_stmt **);
	void (*finalize)(struct sql_stmt *);
	void (*reset)(struct sql_stmt *);
	void (*bind_int64)(struct sql_stmt *, int, int64_t);
	void (*bind_text)(struct sql_stmt *, int, const char *);
	void (*bind_null)(struct sql_stmt *, int);
	enum sql_rc (*step)(struct sql_stmt *);
	bool (*column_null)(struct sql_stmt *, int);
	int64_t (*column_int64)(struct sql_stmt *, int);
	const char *(*column_text)(struct sql_stmt *, int);
	enum sql_rc (*exec)(struct sql *, const char *);
	enum sql_rc (*begin)(struct sql *, bool write);
	enum sql_rc (*commit)(struct sql *);
	enum sql_rc (*rollback)(struct sql *);
	bool (*in_txn)(struct sql *);
	int64_t (*changes)(struct sql *);
	const char *(*errmsg)(struct sql *);
	/* PostgreSQL only (NULL for SQLite, whose commits are never in
	 * doubt): */
	int64_t (*txn_id)(struct sql *);
	enum sql_rc (*outcome)(struct sql *, int64_t, bool *);
};

/* The part of a connection and of a statement every backend shares;
 * each backend's own structures begin with it. */
struct sql {
	const struct sql_ops *ops;
	enum sql_backend backend;
};
struct sql_stmt {
	struct sql *conn;
};

/* How a connection is opened. */
struct sql_open {
	bool readonly; /* SQLite: open the file read-only */
	bool create; /* SQLite: the file may be empty (just made) */
	int busy_ms; /* wait this long for a lock */
};

/* Once, before threads start. */
int sql_library_init(void);

/* Whether a database setting names PostgreSQL (a libpq URI) rather than
 * a SQLite file. */
bool sql_is_pg(const char *database);

/* Open a SQLite file or a PostgreSQL URI.  On failure *out is NULL and
 * err holds one line (a URI in it has its password masked). */
enum sql_rc sql_open_sqlite(const char *path, const struct sql_open *,
    struct sql **out, char *err, size_t errlen);
enum sql_rc sql_open_pg(const char *uri, const struct sql_open *,
    struct sql **out, char *err, size_t errlen);
void sql_close(struct sql *);

/* The driver's own, without a server: a statement text with ?N turned
 * into $N (outside quotes), the highest N and which N are used (bit
 * N-1, N <= 64); -1 when out does not hold it. */
int sql_pg_text(const char *text, char *out, size_t outlen, int *nparams,
    uint64_t *used);
/* A database setting fit to print: the password of a URI, in its
 * user:password@ part or a password= parameter, replaced by ***. */
void sql_mask(const char *database, char *out, size_t outlen);

enum sql_rc sql_prepare(struct sql *, const char *text, struct sql_stmt **);
void sql_finalize(struct sql_stmt *);
/* Ready to run again: the last run's rows are dropped, and every
 * parameter is unbound (NULL). */
void sql_reset(struct sql_stmt *);
void sql_bind_int64(struct sql_stmt *, int col, int64_t);
void sql_bind_text(struct sql_stmt *, int col, const char *);
void sql_bind_null(struct sql_stmt *, int col);
/* Run (the first time after a reset) and move to the next row. */
enum sql_rc sql_step(struct sql_stmt *);
bool sql_column_null(struct sql_stmt *, int col);
int64_t sql_column_int64(struct sql_stmt *, int col);
/* Valid until the next step or reset; never NULL ("" for NULL). */
const char *sql_column_text(struct sql_stmt *, int col);

/* Statements without parameters or rows, several at once (schema). */
enum sql_rc sql_exec(struct sql *, const char *text);
/* write: a transaction that waits for, then excludes, every other
 * writer (SQLite BEGIN IMMEDIATE); else a read snapshot. */
enum sql_rc sql_begin(struct sql *, bool write);
enum sql_rc sql_commit(struct sql *);
enum sql_rc sql_rollback(struct sql *);
bool sql_in_txn(struct sql *);
/* The server's id of the write transaction open or last ended, or 0
 * (SQLite; a read).  After a commit came to SQL_INDOUBT, keep it, and
 * ask sql_outcome, on this connection or another, whether that
 * transaction committed: SQL_OK and *committed; SQL_UNAVAILABLE while
 * the server cannot be reached, SQL_BUSY while the transaction is
 * still running (ask again later). */
int64_t sql_txn_id(struct sql *);
enum sql_rc sql_outcome(struct sql *, int64_t txn, bool *committed);
/* Rows changed by the last INSERT, UPDATE or DELETE. */
int64_t sql_changes(struct sql *);
const char *sql_errmsg(struct sql *);
enum sql_backend sql_backend(const struct sql *);
/* The sqlite3 handle of a SQLite connection (NULL for another), for
 * tests that look into the file themselves. */
void *sql_sqlite_handle(struct sql *);

#endif
