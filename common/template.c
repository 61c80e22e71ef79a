/*
 * template.c: parse, render and recognise address templates.
 *
 * A template is a short list of parts: literal text, the sequence number,
 * or a run of random characters.  Rendering draws each random character
 * with randombytes_uniform(), which is unbiased over the alphabet.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/address.h"
#include "common/template.h"

#define MAX_PARTS 16

enum part_kind {
	PART_TEXT,
	PART_SEQ,
	PART_RANDOM
};

struct part {
	enum part_kind kind;
	char text[LOCAL_MAX + 1]; /* PART_TEXT */
	int width; /* PART_SEQ: minimum digits */
	bool zero; /* PART_SEQ: pad with zeros */
	int count; /* PART_RANDOM: characters */
};

struct template
{
	struct part parts[MAX_PARTS];
	int nparts;
	bool has_seq;
};

static struct part *
new_part(struct template *t, enum part_kind kind)
{
	struct part *p;

	if (t->nparts == MAX_PARTS)
		return NULL;
	p = &t->parts[t->nparts++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	return p;
}

static int
add_text(struct template *t, char c)
{
	struct part *p = NULL;
	size_t n;

	if (t->nparts > 0 && t->parts[t->nparts - 1].kind == PART_TEXT)
		p = &t->parts[t->nparts - 1];
	else if ((p = new_part(t, PART_TEXT)) == NULL)
		return -1;
	n = strlen(p->text);
	if (n == LOCAL_MAX)
		return -1;
	p->text[n] = (char)tolower((unsigned char)c);
	return 0;
}

/* Parse one conversion after '%'; returns characters used, or -1. */
static int
parse_conversion(struct template *t, const char *s, char *err, size_t errlen)
{
	const char *q = s;
	bool zero = false;
	int width = 0;
	struct part *p;

	if (*q == '%')
		return add_text(t, '%') == 0 ? 1 : -1;
	if (*q == '0') {
		zero = true;
		q++;
	}
	while (isdigit((unsigned char)*q) && width < 100)
		width = width * 10 + (*q++ - '0');
	if (*q == 'n') {
		if (t->has_seq) {
			snprintf(err, errlen, "%%n appears twice");
			return -1;
		}
		if (width > 20) {
			snprintf(err, errlen, "%%n wider than 20 digits");
			return -1;
		}
		/* printf would pad with spaces, which no address holds. */
		if (width > 0 && !zero) {
			snprintf(err, errlen,
			    "%%%dn would pad with spaces: "
			    "use %%0%dn to pad with zeros",
			    width, width);
			return -1;
		}
		if ((p = new_part(t, PART_SEQ)) == NULL)
			goto toolong;
		p->width = width;
		p->zero = zero;
		t->has_seq = true;
		return (int)(q - s) + 1;
	}
	if (*q == 'r') {
		if (zero || width < 1 || width > LOCAL_MAX) {
			snprintf(err, errlen,
			    "%%r needs a count of 1 to %d "
			    "random characters, as in %%2r",
			    LOCAL_MAX);
			return -1;
		}
		if ((p = new_part(t, PART_RANDOM)) == NULL)
			goto toolong;
		p->count = width;
		return (int)(q - s) + 1;
	}
	snprintf(err, errlen,
	    "unknown conversion %%%.*s: use %%n, %%Nr or %%%%",
	    *q == '\0' ? 0 : (int)(q - s) + 1, s);
	return -1;
toolong:
	snprintf(err, errlen, "too many parts");
	return -1;
}

static bool
has_random(const struct template *t)
{
	for (int i = 0; i < t->nparts; i++)
		if (t->parts[i].kind == PART_RANDOM)
			return true;
	return false;
}

struct template *
template_parse(const char *text, char *err, size_t errlen)
{
	struct template *t;
	char sample[LOCAL_MAX + 2];
	const char *s;
	int n;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (s = text; *s != '\0'; s += n) {
		if (*s != '%') {
			if (add_text(t, *s) == -1)
				goto toolong;
			n = 1;
			continue;
		}
		if ((n = parse_conversion(t, s + 1, err, errlen)) == -1)
			goto fail;
		n++;
	}
	if (!has_random(t)) {
		snprintf(err, errlen,
		    "template \"%s\" has no random part: add "
		    "one such as %%2r, so addresses cannot be guessed",
		    text);
		goto fail;
	}
	/* The widest number a sequence can reach must still fit. */
	if (template_render(t, UINT64_MAX / 2, sample, sizeof(sample)) == -1) {
		snprintf(err, errlen,
		    "template \"%s\" does not give a valid "
		    "local part of at most %d characters",
		    text, LOCAL_MAX);
		goto fail;
	}
	return t;
toolong:
	snprintf(err, errlen, "template longer than %d characters", LOCAL_MAX);
fail:
	free(t);
	return NULL;
}

void
template_free(struct template *t)
{
	free(t);
}

bool
template_has_sequence(const struct template *t)
{
	return t->has_seq;
}

unsigned int
template_random_bits(const struct template *t)
{
	unsigned int chars = 0;

	for (int i = 0; i < t->nparts; i++)
		if (t->parts[i].kind == PART_RANDOM)
			chars += (unsigned int)t->parts[i].count;
	/* log2(32) = 5 */
	return chars * 5;
}

bool
template_weak(const struct template *t, const char *text, char *msg,
    size_t msglen)
{
	unsigned int bits = template_random_bits(t);

	if (bits >= TEMPLATE_MIN_RANDOM_BITS)
		return false;
	snprintf(msg, msglen,
	    "template \"%s\" has %u random bits, fewer "
	    "than %d, so its addresses can be guessed: use %%%dr or more, as "
	    "in template = %s (existing addresses keep working)",
	    text, bits, TEMPLATE_MIN_RANDOM_BITS,
	    (TEMPLATE_MIN_RANDOM_BITS + 4) / 5, TEMPLATE_DEFAULT);
	return true;
}

static int
render_part(const struct part *p, uint64_t seq, char *out, size_t avail)
{
	static const char alphabet[] = SUFFIX_ALPHABET;
	int n;

	switch (p->kind) {
	case PART_TEXT:
		n = snprintf(out, avail, "%s", p->text);
		break;
	case PART_SEQ:
		n = snprintf(out, avail, p->zero ? "%0*" PRIu64 : "%*" PRIu64,
		    p->width, seq);
		break;
	case PART_RANDOM:
		if ((size_t)p->count >= avail)
			return -1;
		for (n = 0; n < p->count; n++)
			out[n] = alphabet[randombytes_uniform(
			    sizeof(alphabet) - 1)];
		out[n] = '\0';
		break;
	default:
		return -1;
	}
	if (n < 0 || (size_t)n >= avail)
		return -1;
	return n;
}

int
template_render(const struct template *t, uint64_t seq, char *out,
    size_t outlen)
{
	size_t used = 0;
	int n;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	for (int i = 0; i < t->nparts; i++) {
		if ((n = render_part(&t->parts[i], seq, out + used,
			 outlen - used)) == -1)
			return -1;
		used += (size_t)n;
	}
	if (!address_local_valid(out, used))
		return -1;
	return 0;
}

/* How far loose matching may search (calls of match_from): a template
 * of many random runs could otherwise try every way to cut a local
 * part. */
#define LOOSE_BUDGET 10000

struct matcher {
	const struct template *t;
	bool loose; /* a random run of any length, not just its count */
	int budget;
};

/* Match parts[i...] against s; recursion depth is bounded by MAX_PARTS. */
static bool
match_from(struct matcher *m, int i, const char *s, uint64_t *seq)
{
	const struct part *p;
	size_t n;

	if (m->budget-- <= 0)
		return false;
	if (i == m->t->nparts)
		return *s == '\0';
	p = &m->t->parts[i];
	switch (p->kind) {
	case PART_TEXT:
		n = strlen(p->text);
		return strncmp(s, p->text, n) == 0 &&
		    match_from(m, i + 1, s + n, seq);
	case PART_RANDOM:
		if (!m->loose) {
			for (n = 0; n < (size_t)p->count; n++)
				if (s[n] == '\0' ||
				    strchr(SUFFIX_ALPHABET, s[n]) == NULL)
					return false;
			return match_from(m, i + 1, s + n, seq);
		}
		for (n = 0; n < LOCAL_MAX && s[n] != '\0' &&
		     strchr(SUFFIX_ALPHABET, s[n]) != NULL;
		     n++)
			;
		for (; n >= 1; n--)
			if (match_from(m, i + 1, s + n, seq))
				return true;
		return false;
	case PART_SEQ:
		for (n = 0; n < 20 && isdigit((unsigned char)s[n]); n++)
			;
		/* Try the longest run of digits first, then shorter ones. */
		for (; n >= 1 && n >= (size_t)(p->zero ? p->width : 1); n--) {
			char digits[21];

			memcpy(digits, s, n);
			digits[n] = '\0';
			if (match_from(m, i + 1, s + n, seq)) {
				/* 20 digits may not fit in 64 bits. */
				errno = 0;
				*seq = strtoull(digits, NULL, 10);
				return errno == 0;
			}
		}
		return false;
	}
	return false;
}

bool
template_match(const struct template *t, const char *local, uint64_t *seq)
{
	struct matcher m = { .t = t, .loose = false, .budget = LOOSE_BUDGET };
	uint64_t n = 0;

	/* Exactly this template first, then with random runs of another
	 * length: an address from before the template grew. */
	if (!match_from(&m, 0, local, &n)) {
		m.loose = true;
		m.budget = LOOSE_BUDGET;
		if (!match_from(&m, 0, local, &n))
			return false;
	}
	if (seq != NULL)
		*seq = n;
	return true;
}
