/*
 * cmd_for.c: aliasctl for RECIPIENT...
 *
 * Prints the address that mail to these recipients gets, by the same
 * policy the milter and alias-sendmail use; nothing when the message
 * would be left unchanged.  The Emacs package calls this on send, with
 * --create: then, as when mail is sent, auto_create = yes gives a single
 * recipient nobody has an address for a new one.
 */
#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "db/source.h"
#include "rewriter/policy.h"

/* auto_create: the one new recipient gets an address now. */
static int
create_for(struct ctx *c, struct policy_result *res)
{
	struct store_address a;
	enum store_status st;
	int rc;

	if (c->config->ndomains == 0)
		return fail(EX_CONFIG, "no domain configured: set domain in "
		    "%s", c->config_path);
	if ((rc = ctx_template(c)) != 0)
		return rc;
	st = store_create(c->store, c->template, NULL, c->config->domains[0],
	    res->new_correspondent, 0, NULL, c->now, &a);
	if (st != STORE_OK)
		return ctx_store_fail(c, st, "cannot create the address");
	snprintf(res->address, sizeof(res->address), "%s", a.address);
	res->how = POLICY_CORRESPONDENT;
	return 0;
}

int
cmd_for(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "create", no_argument, NULL, 'C' },
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const struct verb *v = verb_find("for");
	bool create = false;
	char addr[ADDRESS_MAX], err[256];
	struct store_source src;
	struct policy_source ps;
	struct policy_result res;
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
	if (create && res.want_new && c->config->auto_create &&
	    (rc = create_for(c, &res)) != 0)
		return rc;
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
