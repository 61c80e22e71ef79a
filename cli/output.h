/* output.h: dates, terminal text and JSON for aliasctl's output. */
#ifndef ALIASCTL_OUTPUT_H
#define ALIASCTL_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "db/store.h"

#define DATE_MAX 32

/* "2026-11-22 10:00" in local time, or "-" for 0. */
const char *format_time(time_t, char buf[DATE_MAX]);

/* Room for any string of n bytes escaped by term_escape(). */
#define TERM_MAX(n) (4 * (n) + 1)

/* s as a terminal may show it, in buf: valid UTF-8 passes; a control
 * character (C0, DEL, C1) and a byte that is not UTF-8 become \xNN, one
 * per byte.  Every stored string printed as text goes through here.
 * Cut at a character if buf is short; returns buf. */
const char *term_escape(const char *s, char *buf, size_t len);

/* A JSON string literal, or null for NULL or "" when empty_is_null.
 * Always valid JSON: control characters become \uXXXX and each byte
 * that is not UTF-8 becomes U+FFFD. */
void json_string(FILE *, const char *, int empty_is_null);

/* "2026-11-22T10:00:00Z" as a JSON string, or null for 0. */
void json_time(FILE *, time_t);

/* One address as a JSON object with its allow list (read from s),
 * without a trailing newline.  The object is complete even when the
 * store fails; the status says whether the list is. */
enum store_status json_address(FILE *, struct store *,
    const struct store_address *);

/* The members of an address, rules included, without the braces, for
 * objects that add more. */
void json_address_fields(FILE *, const struct store_address *);

/* The rules' members alone: lock, on_refuse, max_mails, idle (seconds;
 * null for none) and learned, each after a comma. */
void json_rules(FILE *, const struct store_address *);

/* The member ,"allow":[items...] of one address. */
enum store_status json_allow(FILE *, struct store *, int64_t id);

/* A span of seconds as --idle takes it: "30d", "2w", "12h". */
#define SPAN_TEXT_MAX 32
const char *span_format(int64_t seconds, char buf[SPAN_TEXT_MAX]);

#endif
