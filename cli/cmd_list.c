/*
 * cmd_list.c: aliasctl list [--active|--retired|--all]
 *
 * Streams rows from the store: memory stays flat at a million addresses.
 * Column widths are fixed rather than measured, for the same reason.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"

static void
print_row(const struct store_address *a)
{
	char created[DATE_MAX], last[DATE_MAX], date[DATE_MAX];
	char count[24], addr[TERM_MAX(ADDRESS_MAX)];
	char corr[TERM_MAX(ADDRESS_MAX)];

	/* Dates only in the table; show gives the times. */
	snprintf(date, sizeof(date), "%.10s",
	    format_time(a->created, created));
	snprintf(count, sizeof(count), "%" PRId64, a->messages);
	printf("%-30s %-30s %-8s %-10s %-10.10s %s%s\n",
	    term_escape(a->address, addr, sizeof(addr)),
	    term_escape(a->correspondent[0] != '\0' ? a->correspondent : "-",
		corr, sizeof(corr)),
	    store_state_name(a->state), date, format_time(a->last_mail, last),
	    count, a->is_default ? " (default)" : "");
}

int
cmd_list(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "active", no_argument, NULL, 'a' },
		{ "retired", no_argument, NULL, 'r' },
		{ "all", no_argument, NULL, 'A' },
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = verb_find("list");
	enum store_filter filter = FILTER_ACTIVE;
	enum store_status st;
	struct store_iter *it;
	struct store_address a;
	int opt, rc, n = 0;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) !=
	    -1) {
		if (opt == 'a')
			filter = FILTER_ACTIVE;
		else if (opt == 'r')
			filter = FILTER_RETIRED;
		else if (opt == 'A')
			filter = FILTER_ALL;
		else if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	}
	if (optind != argc)
		return verb_usage(v, EX_USAGE);
	if ((rc = ctx_open_store(c, false)) != 0)
		return rc;
	if ((st = store_list(c->store, filter, c->now, &it)) != STORE_OK)
		return ctx_store_fail(c, st, "cannot list");
	if (c->json)
		putchar('[');
	else
		printf("%-30s %-30s %-8s %-10s %-10s %s\n", "ADDRESS",
		    "CORRESPONDENT", "STATE", "CREATED", "LAST MAIL", "COUNT");
	while ((st = store_next(it, &a)) == STORE_OK) {
		if (!c->json) {
			print_row(&a);
			continue;
		}
		fputs(n++ > 0 ? ",\n" : "\n", stdout);
		/* The allow list is one indexed lookup per address. */
		if ((st = json_address(stdout, c->store, &a)) != STORE_OK)
			break;
	}
	store_iter_free(it);
	if (c->json)
		fputs(n > 0 ? "\n]\n" : "]\n", stdout);
	if (st != STORE_NOTFOUND)
		return ctx_store_fail(c, st, "cannot list");
	return 0;
}
