/*
 * source.h: the store as a policy_source, for every front end.
 */
#ifndef ALIASD_SOURCE_H
#define ALIASD_SOURCE_H

#include <time.h>

#include "db/store.h"
#include "rewriter/policy.h"

/* Lives as long as the policy_source that points at it. */
struct store_source {
	struct store *store;
	time_t now;
};

void	store_source_init(struct store_source *, struct store *, time_t now,
	    struct policy_source *);

#endif
