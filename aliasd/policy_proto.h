/*
 * policy_proto.h: Postfix's access policy delegation protocol, the
 * reading side (SMTPD_POLICY_README): a request is "name=value" lines
 * ended by an empty line; the answer is "action=..." and an empty line.
 * Written for hostile input: every length bounded, no allocation, and a
 * request that cannot be read gets a defined result, never a crash.
 */
#ifndef ALIASD_POLICY_PROTO_H
#define ALIASD_POLICY_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "common/address.h"

#define POLICY_LINE_MAX 2048 /* one name=value line, with LF */
#define POLICY_REQUEST_MAX 16384 /* one whole request */
#define POLICY_ATTRS_MAX 100 /* lines in one request */

/* The attributes aliasd uses; the others are read and ignored.  A value
 * longer than its field makes the request bad (never cut short: a cut
 * address would be another address). */
struct policy_request {
	char request[32]; /* "smtpd_access_policy" */
	char protocol_state[32]; /* "RCPT", "MAIL", ... */
	char sender[ADDRESS_MAX]; /* as Postfix gives it, no <> */
	char recipient[ADDRESS_MAX];
	char client_address[64]; /* IPv4 or IPv6, no brackets */
	char sasl_username[256];
	char instance[64];
	bool has_recipient; /* a recipient= line came */
};

enum policy_parse {
	POLICY_MORE, /* no whole request in buf yet */
	POLICY_REQUEST, /* *req filled, *used bytes consumed */
	POLICY_BAD, /* a whole request that is malformed (a
				 * line without '=', a value too long, too
				 * many lines): *used bytes consumed, err
				 * says why; answer and go on */
	POLICY_FATAL /* cannot find the request's end (a line
				 * or request over its limit, a NUL byte):
				 * answer, then close */
};

/*
 * Read the first request in buf[0..len).  Lines end in LF (a CR before
 * it is dropped).  On POLICY_MORE nothing is consumed: call again with
 * more data.  err gets one line for the log on BAD and FATAL (our words
 * only, never the client's bytes).  *req means something only on
 * POLICY_REQUEST; *used is 0 on MORE and FATAL.  Unknown attributes and
 * empty values are taken; an empty request (a lone empty line) and one
 * of our attributes given twice are BAD.  Limits count every byte, CR
 * and LF included; they are judged on the bytes in hand, so FATAL comes
 * as soon as the limit is passed, and the result never depends on how
 * the request was cut into reads.  No check of request= or
 * protocol_state=: the caller decides what to answer for them.
 */
enum policy_parse policy_parse(const char *buf, size_t len, size_t *used,
    struct policy_request *req, char *err, size_t errlen);

/* Write "action=TEXT\n\n" and a NUL into out; the length written (no
 * NUL), or 0 when it does not fit or TEXT holds a CR or LF.  TEXT is
 * ours (clean text). */
size_t policy_answer(char *out, size_t outlen, const char *text);

#endif
