/*
 * mailbox.c: mailboxes in header text, in every spelling RFC 5322 allows
 * (see mailbox.h).
 *
 * The owner's address can be written in many ways that all name the same
 * mailbox: any ASCII case, a quoted local part ("real.owner"@home.test),
 * quoted-pairs in it, a trailing dot on the domain, comments, white space
 * and folds around the "@", encoded words.  Rewriting must recognise each
 * of them, and the leak guard must find each of them in any field.
 *
 * Cutting a field into elements ourselves, rather than re-encoding GMime's
 * parse of the whole field, keeps every other mailbox as its sender wrote
 * it: names in charsets GMime would guess wrong, groups, comments.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "rewriter/mailbox.h"

/* GMime's group parser recurses; so do we, to a bound. */
#define GROUP_DEPTH_MAX 8

const char mailbox_drop[] = "";

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Comparing addresses.
 */

int
mailbox_domain_eq(const char *a, const char *b)
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

/* The next character a local part says, quotes and quoted-pairs taken
 * away; -1 at its end. */
static int
local_next(const char **pp, const char *end)
{
	const char *p = *pp;
	int c = -1;

	while (p < end && *p == '"')
		p++;
	if (p < end && *p == '\\' && p + 1 < end)
		p++;
	if (p < end)
		c = g_ascii_tolower((unsigned char)*p++);
	*pp = p;
	return c;
}

int
mailbox_addr_eq(const char *a, const char *b)
{
	const char *da, *db;
	int ca, cb;

	da = strrchr(a, '@');
	db = strrchr(b, '@');
	if (da == NULL || db == NULL)
		return g_ascii_strcasecmp(a, b) == 0;
	do {
		ca = local_next(&a, da);
		cb = local_next(&b, db);
	} while (ca == cb && ca != -1);
	return ca == cb && mailbox_domain_eq(da + 1, db + 1);
}

/*
 * Finding an address in text.
 */

/* After a match of an address or domain: another domain label follows? */
static int
domain_continues(const char *p)
{
	if (*p == '.')
		p++;
	return g_ascii_isalnum(*p) || *p == '-';
}

/*
 * Before a match, a letter, digit or one of "._-+" makes it part of a
 * longer local part ("xjane@", "j.jane@").  Other characters RFC 5322
 * allows in a local part ("=", "/", "!", ...) rarely do in practice and
 * mostly mark where an address starts ("i=jane@..." in a DKIM signature,
 * a bang path): a reader sees the address there.
 */
static int
local_continues(const char *text, const char *p)
{
	return p > text &&
	    (g_ascii_isalnum(p[-1]) || strchr("._-+", p[-1]) != NULL);
}

int
mailbox_text_mentions(const char *text, const char *addr)
{
	const char *p;
	size_t n;
	int found = 0;

	n = strlen(addr);
	for (p = text; n > 0 && *p != '\0' && !found; p++)
		found = g_ascii_strncasecmp(p, addr, n) == 0 &&
		    !local_continues(text, p) && !domain_continues(p + n);
	return found;
}

int
mailbox_text_mentions_domain(const char *text, const char *domain)
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

/* A line ending at s[i] of s[0..len): 0 none, 1 part of a fold (the
 * white space after it stays), 2 a bare one, which separates words. */
static int
line_end(const char *s, size_t i, size_t len)
{
	size_t k = i;

	if (s[k] != '\r' && s[k] != '\n')
		return 0;
	while (k < len && (s[k] == '\r' || s[k] == '\n'))
		k++;
	return k < len && (s[k] == ' ' || s[k] == '\t') ? 1 : 2;
}

/* s[0..len) unfolded: folds lose their line endings, a bare CR or LF
 * becomes a space (the two words it parts must not join). */
static char *
unfold(const char *s, size_t len)
{
	char *out;
	size_t i, j = 0;
	int e;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len && s[i] != '\0'; i++)
		if ((e = line_end(s, i, len)) == 0)
			out[j++] = s[i];
		else if (e == 2 && (j == 0 || out[j - 1] != ' '))
			out[j++] = ' ';
	out[j] = '\0';
	return out;
}

/*
 * Text as an address in it reads once RFC 5322's decoration is gone:
 * folds undone, quotes and quoted-pairs resolved, comments removed,
 * white space next to an "@" removed.  "jane"(home) @ isp.example.net
 * becomes jane@isp.example.net.  NULL when out of memory.
 */
