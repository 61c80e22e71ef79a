/*
 * store_source.h: the store as a policy_source, for every front end.
 */
#ifndef ALIASD_STORE_SOURCE_H
#define ALIASD_STORE_SOURCE_H

#include <time.h>

#include "db/store.h"
#include "rewriter/policy.h"

/* Lives as long as the policy_source that points at it. */
struct store_source {
	struct store *store;
	time_t now;
	/* Set by store_source_creates(): what new addresses are made of. */
	const struct template *template;
	const char *domain;
	enum store_status created; /* the last create's status */
};

void store_source_init(struct store_source *, struct store *, time_t now,
    struct policy_source *);
/* Let the source make new addresses (auto_create) from template in
 * domain; without this call it makes none. */
void store_source_creates(struct store_source *, struct policy_source *,
    const struct template *, const char *domain);

#endif
