/*
 * judge.c: one inbound recipient, for every front end.
 *
 * Fail closed: when the store cannot answer, the outcome is
 * JUDGE_UNAVAILABLE (unless on_error = accept); never a refusal for an
 * address we could not look up, never an accept for one we know is
 * retired.  Every 550 in a managed domain is counted by the harvest
 * guard, and a blocked client is answered before any lookup.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aliasd/counter.h"
#include "aliasd/judge.h"
#include "aliasd/pool.h"
#include "common/address.h"
#include "common/log.h"

static bool
blocked(const struct judge_input *in)
{
	return in->harvest != NULL && harvest_blocked(in->harvest, time(NULL));
}

static void
count_refusal(const struct judge_input *in)
{
	const struct config *cfg = in->cfg;

	/* Logged once, naming the client and none of its guesses. */
	if (in->harvest != NULL &&
	    harvest_refused(in->harvest, time(NULL), cfg->harvest_limit,
		(time_t)cfg->harvest_window))
		log_info(
		    "%s: harvest guard: client=%s blocked for %ld s after "
		    "%u refused recipients",
		    in->qid, in->client, cfg->harvest_window,
		    cfg->harvest_limit);
}

/* The outcome of a refusal by rule, and its log line. */
static void
refused(const struct judge_input *in, struct judgement *j)
{
	static const char *const verbs[] = {
		[REFUSE_REJECT] = "reject",
		[REFUSE_DISCARD] = "discard",
		[REFUSE_HOLD] = "hold",
		[REFUSE_TEMPFAIL] = "tempfail",
	};
	char shown[ADDRESS_MAX];

	switch (j->d.action) {
	case REFUSE_REJECT:
		j->outcome = JUDGE_REJECT;
		break;
	case REFUSE_DISCARD:
		j->outcome = JUDGE_DISCARD;
		break;
	case REFUSE_HOLD:
		j->outcome = JUDGE_HOLD;
		break;
	case REFUSE_TEMPFAIL:
		j->outcome = JUDGE_TEMPFAIL;
		break;
	}
	log_info("%s: %s rcpt=<%s> reason=%s client=%s", in->qid,
	    verbs[j->d.action],
	    address_clean_text(j->addr, shown, sizeof(shown)), j->d.why,
	    in->client);
	if (j->outcome == JUDGE_REJECT)
		count_refusal(in);
}

static void
unavailable(const struct judge_input *in, struct judgement *j, const char *err)
{
	if (in->cfg->on_error == ON_ERROR_ACCEPT) {
		log_warnx("%s: store unreadable, accepting rcpt=<%s> "
			  "(on_error = accept): %s",
		    in->qid, j->addr, err);
		j->outcome = JUDGE_UNCHECKED;
		return;
	}
	log_warnx("%s: tempfail rcpt=<%s>: %s", in->qid, j->addr, err);
	j->outcome = JUDGE_UNAVAILABLE;
}

static void
harvest_blocked_log(const struct judge_input *in, struct judgement *j)
{
	log_debug("%s: tempfail client=%s reason=harvest", in->qid,
	    in->client);
	j->outcome = JUDGE_HARVEST;
}

void
judge(const struct judge_input *in, struct judgement *j)
{
	struct pool_handle *h;
	struct gate_query q;
	char err[512];

	memset(j, 0, sizeof(*j));
	switch (gate_form(in->cfg, in->rcpt, j->addr, sizeof(j->addr))) {
	case GATE_FORM_NONE:
		j->outcome = JUDGE_NOT_OURS;
		return;
	case GATE_FORM_MALFORMED:
		if (blocked(in)) {
			harvest_blocked_log(in, j);
			return;
		}
		gate_malformed(&j->d);
		refused(in, j);
		return;
	case GATE_FORM_MANAGED:
		break;
	}
	/* Before the store: a blocked client costs no lookup. */
	if (blocked(in)) {
		harvest_blocked_log(in, j);
		return;
	}
	if ((h = pool_get(in->cfg->database, err, sizeof(err))) == NULL) {
		unavailable(in, j, err);
		return;
	}
	memset(&q, 0, sizeof(q));
	q.recipient = j->addr;
	q.sender = in->sender;
	q.null_sender = in->null_sender;
	q.no_sender = in->no_sender;
	q.now = time(NULL);
	q.pending = in->pending;
	q.hold = in->pending != NULL ? counter_hold : NULL;
	gate_decide(h->store, &q, &j->d);
	pool_put(h, j->d.verdict == GATE_UNAVAILABLE);
	switch (j->d.verdict) {
	case GATE_UNAVAILABLE:
		unavailable(in, j, j->d.error);
		return;
	case GATE_REFUSE:
		refused(in, j);
		return;
	case GATE_ACCEPT:
		break;
	}
	log_debug("%s: accept rcpt=<%s> sender=%s", in->qid, j->addr,
	    in->no_sender     ? "unknown" :
		j->d.expected ? "expected" :
				"unexpected");
	j->outcome = JUDGE_ACCEPT;
}

bool
judge_guard(const struct config *cfg, const struct harvest_client *hc,
    struct harvest_key *key)
{
	if (cfg->harvest_limit == 0 ||
	    config_is_trusted(cfg, hc->family, hc->addr) ||
	    config_is_harvest_exempt(cfg, hc->family, hc->addr))
		return false;
	harvest_key_from(hc->family, hc->addr, key);
	return true;
}

void
judge_reply_text(const struct judgement *j, char *buf, size_t len)
{
	gate_reply_text(&j->d, j->addr, buf, len);
}
