/*
 * negotiate.c: the milter protocol negotiation (xxfi_negotiate).
 */
#include "aliasd/negotiate.h"
#include "common/log.h"

/* The macros the decisions need, asked for so that default MTA settings
 * suffice.  The DATA step is kept although aliasd has nothing to do
 * there: Postfix sends the DATA macros even for a milter that skips the
 * step, with no reply to wait for, and over inet: that write then sits
 * out a delayed ACK, about 40 ms a message (make bench measured 22
 * messages/s instead of 300).  One more round trip costs far less. */
sfsistat
negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	unsigned long want = NEGOTIATE_ACTIONS & ~SMFIF_SETSYMLIST;
	unsigned long skip = SMFIP_NOHELO | SMFIP_NOBODY | SMFIP_NOUNKNOWN;

	(void)f2;
	(void)f3;
	if ((f0 & want) != want) {
		log_warnx(
		    "the MTA cannot change headers, sender and "
		    "recipients or hold mail: "
		    "aliasd needs milter protocol 6 (Postfix 2.6, sendmail "
		    "8.14 or later)");
		return SMFIS_REJECT;
	}
	*pf0 = want | (f0 & SMFIF_SETSYMLIST);
	*pf1 = f1 & skip;
	*pf2 = 0;
	*pf3 = 0;
	if ((f0 & SMFIF_SETSYMLIST) == 0)
		return SMFIS_CONTINUE;
	smfi_setsymlist(ctx, SMFIM_CONNECT, "{daemon_name} {client_addr}");
	smfi_setsymlist(ctx, SMFIM_ENVFROM,
	    "i {auth_authen} {daemon_name} "
	    "{mail_addr}");
	smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i {rcpt_addr}");
	smfi_setsymlist(ctx, SMFIM_EOM, "i");
	return SMFIS_CONTINUE;
}
