/*
 * fuzz_virtusertable.c: libFuzzer harness for what aliasctl import reads
 * from a sendmail virtusertable source (vt_parse_line, line by line) and
 * for correspondents as users type them (address_parse_correspondent).
 *
 * Invariant, a round trip: every address line that parses is written back
 * with map_write() in the virtusertable format and read again, and must
 * give the same entry (address, refused or not, reason).  That is what an
 * export of the store followed by an import does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/maps.h"
#include "common/address.h"

#define OWNER "me@example.net"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
roundtrip(const char *line, const struct vt_entry *e)
{
	struct store_address a;
	struct vt_entry back;
	char *buf = NULL;
	size_t len = 0;
	const char *why;
	FILE *fp;

	memset(&a, 0, sizeof(a));
	snprintf(a.address, sizeof(a.address), "%s", e->address);
	a.state = e->refused ? STATE_RETIRED : STATE_ACTIVE;
	snprintf(a.reason, sizeof(a.reason), "%s", e->reason);
	if ((fp = open_memstream(&buf, &len)) == NULL)
		return;
	map_write(fp, MAP_VIRTUSERTABLE, &a, OWNER);
	if (fclose(fp) != 0 || buf == NULL)
		goto done;
	if (len == 0 || buf[len - 1] != '\n')
		abort();
	buf[len - 1] = '\0';
	if ((why = vt_parse_line(buf, &back)) != NULL) {
		fprintf(stderr, "line \"%s\" written as \"%s\": %s\n", line,
		    buf, why);
		abort();
	}
	if (back.kind != e->kind || strcmp(back.address, e->address) != 0 ||
	    back.refused != e->refused ||
	    strcmp(back.reason, e->reason) != 0) {
		fprintf(stderr,
		    "line \"%s\" written as \"%s\" reads back "
		    "differently\n",
		    line, buf);
		abort();
	}
done:
	free(buf);
}

/* The reason read is the end of the line, not part of it. */
static void
reason_whole(const char *line, const struct vt_entry *e)
{
	size_t n, r;

	if (!e->refused || strcmp(e->reason, DEFAULT_REASON) == 0)
		return;
	n = strcspn(line, "\r\n");
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	r = strlen(e->reason);
	if (r > n || memcmp(line + n - r, e->reason, r) != 0) {
		fprintf(stderr, "line \"%s\" read with reason \"%s\"\n", line,
		    e->reason);
		abort();
	}
}

static void
one_line(const char *line)
{
	char out[ADDRESS_MAX], small[16];
	struct vt_entry e;

	if (vt_parse_line(line, &e) == NULL && e.kind != VT_SKIP) {
		if (memchr(e.address, '\0', sizeof(e.address)) == NULL ||
		    memchr(e.reason, '\0', sizeof(e.reason)) == NULL)
			abort();
		reason_whole(line, &e);
		roundtrip(line, &e);
	}
	(void)address_parse_correspondent(line, out, sizeof(out));
	(void)address_parse_correspondent(line, small, sizeof(small));
	(void)address_parse_mailbox(line, out, sizeof(out));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *line, *nl;

	/* as fgets would hand the lines over: NUL ends the text */
	if ((text = strndup((const char *)data, size)) == NULL)
		return 0;
	for (line = text; line != NULL; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		one_line(line);
	}
	free(text);
	return 0;
}
