/*
 * leak.h: the leak guard, the last check that nothing in the owner's
 * rewritten header block still names the owner (SPEC.md, "Rewriting").
 *
 * Threads: call header_library_init() (header.h) once before starting
 * threads; after that header_leak_find() may run concurrently on
 * separate lists.
 */
#ifndef ALIASD_LEAK_H
#define ALIASD_LEAK_H

#include <stddef.h>

#include "rewriter/header.h"

/* After applying ch (may be NULL) to a copy of hl, is the owner's address
 * (req->owner, any case, any spelling, raw or in decoded encoded words)
 * still in any field other than Received, Subject, Comments, Keywords?
 * 1 with the first such field's name (as the message spells it) in field,
 * 0 if none (or no owner), -1 out of memory. */
int header_leak_find(const struct header_list *hl,
    const struct header_changes *ch, const struct rewrite_request *req,
    char *field, size_t fieldlen);

#endif
