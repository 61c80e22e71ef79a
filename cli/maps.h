/*
 * maps.h: the static maps aliasctl writes for MTAs, and the sendmail
 * virtusertable source it reads.  Pure formatting and parsing.
 */
#ifndef ALIASCTL_MAPS_H
#define ALIASCTL_MAPS_H

#include <stdbool.h>
#include <stdio.h>

#include "db/store.h"

enum map_format {
	MAP_VIRTUSERTABLE, /* addr<TAB>OWNER | addr<TAB>error:nouser R */
	MAP_POSTFIX, /* access(5): addr OK | addr 550 5.1.1 R */
	MAP_POSTFIX_VIRTUAL, /* virtual(5): addr OWNER, active only */
	MAP_VALIDRCPTTO /* qmail: one active address a line */
};

/* "virtusertable" and so on; -1 for an unknown name. */
int map_format_parse(const char *name, enum map_format *);
bool map_needs_owner(enum map_format);

/* Write one address's line, or nothing when the format leaves it out.
 * A reason that is not clean text is written with '?' for each control
 * character or byte that is not UTF-8.  -1, writing nothing, when the
 * address itself could not be a key (a control character, a blank,
 * bytes that are not UTF-8: only a store written by hand holds those). */
int map_write(FILE *, enum map_format, const struct store_address *,
    const char *owner);

/* One line of a virtusertable source, as people write it. */
enum vt_kind {
	VT_SKIP, /* blank or comment */
	VT_ADDRESS, /* an address: delivered or refused */
	VT_CATCHALL /* "@domain target": not an address */
};

struct vt_entry {
	enum vt_kind kind;
	char address[ADDRESS_MAX]; /* normalized; "@domain" for catch-all */
	bool refused;
	char reason[REASON_MAX];
};

/* Parse a line without its newline; NULL, or why it cannot be read. */
const char *vt_parse_line(const char *line, struct vt_entry *);

#endif
