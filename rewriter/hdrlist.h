/*
 * hdrlist.h: a message's header block as an ordered list of fields, and
 * changes to it in the terms of libmilter's smfi_chgheader/smfi_addheader.
 *
 * The milter feeds the headers it receives one by one into a header_list
 * and sends the changes that rewrite_headers() (header.h) decides to the
 * MTA; alias-sendmail parses the header block of stdin into a header_list,
 * applies the same changes with header_list_apply() and writes the block
 * back out.
 *
 * Plain C with no global state: every function may run concurrently in
 * several threads as long as each works on its own lists.
 */
#ifndef ALIASD_HDRLIST_H
#define ALIASD_HDRLIST_H

#include <stddef.h>
#include <stdio.h>

/* One header field as it arrived: name without the colon, value raw
 * (folding and encoded words kept, no leading space after the colon,
 * no trailing CRLF).  raw/rawlen hold the field's exact bytes as read by
 * header_list_parse() (name, colon, value and line ending), so that an
 * unchanged field is written back byte for byte; they are NULL/0 for
 * fields added or changed since, which are written from name and value. */
struct header_field {
	char *name;
	char *value;
	char *raw;
	size_t rawlen;
};

/* An ordered list of header fields; owns its strings. */
struct header_list {
	struct header_field *fields;
	size_t count;
	size_t cap;
};

/* A change to one header field, in the terms of smfi_chgheader(): the
 * index counts fields of the same name (case-insensitive), from 1. */
enum header_op {
	HEADER_CHANGE, /* replace the value of name[index] */
	HEADER_DELETE, /* remove name[index] */
	HEADER_ADD /* append a new field at the end of the block */
};

struct header_change {
	enum header_op op;
	char *name;
	int index; /* HEADER_CHANGE, HEADER_DELETE only */
	char *value; /* NULL for HEADER_DELETE */
};

/* An ordered list of changes; owns its strings. */
struct header_changes {
	struct header_change *items;
	size_t count;
	size_t cap;
};

void header_list_init(struct header_list *);
/* Append a field of ours (no raw bytes).  Returns 0, or -1 with errno
 * ENOMEM or EINVAL (NULL or empty name, NULL value). */
int header_list_add(struct header_list *, const char *name, const char *value);
/* Frees the strings and leaves the list empty and reusable; accepts NULL. */
void header_list_free(struct header_list *);

/* Position in hl->fields of the index-th (from 1) field called name,
 * ASCII case ignored, or hl->count if there is none. */
size_t header_list_find(const struct header_list *, const char *name,
    int index);
/* How many fields are called name, ASCII case ignored. */
size_t header_list_count(const struct header_list *, const char *name);
/* Whether name is one of the n field names in names, ASCII case ignored. */
int header_name_in(const char *name, const char *const *names, size_t n);

void header_changes_init(struct header_changes *);
/* Append a change with copies of name and value (value NULL for
 * HEADER_DELETE).  Returns 0, or -1 with errno ENOMEM. */
int header_changes_push(struct header_changes *, enum header_op,
    const char *name, int index, const char *value);
/* Drop the changes past the first n. */
void header_changes_truncate(struct header_changes *, size_t n);
/* Frees the changes and leaves the list empty and reusable; accepts NULL. */
void header_changes_free(struct header_changes *);

/* Apply changes in order, as the MTA would: a CHANGE past the last field
 * of that name adds one, a DELETE of a missing one does nothing, index 0
 * means 1.  Returns 0, or -1 with errno ENOMEM or EINVAL (negative index,
 * empty name); the list may then be partly changed. */
int header_list_apply(struct header_list *, const struct header_changes *);

/* Parse the header block at the start of buf[0..len) into the list (which
 * must be initialised; fields are appended).  Lines may end in LF or CRLF;
 * continuation lines are kept in the value.  The block ends before the
 * first empty line, or before the first line that is neither a field nor
 * a continuation; *used is set to the length of the fields consumed, so
 * buf + *used is the blank line (if any) and the body, which the caller
 * copies out untouched.  Returns 0, or -1 with errno ENOMEM. */
int header_list_parse(struct header_list *, const char *buf, size_t len,
    size_t *used);

/* Write the fields to fp: unchanged parsed fields byte for byte, others as
 * "Name: value" with every line ending (including folds inside the value)
 * made eol ("\n" or "\r\n").  Writes no blank line after the block.
 * Returns 0, or -1 with errno set by stdio. */
int header_list_write(const struct header_list *, FILE *, const char *eol);

#endif
