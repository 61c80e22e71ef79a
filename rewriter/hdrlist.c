/*
 * hdrlist.c: header blocks as lists of fields, and changes to them applied
 * the way libmilter's smfi_chgheader() and smfi_addheader() apply them.
 *
 * Plain C over the caller's lists; GLib only for locale-independent ASCII
 * case folding (g_ascii_strcasecmp), which needs no g_mime_init().  Every
 * allocation here is checked; a failure leaves errno ENOMEM.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "rewriter/hdrlist.h"

/*
 * Lists.
 */

void
header_list_init(struct header_list *hl)
{
	hl->fields = NULL;
	hl->count = 0;
	hl->cap = 0;
}

static void
field_clear(struct header_field *f)
{
	free(f->name);
	free(f->value);
	free(f->raw);
	f->name = f->value = f->raw = NULL;
	f->rawlen = 0;
}

void
header_list_free(struct header_list *hl)
{
	size_t i;

	if (hl != NULL) {
		for (i = 0; i < hl->count; i++)
			field_clear(&hl->fields[i]);
		free(hl->fields);
		header_list_init(hl);
	}
}

static int
header_list_grow(struct header_list *hl)
{
	struct header_field *p;
	size_t ncap;
	int rc = -1;

	if (hl->count < hl->cap) {
		rc = 0;
		goto done;
	}
	ncap = hl->cap ? hl->cap * 2 : 16;
	if (ncap > SIZE_MAX / sizeof(*p)) {
		errno = ENOMEM;
		goto done;
	}
	if ((p = realloc(hl->fields, ncap * sizeof(*p))) == NULL)
		goto done;
	hl->fields = p;
	hl->cap = ncap;
	rc = 0;
done:
	return rc;
}

/* Append a field; raw may be NULL (a field of ours). */
static int
field_append(struct header_list *hl, const char *name, size_t namelen,
    const char *value, size_t valuelen, const char *raw, size_t rawlen)
{
	struct header_field f = { NULL, NULL, NULL, 0 };
	int rc = -1;

	if (header_list_grow(hl) == -1)
		goto done;
	if ((f.name = strndup(name, namelen)) == NULL ||
	    (f.value = strndup(value, valuelen)) == NULL)
		goto done;
	if (raw != NULL && rawlen > 0) {
		if ((f.raw = malloc(rawlen)) == NULL)
			goto done;
		memcpy(f.raw, raw, rawlen);
		f.rawlen = rawlen;
	}
	hl->fields[hl->count++] = f;
	rc = 0;
done:
	if (rc == -1)
		field_clear(&f);
	return rc;
}

int
header_list_add(struct header_list *hl, const char *name, const char *value)
{
	int rc = -1;

	if (name == NULL || *name == '\0' || value == NULL) {
		errno = EINVAL;
		goto done;
	}
	rc = field_append(hl, name, strlen(name), value, strlen(value), NULL,
	    0);
done:
	return rc;
}

/*
 * Changes.
 */

void
header_changes_init(struct header_changes *hc)
{
	hc->items = NULL;
	hc->count = 0;
	hc->cap = 0;
}

void
header_changes_truncate(struct header_changes *hc, size_t n)
{
	while (hc->count > n) {
		hc->count--;
		free(hc->items[hc->count].name);
		free(hc->items[hc->count].value);
	}
}

void
header_changes_free(struct header_changes *hc)
{
	if (hc != NULL) {
		header_changes_truncate(hc, 0);
		free(hc->items);
		header_changes_init(hc);
	}
}

int
header_changes_push(struct header_changes *hc, enum header_op op,
    const char *name, int index, const char *value)
{
	struct header_change c = { op, NULL, index, NULL }, *p;
	size_t ncap;
	int rc = -1;

	if (hc->count == hc->cap) {
		ncap = hc->cap ? hc->cap * 2 : 8;
		if (ncap > SIZE_MAX / sizeof(*p)) {
			errno = ENOMEM;
			goto done;
		}
		if ((p = realloc(hc->items, ncap * sizeof(*p))) == NULL)
			goto done;
		hc->items = p;
		hc->cap = ncap;
	}
	if ((c.name = strdup(name)) == NULL)
		goto done;
	if (value != NULL && (c.value = strdup(value)) == NULL)
		goto done;
	hc->items[hc->count++] = c;
	rc = 0;
done:
	if (rc == -1) {
		free(c.name);
		free(c.value);
	}
	return rc;
}

/*
 * Applying changes as smfi_chgheader() does.
 */

size_t
header_list_find(const struct header_list *hl, const char *name, int index)
{
	size_t i;
	int seen = 0;

	for (i = 0; i < hl->count; i++)
		if (g_ascii_strcasecmp(hl->fields[i].name, name) == 0 &&
		    ++seen == index)
			break;
	return i;
}

size_t
header_list_count(const struct header_list *hl, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < hl->count; i++)
		if (g_ascii_strcasecmp(hl->fields[i].name, name) == 0)
			n++;
	return n;
}

int
header_name_in(const char *name, const char *const *names, size_t n)
{
	size_t i;
	int found = 0;

	for (i = 0; i < n && !found; i++)
		found = g_ascii_strcasecmp(name, names[i]) == 0;
	return found;
}

