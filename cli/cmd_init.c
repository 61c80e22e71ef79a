/*
 * cmd_init.c: aliasctl init [--domain DOMAIN]
 *
 * Creates the store and, when the configuration file does not exist, a
 * starter one, so that a newcomer needs no file and no root.
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
#include "rewriter/address.h"
#include "rewriter/template.h"

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
	for (char *p = dir + 1; ; p++) {
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

static void
write_starter(FILE *fp, const char *domain, const char *database)
{
	fprintf(fp,
	    "# aliasd configuration: see aliasd.conf(5).  Written by "
	    "aliasctl init.\n\n");
	if (domain != NULL)
		fprintf(fp, "domain = %s\n", domain);
	else
		fprintf(fp, "# domain = example.com\n");
	fprintf(fp,
	    "database = %s\n\n"
	    "# The mailbox mail for active addresses goes to (needed by "
	    "export\n# virtusertable and postfix-virtual) and whose outbound "
	    "mail is rewritten.\n"
	    "# owner = you@example.net\n"
	    "# full_name = Your Name\n"
	    "# bounce_address = bounces@example.com\n"
	    "# template = mail-%%04n-%%6r\n"
	    "# socket = unix:/run/aliasd/aliasd.sock\n"
	    "# user = aliasd\n"
	    "# trusted_networks = 127.0.0.0/8, ::1\n"
	    "# outbound_daemon_name = ORIGINATING\n"
	    "# passthrough = postmaster, abuse\n"
	    "# harvest_limit = 10\n"
	    "# harvest_exempt = 192.0.2.25/32\n"
	    "# on_error = tempfail\n"
	    "# sendmail_program = /usr/sbin/sendmail\n"
	    "# auto_create = no\n", database);
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
create_config(const char *path, const char *domain)
{
	char *database = config_default_database();
	mode_t mode;
	uid_t uid;
	gid_t gid;
	FILE *fp = NULL;
	int fd = -1, rc = EX_CANTCREAT;

	if (database == NULL)
		return fail(EX_CONFIG, "cannot find a home for the store: "
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
	write_starter(fp, domain, database);
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

int
cmd_init(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "domain", required_argument, NULL, 'd' },
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const struct verb *v = verb_find("init");
	char domain[ADDRESS_MAX], why[512];
	const char *want = NULL;
	struct stat sb;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT "d:", options,
	    NULL)) != -1) {
		if (opt == 'd')
			want = optarg;
		else if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	}
	if (optind != argc)
		return verb_usage(v, EX_USAGE);
	if (want != NULL) {
		if (snprintf(domain, sizeof(domain), "%s", want) >=
		    (int)sizeof(domain) ||
		    !address_domain_valid(domain, strlen(domain)))
			return fail(EX_DATAERR, "\"%s\" is not a domain name",
			    want);
		address_lower(domain);
	}
	c->config_path = config_find(c->config_option, &c->config_explicit);
	if (c->config_path == NULL)
		return fail(EX_CONFIG, "cannot find a configuration: set HOME "
		    "or ALIASD_CONF, or give -c FILE");
	if (stat(c->config_path, &sb) == -1) {
		if ((rc = create_config(c->config_path, want != NULL ? domain :
		    NULL)) != 0)
			return rc;
	} else if (want != NULL)
		warnx_cli("%s exists and is kept as it is; check its domain "
		    "setting", c->config_path);
	/* Load the file now, whoever wrote it. */
	free(c->config_path);
	c->config_path = NULL;
	c->config_explicit = false;
	if ((rc = ctx_open_store(c, true)) != 0)
		return rc;
	printf(store_created(c->store) ? "created store %s\n" :
	    "store %s is ready\n", c->config->database);
	if (c->config->ndomains == 0)
		warnx_cli("no domain yet: set domain in %s before creating "
		    "addresses", c->config_path);
	if ((rc = ctx_template(c)) != 0)
		return rc;
	if (template_weak(c->template, c->config->template, why, sizeof(why)))
		warnx_cli("%s: %s", c->config_path, why);
	return 0;
}
