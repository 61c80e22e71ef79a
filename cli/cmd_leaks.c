/*
 * cmd_leaks.c: aliasctl leaks [--since SPAN]
 *
 * The leak sightings (SPEC "The gate"): one line per address and
 * unexpected registered domain, the most recently seen first.  Streamed
 * from the store, with fixed column widths, as list does.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "cli/when.h"

struct leaks {
	bool json;
	int n;
};

static void
print_json(struct leaks *l, const struct store_sighting *s)
{
	fputs(l->n > 0 ? ",\n{\"address\":" : "\n{\"address\":", stdout);
	json_string(stdout, s->address.address, 0);
	fputs(",\"correspondent\":", stdout);
	json_string(stdout, s->address.correspondent, 1);
	fputs(",\"state\":", stdout);
	json_string(stdout, store_state_name(s->address.state), 0);
	fputs(",\"domain\":", stdout);
	json_string(stdout, s->domain, 0);
	fputs(",\"first\":", stdout);
	json_time(stdout, s->first);
	fputs(",\"last\":", stdout);
	json_time(stdout, s->last);
	printf(",\"messages\":%" PRId64 "}", s->messages);
}

static void
print_text(struct leaks *l, const struct store_sighting *s)
{
	char addr[TERM_MAX(ADDRESS_MAX)], corr[TERM_MAX(ADDRESS_MAX)];
	char dom[TERM_MAX(DOMAIN_MAX + 1)];
	char first[DATE_MAX], last[DATE_MAX];
	const struct store_address *a = &s->address;

	if (l->n == 0)
		printf("%-30s %-24s %-20s %-16s %-16s %s\n", "ADDRESS",
		    "CORRESPONDENT", "DOMAIN", "FIRST SEEN", "LAST SEEN",
		    "MESSAGES");
	term_escape(a->address, addr, sizeof(addr));
	term_escape(a->correspondent[0] != '\0' ? a->correspondent : "-", corr,
	    sizeof(corr));
	term_escape(s->domain, dom, sizeof(dom));
	printf("%-30s %-24s %-20s %-16s %-16s %" PRId64 "\n", addr, corr, dom,
	    format_time(s->first, first), format_time(s->last, last),
	    s->messages);
}

static void
print_sighting(void *arg, const struct store_sighting *s)
{
	struct leaks *l = arg;

	if (l->json)
		print_json(l, s);
	else
		print_text(l, s);
	l->n++;
}

int
cmd_leaks(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = { { "since", required_argument,
						     NULL, 's' },
		COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	const struct verb *v = verb_find("leaks");
	struct leaks l = { c->json, 0 };
	const char *since_arg = NULL;
	char shown[TERM_MAX(64)];
	enum store_status st;
	int64_t span = 0;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) !=
	    -1) {
		if (opt == 's')
			since_arg = optarg;
		else if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	}
	/* getopt has permuted: the --json of the verb is known only now. */
	l.json = c->json;
	if (optind != argc)
		return verb_usage(v, EX_USAGE);
	if (since_arg != NULL && span_parse(since_arg, &span) == -1)
		return fail(EX_DATAERR,
		    "bad --since \"%s\": give a span 12h, "
		    "30d, 2w (at most a century)",
		    term_escape(since_arg, shown, sizeof(shown)));
	if ((rc = ctx_open_store(c, false)) != 0)
		return rc;
	if (c->json)
		putchar('[');
	st = store_sightings(c->store,
	    since_arg != NULL ? c->now - (time_t)span : 0, c->now,
	    print_sighting, &l);
	if (c->json)
		fputs(l.n > 0 ? "\n]\n" : "]\n", stdout);
	if (st != STORE_OK && st != STORE_NOTFOUND)
		return ctx_store_fail(c, st, "cannot read the leak sightings");
	if (l.n == 0 && !c->json)
		warnx_cli("no leak sightings%s%s",
		    since_arg != NULL ? " in the last " : "",
		    since_arg != NULL ? since_arg : "");
	return 0;
}
