/*
 * cmd_set.c: aliasctl set ADDRESS [--note TEXT] [--expires WHEN|never]
 *     [--lock none|domain|sender] [--allow X]... [--disallow X]...
 *     [--on-refuse reject|discard|hold|tempfail] [--max-mails N|none]
 *     [--idle SPAN|none]
 *
 * Every change in one transaction, after every value has been checked:
 * a bad one is one line on stderr and the address stays as it was.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "cli/rules.h"

static int
set_rules(struct ctx *c, const char *what, const struct rule_opts *o,
    struct store_address *a)
{
	enum store_status st;
	int rc;

	if ((rc = ctx_open_store(c, false)) != 0)
		return rc;
	if ((st = store_begin(c->store)) != STORE_OK)
		return ctx_store_fail(c, st, "cannot lock the store");
	if ((rc = ctx_resolve(c, what, a)) != 0 ||
	    (rc = rule_opts_apply(c, a, o)) != 0)
		goto fail;
	/* Read it back: the state follows from the new rules. */
	if ((st = store_find(c->store, a->local, a->domain, c->now, a)) !=
	    STORE_OK) {
		rc = ctx_store_fail(c, st, "cannot read the address");
		goto fail;
	}
	if ((st = store_commit(c->store)) == STORE_OK)
		return 0;
	rc = ctx_store_fail(c, st, "cannot change the address");
fail:
	store_rollback(c->store);
	return rc;
}

/* Say so when the new rules leave the address refusing mail now: a
 * --max-mails below what it has had, an --idle shorter than its
 * silence, an expiry date that has passed. */
static void
set_report(const struct store_address *a)
{
	char shown[TERM_MAX(ADDRESS_MAX)];

	term_escape(a->address, shown, sizeof(shown));
	printf("changed %s\n", shown);
	if (a->state == STATE_EXPIRED)
		warnx_cli("%s is expired (%s) and refuses mail: change that "
			  "rule to take mail again",
		    shown, store_expiry_name(a->expired_by));
}

int
cmd_set(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = { RULE_OPTIONS, COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 } };
	const struct verb *v = verb_find("set");
	struct rule_opts o;
	struct store_address a;
	enum store_status st;
	int opt, rc;

	if ((rc = rule_opts_init(&o, argc)) != 0)
		return rc;
	while ((opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) !=
	    -1) {
		if (rule_opts_take(&o, opt, optarg))
			continue;
		if ((rc = common_option(c, v, opt)) != -1)
			goto done;
	}
	rc = EX_USAGE;
	if (argc - optind != 1) {
		verb_usage(v, EX_USAGE);
		goto done;
	}
	if (!rule_opts_any(&o)) {
		fail(EX_USAGE,
		    "nothing to change: give a rule, --note or "
		    "--expires (see aliasctl set --help)");
		goto done;
	}
	if ((rc = rule_opts_check(c, &o, false)) != 0 ||
	    (rc = set_rules(c, argv[optind], &o, &a)) != 0)
		goto done;
	if (!c->json)
		set_report(&a);
	else if ((st = json_address(stdout, c->store, &a)) == STORE_OK)
		putchar('\n');
	else {
		putchar('\n');
		rc = ctx_store_fail(c, st, "cannot read the allow list");
	}
done:
	rule_opts_free(&o);
	return rc;
}
