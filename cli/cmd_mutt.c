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
 * Quoting.  mutt reads each line twice or three times: the send-hook
 * line itself, then the pattern (compiled when the hook is defined), then
 * the command (parsed each time the hook fires).  Arguments of the
 * send-hook line are single-quoted, which mutt takes literally (an
 * embedded quote is written '\'' as in sh).  Inside the pattern, regular
 * expressions are double-quoted, where mutt turns "\." into "." and
 * expands $var and `cmd`: so \ " $ ` get a backslash there.  In the
 * command, my_hdr takes the rest of its line with quotes kept as they
 * are, but ; # $ ` and \ still act: each gets a backslash.
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
#include "cli/output.h"
#include "rewriter/plan.h"

/* One correspondent's hook: the newest active address wins, as in
 * store_find_correspondent(), so that mutt agrees with aliasctl for. */
struct hook {
	char *correspondent;	/* "joe@example.org" or "@example.org" */
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
	char *default_address;	/* NULL: none, or not active */
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
	if (a->is_default && (h->default_address = strdup(a->address)) ==
	    NULL)
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
		if (n > 0 && strcmp(h->hook[n - 1].correspondent,
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
			    "or is not UTF-8", term_escape(a.address, shown,
			    sizeof(shown)));
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

/*
 * Writers, one per quoting level (see the top of the file).
 */

/* A POSIX extended regular expression matching the n bytes of s
 * literally. */
static void
put_regex(FILE *fp, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strchr("\\.[](){}*+?|^$", s[i]) != NULL)
			fputc('\\', fp);
		fputc(s[i], fp);
	}
}

/* s with a backslash before each character of special. */
static void
put_escaped(FILE *fp, const char *s, const char *special)
{
	for (; *s != '\0'; s++) {
		if (strchr(special, *s) != NULL)
			fputc('\\', fp);
		fputc(*s, fp);
	}
}

/* A muttrc double-quoted string: no $var, `cmd` or \ escape acts. */
static void
put_dquoted(FILE *fp, const char *s)
{
	fputc('"', fp);
	put_escaped(fp, s, "\\\"$`");
	fputc('"', fp);
}

/* A muttrc single-quoted string, taken literally; ' as '\''. */
static void
put_squoted(FILE *fp, const char *s)
{
	fputc('\'', fp);
	for (; *s != '\0'; s++)
		if (*s == '\'')
			fputs("'\\''", fp);
		else
			fputc(*s, fp);
	fputc('\'', fp);
}

/* An RFC 5322 display name: as it is when it is atoms and spaces, else
 * a quoted-string.  Bytes above 0x7f pass; mutt encodes them. */
static void
put_phrase(FILE *fp, const char *name)
{
	bool plain = name[0] != ' ' && name[strlen(name) - 1] != ' ';

	for (const char *s = name; plain && *s != '\0'; s++)
		if (strchr("()<>[]:;@\\,.\"", *s) != NULL ||
		    (unsigned char)*s < ' ')
			plain = false;
	if (plain) {
		fputs(name, fp);
		return;
	}
	fputc('"', fp);
	put_escaped(fp, name, "\\\"");
	fputc('"', fp);
}

/* Finish an open_memstream(): its text (caller frees), or NULL when a
 * write failed (no memory). */
static char *
memstream_close(FILE *fp, char **buf)
{
	if (fclose(fp) != 0) {
		free(*buf);
		*buf = NULL;
	}
	return *buf;
}

/* "Full Name <addr>", or "addr" when there is no full_name. */
static char *
mailbox_text(const char *name, const char *address)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	if (name != NULL && name[0] != '\0') {
		put_phrase(fp, name);
		fprintf(fp, " <%s>", address);
	} else
		fputs(address, fp);
	return memstream_close(fp, &buf);
}

/* The regex of one correspondent: "^joe@example\.org$" for an address,
 * "@example\.org$" for a whole domain.  Caller frees; NULL: no memory. */
static char *
correspondent_regex(const char *correspondent)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	if (correspondent[0] != '@')
		fputc('^', fp);
	put_regex(fp, correspondent, strlen(correspondent));
	fputc('$', fp);
	return memstream_close(fp, &buf);
}

/* "^(joe|ann)@example\.org$": the exact correspondents ex[0..n), all at
 * the domain correspondent dom ("@example.org"). */
static char *
locals_regex(struct hook *const *ex, size_t n, const char *dom)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fputs("^(", fp);
	for (size_t i = 0; i < n; i++) {
		const char *c = ex[i]->correspondent;

		if (i > 0)
			fputc('|', fp);
		put_regex(fp, c, (size_t)(strrchr(c, '@') - c));
	}
	fputc(')', fp);
	put_regex(fp, dom, strlen(dom));
	fputc('$', fp);
	return memstream_close(fp, &buf);
}

/* The pattern of k's hook: one To or Cc recipient matches and all do
 * ("~C X ^~C X"; "^~C X" alone would also fire with no To and no Cc);
 * for a domain, and none of them has an address of its own (ex[0..n)). */
