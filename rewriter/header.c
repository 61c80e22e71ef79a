/*
 * header.c: the header rewriting of outbound mail from the owner (SPEC.md,
 * "Rewriting").  The lists themselves are hdrlist.c's; one address field
 * is addrfield.c's, and mailboxes in their many spellings are mailbox.c's.
 * The leak guard that checks the result is leak.c's, and the recipients
 * sendmail -t would take are recipients.c's.
 *
 * Decisions on what RFC 5322 leaves to us:
 *
 * - Whose mail: the first From field decides, or the first Resent-From
 *   (else Resent-Sender) for mail the owner bounces or resends.  A field
 *   is the owner's when any mailbox in it (groups flattened) is the
 *   owner's mailbox or in a managed domain; "any" rather than "the first"
 *   because a list naming the owner second would otherwise leave with the
 *   real address in it.
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
 * - In every address field, the first owner's mailbox becomes the chosen
 *   one with its own display name (else full_name, else none); later
 *   owner's mailboxes in the same field go, so that the chosen address
 *   appears once, and so do all of them when the field already names the
 *   chosen address.  The other elements of the field keep their bytes
 *   (mailbox.c cuts the field), so a name in a charset GMime would read
 *   wrongly is not re-encoded garbled.  Only From, Sender, Reply-To,
 *   Resent-From and Resent-Sender, which name the author, take a mailbox
 *   in a managed domain for the owner's; in To or Cc another of the
 *   owner's addresses is a recipient like any other.
 * - A From is a mailbox-list: groups in a rewritten From are flattened.
 *   Other fields keep their groups.
 * - A display name in raw 8-bit bytes is read in the charset the
 *   message's Content-Type declares; when that fails or none is declared
 *   and the bytes are not UTF-8, they are kept as they were rather than
 *   re-encoded from a guess.
 * - When the rewritten first From holds several mailboxes, RFC 5322 wants
 *   a single Sender: an existing foreign Sender is kept, else the first
 *   owner's Sender (or a new one) becomes the chosen mailbox.
 * - Reply-To and an added Sender get the same "Display Name <chosen>" as
 *   the first From, so that replies show the name the owner wrote.
 * - A display name that shows the owner's real address ("me@example.com"
 *   <me@example.com>, as some clients write) is not kept; and no From,
 *   Reply-To or Sender we produce may mention the owner's address, else
 *   REWRITE_ERROR.  What else still names the owner is the leak guard's
 *   (leak.c) to find.
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
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "rewriter/addrfield.h"
#include "rewriter/header.h"
#include "rewriter/mailbox.h"

/* The address fields besides From, Reply-To and Sender in which the
 * owner's mailbox names the chosen address instead.  Delivered-To and
 * X-Original-To come with a received message the owner bounces. */
static const struct addr_field {
	const char *name;
	int author; /* names the author: a managed address is ours */
} addr_fields[] = {
	{ "To", 0 },
	{ "Cc", 0 },
	{ "Bcc", 0 },
	{ "Disposition-Notification-To", 0 },
	{ "Return-Receipt-To", 0 },
	{ "Errors-To", 0 },
	{ "Mail-Reply-To", 0 },
	{ "Mail-Followup-To", 0 },
	{ "X-Sender", 0 },
	{ "Resent-From", 1 },
	{ "Resent-Sender", 1 },
	{ "Resent-To", 0 },
	{ "Resent-Cc", 0 },
	{ "Resent-Bcc", 0 },
	{ "Resent-Reply-To", 0 },
	{ "Delivered-To", 0 },
	{ "X-Original-To", 0 },
};
#define NADDR_FIELDS (sizeof(addr_fields) / sizeof(addr_fields[0]))

/* Whose mail a message is. */
struct whose {
	int from; /* its first From is the owner's, or it has none */
	int resent; /* its first Resent-From (else Resent-Sender) is */
	int nofrom; /* it has no From */
};

