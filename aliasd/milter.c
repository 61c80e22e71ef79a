/*
 * milter.c: the libmilter callbacks.  Inbound recipients are decided in
 * envrcpt (inbound.c); the owner's outbound mail is rewritten at end of
 * message (outbound.c).  Called by libmilter's worker threads, one
 * connection at a time per context.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliasd/inbound.h"
#include "aliasd/message.h"
#include "aliasd/milter.h"
#include "aliasd/negotiate.h"
#include "aliasd/outbound.h"
#include "common/log.h"
#include "common/smtpaddr.h"

#define CONN(ctx) ((struct conn *)smfi_getpriv(ctx))

static const char *
macro(SMFICTX *ctx, const char *name)
{
	const char *v = smfi_getsymval(ctx, (char *)name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static bool
trusted_address(const struct config *cfg, const struct sockaddr *sa)
{
	if (sa == NULL)
		return true; /* local submission: sendmail -bs, pickup */
	if (sa->sa_family == AF_INET)
		return config_is_trusted(cfg, AF_INET,
		    &((const struct sockaddr_in *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return config_is_trusted(cfg, AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr);
	return sa->sa_family == AF_UNIX;
}

static sfsistat
mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct conn *c;
	const char *addr;

	if ((c = conn_new()) == NULL || (c->snap = snapshot_get()) == NULL) {
		log_warnx("connect: out of memory");
		conn_free(c);
		return SMFIS_TEMPFAIL;
	}
	smfi_setpriv(ctx, c);
	c->trusted = trusted_address(c->snap->config, hostaddr);
	inbound_client(ctx, c, hostaddr);
	addr = macro(ctx, "{client_addr}");
	snprintf(c->client, sizeof(c->client), "%s[%s]",
	    hostname != NULL ? hostname : "unknown", addr != NULL ? addr : "");
	return SMFIS_CONTINUE;
}

static bool
is_outbound(SMFICTX *ctx, const struct conn *c)
{
	const char *daemon = macro(ctx, "{daemon_name}");
	const char *want = c->snap->config->outbound_daemon_name;

	if (c->trusted || macro(ctx, "{auth_authen}") != NULL)
		return true;
	return daemon != NULL && want != NULL && want[0] != '\0' &&
	    strcmp(daemon, want) == 0;
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = CONN(ctx);
	const char *qid, *from;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	msg_reset(&c->msg);
	if ((qid = macro(ctx, "i")) != NULL)
		snprintf(c->msg.qid, sizeof(c->msg.qid), "%s", qid);
	c->msg.outbound = is_outbound(ctx, c);
	from = macro(ctx, "{mail_addr}");
	if (from == NULL)
		from = argv[0] != NULL ? argv[0] : "<>";
	switch (smtpaddr_parse(from, c->msg.sender, sizeof(c->msg.sender))) {
	case SMTPADDR_OK:
		break;
	case SMTPADDR_NULL:
		c->msg.null_sender = true;
		break;
	default:
		c->msg.sender[0] = '\0';
		snprintf(c->msg.raw_sender, sizeof(c->msg.raw_sender), "%s",
		    from);
	}
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = CONN(ctx);
	const char *arg, *qid;
	char addr[ADDRESS_MAX];

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	/* Postfix assigns the queue id only once a recipient is taken. */
	if (strcmp(c->msg.qid, "NOQUEUE") == 0 && (qid = macro(ctx, "i")))
		snprintf(c->msg.qid, sizeof(c->msg.qid), "%s", qid);
	arg = argv[0] != NULL ? argv[0] : "";
	if (!c->msg.outbound)
		return inbound_rcpt(ctx, c, arg, macro(ctx, "{rcpt_addr}"));
	/* Every recipient counts for the policy: one that does not parse
	 * matches nobody, which leads to the default, never to another
	 * recipient's own address. */
	if (smtpaddr_parse(arg, addr, sizeof(addr)) != SMTPADDR_OK)
		snprintf(addr, sizeof(addr), "%s", arg);
	if (msg_add_rcpt(&c->msg, addr) == -1)
		c->msg.broken = true;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = CONN(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (!c->msg.outbound)
		inbound_header(c, name);
	else if (header_list_add(&c->msg.headers, name, value) == -1)
		c->msg.broken = true;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct conn *c = CONN(ctx);
	const char *qid;
	sfsistat rc = SMFIS_CONTINUE;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if ((qid = macro(ctx, "i")) != NULL)
		snprintf(c->msg.qid, sizeof(c->msg.qid), "%s", qid);
	if (c->msg.outbound)
		rc = outbound_eom(ctx, c);
	else
		rc = inbound_eom(ctx, c);
	msg_reset(&c->msg);
	return rc;
}

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct conn *c = CONN(ctx);

	if (c != NULL)
		msg_reset(&c->msg);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
	conn_free(CONN(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
	.xxfi_name = "aliasd",
	.xxfi_version = SMFI_VERSION,
	/* Headers, the envelope sender, recipients (discard), hold. */
	.xxfi_flags = NEGOTIATE_ACTIONS,
	.xxfi_connect = mlfi_connect, /* connection context, trust */
	.xxfi_helo = NULL, /* not needed */
	.xxfi_envfrom = mlfi_envfrom, /* message context, direction */
	.xxfi_envrcpt = mlfi_envrcpt, /* inbound: accept or refuse */
	.xxfi_header = mlfi_header, /* outbound: collect; in: X-Aliasd */
	.xxfi_eoh = NULL, /* not needed */
	.xxfi_body = NULL, /* the body is never looked at */
	.xxfi_eom = mlfi_eom, /* out: rewrite; in: gate, count */
	.xxfi_abort = mlfi_abort, /* message context reset */
	.xxfi_close = mlfi_close, /* connection context freed */
	.xxfi_unknown = NULL,
	.xxfi_data = NULL,
	.xxfi_negotiate = negotiate, /* actions, steps, macros */
};
