/*
 * update.c: writing addresses: create, import, retire, revive, the
 * default, and the counters of accepted mail.
 *
 * Each function is one transaction of its own, or joins the caller's when
 * one is open (an import is a single transaction).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/template.h"
#include "db/store_int.h"

/* A random collision needs the same sequence number and suffix; with a
 * template without %n it is likelier, and bounded by this. */
#define CREATE_TRIES 50

/* Begin a transaction unless the caller holds one; *own says whether we
 * must end it. */
enum store_status
store_txn_start(struct store *s, bool *own)
{
	*own = !sql_in_txn(s->db);
	return *own ? store_begin(s) : STORE_OK;
}

enum store_status
store_txn_end(struct store *s, bool own, enum store_status st)
{
	if (!own)
		return st;
	if (st == STORE_OK)
		st = store_commit(s);
	if (st != STORE_OK)
		store_rollback(s);
	return st;
}

static void
bind_text_or_null(struct sql_stmt *st, int col, const char *text)
{
	if (text != NULL && text[0] != '\0')
		sql_bind_text(st, col, text);
	else
		sql_bind_null(st, col);
}

static void
bind_time_or_null(struct sql_stmt *st, int col, time_t t)
{
	if (t != 0)
		sql_bind_int64(st, col, t);
	else
		sql_bind_null(st, col);
}

/* A limit of 0 is no limit, stored as NULL. */
static void
bind_limit(struct sql_stmt *st, int col, int64_t n)
{
	if (n != 0)
		sql_bind_int64(st, col, n);
	else
		sql_bind_null(st, col);
}

/* *id: the new row's.  The statement hands back no row when the
 * address is taken. */
static enum store_status
insert_row(struct store *s, const struct store_address *a, int64_t *id)
{
	enum store_status ps;
	struct sql_stmt *st;
	enum sql_rc rc;

	/* Every front end takes only clean addresses (address.c); the store
	 * stays clean should one of them forget. */
	if (address_check_text(a->local, strlen(a->local)) != NULL ||
	    address_check_text(a->domain, strlen(a->domain)) != NULL ||
	    address_check_text(a->correspondent, strlen(a->correspondent)) !=
		NULL) {
		snprintf(s->error, sizeof(s->error),
		    "an address that is not "
		    "valid UTF-8 or holds a control character is not stored");
		return STORE_INVALID;
	}
	if (!rules_valid(&a->rules)) {
		snprintf(s->error, sizeof(s->error),
		    "rules out of range are "
		    "not stored");
		return STORE_INVALID;
	}
	if ((ps = store_stmt(s, ST_INSERT, &st)) != STORE_OK)
		return ps;
	sql_bind_text(st, 1, a->local);
	sql_bind_text(st, 2, a->domain);
	if (a->seq >= 0)
		sql_bind_int64(st, 3, a->seq);
	else
		sql_bind_null(st, 3);
	bind_text_or_null(st, 4, a->correspondent);
	sql_bind_int64(st, 5, a->state == STATE_RETIRED ? 1 : 0);
	bind_text_or_null(st, 6, a->state == STATE_RETIRED ? a->reason : NULL);
	bind_text_or_null(st, 7, a->note);
	sql_bind_int64(st, 8, a->created);
	bind_time_or_null(st, 9, a->state == STATE_RETIRED ? a->retired : 0);
	bind_time_or_null(st, 10, a->expires);
	sql_bind_int64(st, 11, (int)a->rules.lock);
	sql_bind_int64(st, 12, (int)a->rules.on_refuse);
	bind_limit(st, 13, a->rules.max_mails);
	bind_limit(st, 14, a->rules.idle);
	sql_bind_int64(st, 15, a->learned ? 1 : 0);
	if ((rc = sql_step(st)) == SQL_ROW)
		*id = sql_column_int64(st, 0);
	sql_reset(st);
	if (rc == SQL_ROW)
		return STORE_OK;
	if (rc == SQL_DONE || rc == SQL_UNIQUE) {
		snprintf(s->error, sizeof(s->error), "%s@%s already exists",
		    a->local, a->domain);
		return STORE_EXISTS;
	}
	return store_fail(s, rc, "cannot add the address");
}

