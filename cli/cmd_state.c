/*
 * cmd_state.c: aliasctl retire ADDRESS... [--reason TEXT]
 *              aliasctl revive ADDRESS
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"

/* What retire did to one address, said after the commit. */
enum retired_how {
	RETIRED_NOW, /* it was active or expired */
	RETIRED_REASON, /* already retired: the new reason taken */
	RETIRED_KEPT, /* already retired: left as it was */
	RETIRED_TWICE /* named twice on the command line */
};

struct retiring {
	struct store_address a;
	enum retired_how how;
};

/* One address, inside the caller's transaction.  An address already
 * retired keeps its reason unless one was given, and keeps its
 * retirement time either way: it was retired then. */
static int
retire_one(struct ctx *c, struct retiring *r, const char *given)
{
	enum store_status st;

	if (r->a.state == STATE_RETIRED && given == NULL) {
		r->how = RETIRED_KEPT;
		return 0;
	}
	r->how = r->a.state == STATE_RETIRED ? RETIRED_REASON : RETIRED_NOW;
	st = store_retire(c->store, r->a.id,
	    given != NULL ? given : DEFAULT_REASON,
	    r->how == RETIRED_REASON ? r->a.retired : c->now);
	return st == STORE_OK ?
	    0 :
	    ctx_store_fail(c, st, "cannot retire the address");
}

static bool
named_before(const struct retiring *r, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (r[j].a.id == r[i].a.id)
			return true;
	return false;
}

/* Resolve and retire every address in one transaction: a bad one among
 * them changes nothing. */
static int
retire_all(struct ctx *c, char **what, size_t n, struct retiring *r,
    const char *given)
{
	enum store_status st;
	int rc;

	if ((rc = ctx_open_store(c, false)) != 0)
		return rc;
	if ((st = store_begin(c->store)) != STORE_OK)
		return ctx_store_fail(c, st, "cannot lock the store");
	for (size_t i = 0; i < n; i++) {
		if ((rc = ctx_resolve(c, what[i], &r[i].a)) != 0)
			goto fail;
		if (named_before(r, i)) {
			r[i].how = RETIRED_TWICE;
			continue;
		}
		if ((rc = retire_one(c, &r[i], given)) != 0)
			goto fail;
	}
	if ((st = store_commit(c->store)) == STORE_OK)
		return 0;
	rc = ctx_store_fail(c, st, "cannot retire the addresses");
fail:
	store_rollback(c->store);
	return rc;
}

static void
retire_report(const struct retiring *r)
{
	char shown[TERM_MAX(ADDRESS_MAX)];

	term_escape(r->a.address, shown, sizeof(shown));
	switch (r->how) {
	case RETIRED_TWICE:
		return;
	case RETIRED_KEPT:
		printf("%s is already retired; its reason is kept (give "
		       "--reason to change it)\n",
		    shown);
		return;
	case RETIRED_REASON:
		printf("retired %s (new reason)\n", shown);
		return;
	case RETIRED_NOW:
		printf("retired %s\n", shown);
		break;
	}
	if (r->a.is_default)
		warnx_cli("%s was the default address: mail to unknown "
			  "recipients now leaves From unchanged until you set "
			  "another with aliasctl default",
		    shown);
}

int
cmd_retire(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "reason", required_argument, NULL, 'r' },
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = verb_find("retire");
	const char *reason = NULL;
	struct retiring *r;
	size_t n;
	int opt, rc;

	/* The addresses may come before or after --reason. */
	while ((opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) !=
	    -1) {
		if (opt == 'r')
			reason = optarg;
		else if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	}
	if (argc - optind < 1)
		return verb_usage(v, EX_USAGE);
	if (reason != NULL && reason[0] == '\0')
		return fail(EX_DATAERR,
		    "--reason is empty: leave it out for "
		    "the default \"%s\"",
		    DEFAULT_REASON);
	if (reason != NULL &&
	    (rc = check_text("--reason", reason, REASON_MAX)) != 0)
		return rc;
	n = (size_t)(argc - optind);
	if ((r = calloc(n, sizeof(*r))) == NULL)
		return fail(EX_OSERR, "out of memory");
	if ((rc = retire_all(c, argv + optind, n, r, reason)) == 0)
		for (size_t i = 0; i < n; i++)
			retire_report(&r[i]);
	free(r);
	return rc;
}

int
cmd_revive(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = verb_find("revive");
	struct store_address a;
	enum store_status st;
	char shown[TERM_MAX(ADDRESS_MAX)];
	int opt, rc;

	while (
	    (opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) != -1)
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
