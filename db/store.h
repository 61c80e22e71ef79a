/*
 * store.h: the store of addresses, correspondents, settings and
 * counters, in a SQLite file or a PostgreSQL database.  Every front end
 * goes through this API; nothing else knows SQL.
 *
 * A struct store is one connection with its statements prepared
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

#define REASON_MAX 512
#define NOTE_MAX 512
#define DEFAULT_REASON "This address has been retired"

enum store_status {
	STORE_OK = 0,
	STORE_NOTFOUND, /* no such address (or end of a list) */
	STORE_EXISTS, /* the address is taken */
	STORE_AMBIGUOUS, /* a prefix names several addresses */
	STORE_BUSY, /* locked past the busy timeout: try later */
	STORE_MISSING, /* no store file (run aliasctl init) */
	STORE_READONLY, /* cannot write the file or its directory */
	STORE_CANTCREATE, /* cannot create the file or its directory */
	STORE_INVALID, /* bad argument, e.g. template exhausted */
	STORE_ERROR /* anything else: corrupt, I/O, no memory */
};

enum address_state {
	STATE_ACTIVE = 0,
	STATE_RETIRED = 1,
	STATE_EXPIRED = 2 /* derived: see enum expiry */
};

/* The gate's rules of one address (SPEC "The gate"). */
enum lock_mode {
	LOCK_NONE = 0, /* anybody may write */
	LOCK_DOMAIN = 1, /* expected senders only */
	LOCK_SENDER = 2 /* the correspondent's address and the allow
				 * list only */
};

enum refuse_action {
	REFUSE_REJECT = 0, /* 550 */
	REFUSE_DISCARD = 1, /* accepted and dropped for this recipient */
	REFUSE_HOLD = 2, /* accepted into the MTA's hold queue */
	REFUSE_TEMPFAIL = 3 /* 450 4.2.1 */
};

/* Why an active address counts as expired; derived when a row is read. */
enum expiry {
	EXPIRY_NONE = 0,
	EXPIRY_DATE, /* expires <= now */
	EXPIRY_MAX_MAILS, /* messages >= max_mails */
	EXPIRY_IDLE /* no mail for idle seconds (since created
				 * until the first mail) */
};

struct store_rules {
	enum lock_mode lock;
	enum refuse_action on_refuse;
	int64_t max_mails; /* 0: no limit */
	int64_t idle; /* seconds; 0: never idles out */
};

/* Allow-list entries per address, and the length of one. */
#define ALLOW_MAX 100
#define ALLOW_ITEM_MAX ADDRESS_MAX
#define NULL_SENDER_ITEM "<>"

struct store_address {
	int64_t id;
	char address[ADDRESS_MAX]; /* local@domain, lowercase */
	char local[LOCAL_MAX + 1];
	char domain[DOMAIN_MAX + 1];
	char correspondent[ADDRESS_MAX]; /* "" for none */
	int64_t seq; /* -1 for named addresses */
	enum address_state state;
	char reason[REASON_MAX]; /* retired only */
	char note[NOTE_MAX];
	time_t created;
	time_t retired; /* 0 when not retired */
	time_t expires; /* 0 for never */
	int64_t messages; /* accepted inbound mail */
	time_t last_mail; /* 0 for never */
	bool is_default;
	struct store_rules rules;
	enum expiry expired_by; /* when state is EXPIRED */
	bool learned; /* a named address took its first sender */
};

/* How to open.  uid/gid: when not (uid_t)-1, a created directory and file
 * are given to them (aliasctl as root creating the store for aliasd). */
struct store_options {
	bool create; /* create file, directory and schema */
	bool upgrade; /* migrate a store of an older schema: every
				 * program but a dry run, so that installing
				 * a new version needs no step of its own */
	bool readonly;
	int busy_ms; /* wait this long for a lock */
	bool durable; /* synchronous=FULL rather than NORMAL */
	uid_t uid;
	gid_t gid;
};

struct store;
struct store_iter;

/* Once, before any other thread starts and before the first open. */
int store_library_init(void);

enum store_status store_open(const char *path, const struct store_options *,
    struct store **, char *err, size_t errlen);
void store_close(struct store *);

/* Whether a database setting is a PostgreSQL URI, not a SQLite file;
 * and the setting fit for a log or a message (a password in a URI
 * replaced by ***). */
