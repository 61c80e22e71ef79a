/*
 * cmd_show.c: aliasctl show ADDRESS: everything known about one address,
 * its rules (SPEC "The gate") and the sender domains that wrote to it
 * (which is how a leak shows).
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
	printf("%-16s%s (%" PRId64 ", last %s)\n",
	    d->n++ == 0 ? "sender domains:" : "",
	    term_escape(domain, text, sizeof(text)), count,
	    format_time(last, buf));
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
	print_line("correspondent:",
	    a->correspondent[0] != '\0' ? a->correspondent : "-");
	if (a->state == STATE_EXPIRED)
		printf("%-16s%s (%s)\n", "state:", store_state_name(a->state),
		    store_expiry_name(a->expired_by));
	else
		printf("%-16s%s\n", "state:", store_state_name(a->state));
	if (a->state == STATE_RETIRED)
		print_line("reason:", a->reason);
	printf("%-16s%s\n", "created:", format_time(a->created, buf));
	if (a->state == STATE_RETIRED)
		printf("%-16s%s\n", "retired:", format_time(a->retired, buf));
	printf("%-16s%s\n", "expires:",
	    a->expires != 0 ? format_time(a->expires, buf) : "never");
	if (a->note[0] != '\0')
		print_line("note:", a->note);
	printf("%-16s%s\n", "default:", a->is_default ? "yes" : "no");
	printf("%-16s%" PRId64 "\n", "messages:", a->messages);
	printf("%-16s%s\n", "last mail:", format_time(a->last_mail, buf));
}

static void
print_item(void *arg, const char *item, const char *key)
{
	int *n = arg;
	char text[TERM_MAX(ALLOW_ITEM_MAX)];

	(void)key;
	printf("%-16s%s\n", (*n)++ == 0 ? "allow:" : "",
	    term_escape(item, text, sizeof(text)));
}

/* The gate's rules, after the counters they refer to. */
static enum store_status
print_rules(struct ctx *c, const struct store_address *a)
{
	char span[SPAN_TEXT_MAX];
	enum store_status st;
	int n = 0;

	printf("%-16s%s\n", "lock:", store_lock_name(a->rules.lock));
	st = store_allow_list(c->store, a->id, print_item, &n);
	if (st != STORE_OK && st != STORE_NOTFOUND) /* NOTFOUND: empty */
		return st;
	if (n == 0)
		printf("%-16s%s\n", "allow:",
		    a->correspondent[0] == '\0' && !a->learned ?
			"- (learns its first sender)" :
			"-");
	printf("%-16s%s\n",
	    "on refuse:", store_refuse_name(a->rules.on_refuse));
	if (a->rules.max_mails > 0)
		printf("%-16s%" PRId64 " (%" PRId64 " so far)\n",
		    "max mails:", a->rules.max_mails, a->messages);
	else
		printf("%-16s%s\n", "max mails:", "none");
	printf("%-16s%s\n", "idle:",
	    a->rules.idle > 0 ? span_format(a->rules.idle, span) : "none");
	return STORE_OK;
}

int
cmd_show(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = verb_find("show");
	struct domains d = { c, 0 };
	struct store_address a;
	enum store_status st;
	int opt, rc;

	while (
	    (opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) != -1)
		if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	if (argc - optind != 1)
		return verb_usage(v, EX_USAGE);
	if ((rc = ctx_resolve(c, argv[optind], &a)) != 0)
		return rc;
	if (c->json) {
		putchar('{');
		json_address_fields(stdout, &a);
		st = json_allow(stdout, c->store, a.id);
		fputs(",\"sender_domains\":[", stdout);
	} else {
		print_text(&a);
		st = print_rules(c, &a);
	}
	if (st != STORE_OK) {
		if (c->json)
			fputs("]}\n", stdout);
		return ctx_store_fail(c, st, "cannot read the allow list");
	}
	st = store_sender_domains(c->store, a.id, print_domain, &d);
	if (c->json)
		fputs("]}\n", stdout);
	if (st != STORE_OK)
		return ctx_store_fail(c, st, "cannot read sender domains");
	return 0;
}
