/* store_source.c: policy lookups answered from the store (the rewriter
 * adapts the store's rows; the store knows nothing of the policy). */
#include <stdio.h>

#include "rewriter/store_source.h"

static enum lookup_result
answer(enum store_status st, const struct store_address *a, char *out,
    size_t outlen)
{
	if (st == STORE_NOTFOUND)
		return LOOKUP_NONE;
	if (st != STORE_OK)
		return LOOKUP_ERROR;
	if (a->state != STATE_ACTIVE)
		return LOOKUP_NONE;
	if (snprintf(out, outlen, "%s", a->address) >= (int)outlen)
		return LOOKUP_ERROR;
	return LOOKUP_FOUND;
}

static enum lookup_result
by_correspondent(void *arg, const char *key, char *out, size_t outlen)
{
	struct store_source *src = arg;
	struct store_address a;

	return answer(store_find_correspondent(src->store, key, src->now, &a),
	    &a, out, outlen);
}

static enum lookup_result
by_default(void *arg, char *out, size_t outlen)
{
	struct store_source *src = arg;
	struct store_address a;

	return answer(store_get_default(src->store, src->now, &a), &a, out,
	    outlen);
}

static enum lookup_result
create(void *arg, const char *correspondent, char *out, size_t outlen)
{
	struct store_source *src = arg;
	struct store_address a;

	src->created = store_create(src->store, src->template, NULL,
	    src->domain, correspondent, 0, NULL, src->now, &a);
	return answer(src->created, &a, out, outlen);
}

void
store_source_init(struct store_source *src, struct store *s, time_t now,
    struct policy_source *ps)
{
	src->store = s;
	src->now = now;
	ps->by_correspondent = by_correspondent;
	ps->by_default = by_default;
	ps->create = NULL;
	ps->arg = src;
	src->template = NULL;
	src->domain = NULL;
	src->created = STORE_OK;
}

void
store_source_creates(struct store_source *src, struct policy_source *ps,
    const struct template *t, const char *domain)
{
	src->template = t;
	src->domain = domain;
	ps->create = t != NULL && domain != NULL ? create : NULL;
}
