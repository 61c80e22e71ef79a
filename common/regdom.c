/*
 * regdom.c: registered domains with libpsl, names in IDNA form with
 * libidn2.  libpsl is given lowercase A-labels only: its list is keyed on
 * them, and its own conversion would hand back a pointer into whatever
 * form it was given, so that "münchen.de" and "xn--mnchen-3ya.de" would
 * come back different.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>
#include <libpsl.h>

#include "common/address.h"
#include "common/regdom.h"

/* The longest input looked at: a name of DOMAIN_MAX bytes as A-labels
 * is at most a few times that as UTF-8 U-labels. */
#define INPUT_MAX 1024

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
/* Set once under load_once, never freed (it lives as long as the
 * process) and only read after: libpsl's lookups do not write to it. */
static psl_ctx_t *psl;

static void
load(void)
{
	psl = psl_latest(NULL);
}

int
regdom_init(void)
{
	if (pthread_once(&load_once, load) != 0)
		return -1;
	return psl == NULL ? -1 : 0;
}

static bool
is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

static bool
all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return len > 0;
}

/* Append len bytes of s, ASCII lowercased, to name (used bytes of size);
 * -1 when it would not fit with its NUL. */
static int
append(char *name, size_t size, size_t *used, const char *s, size_t len)
{
	if (len >= size - *used)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		name[(*used)++] = c >= 'A' && c <= 'Z' ?
		    (char)(c - 'A' + 'a') :
		    c;
	}
	name[*used] = '\0';
	return 0;
}

/* One label in A-label form appended to name.  ASCII labels, A-labels
 * among them, are only lowercased: IDNA would refuse real names with
 * "--" in the third and fourth place that are not IDNs. */
static int
append_label(char *name, size_t size, size_t *used, const char *label,
    size_t len)
{
	char u[INPUT_MAX + 1];
	uint8_t *a = NULL;
	int rc;

	if (is_ascii(label, len))
		return append(name, size, used, label, len);
	memcpy(u, label, len);
	u[len] = '\0';
	if (idn2_lookup_u8((const uint8_t *)u, &a,
		IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK)
		return -1;
	rc = append(name, size, used, (const char *)a, strlen((char *)a));
	idn2_free(a);
	return rc;
}

/* An address literal, "[192.0.2.1]" or "[IPv6:2001:db8::1]", or a bare
 * dotted quad (bare says which), in the form inet_ntop writes, into
 * name; -1 when it is none of these. */
static int
literal(const char *s, size_t len, bool bare, char *name, size_t size)
{
	char in[INET6_ADDRSTRLEN + 8], text[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *tag = "";
	int af = AF_INET, n;

	if (!bare) {
		if (len < 3 || s[0] != '[' || s[len - 1] != ']')
			return -1;
		s++;
		len -= 2;
		if (len > 5 && strncasecmp(s, "ipv6:", 5) == 0) {
			af = AF_INET6;
			tag = "ipv6:";
			s += 5;
			len -= 5;
		}
	}
	if (len >= sizeof(in))
		return -1;
	memcpy(in, s, len);
	in[len] = '\0';
	if (inet_pton(af, in, bin) != 1 ||
	    inet_ntop(af, bin, text, sizeof(text)) == NULL)
		return -1;
	n = snprintf(name, size, "[%s%s]", tag, text);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* The domain as a lowercase name of A-labels, checked, in name; -1 when
 * it is not a valid name.  *is_literal: it was an address literal. */
static int
canonical(const char *domain, size_t len, char *name, size_t size,
    bool *is_literal)
{
	char quad[INET_ADDRSTRLEN];
	struct in_addr v4;
	const char *dot;
	size_t used = 0, start = 0, last;

	*is_literal = false;
	if (domain[0] == '[') {
		*is_literal = true;
		return literal(domain, len, false, name, size);
	}
	if (len < sizeof(quad)) {
		memcpy(quad, domain, len);
		quad[len] = '\0';
		if (inet_pton(AF_INET, quad, &v4) == 1) {
			*is_literal = true;
			return literal(domain, len, true, name, size);
		}
	}
	name[0] = '\0';
	for (size_t i = 0; i <= len; i++) {
		if (i < len && domain[i] != '.')
			continue;
		if (i == start)
			return -1; /* an empty label */
		if (start > 0 && append(name, size, &used, ".", 1) == -1)
			return -1;
		if (append_label(name, size, &used, domain + start,
			i - start) == -1)
			return -1;
		start = i + 1;
	}
	if (!address_domain_valid(name, used))
		return -1;
	/* No TLD is all digits (RFC 3696, 2): a name like "192.0.2.01" is
	 * a mistyped address, not a host under TLD "01". */
	dot = strrchr(name, '.');
	last = dot == NULL ? 0 : (size_t)(dot - name) + 1;
	if (all_digits(name + last, used - last))
		return -1;
	return 0;
}

int
regdom_of(const char *domain, char *out, size_t outlen)
{
	char name[REGDOM_MAX];
	const char *reg;
	size_t len;
	bool is_literal;
	int kind;

	if (outlen == 0)
		return REGDOM_INVALID;
	out[0] = '\0';
	if (domain == NULL || (len = strnlen(domain, INPUT_MAX + 1)) == 0 ||
	    len > INPUT_MAX)
		return REGDOM_INVALID;
	if (domain[len - 1] == '.')
		len--; /* the root: "example.org." */
	if (len == 0 || address_check_text(domain, len) != NULL)
		return REGDOM_INVALID;
	if (canonical(domain, len, name, sizeof(name), &is_literal) == -1)
		return REGDOM_INVALID;
	if (is_literal) {
		reg = name;
		kind = REGDOM_SELF;
	} else {
		if (regdom_init() == -1)
			return REGDOM_INVALID;
		/* NULL: the name is a public suffix itself. */
		if ((reg = psl_registrable_domain(psl, name)) == NULL) {
			reg = name;
			kind = REGDOM_SELF;
		} else
			kind = REGDOM_FOUND;
	}
	if (strlen(reg) >= outlen)
		return REGDOM_INVALID;
	strcpy(out, reg);
	return kind;
}

bool
regdom_same(const char *a, const char *b)
{
	char ra[REGDOM_MAX], rb[REGDOM_MAX];

	if (regdom_of(a, ra, sizeof(ra)) == REGDOM_INVALID ||
	    regdom_of(b, rb, sizeof(rb)) == REGDOM_INVALID)
		return false;
	return strcmp(ra, rb) == 0;
}
