/*
 * lookup.c: reading addresses: by address, by correspondent, by what a
 * user typed (a prefix), and in order for lists and exports.
 *
 * Every query here is an index lookup or an index range scan; none scans
 * the whole table except a list, which streams.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/store_int.h"

struct store_iter {
	struct store *store;
	sqlite3_stmt *stmt;
	time_t now;
	bool done; /* stepping past the end would start over */
};

static void
copy_text(sqlite3_stmt *st, int col, char *dst, size_t len)
{
	const unsigned char *text = sqlite3_column_text(st, col);

	snprintf(dst, len, "%s", text != NULL ? (const char *)text : "");
}

void
store_row(sqlite3_stmt *st, time_t now, struct store_address *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	copy_text(st, 1, a->local, sizeof(a->local));
	copy_text(st, 2, a->domain, sizeof(a->domain));
	snprintf(a->address, sizeof(a->address), "%s@%s", a->local, a->domain);
	copy_text(st, 3, a->correspondent, sizeof(a->correspondent));
	a->seq = sqlite3_column_type(st, 4) == SQLITE_NULL ?
	    -1 :
	    sqlite3_column_int64(st, 4);
	a->state = sqlite3_column_int(st, 5) == 1 ? STATE_RETIRED :
						    STATE_ACTIVE;
	copy_text(st, 6, a->reason, sizeof(a->reason));
	copy_text(st, 7, a->note, sizeof(a->note));
	a->created = (time_t)sqlite3_column_int64(st, 8);
	a->retired = (time_t)sqlite3_column_int64(st, 9);
	a->expires = (time_t)sqlite3_column_int64(st, 10);
	a->messages = sqlite3_column_int64(st, 11);
	a->last_mail = (time_t)sqlite3_column_int64(st, 12);
	a->is_default = sqlite3_column_int(st, 13) != 0;
	/* The schema's CHECKs hold lock and on_refuse to the enums. */
	a->rules.lock = (enum lock_mode)sqlite3_column_int(st, 14);
	a->rules.on_refuse = (enum refuse_action)sqlite3_column_int(st, 15);
	a->rules.max_mails = sqlite3_column_int64(st, 16);
	a->rules.idle = sqlite3_column_int64(st, 17);
	a->learned = sqlite3_column_int(st, 18) != 0;
	if (a->state == STATE_ACTIVE &&
	    (a->expired_by = store_expiry(a, a->messages, now)) != EXPIRY_NONE)
		a->state = STATE_EXPIRED;
}

/* Step a bound address query once: a row, none, or an error. */
enum store_status
store_step_address(struct store *s, sqlite3_stmt *st, time_t now,
    struct store_address *a)
{
	enum store_status result = STORE_NOTFOUND;
	int rc;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_row(st, now, a);
		result = STORE_OK;
	} else if (rc != SQLITE_DONE)
		result = store_fail(s, rc, "cannot read the store");
	sqlite3_reset(st);
	return result;
}

enum store_status
store_find(struct store *s, const char *local, const char *domain, time_t now,
    struct store_address *a)
{
	enum store_status ps;
	sqlite3_stmt *st;

	if ((ps = store_stmt(s, ST_FIND, &st)) != STORE_OK)
		return ps;
	sqlite3_bind_text(st, 1, local, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, domain, -1, SQLITE_STATIC);
	return store_step_address(s, st, now, a);
}

