/*
 * cmd_mutt.c: aliasctl mutt-hooks
 *
 * Prints muttrc lines that make mutt choose the From and Reply-To the
 * milter would (SPEC "Which address a message gets"), for people who send
 * through a relay that never passes aliasd.  Meant to be read with
 *
 *	source 'aliasctl mutt-hooks|'
 *
 * What is printed, in this order:
 *
 * - set use_envelope_from=yes (and envelope_from_address = bounce_address
 *   when that is set), so that mutt hands sendmail "-f" with the chosen
 *   address: the owner's real address never leaves in the envelope.
 * - alternates for every active address, so that reverse_name answers a
 *   message from the address it came to.
 * - the default "send-hook .", first, so that it runs for every message
 *   before any other of ours: it removes the my_hdr lines a
 *   correspondent's hook set for the previous message and sets $from to
 *   the default address (without a default, $from stays the user's own:
 *   aliasd leaves such mail unchanged).  reverse_name still wins on a
 *   reply: it sets the message's From before hooks run, and $from only
 *   fills in a missing one.  "." goes through mutt's $default_hook; the
 *   stock one matches every message we send, Bcc-only ones included
 *   (tests/clients/mutt.sh).
 * - one send-hook per correspondent, domains first, then addresses,
 *   each sorted.  A hook fires only when every To and Cc recipient gets
 *   that correspondent's address ("~C X ^~C X": one matches and all
 *   match), and a domain's hook not when one recipient has an address of
 *   its own.  So at most one of them fires, and mixed recipients fall
 *   through to the default: the milter's rule, except for Bcc, which
 *   mutt's patterns cannot see.
 *
 * The quoting of each level at which mutt reads these lines is
 * muttquote.c's; this file reads the store and puts the lines in order.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/muttquote.h"
#include "cli/output.h"
#include "rewriter/plan.h"

/* One correspondent's hook: the newest active address wins, as in
 * store_find_correspondent(), so that mutt agrees with aliasctl for. */
struct hook {
	char *correspondent; /* "joe@example.org" or "@example.org" */
	char *address;
	int64_t id;
};

/* Everything the output needs, read in one query so that it is one
 * consistent snapshot of the store.  All strings are owned here. */
struct hooks {
	char **alternates;
	size_t nalternates, alternates_cap;
	struct hook *hook;
	size_t nhook, hook_cap;
	char *default_address; /* NULL: none, or not active */
};

static void
hooks_free(struct hooks *h)
{
	for (size_t i = 0; i < h->nalternates; i++)
		free(h->alternates[i]);
	for (size_t i = 0; i < h->nhook; i++) {
		free(h->hook[i].correspondent);
		free(h->hook[i].address);
	}
	free(h->alternates);
	free(h->hook);
	free(h->default_address);
}

/* The capacity after cap, doubling from 64. */
static size_t
next_cap(size_t cap)
{
	return cap == 0 ? 64 : cap * 2;
}

static bool
hooks_add(struct hooks *h, const struct store_address *a)
{
	struct hook *k;
	void *p;

	if (h->nalternates == h->alternates_cap) {
		if ((p = reallocarray(h->alternates,
			 next_cap(h->alternates_cap), sizeof(char *))) == NULL)
			return false;
		h->alternates = p;
		h->alternates_cap = next_cap(h->alternates_cap);
	}
	if ((h->alternates[h->nalternates] = strdup(a->address)) == NULL)
		return false;
	h->nalternates++;
	if (a->is_default && (h->default_address = strdup(a->address)) == NULL)
		return false;
	if (a->correspondent[0] == '\0')
		return true;
	if (h->nhook == h->hook_cap) {
		if ((p = reallocarray(h->hook, next_cap(h->hook_cap),
			 sizeof(struct hook))) == NULL)
			return false;
		h->hook = p;
		h->hook_cap = next_cap(h->hook_cap);
	}
	k = &h->hook[h->nhook];
	k->id = a->id;
	k->correspondent = strdup(a->correspondent);
	k->address = strdup(a->address);
	if (k->correspondent == NULL || k->address == NULL) {
		free(k->correspondent);
		free(k->address);
		return false;
	}
	h->nhook++;
	return true;
}

