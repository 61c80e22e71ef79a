/* message.c: connection and message contexts. */
#include <stdlib.h>
#include <string.h>

#include "aliasd/message.h"

struct conn *
conn_new(void)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	header_list_init(&c->msg.headers);
	msg_reset(&c->msg);
	return c;
}

void
msg_reset(struct msg *m)
{
	for (size_t i = 0; i < m->nrcpts; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	for (size_t i = 0; i < m->ndiscards; i++)
		free(m->discards[i]);
	free(m->discards);
	free(m->counts);
	free(m->xaliasd);
	header_list_free(&m->headers);
	memset(m, 0, sizeof(*m));
	header_list_init(&m->headers);
	strcpy(m->qid, "NOQUEUE");
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	msg_reset(&c->msg);
	snapshot_put(c->snap);
	free(c);
}

/* Append a copy of s to a growing list of strings. */
static int
list_add(char ***list, size_t *n, size_t *cap, const char *s)
{
	char **grown, *copy;

	if (*n == *cap) {
		size_t grow = *cap == 0 ? 8 : *cap * 2;

		if ((grown = reallocarray(*list, grow, sizeof(*grown))) ==
		    NULL)
			return -1;
		*list = grown;
		*cap = grow;
	}
	if ((copy = strdup(s)) == NULL)
		return -1;
	(*list)[(*n)++] = copy;
	return 0;
}

int
msg_add_rcpt(struct msg *m, const char *rcpt)
{
	return list_add(&m->rcpts, &m->nrcpts, &m->rcptcap, rcpt);
}

int
msg_add_discard(struct msg *m, const char *rcpt)
{
	if (m->ndiscards == MSG_MAX_DISCARDS)
		return -1;
	return list_add(&m->discards, &m->ndiscards, &m->discardcap, rcpt);
}
