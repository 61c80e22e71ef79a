/*
 * diag.h: the one-line errors of the command-line programs (aliasctl,
 * alias-sendmail): "program: what is wrong and what to do" on stderr.
 */
#ifndef ALIASD_DIAG_H
#define ALIASD_DIAG_H

/* The name in front of every line; set once in main(). */
void diag_init(const char *progname);

/* Print the line and return code, for "return fail(EX_USAGE, ...)". */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print the line (a warning: the program goes on). */
void warnx_cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
