#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_policy_proto.c: the reading side of Postfix's policy delegation
 * protocol (aliasd/policy_proto.h).  Whole requests as Postfix sends
 * them, the same fed a byte at a time, two in one read, CRLF, empty and
 * unknown attributes, each limit at its boundary, and the answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliasd/policy_proto.h"

/* A RCPT request as Postfix 3.6 writes it (SMTPD_POLICY_README's list,
 * in Postfix's order), with the values a real session gives. */
static const char rcpt_request[] = "request=smtpd_access_policy\n"
				   "protocol_state=RCPT\n"
				   "protocol_name=ESMTP\n"
				   "client_address=192.0.2.7\n"
				   "client_name=mail.example.net\n"
				   "client_port=41234\n"
				   "reverse_client_name=mail.example.net\n"
				   "server_address=192.0.2.1\n"
				   "server_port=25\n"
				   "helo_name=mail.example.net\n"
				   "sender=joe@example.net\n"
				   "recipient=shop.x7k2@example.org\n"
				   "recipient_count=0\n"
				   "queue_id=\n"
				   "instance=1f2e.65a1b2c3.8d4e5.0\n"
				   "size=12345\n"
				   "etrn_domain=\n"
				   "stress=\n"
				   "sasl_method=\n"
				   "sasl_username=\n"
				   "sasl_sender=\n"
				   "ccert_subject=\n"
				   "ccert_issuer=\n"
				   "ccert_fingerprint=\n"
				   "ccert_pubkey_fingerprint=\n"
				   "encryption_protocol=TLSv1.3\n"
				   "encryption_cipher=TLS_AES_256_GCM_SHA384\n"
				   "encryption_keysize=256\n"
				   "policy_context=\n"
				   "compatibility_level=3.6\n"
				   "mail_version=3.6.4\n"
				   "\n";

static enum policy_parse
parse(const char *buf, size_t len, size_t *used, struct policy_request *req)
{
	char err[256];

	memset(err, 'Z', sizeof(err));
	enum policy_parse r = policy_parse(buf, len, used, req, err,
	    sizeof(err));
	assert_non_null(memchr(err, '\0', sizeof(err)));
	if (r == POLICY_BAD || r == POLICY_FATAL)
		assert_true(err[0] != '\0');
	if (r == POLICY_MORE || r == POLICY_FATAL)
		assert_int_equal(*used, 0);
	else
		assert_true(*used > 0 && *used <= len);
	return r;
}

/*
 * Feed buf[0..len) as a server would receive it, one byte more each
 * time: MORE (nothing consumed) until the result, then that same result
 * and consumption for every longer prefix, ending in want and want_used.
 * Each prefix is copied into a buffer of its exact size, so that ASan
 * sees any read past it.
 */
static void
feed_bytewise(const char *buf, size_t len, enum policy_parse want,
    size_t want_used)
{
	struct policy_request req;
	enum policy_parse r, first = POLICY_MORE;
	size_t used, first_used = 0;

	for (size_t k = 0; k <= len; k++) {
		char *p = malloc(k > 0 ? k : 1);

		assert_non_null(p);
		memcpy(p, buf, k);
		r = parse(p, k, &used, &req);
		free(p);
		if (first == POLICY_MORE) {
			first = r;
			first_used = used;
		} else {
			assert_int_equal(r, first);
			assert_int_equal(used, first_used);
		}
	}
	assert_int_equal(first, want);
	assert_int_equal(first_used, want_used);
}

static void
test_whole_request(void **state)
{
	struct policy_request req;
	size_t used;

	(void)state;
	assert_int_equal(parse(rcpt_request, strlen(rcpt_request), &used,
			     &req),
	    POLICY_REQUEST);
	assert_int_equal(used, strlen(rcpt_request));
	assert_string_equal(req.request, "smtpd_access_policy");
	assert_string_equal(req.protocol_state, "RCPT");
	assert_string_equal(req.sender, "joe@example.net");
	assert_string_equal(req.recipient, "shop.x7k2@example.org");
	assert_string_equal(req.client_address, "192.0.2.7");
	assert_string_equal(req.sasl_username, "");
	assert_string_equal(req.instance, "1f2e.65a1b2c3.8d4e5.0");
	assert_true(req.has_recipient);
}

