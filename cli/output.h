/* output.h: dates and JSON for aliasctl's output. */
#ifndef ALIASCTL_OUTPUT_H
#define ALIASCTL_OUTPUT_H

#include <stdio.h>
#include <time.h>

#include "db/store.h"

#define DATE_MAX 32

/* "2026-11-22 10:00" in local time, or "-" for 0. */
const char *format_time(time_t, char buf[DATE_MAX]);

/* A JSON string literal, or null for NULL or "" when empty_is_null. */
void	json_string(FILE *, const char *, int empty_is_null);

/* "2026-11-22T10:00:00Z" as a JSON string, or null for 0. */
void	json_time(FILE *, time_t);

/* One address as a JSON object, without a trailing newline. */
void	json_address(FILE *, const struct store_address *);

/* The same members without the braces, for objects that add more. */
void	json_address_fields(FILE *, const struct store_address *);

#endif
