/*
 * sendmail_args.h: understand a sendmail command line well enough to
 * find its mode, recipients and envelope sender, and to rebuild it with
 * another sender.  The options are sendmail 8's, as its getopt() reads
 * them, with Postfix's few additions.
 */
#ifndef ALIASD_SENDMAIL_ARGS_H
#define ALIASD_SENDMAIL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SENDMAIL_OWNED_MAX 4

struct sendmail_args {
	bool deliver; /* a message on stdin to send: -bm, -ba */
	bool smtp; /* -bs: SMTP on stdin, which we cannot rewrite */
	char mode; /* the last -b letter, 'm' by default */
	bool mode_queue; /* -q or -Q: a queue run instead */
	bool mode_initalias; /* -I: -bi */
	bool extract; /* -t: recipients from the headers too */
	bool dry_run; /* --dry-run: ours, never passed on */
	bool help; /* --help: ours; parsing stopped there */
	bool version; /* --version: ours; parsing stopped there */
	const char *sender; /* -f/-r value, or NULL */
	const char **rcpts; /* recipient arguments, in order */
	size_t nrcpts;
	/* argv without argv[0], --dry-run and the -f/-r option: what is
	 * passed on, in its order, with the sender put back in front. */
	const char **keep;
	size_t nkeep;
	char *owned[SENDMAIL_OWNED_MAX]; /* copies in keep, ours */
	size_t nowned;
};

/* Parse argv[1..argc); 0, or -1 with a one-line reason in err (an
 * unknown option, a missing value).  The arrays point into argv and are
 * freed by sendmail_args_free, also after an error. */
int sendmail_args_parse(int argc, char **argv, struct sendmail_args *,
    char *err, size_t errlen);
void sendmail_args_free(struct sendmail_args *);

/* A NULL-terminated argv for program: program, then -f sender when
 * sender is not NULL, then the kept arguments.  Free with free(). */
char **sendmail_args_build(const struct sendmail_args *, const char *program,
    const char *sender);

/* The usage text of alias-sendmail, for --help (stdout) and errors. */
void sendmail_args_usage(FILE *);

#endif
