/*
 * fastpath.h: the policy service and the socketmap server (SPEC "The
 * fast path"), run in the milter process beside libmilter: the same
 * configuration snapshot, store pool, harvest guard and judge().
 */
#ifndef ALIASD_FASTPATH_H
#define ALIASD_FASTPATH_H

#include <stddef.h>

#include "aliasd/privs.h"
#include "common/config.h"

#define FASTPATH_THREADS 2
#define FASTPATH_CLIENTS 4096 /* connections held at once, in all */

/* Open the sockets the configuration names (policy_socket,
 * socketmap_socket; none is fine), as root before privileges are
 * dropped: a unix: socket is made 0660 and given to the user and its
 * group, as the milter's.  0, or -1 with a message in err. */
int fastpath_open(const struct config *, const struct run_as *, char *err,
    size_t errlen);

/* Start serving (after privileges are dropped); 0 or -1 (errno). */
int fastpath_start(void);

/* Answer no more: close every connection and the sockets, remove the
 * unix: socket files.  Safe when nothing was opened. */
void fastpath_stop(void);

#endif
