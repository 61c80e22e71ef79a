/*
 * aliasd: the milter that refuses retired addresses during SMTP and
 * rewrites the owner's outbound From and Reply-To.
 *
 * Processes: a parent owns the signals (parent.c); the milter runs in
 * its child, which never receives SIGHUP: a reload comes as a byte on a
 * pipe.  Threads of the child: the main thread reads that pipe and
 * reloads; one runs smfi_main() and libmilter's workers (and
 * libmilter's signal thread, which takes SIGTERM for "stop"); one
 * writes counters.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "aliasd/counter.h"
#include "aliasd/fastpath.h"
#include "aliasd/milter.h"
#include "aliasd/parent.h"
#include "aliasd/pool.h"
#include "aliasd/privs.h"
#include "aliasd/snapshot.h"
#include "common/log.h"
#include "common/regdom.h"
#include "common/version.h"
#include "rewriter/header.h"

#define DEFAULT_PIDFILE "/run/aliasd/aliasd.pid"

struct options {
	const char *config;
	const char *pidfile;
	bool foreground;
	bool check;
	int verbose;
};

static void
usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
	    "usage: aliasd [-fnv] "
	    "[-c file] [-p pidfile]\n       aliasd --help | --version\n");
	exit(code);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while (
	    (ch = getopt_long(argc, argv, "c:fhnp:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(0);
			break;
		case 'V':
			printf("aliasd %s\n", ALIASD_VERSION);
			exit(0);
		case 'c':
			o->config = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'n':
			o->check = true;
			break;
		case 'p':
			o->pidfile = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		default:
			usage(EX_USAGE);
		}
	}
	if (optind != argc)
		usage(EX_USAGE);
}

/* Say why the socket could not be made, as precisely as we can. */
static void __attribute__((noreturn)) socket_failed(const char *spec)
{
	const char *file = privs_socket_file(spec);
	char copy[PATH_MAX], *dir;
	struct stat sb;

	if (file != NULL && strlen(file) < sizeof(copy)) {
		memcpy(copy, file, strlen(file) + 1);
		dir = dirname(copy);
		if (stat(dir, &sb) == -1)
			fatalx(EX_UNAVAILABLE,
			    "cannot open the milter socket "
			    "%s: directory %s: %s: create it (see aliasd(8))",
			    spec, dir, strerror(errno));
		if (!S_ISDIR(sb.st_mode))
			fatalx(EX_UNAVAILABLE,
			    "cannot open the milter socket "
			    "%s: %s is not a directory",
			    spec, dir);
	}
	fatalx(EX_UNAVAILABLE,
	    "cannot open the milter socket %s: check "
	    "that its directory is writable and the address is not in use",
	    spec);
}

/*
 * libmilter writes each of its replies on its own: at the end of a
 * message a header change and then "continue".  On a TCP socket Nagle's
 * algorithm holds the second small write until the first is acknowledged,
 * and the MTA delays that acknowledgement: 40 ms a message (make bench:
 * 20 messages/s instead of 270 on inet:).  libmilter does not hand out
 * its listening socket, so find it (the only listening TCP socket at this
 * point) and set TCP_NODELAY there: Linux gives the accepted connections
 * the listening socket's setting.
 */
static void
nodelay_listener(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int on = 1, listening, fd;

	for (fd = 0; fd < 1024; fd++) {
		len = sizeof(listening);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
			&len) == -1 ||
		    !listening)
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
			sizeof(on)) == -1)
			log_warn(
			    "cannot set TCP_NODELAY on the milter socket");
	}
}