static int
cmp_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Domains ("@...") before addresses, each by name, newest first. */
static int
cmp_hook(const void *a, const void *b)
{
	const struct hook *x = a, *y = b;
	bool dx = x->correspondent[0] == '@', dy = y->correspondent[0] == '@';
	int r;

	if (dx != dy)
		return dx ? -1 : 1;
	if ((r = strcmp(x->correspondent, y->correspondent)) != 0)
		return r;
	return x->id > y->id ? -1 : x->id < y->id;
}

/* Sort, and keep the first (newest) hook of each correspondent. */
static void
hooks_sort(struct hooks *h)
{
	size_t i, n = 0;

	qsort(h->alternates, h->nalternates, sizeof(char *), cmp_string);
	qsort(h->hook, h->nhook, sizeof(struct hook), cmp_hook);
	for (i = 0; i < h->nhook; i++) {
		if (n > 0 &&
		    strcmp(h->hook[n - 1].correspondent,
			h->hook[i].correspondent) == 0) {
			free(h->hook[i].correspondent);
			free(h->hook[i].address);
			continue;
		}
		h->hook[n++] = h->hook[i];
	}
	h->nhook = n;
}

static int
hooks_read(struct ctx *c, struct hooks *h)
{
	struct store_iter *it;
	struct store_address a;
	enum store_status st;
	bool ok = true;

	if ((st = store_list(c->store, FILTER_ACTIVE, c->now, &it)) !=
	    STORE_OK)
		return ctx_store_fail(c, st, "cannot list the addresses");
	while (ok && (st = store_next(it, &a)) == STORE_OK) {
		/* A store written by hand or by older code may hold bytes
		 * that would end a muttrc line: such an entry is left out. */
		if (address_check_text(a.address, strlen(a.address)) != NULL ||
		    address_check_text(a.correspondent,
			strlen(a.correspondent)) != NULL) {
			char shown[TERM_MAX(ADDRESS_MAX)];

			warnx_cli("left out %s: it holds a control character "
				  "or is not UTF-8",
			    term_escape(a.address, shown, sizeof(shown)));
			continue;
		}
		ok = hooks_add(h, &a);
	}
	store_iter_free(it);
	if (!ok)
		return fail(EX_OSERR, "out of memory");
	if (st != STORE_NOTFOUND)
		return ctx_store_fail(c, st, "cannot list the addresses");
	hooks_sort(h);
	return 0;
}

static bool
put_hook(const char *pattern, char *command)
{
	if (command == NULL)
		return false;
	fputs("send-hook ", stdout);
	if (strcmp(pattern, ".") == 0)
		fputs(pattern, stdout);
	else
		mutt_put_squoted(stdout, pattern);
	fputc(' ', stdout);
	mutt_put_squoted(stdout, command);
	fputc('\n', stdout);
	free(command);
	return true;
}

/* "@example.org" of "joe@example.org": compares with a domain's hook. */
static const char *
at_domain(const char *correspondent)
{
	return strrchr(correspondent, '@');
}

/* By domain, then by correspondent. */
static int
cmp_by_domain(const void *a, const void *b)
{
	const char *x = *(const char *const *)a;
	const char *y = *(const char *const *)b;
	int r;

	if ((r = strcmp(at_domain(x), at_domain(y))) != 0)
		return r;
	return strcmp(x, y);
}

/* The domain hooks, each told which exact correspondents at its domain
 * have hooks of their own.  h->hook holds the domains first. */
