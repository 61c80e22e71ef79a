/*
 * address.h: syntax of the addresses that aliasctl, aliasd and
 * alias-sendmail take from users and from the wire.
 *
 * Matching ignores ASCII case everywhere (SPEC), so every address is kept
 * in one form: ASCII lowercased, bytes above 0x7f (SMTPUTF8) untouched.
 */
#ifndef ALIASD_ADDRESS_H
#define ALIASD_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDRESS_MAX 320 /* 64 + 1 + 253 + NUL, rounded up */
#define LOCAL_MAX 64
#define DOMAIN_MAX 253

/* Parse a correspondent: "joe@example.org", "<joe@example.org>",
 * "@example.org" (a whole domain), each in any case.  On success writes the
 * normalized form to out and returns NULL; otherwise returns a short
 * reason ("missing domain") and leaves out empty. */
const char *address_parse_correspondent(const char *in, char *out,
    size_t outlen);

/* The same for a mailbox only ("joe@example.org"; no bare domain). */
const char *address_parse_mailbox(const char *in, char *out, size_t outlen);

/* The one check every address taken from outside passes (SMTP, the
 * command line, an imported map, a sender domain to record): NULL when
 * the len bytes at s are valid UTF-8 (RFC 3629: no overlong form, no
 * surrogate, nothing above U+10FFFF) holding no control character,
 * else a short reason.  The parsers below call it. */
const char *address_check_text(const char *s, size_t len);

/* The one UTF-8 character at s (at most len > 0 bytes): its length,
 * with its code point in *cp; 0 when the bytes there are no valid UTF-8
 * (a stray or missing continuation byte, an overlong form, a surrogate,
 * beyond U+10FFFF). */
size_t address_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* C0 (U+0000-U+001F), DEL and C1 (U+0080-U+009F): what a terminal takes
 * as a command rather than as text. */
bool address_is_control(uint32_t cp);

/* s as one line of clean text in buf (a reason said in an SMTP reply or
 * written into a map): each control character and each byte that is
 * not UTF-8 becomes '?'.  Cut at a character if buf is short; returns
 * buf. */
const char *address_clean_text(const char *s, char *buf, size_t len);

/* Syntax checks on already split parts. */
bool address_local_valid(const char *local, size_t len);
bool address_domain_valid(const char *domain, size_t len);

/* The part after the last '@', or NULL. */
const char *address_domain(const char *address);

/* ASCII-only lowercasing in place. */
void address_lower(char *);

/* Split a normalized "local@domain" into its parts; 0 or -1 (too long or
 * no '@'). */
int address_split(const char *address, char *local, size_t locallen,
    char *domain, size_t domainlen);

#endif
