/*
 * fuzz_sendmail_args.c: libFuzzer harness for the sendmail command line
 * that alias-sendmail takes (sendmail_args_parse, sendmail_args_build).
 *
 * Input: the arguments after argv[0], each ended by a NUL byte (a last
 * one without it counts too), at most ARGS_MAX.
 *
 * Invariants: every recipient and kept argument points into argv or into
 * the owned copies; the rebuilt argv is program, "-f sender" when given,
 * then the kept arguments, NULL-terminated; no more is kept than was
 * passed (nkeep <= argc - 1, an owned copy standing for its argument);
 * a message is sent in one mode only (never both -bs and delivery, never
 * delivery with -q); our own --dry-run, --help and --version are never
 * passed on unless a "--" came before them or they are the value of the
 * option before them (as getopt() takes "-D --help").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sendmail/sendmail_args.h"

#define ARGS_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
from_argv(const char *p, int argc, char **argv, const struct sendmail_args *a)
{
	int i;
	size_t j;

	for (i = 1; i < argc; i++)
		if (p >= argv[i] && p <= argv[i] + strlen(argv[i]))
			return 1;
	for (j = 0; j < a->nowned; j++)
		if (p == a->owned[j])
			return 1;
	return 0;
}

static int
ours(const char *s)
{
	return strcmp(s, "--dry-run") == 0 || strcmp(s, "--help") == 0 ||
	    strcmp(s, "--version") == 0;
}

/* Could prev be an option whose value is the next argument? */
static int
takes_next(const char *prev)
{
	size_t n = strlen(prev);

	return n >= 2 && prev[0] == '-' && prev[1] != '-' &&
	    strchr("ABbCDdeFfhLMNOopQqRrVX", prev[n - 1]) != NULL;
}

static void
check(int argc, char **argv, const struct sendmail_args *a)
{
	char **out;
	size_t i, n;

	if (a->nkeep > (size_t)argc - 1 || a->nrcpts > a->nkeep ||
	    a->nowned > SENDMAIL_OWNED_MAX)
		abort();
	if (a->sender != NULL && !from_argv(a->sender, argc, argv, a))
		abort();
	if ((a->deliver && (a->smtp || a->mode_queue || a->mode_initalias)) ||
	    a->smtp != (a->mode == 's'))
		abort();
	for (i = 0; i < a->nkeep && strcmp(a->keep[i], "--") != 0; i++)
		if (ours(a->keep[i]) &&
		    (i == 0 || !takes_next(a->keep[i - 1])))
			abort();
	for (i = 0; i < a->nrcpts; i++)
		if (!from_argv(a->rcpts[i], argc, argv, a))
			abort();
	for (i = 0; i < a->nkeep; i++)
		if (!from_argv(a->keep[i], argc, argv, a))
			abort();
	if ((out = sendmail_args_build(a, "/usr/sbin/sendmail", a->sender)) ==
	    NULL)
		return;
	n = 1;
	if (strcmp(out[0], "/usr/sbin/sendmail") != 0)
		abort();
	if (a->sender != NULL) {
		if (strcmp(out[1], "-f") != 0 || out[2] != a->sender)
			abort();
		n = 3;
	}
	for (i = 0; i < a->nkeep; i++)
		if (out[n + i] != a->keep[i])
			abort();
	if (out[n + a->nkeep] != NULL)
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sendmail_args a;
	char *copy, *argv[ARGS_MAX + 2], err[256];
	size_t off = 0, len;
	int argc = 0;

	/* a copy with a NUL after the last argument */
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = "alias-sendmail";
	while (off < size && argc <= ARGS_MAX) {
		len = strlen(copy + off);
		argv[argc++] = copy + off;
		off += len + 1;
	}
	argv[argc] = NULL;
	err[0] = '\0';
	if (sendmail_args_parse(argc, argv, &a, err, sizeof(err)) == 0) {
		check(argc, argv, &a);
		sendmail_args_free(&a);
	} else if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
		abort();
	free(copy);
	return 0;
}
