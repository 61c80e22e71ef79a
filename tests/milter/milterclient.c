/*
 * milterclient: the MTA side of the milter protocol (libmilter's
 * mfdef.h), one session read from standard input, for the tests of
 * tests/milter.  No MTA needed: every decision aliasd takes can be
 * asked for directly and its answer compared, line by line.
 *
 * usage: milterclient SOCKET      (unix:/path or inet:PORT@HOST)
 *
 * Commands, one a line:
 *   macro STAGE NAME VALUE   sent with the next command of STAGE, the
 *                            command letter libmilter files macros under
 *                            (C connect, H helo, M mail, R rcpt, T data,
 *                            E end of message)
 *   connect HOSTNAME IP | helo NAME | mail <ADDR> | rcpt <ADDR>
 *   header Name: value | body TEXT | eom | abort | quit
 *
 * DATA and the end of the headers are sent by themselves before the
 * first header, body line or eom.  Steps the milter asked to skip are
 * not sent.  Output: one line per answer, the command then the action:
 *   rcpt replycode 550 5.1.1 <x@example.com>: Recipient address ...
 *   eom chgheader From 1 Me <a@example.com>
 *   eom chgfrom <bounce@example.com>
 *   eom accept
 * Every read and write is bounded (10 s); any failure prints one line
 * on stderr and exits non-zero.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#define PKT_MAX 65536
#define IO_SECONDS 10
#define MACROS_MAX 32

/* A packet under construction: 4-byte length, command, data. */
struct pkt {
	char buf[PKT_MAX];
	size_t len;
};

struct macro {
	char stage;
	char *name;
	char *value;
};

static int fd = -1;
static uint32_t proto; /* the steps the milter negotiated */
static struct macro macros[MACROS_MAX];
static size_t nmacros;
static bool in_data, headers_done;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "milterclient: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EX_PROTOCOL);
}

static int
dial(const char *spec)
{
	struct timeval tv = { .tv_sec = IO_SECONDS };
	int s;

	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(spec + 5) >= sizeof(sun.sun_path))
			die("socket path too long");
		strcpy(sun.sun_path, spec + 5);
		if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
			die("%s: %s", spec, strerror(errno));
	} else if (strncmp(spec, "inet:", 5) == 0) {
		struct sockaddr_in sin;
		const char *at = strchr(spec, '@');

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)atoi(spec + 5));
		if (at == NULL ||
		    inet_pton(AF_INET, at + 1, &sin.sin_addr) != 1)
			die("bad socket %s", spec);
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
			die("%s: %s", spec, strerror(errno));
	} else {
		die("bad socket %s: unix:/path or inet:PORT@HOST", spec);
	}
	/* No answer may keep a test waiting forever. */
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		die("setsockopt: %s", strerror(errno));
	return s;
}

static void
pkt_add(struct pkt *p, const void *data, size_t n)
{
	if (p->len + n > sizeof(p->buf))
		die("packet too long");
	memcpy(p->buf + p->len, data, n);
	p->len += n;
}

static void
pkt_begin(struct pkt *p, char cmd)
{
	p->len = 4;
	p->buf[p->len++] = cmd;
}

static void
pkt_str(struct pkt *p, const char *s)
{
	pkt_add(p, s, strlen(s) + 1);
}

static void
pkt_u32(struct pkt *p, uint32_t v)
{
	uint32_t n = htonl(v);

	pkt_add(p, &n, 4);
}

/* Fill in the length and send the packet. */
static void
pkt_send(struct pkt *p)
{
	uint32_t n = htonl((uint32_t)(p->len - 4));
	size_t off = 0;

	memcpy(p->buf, &n, 4);
	while (off < p->len) {
		ssize_t w = write(fd, p->buf + off, p->len - off);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write: %s",
			    w == 0 ? "nothing written" : strerror(errno));
		off += (size_t)w;
	}
}

static void
read_all(void *buf, size_t n)
{
	char *b = buf;

	while (n > 0) {
		ssize_t r = read(fd, b, n);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0)
			die("the milter closed the connection");
		if (r == -1)
			die("read: %s",
			    errno == EAGAIN ? "timed out" : strerror(errno));
		b += r;
		n -= (size_t)r;
	}
}

/* One reply packet, progress packets skipped; its data, NUL-ended, in
 * buf and its length in *len. */
static char
read_reply(char *buf, size_t buflen, size_t *len)
{
	uint32_t n;
	char cmd;

	for (;;) {
		read_all(&n, 4);
		n = ntohl(n);
		if (n == 0 || n - 1 >= buflen)
			die("reply of bad length %u", n);
		read_all(&cmd, 1);
		read_all(buf, n - 1);
		buf[n - 1] = '\0';
		*len = n - 1;
		if (cmd != SMFIR_PROGRESS)
			return cmd;
	}
}

