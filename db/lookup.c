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
	struct sql_stmt *stmt;
	time_t now;
	bool done; /* stepping past the end would start over */
};

void
store_row(struct sql_stmt *st, time_t now, struct store_address *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sql_column_int64(st, 0);
	store_copy_text(st, 1, a->local, sizeof(a->local));
	store_copy_text(st, 2, a->domain, sizeof(a->domain));
	snprintf(a->address, sizeof(a->address), "%s@%s", a->local, a->domain);
	store_copy_text(st, 3, a->correspondent, sizeof(a->correspondent));
	a->seq = sql_column_null(st, 4) ? -1 : sql_column_int64(st, 4);
	a->state = sql_column_int64(st, 5) == 1 ? STATE_RETIRED : STATE_ACTIVE;
	store_copy_text(st, 6, a->reason, sizeof(a->reason));
	store_copy_text(st, 7, a->note, sizeof(a->note));
	a->created = (time_t)sql_column_int64(st, 8);
	a->retired = (time_t)sql_column_int64(st, 9);
	a->expires = (time_t)sql_column_int64(st, 10);
	a->messages = sql_column_int64(st, 11);
	a->last_mail = (time_t)sql_column_int64(st, 12);
	a->is_default = sql_column_int64(st, 13) != 0;
	/* The schema's CHECKs hold lock and on_refuse to the enums. */
	a->rules.lock = (enum lock_mode)sql_column_int64(st, 14);
	a->rules.on_refuse = (enum refuse_action)sql_column_int64(st, 15);
	a->rules.max_mails = sql_column_int64(st, 16);
	a->rules.idle = sql_column_int64(st, 17);
	a->learned = sql_column_int64(st, 18) != 0;
	if (a->state == STATE_ACTIVE &&
	    (a->expired_by = store_expiry(a, a->messages, now)) != EXPIRY_NONE)
		a->state = STATE_EXPIRED;
}

/* Step a bound address query once: a row, none, or an error.  With
 * allowed, the query has one more column, true or false. */
static enum store_status
step_address(struct store *s, struct sql_stmt *st, time_t now,
    struct store_address *a, bool *allowed)
{
	enum store_status result = STORE_NOTFOUND;
	enum sql_rc rc;

	if ((rc = sql_step(st)) == SQL_ROW) {
		store_row(st, now, a);
		if (allowed != NULL)
			*allowed = sql_column_int64(st, ADDRESS_NCOLUMNS) != 0;
		result = STORE_OK;
	} else if (rc != SQL_DONE)
		result = store_fail(s, rc, "cannot read the store");
	sql_reset(st);
	return result;
}

enum store_status
store_step_address(struct store *s, struct sql_stmt *st, time_t now,
    struct store_address *a)
{
	return step_address(s, st, now, a, NULL);
}

enum store_status
store_find(struct store *s, const char *local, const char *domain, time_t now,
    struct store_address *a)
{
	enum store_status ps;
	struct sql_stmt *st;

	if ((ps = store_stmt(s, ST_FIND, &st)) != STORE_OK)
		return ps;
	sql_bind_text(st, 1, local);
	sql_bind_text(st, 2, domain);
	return store_step_address(s, st, now, a);
}

enum store_status
store_find_gate(struct store *s, const char *local, const char *domain,
    time_t now, const char *key1, const char *key2, struct store_address *a,
    bool *allowed)
{
	enum store_status ps;
	struct sql_stmt *st;

	*allowed = false;
	if ((ps = store_stmt(s, ST_FIND_GATE, &st)) != STORE_OK)
		return ps;
	sql_bind_text(st, 1, local);
	sql_bind_text(st, 2, domain);
	/* Unbound parameters are NULL, which "=" never matches. */
	if (key1 != NULL)
		sql_bind_text(st, 3, key1);
	if (key2 != NULL)
		sql_bind_text(st, 4, key2);
	return step_address(s, st, now, a, allowed);
}

enum store_status
store_find_correspondent(struct store *s, const char *correspondent,
    time_t now, struct store_address *a)
{
	enum store_status ps;
	struct sql_stmt *st;

	if ((ps = store_stmt(s, ST_FIND_CORRESPONDENT, &st)) != STORE_OK)
		return ps;
	sql_bind_text(st, 1, correspondent);
	sql_bind_int64(st, 2, now);
	return store_step_address(s, st, now, a);
}

/* Run a query that may match several addresses: the first is kept in a,
 * the names of all in candidates.  Returns the number of rows (at most the
 * statement's LIMIT) or -1. */
static int
collect(struct store *s, struct sql_stmt *st, time_t now,
    struct store_address *a, char *candidates, size_t candlen)
{
	struct store_address row;
	size_t used = 0;
	enum sql_rc rc;
	int n = 0;

	if (candlen > 0)
		candidates[0] = '\0';
	while ((rc = sql_step(st)) == SQL_ROW) {
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
	sql_reset(st);
	if (rc != SQL_DONE) {
		store_fail(s, rc, "cannot read the store");
		return -1;
	}
	return n;
}

static enum store_status
resolve_rows(struct store *s, struct sql_stmt *st, time_t now,
    struct store_address *a, char *candidates, size_t candlen)
{
	int n = collect(s, st, now, a, candidates, candlen);

