/*
 * nullpolicy: a do-nothing Postfix policy server, the cost of the policy
 * delegation protocol itself for make bench, as nullmilter is the
 * milter's.  Every request is read with aliasd's own parser
 * (aliasd/policy_proto.c) and answered "action=DUNNO", on aliasd's
 * server loop shape (bench/nullserve.c): whatever aliasd's policy
 * service costs beyond this is its decision.
 *
 * usage: nullpolicy -s SOCKET    (unix:/path or inet:PORT@HOST)
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "aliasd/policy_proto.h"
#include "bench/nullserve.h"

static int
serve(int fd, char *buf, size_t *len)
{
	struct policy_request req;
	char out[64], err[128];
	enum policy_parse pr;
	size_t used, n;

	for (;;) {
		pr = policy_parse(buf, *len, &used, &req, err, sizeof(err));
		if (pr == POLICY_MORE)
			return 0;
		if (pr == POLICY_FATAL)
			return -1;
		/* A bad request is answered DUNNO too: nothing to decide. */
		if ((n = policy_answer(out, sizeof(out), "DUNNO")) == 0 ||
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
	int ch;

	while ((ch = getopt(argc, argv, "s:")) != -1) {
		if (ch == 's')
			sock = optarg;
		else
			sock = NULL, optind = argc + 1;
	}
	if (sock == NULL || optind != argc) {
		fprintf(stderr, "usage: nullpolicy -s socket\n");
		return EX_USAGE;
	}
	return nullserve_run("nullpolicy", sock, serve);
}
