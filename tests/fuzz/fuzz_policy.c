/*
 * fuzz_policy.c: libFuzzer harness for the policy delegation parser
 * (policy_parse, policy_answer), fed as aliasd's server is fed.
 *
 * Input: the byte stream a client sends on one connection (stream.h:
 * 0xff N C abbreviates a long run).  It is read twice: whole, request
 * after request; and as a server reads it, in reads of random sizes
 * into a buffer of POLICY_REQUEST_MAX bytes, parsing after each read
 * and consuming what each answer used.
 *
 * Invariants, from policy_proto.h:
 * - *used <= len; MORE and FATAL consume nothing; REQUEST and BAD
 *   consume a whole request, ending in LF, at most POLICY_REQUEST_MAX;
 * - MORE only while the unfinished request is under POLICY_REQUEST_MAX
 *   bytes (so the server's buffer of that size never overflows);
 * - every field of the request and err is NUL-terminated within its
 *   size; no field holds a LF; err is printable ASCII, set on BAD and
 *   FATAL; has_recipient is false only with an empty recipient;
 * - the server sees the same results, consumptions and requests as the
 *   whole read: how the bytes are cut never matters;
 * - policy_answer writes exactly "action=TEXT\n\n" and a NUL, or
 *   nothing at all.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliasd/policy_proto.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define RESULTS_MAX 1024 /* requests compared in one stream */

struct result {
	enum policy_parse r;
	size_t used;
	struct policy_request req;
};

static struct result whole[RESULTS_MAX];

static void
fail(const char *what, size_t at)
{
	fprintf(stderr, "policy: %s (request %zu)\n", what, at);
	abort();
}

static void
check_field(const char *f, size_t size, size_t at)
{
	const char *nul = memchr(f, '\0', size);

	if (nul == NULL)
		fail("field not terminated", at);
	if (memchr(f, '\n', (size_t)(nul - f)) != NULL)
		fail("LF in a field", at);
}

/* One call of policy_parse with every promise checked. */
static enum policy_parse
parse_checked(const char *buf, size_t len, size_t *used,
    struct policy_request *req, size_t at)
{
	char err[128];
	enum policy_parse r;

	memset(err, 'Z', sizeof(err));
	memset(req, 'Z', sizeof(*req));
	r = policy_parse(buf, len, used, req, err, sizeof(err));
	if (*used > len)
		fail("used past the end", at);
	if (memchr(err, '\0', sizeof(err)) == NULL)
		fail("err not terminated", at);
	for (const char *e = err; *e != '\0'; e++)
		if (*e < 0x20 || *e > 0x7e)
			fail("err holds the client's bytes", at);
	switch (r) {
	case POLICY_MORE:
		if (*used != 0)
			fail("MORE consumed", at);
		if (len >= POLICY_REQUEST_MAX)
			fail("MORE on a full buffer", at);
		break;
	case POLICY_FATAL:
		if (*used != 0)
			fail("FATAL consumed", at);
		if (err[0] == '\0')
			fail("FATAL without a reason", at);
		break;
	case POLICY_BAD:
	case POLICY_REQUEST:
		if (*used == 0 || buf[*used - 1] != '\n' ||
		    *used > POLICY_REQUEST_MAX)
			fail("not a whole request consumed", at);
		if (r == POLICY_BAD) {
			if (err[0] == '\0')
				fail("BAD without a reason", at);
			break;
		}
		check_field(req->request, sizeof(req->request), at);
		check_field(req->protocol_state, sizeof(req->protocol_state),
		    at);
		check_field(req->sender, sizeof(req->sender), at);
		check_field(req->recipient, sizeof(req->recipient), at);
		check_field(req->client_address, sizeof(req->client_address),
		    at);
		check_field(req->sasl_username, sizeof(req->sasl_username),
		    at);
		check_field(req->instance, sizeof(req->instance), at);
		if (!req->has_recipient && req->recipient[0] != '\0')
			fail("recipient without has_recipient", at);
		break;
	default:
		fail("unknown result", at);
	}
	return r;
}

/* policy_answer with the recipient as text, in an exact-size buffer. */
static void
check_answer(const char *text, size_t outlen, size_t at)
{
	size_t n, tl = strlen(text);
	char *out;
	int fits;

	if ((out = malloc(outlen > 0 ? outlen : 1)) == NULL)
		return;
	fits = strpbrk(text, "\r\n") == NULL && outlen >= tl + 10;
	n = policy_answer(out, outlen, text);
	if (!fits) {
		if (n != 0 || (outlen > 0 && out[0] != '\0'))
			fail("answer written without room or with a CR", at);
	} else if (n != tl + 9 || out[n] != '\0' ||
	    memcmp(out, "action=", 7) != 0 || memcmp(out + 7, text, tl) != 0 ||
	    memcmp(out + 7 + tl, "\n\n", 2) != 0)
		fail("answer not action=TEXT", at);
	free(out);
}

/* The whole stream, request after request: how many results. */
static size_t
read_whole(const char *s, size_t len)
{
	size_t off = 0, n = 0, used;
	enum policy_parse r;

	do {
		r = parse_checked(s + off, len - off, &used, &whole[n].req, n);
		whole[n].r = r;
		whole[n].used = used;
		if (r == POLICY_REQUEST)
			check_answer(whole[n].req.recipient,
			    strlen(whole[n].req.recipient) + 10 - n % 2, n);
		off += used;
		n++;
	} while ((r == POLICY_REQUEST || r == POLICY_BAD) && n < RESULTS_MAX);
	return n;
}

static void
same(const struct result *w, enum policy_parse r, size_t used,
    const struct policy_request *req, size_t at)
{
	if (w->r != r || w->used != used)
		fail("pieces read otherwise than the whole", at);
	if (r == POLICY_REQUEST &&
	    (strcmp(w->req.request, req->request) != 0 ||
		strcmp(w->req.protocol_state, req->protocol_state) != 0 ||
		strcmp(w->req.sender, req->sender) != 0 ||
		strcmp(w->req.recipient, req->recipient) != 0 ||
		strcmp(w->req.client_address, req->client_address) != 0 ||
		strcmp(w->req.sasl_username, req->sasl_username) != 0 ||
		strcmp(w->req.instance, req->instance) != 0 ||
		w->req.has_recipient != req->has_recipient))
		fail("pieces give another request", at);
}

/* The stream as the server reads it; checked against whole[0..nw). */
static void
read_pieces(const char *s, size_t len, uint64_t seed, size_t nw)
{
	static char buf[POLICY_REQUEST_MAX];
	struct policy_request req;
	size_t have = 0, off = 0, n = 0, used, k;
	enum policy_parse r = POLICY_MORE;

	while (n < nw) {
		/* parse what is there; read only when it says MORE */
		r = parse_checked(buf, have, &used, &req, n);
		if (r == POLICY_MORE && off < len) {
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
		same(&whole[n], r, used, &req, n);
		n++;
		if (r != POLICY_REQUEST && r != POLICY_BAD)
			break;
		memmove(buf, buf + used, have - used);
		have -= used;
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
