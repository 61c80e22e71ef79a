/*
 * output.c: dates, terminal text and JSON.  JSON needs no library here:
 * a few fixed shapes, with strings escaped per RFC 8259.
 *
 * Stored strings are not trusted to be clean: a store written by an
 * older version may hold any byte a stranger sent.  What reaches the
 * owner's terminal is escaped, and JSON stays valid.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/output.h"
#include "common/address.h"

const char *
format_time(time_t t, char buf[DATE_MAX])
{
	struct tm tm;

	if (t == 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, DATE_MAX, "%Y-%m-%d %H:%M", &tm) == 0)
		return "-";
	return buf;
}

const char *
term_escape(const char *s, char *buf, size_t len)
{
	size_t used = 0, left = strlen(s), n;
	uint32_t cp;

	if (len == 0)
		return buf;
	while (left > 0) {
		n = address_utf8_decode(s, left, &cp);
		if (n == 0 || address_is_control(cp)) {
			/* One escape per byte: a C1 character is two. */
			n = n == 0 ? 1 : n;
			if (used + 4 * n >= len)
				break;
			for (size_t i = 0; i < n; i++)
				used += (size_t)snprintf(buf + used,
				    len - used, "\\x%02x",
				    (unsigned char)s[i]);
		} else {
			if (used + n >= len)
				break;
			memcpy(buf + used, s, n);
			used += n;
		}
		s += n;
		left -= n;
	}
	buf[used] = '\0';
	return buf;
}

void
json_string(FILE *fp, const char *s, int empty_is_null)
{
	size_t left, n;
	uint32_t cp;

	if (s == NULL || (empty_is_null && s[0] == '\0')) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (left = strlen(s); left > 0; s += n, left -= n) {
		if ((n = address_utf8_decode(s, left, &cp)) == 0) {
			/* Stores written by older versions may hold any
			 * byte; JSON must stay valid (RFC 8259 8.1). */
			fputs("\\ufffd", fp);
			n = 1;
		} else if (cp == '"' || cp == '\\')
			fprintf(fp, "\\%c", (char)cp);
		else if (cp == '\n')
			fputs("\\n", fp);
		else if (cp == '\t')
			fputs("\\t", fp);
		else if (address_is_control(cp))
			fprintf(fp, "\\u%04x", (unsigned)cp);
		else
			fwrite(s, 1, n, fp);
	}
	fputc('"', fp);
}

void
json_time(FILE *fp, time_t t)
{
	char buf[DATE_MAX];
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		fputs("null", fp);
		return;
	}
	json_string(fp, buf, 0);
}

/* The allow list as a JSON array member, for store_allow_list. */
struct json_items {
	FILE *fp;
	int n;
};

static void
json_item(void *arg, const char *item, const char *key)
{
	struct json_items *j = arg;

	(void)key;
	fputs(j->n++ > 0 ? "," : "", j->fp);
	json_string(j->fp, item, 0);
}

enum store_status
json_allow(FILE *fp, struct store *s, int64_t id)
{
	struct json_items j = { fp, 0 };
	enum store_status st;

	fputs(",\"allow\":[", fp);
	st = store_allow_list(s, id, json_item, &j);
	if (st == STORE_NOTFOUND) /* an empty list is no error here */
		st = STORE_OK;
	/* Closed either way, so that what was printed stays JSON. */
	fputc(']', fp);
	return st;
}

enum store_status
json_address(FILE *fp, struct store *s, const struct store_address *a)
{
	enum store_status st;

	fputc('{', fp);
	json_address_fields(fp, a);
	st = json_allow(fp, s, a->id);
	fputc('}', fp);
	return st;
}

void
json_address_fields(FILE *fp, const struct store_address *a)
{
	fputs("\"address\":", fp);
	json_string(fp, a->address, 0);
	fputs(",\"correspondent\":", fp);
	json_string(fp, a->correspondent, 1);
	fputs(",\"state\":", fp);
	json_string(fp, store_state_name(a->state), 0);
	fputs(",\"reason\":", fp);
	json_string(fp,
	    a->state == STATE_RETIRED	  ? a->reason :
		a->state == STATE_EXPIRED ? "address expired" :
					    NULL,
	    1);
	fputs(",\"expired_by\":", fp);
	json_string(fp,
	    a->state == STATE_EXPIRED ? store_expiry_name(a->expired_by) :
					NULL,
	    1);
	fputs(",\"note\":", fp);
	json_string(fp, a->note, 1);
	fputs(",\"created\":", fp);
	json_time(fp, a->created);
	fputs(",\"retired\":", fp);
	json_time(fp, a->retired);
	fputs(",\"expires\":", fp);
	json_time(fp, a->expires);
	fprintf(fp, ",\"default\":%s,\"messages\":%" PRId64 ",\"last_mail\":",
	    a->is_default ? "true" : "false", a->messages);
	json_time(fp, a->last_mail);
	json_rules(fp, a);
}

void
json_rules(FILE *fp, const struct store_address *a)
{
	fputs(",\"lock\":", fp);
	json_string(fp, store_lock_name(a->rules.lock), 0);
	fputs(",\"on_refuse\":", fp);
	json_string(fp, store_refuse_name(a->rules.on_refuse), 0);
	if (a->rules.max_mails > 0)
		fprintf(fp, ",\"max_mails\":%" PRId64, a->rules.max_mails);
	else
		fputs(",\"max_mails\":null", fp);
	if (a->rules.idle > 0)
		fprintf(fp, ",\"idle\":%" PRId64, a->rules.idle);
	else
		fputs(",\"idle\":null", fp);
	fprintf(fp, ",\"learned\":%s", a->learned ? "true" : "false");
}

const char *
span_format(int64_t seconds, char buf[SPAN_TEXT_MAX])
{
	static const struct {
		int64_t unit;
		char name;
	} units[] = { { 7 * 86400, 'w' }, { 86400, 'd' }, { 3600, 'h' },
		{ 60, 'm' } };

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (seconds % units[i].unit == 0) {
			snprintf(buf, SPAN_TEXT_MAX, "%" PRId64 "%c",
			    seconds / units[i].unit, units[i].name);
			return buf;
		}
	snprintf(buf, SPAN_TEXT_MAX, "%" PRId64 "s", seconds);
	return buf;
}
