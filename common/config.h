/*
 * config.h: the one configuration file of aliasd, aliasctl and
 * alias-sendmail (SPEC "Configuration").
 *
 * A struct config is an immutable snapshot once config_load() returns:
 * reload builds a new one and swaps it in only if it is good.
 */
#ifndef ALIASD_CONFIG_H
#define ALIASD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cidr.h"

#define CONFIG_MAX_LIST 32

enum on_error {
	ON_ERROR_TEMPFAIL,
	ON_ERROR_ACCEPT
};

struct config {
	char *path; /* the file read, or NULL: none, defaults */
	char *database; /* NULL: no default (no $HOME) and none set */
	char *domains[CONFIG_MAX_LIST]; /* lowercased; [0] for new ones */
	size_t ndomains;
	char *owner;
	char *full_name;
	char *template;
	char *bounce_address;
	char *socket;
	char *policy_socket; /* NULL: no policy service */
	char *socketmap_socket; /* NULL: no socketmap */
	long idle_timeout; /* seconds an idle fast-path client is kept */
	char *user;
	struct cidr trusted[CONFIG_MAX_LIST];
	size_t ntrusted;
	unsigned int harvest_limit; /* refusals before 451; 0: off */
	long harvest_window; /* seconds counted and blocked */
	struct cidr harvest_exempt[CONFIG_MAX_LIST];
	size_t nharvest_exempt;
	char *outbound_daemon_name;
	char *passthrough[CONFIG_MAX_LIST]; /* lowercased local parts */
	size_t npassthrough;
	enum on_error on_error;
	bool on_leak_send; /* on_leak = send: the leak guard is off */
	char *sendmail_program;
	bool auto_create;
};

#define CONFIG_SYSTEM_PATH "/etc/aliasd.conf"

/* The file reader's state, for the setters only. */
struct config_parser;

/*
 * One key of the file.  The parser dispatches through config_keys, and
 * aliasctl init, doc/aliasd.conf.sample and aliasd.conf(5) follow it
 * (test_config checks the two documents).
 */
struct config_key {
	const char *name;
	/* Check value and store it in the config, or report and return -1. */
	int (*set)(struct config_parser *, struct config *, const char *value);
	const char *def; /* as the sample file writes it; NULL: none */
	const char *example; /* a value to show when there is no default */
	const char *doc; /* one line, a sentence */
};

extern const struct config_key config_keys[];
extern const size_t config_nkeys;

/* The key named name, or NULL. */
const struct config_key *config_key_find(const char *name);

/* Which file to read, the same for every program: -c FILE (option_path,
 * NULL for alias-sendmail), else $ALIASD_CONF, else for anybody but root
 * $XDG_CONFIG_HOME/aliasd/aliasd.conf (~/.config/...) when it exists,
 * else /etc/aliasd.conf; the user's path when neither exists.  Returns a
 * malloc'd path, or NULL when out of memory.  *explicit tells whether the
 * file must exist (given with -c or $ALIASD_CONF). */
char *config_find(const char *option_path, bool *explicit);

/* The default database path for this user (malloc'd), or NULL. */
char *config_default_database(void);

/* Read path (may be NULL: defaults only).  When must_exist is false a
 * missing file gives the defaults.  On error returns NULL and writes one
 * line "FILE:LINE: what is wrong" into err. */
struct config *config_load(const char *path, bool must_exist, char *err,
    size_t errlen);
void config_free(struct config *);

/* Is domain (any case) one of ours? */
bool config_is_managed_domain(const struct config *, const char *domain);
bool config_is_passthrough(const struct config *, const char *local);

/* Does the binary address (AF_INET: 4 bytes, AF_INET6: 16) fall into
 * trusted_networks? */
bool config_is_trusted(const struct config *, int family, const void *addr);

/* The same for harvest_exempt: clients the harvest guard never counts. */
bool config_is_harvest_exempt(const struct config *, int family,
    const void *addr);

#endif
