/*
 * rules.h: the options that set an address's rules, note and expiry,
 * shared by aliasctl new and aliasctl set (SPEC "The gate"): one table,
 * one parser, one validation, one way of writing them to the store.
 */
#ifndef ALIASCTL_RULES_H
#define ALIASCTL_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cli/allow.h"
#include "db/store.h"

struct ctx;

/* getopt_long codes of the rule options: above any short option. */
enum {
	RULE_OPT_NOTE = 0x100,
	RULE_OPT_EXPIRES,
	RULE_OPT_LOCK,
	RULE_OPT_ALLOW,
	RULE_OPT_DISALLOW,
	RULE_OPT_ON_REFUSE,
	RULE_OPT_MAX_MAILS,
	RULE_OPT_IDLE
};

/* clang-format off */
#define RULE_OPTIONS \
	{ "note", required_argument, NULL, RULE_OPT_NOTE }, \
	{ "expires", required_argument, NULL, RULE_OPT_EXPIRES }, \
	{ "lock", required_argument, NULL, RULE_OPT_LOCK }, \
	{ "allow", required_argument, NULL, RULE_OPT_ALLOW }, \
	{ "disallow", required_argument, NULL, RULE_OPT_DISALLOW }, \
	{ "on-refuse", required_argument, NULL, RULE_OPT_ON_REFUSE }, \
	{ "max-mails", required_argument, NULL, RULE_OPT_MAX_MAILS }, \
	{ "idle", required_argument, NULL, RULE_OPT_IDLE }
/* clang-format on */

#define RULE_USAGE \
	"[--note TEXT] [--expires WHEN|never] " \
	"[--lock none|domain|sender] [--allow X]... [--disallow X]... " \
	"[--on-refuse reject|discard|hold|tempfail] [--max-mails N|none] " \
	"[--idle SPAN|none]"

/* What the options ask for: a *_arg that is not NULL was given (the
 * last one wins, as with every option), unset ones leave the address as
 * it is.  Allow and disallow items are lists, applied disallow first. */
struct rule_opts {
	const char *note;
	const char *expires_arg;
	const char *lock_arg;
	const char *refuse_arg;
	const char *max_arg;
	const char *idle_arg;
	const char **allow_args; /* argc entries: argv's strings */
	const char **disallow_args;
	size_t nallow, ndisallow;

	/* Filled by rule_opts_check. */
	time_t expires; /* 0: never */
	enum lock_mode lock;
	enum refuse_action on_refuse;
	int64_t max_mails; /* 0: none */
	int64_t idle; /* 0: none */
	struct allow_item *allow, *disallow;
};

/* Ready to take options from a command line of argc words; 0 or an
 * exit code (out of memory). */
int rule_opts_init(struct rule_opts *, int argc);
void rule_opts_free(struct rule_opts *);

/* Take one option from getopt_long: 1 when it was a rule option. */
int rule_opts_take(struct rule_opts *, int opt, const char *arg);

/* Whether any rule option was given. */
bool rule_opts_any(const struct rule_opts *);

/* Validate every value before anything is written; creating: for new
 * (--disallow has nothing to remove there).  0 or an exit code, with
 * one line on stderr. */
int rule_opts_check(struct ctx *, struct rule_opts *, bool creating);

/* Write what was asked to the address, inside the caller's
 * transaction; a->rules are its rules before.  0 or an exit code. */
int rule_opts_apply(struct ctx *, const struct store_address *a,
    const struct rule_opts *);

#endif
