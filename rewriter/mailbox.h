/*
 * mailbox.h: mailboxes in header text, in every spelling RFC 5322 allows.
 *
 * The rewriter's lower layer for addresses (header.c, leak.c, recipients.c):
 * comparing two addresses, finding one in free text, parsing an address
 * field with GMime, and cutting a field into its elements so that one
 * mailbox can be replaced while the rest of the field keeps its bytes.
 *
 * Threads: as header.h; nothing here keeps state, GMime must have been
 * initialised (header_library_init()).
 */
#ifndef ALIASD_MAILBOX_H
#define ALIASD_MAILBOX_H

#include <stddef.h>

#include <gmime/gmime.h>

/* Addresses equal: ASCII case ignored in the whole address (SPEC), the
 * local parts compared by what they say ("real.owner"@x and
 * "real\.owner"@x are real.owner@x), one trailing dot of a domain
 * ignored. */
int mailbox_addr_eq(const char *, const char *);
/* Domains equal, ASCII case and one trailing dot ignored. */
int mailbox_domain_eq(const char *, const char *);

/* Whether text shows addr as written, as an address of its own (not
 * inside a longer local part or domain), ASCII case ignored. */
int mailbox_text_mentions(const char *text, const char *addr);
/* Whether text shows an address "@domain". */
int mailbox_text_mentions_domain(const char *text, const char *domain);
/* Whether a header value shows addr in any spelling: as written, with
 * folds, quoting and comments taken away, once its encoded words are
 * decoded, or as a mailbox GMime finds in it.  1, 0, or -1 when out of
 * memory. */
int mailbox_value_shows(const char *value, const char *addr);

/* Parse an address header value, unfolded first (GMime would keep the
 * CRLF of a fold inside a display name).  *lp is NULL when GMime finds no
 * address; *mbs (borrowed from *lp) holds its mailboxes, groups
 * flattened, and is empty when groups nest too deep to trust.  Returns 0,
 * or -1 when out of memory; free both with mailbox_list_free(). */
int mailbox_list_parse(const char *value, size_t len, InternetAddressList **lp,
    GPtrArray **mbs);
void mailbox_list_free(InternetAddressList *, GPtrArray *);

/*
 * An address field cut into parts: each element of a list (a mailbox, or
 * whatever stands between two commas), and the start ("Name:") and end
 * (";") of each group.  Commas are implied.  start/end are offsets into
 * the value; an element's span keeps its white space and comments.
 */
enum mailbox_part_kind {
	MAILBOX_ELEM,
	MAILBOX_GROUP_OPEN,
	MAILBOX_GROUP_CLOSE
};

struct mailbox_part {
	enum mailbox_part_kind kind;
	size_t start, end;
};

/* Cut value into *parts (caller frees), *nparts of them.  Returns 0, or
 * -1 with errno ENOMEM. */
int mailbox_field_split(const char *value, struct mailbox_part **parts,
    size_t *nparts);

/* repl[i] for an element that goes. */
extern const char mailbox_drop[];

/*
 * The value put back together: each element whose repl[i] is NULL as it
 * was, mailbox_drop gone, any other replaced by repl[i] (its white space
 * around kept); elements of white space only left out; commas between
 * the remaining ones.  flatten: no groups (a From may not hold any), the
 * elements joined with ", ".  Returns a string the caller frees, or NULL
 * with errno ENOMEM.
 */
char *mailbox_field_join(const char *value, const struct mailbox_part *,
    size_t nparts, const char *const *repl, int flatten);

#endif
