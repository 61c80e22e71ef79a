/*
 * nullmilter: the cost of the milter protocol itself, for make bench.
 *
 * The same callbacks, actions, skipped protocol steps and macro lists as
 * aliasd (aliasd/milter.c), each returning SMFIS_CONTINUE and changing
 * nothing: whatever aliasd costs beyond this is its own work.
 *
 * usage: nullmilter -s SOCKET    (unix:/path or inet:PORT@HOST)
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	unsigned long want = SMFIF_CHGHDRS | SMFIF_ADDHDRS | SMFIF_CHGFROM;
	unsigned long skip = SMFIP_NOHELO | SMFIP_NOBODY | SMFIP_NOUNKNOWN;

	(void)f2;
	(void)f3;
	if ((f0 & want) != want)
		return SMFIS_REJECT;
	*pf0 = want | (f0 & SMFIF_SETSYMLIST);
	*pf1 = f1 & skip;
	*pf2 = 0;
	*pf3 = 0;
	if ((f0 & SMFIF_SETSYMLIST) == 0)
		return SMFIS_CONTINUE;
	smfi_setsymlist(ctx, SMFIM_CONNECT, "{daemon_name} {client_addr}");
	smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen} {daemon_name} "
	    "{mail_addr}");
	smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i {rcpt_addr}");
	smfi_setsymlist(ctx, SMFIM_EOM, "i");
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	(void)ctx;
	(void)hostname;
	(void)hostaddr;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_args(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_ctx(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = "nullmilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_CHGHDRS | SMFIF_ADDHDRS | SMFIF_CHGFROM |
	    SMFIF_SETSYMLIST,
	.xxfi_connect = mlfi_connect,	/* as aliasd: connection context */
	.xxfi_helo = NULL,
	.xxfi_envfrom = mlfi_args,	/* as aliasd: message context */
	.xxfi_envrcpt = mlfi_args,	/* as aliasd: the decision */
	.xxfi_header = mlfi_header,	/* as aliasd: outbound headers */
	.xxfi_eoh = NULL,
	.xxfi_body = NULL,
	.xxfi_eom = mlfi_ctx,		/* as aliasd: rewrite or count */
	.xxfi_abort = mlfi_ctx,		/* as aliasd: reset */
	.xxfi_close = mlfi_ctx,		/* as aliasd: free */
	.xxfi_unknown = NULL,
	.xxfi_data = NULL,
	.xxfi_negotiate = mlfi_negotiate,	/* the same steps and macros */
};

int
main(int argc, char **argv)
{
	const char *sock = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "s:")) != -1) {
		if (ch == 's')
			sock = optarg;
		else
			sock = NULL, optind = argc + 1;
	}
	if (sock == NULL || optind != argc) {
		fprintf(stderr, "usage: nullmilter -s socket\n");
		return EX_USAGE;
	}
	/* Any local user (Postfix's smtpd) may connect: a bench only. */
	umask(0);
	if (smfi_setconn((char *)sock) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS ||
	    smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: cannot open %s\n", sock);
		return EX_UNAVAILABLE;
	}
	return smfi_main() == MI_SUCCESS ? 0 : EX_SOFTWARE;
}
