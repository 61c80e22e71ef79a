/*
 * smtpaddr.h: the address in an SMTP MAIL or RCPT argument, as the MTA
 * will deliver it: "<@route:x@example.com>", "\"x\"@example.com" and
 * "x@example.com." are all x@example.com (lowercased).
 */
#ifndef ALIASD_SMTPADDR_H
#define ALIASD_SMTPADDR_H

#include <stddef.h>

enum smtpaddr_result {
	SMTPADDR_OK, /* out holds local@domain, lowercased */
	SMTPADDR_NULL, /* "<>": the null sender */
	SMTPADDR_NODOMAIN, /* a bare local part ("postmaster") */
	SMTPADDR_BAD /* unparsable, too long, not UTF-8 or
				 * holding a control character */
};

/* Parse arg (with or without angle brackets and ESMTP parameters cut
 * off by the MTA).  For SMTPADDR_NODOMAIN, out holds the local part;
 * for SMTPADDR_BAD, out is empty. */
enum smtpaddr_result smtpaddr_parse(const char *arg, char *out, size_t outlen);

/* The domain after the last '@' of an unparsable argument, lowercased
 * and without a trailing dot or '>', so that a managed domain is still
 * recognised in garbage.  0 or -1. */
int smtpaddr_guess_domain(const char *arg, char *out, size_t outlen);

#endif
