/* output.h: dates, terminal text and JSON for aliasctl's output. */
#ifndef ALIASCTL_OUTPUT_H
#define ALIASCTL_OUTPUT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "db/store.h"

#define DATE_MAX 32

/* "2026-11-22 10:00" in local time, or "-" for 0. */
const char *format_time(time_t, char buf[DATE_MAX]);

/* Room for any string of n bytes escaped by term_escape(). */
#define TERM_MAX(n)	(4 * (n) + 1)

/* s as a terminal may show it, in buf: valid UTF-8 passes; a control
 * character (C0, DEL, C1) and a byte that is not UTF-8 become \xNN, one
 * per byte.  Every stored string printed as text goes through here.
 * Cut at a character if buf is short; returns buf. */
const char *term_escape(const char *s, char *buf, size_t len);

/* A JSON string literal, or null for NULL or "" when empty_is_null.
 * Always valid JSON: control characters become \uXXXX and each byte
 * that is not UTF-8 becomes U+FFFD. */
void	json_string(FILE *, const char *, int empty_is_null);

/* "2026-11-22T10:00:00Z" as a JSON string, or null for 0. */
void	json_time(FILE *, time_t);

/* One address as a JSON object, without a trailing newline. */
void	json_address(FILE *, const struct store_address *);

/* The same members without the braces, for objects that add more. */
void	json_address_fields(FILE *, const struct store_address *);

#endif