/* The field is ours from now on: its raw bytes no longer apply. */
static int
field_set_value(struct header_field *f, const char *value)
{
	char *v;
	int rc = -1;

	if ((v = strdup(value)) == NULL)
		goto done;
	free(f->value);
	free(f->raw);
	f->value = v;
	f->raw = NULL;
	f->rawlen = 0;
	rc = 0;
done:
	return rc;
}

static void
field_remove(struct header_list *hl, size_t pos)
{
	field_clear(&hl->fields[pos]);
	memmove(&hl->fields[pos], &hl->fields[pos + 1],
	    (hl->count - pos - 1) * sizeof(hl->fields[0]));
	hl->count--;
}

int
header_list_apply(struct header_list *hl, const struct header_changes *hc)
{
	const struct header_change *c;
	size_t i, pos;
	int rc = -1;

	for (i = 0; i < hc->count; i++) {
		c = &hc->items[i];
		if (c->name == NULL || *c->name == '\0' ||
		    (c->op != HEADER_ADD && c->index < 0) ||
		    (c->op == HEADER_ADD && c->value == NULL)) {
			errno = EINVAL;
			goto done;
		}
		if (c->op == HEADER_ADD) {
			if (header_list_add(hl, c->name, c->value) == -1)
				goto done;
			continue;
		}
		/* libmilter: index 0 means the first; NULL value deletes */
		pos = header_list_find(hl, c->name,
		    c->index == 0 ? 1 : c->index);
		if (c->op == HEADER_DELETE || c->value == NULL) {
			if (pos < hl->count)
				field_remove(hl, pos);
		} else if (pos < hl->count) {
			if (field_set_value(&hl->fields[pos], c->value) == -1)
				goto done;
		} else if (header_list_add(hl, c->name, c->value) == -1)
			goto done;
	}
	rc = 0;
done:
	return rc;
}

/*
 * Header blocks.
 */

/* Length of the line at p, its LF included. */
static size_t
line_len(const char *p, size_t len)
{
	const char *nl;

	nl = memchr(p, '\n', len);
	return nl != NULL ? (size_t)(nl - p) + 1 : len;
}

/*
 * Length of the field name starting a line, or 0 if the line starts no
 * field: printable ASCII but the colon, then (obsolete syntax) optional
 * white space, then the colon, whose offset goes to *colon.
 */
static size_t
field_name_len(const char *p, size_t len, size_t *colon)
{
	size_t n = 0, i;

	while (n < len && (unsigned char)p[n] > 32 &&
	    (unsigned char)p[n] < 127 && p[n] != ':')
		n++;
	i = n;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i >= len || p[i] != ':')
		n = 0;
	*colon = i;
	return n;
}

int
header_list_parse(struct header_list *hl, const char *buf, size_t len,
    size_t *used)
{
	size_t off = 0, end, namelen, colon, vs, ve;
	int rc = -1;

	while (off < len) {
		if ((namelen = field_name_len(buf + off, len - off, &colon)) ==
		    0)
			break;
		end = off + line_len(buf + off, len - off);
		while (end < len && (buf[end] == ' ' || buf[end] == '\t'))
			end += line_len(buf + end, len - end);
		/* the value as a milter sees it: no leading white space, no
		 * final line ending, folds kept */
		vs = off + colon + 1;
		while (vs < end && buf[vs] != '\0' &&
		    strchr(" \t\r\n", buf[vs]) != NULL)
			vs++;
		ve = end;
		if (ve > vs && buf[ve - 1] == '\n')
			ve--;
		if (ve > vs && buf[ve - 1] == '\r')
			ve--;
		if (field_append(hl, buf + off, namelen, buf + vs, ve - vs,
			buf + off, end - off) == -1)
			goto done;
		off = end;
	}
	*used = off;
	rc = 0;
done:
	return rc;
}

/*
 * Write a value of ours: each line ending in it becomes eol, a fold is
 * kept a fold (white space after it), and a final line ending is dropped.
 */
static void
value_write(FILE *fp, const char *v, const char *eol)
{
	const char *p;

	for (p = v; *p != '\0'; p++) {
		if (*p == '\r' && p[1] == '\n')
			p++;
		if (*p != '\r' && *p != '\n') {
			(void)putc(*p, fp);
			continue;
		}
		if (p[1] == '\0')
			break;
		(void)fputs(eol, fp);
		if (p[1] != ' ' && p[1] != '\t')
			(void)putc(' ', fp);
	}
}

int
header_list_write(const struct header_list *hl, FILE *fp, const char *eol)
{
	const struct header_field *f;
	size_t i;

	for (i = 0; i < hl->count; i++) {
		f = &hl->fields[i];
		if (f->raw != NULL) {
			(void)fwrite(f->raw, 1, f->rawlen, fp);
			/* the input ended without a line ending, but now
			 * another field follows */
			if (f->raw[f->rawlen - 1] != '\n' && i + 1 < hl->count)
				(void)fputs(eol, fp);
			continue;
		}
		(void)fprintf(fp, "%s: ", f->name);
		value_write(fp, f->value, eol);
		(void)fputs(eol, fp);
	}
	/* stdio keeps the first error, with errno set */
	return ferror(fp) ? -1 : 0;
}
