/*
 * cmd_for.c: aliasctl for RECIPIENT...
 *
 * Prints the address that mail to these recipients gets, by the same
 * plan the milter and alias-sendmail use (rewriter/plan.c); nothing when
 * the message would be left unchanged.  With --create, as when mail is
 * sent, auto_create = yes gives a single recipient nobody has an address
 * for a new one.  (A client about to send asks aliasctl rewrite, which
 * sees the whole header block: cmd_rewrite.c.)
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "rewriter/plan.h"

int
cmd_for(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "create", no_argument, NULL, 'C' },
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = verb_find("for");
	bool create = false;
	char addr[ADDRESS_MAX], shown[TERM_MAX(ADDRESS_MAX)];
	struct plan_request req;
	struct plan p;
	enum plan_status st;
	const char *why;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) !=
	    -1) {
		if (opt == 'C')
			create = true;
		else if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	}
	if (optind == argc)
		return verb_usage(v, EX_USAGE);
	for (int i = optind; i < argc; i++)
		if ((why = address_parse_mailbox(argv[i], addr,
			 sizeof(addr))) != NULL)
			return fail(EX_DATAERR, "bad recipient \"%s\": %s",
			    term_escape(argv[i], shown, sizeof(shown)), why);
	if ((rc = ctx_open_store(c, false)) != 0)
		return rc;
	/* no message yet: the owner's client asks before sending */
	req = (struct plan_request){
		.rcpts = (const char *const *)argv + optind,
		.nrcpts = (size_t)(argc - optind),
	};
	rc = ctx_plan(c, &req, create, &p, &st);
	if (rc != 0) {
		plan_free(&p);
		return rc;
	}
	if (c->json) {
		fputs("{\"address\":", stdout);
		json_string(stdout, p.address, 1);
		fputs(",\"how\":", stdout);
		json_string(stdout, policy_how_name(p.how), 0);
		fputs("}\n", stdout);
	} else if (p.address[0] != '\0')
		printf("%s\n", term_escape(p.address, shown, sizeof(shown)));
	plan_free(&p);
	return 0;
}
