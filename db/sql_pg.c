/*
 * sql_pg.c: the SQL driver over PostgreSQL (libpq).
 *
 * Statements are named prepared statements, prepared on the connection
 * the first time they run and again after a reconnection.  Parameters
 * travel as text and rows come back as text: the server converts, and
 * the store's values are integers and UTF-8 text.
 *
 * Writers: a write transaction takes one transaction-level advisory
 * lock, the same for every aliasd and aliasctl on the database, so that
 * writers follow one another as SQLite's BEGIN IMMEDIATE makes them:
 * what a transaction reads before it writes (the next sequence number,
 * the length of an allow list) stays true until it commits, and no
 * statement of it can fail later for a conflict.  Readers never wait
 * for it.  lock_timeout bounds the wait, as SQLite's busy timeout does.
 *
 * A connection that was lost is made again on the next use outside a
 * transaction (its statements are prepared anew), and a BEGIN or a
 * SELECT that found it lost is sent again once on the new one; inside a
 * transaction, the transaction is gone and every statement fails until
 * it is ended.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/libpq.h"
#include "db/sql.h"

/* pg_advisory_xact_lock's key for writers: "alia", as SQLite's
 * application_id. */
#define WRITER_LOCK "1634494817"
/* PostgreSQL's type oid of text, for a parameter no clause types. */
#define TEXT_OID 25

/* libpq's functions, loaded by the first sql_open_pg (libpq.h). */
static const struct libpq *pq;

struct pg {
	struct sql base;
	PGconn *conn;
	unsigned gen; /* counts connections: statements prepared on an
			 * older one are prepared again */
	unsigned names; /* statements named so far */
	bool txn; /* a transaction of ours is open */
	int64_t xid; /* the write transaction's id (txid_current), or 0 */
	int busy_ms;
	int64_t changes;
	char error[512];
};

struct pg_stmt {
	struct sql_stmt base;
	char *text; /* with $N */
	char name[24];
	unsigned gen; /* 0: not prepared on this connection */
	int nparams;
	uint64_t used;
	bool reads_only; /* a SELECT: may be sent again */
	const char **values;
	char (*num)[24]; /* integers bound, as text */
	PGresult *res;
	int row, nrows;
	bool ran;
};

static struct pg *
pg_of(struct sql *c)
{
	return (struct pg *)(void *)c;
}

static struct pg_stmt *
pst_of(struct sql_stmt *st)
{
	return (struct pg_stmt *)(void *)st;
}

/* The first line of a libpq message, without "ERROR:  " and the like. */
static void
set_error(struct pg *p, const char *msg)
{
	const char *m = msg != NULL && msg[0] != '\0' ? msg : "unknown error";

	snprintf(p->error, sizeof(p->error), "%.*s", (int)strcspn(m, "\n"), m);
}

static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The session's settings, after each connection. */
static enum sql_rc
session(struct pg *p)
{
	char sql[64];
	PGresult *r;
	bool ok;

	pq->PQsetNoticeProcessor(p->conn, quiet, NULL);
	/* sql-lint: constant: busy_ms is an int of the program's own */
	snprintf(sql, sizeof(sql), "SET lock_timeout = %d",
	    p->busy_ms > 0 ? p->busy_ms : 1);
	r = pq->PQexec(p->conn, sql);
	ok = pq->PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		set_error(p, pq->PQerrorMessage(p->conn));
	pq->PQclear(r);
	return ok ? SQL_OK : SQL_UNAVAILABLE;
}

/* A lost connection is made again, unless a transaction was open on
 * it: its work is gone, and statements that follow must not run
 * outside it. */
static enum sql_rc
ensure(struct pg *p)
{
	if (pq->PQstatus(p->conn) == CONNECTION_OK)
		return SQL_OK;
	if (p->txn) {
		set_error(p,
		    "the connection to the server was lost in a "
		    "transaction");
		return SQL_UNAVAILABLE;
	}
	pq->PQreset(p->conn);
	if (pq->PQstatus(p->conn) != CONNECTION_OK) {
		set_error(p, pq->PQerrorMessage(p->conn));
		return SQL_UNAVAILABLE;
	}
	p->gen++;
	return session(p);
}

