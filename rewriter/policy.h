/*
 * policy.h: which address a message gets (SPEC "Which address a message
 * gets").  Pure logic: the lookups are callbacks, so the same code serves
 * aliasd, alias-sendmail and aliasctl, and is tested without a store.
 */
#ifndef ALIASD_POLICY_H
#define ALIASD_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/address.h"

enum lookup_result {
	LOOKUP_FOUND,
	LOOKUP_NONE,
	LOOKUP_ERROR /* the store cannot be read: decide nothing */
};

struct policy_source {
	/* The active, unexpired address for key, which is a correspondent
	 * as stored: "joe@example.org" or "@example.org". */
	enum lookup_result (*by_correspondent)(void *arg, const char *key,
	    char *out, size_t outlen);
	/* The default address, if one is set and usable. */
	enum lookup_result (*by_default)(void *arg, char *out, size_t outlen);
	/* A new address for correspondent (auto_create), or NULL when this
	 * source makes none.  LOOKUP_FOUND with the address in out. */
	enum lookup_result (*create)(void *arg, const char *correspondent,
	    char *out, size_t outlen);
	void *arg;
};

enum policy_how {
	POLICY_NONE, /* leave the message's From alone */
	POLICY_CORRESPONDENT, /* every recipient's own address */
	POLICY_DOMAIN, /* every recipient's domain's address */
	POLICY_DEFAULT /* mixed or unknown recipients */
};

struct policy_result {
	enum policy_how how;
	char address[ADDRESS_MAX]; /* "" with POLICY_NONE */
	/* One recipient that nobody has an address for, and no default:
	 * with auto_create the front end makes it one (SPEC). */
	bool want_new;
	char new_correspondent[ADDRESS_MAX];
};

/* Choose for the recipients (any case, with or without <>).  Returns 0,
 * or -1 when a lookup failed (err says why; the front end must then send
 * nothing: 4xx, exit 75). */
int policy_choose(const struct policy_source *, const char *const *rcpts,
    size_t n, struct policy_result *, char *err, size_t errlen);

const char *policy_how_name(enum policy_how);

#endif
