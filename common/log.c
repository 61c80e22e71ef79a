/*
 * log.c: syslog (LOG_MAIL) and, in the foreground, stderr.  Safe to call
 * from any thread: syslog(3) and one fprintf per line are.  errno is
 * kept across every call.
 */
#include <errno.h>
#include <stdarg.h>
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

static void
vlog(int priority, const char *fmt, va_list ap, const char *suffix)
{
	char line[2048];
	int saved = errno;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (suffix != NULL)
		syslog(priority, "%s: %s", line, suffix);
	else
		syslog(priority, "%s", line);
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
