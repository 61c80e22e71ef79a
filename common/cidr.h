/* cidr.h: IPv4 and IPv6 networks for trusted_networks. */
#ifndef ALIASD_CIDR_H
#define ALIASD_CIDR_H

#include <stdbool.h>
#include <stdint.h>

struct cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order, host bits cleared */
	int prefix;
};

/* Parse "a.b.c.d/n" or "x::y/n" (no prefix: a single host); 0 or -1. */
int cidr_parse(const char *, struct cidr *);

/* addr is 4 bytes for AF_INET, 16 for AF_INET6.  An IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) matches IPv4 networks too. */
bool cidr_match(const struct cidr *, int family, const void *addr);

#endif
