/*
 * stream.h: what fuzz_policy and fuzz_socketmap share: the input made
 * into the byte stream a client sends, and the sizes of the reads a
 * server would get it in.
 *
 * A run of one byte up to a protocol's limits (16 KB for a policy
 * request) would take a libFuzzer input far over its default max_len,
 * so the input may abbreviate one: 0xff N C stands for the byte C
 * written (N + 1) * 32 times.  0xff never occurs in UTF-8 nor in what
 * Postfix or sendmail write, so a real stream reads as itself.
 *
 * The read sizes come from a generator seeded with a hash of the input,
 * so that each input is cut the same way every time it is replayed.
 */
#ifndef FUZZ_STREAM_H
#define FUZZ_STREAM_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_MAX (64 * 1024) /* an expanded stream is cut here */

/* The stream of data[0..size), in a buffer of exactly its length (so
 * that ASan sees a read past it); NULL when out of memory.  Free it. */
static char *
stream_expand(const uint8_t *data, size_t size, size_t *len)
{
	char *out, *exact;
	size_t n = 0, i = 0, run;

	if ((out = malloc(STREAM_MAX)) == NULL)
		return NULL;
	while (i < size && n < STREAM_MAX) {
		if (data[i] == 0xff && i + 2 < size) {
			run = ((size_t)data[i + 1] + 1) * 32;
			if (run > STREAM_MAX - n)
				run = STREAM_MAX - n;
			memset(out + n, data[i + 2], run);
			n += run;
			i += 3;
		} else
			out[n++] = (char)data[i++];
	}
	if ((exact = malloc(n > 0 ? n : 1)) != NULL)
		memcpy(exact, out, n);
	free(out);
	*len = n;
	return exact;
}

/* The generator of read sizes, seeded from the input (FNV-1a). */
static uint64_t
stream_seed(const uint8_t *data, size_t size)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ULL;
	return h | 1;
}

/* The next read's size: often a byte or a few, sometimes a large read,
 * as a loaded server sees them. */
static size_t
stream_chunk(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	switch (x & 3) {
	case 0:
		return 1;
	case 1:
		return 1 + (size_t)(x >> 8) % 16;
	default:
		return 1 + (size_t)(x >> 8) % 8192;
	}
}

#endif