static char *
text_plain(const char *text)
{
	char *s, *out;
	size_t i, j = 0, k;
	int depth = 0, inq = 0;

	if ((s = unfold(text, strlen(text))) == NULL)
		return NULL;
	if ((out = malloc(strlen(s) + 1)) == NULL) {
		free(s);
		return NULL;
	}
	for (i = 0; s[i] != '\0'; i++) {
		if (depth > 0) {
			if (s[i] == '\\' && s[i + 1] != '\0')
				i++;
			else if (s[i] == '(')
				depth++;
			else if (s[i] == ')')
				depth--;
		} else if (inq) {
			if (s[i] == '\\' && s[i + 1] != '\0')
				out[j++] = s[++i];
			else if (s[i] == '"')
				inq = 0;
			else
				out[j++] = s[i];
		} else if (s[i] == '"')
			inq = 1;
		else if (s[i] == '(')
			depth = 1;
		else
			out[j++] = s[i];
	}
	out[j] = '\0';
	free(s);
	/* white space runs touching an "@" go */
	for (i = j = 0; out[i] != '\0'; i = k) {
		for (k = i; out[k] == ' ' || out[k] == '\t'; k++)
			;
		if (k == i) {
			out[j++] = out[k++];
			continue;
		}
		if ((j > 0 && out[j - 1] == '@') || out[k] == '@')
			continue;
		memmove(out + j, out + i, k - i);
		j += k - i;
	}
	out[j] = '\0';
	return out;
}

/* Whether text, or text made plain, shows want (already plain). */
static int
text_shows(const char *text, const char *want, int *found)
{
	char *plain;

	if ((*found = mailbox_text_mentions(text, want)))
		return 0;
	if ((plain = text_plain(text)) == NULL)
		return -1;
	*found = mailbox_text_mentions(plain, want);
	free(plain);
	return 0;
}

/* Whether a mailbox GMime finds in flat is addr. */
static int
parsed_shows(const char *flat, const char *addr, int *found)
{
	InternetAddressList *l = NULL;
	GPtrArray *mbs = NULL;
	InternetAddressMailbox *mb;
	const char *a, *idn;
	guint i;
	int rc = -1;

	*found = 0;
	if (mailbox_list_parse(flat, strlen(flat), &l, &mbs) == -1)
		goto done;
	for (i = 0; i < mbs->len && !*found; i++) {
		mb = INTERNET_ADDRESS_MAILBOX(mbs->pdata[i]);
		a = internet_address_mailbox_get_addr(mb);
		idn = internet_address_mailbox_get_idn_addr(mb);
		*found = (a != NULL && mailbox_addr_eq(a, addr)) ||
		    (idn != NULL && mailbox_addr_eq(idn, addr));
	}
	rc = 0;
done:
	mailbox_list_free(l, mbs);
	return rc;
}

int
mailbox_value_shows(const char *value, const char *addr)
{
	char *flat = NULL, *want = NULL, *dec = NULL, *dec2 = NULL;
	size_t n;
	int found = 0, rc = -1;

	if ((want = text_plain(addr)) == NULL ||
	    (flat = unfold(value, strlen(value))) == NULL)
		goto done;
	if ((n = strlen(want)) > 0 && want[n - 1] == '.')
		want[n - 1] = '\0';
	if (text_shows(flat, want, &found) == -1)
		goto done;
	if (!found &&
	    (dec = g_mime_utils_header_decode_text(NULL, flat)) != NULL &&
	    text_shows(dec, want, &found) == -1)
		goto done;
	/* decoded as a reader's client may, folds and all */
	if (!found && strcmp(flat, value) != 0 &&
	    (dec2 = g_mime_utils_header_decode_text(NULL, value)) != NULL &&
	    text_shows(dec2, want, &found) == -1)
		goto done;
	if (!found && parsed_shows(flat, addr, &found) == -1)
		goto done;
	rc = found;
done:
	g_free(dec);
	g_free(dec2);
	free(flat);
	free(want);
	return rc;
}

/*
 * Parsing.
 */

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
					  INTERNET_ADDRESS_GROUP(ia)),
			out, depth + 1) == -1)
			goto done;
	}
	rc = 0;
done:
	return rc;
}

int
mailbox_list_parse(const char *value, size_t len, InternetAddressList **lp,
    GPtrArray **mbs)
{
	char *flat;
	int rc = -1;

	*lp = NULL;
	*mbs = g_ptr_array_new();
	if ((flat = unfold(value, len)) == NULL)
		goto done;
	*lp = internet_address_list_parse(NULL, flat);
	if (*lp != NULL && mailboxes_collect(*lp, *mbs, 0) == -1)
		g_ptr_array_set_size(*mbs, 0);
	rc = 0;
done:
	free(flat);
	return rc;
}

void
mailbox_list_free(InternetAddressList *l, GPtrArray *mbs)
{
	if (l != NULL)
		g_object_unref(l);
	if (mbs != NULL)
		g_ptr_array_free(mbs, TRUE);
}

/*
 * Cutting a field into elements and putting it back together.
 */

static int
part_push(struct mailbox_part **v, size_t *n, size_t *cap,
    enum mailbox_part_kind kind, size_t start, size_t end)
{
	struct mailbox_part *p;
	size_t ncap;

	if (*n == *cap) {
		ncap = *cap ? *cap * 2 : 8;
		if (ncap > SIZE_MAX / sizeof(*p)) {
			errno = ENOMEM;
			return -1;
		}
		if ((p = realloc(*v, ncap * sizeof(*p))) == NULL)
			return -1;
		*v = p;
		*cap = ncap;
	}
	(*v)[*n].kind = kind;
	(*v)[*n].start = start;
	(*v)[*n].end = end;
	(*n)++;
	return 0;
}

