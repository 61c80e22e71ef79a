/*
 * context.c: configuration and store for the verbs, and the mapping of
 * every failure to one line on stderr and a sysexits.h exit code.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/context.h"
#include "cli/output.h"
#include "common/address.h"
#include "common/template.h"
#include "rewriter/store_source.h"

/* Writers wait this long for another writer before giving up (75). */
#define BUSY_MS 5000

int
ctx_load_config(struct ctx *c)
{
	char err[1024];

	if (c->config != NULL)
		return 0;
	/* SPEC's one rule, the same as alias-sendmail's and aliasd's. */
	c->config_path = config_find(c->config_option, &c->config_explicit);
	if (c->config_path == NULL)
		return fail(EX_OSERR, "out of memory");
	c->config = config_load(c->config_path, c->config_explicit, err,
	    sizeof(err));
	if (c->config == NULL)
		return fail(EX_CONFIG, "%s", err);
	if (c->config->database == NULL)
		return fail(EX_CONFIG, "no database: set database in %s",
		    c->config_path);
	return 0;
}

/* The database setting fit to print: no password of a URI. */
const char *
ctx_database_name(struct ctx *c)
{
	static char shown[1024];

	store_display_name(c->config->database, shown, sizeof(shown));
	return shown;
}

int
ctx_store_fail(struct ctx *c, enum store_status st, const char *what)
{
	const char *msg = c->store != NULL ? store_error(c->store) : what;

	switch (st) {
	case STORE_OK:
		return 0;
	case STORE_NOTFOUND:
		return fail(EX_NOUSER, "%s", what);
	case STORE_EXISTS:
		return fail(EX_CANTCREAT, "%s", msg);
	case STORE_AMBIGUOUS:
		return fail(EX_USAGE, "%s", what);
	case STORE_BUSY:
		return fail(EX_TEMPFAIL, "%s; try again later", msg);
	case STORE_MISSING:
		return fail(EX_CONFIG, "%s", msg);
	case STORE_READONLY:
		return fail(EX_CANTCREAT, "%s: check the permissions of %s",
		    msg, ctx_database_name(c));
	case STORE_CANTCREATE:
		return fail(EX_CANTCREAT, "%s", msg);
	case STORE_INVALID:
		return fail(EX_CONFIG, "%s", msg);
	case STORE_ERROR:
		break;
	}
	return fail(EX_TEMPFAIL, "%s", msg);
}

/* As root, the store belongs to the daemon's user (SPEC "user"). */
static void
store_owner(const struct config *cfg, struct store_options *o)
{
	struct passwd *pw;

	o->uid = (uid_t)-1;
	o->gid = (gid_t)-1;
	/* A database server's tables have no owner on this host. */
	if (geteuid() != 0 || store_is_url(cfg->database))
		return;
	if ((pw = getpwnam(cfg->user)) == NULL) {
		warnx_cli("user %s does not exist: the store stays root's "
			  "(create it with adduser --system --group %s)",
		    cfg->user, cfg->user);
		return;
	}
	o->uid = pw->pw_uid;
	o->gid = pw->pw_gid;
}

int
ctx_open_store(struct ctx *c, bool create)
{
	struct store_options o = { .create = create,
		.busy_ms = BUSY_MS,
		.durable = true,
		.upgrade = true };
	enum store_status st;
	char err[1024];
	int rc;

	if (c->store != NULL)
		return 0;
	if ((rc = ctx_load_config(c)) != 0)
		return rc;
	if (create)
		store_owner(c->config, &o);
	else
		o.uid = (uid_t)-1, o.gid = (gid_t)-1;
	st = store_open(c->config->database, &o, &c->store, err, sizeof(err));
	if (st == STORE_OK)
		return 0;
	switch (st) {
	case STORE_MISSING:
	case STORE_INVALID:
		return fail(EX_CONFIG, "%s (database = %s)", err,
		    ctx_database_name(c));
	case STORE_BUSY:
		return fail(EX_TEMPFAIL, "%s; try again later", err);
	case STORE_READONLY:
	case STORE_CANTCREATE:
		return fail(EX_CANTCREAT, "%s", err);
	default:
		/* A server's refusal names its URI (masked) already. */
		if (strstr(err, ctx_database_name(c)) != NULL)
			return fail(EX_TEMPFAIL, "%s", err);
		return fail(EX_TEMPFAIL, "%s: %s", ctx_database_name(c), err);
	}
}

