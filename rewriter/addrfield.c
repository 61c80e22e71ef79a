/*
 * addrfield.c: one address field of the owner's mail, judged and
 * rewritten (see addrfield.h).
 *
 * A field is cut into its elements (mailbox.c); each is parsed on its
 * own, and only the owner's are replaced.  Re-encoding the whole field
 * from GMime's parse would rewrite every other mailbox too: a name in a
 * charset GMime guesses wrong would come out garbled, groups and
 * comments lost.
 *
 * A display name in raw 8-bit bytes is read in the charset the message
 * declares; when that fails, or none is declared and the bytes are not
 * UTF-8, the owner's element keeps its display part as written (the
 * phrase before "<", or its comment) rather than re-encoding a guess.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "rewriter/addrfield.h"
#include "rewriter/mailbox.h"

/* One element of an address field, judged. */
enum elem_class {
	ELEM_OTHER,
	ELEM_OWNER,
	ELEM_CHOSEN
};

struct elem {
	enum elem_class cls;
	char *name; /* its display name in UTF-8, or NULL; owned */
	int raw; /* its bytes are in a charset we cannot read */
};

/*
 * Whose mailbox.
 */

/* The owner's mailbox; with author, any in a managed domain too. */
static int
addr_is_owner(const struct rewrite_request *req, const char *addr, int author)
{
	const char *at;
	size_t i;
	int found;

	found = req->owner != NULL && mailbox_addr_eq(addr, req->owner);
	if (author && (at = strrchr(addr, '@')) != NULL)
		for (i = 0; i < req->ndomains && !found; i++)
			found = mailbox_domain_eq(at + 1, req->domains[i]);
	return found;
}

/* GMime keeps an IDN domain both decoded and in ASCII: try both. */
static int
mailbox_is_owner(const struct rewrite_request *req, InternetAddressMailbox *mb,
    int author)
{
	const char *a, *idn;

	a = internet_address_mailbox_get_addr(mb);
	idn = internet_address_mailbox_get_idn_addr(mb);
	return (a != NULL && addr_is_owner(req, a, author)) ||
	    (idn != NULL && addr_is_owner(req, idn, author));
}

static int
mailbox_is_chosen(const struct rewrite_request *req,
    InternetAddressMailbox *mb)
{
	const char *a, *idn;

	a = internet_address_mailbox_get_addr(mb);
	idn = internet_address_mailbox_get_idn_addr(mb);
	return req->address != NULL &&
	    ((a != NULL && mailbox_addr_eq(a, req->address)) ||
		(idn != NULL && mailbox_addr_eq(idn, req->address)));
}

/* For text GMime makes no mailbox of: does it show the owner's mail?
 * 1, 0, or -1 when out of memory. */
static int
owner_mentioned(const struct rewrite_request *req, const char *text,
    int author)
{
	size_t i;
	int found = 0;

	if (req->owner != NULL &&
	    (found = mailbox_value_shows(text, req->owner)) != 0)
		return found;
	for (i = 0; author && i < req->ndomains && !found; i++)
		found = mailbox_text_mentions_domain(text, req->domains[i]);
	return found;
}

/*
 * Whether an author field with mailboxes mbs is the owner's: one of them
 * is (and, if but_chosen, is not the chosen address).  When none has a
 * domain ("", "<>", "jane", "\"jane@example.com\"") the field is garbled
 * and its text decides.  1, 0, or -1 when out of memory.
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
		if (mailbox_is_owner(req, mb, 1) &&
		    !(but_chosen && mailbox_is_chosen(req, mb)))
			owner = 1;
	}
	if (*garbled)
		owner = owner_mentioned(req, value, 1);
	return owner;
}

int
addrfield_is_owner(const struct rewrite_request *req, const char *value,
    int but_chosen, int *garbled)
{
	InternetAddressList *l = NULL;
	GPtrArray *mbs = NULL;
	int owner = -1;

	if (mailbox_list_parse(value, strlen(value), &l, &mbs) == 0)
		owner = field_is_owner(req, mbs, value, but_chosen, garbled);
	mailbox_list_free(l, mbs);
	return owner;
}

/*
 * Display names and mailboxes of ours.
 */

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
	int rc = -1, shows = 0;

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
	if (j > 0 && req->owner != NULL &&
	    (shows = mailbox_value_shows(s, req->owner)) == -1)
		goto done;
	if (j > 0 && !shows) {
		*out = s;
		s = NULL;
	}
	rc = 0;
