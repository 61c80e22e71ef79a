/* inbound.h: the RCPT decision for mail from outside (SPEC's table). */
#ifndef ALIASD_INBOUND_H
#define ALIASD_INBOUND_H

#include <libmilter/mfapi.h>

#include "aliasd/message.h"

/* At connect: the harvest guard's key for this client (its connect
 * address, else {client_addr}), once for the whole connection; none when
 * the guard is off or the client trusted, exempt or of unknown address. */
void inbound_client(SMFICTX *, struct conn *, const _SOCK_ADDR *);

/* Decide one recipient: SMFIS_CONTINUE, or SMFIS_REJECT/SMFIS_TEMPFAIL
 * with the reply already set.  arg is the RCPT argument, rcpt_addr the
 * MTA's {rcpt_addr} (or NULL): both are judged, because sendmail's is
 * taken after its virtusertable and the argument may be a %-hack. */
sfsistat inbound_rcpt(SMFICTX *, struct conn *, const char *arg,
    const char *rcpt_addr);

#define XALIASD_HEADER "X-Aliasd"

/* A header of an inbound message: X-Aliasd headers from outside are
 * counted, to be removed at the end. */
void inbound_header(struct conn *, const char *name);

/* End of an inbound message: discard and hold by the gate's rules,
 * X-Aliasd, counts.  SMFIS_DISCARD when every recipient was discarded. */
sfsistat inbound_eom(SMFICTX *, struct conn *);

#endif
