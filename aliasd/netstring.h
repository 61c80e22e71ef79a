/*
 * netstring.h: netstrings ("LEN:DATA,", D. J. Bernstein) for the
 * socketmap protocol of Postfix's socketmap: tables and sendmail's socket
 * maps: a request is a netstring "NAME KEY", the answer a netstring
 * "OK VALUE", "NOTFOUND ", "TEMP REASON", "TIMEOUT REASON" or
 * "PERM REASON".  Written for hostile input: lengths bounded, no
 * allocation.
 */
#ifndef ALIASD_NETSTRING_H
#define ALIASD_NETSTRING_H

#include <stddef.h>

/* The longest request taken: a map name and an address, with room.
 * (Postfix's own limit is 100,000; no key of ours comes near.) */
#define NETSTRING_MAX 4096

enum netstring_parse {
	NETSTRING_MORE, /* not whole yet: call again with more */
	NETSTRING_OK, /* *data, *dlen: the payload; *used bytes */
	NETSTRING_FATAL /* not a netstring, or longer than
				 * NETSTRING_MAX: answer PERM, then close
				 * (the stream cannot be resynchronised) */
};

/* Read the first netstring in buf[0..len).  *data points into buf (not
 * NUL-terminated).  On MORE and FATAL *used is 0.  FATAL as soon as the
 * bytes in hand rule a netstring out: a non-digit before ':', a leading
 * zero ("0:" is the empty string, "00:" is refused), a length over
 * NETSTRING_MAX (at its fifth digit at the latest), no ',' after the
 * data. */
enum netstring_parse netstring_parse(const char *buf, size_t len, size_t *used,
    const char **data, size_t *dlen);

/* Split a socketmap request "NAME KEY" at its first space into name and
 * key (NUL-terminated copies); -1 when there is no space, either part is
 * empty or too long for its buffer, or the payload holds a NUL. */
int socketmap_split(const char *data, size_t dlen, char *name, size_t namelen,
    char *key, size_t keylen);

/* Write the netstring of text and a NUL into out; the length written
 * (no NUL), or 0 when it does not fit. */
size_t netstring_format(char *out, size_t outlen, const char *text);

#endif
