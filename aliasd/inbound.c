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
#include <strings.h>
#include <time.h>

#include "aliasd/counter.h"
#include "aliasd/harvest.h"
#include "aliasd/inbound.h"
#include "aliasd/judge.h"
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
		memcpy(hc.addr, &((const struct sockaddr_in *)sa)->sin_addr,
		    4);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		hc.family = AF_INET6;
		memcpy(hc.addr, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		    16);
	} else if (harvest_client_parse(smfi_getsymval(ctx,
					    (char *)"{client_addr}"),
		       &hc) == -1)
		return;
	c->guarded = judge_guard(cfg, &hc, &c->harvest);
}

/* The milter's reply text: smfi_setreply() text must not hold a lone
 * '%'. */
static sfsistat
reply(SMFICTX *ctx, struct conn *c, const char *code, const char *dsn,
    const char *text, sfsistat rc)
{
	char escaped[2 * REPLY_TEXT_MAX + 1];

	escape_percent(text, escaped, sizeof(escaped));
	if (smfi_setreply(ctx, (char *)code, (char *)dsn, escaped) !=
	    MI_SUCCESS)
		log_warnx("%s: cannot set the reply text", c->msg.qid);
	return rc;
}

/* An accepted address: counted and named in X-Aliasd at the end of the
 * message, once however often it was a recipient. */
static void
remember(struct conn *c, const struct gate_decision *d)
{
	struct msg *m = &c->msg;
	struct store_count *grown;
	char(*xgrown)[GATE_HEADER_MAX];

	for (size_t i = 0; i < m->ncounts; i++)
		if (m->counts[i].id == d->address.id)
			return;
	if (m->ncounts == MSG_MAX_COUNTS)
		return;
	if (m->ncounts == m->countcap) {
		size_t cap = m->countcap == 0 ? 4 : m->countcap * 2;

		if (cap > MSG_MAX_COUNTS)
			cap = MSG_MAX_COUNTS;
		/* Out of memory: the count is lost, never the mail. */
		if ((grown = reallocarray(m->counts, cap, sizeof(*grown))) ==
		    NULL)
			return;
		m->counts = grown;
		if ((xgrown = reallocarray(m->xaliasd, cap,
			 sizeof(*xgrown))) == NULL)
			return;
		m->xaliasd = xgrown;
		m->countcap = cap;
	}
	gate_count(d, m->sender, m->null_sender, &m->counts[m->ncounts]);
	gate_header(d, m->xaliasd[m->ncounts], sizeof(m->xaliasd[0]));
	m->ncounts++;
}

/* One form of the recipient; *addr gets its normalized form ("" when it
 * is not ours) so that the caller can skip a second, equal one; *drop:
 * discard it at the end of the message. */
static sfsistat
judge_form(SMFICTX *ctx, struct conn *c, const char *rcpt, char *addr,
    size_t addrlen, bool *drop)
{
	char text[REPLY_TEXT_MAX + 1];
	struct judge_input in;
	struct judgement j;

	memset(&in, 0, sizeof(in));
	in.cfg = c->snap->config;
	in.rcpt = rcpt;
	in.sender = c->msg.sender;
	in.null_sender = c->msg.null_sender;
	in.harvest = c->guarded ? &c->harvest : NULL;
	in.pending = counter_pending;
	in.qid = c->msg.qid;
	in.client = c->client;
	judge(&in, &j);
	snprintf(addr, addrlen, "%s",
	    j.outcome == JUDGE_NOT_OURS ? "" : j.addr);
	switch (j.outcome) {
	case JUDGE_NOT_OURS:
	case JUDGE_UNCHECKED:
		return SMFIS_CONTINUE;
	case JUDGE_ACCEPT:
		remember(c, &j.d);
		return SMFIS_CONTINUE;
	case JUDGE_DISCARD:
		*drop = true;
		return SMFIS_CONTINUE;
	case JUDGE_HOLD:
		if (!c->msg.hold)
			address_clean_text(j.d.reason, c->msg.hold_reason,
			    sizeof(c->msg.hold_reason));
		c->msg.hold = true;
		return SMFIS_CONTINUE;
	case JUDGE_REJECT:
		judge_reply_text(&j, text, sizeof(text));
		return reply(ctx, c, j.d.code, j.d.dsn, text, SMFIS_REJECT);
	case JUDGE_TEMPFAIL:
		judge_reply_text(&j, text, sizeof(text));
		return reply(ctx, c, j.d.code, j.d.dsn, text, SMFIS_TEMPFAIL);
	case JUDGE_HARVEST:
		return reply(ctx, c, "451", "4.7.1", HARVEST_REPLY,
		    SMFIS_TEMPFAIL);
	case JUDGE_UNAVAILABLE:
		break;
	}
	return reply(ctx, c, "451", "4.3.0", STORE_REPLY, SMFIS_TEMPFAIL);
}

