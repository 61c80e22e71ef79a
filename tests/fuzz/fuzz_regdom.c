/*
 * fuzz_regdom.c: libFuzzer harness for registered domains (regdom_of,
 * regdom_same), fed what a stranger writes after the '@' of MAIL FROM.
 *
 * Input: the first byte picks the size of the output buffer, allocated
 * exactly so that AddressSanitizer sees any write past it; the rest is the
 * domain (UTF-8 or not, literals, dots, overlong).
 *
 * Invariants, from regdom.h:
 * - the output is NUL-terminated within outlen, and "" on INVALID;
 * - FOUND and SELF: printable ASCII without capitals, a valid name or an
 *   address literal in brackets, at most DOMAIN_MAX bytes;
 * - the answer is canonical: regdom_of of it gives it back, same kind;
 * - regdom_same(x, x) exactly when x is valid.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/address.h"
#include "common/regdom.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fail(const char *what, const char *in, const char *out)
{
	fprintf(stderr, "regdom: %s\n  in: \"%s\"\n  out: \"%s\"\n", what, in,
	    out);
	abort();
}

static void
check(const char *in, size_t outlen)
{
	char again[REGDOM_MAX];
	char *out;
	size_t n;
	int kind;

	if ((out = malloc(outlen == 0 ? 1 : outlen)) == NULL)
		return;
	memset(out, 'X', outlen == 0 ? 1 : outlen);
	kind = regdom_of(in, out, outlen);
	if (outlen == 0) {
		if (kind != REGDOM_INVALID)
			fail("no room but not INVALID", in, "");
		goto done;
	}
	if (memchr(out, '\0', outlen) == NULL)
		fail("output not terminated", in, "");
	if (kind == REGDOM_INVALID) {
		if (out[0] != '\0')
			fail("INVALID with an answer", in, out);
		goto done;
	}
	if (kind != REGDOM_FOUND && kind != REGDOM_SELF)
		fail("unknown kind", in, out);
	n = strlen(out);
	if (n == 0 || n > DOMAIN_MAX)
		fail("empty or overlong answer", in, out);
	for (size_t i = 0; i < n; i++)
		if (out[i] <= ' ' || out[i] > '~' ||
		    (out[i] >= 'A' && out[i] <= 'Z'))
			fail("not lowercase printable ASCII", in, out);
	if (out[0] == '[') {
		if (kind != REGDOM_SELF || out[n - 1] != ']')
			fail("a bad literal", in, out);
	} else if (!address_domain_valid(out, n))
		fail("not a valid name", in, out);
	if (regdom_of(out, again, sizeof(again)) != kind ||
	    strcmp(out, again) != 0)
		fail("not canonical", in, out);
done:
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[REGDOM_MAX];
	size_t outlen;
	char *in;
	bool valid;

	if (size == 0)
		return 0;
	/* mostly the real size; sometimes a small one */
	outlen = data[0] >= 0x20 ? REGDOM_MAX : data[0];
	if ((in = strndup((const char *)data + 1, size - 1)) == NULL)
		return 0;
	check(in, outlen);
	valid = regdom_of(in, out, sizeof(out)) != REGDOM_INVALID;
	if (regdom_same(in, in) != valid)
		fail("same as itself disagrees with valid", in, out);
	free(in);
	return 0;
}
