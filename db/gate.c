/*
 * gate.c: who may write to an address (SPEC "The gate").
 *
 * The order of the questions is the order of SPEC's tables: is it ours,
 * does it exist, is it retired, has it expired, does its lock let this
 * sender in.  An accepted message is then expected or a leak sighting.
 * Organisations are compared by registered domain (common/regdom.c) and
 * nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "common/address.h"
#include "common/regdom.h"
#include "common/smtpaddr.h"
#include "db/gate.h"

enum gate_form
gate_form(const struct config *cfg, const char *arg, char *addr,
    size_t addrlen)
{
	char local[LOCAL_MAX + 1], domain[DOMAIN_MAX + 1];

	switch (smtpaddr_parse(arg, addr, addrlen)) {
	case SMTPADDR_OK:
		if (address_split(addr, local, sizeof(local), domain,
			sizeof(domain)) == -1)
			return GATE_FORM_MALFORMED;
		if (!config_is_managed_domain(cfg, domain) ||
		    config_is_passthrough(cfg, local))
			break;
		return GATE_FORM_MANAGED;
	case SMTPADDR_NULL:
	case SMTPADDR_NODOMAIN:
		/* "postmaster" and the like: the MTA's own business. */
		break;
	case SMTPADDR_BAD:
		/* Garbage naming one of our domains is refused, not waved
		 * on; shown without its own brackets (the reply adds
		 * them). */
		if (smtpaddr_guess_domain(arg, domain, sizeof(domain)) == 0 &&
		    config_is_managed_domain(cfg, domain)) {
			while (*arg == '<' || *arg == ' ')
				arg++;
			snprintf(addr, addrlen, "%.200s", arg);
			addr[strcspn(addr, ">")] = '\0';
			return GATE_FORM_MALFORMED;
		}
		break;
	}
	if (addrlen > 0)
		addr[0] = '\0';
	return GATE_FORM_NONE;
}

static void
refuse(struct gate_decision *d, enum refuse_action action, const char *why,
    const char *dsn, const char *reason)
{
	d->verdict = GATE_REFUSE;
	d->action = action;
	d->why = why;
	if (action == REFUSE_TEMPFAIL) {
		d->code = "450";
		d->dsn = "4.2.1";
	} else {
		d->code = "550";
		d->dsn = dsn;
	}
	snprintf(d->reason, sizeof(d->reason), "%s", reason);
}

void
gate_malformed(struct gate_decision *d)
{
	memset(d, 0, sizeof(*d));
	refuse(d, REFUSE_REJECT, "malformed", "5.1.1", "no such user");
}

/* The registered domain of an address's or a correspondent's domain
 * ("@domain" correspondents too); "" when it has none. */
static void
regdom_of_address(const char *address, char *out, size_t outlen)
{
	const char *domain = address_domain(address);

	out[0] = '\0';
	if (domain != NULL && regdom_of(domain, out, outlen) == -1)
		out[0] = '\0';
}

/* The keys the sender is looked for by on an address's allow list: its
 * registered domain and its address, or "<>" for the null sender; NULL
 * for none.  The sender's registered domain is kept in d. */
static void
allow_keys(const struct gate_query *q, struct gate_decision *d,
    const char **key1, const char **key2)
{
	*key1 = *key2 = NULL;
	if (q->no_sender)
		return;
	if (q->null_sender) {
		*key1 = NULL_SENDER_ITEM;
		return;
	}
	if (q->sender[0] == '\0')
		return;
	regdom_of_address(q->sender, d->sender_regdom,
	    sizeof(d->sender_regdom));
	if (d->sender_regdom[0] != '\0')
		*key1 = d->sender_regdom;
	*key2 = q->sender;
}

/* The correspondent's own address (lock sender): the exact address, or
 * for an "@domain" correspondent an address at exactly that domain. */
static bool
is_correspondent(const struct store_address *a, const char *sender)
{
	const char *domain;

	if (sender[0] == '\0' || a->correspondent[0] == '\0')
		return false;
	if (a->correspondent[0] != '@')
		return strcmp(a->correspondent, sender) == 0;
	domain = address_domain(sender);
	return domain != NULL && strcmp(domain, a->correspondent + 1) == 0;
}

/* Expected or not, and whether the lock lets the sender in; on_list:
 * the sender is on the address's allow list. */
static bool
judge_sender(const struct gate_query *q, struct gate_decision *d, bool on_list)
{
	const struct store_address *a = &d->address;
	char corr[DOMAIN_MAX + 1];
	bool checked = false;

	if (a->correspondent[0] == '\0' && !a->learned) {
		/* A named address takes its first real sender as its
		 * correspondent's organisation. */
		d->learn = d->sender_regdom[0] != '\0';
		d->expected = d->learn;
	} else if (a->correspondent[0] != '\0' &&
	    d->sender_regdom[0] != '\0') {
		regdom_of_address(a->correspondent, corr, sizeof(corr));
		d->expected = corr[0] != '\0' &&
		    strcmp(corr, d->sender_regdom) == 0;
	}
	if (!d->expected || a->rules.lock == LOCK_SENDER) {
		checked = true;
		d->expected = d->expected || on_list;
	}
	switch (a->rules.lock) {
	case LOCK_NONE:
		return true;
	case LOCK_DOMAIN:
		return d->expected;
	case LOCK_SENDER:
		return (checked && on_list) ||
		    (!q->null_sender && is_correspondent(a, q->sender)) ||
		    (d->learn && a->correspondent[0] == '\0');
	}
	return false;
}

