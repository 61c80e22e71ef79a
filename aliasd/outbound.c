/*
 * outbound.c: the outbound plan applied through libmilter: header
 * changes and the envelope sender.
 *
 * The decisions are rewriter/plan.c's, shared with alias-sendmail and
 * aliasctl for; this file only applies them.  Fail closed: if the plan
 * cannot be made, or would leave the owner's address in the message, the
 * message is tempfailed (it stays in the sender's queue), never sent out
 * naming the owner.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aliasd/outbound.h"
#include "aliasd/pool.h"
#include "common/log.h"
#include "rewriter/plan.h"
#include "rewriter/store_source.h"

static sfsistat
tempfail(SMFICTX *ctx, struct conn *c, const char *why)
{
	log_warnx("%s: tempfail outbound: %s", c->msg.qid, why);
	smfi_setreply(ctx, "451", "4.3.0",
	    "Temporary failure: try again "
	    "later");
	return SMFIS_TEMPFAIL;
}

static int
apply(SMFICTX *ctx, const struct header_changes *ch)
{
	for (size_t i = 0; i < ch->count; i++) {
		const struct header_change *x = &ch->items[i];
		int rc;

		if (x->op == HEADER_ADD)
			rc = smfi_addheader(ctx, x->name, x->value);
		else
			rc = smfi_chgheader(ctx, x->name, x->index,
			    x->op == HEADER_DELETE ? NULL : x->value);
		if (rc != MI_SUCCESS)
			return -1;
	}
	return 0;
}

/* The plan's envelope sender, if it changes the one given. */
static int
set_sender(SMFICTX *ctx, const struct plan *p)
{
	char arg[ADDRESS_MAX + 2];

	if (p->sender[0] == '\0')
		return 0;
	snprintf(arg, sizeof(arg), "<%s>", p->sender);
	return smfi_chgfrom(ctx, arg, NULL) == MI_SUCCESS ? 0 : -1;
}

/* SPEC's leak guard reply; the field name is the message's, so it is
 * made printable and its '%' harmless for smfi_setreply(). */
static sfsistat
leak(SMFICTX *ctx, struct conn *c, const char *field)
{
	char text[200], shown[100];
	const char *f;
	size_t n = 0;

	for (f = field; *f != '\0' && n + 1 < sizeof(shown); f++)
		if (*f != '%' && (unsigned char)*f >= 0x20 &&
		    (unsigned char)*f < 0x7f)
			shown[n++] = *f;
	shown[n] = '\0';
	snprintf(text, sizeof(text),
	    "Message names the owner's address in "
	    "%s; not sent",
	    shown);
	log_warnx("%s: tempfail outbound: the owner's address would leave "
		  "in %s (on_leak = send turns this guard off)",
	    c->msg.qid, shown);
	smfi_setreply(ctx, "451", "4.7.0", text);
	return SMFIS_TEMPFAIL;
}

/* The plan for this message; the store handle is held only for it. */
static enum plan_status
plan(struct conn *c, struct plan *p, char *err, size_t errlen)
{
	const struct config *cfg = c->snap->config;
	struct pool_handle *h;
	struct store_source src;
	struct policy_source ps;
	struct plan_request req;
	enum plan_status st;

	memset(p, 0, sizeof(*p));
	header_changes_init(&p->changes);
	if ((h = pool_get(cfg->database, err, errlen)) == NULL)
		return PLAN_ERROR;
	store_source_init(&src, h->store, time(NULL), &ps);
	if (cfg->auto_create && cfg->ndomains > 0)
		store_source_creates(&src, &ps, c->snap->template,
		    cfg->domains[0]);
	plan_request_from_config(cfg, &req);
	req.src = &ps;
	req.rcpts = (const char *const *)c->msg.rcpts;
	req.nrcpts = c->msg.nrcpts;
	req.headers = &c->msg.headers;
	if (c->msg.null_sender)
		req.sender = "";
	else if (c->msg.sender[0] != '\0')
		req.sender = c->msg.sender;
	else
		req.sender = c->msg.raw_sender;
	req.may_create = true;
	st = plan_make(&req, p, err, errlen);
	if (st == PLAN_ERROR && strlen(err) + 3 < errlen)
		snprintf(err + strlen(err), errlen - strlen(err), ": %s",
		    store_error(h->store));
	pool_put(h, st == PLAN_ERROR);
	if (p->created)
		log_info("%s: new address for a new correspondent: %s",
		    c->msg.qid, p->address);
	return st;
}

sfsistat
outbound_eom(SMFICTX *ctx, struct conn *c)
{
	struct plan p;
	enum plan_status st;
	char err[512];
	sfsistat result = SMFIS_CONTINUE;

	if (c->msg.broken)
		return tempfail(ctx, c, "out of memory");
	err[0] = '\0';
	st = plan(c, &p, err, sizeof(err));
	if (st == PLAN_NOT_OWNER) {
		log_debug("%s: outbound, not the owner's mail: untouched",
		    c->msg.qid);
	} else if (st == PLAN_ERROR) {
		result = tempfail(ctx, c, err);
	} else if (st == PLAN_LEAK) {
		result = leak(ctx, c, p.leak_field);
	} else if (apply(ctx, &p.changes) == -1 || set_sender(ctx, &p) == -1) {
		result = tempfail(ctx, c, "the MTA refused a change");
	} else {
		log_info("%s: outbound rewritten from=<%s> changes=%zu",
		    c->msg.qid, p.address[0] != '\0' ? p.address : "(none)",
		    p.changes.count);
	}
	plan_free(&p);
	return result;
}