static enum store_status
next_sequence(struct store *s, int64_t *seq)
{
	char value[32];
	enum store_status st;

	st = store_get_setting(s, "next_seq", value, sizeof(value));
	if (st == STORE_NOTFOUND) {
		*seq = 1;
		return STORE_OK;
	}
	if (st == STORE_OK)
		*seq = strtoll(value, NULL, 10);
	return st;
}

/* Sequence numbers never repeat: the next one only ever goes up. */
static enum store_status
raise_sequence(struct store *s, int64_t used)
{
	char value[32];
	enum store_status st;
	int64_t next;

	if ((st = next_sequence(s, &next)) != STORE_OK)
		return st;
	if (used < next)
		return STORE_OK;
	/* used + 1 must not overflow. */
	if (used == INT64_MAX) {
		snprintf(s->error, sizeof(s->error),
		    "sequence number %" PRId64 " is the last one there is",
		    used);
		return STORE_INVALID;
	}
	snprintf(value, sizeof(value), "%" PRId64, used + 1);
	return store_set_setting(s, "next_seq", value);
}

static enum store_status
create_in_txn(struct store *s, const struct template *t, const char *local,
    struct store_address *a)
{
	enum store_status st;
	int64_t seq = -1;

	if (local != NULL) {
		snprintf(a->local, sizeof(a->local), "%s", local);
		a->seq = -1;
		return insert_row(s, a, &a->id);
	}
	if (template_has_sequence(t) &&
	    (st = next_sequence(s, &seq)) != STORE_OK)
		return st;
	for (int i = 0; i < CREATE_TRIES; i++) {
		if (template_render(t, (uint64_t)(seq < 0 ? 0 : seq), a->local,
			sizeof(a->local)) == -1) {
			snprintf(s->error, sizeof(s->error),
			    "the template "
			    "gives no valid local part for number %" PRId64,
			    seq);
			return STORE_INVALID;
		}
		a->seq = seq;
		if ((st = insert_row(s, a, &a->id)) != STORE_EXISTS)
			break;
	}
	if (st == STORE_EXISTS) {
		snprintf(s->error, sizeof(s->error),
		    "no free address after "
		    "%d tries: give the template more random characters",
		    CREATE_TRIES);
		return STORE_INVALID;
	}
	if (st == STORE_OK && seq >= 0)
		st = raise_sequence(s, seq);
	return st;
}

enum store_status
store_create(struct store *s, const struct template *t, const char *local,
    const char *domain, const char *correspondent, time_t expires,
    const char *note, time_t now, struct store_address *out)
{
	struct store_address a;
	enum store_status st;
	bool own;

	memset(&a, 0, sizeof(a));
	snprintf(a.domain, sizeof(a.domain), "%s", domain);
	snprintf(a.correspondent, sizeof(a.correspondent), "%s",
	    correspondent != NULL ? correspondent : "");
	snprintf(a.note, sizeof(a.note), "%s", note != NULL ? note : "");
	a.created = now;
	a.expires = expires;
	a.state = STATE_ACTIVE;
	if ((st = store_txn_start(s, &own)) != STORE_OK)
		return st;
	st = create_in_txn(s, t, local, &a);
	if ((st = store_txn_end(s, own, st)) != STORE_OK)
		return st;
	snprintf(a.address, sizeof(a.address), "%s@%s", a.local, a.domain);
	if ((a.expired_by = store_expiry(&a, 0, now)) != EXPIRY_NONE)
		a.state = STATE_EXPIRED;
	*out = a;
	return STORE_OK;
}

/* The old address is read, retired and copied inside the transaction, so
 * that nothing changes it between the three. */