static bool
state_is(const char *state, const char *prefix)
{
	return state != NULL && strncmp(state, prefix, strlen(prefix)) == 0;
}

/* A failed result in the driver's words; the message kept. */
static enum sql_rc
pg_fail(struct pg *p, const PGresult *r)
{
	const char *state = r != NULL ?
	    pq->PQresultErrorField(r, PG_DIAG_SQLSTATE) :
	    NULL;
	const char *msg = r != NULL ?
	    pq->PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;

	set_error(p, msg != NULL ? msg : pq->PQerrorMessage(p->conn));
	if (pq->PQstatus(p->conn) != CONNECTION_OK || state_is(state, "08") ||
	    state_is(state, "57P") || state_is(state, "53300"))
		return SQL_UNAVAILABLE;
	if (state_is(state, "55P03") || state_is(state, "40P01") ||
	    state_is(state, "40001") || state_is(state, "57014"))
		return SQL_BUSY;
	if (state_is(state, "23503"))
		return SQL_FOREIGN_KEY;
	if (state_is(state, "23"))
		return SQL_UNIQUE;
	if (state_is(state, "25006") || state_is(state, "42501"))
		return SQL_READONLY;
	if (state_is(state, "3D000"))
		return SQL_CANTOPEN;
	return SQL_ERROR;
}

/* Run text as a simple query (several statements at once). */
static enum sql_rc
run(struct pg *p, const char *text)
{
	enum sql_rc rc = SQL_OK;
	PGresult *r;

	r = pq->PQexec(p->conn, text);
	switch (pq->PQresultStatus(r)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		break;
	default:
		rc = pg_fail(p, r);
	}
	pq->PQclear(r);
	return rc;
}

static void
pg_close(struct sql *c)
{
	pq->PQfinish(pg_of(c)->conn);
	free(c);
}

static enum sql_rc
pg_prepare(struct sql *c, const char *text, struct sql_stmt **out)
{
	struct pg *p = pg_of(c);
	struct pg_stmt *ps;
	size_t len = strlen(text) * 2 + 1;

	*out = NULL;
	if ((ps = calloc(1, sizeof(*ps))) == NULL ||
	    (ps->text = malloc(len)) == NULL)
		goto nomem;
	ps->base.conn = c;
	if (sql_pg_text(text, ps->text, len, &ps->nparams, &ps->used) == -1) {
		set_error(p, "a statement has a bad parameter number");
		free(ps->text);
		free(ps);
		return SQL_ERROR;
	}
	if (ps->nparams > 0 &&
	    ((ps->values = calloc((size_t)ps->nparams, sizeof(*ps->values))) ==
		    NULL ||
		(ps->num = calloc((size_t)ps->nparams, sizeof(*ps->num))) ==
		    NULL))
		goto nomem;
	ps->reads_only = strncmp(text, "SELECT ", 7) == 0;
	snprintf(ps->name, sizeof(ps->name), "s%u", ++p->names);
	*out = &ps->base;
	return SQL_OK;
nomem:
	if (ps != NULL) {
		free(ps->values);
		free(ps->text);
		free(ps);
	}
	set_error(p, "out of memory");
	return SQL_NOMEM;
}

static void
pg_reset(struct sql_stmt *st)
{
	struct pg_stmt *ps = pst_of(st);

	pq->PQclear(ps->res);
	ps->res = NULL;
	ps->ran = false;
	ps->row = ps->nrows = 0;
	for (int i = 0; i < ps->nparams; i++)
		ps->values[i] = NULL;
}

static void
pg_finalize(struct sql_stmt *st)
{
	struct pg_stmt *ps = pst_of(st);
	struct pg *p = pg_of(st->conn);
	char sql[64];
	PGresult *r;

	pg_reset(st);
	/* A list's statement is prepared per list: let the server forget
	 * it.  One of the store's lives as long as the connection. */
	if (ps->gen == p->gen && pq->PQstatus(p->conn) == CONNECTION_OK &&
	    !p->txn) {
		/* sql-lint: constant: the name is ours, "s" and a number */
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", ps->name);
		r = pq->PQexec(p->conn, sql);
		pq->PQclear(r);
	}
	free(ps->values);
	free(ps->num);
	free(ps->text);
	free(ps);
}

