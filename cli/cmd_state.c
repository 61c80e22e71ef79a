/*
 * cmd_state.c: aliasctl retire ADDRESS [--reason TEXT]
 *              aliasctl revive ADDRESS
 */
#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"

int
cmd_retire(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "reason", required_argument, NULL, 'r' },
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const struct verb *v = verb_find("retire");
	const char *reason = DEFAULT_REASON;
	struct store_address a;
	enum store_status st;
	char shown[TERM_MAX(ADDRESS_MAX)];
	int opt, rc;

	/* The address may come before or after --reason. */
	while ((opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) != -1) {
		if (opt == 'r')
			reason = optarg;
		else if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	}
	if (argc - optind != 1)
		return verb_usage(v, EX_USAGE);
	if (reason[0] == '\0')
		return fail(EX_DATAERR, "--reason is empty: leave it out for "
		    "the default \"%s\"", DEFAULT_REASON);
	if ((rc = check_text("--reason", reason, REASON_MAX)) != 0 ||
	    (rc = ctx_resolve(c, argv[optind], &a)) != 0)
		return rc;
	st = store_retire(c->store, a.id, reason, c->now);
	if (st != STORE_OK)
		return ctx_store_fail(c, st, "cannot retire the address");
	term_escape(a.address, shown, sizeof(shown));
	printf("retired %s\n", shown);
	if (a.is_default)
		warnx_cli("%s was the default address: mail to unknown "
		    "recipients now leaves From unchanged until you set "
		    "another with aliasctl default", shown);
	return 0;
}

int
cmd_revive(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const struct verb *v = verb_find("revive");
	struct store_address a;
	enum store_status st;
	char shown[TERM_MAX(ADDRESS_MAX)];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) != -1)
		if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	if (argc - optind != 1)
		return verb_usage(v, EX_USAGE);
	if ((rc = ctx_resolve(c, argv[optind], &a)) != 0)
		return rc;
	term_escape(a.address, shown, sizeof(shown));
	if (a.state == STATE_ACTIVE) {
		printf("%s is already active\n", shown);
		return 0;
	}
	if ((st = store_revive(c->store, a.id)) != STORE_OK)
		return ctx_store_fail(c, st, "cannot revive the address");
	printf("revived %s\n", shown);
	return 0;
}
