/*
 * fuzz_config.c: libFuzzer harness for the configuration parser
 * (config_load).  The input is the file's content, handed over as a
 * memfd named through /proc/self/fd so that no file is written.
 *
 * Invariants: config_load never crashes; on failure it returns NULL with
 * one terminated error line; on success every list is within its bounds,
 * domains and passthrough names are lowercase, and the snapshot's
 * queries can be asked.
 */
#include <sys/mman.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
has_capital(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			return 1;
	return 0;
}

static void
check(const struct config *c)
{
	static const uint8_t v4[4] = { 127, 0, 0, 1 };
	static const uint8_t v6[16] = { [15] = 1 };
	size_t i;

	if (c->ndomains > CONFIG_MAX_LIST ||
	    c->npassthrough > CONFIG_MAX_LIST || c->ntrusted > CONFIG_MAX_LIST)
		abort();
	for (i = 0; i < c->ndomains; i++)
		if (has_capital(c->domains[i]))
			abort();
	for (i = 0; i < c->npassthrough; i++)
		if (has_capital(c->passthrough[i]))
			abort();
	(void)config_is_managed_domain(c, "Example.COM");
	(void)config_is_passthrough(c, "PostMaster");
	(void)config_is_trusted(c, AF_INET, v4);
	(void)config_is_trusted(c, AF_INET6, v6);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c;
	char path[64], err[512];
	int fd;

	if ((fd = memfd_create("fuzz-config", MFD_CLOEXEC)) == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	memset(err, 'X', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	err[0] = '\0';
	if ((c = config_load(path, true, err, sizeof(err))) != NULL) {
		check(c);
		config_free(c);
	} else if (err[0] == '\0')
		abort(); /* a failure always says why */
	close(fd);
	return 0;
}
