/*
 * nullserve.h: the server loop of bench/nullpolicy and bench/nullmap,
 * the do-nothing floors of aliasd's fast path (aliasd/fastpath.c): the
 * same shape (NULLSERVE_THREADS threads each polling the listening
 * socket and the connections it accepted, persistent connections, one
 * buffer per connection, every whole request answered at once, in
 * order) with no decision behind it.
 */
#ifndef BENCH_NULLSERVE_H
#define BENCH_NULLSERVE_H

#include <stddef.h>

#define NULLSERVE_THREADS 2 /* as aliasd's FASTPATH_THREADS */
#define NULLSERVE_BUF 16384 /* as aliasd's policy request limit */

/*
 * Answer every whole request in buf[0..*len): write the answers to fd,
 * move what is left to the front and set *len.  0, or -1 to close the
 * connection.
 */
typedef int (*nullserve_fn)(int fd, char *buf, size_t *len);

/* Write all of buf to fd: 0 or -1. */
int nullserve_send(int fd, const char *buf, size_t len);

/*
 * Listen on spec (unix:/path, made 0666, or inet:PORT@HOST) and serve
 * until killed.  Returns only on a failure to start: an exit code,
 * with the reason on stderr.
 */
int nullserve_run(const char *prog, const char *spec, nullserve_fn serve);

#endif