static void
open_socket(const struct config *cfg, const struct run_as *r)
{
	char err[512];

	/* libmilter creates a unix socket with our umask: 0660 from the
	 * start, so that no chmod (which would follow a symlink) is needed. */
	umask(0117);
	if (smfi_setconn((char *)cfg->socket) != MI_SUCCESS)
		fatalx(EX_CONFIG, "bad socket %s", cfg->socket);
	if (smfi_register(milter_desc) != MI_SUCCESS)
		fatalx(EX_SOFTWARE, "smfi_register failed");
	if (smfi_opensocket(true) != MI_SUCCESS)
		socket_failed(cfg->socket);
	nodelay_listener();
	if (privs_socket(cfg->socket, r, err, sizeof(err)) == -1)
		fatalx(EX_OSERR, "%s", err);
}

struct milter_run {
	int rc; /* smfi_main's */
	int done_fd; /* written once smfi_main has returned */
};

static void *
milter_thread(void *arg)
{
	struct milter_run *m = arg;

	m->rc = smfi_main();
	/* Wake the main thread, whoever stopped libmilter. */
	if (write(m->done_fd, "", 1) == -1)
		log_warn("cannot wake the main thread");
	return NULL;
}

/* Two optional settings are the same. */
static bool
same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
reload(const char *path)
{
	struct snapshot *next, *old;
	char err[1024];

	if ((next = snapshot_load(path, err, sizeof(err))) == NULL) {
		log_warnx("reload failed, keeping the running configuration: "
			  "%s",
		    err);
		return;
	}
	old = snapshot_get();
	if (strcmp(old->config->socket, next->config->socket) != 0 ||
	    strcmp(old->config->user, next->config->user) != 0 ||
	    !same(old->config->policy_socket, next->config->policy_socket) ||
	    !same(old->config->socketmap_socket,
		next->config->socketmap_socket))
		log_warnx("reload: sockets and user change only on restart");
	snapshot_put(old);
	snapshot_install(next);
	pool_drain();
	log_info("configuration reloaded from %s", path);
}

/* The signals the parent owns, blocked from the start in every
 * process and thread (parent.c unblocks HUP and USR1 in the child). */
static void
signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
}

/*
 * Reload on each request from the parent (requests that arrive together
 * make one reload) until libmilter stops: on SIGTERM from the parent, or
 * here when the parent is gone (end of file).
 */
static void
serve_requests(const char *config_path, int ctl, int done)
{
	struct pollfd pfd[2];
	char buf[64];
	ssize_t n;

	pfd[0].fd = ctl;
	pfd[0].events = POLLIN;
	pfd[1].fd = done;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			sleep(1);
			continue;
		}
		if (pfd[1].revents != 0)
			return;
		if (pfd[0].revents == 0)
			continue;
		n = read(ctl, buf, sizeof(buf));
		if (n > 0) {
			reload(config_path);
			continue;
		}
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		log_warnx("the parent process is gone: stopping");
		smfi_stop();
		pfd[0].fd = -1;
	}
}

/* Run the milter until it stops; the child's main thread. */
static int
serve(const char *config_path, int ctl)
{
	struct milter_run m = { .rc = MI_SUCCESS };
	pthread_t tid;
	int done[2];

	if (pipe(done) == -1)
		fatalx(EX_OSERR, "pipe: %s", strerror(errno));
	m.done_fd = done[1];
	if (counter_start() == -1)
		fatalx(EX_OSERR, "cannot start the counter thread: %s",
		    strerror(errno));
	if (fastpath_start() == -1)
		fatalx(EX_OSERR,
		    "cannot start the policy and socketmap "
		    "threads: %s",
		    strerror(errno));
	if ((errno = pthread_create(&tid, NULL, milter_thread, &m)) != 0)
		fatalx(EX_OSERR, "cannot start the milter: %s",
		    strerror(errno));
	parent_child_ready();
	serve_requests(config_path, ctl, done[0]);
	pthread_join(tid, NULL);
	/* Before the counter: what the policy service counted is written. */
	fastpath_stop();
	counter_stop();
	pool_drain();
	close(done[0]);
	close(done[1]);
	close(ctl);
	return m.rc == MI_SUCCESS ? 0 : EX_SOFTWARE;
}

