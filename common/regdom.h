/*
 * regdom.h: the registered domain (eTLD+1, by the Public Suffix List) of
 * a domain: the one function behind every comparison of organisations in
 * aliasd (SPEC "The gate"): lock, allow list, leak sightings.
 *
 * The canonical form is the lowercase A-label (ASCII, "xn--mnchen-3ya.de"
 * for "münchen.de").  The store keeps addresses as given, only ASCII
 * lowercased, so one IDN may arrive in several byte forms: A-label,
 * U-label, upper-case or decomposed Unicode.  IDNA (UTS #46,
 * non-transitional, NFC) maps all of them to one A-label; the PSL and DNS
 * are keyed on it; and ASCII goes safely into a header, a log line, an
 * SMTP reply or a map file without SMTPUTF8.  A label already in A-label
 * form is taken as it is, lowercased: a malformed one stays distinct from
 * every other domain, which can only make a sender unexpected, never
 * expected.
 *
 * The list is libpsl's psl_latest(): the publicsuffix package's file when
 * it is newer than libpsl's built-in copy.  It is read once per process,
 * at regdom_init() or the first call, and read-only after that, so every
 * function here may be called from any thread.
 */
#ifndef ALIASD_REGDOM_H
#define ALIASD_REGDOM_H

#include <stdbool.h>
#include <stddef.h>

#include "common/address.h"

/* Room for any answer of regdom_of, NUL included. */
#define REGDOM_MAX (DOMAIN_MAX + 1)

/* What regdom_of found. */
#define REGDOM_INVALID (-1) /* not a domain, or the list is missing */
#define REGDOM_FOUND 0 /* out holds the registered domain */
#define REGDOM_SELF \
	1 /* the domain has no registered domain: an
				 * IP literal or a public suffix itself
				 * ("co.uk", "com", "github.io", "localhost");
				 * out holds the whole domain, which stands
				 * for itself only */

/* Load the list; 0, or -1 when libpsl has none (out of memory, or built
 * without a built-in list and the package's file missing).  Daemons call
 * it at start so that the first message does not pay for the load and a
 * missing list is said at once; later calls return the first answer. */
int regdom_init(void);

/*
 * The registered domain of domain, in canonical form, in out (outlen
 * REGDOM_MAX is always enough).  One trailing dot is ignored; case and
 * A-/U-label form do not matter.  "news.shop.co.uk" gives "shop.co.uk"
 * (FOUND); a name under an unknown TLD gives its last two labels, by the
 * PSL's default rule "*" ("a.b.foo.invalid": "foo.invalid").
 *
 * Without a registered domain (SELF) out is the domain itself, so that it
 * still equals itself and nothing else: "co.uk", "[192.0.2.1]",
 * "[ipv6:2001:db8::1]" (address literals in the form inet_ntop writes, so
 * that two spellings of one address are equal; a bare dotted quad
 * "192.0.2.1" is taken as "[192.0.2.1]", not as a name under TLD "1").
 *
 * INVALID, with out "", for the empty string, invalid UTF-8 or a control
 * character, an empty label, a label or name too long, a character that
 * is not a letter, digit or hyphen (after IDNA), an IDN that IDNA
 * refuses, a malformed address literal, or outlen too small.
 */
int regdom_of(const char *domain, char *out, size_t outlen);

/* Whether a and b are one organisation: both valid and with the same
 * regdom_of.  "news.shop.co.uk" and "shop.co.uk" are; "a.co.uk" and
 * "b.co.uk" are not, nor is anything and an invalid domain. */
bool regdom_same(const char *a, const char *b);

#endif
