/*
 * cmd_default.c: aliasctl default [ADDRESS | --none]
 *
 * The default address is what a message gets when its recipients match
 * no correspondent, or match different ones.
 */
#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"

static int
show_default(struct ctx *c)
{
	struct store_address a;
	enum store_status st;
	char shown[TERM_MAX(ADDRESS_MAX)];
	int rc;

	if ((rc = ctx_open_store(c, false)) != 0)
		return rc;
	st = store_get_default(c->store, c->now, &a);
	if (st != STORE_OK && st != STORE_NOTFOUND)
		return ctx_store_fail(c, st, "cannot read the default");
	if (c->json) {
		fputs("{\"default\":", stdout);
		json_string(stdout, st == STORE_OK ? a.address : NULL, 1);
		fputs("}\n", stdout);
	} else if (st == STORE_OK)
		printf("%s%s\n", term_escape(a.address, shown, sizeof(shown)),
		    a.state == STATE_ACTIVE	 ? "" :
			a.state == STATE_RETIRED ? " (retired: not used)" :
						   " (expired: not used)");
	else
		warnx_cli("no default address: set one with aliasctl default "
			  "ADDRESS");
	return 0;
}

int
cmd_default(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "none", no_argument, NULL, 'n' },
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = verb_find("default");
	struct store_address a;
	enum store_status st;
	char shown[TERM_MAX(ADDRESS_MAX)];
	int opt, rc;
	bool none = false;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) !=
	    -1) {
		if (opt == 'n')
			none = true;
		else if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	}
	if (argc - optind > 1 || (none && argc - optind == 1))
		return verb_usage(v, EX_USAGE);
	if (!none && optind == argc)
		return show_default(c);
	if (none) {
		if ((rc = ctx_open_store(c, false)) != 0)
			return rc;
		if ((st = store_set_default(c->store, 0)) != STORE_OK)
			return ctx_store_fail(c, st,
			    "cannot clear the default");
		printf("no default address\n");
		return 0;
	}
	if ((rc = ctx_resolve(c, argv[optind], &a)) != 0)
		return rc;
	if (a.state != STATE_ACTIVE)
		return fail(EX_DATAERR,
		    "%s is %s: only an active address can "
		    "be the default",
		    term_escape(a.address, shown, sizeof(shown)),
		    store_state_name(a.state));
	if ((st = store_set_default(c->store, a.id)) != STORE_OK)
		return ctx_store_fail(c, st, "cannot set the default");
	printf("default address is %s\n",
	    term_escape(a.address, shown, sizeof(shown)));
	return 0;
}
