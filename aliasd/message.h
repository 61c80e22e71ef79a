/*
 * message.h: the two levels of milter state, as in OpenDKIM.  A
 * connection context lives from negotiate/connect to close; the message
 * context inside it is reset by msg_reset() at MAIL FROM, end of message
 * and abort.
 */
#ifndef ALIASD_MESSAGE_H
#define ALIASD_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "aliasd/harvest.h"
#include "aliasd/snapshot.h"
#include "db/gate.h"
#include "db/store.h"
#include "rewriter/header.h"

#define MSG_MAX_COUNTS 100 /* accepted recipients counted per message */
#define MSG_MAX_DISCARDS 1000 /* recipients discarded per message */

struct msg {
	char qid[64]; /* {i}, or "NOQUEUE" */
	bool outbound;
	bool null_sender;
	char sender[ADDRESS_MAX]; /* envelope sender, normalized */
	/* MAIL FROM as given when it did not parse (sender is then ""):
	 * outbound, the plan still replaces it and the leak guard reads it */
	char raw_sender[ADDRESS_MAX];
	/* inbound: the accepted addresses, counted at end of message; grown
	 * as recipients come, for a message context of about 1 KB that is
	 * cleared four times a connection */
	struct store_count *counts;
	size_t ncounts, countcap;
	/* inbound: the X-Aliasd value of each counted address, in step
	 * with counts; the X-Aliasd headers the message came with */
	char (*xaliasd)[GATE_HEADER_MAX];
	size_t forged;
	/* inbound: recipients taken (ours and others'), those of them to
	 * drop (on-refuse discard: the RCPT argument as given), and
	 * whether to hold the message (on-refuse hold) and why */
	size_t taken;
	char **discards;
	size_t ndiscards, discardcap;
	bool hold;
	char hold_reason[REASON_MAX];
	/* outbound: envelope recipients and the header block */
	char **rcpts;
	size_t nrcpts, rcptcap;
	struct header_list headers;
	bool broken; /* out of memory: tempfail at the end */
};

struct conn {
	struct snapshot *snap; /* the configuration of this connection */
	bool trusted; /* client in trusted_networks */
	/* The harvest guard's key, decided once at connect
	 * (inbound_client); guarded false when the guard does not apply. */
	bool guarded;
	struct harvest_key harvest;
	char client[64]; /* for the log */
	struct msg msg;
};

struct conn *conn_new(void);
void conn_free(struct conn *);
void msg_reset(struct msg *);
int msg_add_rcpt(struct msg *, const char *);
int msg_add_discard(struct msg *, const char *);

#endif