static void
test_bytewise(void **state)
{
	(void)state;
	feed_bytewise(rcpt_request, strlen(rcpt_request), POLICY_REQUEST,
	    strlen(rcpt_request));
}

static void
test_two_requests(void **state)
{
	const char
	    *second = "request=smtpd_access_policy\n"
		      "protocol_state=RCPT\nrecipient=b@example.org\n\n";
	struct policy_request req;
	size_t l1 = strlen(rcpt_request), used;
	char buf[4096];

	(void)state;
	snprintf(buf, sizeof(buf), "%s%s", rcpt_request, second);
	assert_int_equal(parse(buf, strlen(buf), &used, &req), POLICY_REQUEST);
	assert_int_equal(used, l1);
	assert_string_equal(req.recipient, "shop.x7k2@example.org");
	assert_int_equal(parse(buf + used, strlen(buf) - used, &used, &req),
	    POLICY_REQUEST);
	assert_int_equal(used, strlen(second));
	assert_string_equal(req.recipient, "b@example.org");
	assert_string_equal(req.sender, ""); /* nothing carried over */
	/* the first request and half of the second: the first, then MORE */
	assert_int_equal(parse(buf, l1 + 10, &used, &req), POLICY_REQUEST);
	assert_int_equal(parse(buf + l1, 10, &used, &req), POLICY_MORE);
}

static void
test_crlf(void **state)
{
	const char *crlf = "request=smtpd_access_policy\r\n"
			   "protocol_state=RCPT\r\n"
			   "recipient=joe@example.org\r\n"
			   "sender=x\r\r\n"
			   "\r\n";
	struct policy_request req;
	size_t used;

	(void)state;
	assert_int_equal(parse(crlf, strlen(crlf), &used, &req),
	    POLICY_REQUEST);
	assert_int_equal(used, strlen(crlf));
	assert_string_equal(req.request, "smtpd_access_policy");
	assert_string_equal(req.recipient, "joe@example.org");
	/* one CR is the line end's; another is the value's */
	assert_string_equal(req.sender, "x\r");
	feed_bytewise(crlf, strlen(crlf), POLICY_REQUEST, strlen(crlf));
}

static void
test_empty_values(void **state)
{
	const char *s = "request=smtpd_access_policy\nsender=\n"
			"recipient=\ninstance=\n\n";
	struct policy_request req;
	size_t used;

	(void)state;
	assert_int_equal(parse(s, strlen(s), &used, &req), POLICY_REQUEST);
	assert_string_equal(req.sender, "");
	assert_string_equal(req.recipient, "");
	assert_true(req.has_recipient);
}

static void
test_missing_recipient(void **state)
{
	const char *s = "request=smtpd_access_policy\n"
			"protocol_state=MAIL\nsender=joe@example.net\n\n";
	struct policy_request req;
	size_t used;

	(void)state;
	assert_int_equal(parse(s, strlen(s), &used, &req), POLICY_REQUEST);
	assert_false(req.has_recipient);
	assert_string_equal(req.recipient, "");
	assert_string_equal(req.protocol_state, "MAIL");
}

static void
test_unknown_attributes(void **state)
{
	/* unknown names, even repeated, even ours in capitals, are
	 * ignored; a name is what comes before the first '=' */
	const char
	    *s = "future_attribute=1\nrequest=smtpd_access_policy\n"
		 "x=\nfuture_attribute=2\nrecipient_count=3\nRECIPIENT=a@b\n"
		 "recipient=c@example.org\nx==y=\n\n";
	struct policy_request req;
	size_t used;

	(void)state;
	assert_int_equal(parse(s, strlen(s), &used, &req), POLICY_REQUEST);
	assert_string_equal(req.recipient, "c@example.org");
	assert_string_equal(req.request, "smtpd_access_policy");
	s = "recipient=a=b@example.org\n\n";
	assert_int_equal(parse(s, strlen(s), &used, &req), POLICY_REQUEST);
	assert_string_equal(req.recipient, "a=b@example.org");
}

