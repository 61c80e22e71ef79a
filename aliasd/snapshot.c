/*
 * snapshot.c: reference-counted configuration snapshots.  Every touch of
 * a reference count happens under one mutex.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "aliasd/snapshot.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *current;

static void
snapshot_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	template_free(s->template);
	config_free(s->config);
	free(s);
}

struct snapshot *
snapshot_load(const char *path, char *err, size_t errlen)
{
	struct snapshot *s;
	char why[256];

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((s->config = config_load(path, true, err, errlen)) == NULL)
		goto fail;
	if (s->config->ndomains == 0) {
		snprintf(err, errlen,
		    "%s: no domain: set domain = "
		    "example.com",
		    path);
		goto fail;
	}
	s->template = template_parse(s->config->template, why, sizeof(why));
	if (s->template == NULL) {
		snprintf(err, errlen, "%s: template: %s", path, why);
		goto fail;
	}
	s->refs = 1;
	return s;
fail:
	snapshot_free(s);
	return NULL;
}

void
snapshot_install(struct snapshot *s)
{
	struct snapshot *old;

	pthread_mutex_lock(&lock);
	old = current;
	current = s;
	if (old != NULL && --old->refs > 0)
		old = NULL;
	pthread_mutex_unlock(&lock);
	snapshot_free(old);
}

struct snapshot *
snapshot_get(void)
{
	struct snapshot *s;

	pthread_mutex_lock(&lock);
	s = current;
	if (s != NULL)
		s->refs++;
	pthread_mutex_unlock(&lock);
	return s;
}

void
snapshot_put(struct snapshot *s)
{
	bool last;

	if (s == NULL)
		return;
	pthread_mutex_lock(&lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&lock);
	if (last)
		snapshot_free(s);
}
