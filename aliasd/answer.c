/*
 * answer.c: the fast path's answers.  The decision is judge()'s, the
 * same as the milter's; only the words differ:
 *
 *   milter               policy service          socketmap access / virtuser
 *   accept               DUNNO                   OK DUNNO / OK owner
 *   550 5.x.x text       550 5.x.x REASON        OK 550 5.x.x REASON /
 *                                                OK error:nouser REASON
 *   450 4.2.1            450 4.2.1 REASON        OK 450 4.2.1 REASON /
 *                                                OK error:4.2.1:450 REASON
 *   discard, hold        DISCARD, HOLD REASON    OK DISCARD, HOLD REASON /
 *                                                as 550 (a virtusertable
 *                                                can neither)
 *   451 4.7.1            451 4.7.1 Try again     (no client: no guard)
 *   451 4.3.0            451 4.3.0 ...           TEMP
 *
 * Postfix adds "<addr>: Recipient address rejected: " before a policy or
 * access table's text itself.  The socketmap knows no sender, so a lock
 * is not judged there (the milter or the policy service judges it).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aliasd/answer.h"
#include "aliasd/counter.h"
#include "aliasd/judge.h"
#include "common/address.h"
#include "common/log.h"
#include "common/smtpaddr.h"

static void
put(char *out, size_t outlen, const char *a, const char *b)
{
	char clean[ANSWER_MAX];

	/* The reason comes from the store: one clean line, always. */
	address_clean_text(b, clean, sizeof(clean));
	snprintf(out, outlen, "%s%s", a, clean);
}

/* A refusal's "CODE DSN REASON". */
static void
refusal(const struct judgement *j, char *out, size_t outlen)
{
	char head[32];

	snprintf(head, sizeof(head), "%s %s ", j->d.code, j->d.dsn);
	put(out, outlen, head, j->d.reason);
}

/* Accepted through the policy service: counted at RCPT, as no end of
 * message is seen (a message refused later still counts). */
static void
count(const struct config *cfg, const struct judgement *j, const char *sender,
    bool null_sender)
{
	struct store_count n;

	gate_count(&j->d, sender, null_sender, &n);
	n.when = time(NULL);
	counter_add(cfg->database, &n, 1);
}

void
answer_policy(const struct config *cfg, const struct policy_request *r,
    char *out, size_t outlen)
{
	struct harvest_client hc;
	struct harvest_key key;
	struct judge_input in;
	struct judgement j;
	char sender[ADDRESS_MAX];
	bool null_sender = false, guarded = false;

	if (strcmp(r->request, "smtpd_access_policy") != 0 ||
	    (strcmp(r->protocol_state, "RCPT") == 0 && !r->has_recipient)) {
		char req[64], state[64];

		log_warnx("policy: bad request (request=%s, "
			  "protocol_state=%s%s): answered DEFER_IF_PERMIT",
		    address_clean_text(r->request, req, sizeof(req)),
		    address_clean_text(r->protocol_state, state,
			sizeof(state)),
		    r->has_recipient ? "" : ", no recipient");
		snprintf(out, outlen, "%s", POLICY_BAD_ACTION);
		return;
	}
	snprintf(out, outlen, "DUNNO");
	if (strcmp(r->protocol_state, "RCPT") != 0)
		return;
	memset(&hc, 0, sizeof(hc));
	if (harvest_client_parse(r->client_address, &hc) == 0) {
		/* Outbound (a trusted client): recipients are not checked. */
		if (config_is_trusted(cfg, hc.family, hc.addr))
			return;
		guarded = judge_guard(cfg, &hc, &key);
	}
	if (r->sasl_username[0] != '\0')
		return;
	switch (r->sender[0] == '\0' ?
		SMTPADDR_NULL :
		smtpaddr_parse(r->sender, sender, sizeof(sender))) {
	case SMTPADDR_OK:
		break;
	case SMTPADDR_NULL:
		null_sender = true;
		/* FALLTHROUGH */
	default:
		sender[0] = '\0';
	}
	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.rcpt = r->recipient;
	in.sender = sender;
	in.null_sender = null_sender;
	in.harvest = guarded ? &key : NULL;
	in.pending = counter_pending;
	in.qid = r->instance[0] != '\0' ? r->instance : "NOQUEUE";
	in.client = r->client_address[0] != '\0' ? r->client_address :
						   "unknown";
	judge(&in, &j);
	switch (j.outcome) {
	case JUDGE_NOT_OURS:
	case JUDGE_UNCHECKED:
		break;
	case JUDGE_ACCEPT:
		count(cfg, &j, sender, null_sender);
		break;
	case JUDGE_REJECT:
	case JUDGE_TEMPFAIL:
		refusal(&j, out, outlen);
		break;
	case JUDGE_DISCARD:
		put(out, outlen, "DISCARD ", j.d.reason);
		break;
	case JUDGE_HOLD:
		put(out, outlen, "HOLD ", j.d.reason);
		break;
	case JUDGE_HARVEST:
		snprintf(out, outlen, "451 4.7.1 %s", HARVEST_REPLY);
		break;
	case JUDGE_UNAVAILABLE:
		snprintf(out, outlen, "451 4.3.0 %s", STORE_REPLY);
		break;
	}
}

