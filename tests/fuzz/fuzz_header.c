/*
 * fuzz_header.c: libFuzzer harness for the outbound header rewrite, the
 * path from a message's header block and its recipients to the headers
 * that leave: header_list_parse, policy_choose (over a stub store),
 * rewrite_headers, header_list_apply, header_list_write, and
 * header_list_recipients.
 *
 * Input: a header block as it comes from a mail client (LF or CRLF, folds,
 * encoded words, groups), then a blank line, then up to RCPT_MAX envelope
 * recipients one a line.  With no recipient lines, the recipients are the
 * header's To/Cc/Bcc, as alias-sendmail -t takes them.
 *
 * Invariants: when rewrite_headers says REWRITE_OK, no From, Reply-To or
 * Sender it produced shows the owner's address, neither as written nor
 * once its RFC 2047 encoded words are decoded (what the recipient's
 * client displays); any other field of the result that still shows it
 * (a foreign mailbox's name in To, a header nobody rewrites) is found by
 * the leak guard, header_leak_find; and a parsed block written back
 * unchanged is the input byte for byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "rewriter/header.h"
#include "rewriter/leak.h"
#include "rewriter/plan.h"
#include "rewriter/policy.h"
#include "rewriter/recipients.h"

#define OWNER "me@example.net"
#define CHOSEN "mail-0001-ab@example.com"
#define RCPT_MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const domains[] = { "example.com" };

/* A store holding one address: for example.org and for the owner's own
 * domain.  The default exists when the number of recipients is even, so
 * that both "an address" and "none" are reached. */
struct stub {
	int has_default;
};

static enum lookup_result
stub_by_correspondent(void *arg, const char *key, char *out, size_t outlen)
{
	const char *at = strrchr(key, '@');

	(void)arg;
	if (at == NULL ||
	    (strcmp(at, "@example.org") != 0 &&
		strcmp(key, "joe@example.net") != 0))
		return LOOKUP_NONE;
	snprintf(out, outlen, "%s", CHOSEN);
	return LOOKUP_FOUND;
}

static enum lookup_result
stub_by_default(void *arg, char *out, size_t outlen)
{
	const struct stub *s = arg;

	if (!s->has_default)
		return LOOKUP_NONE;
	snprintf(out, outlen, "%s", CHOSEN);
	return LOOKUP_FOUND;
}

/* Whether text shows the owner's address as an address of its own, ASCII
 * case ignored: not merely inside a longer local part or domain
 * ("xme@example.net", "me@example.network"), which is another address. */
static int
shows_owner(const char *text)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~.";
	size_t n = strlen(OWNER);
	const char *p;
	unsigned char before, after;

	for (p = text; *p != '\0'; p++) {
		if (g_ascii_strncasecmp(p, OWNER, n) != 0)
			continue;
		before = p == text ? ' ' : (unsigned char)p[-1];
		after = (unsigned char)p[n];
		if (after == '.')
			after = (unsigned char)p[n + 1];
		if ((g_ascii_isalnum(before) ||
			(before != '\0' && strchr(atext, before) != NULL)) ||
		    g_ascii_isalnum(after) || after == '-')
			continue;
		return 1;
	}
	return 0;
}

/* Whether value shows the owner's address, raw or decoded. */
static int
value_shows_owner(const char *value)
{
	char *decoded;
	int shows;

	if ((shows = shows_owner(value)) == 0 &&
	    (decoded = g_mime_utils_header_decode_text(NULL, value)) != NULL) {
		shows = shows_owner(decoded);
		g_free(decoded);
	}
	return shows;
}

static void
check_changes(const struct header_changes *ch)
{
	const char *name;
	size_t i;

	for (i = 0; i < ch->count; i++) {
		name = ch->items[i].name;
		if (ch->items[i].value == NULL ||
		    (g_ascii_strcasecmp(name, "From") != 0 &&
			g_ascii_strcasecmp(name, "Reply-To") != 0 &&
			g_ascii_strcasecmp(name, "Sender") != 0))
			continue;
		if (value_shows_owner(ch->items[i].value)) {
			fprintf(stderr, "owner's address in %s: %s\n", name,
			    ch->items[i].value);
			abort();
		}
	}
}

/* The leak guard finds what this harness sees of the owner in the
 * rewritten list out (fields outside its exempt ones). */
static void
check_guard(const struct header_list *hl, const struct header_changes *ch,
    const struct rewrite_request *req, const struct header_list *out)
{
	static const char *const exempt[] = { "Received", "Subject",
		"Comments", "Keywords" };
	char field[128];
	size_t i, j;
	int shown = 0;

	for (i = 0; i < out->count && !shown; i++) {
		for (j = 0; j < 4; j++)
			if (g_ascii_strcasecmp(out->fields[i].name,
				exempt[j]) == 0)
				break;
		shown = j == 4 && value_shows_owner(out->fields[i].value);
	}
	if (shown &&
	    header_leak_find(hl, ch, req, field, sizeof(field)) == 0) {
		fprintf(stderr, "leak guard misses the owner in %s: %s\n",
		    out->fields[i - 1].name, out->fields[i - 1].value);
		abort();
	}
}

/* Split the text after the header block into recipient lines (copies). */
static size_t
rcpts_split(const char *p, size_t len, char **rcpts)
{
	size_t n = 0, l;
	const char *nl;

	while (len > 0 && n < RCPT_MAX) {
		nl = memchr(p, '\n', len);
		l = nl != NULL ? (size_t)(nl - p) : len;
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l > 0 && (rcpts[n] = strndup(p, l)) != NULL)
			n++;
		if (nl == NULL)
			break;
		len -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	return n;
}

