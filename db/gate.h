/*
 * gate.h: the decision at RCPT for mail from outside: SPEC's inbound
 * table and its section "The gate".  One function for every front end
 * that answers it: the milter, the policy service, the socketmap and
 * `aliasctl check`, so that all of them say the same thing.
 *
 * What is not the gate's: whether the client is trusted (outbound mail
 * is not checked) and the harvest guard, which need the connection; the
 * front end decides those first.
 */
#ifndef ALIASD_GATE_H
#define ALIASD_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/config.h"
#include "db/store.h"

#define LOCKED_REASON "This address does not take mail from you"
#define GATE_HEADER_MAX (2 * ADDRESS_MAX + 64) /* an X-Aliasd value */

/* What a RCPT argument is to us, before any lookup. */
enum gate_form {
	GATE_FORM_NONE, /* not ours: other domain, passthrough, <>,
				 * no domain */
	GATE_FORM_MANAGED, /* an address in a managed domain */
	GATE_FORM_MALFORMED /* garbage naming a managed domain */
};

/* Sort one RCPT argument.  addr gets the normalized address (MANAGED),
 * or the argument as shown in a reply, without brackets (MALFORMED), or
 * "" (NONE). */
enum gate_form gate_form(const struct config *, const char *arg, char *addr,
    size_t addrlen);

struct gate_query {
	const char *recipient; /* normalized local@domain */
	const char *sender; /* normalized envelope sender, "" when it
				 * is <> or did not parse */
	bool null_sender;
	/* No sender at all (a socketmap lookup): what needs the sender,
	 * the lock and expected or not, is not judged. */
	bool no_sender;
	time_t now;
	/* Accepted messages not in the store yet (aliasd counts in
	 * batches), so that max-mails holds between two writes; NULL when
	 * there are none. */
	int64_t (*pending)(int64_t id);
	/* Called with true before and false after the store is read
	 * again with pending(), so that a batch being written is counted
	 * once; NULL when pending is. */
	void (*hold)(bool on);
};

enum gate_verdict {
	GATE_ACCEPT, /* deliver */
	GATE_REFUSE, /* refused by rule: apply action */
	GATE_UNAVAILABLE /* the store could not answer: error */
};

struct gate_decision {
	enum gate_verdict verdict;
	/* GATE_REFUSE */
	enum refuse_action action;
	const char *why; /* unknown, retired, expired, locked */
	const char *code; /* "550" or "450" (reject/tempfail) */
	const char *dsn; /* "5.1.1", "5.7.1" or "4.2.1" */
	char reason[REASON_MAX]; /* after "Recipient address rejected: " */
	/* GATE_ACCEPT, and GATE_REFUSE of a known address */
	bool found;
	struct store_address address;
	bool expected; /* false: a leak sighting */
	bool learn; /* a named address's first sender */
	char sender_regdom[DOMAIN_MAX + 1];
	/* GATE_UNAVAILABLE */
	char error[512];
};

/* Decide one recipient in a managed domain (gate_form said MANAGED). */
void gate_decide(struct store *, const struct gate_query *,
    struct gate_decision *);

/* The refusal for an address that cannot be ours (MALFORMED). */
void gate_malformed(struct gate_decision *);

/* The reply text of a refusal, clean text: "<addr>: Recipient address
 * rejected: REASON". */
void gate_reply_text(const struct gate_decision *, const char *addr, char *buf,
    size_t len);

/* The value of the X-Aliasd header for an accepted address. */
void gate_header(const struct gate_decision *, char *buf, size_t len);

/* Fill a count for an accepted message (the gate's findings). */
void gate_count(const struct gate_decision *, const char *sender,
    bool null_sender, struct store_count *);

#endif
