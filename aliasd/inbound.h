/* inbound.h: the RCPT decision for mail from outside (SPEC's table). */
#ifndef ALIASD_INBOUND_H
#define ALIASD_INBOUND_H

#include <libmilter/mfapi.h>

#include "aliasd/message.h"

/* Decide one recipient: SMFIS_CONTINUE, or SMFIS_REJECT/SMFIS_TEMPFAIL
 * with the reply already set.  rcpt is {rcpt_addr} or the RCPT argument. */
sfsistat inbound_rcpt(SMFICTX *, struct conn *, const char *rcpt);

/* End of an accepted inbound message: queue its counts. */
void	inbound_eom(struct conn *);

#endif
