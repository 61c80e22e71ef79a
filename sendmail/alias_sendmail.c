/*
 * alias-sendmail: a sendmail-compatible wrapper for mail clients.  Reads
 * a message on stdin, rewrites From, Reply-To and Sender as aliasd would,
 * and hands it to the real sendmail (sendmail_program) with the same
 * options and recipients, and -f bounce_address (or the chosen address).
 *
 * Only the header block is held in memory; the body is streamed through
 * a fixed buffer, never parsed.  When it cannot decide (no store) it
 * sends nothing and exits 75, so the client keeps the message.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/diag.h"
#include "common/template.h"
#include "common/version.h"
#include "db/store.h"
#include "rewriter/header.h"
#include "rewriter/message_io.h"
#include "rewriter/plan.h"
#include "rewriter/recipients.h"
#include "rewriter/store_source.h"
#include "sendmail/sendmail_args.h"

#define BUSY_MS 5000
#define LOOP_GUARD "ALIAS_SENDMAIL_ACTIVE"
/* What a dry run shows for the address auto_create would make. */
#define DRY_RUN_ADDRESS "new-address"

struct job {
	struct config *config;
	struct sendmail_args args;
	struct message_head head;
	const char *sender; /* the envelope sender to pass on */
	char planned_sender[ADDRESS_MAX]; /* the plan's, kept here */
};

/* SPEC "Configuration": the one rule of every program, without -c
 * (sendmail's -C is not ours).  Here the file must exist: without it
 * there is no owner, so nothing could be rewritten. */
static int
load_config(struct job *j)
{
	char err[1024], *path;
	bool explicit;
	int rc = 0;

	if ((path = config_find(NULL, &explicit)) == NULL)
		return fail(EX_OSERR, "out of memory; nothing sent");
	if (!explicit && access(path, F_OK) == -1)
		rc = fail(EX_CONFIG,
		    "no configuration: %s%s%s does not exist "
		    "(aliasctl init makes one, or set ALIASD_CONF); nothing "
		    "sent",
		    strcmp(path, CONFIG_SYSTEM_PATH) != 0 ? "neither " : "",
		    path,
		    strcmp(path, CONFIG_SYSTEM_PATH) != 0 ?
			" nor " CONFIG_SYSTEM_PATH :
			"");
	else if ((j->config = config_load(path, true, err, sizeof(err))) ==
	    NULL)
		rc = fail(EX_CONFIG, "%s; nothing sent", err);
	else if (j->config->database == NULL)
		rc = fail(EX_CONFIG, "no database in %s; nothing sent", path);
	free(path);
	return rc;
}

/* Recipients: the arguments (a comma list counts as several), and with
 * -t those of To, Cc and Bcc. */
static int
collect_rcpts(struct job *j, char ***out, size_t *n)
{
	struct header_list all;
	char **hdr = NULL;
	size_t nhdr = 0, i;
	int rc = -1;

	/* Each argument is an address list as sendmail reads it ("Doe,
	 * John" <joe@example.org>, a, b); with -t the header's are added.
	 * Put together as To fields, the one parser and de-duplication of
	 * header_list_recipients() serve both. */
	header_list_init(&all);
	if (j->args.extract &&
	    header_list_recipients(&j->head.headers, &hdr, &nhdr) == -1)
		goto done;
	for (i = 0; i < j->args.nrcpts; i++)
		if (header_list_add(&all, "To", j->args.rcpts[i]) == -1)
			goto done;
	for (i = 0; i < nhdr; i++)
		if (header_list_add(&all, "To", hdr[i]) == -1)
			goto done;
	if (header_list_recipients(&all, out, n) == -1)
		goto done;
	rc = 0;
done:
	header_recipients_free(hdr);
	header_list_free(&all);
	return rc;
}

/* The job as a plan request; the caller fills src. */
static void
plan_request_fill(const struct job *j, struct plan_request *req)
{
	plan_request_from_config(j->config, req);
	req->headers = &j->head.headers;
	req->sender = j->args.sender;
	/* a dry run never changes the store */
	req->may_create = !j->args.dry_run;
}

