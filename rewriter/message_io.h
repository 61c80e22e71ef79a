/*
 * message_io.h: a message on a file descriptor as alias-sendmail sees it:
 * the header block read into memory and parsed, the rest streamed.
 */
#ifndef ALIASD_MESSAGE_IO_H
#define ALIASD_MESSAGE_IO_H

#include <stddef.h>

#include "rewriter/header.h"

#define MESSAGE_HEAD_MAX (1024 * 1024) /* a header block, at most */

struct message_head {
	char *buf; /* everything read so far */
	size_t len, cap;
	size_t prefix; /* an mbox "From " line, passed through */
	size_t used; /* end of the header fields in buf */
	struct header_list headers;
	const char *eol; /* the block's line end: "\n" or "\r\n" */
};

void message_head_init(struct message_head *);
void message_head_free(struct message_head *);

/* Read fd up to the end of the header block and parse it; 0, or -1 with
 * a reason (a block over MESSAGE_HEAD_MAX, a read error). */
int message_read_head(struct message_head *, int fd, char *err, size_t errlen);

/* Write the (rewritten) head, the rest of what was read, then copy in to
 * out until end of file through a fixed buffer.  0, or -1 (errno). */
int message_write(const struct message_head *, int in, int out);

#endif
