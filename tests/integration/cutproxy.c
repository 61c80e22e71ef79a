/*
 * cutproxy: a PostgreSQL connection cut at the worst moment, for
 * tests/integration/pg_commit_doubt.sh.
 *
 * usage: cutproxy PORT SOCKET TRIGGER
 *
 * Listens on 127.0.0.1:PORT and relays each connection to the server's
 * unix socket SOCKET, byte for byte.  When a client sends COMMIT (the
 * simple query message 'Q' "COMMIT") while the file TRIGGER exists, the
 * file is removed, the COMMIT goes to the server, the server's answer
 * is awaited (at most 10 s) and thrown away, and both sides of that
 * connection are closed: the server has committed, the client knows
 * only that its connection went.  Once per TRIGGER file.
 *
 * One process, poll(2) over every connection; it runs until it is
 * killed.  Any failure to start prints one line and exits 1.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAIRS_MAX 64

/* 'Q', its length (4 + 7), "COMMIT" and its terminator. */
static const char commit_msg[] = "Q\0\0\0\x0b"
				 "COMMIT";
#define COMMIT_LEN (sizeof(commit_msg)) /* the final NUL included */

struct pair {
	int client, server;
};

static struct pair pairs[PAIRS_MAX];
static int npairs;

static void
die(const char *what)
{
	fprintf(stderr, "cutproxy: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
listen_on(int port)
{
	struct sockaddr_in sin;
	int fd, on = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind");
	if (listen(fd, 16) == -1)
		die("listen");
	return fd;
}

static int
connect_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
has_commit(const char *buf, size_t len)
{
	for (size_t i = 0; i + COMMIT_LEN <= len; i++)
		if (memcmp(buf + i, commit_msg, COMMIT_LEN) == 0)
			return 1;
	return 0;
}

static void
drop(int i)
{
	close(pairs[i].client);
	close(pairs[i].server);
	pairs[i] = pairs[--npairs];
}

/* Wait for the server's answer to the COMMIT just sent, and lose it. */
static void
swallow_answer(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[512];

	if (poll(&p, 1, 10000) == 1)
		(void)read(fd, buf, sizeof(buf));
}

/* One chunk from side `from` of pair i to the other; 0 when the pair
 * was closed. */
static int
relay(int i, int from_client, const char *trigger)
{
	struct pair *p = &pairs[i];
	int from = from_client ? p->client : p->server;
	int to = from_client ? p->server : p->client;
	char buf[16384];
	ssize_t n;

	if ((n = read(from, buf, sizeof(buf))) <= 0) {
		if (n == -1 && errno == EINTR)
			return 1;
		drop(i);
		return 0;
	}
	if (write_all(to, buf, (size_t)n) == -1) {
		drop(i);
		return 0;
	}
	if (from_client && has_commit(buf, (size_t)n) &&
	    unlink(trigger) == 0) {
		swallow_answer(p->server);
		fprintf(stderr, "cutproxy: a COMMIT's answer lost\n");
		drop(i);
		return 0;
	}
	return 1;
}

int
main(int argc, char **argv)
{
	struct pollfd fds[1 + 2 * PAIRS_MAX];
	int lfd, c, s;

	if (argc != 4) {
		fprintf(stderr, "usage: cutproxy PORT SOCKET TRIGGER\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(atoi(argv[1]));
	for (;;) {
		fds[0].fd = lfd;
		fds[0].events = POLLIN;
		for (int i = 0; i < npairs; i++) {
			fds[1 + 2 * i].fd = pairs[i].client;
			fds[1 + 2 * i].events = POLLIN;
			fds[2 + 2 * i].fd = pairs[i].server;
			fds[2 + 2 * i].events = POLLIN;
		}
		if (poll(fds, (nfds_t)(1 + 2 * npairs), -1) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		/* From the last pair down: drop() moves the last one. */
		for (int i = npairs - 1; i >= 0; i--) {
			if ((fds[1 + 2 * i].revents &
				(POLLIN | POLLHUP | POLLERR)) != 0 &&
			    !relay(i, 1, argv[3]))
				continue;
			if ((fds[2 + 2 * i].revents &
				(POLLIN | POLLHUP | POLLERR)) != 0)
				relay(i, 0, argv[3]);
		}
		if ((fds[0].revents & POLLIN) != 0 &&
		    (c = accept(lfd, NULL, NULL)) != -1) {
			if (npairs == PAIRS_MAX ||
			    (s = connect_unix(argv[2])) == -1) {
				close(c);
				continue;
			}
			pairs[npairs].client = c;
			pairs[npairs].server = s;
			npairs++;
		}
	}
}
