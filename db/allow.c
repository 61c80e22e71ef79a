/*
 * allow.c: the allow list of an address: senders expected besides its
 * correspondent (SPEC "The gate").  Items are kept as the owner gave
 * them and matched by key, which the caller computes (a domain's
 * registered domain, an address, or NULL_SENDER_ITEM), so that the
 * lookup at RCPT time is one probe of the primary key.
 *
 * A list holds at most ALLOW_MAX items however it grows: by hand, by
 * copying (replace) or by learning (sighting.c).
 */
#include <stdio.h>
#include <string.h>

#include "db/store_int.h"

/* An item or key the store takes: not empty, not too long, clean. */
static bool
allow_text_ok(const char *text)
{
	size_t n;

	if (text == NULL || (n = strlen(text)) == 0 || n >= ALLOW_ITEM_MAX)
		return false;
	return address_check_text(text, n) == NULL;
}

static enum store_status
allow_add_in_txn(struct store *s, int64_t id, const char *item,
    const char *key)
{
	enum store_status ps;
	struct sql_stmt *st;
	int rc, items, there;

	if ((ps = store_stmt(s, ST_ALLOW_STATE, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, id);
	sql_bind_text(st, 2, key);
	if ((rc = sql_step(st)) != SQL_ROW) {
		sql_reset(st);
		return store_fail(s, rc, "cannot read the allow list");
	}
	items = sql_column_int64(st, 0);
	there = sql_column_int64(st, 1);
	sql_reset(st);
	if (there) {
		snprintf(s->error, sizeof(s->error),
		    "%.300s is on the allow "
		    "list already",
		    key);
		return STORE_EXISTS;
	}
	if (items >= ALLOW_MAX) {
		snprintf(s->error, sizeof(s->error),
		    "the allow list is full "
		    "(%d items): remove one first",
		    ALLOW_MAX);
		return STORE_INVALID;
	}
	if ((ps = store_stmt(s, ST_ALLOW_ADD, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, id);
	sql_bind_text(st, 2, item);
	sql_bind_text(st, 3, key);
	rc = sql_step(st);
	sql_reset(st);
	if (rc == SQL_DONE)
		return STORE_OK;
	/* The key was checked above: only a missing address is left. */
	if (rc == SQL_FOREIGN_KEY) {
		snprintf(s->error, sizeof(s->error), "no such address");
		return STORE_NOTFOUND;
	}
	return store_fail(s, rc, "cannot add to the allow list");
}

enum store_status
store_allow_add(struct store *s, int64_t id, const char *item, const char *key)
{
	enum store_status st;
	bool own;

	if (!allow_text_ok(item) || !allow_text_ok(key)) {
		snprintf(s->error, sizeof(s->error),
		    "an allow-list item is "
		    "clean text of 1 to %d bytes",
		    ALLOW_ITEM_MAX - 1);
		return STORE_INVALID;
	}
	/* The count and the insert in one transaction: two writers cannot
	 * both take the last place. */
	if ((st = store_txn_start(s, &own)) != STORE_OK)
		return st;
	st = allow_add_in_txn(s, id, item, key);
	return store_txn_end(s, own, st);
}

enum store_status
store_allow_remove(struct store *s, int64_t id, const char *key)
{
	enum store_status ps;
	struct sql_stmt *st;

	if (key == NULL)
		return STORE_NOTFOUND;
	if ((ps = store_stmt(s, ST_ALLOW_REMOVE, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, id);
	sql_bind_text(st, 2, key);
	return store_update_one(s, st, "cannot change the allow list");
}

enum store_status
store_allow_list(struct store *s, int64_t id, store_item_fn *fn, void *arg)
{
	enum store_status ps;
	struct sql_stmt *st;
	enum sql_rc rc;

	if ((ps = store_stmt(s, ST_ALLOW_LIST, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, id);
	sql_bind_int64(st, 2, ALLOW_MAX);
	while ((rc = sql_step(st)) == SQL_ROW)
		fn(arg, sql_column_text(st, 0), sql_column_text(st, 1));
	sql_reset(st);
	if (rc != SQL_DONE)
		return store_fail(s, rc, "cannot read the allow list");
	return STORE_OK;
}

enum store_status
store_allow_match(struct store *s, int64_t id, const char *key1,
    const char *key2, bool *found)
{
	enum store_status ps;
	struct sql_stmt *st;
	enum sql_rc rc;

	*found = false;
	if (key1 == NULL && key2 == NULL)
		return STORE_OK;
	if ((ps = store_stmt(s, ST_ALLOW_MATCH, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, id);
	/* Unbound parameters are NULL, which "=" never matches. */
	if (key1 != NULL)
		sql_bind_text(st, 2, key1);
	if (key2 != NULL)
		sql_bind_text(st, 3, key2);
	rc = sql_step(st);
	sql_reset(st);
	if (rc == SQL_ROW)
		*found = true;
	else if (rc != SQL_DONE)
		return store_fail(s, rc, "cannot read the allow list");
	return STORE_OK;
}

enum store_status
store_allow_copy(struct store *s, int64_t from, int64_t to)
{
	enum store_status ps;
	struct sql_stmt *st;
	bool own;
	enum sql_rc rc;

	if ((ps = store_stmt(s, ST_ALLOW_COPY, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, from);
	sql_bind_int64(st, 2, to);
	sql_bind_int64(st, 3, ALLOW_MAX);
	if ((ps = store_txn_start(s, &own)) != STORE_OK) {
		sql_reset(st);
		return ps;
	}
	rc = sql_step(st);
	sql_reset(st);
	if (rc == SQL_FOREIGN_KEY) {
		snprintf(s->error, sizeof(s->error), "no such address");
		ps = STORE_NOTFOUND;
	} else if (rc != SQL_DONE)
		ps = store_fail(s, rc, "cannot copy the allow list");
	return store_txn_end(s, own, ps);
}
