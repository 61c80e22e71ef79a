/*
 * header.c: the From/Reply-To/Sender rewriting of outbound mail from the
 * owner (SPEC.md, "Rewriting"), and the recipients sendmail -t would take
 * from a header block.  The lists themselves are hdrlist.c's.
 *
 * Decisions on what RFC 5322 leaves to us:
 *
 * - Whose mail: the first From field decides.  The message is the owner's
 *   when any mailbox in it (groups flattened) is the owner's mailbox or in
 *   a managed domain; "any" rather than "the first" because a list naming
 *   the owner second would otherwise leave with the real address in it.
 * - No From at all: callers only ask about outbound mail (the owner's own
 *   client, or alias-sendmail run by the owner), and the MTA would add a
 *   From holding the real address or the envelope sender.  So a missing
 *   From is treated as the owner's and, with an address chosen, one is
 *   added.
 * - A From in which GMime finds no mailbox with a domain ("", ",,,",
 *   "<>", an empty group, "\"jane@example.com\"") is the owner's exactly
 *   when its text mentions the owner's address or "@" a managed domain.
 *   Leaving such a field alone (REWRITE_NOT_OWNER) could send the real
 *   address out; failing would keep the owner's mail stuck.  So the
 *   owner's garbled From is replaced whole with the chosen mailbox, and
 *   anybody else's is none of our business.  (A bare "jane" is nobody's:
 *   the MTA will qualify it, which is the MTA's configuration to get
 *   right.)
 * - Each owner's mailbox of a From becomes the chosen one with its own
 *   display name (else full_name, else none); a second owner's mailbox in
 *   the same field is dropped so that the chosen address appears once.
 *   Later From fields (RFC 5322 forbids them, but they occur) get the same
 *   treatment when they name the owner; others are left alone.  A rewritten
 *   field is a mailbox-list: groups in it are flattened, since From may
 *   not hold a group.
 * - When the rewritten first From holds several mailboxes, RFC 5322 wants
 *   a single Sender: an existing foreign Sender is kept, else the first
 *   owner's Sender (or a new one) becomes the chosen mailbox.
 * - Reply-To and an added Sender get the same "Display Name <chosen>" as
 *   the first From, so that replies show the name the owner wrote.
 * - A display name that shows the owner's real address ("me@example.com"
 *   <me@example.com>, as some clients write) is not kept; and no value we
 *   produce may mention the owner's address, else REWRITE_ERROR.
 * - Changes whose new value is byte for byte the old one are not emitted.
 *   Deletions of one name are emitted from the highest index down, so the
 *   result is the same whether the MTA renumbers after a deletion or not.
 *
 * Threads: g_mime_init() runs once under pthread_once.  After it, GMime's
 * default parser and format options are only read (we pass NULL and never
 * change them), every GObject here is made and unreffed by the calling
 * thread, and GMime's charset and iconv code is documented thread-safe; so
 * milter workers may call everything concurrently.  GLib aborts when
 * out of memory; our own allocations are checked.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "rewriter/header.h"

/* GMime's group parser recurses; so do we, to a bound. */
#define GROUP_DEPTH_MAX	8

static const char *const rcpt_fields[] = { "To", "Cc", "Bcc" };
static const char *const resent_fields[] = {
	"Resent-To", "Resent-Cc", "Resent-Bcc"
};

/* State of one rewrite_headers() call. */
struct rewrite {
	const struct rewrite_request *req;
	struct header_changes *out;
	char *name;		/* display name for Reply-To, Sender; owned */
	int name_set;		/* name was taken from the first From */
	char *mine;		/* "Display Name <chosen>"; owned */
	int nfrom;		/* mailboxes of the first From, rewritten */
	int nofrom;		/* the message has no From */
};

static pthread_once_t header_once = PTHREAD_ONCE_INIT;

static void
header_init_once(void)
{
	g_mime_init();
}

void
header_library_init(void)
{
	(void)pthread_once(&header_once, header_init_once);
}

/*
 * Addresses.
 */

static void	seterr(char *, size_t, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		/* a cut error text is still an error text */
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
}