bool store_is_url(const char *database);
void store_display_name(const char *database, char *out, size_t outlen);

/* The last error's text, for a one-line message. */
const char *store_error(const struct store *);

/* Whether the file was just created by this open. */
bool store_created(const struct store *);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK; the busy wait happens at begin. */
enum store_status store_begin(struct store *);
/* Several reads as one snapshot, under one WAL read lock (not one per
 * statement).  *own is false when the caller already holds a
 * transaction, which is then used as it is; store_read_end ends only
 * our own. */
enum store_status store_read_begin(struct store *, bool *own);
void store_read_end(struct store *, bool own);
enum store_status store_commit(struct store *);
/* A failed commit may yet have been done, when the connection to a
 * PostgreSQL server was lost while the server had it: then its
 * transaction's id (else 0), which store_committed asks about, on this
 * handle or another one on the same database (STORE_ERROR while it
 * cannot tell: the server still unreachable). */
int64_t store_commit_doubt(const struct store *);
enum store_status store_committed(struct store *, int64_t txn,
    bool *committed);
void store_rollback(struct store *);

/* Lookups.  now decides expiry.  The address given is normalized. */
enum store_status store_find(struct store *, const char *local,
    const char *domain, time_t now, struct store_address *);
/* store_find, and whether key1 or key2 (NULL ones skipped) is on the
 * address's allow list, as store_allow_match says, in one query: the
 * gate's read, one round trip to a PostgreSQL server. */
enum store_status store_find_gate(struct store *, const char *local,
    const char *domain, time_t now, const char *key1, const char *key2,
    struct store_address *, bool *allowed);
enum store_status store_find_correspondent(struct store *,
    const char *correspondent, time_t now, struct store_address *);

/* Resolve what a user typed: an address, a local part or a unique prefix
 * of a local part.  STORE_AMBIGUOUS writes up to a few candidates,
 * comma-separated, into candidates. */
enum store_status store_resolve(struct store *, const char *what, time_t now,
    struct store_address *, char *candidates, size_t candlen);

/* Create an address; a new sequence number (never reused) is drawn when
 * the template has %n.  local NULL: render the template (retrying on the
 * rare random collision), else a named address.  Fills out. */
struct template;
enum store_status store_create(struct store *, const struct template *,
    const char *local, const char *domain, const char *correspondent,
    time_t expires, const char *note, time_t now, struct store_address *out);

/* Take in an address as it stands (import).  seq -1 for none; raises the
 * next sequence number past seq. */
enum store_status store_insert(struct store *, const struct store_address *);

enum store_status store_retire(struct store *, int64_t id, const char *reason,
    time_t now);
enum store_status store_revive(struct store *, int64_t id);

/* The default address: id 0 clears it. */
enum store_status store_set_default(struct store *, int64_t id);
enum store_status store_get_default(struct store *, time_t now,
    struct store_address *);

/* Iterate in address order.  filter: which states to show. */
enum store_filter {
	FILTER_ACTIVE, /* active and not expired */
	FILTER_RETIRED, /* retired or expired */
	FILTER_ALL
};
enum store_status store_list(struct store *, enum store_filter, time_t now,
    struct store_iter **);
enum store_status store_next(struct store_iter *, struct store_address *);
void store_iter_free(struct store_iter *);

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
	char sender_domain[DOMAIN_MAX + 1]; /* "" when unknown */
	time_t when;
	/* The gate's findings (SPEC "The gate"): the sender's registered
	 * domain ("" when none), whether it was unexpected (a leak
	 * sighting is recorded for sender_regdom), and whether the
	 * address is a named one still to learn its first sender (the
	 * first such count adds sender_regdom to its allow list and
	 * marks it learned; a later one, judged before the first was
	 * written, is a sighting unless sender_regdom is the domain
	 * learned).  A sender_regdom that is not clean text is ignored. */
	char sender_regdom[DOMAIN_MAX + 1];
	bool unexpected;
	bool learn;
};
enum store_status store_add_counts(struct store *, const struct store_count *,
    size_t n);

/* Key/value settings. */
enum store_status store_get_setting(struct store *, const char *key,
    char *value, size_t valuelen);
enum store_status store_set_setting(struct store *, const char *key,
    const char *value);

const char *store_state_name(enum address_state);

/*
 * The gate's rules (SPEC "The gate").
 */

