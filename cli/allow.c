/*
 * allow.c: parse an allow-list item (allow.h says what it takes).
 */
#include <string.h>

#include "cli/allow.h"
#include "common/address.h"
#include "common/regdom.h"

/* A domain as typed, without its '@' or one trailing dot, as the
 * correspondent parser takes it ("@domain"): one syntax for both. */
static const char *
parse_domain(const char *arg, struct allow_item *out)
{
	char buf[ADDRESS_MAX + 1];
	const char *why;
	size_t len;

	if (arg[0] == '@')
		arg++;
	len = strlen(arg);
	if (len > 0 && arg[len - 1] == '.')
		len--;
	if (len == 0)
		return "empty domain";
	if (len + 2 > sizeof(buf))
		return "domain too long";
	buf[0] = '@';
	memcpy(buf + 1, arg, len);
	buf[len + 1] = '\0';
	if ((why = address_parse_correspondent(buf, out->item,
		 sizeof(out->item))) != NULL)
		return why;
	/* The parser gave "@domain", lowercase. */
	memmove(out->item, out->item + 1, strlen(out->item));
	switch (regdom_of(out->item, out->key, sizeof(out->key))) {
	case REGDOM_FOUND:
		break;
	case REGDOM_SELF:
		return "a public suffix, not one organisation's domain";
	default:
		return "invalid domain";
	}
	return NULL;
}

const char *
allow_parse(const char *arg, struct allow_item *out)
{
	const char *why;

	memset(out, 0, sizeof(*out));
	if (strcmp(arg, NULL_SENDER_ITEM) == 0) {
		memcpy(out->item, NULL_SENDER_ITEM, sizeof(NULL_SENDER_ITEM));
		memcpy(out->key, NULL_SENDER_ITEM, sizeof(NULL_SENDER_ITEM));
		return NULL;
	}
	if (strchr(arg, '@') == NULL || arg[0] == '@')
		why = parse_domain(arg, out);
	else if ((why = address_parse_mailbox(arg, out->item,
		      sizeof(out->item))) == NULL)
		memcpy(out->key, out->item, sizeof(out->key));
	if (why != NULL)
		memset(out, 0, sizeof(*out));
	return why;
}
