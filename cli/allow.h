/*
 * allow.h: one item of an address's allow list as the user types it
 * (aliasctl set --allow X, --disallow X; SPEC "The gate").  Pure: no
 * store, no output, so that it can be unit-tested and fuzzed.
 */
#ifndef ALIASCTL_ALLOW_H
#define ALIASCTL_ALLOW_H

#include <stddef.h>

#include "db/store.h"

/* What an item is and how it is stored.  item is what show prints, key
 * what the gate matches a sender by (db/store.h, store_allow_add). */
struct allow_item {
	char item[ALLOW_ITEM_MAX];
	char key[ALLOW_ITEM_MAX];
};

/*
 * arg is one of:
 *   "<>"                       the null sender (bounces);
 *   "news@shop.example"        one sender address: item and key are the
 *                              address in lower case;
 *   "shop.example", "@shop.example", "mail.shop.example."
 *                              a domain: item is the domain in lower case
 *                              without '@' or trailing dot, key its
 *                              registered domain (regdom_of), so that
 *                              every subdomain of the organisation is
 *                              allowed and --disallow shop.example
 *                              removes mail.shop.example.
 * Returns NULL and fills *out, or a short reason (out is then empty):
 * a malformed value, or a domain that has no registered domain of its
 * own (a public suffix such as co.uk, a bare TLD, an IP literal).
 */
const char *allow_parse(const char *arg, struct allow_item *out);

#endif
