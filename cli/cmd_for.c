/*
 * cmd_for.c: aliasctl for RECIPIENT...
 *
 * Prints the address that mail to these recipients gets, by the same
 * policy the milter and alias-sendmail use; nothing when the message
 * would be left unchanged.  The Emacs package calls this on send.
 */
#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "db/source.h"
#include "rewriter/policy.h"

int
cmd_for(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const struct verb *v = verb_find("for");
	char addr[ADDRESS_MAX], err[256];
	struct store_source src;
	struct policy_source ps;
	struct policy_result res;
	const char *why;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) != -1)
		if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	if (optind == argc)
		return verb_usage(v, EX_USAGE);
	for (int i = optind; i < argc; i++)
		if ((why = address_parse_mailbox(argv[i], addr, sizeof(addr))) !=
		    NULL)
			return fail(EX_DATAERR, "bad recipient \"%s\": %s",
			    argv[i], why);
	if ((rc = ctx_open_store(c, false)) != 0)
		return rc;
	store_source_init(&src, c->store, c->now, &ps);
	if (policy_choose(&ps, (const char *const *)argv + optind,
	    (size_t)(argc - optind), &res, err, sizeof(err)) == -1)
		return fail(EX_TEMPFAIL, "%s: %s", err, store_error(c->store));
	if (c->json) {
		fputs("{\"address\":", stdout);
		json_string(stdout, res.address, 1);
		fputs(",\"how\":", stdout);
		json_string(stdout, policy_how_name(res.how), 0);
		fputs("}\n", stdout);
	} else if (res.address[0] != '\0')
		printf("%s\n", res.address);
	return 0;
}
