/*
 * log.c: syslog (LOG_MAIL) and, in the foreground, stderr.  Safe to call
 * from any thread: syslog(3) and one fprintf per line are.  errno is
 * kept across every call.
 */
#include <sys/stat.h>

#include <errno.h>
#include <paths.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static bool to_stderr;
static int verbosity;
static const char *log_ident = "aliasd";
static void (*fatal_hook)(int, const char *);
/* Whether syslogd's socket is there, looked at most once a second. */
static atomic_bool syslog_up = true;
static atomic_llong syslog_next_look;

void
log_init(const char *ident, bool foreground, int verbose)
{
	log_ident = ident;
	to_stderr = foreground;
	verbosity = verbose;
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_on_fatal(void (*hook)(int code, const char *line))
{
	fatal_hook = hook;
}

/*
 * The stderr copy carries the time (UTC, ISO 8601) and the process id,
 * as syslog's lines do: aliasd runs as two processes, and a log file
 * kept from "aliasd -f" must say when things happened.
 */
static void
stderr_line(const char *line, const char *suffix)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
	fprintf(stderr, "%s %s[%ld]: %s%s%s\n", stamp, log_ident,
	    (long)getpid(), line, suffix != NULL ? ": " : "",
	    suffix != NULL ? suffix : "");
}

/*
 * With no syslogd, syslog(3) tries to connect again for every line (a
 * socket, a failed connect and a close, under glibc's syslog lock that
 * every thread shares) and then drops the line.  Skip it instead while
 * _PATH_LOG is missing, looking again once a second, so that a syslogd
 * started later is found.
 */
static bool
syslog_there(void)
{
	long long now = (long long)time(NULL), next;
	struct stat sb;

	next = atomic_load(&syslog_next_look);
	if (now >= next &&
	    atomic_compare_exchange_strong(&syslog_next_look, &next, now + 1))
		atomic_store(&syslog_up, stat(_PATH_LOG, &sb) == 0);
	return atomic_load(&syslog_up);
}

static void
vlog(int priority, const char *fmt, va_list ap, const char *suffix)
{
	char line[2048];
	int saved = errno;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (syslog_there()) {
		if (suffix != NULL)
			syslog(priority, "%s: %s", line, suffix);
		else
			syslog(priority, "%s", line);
	}
	if (to_stderr)
		stderr_line(line, suffix);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	char err[256];

	/* strerror_r (GNU) may return a static string instead of filling. */
	const char *msg = strerror_r(errno, err, sizeof(err));

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, msg);
	va_end(ap);
}

void
fatalx(int code, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	syslog(LOG_ERR, "%s", line);
	if (to_stderr)
		stderr_line(line, NULL);
	if (fatal_hook != NULL)
		fatal_hook(code, line);
	exit(code);
}