/* The string at *off in buf (of len), moving *off past it. */
static const char *
next_str(const char *buf, size_t len, size_t *off)
{
	const char *s = buf + *off;
	size_t n;

	if (*off >= len)
		die("reply too short");
	n = strnlen(s, len - *off);
	*off += n + 1;
	return s;
}

static uint32_t
next_u32(const char *buf, size_t len, size_t *off)
{
	uint32_t v;

	if (*off + 4 > len)
		die("reply too short");
	memcpy(&v, buf + *off, 4);
	*off += 4;
	return ntohl(v);
}

/* Print the answers to WHAT until a final one (eom: modifications come
 * first). */
static void
answer(const char *what)
{
	static char buf[PKT_MAX];
	const char *name, *value;
	size_t len, off;
	uint32_t idx;

	for (;;) {
		off = 0;
		switch (read_reply(buf, sizeof(buf), &len)) {
		case SMFIR_CONTINUE:
			printf("%s continue\n", what);
			return;
		case SMFIR_ACCEPT:
			printf("%s accept\n", what);
			return;
		case SMFIR_REJECT:
			printf("%s reject\n", what);
			return;
		case SMFIR_TEMPFAIL:
			printf("%s tempfail\n", what);
			return;
		case SMFIR_DISCARD:
			printf("%s discard\n", what);
			return;
		case SMFIR_REPLYCODE:
			printf("%s replycode %s\n", what, buf);
			return;
		case SMFIR_QUARANTINE:
			printf("%s quarantine %s\n", what, buf);
			break;
		case SMFIR_CHGHEADER:
			idx = next_u32(buf, len, &off);
			name = next_str(buf, len, &off);
			value = next_str(buf, len, &off);
			printf("%s chgheader %s %u %s\n", what, name, idx,
			    value);
			break;
		case SMFIR_INSHEADER:
			idx = next_u32(buf, len, &off);
			name = next_str(buf, len, &off);
			value = next_str(buf, len, &off);
			printf("%s insheader %s %u %s\n", what, name, idx,
			    value);
			break;
		case SMFIR_ADDHEADER:
			name = next_str(buf, len, &off);
			value = next_str(buf, len, &off);
			printf("%s addheader %s %s\n", what, name, value);
			break;
		case SMFIR_CHGFROM:
			printf("%s chgfrom %s\n", what,
			    next_str(buf, len, &off));
			break;
		case SMFIR_ADDRCPT:
		case SMFIR_ADDRCPT_PAR:
			printf("%s addrcpt %s\n", what, buf);
			break;
		case SMFIR_DELRCPT:
			printf("%s delrcpt %s\n", what, buf);
			break;
		case SMFIR_REPLBODY:
			printf("%s replbody\n", what);
			break;
		default:
			die("%s: unknown reply", what);
		}
	}
}

/* Send the macros kept for STAGE, in one packet: libmilter keeps only
 * the last packet of a stage. */
static void
send_macros(char stage)
{
	struct pkt p;
	bool any = false;
	size_t i, j = 0;

	pkt_begin(&p, SMFIC_MACRO);
	pkt_add(&p, &stage, 1);
	for (i = 0; i < nmacros; i++) {
		if (macros[i].stage != stage) {
			macros[j++] = macros[i];
			continue;
		}
		pkt_str(&p, macros[i].name);
		pkt_str(&p, macros[i].value);
		free(macros[i].name);
		free(macros[i].value);
		any = true;
	}
	nmacros = j;
	if (any)
		pkt_send(&p);
}

/* Send command CMD with its packet P (begun with pkt_begin), unless the
 * milter skips the step (SKIP); read its answer unless it asked for
 * none (NOREPLY). */
static void
step(const char *what, struct pkt *p, uint32_t skip, uint32_t noreply)
{
	send_macros(p->buf[4]);
	if (proto & skip)
		return;
	pkt_send(p);
	if (!(proto & noreply))
		answer(what);
}

static void
simple(const char *what, char cmd, uint32_t skip, uint32_t noreply)
{
	struct pkt p;

	pkt_begin(&p, cmd);
	step(what, &p, skip, noreply);
}

static void
negotiate(void)
{
	struct pkt p;
	char buf[256];
	size_t len, off = 0;

	pkt_begin(&p, SMFIC_OPTNEG);
	pkt_u32(&p, SMFI_PROT_VERSION);
	pkt_u32(&p, SMFI_CURR_ACTS);
	/* What Postfix offers: every step may be skipped. */
	pkt_u32(&p, SMFI_CURR_PROT);
	pkt_send(&p);
	if (read_reply(buf, sizeof(buf), &len) != SMFIC_OPTNEG || len < 12)
		die("option negotiation failed");
	(void)next_u32(buf, len, &off);
	(void)next_u32(buf, len, &off);
	proto = next_u32(buf, len, &off);
}

