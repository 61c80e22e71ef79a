/*
 * address.c: address syntax, kept strict enough that nothing odd reaches
 * the store or a map file, and loose enough for real mail: RFC 5321
 * dot-atoms plus UTF-8 for SMTPUTF8.  Only valid UTF-8 without control
 * characters: anything else would reach the owner's terminal and JSON
 * through aliasctl, from any stranger's MAIL FROM.  Quoted local parts
 * are not taken as correspondents: nobody types them, and a map file
 * could not hold them.
 */
#include <string.h>

#include "common/address.h"

/* RFC 3629's table: for each lead byte, the range the byte after it may
 * take; the ranges of E0, ED, F0 and F4 shut out overlong forms,
 * surrogates and code points above U+10FFFF. */
size_t
address_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need;
	uint32_t v;

	if (len == 0)
		return 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		need = 2;
		v = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		need = 3;
		v = u[0] & 0x0f;
		if (u[0] == 0xe0)
			lo = 0xa0;
		else if (u[0] == 0xed)
			hi = 0x9f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		need = 4;
		v = u[0] & 0x07;
		if (u[0] == 0xf0)
			lo = 0x90;
		else if (u[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0; /* a continuation byte, 0xc0-0xc1, 0xf5-0xff */
	if (len < need || u[1] < lo || u[1] > hi)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if (u[i] < 0x80 || u[i] > 0xbf)
			return 0;
		v = v << 6 | (u[i] & 0x3f);
	}
	*cp = v;
	return need;
}

bool
address_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

const char *
address_check_text(const char *s, size_t len)
{
	uint32_t cp;
	size_t n;

	for (size_t i = 0; i < len; i += n) {
		if ((n = address_utf8_decode(s + i, len - i, &cp)) == 0)
			return "not valid UTF-8";
		if (address_is_control(cp))
			return "holds a control character";
	}
	return NULL;
}

/* RFC 5322 atext, without the ASCII letters and digits. */
static const char atext_specials[] = "!#$%&'*+-/=?^_`{|}~";

static bool
is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr(atext_specials, c) != NULL;
}

bool
address_local_valid(const char *local, size_t len)
{
	size_t i;

	if (len == 0 || len > LOCAL_MAX)
		return false;
	if (local[0] == '.' || local[len - 1] == '.')
		return false;
	/* RFC 5322 allows it, but a line starting with '#' is a comment in
	 * every map file (makemap, postmap): such an address would vanish
	 * from an exported map, its refusal with it. */
	if (local[0] == '#')
		return false;
	if (address_check_text(local, len) != NULL)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)local[i];

		if (c == '.') {
			if (local[i + 1] == '.')
				return false;
			continue;
		}
		if (!is_atext(c))
			return false;
	}
	return true;
}

static bool
label_valid(const char *label, size_t len)
{
	size_t i;

	if (len == 0 || len > 63)
		return false;
	if (label[0] == '-' || label[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)label[i];

		if (c >= 0x80 || c == '-' || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		return false;
	}
	return true;
}

bool
address_domain_valid(const char *domain, size_t len)
{
	size_t start = 0, i;

	if (len == 0 || len > DOMAIN_MAX)
		return false;
	if (address_check_text(domain, len) != NULL)
		return false;
	for (i = 0; i <= len; i++) {
		if (i == len || domain[i] == '.') {
			if (!label_valid(domain + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

const char *
address_domain(const char *address)
{
	const char *at = strrchr(address, '@');

	return at == NULL ? NULL : at + 1;
}

void
address_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

int
address_split(const char *address, char *local, size_t locallen, char *domain,
    size_t domainlen)
{
	const char *at = strrchr(address, '@');
	size_t n;

	if (at == NULL)
		return -1;
	n = (size_t)(at - address);
	if (n >= locallen || strlen(at + 1) >= domainlen)
		return -1;
	memcpy(local, address, n);
	local[n] = '\0';
	strcpy(domain, at + 1);
	return 0;
}

/* Strip one pair of angle brackets and surrounding blanks. */
static const char *
strip(const char *in, size_t *len)
{
	size_t n = strlen(in);

	while (n > 0 && (*in == ' ' || *in == '\t')) {
		in++;
		n--;
	}
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n >= 2 && in[0] == '<' && in[n - 1] == '>') {
		in++;
		n -= 2;
	}
	*len = n;
	return in;
}

static const char *
parse(const char *in, char *out, size_t outlen, bool allow_domain)
{
	const char *s, *at, *why;
	size_t len, locallen;

	if (outlen > 0)
		out[0] = '\0';
	s = strip(in, &len);
	if (len == 0)
		return "empty address";
	if (memchr(s, '\0', len) != NULL || len >= outlen)
		return "address too long";
	if ((why = address_check_text(s, len)) != NULL)
		return why;
	at = NULL;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '@')
			at = s + i;
	if (at == NULL)
		return "missing @domain";
	locallen = (size_t)(at - s);
	if (locallen == 0 && !allow_domain)
		return "missing local part";
	if (locallen == len - 1)
		return "missing domain";
	if (locallen > 0 && !address_local_valid(s, locallen))
		return "invalid local part";
	if (!address_domain_valid(at + 1, len - locallen - 1))
		return "invalid domain";
	memcpy(out, s, len);
	out[len] = '\0';
	address_lower(out);
	return NULL;
}

const char *
address_parse_correspondent(const char *in, char *out, size_t outlen)
{
	return parse(in, out, outlen, true);
}

const char *
address_parse_mailbox(const char *in, char *out, size_t outlen)
{
	return parse(in, out, outlen, false);
}

const char *
address_clean_text(const char *s, char *buf, size_t len)
{
	size_t used = 0, left = strlen(s), n;
	uint32_t cp;

	if (len == 0)
		return buf;
	for (; left > 0; s += n, left -= n) {
		if ((n = address_utf8_decode(s, left, &cp)) == 0 ||
		    address_is_control(cp)) {
			n = n == 0 ? 1 : n;
			if (used + 1 >= len)
				break;
			buf[used++] = '?';
		} else {
			if (used + n >= len)
				break;
			memcpy(buf + used, s, n);
			used += n;
		}
	}
	buf[used] = '\0';
	return buf;
}