static char *
hook_pattern(const struct hook *k, struct hook *const *ex, size_t n)
{
	char *buf = NULL, *rx, *locals = NULL;
	size_t len = 0;
	FILE *fp;

	if ((rx = correspondent_regex(k->correspondent)) == NULL)
		return NULL;
	if (n > 0 && (locals = locals_regex(ex, n, k->correspondent)) ==
	    NULL) {
		free(rx);
		return NULL;
	}
	if ((fp = open_memstream(&buf, &len)) != NULL) {
		fputs("~C ", fp);
		put_dquoted(fp, rx);
		fputs(" ^~C ", fp);
		put_dquoted(fp, rx);
		if (locals != NULL) {
			fputs(" !~C ", fp);
			put_dquoted(fp, locals);
		}
		memstream_close(fp, &buf);
	}
	free(rx);
	free(locals);
	return buf;
}

/* my_hdr From: and Reply-To: for one address.  my_hdr keeps quotes as
 * they are; ; # $ ` \ are escaped. */
static char *
hook_command(const char *full_name, const char *address)
{
	static const char special[] = "\\;#$`";
	char *buf = NULL, *mbox;
	size_t len = 0;
	FILE *fp;

	if ((mbox = mailbox_text(full_name, address)) == NULL)
		return NULL;
	if ((fp = open_memstream(&buf, &len)) != NULL) {
		fputs("my_hdr From: ", fp);
		put_escaped(fp, mbox, special);
		fputs("; my_hdr Reply-To: ", fp);
		put_escaped(fp, mbox, special);
		memstream_close(fp, &buf);
	}
	free(mbox);
	return buf;
}

/* The default hook clears what a correspondent's hook set, and makes
 * $from the default address: reverse_name still wins on a reply, since
 * it sets the message's From before any hook runs. */
static char *
default_command(const char *full_name, const char *address)
{
	char *buf = NULL, *mbox = NULL;
	size_t len = 0;
	FILE *fp;

	if (address != NULL && (mbox = mailbox_text(full_name, address)) ==
	    NULL)
		return NULL;
	if ((fp = open_memstream(&buf, &len)) != NULL) {
		fputs("unmy_hdr From: Reply-To:", fp);
		if (mbox != NULL) {
			fputs("; set from=", fp);
			put_dquoted(fp, mbox);
		}
		memstream_close(fp, &buf);
	}
	free(mbox);
	return buf;
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
		put_squoted(stdout, pattern);
	fputc(' ', stdout);
	put_squoted(stdout, command);
	fputc('\n', stdout);
	free(command);
	return true;
}

/* "@example.org" of "joe@example.org": compares with a domain's hook. */
static const char *
at_domain(const struct hook *k)
{
	return strrchr(k->correspondent, '@');
}

/* By domain, then by correspondent. */
static int
cmp_by_domain(const void *a, const void *b)
{
	const struct hook *x = *(struct hook *const *)a;
	const struct hook *y = *(struct hook *const *)b;
	int r;

	if ((r = strcmp(at_domain(x), at_domain(y))) != 0)
		return r;
	return strcmp(x->correspondent, y->correspondent);
}

/* The domain hooks, each told which exact correspondents at its domain
 * have hooks of their own.  h->hook holds the domains first. */
static bool
put_domain_hooks(const struct hooks *h, const char *full_name)
{
	struct hook **ex;
	size_t ndom = 0, nex, j = 0, first;
	char *pattern;
	bool ok = true;

	while (ndom < h->nhook && h->hook[ndom].correspondent[0] == '@')
		ndom++;
	nex = h->nhook - ndom;
	if ((ex = calloc(nex + 1, sizeof(*ex))) == NULL)
		return false;
	for (size_t i = 0; i < nex; i++)
		ex[i] = &h->hook[ndom + i];
	qsort(ex, nex, sizeof(*ex), cmp_by_domain);
	for (size_t i = 0; ok && i < ndom; i++) {
		const struct hook *k = &h->hook[i];

		/* Both lists are in domain order: walk them together. */
		while (j < nex && strcmp(at_domain(ex[j]), k->correspondent) <
		    0)
			j++;
		first = j;
		while (j < nex && strcmp(at_domain(ex[j]), k->correspondent) ==
		    0)
			j++;
		if ((pattern = hook_pattern(k, ex + first, j - first)) == NULL)
			ok = false;
		else
			ok = put_hook(pattern, hook_command(full_name,
			    k->address));
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
		if ((pattern = hook_pattern(k, NULL, 0)) == NULL)
			return false;
		ok = put_hook(pattern, hook_command(full_name, k->address));
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
		put_dquoted(stdout, envelope);
		fputc('\n', stdout);
	}
	for (size_t i = 0; i < h->nalternates; i++) {
		char *rx = correspondent_regex(h->alternates[i]);

		if (rx == NULL)
			return false;
		fputs("alternates ", stdout);
		put_squoted(stdout, rx);
		fputc('\n', stdout);
		free(rx);
	}
	if (!put_hook(".", default_command(name, h->default_address)))
		return false;
	return put_domain_hooks(h, name) && put_address_hooks(h, name);
}

int
cmd_mutt_hooks(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const struct verb *v = verb_find("mutt-hooks");
	struct hooks h = { 0 };
	int opt, rc;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) !=
	    -1)
		if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	if (optind != argc)
		return verb_usage(v, EX_USAGE);
	if (c->json)
		return fail(EX_USAGE, "mutt-hooks prints muttrc lines, not "
		    "JSON: leave out --json");
	if ((rc = ctx_open_store(c, false)) != 0)
		return rc;
	if ((rc = hooks_read(c, &h)) == 0 && !put_all(c->config, &h))
		rc = fail(EX_OSERR, "out of memory");
	hooks_free(&h);
	return rc;
}
