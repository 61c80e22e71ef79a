/*
 * plan.c: the one outbound plan.  In this order, so that nothing is
 * created or changed before it is known to be needed:
 *
 * 1. Whose mail: only the owner's is planned for (From, or Resent-From,
 *    names the owner or a managed domain; no message at all, as for
 *    aliasctl for, is the owner's client asking).
 * 2. The address: policy_choose(); with auto_create, a single recipient
 *    nobody has an address for gets a new one, and only here, after (1)
 *    and only when the front end may write.
 * 3. The header changes: rewrite_headers().
 * 4. The envelope sender: bounce_address, else the chosen address; the
 *    null sender stays null.
 * 5. The leak guard: if the owner's address would still be in a header
 *    field (or the envelope), the plan says which and nothing is sent.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rewriter/leak.h"
#include "rewriter/mailbox.h"
#include "rewriter/plan.h"

static void
rewrite_request_fill(const struct plan_request *req, const char *chosen,
    struct rewrite_request *rr)
{
	*rr = (struct rewrite_request){
		.address = chosen[0] != '\0' ? chosen : NULL,
		.full_name = req->full_name,
		.owner = req->owner,
		.domains = req->domains,
		.ndomains = req->ndomains,
	};
}

/* Whether addr is the owner's own mailbox or in a managed domain. */
static bool
ours(const struct plan_request *req, const char *given)
{
	char addr[ADDRESS_MAX];
	const char *at;
	size_t n;

	/* an envelope sender may come in its SMTP brackets */
	given += *given == '<';
	n = strcspn(given, ">");
	if (n >= sizeof(addr))
		return false;
	memcpy(addr, given, n);
	addr[n] = '\0';
	at = strrchr(addr, '@');
	if (req->owner != NULL && mailbox_addr_eq(addr, req->owner))
		return true;
	for (size_t i = 0; at != NULL && i < req->ndomains; i++)
		if (mailbox_domain_eq(at + 1, req->domains[i]))
			return true;
	return false;
}

/* A message with no From, Resent-From nor Resent-Sender says nothing of
 * whose it is: the MTA will write one from the envelope sender or the
 * login.  It is the owner's when that sender is (or none is given, as
 * when the owner's client runs alias-sendmail without -f), never
 * because anybody sent it without a From. */
static bool
anonymous(const struct header_list *hl)
{
	return header_list_count(hl, "From") == 0 &&
	    header_list_count(hl, "Resent-From") == 0 &&
	    header_list_count(hl, "Resent-Sender") == 0;
}

/* Step 2: the address, created for a new correspondent where allowed. */
static enum plan_status
choose(const struct plan_request *req, struct plan *p, char *err,
    size_t errlen)
{
	struct policy_result res;
	enum lookup_result r;

	if (policy_choose(req->src, req->rcpts, req->nrcpts, &res, err,
		errlen) == -1)
		return PLAN_ERROR;
	p->how = res.how;
	snprintf(p->address, sizeof(p->address), "%s", res.address);
	/* no address for the owner's own mailbox, nor for one of ours */
	if (!res.want_new || !req->auto_create ||
	    ours(req, res.new_correspondent))
		return PLAN_OK;
	p->want_new = true;
	snprintf(p->new_correspondent, sizeof(p->new_correspondent), "%s",
	    res.new_correspondent);
	if (!req->may_create || req->src->create == NULL) {
		if (req->stand_in != NULL) {
			snprintf(p->address, sizeof(p->address), "%s",
			    req->stand_in);
			p->how = POLICY_CORRESPONDENT;
		}
		return PLAN_OK;
	}
	r = req->src->create(req->src->arg, p->new_correspondent, p->address,
	    sizeof(p->address));
	if (r != LOOKUP_FOUND) {
		p->address[0] = '\0';
		snprintf(err, errlen,
		    "cannot create an address for a new "
		    "correspondent");
		return PLAN_ERROR;
	}
	p->created = true;
	p->how = POLICY_CORRESPONDENT;
	return PLAN_OK;
}

