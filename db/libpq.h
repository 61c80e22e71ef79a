/*
 * libpq.h: the libpq functions the PostgreSQL driver calls, loaded the
 * first time a PostgreSQL store is opened.
 *
 * libpq brings a dozen libraries with it (TLS, Kerberos, LDAP, SASL):
 * linked in, they cost every start of aliasctl and alias-sendmail about
 * 4 ms, store or no store.  Loaded with dlopen(3), only a PostgreSQL
 * store pays, once per process.
 */
#ifndef ALIASD_LIBPQ_H
#define ALIASD_LIBPQ_H

#include <stddef.h>

#include <libpq-fe.h>

/* The library's soname, as Debian's libpq5 installs it. */
#define LIBPQ_SONAME "libpq.so.5"

struct libpq {
	__typeof__(PQclear) *PQclear;
	__typeof__(PQcmdTuples) *PQcmdTuples;
	__typeof__(PQconnectdbParams) *PQconnectdbParams;
	__typeof__(PQerrorMessage) *PQerrorMessage;
	__typeof__(PQexec) *PQexec;
	__typeof__(PQexecParams) *PQexecParams;
	__typeof__(PQexecPrepared) *PQexecPrepared;
	__typeof__(PQfinish) *PQfinish;
	__typeof__(PQgetisnull) *PQgetisnull;
	__typeof__(PQgetvalue) *PQgetvalue;
	__typeof__(PQntuples) *PQntuples;
	__typeof__(PQprepare) *PQprepare;
	__typeof__(PQreset) *PQreset;
	__typeof__(PQresultErrorField) *PQresultErrorField;
	__typeof__(PQresultStatus) *PQresultStatus;
	__typeof__(PQsetNoticeProcessor) *PQsetNoticeProcessor;
	__typeof__(PQstatus) *PQstatus;
	__typeof__(PQtransactionStatus) *PQtransactionStatus;
};

/* The functions, loaded once (any thread, any number of times); NULL
 * and one line in err when the library or one of them is not there. */
const struct libpq *libpq_load(char *err, size_t errlen);

#endif
