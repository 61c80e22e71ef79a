/*
 * milter.h: aliasd's libmilter callbacks.
 */
#ifndef ALIASD_MILTER_H
#define ALIASD_MILTER_H

#include <libmilter/mfapi.h>

extern struct smfiDesc milter_desc;

#endif