done:
	free(s);
	return rc;
}

int
addrfield_name(const struct rewrite_request *req, const char *name, char **out)
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

int
addrfield_format(const char *field, const char *name, const char *addr,
    char **out)
{
	InternetAddressList *l;
	InternetAddress *ia;
	GString *s;
	const char *p;
	size_t skip;
	int rc = -1;

	l = internet_address_list_new();
	ia = internet_address_mailbox_new(name, addr);
	/* GMime would pick ISO-8859-1 when it can; UTF-8 reads the same
	 * everywhere */
	for (p = name; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p >= 128) {
			internet_address_set_charset(ia, "UTF-8");
			break;
		}
	internet_address_list_add(l, ia);
	g_object_unref(ia);
	s = g_string_new(field);
	g_string_append(s, ": ");
	skip = s->len;
	internet_address_list_encode(l, NULL, s);
	g_object_unref(l);
	while (s->len > skip &&
	    (s->str[s->len - 1] == '\n' || s->str[s->len - 1] == '\r'))
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

/*
 * Elements of address fields.
 */

int
addrfield_charset(const struct header_list *hl, char **out)
{
	GMimeContentType *ct;
	const char *cs;
	char *flat = NULL;
	size_t pos, i, j;
	int rc = -1;

	*out = NULL;
	if ((pos = header_list_find(hl, "Content-Type", 1)) == hl->count) {
		rc = 0;
		goto done;
	}
	if ((flat = strdup(hl->fields[pos].value)) == NULL)
		goto done;
	for (i = j = 0; flat[i] != '\0'; i++)
		if (flat[i] != '\r' && flat[i] != '\n')
			flat[j++] = flat[i];
	flat[j] = '\0';
	if ((ct = g_mime_content_type_parse(NULL, flat)) != NULL) {
		cs = g_mime_content_type_get_parameter(ct, "charset");
		if (cs != NULL && *cs != '\0' && (*out = strdup(cs)) == NULL) {
			g_object_unref(ct);
			goto done;
		}
		g_object_unref(ct);
	}
	rc = 0;
done:
	free(flat);
	return rc;
}

/* Judge a parsed element: one mailbox with a domain, or garbled. */
static int
elem_classify(const struct addrfield *af, GPtrArray *mbs, const char *text,
    int author, struct elem *e)
{
	InternetAddressMailbox *mb;
	const char *name;
	guint i, ndom = 0;
	int owner = 0, r;

	for (i = 0; i < mbs->len; i++) {
		mb = INTERNET_ADDRESS_MAILBOX(mbs->pdata[i]);
		ndom += mb->at > 0;
		owner |= mailbox_is_owner(af->req, mb, author);
	}
	if (mbs->len == 1 && ndom == 1) {
		mb = INTERNET_ADDRESS_MAILBOX(mbs->pdata[0]);
		if (!author && mailbox_is_chosen(af->req, mb))
			e->cls = ELEM_CHOSEN;
		else if (owner)
			e->cls = ELEM_OWNER;
		name = internet_address_get_name(INTERNET_ADDRESS(mb));
		if (e->cls == ELEM_OWNER && name != NULL &&
		    (e->name = strdup(name)) == NULL)
			return -1;
		return 0;
	}
	/* no mailbox, or several GMime and mailbox.c disagree about */
	if (ndom == 0 && (r = owner_mentioned(af->req, text, author)) != 0)
		owner = r;
	if (owner == -1)
		return -1;
	e->cls = owner ? ELEM_OWNER : ELEM_OTHER;
	return 0;
}

/*
 * Judge the element text[0..len) of a field.  Bytes that are not UTF-8
 * are read in the message's charset when it can; otherwise e->raw.
 * Returns 0, or -1 when out of memory.
 */
static int
elem_judge(const struct addrfield *af, const char *text, size_t len,
    int author, struct elem *e)
{
	InternetAddressList *l = NULL;
	GPtrArray *mbs = NULL;
	char *conv = NULL, *s = NULL;
	int rc = -1;

	memset(e, 0, sizeof(*e));
	if (!g_utf8_validate(text, (gssize)len, NULL)) {
		if (af->charset != NULL)
			conv = g_convert(text, (gssize)len, "UTF-8",
			    af->charset, NULL, NULL, NULL);
		e->raw = conv == NULL;
	}
	if (conv != NULL)
		rc = mailbox_list_parse(conv, strlen(conv), &l, &mbs);
	else
		rc = mailbox_list_parse(text, len, &l, &mbs);
	if (rc == -1 || (s = strndup(text, len)) == NULL ||
	    elem_classify(af, mbs, s, author, e) == -1) {
		rc = -1;
		free(e->name);
		e->name = NULL;
	}
	free(s);
	g_free(conv);
	mailbox_list_free(l, mbs);
	return rc;
}

/* s[0..len) with white space runs made one space, ends trimmed. */
static char *
collapse(const char *s, size_t len)
{
	char *out;
	size_t i, j = 0;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (!strchr(" \t\r\n", s[i]))
			out[j++] = s[i];
		else if (j > 0 && out[j - 1] != ' ')
			out[j++] = ' ';
	}
	if (j > 0 && out[j - 1] == ' ')
		j--;
	out[j] = '\0';
	return out;
}