/* Apply a plan made for the owner's mail. */
static int
apply(struct job *j, const struct plan *p)
{
	if (header_list_apply(&j->head.headers, &p->changes) == -1)
		return fail(EX_TEMPFAIL, "out of memory; nothing sent");
	/* the owner's real address never leaves in the envelope */
	if (p->sender[0] != '\0') {
		snprintf(j->planned_sender, sizeof(j->planned_sender), "%s",
		    p->sender);
		j->sender = j->planned_sender;
	}
	if (j->args.dry_run && p->want_new && !p->created)
		warnx_cli("dry run: a real run would create an address for %s "
			  "(shown as %s)",
		    p->new_correspondent, p->address);
	return 0;
}

/* The one outbound plan (rewriter/plan.c), as aliasd makes it, applied to
 * the header block and the envelope sender.  0, or an exit code. */
static int
decide(struct job *j)
{
	struct store_options o = { .busy_ms = BUSY_MS,
		.durable = true,
		.readonly = j->args.dry_run,
		.upgrade = true,
		.uid = (uid_t)-1,
		.gid = (gid_t)-1 };
	struct store *s = NULL;
	struct store_source src;
	struct policy_source ps;
	struct plan_request req;
	struct plan p;
	struct template *t = NULL;
	enum plan_status st;
	char err[1024], stand_in[ADDRESS_MAX], **rcpts = NULL;
	size_t n = 0;
	int rc = EX_TEMPFAIL;

	memset(&p, 0, sizeof(p));
	j->sender = j->args.sender;
	if (collect_rcpts(j, &rcpts, &n) == -1)
		return fail(EX_TEMPFAIL, "out of memory; nothing sent");
	if (store_open(j->config->database, &o, &s, err, sizeof(err)) !=
	    STORE_OK) {
		rc = fail(EX_TEMPFAIL, "%s; nothing sent", err);
		goto done;
	}
	store_source_init(&src, s, time(NULL), &ps);
	if (j->config->auto_create && j->config->ndomains > 0 &&
	    !j->args.dry_run) {
		if ((t = template_parse(j->config->template, err,
			 sizeof(err))) == NULL) {
			rc = fail(EX_CONFIG, "%s; nothing sent", err);
			goto done;
		}
		store_source_creates(&src, &ps, t, j->config->domains[0]);
	}
	plan_request_fill(j, &req);
	req.src = &ps;
	req.rcpts = (const char *const *)rcpts;
	req.nrcpts = n;
	if (j->args.dry_run && j->config->ndomains > 0) {
		snprintf(stand_in, sizeof(stand_in), "%s@%s", DRY_RUN_ADDRESS,
		    j->config->domains[0]);
		req.stand_in = stand_in;
	}
	st = plan_make(&req, &p, err, sizeof(err));
	switch (st) {
	case PLAN_NOT_OWNER:
		rc = 0;
		break;
	case PLAN_ERROR:
		rc = fail(EX_TEMPFAIL, "%s: %s; nothing sent", err,
		    store_error(s));
		break;
	case PLAN_LEAK:
		rc = fail(EX_TEMPFAIL,
		    "the message names the owner's address "
		    "in %s; nothing sent (on_leak = send turns this guard off)",
		    p.leak_field);
		break;
	case PLAN_OK:
		rc = apply(j, &p);
		break;
	}
done:
	plan_free(&p);
	template_free(t);
	store_close(s);
	header_recipients_free(rcpts);
	return rc;
}

static void
show_command(char **argv)
{
	fputs("alias-sendmail: would run:", stderr);
	for (; *argv != NULL; argv++)
		fprintf(stderr, " %s", *argv);
	fputc('\n', stderr);
}

