/*
 * cmd_rewrite.c: aliasctl rewrite [--create] [--sender ADDRESS]
 * [RECIPIENT...] <message
 *
 * Reads a message's header block (or a whole message: the body is read
 * and dropped) on stdin and prints it as it must leave: rewritten by the
 * one outbound plan (rewriter/plan.c), exactly as alias-sendmail would
 * rewrite it, unchanged fields byte for byte.  For mail clients that
 * send by themselves (the Emacs package): they apply this answer instead
 * of deciding anything of their own.
 *
 * Recipients are the arguments, or when none are given those of the
 * header (To, Cc, Bcc, or the Resent- ones, as sendmail -t takes them).
 * --sender is the envelope sender the client would use; with it, the leak
 * guard checks the envelope too.  --create lets auto_create make an
 * address for a new correspondent (only for the owner's mail).
 *
 * Not the owner's mail: the block unchanged, exit 0.  The leak guard or a
 * store error: nothing on stdout, one line on stderr, exit 75.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "rewriter/message_io.h"
#include "rewriter/plan.h"
#include "rewriter/recipients.h"

struct rewrite_job {
	struct message_head head;
	char **rcpts; /* from the header; NULL with arguments */
	const char *const *use; /* the recipients used */
	size_t nrcpts;
	const char *sender; /* --sender, without <>; NULL: none */
	char sender_buf[ADDRESS_MAX];
	bool create;
};

/* Read the header block, then the rest of stdin, which is dropped: a
 * program writing a whole message must not die of SIGPIPE.  0 or an
 * exit code. */
static int
read_message(struct rewrite_job *j)
{
	char err[256], buf[64 * 1024];
	ssize_t n;

	if (message_read_head(&j->head, STDIN_FILENO, err, sizeof(err)) == -1)
		return fail(EX_DATAERR, "%s", err);
	do
		n = read(STDIN_FILENO, buf, sizeof(buf));
	while (n > 0 || (n == -1 && errno == EINTR));
	if (n == -1)
		return fail(EX_IOERR, "cannot read the message: %s",
		    strerror(errno));
	return 0;
}

/* The recipients: the arguments, each checked as aliasctl for checks
 * them, else the header's.  0 or an exit code. */
static int
recipients(struct rewrite_job *j, char **argv, int argc)
{
	char addr[ADDRESS_MAX];
	const char *why;

	if (argc > 0) {
		for (int i = 0; i < argc; i++)
			if ((why = address_parse_mailbox(argv[i], addr,
				 sizeof(addr))) != NULL)
				return fail(EX_DATAERR,
				    "bad recipient \"%s\": "
				    "%s",
				    argv[i], why);
		j->use = (const char *const *)argv;
		j->nrcpts = (size_t)argc;
		return 0;
	}
	if (header_list_recipients(&j->head.headers, &j->rcpts, &j->nrcpts) ==
	    -1)
		return fail(EX_OSERR, "out of memory");
	j->use = (const char *const *)j->rcpts;
	return 0;
}

/* --sender: "" or <> is the null sender. */
static int
set_sender(struct rewrite_job *j, const char *arg)
{
	char addr[ADDRESS_MAX];
	size_t len = strlen(arg);
	const char *why;

	if (len >= 2 && arg[0] == '<' && arg[len - 1] == '>') {
		arg++;
		len -= 2;
	}
	if (len >= sizeof(j->sender_buf))
		return fail(EX_DATAERR, "bad sender: too long");
	memcpy(j->sender_buf, arg, len);
	j->sender_buf[len] = '\0';
	if (len > 0 &&
	    (why = address_parse_mailbox(j->sender_buf, addr, sizeof(addr))) !=
		NULL)
		return fail(EX_DATAERR, "bad sender \"%s\": %s", j->sender_buf,
		    why);
	j->sender = j->sender_buf;
	return 0;
}

/* The plan, made as alias-sendmail makes it.  0 or an exit code; *st is
 * the plan's status when 0. */
static int
make_plan(struct ctx *c, struct rewrite_job *j, struct plan *p,
    enum plan_status *st)
{
	struct plan_request req = {
		.rcpts = j->use,
		.nrcpts = j->nrcpts,
		.headers = &j->head.headers,
		.sender = j->sender,
	};
	int rc;

	if ((rc = ctx_plan(c, &req, j->create, p, st)) != 0)
		return rc;
	if (*st == PLAN_LEAK)
		return fail(EX_TEMPFAIL,
		    "the message names the owner's address "
		    "in %s (on_leak = send turns this guard off)",
		    p->leak_field);
	return 0;
}

/* The block as it must leave, in a string of ours. */
static char *
block_text(const struct rewrite_job *j, size_t *len)
{
	char *text = NULL;
	FILE *fp;
	int rc;

	if ((fp = open_memstream(&text, len)) == NULL)
		return NULL;
	rc = header_list_write(&j->head.headers, fp, j->head.eol);
	if (fclose(fp) == EOF || rc == -1) {
		free(text);
		return NULL;
	}
	return text;
}

static int
print(const struct ctx *c, const struct rewrite_job *j, const struct plan *p,
    enum plan_status st)
{
	size_t len;
	char *text;

	if ((text = block_text(j, &len)) == NULL)
		return fail(EX_OSERR, "out of memory");
	if (c->json) {
		fputs("{\"address\":", stdout);
		json_string(stdout, p->address, 1);
		fputs(",\"sender\":", stdout);
		json_string(stdout, p->sender, 1);
		fputs(",\"headers\":", stdout);
		json_string(stdout, text, 0);
		printf(",\"owner\":%s,\"created\":%s}\n",
		    st == PLAN_OK ? "true" : "false",
		    p->created ? "true" : "false");
	} else
		fwrite(text, 1, len, stdout);
	free(text);
	return 0;
}

int
cmd_rewrite(struct ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "create", no_argument, NULL, 'C' },
		{ "sender", required_argument, NULL, 'f' },
		COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = verb_find("rewrite");
	struct rewrite_job j = { .create = false };
	enum plan_status st = PLAN_NOT_OWNER;
	struct plan p;
	int opt, rc;

	memset(&p, 0, sizeof(p));
	header_changes_init(&p.changes);
	message_head_init(&j.head);
	while ((opt = getopt_long(argc, argv, COMMON_SHORT, options, NULL)) !=
	    -1) {
		if (opt == 'C')
			j.create = true;
		else if (opt == 'f') {
			if ((rc = set_sender(&j, optarg)) != 0)
				goto done;
		} else if ((rc = common_option(c, v, opt)) != -1)
			goto done;
	}
	if ((rc = read_message(&j)) != 0 ||
	    (rc = recipients(&j, argv + optind, argc - optind)) != 0 ||
	    (rc = ctx_open_store(c, false)) != 0 ||
	    (rc = make_plan(c, &j, &p, &st)) != 0)
		goto done;
	if (st == PLAN_OK &&
	    header_list_apply(&j.head.headers, &p.changes) == -1) {
		rc = fail(EX_OSERR, "out of memory");
		goto done;
	}
	rc = print(c, &j, &p, st);
done:
	plan_free(&p);
	header_recipients_free(j.rcpts);
	message_head_free(&j.head);
	return rc;
}
