/*
 * store_int.h: what the files of db/ share; not for front ends.
 */
#ifndef ALIASD_STORE_INT_H
#define ALIASD_STORE_INT_H

#include "db/sql.h"
#include "db/store.h"

#define APPLICATION_ID 0x616c6961 /* "alia" */

enum stmt_id {
	ST_FIND,
	ST_FIND_GATE,
	ST_FIND_ID,
	ST_FIND_CORRESPONDENT,
	ST_FIND_LOCAL,
	ST_FIND_PREFIX,
	ST_INSERT,
	ST_RETIRE,
	ST_REVIVE,
	ST_GET_SETTING,
	ST_SET_SETTING,
	ST_DELETE_SETTING,
	ST_COUNT_MESSAGE,
	ST_COUNT_DOMAIN,
	ST_COUNT_MESSAGES,
	ST_COUNT_DOMAINS,
	ST_SENDER_DOMAINS,
	ST_DOMAINS_OVER,
	ST_DOMAINS_TRIM,
	ST_SET_RULES,
	ST_SET_NOTE,
	ST_SET_EXPIRES,
	ST_ALLOW_STATE,
	ST_ALLOW_ADD,
	ST_ALLOW_REMOVE,
	ST_ALLOW_LIST,
	ST_ALLOW_MATCH,
	ST_ALLOW_COPY,
	ST_LEARN,
	ST_LEARN_ALLOW,
	ST_SIGHT,
	ST_SIGHTS,
	ST_SIGHTINGS_OVER,
	ST_SIGHTINGS_TRIM,
	ST_SIGHTINGS,
	ST_MAX
};

struct store {
	struct sql *db;
	struct sql_stmt *stmt[ST_MAX];
	bool created;
	int64_t doubt; /* the last commit's transaction, if in doubt */
	char error[512];
};

/* Counts are written COUNT_CHUNK at a time (update.c): one statement a
 * table for each COUNT_CHUNK counts, the rows of a chunk that hold no
 * count all NULL. */
#define COUNT_CHUNK 16

/* The columns every address query selects, in this order (store_row
 * reads them); a query may select more after them, from column
 * ADDRESS_NCOLUMNS on. */
#define ADDRESS_COLUMNS \
	ADDRESS_COLUMNS_HEAD ADDRESS_IS_DEFAULT ADDRESS_COLUMNS_TAIL
/* The gate's query, which has no use for is_default, says 0 there and
 * spares the server a look at the settings. */
#define ADDRESS_COLUMNS_HEAD \
	"a.id, a.local, a.domain, a.correspondent, a.seq, a.state, " \
	"a.reason, a.note, a.created, a.retired, a.expires, " \
	"coalesce(c.messages, 0), coalesce(c.last, 0), "
#define ADDRESS_IS_DEFAULT \
	"a.id = coalesce((SELECT CAST(value AS BIGINT) FROM setting " \
	"WHERE key = 'default'), 0)"
#define ADDRESS_COLUMNS_TAIL \
	", a.lock, a.on_refuse, coalesce(a.max_mails, 0), " \
	"coalesce(a.idle, 0), a.learned"
#define ADDRESS_NCOLUMNS 19
#define ADDRESS_FROM " FROM address a LEFT JOIN counter c ON c.address = a.id "

/* An address that is active and not expired, with ?2 the time now: what
 * store_expiry decides in C, said in SQL so that the correspondent lookup
 * and the lists filter inside the query (test_rules.c holds the two to
 * the same boundaries). */
#define ADDRESS_LIVE \
	"(a.state = 0 AND (coalesce(a.expires, 0) = 0 OR a.expires > ?2) " \
	"AND (coalesce(a.max_mails, 0) <= 0 " \
	"OR coalesce(c.messages, 0) < a.max_mails) " \
	"AND (coalesce(a.idle, 0) <= 0 " \
	"OR ?2 - coalesce(nullif(c.last, 0), a.created) < a.idle))"

/* schema.c */
enum store_status schema_migrate(struct store *);
enum store_status schema_check(struct store *, bool writable);

/* update.c: begin a transaction unless the caller holds one (*own says
 * whether we must end it); end it, committing when st is STORE_OK. */
enum store_status store_txn_start(struct store *, bool *own);
enum store_status store_txn_end(struct store *, bool own,
    enum store_status st);
/* Step an UPDATE or DELETE in a transaction: STORE_NOTFOUND when it
 * changed no row. */
enum store_status store_update_one(struct store *, struct sql_stmt *,
    const char *what);

/* rules.c: whether rules are in range (what the schema takes). */
bool rules_valid(const struct store_rules *);

/* sighting.c: one count's learning and leak sighting, in the caller's
 * transaction; whether a count that does not learn is a sighting to
 * record. */
enum store_status sighting_count(struct store *, const struct store_count *);
bool sighting_wanted(const struct store_count *);

/* store.c */
enum store_status store_fail(struct store *, enum sql_rc, const char *what);
void store_row(struct sql_stmt *, time_t now, struct store_address *);
enum store_status store_stmt(struct store *, enum stmt_id, struct sql_stmt **);
/* A statement's text, as written (?N), for tests that explain it. */
const char *store_stmt_text(enum stmt_id);
enum store_status store_step_address(struct store *, struct sql_stmt *,
    time_t now, struct store_address *);
/* Step a statement that returns no row the caller wants. */
enum store_status store_step_done(struct store *, struct sql_stmt *,
    const char *what);
/* Copy a column's text (never NULL) into a buffer. */
void store_copy_text(struct sql_stmt *, int col, char *dst, size_t len);

#endif
