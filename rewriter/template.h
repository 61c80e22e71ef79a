/*
 * template.h: the address template of SPEC, default "mail-%04n-%2r".
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
#define TEMPLATE_DEFAULT "mail-%04n-%2r"

struct template;

/* NULL and a one-line reason in err for a bad template. */
struct template *template_parse(const char *text, char *err, size_t errlen);
void	template_free(struct template *);

bool	template_has_sequence(const struct template *);

/* Render a local part for sequence number seq; 0, or -1 if it would not
 * fit in outlen or be a valid local part. */
int	template_render(const struct template *, uint64_t seq, char *out,
	    size_t outlen);

/* Does local look like this template's output?  If so and the template
 * has %n, store the number in *seq and return true. */
bool	template_match(const struct template *, const char *local,
	    uint64_t *seq);

#endif
