/*
 * store.h: the SQLite store of addresses, correspondents, settings and
 * counters.  Every front end goes through this API; nothing else knows
 * SQL.
 *
 * A struct store is one SQLite connection with its statements prepared
 * once.  It must not be shared between threads without a lock; aliasd
 * gives each worker its own.
 */
#ifndef ALIASD_STORE_H
#define ALIASD_STORE_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/address.h"

#define REASON_MAX	512
#define NOTE_MAX	512
#define DEFAULT_REASON	"This address has been retired"

enum store_status {
	STORE_OK = 0,
	STORE_NOTFOUND,		/* no such address (or end of a list) */
	STORE_EXISTS,		/* the address is taken */
	STORE_AMBIGUOUS,	/* a prefix names several addresses */
	STORE_BUSY,		/* locked past the busy timeout: try later */
	STORE_MISSING,		/* no store file (run aliasctl init) */
	STORE_READONLY,		/* cannot write the file or its directory */
	STORE_CANTCREATE,	/* cannot create the file or its directory */
	STORE_INVALID,		/* bad argument, e.g. template exhausted */
	STORE_ERROR		/* anything else: corrupt, I/O, no memory */
};

enum address_state {
	STATE_ACTIVE = 0,
	STATE_RETIRED = 1,
	STATE_EXPIRED = 2	/* derived: active with expires <= now */
};

struct store_address {
	int64_t id;
	char address[ADDRESS_MAX];		/* local@domain, lowercase */
	char local[LOCAL_MAX + 1];
	char domain[DOMAIN_MAX + 1];
	char correspondent[ADDRESS_MAX];	/* "" for none */
	int64_t seq;				/* -1 for named addresses */
	enum address_state state;
	char reason[REASON_MAX];		/* retired only */
	char note[NOTE_MAX];
	time_t created;
	time_t retired;				/* 0 when not retired */
	time_t expires;				/* 0 for never */
	int64_t messages;			/* accepted inbound mail */
	time_t last_mail;			/* 0 for never */
	bool is_default;
};

/* How to open.  uid/gid: when not (uid_t)-1, a created directory and file
 * are given to them (aliasctl as root creating the store for aliasd). */
struct store_options {
	bool create;		/* create file, directory and schema */
	bool readonly;
	int busy_ms;		/* wait this long for a lock */
	bool durable;		/* synchronous=FULL rather than NORMAL */
	uid_t uid;
	gid_t gid;
};

struct store;
struct store_iter;

/* Once, before any other thread starts and before the first open. */
int	store_library_init(void);

enum store_status store_open(const char *path, const struct store_options *,
	    struct store **, char *err, size_t errlen);
void	store_close(struct store *);

/* The last error's text, for a one-line message. */
const char *store_error(const struct store *);

/* Whether the file was just created by this open. */
bool	store_created(const struct store *);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK; the busy wait happens at begin. */
enum store_status store_begin(struct store *);
enum store_status store_commit(struct store *);
void	store_rollback(struct store *);

/* Lookups.  now decides expiry.  The address given is normalized. */
enum store_status store_find(struct store *, const char *local,
	    const char *domain, time_t now, struct store_address *);
enum store_status store_find_correspondent(struct store *,
	    const char *correspondent, time_t now, struct store_address *);

/* Resolve what a user typed: an address, a local part or a unique prefix
 * of a local part.  STORE_AMBIGUOUS writes up to a few candidates,
 * comma-separated, into candidates. */
enum store_status store_resolve(struct store *, const char *what,
	    time_t now, struct store_address *, char *candidates,
	    size_t candlen);

/* Create an address; a new sequence number (never reused) is drawn when
 * the template has %n.  local NULL: render the template (retrying on the
 * rare random collision), else a named address.  Fills out. */
struct template;
enum store_status store_create(struct store *, const struct template *,
	    const char *local, const char *domain, const char *correspondent,
	    time_t expires, const char *note, time_t now,
	    struct store_address *out);

/* Take in an address as it stands (import).  seq -1 for none; raises the
 * next sequence number past seq. */
enum store_status store_insert(struct store *, const struct store_address *);

enum store_status store_retire(struct store *, int64_t id,
	    const char *reason, time_t now);
enum store_status store_revive(struct store *, int64_t id);

/* The default address: id 0 clears it. */
enum store_status store_set_default(struct store *, int64_t id);
enum store_status store_get_default(struct store *, time_t now,
	    struct store_address *);

/* Iterate in address order.  filter: which states to show. */
enum store_filter {
	FILTER_ACTIVE,		/* active and not expired */
	FILTER_RETIRED,		/* retired or expired */
	FILTER_ALL
};
enum store_status store_list(struct store *, enum store_filter, time_t now,
	    struct store_iter **);
enum store_status store_next(struct store_iter *, struct store_address *);
void	store_iter_free(struct store_iter *);

/* Sender domains kept per address: the most recent ones (by the last
 * time seen).  Older ones are deleted in the transaction that counts mail
 * to the address, so that strangers cannot grow the store without end;
 * a store written by older versions is trimmed the same way, the next
 * time mail to the address is counted. */
#define SENDER_DOMAINS_MAX 1000

/* Sender domains seen for one address, most recent first, at most
 * SENDER_DOMAINS_MAX of them. */
typedef void store_domain_fn(void *arg, const char *domain, int64_t count,
	    time_t last);
enum store_status store_sender_domains(struct store *, int64_t id,
	    store_domain_fn *, void *arg);

/* Counting accepted mail: one row per accepted message and address.
 * A sender domain that is not valid UTF-8 or holds a control character
 * is not recorded (the message is still counted). */
struct store_count {
	int64_t id;
	char sender_domain[DOMAIN_MAX + 1];	/* "" when unknown */
	time_t when;
};
enum store_status store_add_counts(struct store *,
	    const struct store_count *, size_t n);

/* Key/value settings. */
enum store_status store_get_setting(struct store *, const char *key,
	    char *value, size_t valuelen);
enum store_status store_set_setting(struct store *, const char *key,
	    const char *value);

const char *store_state_name(enum address_state);

#endif
