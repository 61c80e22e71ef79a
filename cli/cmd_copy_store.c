/*
 * cmd_copy_store.c: aliasctl copy-store FROM TO
 *
 * Moving to PostgreSQL (or back): every address, rule, allow-list item,
 * sighting, counter and setting of FROM, into TO, which must be new or
 * hold no address.  Both are database settings: a SQLite file or a
 * PostgreSQL URL.  The configuration is not read: the two stores are
 * all there is to it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "common/diag.h"

#define COPY_BUSY_MS 5000

/* The exit code for a store that would not open or copy; the message
 * names the store without its password. */
static int
copy_fail(enum store_status st, const char *database, const char *err)
{
	char shown[1024];

	store_display_name(database, shown, sizeof(shown));
	switch (st) {
	case STORE_EXISTS:
	case STORE_READONLY:
	case STORE_CANTCREATE:
		return fail(EX_CANTCREAT, "%s: %s", shown, err);
	case STORE_MISSING:
	case STORE_INVALID:
		return fail(EX_CONFIG, "%s: %s", shown, err);
	default:
		return fail(EX_TEMPFAIL, "%s: %s; try again later", shown,
		    err);
	}
}

int
cmd_copy_store(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = verb_find("copy-store");
	struct store_options fo = { .upgrade = true,
		.busy_ms = COPY_BUSY_MS,
		.uid = (uid_t)-1,
		.gid = (gid_t)-1 };
	struct store_options to = { .create = true,
		.busy_ms = COPY_BUSY_MS,
		.uid = (uid_t)-1,
		.gid = (gid_t)-1 };
	struct store *src = NULL, *dst = NULL;
	enum store_status st;
	char err[1024], shown[2][1024];
	int64_t rows;
	int opt, rc;

	while (
	    (opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) != -1)
		if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	if (argc - optind != 2)
		return verb_usage(v, EX_USAGE);
	/* The source must be there: never made by a copy from it. */
	if (!store_is_url(argv[optind]) && access(argv[optind], F_OK) == -1)
		return copy_fail(STORE_MISSING, argv[optind],
		    "no store there");
	if ((st = store_open(argv[optind], &fo, &src, err, sizeof(err))) !=
	    STORE_OK)
		return copy_fail(st, argv[optind], err);
	if ((st = store_open(argv[optind + 1], &to, &dst, err, sizeof(err))) !=
	    STORE_OK) {
		store_close(src);
		return copy_fail(st, argv[optind + 1], err);
	}
	st = store_copy(src, dst, &rows, err, sizeof(err));
	store_close(src);
	store_close(dst);
	if (st != STORE_OK)
		return copy_fail(st, argv[optind + 1], err);
	store_display_name(argv[optind], shown[0], sizeof(shown[0]));
	store_display_name(argv[optind + 1], shown[1], sizeof(shown[1]));
	printf("copied %" PRId64 " rows from %s to %s\n", rows, shown[0],
	    shown[1]);
	return 0;
}
