/*
 * cmd_import.c: aliasctl import virtusertable FILE
 *
 * One transaction: a line that cannot be read is reported with its
 * number and nothing at all is imported.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/maps.h"
#include "common/address.h"
#include "common/template.h"

struct import {
	struct ctx *ctx;
	const char *name;
	int line;
	int active;
	int retired;
	int skipped;
};

static int
bad_line(struct import *im, const char *why)
{
	return fail(EX_DATAERR, "%s:%d: %s; nothing imported", im->name,
	    im->line, why);
}

static int
take_entry(struct import *im, const struct vt_entry *e)
{
	struct ctx *c = im->ctx;
	struct store_address a;
	enum store_status st;
	uint64_t seq;
	char why[512];

	memset(&a, 0, sizeof(a));
	if (address_split(e->address, a.local, sizeof(a.local), a.domain,
		sizeof(a.domain)) == -1)
		return bad_line(im, "address too long");
	if (!config_is_managed_domain(c->config, a.domain)) {
		snprintf(why, sizeof(why),
		    "%s is not a managed domain "
		    "(add it to domain in %s)",
		    a.domain, c->config_path);
		return bad_line(im, why);
	}
	/* Numbers of template-made addresses keep the sequence going. */
	a.seq = template_match(c->template, a.local, &seq) &&
		template_has_sequence(c->template) ?
	    (int64_t)seq :
	    -1;
	a.state = e->refused ? STATE_RETIRED : STATE_ACTIVE;
	/* vt_parse_line() took the address and the reason as clean text */
	snprintf(a.reason, sizeof(a.reason), "%s", e->reason);
	a.created = c->now;
	a.retired = e->refused ? c->now : 0;
	st = store_insert(c->store, &a);
	if (st == STORE_EXISTS) {
		snprintf(why, sizeof(why), "%s is already in the store",
		    e->address);
		return bad_line(im, why);
	}
	if (st != STORE_OK)
		return ctx_store_fail(c, st, "cannot import");
	if (e->refused)
		im->retired++;
	else
		im->active++;
	return 0;
}

static int
import_lines(struct import *im, FILE *fp)
{
	char line[2048];
	struct vt_entry e;
	const char *why;
	int rc;

	while (fgets(line, sizeof(line), fp) != NULL) {
		im->line++;
		if (strchr(line, '\n') == NULL && !feof(fp))
			return bad_line(im, "line too long");
		line[strcspn(line, "\r\n")] = '\0';
		if ((why = vt_parse_line(line, &e)) != NULL)
			return bad_line(im, why);
		if (e.kind == VT_CATCHALL) {
			warnx_cli("%s:%d: skipped %s: a catch-all is not an "
				  "address",
			    im->name, im->line, e.address);
			im->skipped++;
		} else if (e.kind == VT_ADDRESS &&
		    (rc = take_entry(im, &e)) != 0)
			return rc;
	}
	if (ferror(fp))
		return fail(EX_IOERR, "cannot read %s: %s", im->name,
		    strerror(errno));
	return 0;
}

int
cmd_import(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = verb_find("import");
	struct import im = { .ctx = c };
	enum store_status st;
	FILE *fp;
	bool opened = false;
	int opt, rc;

	while (
	    (opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) != -1)
		if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	if (argc - optind != 2)
		return verb_usage(v, EX_USAGE);
	if (strcmp(argv[optind], "virtusertable") != 0)
		return fail(EX_USAGE,
		    "cannot import \"%s\": only "
		    "virtusertable",
		    argv[optind]);
	im.name = argv[optind + 1];
	if ((rc = ctx_template(c)) != 0 ||
	    (rc = ctx_open_store(c, false)) != 0)
		return rc;
	if (strcmp(im.name, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(im.name, "r")) == NULL)
		return fail(EX_NOINPUT, "cannot read %s: %s", im.name,
		    strerror(errno));
	else
		opened = true;
	if ((st = store_begin(c->store)) != STORE_OK)
		rc = ctx_store_fail(c, st, "cannot import");
	else if ((rc = import_lines(&im, fp)) == 0 &&
	    (st = store_commit(c->store)) != STORE_OK)
		rc = ctx_store_fail(c, st, "cannot import");
	if (rc != 0)
		store_rollback(c->store);
	if (opened)
		fclose(fp);
	if (rc == 0)
		printf("imported %d addresses (%d active, %d retired)\n",
		    im.active + im.retired, im.active, im.retired);
	return rc;
}