/* Write hl to memory; NULL when out of memory.  *len is set. */
static char *
write_list(const struct header_list *hl, const char *eol, size_t *len)
{
	char *buf = NULL;
	FILE *fp;

	*len = 0;
	if ((fp = open_memstream(&buf, len)) == NULL)
		return NULL;
	if (header_list_write(hl, fp, eol) == -1)
		abort(); /* memory streams fail only on ENOMEM */
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * The one plan over the same input, as the front ends make it: it must
 * agree with rewrite_headers about whose mail it is and what changes,
 * and a plan it calls good must leave the owner in no field the guard
 * reads, nor in the envelope.
 */
static void
check_plan(const struct header_list *hl, const struct policy_source *ps,
    const char *const *rcpts, size_t nrcpts, enum rewrite_status st,
    const struct header_changes *ch)
{
	struct plan_request req = {
		.src = ps,
		.rcpts = rcpts,
		.nrcpts = nrcpts,
		.headers = hl,
		.sender = OWNER,
		.owner = OWNER,
		.full_name = "Zo\xc3\xab \xc3\x9cnic\xc3\xb8"
			     "de-M\xc3\xbcller",
		.domains = domains,
		.ndomains = 1,
		.guard = true,
	};
	struct rewrite_request rr = {
		.owner = OWNER,
		.domains = domains,
		.ndomains = 1,
	};
	struct plan p;
	enum plan_status ps_st;
	char err[256], field[80];

	ps_st = plan_make(&req, &p, err, sizeof(err));
	if ((ps_st == PLAN_NOT_OWNER) != (st == REWRITE_NOT_OWNER))
		abort(); /* the plan and the rewriter disagree */
	if ((ps_st == PLAN_OK || ps_st == PLAN_LEAK) &&
	    p.changes.count != ch->count)
		abort(); /* same address, same changes */
	if (ps_st == PLAN_OK) {
		rr.address = p.address[0] != '\0' ? p.address : NULL;
		if (header_leak_find(hl, &p.changes, &rr, field,
			sizeof(field)) == 1) {
			fprintf(stderr, "a good plan leaves the owner in %s\n",
			    field);
			abort();
		}
		if (p.sender[0] == '\0' || shows_owner(p.sender))
			abort(); /* the envelope left as the owner's */
	}
	plan_free(&p);
}

static void
run(struct header_list *hl, const char *const *rcpts, size_t nrcpts,
    const char *eol)
{
	struct stub stub = { .has_default = nrcpts % 2 == 0 };
	struct policy_source ps = {
		.by_correspondent = stub_by_correspondent,
		.by_default = stub_by_default,
		.arg = &stub,
	};
	struct rewrite_request req = {
		.full_name = "Zo\xc3\xab \xc3\x9cnic\xc3\xb8"
			     "de-M\xc3\xbcller",
		.owner = OWNER,
		.domains = domains,
		.ndomains = 1,
	};
	struct policy_result res;
	struct header_changes ch;
	struct header_list out;
	enum rewrite_status st;
	char err[256];
	size_t i, buflen;

	if (policy_choose(&ps, rcpts, nrcpts, &res, err, sizeof(err)) == -1)
		abort(); /* the stub never fails a lookup */
	req.address = res.address[0] != '\0' ? res.address : NULL;

	header_changes_init(&ch);
	st = rewrite_headers(hl, &req, &ch, err, sizeof(err));
	if (st != REWRITE_OK && ch.count != 0)
		abort(); /* header.h: no changes unless OK */
	if (st == REWRITE_OK)
		check_changes(&ch);
	check_plan(hl, &ps, rcpts, nrcpts, st, &ch);

	/* As the MTA applies them to the fields the milter saw (no raw
	 * bytes), then as alias-sendmail applies them to the parsed block. */
	header_list_init(&out);
	for (i = 0; i < hl->count; i++)
		(void)header_list_add(&out, hl->fields[i].name,
		    hl->fields[i].value);
	if (header_list_apply(&out, &ch) == 0) {
		if (st == REWRITE_OK)
			check_guard(hl, &ch, &req, &out);
		free(write_list(&out, eol, &buflen));
	}
	header_list_free(&out);
	if (header_list_apply(hl, &ch) == 0)
		free(write_list(hl, eol, &buflen));
	header_changes_free(&ch);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct header_list hl;
	char *rcpts[RCPT_MAX], **hdr = NULL, *out;
	size_t used = 0, nrcpts = 0, nhdr = 0, i, outlen;
	const char *eol;

	header_list_init(&hl);
	if (header_list_parse(&hl, buf, size, &used) == -1)
		goto done;
	eol = memchr(buf, '\r', used) != NULL ? "\r\n" : "\n";
	/* hdrlist.h: unchanged parsed fields are written byte for byte */
	if ((out = write_list(&hl, eol, &outlen)) != NULL) {
		if (outlen != used || memcmp(out, buf, used) != 0)
			abort();
		free(out);
	}
	/* the blank line ending the block, then the recipients */
	if (used < size && buf[used] == '\r')
		used++;
	if (used < size && buf[used] == '\n')
		used++;
	nrcpts = rcpts_split(buf + used, size - used, rcpts);

	if (header_list_recipients(&hl, &hdr, &nhdr) == -1)
		goto done;
	for (i = 0; i < nhdr; i++)
		if (hdr[i] == NULL || hdr[i][0] == '\0')
			abort(); /* header.h: addresses only */
	if (nrcpts > 0)
		run(&hl, (const char *const *)rcpts, nrcpts, eol);
	else
		run(&hl, (const char *const *)hdr,
		    nhdr > RCPT_MAX ? RCPT_MAX : nhdr, eol);
done:
	for (i = 0; i < nrcpts; i++)
		free(rcpts[i]);
	header_recipients_free(hdr);
	header_list_free(&hl);
	return 0;
}
