/*
 * policy_proto.c: reading Postfix's policy delegation requests.
 *
 * A request is read in one pass over the caller's buffer, which holds
 * what the connection has sent so far: nothing is kept between calls, so
 * a request that has not fully arrived is simply read again, from its
 * start, once more bytes are there.  Every limit is checked on the bytes
 * already in hand, so that a line or a request that can no longer fit
 * its limit is refused at once, never buffered to the end; and the
 * result never depends on how the bytes were cut into reads.
 *
 * Bad lines (no '=', a value too long for its field, an attribute of
 * ours given twice, too many lines) do not stop the reading: the request
 * is still consumed through its empty line, so that the connection stays
 * in step, and the first fault is the one reported.  Postfix never sends
 * any of these; a duplicated recipient in particular would leave us to
 * guess which one Postfix means, so it is refused rather than resolved.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "aliasd/policy_proto.h"

/* One attribute we keep: its name and the field its value goes to. */
struct field {
	const char *name;
	size_t namelen;
	size_t off;
	size_t size;
};

#define FIELD(f) \
	{ \
		.name = #f, .namelen = sizeof(#f) - 1, \
		.off = offsetof(struct policy_request, f), \
		.size = sizeof(((struct policy_request *)0)->f) \
	}

static const struct field fields[] = {
	FIELD(request),
	FIELD(protocol_state),
	FIELD(sender),
	FIELD(recipient),
	FIELD(client_address),
	FIELD(sasl_username),
	FIELD(instance),
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const struct field *
field_find(const char *name, size_t len)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].namelen == len &&
		    memcmp(fields[i].name, name, len) == 0)
			return &fields[i];
	return NULL;
}

/*
 * Take one attribute line (n bytes, without its line end).  -1 with err
 * set when the line is bad.  err quotes only our own words and our own
 * attribute names, never the client's bytes, so that it is safe to log.
 */
static int
take_line(const char *line, size_t n, size_t lineno,
    struct policy_request *req, uint32_t *seen, char *err, size_t errlen)
{
	const struct field *f;
	const char *eq;
	size_t idx, vlen;

	if ((eq = memchr(line, '=', n)) == NULL) {
		snprintf(err, errlen, "line %zu: no '=' in attribute line",
		    lineno);
		return -1;
	}
	if (eq == line) {
		snprintf(err, errlen, "line %zu: attribute without a name",
		    lineno);
		return -1;
	}
	if ((f = field_find(line, (size_t)(eq - line))) == NULL)
		return 0; /* not one we use: ignored, as Postfix asks */
	idx = (size_t)(f - fields);
	if (*seen & (UINT32_C(1) << idx)) {
		snprintf(err, errlen, "line %zu: %s given twice", lineno,
		    f->name);
		return -1;
	}
	*seen |= UINT32_C(1) << idx;
	vlen = n - (size_t)(eq - line) - 1;
	if (vlen >= f->size) {
		/* never cut short: a cut address is another address */
		snprintf(err, errlen, "line %zu: %s longer than %zu bytes",
		    lineno, f->name, f->size - 1);
		return -1;
	}
	memcpy((char *)req + f->off, eq + 1, vlen);
	((char *)req + f->off)[vlen] = '\0';
	if (f->off == offsetof(struct policy_request, recipient))
		req->has_recipient = true;
	return 0;
}

static enum policy_parse
fatal(const char *why, size_t *used, char *err, size_t errlen)
{
	*used = 0;
	snprintf(err, errlen, "%s", why);
	return POLICY_FATAL;
}

enum policy_parse
policy_parse(const char *buf, size_t len, size_t *used,
    struct policy_request *req, char *err, size_t errlen)
{
	const char *line, *lf;
	size_t pos = 0, lines = 0, avail, n;
	uint32_t seen = 0;
	bool bad = false;

	*used = 0;
	memset(req, 0, sizeof(*req));
	if (errlen > 0)
		err[0] = '\0';
	for (;;) {
		line = buf + pos;
		avail = len - pos;
		/* a line may hold POLICY_LINE_MAX bytes with its LF */
		lf = memchr(line, '\n',
		    avail < POLICY_LINE_MAX ? avail : POLICY_LINE_MAX);
		if (lf == NULL) {
			if (memchr(line, '\0',
				avail < POLICY_LINE_MAX ?
				    avail :
				    POLICY_LINE_MAX) != NULL)
				return fatal("NUL byte in request", used, err,
				    errlen);
			/* no LF can come in time for the limits: do not
			 * wait for the rest */
			if (avail >= POLICY_LINE_MAX)
				return fatal("attribute line longer than "
					     "POLICY_LINE_MAX (2048 bytes)",
				    used, err, errlen);
			if (pos + avail >= POLICY_REQUEST_MAX)
				return fatal(
				    "request longer than "
				    "POLICY_REQUEST_MAX (16384 bytes)",
				    used, err, errlen);
			if (errlen > 0)
				err[0] = '\0';
			return POLICY_MORE;
		}
		n = (size_t)(lf - line);
		if (memchr(line, '\0', n) != NULL)
			return fatal("NUL byte in request", used, err, errlen);
		if (pos + n + 1 > POLICY_REQUEST_MAX)
			return fatal("request longer than POLICY_REQUEST_MAX "
				     "(16384 bytes)",
			    used, err, errlen);
		pos += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if (bad)
			continue; /* read on to the end, keep the first */
		if (++lines > POLICY_ATTRS_MAX) {
			snprintf(err, errlen, "more than %d attribute lines",
			    POLICY_ATTRS_MAX);
			bad = true;
		} else if (take_line(line, n, lines, req, &seen, err,
			       errlen) == -1)
			bad = true;
	}
	*used = pos;
	if (!bad && lines == 0) {
		snprintf(err, errlen, "empty request");
		bad = true;
	}
	return bad ? POLICY_BAD : POLICY_REQUEST;
}

size_t
policy_answer(char *out, size_t outlen, const char *text)
{
	size_t n = strlen(text);

	/* a line end in text would end the answer early: refuse it */
	if (strpbrk(text, "\r\n") != NULL ||
	    outlen < sizeof("action=") - 1 + n + 3) {
		if (outlen > 0)
			out[0] = '\0';
		return 0;
	}
	memcpy(out, "action=", sizeof("action=") - 1);
	memcpy(out + sizeof("action=") - 1, text, n);
	n += sizeof("action=") - 1;
	memcpy(out + n, "\n\n", 3);
	return n + 2;
}
