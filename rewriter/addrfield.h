/*
 * addrfield.h: one address field of the owner's mail, judged and
 * rewritten: whether it names the owner, and its value with each of the
 * owner's mailboxes naming the chosen address instead.
 *
 * header.c's helper for all of its address fields (From, Sender, To,
 * the Resent- fields, ...); mailbox.c below it knows the spellings.
 * Threads: as header.h.
 */
#ifndef ALIASD_ADDRFIELD_H
#define ALIASD_ADDRFIELD_H

#include <stddef.h>

#include "rewriter/header.h"

/* What rewriting a field of one message needs. */
struct addrfield {
	const struct rewrite_request *req;
	const char *charset; /* the message's declared charset, or NULL */
};

/* The first owner's mailbox a field rewrite replaced. */
struct first_mailbox {
	int set;
	char *name; /* its chosen display name, or NULL; owned */
	char *raw; /* its replacement when its name is kept raw; owned */
};

/*
 * Whether an author field's value (From, Sender, Resent-From) is the
 * owner's: one of its mailboxes is the owner's or in a managed domain
 * (and, if but_chosen, is not the chosen address).  When none has a
 * domain ("", "<>", "jane", "\"jane@example.com\"") *garbled is set and
 * the text decides.  1, 0, or -1 when out of memory.
 */
int addrfield_is_owner(const struct rewrite_request *, const char *value,
    int but_chosen, int *garbled);

/* The display name for the chosen mailbox replacing one that had name (or
 * NULL): that name cleaned, else full_name, never one showing the owner's
 * address; *out NULL when none.  Returns 0, or -1 when out of memory. */
int addrfield_name(const struct rewrite_request *, const char *name,
    char **out);

/* "Name <addr>" as the value of field: RFC 2047-encoded and quoted where
 * needed, folded by GMime (LF and a tab), no leading space, no final line
 * ending.  Returns 0, or -1 when out of memory. */
int addrfield_format(const char *field, const char *name, const char *addr,
    char **out);

/* The charset the first Content-Type declares into *out (caller frees),
 * or NULL.  Returns 0, or -1 when out of memory. */
int addrfield_charset(const struct header_list *, char **out);

/*
 * The new value of field in which the owner's mailboxes name the chosen
 * address: the first (unless the chosen one is there already) becomes
 * it, with its own display name; the later ones go; every other element
 * keeps its bytes.  author: a managed address is the owner's too;
 * flatten: groups go (From).  first, if not NULL and not yet set, learns
 * the first replaced mailbox.  *newval is NULL when the value stays.
 * Returns 0, or -1 when out of memory.
 */
int addrfield_rewrite(const struct addrfield *, const char *field,
    const char *value, int author, int flatten, struct first_mailbox *first,
    char **newval);

#endif
