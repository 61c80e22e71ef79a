/*
 * output.c: dates and JSON.  JSON needs no library here: a few fixed
 * shapes, with strings escaped per RFC 8259.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/output.h"

const char *
format_time(time_t t, char buf[DATE_MAX])
{
	struct tm tm;

	if (t == 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, DATE_MAX, "%Y-%m-%d %H:%M", &tm) == 0)
		return "-";
	return buf;
}

void
json_string(FILE *fp, const char *s, int empty_is_null)
{
	if (s == NULL || (empty_is_null && s[0] == '\0')) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
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

void
json_address(FILE *fp, const struct store_address *a)
{
	fputc('{', fp);
	json_address_fields(fp, a);
	fputc('}', fp);
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
	json_string(fp, a->state == STATE_RETIRED ? a->reason :
	    a->state == STATE_EXPIRED ? "address expired" : NULL, 1);
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
}
