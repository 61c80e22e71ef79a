/* cidr.c: parse and match IPv4/IPv6 network prefixes. */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "common/cidr.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
	0xff };

int
cidr_parse(const char *text, struct cidr *c)
{
	char host[64];
	const char *slash = strchr(text, '/');
	size_t n = slash != NULL ? (size_t)(slash - text) : strlen(text);
	int max, bits;
	char *end;

	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, text, n);
	host[n] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else
		return -1;
	bits = max;
	if (slash != NULL) {
		long v = strtol(slash + 1, &end, 10);

		if (slash[1] == '\0' || *end != '\0' || v < 0 || v > max)
			return -1;
		bits = (int)v;
	}
	c->prefix = bits;
	/* Clear host bits so that matching is a plain byte compare. */
	for (int i = 0; i < 16; i++) {
		int keep = bits - i * 8;

		if (keep <= 0)
			c->addr[i] = 0;
		else if (keep < 8)
			c->addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
	return 0;
}

static bool
prefix_equal(const uint8_t *a, const uint8_t *b, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool
cidr_match(const struct cidr *c, int family, const void *addr)
{
	const uint8_t *a = addr;

	if (family == AF_INET6 && c->family == AF_INET &&
	    memcmp(a, v4mapped, sizeof(v4mapped)) == 0)
		return prefix_equal(c->addr, a + 12, c->prefix);
	if (family != c->family)
		return false;
	return prefix_equal(c->addr, a, c->prefix);
}