	if (n < 0)
		return STORE_ERROR;
	if (n == 0)
		return STORE_NOTFOUND;
	return n == 1 ? STORE_OK : STORE_AMBIGUOUS;
}

static bool
valid_utf8(const char *s)
{
	size_t n = strlen(s), clen;
	uint32_t cp;

	for (size_t at = 0; at < n; at += clen)
		if ((clen = address_utf8_decode(s + at, n - at, &cp)) == 0)
			return false;
	return true;
}

/* c as UTF-8 at out (4 bytes there); its length. */
static size_t
utf8_encode(uint32_t c, char *out)
{
	unsigned char *u = (unsigned char *)out;

	if (c < 0x80) {
		u[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		u[0] = (unsigned char)(0xc0 | c >> 6);
		u[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		u[0] = (unsigned char)(0xe0 | c >> 12);
		u[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	u[0] = (unsigned char)(0xf0 | c >> 18);
	u[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
	u[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
	u[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * The least text above every text that begins with key, which is valid
 * UTF-8 (valid_utf8): key with its last character one code point
 * higher, past the surrogates; a last U+10FFFF is dropped and the one
 * before raised.  UTF-8 sorts byte by byte as its code points do, so
 * this is the end of the prefix's range in both stores, and it is valid
 * UTF-8, which PostgreSQL asks of every parameter (raising the last
 * byte would not be: "\xc3\xbf" would become "\xc3\xc0").  -1 when
 * there is none.
 */
static int
prefix_upper(const char *key, char *upper, size_t len)
{
	size_t n = strlen(key), last;
	uint32_t cp;

	if (n + 2 > len)
		return -1;
	memcpy(upper, key, n + 1);
	while (n > 0) {
		/* The last character begins at its last byte that is not a
		 * continuation byte (10xxxxxx). */
		for (last = n - 1;
		     last > 0 && ((unsigned char)upper[last] & 0xc0) == 0x80;
		     last--)
			;
		if (address_utf8_decode(upper + last, n - last, &cp) == 0)
			return -1;
		if (cp < 0x10ffff) {
			cp = cp == 0xd7ff ? 0xe000 : cp + 1;
			upper[last + utf8_encode(cp, upper + last)] = '\0';
			return 0;
		}
		upper[last] = '\0';
		n = last;
	}
	return -1;
}

enum store_status
store_resolve(struct store *s, const char *what, time_t now,
    struct store_address *a, char *candidates, size_t candlen)
{
	char key[ADDRESS_MAX], upper[ADDRESS_MAX], local[LOCAL_MAX + 1];
	char domain[DOMAIN_MAX + 1];
	enum store_status result;
	struct sql_stmt *st;
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
	/* Bytes that are not UTF-8 name no local part: PostgreSQL holds
	 * none, and would refuse them as a parameter. */
	if (!valid_utf8(key))
		return STORE_NOTFOUND;
	/* A whole local part wins over longer ones it is a prefix of. */
	if ((result = store_stmt(s, ST_FIND_LOCAL, &st)) != STORE_OK)
		return result;
	sql_bind_text(st, 1, key);
	result = resolve_rows(s, st, now, a, candidates, candlen);
	if (result != STORE_NOTFOUND || (n = strlen(key)) == 0)
		return result;
	if (prefix_upper(key, upper, sizeof(upper)) == -1)
		return STORE_NOTFOUND;
	if ((result = store_stmt(s, ST_FIND_PREFIX, &st)) != STORE_OK)
		return result;
	sql_bind_text(st, 1, key);
	sql_bind_text(st, 2, upper);
	return resolve_rows(s, st, now, a, candidates, candlen);
}

enum store_status
store_get_default(struct store *s, time_t now, struct store_address *a)
{
	char value[32];
	enum store_status st;
	struct sql_stmt *stmt;

	if ((st = store_get_setting(s, "default", value, sizeof(value))) !=
	    STORE_OK)
		return st;
	if ((st = store_stmt(s, ST_FIND_ID, &stmt)) != STORE_OK)
		return st;
	sql_bind_int64(stmt, 1, strtoll(value, NULL, 10));
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
		[FILTER_ALL] = "WHERE CAST(?2 AS BIGINT) IS NOT NULL ",
	};
	char sql[2048];
	struct store_iter *it;
	enum sql_rc rc;

	*out = NULL;
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return store_fail(s, SQL_NOMEM, "cannot list");
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
	if ((rc = sql_prepare(s->db, sql, &it->stmt)) != SQL_OK) {
		free(it);
		return store_fail(s, rc, "cannot list");
	}
	sql_bind_int64(it->stmt, 2, now);
	it->store = s;
	it->now = now;
	*out = it;
	return STORE_OK;
}

enum store_status
store_next(struct store_iter *it, struct store_address *a)
{
	enum sql_rc rc;

	if (it->done)
		return STORE_NOTFOUND;
	if ((rc = sql_step(it->stmt)) == SQL_ROW) {
		store_row(it->stmt, it->now, a);
		return STORE_OK;
	}
	it->done = true;
	if (rc == SQL_DONE)
		return STORE_NOTFOUND;
	return store_fail(it->store, rc, "cannot list");
}

void
store_iter_free(struct store_iter *it)
{
	if (it == NULL)
		return;
	sql_finalize(it->stmt);
	free(it);
}

enum store_status
store_sender_domains(struct store *s, int64_t id, store_domain_fn *fn,
    void *arg)
{
	enum store_status ps;
	struct sql_stmt *st;
	enum sql_rc rc;

	if ((ps = store_stmt(s, ST_SENDER_DOMAINS, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, id);
	/* A store of an older version may hold more until it is written. */
	sql_bind_int64(st, 2, SENDER_DOMAINS_MAX);
	while ((rc = sql_step(st)) == SQL_ROW)
		fn(arg, sql_column_text(st, 0), sql_column_int64(st, 1),
		    (time_t)sql_column_int64(st, 2));
	sql_reset(st);
	if (rc != SQL_DONE)
		return store_fail(s, rc, "cannot read sender domains");
	return STORE_OK;
}
