/* when.h: the WHEN of --expires and the SPAN of --idle and --since
 * (SPEC "aliasctl"). */
#ifndef ALIASCTL_WHEN_H
#define ALIASCTL_WHEN_H

#include <stdint.h>
#include <time.h>

/* The longest span taken: a century, in seconds. */
#define SPAN_MAX (100LL * 366 * 86400)

/* "2026-12-31" (the end of that day, local time), "2026-12-31T18:00"
 * (local time), or a span from now: "12h", "30d", "2w".  0 or -1. */
int when_parse(const char *text, time_t now, time_t *out);

/* A span alone: "12h", "30d", "2w" (a positive number and one unit, at
 * most SPAN_MAX), in seconds.  0 or -1. */
int span_parse(const char *text, int64_t *seconds);

#endif
