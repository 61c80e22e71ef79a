/*
 * outbound.c: choose the address from the envelope recipients, rewrite
 * From, Reply-To and Sender, and set the envelope sender.
 *
 * Fail closed: if the address cannot be chosen or the headers cannot be
 * rewritten, the message is tempfailed (it stays in the sender's queue),
 * never sent out from the owner's real address.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aliasd/outbound.h"
#include "aliasd/pool.h"
#include "common/log.h"
#include "db/source.h"
#include "rewriter/policy.h"

static sfsistat
tempfail(SMFICTX *ctx, struct conn *c, const char *why)
{
	log_warnx("%s: tempfail outbound: %s", c->msg.qid, why);
	smfi_setreply(ctx, "451", "4.3.0", "Temporary failure: try again "
	    "later");
	return SMFIS_TEMPFAIL;
}

/* With auto_create, one recipient nobody has an address for gets one. */
static int
create_for(struct conn *c, struct store *s, const char *correspondent,
    char *out, size_t outlen)
{
	const struct config *cfg = c->snap->config;
	struct store_address a;

	if (store_create(s, c->snap->template, NULL, cfg->domains[0],
	    correspondent, 0, NULL, time(NULL), &a) != STORE_OK)
		return -1;
	log_info("%s: new address for a new correspondent: %s", c->msg.qid,
	    a.address);
	snprintf(out, outlen, "%s", a.address);
	return 0;
}

/* The address for this message ("" for none); -1 on a store error. */
static int
choose(struct conn *c, char *out, size_t outlen, char *err, size_t errlen)
{
	struct pool_handle *h;
	struct store_source src;
	struct policy_source ps;
	struct policy_result res;
	int rc;

	if ((h = pool_get(c->snap->config->database, err, errlen)) == NULL)
		return -1;
	store_source_init(&src, h->store, time(NULL), &ps);
	rc = policy_choose(&ps, (const char *const *)c->msg.rcpts,
	    c->msg.nrcpts, &res, err, errlen);
	if (rc == 0 && res.want_new && c->snap->config->auto_create &&
	    (rc = create_for(c, h->store, res.new_correspondent, res.address,
	    sizeof(res.address))) == -1)
		snprintf(err, errlen, "cannot create an address: %s",
		    store_error(h->store));
	else if (rc == -1)
		snprintf(err + strlen(err), errlen - strlen(err), ": %s",
		    store_error(h->store));
	pool_put(h, rc == -1);
	if (rc == 0)
		snprintf(out, outlen, "%s", res.address);
	return rc;
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

/* The envelope sender: bounce_address, else the chosen address; the
 * null sender stays null. */
static int
set_sender(SMFICTX *ctx, struct conn *c, const char *chosen)
{
	const char *want = c->snap->config->bounce_address;
	char arg[ADDRESS_MAX + 2];

	if (want == NULL)
		want = chosen[0] != '\0' ? chosen : NULL;
	if (want == NULL || c->msg.null_sender ||
	    strcasecmp(want, c->msg.sender) == 0)
		return 0;
	snprintf(arg, sizeof(arg), "<%s>", want);
	return smfi_chgfrom(ctx, arg, NULL) == MI_SUCCESS ? 0 : -1;
}

sfsistat
outbound_eom(SMFICTX *ctx, struct conn *c)
{
	const struct config *cfg = c->snap->config;
	struct rewrite_request req;
	struct header_changes ch;
	enum rewrite_status rs;
	char chosen[ADDRESS_MAX], err[512];
	sfsistat result = SMFIS_CONTINUE;

	if (c->msg.broken)
		return tempfail(ctx, c, "out of memory");
	if (choose(c, chosen, sizeof(chosen), err, sizeof(err)) == -1)
		return tempfail(ctx, c, err);
	req = (struct rewrite_request){
		.address = chosen[0] != '\0' ? chosen : NULL,
		.full_name = cfg->full_name,
		.owner = cfg->owner,
		.domains = (const char *const *)cfg->domains,
		.ndomains = cfg->ndomains,
	};
	header_changes_init(&ch);
	rs = rewrite_headers(&c->msg.headers, &req, &ch, err, sizeof(err));
	if (rs == REWRITE_NOT_OWNER) {
		log_debug("%s: outbound, From is not the owner's: untouched",
		    c->msg.qid);
	} else if (rs == REWRITE_ERROR) {
		result = tempfail(ctx, c, err);
	} else if (apply(ctx, &ch) == -1 || set_sender(ctx, c, chosen) == -1) {
		result = tempfail(ctx, c, "the MTA refused a change");
	} else {
		log_info("%s: outbound rewritten from=<%s> changes=%zu",
		    c->msg.qid, chosen[0] != '\0' ? chosen : "(none)",
		    ch.count);
	}
	header_changes_free(&ch);
	return result;
}
