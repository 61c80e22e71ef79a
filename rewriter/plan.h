/*
 * plan.h: the one outbound plan (SPEC "Which address a message gets" and
 * "Rewriting").  aliasd, alias-sendmail and aliasctl for ask plan_make()
 * and only apply what it returns: whose mail it is, the address chosen,
 * the header changes, the envelope sender, whether an address was made
 * for a new correspondent, and whether the owner's address would still
 * leave.  So the three can never disagree.
 *
 * Pure logic: the store is reached through the policy_source callbacks,
 * so the plan is unit-tested without one.
 */
#ifndef ALIASD_PLAN_H
#define ALIASD_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"
#include "rewriter/header.h"
#include "rewriter/policy.h"

/* The envelope-sender field named by a leak in the envelope. */
#define PLAN_ENVELOPE "envelope sender"

struct plan_request {
	const struct policy_source *src;
	const char *const *rcpts; /* envelope recipients, as given */
	size_t nrcpts;
	/* The header block, or NULL when there is no message yet (aliasctl
	 * for, asked by the owner's own client): then the mail is taken to
	 * be the owner's and no header changes are planned. */
	const struct header_list *headers;
	/* The envelope sender as given (MAIL FROM, -f), without <>; "" is
	 * the null sender; NULL when none was given (sendmail picks one). */
	const char *sender;
	/* From the configuration. */
	const char *owner;
	const char *full_name;
	const char *bounce_address;
	const char *const *domains;
	size_t ndomains;
	bool auto_create;
	bool guard; /* on_leak = tempfail */
	/* The front end may write to the store: false in a dry run and
	 * wherever nothing may be created. */
	bool may_create;
	/* A dry run's stand-in for the address a real run would create
	 * (auto_create), so that it shows the message as it would leave;
	 * NULL elsewhere: then nothing stands in. */
	const char *stand_in;
};

enum plan_status {
	PLAN_OK, /* apply the plan (it may change nothing) */
	PLAN_NOT_OWNER, /* not the owner's mail: pass it untouched */
	PLAN_LEAK, /* the owner's address would leave: send nothing */
	PLAN_ERROR /* store or memory: send nothing, try later */
};

struct plan {
	enum policy_how how;
	char address[ADDRESS_MAX]; /* the chosen address; "" for none */
	/* One recipient nobody has an address for: with auto_create it gets
	 * one (created true) or, where nothing may be created, would. */
	bool want_new;
	bool created;
	char new_correspondent[ADDRESS_MAX];
	struct header_changes changes;
	/* The envelope sender to use instead of the one given, or "". */
	char sender[ADDRESS_MAX];
	/* PLAN_LEAK: the field that would still name the owner. */
	char leak_field[80];
};

/* A request holding what the configuration says (owner, full_name,
 * bounce_address, domains, auto_create, the leak guard); the caller sets
 * src, rcpts, headers, sender and may_create.  Every front end fills its
 * request here, so that none can read the configuration differently.
 * The request points into cfg, which must outlive it. */
void plan_request_from_config(const struct config *, struct plan_request *);

/* Make the plan.  The plan is always initialised (plan_free() is always
 * safe); on PLAN_ERROR err says why. */
enum plan_status plan_make(const struct plan_request *, struct plan *,
    char *err, size_t errlen);
void plan_free(struct plan *);

/* The envelope sender of the owner's mail: bounce_address, else the
 * chosen address, else NULL (keep the one given).  mutt-hooks prints the
 * same choice for mutt. */
const char *plan_envelope_sender(const char *bounce_address,
    const char *chosen);

#endif
