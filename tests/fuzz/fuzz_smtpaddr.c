/*
 * fuzz_smtpaddr.c: libFuzzer harness for the SMTP MAIL/RCPT argument
 * parser (smtpaddr_parse, smtpaddr_guess_domain).
 *
 * Input: the argument as the MTA hands it to the milter ("<x@y>", with
 * quotes, source routes, SMTPUTF8 bytes, garbage, overlong).  The first
 * byte picks the size of the output buffer, which is allocated exactly so
 * that AddressSanitizer sees any write past it; the rest is the argument.
 *
 * Invariants, from smtpaddr.h and smtpaddr.c:
 * - the output is NUL-terminated within outlen (whatever the result);
 * - SMTPADDR_OK and SMTPADDR_NODOMAIN: the output holds no ASCII capital;
 * - SMTPADDR_OK: one '@' outside a quoted local part, a non-empty local
 *   part before it and a domain after it that address_domain_valid()
 *   accepts and that does not end in a dot;
 * - SMTPADDR_NODOMAIN: a non-empty local part and no '@' outside quotes;
 * - smtpaddr_guess_domain: 0 gives a non-empty domain without '>', blank
 *   or trailing dot, and no capital.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/address.h"
#include "common/smtpaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fail(const char *what, const char *arg, const char *out)
{
	fprintf(stderr, "smtpaddr: %s\n  arg: \"%s\"\n  out: \"%s\"\n", what,
	    arg, out);
	abort();
}

static int
has_capital(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			return 1;
	return 0;
}

/* Where the '@' outside quotes is, or NULL; *count how many there are. */
static const char *
at_outside_quotes(const char *s, int *count)
{
	const char *at = NULL;
	int quoted = 0;

	*count = 0;
	for (; *s != '\0'; s++) {
		if (quoted && *s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (!quoted && *s == '@') {
			(*count)++;
			at = s;
		}
	}
	return at;
}

static void
check_parse(const char *arg, size_t outlen)
{
	enum smtpaddr_result r;
	const char *at;
	char *out;
	size_t n;
	int count;

	if ((out = malloc(outlen)) == NULL)
		return;
	memset(out, 'X', outlen);
	r = smtpaddr_parse(arg, out, outlen);
	if (outlen == 0) {
		if (r != SMTPADDR_BAD)
			fail("no room but not BAD", arg, "");
		goto done;
	}
	if (memchr(out, '\0', outlen) == NULL)
		fail("output not terminated", arg, "");
	if ((r == SMTPADDR_OK || r == SMTPADDR_NODOMAIN) && has_capital(out))
		fail("capital in output", arg, out);
	n = strlen(out);
	at = at_outside_quotes(out, &count);
	switch (r) {
	case SMTPADDR_OK:
		if (count != 1 || at == out)
			fail("OK without exactly one '@' after a local part",
			    arg, out);
		if (!address_domain_valid(at + 1, strlen(at + 1)) ||
		    out[n - 1] == '.')
			fail("OK with an invalid domain", arg, out);
		break;
	case SMTPADDR_NODOMAIN:
		if (n == 0 || count != 0)
			fail("NODOMAIN without a lone local part", arg, out);
		break;
	case SMTPADDR_NULL:
	case SMTPADDR_BAD:
		break;
	default:
		fail("unknown result", arg, out);
	}
done:
	free(out);
}

static void
check_guess(const char *arg, size_t outlen)
{
	char *out;
	size_t n;

	if (outlen == 0 || (out = malloc(outlen)) == NULL)
		return;
	if (smtpaddr_guess_domain(arg, out, outlen) == 0) {
		if (memchr(out, '\0', outlen) == NULL)
			fail("guess not terminated", arg, "");
		n = strlen(out);
		if (n == 0 || out[n - 1] == '.' || strpbrk(out, "> \t@") ||
		    has_capital(out))
			fail("bad guessed domain", arg, out);
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t outlen;
	char *arg;

	if (size == 0)
		return 0;
	/* mostly the real size; sometimes a small one */
	outlen = data[0] >= 0x20 ? ADDRESS_MAX : data[0];
	if ((arg = strndup((const char *)data + 1, size - 1)) == NULL)
		return 0;
	check_parse(arg, outlen);
	check_guess(arg, outlen);
	free(arg);
	return 0;
}
