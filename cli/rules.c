/*
 * rules.c: the rule options of aliasctl new and set (rules.h).
 *
 * Everything is parsed and checked before the store is touched, so that
 * a bad value is one line and an unchanged store; what is valid is then
 * written in the caller's transaction.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/context.h"
#include "cli/output.h"
#include "cli/rules.h"
#include "cli/when.h"

/* More messages than any address will see; keeps the number sane. */
#define MAX_MAILS_MAX 1000000000LL

int
rule_opts_init(struct rule_opts *o, int argc)
{
	size_t n = argc > 0 ? (size_t)argc : 1;

	memset(o, 0, sizeof(*o));
	o->allow_args = calloc(n, sizeof(*o->allow_args));
	o->disallow_args = calloc(n, sizeof(*o->disallow_args));
	if (o->allow_args == NULL || o->disallow_args == NULL) {
		rule_opts_free(o);
		return fail(EX_OSERR, "out of memory");
	}
	return 0;
}

void
rule_opts_free(struct rule_opts *o)
{
	free(o->allow_args);
	free(o->disallow_args);
	free(o->allow);
	free(o->disallow);
	memset(o, 0, sizeof(*o));
}

int
rule_opts_take(struct rule_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case RULE_OPT_NOTE:
		o->note = arg;
		return 1;
	case RULE_OPT_EXPIRES:
		o->expires_arg = arg;
		return 1;
	case RULE_OPT_LOCK:
		o->lock_arg = arg;
		return 1;
	case RULE_OPT_ALLOW:
		/* At most one per word of the command line: room is there. */
		o->allow_args[o->nallow++] = arg;
		return 1;
	case RULE_OPT_DISALLOW:
		o->disallow_args[o->ndisallow++] = arg;
		return 1;
	case RULE_OPT_ON_REFUSE:
		o->refuse_arg = arg;
		return 1;
	case RULE_OPT_MAX_MAILS:
		o->max_arg = arg;
		return 1;
	case RULE_OPT_IDLE:
		o->idle_arg = arg;
		return 1;
	default:
		return 0;
	}
}

bool
rule_opts_any(const struct rule_opts *o)
{
	return o->note != NULL || o->expires_arg != NULL ||
	    o->lock_arg != NULL || o->refuse_arg != NULL ||
	    o->max_arg != NULL || o->idle_arg != NULL || o->nallow > 0 ||
	    o->ndisallow > 0;
}

/* A value as typed, escaped: it may hold anything. */
static int
bad_value(const char *option, const char *value, const char *hint)
{
	char shown[TERM_MAX(64)];

	return fail(EX_DATAERR, "bad %s \"%s\": %s", option,
	    term_escape(value, shown, sizeof(shown)), hint);
}

static int
check_max_mails(const char *arg, int64_t *out)
{
	char *end;
	long long n;

	if (strcmp(arg, "none") == 0) {
		*out = 0;
		return 0;
	}
	/* strtoll alone would take " 3", "+3" and "-3". */
	if (!isdigit((unsigned char)arg[0]))
		return -1;
	errno = 0;
	n = strtoll(arg, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > MAX_MAILS_MAX)
		return -1;
	*out = n;
	return 0;
}

static int
check_expires(struct ctx *c, struct rule_opts *o)
{
	if (strcmp(o->expires_arg, "never") == 0) {
		o->expires = 0;
		return 0;
	}
	if (when_parse(o->expires_arg, c->now, &o->expires) == -1 ||
	    o->expires <= c->now)
		return bad_value("--expires", o->expires_arg,
		    "give a future "
		    "date 2026-12-31, a time 2026-12-31T18:00, a span 12h, "
		    "30d, 2w, or never");
	return 0;
}

static int
check_items(const char *option, const char **args, size_t n,
    struct allow_item **out)
{
	const char *why;
	char hint[256];

	if (n == 0)
		return 0;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return fail(EX_OSERR, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if ((why = allow_parse(args[i], &(*out)[i])) == NULL)
			continue;
		snprintf(hint, sizeof(hint),
		    "%s; give a domain "
		    "(shop.example), an address (news@shop.example) or '<>'",
		    why);
		return bad_value(option, args[i], hint);
	}
	return 0;
}

