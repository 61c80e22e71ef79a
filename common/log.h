/*
 * log.h: aliasd's logging: syslog with the mail facility, and stderr too
 * in the foreground.  Lines read like Postfix's:
 *   "4XyZ12: reject rcpt=<a@example.com> reason=retired"
 */
#ifndef ALIASD_LOG_H
#define ALIASD_LOG_H

#include <stdbool.h>

void	log_init(const char *ident, bool foreground, int verbose);
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)". */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Start-up only: log and exit with code. */
void	fatalx(int code, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#endif
