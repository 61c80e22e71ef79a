/* when.h: the WHEN of --expires (SPEC "aliasctl"). */
#ifndef ALIASCTL_WHEN_H
#define ALIASCTL_WHEN_H

#include <time.h>

/* "2026-12-31" (the end of that day, local time), "2026-12-31T18:00"
 * (local time), or a span from now: "12h", "30d", "2w".  0 or -1. */
int	when_parse(const char *text, time_t now, time_t *out);

#endif
