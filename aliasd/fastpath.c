/*
 * fastpath.c: the policy service and the socketmap server.
 *
 * FASTPATH_THREADS threads each poll the listening sockets and the
 * clients they accepted.  A request is answered as soon as it is whole,
 * in order, and the connection is kept for the next one (Postfix keeps
 * its policy and socketmap connections open).  Everything a client can
 * make us hold is bounded: FASTPATH_CLIENTS connections in all (the next
 * one is closed at once, and that is logged), one buffer of the larger
 * request limit each, idle_timeout seconds of silence.  A request that
 * cannot be read gets the protocol's error answer, and a stream that
 * cannot be resynchronised after it is closed.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netdb.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aliasd/answer.h"
#include "aliasd/fastpath.h"
#include "aliasd/netstring.h"
#include "aliasd/policy_proto.h"
#include "aliasd/snapshot.h"
#include "common/log.h"

#define BACKLOG 128
#define BUF_MAX \
	(POLICY_REQUEST_MAX > NETSTRING_MAX + 16 ? POLICY_REQUEST_MAX : \
						   NETSTRING_MAX + 16)
#define OUT_MAX (ANSWER_MAX + 64)
#define ACCEPTS_PER_ROUND 32
#define FULL_LOG_SECONDS 60

enum proto {
	PROTO_POLICY,
	PROTO_SOCKETMAP
};

static const char *const proto_names[] = {
	[PROTO_POLICY] = "policy",
	[PROTO_SOCKETMAP] = "socketmap",
};

struct listener {
	int fd;
	enum proto proto;
	char spec[512];
	bool unix_file; /* spec names a file to remove at stop */
	dev_t dev; /* the file made, so that only it is removed */
	ino_t ino;
};

struct client {
	int fd;
	enum proto proto;
	time_t last; /* the last byte received */
	size_t len;
	char *buf; /* BUF_MAX */
};

struct worker {
	pthread_t tid;
	struct client *clients;
	size_t n, cap;
	struct pollfd *pfd;
	size_t pfdcap;
};

static struct listener listeners[2];
static size_t nlisteners;
static struct worker workers[FASTPATH_THREADS];
static size_t nworkers;
static int wake[2] = { -1, -1 };
static atomic_int nclients;
static atomic_long last_full_log;

/*
 * Opening.
 */

static const char *
unix_file(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

static int
listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat sb;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* A socket left by a run that did not stop cleanly goes; any
	 * other file is somebody else's. */
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket",
			    path);
			return -1;
		}
		if (unlink(path) == -1) {
			snprintf(err, errlen,
			    "cannot remove the old socket "
			    "%s: %s",
			    path, strerror(errno));
			return -1;
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* The umask (0117, set for the milter's socket) makes it 0660. */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "cannot bind %s: %s%s", path,
		    strerror(errno),
		    errno == ENOENT ? ": create its "
				      "directory (see aliasd(8))" :
				      "");
		close(fd);
		return -1;
	}
	return fd;
}

