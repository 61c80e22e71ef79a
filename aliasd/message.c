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
	free(m->counts);
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

int
msg_add_rcpt(struct msg *m, const char *rcpt)
{
	char **grown, *copy;

	if (m->nrcpts == m->rcptcap) {
		size_t cap = m->rcptcap == 0 ? 8 : m->rcptcap * 2;

		if ((grown = realloc(m->rcpts, cap * sizeof(*grown))) == NULL)
			return -1;
		m->rcpts = grown;
		m->rcptcap = cap;
	}
	if ((copy = strdup(rcpt)) == NULL)
		return -1;
	m->rcpts[m->nrcpts++] = copy;
	return 0;
}