/*
 * The display part of an element as written: the phrase before its "<",
 * else its first comment (parentheses kept).  *angle tells which.  NULL
 * with errno 0 when it has none, with ENOMEM when out of memory.
 */
static char *
raw_display(const char *text, size_t len, int *angle)
{
	char *out = NULL;
	size_t i, lt = len, cstart = 0, cend = 0;
	int depth = 0, inq = 0;

	errno = 0;
	*angle = 0;
	for (i = 0; i < len && lt == len; i++) {
		if (inq || depth > 0) {
			if (text[i] == '\\' && i + 1 < len)
				i++;
			else if (inq && text[i] == '"')
				inq = 0;
			else if (depth > 0 && text[i] == '(')
				depth++;
			else if (depth > 0 && text[i] == ')' && --depth == 0 &&
			    cend == 0)
				cend = i + 1;
		} else if (text[i] == '"')
			inq = 1;
		else if (text[i] == '(') {
			depth = 1;
			if (cend == 0)
				cstart = i;
		} else if (text[i] == '<')
			lt = i;
	}
	if (lt < len) {
		*angle = 1;
		out = collapse(text, lt);
	} else if (cend > 0)
		out = collapse(text + cstart, cend - cstart);
	if (out != NULL && *out == '\0') {
		free(out);
		out = NULL;
	}
	return out;
}

/* An owner's element kept raw: its display part with the chosen address.
 * *out NULL when that cannot be done. */
static int
elem_raw_replace(const struct addrfield *af, const char *text, size_t len,
    char **out)
{
	char *disp;
	int angle, shows = 1, rc = -1;

	*out = NULL;
	if ((disp = raw_display(text, len, &angle)) == NULL) {
		rc = errno == ENOMEM ? -1 : 0;
		goto done;
	}
	if (af->req->owner != NULL &&
	    (shows = mailbox_value_shows(disp, af->req->owner)) == -1)
		goto done;
	if (af->req->owner == NULL)
		shows = 0;
	if (!shows &&
	    (*out = angle ?
		    g_strdup_printf("%s <%s>", disp, af->req->address) :
		    g_strdup_printf("%s %s", af->req->address, disp)) == NULL)
		goto done;
	rc = 0;
done:
	free(disp);
	return rc;
}

