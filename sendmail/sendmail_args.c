/*
 * sendmail_args.c: the sendmail command line as sendmail 8 reads it.
 *
 * sendmail 8 hands its argv to getopt() with the letters
 * "A:B:b:C:cD:d:e:F:f:Gh:IiL:M:mN:nO:o:p:Q:q:R:r:sTtV:vX:", after a pass
 * (obsolete() in its main.c) that lets a few of them stand bare.  So
 * flags combine (-ti), a value is attached (-Dfile, -MJfoo, -oi, -q1h)
 * or is the next argument (-D file, -f me@x), and "--" ends the options.
 * -M takes one value, a macro name and its value (-MJfoo defines macro
 * J: it is not -f).  Postfix's sendmail adds the flags -U and -x.
 *
 * Options may also follow recipients: we look at every argument that
 * starts with '-' until "--", so a stray option is never a recipient.
 * An unknown letter is a usage error: we could not tell whether the
 * next argument is its value or a recipient.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sendmail/sendmail_args.h"

/* The letters of sendmail 8 and Postfix, by kind. */
static const char with_value[] = "ABbCDdeFfhLMNOopQqRrVX";
static const char flags[] = "cGIimnsTtUvx";

/* -b letters that send a message read on stdin, and the others. */
static const char deliver_modes[] = "ma";
static const char other_modes[] = "CDdHhilPpstv";

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

/*
 * May "-X", alone in its argument, go without a value?  sendmail runs
 * -d and -q bare (-d0-99.1, a single queue run: Postfix reads a bare -q
 * the same way), and -C and -Q when no value follows; every other
 * letter takes the next argument, even one starting with '-'.
 */
static bool
may_stand_bare(char letter, const char *next)
{
	if (letter == 'd' || letter == 'q')
		return true;
	if (letter == 'C' || letter == 'Q')
		return next == NULL || next[0] == '-';
	return false;
}

/* What a value-taking option means to us; the option itself is kept. */
static int
note_value(struct sendmail_args *a, char letter, const char *value, char *err,
    size_t errlen)
{
	switch (letter) {
	case 'b':
		if (value == NULL || value[0] == '\0' ||
		    (strchr(deliver_modes, value[0]) == NULL &&
			strchr(other_modes, value[0]) == NULL)) {
			snprintf(err, errlen, "unknown mode -b%.8s",
			    value != NULL ? value : "");
			return -1;
		}
		a->mode = value[0];
		break;
	case 'q': /* a queue run, not a message */
	case 'Q':
		a->mode_queue = true;
		break;
	}
	return 0;
}

/* One argument that starts with '-'; *i may advance past its value. */
static int
parse_option(struct sendmail_args *a, int argc, char **argv, int *i, char *err,
    size_t errlen)
{
	const char *arg = argv[*i];
	const char *next = *i + 1 < argc ? argv[*i + 1] : NULL;
	const char *value;

	for (const char *p = arg + 1; *p != '\0'; p++) {
		if (strchr(flags, *p) != NULL) {
			if (*p == 't')
				a->extract = true;
			else if (*p == 'I') /* -I is -bi */
				a->mode_initalias = true;
			continue;
		}
		if (strchr(with_value, *p) == NULL) {
			snprintf(err, errlen, "unknown option -%c", *p);
			return -1;
		}
		if (p[1] != '\0')
			value = p + 1;
		else if (p == arg + 1 && may_stand_bare(*p, next))
			value = NULL;
		else if (next != NULL)
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
		if (note_value(a, *p, value, err, errlen) == -1)
			return -1;
		keep(a, arg);
		if (value != NULL && value != p + 1)
			keep(a, value);
		return 0;
	}
	keep(a, arg);
	return 0;
}

/* Our own long options; 1 when arg was one, -1 for an unknown one. */
static int
parse_long(struct sendmail_args *a, const char *arg, char *err, size_t errlen)
{
	if (strcmp(arg, "--dry-run") == 0)
		a->dry_run = true;
	else if (strcmp(arg, "--help") == 0)
		a->help = true;
	else if (strcmp(arg, "--version") == 0)
		a->version = true;
	else {
		snprintf(err, errlen, "unknown option %.64s", arg);
		return -1;
	}
	return 1;
}

int
sendmail_args_parse(int argc, char **argv, struct sendmail_args *a, char *err,
    size_t errlen)
{
	bool options = true;
	int rc = 0;

	memset(a, 0, sizeof(*a));
	a->mode = 'm';
	a->rcpts = calloc((size_t)argc + 1, sizeof(*a->rcpts));
	a->keep = calloc((size_t)argc + 1, sizeof(*a->keep));
	if (a->rcpts == NULL || a->keep == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	for (int i = 1; rc == 0 && i < argc; i++) {
		const char *arg = argv[i];

		if (!options || arg[0] != '-' || arg[1] == '\0') {
			a->rcpts[a->nrcpts++] = arg;
			keep(a, arg);
		} else if (strcmp(arg, "--") == 0) {
			options = false;
			keep(a, arg);
		} else if (arg[1] == '-') {
			if (parse_long(a, arg, err, errlen) == -1)
				rc = -1;
			else if (a->help || a->version)
				break; /* nothing else counts */
		} else
			rc = parse_option(a, argc, argv, &i, err, errlen);
	}
	if (rc == -1) {
		sendmail_args_free(a);
		return -1;
	}
	a->smtp = a->mode == 's';
	a->deliver = strchr(deliver_modes, a->mode) != NULL &&
	    !a->mode_queue && !a->mode_initalias;
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
	a->nrcpts = 0;
	a->nkeep = 0;
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

void
sendmail_args_usage(FILE *fp)
{
	fputs("usage: alias-sendmail [--dry-run] [sendmail-options] [--] "
	      "[recipient ...]\n"
	      "       alias-sendmail --help | --version\n"
	      "\n"
	      "Reads a message on stdin, rewrites From and Reply-To to the "
	      "address aliasd\n"
	      "chose for its recipients, and hands it to sendmail_program "
	      "with the same\n"
	      "options and recipients.  -bs is refused: pipe the message "
	      "instead.\n"
	      "  --dry-run  print the rewritten message and the command; "
	      "run nothing\n"
	      "See alias-sendmail(1).\n",
	    fp);
}
