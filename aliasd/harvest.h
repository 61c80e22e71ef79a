/*
 * harvest.h: the harvest guard (SPEC "aliasd", Harvest guard).  A client
 * whose recipients in managed domains were refused harvest_limit times
 * within harvest_window seconds gets 451 4.7.1 for every recipient in a
 * managed domain for the next window, so that guessing teaches it
 * nothing.
 *
 * The counts live in this process only, in a table of fixed size that
 * survives reloads: a flood of distinct clients evicts old entries and
 * never grows memory.  Every function may be called from any thread.
 * The configuration (limit, window, who is exempt) is the caller's: it
 * passes the values of its current snapshot.
 */
#ifndef ALIASD_HARVEST_H
#define ALIASD_HARVEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Clients remembered at once: about 40 bytes each. */
#define HARVEST_CAPACITY 16384

/* Who is counted: an IPv4 address, or the /64 of an IPv6 address (one
 * site hands out a whole /64 to one host).  All bytes are set, so that
 * keys compare with memcmp. */
struct harvest_key {
	uint8_t family; /* 4 or 6 */
	uint8_t bytes[8]; /* IPv4: 4 bytes then zeros; IPv6: the /64 */
};

/* A client address as the MTA gives it. */
struct harvest_client {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* 4 or 16 bytes, network order */
	struct harvest_key key;
};

/* The key of a binary address (AF_INET: 4 bytes, AF_INET6: 16); an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) gets its IPv4 key. */
void harvest_key_from(int family, const void *addr, struct harvest_key *);

/* Parse {client_addr}: "192.0.2.1", "2001:db8::1", or sendmail's
 * "IPv6:2001:db8::1", optionally in brackets.  0, or -1 when text is
 * not an IP address. */
int harvest_client_parse(const char *text, struct harvest_client *);

/* Count one refused recipient of client key at time now.  Returns true
 * when this refusal reached limit and the client is blocked from now on
 * for window seconds (the caller logs it, once).  limit 0 does nothing.
 * A client already blocked is not counted: its block is not prolonged. */
bool harvest_refused(const struct harvest_key *, time_t now,
    unsigned int limit, time_t window);

/* Is client key blocked at time now?  The caller asks only while the
 * guard is on (harvest_limit > 0). */
bool harvest_blocked(const struct harvest_key *, time_t now);

/* For tests: clients remembered now, and forgetting them all. */
size_t harvest_entries(void);
void harvest_clear(void);

#endif
