/*
 * recipients.h: the recipients sendmail -t would take from a header
 * block, for alias-sendmail and aliasctl rewrite.
 *
 * Threads: call header_library_init() (header.h) once before starting
 * threads; after that these may run concurrently on separate lists.
 */
#ifndef ALIASD_RECIPIENTS_H
#define ALIASD_RECIPIENTS_H

#include <stddef.h>

#include "rewriter/hdrlist.h"

/* The addresses of every To, Cc and Bcc field (Resent-To, Resent-Cc and
 * Resent-Bcc instead when any of those is present), groups flattened,
 * spelled as written (case kept, IDN domains in their ASCII form), without
 * duplicates (ASCII case ignored) and in order of appearance, in time
 * linear in their number.  Unparsable fields are skipped.  *rcpts is a
 * NULL-terminated array owned by the caller (free with
 * header_recipients_free); *nrcpts its length.  Returns 0, or -1 with
 * errno ENOMEM. */
int header_list_recipients(const struct header_list *, char ***rcpts,
    size_t *nrcpts);
/* Frees an array from header_list_recipients(); accepts NULL. */
void header_recipients_free(char **);

#endif