int
ctx_template(struct ctx *c)
{
	char err[256];
	int rc;

	if (c->template != NULL)
		return 0;
	if ((rc = ctx_load_config(c)) != 0)
		return rc;
	c->template = template_parse(c->config->template, err, sizeof(err));
	if (c->template == NULL)
		return fail(EX_CONFIG, "%s: template: %s", c->config_path,
		    err);
	return 0;
}

int
ctx_resolve(struct ctx *c, const char *what, struct store_address *a)
{
	char candidates[1024], shown[TERM_MAX(sizeof(candidates))];
	char typed[TERM_MAX(ADDRESS_MAX)];
	enum store_status st;
	int rc;

	if ((rc = ctx_open_store(c, false)) != 0)
		return rc;
	st = store_resolve(c->store, what, c->now, a, candidates,
	    sizeof(candidates));
	/* The candidates are stored addresses, and what was typed may
	 * hold anything: neither reaches the terminal raw. */
	switch (st) {
	case STORE_OK:
		return 0;
	case STORE_NOTFOUND:
		return fail(EX_NOUSER,
		    "no address matches \"%s\": see "
		    "aliasctl list --all",
		    term_escape(what, typed, sizeof(typed)));
	case STORE_AMBIGUOUS:
		return fail(EX_USAGE,
		    "\"%s\" is ambiguous: it matches %s; "
		    "type more of it",
		    term_escape(what, typed, sizeof(typed)),
		    term_escape(candidates, shown, sizeof(shown)));
	default:
		return ctx_store_fail(c, st, "cannot look up the address");
	}
}

int
check_text(const char *what, const char *text, size_t max)
{
	size_t len = strlen(text);
	const char *why;

	if (len >= max)
		return fail(EX_DATAERR, "%s is longer than %zu characters",
		    what, max - 1);
	/* The same rule as for addresses: it is shown on terminals and
	 * written into maps and SMTP replies. */
	if ((why = address_check_text(text, len)) != NULL)
		return fail(EX_DATAERR,
		    "%s must be one line of printable "
		    "text (%s)",
		    what, why);
	return 0;
}

void
ctx_free(struct ctx *c)
{
	store_close(c->store);
	template_free(c->template);
	config_free(c->config);
	free(c->config_path);
}

/*
 * The one outbound plan (rewriter/plan.c) from the store, for aliasctl
 * for and rewrite: req holds what the verb knows (recipients, headers,
 * sender); the configuration's part and the store are filled in here.
 * With create, auto_create may make an address.  0 with *st the plan's
 * status, or an exit code (the store failed, or an address was wanted
 * and there is no domain to make it in).
 */
int
ctx_plan(struct ctx *c, struct plan_request *req, bool create, struct plan *p,
    enum plan_status *st)
{
	struct store_source src;
	struct policy_source ps;
	struct plan_request given = *req;
	char err[512];
	int rc;

	memset(p, 0, sizeof(*p));
	header_changes_init(&p->changes);
	store_source_init(&src, c->store, c->now, &ps);
	if (create && c->config->auto_create && c->config->ndomains > 0) {
		if ((rc = ctx_template(c)) != 0)
			return rc;
		store_source_creates(&src, &ps, c->template,
		    c->config->domains[0]);
	}
	plan_request_from_config(c->config, req);
	req->src = &ps;
	req->rcpts = given.rcpts;
	req->nrcpts = given.nrcpts;
	req->headers = given.headers;
	req->sender = given.sender;
	req->may_create = create;
	if (given.headers == NULL)
		req->guard = false; /* no message: nothing to guard */
	err[0] = '\0';
	*st = plan_make(req, p, err, sizeof(err));
	req->src = NULL; /* ps lives here only */
	if (*st == PLAN_ERROR)
		return src.created != STORE_OK ?
		    ctx_store_fail(c, src.created,
			"cannot create the address") :
		    fail(EX_TEMPFAIL, "%s: %s", err, store_error(c->store));
	if (create && p->want_new && !p->created)
		return fail(EX_CONFIG,
		    "no domain configured: set domain in %s", c->config_path);
	return 0;
}
