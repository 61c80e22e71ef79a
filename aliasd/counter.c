/*
 * counter.c: the counter writer thread.
 *
 * The queue is bounded: under a flood that the store cannot absorb we
 * drop counts rather than grow without end.  Counts are statistics; the
 * mail never waits for them.  A batch the store could not take (locked,
 * gone, its server down) goes back to the head of the queue and is
 * tried again a second later, as long as there is room.
 *
 * A batch whose commit is in doubt (the connection to a PostgreSQL
 * server lost during COMMIT, which the server may have done) goes back
 * too, and the server is asked whether it committed before the batch
 * is written again: counted once, not twice.  While in doubt its counts
 * are pending, for the gate as for the writer.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aliasd/counter.h"
#include "common/log.h"

#define QUEUE_MAX 65536
#define FLUSH_SECONDS 1
#define WRITER_BUSY_MS 2000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* Taken around a batch's commit, and by readers that need the store and
 * the queue to agree (counter_hold). */
static pthread_mutex_t commit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_t thread;
static bool running, stopping;
static struct store_count *queue;
static size_t nqueue;
/* The batch being written, outside the lock: still pending. */
static const struct store_count *inflight;
static size_t ninflight;
static char queue_db[4096];
/* Bumped when the queue is dropped for another store. */
static unsigned long queue_gen;
/* The batch in doubt: the first doubt_n counts at the head of the
 * queue of generation doubt_gen, written in transaction doubt_txn. */
static int64_t doubt_txn;
static size_t doubt_n;
static unsigned long doubt_gen;
static unsigned long dropped;
/* The writer thread's own: which file its handle is on. */
static dev_t open_dev;
static ino_t open_ino;

void
counter_add(const char *database, const struct store_count *c, size_t n)
{
	pthread_mutex_lock(&lock);
	/* A connection still running after shutdown began: drop. */
	if (queue == NULL || stopping) {
		dropped += n;
		pthread_mutex_unlock(&lock);
		return;
	}
	/* One store at a time: a reload that moves it starts a new queue. */
	if (strcmp(queue_db, database) != 0) {
		dropped += nqueue;
		nqueue = 0;
		queue_gen++;
		snprintf(queue_db, sizeof(queue_db), "%s", database);
	}
	for (size_t i = 0; i < n; i++) {
		if (nqueue == QUEUE_MAX) {
			dropped++;
			continue;
		}
		queue[nqueue++] = c[i];
	}
	pthread_mutex_unlock(&lock);
}

void
counter_hold(bool on)
{
	if (on)
		pthread_mutex_lock(&commit_lock);
	else
		pthread_mutex_unlock(&commit_lock);
}

int64_t
counter_pending(int64_t id)
{
	int64_t n = 0;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nqueue; i++)
		n += queue[i].id == id;
	for (size_t i = 0; i < ninflight; i++)
		n += inflight[i].id == id;
	pthread_mutex_unlock(&lock);
	return n;
}

/*
 * Put a batch that could not be written back at the head of the queue,
 * in the same step that ends its being in flight, so that
 * counter_pending() sees each count once throughout.  What does not fit
 * beside the counts queued since, or belongs to a store no longer
 * configured, is dropped.
 */
static void
requeue(const char *db, const struct store_count *c, size_t n)
{
	size_t keep = 0;

	pthread_mutex_lock(&lock);
	if (queue != NULL && !stopping && strcmp(queue_db, db) == 0) {
		keep = QUEUE_MAX - nqueue < n ? QUEUE_MAX - nqueue : n;
		memmove(queue + keep, queue, nqueue * sizeof(*queue));
		memcpy(queue, c, keep * sizeof(*queue));
		nqueue += keep;
	}
	/* A batch in doubt that lost its tail here still heads the
	 * queue; one that did not come back at all is no longer there. */
	if (doubt_txn != 0 && doubt_n > keep)
		doubt_n = keep;
	if (doubt_n == 0)
		doubt_txn = 0;
	ninflight = 0;
	pthread_mutex_unlock(&lock);
	if (keep < n)
		log_warnx("counter: %zu counts dropped (queue full, store "
			  "moved or aliasd stopping)",
		    n - keep);
}

/* A store that stays unwritable would log every second: the first
 * failure is logged, then one a minute, and the recovery. */
#define FAIL_LOG_SECONDS 60
static time_t fail_logged;
static bool failing;

static void
write_failed(size_t n, const char *err)
{
	time_t now = time(NULL);

	if (!failing || now - fail_logged >= FAIL_LOG_SECONDS) {
		log_warnx("counter: cannot write %zu counts, keeping them "
			  "for the next try: %s",
		    n, err);
		fail_logged = now;
	}
	failing = true;
}

/*
 * Before a batch in doubt is written again: ask the server whether its
 * commit was done; if so, its counts at the head of this batch are
 * passed over.  False while that cannot be learned.
 */
static bool
settle_doubt(struct store *s, const struct store_count **c, size_t *n)
{
	bool committed;
	size_t skip;

	pthread_mutex_lock(&lock);
	if (doubt_txn != 0 && doubt_gen != queue_gen)
		doubt_txn = 0;
	pthread_mutex_unlock(&lock);
	if (doubt_txn == 0)
		return true;
	if (store_committed(s, doubt_txn, &committed) != STORE_OK)
		return false;
	skip = committed ? (doubt_n < *n ? doubt_n : *n) : 0;
	log_info("counter: the commit in doubt of %zu counts %s", doubt_n,
	    committed ? "was done: not written again" :
			"was not done: written again");
	pthread_mutex_lock(&lock);
	doubt_txn = 0;
	doubt_n = 0;
	pthread_mutex_unlock(&lock);
	*c += skip;
	*n -= skip;
	return true;
}

