/*
 * harvest.c: the harvest guard's memory of clients.
 *
 * A set-associative table: a client's key hashes to one set of WAYS
 * entries and lives there or nowhere.  A new client takes a free entry of
 * its set, else the one least worth keeping (any unblocked one before a
 * blocked one, then the longest idle), so a lookup or an insertion looks
 * at WAYS entries and the table never grows.  The hash is SipHash with a
 * key drawn at start, so that nobody can choose addresses that crowd one
 * set and push a blocked client out.
 *
 * One mutex guards the table: libmilter calls us from its worker threads,
 * and every call is a few dozen instructions under it.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "aliasd/harvest.h"

#define WAYS 8
#define SETS (HARVEST_CAPACITY / WAYS)

struct entry {
	struct harvest_key key;
	bool used;
	uint32_t count; /* refusals in the current window */
	time_t window_start; /* time of the window's first refusal */
	time_t blocked_until; /* 451 before this time */
	time_t last; /* last refusal or blocked recipient */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct entry table[SETS][WAYS];
static unsigned char hash_key[crypto_shorthash_KEYBYTES];

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
	0xff };

/* Without libsodium's generator the key stays zero: the guard still
 * works, only its sets become predictable. */
static void
init_hash_key(void)
{
	if (sodium_init() >= 0)
		randombytes_buf(hash_key, sizeof(hash_key));
}

void
harvest_key_from(int family, const void *addr, struct harvest_key *k)
{
	const uint8_t *a = addr;

	memset(k, 0, sizeof(*k));
	if (family == AF_INET6 && memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
		family = AF_INET;
		a += sizeof(v4mapped);
	}
	if (family == AF_INET) {
		k->family = 4;
		memcpy(k->bytes, a, 4);
	} else {
		k->family = 6;
		memcpy(k->bytes, a, 8);
	}
}

int
harvest_client_parse(const char *text, struct harvest_client *c)
{
	char buf[INET6_ADDRSTRLEN + 8];
	bool bracket;
	size_t n;

	if (text == NULL)
		return -1;
	if ((bracket = text[0] == '['))
		text++;
	if (strncasecmp(text, "IPv6:", 5) == 0)
		text += 5;
	n = strcspn(text, "]");
	if (n == 0 || n >= sizeof(buf) || text[n] != (bracket ? ']' : '\0') ||
	    (bracket && text[n + 1] != '\0'))
		return -1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, c->addr) == 1)
		c->family = AF_INET6;
	else
		return -1;
	harvest_key_from(c->family, c->addr, &c->key);
	return 0;
}

static size_t
set_of(const struct harvest_key *k)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, (const unsigned char *)k, sizeof(*k), hash_key);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v % SETS);
}

/* Is a worth keeping less than b at time now? */
static bool
less_worth(const struct entry *a, const struct entry *b, time_t now)
{
	bool ablocked = a->blocked_until > now,
	     bblocked = b->blocked_until > now;

	if (ablocked != bblocked)
		return !ablocked;
	return a->last < b->last;
}

/* The entry of k, or NULL; with make, a new zeroed entry (evicting one
 * when the set is full).  Called with the lock held. */
static struct entry *
lookup(const struct harvest_key *k, time_t now, bool make)
{
	struct entry *set = table[set_of(k)], *victim = NULL;

	for (int i = 0; i < WAYS; i++)
		if (set[i].used && memcmp(&set[i].key, k, sizeof(*k)) == 0)
			return &set[i];
	if (!make)
		return NULL;
	for (int i = 0; i < WAYS; i++) {
		if (!set[i].used) {
			victim = &set[i];
			break;
		}
		if (victim == NULL || less_worth(&set[i], victim, now))
			victim = &set[i];
	}
	memset(victim, 0, sizeof(*victim));
	victim->key = *k;
	victim->used = true;
	return victim;
}

bool
harvest_refused(const struct harvest_key *k, time_t now, unsigned int limit,
    time_t window)
{
	struct entry *e;
	bool blocked = false;

	if (limit == 0 || window <= 0)
		return false;
	pthread_once(&once, init_hash_key);
	pthread_mutex_lock(&lock);
	e = lookup(k, now, true);
	e->last = now;
	if (e->blocked_until > now)
		goto done;
	/* A window starts with its first refusal; a clock that went back
	 * starts a new one. */
	if (e->count == 0 || now < e->window_start ||
	    now - e->window_start >= window) {
		e->count = 0;
		e->window_start = now;
	}
	if (++e->count >= limit) {
		e->blocked_until = now + window;
		e->count = 0;
		blocked = true;
	}
done:
	pthread_mutex_unlock(&lock);
	return blocked;
}

bool
harvest_blocked(const struct harvest_key *k, time_t now)
{
	struct entry *e;
	bool blocked = false;

	pthread_once(&once, init_hash_key);
	pthread_mutex_lock(&lock);
	if ((e = lookup(k, now, false)) != NULL && e->blocked_until > now) {
		e->last = now;
		blocked = true;
	}
	pthread_mutex_unlock(&lock);
	return blocked;
}

size_t
harvest_entries(void)
{
	size_t n = 0;

	pthread_mutex_lock(&lock);
	for (size_t s = 0; s < SETS; s++)
		for (int i = 0; i < WAYS; i++)
			n += table[s][i].used;
	pthread_mutex_unlock(&lock);
	return n;
}

void
harvest_clear(void)
{
	pthread_mutex_lock(&lock);
	memset(table, 0, sizeof(table));
	pthread_mutex_unlock(&lock);
}