/* DATA and the end of the headers, once, before the message itself. */
static void
start_data(void)
{
	if (!in_data) {
		simple("data", SMFIC_DATA, SMFIP_NODATA, SMFIP_NR_DATA);
		in_data = true;
	}
}

static void
end_headers(void)
{
	start_data();
	if (!headers_done) {
		simple("eoh", SMFIC_EOH, SMFIP_NOEOH, SMFIP_NR_EOH);
		headers_done = true;
	}
}

static void
run(char *cmd, char *arg, unsigned long lineno)
{
	struct pkt p;

	if (strcmp(cmd, "macro") == 0) {
		char *stage = strtok(arg, " "), *name = strtok(NULL, " ");
		char *value = strtok(NULL, "");

		if (nmacros == MACROS_MAX || stage == NULL ||
		    stage[1] != '\0' || name == NULL)
			die("line %lu: macro STAGE NAME VALUE", lineno);
		macros[nmacros].stage = stage[0];
		if ((macros[nmacros].name = strdup(name)) == NULL ||
		    (macros[nmacros].value = strdup(
			 value != NULL ? value : "")) == NULL)
			die("out of memory");
		nmacros++;
	} else if (strcmp(cmd, "connect") == 0) {
		char *host = strtok(arg, " "), *ip = strtok(NULL, " ");
		uint16_t port = htons(25000);

		if (host == NULL || ip == NULL)
			die("line %lu: connect HOSTNAME IP", lineno);
		pkt_begin(&p, SMFIC_CONNECT);
		pkt_str(&p, host);
		pkt_add(&p, strchr(ip, ':') != NULL ? "6" : "4", 1);
		pkt_add(&p, &port, 2);
		pkt_str(&p, ip);
		step("connect", &p, SMFIP_NOCONNECT, SMFIP_NR_CONN);
	} else if (strcmp(cmd, "helo") == 0) {
		pkt_begin(&p, SMFIC_HELO);
		pkt_str(&p, arg);
		step("helo", &p, SMFIP_NOHELO, SMFIP_NR_HELO);
	} else if (strcmp(cmd, "mail") == 0) {
		in_data = headers_done = false;
		pkt_begin(&p, SMFIC_MAIL);
		pkt_str(&p, arg);
		step("mail", &p, SMFIP_NOMAIL, SMFIP_NR_MAIL);
	} else if (strcmp(cmd, "rcpt") == 0) {
		pkt_begin(&p, SMFIC_RCPT);
		pkt_str(&p, arg);
		step("rcpt", &p, SMFIP_NORCPT, SMFIP_NR_RCPT);
	} else if (strcmp(cmd, "header") == 0) {
		char *colon = strchr(arg, ':');

		if (colon == NULL)
			die("line %lu: header Name: value", lineno);
		*colon++ = '\0';
		colon += strspn(colon, " ");
		start_data();
		pkt_begin(&p, SMFIC_HEADER);
		pkt_str(&p, arg);
		pkt_str(&p, colon);
		step("header", &p, SMFIP_NOHDRS, SMFIP_NR_HDR);
	} else if (strcmp(cmd, "body") == 0) {
		end_headers();
		pkt_begin(&p, SMFIC_BODY);
		pkt_add(&p, arg, strlen(arg));
		pkt_add(&p, "\r\n", 2);
		step("body", &p, SMFIP_NOBODY, SMFIP_NR_BODY);
	} else if (strcmp(cmd, "eom") == 0) {
		end_headers();
		simple("eom", SMFIC_BODYEOB, 0, 0);
		in_data = headers_done = false;
	} else if (strcmp(cmd, "abort") == 0) {
		pkt_begin(&p, SMFIC_ABORT);
		pkt_send(&p);
		in_data = headers_done = false;
	} else if (strcmp(cmd, "quit") == 0) {
		pkt_begin(&p, SMFIC_QUIT);
		pkt_send(&p);
		exit(0);
	} else {
		die("line %lu: unknown command \"%s\"", lineno, cmd);
	}
}

int
main(int argc, char **argv)
{
	char line[4096], *arg;
	unsigned long lineno = 0;
	struct pkt p;

	if (argc != 2) {
		fprintf(stderr,
		    "usage: milterclient unix:/path|inet:PORT@HOST "
		    "<session\n");
		return EX_USAGE;
	}
	fd = dial(argv[1]);
	negotiate();
	while (fgets(line, sizeof(line), stdin) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		arg = line + strcspn(line, " ");
		if (*arg != '\0')
			*arg++ = '\0';
		run(line, arg, lineno);
		fflush(stdout);
	}
	pkt_begin(&p, SMFIC_QUIT);
	pkt_send(&p);
	return 0;
}
