/*
 * context.h: what every aliasctl verb shares: the configuration, the
 * store (opened on first use), output mode, and how errors become one
 * line on stderr and a sysexits.h code.
 */
#ifndef ALIASCTL_CONTEXT_H
#define ALIASCTL_CONTEXT_H

#include <stdbool.h>
#include <time.h>

#include "common/config.h"
#include "common/diag.h"
#include "db/store.h"
#include "rewriter/plan.h"

struct ctx {
	const char *config_option; /* -c FILE, or NULL */
	char *config_path; /* the file in use (may not exist) */
	bool config_explicit; /* -c or $ALIASD_CONF: must exist */
	struct config *config;
	struct store *store;
	struct template *template;
	bool json;
	time_t now;
};

/* A verb: its name, one usage line, and what runs it. */
struct verb {
	const char *name;
	const char *usage;
	const char *help;
	int (*run)(struct ctx *, int argc, char **argv);
};

/* Load the configuration; 0 or an exit code (message printed). */
int ctx_load_config(struct ctx *);

/* Open the store (create: init); 0 or an exit code. */
int ctx_open_store(struct ctx *, bool create);

/* The template of the configuration, parsed; 0 or an exit code. */
int ctx_template(struct ctx *);

/* The one outbound plan for aliasctl for and rewrite (context.c says
 * what req must hold); 0 with *st set, or an exit code. */
int ctx_plan(struct ctx *, struct plan_request *, bool create, struct plan *,
    enum plan_status *st);

/* The exit code and message for a store status; prints it. */
int ctx_store_fail(struct ctx *, enum store_status, const char *what);
/* The database setting with a URI's password masked, for messages. */
const char *ctx_database_name(struct ctx *);

/* Resolve an address, local part or prefix; 0 or an exit code (message
 * printed, candidates listed when ambiguous). */
int ctx_resolve(struct ctx *, const char *what, struct store_address *);

/* Options every verb takes: -c FILE, --json, -h/--help.  Verbs put
 * COMMON_OPTIONS in their getopt_long table and COMMON_SHORT in their
 * short options, and hand what they do not know to common_option(),
 * which returns -1 when the option was fine, else an exit code. */
#define COMMON_SHORT "c:h"
#define COMMON_OPTIONS \
	{ "config", required_argument, NULL, 'c' }, \
	    { "json", no_argument, NULL, 'J' }, \
	{ \
		"help", no_argument, NULL, 'h' \
	}
int common_option(struct ctx *, const struct verb *, int opt);
int verb_usage(const struct verb *, int code);
const struct verb *verb_find(const char *name);
void ctx_free(struct ctx *);

/* Check a free-text value (reason, note): one printable line. */
int check_text(const char *what, const char *text, size_t max);

#endif
