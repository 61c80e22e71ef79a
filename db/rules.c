/*
 * rules.c: the gate's rules of one address (SPEC "The gate"): when an
 * address has expired, the names of the rules for front ends, and
 * changing the rules, the note and the expiry date.
 */
#include <stdio.h>
#include <string.h>

#include "db/store_int.h"

/*
 * Date first, then count, then idleness: show names one rule, and the
 * date is the one the owner chose with a calendar.  last_mail is 0 until
 * the first mail, when idleness counts from the creation.
 */
enum expiry
store_expiry(const struct store_address *a, int64_t messages, time_t now)
{
	time_t base;

	if (a->state == STATE_RETIRED)
		return EXPIRY_NONE;
	if (a->expires != 0 && a->expires <= now)
		return EXPIRY_DATE;
	if (a->rules.max_mails > 0 && messages >= a->rules.max_mails)
		return EXPIRY_MAX_MAILS;
	base = a->last_mail != 0 ? a->last_mail : a->created;
	/* In unsigned arithmetic, where now - base cannot overflow; a
	 * clock set back (now before base) idles nothing out. */
	if (a->rules.idle > 0 && now >= base &&
	    (uint64_t)now - (uint64_t)base >= (uint64_t)a->rules.idle)
		return EXPIRY_IDLE;
	return EXPIRY_NONE;
}

static const char *const lock_names[] = {
	[LOCK_NONE] = "none",
	[LOCK_DOMAIN] = "domain",
	[LOCK_SENDER] = "sender",
};

static const char *const refuse_names[] = {
	[REFUSE_REJECT] = "reject",
	[REFUSE_DISCARD] = "discard",
	[REFUSE_HOLD] = "hold",
	[REFUSE_TEMPFAIL] = "tempfail",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
store_lock_name(enum lock_mode m)
{
	return (unsigned)m < NELEM(lock_names) ? lock_names[m] : "unknown";
}

const char *
store_refuse_name(enum refuse_action r)
{
	return (unsigned)r < NELEM(refuse_names) ? refuse_names[r] : "unknown";
}

const char *
store_expiry_name(enum expiry e)
{
	switch (e) {
	case EXPIRY_DATE:
		return "expires";
	case EXPIRY_MAX_MAILS:
		return "max-mails";
	case EXPIRY_IDLE:
		return "idle";
	case EXPIRY_NONE:
		break;
	}
	return "";
}

int
store_lock_parse(const char *text, enum lock_mode *out)
{
	for (size_t i = 0; i < NELEM(lock_names); i++)
		if (strcmp(text, lock_names[i]) == 0) {
			*out = (enum lock_mode)i;
			return 0;
		}
	return -1;
}

int
store_refuse_parse(const char *text, enum refuse_action *out)
{
	for (size_t i = 0; i < NELEM(refuse_names); i++)
		if (strcmp(text, refuse_names[i]) == 0) {
			*out = (enum refuse_action)i;
			return 0;
		}
	return -1;
}

/* What the schema's CHECKs take, and limits that mean something. */
bool
rules_valid(const struct store_rules *r)
{
	return (unsigned)r->lock < NELEM(lock_names) &&
	    (unsigned)r->on_refuse < NELEM(refuse_names) &&
	    r->max_mails >= 0 && r->idle >= 0;
}

static void
bind_limit(struct sql_stmt *st, int col, int64_t n)
{
	if (n != 0)
		sql_bind_int64(st, col, n);
	else
		sql_bind_null(st, col);
}

enum store_status
store_set_rules(struct store *s, int64_t id, const struct store_rules *r)
{
	enum store_status ps;
	struct sql_stmt *st;

	if (!rules_valid(r)) {
		snprintf(s->error, sizeof(s->error), "rules out of range");
		return STORE_INVALID;
	}
	if ((ps = store_stmt(s, ST_SET_RULES, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, id);
	sql_bind_int64(st, 2, (int)r->lock);
	sql_bind_int64(st, 3, (int)r->on_refuse);
	bind_limit(st, 4, r->max_mails);
	bind_limit(st, 5, r->idle);
	return store_update_one(s, st, "cannot change the rules");
}

enum store_status
store_set_note(struct store *s, int64_t id, const char *note)
{
	enum store_status ps;
	struct sql_stmt *st;

	/* store_row reads a note into NOTE_MAX bytes: keep what is
	 * stored whole. */
	if (note != NULL && strlen(note) >= NOTE_MAX) {
		snprintf(s->error, sizeof(s->error),
		    "a note is at most %d "
		    "bytes long",
		    NOTE_MAX - 1);
		return STORE_INVALID;
	}
	if ((ps = store_stmt(s, ST_SET_NOTE, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, id);
	if (note != NULL && note[0] != '\0')
		sql_bind_text(st, 2, note);
	else
		sql_bind_null(st, 2);
	return store_update_one(s, st, "cannot change the note");
}

enum store_status
store_set_expires(struct store *s, int64_t id, time_t expires)
{
	enum store_status ps;
	struct sql_stmt *st;

	if ((ps = store_stmt(s, ST_SET_EXPIRES, &st)) != STORE_OK)
		return ps;
	sql_bind_int64(st, 1, id);
	bind_limit(st, 2, (int64_t)expires);
	return store_update_one(s, st, "cannot change the expiry date");
}