/* Run the real sendmail with the message on its stdin. */
static int
hand_over(struct job *j, char **argv)
{
	int fds[2], status;
	pid_t pid;
	int rc;

	if (pipe(fds) == -1)
		return fail(EX_OSERR, "pipe: %s; nothing sent",
		    strerror(errno));
	if ((pid = fork()) == -1)
		return fail(EX_OSERR, "fork: %s; nothing sent",
		    strerror(errno));
	if (pid == 0) {
		close(fds[1]);
		if (dup2(fds[0], STDIN_FILENO) == -1)
			_exit(EX_OSERR);
		close(fds[0]);
		setenv(LOOP_GUARD, "1", 1);
		execv(argv[0], argv);
		fprintf(stderr, "alias-sendmail: cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(EX_UNAVAILABLE);
	}
	close(fds[0]);
	rc = message_write(&j->head, STDIN_FILENO, fds[1]);
	close(fds[1]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return fail(EX_OSERR, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return WEXITSTATUS(status);
	if (!WIFEXITED(status))
		return fail(EX_TEMPFAIL, "%s was killed by signal %d", argv[0],
		    WTERMSIG(status));
	if (rc == -1)
		return fail(EX_IOERR, "cannot pass the message on: %s",
		    strerror(errno));
	return 0;
}

static int
run(struct job *j, int argc, char **argv)
{
	char err[512], **out;
	int rc;

	if (sendmail_args_parse(argc, argv, &j->args, err, sizeof(err)) == -1)
		return fail(EX_USAGE, "%s; nothing sent", err);
	/* --help and --version: no stdin, no configuration, nothing run. */
	if (j->args.help || j->args.version) {
		if (j->args.help)
			sendmail_args_usage(stdout);
		else
			printf("alias-sendmail %s\n", ALIASD_VERSION);
		return fflush(stdout) == EOF ? fail(EX_IOERR,
						   "cannot write: "
						   "%s",
						   strerror(errno)) :
					       0;
	}
	/* SMTP on stdin would reach the real sendmail unrewritten. */
	if (j->args.smtp)
		return fail(EX_USAGE,
		    "-bs (SMTP on stdin) cannot be "
		    "rewritten; pipe the message to alias-sendmail instead");
	if ((rc = load_config(j)) != 0)
		return rc;
	if (!j->args.deliver) {
		/* -bp, -bt, -bv, -q...: no message; the real one answers,
		 * unless this is a dry run, which never runs anything. */
		out = sendmail_args_build(&j->args,
		    j->config->sendmail_program, j->args.sender);
		if (out == NULL)
			return fail(EX_OSERR, "out of memory");
		if (j->args.dry_run) {
			show_command(out);
			free(out);
			return 0;
		}
		setenv(LOOP_GUARD, "1", 1);
		execv(out[0], out);
		rc = fail(EX_UNAVAILABLE, "cannot run %s: %s", out[0],
		    strerror(errno));
		free(out);
		return rc;
	}
	if (message_read_head(&j->head, STDIN_FILENO, err, sizeof(err)) == -1)
		return fail(EX_DATAERR, "%s; nothing sent", err);
	if ((rc = decide(j)) != 0)
		return rc;
	if ((out = sendmail_args_build(&j->args, j->config->sendmail_program,
		 j->sender)) == NULL)
		return fail(EX_OSERR, "out of memory; nothing sent");
	if (j->args.dry_run) {
		show_command(out);
		rc = message_write(&j->head, STDIN_FILENO, STDOUT_FILENO) ==
			-1 ?
		    fail(EX_IOERR, "cannot write: %s", strerror(errno)) :
		    0;
	} else
		rc = hand_over(j, out);
	free(out);
	return rc;
}

int
main(int argc, char **argv)
{
	struct job j;
	int rc;

	memset(&j, 0, sizeof(j));
	diag_init("alias-sendmail");
	if (getenv(LOOP_GUARD) != NULL)
		return fail(EX_CONFIG,
		    "sendmail_program runs alias-sendmail "
		    "again: point it at the real sendmail; nothing sent");
	/* A reader that goes away must not kill us before we report. */
	signal(SIGPIPE, SIG_IGN);
	message_head_init(&j.head);
	rc = run(&j, argc, argv);
	message_head_free(&j.head);
	sendmail_args_free(&j.args);
	config_free(j.config);
	return rc;
}
