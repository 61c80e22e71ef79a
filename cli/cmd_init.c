/*
 * cmd_init.c: aliasctl init [--domain DOMAIN] [--owner ADDRESS]
 *     [--name FULL_NAME]
 *
 * Creates the store and, when the configuration file does not exist, a
 * starter one holding what was given, so that a newcomer needs no file,
 * no root and no editor: init asks nothing.  An existing file is never
 * rewritten.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "common/address.h"
#include "common/template.h"

#define FULL_NAME_MAX 256

/* What was asked for, checked and normalized; NULL: not given. */
struct init_args {
	const char *domain;
	const char *owner;
	const char *name;
	char domain_buf[ADDRESS_MAX];
	char owner_buf[ADDRESS_MAX];
	char name_buf[FULL_NAME_MAX];
};

static int
make_dirs(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -1;
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST)
			return -1;
		*p = c;
		if (c == '\0')
			return 0;
	}
}

/* What init itself puts in for a key, or NULL: the key stays commented. */
static const char *
given(const char *key, const struct init_args *a, const char *database)
{
	if (strcmp(key, "database") == 0)
		return database;
	if (strcmp(key, "domain") == 0)
		return a->domain;
	if (strcmp(key, "owner") == 0)
		return a->owner;
	if (strcmp(key, "full_name") == 0)
		return a->name;
	return NULL;
}

/* Every key of config_keys, so that the starter file cannot miss one:
 * what was given is set, the rest shows its default or an example. */
static void
write_starter(FILE *fp, const struct init_args *a, const char *database)
{
	fprintf(fp,
	    "# aliasd configuration: see aliasd.conf(5).  Written by "
	    "aliasctl init.\n# Commented-out lines show the defaults.\n");
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		const char *v = given(k->name, a, database);

		fprintf(fp, "\n# %s\n", k->doc);
		if (v != NULL)
			fprintf(fp, "%s = %s\n", k->name, v);
		else if (k->def != NULL)
			fprintf(fp, "#%s = %s\n", k->name, k->def);
		else
			fprintf(fp, "# No default; for example:\n#%s = %s\n",
			    k->name, k->example);
	}
}

/* Root's file is readable by the daemon's group (it re-reads it on
 * SIGHUP after dropping root), and nobody else: it names the owner. */
static void
config_owner(const char *user, uid_t *uid, gid_t *gid, mode_t *mode)
{
	struct passwd *pw;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	*mode = 0600;
	if (geteuid() != 0 || (pw = getpwnam(user)) == NULL)
		return;
	*gid = pw->pw_gid;
	*mode = 0640;
}

static int
create_config(const char *path, const struct init_args *a)
{
	char *database = config_default_database();
	mode_t mode;
	uid_t uid;
	gid_t gid;
	FILE *fp = NULL;
	int fd = -1, rc = EX_CANTCREAT;

	if (database == NULL)
		return fail(EX_CONFIG,
		    "cannot find a home for the store: "
		    "set HOME or give -c FILE");
	config_owner("aliasd", &uid, &gid, &mode);
	if (make_dirs(path) == -1 ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) ==
		-1) {
		rc = fail(EX_CANTCREAT, "cannot create %s: %s", path,
		    strerror(errno));
		goto done;
	}
	if (gid != (gid_t)-1 && fchown(fd, uid, gid) == -1) {
		rc = fail(EX_CANTCREAT, "cannot set the group of %s: %s", path,
		    strerror(errno));
		goto done;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		rc = fail(EX_CANTCREAT, "cannot write %s: %s", path,
		    strerror(errno));
		goto done;
	}
	fd = -1;
	write_starter(fp, a, database);
	if (fclose(fp) == EOF) {
		fp = NULL;
		rc = fail(EX_CANTCREAT, "cannot write %s: %s", path,
		    strerror(errno));
		goto done;
	}
	fp = NULL;
	printf("created configuration %s\n", path);
	rc = 0;
done:
	if (rc != 0 && (fp != NULL || fd != -1))
		unlink(path);
	if (fp != NULL)
		fclose(fp);
	if (fd != -1)
		close(fd);
	free(database);
	return rc;
}

static int
parse_args(struct ctx *c, int argc, char **argv, struct init_args *a)
{
	static const struct option options[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "owner", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = verb_find("init");
	int opt, rc;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT "d:", options,
		    NULL)) != -1) {
		if (opt == 'd')
			a->domain = optarg;
		else if (opt == 'o')
			a->owner = optarg;
		else if (opt == 'n')
			a->name = optarg;
		else if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	}
	if (optind != argc)
		return verb_usage(v, EX_USAGE);
	return 0;
}

/* The full name goes into the file as it is: the parser trims blanks and
 * takes '#' for a comment, so what it would not read back is refused. */
static int
check_full_name(struct init_args *a)
{
	char *s = a->name_buf, *end;
	int rc;

	if ((rc = check_text("--name", a->name, sizeof(a->name_buf))) != 0)
		return rc;
	snprintf(a->name_buf, sizeof(a->name_buf), "%s", a->name);
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (*s == '\0')
		return fail(EX_DATAERR,
		    "--name is empty: leave it out, or "
		    "give the name your mail should carry");
	if (strchr(s, '#') != NULL)
		return fail(EX_DATAERR,
		    "--name cannot hold '#': the "
		    "configuration file reads it as the start of a comment");
	a->name = s;
	return 0;
}

