/*
 * cmd_new.c: aliasctl new [--name NAME] [--domain DOMAIN]
 *     [--expires WHEN] [--note TEXT] [rules as for set] [CORRESPONDENT]
 *
 * Prints the new address and nothing else on stdout, so that scripts can
 * capture it.  A correspondent who already has an active address is given
 * the new one anyway (that is how a leaked address is replaced by hand),
 * and stderr says which one their mail leaves from now.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "cli/rules.h"
#include "common/address.h"

struct new_args {
	const char *name;
	const char *domain;
	const char *correspondent;
	struct rule_opts rules; /* --note, --expires and the rules */
};

static int
parse_args(struct ctx *c, int argc, char **argv, struct new_args *a)
{
	static const struct option options[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "domain", required_argument, NULL, 'd' },
		RULE_OPTIONS,
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = verb_find("new");
	int opt, rc;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) !=
	    -1) {
		switch (opt) {
		case 'n':
			a->name = optarg;
			break;
		case 'd':
			a->domain = optarg;
			break;
		default:
			if (rule_opts_take(&a->rules, opt, optarg))
				break;
			if ((rc = common_option(c, v, opt)) != -1)
				return rc;
		}
	}
	if (argc - optind > 1)
		return verb_usage(v, EX_USAGE);
	a->correspondent = optind < argc ? argv[optind] : NULL;
	return 0;
}

static int
check_name(struct ctx *c, const char *name, char *local, size_t len)
{
	char shown[TERM_MAX(LOCAL_MAX + 1)];

	if (snprintf(local, len, "%s", name) >= (int)len ||
	    !address_local_valid(local, strlen(local)))
		return fail(EX_DATAERR, "\"%s\" is not a valid local part",
		    term_escape(name, shown, sizeof(shown)));
	address_lower(local);
	if (config_is_passthrough(c->config, local))
		return fail(EX_DATAERR,
		    "%s is in passthrough and never "
		    "managed: choose another name",
		    local);
	return 0;
}

static int
pick_domain(struct ctx *c, const char *want, const char **domain)
{
	char shown[TERM_MAX(DOMAIN_MAX + 1)];

	if (c->config->ndomains == 0)
		return fail(EX_CONFIG,
		    "no domain configured: set domain in "
		    "%s (or run aliasctl init --domain DOMAIN)",
		    c->config_path);
	if (want == NULL) {
		*domain = c->config->domains[0];
		return 0;
	}
	for (size_t i = 0; i < c->config->ndomains; i++)
		if (strcasecmp(c->config->domains[i], want) == 0) {
			*domain = c->config->domains[i];
			return 0;
		}
	return fail(EX_DATAERR, "%s is not a managed domain (domain = %s...)",
	    term_escape(want, shown, sizeof(shown)), c->config->domains[0]);
}

/* The policy takes the newest active address of a correspondent
 * (store_find_correspondent(): highest id), and the one just made is the
 * newest: say so, naming both, so that nobody is surprised. */
static void
note_replaced(const struct store_address *old, const struct store_address *out)
{
	char who[TERM_MAX(ADDRESS_MAX)], was[TERM_MAX(ADDRESS_MAX)];
	char now[TERM_MAX(ADDRESS_MAX)];

	term_escape(out->correspondent, who, sizeof(who));
	term_escape(old->address, was, sizeof(was));
	term_escape(out->address, now, sizeof(now));
	warnx_cli("mail to %s now leaves from %s%s, not %s: the newest "
		  "active address wins",
	    who, now, out->expires != 0 ? " (until it expires)" : "", was);
}

/* Create the address and give it its rules in one transaction: a rule
 * that cannot be written leaves no address behind.  Fills out as it is
 * after the rules; had and old: the correspondent's active address
 * before, if any. */
static int
create(struct ctx *c, const struct new_args *a, const char *local,
    const char *domain, const char *correspondent, struct store_address *out,
    enum store_status *had, struct store_address *old)
{
	enum store_status st;
	int rc;

	if ((st = store_begin(c->store)) != STORE_OK)
		return ctx_store_fail(c, st, "cannot lock the store");
	*had = STORE_NOTFOUND;
	if (correspondent[0] != '\0' &&
	    (*had = store_find_correspondent(c->store, correspondent, c->now,
		 old)) != STORE_OK &&
	    *had != STORE_NOTFOUND) {
		rc = ctx_store_fail(c, *had, "cannot read the store");
		goto fail;
	}
	st = store_create(c->store, c->template,
	    a->name != NULL ? local : NULL, domain, correspondent,
	    a->rules.expires_arg != NULL ? a->rules.expires : 0, a->rules.note,
	    c->now, out);
	if (st != STORE_OK) {
		rc = ctx_store_fail(c, st, "cannot create the address");
		goto fail;
	}
	if ((rc = rule_opts_apply(c, out, &a->rules)) != 0)
		goto fail;
	/* Read it back for --json: the rules as written. */
	if (rule_opts_any(&a->rules) &&
	    (st = store_find(c->store, out->local, out->domain, c->now,
		 out)) != STORE_OK) {
		rc = ctx_store_fail(c, st, "cannot read the new address");
		goto fail;
	}
	if ((st = store_commit(c->store)) == STORE_OK)
		return 0;
	rc = ctx_store_fail(c, st, "cannot create the address");
fail:
	store_rollback(c->store);
	return rc;
}

static int
run_new(struct ctx *c, struct new_args *a)
{
	char correspondent[ADDRESS_MAX], local[LOCAL_MAX + 1];
	char shown[TERM_MAX(ADDRESS_MAX)];
	struct store_address out, old;
	enum store_status had = STORE_NOTFOUND, st;
	const char *domain = NULL, *why;
	int rc;

	correspondent[0] = '\0';
	if ((rc = ctx_load_config(c)) != 0 ||
	    (rc = pick_domain(c, a->domain, &domain)) != 0)
		return rc;
	/* The error is one line whatever was typed: the argument is shown
	 * escaped. */
	if (a->correspondent != NULL &&
	    (why = address_parse_correspondent(a->correspondent, correspondent,
		 sizeof(correspondent))) != NULL)
		return fail(EX_DATAERR,
		    "bad correspondent \"%s\": %s; write "
		    "joe@example.org or @example.org",
		    term_escape(a->correspondent, shown, sizeof(shown)), why);
	if (a->name != NULL &&
	    (rc = check_name(c, a->name, local, sizeof(local))) != 0)
		return rc;
	if ((rc = rule_opts_check(c, &a->rules, true)) != 0)
		return rc;
	if ((rc = ctx_template(c)) != 0 ||
	    (rc = ctx_open_store(c, false)) != 0)
		return rc;
	if ((rc = create(c, a, local, domain, correspondent, &out, &had,
		 &old)) != 0)
		return rc;
	if (had == STORE_OK)
		note_replaced(&old, &out);
	if (c->json) {
		st = json_address(stdout, c->store, &out);
		putchar('\n');
		return st == STORE_OK ?
		    0 :
		    ctx_store_fail(c, st, "cannot read the allow list");
	}
	printf("%s\n", out.address);
	return 0;
}

int
cmd_new(struct ctx *c, int argc, char **argv)
{
	struct new_args a = { NULL, NULL, NULL, { 0 } };
	int rc;

	if ((rc = rule_opts_init(&a.rules, argc)) != 0)
		return rc;
	if ((rc = parse_args(c, argc, argv, &a)) == 0)
		rc = run_new(c, &a);
	rule_opts_free(&a.rules);
	return rc;
}
