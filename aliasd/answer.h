/*
 * answer.h: what the fast path says (SPEC "The fast path"): one request
 * of the policy service or the socketmap, judged by aliasd/judge.c as the
 * milter judges an RCPT, and put in that protocol's words.
 */
#ifndef ALIASD_ANSWER_H
#define ALIASD_ANSWER_H

#include <stddef.h>

#include "aliasd/policy_proto.h"
#include "common/config.h"

#define ANSWER_MAX 1024 /* an action= value or a map value */

#define POLICY_BAD_ACTION "DEFER_IF_PERMIT Service temporarily unavailable"

/* The action= value for one policy request (request=smtpd_access_policy;
 * DUNNO for other protocol states); accepted mail is counted. */
void answer_policy(const struct config *, const struct policy_request *,
    char *out, size_t outlen);

/* The socketmap answer ("OK ...", "NOTFOUND ", "TEMP ...", "PERM ...")
 * for map name and key. */
void answer_socketmap(const struct config *, const char *name, const char *key,
    char *out, size_t outlen);

#endif