/* inet:PORT@HOST or inet6:PORT@HOST; no host: every address. */
static int
listen_inet(const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	const char *colon = strchr(spec, ':'), *at;
	char port[16], host[256];
	int fd = -1, on = 1, rc;

	if (colon == NULL) {
		snprintf(err, errlen, "%s: expected inet:PORT@HOST", spec);
		return -1;
	}
	at = strchr(colon, '@');
	snprintf(port, sizeof(port), "%.*s",
	    (int)(at != NULL ? (size_t)(at - colon - 1) : strlen(colon + 1)),
	    colon + 1);
	snprintf(host, sizeof(host), "%s", at != NULL ? at + 1 : "");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = strncmp(spec, "inet6:", 6) == 0 ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints,
		 &res)) != 0) {
		snprintf(err, errlen, "%s: %s", spec, gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(res->ai_family,
		 res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1) {
		snprintf(err, errlen, "cannot listen on %s: %s", spec,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int
open_one(const char *spec, enum proto proto, const struct run_as *r, char *err,
    size_t errlen)
{
	struct listener *l = &listeners[nlisteners];
	const char *file = unix_file(spec);
	struct stat sb;
	int fd;

	fd = file != NULL ? listen_unix(file, err, errlen) :
			    listen_inet(spec, err, errlen);
	if (fd == -1)
		return -1;
	if (listen(fd, BACKLOG) == -1) {
		snprintf(err, errlen, "cannot listen on %s: %s", spec,
		    strerror(errno));
		close(fd);
		return -1;
	}
	l->fd = fd;
	l->proto = proto;
	l->unix_file = file != NULL;
	if (file != NULL && lstat(file, &sb) == 0) {
		l->dev = sb.st_dev;
		l->ino = sb.st_ino;
	}
	snprintf(l->spec, sizeof(l->spec), "%s", spec);
	nlisteners++;
	if (privs_socket(spec, r, err, errlen) == -1)
		return -1;
	return 0;
}

/* Enough descriptors for FASTPATH_CLIENTS and the milter's own. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;
	rlim_t want = FASTPATH_CLIENTS + 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("cannot raise the open files limit");
	if (rl.rlim_cur < want)
		log_warnx("open files limited to %lu: fewer than %d policy "
			  "and socketmap clients can be held",
		    (unsigned long)rl.rlim_cur, FASTPATH_CLIENTS);
}

int
fastpath_open(const struct config *cfg, const struct run_as *r, char *err,
    size_t errlen)
{
	if (cfg->policy_socket == NULL && cfg->socketmap_socket == NULL)
		return 0;
	raise_fd_limit();
	if (cfg->policy_socket != NULL &&
	    open_one(cfg->policy_socket, PROTO_POLICY, r, err, errlen) == -1)
		return -1;
	if (cfg->socketmap_socket != NULL &&
	    open_one(cfg->socketmap_socket, PROTO_SOCKETMAP, r, err, errlen) ==
		-1)
		return -1;
	return 0;
}

/*
 * Clients.
 */

static void
client_close(struct worker *w, size_t i)
{
	close(w->clients[i].fd);
	free(w->clients[i].buf);
	w->clients[i] = w->clients[--w->n];
	atomic_fetch_sub(&nclients, 1);
}

/* Write a whole answer or fail: a client that does not read its
 * answers is not waited for. */
static int
send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, buf, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Answer every whole policy request in the buffer: 0, or -1 to close. */
static int
serve_policy(const struct config *cfg, struct client *c)
{
	struct policy_request req;
	char action[ANSWER_MAX], out[OUT_MAX], err[256];
	enum policy_parse pr;
	size_t used, n;

	for (;;) {
		pr = policy_parse(c->buf, c->len, &used, &req, err,
		    sizeof(err));
		if (pr == POLICY_MORE)
			return c->len == BUF_MAX ? -1 : 0;
		if (pr == POLICY_REQUEST)
			answer_policy(cfg, &req, action, sizeof(action));
		else {
			log_warnx("policy: %s: answered DEFER_IF_PERMIT%s",
			    err, pr == POLICY_FATAL ? ", closing" : "");
			snprintf(action, sizeof(action), "%s",
			    POLICY_BAD_ACTION);
		}
		if ((n = policy_answer(out, sizeof(out), action)) == 0 ||
		    send_all(c->fd, out, n) == -1 || pr == POLICY_FATAL)
			return -1;
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
}

/* Answer every whole socketmap request: 0, or -1 to close. */
static int
serve_socketmap(const struct config *cfg, struct client *c)
{
	char name[64], key[ADDRESS_MAX], answer[ANSWER_MAX], out[OUT_MAX];
	enum netstring_parse pr;
	const char *data;
	size_t used, dlen, n;

	for (;;) {
		pr = netstring_parse(c->buf, c->len, &used, &data, &dlen);
		if (pr == NETSTRING_MORE)
			return c->len == BUF_MAX ? -1 : 0;
		if (pr == NETSTRING_FATAL) {
			log_warnx("socketmap: not a netstring, or too long: "
				  "answered PERM, closing");
			if ((n = netstring_format(out, sizeof(out),
				 "PERM bad request")) > 0)
				(void)send_all(c->fd, out, n);
			return -1;
		}
		if (socketmap_split(data, dlen, name, sizeof(name), key,
			sizeof(key)) == -1) {
			log_warnx("socketmap: a request that is not \"MAP "
				  "KEY\": answered PERM");
			snprintf(answer, sizeof(answer), "PERM bad request");
		} else
			answer_socketmap(cfg, name, key, answer,
			    sizeof(answer));
		if ((n = netstring_format(out, sizeof(out), answer)) == 0 ||
		    send_all(c->fd, out, n) == -1)
			return -1;
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
}

/* Read what the client sent and answer it: 0, or -1 to close. */
static int
client_read(struct client *c, time_t now)
{
	struct snapshot *snap;
	ssize_t n;
	int rc;

	n = recv(c->fd, c->buf + c->len, BUF_MAX - c->len, 0);
	if (n == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	c->len += (size_t)n;
	c->last = now;
	if ((snap = snapshot_get()) == NULL)
		return -1;
	rc = c->proto == PROTO_POLICY ? serve_policy(snap->config, c) :
					serve_socketmap(snap->config, c);
	snapshot_put(snap);
	return rc;
}

/* Hold a new client: 0, or -1 when out of memory. */
static int
client_add(struct worker *w, int fd, enum proto proto, time_t now)
{
	struct client *grown;
	char *buf;

	if (w->n == w->cap) {
		size_t cap = w->cap == 0 ? 16 : w->cap * 2;

		if ((grown = reallocarray(w->clients, cap, sizeof(*grown))) ==
		    NULL)
			return -1;
		w->clients = grown;
		w->cap = cap;
	}
	if ((buf = malloc(BUF_MAX)) == NULL)
		return -1;
	w->clients[w->n++] = (struct client){
		.fd = fd,
		.proto = proto,
		.last = now,
		.buf = buf,
	};
	return 0;
}

/* Too many clients: the new one is closed at once, logged once a
 * minute. */
static void
refuse_full(const struct listener *l, int fd, time_t now)
{
	long then = atomic_load(&last_full_log);

	close(fd);
	if (now - then >= FULL_LOG_SECONDS &&
	    atomic_compare_exchange_strong(&last_full_log, &then, (long)now))
		log_warnx("%s: %d clients held, the most allowed: closing new "
			  "connections",
		    proto_names[l->proto], FASTPATH_CLIENTS);
}

static void
accept_some(struct worker *w, const struct listener *l, time_t now)
{
	int fd;

	for (int i = 0; i < ACCEPTS_PER_ROUND; i++) {
		if ((fd = accept4(l->fd, NULL, NULL,
			 SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("%s: accept", proto_names[l->proto]);
			return;
		}
		if (atomic_fetch_add(&nclients, 1) >= FASTPATH_CLIENTS) {
			atomic_fetch_sub(&nclients, 1);
			refuse_full(l, fd, now);
			continue;
		}
		if (client_add(w, fd, l->proto, now) == -1) {
			log_warnx("%s: out of memory: connection closed",
			    proto_names[l->proto]);
			close(fd);
			atomic_fetch_sub(&nclients, 1);
			return;
		}
	}
}

/*
 * The threads.
 */

static int
build_pollset(struct worker *w)
{
	size_t need = 1 + nlisteners + w->n, k = 0;
	struct pollfd *grown;

	if (need > w->pfdcap) {
		if ((grown = reallocarray(w->pfd, need, sizeof(*grown))) ==
		    NULL)
			return -1;
		w->pfd = grown;
		w->pfdcap = need;
	}
	w->pfd[k].fd = wake[0];
	w->pfd[k++].events = POLLIN;
	for (size_t i = 0; i < nlisteners; i++) {
		w->pfd[k].fd = listeners[i].fd;
		w->pfd[k++].events = POLLIN;
	}
	for (size_t i = 0; i < w->n; i++) {
		w->pfd[k].fd = w->clients[i].fd;
		w->pfd[k++].events = POLLIN;
	}
	return 0;
}

static long
idle_timeout(void)
{
	struct snapshot *snap = snapshot_get();
	long t = 600;

	if (snap != NULL) {
		t = snap->config->idle_timeout;
		snapshot_put(snap);
	}
	return t;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	size_t nclients_polled, base = 1 + nlisteners;
	time_t now;
	long idle;

	for (;;) {
		if (build_pollset(w) == -1) {
			log_warnx("fast path: out of memory");
			sleep(1);
			continue;
		}
		nclients_polled = w->n;
		if (poll(w->pfd, base + nclients_polled, 1000) == -1 &&
		    errno != EINTR) {
			log_warn("fast path: poll");
			sleep(1);
			continue;
		}
		if (w->pfd[0].revents != 0)
			break;
		now = time(NULL);
		/* Clients first, from the last, so that closing one (which
		 * moves the last into its place) skips nobody. */
		for (size_t i = nclients_polled; i > 0; i--) {
			if (w->pfd[base + i - 1].revents == 0)
				continue;
			if (client_read(&w->clients[i - 1], now) == -1)
				client_close(w, i - 1);
		}
		idle = idle_timeout();
		for (size_t i = w->n; i > 0; i--)
			if (now - w->clients[i - 1].last >= idle) {
				log_debug("%s: idle for %ld s: closed",
				    proto_names[w->clients[i - 1].proto],
				    idle);
				client_close(w, i - 1);
			}
		for (size_t i = 0; i < nlisteners; i++)
			if (w->pfd[1 + i].revents & POLLIN)
				accept_some(w, &listeners[i], now);
	}
	while (w->n > 0)
		client_close(w, w->n - 1);
	free(w->clients);
	free(w->pfd);
	return NULL;
}

int
fastpath_start(void)
{
	if (nlisteners == 0)
		return 0;
	if (pipe2(wake, O_CLOEXEC) == -1)
		return -1;
	for (size_t i = 0; i < FASTPATH_THREADS; i++) {
		if ((errno = pthread_create(&workers[i].tid, NULL, worker_main,
			 &workers[i])) != 0)
			return -1;
		nworkers++;
	}
	for (size_t i = 0; i < nlisteners; i++)
		log_info("%s: listening on %s",
		    proto_names[listeners[i].proto], listeners[i].spec);
	return 0;
}

void
fastpath_stop(void)
{
	struct stat sb;
	const char *file;

	/* Closing the pipe wakes every thread at once. */
	if (wake[1] != -1) {
		close(wake[1]);
		wake[1] = -1;
	}
	for (size_t i = 0; i < nworkers; i++)
		pthread_join(workers[i].tid, NULL);
	nworkers = 0;
	if (wake[0] != -1) {
		close(wake[0]);
		wake[0] = -1;
	}
	for (size_t i = 0; i < nlisteners; i++) {
		close(listeners[i].fd);
		file = unix_file(listeners[i].spec);
		/* Only the socket made here: another aliasd may have made
		 * a new one under the same name since. */
		if (listeners[i].unix_file && file != NULL &&
		    lstat(file, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
		    sb.st_dev == listeners[i].dev &&
		    sb.st_ino == listeners[i].ino && unlink(file) == -1)
			log_warn("cannot remove %s", file);
	}
	nlisteners = 0;
}
