/*
 * cmd_show.c: aliasctl show ADDRESS: everything known about one address,
 * including the sender domains that wrote to it (which is how a leak
 * shows).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"

struct domains {
	struct ctx *ctx;
	int n;
};

static void
print_domain(void *arg, const char *domain, int64_t count, time_t last)
{
	struct domains *d = arg;
	char buf[DATE_MAX], text[TERM_MAX(DOMAIN_MAX)];

	if (d->ctx->json) {
		fputs(d->n++ > 0 ? "," : "", stdout);
		fputs("{\"domain\":", stdout);
		json_string(stdout, domain, 0);
		printf(",\"messages\":%" PRId64 ",\"last\":", count);
		json_time(stdout, last);
		putchar('}');
		return;
	}
	printf("%-16s%s (%" PRId64 ", last %s)\n", d->n++ == 0 ?
	    "sender domains:" : "", term_escape(domain, text, sizeof(text)),
	    count, format_time(last, buf));
}

/* One "label: value" line of a stored string, escaped for the terminal. */
static void
print_line(const char *label, const char *value)
{
	char text[TERM_MAX(REASON_MAX > NOTE_MAX ? REASON_MAX : NOTE_MAX)];

	printf("%-16s%s\n", label, term_escape(value, text, sizeof(text)));
}

static void
print_text(const struct store_address *a)
{
	char buf[DATE_MAX];

	print_line("address:", a->address);
	print_line("correspondent:", a->correspondent[0] != '\0' ?
	    a->correspondent : "-");
	printf("%-16s%s\n", "state:", store_state_name(a->state));
	if (a->state == STATE_RETIRED)
		print_line("reason:", a->reason);
	printf("%-16s%s\n", "created:", format_time(a->created, buf));
	if (a->state == STATE_RETIRED)
		printf("%-16s%s\n", "retired:", format_time(a->retired, buf));
	printf("%-16s%s\n", "expires:", a->expires != 0 ?
	    format_time(a->expires, buf) : "never");
	if (a->note[0] != '\0')
		print_line("note:", a->note);
	printf("%-16s%s\n", "default:", a->is_default ? "yes" : "no");
	printf("%-16s%" PRId64 "\n", "messages:", a->messages);
	printf("%-16s%s\n", "last mail:", format_time(a->last_mail, buf));
}

int
cmd_show(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const struct verb *v = verb_find("show");
	struct domains d = { c, 0 };
	struct store_address a;
	enum store_status st;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) != -1)
		if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	if (argc - optind != 1)
		return verb_usage(v, EX_USAGE);
	if ((rc = ctx_resolve(c, argv[optind], &a)) != 0)
		return rc;
	if (c->json) {
		putchar('{');
		json_address_fields(stdout, &a);
		fputs(",\"sender_domains\":[", stdout);
	} else
		print_text(&a);
	st = store_sender_domains(c->store, a.id, print_domain, &d);
	if (st != STORE_OK)
		return ctx_store_fail(c, st, "cannot read sender domains");
	if (c->json)
		fputs("]}\n", stdout);
	return 0;
}