enum store_status
store_find_correspondent(struct store *s, const char *correspondent,
    time_t now, struct store_address *a)
{
	enum store_status ps;
	sqlite3_stmt *st;

	if ((ps = store_stmt(s, ST_FIND_CORRESPONDENT, &st)) != STORE_OK)
		return ps;
	sqlite3_bind_text(st, 1, correspondent, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	return store_step_address(s, st, now, a);
}

/* Run a query that may match several addresses: the first is kept in a,
 * the names of all in candidates.  Returns the number of rows (at most the
 * statement's LIMIT) or -1. */
static int
collect(struct store *s, sqlite3_stmt *st, time_t now, struct store_address *a,
    char *candidates, size_t candlen)
{
	struct store_address row;
	size_t used = 0;
	int n = 0, rc;

	if (candlen > 0)
		candidates[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_row(st, now, &row);
		if (n++ == 0)
			*a = row;
		if (n > 5) {
			snprintf(candidates + used, candlen - used, ", ...");
			continue;
		}
		int w = snprintf(candidates + used, candlen - used, "%s%s",
		    n > 1 ? ", " : "", row.address);
		if (w > 0 && (size_t)w < candlen - used)
			used += (size_t)w;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_fail(s, rc, "cannot read the store");
		return -1;
	}
	return n;
}

static enum store_status
resolve_rows(struct store *s, sqlite3_stmt *st, time_t now,
    struct store_address *a, char *candidates, size_t candlen)
{
	int n = collect(s, st, now, a, candidates, candlen);

	if (n < 0)
		return STORE_ERROR;
	if (n == 0)
		return STORE_NOTFOUND;
	return n == 1 ? STORE_OK : STORE_AMBIGUOUS;
}

enum store_status
store_resolve(struct store *s, const char *what, time_t now,
    struct store_address *a, char *candidates, size_t candlen)
{
	char key[ADDRESS_MAX], upper[ADDRESS_MAX], local[LOCAL_MAX + 1];
	char domain[DOMAIN_MAX + 1];
	enum store_status result;
	sqlite3_stmt *st;
	size_t n;

	if (candlen > 0)
		candidates[0] = '\0';
	if (snprintf(key, sizeof(key), "%s", what) >= (int)sizeof(key))
		return STORE_NOTFOUND;
	address_lower(key);
	if (strchr(key, '@') != NULL) {
		if (address_split(key, local, sizeof(local), domain,
			sizeof(domain)) == -1)
			return STORE_NOTFOUND;
		return store_find(s, local, domain, now, a);
	}
	/* A whole local part wins over longer ones it is a prefix of. */
	if ((result = store_stmt(s, ST_FIND_LOCAL, &st)) != STORE_OK)
		return result;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	result = resolve_rows(s, st, now, a, candidates, candlen);
	if (result != STORE_NOTFOUND || (n = strlen(key)) == 0)
		return result;
	/* The upper bound of the range: raise the last byte below 0xff. */
	memcpy(upper, key, n + 1);
	while (n > 0 && (unsigned char)upper[n - 1] == 0xff)
		upper[--n] = '\0';
	if (n == 0)
		return STORE_NOTFOUND;
	upper[n - 1] = (char)((unsigned char)upper[n - 1] + 1);
	if ((result = store_stmt(s, ST_FIND_PREFIX, &st)) != STORE_OK)
		return result;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, upper, -1, SQLITE_STATIC);
	return resolve_rows(s, st, now, a, candidates, candlen);
}

enum store_status
store_get_default(struct store *s, time_t now, struct store_address *a)
{
	char value[32];
	enum store_status st;
	sqlite3_stmt *stmt;

	if ((st = store_get_setting(s, "default", value, sizeof(value))) !=
	    STORE_OK)
		return st;
	if ((st = store_stmt(s, ST_FIND_ID, &stmt)) != STORE_OK)
		return st;
	sqlite3_bind_int64(stmt, 1, strtoll(value, NULL, 10));
	return store_step_address(s, stmt, now, a);
}

enum store_status
store_list(struct store *s, enum store_filter filter, time_t now,
    struct store_iter **out)
{
	/* ?2 is now (ADDRESS_LIVE's parameter); there is no ?1. */
	static const char *const where[] = {
		[FILTER_ACTIVE] = "WHERE " ADDRESS_LIVE " ",
		[FILTER_RETIRED] = "WHERE NOT " ADDRESS_LIVE " ",
		[FILTER_ALL] = "WHERE ?2 IS NOT NULL ",
	};
	char sql[2048];
	struct store_iter *it;
	int rc;

	*out = NULL;
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return store_fail(s, SQLITE_NOMEM, "cannot list");
	/* Only our constant fragments are pasted here; no user data. */
	/* sql-lint: constant: where[] holds literals, filter is an enum */
	if (snprintf(sql, sizeof(sql),
		"SELECT " ADDRESS_COLUMNS ADDRESS_FROM
		"%s ORDER BY a.local, a.domain",
		where[filter]) >= (int)sizeof(sql)) {
		free(it);
		snprintf(s->error, sizeof(s->error),
		    "cannot list: the query "
		    "is too long");
		return STORE_ERROR;
	}
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &it->stmt, NULL)) !=
	    SQLITE_OK) {
		free(it);
		return store_fail(s, rc, "cannot list");
	}
	sqlite3_bind_int64(it->stmt, 2, (sqlite3_int64)now);
	it->store = s;
	it->now = now;
	*out = it;
	return STORE_OK;
}

enum store_status
store_next(struct store_iter *it, struct store_address *a)
{
	int rc;

	if (it->done)
		return STORE_NOTFOUND;
	if ((rc = sqlite3_step(it->stmt)) == SQLITE_ROW) {
		store_row(it->stmt, it->now, a);
		return STORE_OK;
	}
	it->done = true;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_fail(it->store, rc, "cannot list");
}

void
store_iter_free(struct store_iter *it)
{
	if (it == NULL)
		return;
	sqlite3_finalize(it->stmt);
	free(it);
}

enum store_status
store_sender_domains(struct store *s, int64_t id, store_domain_fn *fn,
    void *arg)
{
	enum store_status ps;
	sqlite3_stmt *st;
	int rc;

	if ((ps = store_stmt(s, ST_SENDER_DOMAINS, &st)) != STORE_OK)
		return ps;
	sqlite3_bind_int64(st, 1, id);
	/* A store of an older version may hold more until it is written. */
	sqlite3_bind_int(st, 2, SENDER_DOMAINS_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_int64(st, 1),
		    (time_t)sqlite3_column_int64(st, 2));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "cannot read sender domains");
	return STORE_OK;
}
