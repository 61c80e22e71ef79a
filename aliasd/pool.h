/*
 * pool.h: open store handles for the milter's worker threads.
 *
 * A handle is checked out by one thread for one callback and given back:
 * never shared, opened once, its statements prepared once.  The pool
 * notices within a second when the store file is deleted or replaced,
 * and then drops its handles so that decisions never come from a file
 * that is gone.
 */
#ifndef ALIASD_POOL_H
#define ALIASD_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "db/store.h"

/* A checked-out handle; h->store is the caller's until pool_put(). */
struct pool_handle {
	struct store *store;
	unsigned generation; /* the pool's own */
	struct pool_handle *next; /* the pool's own */
};

/* A handle on database, or NULL with why in err (store missing, busy). */
struct pool_handle *pool_get(const char *database, char *err, size_t errlen);

/* Give it back; broken: it failed, close it rather than reuse it. */
void pool_put(struct pool_handle *, bool broken);

/* Close every idle handle (shutdown, or a reload that moved the store). */
void pool_drain(void);

#endif
