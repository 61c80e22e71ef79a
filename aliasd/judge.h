/*
 * judge.h: one recipient of mail from outside, judged for any of
 * aliasd's front ends (the milter, the policy service, the socketmap):
 * the harvest guard, a store handle, the gate (db/gate.c), one log line.
 * What each front end then says is its own: a milter reply, an action=
 * line, a map value; the decision is this one.
 */
#ifndef ALIASD_JUDGE_H
#define ALIASD_JUDGE_H

#include <stdbool.h>

#include "aliasd/harvest.h"
#include "common/config.h"
#include "db/gate.h"

enum judge_outcome {
	JUDGE_NOT_OURS, /* outside the managed domains, passthrough */
	JUDGE_ACCEPT, /* deliver; d says expected, count it */
	JUDGE_UNCHECKED, /* store unreadable, on_error = accept */
	JUDGE_REJECT, /* 550: d->code, d->dsn, reply text */
	JUDGE_TEMPFAIL, /* on-refuse tempfail: 450 4.2.1 */
	JUDGE_DISCARD, /* on-refuse discard */
	JUDGE_HOLD, /* on-refuse hold */
	JUDGE_HARVEST, /* blocked client: 451 4.7.1 */
	JUDGE_UNAVAILABLE /* store unreadable: 451 4.3.0 */
};

#define HARVEST_REPLY "Try again later"
#define STORE_REPLY "Temporary failure: try again later"

struct judge_input {
	const struct config *cfg;
	const char *rcpt; /* as the client or the MTA gave it */
	const char *sender; /* normalized; "" for <> or unparsable */
	bool null_sender;
	bool no_sender; /* a map lookup: no sender known */
	/* The harvest guard's key, NULL when it does not apply (trusted,
	 * exempt, off, or no client known). */
	const struct harvest_key *harvest;
	/* Counts not yet in the store (the milter's queue), or NULL. */
	int64_t (*pending)(int64_t id);
	const char *qid; /* for the log: queue id or "-" */
	const char *client; /* for the log */
};

struct judgement {
	enum judge_outcome outcome;
	/* The address judged: normalized, or as shown for a malformed one
	 * (no brackets); "" when not ours. */
	char addr[ADDRESS_MAX];
	struct gate_decision d;
};

void judge(const struct judge_input *, struct judgement *);

/* Whether the harvest guard applies to this client (on, and the client
 * neither trusted nor exempt); if so, its key. */
bool judge_guard(const struct config *, const struct harvest_client *,
    struct harvest_key *);

/* "<addr>: Recipient address rejected: REASON" of a refusal, clean
 * text, for the milter (which writes the whole reply). */
void judge_reply_text(const struct judgement *, char *buf, size_t len);

#endif