static int
check_args(struct init_args *a)
{
	char shown[TERM_MAX(ADDRESS_MAX)];
	const char *why;

	if (a->domain != NULL) {
		if (snprintf(a->domain_buf, sizeof(a->domain_buf), "%s",
			a->domain) >= (int)sizeof(a->domain_buf) ||
		    !address_domain_valid(a->domain_buf,
			strlen(a->domain_buf)))
			return fail(EX_DATAERR, "\"%s\" is not a domain name",
			    term_escape(a->domain, shown, sizeof(shown)));
		address_lower(a->domain_buf);
		a->domain = a->domain_buf;
	}
	if (a->owner != NULL) {
		if ((why = address_parse_mailbox(a->owner, a->owner_buf,
			 sizeof(a->owner_buf))) != NULL)
			return fail(EX_DATAERR,
			    "bad --owner \"%s\": %s; give "
			    "your real mailbox, as me@example.net",
			    term_escape(a->owner, shown, sizeof(shown)), why);
		a->owner = a->owner_buf;
	}
	return a->name != NULL ? check_full_name(a) : 0;
}

/* One part of the kept file's note: "owner is X, not Y". */
static void
note_differs(char *buf, size_t len, const char *key, const char *have,
    const char *want)
{
	char h[TERM_MAX(ADDRESS_MAX)], w[TERM_MAX(ADDRESS_MAX)];
	size_t used = strlen(buf);

	if (used >= len - 1)
		return;
	snprintf(buf + used, len - used, "%s%s is %s, not %s",
	    used > 0 ? "; " : "", key,
	    have != NULL ? term_escape(have, h, sizeof(h)) : "unset",
	    term_escape(want, w, sizeof(w)));
}

/* An existing file is the user's: say, on one line, where it differs
 * from what was asked for, rather than change it. */
static void
note_kept(const struct ctx *c, const struct init_args *a)
{
	const struct config *cf = c->config;
	char differs[1024];

	differs[0] = '\0';
	if (a->domain != NULL && !config_is_managed_domain(cf, a->domain))
		note_differs(differs, sizeof(differs), "domain",
		    cf->ndomains > 0 ? cf->domains[0] : NULL, a->domain);
	if (a->owner != NULL &&
	    (cf->owner == NULL || strcmp(cf->owner, a->owner) != 0))
		note_differs(differs, sizeof(differs), "owner", cf->owner,
		    a->owner);
	if (a->name != NULL &&
	    (cf->full_name == NULL || strcmp(cf->full_name, a->name) != 0))
		note_differs(differs, sizeof(differs), "full_name",
		    cf->full_name, a->name);
	if (differs[0] != '\0')
		warnx_cli("%s is kept as it is (%s): edit it to change that",
		    c->config_path, differs);
}

int
cmd_init(struct ctx *c, int argc, char **argv)
{
	struct init_args a = { .domain = NULL };
	char why[512];
	struct stat sb;
	enum store_status st;
	bool existed;
	int rc;

	if ((rc = parse_args(c, argc, argv, &a)) != 0 ||
	    (rc = check_args(&a)) != 0)
		return rc;
	c->config_path = config_find(c->config_option, &c->config_explicit);
	if (c->config_path == NULL)
		return fail(EX_CONFIG,
		    "cannot find a configuration: set HOME "
		    "or ALIASD_CONF, or give -c FILE");
	existed = stat(c->config_path, &sb) == 0;
	if (!existed && (rc = create_config(c->config_path, &a)) != 0)
		return rc;
	/* Load the file now, whoever wrote it. */
	free(c->config_path);
	c->config_path = NULL;
	c->config_explicit = false;
	if ((rc = ctx_load_config(c)) != 0)
		return rc;
	if (existed)
		note_kept(c, &a);
	if ((rc = ctx_open_store(c, true)) != 0)
		return rc;
	/* The owner, for the postfix_virtual view of MTAs that read the
	 * store without aliasd (SPEC "PostgreSQL"). */
	if (c->config->owner != NULL &&
	    (st = store_set_setting(c->store, "owner", c->config->owner)) !=
		STORE_OK)
		return ctx_store_fail(c, st, "cannot record the owner");
	printf(store_created(c->store) ? "created store %s\n" :
					 "store %s is ready\n",
	    ctx_database_name(c));
	if (c->config->ndomains == 0)
		warnx_cli("no domain yet: set domain in %s before creating "
			  "addresses",
		    c->config_path);
	if (c->config->owner == NULL)
		warnx_cli("no owner yet: set owner (your real mailbox) in %s "
			  "before export or sending mail",
		    c->config_path);
	if ((rc = ctx_template(c)) != 0)
		return rc;
	if (template_weak(c->template, c->config->template, why, sizeof(why)))
		warnx_cli("%s: %s", c->config_path, why);
	return 0;
}
