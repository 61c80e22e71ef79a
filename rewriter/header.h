/*
 * header.h: the header rewriting of outbound mail from the owner.  The
 * leak guard that checks nothing still names the owner is leak.h's.
 *
 * Pure logic over GMime: no SQLite, no libmilter.  The header lists and
 * change lists it works on are hdrlist.h's, included here for callers.
 *
 * Threads: call header_library_init() once before starting threads (it is
 * safe to call again from any thread).  After that every function here may
 * run concurrently in several threads as long as each works on its own
 * lists; nothing here keeps mutable global state.
 */
#ifndef ALIASD_HEADER_H
#define ALIASD_HEADER_H

#include <stddef.h>

#include "rewriter/hdrlist.h"

/* What to rewrite to, and whose mail is ours. */
struct rewrite_request {
	const char *address; /* chosen address, or NULL: none */
	const char *full_name; /* display name if From has none; NULL */
	const char *owner; /* the owner's real mailbox, or NULL */
	const char *const *domains; /* managed domains */
	size_t ndomains;
};

enum rewrite_status {
	REWRITE_OK, /* changes (possibly none) computed */
	REWRITE_NOT_OWNER, /* not the owner's mail: leave it alone */
	REWRITE_ERROR /* out of memory or bad input: err filled */
};

/* Initialise GMime once per process (pthread_once); idempotent. */
void header_library_init(void);

/* Whether the message is the owner's: its first From names the owner's
 * mailbox or a managed domain (a garbled From: when its text shows one),
 * or its first Resent-From (else Resent-Sender) does.  No From at all
 * counts as the owner's.  The owner is recognised in any spelling RFC 5322
 * allows (case, quoted local part, trailing dot, comments, folds).
 * Returns 1, 0, or -1 when out of memory. */
int header_is_owners(const struct header_list *,
    const struct rewrite_request *);

/*
 * Decide the changes that keep the owner's real address out of the
 * owner's mail.  When the first From is the owner's: From, Reply-To and
 * Sender become the request's (with no address chosen, only a Sender
 * naming the owner is removed).  In either kind of the owner's mail, each
 * address field of the list in header.c (To, Cc, Bcc, receipt and error
 * fields, Mail-Followup-To, the Resent- fields, ...) naming the owner's
 * mailbox names the chosen address instead, the rest of the field kept;
 * and an Autocrypt field whose addr= is the owner's, and a Return-Path
 * naming the owner (the delivering MTA writes its own), are deleted.  In
 * resent mail that is not the owner's own, its original From, Reply-To
 * and Sender are left alone.  Changes are appended to the caller's
 * (initialised)
 * header_changes; on REWRITE_NOT_OWNER (exactly when header_is_owners()
 * says 0) and REWRITE_ERROR none are.
 */
enum rewrite_status rewrite_headers(const struct header_list *,
    const struct rewrite_request *, struct header_changes *, char *err,
    size_t errlen);

#endif