static void
test_duplicate(void **state)
{
	const char
	    *s = "request=smtpd_access_policy\n"
		 "recipient=a@example.org\nrecipient=b@example.org\n\n"
		 "request=smtpd_access_policy\nrecipient=c@example.org\n\n";
	size_t first = strlen(
	    "request=smtpd_access_policy\n"
	    "recipient=a@example.org\nrecipient=b@example.org\n\n");
	struct policy_request req;
	char err[128];
	size_t used;

	(void)state;
	assert_int_equal(policy_parse(s, strlen(s), &used, &req, err,
			     sizeof(err)),
	    POLICY_BAD);
	assert_int_equal(used, first);
	assert_non_null(strstr(err, "recipient given twice"));
	assert_int_equal(parse(s + used, strlen(s) - used, &used, &req),
	    POLICY_REQUEST);
	assert_string_equal(req.recipient, "c@example.org");
	feed_bytewise(s, strlen(s), POLICY_BAD, first);
}

static void
test_missing_equals(void **state)
{
	const char
	    *s = "request=smtpd_access_policy\n"
		 "garbage \x1b[31m line\nrecipient=a@example.org\n\n"
		 "request=smtpd_access_policy\nrecipient=d@example.org\n\n";
	size_t first = strlen(
	    "request=smtpd_access_policy\n"
	    "garbage \x1b[31m line\nrecipient=a@example.org\n\n");
	struct policy_request req;
	char err[128];
	size_t used;

	(void)state;
	assert_int_equal(policy_parse(s, strlen(s), &used, &req, err,
			     sizeof(err)),
	    POLICY_BAD);
	assert_int_equal(used, first);
	assert_string_equal(err, "line 2: no '=' in attribute line");
	assert_int_equal(parse(s + used, strlen(s) - used, &used, &req),
	    POLICY_REQUEST);
	assert_string_equal(req.recipient, "d@example.org");
	feed_bytewise(s, strlen(s), POLICY_BAD, first);
	/* a BAD request not finished yet is MORE */
	assert_int_equal(parse(s, first - 1, &used, &req), POLICY_MORE);
	/* a line without a name */
	s = "=x\n\n";
	assert_int_equal(parse(s, strlen(s), &used, &req), POLICY_BAD);
}

static void
test_empty_request(void **state)
{
	struct policy_request req;
	size_t used;

	(void)state;
	assert_int_equal(parse("\n", 1, &used, &req), POLICY_BAD);
	assert_int_equal(used, 1);
	assert_int_equal(parse("\r\nx=1\n\n", 7, &used, &req), POLICY_BAD);
	assert_int_equal(used, 2);
	assert_int_equal(parse("", 0, &used, &req), POLICY_MORE);
	assert_int_equal(parse("\r", 1, &used, &req), POLICY_MORE);
}

static void
test_value_limits(void **state)
{
	char s[2 * ADDRESS_MAX], addr[ADDRESS_MAX + 1];
	struct policy_request req;
	char err[128];
	size_t used;

	(void)state;
	/* the longest recipient that fits: ADDRESS_MAX - 1 bytes */
	memset(addr, 'a', ADDRESS_MAX - 1);
	memcpy(addr + ADDRESS_MAX - 1 - 12, "@example.org", 12);
	addr[ADDRESS_MAX - 1] = '\0';
	snprintf(s, sizeof(s), "recipient=%s\n\n", addr);
	assert_int_equal(parse(s, strlen(s), &used, &req), POLICY_REQUEST);
	assert_string_equal(req.recipient, addr);
	/* one more byte: bad, never cut */
	snprintf(s, sizeof(s), "recipient=a%s\n\n", addr);
	assert_int_equal(policy_parse(s, strlen(s), &used, &req, err,
			     sizeof(err)),
	    POLICY_BAD);
	assert_int_equal(used, strlen(s));
	assert_string_equal(err, "line 1: recipient longer than 319 bytes");
	/* the same for a short field */
	snprintf(s, sizeof(s), "request=%031d\n\n", 0);
	assert_int_equal(parse(s, strlen(s), &used, &req), POLICY_REQUEST);
	assert_int_equal(strlen(req.request), 31);
	snprintf(s, sizeof(s), "request=%032d\n\n", 0);
	assert_int_equal(parse(s, strlen(s), &used, &req), POLICY_BAD);
	snprintf(s, sizeof(s), "client_address=%064d\n\n", 0);
	assert_int_equal(parse(s, strlen(s), &used, &req), POLICY_BAD);
}

