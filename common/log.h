/*
 * log.h: aliasd's logging: syslog with the mail facility, and stderr too
 * in the foreground, there with the time and the process id in front.
 * Lines read like Postfix's:
 *   "4XyZ12: reject rcpt=<a@example.com> reason=retired"
 */
#ifndef ALIASD_LOG_H
#define ALIASD_LOG_H

#include <stdbool.h>

void log_init(const char *ident, bool foreground, int verbose);
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)". */
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Start-up only: log and exit with code. */
void fatalx(int code, const char *, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Have fatalx also hand its line and exit code to hook (NULL: none),
 * which aliasd uses to tell whoever waits for its start-up why it
 * failed.  Not thread-safe: set during start-up. */
void log_on_fatal(void (*hook)(int code, const char *line));

#endif