/* An absolute path, so that the daemon (in /) finds it again. */
static char *
absolute(const char *path)
{
	char cwd[PATH_MAX], *abs;

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return strdup(path);
	if (asprintf(&abs, "%s/%s", cwd, path) == -1)
		return NULL;
	return abs;
}

/* Replace *path (malloc'd) by its absolute form. */
static int
make_absolute(char **path)
{
	char *abs;

	if ((abs = absolute(*path)) == NULL)
		return -1;
	free(*path);
	*path = abs;
	return 0;
}

int
main(int argc, char **argv)
{
	struct options o = { .pidfile = DEFAULT_PIDFILE };
	struct snapshot *snap;
	struct run_as r = { .uid = getuid(), .gid = getgid() };
	struct parent_conf pc;
	char err[1024], shown[1024], *path, *pidfile;
	sigset_t set;
	bool explicit;
	int rc, ctl;

	/* Blocked before anything, so that a signal during start-up does
	 * not kill us and every thread inherits the mask. */
	signal_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	parse_options(argc, argv, &o);
	if ((path = config_find(o.config, &explicit)) == NULL) {
		fprintf(stderr,
		    "aliasd: cannot find a configuration: give -c "
		    "FILE\n");
		return EX_CONFIG;
	}
	if ((snap = snapshot_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "aliasd: %s\n", err);
		free(path);
		return EX_CONFIG;
	}
	if (geteuid() == 0 &&
	    privs_lookup(snap->config->user, &r, err, sizeof(err)) == -1) {
		fprintf(stderr, "aliasd: %s: %s\n", path, err);
		snapshot_put(snap);
		free(path);
		return EX_CONFIG;
	}
	if (o.check) {
		if (template_weak(snap->template, snap->config->template, err,
			sizeof(err)))
			fprintf(stderr, "aliasd: warning: %s: %s\n", path,
			    err);
		printf("configuration OK\n");
		snapshot_put(snap);
		free(path);
		return 0;
	}
	snapshot_install(snap);
	snap = snapshot_get(); /* our own reference for start-up */
	log_init("aliasd", o.foreground, o.verbose);
	/* The daemon runs in /: reloads must find the same file. */
	if (make_absolute(&path) == -1 ||
	    (pidfile = absolute(o.pidfile)) == NULL)
		fatalx(EX_OSERR, "out of memory");
	pc = (struct parent_conf){
		.pidfile = o.foreground ? NULL : pidfile,
		.socket = snap->config->socket,
		.foreground = o.foreground,
		.run_as = &r,
	};
	ctl = parent_start(&pc);
	/* From here on: the milter child. */
	free(pidfile);
	header_library_init();
	if (store_library_init() == -1)
		fatalx(EX_SOFTWARE, "cannot initialize SQLite");
	/* The Public Suffix List, once, before the workers start: the
	 * gate compares organisations by it.  Without the publicsuffix
	 * package libpsl still has the list it was built with. */
	if (regdom_init() == -1)
		log_warnx("cannot load the Public Suffix List: no sender is "
			  "expected, locked addresses refuse all mail");
	open_socket(snap->config, &r);
	if (fastpath_open(snap->config, &r, err, sizeof(err)) == -1)
		fatalx(EX_UNAVAILABLE, "%s", err);
	if (privs_drop(&r, err, sizeof(err)) == -1)
		fatalx(EX_OSERR, "%s", err);
	store_display_name(snap->config->database, shown, sizeof(shown));
	log_info("starting: socket %s, store %s, domains %s%s",
	    snap->config->socket, shown, snap->config->domains[0],
	    snap->config->ndomains > 1 ? ", ..." : "");
	if (template_weak(snap->template, snap->config->template, err,
		sizeof(err)))
		log_warnx("%s: %s", path, err);
	snapshot_put(snap);
	rc = serve(path, ctl);
	free(path);
	return rc;
}
