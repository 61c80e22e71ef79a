/*
 * pool.c: a small free list of store handles, valid for one identity
 * (path, device, inode) of the store file: a "generation".
 */
#include <sys/stat.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aliasd/pool.h"

/* Readers in WAL mode rarely wait; this bounds the rare checkpoint. */
#define POOL_BUSY_MS 1000
/* Enough for Postfix's default smtpd process limit (100) at once; a
 * handle past it is closed on return and reopened when needed. */
#define POOL_IDLE_MAX 128
/* How often the file's identity is checked, in seconds. */
#define POOL_CHECK_EVERY 1

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct pool_handle *idle;
static int nidle;
static unsigned generation;
static char path[4096];
static dev_t dev;
static ino_t ino;
static time_t checked;
static bool present;

static void
close_list(struct pool_handle *h)
{
	while (h != NULL) {
		struct pool_handle *next = h->next;

		store_close(h->store);
		free(h);
		h = next;
	}
}

/* Under the lock: start a new generation, handing back the idle
 * handles of the old one to be closed outside the lock. */
static struct pool_handle *
new_generation_locked(void)
{
	struct pool_handle *old = idle;

	idle = NULL;
	nidle = 0;
	generation++;
	return old;
}

/* Under the lock: has the file gone or changed since we last looked? */
static struct pool_handle *
check_identity_locked(const char *database, time_t now)
{
	struct pool_handle *drop = NULL;
	bool same_path = strcmp(path, database) == 0;
	struct stat sb;

	if (same_path && now - checked < POOL_CHECK_EVERY)
		return NULL;
	checked = now;
	/* A PostgreSQL database has no file to watch: a handle whose
	 * connection was lost connects again by itself. */
	if (store_is_url(database)) {
		if (!same_path) {
			drop = new_generation_locked();
			snprintf(path, sizeof(path), "%s", database);
		}
		present = true;
		return drop;
	}
	/* Gone, or made unreadable on purpose: stop answering from it.
	 * access() checks our real ids, which are the daemon's user. */
	if (stat(database, &sb) == -1 || access(database, R_OK) == -1) {
		if (present || !same_path)
			drop = new_generation_locked();
		present = false;
	} else if (!present || !same_path || sb.st_dev != dev ||
	    sb.st_ino != ino) {
		drop = new_generation_locked();
		dev = sb.st_dev;
		ino = sb.st_ino;
		present = true;
	}
	if (!same_path)
		snprintf(path, sizeof(path), "%s", database);
	return drop;
}

struct pool_handle *
pool_get(const char *database, char *err, size_t errlen)
{
	struct store_options o = { .busy_ms = POOL_BUSY_MS,
		.upgrade = true,
		.uid = (uid_t)-1,
		.gid = (gid_t)-1 };
	struct pool_handle *drop, *h = NULL;
	unsigned gen;
	bool here;

	pthread_mutex_lock(&lock);
	drop = check_identity_locked(database, time(NULL));
	gen = generation;
	here = present;
	if (here && idle != NULL) {
		h = idle;
		idle = h->next;
		nidle--;
	}
	pthread_mutex_unlock(&lock);
	close_list(drop);
	if (!here) {
		snprintf(err, errlen, "no store at %s", database);
		return NULL;
	}
	if (h != NULL)
		return h;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (store_open(database, &o, &h->store, err, errlen) != STORE_OK) {
		free(h);
		return NULL;
	}
	h->generation = gen;
	return h;
}

void
pool_put(struct pool_handle *h, bool broken)
{
	bool keep;

	if (h == NULL)
		return;
	pthread_mutex_lock(&lock);
	keep = !broken && h->generation == generation && nidle < POOL_IDLE_MAX;
	if (keep) {
		h->next = idle;
		idle = h;
		nidle++;
	}
	pthread_mutex_unlock(&lock);
	if (!keep) {
		h->next = NULL;
		close_list(h);
	}
}

void
pool_drain(void)
{
	struct pool_handle *drop;

	pthread_mutex_lock(&lock);
	drop = new_generation_locked();
	checked = 0;
	pthread_mutex_unlock(&lock);
	close_list(drop);
}
