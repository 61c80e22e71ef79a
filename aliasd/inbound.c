/*
 * inbound.c: accept or refuse each recipient in a managed domain.
 *
 * Fail closed: when the store cannot answer, the reply is 451 (unless
 * on_error = accept); never a 550 for an address we could not look up,
 * never an accept for one we know is retired.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aliasd/counter.h"
#include "aliasd/harvest.h"
#include "aliasd/inbound.h"
#include "aliasd/pool.h"
#include "common/address.h"
#include "common/log.h"
#include "common/smtpaddr.h"

/* An SMTP reply line holds 512 octets; keep the text well inside. */
#define REPLY_TEXT_MAX 400

/* smfi_setreply() text must not hold a lone '%'. */
static void
escape_percent(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *in != '\0' && n + 2 < outlen; in++) {
		if (*in == '%')
			out[n++] = '%';
		out[n++] = *in;
	}
	out[n] = '\0';
}

void
inbound_client(SMFICTX *ctx, struct conn *c, const _SOCK_ADDR *sa)
{
	const struct config *cfg = c->snap->config;
	struct harvest_client hc;

	c->guarded = false;
	if (cfg->harvest_limit == 0)
		return;
	memset(&hc, 0, sizeof(hc));
	if (sa != NULL && sa->sa_family == AF_INET) {
		hc.family = AF_INET;
		memcpy(hc.addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		hc.family = AF_INET6;
		memcpy(hc.addr, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		    16);
	} else if (harvest_client_parse(smfi_getsymval(ctx,
	    (char *)"{client_addr}"), &hc) == -1)
		return;
	if (config_is_trusted(cfg, hc.family, hc.addr) ||
	    config_is_harvest_exempt(cfg, hc.family, hc.addr))
		return;
	harvest_key_from(hc.family, hc.addr, &c->harvest);
	c->guarded = true;
}

/* Whether this client is blocked now: one look, under the table's lock. */
static bool
blocked(const struct conn *c)
{
	return c->guarded && harvest_blocked(&c->harvest, time(NULL));
}

/* A blocked client learns nothing: right and wrong recipients get the
 * same reply. */
static sfsistat
harvest_tempfail(SMFICTX *ctx, struct conn *c)
{
	log_debug("%s: tempfail client=%s reason=harvest", c->msg.qid,
	    c->client);
	if (smfi_setreply(ctx, "451", "4.7.1", "Try again later") !=
	    MI_SUCCESS)
		log_warnx("%s: cannot set the reply text", c->msg.qid);
	return SMFIS_TEMPFAIL;
}

/* Every refusal in a managed domain goes through here, so that the
 * harvest guard counts each one (a blocked client never gets here). */
static sfsistat
refuse(SMFICTX *ctx, struct conn *c, const char *addr, const char *reason,
    const char *why)
{
	char raw[REPLY_TEXT_MAX + 1], text[REPLY_TEXT_MAX + 1];
	char escaped[2 * REPLY_TEXT_MAX + 1];
	const struct config *cfg = c->snap->config;

	/* A reply line holds no control characters and nothing that is not
	 * UTF-8, whatever the store or the client says. */
	snprintf(raw, sizeof(raw), "<%s>: Recipient address rejected: %s",
	    addr, reason);
	address_clean_text(raw, text, sizeof(text));
	escape_percent(text, escaped, sizeof(escaped));
	log_info("%s: reject rcpt=<%s> reason=%s client=%s", c->msg.qid,
	    address_clean_text(addr, raw, sizeof(raw)), why, c->client);
	/* Logged once, naming the client and none of its guesses. */
	if (c->guarded && harvest_refused(&c->harvest, time(NULL),
	    cfg->harvest_limit, (time_t)cfg->harvest_window))
		log_info("%s: harvest guard: client=%s blocked for %ld s after "
		    "%u refused recipients", c->msg.qid, c->client,
		    cfg->harvest_window, cfg->harvest_limit);
	if (smfi_setreply(ctx, "550", "5.1.1", escaped) != MI_SUCCESS)
		log_warnx("%s: cannot set the reply text", c->msg.qid);
	return SMFIS_REJECT;
}

static sfsistat
store_failed(SMFICTX *ctx, struct conn *c, const char *addr, const char *err)
{
	if (c->snap->config->on_error == ON_ERROR_ACCEPT) {
		log_warnx("%s: store unreadable, accepting rcpt=<%s> "
		    "(on_error = accept): %s", c->msg.qid, addr, err);
		return SMFIS_CONTINUE;
	}
	log_warnx("%s: tempfail rcpt=<%s>: %s", c->msg.qid, addr, err);
	smfi_setreply(ctx, "451", "4.3.0", "Temporary failure: try again "
	    "later");
	return SMFIS_TEMPFAIL;
}

static void
remember(struct conn *c, const struct store_address *a)
{
	struct store_count *n, *grown;
	const char *domain;

	if (c->msg.ncounts == MSG_MAX_COUNTS)
		return;
	if (c->msg.ncounts == c->msg.countcap) {
		size_t cap = c->msg.countcap == 0 ? 4 : c->msg.countcap * 2;

		if (cap > MSG_MAX_COUNTS)
			cap = MSG_MAX_COUNTS;
		/* Out of memory: the count is lost, never the mail. */
		grown = reallocarray(c->msg.counts, cap, sizeof(*grown));
		if (grown == NULL)
			return;
		c->msg.counts = grown;
		c->msg.countcap = cap;
	}
	n = &c->msg.counts[c->msg.ncounts++];
	memset(n, 0, sizeof(*n));
	n->id = a->id;
	/* The sender passed smtpaddr_parse(), so its domain is clean text
	 * (address_check_text); a sender that did not is "" and only the
	 * message is counted.  The store checks once more. */
	domain = c->msg.null_sender ? NULL : address_domain(c->msg.sender);
	if (domain != NULL)
		snprintf(n->sender_domain, sizeof(n->sender_domain), "%s",
		    domain);
}

static sfsistat
decide(SMFICTX *ctx, struct conn *c, const char *addr)
{
	char local[LOCAL_MAX + 1], domain[DOMAIN_MAX + 1], err[512];
	struct pool_handle *h;
	struct store_address a;
	enum store_status st;

	if (address_split(addr, local, sizeof(local), domain,
	    sizeof(domain)) == -1)
		return refuse(ctx, c, addr, "no such user", "unknown");
	if (!config_is_managed_domain(c->snap->config, domain) ||
	    config_is_passthrough(c->snap->config, local))
		return SMFIS_CONTINUE;
	/* Before the store: a blocked client costs no lookup. */
	if (blocked(c))
		return harvest_tempfail(ctx, c);
	if ((h = pool_get(c->snap->config->database, err, sizeof(err))) ==
	    NULL)
		return store_failed(ctx, c, addr, err);
	st = store_find(h->store, local, domain, time(NULL), &a);
	if (st != STORE_OK && st != STORE_NOTFOUND) {
		snprintf(err, sizeof(err), "%s", store_error(h->store));
		pool_put(h, true);
		return store_failed(ctx, c, addr, err);
	}
	pool_put(h, false);
	if (st == STORE_NOTFOUND)
		return refuse(ctx, c, addr, "no such user", "unknown");
	if (a.state == STATE_RETIRED)
		return refuse(ctx, c, addr, a.reason, "retired");
	if (a.state == STATE_EXPIRED)
		return refuse(ctx, c, addr, "address expired", "expired");
	log_debug("%s: accept rcpt=<%s>", c->msg.qid, addr);
	remember(c, &a);
	return SMFIS_CONTINUE;
}

/* One form of the recipient; *addr gets its normalized form ("" when it
 * did not parse) so that the caller can skip a second, equal one. */
static sfsistat
judge(SMFICTX *ctx, struct conn *c, const char *rcpt, char *addr,
    size_t addrlen)
{
	char domain[DOMAIN_MAX + 1];

	switch (smtpaddr_parse(rcpt, addr, addrlen)) {
	case SMTPADDR_OK:
		return decide(ctx, c, addr);
	case SMTPADDR_NULL:
	case SMTPADDR_NODOMAIN:
		/* "postmaster" and the like: the MTA's own business. */
		addr[0] = '\0';
		return SMFIS_CONTINUE;
	case SMTPADDR_BAD:
		break;
	}
	addr[0] = '\0';
	/* Garbage naming one of our domains is refused, not waved on. */
	if (smtpaddr_guess_domain(rcpt, domain, sizeof(domain)) == 0 &&
	    config_is_managed_domain(c->snap->config, domain)) {
		char shown[ADDRESS_MAX];

		/* Shown without its own brackets: the reply adds them;
		 * refuse() makes it clean text. */
		while (*rcpt == '<' || *rcpt == ' ')
			rcpt++;
		snprintf(shown, sizeof(shown), "%.200s", rcpt);
		shown[strcspn(shown, ">")] = '\0';
		if (blocked(c))
			return harvest_tempfail(ctx, c);
		return refuse(ctx, c, shown, "no such user", "malformed");
	}
	return SMFIS_CONTINUE;
}

sfsistat
inbound_rcpt(SMFICTX *ctx, struct conn *c, const char *arg,
    const char *rcpt_addr)
{
	char first[ADDRESS_MAX], second[ADDRESS_MAX];
	sfsistat rc;

	if ((rc = judge(ctx, c, arg, first, sizeof(first))) != SMFIS_CONTINUE)
		return rc;
	if (rcpt_addr == NULL || strcmp(rcpt_addr, arg) == 0)
		return SMFIS_CONTINUE;
	if (smtpaddr_parse(rcpt_addr, second, sizeof(second)) ==
	    SMTPADDR_OK && first[0] != '\0' && strcmp(first, second) == 0)
		return SMFIS_CONTINUE;	/* the same address: judged once */
	return judge(ctx, c, rcpt_addr, second, sizeof(second));
}

void
inbound_eom(struct conn *c)
{
	time_t now = time(NULL);

	if (c->msg.ncounts == 0)
		return;
	for (size_t i = 0; i < c->msg.ncounts; i++)
		c->msg.counts[i].when = now;
	counter_add(c->snap->config->database, c->msg.counts,
	    c->msg.ncounts);
}
