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
#include "db/source.h"
#include "rewriter/plan.h"

/* The plan for these recipients: no message yet, so the owner's mail,
 * and nothing but the address matters.  0, or an exit code. */
static int
plan_for(struct ctx *c, char **rcpts, size_t n, bool create, struct plan *p)
{
	struct store_source src;
	struct policy_source ps;
	struct plan_request req;
	char err[256];
	int rc;

	memset(p, 0, sizeof(*p));
	header_changes_init(&p->changes);
	store_source_init(&src, c->store, c->now, &ps);
	if (create && c->config->auto_create && c->config->ndomains > 0) {
		if ((rc = ctx_template(c)) != 0)
			return rc;
		store_source_creates(&src, &ps, c->template,
		    c->config->domains[0]);
	}
	plan_request_from_config(c->config, &req);
	req.src = &ps;
	req.rcpts = (const char *const *)rcpts;
	req.nrcpts = n;
	req.may_create = create;
	req.guard = false;	/* no message here: nothing to guard */
	if (plan_make(&req, p, err, sizeof(err)) != PLAN_OK)
		return src.created != STORE_OK ?
		    ctx_store_fail(c, src.created, "cannot create the address") :
		    fail(EX_TEMPFAIL, "%s: %s", err, store_error(c->store));
	if (create && p->want_new && !p->created)
		return fail(EX_CONFIG, "no domain configured: set domain in "
		    "%s", c->config_path);
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
	char addr[ADDRESS_MAX], shown[TERM_MAX(ADDRESS_MAX)];
	struct plan p;
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
			    term_escape(argv[i], shown, sizeof(shown)), why);
	if ((rc = ctx_open_store(c, false)) != 0)
		return rc;
	rc = plan_for(c, argv + optind, (size_t)(argc - optind), create, &p);
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
