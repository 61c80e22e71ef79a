/* privs.h: the socket's owner and mode, and dropping root. */
#ifndef ALIASD_PRIVS_H
#define ALIASD_PRIVS_H

#include <sys/types.h>

struct run_as {
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* Look up user; 0, or -1 with a message in err. */
int privs_lookup(const char *user, struct run_as *, char *err, size_t errlen);

/* The file of a unix: (or local:) socket spec, or NULL for inet:. */
const char *privs_socket_file(const char *spec);

/* Give a unix: socket (made 0660 by our umask) to the user and its
 * group, without following links. */
int privs_socket(const char *spec, const struct run_as *, char *err,
    size_t errlen);

/* setgroups, setgid, setuid, each checked, then verified. */
int privs_drop(const struct run_as *, char *err, size_t errlen);

#endif