static enum store_status
replace_in_txn(struct store *s, const struct template *t, int64_t id,
    const char *reason, time_t now, struct store_address *a)
{
	struct store_address old;
	enum store_status st;
	struct sql_stmt *stmt;

	if ((st = store_stmt(s, ST_FIND_ID, &stmt)) != STORE_OK)
		return st;
	sql_bind_int64(stmt, 1, id);
	if ((st = store_step_address(s, stmt, now, &old)) != STORE_OK) {
		if (st == STORE_NOTFOUND)
			snprintf(s->error, sizeof(s->error),
			    "no address with "
			    "id %" PRId64,
			    id);
		return st;
	}
	/* As retire does: one already retired keeps its reason and time
	 * unless a new reason is given. */
	if ((old.state != STATE_RETIRED ||
		(reason != NULL && reason[0] != '\0')) &&
	    (st = store_retire(s, id, reason, now)) != STORE_OK)
		return st;
	memset(a, 0, sizeof(*a));
	snprintf(a->domain, sizeof(a->domain), "%s", old.domain);
	snprintf(a->correspondent, sizeof(a->correspondent), "%s",
	    old.correspondent);
	snprintf(a->note, sizeof(a->note), "%s", old.note);
	a->created = now;
	a->expires = old.expires;
	a->rules = old.rules;
	/* What a named address learned comes along in its allow list. */
	a->learned = old.learned;
	a->state = STATE_ACTIVE;
	if ((st = create_in_txn(s, t, NULL, a)) != STORE_OK)
		return st;
	return store_allow_copy(s, id, a->id);
}

enum store_status
store_replace(struct store *s, const struct template *t, int64_t id,
    const char *reason, time_t now, struct store_address *out)
{
	struct store_address a;
	enum store_status st;
	bool own;

	if ((st = store_txn_start(s, &own)) != STORE_OK)
		return st;
	st = replace_in_txn(s, t, id, reason, now, &a);
	if ((st = store_txn_end(s, own, st)) != STORE_OK)
		return st;
	snprintf(a.address, sizeof(a.address), "%s@%s", a.local, a.domain);
	if ((a.expired_by = store_expiry(&a, 0, now)) != EXPIRY_NONE)
		a.state = STATE_EXPIRED;
	*out = a;
	return STORE_OK;
}

enum store_status
store_insert(struct store *s, const struct store_address *a)
{
	enum store_status st;
	int64_t id;
	bool own;

	if ((st = store_txn_start(s, &own)) != STORE_OK)
		return st;
	st = insert_row(s, a, &id);
	if (st == STORE_OK && a->seq >= 0)
		st = raise_sequence(s, a->seq);
	return store_txn_end(s, own, st);
}

enum store_status
store_update_one(struct store *s, struct sql_stmt *st, const char *what)
{
	enum store_status result = STORE_OK;
	bool own;
	enum sql_rc rc;

	if ((result = store_txn_start(s, &own)) != STORE_OK) {
		sql_reset(st);
		return result;
	}
	rc = sql_step(st);
	sql_reset(st);
	if (rc != SQL_DONE)
		result = store_fail(s, rc, what);
	else if (sql_changes(s->db) == 0)
		result = STORE_NOTFOUND;
	return store_txn_end(s, own, result);
}

