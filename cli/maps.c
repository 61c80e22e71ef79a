/*
 * maps.c: formats of the MTA maps, and the virtusertable reader.
 *
 * Refused addresses carry their reason into the map, so that a sendmail
 * or Postfix without the milter gives the same answer aliasd would.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/maps.h"
#include "common/address.h"

static const char *const names[] = {
	[MAP_VIRTUSERTABLE] = "virtusertable",
	[MAP_POSTFIX] = "postfix",
	[MAP_POSTFIX_VIRTUAL] = "postfix-virtual",
	[MAP_VALIDRCPTTO] = "validrcptto",
};

int
map_format_parse(const char *name, enum map_format *f)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i], name) == 0) {
			*f = (enum map_format)i;
			return 0;
		}
	return -1;
}

bool
map_needs_owner(enum map_format f)
{
	return f == MAP_VIRTUSERTABLE || f == MAP_POSTFIX_VIRTUAL;
}

static const char *
refusal(const struct store_address *a)
{
	return a->state == STATE_EXPIRED ? "address expired" : a->reason;
}

/* Whether a stored address can be a map's key.  A store written by an
 * older version or by hand may hold any byte; a newline or a blank would
 * end the key early and could forge a line of its own. */
static bool
key_ok(const char *address)
{
	return address[0] != '\0' && address[0] != '#' &&
	    strchr(address, ' ') == NULL &&
	    address_check_text(address, strlen(address)) == NULL;
}

int
map_write(FILE *fp, enum map_format f, const struct store_address *a,
    const char *owner)
{
	bool active = a->state == STATE_ACTIVE;
	char reason[REASON_MAX];

	if (!active && (f == MAP_POSTFIX_VIRTUAL || f == MAP_VALIDRCPTTO))
		return 0;
	if (!key_ok(a->address))
		return -1;
	if (!active)
		address_clean_text(refusal(a), reason, sizeof(reason));
	switch (f) {
	case MAP_VIRTUSERTABLE:
		if (active)
			fprintf(fp, "%s\t%s\n", a->address, owner);
		else
			fprintf(fp, "%s\terror:nouser %s\n", a->address,
			    reason);
		break;
	case MAP_POSTFIX:
		if (active)
			fprintf(fp, "%s\tOK\n", a->address);
		else
			fprintf(fp, "%s\t550 5.1.1 %s\n", a->address, reason);
		break;
	case MAP_POSTFIX_VIRTUAL:
		fprintf(fp, "%s\t%s\n", a->address, owner);
		break;
	case MAP_VALIDRCPTTO:
		fprintf(fp, "%s\n", a->address);
		break;
	}
	return 0;
}

static const char *
skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* "error:nouser text", "error:5.1.1:550 text", "error:550 text". */
static const char *
parse_error_target(const char *value, struct vt_entry *e)
{
	const char *text = value + strlen("error:");
	size_t n;

	text += strcspn(text, " \t"); /* the code */
	text = skip_blanks(text);
	n = strlen(text);
	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	if (n >= sizeof(e->reason))
		return "reason too long";
	for (size_t i = 0; i < n; i++)
		if (iscntrl((unsigned char)text[i]))
			return "control character in reason";
	if (n == 0)
		snprintf(e->reason, sizeof(e->reason), "%s", DEFAULT_REASON);
	else
		snprintf(e->reason, sizeof(e->reason), "%.*s", (int)n, text);
	e->refused = true;
	return NULL;
}

const char *
vt_parse_line(const char *line, struct vt_entry *e)
{
	char key[ADDRESS_MAX];
	const char *s, *value, *why;
	size_t n;

	memset(e, 0, sizeof(*e));
	e->kind = VT_SKIP;
	s = skip_blanks(line);
	if (*s == '\0' || *s == '#' || *s == '\r' || *s == '\n')
		return NULL;
	n = strcspn(s, " \t\r\n");
	if (n >= sizeof(key))
		return "address too long";
	memcpy(key, s, n);
	key[n] = '\0';
	value = skip_blanks(s + n);
	if (*value == '\0' || *value == '\r' || *value == '\n')
		return "no target after the address";
	if ((why = address_parse_correspondent(key, e->address,
		 sizeof(e->address))) != NULL)
		return why;
	e->kind = e->address[0] == '@' ? VT_CATCHALL : VT_ADDRESS;
	if (strncasecmp(value, "error:", 6) == 0) {
		char copy[1024];

		/* Drop a trailing CR of a file written on Windows, and
		 * trailing blanks; what is left must fit whole, or the
		 * reason would be silently cut. */
		n = strcspn(value, "\r\n");
		while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
			n--;
		if (n >= sizeof(copy))
			return "reason too long";
		memcpy(copy, value, n);
		copy[n] = '\0';
		if ((why = parse_error_target(copy, e)) != NULL)
			return why;
		/* said in SMTP replies and shown by aliasctl: the reason
		 * must be clean text, as the address is */
		if (address_check_text(e->reason, strlen(e->reason)) != NULL)
			return "the reason is not valid UTF-8 or holds a "
			       "control character";
	}
	return NULL;
}
