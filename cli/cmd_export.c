/*
 * cmd_export.c: aliasctl export virtusertable|postfix|postfix-virtual|
 *     validrcptto [-o FILE] [--makemap]
 *
 * Output is sorted by address, so the same store gives the same bytes.
 * With -o the file is replaced atomically: written to a temporary file in
 * the same directory, synced, renamed over.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/maps.h"
#include "cli/output.h"

static int
write_map(struct ctx *c, FILE *fp, enum map_format f)
{
	struct store_iter *it;
	struct store_address a;
	enum store_status st;
	char shown[TERM_MAX(ADDRESS_MAX)];

	if ((st = store_list(c->store, FILTER_ALL, c->now, &it)) != STORE_OK)
		return ctx_store_fail(c, st, "cannot export");
	while ((st = store_next(it, &a)) == STORE_OK)
		if (map_write(fp, f, &a, c->config->owner) == -1)
			warnx_cli(
			    "left %s out of the map: a control "
			    "character, a blank or bytes that are not UTF-8 "
			    "cannot be in a map",
			    term_escape(a.address, shown, sizeof(shown)));
	store_iter_free(it);
	if (st != STORE_NOTFOUND)
		return ctx_store_fail(c, st, "cannot export");
	return 0;
}

/* Keep the read/write bits of the file we replace (never set-id or
 * execute bits, never a link's target's); a new map is world-readable,
 * as MTAs' maps are (it holds addresses, never correspondents). */
static mode_t
target_mode(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode))
		return sb.st_mode & 0666;
	return 0644;
}

static int
export_file(struct ctx *c, const char *path, enum map_format f)
{
	char tmp[PATH_MAX];
	FILE *fp = NULL;
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return fail(EX_CANTCREAT, "%s: path too long", path);
	if ((fd = mkstemp(tmp)) == -1)
		return fail(EX_CANTCREAT,
		    "cannot create a file next to %s: %s", path,
		    strerror(errno));
	if (fchmod(fd, target_mode(path)) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		rc = fail(EX_CANTCREAT, "cannot write %s: %s", tmp,
		    strerror(errno));
		close(fd);
		goto fail;
	}
	if ((rc = write_map(c, fp, f)) != 0)
		goto fail;
	if (fflush(fp) == EOF || fsync(fileno(fp)) == -1) {
		rc = fail(EX_IOERR, "cannot write %s: %s", tmp,
		    strerror(errno));
		goto fail;
	}
	if (fclose(fp) == EOF) {
		fp = NULL;
		rc = fail(EX_IOERR, "cannot write %s: %s", tmp,
		    strerror(errno));
		goto fail;
	}
	fp = NULL;
	if (rename(tmp, path) == -1) {
		rc = fail(EX_CANTCREAT, "cannot replace %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	return 0;
fail:
	if (fp != NULL)
		fclose(fp);
	unlink(tmp);
	return rc;
}

/* Run argv with stdin from a file (or not); 0 or an exit code. */
static int
run_program(char *const argv[], const char *input)
{
	pid_t pid;
	int status, fd;

	if ((pid = fork()) == -1)
		return fail(EX_OSERR, "cannot fork: %s", strerror(errno));
	if (pid == 0) {
		if (input != NULL) {
			if ((fd = open(input, O_RDONLY)) == -1 ||
			    dup2(fd, STDIN_FILENO) == -1)
				_exit(EX_NOINPUT);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(errno == ENOENT ? EX_UNAVAILABLE : EX_OSERR);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return fail(EX_OSERR, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EX_UNAVAILABLE)
		return fail(EX_UNAVAILABLE,
		    "%s not found: install it or leave "
		    "out --makemap",
		    argv[0]);
	return fail(EX_SOFTWARE, "%s failed (status %d)", argv[0],
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int
makemap(const char *path, enum map_format f)
{
	char arg[PATH_MAX + 8];
	char *sendmail[] = { "makemap", "hash", (char *)path, NULL };
	char *postfix[] = { "postmap", arg, NULL };

	if (f == MAP_VIRTUSERTABLE)
		return run_program(sendmail, path);
	if (snprintf(arg, sizeof(arg), "hash:%s", path) >= (int)sizeof(arg))
		return fail(EX_CANTCREAT, "%s: path too long", path);
	return run_program(postfix, NULL);
}

int
cmd_export(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "makemap", no_argument, NULL, 'm' },
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = verb_find("export");
	const char *output = NULL;
	enum map_format f;
	bool make = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT "o:", options,
		    NULL)) != -1) {
		if (opt == 'o')
			output = optarg;
		else if (opt == 'm')
			make = true;
		else if ((rc = common_option(c, v, opt)) != -1)
			return rc;
	}
	if (argc - optind != 1)
		return verb_usage(v, EX_USAGE);
	if (map_format_parse(argv[optind], &f) == -1)
		return fail(EX_USAGE,
		    "unknown map \"%s\": use virtusertable, "
		    "postfix, postfix-virtual or validrcptto",
		    argv[optind]);
	if (make && (output == NULL || f == MAP_VALIDRCPTTO))
		return fail(EX_USAGE,
		    "--makemap needs -o FILE, and a "
		    "virtusertable or postfix map");
	if ((rc = ctx_open_store(c, false)) != 0)
		return rc;
	if (map_needs_owner(f) && c->config->owner == NULL)
		return fail(EX_CONFIG,
		    "owner is not set: add owner = "
		    "you@example.net to %s",
		    c->config_path);
	if (output == NULL)
		return write_map(c, stdout, f);
	if ((rc = export_file(c, output, f)) != 0)
		return rc;
	return make ? makemap(output, f) : 0;
}
