/*
 * sighting.c: what the gate's findings write when mail is counted (a
 * named address learning its first sender; leak sightings), and reading
 * the sightings back for aliasctl leaks.
 *
 * Sightings are bounded per address as sender domains are: a stranger
 * mailing from many domains cannot grow the store without end.
 */
#include <stdio.h>
#include <string.h>

#include "db/store_int.h"

static enum store_status
sight(struct store *s, const struct store_count *c)
{
	enum store_status ps;
	struct sql_stmt *st;
	enum sql_rc rc;

	if ((ps = store_stmt(s, ST_SIGHT, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, c->id);
	sql_bind_text(st, 2, c->sender_regdom);
	sql_bind_int64(st, 3, c->when);
	rc = sql_step(st);
	sql_reset(st);
	if (rc != SQL_DONE)
		return store_fail(s, rc, "cannot record a leak sighting");
	return STORE_OK;
}

/*
 * The first count that learns marks the address and puts the sender's
 * registered domain on its allow list.  Two messages from two
 * organisations may both have been judged "still to learn" before
 * either was counted: the second finds the address learned, and unless
 * its organisation is the one learned it is a sighting like any other.
 */
static enum store_status
learn(struct store *s, const struct store_count *c)
{
	enum store_status ps;
	struct sql_stmt *st;
	bool found;
	enum sql_rc rc;

	if ((ps = store_stmt(s, ST_LEARN, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, c->id);
	rc = sql_step(st);
	sql_reset(st);
	if (rc != SQL_DONE)
		return store_fail(s, rc, "cannot learn a sender");
	if (sql_changes(s->db) == 0) {
		if ((ps = store_allow_match(s, c->id, c->sender_regdom, NULL,
			 &found)) != STORE_OK)
			return ps;
		return found ? STORE_OK : sight(s, c);
	}
	if ((ps = store_stmt(s, ST_LEARN_ALLOW, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, c->id);
	sql_bind_text(st, 2, c->sender_regdom);
	sql_bind_int64(st, 3, ALLOW_MAX);
	rc = sql_step(st);
	sql_reset(st);
	if (rc != SQL_DONE)
		return store_fail(s, rc, "cannot learn a sender");
	return STORE_OK;
}

/* Whether c's sender's registered domain is clean, terminated text:
 * only that is stored, as for sender domains. */
static bool
regdom_clean(const struct store_count *c)
{
	size_t n = strnlen(c->sender_regdom, sizeof(c->sender_regdom));

	return n > 0 && n < sizeof(c->sender_regdom) &&
	    address_check_text(c->sender_regdom, n) == NULL;
}

bool
sighting_wanted(const struct store_count *c)
{
	return !c->learn && c->unexpected && regdom_clean(c);
}

/* One count's findings, in the caller's transaction, after the message
 * was counted (so the address exists). */
enum store_status
sighting_count(struct store *s, const struct store_count *c)
{
	if (c->learn && regdom_clean(c))
		return learn(s, c);
	if (sighting_wanted(c))
		return sight(s, c);
	return STORE_OK;
}

enum store_status
store_sightings(struct store *s, time_t since, time_t now,
    store_sighting_fn *fn, void *arg)
{
	struct store_sighting sg;
	enum store_status ps;
	struct sql_stmt *st;
	enum sql_rc rc;

	if ((ps = store_stmt(s, ST_SIGHTINGS, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, since);
	while ((rc = sql_step(st)) == SQL_ROW) {
		memset(&sg, 0, sizeof(sg));
		store_row(st, now, &sg.address);
		store_copy_text(st, ADDRESS_NCOLUMNS, sg.domain,
		    sizeof(sg.domain));
		sg.first = (time_t)sql_column_int64(st, ADDRESS_NCOLUMNS + 1);
		sg.last = (time_t)sql_column_int64(st, ADDRESS_NCOLUMNS + 2);
		sg.messages = sql_column_int64(st, ADDRESS_NCOLUMNS + 3);
		fn(arg, &sg);
	}
	sql_reset(st);
	if (rc != SQL_DONE)
		return store_fail(s, rc, "cannot read leak sightings");
	return STORE_OK;
}
