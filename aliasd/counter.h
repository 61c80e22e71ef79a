/*
 * counter.h: counting accepted inbound mail without ever holding up a
 * message.  Worker threads queue counts; one background thread writes
 * them in short batched transactions.  A count that cannot be written is
 * dropped and logged: the mail has already been accepted.
 */
#ifndef ALIASD_COUNTER_H
#define ALIASD_COUNTER_H

#include <stdbool.h>
#include <stddef.h>

#include "db/store.h"

int counter_start(void); /* 0 or -1 (errno) */
void counter_stop(void); /* flush what is queued, join */

/* Queue counts for the store at database; never blocks on the store. */
void counter_add(const char *database, const struct store_count *, size_t n);

/* Counts of one address queued or being written, not yet in the store:
 * the gate adds them for max-mails.  A scan of the queue, made only for
 * addresses with max-mails or idle. */
int64_t counter_pending(int64_t id);

/* Hold (on) or let go of the writer's commit: between the two a store
 * read and counter_pending() see each count exactly once. */
void counter_hold(bool on);

#endif
