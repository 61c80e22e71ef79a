/*
 * muttquote.h: the muttrc text of aliasctl mutt-hooks, quoted for each
 * level at which mutt reads it (see muttquote.c).
 *
 * Every function returning char * returns a string the caller frees, or
 * NULL when out of memory.  No state: callable from any thread.
 */
#ifndef ALIASD_MUTTQUOTE_H
#define ALIASD_MUTTQUOTE_H

#include <stddef.h>
#include <stdio.h>

/* A muttrc single-quoted string, taken literally by mutt; ' as '\''. */
void mutt_put_squoted(FILE *, const char *);
/* A muttrc double-quoted string in which no $var, `cmd` or \ escape
 * acts: \ " $ ` get a backslash. */
void mutt_put_dquoted(FILE *, const char *);

/* The regex of one correspondent: "^joe@example\.org$" for an address,
 * "@example\.org$" for a whole domain ("@example.org"). */
char *mutt_correspondent_regex(const char *correspondent);

/* The pattern of a correspondent's send-hook: one To or Cc recipient
 * matches and all do ("~C X ^~C X"); for a domain correspondent
 * ("@example.org"), also none of the n exact correspondents exact[]
 * ("joe@example.org"), which have hooks of their own, is a recipient. */
char *mutt_hook_pattern(const char *correspondent, const char *const *exact,
    size_t n);

/* The command of a correspondent's hook: my_hdr From: and Reply-To: with
 * "full_name <address>" (full_name NULL or "": the bare address). */
char *mutt_hook_command(const char *full_name, const char *address);

/* The command of the default hook: unmy_hdr what a correspondent's hook
 * set and, with an address (else NULL), set $from to it. */
char *mutt_default_command(const char *full_name, const char *address);

#endif