void
plan_request_from_config(const struct config *cfg, struct plan_request *req)
{
	*req = (struct plan_request){
		.owner = cfg->owner,
		.full_name = cfg->full_name,
		.bounce_address = cfg->bounce_address,
		.domains = (const char *const *)cfg->domains,
		.ndomains = cfg->ndomains,
		.auto_create = cfg->auto_create,
		.guard = !cfg->on_leak_send,
	};
}

const char *
plan_envelope_sender(const char *bounce_address, const char *chosen)
{
	if (bounce_address != NULL && bounce_address[0] != '\0')
		return bounce_address;
	if (chosen != NULL && chosen[0] != '\0')
		return chosen;
	return NULL;
}

/* Step 4; the null sender (bounces, receipts) stays null. */
static void
envelope(const struct plan_request *req, struct plan *p)
{
	const char *want;

	if (req->sender != NULL && req->sender[0] == '\0')
		return;
	want = plan_envelope_sender(req->bounce_address, p->address);
	if (want != NULL &&
	    (req->sender == NULL || strcasecmp(want, req->sender) != 0))
		snprintf(p->sender, sizeof(p->sender), "%s", want);
}

/* Step 5. */
static enum plan_status
guard(const struct plan_request *req, const struct rewrite_request *rr,
    struct plan *p, char *err, size_t errlen)
{
	const char *sender;
	int r;

	if (!req->guard || req->owner == NULL)
		return PLAN_OK;
	/* no From and nothing chosen: the MTA would write the owner's */
	if (req->headers != NULL && anonymous(req->headers) &&
	    p->address[0] == '\0') {
		snprintf(p->leak_field, sizeof(p->leak_field), "From");
		return PLAN_LEAK;
	}
	if (req->headers != NULL) {
		r = header_leak_find(req->headers, &p->changes, rr,
		    p->leak_field, sizeof(p->leak_field));
		if (r == -1) {
			snprintf(err, errlen, "out of memory");
			return PLAN_ERROR;
		}
		if (r == 1)
			return PLAN_LEAK;
	}
	sender = p->sender[0] != '\0' ? p->sender : req->sender;
	if (sender == NULL || sender[0] == '\0')
		return PLAN_OK;
	/* any spelling: "Real.Owner"@Owner-Home.test is the owner too */
	if ((r = mailbox_value_shows(sender, req->owner)) == -1) {
		snprintf(err, errlen, "out of memory");
		return PLAN_ERROR;
	}
	if (r == 1) {
		snprintf(p->leak_field, sizeof(p->leak_field), "%s",
		    PLAN_ENVELOPE);
		return PLAN_LEAK;
	}
	return PLAN_OK;
}

enum plan_status
plan_make(const struct plan_request *req, struct plan *p, char *err,
    size_t errlen)
{
	struct rewrite_request rr;
	enum plan_status st;
	int owners = 1;

	memset(p, 0, sizeof(*p));
	header_changes_init(&p->changes);
	rewrite_request_fill(req, "", &rr);
	if (req->headers != NULL &&
	    (owners = header_is_owners(req->headers, &rr)) == -1) {
		snprintf(err, errlen, "out of memory");
		return PLAN_ERROR;
	}
	if (owners == 1 && req->headers != NULL && anonymous(req->headers) &&
	    req->sender != NULL && !ours(req, req->sender))
		owners = 0;
	if (owners == 0)
		return PLAN_NOT_OWNER;
	if ((st = choose(req, p, err, errlen)) != PLAN_OK)
		return st;
	rewrite_request_fill(req, p->address, &rr);
	if (req->headers != NULL) {
		switch (rewrite_headers(req->headers, &rr, &p->changes, err,
		    errlen)) {
		case REWRITE_OK:
			break;
		case REWRITE_NOT_OWNER:
			/* step 1 said it is: the two must agree */
			snprintf(err, errlen,
			    "the rewriter does not take the "
			    "message for the owner's");
			return PLAN_ERROR;
		case REWRITE_ERROR:
			return PLAN_ERROR;
		}
	}
	envelope(req, p);
	return guard(req, &rr, p, err, errlen);
}

void
plan_free(struct plan *p)
{
	if (p != NULL)
		header_changes_free(&p->changes);
}