static void
test_line_limit(void **state)
{
	struct policy_request req;
	char *s = malloc(POLICY_LINE_MAX + 2);
	size_t used;

	(void)state;
	assert_non_null(s);
	/* "x=vvv...\n" of exactly POLICY_LINE_MAX bytes, then "\n" */
	memset(s, 'v', POLICY_LINE_MAX);
	memcpy(s, "x=", 2);
	s[POLICY_LINE_MAX - 1] = '\n';
	s[POLICY_LINE_MAX] = '\n';
	assert_int_equal(parse(s, POLICY_LINE_MAX + 1, &used, &req),
	    POLICY_REQUEST);
	assert_int_equal(used, POLICY_LINE_MAX + 1);
	/* its CR counts too */
	s[POLICY_LINE_MAX - 2] = '\r';
	assert_int_equal(parse(s, POLICY_LINE_MAX + 1, &used, &req),
	    POLICY_REQUEST);
	/* unfinished, one byte short of the limit: wait */
	assert_int_equal(parse(s, POLICY_LINE_MAX - 1, &used, &req),
	    POLICY_MORE);
	/* POLICY_LINE_MAX bytes and no LF: fatal at once */
	s[POLICY_LINE_MAX - 2] = 'v';
	s[POLICY_LINE_MAX - 1] = 'v';
	assert_int_equal(parse(s, POLICY_LINE_MAX, &used, &req), POLICY_FATAL);
	/* a line of POLICY_LINE_MAX + 1 bytes with its LF: fatal as well */
	s[POLICY_LINE_MAX] = '\n';
	s[POLICY_LINE_MAX + 1] = '\n';
	assert_int_equal(parse(s, POLICY_LINE_MAX + 2, &used, &req),
	    POLICY_FATAL);
	free(s);
}

static void
test_overlong_recipient(void **state)
{
	struct policy_request req;
	char *s = malloc(POLICY_LINE_MAX + 64);
	char err[128];
	size_t used, n;

	(void)state;
	assert_non_null(s);
	/* within the line limit but over the field: BAD, consumed */
	n = (size_t)snprintf(s, POLICY_LINE_MAX + 64, "recipient=");
	memset(s + n, 'r', 1000);
	memcpy(s + n + 1000, "@example.org\n\n", 15);
	assert_int_equal(parse(s, strlen(s), &used, &req), POLICY_BAD);
	assert_int_equal(used, strlen(s));
	/* over the line limit, as a client that never stops: FATAL */
	memset(s + n, 'r', POLICY_LINE_MAX + 64 - n);
	assert_int_equal(policy_parse(s, POLICY_LINE_MAX + 64, &used, &req,
			     err, sizeof(err)),
	    POLICY_FATAL);
	assert_non_null(strstr(err, "line longer"));
	free(s);
}

