/*
 * milterbench: RCPT decisions per second and their latency through the
 * milter protocol, for make bench.  Speaks the MTA side of the protocol
 * (libmilter's mfdef.h), one thread per connection:
 *
 *   OPTNEG, CONNECT once per connection; then per message MAIL, RCPT x k
 *   (each with its macros, the way Postfix sends them), ABORT.
 *
 * Each line of the address file is "a ADDRESS" (expect continue),
 * "r ADDRESS" (expect a 5xx) or "l ADDRESS" (locked to its
 * correspondent's organisation: continue from an expected sender, a 5xx
 * from a stranger); a reply of the wrong kind is counted as a mismatch,
 * a tempfail as such: a milter that answers 451 to everything must not
 * look fast.
 *
 * The envelope sender is sender@sender.example, unless -u PERCENT: then
 * that share of the messages, drawn at random, come from
 * x@stranger.example and the others from x@example.org, the
 * organisation of the bench stores' correspondents (cN@example.org):
 * expected senders, and strangers whose mail is a leak sighting.
 *
 * usage: milterbench -s SOCKET -f FILE [-c CONNS] [-t SECONDS]
 *            [-w WARMUP] [-k RCPTS] [-u PERCENT]
 * SOCKET is unix:/path or inet:PORT@HOST.  Prints one line of key=value.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#define MAX_CONNS 64
#define PKT_MAX 65536

enum expect {
	EXPECT_ACCEPT, /* a */
	EXPECT_REFUSE, /* r */
	EXPECT_LOCKED, /* l: accepted from an expected sender */
};

struct target {
	char *addr;
	enum expect expect;
};

struct worker {
	pthread_t tid;
	int id;
	uint64_t *lat; /* ns, samples after the warm-up */
	size_t nlat, cap;
	unsigned long mismatches, tempfails;
	unsigned long messages, strangers;
	int failed; /* 0, or an exit code */
	char error[256];
};

static const char *sockspec;
static struct target *targets;
static size_t ntargets;
static int rcpts_per_msg = 4;
static int unexpected_pct = -1; /* -u; -1: the one fixed sender */
static double start_at, warm_until, stop_at;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dial(char *err, size_t errlen)
{
	int fd;

	if (strncmp(sockspec, "unix:", 5) == 0 ||
	    strncmp(sockspec, "local:", 6) == 0) {
		struct sockaddr_un sun;
		const char *path = strchr(sockspec, ':') + 1;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(path) >= sizeof(sun.sun_path)) {
			snprintf(err, errlen, "socket path too long");
			return -1;
		}
		strcpy(sun.sun_path, path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			goto fail;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
			close(fd);
			goto fail;
		}
		return fd;
	}
	if (strncmp(sockspec, "inet:", 5) == 0) {
		struct sockaddr_in sin;
		const char *at = strchr(sockspec, '@');
		int one = 1;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)atoi(sockspec + 5));
		if (at == NULL ||
		    inet_pton(AF_INET, at + 1, &sin.sin_addr) != 1) {
			snprintf(err, errlen, "bad socket %s", sockspec);
			return -1;
		}
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			goto fail;
		/* The client's own writes must not wait: measure the milter. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
			close(fd);
			goto fail;
		}
		return fd;
	}
	snprintf(err, errlen, "bad socket %s: unix:/path or inet:PORT@HOST",
	    sockspec);
	return -1;
fail:
	snprintf(err, errlen, "%s: %s", sockspec, strerror(errno));
	return -1;
}

/* A packet under construction: 4-byte length, command, data. */
struct pkt {
	char buf[PKT_MAX];
	size_t len; /* all packets so far */
	size_t start; /* of the current one */
};

static void
pkt_begin(struct pkt *p, char cmd)
{
	p->start = p->len;
	p->len += 4;
	p->buf[p->len++] = cmd;
}

