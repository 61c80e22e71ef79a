/*
 * parent.c: the process that owns aliasd's signals and supervises the
 * milter child (see parent.h for the shape and why).
 *
 * Privileges: the parent starts as root, writes the pid file, forks the
 * child (which opens the socket and gives root up itself), and, once the
 * child says it is ready, gives root up too: to the same user, so that
 * nothing running for a long time keeps root.  At exit it removes the
 * socket and the pid file when that user may write their directory (as
 * the sample unit's RuntimeDirectory, which systemd removes anyway, or a
 * socket directory owned by the user); a socket left behind is replaced
 * at the next start.
 *
 * Start-up results travel on pipes as one write: a byte 0 for "ready",
 * or an exit code followed by the one-line reason.
 */
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "aliasd/parent.h"
#include "aliasd/privs.h"
#include "common/log.h"

/* How long a child asked to stop may take before it is killed. */
#define STOP_SECS 30
#define KNOCK_MS 100 /* how often a stopping child is woken */

struct child {
	pid_t pid;
	int status_fd; /* its start-up result; -1 once read */
	int ctl_fd; /* reload requests to it, non-blocking */
	bool ready;
	bool stopping;
	bool killed;
	struct timespec deadline; /* while stopping */
	int code; /* its start-up error, if it sent one */
	char why[1024];
};

/* Where this process's start-up result goes: the waiting terminal
 * process, or (in the child) the parent.  -1 once sent. */
static int status_fd = -1;

/* In the child: the parent it must not outlive. */
static pid_t parent_pid;

static void
status_send(int code, const char *line)
{
	char buf[1024];
	size_t len = strlen(line);

	if (status_fd == -1)
		return;
	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	buf[0] = (char)code;
	memcpy(buf + 1, line, len);
	/* One write under PIPE_BUF: the reader gets it whole or not at
	 * all; nothing more can be done about a reader that is gone. */
	if (write(status_fd, buf, len + 1) == -1)
		log_debug("start-up status not delivered: %s",
		    strerror(errno));
	close(status_fd);
	status_fd = -1;
}

/* fatalx's hook during start-up. */
static void
status_fatal(int code, const char *line)
{
	status_send(code > 0 && code < 256 ? code : EX_SOFTWARE, line);
}

/*
 * Read a start-up result: 0 for ready, else the exit code with the
 * reason in text; -1 when the writer went away without a word.
 */
static int
status_read(int fd, char *text, size_t len)
{
	char buf[1024];
	ssize_t n;

	text[0] = '\0';
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return -1;
	if (buf[0] == 0)
		return 0;
	buf[n] = '\0';
	snprintf(text, len, "%s", buf + 1);
	return (unsigned char)buf[0];
}

/* The process the shell (or systemd) started, in a detached start: it
 * exits when the daemon is ready or has failed, saying why. */
static void __attribute__((noreturn)) wait_for_daemon(int fd)
{
	char text[1024];
	int code;

	code = status_read(fd, text, sizeof(text));
	if (code == 0)
		exit(0);
	if (code == -1) {
		fprintf(stderr,
		    "aliasd: stopped during start-up without "
		    "saying why: see the mail log\n");
		exit(EX_SOFTWARE);
	}
	fprintf(stderr, "aliasd: %s\n", text);
	exit(code);
}

static void
write_pidfile(const char *path)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1)
		fatalx(EX_CANTCREAT, "cannot write pid file %s: %s", path,
		    strerror(errno));
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		unlink(path);
		fatalx(EX_IOERR, "cannot write pid file %s", path);
	}
	close(fd);
}

/* Become the parent of a detached daemon; the caller's process waits
 * in wait_for_daemon() and never returns. */
