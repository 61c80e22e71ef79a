/*
 * privs.c: in a fixed order (postsrsd, OpenSMTPD): open the socket, fix
 * its owner and mode, then setgroups, setgid, setuid.
 */
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aliasd/privs.h"

int
privs_lookup(const char *user, struct run_as *r, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen,
		    "user %s does not exist: create it "
		    "(adduser --system --group %s) or set user",
		    user, user);
		return -1;
	}
	r->uid = pw->pw_uid;
	r->gid = pw->pw_gid;
	snprintf(r->name, sizeof(r->name), "%s", user);
	return 0;
}

const char *
privs_socket_file(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

int
privs_socket(const char *spec, const struct run_as *r, char *err,
    size_t errlen)
{
	const char *path = privs_socket_file(spec);
	struct stat sb;

	if (path == NULL || geteuid() != 0)
		return 0;
	/* Never follow a link: the directory may belong to the user. */
	if (lstat(path, &sb) == -1 || !S_ISSOCK(sb.st_mode)) {
		snprintf(err, errlen, "%s is not the socket just made", path);
		return -1;
	}
	if (lchown(path, r->uid, r->gid) == -1) {
		snprintf(err, errlen, "cannot give %s to %s: %s", path,
		    r->name, strerror(errno));
		return -1;
	}
	return 0;
}

int
privs_drop(const struct run_as *r, char *err, size_t errlen)
{
	if (geteuid() != 0)
		return 0;
	if (setgroups(1, &r->gid) == -1 || setgid(r->gid) == -1 ||
	    setuid(r->uid) == -1) {
		snprintf(err, errlen, "cannot become %s: %s", r->name,
		    strerror(errno));
		return -1;
	}
	/* Paranoia: make sure root cannot be regained. */
	if (r->uid != 0 && (setuid(0) != -1 || geteuid() == 0)) {
		snprintf(err, errlen,
		    "still able to become root after "
		    "dropping to %s",
		    r->name);
		return -1;
	}
	return 0;
}