static void
pkt_add(struct pkt *p, const void *data, size_t n)
{
	if (p->len + n > sizeof(p->buf))
		abort(); /* our own packets are small */
	memcpy(p->buf + p->len, data, n);
	p->len += n;
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

static void
pkt_end(struct pkt *p)
{
	uint32_t n = htonl((uint32_t)(p->len - p->start - 4));

	memcpy(p->buf + p->start, &n, 4);
}

static int
send_all(int fd, struct pkt *p)
{
	size_t off = 0;

	while (off < p->len) {
		ssize_t w = write(fd, p->buf + off, p->len - off);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	p->len = 0;
	return 0;
}

static int
read_all(int fd, void *buf, size_t n)
{
	char *b = buf;

	while (n > 0) {
		ssize_t r = read(fd, b, n);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One reply packet; its command in *cmd, its data in buf.  'p'
 * (progress) packets are skipped. */
static int
read_reply(int fd, char *cmd, char *buf, size_t buflen, size_t *len)
{
	uint32_t n;

	for (;;) {
		if (read_all(fd, &n, 4) == -1)
			return -1;
		n = ntohl(n);
		if (n == 0 || n - 1 >= buflen)
			return -1;
		if (read_all(fd, cmd, 1) == -1 ||
		    read_all(fd, buf, n - 1) == -1)
			return -1;
		buf[n - 1] = '\0';
		*len = n - 1;
		if (*cmd != SMFIR_PROGRESS)
			return 0;
	}
}

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static int
fail_w(struct worker *w, const char *what)
{
	snprintf(w->error, sizeof(w->error), "connection %d: %s", w->id, what);
	w->failed = EX_PROTOCOL;
	return -1;
}

/* OPTNEG and CONNECT; the negotiated protocol flags in *proto. */
static int
open_session(struct worker *w, int fd, uint32_t *proto)
{
	struct pkt p = { .len = 0 };
	char buf[PKT_MAX], cmd, host[64], ip[32];
	size_t len;
	uint32_t v[3];

	pkt_begin(&p, SMFIC_OPTNEG);
	pkt_u32(&p, SMFI_PROT_VERSION);
	pkt_u32(&p, SMFI_CURR_ACTS);
	/* What Postfix offers: every step may be skipped, no reply asked. */
	pkt_u32(&p, SMFI_CURR_PROT);
	pkt_end(&p);
	if (send_all(fd, &p) == -1 ||
	    read_reply(fd, &cmd, buf, sizeof(buf), &len) == -1 ||
	    cmd != SMFIC_OPTNEG || len < 12)
		return fail_w(w, "option negotiation failed");
	memcpy(v, buf, 12);
	*proto = ntohl(v[2]);
	/* An outsider, from a documentation network (never trusted). */
	snprintf(ip, sizeof(ip), "192.0.2.%d", 1 + w->id % 250);
	snprintf(host, sizeof(host), "client%d.example.net", w->id);
	pkt_begin(&p, SMFIC_MACRO);
	pkt_add(&p, "C", 1);
	pkt_str(&p, "{client_addr}");
	pkt_str(&p, ip);
	pkt_str(&p, "{daemon_name}");
	pkt_str(&p, "mx");
	pkt_end(&p);
	if (!(*proto & SMFIP_NOCONNECT)) {
		pkt_begin(&p, SMFIC_CONNECT);
		pkt_str(&p, host);
		pkt_add(&p, "4", 1);
		{
			uint16_t port = htons(25000);

			pkt_add(&p, &port, 2);
		}
		pkt_str(&p, ip);
		pkt_end(&p);
	}
	if (send_all(fd, &p) == -1)
		return fail_w(w, "cannot send CONNECT");
	if (!(*proto & (SMFIP_NOCONNECT | SMFIP_NR_CONN)) &&
	    (read_reply(fd, &cmd, buf, sizeof(buf), &len) == -1 ||
		cmd != SMFIR_CONTINUE))
		return fail_w(w, "CONNECT not continued");
	return 0;
}

static int
record(struct worker *w, uint64_t ns)
{
	if (w->nlat == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 65536;
		uint64_t *l = realloc(w->lat, cap * sizeof(*l));

		if (l == NULL)
			return -1;
		w->lat = l;
		w->cap = cap;
	}
	w->lat[w->nlat++] = ns;
	return 0;
}

/* One message: MAIL, k RCPTs timed one by one, ABORT. */
static int
one_message(struct worker *w, int fd, uint32_t proto, uint64_t *seed,
    unsigned long msgno)
{
	struct pkt p = { .len = 0 };
	char buf[PKT_MAX], cmd, qid[32], arg[512];
	const char *sender = "sender@sender.example";
	bool expected = false;
	size_t len;

	if (unexpected_pct >= 0) {
		expected = rng_next(seed) % 100 >= (uint64_t)unexpected_pct;
		sender = expected ? "x@example.org" : "x@stranger.example";
		if (!expected)
			w->strangers++;
	}
	w->messages++;
	snprintf(qid, sizeof(qid), "B%02X%08lX", w->id, msgno);
	pkt_begin(&p, SMFIC_MACRO);
	pkt_add(&p, "M", 1);
	pkt_str(&p, "i");
	pkt_str(&p, qid);
	pkt_str(&p, "{mail_addr}");
	pkt_str(&p, sender);
	pkt_end(&p);
	if (!(proto & SMFIP_NOMAIL)) {
		snprintf(arg, sizeof(arg), "<%s>", sender);
		pkt_begin(&p, SMFIC_MAIL);
		pkt_str(&p, arg);
		pkt_end(&p);
	}
	if (send_all(fd, &p) == -1)
		return fail_w(w, "cannot send MAIL");
	if (!(proto & (SMFIP_NOMAIL | SMFIP_NR_MAIL)) &&
	    (read_reply(fd, &cmd, buf, sizeof(buf), &len) == -1 ||
		cmd != SMFIR_CONTINUE))
		return fail_w(w, "MAIL not continued");
	for (int i = 0; i < rcpts_per_msg; i++) {
		const struct target *t = &targets[rng_next(seed) % ntargets];
		double t0, t1;
		bool refused, accept;

		snprintf(arg, sizeof(arg), "<%s>", t->addr);
		pkt_begin(&p, SMFIC_MACRO);
		pkt_add(&p, "R", 1);
		pkt_str(&p, "i");
		pkt_str(&p, qid);
		pkt_str(&p, "{rcpt_addr}");
		pkt_str(&p, t->addr);
		pkt_end(&p);
		pkt_begin(&p, SMFIC_RCPT);
		pkt_str(&p, arg);
		pkt_end(&p);
		t0 = now();
		if (send_all(fd, &p) == -1 ||
		    read_reply(fd, &cmd, buf, sizeof(buf), &len) == -1)
			return fail_w(w, "no reply to RCPT");
		t1 = now();
		if (cmd == SMFIR_TEMPFAIL ||
		    (cmd == SMFIR_REPLYCODE && buf[0] == '4')) {
			w->tempfails++;
			continue;
		}
		refused = cmd == SMFIR_REJECT ||
		    (cmd == SMFIR_REPLYCODE && buf[0] == '5');
		if (cmd != SMFIR_CONTINUE && !refused)
			return fail_w(w, "unexpected reply to RCPT");
		accept = t->expect == EXPECT_ACCEPT ||
		    (t->expect == EXPECT_LOCKED && expected);
		if (refused == accept)
			w->mismatches++;
		if (t0 >= warm_until && t1 <= stop_at &&
		    record(w, (uint64_t)((t1 - t0) * 1e9)) == -1)
			return fail_w(w, "out of memory");
	}
	pkt_begin(&p, SMFIC_ABORT);
	pkt_end(&p);
	if (send_all(fd, &p) == -1)
		return fail_w(w, "cannot send ABORT");
	return 0;
}

static void *
run_worker(void *arg)
{
	struct worker *w = arg;
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(w->id + 1);
	uint32_t proto;
	unsigned long msgno = 0;
	int fd;

	if ((fd = dial(w->error, sizeof(w->error))) == -1) {
		w->failed = EX_UNAVAILABLE;
		return NULL;
	}
	if (open_session(w, fd, &proto) == 0)
		while (now() < stop_at &&
		    one_message(w, fd, proto, &seed, ++msgno) == 0)
			;
	close(fd);
	return NULL;
}

static int
load_targets(const char *path)
{
	char line[1024];
	size_t cap = 0;
	struct target *grown;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "milterbench: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((line[0] != 'a' && line[0] != 'r' && line[0] != 'l') ||
		    line[1] != ' ')
			continue;
		if (ntargets == cap) {
			cap = cap ? 2 * cap : 1024;
			if ((grown = realloc(targets,
				 cap * sizeof(*targets))) == NULL) {
				fclose(fp);
				return -1;
			}
			targets = grown;
		}
		if (line[0] == 'a')
			targets[ntargets].expect = EXPECT_ACCEPT;
		else if (line[0] == 'r')
			targets[ntargets].expect = EXPECT_REFUSE;
		else
			targets[ntargets].expect = EXPECT_LOCKED;
		if ((targets[ntargets++].addr = strdup(line + 2)) == NULL) {
			fclose(fp);
			return -1;
		}
	}
	fclose(fp);
	if (ntargets == 0) {
		fprintf(stderr, "milterbench: no addresses in %s\n", path);
		return -1;
	}
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const uint64_t *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return (double)v[i] / 1e3; /* microseconds */
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: milterbench -s socket -f file [-c conns] "
	    "[-t seconds] [-w warmup] [-k rcpts] [-u percent]\n");
	exit(EX_USAGE);
}

int
main(int argc, char **argv)
{
	static struct worker w[MAX_CONNS];
	const char *file = NULL;
	double seconds = 5, warmup = 1;
	unsigned long mism = 0, temp = 0, msgs = 0, strangers = 0;
	int conns = 8, ch, rc = 0;
	uint64_t *all;
	size_t n = 0;

	while ((ch = getopt(argc, argv, "c:f:k:s:t:u:w:")) != -1) {
		switch (ch) {
		case 'c':
			conns = atoi(optarg);
			break;
		case 'f':
			file = optarg;
			break;
		case 'k':
			rcpts_per_msg = atoi(optarg);
			break;
		case 's':
			sockspec = optarg;
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 'u':
			unexpected_pct = atoi(optarg);
			if (unexpected_pct < 0 || unexpected_pct > 100)
				usage();
			break;
		case 'w':
			warmup = atof(optarg);
			break;
		default:
			usage();
		}
	}
	if (sockspec == NULL || file == NULL || conns < 1 ||
	    conns > MAX_CONNS || rcpts_per_msg < 1 || seconds <= 0 ||
	    optind != argc)
		usage();
	if (load_targets(file) == -1)
		return EX_NOINPUT;
	start_at = now();
	warm_until = start_at + warmup;
	stop_at = warm_until + seconds;
	for (int i = 0; i < conns; i++) {
		w[i].id = i;
		if (pthread_create(&w[i].tid, NULL, run_worker, &w[i]) != 0) {
			fprintf(stderr,
			    "milterbench: cannot start a thread\n");
			return EX_OSERR;
		}
	}
	for (int i = 0; i < conns; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].failed) {
			fprintf(stderr, "milterbench: %s\n", w[i].error);
			rc = w[i].failed;
		}
		n += w[i].nlat;
		mism += w[i].mismatches;
		temp += w[i].tempfails;
		msgs += w[i].messages;
		strangers += w[i].strangers;
	}
	if (rc != 0)
		return rc;
	if (n == 0 || (all = malloc(n * sizeof(*all))) == NULL) {
		fprintf(stderr,
		    "milterbench: no decision measured (%lu "
		    "tempfails, %lu mismatches)\n",
		    temp, mism);
		return EX_SOFTWARE;
	}
	n = 0;
	for (int i = 0; i < conns; i++) {
		memcpy(all + n, w[i].lat, w[i].nlat * sizeof(*all));
		n += w[i].nlat;
		free(w[i].lat);
	}
	qsort(all, n, sizeof(*all), cmp_u64);
	printf("decisions=%zu seconds=%.2f rate=%.0f p50_us=%.1f p90_us=%.1f "
	       "p99_us=%.1f p999_us=%.1f max_us=%.1f mismatches=%lu "
	       "tempfails=%lu",
	    n, seconds, (double)n / seconds, pct(all, n, 0.50),
	    pct(all, n, 0.90), pct(all, n, 0.99), pct(all, n, 0.999),
	    (double)all[n - 1] / 1e3, mism, temp);
	/* The share drawn, warm-up included: what -u asked for, checked. */
	if (unexpected_pct >= 0)
		printf(" unexpected_pct=%.1f",
		    msgs > 0 ? 100.0 * (double)strangers / (double)msgs : 0.0);
	printf("\n");
	free(all);
	return mism > 0 || temp > 0 ? EX_SOFTWARE : 0;
}
