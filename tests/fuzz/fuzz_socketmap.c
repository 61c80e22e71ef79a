/*
 * fuzz_socketmap.c: libFuzzer harness for the socketmap side
 * (netstring_parse, socketmap_split, netstring_format), fed as aliasd's
 * server is fed.
 *
 * Input: the byte stream a client sends on one connection (stream.h:
 * 0xff N C abbreviates a long run).  It is read twice: whole, netstring
 * after netstring; and as a server reads it, in reads of random sizes
 * into a buffer that holds the longest netstring taken, parsing after
 * each read and consuming what each answer used.
 *
 * Invariants, from netstring.h:
 * - *used <= len; MORE and FATAL consume nothing; OK consumes
 *   "LEN:DATA," with data inside it and dlen <= NETSTRING_MAX;
 * - MORE only while the bytes in hand are shorter than the longest
 *   netstring taken (so the server's buffer never overflows);
 * - the server sees the same results, consumptions and payloads as the
 *   whole read;
 * - socketmap_split: on 0, name and key NUL-terminated, neither empty,
 *   name without a space, "name key" is the payload; on -1 both "";
 * - netstring_format of an answer, in a buffer just big enough or one
 *   byte short, writes it with a NUL or nothing, and what it writes
 *   reads back as the same payload.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliasd/netstring.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* "4096:", the data, "," */
#define LONGEST (NETSTRING_MAX + 6)
#define RESULTS_MAX 4096
#define NAME_MAX_ 32
#define KEY_MAX 400

struct result {
	enum netstring_parse r;
	size_t used;
	size_t off; /* of the payload, from the netstring's start */
	size_t dlen;
};

static struct result whole[RESULTS_MAX];

static void
fail(const char *what, size_t at)
{
	fprintf(stderr, "socketmap: %s (netstring %zu)\n", what, at);
	abort();
}

static enum netstring_parse
parse_checked(const char *buf, size_t len, struct result *res, size_t at)
{
	const char *data = (const char *)1;
	size_t used = 7, dlen = 7;
	enum netstring_parse r;

	r = netstring_parse(buf, len, &used, &data, &dlen);
	if (used > len)
		fail("used past the end", at);
	res->r = r;
	res->used = used;
	res->dlen = dlen;
	res->off = 0;
	switch (r) {
	case NETSTRING_MORE:
		if (len >= LONGEST)
			fail("MORE on a full buffer", at);
		/* FALLTHROUGH */
	case NETSTRING_FATAL:
		if (used != 0)
			fail("consumed without a netstring", at);
		break;
	case NETSTRING_OK:
		if (data == NULL || data < buf || dlen > NETSTRING_MAX ||
		    data + dlen + 1 != buf + used || buf[used - 1] != ',' ||
		    data[-1] != ':')
			fail("OK is no netstring", at);
		res->off = (size_t)(data - buf);
		break;
	default:
		fail("unknown result", at);
	}
	return r;
}

static void
check_split(const char *data, size_t dlen, size_t at)
{
	char name[NAME_MAX_], key[KEY_MAX];
	size_t nl, kl;

	memset(name, 'Z', sizeof(name));
	memset(key, 'Z', sizeof(key));
	if (socketmap_split(data, dlen, name, sizeof(name), key,
		sizeof(key)) == -1) {
		if (name[0] != '\0' || key[0] != '\0')
			fail("split refused but wrote", at);
		return;
	}
	if (memchr(name, '\0', sizeof(name)) == NULL ||
	    memchr(key, '\0', sizeof(key)) == NULL)
		fail("split not terminated", at);
	nl = strlen(name);
	kl = strlen(key);
	if (nl == 0 || kl == 0 || strchr(name, ' ') != NULL ||
	    nl + 1 + kl != dlen || memcmp(data, name, nl) != 0 ||
	    data[nl] != ' ' || memcmp(data + nl + 1, key, kl) != 0)
		fail("split is not the payload", at);
}

/* Format text in a buffer of outlen bytes exactly and read it back. */
static void
check_format(const char *text, size_t outlen, size_t at)
{
	size_t n, tl = strlen(text), want, used, dlen;
	const char *data;
	char digits[24];
	char *out;

	want = (size_t)snprintf(digits, sizeof(digits), "%zu:", tl) + tl + 1;
	if ((out = malloc(outlen > 0 ? outlen : 1)) == NULL)
		return;
	n = netstring_format(out, outlen, text);
	if (outlen < want + 1) {
		if (n != 0 || (outlen > 0 && out[0] != '\0'))
			fail("format wrote without room", at);
	} else if (n != want || out[n] != '\0' ||
	    netstring_parse(out, n, &used, &data, &dlen) != NETSTRING_OK ||
	    used != n || dlen != tl || memcmp(data, text, tl) != 0)
		fail("format does not read back", at);
	free(out);
}

/* Every check on one payload: the split, and an answer formatted. */
static void
check_payload(const char *data, size_t dlen, size_t at)
{
	char answer[KEY_MAX + 8];
	size_t n = dlen < KEY_MAX ? dlen : KEY_MAX;

	check_split(data, dlen, at);
	/* an answer holding the request's bytes (up to a NUL) */
	memcpy(answer, "OK ", 3);
	memcpy(answer + 3, data, n);
	answer[3 + n] = '\0';
	check_format(answer, strlen(answer) + 8 - at % 2 - at % 3, at);
	check_format(answer, strlen(answer) + 4 + at % 5, at);
}

static size_t
read_whole(const char *s, size_t len)
{
	size_t off = 0, n = 0;
	enum netstring_parse r;

	do {
		r = parse_checked(s + off, len - off, &whole[n], n);
		if (r == NETSTRING_OK)
			check_payload(s + off + whole[n].off, whole[n].dlen,
			    n);
		off += whole[n].used;
		n++;
	} while (r == NETSTRING_OK && n < RESULTS_MAX);
	return n;
}

static void
read_pieces(const char *s, size_t len, uint64_t seed, size_t nw)
{
	static char buf[LONGEST];
	struct result res;
	size_t have = 0, off = 0, n = 0, k;
	enum netstring_parse r;

	while (n < nw) {
		r = parse_checked(buf, have, &res, n);
		if (r == NETSTRING_MORE && off < len) {
			k = stream_chunk(&seed);
			if (k > len - off)
				k = len - off;
			if (k > sizeof(buf) - have)
				k = sizeof(buf) - have;
			memcpy(buf + have, s + off, k);
			have += k;
			off += k;
			continue;
		}
		if (res.r != whole[n].r || res.used != whole[n].used ||
		    res.off != whole[n].off || res.dlen != whole[n].dlen)
			fail("pieces read otherwise than the whole", n);
		n++;
		if (r != NETSTRING_OK)
			break;
		memmove(buf, buf + res.used, have - res.used);
		have -= res.used;
	}
	if (n != nw)
		fail("pieces gave fewer results", n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len, nw;
	char *s;

	if ((s = stream_expand(data, size, &len)) == NULL)
		return 0;
	nw = read_whole(s, len);
	read_pieces(s, len, stream_seed(data, size), nw);
	free(s);
	return 0;
}
