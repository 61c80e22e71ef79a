/*
 * nullmap: a do-nothing socketmap server, the cost of the socketmap
 * protocol itself for make bench, as nullmilter is the milter's.  Every
 * netstring is read and split with aliasd's own code (aliasd/netstring.c)
 * and answered "OK DUNNO" (Postfix's access(5) "as if not found, and try
 * no shorter key": one lookup per recipient, as aliasd's accepted ones),
 * or "NOTFOUND " with -n, on aliasd's server loop shape
 * (bench/nullserve.c): whatever aliasd's socketmap costs beyond this is
 * its decision.
 *
 * usage: nullmap [-n] -s SOCKET    (unix:/path or inet:PORT@HOST)
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "aliasd/netstring.h"
#include "bench/nullserve.h"
#include "common/address.h"

static const char *answer = "OK DUNNO";

static int
serve(int fd, char *buf, size_t *len)
{
	char name[64], key[ADDRESS_MAX], out[64];
	enum netstring_parse pr;
	const char *data;
	size_t used, dlen, n;

	for (;;) {
		pr = netstring_parse(buf, *len, &used, &data, &dlen);
		if (pr == NETSTRING_MORE)
			return 0;
		if (pr == NETSTRING_FATAL)
			return -1;
		/* Split as aliasd does; a bad one is answered all the same. */
		(void)socketmap_split(data, dlen, name, sizeof(name), key,
		    sizeof(key));
		if ((n = netstring_format(out, sizeof(out), answer)) == 0 ||
		    nullserve_send(fd, out, n) == -1)
			return -1;
		memmove(buf, buf + used, *len - used);
		*len -= used;
	}
}

int
main(int argc, char **argv)
{
	const char *sock = NULL;
	bool usage = false;
	int ch;

	while ((ch = getopt(argc, argv, "ns:")) != -1) {
		switch (ch) {
		case 'n':
			answer = "NOTFOUND ";
			break;
		case 's':
			sock = optarg;
			break;
		default:
			usage = true;
		}
	}
	if (usage || sock == NULL || optind != argc) {
		fprintf(stderr, "usage: nullmap [-n] -s socket\n");
		return EX_USAGE;
	}
	return nullserve_run("nullmap", sock, serve);
}