/*
 * One query reads the address and whether the sender is on its allow
 * list (store_find_gate): one statement, one snapshot, one round trip
 * to a PostgreSQL server.
 */
void
gate_decide(struct store *s, const struct gate_query *q,
    struct gate_decision *d)
{
	char local[LOCAL_MAX + 1], domain[DOMAIN_MAX + 1];
	struct store_address *a = &d->address;
	const char *key1, *key2;
	enum store_status st;
	int64_t pending;
	bool let_in, on_list;

	memset(d, 0, sizeof(*d));
	if (address_split(q->recipient, local, sizeof(local), domain,
		sizeof(domain)) == -1) {
		gate_malformed(d);
		return;
	}
	allow_keys(q, d, &key1, &key2);
	st = store_find_gate(s, local, domain, q->now, key1, key2, a,
	    &on_list);
	if (st == STORE_NOTFOUND) {
		refuse(d, REFUSE_REJECT, "unknown", "5.1.1", "no such user");
		return;
	}
	if (st != STORE_OK)
		goto unavailable;
	d->found = true;
	/* Mail accepted but not yet written counts for max-mails and
	 * idle as if it were: the row is read again, and the counts still
	 * queued, while the writer cannot commit in between. */
	if (a->state == STATE_ACTIVE && q->pending != NULL &&
	    (a->rules.max_mails > 0 || a->rules.idle > 0)) {
		/* Read again after the hold: the first read could miss a
		 * batch the writer committed in between, whose counts are
		 * no longer pending. */
		if (q->hold != NULL)
			q->hold(true);
		st = store_find_gate(s, local, domain, q->now, key1, key2, a,
		    &on_list);
		pending = st == STORE_OK ? q->pending(a->id) : 0;
		if (q->hold != NULL)
			q->hold(false);
		if (st == STORE_NOTFOUND) {
			refuse(d, REFUSE_REJECT, "unknown", "5.1.1",
			    "no such user");
			return;
		}
		if (st != STORE_OK)
			goto unavailable;
		if (a->state == STATE_ACTIVE && pending > 0) {
			a->last_mail = q->now;
			a->messages += pending;
			if ((a->expired_by = store_expiry(a, a->messages,
				 q->now)) != EXPIRY_NONE)
				a->state = STATE_EXPIRED;
		}
	}
	if (a->state == STATE_RETIRED) {
		refuse(d, a->rules.on_refuse, "retired", "5.1.1", a->reason);
		return;
	}
	if (a->state == STATE_EXPIRED) {
		refuse(d, a->rules.on_refuse, "expired", "5.1.1",
		    "address expired");
		return;
	}
	if (q->no_sender) {
		d->expected = true;
		let_in = true;
	} else
		let_in = judge_sender(q, d, on_list);
	if (!let_in) {
		d->learn = false;
		refuse(d, a->rules.on_refuse, "locked", "5.7.1",
		    LOCKED_REASON);
		return;
	}
	d->verdict = GATE_ACCEPT;
	return;
unavailable:
	d->verdict = GATE_UNAVAILABLE;
	snprintf(d->error, sizeof(d->error), "%s", store_error(s));
}

void
gate_reply_text(const struct gate_decision *d, const char *addr, char *buf,
    size_t len)
{
	char raw[REASON_MAX + ADDRESS_MAX + 64];

	/* A reply line holds no control characters and nothing that is
	 * not UTF-8, whatever the store or the client says. */
	snprintf(raw, sizeof(raw), "<%s>: Recipient address rejected: %s",
	    addr, d->reason);
	address_clean_text(raw, buf, len);
}

void
gate_header(const struct gate_decision *d, char *buf, size_t len)
{
	const struct store_address *a = &d->address;
	char corr[ADDRESS_MAX], addr[ADDRESS_MAX];

	address_clean_text(a->address, addr, sizeof(addr));
	address_clean_text(a->correspondent[0] != '\0' ? a->correspondent :
							 "none",
	    corr, sizeof(corr));
	snprintf(buf, len, "address=%s; correspondent=%s; sender=%s", addr,
	    corr, d->expected ? "expected" : "unexpected");
}

void
gate_count(const struct gate_decision *d, const char *sender, bool null_sender,
    struct store_count *n)
{
	const char *domain;

	memset(n, 0, sizeof(*n));
	n->id = d->address.id;
	/* The sender passed smtpaddr_parse(), so its domain is clean text
	 * (address_check_text); a sender that did not is "" and only the
	 * message is counted.  The store checks once more. */
	domain = null_sender ? NULL : address_domain(sender);
	if (domain != NULL)
		snprintf(n->sender_domain, sizeof(n->sender_domain), "%s",
		    domain);
	snprintf(n->sender_regdom, sizeof(n->sender_regdom), "%s",
	    d->sender_regdom);
	n->unexpected = !d->expected;
	n->learn = d->learn;
}
