/*
 * nullmilter: the cost of the milter protocol itself, for make bench.
 *
 * The same callbacks as aliasd (aliasd/milter.c), each returning
 * SMFIS_CONTINUE and changing nothing, and aliasd's own negotiation
 * (aliasd/negotiate.c): whatever aliasd costs beyond this is its own work.
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

#include "aliasd/negotiate.h"

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
	.xxfi_flags = NEGOTIATE_ACTIONS,
	.xxfi_connect = mlfi_connect, /* as aliasd: connection context */
	.xxfi_helo = NULL,
	.xxfi_envfrom = mlfi_args, /* as aliasd: message context */
	.xxfi_envrcpt = mlfi_args, /* as aliasd: the decision */
	.xxfi_header = mlfi_header, /* as aliasd: outbound headers */
	.xxfi_eoh = NULL,
	.xxfi_body = NULL,
	.xxfi_eom = mlfi_ctx, /* as aliasd: rewrite or count */
	.xxfi_abort = mlfi_ctx, /* as aliasd: reset */
	.xxfi_close = mlfi_ctx, /* as aliasd: free */
	.xxfi_unknown = NULL,
	.xxfi_data = NULL,
	.xxfi_negotiate = negotiate, /* aliasd's own: the same steps */
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
