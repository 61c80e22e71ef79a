/*
 * cmd_check.c: aliasctl check RECIPIENT [--from SENDER] [--client IP]
 *
 * What aliasd would answer to this RCPT, as `postmap -q` answers for a
 * map: the same gate (db/gate.c) the milter asks, the same reply text.
 * Nothing is counted and nothing is learned.  What check cannot know is
 * the harvest guard's state, which lives in the running daemon; a
 * client in trusted_networks is outbound and not checked, as in aliasd.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "common/address.h"
#include "common/smtpaddr.h"
#include "db/gate.h"

#define REPLY_MAX (REASON_MAX + ADDRESS_MAX + 64)

/* What the client sees, and what happens to the message after. */
struct answer {
	const char *action; /* accept, reject, tempfail, discard, hold,
				 * not-managed, outbound */
	char reply[REPLY_MAX + 32]; /* the SMTP reply; "" for the MTA's */
	const char *why; /* the rule, or "" */
	const struct gate_decision *d;
};

static void
print_answer(const struct ctx *c, const char *rcpt, const struct answer *a)
{
	char header[GATE_HEADER_MAX], text[TERM_MAX(REPLY_MAX)];
	const struct gate_decision *d = a->d;

	header[0] = '\0';
	if (d != NULL && d->verdict == GATE_ACCEPT)
		gate_header(d, header, sizeof(header));
	if (c->json) {
		fputs("{\"recipient\":", stdout);
		json_string(stdout, rcpt, 0);
		fputs(",\"action\":", stdout);
		json_string(stdout, a->action, 0);
		fputs(",\"reply\":", stdout);
		json_string(stdout, a->reply, 1);
		fputs(",\"why\":", stdout);
		json_string(stdout, a->why, 1);
		if (header[0] != '\0') {
			fputs(",\"sender\":", stdout);
			json_string(stdout,
			    d->expected ? "expected" : "unexpected", 0);
			fputs(",\"x_aliasd\":", stdout);
			json_string(stdout, header, 0);
		}
		fputs("}\n", stdout);
		return;
	}
	if (a->reply[0] != '\0')
		printf("%s\n", term_escape(a->reply, text, sizeof(text)));
	else if (header[0] != '\0')
		printf("accept: X-Aliasd: %s\n",
		    term_escape(header, text, sizeof(text)));
	else
		printf("%s%s%s\n", a->action, a->why[0] != '\0' ? ": " : "",
		    a->why);
}

/* The answer to a refusal by rule, as inbound.c applies it. */
static void
refused(const struct gate_decision *d, const char *addr, struct answer *a)
{
	char text[REPLY_MAX];

	a->why = d->why;
	gate_reply_text(d, addr, text, sizeof(text));
	switch (d->action) {
	case REFUSE_REJECT:
		a->action = "reject";
		snprintf(a->reply, sizeof(a->reply), "%s %s %s", d->code,
		    d->dsn, text);
		break;
	case REFUSE_TEMPFAIL:
		a->action = "tempfail";
		snprintf(a->reply, sizeof(a->reply), "%s %s %s", d->code,
		    d->dsn, text);
		break;
	case REFUSE_DISCARD:
		a->action = "discard";
		snprintf(a->reply, sizeof(a->reply),
		    "250 accepted, then "
		    "discarded: %s",
		    d->reason);
		break;
	case REFUSE_HOLD:
		a->action = "hold";
		snprintf(a->reply, sizeof(a->reply),
		    "250 accepted into the "
		    "hold queue: %s",
		    d->reason);
		break;
	}
}

static bool
client_trusted(const struct config *cfg, const char *ip)
{
	unsigned char addr[16];

	if (inet_pton(AF_INET, ip, addr) == 1)
		return config_is_trusted(cfg, AF_INET, addr);
	if (inet_pton(AF_INET6, ip, addr) == 1)
		return config_is_trusted(cfg, AF_INET6, addr);
	return false;
}

int
cmd_check(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "client", required_argument, NULL, 'C' },
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = verb_find("check");
	const char *from = "<>", *client = NULL, *rcpt;
	char addr[ADDRESS_MAX], sender[ADDRESS_MAX];
	char shown[TERM_MAX(ADDRESS_MAX)];
	unsigned char ip[16];
	struct gate_decision d;
	struct gate_query q;
	struct answer a;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "f:" COMMON_SHORT, options,
		    NULL)) != -1) {
		if (opt == 'f')
			from = optarg;
		else if (opt == 'C')
			client = optarg;
		else if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	}
	if (optind + 1 != argc)
		return verb_usage(v, EX_USAGE);
	rcpt = argv[optind];
	if (client != NULL && inet_pton(AF_INET, client, ip) != 1 &&
	    inet_pton(AF_INET6, client, ip) != 1)
		return fail(EX_USAGE,
		    "bad --client \"%s\": give an IPv4 or "
		    "IPv6 address",
		    term_escape(client, shown, sizeof(shown)));
	memset(&q, 0, sizeof(q));
	switch (smtpaddr_parse(from, sender, sizeof(sender))) {
	case SMTPADDR_OK:
		break;
	case SMTPADDR_NULL:
		q.null_sender = true;
		break;
	default:
		return fail(EX_DATAERR,
		    "bad sender \"%s\": give an address "
		    "or <>",
		    term_escape(from, shown, sizeof(shown)));
	}
	if ((rc = ctx_load_config(c)) != 0)
		return rc;
	memset(&a, 0, sizeof(a));
	a.why = "";
	if (client != NULL && client_trusted(c->config, client)) {
		a.action = "outbound";
		a.why = "trusted client: recipients are not checked";
		print_answer(c, rcpt, &a);
		return 0;
	}
	switch (gate_form(c->config, rcpt, addr, sizeof(addr))) {
	case GATE_FORM_NONE:
		a.action = "not-managed";
		a.why = "not in a managed domain, or passthrough";
		print_answer(c, rcpt, &a);
		return 0;
	case GATE_FORM_MALFORMED:
		gate_malformed(&d);
		refused(&d, addr, &a);
		print_answer(c, rcpt, &a);
		return 0;
	case GATE_FORM_MANAGED:
		break;
	}
	if ((rc = ctx_open_store(c, false)) != 0)
		return rc;
	q.recipient = addr;
	q.sender = q.null_sender ? "" : sender;
	q.now = c->now;
	gate_decide(c->store, &q, &d);
	a.d = &d;
	switch (d.verdict) {
	case GATE_UNAVAILABLE:
		if (c->config->on_error == ON_ERROR_ACCEPT) {
			a.action = "accept";
			a.why = "the store cannot be read (on_error = accept)";
			break;
		}
		a.action = "tempfail";
		a.why = "the store cannot be read";
		snprintf(a.reply, sizeof(a.reply),
		    "451 4.3.0 Temporary "
		    "failure: try again later");
		print_answer(c, rcpt, &a);
		return fail(EX_TEMPFAIL, "%s", d.error);
	case GATE_REFUSE:
		refused(&d, addr, &a);
		break;
	case GATE_ACCEPT:
		a.action = "accept";
		a.why = d.expected ? "expected sender" :
				     "unexpected sender "
				     "(a leak sighting)";
		break;
	}
	print_answer(c, rcpt, &a);
	return 0;
}