static void
detach(const char *pidfile)
{
	int up[2], fd;
	pid_t pid;

	if (pipe(up) == -1)
		fatalx(EX_OSERR, "pipe: %s", strerror(errno));
	if ((pid = fork()) == -1)
		fatalx(EX_OSERR, "fork: %s", strerror(errno));
	if (pid != 0) {
		close(up[1]);
		wait_for_daemon(up[0]);
	}
	close(up[0]);
	status_fd = up[1];
	log_on_fatal(status_fatal);
	if (setsid() == -1)
		fatalx(EX_OSERR, "setsid: %s", strerror(errno));
	if (chdir("/") == -1)
		fatalx(EX_OSERR, "chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		fatalx(EX_OSERR, "/dev/null: %s", strerror(errno));
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		fatalx(EX_OSERR, "dup2: %s", strerror(errno));
	if (fd > STDERR_FILENO)
		close(fd);
	write_pidfile(pidfile);
}

/*
 * The child's signals.  HUP and USR1 are ignored and unblocked in its
 * main thread: the kernel judges a signal sent to a process by that
 * thread, and drops an ignored one there and then.  Blocked, it would
 * wait for libmilter's signal thread, which sigwaits for HUP and takes
 * it for "stop".  TERM and INT stay blocked in every thread, for that
 * signal thread: TERM is how the parent stops the child.
 */
static void
child_signals(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void
parent_child_ready(void)
{
	/* Set after the change of user, which clears it; a parent gone
	 * before that shows in getppid().  SIGKILL, not a stop: a parent
	 * killed with SIGKILL is restarted at once (systemd's Restart=),
	 * and a child that stopped cleanly now would remove the sockets
	 * the new aliasd has just made under the same names (libmilter
	 * removes its socket by name).  The MTA retries what was in
	 * flight (milter_default_action, the policy service's default
	 * action). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		fatalx(EX_OSERR, "prctl: %s", strerror(errno));
	if (getppid() != parent_pid)
		fatalx(EX_SOFTWARE, "the parent process is gone");
	log_on_fatal(NULL);
	status_send(0, "");
}

static void
remove_files(const struct parent_conf *pc, bool ready)
{
	const char *path;
	struct stat sb;

	/* Only a socket our child made: one that failed to start may have
	 * found another aliasd's. */
	path = privs_socket_file(pc->socket);
	if (ready && path != NULL && lstat(path, &sb) == 0 &&
	    S_ISSOCK(sb.st_mode) && unlink(path) == -1)
		log_debug("cannot remove %s: %s", path, strerror(errno));
	if (pc->pidfile != NULL && unlink(pc->pidfile) == -1)
		log_debug("cannot remove %s: %s", pc->pidfile,
		    strerror(errno));
}

static void
describe(int ws, char *buf, size_t len)
{
	if (WIFEXITED(ws))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(ws));
	else if (WIFSIGNALED(ws))
		snprintf(buf, len, "was killed by signal %d", WTERMSIG(ws));
	else
		snprintf(buf, len, "ended (wait status %#x)", (unsigned)ws);
}

/* The child is gone: say why, clean up, exit. */
static void __attribute__((noreturn))
finish(const struct parent_conf *pc, struct child *c, int ws)
{
	char how[64], text[1200];
	bool clean = WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
	int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : EX_SOFTWARE;

	describe(ws, how, sizeof(how));
	if (c->code > 0)
		code = c->code; /* its start-up error, or ours */
	else if (code == 0 && !c->stopping)
		code = EX_SOFTWARE; /* so that Restart=on-failure acts */
	if (!c->ready) {
		/* The child has logged its own error. */
		if (c->code > 0)
			snprintf(text, sizeof(text), "%s", c->why);
		else {
			snprintf(text, sizeof(text),
			    "the milter process %s "
			    "during start-up%s",
			    how, c->stopping ? ", asked to stop" : "");
			log_warnx("%s", text);
		}
		status_send(code != 0 ? code : EX_SOFTWARE, text);
	} else if (!c->stopping)
		log_warnx("the milter process %s: stopping", how);
	else if (!clean)
		log_warnx("the milter process %s", how);
	remove_files(pc, c->ready);
	if (code == 0)
		log_info("stopped");
	exit(code);
}

static void
ask_to_stop(struct child *c, int sig)
{
	if (c->stopping)
		return;
	log_info("stopping on signal %d", sig);
	c->stopping = true;
	clock_gettime(CLOCK_MONOTONIC, &c->deadline);
	c->deadline.tv_sec += STOP_SECS;
	/* libmilter's smfi_stop: no new connections, the child exits. */
	if (kill(c->pid, SIGTERM) == -1)
		log_warn("cannot stop the milter process %ld", (long)c->pid);
}

/*
 * libmilter notices a stop only when a connection comes or its accept
 * loop's wait of 5 s ends: every stop and restart would take 5 s.  While
 * the child stops, the parent connects to the milter socket now and then
 * (and closes at once) to wake that loop.
 */
static void
knock(const char *spec)
{
	struct sockaddr_storage ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	const char *file = privs_socket_file(spec), *at;
	socklen_t len;
	long port;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (file != NULL) {
		if (strlen(file) >= sizeof(sun->sun_path))
			return;
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, file, strlen(file) + 1);
		len = sizeof(*sun);
	} else if (strncmp(spec, "inet:", 5) == 0) {
		/* inet:PORT@HOST; a wildcard or no host: loopback. */
		port = strtol(spec + 5, NULL, 10);
		at = strchr(spec, '@');
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		if (at == NULL ||
		    inet_pton(AF_INET, at + 1, &sin->sin_addr) != 1 ||
		    sin->sin_addr.s_addr == 0)
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	} else
		return;
	if ((fd = socket(ss.ss_family,
		 SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return;
	(void)connect(fd, (struct sockaddr *)&ss, len);
	close(fd);
}

/* Milliseconds to the deadline, for poll(); at least 0. */
static int
ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

static void
on_status(const struct parent_conf *pc, struct child *c)
{
	char err[512];
	int code;

	code = status_read(c->status_fd, c->why, sizeof(c->why));
	close(c->status_fd);
	c->status_fd = -1;
	if (code != 0) {
		/* An error (the child exits now) or no word at all: either
		 * way SIGCHLD follows and finish() reports. */
		c->code = code;
		return;
	}
	c->ready = true;
	if (privs_drop(pc->run_as, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		c->code = EX_OSERR;
		snprintf(c->why, sizeof(c->why), "%s", err);
		status_send(EX_OSERR, err);
		ask_to_stop(c, SIGTERM);
		return;
	}
	status_send(0, "");
}

static void
on_signals(const struct parent_conf *pc, struct child *c, int sfd)
{
	struct signalfd_siginfo si;
	int ws;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
		case SIGUSR1:
			/* A full pipe already holds a request the child
			 * has not read: it will reload after this HUP. */
			if (!c->stopping && write(c->ctl_fd, "r", 1) == -1 &&
			    errno != EAGAIN)
				log_warn("cannot ask the milter to reload");
			break;
		case SIGTERM:
		case SIGINT:
			ask_to_stop(c, (int)si.ssi_signo);
			break;
		case SIGCHLD:
			if (waitpid(c->pid, &ws, WNOHANG) == c->pid)
				finish(pc, c, ws);
			break;
		}
	}
}

/* The parent's life: signals and the child, until the child is gone. */
static void __attribute__((noreturn))
supervise(const struct parent_conf *pc, struct child *c, int sfd)
{
	struct pollfd pfd[2];
	int n, ws, timeout;

	for (;;) {
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = c->status_fd; /* -1: ignored by poll */
		pfd[1].events = POLLIN;
		timeout = -1;
		if (c->stopping) {
			timeout = ms_left(&c->deadline);
			if (!c->killed && timeout > KNOCK_MS)
				timeout = KNOCK_MS;
		}
		n = poll(pfd, 2, timeout);
		if (n == -1 && errno != EINTR) {
			log_warn("poll");
			ask_to_stop(c, SIGTERM);
			sleep(1);
			continue;
		}
		if (n == 0 && c->stopping && !c->killed &&
		    ms_left(&c->deadline) > 0) {
			knock(pc->socket);
			continue;
		}
		if (n == 0 && c->stopping) {
			if (c->killed) {
				/* SIGKILL cannot be refused: reap it. */
				if (waitpid(c->pid, &ws, 0) == c->pid)
					finish(pc, c, ws);
				continue;
			}
			log_warnx("the milter process did not stop within "
				  "%d s: killing it",
			    STOP_SECS);
			kill(c->pid, SIGKILL);
			c->killed = true;
			clock_gettime(CLOCK_MONOTONIC, &c->deadline);
			c->deadline.tv_sec += 5;
			continue;
		}
		if (n > 0 && (pfd[1].revents & (POLLIN | POLLHUP)) != 0)
			on_status(pc, c);
		if (n > 0 && (pfd[0].revents & POLLIN) != 0)
			on_signals(pc, c, sfd);
	}
}

int
parent_start(const struct parent_conf *pc)
{
	struct child c = { .status_fd = -1, .ctl_fd = -1 };
	struct sigaction sa;
	sigset_t set;
	int sfd, st[2], ctl[2];
	pid_t self;

	/* A write to a pipe whose reader is gone (a child that just died,
	 * a terminal process killed) is an error to handle, not death.
	 * libmilter wants it ignored in the child anyway. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	if (!pc->foreground)
		detach(pc->pidfile);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatalx(EX_OSERR, "signalfd: %s", strerror(errno));
	if (pipe(st) == -1 || pipe(ctl) == -1)
		fatalx(EX_OSERR, "pipe: %s", strerror(errno));
	self = getpid();
	if ((c.pid = fork()) == -1)
		fatalx(EX_OSERR, "fork: %s", strerror(errno));
	if (c.pid == 0) {
		close(sfd);
		close(st[0]);
		close(ctl[1]);
		if (status_fd != -1)
			close(status_fd);
		status_fd = st[1];
		log_on_fatal(status_fatal);
		parent_pid = self;
		child_signals();
		return ctl[0];
	}
	close(st[1]);
	close(ctl[0]);
	c.status_fd = st[0];
	c.ctl_fd = ctl[1];
	if (fcntl(c.ctl_fd, F_SETFL, O_NONBLOCK) == -1)
		log_warn("fcntl");
	supervise(pc, &c, sfd);
}
