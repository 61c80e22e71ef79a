/*
 * policy.c: one address per message.  For each recipient the address of
 * that exact correspondent, else of its domain; if all recipients agree,
 * that one; otherwise the default; otherwise none.
 */
#include <stdio.h>
#include <string.h>

#include "rewriter/policy.h"

/* The address one recipient gets: 1 found, 0 none, -1 lookup error. */
static int
choose_one(const struct policy_source *src, const char *rcpt, char *out,
    size_t outlen, enum policy_how *how)
{
	char key[ADDRESS_MAX];
	const char *domain;
	enum lookup_result r;

	/* A recipient that is no address at all simply matches nobody. */
	if (address_parse_mailbox(rcpt, key, sizeof(key)) != NULL)
		return 0;
	r = src->by_correspondent(src->arg, key, out, outlen);
	if (r != LOOKUP_NONE) {
		*how = POLICY_CORRESPONDENT;
		return r == LOOKUP_FOUND ? 1 : -1;
	}
	domain = address_domain(key);
	/* "@domain" fits: it is shorter than the whole address. */
	snprintf(key, sizeof(key), "@%s", domain);
	r = src->by_correspondent(src->arg, key, out, outlen);
	if (r != LOOKUP_NONE) {
		*how = POLICY_DOMAIN;
		return r == LOOKUP_FOUND ? 1 : -1;
	}
	return 0;
}

static int
use_default(const struct policy_source *src, struct policy_result *res,
    char *err, size_t errlen)
{
	enum lookup_result r;

	r = src->by_default(src->arg, res->address, sizeof(res->address));
	if (r == LOOKUP_ERROR) {
		snprintf(err, errlen, "cannot read the default address");
		return -1;
	}
	res->how = r == LOOKUP_FOUND ? POLICY_DEFAULT : POLICY_NONE;
	if (r != LOOKUP_FOUND)
		res->address[0] = '\0';
	return 0;
}

int
policy_choose(const struct policy_source *src, const char *const *rcpts,
    size_t n, struct policy_result *res, char *err, size_t errlen)
{
	char first[ADDRESS_MAX], this[ADDRESS_MAX];
	enum policy_how how = POLICY_NONE, first_how = POLICY_NONE;
	bool agree = n > 0;
	int found;

	memset(res, 0, sizeof(*res));
	first[0] = '\0';
	for (size_t i = 0; i < n && agree; i++) {
		found = choose_one(src, rcpts[i], this, sizeof(this), &how);
		if (found == -1) {
			snprintf(err, errlen,
			    "cannot look up the address "
			    "for a recipient");
			return -1;
		}
		if (found == 0)
			agree = false;
		else if (i == 0) {
			snprintf(first, sizeof(first), "%s", this);
			first_how = how;
		} else if (strcmp(first, this) != 0)
			agree = false;
	}
	if (agree) {
		res->how = first_how;
		snprintf(res->address, sizeof(res->address), "%s", first);
		return 0;
	}
	if (use_default(src, res, err, errlen) == -1)
		return -1;
	if (res->how == POLICY_NONE && n == 1 &&
	    address_parse_mailbox(rcpts[0], res->new_correspondent,
		sizeof(res->new_correspondent)) == NULL)
		res->want_new = true;
	return 0;
}

const char *
policy_how_name(enum policy_how how)
{
	switch (how) {
	case POLICY_NONE:
		return "none";
	case POLICY_CORRESPONDENT:
		return "correspondent";
	case POLICY_DOMAIN:
		return "domain";
	case POLICY_DEFAULT:
		return "default";
	}
	return "none";
}
