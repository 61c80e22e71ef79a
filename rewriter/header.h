/*
 * header.h: From/Reply-To/Sender rewriting of a message's header block.
 *
 * Pure logic over GMime: no SQLite, no libmilter.  The milter feeds the
 * headers it received one by one into a header_list and applies the
 * resulting changes with smfi_chgheader/smfi_addheader; alias-sendmail
 * parses the header block of stdin into a header_list, applies the changes
 * with header_list_apply() and writes the block back out.
 *
 * Threads: call header_library_init() once before starting threads (it is
 * safe to call again from any thread).  After that every function here may
 * run concurrently in several threads as long as each works on its own
 * lists; nothing here keeps mutable global state.
 */
#ifndef ALIASD_HEADER_H
#define ALIASD_HEADER_H

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
	HEADER_CHANGE,	/* replace the value of name[index] */
	HEADER_DELETE,	/* remove name[index] */
	HEADER_ADD	/* append a new field at the end of the block */
};

struct header_change {
	enum header_op op;
	char *name;
	int index;	/* HEADER_CHANGE, HEADER_DELETE only */
	char *value;	/* NULL for HEADER_DELETE */
};

struct header_changes {
	struct header_change *items;
	size_t count;
	size_t cap;
};

/* What to rewrite to, and whose mail is ours. */
struct rewrite_request {
	const char *address;		/* chosen address, or NULL: none */
	const char *full_name;		/* display name if From has none; NULL */
	const char *owner;		/* the owner's real mailbox, or NULL */
	const char *const *domains;	/* managed domains */
	size_t ndomains;
};

enum rewrite_status {
	REWRITE_OK,		/* changes (possibly none) computed */
	REWRITE_NOT_OWNER,	/* From is not the owner's: leave it alone */
	REWRITE_ERROR		/* out of memory or bad input: err filled */
};

/* Initialise GMime once per process (pthread_once); idempotent. */
void	header_library_init(void);

void	header_list_init(struct header_list *);
int	header_list_add(struct header_list *, const char *name,
	    const char *value);
void	header_list_free(struct header_list *);

void	header_changes_init(struct header_changes *);
void	header_changes_free(struct header_changes *);

/* Decide the changes that turn the list's From, Reply-To and Sender into
 * the request's.  With no address chosen (req->address NULL) only a Sender
 * naming the owner is removed.  Never touches any other header.  Changes
 * are appended to the caller's (initialised) header_changes; on
 * REWRITE_NOT_OWNER and REWRITE_ERROR none are. */
enum rewrite_status rewrite_headers(const struct header_list *,
	    const struct rewrite_request *, struct header_changes *,
	    char *err, size_t errlen);

/* Apply changes in order, as the MTA would: a CHANGE past the last field
 * of that name adds one, a DELETE of a missing one does nothing, index 0
 * means 1.  Returns 0, or -1 with errno ENOMEM or EINVAL (negative index,
 * empty name); the list may then be partly changed. */
int	header_list_apply(struct header_list *, const struct header_changes *);

/* Parse the header block at the start of buf[0..len) into the list (which
 * must be initialised; fields are appended).  Lines may end in LF or CRLF;
 * continuation lines are kept in the value.  The block ends before the
 * first empty line, or before the first line that is neither a field nor
 * a continuation; *used is set to the length of the fields consumed, so
 * buf + *used is the blank line (if any) and the body, which the caller
 * copies out untouched.  Returns 0, or -1 with errno ENOMEM. */
int	header_list_parse(struct header_list *, const char *buf, size_t len,
	    size_t *used);

/* Write the fields to fp: unchanged parsed fields byte for byte, others as
 * "Name: value" with every line ending (including folds inside the value)
 * made eol ("\n" or "\r\n").  Writes no blank line after the block.
 * Returns 0, or -1 with errno set by stdio. */
int	header_list_write(const struct header_list *, FILE *, const char *eol);

/* The recipients sendmail -t would take: the addresses of every To, Cc and
 * Bcc field (Resent-To, Resent-Cc and Resent-Bcc instead when any of those
 * is present), groups flattened, spelled as written (case kept, IDN domains
 * in their ASCII form), without duplicates (ASCII case ignored) and in
 * order of appearance.  Unparsable fields are skipped.  *rcpts is a
 * NULL-terminated array owned by the caller (free with
 * header_recipients_free); *nrcpts its length.  Returns 0, or -1 with
 * errno ENOMEM. */
int	header_list_recipients(const struct header_list *, char ***rcpts,
	    size_t *nrcpts);
void	header_recipients_free(char **);

#endif
