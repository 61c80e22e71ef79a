/*
 * negotiate.h: what aliasd asks of the MTA at connection start: the
 * actions it may take, the protocol steps it skips, the macros it needs.
 * Shared with bench/nullmilter, which must negotiate exactly this.
 */
#ifndef ALIASD_NEGOTIATE_H
#define ALIASD_NEGOTIATE_H

#include <libmilter/mfapi.h>

/* The actions, also for smfiDesc.xxfi_flags. */
#define NEGOTIATE_ACTIONS \
	(SMFIF_CHGHDRS | SMFIF_ADDHDRS | SMFIF_CHGFROM | SMFIF_DELRCPT | \
	    SMFIF_QUARANTINE | SMFIF_SETSYMLIST)

sfsistat negotiate(SMFICTX *, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3);

#endif