static int
is_atext(int c)
{
	return g_ascii_isalnum(c) || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

/* After a match of an address or domain: another domain label follows? */
static int
domain_continues(const char *p)
{
	if (*p == '.')
		p++;
	return g_ascii_isalnum(*p) || *p == '-';
}

/* Whether text shows the address addr, not merely a longer one. */
static int
mentions_addr(const char *text, const char *addr)
{
	const char *p;
	size_t n;
	int found = 0;

	n = strlen(addr);
	for (p = text; n > 0 && *p != '\0' && !found; p++)
		found = g_ascii_strncasecmp(p, addr, n) == 0 &&
		    (p == text || !is_atext((unsigned char)p[-1])) &&
		    !domain_continues(p + n);
	return found;
}

/* Whether text shows an address "@domain". */
static int
mentions_domain(const char *text, const char *domain)
{
	const char *p;
	size_t n;
	int found = 0;

	n = strlen(domain);
	for (p = text; n > 0 && *p != '\0' && !found; p++)
		found = *p == '@' &&
		    g_ascii_strncasecmp(p + 1, domain, n) == 0 &&
		    !domain_continues(p + 1 + n);
	return found;
}

/* For text GMime makes no mailbox of: does it show the owner's mail? */
static int
owner_mentioned(const struct rewrite_request *req, const char *text)
{
	size_t i;
	int found;

	found = req->owner != NULL && mentions_addr(text, req->owner);
	for (i = 0; i < req->ndomains && !found; i++)
		found = mentions_domain(text, req->domains[i]);
	return found;
}

/* Domains equal, ASCII case and one trailing dot ignored. */
static int
domain_eq(const char *a, const char *b)
{
	size_t la, lb;

	la = strlen(a);
	lb = strlen(b);
	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la > 0 && la == lb && g_ascii_strncasecmp(a, b, la) == 0;
}

/* Addresses equal, ASCII case ignored in the whole address (SPEC). */
static int
addr_eq(const char *a, const char *b)
{
	const char *da, *db;
	int eq;

	da = strrchr(a, '@');
	db = strrchr(b, '@');
	if (da == NULL || db == NULL)
		eq = g_ascii_strcasecmp(a, b) == 0;
	else
		eq = da - a == db - b &&
		    g_ascii_strncasecmp(a, b, da - a) == 0 &&
		    domain_eq(da + 1, db + 1);
	return eq;
}

static int
addr_is_owner(const struct rewrite_request *req, const char *addr)
{
	const char *at;
	size_t i;
	int found;

	found = req->owner != NULL && addr_eq(addr, req->owner);
	if ((at = strrchr(addr, '@')) != NULL)
		for (i = 0; i < req->ndomains && !found; i++)
			found = domain_eq(at + 1, req->domains[i]);
	return found;
}

/* GMime keeps an IDN domain both decoded and in ASCII: try both. */
static int
mailbox_is_owner(const struct rewrite_request *req, InternetAddressMailbox *mb)
{
	const char *a, *idn;

	a = internet_address_mailbox_get_addr(mb);
	idn = internet_address_mailbox_get_idn_addr(mb);
	return (a != NULL && addr_is_owner(req, a)) ||
	    (idn != NULL && addr_is_owner(req, idn));
}

static int
mailbox_is_chosen(const struct rewrite_request *req, InternetAddressMailbox *mb)
{
	const char *a, *idn;

	a = internet_address_mailbox_get_addr(mb);
	idn = internet_address_mailbox_get_idn_addr(mb);
	return req->address != NULL &&
	    ((a != NULL && addr_eq(a, req->address)) ||
	    (idn != NULL && addr_eq(idn, req->address)));
}

/* Add the mailboxes of l, groups flattened, to out (borrowed).  Returns
 * -1 when groups nest too deep to trust. */
static int
mailboxes_collect(InternetAddressList *l, GPtrArray *out, int depth)
{
	InternetAddress *ia;
	int i, n, rc = -1;

	if (depth > GROUP_DEPTH_MAX)
		goto done;
	n = internet_address_list_length(l);
	for (i = 0; i < n; i++) {
		ia = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			g_ptr_array_add(out, ia);
		else if (INTERNET_ADDRESS_IS_GROUP(ia) &&
		    mailboxes_collect(internet_address_group_get_members(
		    INTERNET_ADDRESS_GROUP(ia)), out, depth + 1) == -1)
			goto done;
	}
	rc = 0;
done:
	return rc;
}

/*
 * Whether an address field with mailboxes mbs is the owner's: one of them
 * is (and, if but_chosen, is not the chosen address).  When none has a
 * domain ("", "<>", "jane", "\"jane@example.com\"") the field is garbled
 * and its text decides.
 */
static int
field_is_owner(const struct rewrite_request *req, GPtrArray *mbs,
    const char *value, int but_chosen, int *garbled)
{
	InternetAddressMailbox *mb;
	guint i;
	int owner = 0;

	*garbled = 1;
	for (i = 0; i < mbs->len; i++) {
		mb = INTERNET_ADDRESS_MAILBOX(mbs->pdata[i]);
		if (mb->at > 0)
			*garbled = 0;
		if (mailbox_is_owner(req, mb) &&
		    !(but_chosen && mailbox_is_chosen(req, mb)))
			owner = 1;
	}
	if (*garbled)
		owner = owner_mentioned(req, value);
	return owner;
}

/*
 * Parse an address header value, unfolded first (GMime would keep the
 * CRLF of a fold inside a display name).  *lp is NULL when GMime finds no
 * address; *mbs (borrowed from *lp) is empty when it finds no mailbox.
 * Returns 0, or -1 when out of memory.  The caller unrefs *lp and frees
 * *mbs.
 */
static int
addresses_parse(const char *value, InternetAddressList **lp, GPtrArray **mbs)
{
	char *flat;
	size_t i, j;
	int rc = -1;

	*lp = NULL;
	*mbs = g_ptr_array_new();
	if ((flat = malloc(strlen(value) + 1)) == NULL)
		goto done;
	for (i = j = 0; value[i] != '\0'; i++)
		if (value[i] != '\r' && value[i] != '\n')
			flat[j++] = value[i];
	flat[j] = '\0';
	*lp = internet_address_list_parse(NULL, flat);
	if (*lp != NULL && mailboxes_collect(*lp, *mbs, 0) == -1)
		g_ptr_array_set_size(*mbs, 0);
	rc = 0;
done:
	free(flat);
	return rc;
}

static void
addresses_free(InternetAddressList *l, GPtrArray *mbs)
{
	if (l != NULL)
		g_object_unref(l);
	if (mbs != NULL)
		g_ptr_array_free(mbs, TRUE);
}

/*
 * A display name fit for our mailbox: control characters (tabs, folds)
 * made spaces, runs of spaces made one, ends trimmed.  *out is NULL when
 * nothing is left or when the name shows the owner's address.  Returns 0,
 * or -1 when out of memory.
 */
static int
name_clean(const struct rewrite_request *req, const char *in, char **out)
{
	char *s = NULL;
	size_t i, j = 0;
	int rc = -1;

	*out = NULL;
	if (in == NULL) {
		rc = 0;
		goto done;
	}
	if ((s = malloc(strlen(in) + 1)) == NULL)
		goto done;
	for (i = 0; in[i] != '\0'; i++) {
		if ((unsigned char)in[i] > 32 && in[i] != 127)
			s[j++] = in[i];
		else if (j > 0 && s[j - 1] != ' ')
			s[j++] = ' ';
	}
	if (j > 0 && s[j - 1] == ' ')
		j--;
	s[j] = '\0';
	if (j > 0 && (req->owner == NULL || !mentions_addr(s, req->owner))) {
		*out = s;
		s = NULL;
	}
	rc = 0;
done:
	free(s);
	return rc;
}

/* The name for the chosen mailbox replacing one that had name (or NULL). */
static int
name_choose(const struct rewrite_request *req, const char *name, char **out)
{
	int rc = -1;

	if (name_clean(req, name, out) == -1)
		goto done;
	if (*out == NULL && name_clean(req, req->full_name, out) == -1)
		goto done;
	rc = 0;
done:
	return rc;
}

static InternetAddress *
mailbox_new(const char *name, const char *addr)
{
	InternetAddress *ia;
	const char *p;

	ia = internet_address_mailbox_new(name, addr);
	/* GMime would pick ISO-8859-1 when it can; UTF-8 reads the same
	 * everywhere */
	for (p = name; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p >= 128) {
			internet_address_set_charset(ia, "UTF-8");
			break;
		}
	return ia;
}

/*
 * The value of field holding the addresses of l: RFC 2047-encoded and
 * quoted where needed, folded by GMime (LF and a tab) counting the field
 * name, without the leading space and the final line ending.  Returns 0,
 * or -1 when out of memory.
 */
static int
addresses_format(const char *field, InternetAddressList *l, char **out)
{
	GString *s;
	const char *p;
	size_t skip;
	int rc = -1;

	s = g_string_new(field);
	g_string_append(s, ": ");
	skip = s->len;
	internet_address_list_encode(l, NULL, s);
	while (s->len > skip && (s->str[s->len - 1] == '\n' ||
	    s->str[s->len - 1] == '\r'))
		g_string_truncate(s, s->len - 1);
	for (p = s->str + skip; *p != '\0' && strchr(" \t\r\n", *p); p++)
		;
	if ((*out = strdup(p)) == NULL)
		goto done;
	rc = 0;
done:
	g_string_free(s, TRUE);
	return rc;
}

static int
mailbox_format(const char *field, const char *name, const char *addr,
    char **out)
{
	InternetAddressList *l;
	InternetAddress *ia;
	int rc;

	l = internet_address_list_new();
	ia = mailbox_new(name, addr);
	internet_address_list_add(l, ia);
	g_object_unref(ia);
	rc = addresses_format(field, l, out);
	g_object_unref(l);
	return rc;
}

/*
 * From.
 */

/*
 * The rewritten list of a From whose mailboxes are mbs: the first owner's
 * mailbox becomes the chosen one, later owner's ones go, others stay.  The
 * first From lends its name to Reply-To and Sender.  Returns 0, or -1
 * when out of memory.
 */
static int
from_build(struct rewrite *rw, GPtrArray *mbs, int first,
    InternetAddressList **outp)
{
	InternetAddressList *out;
	InternetAddress *ia;
	char *name = NULL;
	guint i;
	int placed = 0, rc = -1;

	out = internet_address_list_new();
	for (i = 0; i < mbs->len; i++) {
		ia = mbs->pdata[i];
		if (!mailbox_is_owner(rw->req, INTERNET_ADDRESS_MAILBOX(ia))) {
			internet_address_list_add(out, ia);
			continue;
		}
		if (placed++)
			continue;
		if (name_choose(rw->req, internet_address_get_name(ia),
		    &name) == -1)
			goto done;
		ia = mailbox_new(name, rw->req->address);
		internet_address_list_add(out, ia);
		g_object_unref(ia);
		if (first) {
			rw->name = name;
			rw->name_set = 1;
			name = NULL;
		}
	}
	if (first)
		rw->nfrom = internet_address_list_length(out);
	*outp = out;
	out = NULL;
	rc = 0;
done:
	if (out != NULL)
		g_object_unref(out);
	free(name);
	return rc;
}

/*
 * One From value: *owner tells whether it is the owner's; with an address
 * chosen, *newval is its new value, or NULL if it stays.  Returns 0, or
 * -1 when out of memory.
 */
static int
from_rewrite(struct rewrite *rw, const char *value, int first, int *owner,
    char **newval)
{
	InternetAddressList *l = NULL, *out = NULL;
	GPtrArray *mbs = NULL;
	char *name = NULL;
	int garbled, rc = -1;

	*owner = 0;
	*newval = NULL;
	if (addresses_parse(value, &l, &mbs) == -1)
		goto done;
	*owner = field_is_owner(rw->req, mbs, value, 0, &garbled);
	if (!*owner || rw->req->address == NULL) {
		rc = 0;
		goto done;
	}
	if (garbled) {
		/* garbled beyond repair: the chosen mailbox replaces it */
		if (name_choose(rw->req, NULL, &name) == -1 ||
		    mailbox_format("From", name, rw->req->address,
		    newval) == -1)
			goto done;
	} else if (from_build(rw, mbs, first, &out) == -1 ||
	    addresses_format("From", out, newval) == -1)
		goto done;
	if (strcmp(*newval, value) == 0) {
		free(*newval);
		*newval = NULL;
	}
	rc = 0;
done:
	addresses_free(l, mbs);
	if (out != NULL)
		g_object_unref(out);
	free(name);
	return rc;
}

/* All From fields; REWRITE_NOT_OWNER when the first is not the owner's. */
static enum rewrite_status
from_fields(struct rewrite *rw, const struct header_list *hl)
{
	const struct header_field *f;
	enum rewrite_status st = REWRITE_ERROR;
	char *newval = NULL;
	size_t i;
	int k = 0, owner;

	for (i = 0; i < hl->count; i++) {
		f = &hl->fields[i];
		if (g_ascii_strcasecmp(f->name, "From") != 0)
			continue;
		k++;
		if (from_rewrite(rw, f->value, k == 1, &owner, &newval) == -1)
			goto done;
		if (k == 1 && !owner) {
			st = REWRITE_NOT_OWNER;
			goto done;
		}
		if (newval != NULL && header_changes_push(rw->out,
		    HEADER_CHANGE, "From", k, newval) == -1)
			goto done;
		free(newval);
		newval = NULL;
	}
	rw->nofrom = k == 0;
	st = REWRITE_OK;
done:
	free(newval);
	return st;
}

/*
 * Reply-To and Sender.
 */

/* The first Reply-To becomes ours, the others go; one is added if none. */
static int
replyto_rewrite(struct rewrite *rw, const struct header_list *hl)
{
	size_t n, pos;
	int rc = -1;

	n = header_list_count(hl, "Reply-To");
	pos = header_list_find(hl, "Reply-To", 1);
	if (n == 0) {
		if (header_changes_push(rw->out, HEADER_ADD, "Reply-To", 0,
		    rw->mine) == -1)
			goto done;
	} else if (strcmp(hl->fields[pos].value, rw->mine) != 0 &&
	    header_changes_push(rw->out, HEADER_CHANGE, "Reply-To", 1,
	    rw->mine) == -1)
		goto done;
	for (; n > 1; n--)
		if (header_changes_push(rw->out, HEADER_DELETE, "Reply-To",
		    (int)n, NULL) == -1)
			goto done;
	rc = 0;
done:
	return rc;
}

/* A Sender is the owner's when it names the owner, or a managed domain
 * other than the chosen address.  Returns 0, or -1 when out of memory. */
static int
sender_is_owner(const struct rewrite *rw, const char *value, int *owner)
{
	InternetAddressList *l = NULL;
	GPtrArray *mbs = NULL;
	int garbled, rc = -1;

	*owner = 0;
	if (addresses_parse(value, &l, &mbs) == -1)
		goto done;
	*owner = field_is_owner(rw->req, mbs, value, 1, &garbled);
	rc = 0;
done:
	addresses_free(l, mbs);
	return rc;
}

/*
 * Delete the owner's Sender fields, except that when the rewritten From
 * holds several mailboxes and no foreign Sender is there, the first of
 * them (or a new one) becomes ours.
 */
static int
sender_rewrite(struct rewrite *rw, const struct header_list *hl)
{
	const struct header_field *f;
	char *ours = NULL;
	size_t i, n, k = 0, keep = 0, nours = 0;
	int need, rc = -1, owner;

	n = header_list_count(hl, "Sender");
	if (n > 0 && (ours = calloc(n + 1, 1)) == NULL)
		goto done;
	for (i = 0; i < hl->count; i++) {
		f = &hl->fields[i];
		if (g_ascii_strcasecmp(f->name, "Sender") != 0)
			continue;
		if (sender_is_owner(rw, f->value, &owner) == -1)
			goto done;
		ours[++k] = owner;
		nours += owner;
		if (owner && keep == 0)
			keep = k;
	}
	need = rw->req->address != NULL && rw->nfrom > 1 && nours == n;
	if (!need)
		keep = 0;
	if (need && keep == 0 && header_changes_push(rw->out, HEADER_ADD,
	    "Sender", 0, rw->mine) == -1)
		goto done;
	/* an owner's Sender never holds the chosen address already */
	if (keep > 0 && header_changes_push(rw->out, HEADER_CHANGE, "Sender",
	    (int)keep, rw->mine) == -1)
		goto done;
	for (k = n; k > 0; k--)
		if (ours[k] && k != keep && header_changes_push(rw->out,
		    HEADER_DELETE, "Sender", (int)k, NULL) == -1)
			goto done;
	rc = 0;
done:
	free(ours);
	return rc;
}

/*
 * The whole rewrite.
 */

/* The chosen address must be a plain addr-spec we can put in <>. */
static int
request_check(const struct rewrite_request *req, char *err, size_t errlen)
{
	const char *a = req->address, *at, *p;
	int rc = -1;

	if (a == NULL) {
		rc = 0;
		goto done;
	}
	at = strrchr(a, '@');
	for (p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127 ||
		    strchr("<>()[],;:\\\"", *p) != NULL)
			break;
	if (*p != '\0' || at == NULL || at == a || at[1] == '\0') {
		seterr(err, errlen, "chosen address \"%s\" is not a plain "
		    "local@domain address", a);
		goto done;
	}
	if (req->owner != NULL && addr_eq(a, req->owner)) {
		seterr(err, errlen, "chosen address %s is the owner's own", a);
		goto done;
	}
	rc = 0;
done:
	return rc;
}

/* Whether value shows the owner's address as written or as a mail
 * client displays it: a foreign mailbox's text kept verbatim may hide it
 * in something that decodes as an RFC 2047 encoded word. */
static int
value_shows_owner(const struct rewrite_request *req, const char *value)
{
	char *decoded;
	int found;

	if (req->owner == NULL)
		return 0;
	if ((found = mentions_addr(value, req->owner)) == 0 &&
	    (decoded = g_mime_utils_header_decode_text(NULL, value)) != NULL) {
		found = mentions_addr(decoded, req->owner);
		g_free(decoded);
	}
	return found;
}

/* Last guard: no value of ours shows the owner's real address. */
static int
changes_check(const struct rewrite *rw, size_t start, char *err,
    size_t errlen)
{
	const struct header_change *c;
	size_t i;
	int rc = 0;

	for (i = start; i < rw->out->count && rc == 0; i++) {
		c = &rw->out->items[i];
		if (c->value != NULL && value_shows_owner(rw->req, c->value)) {
			seterr(err, errlen, "rewritten %s would still show the "
			    "owner's address", c->name);
			rc = -1;
		}
	}
	return rc;
}

/* Reply-To, and From when missing, once the first From gave its name. */
static int
address_fields(struct rewrite *rw, const struct header_list *hl)
{
	int rc = -1;

	if (!rw->name_set &&
	    name_choose(rw->req, NULL, &rw->name) == -1)
		goto done;
	if (mailbox_format("Reply-To", rw->name, rw->req->address,
	    &rw->mine) == -1)
		goto done;
	if (rw->nofrom && header_changes_push(rw->out, HEADER_ADD, "From", 0,
	    rw->mine) == -1)
		goto done;
	if (replyto_rewrite(rw, hl) == -1)
		goto done;
	rc = 0;
done:
	return rc;
}

enum rewrite_status
rewrite_headers(const struct header_list *hl,
    const struct rewrite_request *req, struct header_changes *out,
    char *err, size_t errlen)
{
	struct rewrite rw;
	enum rewrite_status st = REWRITE_ERROR;
	size_t start = out->count;

	header_library_init();
	memset(&rw, 0, sizeof(rw));
	rw.req = req;
	rw.out = out;
	rw.nfrom = 1;
	if (request_check(req, err, errlen) == -1)
		goto done;
	if ((st = from_fields(&rw, hl)) != REWRITE_OK)
		goto nomem;
	st = REWRITE_ERROR;
	if (req->address != NULL && address_fields(&rw, hl) == -1)
		goto nomem;
	if (sender_rewrite(&rw, hl) == -1)
		goto nomem;
	if (changes_check(&rw, start, err, errlen) == -1)
		goto done;
	st = REWRITE_OK;
nomem:
	if (st == REWRITE_ERROR)
		seterr(err, errlen, "out of memory");
done:
	if (st != REWRITE_OK)
		header_changes_truncate(out, start);
	free(rw.name);
	free(rw.mine);
	return st;
}

/*
 * Recipients for sendmail -t.  They live here rather than in hdrlist.c
 * because they need GMime's address parser and the helpers above, and
 * hdrlist.c is the lower layer that knows nothing of addresses.
 */

static int
strv_push(char ***vp, size_t *np, size_t *capp, const char *s)
{
	char **v;
	size_t ncap;
	int rc = -1;

	if (*np + 1 >= *capp) {
		ncap = *capp ? *capp * 2 : 8;
		if (ncap > SIZE_MAX / sizeof(*v)) {
			errno = ENOMEM;
			goto done;
		}
		if ((v = realloc(*vp, ncap * sizeof(*v))) == NULL)
			goto done;
		*vp = v;
		*capp = ncap;
	}
	if (s != NULL && ((*vp)[*np] = strdup(s)) == NULL)
		goto done;
	if (s != NULL)
		(*np)++;
	(*vp)[*np] = NULL;
	rc = 0;
done:
	return rc;
}

static int
field_is_one_of(const char *name, const char *const *names, size_t n)
{
	size_t i;
	int found = 0;

	for (i = 0; i < n && !found; i++)
		found = g_ascii_strcasecmp(name, names[i]) == 0;
	return found;
}

/* Add the new addresses of one To/Cc/Bcc value to v. */
static int
recipients_add(const char *value, char ***vp, size_t *np, size_t *capp)
{
	InternetAddressList *l = NULL;
	GPtrArray *mbs = NULL;
	InternetAddressMailbox *mb;
	const char *a;
	size_t j;
	guint i;
	int rc = -1;

	if (addresses_parse(value, &l, &mbs) == -1)
		goto done;
	for (i = 0; i < mbs->len; i++) {
		mb = INTERNET_ADDRESS_MAILBOX(mbs->pdata[i]);
		if ((a = internet_address_mailbox_get_idn_addr(mb)) == NULL)
			a = internet_address_mailbox_get_addr(mb);
		if (a == NULL || *a == '\0')
			continue;
		for (j = 0; j < *np && g_ascii_strcasecmp((*vp)[j], a); j++)
			;
		if (j == *np && strv_push(vp, np, capp, a) == -1)
			goto done;
	}
	rc = 0;
done:
	addresses_free(l, mbs);
	return rc;
}

int
header_list_recipients(const struct header_list *hl, char ***rcpts,
    size_t *nrcpts)
{
	const char *const *names = rcpt_fields;
	char **v = NULL;
	size_t i, n = 0, cap = 0;
	int rc = -1;

	header_library_init();
	for (i = 0; i < hl->count; i++)
		if (field_is_one_of(hl->fields[i].name, resent_fields, 3))
			names = resent_fields;
	if (strv_push(&v, &n, &cap, NULL) == -1)
		goto done;
	for (i = 0; i < hl->count; i++)
		if (field_is_one_of(hl->fields[i].name, names, 3) &&
		    recipients_add(hl->fields[i].value, &v, &n, &cap) == -1)
			goto done;
	*rcpts = v;
	*nrcpts = n;
	v = NULL;
	rc = 0;
done:
	header_recipients_free(v);
	return rc;
}

void
header_recipients_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}