/*
 * The text replacing an owner's element of field: the chosen mailbox
 * with the element's name.  The first From's learns its name (or its
 * raw replacement) into *first.  Returns 0, or -1 when out of memory.
 */
static int
elem_replace(const struct addrfield *af, const char *field, const char *text,
    size_t len, const struct elem *e, struct first_mailbox *first, char **out)
{
	char *raw = NULL, *name = NULL;
	int rc = -1;

	*out = NULL;
	if (e->raw && elem_raw_replace(af, text, len, &raw) == -1)
		goto done;
	if (raw != NULL) {
		/* GLib's memory goes back with g_free(), ours with free() */
		if ((*out = strdup(raw)) == NULL)
			goto done;
	} else if (addrfield_name(af->req, e->raw ? NULL : e->name, &name) ==
		-1 ||
	    addrfield_format(field, name, af->req->address, out) == -1)
		goto done;
	if (first != NULL && !first->set) {
		first->set = 1;
		if (raw != NULL && (first->raw = strdup(*out)) == NULL)
			goto done;
		first->name = name;
		name = NULL;
	}
	rc = 0;
done:
	if (rc == -1) {
		free(*out);
		*out = NULL;
	}
	g_free(raw);
	free(name);
	return rc;
}

/*
 * Decide what becomes of each element of a field: the first owner's
 * mailbox (unless the chosen one is there already) becomes the chosen
 * one, the other owner's ones go.  repl[] as mailbox_field_join() takes
 * it; *changed whether any element is replaced or dropped.
 */
static int
elems_decide(const struct addrfield *af, const char *field, const char *value,
    const struct mailbox_part *parts, size_t n, int author,
    struct first_mailbox *first, char **repl, int *changed)
{
	struct elem *e;
	size_t i;
	int placed = 0, rc = -1;

	*changed = 0;
	if ((e = calloc(n, sizeof(*e))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (parts[i].kind == MAILBOX_ELEM &&
		    elem_judge(af, value + parts[i].start,
			parts[i].end - parts[i].start, author, &e[i]) == -1)
			goto done;
		placed |= e[i].cls == ELEM_CHOSEN;
	}
	for (i = 0; i < n; i++) {
		if (e[i].cls != ELEM_OWNER)
			continue;
		*changed = 1;
		if (placed++) {
			repl[i] = (char *)mailbox_drop;
			continue;
		}
		if (elem_replace(af, field, value + parts[i].start,
			parts[i].end - parts[i].start, &e[i], first,
			&repl[i]) == -1)
			goto done;
	}
	rc = 0;
done:
	for (i = 0; i < n; i++)
		free(e[i].name);
	free(e);
	return rc;
}

int
addrfield_rewrite(const struct addrfield *af, const char *field,
    const char *value, int author, int flatten, struct first_mailbox *first,
    char **newval)
{
	struct mailbox_part *parts = NULL;
	char **repl = NULL;
	size_t i, n = 0;
	int changed = 0, groups = 0, rc = -1;

	*newval = NULL;
	if (mailbox_field_split(value, &parts, &n) == -1 ||
	    (repl = calloc(n, sizeof(*repl))) == NULL)
		goto done;
	if (elems_decide(af, field, value, parts, n, author, first, repl,
		&changed) == -1)
		goto done;
	for (i = 0; i < n; i++)
		groups |= parts[i].kind != MAILBOX_ELEM;
	if (changed &&
	    (*newval = mailbox_field_join(value, parts, n,
		 (const char *const *)repl, flatten && groups)) == NULL)
		goto done;
	if (*newval != NULL && strcmp(*newval, value) == 0) {
		free(*newval);
		*newval = NULL;
	}
	rc = 0;
done:
	for (i = 0; repl != NULL && i < n; i++)
		if (repl[i] != mailbox_drop)
			free(repl[i]);
	free(repl);
	free(parts);
	return rc;
}