/*
 * Commas, colons and semicolons count only outside quoted strings,
 * comments, domain literals and angle brackets (an obsolete route,
 * <@a,@b:x@y>, holds both).  A colon opens a group only outside one: RFC
 * 5322 has no nested groups.
 */
int
mailbox_field_split(const char *value, struct mailbox_part **parts,
    size_t *nparts)
{
	struct mailbox_part *v = NULL;
	size_t i, n = 0, cap = 0, start = 0;
	int depth = 0, inq = 0, lit = 0, angle = 0, group = 0, rc = -1;

	for (i = 0; value[i] != '\0'; i++) {
		if (inq || depth > 0 || lit) {
			if (value[i] == '\\' && value[i + 1] != '\0')
				i++;
			else if (inq && value[i] == '"')
				inq = 0;
			else if (lit && value[i] == ']')
				lit = 0;
			else if (depth > 0 && value[i] == '(')
				depth++;
			else if (depth > 0 && value[i] == ')')
				depth--;
			continue;
		}
		switch (value[i]) {
		case '"':
			inq = 1;
			break;
		case '(':
			depth = 1;
			break;
		case '[':
			lit = 1;
			break;
		case '<':
			angle = 1;
			break;
		case '>':
			angle = 0;
			break;
		case ':':
			if (angle || group)
				break;
			if (part_push(&v, &n, &cap, MAILBOX_GROUP_OPEN, start,
				i + 1) == -1)
				goto done;
			group = 1;
			start = i + 1;
			break;
		case ',':
		case ';':
			if (angle || (value[i] == ';' && !group))
				break;
			if (part_push(&v, &n, &cap, MAILBOX_ELEM, start, i) ==
			    -1)
				goto done;
			if (value[i] == ';' &&
			    part_push(&v, &n, &cap, MAILBOX_GROUP_CLOSE, i,
				i + 1) == -1)
				goto done;
			if (value[i] == ';')
				group = 0;
			start = i + 1;
			break;
		}
	}
	if (part_push(&v, &n, &cap, MAILBOX_ELEM, start, i) == -1)
		goto done;
	*parts = v;
	*nparts = n;
	v = NULL;
	rc = 0;
done:
	free(v);
	return rc;
}

static int
span_blank(const char *s, size_t start, size_t end)
{
	for (; start < end; start++)
		if (!is_wsp((unsigned char)s[start]))
			return 0;
	return 1;
}

/* One element, as it was or replaced with its white space kept. */
static void
elem_append(GString *s, const char *value, const struct mailbox_part *p,
    const char *repl, int trim)
{
	size_t a = p->start, b = p->end;

	while (a < b && is_wsp((unsigned char)value[a]))
		a++;
	while (b > a && is_wsp((unsigned char)value[b - 1]))
		b--;
	if (!trim)
		g_string_append_len(s, value + p->start, a - p->start);
	if (repl != NULL)
		g_string_append(s, repl);
	else
		g_string_append_len(s, value + a, b - a);
	if (!trim)
		g_string_append_len(s, value + b, p->end - b);
}

char *
mailbox_field_join(const char *value, const struct mailbox_part *parts,
    size_t nparts, const char *const *repl, int flatten)
{
	GString *s;
	char *out;
	const char *r;
	size_t i, a, b;
	int ingroup = 0, need_top = 0, need_group = 0, *need;

	s = g_string_new(NULL);
	for (i = 0; i < nparts; i++) {
		r = repl[i];
		need = ingroup ? &need_group : &need_top;
		switch (parts[i].kind) {
		case MAILBOX_ELEM:
			if (r == mailbox_drop ||
			    (r == NULL &&
				span_blank(value, parts[i].start,
				    parts[i].end)))
				break;
			if (flatten && need_top)
				g_string_append(s, ", ");
			else if (!flatten && *need)
				g_string_append_c(s, ',');
			elem_append(s, value, &parts[i], r, flatten);
			*need = 1;
			need_top |= flatten;
			break;
		case MAILBOX_GROUP_OPEN:
			if (flatten)
				break;
			if (need_top)
				g_string_append_c(s, ',');
			g_string_append_len(s, value + parts[i].start,
			    parts[i].end - parts[i].start);
			ingroup = 1;
			need_group = 0;
			break;
		case MAILBOX_GROUP_CLOSE:
			if (flatten)
				break;
			g_string_append_c(s, ';');
			ingroup = 0;
			need_top = 1;
			break;
		}
	}
	for (a = 0; a < s->len && is_wsp((unsigned char)s->str[a]); a++)
		;
	for (b = s->len; b > a && is_wsp((unsigned char)s->str[b - 1]); b--)
		;
	out = strndup(s->str + a, b - a);
	g_string_free(s, TRUE);
	return out;
}
