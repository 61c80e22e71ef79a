/*
 * sendmail_args.c: the sendmail command line, getopt-style: flags may be
 * combined (-ti), values may be attached (-fme@x) or separate (-f me@x),
 * "--" ends the options, and options may follow recipients (Postfix's
 * sendmail permutes like GNU getopt).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewriter/sendmail_args.h"

/* Options whose value follows, attached or as the next argument. */
static const char with_value[] = "ABCFLNORVXfhpr";

static void
keep(struct sendmail_args *a, const char *arg)
{
	a->keep[a->nkeep++] = arg;
}

/* The flags before -f in "-tif addr" must survive without the -f. */
static int
keep_prefix(struct sendmail_args *a, const char *arg, size_t n, char *err,
    size_t errlen)
{
	char *copy;

	if (n <= 1)
		return 0;
	if (a->nowned == SENDMAIL_OWNED_MAX ||
	    (copy = strndup(arg, n)) == NULL) {
		snprintf(err, errlen, "too many combined options");
		return -1;
	}
	a->owned[a->nowned++] = copy;
	keep(a, copy);
	return 0;
}

/* One argument that starts with '-'; *i may advance past its value. */
static int
parse_option(struct sendmail_args *a, int argc, char **argv, int *i,
    char *err, size_t errlen)
{
	const char *arg = argv[*i];
	const char *value;

	for (const char *p = arg + 1; *p != '\0'; p++) {
		if (*p == 'b') {	/* the mode: -bm, -bs, -bp, ... */
			a->deliver = p[1] == '\0' || strcmp(p + 1, "m") == 0;
			break;
		}
		if (*p == 'o' || *p == 'q')	/* -oi, -odb, -q30m: attached */
			break;
		if (*p == 't')
			a->extract = true;
		if (strchr(with_value, *p) == NULL)
			continue;	/* a flag: -t, -i, -v, -m, -n, -U ... */
		if (p[1] != '\0')
			value = p + 1;
		else if (*i + 1 < argc)
			value = argv[++*i];
		else {
			snprintf(err, errlen, "option -%c needs a value", *p);
			return -1;
		}
		if (*p == 'f' || *p == 'r') {
			/* Dropped here, put back in front by build. */
			a->sender = value;
			return keep_prefix(a, arg, (size_t)(p - arg), err,
			    errlen);
		}
		keep(a, arg);
		if (value != p + 1)
			keep(a, value);
		return 0;
	}
	keep(a, arg);
	return 0;
}

int
sendmail_args_parse(int argc, char **argv, struct sendmail_args *a,
    char *err, size_t errlen)
{
	bool options = true;

	memset(a, 0, sizeof(*a));
	a->deliver = true;
	a->rcpts = calloc((size_t)argc + 1, sizeof(*a->rcpts));
	a->keep = calloc((size_t)argc + 1, sizeof(*a->keep));
	if (a->rcpts == NULL || a->keep == NULL) {
		snprintf(err, errlen, "out of memory");
		sendmail_args_free(a);
		return -1;
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (options && strcmp(arg, "--dry-run") == 0) {
			a->dry_run = true;
			continue;
		}
		if (options && strcmp(arg, "--") == 0) {
			options = false;
			keep(a, arg);
			continue;
		}
		if (options && arg[0] == '-' && arg[1] != '\0') {
			if (parse_option(a, argc, argv, &i, err, errlen) == -1) {
				sendmail_args_free(a);
				return -1;
			}
			continue;
		}
		a->rcpts[a->nrcpts++] = arg;
		keep(a, arg);
	}
	return 0;
}

void
sendmail_args_free(struct sendmail_args *a)
{
	for (size_t i = 0; i < a->nowned; i++)
		free(a->owned[i]);
	a->nowned = 0;
	free(a->rcpts);
	free(a->keep);
	a->rcpts = NULL;
	a->keep = NULL;
}

char **
sendmail_args_build(const struct sendmail_args *a, const char *program,
    const char *sender)
{
	char **argv = calloc(a->nkeep + 4, sizeof(*argv));
	size_t n = 0;

	if (argv == NULL)
		return NULL;
	argv[n++] = (char *)program;
	if (sender != NULL) {
		argv[n++] = "-f";
		argv[n++] = (char *)sender;
	}
	for (size_t i = 0; i < a->nkeep; i++)
		argv[n++] = (char *)a->keep[i];
	argv[n] = NULL;
	return argv;
}