sfsistat
inbound_rcpt(SMFICTX *ctx, struct conn *c, const char *arg,
    const char *rcpt_addr)
{
	char first[ADDRESS_MAX], second[ADDRESS_MAX];
	bool drop = false;
	sfsistat rc;

	if ((rc = judge_form(ctx, c, arg, first, sizeof(first), &drop)) !=
	    SMFIS_CONTINUE)
		return rc;
	if (rcpt_addr != NULL && strcmp(rcpt_addr, arg) != 0 &&
	    (smtpaddr_parse(rcpt_addr, second, sizeof(second)) !=
		    SMTPADDR_OK ||
		first[0] == '\0' || strcmp(first, second) != 0) &&
	    (rc = judge_form(ctx, c, rcpt_addr, second, sizeof(second),
		 &drop)) != SMFIS_CONTINUE)
		return rc;
	c->msg.taken++;
	/* Out of memory: the recipient is kept, never lost. */
	if (drop && msg_add_discard(&c->msg, arg) == -1)
		log_warnx("%s: cannot remember a recipient to discard",
		    c->msg.qid);
	return SMFIS_CONTINUE;
}

void
inbound_header(struct conn *c, const char *name)
{
	if (strcasecmp(name, XALIASD_HEADER) == 0)
		c->msg.forged++;
}

/* X-Aliasd: the ones the message came with go, ours come first. */
static void
mark(SMFICTX *ctx, struct conn *c)
{
	struct msg *m = &c->msg;

	for (size_t i = m->forged; i > 0; i--)
		if (smfi_chgheader(ctx, (char *)XALIASD_HEADER, (int)i,
			NULL) != MI_SUCCESS)
			log_warnx("%s: cannot remove an %s header", m->qid,
			    XALIASD_HEADER);
	for (size_t i = m->ncounts; i > 0; i--)
		if (smfi_insheader(ctx, 0, (char *)XALIASD_HEADER,
			m->xaliasd[i - 1]) != MI_SUCCESS)
			log_warnx("%s: cannot add the %s header", m->qid,
			    XALIASD_HEADER);
}

sfsistat
inbound_eom(SMFICTX *ctx, struct conn *c)
{
	struct msg *m = &c->msg;
	time_t now = time(NULL);

	if (m->ndiscards > 0 && m->ndiscards >= m->taken) {
		log_info("%s: discarded: every recipient refused", m->qid);
		return SMFIS_DISCARD;
	}
	for (size_t i = 0; i < m->ndiscards; i++)
		if (smfi_delrcpt(ctx, m->discards[i]) != MI_SUCCESS)
			log_warnx("%s: cannot discard a recipient", m->qid);
	if (m->hold && smfi_quarantine(ctx, m->hold_reason) != MI_SUCCESS)
		log_warnx("%s: cannot hold the message", m->qid);
	mark(ctx, c);
	if (m->ncounts == 0)
		return SMFIS_CONTINUE;
	for (size_t i = 0; i < m->ncounts; i++)
		m->counts[i].when = now;
	counter_add(c->snap->config->database, m->counts, m->ncounts);
	return SMFIS_CONTINUE;
}
