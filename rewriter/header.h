/*
 * header.h: From/Reply-To/Sender rewriting of a message's header block.
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
	const char *address;		/* chosen address, or NULL: none */
	const char *full_name;		/* display name if From has none; NULL */
	const char *owner;		/* the owner's real mailbox, or NULL */
	const char *const *domains;	/* managed domains */
	size_t ndomains;
};

enum rewrite_status {
	REWRITE_OK,		/* changes (possibly none) computed */
	REWRITE_NOT_OWNER,	/* From is not the owner's: leave it alone */
	REWRITE_ERROR		/* out of memory or bad input: err filled */
};

/* Initialise GMime once per process (pthread_once); idempotent. */
void	header_library_init(void);

/* Decide the changes that turn the list's From, Reply-To and Sender into
 * the request's.  With no address chosen (req->address NULL) only a Sender
 * naming the owner is removed.  Never touches any other header.  Changes
 * are appended to the caller's (initialised) header_changes; on
 * REWRITE_NOT_OWNER and REWRITE_ERROR none are. */
enum rewrite_status rewrite_headers(const struct header_list *,
	    const struct rewrite_request *, struct header_changes *,
	    char *err, size_t errlen);

/* The recipients sendmail -t would take: the addresses of every To, Cc and
 * Bcc field (Resent-To, Resent-Cc and Resent-Bcc instead when any of those
 * is present), groups flattened, spelled as written (case kept, IDN domains
 * in their ASCII form), without duplicates (ASCII case ignored) and in
 * order of appearance.  Unparsable fields are skipped.  *rcpts is a
 * NULL-terminated array owned by the caller (free with
 * header_recipients_free); *nrcpts its length.  Returns 0, or -1 with
 * errno ENOMEM. */
int	header_list_recipients(const struct header_list *, char ***rcpts,
	    size_t *nrcpts);
void	header_recipients_free(char **);

#endif