/* State of one rewrite_headers() call. */
struct rewrite {
	const struct rewrite_request *req;
	struct header_changes *out;
	char *charset; /* Content-Type's charset, or NULL; owned */
	struct addrfield af; /* req and charset */
	struct first_mailbox first; /* of the first From */
	char *mine; /* "Display Name <chosen>"; owned */
	int nfrom; /* mailboxes of the first From, rewritten */
	struct whose whose;
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

static void seterr(char *, size_t, const char *, ...)
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

/*
 * Whose mail.
 */

/* Whether the first field called name is the owner's: 1, 0, -1; 0 with
 * *present 0 when there is none. */
static int
first_is_owner(const struct header_list *hl, const struct rewrite_request *req,
    const char *name, int *present)
{
	size_t pos;
	int garbled;

	pos = header_list_find(hl, name, 1);
	if (!(*present = pos < hl->count))
		return 0;
	return addrfield_is_owner(req, hl->fields[pos].value, 0, &garbled);
}

static int
whose_mail(const struct header_list *hl, const struct rewrite_request *req,
    struct whose *w)
{
	int present, r;

	memset(w, 0, sizeof(*w));
	if ((r = first_is_owner(hl, req, "From", &present)) == -1)
		return -1;
	w->nofrom = !present;
	w->from = present ? r : 1;
	if ((r = first_is_owner(hl, req, "Resent-From", &present)) == 0 &&
	    !present)
		r = first_is_owner(hl, req, "Resent-Sender", &present);
	if (r == -1)
		return -1;
	w->resent = r;
	return 0;
}

int
header_is_owners(const struct header_list *hl,
    const struct rewrite_request *req)
{
	struct whose w;

	header_library_init();
	if (whose_mail(hl, req, &w) == -1)
		return -1;
	return w.from || w.resent;
}

/*
 * From.
 */

/* How many mailboxes the first From holds once rewritten. */
static int
from_count(struct rewrite *rw, const char *value)
{
	InternetAddressList *l = NULL;
	GPtrArray *mbs = NULL;
	int rc = -1;

	if (mailbox_list_parse(value, strlen(value), &l, &mbs) == 0) {
		rw->nfrom = (int)mbs->len;
		rc = 0;
	}
	mailbox_list_free(l, mbs);
	return rc;
}

/*
 * One From value: *newval is its new value, or NULL if it stays.  A
 * garbled owner's From is replaced whole with the chosen mailbox.
 * Returns 0, or -1 when out of memory.
 */
static int
from_rewrite(struct rewrite *rw, const char *value, int first, char **newval)
{
	char *name = NULL;
	int garbled, owner, rc = -1;

	*newval = NULL;
	if ((owner = addrfield_is_owner(rw->req, value, 0, &garbled)) == -1)
		goto done;
	if (!owner) {
		rc = 0;
		goto done;
	}
	if (garbled) {
		if (addrfield_name(rw->req, NULL, &name) == -1 ||
		    addrfield_format("From", name, rw->req->address, newval) ==
			-1)
			goto done;
	} else if (addrfield_rewrite(&rw->af, "From", value, 1, 1,
		       first ? &rw->first : NULL, newval) == -1)
		goto done;
	if (first && !garbled &&
	    from_count(rw, *newval != NULL ? *newval : value) == -1)
		goto done;
	rc = 0;
done:
	free(name);
	return rc;
}

/* Every From of the owner's mail: those naming the owner are rewritten. */
static int
from_fields(struct rewrite *rw, const struct header_list *hl)
{
	const struct header_field *f;
	char *newval = NULL;
	size_t i;
	int k = 0, rc = -1;

	for (i = 0; i < hl->count; i++) {
		f = &hl->fields[i];
		if (g_ascii_strcasecmp(f->name, "From") != 0)
			continue;
		k++;
		if (from_rewrite(rw, f->value, k == 1, &newval) == -1)
			goto done;
		if (newval != NULL &&
		    header_changes_push(rw->out, HEADER_CHANGE, "From", k,
			newval) == -1)
			goto done;
		free(newval);
		newval = NULL;
	}
	rc = 0;
done:
	free(newval);
	return rc;
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

/*
 * Delete the owner's Sender fields (the owner's mailbox, or a managed one
 * other than the chosen address), except that when the rewritten From
 * holds several mailboxes and no foreign Sender is there, the first of
 * them (or a new one) becomes ours.
 */
static int
sender_rewrite(struct rewrite *rw, const struct header_list *hl)
{
	const struct header_field *f;
	char *ours = NULL;
	size_t i, n, k = 0, keep = 0, nours = 0;
	int need, rc = -1, owner, garbled;

	n = header_list_count(hl, "Sender");
	if (n > 0 && (ours = calloc(n + 1, 1)) == NULL)
		goto done;
	for (i = 0; i < hl->count; i++) {
		f = &hl->fields[i];
		if (g_ascii_strcasecmp(f->name, "Sender") != 0)
			continue;
		if ((owner = addrfield_is_owner(rw->req, f->value, 1,
			 &garbled)) == -1)
			goto done;
		ours[++k] = owner;
		nours += owner;
		if (owner && keep == 0)
			keep = k;
	}
	need = rw->req->address != NULL && rw->nfrom > 1 && nours == n;
	if (!need)
		keep = 0;
	if (need && keep == 0 &&
	    header_changes_push(rw->out, HEADER_ADD, "Sender", 0, rw->mine) ==
		-1)
		goto done;
	/* an owner's Sender never holds the chosen address already */
	if (keep > 0 &&
	    header_changes_push(rw->out, HEADER_CHANGE, "Sender", (int)keep,
		rw->mine) == -1)
		goto done;
	for (k = n; k > 0; k--)
		if (ours[k] && k != keep &&
		    header_changes_push(rw->out, HEADER_DELETE, "Sender",
			(int)k, NULL) == -1)
			goto done;
	rc = 0;
done:
	free(ours);
	return rc;
}

/* Reply-To, and From when missing, once the first From gave its name. */
static int
address_fields(struct rewrite *rw, const struct header_list *hl)
{
	char *name = NULL;
	int rc = -1;

	if (rw->first.raw != NULL) {
		if ((rw->mine = strdup(rw->first.raw)) == NULL)
			goto done;
	} else if (!rw->first.set) {
		if (addrfield_name(rw->req, NULL, &name) == -1 ||
		    addrfield_format("Reply-To", name, rw->req->address,
			&rw->mine) == -1)
			goto done;
	} else if (addrfield_format("Reply-To", rw->first.name,
		       rw->req->address, &rw->mine) == -1)
		goto done;
	if (rw->whose.nofrom &&
	    header_changes_push(rw->out, HEADER_ADD, "From", 0, rw->mine) ==
		-1)
		goto done;
	if (replyto_rewrite(rw, hl) == -1)
		goto done;
	rc = 0;
done:
	free(name);
	return rc;
}

/*
 * The other address fields, Autocrypt and Return-Path.
 */

static const struct addr_field *
addr_field_find(const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < NADDR_FIELDS; i++)
		if (g_ascii_strcasecmp(name, addr_fields[i].name) == 0) {
			*idx = i;
			return &addr_fields[i];
		}
	return NULL;
}

/* In each field of addr_fields the owner's mailbox names the chosen
 * address instead. */
static int
other_fields(struct rewrite *rw, const struct header_list *hl)
{
	const struct addr_field *af;
	int seen[NADDR_FIELDS] = { 0 };
	char *newval = NULL;
	size_t i, j;
	int rc = -1;

	for (i = 0; i < hl->count; i++) {
		if ((af = addr_field_find(hl->fields[i].name, &j)) == NULL)
			continue;
		seen[j]++;
		if (addrfield_rewrite(&rw->af, af->name, hl->fields[i].value,
			af->author, 0, NULL, &newval) == -1)
			goto done;
		if (newval != NULL &&
		    header_changes_push(rw->out, HEADER_CHANGE, af->name,
			seen[j], newval) == -1)
			goto done;
		free(newval);
		newval = NULL;
	}
	rc = 0;
done:
	free(newval);
	return rc;
}

/* Whether the n bytes at data hold addr, ASCII case ignored. */
static int
bytes_hold(const unsigned char *data, size_t n, const char *addr)
{
	size_t len = strlen(addr), i;

	for (i = 0; len > 0 && i + len <= n; i++)
		if (g_ascii_strncasecmp((const char *)data + i, addr, len) ==
		    0)
			return 1;
	return 0;
}

/* Whether base64 key data holds addr: an OpenPGP key's user IDs are
 * plain text inside it ("Real Owner <real.owner@...>"). */
static int
keydata_holds(const char *b64, const char *addr)
{
	guchar *key;
	gsize n;
	int found;

	key = g_base64_decode(b64, &n);
	found = key != NULL && bytes_hold(key, n, addr);
	g_free(key);
	return found;
}

/* Whether an Autocrypt value names the owner: its addr= attribute is the
 * owner's address in any spelling, or its key's user IDs show it (a key
 * sent beside an alias in addr= still tells the real address).  1, 0,
 * or -1 when out of memory. */
static int
autocrypt_is_owner(const struct rewrite_request *req, const char *value)
{
	char *flat, *attr, *save = NULL, *v, *p, *q;
	int found = 0;

	if ((flat = strdup(value)) == NULL)
		return -1;
	for (p = flat; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	for (attr = strtok_r(flat, ";", &save); attr != NULL && !found;
	     attr = strtok_r(NULL, ";", &save)) {
		attr += strspn(attr, " ");
		if (g_ascii_strncasecmp(attr, "keydata", 7) == 0) {
			v = attr + 7 + strspn(attr + 7, " ");
			if (*v++ != '=')
				continue;
			/* base64 folded with spaces: take them out */
			for (p = q = v; *p != '\0'; p++)
				if (*p != ' ')
					*q++ = *p;
			*q = '\0';
			found = keydata_holds(v, req->owner);
			continue;
		}
		if (g_ascii_strncasecmp(attr, "addr", 4) != 0)
			continue;
		v = attr + 4 + strspn(attr + 4, " ");
		if (*v++ != '=')
			continue;
		v += strspn(v, " ");
		if (mailbox_addr_eq(g_strchomp(v), req->owner))
			found = 1;
		else if ((found = mailbox_value_shows(v, req->owner)) == -1)
			break;
	}
	free(flat);
	return found;
}

/* Whether a Return-Path names the owner.  1, 0, or -1. */
static int
return_path_is_owner(const struct rewrite_request *req, const char *value)
{
	return mailbox_value_shows(value, req->owner);
}

/* X-Aliasd: aliasd's note on inbound mail names an address and its
 * correspondent; in a message the owner forwards or resends it would
 * tell one correspondent about another.  Every one goes. */
static int
any_value(const struct rewrite_request *req, const char *value)
{
	(void)req;
	(void)value;
	return 1;
}

/*
 * Delete each field called name that names the owner (by is_owner),
 * highest index first.  Autocrypt: its key names the real address.
 * Return-Path: a trace field the delivering MTA writes from the envelope;
 * one a client left in the owner's message only tells the real address.
 */
static int
drop_owner_fields(struct rewrite *rw, const struct header_list *hl,
    const char *name,
    int (*is_owner)(const struct rewrite_request *, const char *))
{
	char *ours = NULL;
	size_t i, n, k = 0;
	int r, rc = -1;

	if (rw->req->owner == NULL || (n = header_list_count(hl, name)) == 0)
		return 0;
	if ((ours = calloc(n + 1, 1)) == NULL)
		goto done;
	for (i = 0; i < hl->count; i++) {
		if (g_ascii_strcasecmp(hl->fields[i].name, name) != 0)
			continue;
		if ((r = is_owner(rw->req, hl->fields[i].value)) == -1)
			goto done;
		ours[++k] = r;
	}
	for (k = n; k > 0; k--)
		if (ours[k] &&
		    header_changes_push(rw->out, HEADER_DELETE, name, (int)k,
			NULL) == -1)
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
		seterr(err, errlen,
		    "chosen address \"%s\" is not a plain "
		    "local@domain address",
		    a);
		goto done;
	}
	if (req->owner != NULL && mailbox_addr_eq(a, req->owner)) {
		seterr(err, errlen, "chosen address %s is the owner's own", a);
		goto done;
	}
	rc = 0;
done:
	return rc;
}

/* Last guard on From, Reply-To and Sender: no value of ours shows the
 * owner's address, as written or as a mail client displays it. */
static int
changes_check(const struct rewrite *rw, size_t start, char *err, size_t errlen)
{
	const struct header_change *c;
	size_t i;
	int r;

	for (i = start; i < rw->out->count && rw->req->owner != NULL; i++) {
		c = &rw->out->items[i];
		if (c->value == NULL)
			continue;
		if ((r = mailbox_value_shows(c->value, rw->req->owner)) ==
		    -1) {
			seterr(err, errlen, "out of memory");
			return -1;
		}
		if (r == 1) {
			seterr(err, errlen,
			    "rewritten %s would still show the "
			    "owner's address",
			    c->name);
			return -1;
		}
	}
	return 0;
}

/* From, Reply-To and Sender of mail whose From is the owner's. */
static int
author_fields(struct rewrite *rw, const struct header_list *hl)
{
	int rc = -1;

	if (rw->req->address != NULL &&
	    (from_fields(rw, hl) == -1 || address_fields(rw, hl) == -1))
		goto done;
	if (sender_rewrite(rw, hl) == -1)
		goto done;
	rc = 0;
done:
	return rc;
}

enum rewrite_status
rewrite_headers(const struct header_list *hl,
    const struct rewrite_request *req, struct header_changes *out, char *err,
    size_t errlen)
{
	struct rewrite rw;
	enum rewrite_status st = REWRITE_ERROR;
	size_t start = out->count;

	header_library_init();
	memset(&rw, 0, sizeof(rw));
	rw.req = req;
	rw.af.req = req;
	rw.out = out;
	rw.nfrom = 1;
	if (request_check(req, err, errlen) == -1)
		goto done;
	if (whose_mail(hl, req, &rw.whose) == -1 ||
	    addrfield_charset(hl, &rw.charset) == -1)
		goto nomem;
	rw.af.charset = rw.charset;
	if (!rw.whose.from && !rw.whose.resent) {
		st = REWRITE_NOT_OWNER;
		goto done;
	}
	if (rw.whose.from && author_fields(&rw, hl) == -1)
		goto nomem;
	if (changes_check(&rw, start, err, errlen) == -1)
		goto done;
	if ((req->address != NULL && other_fields(&rw, hl) == -1) ||
	    drop_owner_fields(&rw, hl, "Autocrypt", autocrypt_is_owner) ==
		-1 ||
	    drop_owner_fields(&rw, hl, "Return-Path", return_path_is_owner) ==
		-1 ||
	    drop_owner_fields(&rw, hl, "X-Aliasd", any_value) == -1)
		goto nomem;
	st = REWRITE_OK;
	goto done;
nomem:
	seterr(err, errlen, "out of memory");
done:
	if (st != REWRITE_OK)
		header_changes_truncate(out, start);
	free(rw.charset);
	free(rw.first.name);
	free(rw.first.raw);
	free(rw.mine);
	return st;
}