enum store_status
store_retire(struct store *s, int64_t id, const char *reason, time_t now)
{
	enum store_status ps;
	struct sql_stmt *st;

	if ((ps = store_stmt(s, ST_RETIRE, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, id);
	sql_bind_text(st, 2,
	    reason != NULL && reason[0] != '\0' ? reason : DEFAULT_REASON);
	sql_bind_int64(st, 3, now);
	return store_update_one(s, st, "cannot retire the address");
}

enum store_status
store_revive(struct store *s, int64_t id)
{
	enum store_status ps;
	struct sql_stmt *st;

	if ((ps = store_stmt(s, ST_REVIVE, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, id);
	return store_update_one(s, st, "cannot revive the address");
}

enum store_status
store_set_default(struct store *s, int64_t id)
{
	char value[32];
	enum store_status st;
	bool own;

	if ((st = store_txn_start(s, &own)) != STORE_OK)
		return st;
	if (id == 0)
		st = store_set_setting(s, "default", NULL);
	else {
		snprintf(value, sizeof(value), "%" PRId64, id);
		st = store_set_setting(s, "default", value);
	}
	return store_txn_end(s, own, st);
}

/* Whether c's sender domain is clean text: aliasd takes only clean
 * addresses; this keeps the store so whatever a front end hands in. */
static bool
domain_clean(const struct store_count *c)
{
	return c->sender_domain[0] != '\0' &&
	    address_check_text(c->sender_domain, strlen(c->sender_domain)) ==
	    NULL;
}

/* One count that learns, alone: what it writes depends on what the
 * counts before it wrote. */
static enum store_status
count_one(struct store *s, const struct store_count *c)
{
	enum store_status ps;
	struct sql_stmt *st;
	enum sql_rc rc;

	if ((ps = store_stmt(s, ST_COUNT_MESSAGE, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, c->id);
	sql_bind_int64(st, 2, c->when);
	rc = sql_step(st);
	sql_reset(st);
	if (rc != SQL_DONE)
		return store_fail(s, rc, "cannot count mail");
	/* The address is gone: nothing more to write. */
	if (sql_changes(s->db) == 0)
		return STORE_OK;
	if (domain_clean(c)) {
		if ((ps = store_stmt(s, ST_COUNT_DOMAIN, &st)) != STORE_OK)
			return ps;
		sql_bind_int64(st, 1, c->id);
		sql_bind_text(st, 2, c->sender_domain);
		sql_bind_int64(st, 3, c->when);
		if ((ps = store_step_done(s, st, "cannot count mail")) !=
		    STORE_OK)
			return ps;
	}
	return sighting_count(s, c);
}

/* What a count writes to the sender domains and to the sightings, or
 * NULL for nothing. */
static const char *
domain_of(const struct store_count *c)
{
	return domain_clean(c) ? c->sender_domain : NULL;
}

static const char *
sighting_of(const struct store_count *c)
{
	return sighting_wanted(c) ? c->sender_regdom : NULL;
}

/* One chunk's rows of an address, a text and a time, for the counts
 * text_of gives a text; the other rows stay NULL and join nothing. */
static enum store_status
write_rows(struct store *s, enum stmt_id id,
    const struct store_count *const *c, size_t k,
    const char *(*text_of)(const struct store_count *), const char *what)
{
	enum store_status ps;
	struct sql_stmt *st;
	const char *text;

	if ((ps = store_stmt(s, id, &st)) != STORE_OK)
		return ps;
	for (size_t i = 0; i < k; i++) {
		if ((text = text_of(c[i])) == NULL)
			continue;
		sql_bind_int64(st, 3 * (int)i + 1, c[i]->id);
		sql_bind_text(st, 3 * (int)i + 2, text);
		sql_bind_int64(st, 3 * (int)i + 3, c[i]->when);
	}
	return store_step_done(s, st, what);
}

/*
 * Up to COUNT_CHUNK counts that do not learn, in one statement a table:
 * the messages, the sender domains, the sightings.  Their rows are
 * summed per address (and domain) by the statements; a count whose
 * address was deleted meanwhile joins no address and is skipped.
 */
static enum store_status
count_chunk(struct store *s, const struct store_count *const *c, size_t k)
{
	enum store_status ps;
	struct sql_stmt *st;

	if ((ps = store_stmt(s, ST_COUNT_MESSAGES, &st)) != STORE_OK)
		return ps;
	for (size_t i = 0; i < k; i++) {
		sql_bind_int64(st, 2 * (int)i + 1, c[i]->id);
		sql_bind_int64(st, 2 * (int)i + 2, c[i]->when);
	}
	if ((ps = store_step_done(s, st, "cannot count mail")) != STORE_OK ||
	    (ps = write_rows(s, ST_COUNT_DOMAINS, c, k, domain_of,
		 "cannot count mail")) != STORE_OK)
		return ps;
	return write_rows(s, ST_SIGHTS, c, k, sighting_of,
	    "cannot record a leak sighting");
}

/*
 * Keep the max most recent rows of each of up to COUNT_CHUNK addresses
 * in one table: over finds those that have more, in one statement; the
 * delete, which sorts every row of an address, runs for those only.
 */
static enum store_status
trim_chunk(struct store *s, enum stmt_id over, enum stmt_id trim, int max,
    const int64_t *ids, size_t k, const char *what)
{
	int64_t found[COUNT_CHUNK];
	size_t nfound = 0;
	enum store_status ps;
	struct sql_stmt *st;
	enum sql_rc rc;

	if ((ps = store_stmt(s, over, &st)) != STORE_OK)
		return ps;
	for (size_t i = 0; i < k; i++)
		sql_bind_int64(st, (int)i + 1, ids[i]);
	sql_bind_int64(st, COUNT_CHUNK + 1, max);
	while ((rc = sql_step(st)) == SQL_ROW && nfound < COUNT_CHUNK)
		found[nfound++] = sql_column_int64(st, 0);
	sql_reset(st);
	if (rc != SQL_DONE && rc != SQL_ROW)
		return store_fail(s, rc, what);
	for (size_t i = 0; i < nfound; i++) {
		if ((ps = store_stmt(s, trim, &st)) != STORE_OK)
			return ps;
		sql_bind_int64(st, 1, found[i]);
		sql_bind_int64(st, 2, max);
		if ((ps = store_step_done(s, st, what)) != STORE_OK)
			return ps;
	}
	return STORE_OK;
}

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Trim each address counted in the batch once, however many of its
 * counts the batch holds: a flood to one address is one check. */
static enum store_status
trim_counted(struct store *s, int64_t *ids, size_t n)
{
	enum store_status st = STORE_OK;
	size_t distinct = 0;

	qsort(ids, n, sizeof(*ids), id_cmp);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || ids[i] != ids[i - 1])
			ids[distinct++] = ids[i];
	for (size_t i = 0; i < distinct && st == STORE_OK; i += COUNT_CHUNK) {
		size_t k = distinct - i < COUNT_CHUNK ? distinct - i :
							COUNT_CHUNK;

		st = trim_chunk(s, ST_DOMAINS_OVER, ST_DOMAINS_TRIM,
		    SENDER_DOMAINS_MAX, ids + i, k,
		    "cannot trim sender domains");
		if (st == STORE_OK)
			st = trim_chunk(s, ST_SIGHTINGS_OVER,
			    ST_SIGHTINGS_TRIM, SIGHTINGS_MAX, ids + i, k,
			    "cannot trim leak sightings");
	}
	return st;
}

/*
 * A batch of counts in one short transaction.  A count for an address
 * deleted meanwhile is skipped, not allowed to lose the others.  Counts
 * that learn are written one by one, in order; the others COUNT_CHUNK
 * to a statement, which to a PostgreSQL server is one round trip where
 * it was one per count and table.
 */
enum store_status
store_add_counts(struct store *s, const struct store_count *c, size_t n)
{
	const struct store_count **plain;
	enum store_status st;
	int64_t *ids;
	size_t nplain = 0;
	bool own;

	if (n == 0)
		return STORE_OK;
	ids = calloc(n, sizeof(*ids));
	plain = calloc(n, sizeof(*plain));
	if (ids == NULL || plain == NULL) {
		free(ids);
		free(plain);
		snprintf(s->error, sizeof(s->error),
		    "cannot count mail: out of memory");
		return STORE_ERROR;
	}
	if ((st = store_txn_start(s, &own)) != STORE_OK) {
		free(ids);
		free(plain);
		return st;
	}
	for (size_t i = 0; i < n && st == STORE_OK; i++) {
		ids[i] = c[i].id;
		if (c[i].learn)
			st = count_one(s, &c[i]);
		else
			plain[nplain++] = &c[i];
	}
	for (size_t i = 0; i < nplain && st == STORE_OK; i += COUNT_CHUNK)
		st = count_chunk(s, plain + i,
		    nplain - i < COUNT_CHUNK ? nplain - i : COUNT_CHUNK);
	if (st == STORE_OK)
		st = trim_counted(s, ids, n);
	free(ids);
	free(plain);
	return store_txn_end(s, own, st);
}
