/*
 * message_io.c: alias-sendmail's reading and writing.  Memory use is the
 * header block plus one fixed buffer, whatever the size of the body.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rewriter/message_io.h"

#define CHUNK (64 * 1024)

void
message_head_init(struct message_head *m)
{
	memset(m, 0, sizeof(*m));
	header_list_init(&m->headers);
	m->eol = "\n";
}

void
message_head_free(struct message_head *m)
{
	free(m->buf);
	header_list_free(&m->headers);
	m->buf = NULL;
}

/* Is there a blank line (end of the header block) in buf[from..len)? */
static bool
has_blank_line(const struct message_head *m, size_t from)
{
	for (size_t i = from; i < m->len; i++) {
		if (m->buf[i] != '\n')
			continue;
		if (i + 1 < m->len && m->buf[i + 1] == '\n')
			return true;
		if (i + 2 < m->len && m->buf[i + 1] == '\r' &&
		    m->buf[i + 2] == '\n')
			return true;
	}
	return false;
}

static ssize_t
read_more(struct message_head *m, int fd)
{
	ssize_t n;

	if (m->cap - m->len < CHUNK) {
		char *grown = realloc(m->buf, m->cap + CHUNK);

		if (grown == NULL)
			return -1;
		m->buf = grown;
		m->cap += CHUNK;
	}
	do
		n = read(fd, m->buf + m->len, m->cap - m->len);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		m->len += (size_t)n;
	return n;
}

/* An mbox separator line ("From me@x Sat Nov 21 ...") is no header. */
static void
skip_mbox_line(struct message_head *m)
{
	const char *nl;

	if (m->len < 5 || memcmp(m->buf, "From ", 5) != 0)
		return;
	if ((nl = memchr(m->buf, '\n', m->len)) != NULL)
		m->prefix = (size_t)(nl - m->buf) + 1;
}

int
message_read_head(struct message_head *m, int fd, char *err, size_t errlen)
{
	size_t scanned = 0, used = 0;
	ssize_t n;

	for (;;) {
		if (has_blank_line(m, scanned > 0 ? scanned - 1 : 0))
			break;
		scanned = m->len;
		if (m->len > MESSAGE_HEAD_MAX) {
			snprintf(err, errlen,
			    "header block larger than %d "
			    "bytes",
			    MESSAGE_HEAD_MAX);
			return -1;
		}
		if ((n = read_more(m, fd)) == 0)
			break;
		if (n == -1) {
			snprintf(err, errlen, "cannot read the message: %s",
			    strerror(errno));
			return -1;
		}
	}
	skip_mbox_line(m);
	if (header_list_parse(&m->headers, m->buf + m->prefix,
		m->len - m->prefix, &used) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	m->used = m->prefix + used;
	/* The line end of the first field tells the block's style. */
	{
		const char *nl = memchr(m->buf + m->prefix, '\n',
		    m->len - m->prefix);

		if (nl != NULL && nl > m->buf + m->prefix && nl[-1] == '\r')
			m->eol = "\r\n";
	}
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
write_headers(const struct message_head *m, int out)
{
	char *block = NULL;
	size_t len = 0;
	FILE *fp;
	int rc;

	if ((fp = open_memstream(&block, &len)) == NULL)
		return -1;
	rc = header_list_write(&m->headers, fp, m->eol);
	if (fclose(fp) == EOF || rc == -1) {
		free(block);
		return -1;
	}
	rc = write_all(out, block, len);
	free(block);
	return rc;
}

int
message_write(const struct message_head *m, int in, int out)
{
	char buf[CHUNK];
	ssize_t n;

	if (write_all(out, m->buf, m->prefix) == -1 ||
	    write_headers(m, out) == -1 ||
	    write_all(out, m->buf + m->used, m->len - m->used) == -1)
		return -1;
	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? 0 : -1;
		if (write_all(out, buf, (size_t)n) == -1)
			return -1;
	}
}