int
rule_opts_check(struct ctx *c, struct rule_opts *o, bool creating)
{
	int64_t span;
	int rc;

	if (creating && o->ndisallow > 0)
		return fail(EX_USAGE,
		    "--disallow takes items off an existing "
		    "address's allow list: use it with aliasctl set");
	if (o->note != NULL &&
	    (rc = check_text("--note", o->note, NOTE_MAX)) != 0)
		return rc;
	if (o->expires_arg != NULL && (rc = check_expires(c, o)) != 0)
		return rc;
	if (o->lock_arg != NULL &&
	    store_lock_parse(o->lock_arg, &o->lock) == -1)
		return bad_value("--lock", o->lock_arg,
		    "give none, domain or "
		    "sender");
	if (o->refuse_arg != NULL &&
	    store_refuse_parse(o->refuse_arg, &o->on_refuse) == -1)
		return bad_value("--on-refuse", o->refuse_arg,
		    "give reject, "
		    "discard, hold or tempfail");
	if (o->max_arg != NULL &&
	    check_max_mails(o->max_arg, &o->max_mails) == -1)
		return bad_value("--max-mails", o->max_arg,
		    "give a number of "
		    "messages from 1 to 1000000000, or none");
	if (o->idle_arg != NULL) {
		if (strcmp(o->idle_arg, "none") == 0)
			o->idle = 0;
		else if (span_parse(o->idle_arg, &span) == 0)
			o->idle = span;
		else
			return bad_value("--idle", o->idle_arg,
			    "give a span "
			    "12h, 30d, 2w (at most a century), or none");
	}
	if ((rc = check_items("--allow", o->allow_args, o->nallow,
		 &o->allow)) != 0)
		return rc;
	return check_items("--disallow", o->disallow_args, o->ndisallow,
	    &o->disallow);
}

static int
apply_allow(struct ctx *c, const struct store_address *a,
    const struct rule_opts *o)
{
	char item[TERM_MAX(ALLOW_ITEM_MAX)], addr[TERM_MAX(ADDRESS_MAX)];
	enum store_status st;

	term_escape(a->address, addr, sizeof(addr));
	/* Disallow first: "--disallow old --allow new" swaps them even when
	 * the list is full. */
	for (size_t i = 0; i < o->ndisallow; i++) {
		st = store_allow_remove(c->store, a->id, o->disallow[i].key);
		if (st == STORE_NOTFOUND)
			return fail(EX_NOUSER,
			    "%s is not on the allow list of "
			    "%s: see aliasctl show %s",
			    term_escape(o->disallow[i].item, item,
				sizeof(item)),
			    addr, addr);
		if (st != STORE_OK)
			return ctx_store_fail(c, st,
			    "cannot change the allow "
			    "list");
	}
	for (size_t i = 0; i < o->nallow; i++) {
		st = store_allow_add(c->store, a->id, o->allow[i].item,
		    o->allow[i].key);
		/* Already there (perhaps as another subdomain of the same
		 * organisation): nothing to do. */
		if (st == STORE_EXISTS)
			continue;
		if (st == STORE_INVALID)
			return fail(EX_CANTCREAT,
			    "the allow list of %s is full "
			    "(%d items): remove some with --disallow",
			    addr, ALLOW_MAX);
		if (st != STORE_OK)
			return ctx_store_fail(c, st,
			    "cannot change the allow "
			    "list");
	}
	return 0;
}

static bool
rules_equal(const struct store_rules *a, const struct store_rules *b)
{
	return a->lock == b->lock && a->on_refuse == b->on_refuse &&
	    a->max_mails == b->max_mails && a->idle == b->idle;
}

int
rule_opts_apply(struct ctx *c, const struct store_address *a,
    const struct rule_opts *o)
{
	struct store_rules r = a->rules;
	enum store_status st = STORE_OK;

	if (o->lock_arg != NULL)
		r.lock = o->lock;
	if (o->refuse_arg != NULL)
		r.on_refuse = o->on_refuse;
	if (o->max_arg != NULL)
		r.max_mails = o->max_mails;
	if (o->idle_arg != NULL)
		r.idle = o->idle;
	/* Only what changes is written: new has already stored the note
	 * and the expiry with the address. */
	if (!rules_equal(&r, &a->rules) &&
	    (st = store_set_rules(c->store, a->id, &r)) != STORE_OK)
		return ctx_store_fail(c, st, "cannot change the rules");
	if (o->note != NULL && strcmp(o->note, a->note) != 0 &&
	    (st = store_set_note(c->store, a->id, o->note)) != STORE_OK)
		return ctx_store_fail(c, st, "cannot change the note");
	if (o->expires_arg != NULL && o->expires != a->expires &&
	    (st = store_set_expires(c->store, a->id, o->expires)) != STORE_OK)
		return ctx_store_fail(c, st, "cannot change the expiry");
	return apply_allow(c, a, o);
}