static void
test_request_limit(void **state)
{
	struct policy_request req;
	size_t used;
	char *s;

	(void)state;
	/* attribute lines of 1000 bytes add up to exactly the limit */
	s = malloc(POLICY_REQUEST_MAX + 2);
	assert_non_null(s);
	for (size_t i = 0; i < POLICY_REQUEST_MAX - 1; i += 1000) {
		size_t l = POLICY_REQUEST_MAX - 1 - i < 1000 ?
		    POLICY_REQUEST_MAX - 1 - i :
		    1000;

		memset(s + i, 'v', l);
		memcpy(s + i, "x=", 2);
		s[i + l - 1] = '\n';
	}
	s[POLICY_REQUEST_MAX - 1] = '\n';
	assert_int_equal(parse(s, POLICY_REQUEST_MAX, &used, &req),
	    POLICY_REQUEST);
	assert_int_equal(used, POLICY_REQUEST_MAX);
	/* unfinished at one byte short: wait; at the limit: fatal */
	assert_int_equal(parse(s, POLICY_REQUEST_MAX - 1, &used, &req),
	    POLICY_MORE);
	s[POLICY_REQUEST_MAX - 1] = 'v';
	assert_int_equal(parse(s, POLICY_REQUEST_MAX, &used, &req),
	    POLICY_FATAL);
	/* one byte over, LF and all */
	s[POLICY_REQUEST_MAX - 1] = 'v';
	s[POLICY_REQUEST_MAX] = '\n';
	s[POLICY_REQUEST_MAX + 1] = '\n';
	assert_int_equal(parse(s, POLICY_REQUEST_MAX + 2, &used, &req),
	    POLICY_FATAL);
	free(s);
}

static void
test_attrs_limit(void **state)
{
	char s[4 * (POLICY_ATTRS_MAX + 2)];
	struct policy_request req;
	size_t used, n = 0;

	(void)state;
	for (int i = 0; i < POLICY_ATTRS_MAX; i++) {
		memcpy(s + n, "a=\n", 3);
		n += 3;
	}
	s[n] = '\n';
	assert_int_equal(parse(s, n + 1, &used, &req), POLICY_REQUEST);
	memcpy(s + n, "a=\n\n", 4);
	assert_int_equal(parse(s, n + 4, &used, &req), POLICY_BAD);
	assert_int_equal(used, n + 4);
}

static void
test_nul(void **state)
{
	const char s[] = "request=smtpd_access_policy\n"
			 "recipient=a\0b@example.org\n\n";
	const char t[] = "recipient=a@example.org\n\nrecip\0ent=x\n\n";
	struct policy_request req;
	size_t used;

	(void)state;
	assert_int_equal(parse(s, sizeof(s) - 1, &used, &req), POLICY_FATAL);
	/* as soon as the NUL is in hand */
	assert_int_equal(parse(s, 40, &used, &req), POLICY_FATAL);
	feed_bytewise(s, sizeof(s) - 1, POLICY_FATAL, 0);
	/* a NUL in the next request is the next request's */
	assert_int_equal(parse(t, sizeof(t) - 1, &used, &req), POLICY_REQUEST);
	assert_int_equal(parse(t + used, sizeof(t) - 1 - used, &used, &req),
	    POLICY_FATAL);
	/* a bad line before it does not hide it */
	assert_int_equal(parse("junk\nx\0\n\n", 9, &used, &req), POLICY_FATAL);
}

static void
test_answer(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(policy_answer(out, sizeof(out), "DUNNO"), 14);
	assert_string_equal(out, "action=DUNNO\n\n");
	assert_int_equal(policy_answer(out, sizeof(out),
			     "550 5.1.1 This address has been retired"),
	    strlen("action=550 5.1.1 This address has been retired\n\n"));
	assert_string_equal(out,
	    "action=550 5.1.1 This address has been retired\n\n");
	/* exactly room for it and its NUL, then one byte less */
	assert_int_equal(policy_answer(out, 15, "DUNNO"), 14);
	assert_int_equal(policy_answer(out, 14, "DUNNO"), 0);
	assert_string_equal(out, "");
	assert_int_equal(policy_answer(out, 0, "DUNNO"), 0);
	/* a line end would end the answer early */
	assert_int_equal(policy_answer(out, sizeof(out), "DUNNO\n\nx"), 0);
	assert_int_equal(policy_answer(out, sizeof(out), "a\rb"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_request),
		cmocka_unit_test(test_bytewise),
		cmocka_unit_test(test_two_requests),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_missing_recipient),
		cmocka_unit_test(test_unknown_attributes),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_missing_equals),
		cmocka_unit_test(test_empty_request),
		cmocka_unit_test(test_value_limits),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_overlong_recipient),
		cmocka_unit_test(test_request_limit),
		cmocka_unit_test(test_attrs_limit),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
