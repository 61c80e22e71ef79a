/* diag.c: one-line messages on stderr for the command-line programs. */
#include <stdarg.h>
#include <stdio.h>

#include "common/diag.h"

static const char *progname = "aliasd";

void
diag_init(const char *name)
{
	progname = name;
}

static void vline(const char *, va_list) __attribute__((format(printf, 1, 0)));

static void
vline(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int
fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(fmt, ap);
	va_end(ap);
	return code;
}

void
warnx_cli(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(fmt, ap);
	va_end(ap);
}
