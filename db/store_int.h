/*
 * store_int.h: what the files of db/ share; not for front ends.
 */
#ifndef ALIASD_STORE_INT_H
#define ALIASD_STORE_INT_H

#include <sqlite3.h>

#include "db/store.h"

#define APPLICATION_ID	0x616c6961	/* "alia" */

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_FIND,
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
	ST_SENDER_DOMAINS,
	ST_DOMAINS_OVER,
	ST_DOMAINS_TRIM,
	ST_MAX
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_MAX];
	bool created;
	char error[512];
};

/* The columns every address query selects, in this order. */
#define ADDRESS_COLUMNS \
	"a.id, a.local, a.domain, a.correspondent, a.seq, a.state, " \
	"a.reason, a.note, a.created, a.retired, a.expires, " \
	"coalesce(c.messages, 0), coalesce(c.last, 0), " \
	"a.id = coalesce((SELECT CAST(value AS INTEGER) FROM setting " \
	"WHERE key = 'default'), 0)"
#define ADDRESS_FROM \
	" FROM address a LEFT JOIN counter c ON c.address = a.id "

/* schema.c */
enum store_status schema_migrate(struct store *);
enum store_status schema_check(struct store *, bool writable);

/* store.c */
enum store_status store_fail(struct store *, int rc, const char *what);
void	store_row(sqlite3_stmt *, time_t now, struct store_address *);
enum store_status store_stmt(struct store *, enum stmt_id,
	    sqlite3_stmt **);
enum store_status store_step_address(struct store *, sqlite3_stmt *,
	    time_t now, struct store_address *);

#endif
