/*
 * recipients.c: the recipients sendmail -t would take from a header block.
 * Here rather than in hdrlist.c because they need GMime's address parser
 * (mailbox.c), and hdrlist.c is the lower layer that knows nothing of
 * addresses.
 *
 * Threads: as header.c; nothing here keeps state.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "rewriter/header.h"
#include "rewriter/mailbox.h"
#include "rewriter/recipients.h"

static const char *const rcpt_fields[] = { "To", "Cc", "Bcc" };
static const char *const resent_fields[] = { "Resent-To", "Resent-Cc",
	"Resent-Bcc" };

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

/* Add the new addresses of one To/Cc/Bcc value to v; seen holds the
 * ASCII-lowercased addresses already in v, so that this stays linear. */
static int
recipients_add(const char *value, GHashTable *seen, char ***vp, size_t *np,
    size_t *capp)
{
	InternetAddressList *l = NULL;
	GPtrArray *mbs = NULL;
	InternetAddressMailbox *mb;
	const char *a;
	char *key;
	guint i;
	int rc = -1;

	if (mailbox_list_parse(value, strlen(value), &l, &mbs) == -1)
		goto done;
	for (i = 0; i < mbs->len; i++) {
		mb = INTERNET_ADDRESS_MAILBOX(mbs->pdata[i]);
		if ((a = internet_address_mailbox_get_idn_addr(mb)) == NULL)
			a = internet_address_mailbox_get_addr(mb);
		if (a == NULL || *a == '\0')
			continue;
		key = g_ascii_strdown(a, -1);
		if (!g_hash_table_add(seen, key))
			continue; /* seen: the table keeps one key */
		if (strv_push(vp, np, capp, a) == -1)
			goto done;
	}
	rc = 0;
done:
	mailbox_list_free(l, mbs);
	return rc;
}

int
header_list_recipients(const struct header_list *hl, char ***rcpts,
    size_t *nrcpts)
{
	const char *const *names = rcpt_fields;
	GHashTable *seen;
	char **v = NULL;
	size_t i, n = 0, cap = 0;
	int rc = -1;

	header_library_init();
	seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (i = 0; i < hl->count; i++)
		if (header_name_in(hl->fields[i].name, resent_fields, 3))
			names = resent_fields;
	if (strv_push(&v, &n, &cap, NULL) == -1)
		goto done;
	for (i = 0; i < hl->count; i++)
		if (header_name_in(hl->fields[i].name, names, 3) &&
		    recipients_add(hl->fields[i].value, seen, &v, &n, &cap) ==
			-1)
			goto done;
	*rcpts = v;
	*nrcpts = n;
	v = NULL;
	rc = 0;
done:
	g_hash_table_destroy(seen);
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
