/*
 * spawntime: the wall time of a command, run N times, for make bench.
 *
 * A shell measures itself along with the command: bash forks a copy of
 * its own (large) address space for every command, which on a small
 * virtual machine costs milliseconds.  posix_spawn starts the command
 * the way a mail client or a script's exec does, so the figure is the
 * command's own: exec, dynamic linking, its work, its exit.
 *
 * usage: spawntime [-n RUNS] COMMAND [ARG...]
 * The word "{}" in an argument is replaced by the run's number, so that
 * each run can differ (aliasctl new bench{}@example.org).  Standard
 * output goes to /dev/null.  Prints "median_ms=M p90_ms=P min_ms=L";
 * exits 1 if any run fails.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define RUNS_MAX 10000
#define ARG_MAX_LEN 4096

extern char **environ;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* dst = src with each "{}" replaced by n. */
static int
expand(char *dst, size_t dstlen, const char *src, int n)
{
	size_t len = 0;
	int w;

	while (*src != '\0') {
		if (src[0] == '{' && src[1] == '}') {
			w = snprintf(dst + len, dstlen - len, "%d", n);
			src += 2;
		} else {
			w = snprintf(dst + len, dstlen - len, "%c", *src++);
		}
		if (w < 0 || (size_t)w >= dstlen - len)
			return -1;
		len += (size_t)w;
	}
	dst[len] = '\0';
	return 0;
}

static int
run_once(char **argv, int argc, int n, double *ms)
{
	static char buf[64][ARG_MAX_LEN];
	char *args[65];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	double t0;
	int rc, status;

	if (argc > 64) {
		fprintf(stderr, "spawntime: too many arguments\n");
		return -1;
	}
	for (int i = 0; i < argc; i++) {
		if (expand(buf[i], sizeof(buf[i]), argv[i], n) == -1) {
			fprintf(stderr, "spawntime: argument too long\n");
			return -1;
		}
		args[i] = buf[i];
	}
	args[argc] = NULL;
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0 ||
	    (rc = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO,
		 "/dev/null", O_WRONLY, 0)) != 0) {
		fprintf(stderr, "spawntime: %s\n", strerror(rc));
		return -1;
	}
	t0 = now_ms();
	rc = posix_spawnp(&pid, args[0], &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		fprintf(stderr, "spawntime: %s: %s\n", args[0], strerror(rc));
		return -1;
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			fprintf(stderr, "spawntime: waitpid: %s\n",
			    strerror(errno));
			return -1;
		}
	*ms = now_ms() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "spawntime: %s failed (status %d)\n", args[0],
		    status);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	double *ms;
	int runs = 30, ch;

	while ((ch = getopt(argc, argv, "+n:")) != -1) {
		switch (ch) {
		case 'n':
			runs = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || runs < 1 || runs > RUNS_MAX)
		goto usage;
	if ((ms = calloc((size_t)runs, sizeof(*ms))) == NULL) {
		fprintf(stderr, "spawntime: out of memory\n");
		return EX_OSERR;
	}
	for (int i = 0; i < runs; i++)
		if (run_once(argv, argc, i + 1, &ms[i]) == -1) {
			free(ms);
			return 1;
		}
	qsort(ms, (size_t)runs, sizeof(*ms), by_value);
	printf("median_ms=%.2f p90_ms=%.2f min_ms=%.2f\n",
	    runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2,
	    ms[(runs * 9) / 10], ms[0]);
	free(ms);
	return 0;
usage:
	fprintf(stderr, "usage: spawntime [-n RUNS] COMMAND [ARG...]\n");
	return EX_USAGE;
}
