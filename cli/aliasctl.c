/*
 * aliasctl: create, retire and list per-correspondent addresses, and
 * export them as maps for sendmail, Postfix and qmail.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/rules.h"
#include "common/version.h"

static const struct verb verbs[] = {
	{ .name = "init",
	    .usage = "init [--domain DOMAIN] [--owner ADDRESS] "
		     "[--name FULL_NAME]",
	    .help = "create the store, and a starter configuration if none",
	    .run = cmd_init },
	{ .name = "new",
	    .usage =
		"new [--name NAME] [--domain DOMAIN] "
		"[--note TEXT] [--expires WHEN|never] [--lock none|domain|sender] "
		"[--allow X]... [--on-refuse reject|discard|hold|tempfail] "
		"[--max-mails N|none] [--idle SPAN|none] [CORRESPONDENT]",
	    .help = "create an address and print it",
	    .run = cmd_new },
	{ .name = "retire",
	    .usage = "retire ADDRESS... [--reason TEXT]",
	    .help = "refuse mail to an address from now on",
	    .run = cmd_retire },
	{ .name = "revive",
	    .usage = "revive ADDRESS",
	    .help = "make a retired address active again",
	    .run = cmd_revive },
	{ .name = "set",
	    .usage = "set ADDRESS " RULE_USAGE,
	    .help = "change an address's rules, note or expiry",
	    .run = cmd_set },
	{ .name = "replace",
	    .usage = "replace ADDRESS [--reason TEXT]",
	    .help = "retire an address and print a new one for its "
		    "correspondent, with the same rules",
	    .run = cmd_replace },
	{ .name = "list",
	    .usage = "list [--active|--retired|--all]",
	    .help = "a table of addresses",
	    .run = cmd_list },
	{ .name = "show",
	    .usage = "show ADDRESS",
	    .help = "everything known about one address",
	    .run = cmd_show },
	{ .name = "for",
	    .usage = "for [--create] RECIPIENT...",
	    .help = "the address that mail to these recipients gets",
	    .run = cmd_for },
	{ .name = "check",
	    .usage = "check RECIPIENT [--from SENDER] "
		     "[--client IP]",
	    .help = "the SMTP reply aliasd would give that RCPT",
	    .run = cmd_check },
	{ .name = "rewrite",
	    .usage = "rewrite [--create] [--sender ADDRESS] "
		     "[RECIPIENT...] <message",
	    .help = "rewrite a message's header block as it will be sent",
	    .run = cmd_rewrite },
	{ .name = "default",
	    .usage = "default [ADDRESS | --none]",
	    .help = "show, set or clear the default address",
	    .run = cmd_default },
	{ .name = "export",
	    .usage = "export virtusertable|postfix|"
		     "postfix-virtual|validrcptto [-o FILE] [--makemap]",
	    .help = "write a map for sendmail, Postfix or qmail",
	    .run = cmd_export },
	{ .name = "import",
	    .usage = "import virtusertable FILE",
	    .help = "take in a sendmail virtusertable source ('-' for stdin)",
	    .run = cmd_import },
	{ .name = "leaks",
	    .usage = "leaks [--since SPAN]",
	    .help = "mail from senders an address was not given to, newest "
		    "first",
	    .run = cmd_leaks },
	{ .name = "copy-store",
	    .usage = "copy-store FROM TO",
	    .help = "copy a whole store (SQLite file or PostgreSQL URL) into "
		    "an empty one",
	    .run = cmd_copy_store },
	{ .name = "mutt-hooks",
	    .usage = "mutt-hooks",
	    .help = "print mutt alternates and send-hook lines",
	    .run = cmd_mutt_hooks },
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

const struct verb *
verb_find(const char *name)
{
	for (size_t i = 0; i < NVERBS; i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

static int
usage(int code)
{
	FILE *fp = code == 0 ? stdout : stderr;

	fprintf(fp, "usage: aliasctl [-c FILE] [--json] VERB [ARGS]\n\n");
	for (size_t i = 0; i < NVERBS; i++)
		fprintf(fp, "  %-10s %s\n", verbs[i].name, verbs[i].help);
	fprintf(fp,
	    "\naliasctl VERB --help shows a verb's options; "
	    "see aliasctl(1).\n");
	return code;
}

int
verb_usage(const struct verb *v, int code)
{
	FILE *fp = code == 0 ? stdout : stderr;

	fprintf(fp, "usage: aliasctl [-c FILE] [--json] %s\n", v->usage);
	if (code == 0)
		fprintf(fp, "%s\n", v->help);
	return code;
}

int
common_option(struct ctx *c, const struct verb *v, int opt)
{
	switch (opt) {
	case 'c':
		c->config_option = optarg;
		return -1;
	case 'J':
		c->json = true;
		return -1;
	case 'h':
		/* Nothing is open yet: printing the usage is all there is. */
		exit(verb_usage(v, 0));
	default:
		return verb_usage(v, EX_USAGE);
	}
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		COMMON_OPTIONS,
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c = { .now = time(NULL) };
	const struct verb *v;
	char name[32];
	int opt, rc;

	diag_init("aliasctl");
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "+" COMMON_SHORT, options,
		    NULL)) != -1) {
		if (opt == 'h')
			return usage(0);
		if (opt == 'V') {
			printf("aliasctl %s\n", ALIASD_VERSION);
			return 0;
		}
		if (opt != 'c' && opt != 'J')
			return usage(EX_USAGE);
		if (opt == 'c')
			c.config_option = optarg;
		else
			c.json = true;
	}
	if (optind >= argc)
		return usage(EX_USAGE);
	if ((v = verb_find(argv[optind])) == NULL) {
		if (strcmp(argv[optind], "help") == 0)
			return usage(0);
		return fail(EX_USAGE,
		    "unknown verb \"%s\": see aliasctl "
		    "--help",
		    argv[optind]);
	}
	argc -= optind;
	argv += optind;
	/* getopt's own messages then read "aliasctl new: ...". */
	snprintf(name, sizeof(name), "aliasctl %s", v->name);
	argv[0] = name;
	optind = 0; /* glibc: restart scanning for the verb's options */
	rc = v->run(&c, argc, argv);
	if (fflush(stdout) == EOF || ferror(stdout))
		rc = rc != 0 ? rc : fail(EX_IOERR, "cannot write output");
	ctx_free(&c);
	return rc;
}
