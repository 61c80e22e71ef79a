/*
 * template.h: the address template of SPEC, default "mail-%04n-%6r".
 *
 *   %n, %0Nn		the sequence number, at least N digits (zero-padded;
 *			a width without the 0 flag is refused: it would
 *			pad with spaces)
 *   %Nr		N random characters from SUFFIX_ALPHABET (libsodium)
 *   %%			a literal percent sign
 */
#ifndef ALIASD_TEMPLATE_H
#define ALIASD_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* No 0/o, 1/l: people read these addresses aloud and type them. */
#define SUFFIX_ALPHABET "abcdefghijkmnpqrstuvwxyz23456789"
#define TEMPLATE_DEFAULT "mail-%04n-%6r"

/* Below this many random bits a template is easy to guess: 30 bits are
 * about a billion suffixes per number (%6r), 10 bits (%2r) a thousand,
 * which one client tries in a second. */
#define TEMPLATE_MIN_RANDOM_BITS 30

struct template;

/* NULL and a one-line reason in err for a bad template. */
struct template *template_parse(const char *text, char *err, size_t errlen);
void template_free(struct template *);

bool template_has_sequence(const struct template *);

/* The bits of chance in one address: 5 per random character (the
 * alphabet holds 32). */
unsigned int template_random_bits(const struct template *);

/* When the template has fewer than TEMPLATE_MIN_RANDOM_BITS, write one
 * line saying so and what to set into msg and return true.  text is the
 * template as configured. */
bool template_weak(const struct template *, const char *text, char *msg,
    size_t msglen);

/* Render a local part for sequence number seq; 0, or -1 if it would not
 * fit in outlen or be a valid local part. */
int template_render(const struct template *, uint64_t seq, char *out,
    size_t outlen);

/* Does local look like this template's output, or like that of the same
 * template drawing more or fewer random characters (an address made
 * before the template grew, as when the default went from %2r to %6r)?
 * If so and the template has %n, store the number in *seq and return
 * true. */
bool template_match(const struct template *, const char *local, uint64_t *seq);

#endif
