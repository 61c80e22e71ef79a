/*
 * nullserve.c: the server loop of the fast path's null servers.
 *
 * Deliberately the shape of aliasd/fastpath.c, so that aliasd's figure
 * minus this one is aliasd's own work: NULLSERVE_THREADS threads each
 * poll the listening socket and their own connections, accept what
 * comes, read into one buffer per connection and answer every whole
 * request with one write.  A bench tool: no idle timeout, no bound on
 * connections (Postfix opens at most one per smtpd process).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netdb.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bench/nullserve.h"

struct conn {
	int fd;
	size_t len;
	char *buf; /* NULLSERVE_BUF */
};

struct worker {
	pthread_t tid;
	struct conn *conns;
	size_t n, cap;
	struct pollfd *pfd;
	size_t pfdcap;
};

static int listen_fd = -1;
static nullserve_fn serve_fn;
static const char *progname;

int
nullserve_send(int fd, const char *buf, size_t len)
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

static int
open_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "%s: socket path too long\n", progname);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "%s: %s: %s\n", progname, path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	/* Any local user (Postfix's smtpd) may connect: a bench only. */
	(void)chmod(path, 0666);
	return fd;
}

/* inet:PORT@HOST */
static int
open_inet(const char *spec)
{
	struct addrinfo hints, *res = NULL;
	char port[16], host[256];
	const char *at = strchr(spec, '@');
	int fd = -1, on = 1, rc;

	if (at == NULL) {
		fprintf(stderr, "%s: want inet:PORT@HOST\n", progname);
		return -1;
	}
	snprintf(port, sizeof(port), "%.*s", (int)(at - spec), spec);
	snprintf(host, sizeof(host), "%s", at + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, spec,
		    gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(res->ai_family,
		 res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1) {
		fprintf(stderr, "%s: %s: %s\n", progname, spec,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static void
conn_close(struct worker *w, size_t i)
{
	close(w->conns[i].fd);
	free(w->conns[i].buf);
	w->conns[i] = w->conns[--w->n];
}

static void
accept_some(struct worker *w)
{
	struct conn *grown;
	char *buf;
	int fd;

	while ((fd = accept4(listen_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		if (w->n == w->cap) {
			size_t cap = w->cap == 0 ? 16 : w->cap * 2;

			if ((grown = reallocarray(w->conns, cap,
				 sizeof(*grown))) == NULL) {
				close(fd);
				return;
			}
			w->conns = grown;
			w->cap = cap;
		}
		if ((buf = malloc(NULLSERVE_BUF)) == NULL) {
			close(fd);
			return;
		}
		w->conns[w->n].fd = fd;
		w->conns[w->n].len = 0;
		w->conns[w->n].buf = buf;
		w->n++;
	}
}

/* Read and answer: 0, or -1 to close. */
static int
conn_read(struct conn *c)
{
	ssize_t n;

	n = recv(c->fd, c->buf + c->len, NULLSERVE_BUF - c->len, 0);
	if (n == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	c->len += (size_t)n;
	if (serve_fn(c->fd, c->buf, &c->len) == -1)
		return -1;
	/* A request longer than the buffer can never be answered. */
	return c->len == NULLSERVE_BUF ? -1 : 0;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct pollfd *grown;
	size_t polled;

	for (;;) {
		if (w->n + 1 > w->pfdcap) {
			if ((grown = reallocarray(w->pfd, w->n + 1,
				 sizeof(*grown))) == NULL) {
				sleep(1);
				continue;
			}
			w->pfd = grown;
			w->pfdcap = w->n + 1;
		}
		w->pfd[0].fd = listen_fd;
		w->pfd[0].events = POLLIN;
		for (size_t i = 0; i < w->n; i++) {
			w->pfd[1 + i].fd = w->conns[i].fd;
			w->pfd[1 + i].events = POLLIN;
		}
		polled = w->n;
		if (poll(w->pfd, 1 + polled, -1) == -1)
			continue;
		/* From the last, so that closing one skips nobody. */
		for (size_t i = polled; i > 0; i--)
			if (w->pfd[i].revents != 0 &&
			    conn_read(&w->conns[i - 1]) == -1)
				conn_close(w, i - 1);
		if (w->pfd[0].revents & POLLIN)
			accept_some(w);
	}
	return NULL;
}

int
nullserve_run(const char *prog, const char *spec, nullserve_fn serve)
{
	static struct worker workers[NULLSERVE_THREADS];
	int rc;

	progname = prog;
	serve_fn = serve;
	if (strncmp(spec, "unix:", 5) == 0)
		listen_fd = open_unix(spec + 5);
	else if (strncmp(spec, "inet:", 5) == 0)
		listen_fd = open_inet(spec + 5);
	else {
		fprintf(stderr, "%s: want unix:PATH or inet:PORT@HOST\n",
		    prog);
		return EX_USAGE;
	}
	if (listen_fd == -1)
		return EX_UNAVAILABLE;
	if (listen(listen_fd, 128) == -1) {
		fprintf(stderr, "%s: listen: %s\n", prog, strerror(errno));
		return EX_UNAVAILABLE;
	}
	for (size_t i = 0; i < NULLSERVE_THREADS; i++)
		if ((rc = pthread_create(&workers[i].tid, NULL, worker_main,
			 &workers[i])) != 0) {
			fprintf(stderr, "%s: pthread_create: %s\n", prog,
			    strerror(rc));
			return EX_OSERR;
		}
	/* Serve until killed (make bench stops it by its PID). */
	pthread_join(workers[0].tid, NULL);
	return EX_SOFTWARE;
}