/* Write one batch: true when it was committed.  *c and *n lose the
 * counts found committed already (settle_doubt); on false they are
 * what is still to be written. */
static bool
write_batch(struct store **s, char *open_db, const char *db,
    const struct store_count **c, size_t *n)
{
	struct store_options o = { .busy_ms = WRITER_BUSY_MS,
		.upgrade = true,
		.uid = (uid_t)-1,
		.gid = (gid_t)-1 };
	enum store_status st;
	struct stat sb;
	char err[512];
	int64_t txn;

	/* Reopen when the store moved, or its file was replaced. */
	if (*s != NULL &&
	    (strcmp(open_db, db) != 0 ||
		(!store_is_url(db) &&
		    (stat(db, &sb) == -1 || sb.st_dev != open_dev ||
			sb.st_ino != open_ino)))) {
		store_close(*s);
		*s = NULL;
	}
	if (*s == NULL) {
		if (store_open(db, &o, s, err, sizeof(err)) != STORE_OK) {
			write_failed(*n, err);
			return false;
		}
		snprintf(open_db, 4096, "%s", db);
		if (stat(db, &sb) == 0) {
			open_dev = sb.st_dev;
			open_ino = sb.st_ino;
		}
	}
	if (!settle_doubt(*s, c, n)) {
		st = STORE_ERROR;
		goto failed;
	}
	if (*n == 0)
		goto written;
	/* The commit and the end of the batch's being pending happen
	 * together for a reader holding counter_hold(): it sees the counts
	 * in the store or in the queue, never in both and never in
	 * neither. */
	if ((st = store_begin(*s)) == STORE_OK &&
	    (st = store_add_counts(*s, *c, *n)) == STORE_OK) {
		pthread_mutex_lock(&commit_lock);
		st = store_commit(*s);
		pthread_mutex_lock(&lock);
		/* Not done, or in doubt: still pending until requeue() has
		 * put it back, the one in doubt with its transaction. */
		if (st == STORE_OK)
			ninflight = 0;
		else if ((txn = store_commit_doubt(*s)) != 0) {
			doubt_txn = txn;
			doubt_n = *n;
			doubt_gen = queue_gen;
		}
		pthread_mutex_unlock(&lock);
		pthread_mutex_unlock(&commit_lock);
	}
failed:
	if (st != STORE_OK) {
		write_failed(*n, store_error(*s));
		store_rollback(*s);
		/* A fresh handle next time: the file may have been replaced. */
		store_close(*s);
		*s = NULL;
		return false;
	}
written:
	if (failing) {
		log_info("counter: the store takes counts again");
		failing = false;
	}
	return true;
}

static void *
writer(void *arg)
{
	struct store_count *batch;
	struct store *s = NULL;
	char db[4096], open_db[4096] = "";
	struct timespec until;
	size_t n;
	bool done;

	(void)arg;
	if ((batch = calloc(QUEUE_MAX, sizeof(*batch))) == NULL) {
		log_warnx("counter: out of memory: counting disabled");
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += FLUSH_SECONDS;
		while (nqueue == 0 && !stopping)
			if (pthread_cond_timedwait(&wake, &lock, &until) ==
			    ETIMEDOUT)
				break;
		n = nqueue;
		memcpy(batch, queue, n * sizeof(*batch));
		nqueue = 0;
		inflight = batch;
		ninflight = n;
		snprintf(db, sizeof(db), "%s", queue_db);
		done = stopping;
		if (dropped > 0) {
			log_warnx("counter: %lu counts dropped (queue full)",
			    dropped);
			dropped = 0;
		}
		pthread_mutex_unlock(&lock);
		if (n > 0) {
			const struct store_count *left = batch;
			size_t nleft = n;

			if (!write_batch(&s, open_db, db, &left, &nleft))
				requeue(db, left, nleft);
		}
		pthread_mutex_lock(&lock);
		ninflight = 0;
		pthread_mutex_unlock(&lock);
		if (done)
			break;
		/* Let counts gather into one transaction per second. */
		if (n > 0 && n < QUEUE_MAX) {
			struct timespec pause = { FLUSH_SECONDS, 0 };

			pthread_mutex_lock(&lock);
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += pause.tv_sec;
			while (!stopping && nqueue < QUEUE_MAX / 2)
				if (pthread_cond_timedwait(&wake, &lock,
					&until) == ETIMEDOUT)
					break;
			pthread_mutex_unlock(&lock);
		}
	}
	store_close(s);
	free(batch);
	return NULL;
}

int
counter_start(void)
{
	int rc;

	if ((queue = calloc(QUEUE_MAX, sizeof(*queue))) == NULL)
		return -1;
	if ((rc = pthread_create(&thread, NULL, writer, NULL)) != 0) {
		free(queue);
		queue = NULL;
		errno = rc;
		return -1;
	}
	running = true;
	return 0;
}

void
counter_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
	running = false;
	pthread_mutex_lock(&lock);
	free(queue);
	queue = NULL;
	pthread_mutex_unlock(&lock);
}
