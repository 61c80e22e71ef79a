/*
 * netstring.c: netstrings for the socketmap protocol.
 *
 * As with the policy requests, nothing is kept between calls: the caller
 * holds what the connection sent and calls again when more came.  The
 * length is judged digit by digit, so that a netstring announcing more
 * than NETSTRING_MAX bytes is refused before any of its data is waited
 * for.  A length with a leading zero ("00:", "012:") is refused: Postfix
 * and sendmail never write one, and a length has exactly one spelling.
 */
#include <stdio.h>
#include <string.h>

#include "aliasd/netstring.h"

enum netstring_parse
netstring_parse(const char *buf, size_t len, size_t *used, const char **data,
    size_t *dlen)
{
	size_t i, n = 0;

	*used = 0;
	*data = NULL;
	*dlen = 0;
	for (i = 0; i < len && buf[i] != ':'; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return NETSTRING_FATAL;
		if (i == 1 && buf[0] == '0')
			return NETSTRING_FATAL; /* leading zero */
		n = n * 10 + (size_t)(buf[i] - '0');
		/* by the fifth digit at the latest */
		if (n > NETSTRING_MAX)
			return NETSTRING_FATAL;
	}
	if (i == len)
		return NETSTRING_MORE;
	if (i == 0)
		return NETSTRING_FATAL; /* ":" without a length */
	/* i digits, ':', n bytes of data, ',' */
	if (len - i - 1 < n + 1)
		return NETSTRING_MORE;
	if (buf[i + 1 + n] != ',')
		return NETSTRING_FATAL;
	*data = buf + i + 1;
	*dlen = n;
	*used = i + n + 2;
	return NETSTRING_OK;
}

int
socketmap_split(const char *data, size_t dlen, char *name, size_t namelen,
    char *key, size_t keylen)
{
	const char *sp;
	size_t nlen, klen;

	if (namelen > 0)
		name[0] = '\0';
	if (keylen > 0)
		key[0] = '\0';
	if (dlen == 0 || memchr(data, '\0', dlen) != NULL)
		return -1;
	if ((sp = memchr(data, ' ', dlen)) == NULL)
		return -1;
	nlen = (size_t)(sp - data);
	klen = dlen - nlen - 1;
	/* never cut short: a cut key is another key */
	if (nlen == 0 || klen == 0 || nlen >= namelen || klen >= keylen)
		return -1;
	memcpy(name, data, nlen);
	name[nlen] = '\0';
	memcpy(key, sp + 1, klen);
	key[klen] = '\0';
	return 0;
}

size_t
netstring_format(char *out, size_t outlen, const char *text)
{
	size_t n = strlen(text);
	int k;

	k = snprintf(out, outlen, "%zu:", n);
	/* after "LEN:": the text, ',' and the NUL */
	if (k < 0 || (size_t)k >= outlen || outlen - (size_t)k < n + 2) {
		if (outlen > 0)
			out[0] = '\0';
		return 0;
	}
	memcpy(out + k, text, n);
	out[(size_t)k + n] = ',';
	out[(size_t)k + n + 1] = '\0';
	return (size_t)k + n + 1;
}
