/* outbound.h: rewriting the owner's outgoing mail at end of message. */
#ifndef ALIASD_OUTBOUND_H
#define ALIASD_OUTBOUND_H

#include <libmilter/mfapi.h>

#include "aliasd/message.h"

sfsistat outbound_eom(SMFICTX *, struct conn *);

#endif
