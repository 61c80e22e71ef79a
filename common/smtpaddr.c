/*
 * smtpaddr.c: normalize SMTP envelope addresses (RFC 5321 4.1.2).
 *
 * A quoted local part is unquoted when what is inside is a plain
 * dot-atom ("joe"@x is joe@x, as delivery agents treat it); otherwise it
 * stays quoted and so can match none of our addresses.  An unquoted
 * local part must be a dot-atom, and brackets must pair: anything else
 * is SMTPADDR_BAD, which the milter refuses when it names our domain.
 */
#include <string.h>

#include "common/address.h"
#include "common/smtpaddr.h"

/* Skip blanks, "<", and an obsolete source route "@a,@b:"; *open and
 * *route tell whether there was a "<" and a route. */
static const char *
strip_front(const char *s, size_t *len, int *open, int *route)
{
	const char *colon;

	*open = *route = 0;
	while (*len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	if (*len > 0 && *s == '<') {
		s++;
		(*len)--;
		*open = 1;
	}
	if (*len > 0 && *s == '@' && (colon = memchr(s, ':', *len)) != NULL) {
		*len -= (size_t)(colon + 1 - s);
		s = colon + 1;
		*route = 1;
	}
	return s;
}

/* Drop blanks and a ">" from the end; *close tells whether there was one. */
static size_t
strip_back(const char *s, size_t len, int *close)
{
	*close = 0;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len > 0 && s[len - 1] == '>') {
		len--;
		*close = 1;
	}
	return len;
}

/* Copy a quoted local part's content, undoing backslash escapes. */
static int
unquote(const char *s, size_t len, char *out, size_t outlen, size_t *used)
{
	size_t i, n = 0;

	for (i = 1; i < len && s[i] != '"'; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		if (n + 1 >= outlen)
			return -1;
		out[n++] = s[i];
	}
	if (i >= len)
		return -1; /* no closing quote */
	out[n] = '\0';
	*used = i + 1;
	return 0;
}

static enum smtpaddr_result
split_local(const char *s, size_t len, char *out, size_t outlen,
    const char **rest, size_t *restlen)
{
	char local[LOCAL_MAX * 2 + 3];
	size_t used, n;

	if (len > 0 && s[0] == '"') {
		if (unquote(s, len, local, sizeof(local), &used) == -1)
			return SMTPADDR_BAD;
		n = strlen(local);
		if (!address_local_valid(local, n)) {
			/* Keep the quotes: such a name is none of ours.
			 * RFC 5321's 64 octets count them. */
			if (used > LOCAL_MAX || used >= outlen)
				return SMTPADDR_BAD;
			memcpy(out, s, used);
			n = used;
		} else if (n >= outlen)
			return SMTPADDR_BAD;
		else
			memcpy(out, local, n);
	} else {
		const char *at = memchr(s, '@', len);

		used = at != NULL ? (size_t)(at - s) : len;
		/* unquoted, it must be a dot-atom of at most 64 octets */
		if (!address_local_valid(s, used) || used >= outlen)
			return SMTPADDR_BAD;
		memcpy(out, s, used);
		n = used;
	}
	out[n] = '\0';
	*rest = s + used;
	*restlen = len - used;
	return SMTPADDR_OK;
}

static enum smtpaddr_result
parse(const char *arg, char *out, size_t outlen)
{
	const char *s, *rest;
	size_t len = strlen(arg), restlen, n;
	int opened, closed, route;

	out[0] = '\0';
	s = strip_front(arg, &len, &opened, &route);
	len = strip_back(s, len, &closed);
	if (opened != closed)
		return SMTPADDR_BAD; /* "<", "<x@y", ">" */
	if (len == 0)
		return route ? SMTPADDR_BAD : SMTPADDR_NULL;
	if (split_local(s, len, out, outlen, &rest, &restlen) != SMTPADDR_OK)
		return SMTPADDR_BAD;
	n = strlen(out);
	/* A quoted local part kept as it is skipped the syntax check:
	 * what leaves here is valid UTF-8 without control characters, or
	 * nothing. */
	if (address_check_text(out, n) != NULL)
		return SMTPADDR_BAD;
	if (restlen == 0) {
		address_lower(out);
		return n > 0 ? SMTPADDR_NODOMAIN : SMTPADDR_BAD;
	}
	if (rest[0] != '@' || n == 0)
		return SMTPADDR_BAD;
	rest++;
	restlen--;
	if (restlen > 0 && rest[restlen - 1] == '.')
		restlen--; /* a trailing dot names the same domain */
	if (!address_domain_valid(rest, restlen) || n + 1 + restlen >= outlen)
		return SMTPADDR_BAD;
	out[n] = '@';
	memcpy(out + n + 1, rest, restlen);
	out[n + 1 + restlen] = '\0';
	address_lower(out);
	return SMTPADDR_OK;
}

enum smtpaddr_result
smtpaddr_parse(const char *arg, char *out, size_t outlen)
{
	enum smtpaddr_result r;

	if (outlen == 0)
		return SMTPADDR_BAD;
	/* Nothing of a refused argument is left for a caller to use. */
	if ((r = parse(arg, out, outlen)) == SMTPADDR_BAD)
		out[0] = '\0';
	return r;
}

int
smtpaddr_guess_domain(const char *arg, char *out, size_t outlen)
{
	const char *at = strrchr(arg, '@');
	size_t n;

	if (at == NULL)
		return -1;
	at++;
	n = strcspn(at, "> \t");
	while (n > 0 && at[n - 1] == '.')
		n--; /* "example.com.." is still our domain */
	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, at, n);
	out[n] = '\0';
	address_lower(out);
	return 0;
}
