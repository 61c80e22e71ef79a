/*
 * snapshot.h: the configuration aliasd runs with, as an immutable,
 * reference-counted snapshot.  A reload (SIGHUP) builds and checks a new
 * one and swaps it in only if it is good; connections keep the one they
 * started with until they close.
 */
#ifndef ALIASD_SNAPSHOT_H
#define ALIASD_SNAPSHOT_H

#include <stddef.h>

#include "common/config.h"
#include "common/template.h"

struct snapshot {
	struct config *config;
	struct template *template;
	int refs; /* only under the snapshot lock */
};

/* Load and check a configuration; NULL with a one-line error. */
struct snapshot *snapshot_load(const char *path, char *err, size_t errlen);

/* Make s the current snapshot (taking over the caller's reference). */
void snapshot_install(struct snapshot *);

/* A reference to the current snapshot; any thread. */
struct snapshot *snapshot_get(void);
void snapshot_put(struct snapshot *);

#endif