/* Whether an active address with these counts has expired now, and by
 * which rule; messages may include counts not yet written (aliasd's
 * queue).  store_row uses it for every address read; one already marked
 * STATE_EXPIRED is judged afresh, a retired one is EXPIRY_NONE.  The
 * date is named first, then max-mails, then idle. */
enum expiry store_expiry(const struct store_address *, int64_t messages,
    time_t now);

const char *store_lock_name(enum lock_mode); /* "none", ... */
const char *store_refuse_name(enum refuse_action); /* "reject", ... */
const char *store_expiry_name(enum expiry); /* "expires", "max-mails",
						 * "idle", "" */
int store_lock_parse(const char *, enum lock_mode *); /* 0 or -1 */
int store_refuse_parse(const char *, enum refuse_action *);

/* Change one address's rules, note ("" or NULL: none) or expiry date
 * (0: never).  STORE_NOTFOUND for no such id; STORE_INVALID for rules
 * out of range or a note of NOTE_MAX bytes or more. */
enum store_status store_set_rules(struct store *, int64_t id,
    const struct store_rules *);
enum store_status store_set_note(struct store *, int64_t id, const char *note);
enum store_status store_set_expires(struct store *, int64_t id,
    time_t expires);

/* The allow list.  An item is a domain (kept as given, matched by its
 * registered domain: key is regdom_of(item)), an address (lowercase;
 * key the address itself) or NULL_SENDER_ITEM.  The caller computes key.
 * add: STORE_EXISTS when the key is there, STORE_INVALID when the list
 * holds ALLOW_MAX items or item or key is not clean text shorter than
 * ALLOW_ITEM_MAX, STORE_NOTFOUND when there is no such address;
 * remove: STORE_NOTFOUND when it is not.  list: in key order. */
enum store_status store_allow_add(struct store *, int64_t id, const char *item,
    const char *key);
enum store_status store_allow_remove(struct store *, int64_t id,
    const char *key);
typedef void store_item_fn(void *arg, const char *item, const char *key);
enum store_status store_allow_list(struct store *, int64_t id, store_item_fn *,
    void *arg);
/* Whether any of the keys (NULL ones skipped) is on the list: one
 * indexed lookup.  The gate asks the same inside its address query
 * (store_find_gate). */
enum store_status store_allow_match(struct store *, int64_t id,
    const char *key1, const char *key2, bool *found);

/* Copy the allow-list items of one address that another lacks to it
 * (replace), stopping at ALLOW_MAX; STORE_NOTFOUND when to does not
 * exist. */
enum store_status store_allow_copy(struct store *, int64_t from, int64_t to);

/* Leak sightings: mail accepted for an address from a sender who was not
 * expected, per address and registered domain, at most SIGHTINGS_MAX per
 * address (the most recent kept, as sender domains are).  Written by
 * store_add_counts. */
#define SIGHTINGS_MAX 1000
struct store_sighting {
	struct store_address address; /* the address seen */
	char domain[DOMAIN_MAX + 1]; /* the sender's registered domain */
	time_t first;
	time_t last;
	int64_t messages;
};
typedef void store_sighting_fn(void *arg, const struct store_sighting *);
/* Every sighting last seen at or after since (0: all), newest first
 * (by last, then address, then domain); now decides each address's
 * state. */
enum store_status store_sightings(struct store *, time_t since, time_t now,
    store_sighting_fn *, void *arg);

/* replace: in one transaction, retire the address (reason as for
 * store_retire) and create a new one for the same correspondent and
 * domain with the same rules, note, expiry and allow list (a named
 * address gets a templated one, and what it learned).  An address
 * already retired keeps its reason and time unless reason is given.
 * STORE_NOTFOUND for no such id; on any failure nothing is changed
 * (inside the caller's transaction, which it joins, once the caller
 * rolls back).  Fills out with the new address. */
enum store_status store_replace(struct store *, const struct template *,
    int64_t id, const char *reason, time_t now, struct store_address *out);

/* Copy every row of from into to (aliasctl copy-store), in one
 * transaction on to, which must hold no address: STORE_EXISTS when it
 * does.  *rows: how many rows were copied.  err: one line. */
enum store_status store_copy(struct store *from, struct store *to,
    int64_t *rows, char *err, size_t errlen);

#endif