static bool
put_domain_hooks(const struct hooks *h, const char *full_name)
{
	const char **ex;
	size_t ndom = 0, nex, j = 0, first;
	char *pattern;
	bool ok = true;

	while (ndom < h->nhook && h->hook[ndom].correspondent[0] == '@')
		ndom++;
	nex = h->nhook - ndom;
	if ((ex = calloc(nex + 1, sizeof(*ex))) == NULL)
		return false;
	for (size_t i = 0; i < nex; i++)
		ex[i] = h->hook[ndom + i].correspondent;
	qsort(ex, nex, sizeof(*ex), cmp_by_domain);
	for (size_t i = 0; ok && i < ndom; i++) {
		const struct hook *k = &h->hook[i];

		/* Both lists are in domain order: walk them together. */
		while (
		    j < nex && strcmp(at_domain(ex[j]), k->correspondent) < 0)
			j++;
		first = j;
		while (
		    j < nex && strcmp(at_domain(ex[j]), k->correspondent) == 0)
			j++;
		if ((pattern = mutt_hook_pattern(k->correspondent, ex + first,
			 j - first)) == NULL)
			ok = false;
		else
			ok = put_hook(pattern,
			    mutt_hook_command(full_name, k->address));
		free(pattern);
	}
	free(ex);
	return ok;
}

static bool
put_address_hooks(const struct hooks *h, const char *full_name)
{
	char *pattern;
	bool ok = true;

	for (size_t i = 0; ok && i < h->nhook; i++) {
		const struct hook *k = &h->hook[i];

		if (k->correspondent[0] == '@')
			continue;
		if ((pattern = mutt_hook_pattern(k->correspondent, NULL, 0)) ==
		    NULL)
			return false;
		ok = put_hook(pattern,
		    mutt_hook_command(full_name, k->address));
		free(pattern);
	}
	return ok;
}

static const char preamble[] =
    "# aliasd hooks for mutt, printed by \"aliasctl mutt-hooks\": regenerate,\n"
    "# do not edit.  Use them with  set reverse_name=yes  and\n"
    "#   source 'aliasctl mutt-hooks|'\n"
    "#\n"
    "# A correspondent's hook sets From and Reply-To when every To and Cc\n"
    "# recipient gets that correspondent's address; recipients with\n"
    "# different addresses get the default address, as in aliasd.  mutt's\n"
    "# patterns cannot see Bcc, so a Bcc recipient changes nothing here: for\n"
    "# that case, and to rewrite exactly as aliasd does, use instead\n"
    "#   set sendmail=\"alias-sendmail -oem -oi\"\n"
    "# mutt passes sendmail -f with the From address (use_envelope_from),\n"
    "# or bounce_address when it is configured, never your real address.\n";

static bool
put_all(const struct config *cfg, const struct hooks *h)
{
	const char *name = cfg->full_name;
	/* The envelope sender by the plan's rule; without bounce_address it
	 * is the chosen From, which use_envelope_from makes mutt pass. */
	const char *envelope = plan_envelope_sender(cfg->bounce_address, NULL);

	fputs(preamble, stdout);
	fputs("set use_envelope_from=yes\n", stdout);
	if (envelope != NULL) {
		fputs("set envelope_from_address=", stdout);
		mutt_put_dquoted(stdout, envelope);
		fputc('\n', stdout);
	}
	for (size_t i = 0; i < h->nalternates; i++) {
		char *rx = mutt_correspondent_regex(h->alternates[i]);

		if (rx == NULL)
			return false;
		fputs("alternates ", stdout);
		mutt_put_squoted(stdout, rx);
		fputc('\n', stdout);
		free(rx);
	}
	if (!put_hook(".", mutt_default_command(name, h->default_address)))
		return false;
	return put_domain_hooks(h, name) && put_address_hooks(h, name);
}

int
cmd_mutt_hooks(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = verb_find("mutt-hooks");
	struct hooks h = { 0 };
	int opt, rc;

	while (
	    (opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) != -1)
		if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	if (optind != argc)
		return verb_usage(v, EX_USAGE);
	if (c->json)
		return fail(EX_USAGE,
		    "mutt-hooks prints muttrc lines, not "
		    "JSON: leave out --json");
	if ((rc = ctx_open_store(c, false)) != 0)
		return rc;
	if ((rc = hooks_read(c, &h)) == 0 && !put_all(c->config, &h))
		rc = fail(EX_OSERR, "out of memory");
	hooks_free(&h);
	return rc;
}
