/*
 * muttquote.c: the muttrc text aliasctl mutt-hooks prints (cmd_mutt.c),
 * quoted for each level at which mutt reads it.
 *
 * mutt reads each send-hook line twice or three times: the line itself,
 * then the pattern (compiled when the hook is defined), then the command
 * (parsed each time the hook fires).  Arguments of the send-hook line are
 * single-quoted, which mutt takes literally (an embedded quote is written
 * '\'' as in sh).  Inside the pattern, regular expressions are
 * double-quoted, where mutt turns "\." into "." and expands $var and
 * `cmd`: so \ " $ ` get a backslash there, on top of the regex's own
 * escapes.  In the command, my_hdr takes the rest of its line with quotes
 * kept as they are, but ; # $ ` and \ still act: each gets a backslash.
 *
 * Text is built in open_memstream() buffers; a failed write there means
 * no memory, and the function returns NULL.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/muttquote.h"

/* A POSIX extended regular expression matching the n bytes of s
 * literally. */
static void
put_regex(FILE *fp, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strchr("\\.[](){}*+?|^$", s[i]) != NULL)
			fputc('\\', fp);
		fputc(s[i], fp);
	}
}

/* s with a backslash before each character of special. */
static void
put_escaped(FILE *fp, const char *s, const char *special)
{
	for (; *s != '\0'; s++) {
		if (strchr(special, *s) != NULL)
			fputc('\\', fp);
		fputc(*s, fp);
	}
}

/* A muttrc double-quoted string: no $var, `cmd` or \ escape acts. */
void
mutt_put_dquoted(FILE *fp, const char *s)
{
	fputc('"', fp);
	put_escaped(fp, s, "\\\"$`");
	fputc('"', fp);
}

/* A muttrc single-quoted string, taken literally; ' as '\''. */
void
mutt_put_squoted(FILE *fp, const char *s)
{
	fputc('\'', fp);
	for (; *s != '\0'; s++)
		if (*s == '\'')
			fputs("'\\''", fp);
		else
			fputc(*s, fp);
	fputc('\'', fp);
}

/* An RFC 5322 display name: as it is when it is atoms and spaces, else
 * a quoted-string.  Bytes above 0x7f pass; mutt encodes them. */
static void
put_phrase(FILE *fp, const char *name)
{
	bool plain = name[0] != ' ' && name[strlen(name) - 1] != ' ';

	for (const char *s = name; plain && *s != '\0'; s++)
		if (strchr("()<>[]:;@\\,.\"", *s) != NULL ||
		    (unsigned char)*s < ' ')
			plain = false;
	if (plain) {
		fputs(name, fp);
		return;
	}
	fputc('"', fp);
	put_escaped(fp, name, "\\\"");
	fputc('"', fp);
}

/* Finish an open_memstream(): its text (caller frees), or NULL when a
 * write failed (no memory). */
static char *
memstream_close(FILE *fp, char **buf)
{
	if (fclose(fp) != 0) {
		free(*buf);
		*buf = NULL;
	}
	return *buf;
}

/* "Full Name <addr>", or "addr" when there is no full_name. */
static char *
mailbox_text(const char *name, const char *address)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	if (name != NULL && name[0] != '\0') {
		put_phrase(fp, name);
		fprintf(fp, " <%s>", address);
	} else
		fputs(address, fp);
	return memstream_close(fp, &buf);
}

/* The regex of one correspondent: "^joe@example\.org$" for an address,
 * "@example\.org$" for a whole domain.  Caller frees; NULL: no memory. */
char *
mutt_correspondent_regex(const char *correspondent)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	if (correspondent[0] != '@')
		fputc('^', fp);
	put_regex(fp, correspondent, strlen(correspondent));
	fputc('$', fp);
	return memstream_close(fp, &buf);
}

/* "^(joe|ann)@example\.org$": the exact correspondents ex[0..n), all at
 * the domain correspondent dom ("@example.org"). */
static char *
locals_regex(const char *const *ex, size_t n, const char *dom)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fputs("^(", fp);
	for (size_t i = 0; i < n; i++) {
		const char *c = ex[i];

		if (i > 0)
			fputc('|', fp);
		put_regex(fp, c, (size_t)(strrchr(c, '@') - c));
	}
	fputc(')', fp);
	put_regex(fp, dom, strlen(dom));
	fputc('$', fp);
	return memstream_close(fp, &buf);
}

/* "~C X ^~C X": "^~C X" alone would also fire with no To and no Cc. */
char *
mutt_hook_pattern(const char *correspondent, const char *const *exact,
    size_t n)
{
	char *buf = NULL, *rx, *locals = NULL;
	size_t len = 0;
	FILE *fp;

	if ((rx = mutt_correspondent_regex(correspondent)) == NULL)
		return NULL;
	if (n > 0 &&
	    (locals = locals_regex(exact, n, correspondent)) == NULL) {
		free(rx);
		return NULL;
	}
	if ((fp = open_memstream(&buf, &len)) != NULL) {
		fputs("~C ", fp);
		mutt_put_dquoted(fp, rx);
		fputs(" ^~C ", fp);
		mutt_put_dquoted(fp, rx);
		if (locals != NULL) {
			fputs(" !~C ", fp);
			mutt_put_dquoted(fp, locals);
		}
		memstream_close(fp, &buf);
	}
	free(rx);
	free(locals);
	return buf;
}

/* my_hdr From: and Reply-To: for one address.  my_hdr keeps quotes as
 * they are; ; # $ ` \ are escaped. */
char *
mutt_hook_command(const char *full_name, const char *address)
{
	static const char special[] = "\\;#$`";
	char *buf = NULL, *mbox;
	size_t len = 0;
	FILE *fp;

	if ((mbox = mailbox_text(full_name, address)) == NULL)
		return NULL;
	if ((fp = open_memstream(&buf, &len)) != NULL) {
		fputs("my_hdr From: ", fp);
		put_escaped(fp, mbox, special);
		fputs("; my_hdr Reply-To: ", fp);
		put_escaped(fp, mbox, special);
		memstream_close(fp, &buf);
	}
	free(mbox);
	return buf;
}

/* The default hook clears what a correspondent's hook set, and makes
 * $from the default address: reverse_name still wins on a reply, since
 * it sets the message's From before any hook runs. */
char *
mutt_default_command(const char *full_name, const char *address)
{
	char *buf = NULL, *mbox = NULL;
	size_t len = 0;
	FILE *fp;

	if (address != NULL &&
	    (mbox = mailbox_text(full_name, address)) == NULL)
		return NULL;
	if ((fp = open_memstream(&buf, &len)) != NULL) {
		fputs("unmy_hdr From: Reply-To:", fp);
		if (mbox != NULL) {
			fputs("; set from=", fp);
			mutt_put_dquoted(fp, mbox);
		}
		memstream_close(fp, &buf);
	}
	free(mbox);
	return buf;
}