static void
pg_bind_int64(struct sql_stmt *st, int col, int64_t v)
{
	struct pg_stmt *ps = pst_of(st);

	if (col < 1 || col > ps->nparams)
		return;
	snprintf(ps->num[col - 1], sizeof(ps->num[col - 1]), "%lld",
	    (long long)v);
	ps->values[col - 1] = ps->num[col - 1];
}

static void
pg_bind_text(struct sql_stmt *st, int col, const char *v)
{
	struct pg_stmt *ps = pst_of(st);

	if (col >= 1 && col <= ps->nparams)
		ps->values[col - 1] = v;
}

static void
pg_bind_null(struct sql_stmt *st, int col)
{
	struct pg_stmt *ps = pst_of(st);

	if (col >= 1 && col <= ps->nparams)
		ps->values[col - 1] = NULL;
}

/* Prepared on this connection, with a type for each number that no
 * clause of the text types (?2 used without ?1). */
static enum sql_rc
prepared(struct pg *p, struct pg_stmt *ps)
{
	Oid types[64] = { 0 };
	enum sql_rc rc = SQL_OK;
	PGresult *r;

	if (ps->gen == p->gen)
		return SQL_OK;
	for (int i = 0; i < ps->nparams; i++)
		if ((ps->used & (UINT64_C(1) << i)) == 0)
			types[i] = TEXT_OID;
	r = pq->PQprepare(p->conn, ps->name, ps->text, ps->nparams, types);
	if (pq->PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(p, r);
	else
		ps->gen = p->gen;
	pq->PQclear(r);
	return rc;
}

static enum sql_rc
execute_once(struct pg *p, struct pg_stmt *ps)
{
	enum sql_rc rc;

	if ((rc = ensure(p)) != SQL_OK || (rc = prepared(p, ps)) != SQL_OK)
		return rc;
	ps->res = pq->PQexecPrepared(p->conn, ps->name, ps->nparams,
	    ps->values, NULL, NULL, 0);
	switch (pq->PQresultStatus(ps->res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		p->changes = strtoll(pq->PQcmdTuples(ps->res), NULL, 10);
		ps->nrows = pq->PQntuples(ps->res);
		ps->row = -1;
		ps->ran = true;
		return SQL_OK;
	default:
		rc = pg_fail(p, ps->res);
		pq->PQclear(ps->res);
		ps->res = NULL;
		return rc;
	}
}

/* A connection that died while idle (the server restarted) is found
 * out by the first statement sent on it.  Outside a transaction a
 * SELECT, which changes nothing whether or not it ran, is sent once
 * more on a new connection; a write might have been done, and is not. */
static enum sql_rc
execute(struct pg *p, struct pg_stmt *ps)
{
	enum sql_rc rc = execute_once(p, ps);

	if (rc == SQL_UNAVAILABLE && !p->txn && ps->reads_only &&
	    pq->PQstatus(p->conn) != CONNECTION_OK)
		rc = execute_once(p, ps);
	return rc;
}

static enum sql_rc
pg_step(struct sql_stmt *st)
{
	struct pg_stmt *ps = pst_of(st);
	enum sql_rc rc;

	if (!ps->ran && ps->res == NULL &&
	    (rc = execute(pg_of(st->conn), ps)) != SQL_OK)
		return rc;
	if (ps->row < ps->nrows)
		ps->row++;
	return ps->row < ps->nrows ? SQL_ROW : SQL_DONE;
}

static bool
pg_column_null(struct sql_stmt *st, int col)
{
	struct pg_stmt *ps = pst_of(st);

	if (ps->res == NULL || ps->row < 0 || ps->row >= ps->nrows)
		return true;
	return pq->PQgetisnull(ps->res, ps->row, col) != 0;
}

static const char *
pg_column_text(struct sql_stmt *st, int col)
{
	struct pg_stmt *ps = pst_of(st);

	if (pg_column_null(st, col))
		return "";
	return pq->PQgetvalue(ps->res, ps->row, col);
}

/* Booleans, should a statement hand one back, count as 1 and 0. */
static int64_t
pg_column_int64(struct sql_stmt *st, int col)
{
	const char *t = pg_column_text(st, col);

	if (t[0] == 't')
		return 1;
	return strtoll(t, NULL, 10);
}

static enum sql_rc
pg_exec(struct sql *c, const char *text)
{
	struct pg *p = pg_of(c);
	enum sql_rc rc;

	if ((rc = ensure(p)) != SQL_OK)
		return rc;
	return run(p, text);
}

/* A writer's begin learns its transaction's id too, in the same round
 * trip: should the connection be lost during its COMMIT, the server can
 * be asked afterwards whether it committed (pg_outcome). */
static enum sql_rc
begin_once(struct pg *p, bool write)
{
	enum sql_rc rc = SQL_OK;
	PGresult *r;

	p->xid = 0;
	if ((rc = ensure(p)) != SQL_OK)
		return rc;
	if (!write)
		rc = run(p,
		    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
	else {
		r = pq->PQexec(p->conn,
		    "BEGIN; SELECT pg_advisory_xact_lock(" WRITER_LOCK
		    "), txid_current()");
		if (pq->PQresultStatus(r) == PGRES_TUPLES_OK &&
		    pq->PQntuples(r) == 1)
			p->xid = strtoll(pq->PQgetvalue(r, 0, 1), NULL, 10);
		else
			rc = pg_fail(p, r);
		pq->PQclear(r);
	}
	if (rc == SQL_OK)
		p->txn = true;
	else if (pq->PQstatus(p->conn) == CONNECTION_OK &&
	    pq->PQtransactionStatus(p->conn) != PQTRANS_IDLE)
		pq->PQclear(pq->PQexec(p->conn, "ROLLBACK"));
	return rc;
}

/* Begin, which has done nothing yet, is tried once more on a new
 * connection, as a SELECT is (execute). */
static enum sql_rc
pg_begin(struct sql *c, bool write)
{
	struct pg *p = pg_of(c);
	enum sql_rc rc;

	if ((rc = begin_once(p, write)) == SQL_UNAVAILABLE)
		rc = begin_once(p, write);
	return rc;
}

static enum sql_rc
pg_commit(struct sql *c)
{
	struct pg *p = pg_of(c);
	enum sql_rc rc;

	if (pq->PQstatus(p->conn) != CONNECTION_OK) {
		p->txn = false;
		set_error(p,
		    "the connection to the server was lost before "
		    "the commit");
		return SQL_UNAVAILABLE;
	}
	/* COMMIT of a failed transaction rolls it back and says so only
	 * in its command tag. */
	if (pq->PQtransactionStatus(p->conn) == PQTRANS_INERROR) {
		pq->PQclear(pq->PQexec(p->conn, "ROLLBACK"));
		p->txn = false;
		set_error(p, "the transaction failed and was rolled back");
		return SQL_ERROR;
	}
	rc = run(p, "COMMIT");
	p->txn = false;
	/* Sent, and no answer: the server may have committed before the
	 * connection went. */
	if (rc == SQL_UNAVAILABLE && p->xid != 0 &&
	    pq->PQstatus(p->conn) != CONNECTION_OK) {
		set_error(p,
		    "the connection to the server was lost during the "
		    "commit, which may or may not have been done");
		return SQL_INDOUBT;
	}
	return rc;
}

static enum sql_rc
pg_rollback(struct sql *c)
{
	struct pg *p = pg_of(c);
	enum sql_rc rc = SQL_OK;

	if (pq->PQstatus(p->conn) == CONNECTION_OK &&
	    pq->PQtransactionStatus(p->conn) != PQTRANS_IDLE)
		rc = run(p, "ROLLBACK");
	p->txn = false;
	return rc;
}

static bool
pg_in_txn(struct sql *c)
{
	struct pg *p = pg_of(c);

	if (p->txn)
		return true;
	switch (pq->PQtransactionStatus(p->conn)) {
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR:
	case PQTRANS_ACTIVE:
		return true;
	default:
		return false;
	}
}

static int64_t
pg_txn_id(struct sql *c)
{
	return pg_of(c)->xid;
}

/*
 * Whether transaction xid committed, from the server's commit log.  A
 * server that does not know it (too old to be kept, or a newer primary
 * that never had it) has not committed it here: it is written again.
 */
static enum sql_rc
pg_outcome(struct sql *c, int64_t xid, bool *committed)
{
	struct pg *p = pg_of(c);
	char id[24];
	const char *values[1] = { id };
	const char *status;
	enum sql_rc rc;
	PGresult *r;

	*committed = false;
	if (p->txn) {
		set_error(p, "asked for an outcome inside a transaction");
		return SQL_ERROR;
	}
	if ((rc = ensure(p)) != SQL_OK)
		return rc;
	snprintf(id, sizeof(id), "%lld", (long long)xid);
	r = pq->PQexecParams(p->conn, "SELECT txid_status(CAST($1 AS BIGINT))",
	    1, NULL, values, NULL, NULL, 0);
	if (pq->PQresultStatus(r) != PGRES_TUPLES_OK ||
	    pq->PQntuples(r) != 1) {
		rc = pg_fail(p, r);
		pq->PQclear(r);
		return rc == SQL_UNAVAILABLE || rc == SQL_BUSY ? rc : SQL_OK;
	}
	status = pq->PQgetisnull(r, 0, 0) ? "" : pq->PQgetvalue(r, 0, 0);
	if (strcmp(status, "in progress") == 0) {
		set_error(p, "the transaction is still running");
		rc = SQL_BUSY;
	} else
		*committed = strcmp(status, "committed") == 0;
	pq->PQclear(r);
	return rc;
}

static int64_t
pg_changes(struct sql *c)
{
	return pg_of(c)->changes;
}

static const char *
pg_errmsg(struct sql *c)
{
	return pg_of(c)->error;
}

static const struct sql_ops pg_ops = {
	.close = pg_close,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.column_null = pg_column_null,
	.column_int64 = pg_column_int64,
	.column_text = pg_column_text,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.in_txn = pg_in_txn,
	.changes = pg_changes,
	.errmsg = pg_errmsg,
	.txn_id = pg_txn_id,
	.outcome = pg_outcome,
};

enum sql_rc
sql_open_pg(const char *uri, const struct sql_open *o, struct sql **out,
    char *err, size_t errlen)
{
	/* Ours first: the URI's own settings come later and win. */
	const char *const keys[] = { "connect_timeout", "application_name",
		"client_encoding", "dbname", NULL };
	const char *const values[] = { "10", "aliasd", "UTF8", uri, NULL };
	char shown[512];
	struct pg *p;
	enum sql_rc rc;

	*out = NULL;
	if ((pq = libpq_load(err, errlen)) == NULL)
		return SQL_CANTOPEN;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return SQL_NOMEM;
	}
	p->base.ops = &pg_ops;
	p->base.backend = SQL_PG;
	p->busy_ms = o->busy_ms;
	p->gen = 1;
	p->conn = pq->PQconnectdbParams(keys, values, 1);
	if (p->conn == NULL || pq->PQstatus(p->conn) != CONNECTION_OK) {
		sql_mask(uri, shown, sizeof(shown));
		set_error(p,
		    p->conn != NULL ? pq->PQerrorMessage(p->conn) :
				      "out of memory");
		snprintf(err, errlen, "cannot connect to %s: %s", shown,
		    p->error);
		rc = p->conn == NULL ? SQL_NOMEM : SQL_UNAVAILABLE;
		pq->PQfinish(p->conn);
		free(p);
		return rc;
	}
	if ((rc = session(p)) != SQL_OK) {
		snprintf(err, errlen, "%s", p->error);
		pq->PQfinish(p->conn);
		free(p);
		return rc;
	}
	*out = (struct sql *)(void *)p;
	return SQL_OK;
}
