/*
 * schema.c: the store's schema and its migrations.
 *
 * PRAGMA user_version is the schema version; each migration moves it up
 * by one inside one transaction, so a store is never half-migrated.
 * Add a migration by appending to the table; never edit a shipped one.
 */
#include <stdio.h>

#include "db/store_int.h"

static const char *const migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE address ("
	"  id INTEGER PRIMARY KEY,"
	"  local TEXT NOT NULL,"
	"  domain TEXT NOT NULL,"
	"  seq INTEGER,"
	"  correspondent TEXT,"
	"  state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1)),"
	"  reason TEXT,"
	"  note TEXT,"
	"  created INTEGER NOT NULL,"
	"  retired INTEGER,"
	"  expires INTEGER,"
	"  UNIQUE (local, domain)"
	");"
	/* Policy lookups: newest active address of a correspondent. */
	"CREATE INDEX address_correspondent ON address (correspondent);"
	"CREATE TABLE setting ("
	"  key TEXT PRIMARY KEY,"
	"  value"
	") WITHOUT ROWID;"
	"CREATE TABLE counter ("
	"  address INTEGER PRIMARY KEY REFERENCES address (id)"
	"    ON DELETE CASCADE,"
	"  messages INTEGER NOT NULL DEFAULT 0,"
	"  last INTEGER"
	");"
	"CREATE TABLE sender_domain ("
	"  address INTEGER NOT NULL REFERENCES address (id)"
	"    ON DELETE CASCADE,"
	"  domain TEXT NOT NULL,"
	"  messages INTEGER NOT NULL DEFAULT 0,"
	"  last INTEGER,"
	"  PRIMARY KEY (address, domain)"
	") WITHOUT ROWID;",

	/* 1 -> 2: the gate's rules (SPEC "The gate"), the allow list and
	 * leak sightings.  Existing addresses get the defaults: no lock,
	 * reject, no limits, nothing learned. */
	"ALTER TABLE address ADD COLUMN lock INTEGER NOT NULL DEFAULT 0"
	"  CHECK (lock IN (0, 1, 2));"
	"ALTER TABLE address ADD COLUMN on_refuse INTEGER NOT NULL DEFAULT 0"
	"  CHECK (on_refuse IN (0, 1, 2, 3));"
	"ALTER TABLE address ADD COLUMN max_mails INTEGER;"
	"ALTER TABLE address ADD COLUMN idle INTEGER;"
	"ALTER TABLE address ADD COLUMN learned INTEGER NOT NULL DEFAULT 0;"
	/* key: the registered domain of a domain item, the address of an
	 * address item; one indexed probe at RCPT time. */
	"CREATE TABLE allow ("
	"  address INTEGER NOT NULL REFERENCES address (id)"
	"    ON DELETE CASCADE,"
	"  item TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  PRIMARY KEY (address, key)"
	") WITHOUT ROWID;"
	"CREATE TABLE sighting ("
	"  address INTEGER NOT NULL REFERENCES address (id)"
	"    ON DELETE CASCADE,"
	"  domain TEXT NOT NULL,"
	"  first INTEGER NOT NULL,"
	"  last INTEGER NOT NULL,"
	"  messages INTEGER NOT NULL,"
	"  PRIMARY KEY (address, domain)"
	") WITHOUT ROWID;"
	/* leaks --since: the recent sightings without reading them all. */
	"CREATE INDEX sighting_last ON sighting (last);",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int
pragma_int(sqlite3 *db, const char *sql, int *value)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*value = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static enum store_status
migrate_one(struct store *s, int to)
{
	enum store_status st;
	char sql[64];
	int rc, now = 0;

	if ((rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) !=
	    SQLITE_OK)
		return store_fail(s, rc,
		    "cannot lock the store to upgrade it");
	/* Another process or thread may have done it while we waited. */
	if ((rc = pragma_int(s->db, "PRAGMA user_version", &now)) != SQLITE_OK)
		goto fail;
	if (now >= to) {
		if ((rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)) !=
		    SQLITE_OK)
			goto fail;
		return STORE_OK;
	}
	if ((rc = sqlite3_exec(s->db, migrations[to - 1], NULL, NULL, NULL)) !=
	    SQLITE_OK)
		goto fail;
	/* Pragmas take no bound parameters; the values are our constants. */
	/* sql-lint: constant: to is an index into migrations[] */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", to);
	if ((rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		goto fail;
	/* sql-lint: constant: APPLICATION_ID is a compile-time integer */
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
	    APPLICATION_ID);
	if ((rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)) !=
	    SQLITE_OK)
		goto fail;
	return STORE_OK;
fail:
	st = store_fail(s, rc, "cannot upgrade the store");
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

enum store_status
schema_migrate(struct store *s)
{
	enum store_status st;
	int version = 0, rc;

	if ((rc = pragma_int(s->db, "PRAGMA user_version", &version)) !=
	    SQLITE_OK)
		return store_fail(s, rc, "cannot read the store");
	if (version == 0) {
		/* WAL lets aliasd read while aliasctl writes; the mode is
		 * kept in the file.  It cannot change inside a transaction. */
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL,
		    NULL, NULL);
		if (rc != SQLITE_OK)
			return store_fail(s, rc, "cannot set up the store");
	}
	for (int v = version + 1; v <= NMIGRATIONS; v++)
		if ((st = migrate_one(s, v)) != STORE_OK)
			return st;
	return schema_check(s, true);
}

enum store_status
schema_check(struct store *s, bool writable)
{
	int version = 0, appid = 0, rc;

	if ((rc = pragma_int(s->db, "PRAGMA user_version", &version)) !=
		SQLITE_OK ||
	    (rc = pragma_int(s->db, "PRAGMA application_id", &appid)) !=
		SQLITE_OK)
		return store_fail(s, rc, "cannot read the store");
	if (version == 0 && appid == 0) {
		int tables = 0;

		/* Only a file without any table is an empty store (left by
		 * a crash during init); anything else is somebody's
		 * database that we must not migrate into. */
		if ((rc = pragma_int(s->db,
			 "SELECT count(*) FROM "
			 "sqlite_master",
			 &tables)) != SQLITE_OK)
			return store_fail(s, rc, "cannot read the store");
		if (tables > 0) {
			snprintf(s->error, sizeof(s->error),
			    "not an aliasd "
			    "store: the file holds another program's tables");
			return STORE_INVALID;
		}
		snprintf(s->error, sizeof(s->error),
		    "the store is empty: "
		    "run aliasctl init");
		return STORE_MISSING;
	}
	if (appid != APPLICATION_ID) {
		snprintf(s->error, sizeof(s->error),
		    "not an aliasd store "
		    "(application_id %d)",
		    appid);
		return STORE_INVALID;
	}
	if (version > NMIGRATIONS) {
		snprintf(s->error, sizeof(s->error),
		    "the store has schema "
		    "version %d, newer than this program's %d: upgrade aliasd",
		    version, NMIGRATIONS);
		return STORE_INVALID;
	}
	if (version < NMIGRATIONS && !writable) {
		snprintf(s->error, sizeof(s->error),
		    "the store needs an "
		    "upgrade: run aliasctl init");
		return STORE_INVALID;
	}
	if (version < NMIGRATIONS)
		return schema_migrate(s);
	return STORE_OK;
}
