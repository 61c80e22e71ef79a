/*
 * parent.h: aliasd's parent process.  It owns the signals and runs the
 * milter in a child process, as OpenSMTPD's parent runs its workers, so
 * that libmilter (whose signal thread takes SIGHUP for "stop") never
 * sees a SIGHUP: the parent turns each one into a byte on a pipe, and
 * the child reloads when it reads it.
 *
 *   aliasd (foreground, detached start only): waits for the start-up
 *       result, prints the child's error if there is one, exits with it.
 *   parent: writes the pid file (its own pid), waits for signals and
 *       for the child; SIGHUP/SIGUSR1 ask the child to reload,
 *       SIGTERM/SIGINT stop it; removes the socket and the pid file.
 *   child: opens the socket, drops root, runs libmilter.
 */
#ifndef ALIASD_PARENT_H
#define ALIASD_PARENT_H

#include <stdbool.h>

struct run_as;

struct parent_conf {
	const char *pidfile; /* absolute; NULL: none (-f) */
	const char *socket; /* the milter socket spec, removed at exit */
	bool foreground;
	const struct run_as *run_as; /* the parent drops to it, too */
};

/*
 * Detach unless foreground, write the pid file and fork the milter.
 * Returns only in the milter child: the descriptor its reload requests
 * arrive on (a byte each; end of file once the parent is gone).  Every
 * other process exits in here.  Start-up errors until
 * parent_child_ready() (fatalx) reach the waiting terminal.  Called with
 * HUP, USR1, TERM and INT blocked.
 */
int parent_start(const struct parent_conf *);

/*
 * In the child, once the socket is open and root is given up: tell the
 * parent start-up is over, and die with it (PR_SET_PDEATHSIG, which a
 * change of user clears, so it is set here).
 */
void parent_child_ready(void);

#endif
