/*
 * leak.c: the leak guard (SPEC.md, "Rewriting"): after the rewrite, does
 * any header field still show the owner's real address?  The last check
 * before the owner's mail leaves; plan.c holds the mail when it says yes.
 *
 * Threads: as header.c; nothing here keeps state.
 */
#include <stdio.h>

#include "rewriter/leak.h"
#include "rewriter/mailbox.h"

/* Fields the leak guard does not look at: trace and free text. */
static const char *const leak_exempt[] = { "Received", "Subject", "Comments",
	"Keywords" };

/* Whether the field shows the owner's address: 1, 0, -1. */
static int
field_shows_owner(const struct header_field *f, const char *owner)
{
	if (header_name_in(f->name, leak_exempt,
		sizeof(leak_exempt) / sizeof(leak_exempt[0])))
		return 0;
	/* a field name may hold an "@" too */
	if (mailbox_text_mentions(f->name, owner))
		return 1;
	return mailbox_value_shows(f->value, owner);
}

int
header_leak_find(const struct header_list *hl, const struct header_changes *ch,
    const struct rewrite_request *req, char *field, size_t fieldlen)
{
	struct header_list copy;
	size_t i;
	int r, rc = -1;

	header_library_init();
	header_list_init(&copy);
	if (req->owner == NULL || *req->owner == '\0') {
		rc = 0;
		goto done;
	}
	for (i = 0; i < hl->count; i++)
		if (header_list_add(&copy, hl->fields[i].name,
			hl->fields[i].value) == -1)
			goto done;
	if (ch != NULL && header_list_apply(&copy, ch) == -1)
		goto done;
	for (i = 0; i < copy.count; i++) {
		if ((r = field_shows_owner(&copy.fields[i], req->owner)) == -1)
			goto done;
		if (r == 1) {
			if (field != NULL && fieldlen > 0)
				(void)snprintf(field, fieldlen, "%s",
				    copy.fields[i].name);
			rc = 1;
			goto done;
		}
	}
	rc = 0;
done:
	header_list_free(&copy);
	return rc;
}
