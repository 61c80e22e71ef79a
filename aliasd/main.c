/*
 * aliasd: the milter that refuses retired addresses during SMTP and
 * rewrites the owner's outbound From and Reply-To.
 *
 * Threads: the main thread owns the signals (it waits for them with
 * sigwait, so SIGHUP reloads instead of stopping libmilter); one thread
 * runs smfi_main() and libmilter's workers; one writes counters.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "aliasd/counter.h"
#include "aliasd/milter.h"
#include "aliasd/pool.h"
#include "aliasd/privs.h"
#include "aliasd/snapshot.h"
#include "common/log.h"
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
	fprintf(code == 0 ? stdout : stderr, "usage: aliasd [-fnv] "
	    "[-c file] [-p pidfile]\n       aliasd --help | --version\n");
	exit(code);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:fhnp:v", longopts,
	    NULL)) != -1) {
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
		fatalx(EX_UNAVAILABLE, "cannot open the milter socket %s: "
		    "check that its directory exists and is writable",
		    cfg->socket);
	if (privs_socket(cfg->socket, r, err, sizeof(err)) == -1)
		fatalx(EX_OSERR, "%s", err);
}

static void
write_pidfile(const char *path, const struct run_as *r)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1)
		fatalx(EX_CANTCREAT, "cannot write pid file %s: %s", path,
		    strerror(errno));
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n)
		fatalx(EX_IOERR, "cannot write pid file %s", path);
	/* The daemon removes it at exit if, unprivileged, it may write
	 * the directory (systemd's RuntimeDirectory); else it stays. */
	(void)r;
	close(fd);
}

static void
detach(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		fatalx(EX_OSERR, "fork: %s", strerror(errno));
	if (pid != 0)
		_exit(0);
	if (setsid() == -1)
		fatalx(EX_OSERR, "setsid: %s", strerror(errno));
	if (chdir("/") == -1)
		fatalx(EX_OSERR, "chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

static pthread_t main_thread;

static void *
milter_thread(void *arg)
{
	int *rc = arg;

	*rc = smfi_main();
	/* If libmilter stopped by itself, wake the main thread: directed at
	 * it, so that libmilter's own signal thread cannot take it. */
	pthread_kill(main_thread, SIGTERM);
	return NULL;
}

static void
reload(const char *path)
{
	struct snapshot *next, *old;
	char err[1024];

	if ((next = snapshot_load(path, err, sizeof(err))) == NULL) {
		log_warnx("reload failed, keeping the running configuration: "
		    "%s", err);
		return;
	}
	old = snapshot_get();
	if (strcmp(old->config->socket, next->config->socket) != 0 ||
	    strcmp(old->config->user, next->config->user) != 0)
		log_warnx("reload: socket and user change only on restart");
	snapshot_put(old);
	snapshot_install(next);
	pool_drain();
	log_info("configuration reloaded from %s", path);
}

/*
 * The signals we wait for.  libmilter's own signal thread waits for HUP,
 * TERM and INT too, and stops the milter on HUP.  Linux hands a signal
 * sent to the process to its main thread first when that thread is
 * waiting for it, so this thread, always back in sigwait within
 * microseconds, gets SIGHUP and reloads.  SIGUSR1 (OpenDKIM's choice)
 * reloads too and is libmilter's in no case.
 */
static void
signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
}

/* Wait for signals until told to stop; the milter thread runs. */
static int
serve(const char *config_path)
{
	pthread_t tid;
	sigset_t set;
	int sig, rc = 0;

	signal_set(&set);
	main_thread = pthread_self();
	if (counter_start() == -1)
		fatalx(EX_OSERR, "cannot start the counter thread: %s",
		    strerror(errno));
	if ((errno = pthread_create(&tid, NULL, milter_thread, &rc)) != 0)
		fatalx(EX_OSERR, "cannot start the milter: %s",
		    strerror(errno));
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP || sig == SIGUSR1) {
			reload(config_path);
			continue;
		}
		break;
	}
	log_info("stopping on signal %d", sig);
	smfi_stop();
	pthread_join(tid, NULL);
	counter_stop();
	pool_drain();
	return rc == MI_SUCCESS ? 0 : EX_SOFTWARE;
}

int
main(int argc, char **argv)
{
	struct options o = { .pidfile = DEFAULT_PIDFILE };
	struct snapshot *snap;
	struct run_as r = { .uid = getuid(), .gid = getgid() };
	char err[1024], *path;
	sigset_t set;
	bool explicit;
	int rc;

	/* Blocked before anything, so that a signal during start-up does
	 * not kill us and every thread inherits the mask. */
	signal_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	parse_options(argc, argv, &o);
	if ((path = config_find(o.config, &explicit)) == NULL) {
		fprintf(stderr, "aliasd: cannot find a configuration: give -c "
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
			fprintf(stderr, "aliasd: warning: %s: %s\n", path, err);
		printf("configuration OK\n");
		snapshot_put(snap);
		free(path);
		return 0;
	}
	snapshot_install(snap);
	snap = snapshot_get();	/* our own reference for start-up */
	log_init("aliasd", o.foreground, o.verbose);
	header_library_init();
	if (store_library_init() == -1)
		fatalx(EX_SOFTWARE, "cannot initialize SQLite");
	open_socket(snap->config, &r);
	if (!o.foreground) {
		detach();
		write_pidfile(o.pidfile, &r);
	}
	if (privs_drop(&r, err, sizeof(err)) == -1)
		fatalx(EX_OSERR, "%s", err);
	log_info("starting: socket %s, store %s, domains %s%s",
	    snap->config->socket, snap->config->database,
	    snap->config->domains[0], snap->config->ndomains > 1 ? ", ..." :
	    "");
	if (template_weak(snap->template, snap->config->template, err,
	    sizeof(err)))
		log_warnx("%s: %s", path, err);
	snapshot_put(snap);
	rc = serve(path);
	if (!o.foreground)
		unlink(o.pidfile);
	free(path);
	return rc;
}
