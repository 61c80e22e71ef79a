/*
 * libpq.c: loading libpq when a PostgreSQL store is first opened
 * (libpq.h says why).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "db/libpq.h"

static struct libpq functions;
static const struct libpq *loaded;
static char load_error[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* dlsym hands back a data pointer; POSIX says it converts. */
#define FIND(name) \
	do { \
		void *sym = dlsym(lib, #name); \
		if (sym == NULL) { \
			snprintf(load_error, sizeof(load_error), \
			    "%s has no %s: too old a libpq", LIBPQ_SONAME, \
			    #name); \
			return; \
		} \
		*(void **)(&functions.name) = sym; \
	} while (0)

static void
load(void)
{
	void *lib;
	const char *why;

	/* Never closed: the process may hold connections to its end. */
	if ((lib = dlopen(LIBPQ_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(load_error, sizeof(load_error),
		    "a PostgreSQL store needs libpq (Debian package libpq5): "
		    "%s",
		    why != NULL ? why : "cannot load " LIBPQ_SONAME);
		return;
	}
	FIND(PQclear);
	FIND(PQcmdTuples);
	FIND(PQconnectdbParams);
	FIND(PQerrorMessage);
	FIND(PQexec);
	FIND(PQexecParams);
	FIND(PQexecPrepared);
	FIND(PQfinish);
	FIND(PQgetisnull);
	FIND(PQgetvalue);
	FIND(PQntuples);
	FIND(PQprepare);
	FIND(PQreset);
	FIND(PQresultErrorField);
	FIND(PQresultStatus);
	FIND(PQsetNoticeProcessor);
	FIND(PQstatus);
	FIND(PQtransactionStatus);
	loaded = &functions;
}

const struct libpq *
libpq_load(char *err, size_t errlen)
{
	pthread_once(&once, load);
	if (loaded == NULL)
		snprintf(err, errlen, "%s", load_error);
	return loaded;
}
