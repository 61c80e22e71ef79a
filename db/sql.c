/*
 * sql.c: what the SQL driver does the same for both backends: choosing
 * one, dispatching to it, the placeholders of PostgreSQL's statements
 * and masking a password in a URI.  No library of either backend here,
 * so that test_sql runs without a server.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "db/sql.h"

bool
sql_is_pg(const char *database)
{
	return database != NULL &&
	    (strncasecmp(database, "postgresql://", 13) == 0 ||
		strncasecmp(database, "postgres://", 11) == 0);
}

/* Append one byte, keeping room for the terminator. */
static int
put(char *out, size_t outlen, size_t *n, char c)
{
	if (*n + 1 >= outlen)
		return -1;
	out[(*n)++] = c;
	return 0;
}

int
sql_pg_text(const char *text, char *out, size_t outlen, int *nparams,
    uint64_t *used)
{
	size_t n = 0;
	char quote = 0;

	*nparams = 0;
	*used = 0;
	if (outlen == 0)
		return -1;
	for (const char *p = text; *p != '\0'; p++) {
		/* '...' and "..." run to the same quote; a doubled quote
		 * inside ends and reopens them, which comes to the same. */
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"')
			quote = *p;
		else if (*p == '?' && p[1] >= '1' && p[1] <= '9') {
			int v = 0;

			while (p[1] >= '0' && p[1] <= '9' && v < 1000)
				v = v * 10 + (*++p - '0');
			if (v > 64 || v < 1)
				return -1;
			if (v > *nparams)
				*nparams = v;
			*used |= UINT64_C(1) << (v - 1);
			int w = snprintf(out + n, outlen - n, "$%d", v);

			if (w < 0 || (size_t)w >= outlen - n)
				return -1;
			n += (size_t)w;
			continue;
		}
		if (put(out, outlen, &n, *p) == -1)
			return -1;
	}
	out[n] = '\0';
	return 0;
}

/* The end of a URI's user:password@ part: its '@' before the host, or
 * NULL when there is none. */
static const char *
userinfo_end(const char *rest)
{
	size_t hostpart = strcspn(rest, "/?#");
	const char *at = NULL;

	for (size_t i = 0; i < hostpart; i++)
		if (rest[i] == '@')
			at = rest + i;
	return at;
}

void
sql_mask(const char *database, char *out, size_t outlen)
{
	const char *scheme, *at, *colon, *p;
	size_t n = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (!sql_is_pg(database)) {
		snprintf(out, outlen, "%s", database);
		return;
	}
	scheme = strstr(database, "://") + 3;
	at = userinfo_end(scheme);
	colon = at != NULL ? memchr(scheme, ':', (size_t)(at - scheme)) : NULL;
	for (p = database; *p != '\0' && n + 1 < outlen; p++) {
		if (colon != NULL && p == colon + 1) {
			n += (size_t)snprintf(out + n, outlen - n, "***");
			if (n >= outlen) {
				n = outlen - 1;
				break;
			}
			p = at - 1;
			continue;
		}
		/* password=... among the parameters, up to the next &. */
		if ((p == database || p[-1] == '?' || p[-1] == '&') &&
		    strncasecmp(p, "password=", 9) == 0 &&
		    (at == NULL || p > at)) {
			n += (size_t)snprintf(out + n, outlen - n, "%.9s***",
			    p);
			if (n >= outlen) {
				n = outlen - 1;
				break;
			}
			p += strcspn(p, "&#") - 1;
			continue;
		}
		out[n++] = *p;
	}
	out[n] = '\0';
}

enum sql_rc
sql_prepare(struct sql *c, const char *text, struct sql_stmt **out)
{
	return c->ops->prepare(c, text, out);
}

void
sql_finalize(struct sql_stmt *st)
{
	if (st != NULL)
		st->conn->ops->finalize(st);
}

void
sql_reset(struct sql_stmt *st)
{
	st->conn->ops->reset(st);
}

void
sql_bind_int64(struct sql_stmt *st, int col, int64_t v)
{
	st->conn->ops->bind_int64(st, col, v);
}

void
sql_bind_text(struct sql_stmt *st, int col, const char *v)
{
	st->conn->ops->bind_text(st, col, v);
}

void
sql_bind_null(struct sql_stmt *st, int col)
{
	st->conn->ops->bind_null(st, col);
}

enum sql_rc
sql_step(struct sql_stmt *st)
{
	return st->conn->ops->step(st);
}

bool
sql_column_null(struct sql_stmt *st, int col)
{
	return st->conn->ops->column_null(st, col);
}

int64_t
sql_column_int64(struct sql_stmt *st, int col)
{
	return st->conn->ops->column_int64(st, col);
}

const char *
sql_column_text(struct sql_stmt *st, int col)
{
	return st->conn->ops->column_text(st, col);
}

enum sql_rc
sql_exec(struct sql *c, const char *text)
{
	return c->ops->exec(c, text);
}

enum sql_rc
sql_begin(struct sql *c, bool write)
{
	return c->ops->begin(c, write);
}

enum sql_rc
sql_commit(struct sql *c)
{
	return c->ops->commit(c);
}

enum sql_rc
sql_rollback(struct sql *c)
{
	return c->ops->rollback(c);
}

bool
sql_in_txn(struct sql *c)
{
	return c->ops->in_txn(c);
}

int64_t
sql_txn_id(struct sql *c)
{
	return c->ops->txn_id != NULL ? c->ops->txn_id(c) : 0;
}

enum sql_rc
sql_outcome(struct sql *c, int64_t txn, bool *committed)
{
	*committed = false;
	if (c->ops->outcome == NULL)
		return SQL_ERROR;
	return c->ops->outcome(c, txn, committed);
}

int64_t
sql_changes(struct sql *c)
{
	return c->ops->changes(c);
}

const char *
sql_errmsg(struct sql *c)
{
	return c->ops->errmsg(c);
}

enum sql_backend
sql_backend(const struct sql *c)
{
	return c->backend;
}

void
sql_close(struct sql *c)
{
	if (c != NULL)
		c->ops->close(c);
}
