/*
 * cmd_replace.c: aliasctl replace ADDRESS [--reason TEXT]
 *
 * What to do when an address has leaked: retire it and give its
 * correspondent a new address with the same rules, note, expiry and
 * allow list, in one transaction (store_replace).  Prints the new
 * address and nothing else on stdout, as new does.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"

static int
replace(struct ctx *c, const char *what, const char *given,
    struct store_address *old, struct store_address *out)
{
	enum store_status st;
	const char *reason;
	int rc;

	if ((rc = ctx_template(c)) != 0 ||
	    (rc = ctx_open_store(c, false)) != 0)
		return rc;
	if ((st = store_begin(c->store)) != STORE_OK)
		return ctx_store_fail(c, st, "cannot lock the store");
	if ((rc = ctx_resolve(c, what, old)) != 0)
		goto fail;
	/* As retire: an address already retired keeps its reason unless
	 * one is given. */
	if (given != NULL)
		reason = given;
	else if (old->state == STATE_RETIRED)
		reason = old->reason;
	else
		reason = DEFAULT_REASON;
	st = store_replace(c->store, c->template, old->id, reason, c->now,
	    out);
	if (st != STORE_OK) {
		rc = ctx_store_fail(c, st, "cannot replace the address");
		goto fail;
	}
	/* The new address takes the old one's place as the default too:
	 * otherwise mail to strangers would leave with From unchanged. */
	if (old->is_default &&
	    (st = store_set_default(c->store, out->id)) != STORE_OK) {
		rc = ctx_store_fail(c, st, "cannot set the default address");
		goto fail;
	}
	out->is_default = old->is_default;
	if ((st = store_commit(c->store)) == STORE_OK)
		return 0;
	rc = ctx_store_fail(c, st, "cannot replace the address");
fail:
	store_rollback(c->store);
	return rc;
}

int
cmd_replace(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = { { "reason", required_argument,
						     NULL, 'r' },
		COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	const struct verb *v = verb_find("replace");
	const char *reason = NULL;
	struct store_address old, out;
	char shown[TERM_MAX(ADDRESS_MAX)];
	enum store_status st;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) !=
	    -1) {
		if (opt == 'r')
			reason = optarg;
		else if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	}
	if (argc - optind != 1)
		return verb_usage(v, EX_USAGE);
	if (reason != NULL && reason[0] == '\0')
		return fail(EX_DATAERR,
		    "--reason is empty: leave it out for "
		    "the default \"%s\"",
		    DEFAULT_REASON);
	if (reason != NULL &&
	    (rc = check_text("--reason", reason, REASON_MAX)) != 0)
		return rc;
	if ((rc = replace(c, argv[optind], reason, &old, &out)) != 0)
		return rc;
	if (old.is_default)
		warnx_cli("the default address is now %s",
		    term_escape(out.address, shown, sizeof(shown)));
	if (!c->json) {
		printf("%s\n", out.address);
		return 0;
	}
	st = json_address(stdout, c->store, &out);
	putchar('\n');
	return st == STORE_OK ?
	    0 :
	    ctx_store_fail(c, st, "cannot read the allow list");
}