/* An access table's refusal: "OK CODE DSN REASON". */
static void
access_refusal(const struct judgement *j, char *out, size_t outlen)
{
	char head[32];

	snprintf(head, sizeof(head), "OK %s %s ", j->d.code, j->d.dsn);
	put(out, outlen, head, j->d.reason);
}

/* A key sendmail or Postfix tries after the address itself: "@domain",
 * "domain", "user@", "user+detail@domain" is tried as it is. */
static bool
is_address_key(const char *key)
{
	const char *at = strrchr(key, '@');

	return at != NULL && at != key && at[1] != '\0';
}

void
answer_socketmap(const struct config *cfg, const char *name, const char *key,
    char *out, size_t outlen)
{
	struct judge_input in;
	struct judgement j;
	bool virtuser;

	if (strcmp(name, "virtuser") == 0)
		virtuser = true;
	else if (strcmp(name, "access") == 0)
		virtuser = false;
	else {
		log_warnx("socketmap: unknown map: answered PERM");
		snprintf(out, outlen,
		    "PERM unknown map: use virtuser or "
		    "access");
		return;
	}
	snprintf(out, outlen, "NOTFOUND ");
	if (!is_address_key(key))
		return;
	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.rcpt = key;
	in.sender = "";
	in.no_sender = true;
	in.pending = counter_pending;
	in.qid = "socketmap";
	in.client = "-";
	judge(&in, &j);
	switch (j.outcome) {
	case JUDGE_NOT_OURS:
		break;
	case JUDGE_ACCEPT:
	case JUDGE_UNCHECKED:
		if (!virtuser)
			snprintf(out, outlen, "OK DUNNO");
		else if (cfg->owner != NULL)
			put(out, outlen, "OK ", cfg->owner);
		else {
			log_warnx("socketmap: no owner in the configuration: "
				  "answered TEMP");
			snprintf(out, outlen, "TEMP no owner configured");
		}
		break;
	case JUDGE_TEMPFAIL:
		if (virtuser)
			put(out, outlen, "OK error:4.2.1:450 ", j.d.reason);
		else
			access_refusal(&j, out, outlen);
		break;
	case JUDGE_DISCARD:
	case JUDGE_HOLD:
		if (!virtuser) {
			put(out, outlen,
			    j.outcome == JUDGE_DISCARD ? "OK DISCARD " :
							 "OK HOLD ",
			    j.d.reason);
			break;
		}
		/* FALLTHROUGH */
	case JUDGE_REJECT:
		if (virtuser)
			put(out, outlen, "OK error:nouser ", j.d.reason);
		else
			access_refusal(&j, out, outlen);
		break;
	case JUDGE_HARVEST:
	case JUDGE_UNAVAILABLE:
		snprintf(out, outlen, "TEMP the store cannot be read");
		break;
	}
}
