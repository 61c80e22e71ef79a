/*
 * config.c: read the key = value file of SPEC "Configuration".
 *
 * Every value is checked here, once, so that the programs can trust a
 * loaded struct config: a bad value is reported as "FILE:LINE: ..." and
 * nothing is half-applied.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/address.h"
#include "common/config.h"
#include "common/template.h"

#define LINE_MAX_LEN 4096
/* How many entries config_keys holds. */
#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

struct config_parser {
	const char *file;
	int line;
	char *err;
	size_t errlen;
};

static int bad(struct config_parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Report "FILE:LINE: what" and return -1, for `return bad(...)`. */
static int
bad(struct config_parser *p, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%d: %s", p->file, p->line, what);
	return -1;
}

static char *
path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s/%s", a, b);
	return s;
}

/* $XDG_<name>_HOME, else $HOME/<fallback>, with sub appended. */
static char *
xdg_path(const char *var, const char *fallback, const char *sub)
{
	const char *base = getenv(var), *home;
	char *dir, *path;

	if (base != NULL && base[0] == '/')
		return path_join(base, sub);
	if ((home = getenv("HOME")) == NULL || home[0] != '/')
		return NULL;
	if ((dir = path_join(home, fallback)) == NULL)
		return NULL;
	path = path_join(dir, sub);
	free(dir);
	return path;
}

/*
 * SPEC's one rule, for every program.  When neither the user's file nor
 * the system's exists, the user's path is returned all the same: reading
 * a missing file gives the defaults either way, and it is where aliasctl
 * init makes one.
 */
char *
config_find(const char *option_path, bool *explicit)
{
	const char *env = getenv("ALIASD_CONF");
	char *user;

	*explicit = true;
	if (option_path != NULL)
		return strdup(option_path);
	if (env != NULL && env[0] != '\0')
		return strdup(env);
	*explicit = false;
	/* euid, as for the default database: the two must agree. */
	if (geteuid() == 0)
		return strdup(CONFIG_SYSTEM_PATH);
	user = xdg_path("XDG_CONFIG_HOME", ".config", "aliasd/aliasd.conf");
	if (user != NULL && access(user, F_OK) == 0)
		return user;
	if (user == NULL || access(CONFIG_SYSTEM_PATH, F_OK) == 0) {
		free(user);
		return strdup(CONFIG_SYSTEM_PATH);
	}
	return user;
}

char *
config_default_database(void)
{
	if (geteuid() == 0)
		return strdup("/var/lib/aliasd/aliases.db");
	return xdg_path("XDG_DATA_HOME", ".local/share", "aliasd/aliases.db");
}

static int
set_string(struct config_parser *p, char **dst, const char *value,
    bool empty_ok)
{
	char *s;

	if (!empty_ok && value[0] == '\0')
		return bad(p, "empty value");
	for (const char *c = value; *c != '\0'; c++)
		if (iscntrl((unsigned char)*c))
			return bad(p, "control character in value");
	if ((s = strdup(value)) == NULL)
		return bad(p, "out of memory");
	free(*dst);
	*dst = s;
	return 0;
}

/* Split a comma- or blank-separated list into at most CONFIG_MAX_LIST
 * items, each checked by ok(); items are lowercased copies. */
static int
set_list(struct config_parser *p, char **items, size_t *n, const char *value,
    bool (*ok)(const char *, size_t), const char *what)
{
	const char *s = value;

	*n = 0;
	while (*s != '\0') {
		size_t len;

		while (*s == ',' || *s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		len = strcspn(s, ", \t");
		if (*n == CONFIG_MAX_LIST)
			return bad(p, "more than %d items", CONFIG_MAX_LIST);
		if (!ok(s, len)) {
			char item[256];

			snprintf(item, sizeof(item), "%.*s", (int)len, s);
			return bad(p, "invalid %s \"%s\"", what, item);
		}
		if ((items[*n] = strndup(s, len)) == NULL)
			return bad(p, "out of memory");
		address_lower(items[(*n)++]);
		s += len;
	}
	return 0;
}

static int
set_mailbox(struct config_parser *p, char **dst, const char *value)
{
	char addr[ADDRESS_MAX];
	const char *why;

	if ((why = address_parse_mailbox(value, addr, sizeof(addr))) != NULL)
		return bad(p, "not a mail address: %s", why);
	return set_string(p, dst, addr, false);
}

static int
set_socket(struct config_parser *p, char **dst, const char *value)
{
	const char *at;
	char *end;
	long port;

	if (strncmp(value, "unix:", 5) == 0 ||
	    strncmp(value, "local:", 6) == 0) {
		if (value[strcspn(value, ":") + 1] != '/')
			return bad(p, "socket path must be absolute");
		return set_string(p, dst, value, false);
	}
	if (strncmp(value, "inet:", 5) == 0 ||
	    strncmp(value, "inet6:", 6) == 0) {
		port = strtol(strchr(value, ':') + 1, &end, 10);
		at = end;
		if (port < 1 || port > 65535 || (*at != '\0' && *at != '@'))
			return bad(p, "expected inet:PORT@HOST");
		return set_string(p, dst, value, false);
	}
	return bad(p, "socket must be unix:/path or inet:PORT@HOST");
}

/* A CIDR list: trusted_networks, harvest_exempt. */
static int
set_networks(struct config_parser *p, struct cidr *nets, size_t *n,
    const char *value)
{
	char *copy, *item, *save = NULL;
	int rc = 0;

	*n = 0;
	if ((copy = strdup(value)) == NULL)
		return bad(p, "out of memory");
	for (item = strtok_r(copy, ", \t", &save); item != NULL;
	     item = strtok_r(NULL, ", \t", &save)) {
		if (*n == CONFIG_MAX_LIST) {
			rc = bad(p, "more than %d networks", CONFIG_MAX_LIST);
			break;
		}
		if (cidr_parse(item, &nets[(*n)++]) == -1) {
			rc = bad(p, "invalid network \"%s\"", item);
			break;
		}
	}
	free(copy);
	return rc;
}

/* A whole decimal number from min to max. */
static int
set_integer(struct config_parser *p, const char *key, long *dst,
    const char *value, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 ||
	    v < min || v > max) {
		return bad(p, "%s must be a number from %ld to %ld", key, min,
		    max);
	}
	*dst = v;
	return 0;
}

static int
set_bool(struct config_parser *p, bool *dst, const char *value)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
		*dst = true;
	else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0)
		*dst = false;
	else
		return bad(p, "expected yes or no");
	return 0;
}

static bool
domain_ok(const char *s, size_t n)
{
	return address_domain_valid(s, n);
}

static bool
local_ok(const char *s, size_t n)
{
	return address_local_valid(s, n);
}

static void
free_list(char **items, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free(items[i]);
	*n = 0;
}

static int
key_template(struct config_parser *p, struct config *c, const char *value)
{
	char why[256];
	struct template *t;

	if ((t = template_parse(value, why, sizeof(why))) == NULL)
		return bad(p, "%s", why);
	template_free(t);
	return set_string(p, &c->template, value, false);
}

/*
 * One setter per key, for the table below: each checks its value with
 * the parsers above and stores it, or says what is wrong.
 */
static int
key_database(struct config_parser *p, struct config *c, const char *v)
{
	return set_string(p, &c->database, v, false);
}

static int
key_domain(struct config_parser *p, struct config *c, const char *v)
{
	free_list(c->domains, &c->ndomains);
	return set_list(p, c->domains, &c->ndomains, v, domain_ok, "domain");
}

static int
key_owner(struct config_parser *p, struct config *c, const char *v)
{
	return set_mailbox(p, &c->owner, v);
}

static int
key_full_name(struct config_parser *p, struct config *c, const char *v)
{
	return set_string(p, &c->full_name, v, true);
}

static int
key_bounce_address(struct config_parser *p, struct config *c, const char *v)
{
	return set_mailbox(p, &c->bounce_address, v);
}

static int
key_socket(struct config_parser *p, struct config *c, const char *v)
{
	return set_socket(p, &c->socket, v);
}

static int
key_policy_socket(struct config_parser *p, struct config *c, const char *v)
{
	return set_socket(p, &c->policy_socket, v);
}

static int
key_socketmap_socket(struct config_parser *p, struct config *c, const char *v)
{
	return set_socket(p, &c->socketmap_socket, v);
}

static int
key_idle_timeout(struct config_parser *p, struct config *c, const char *v)
{
	return set_integer(p, "idle_timeout", &c->idle_timeout, v, 1, 86400);
}

static int
key_user(struct config_parser *p, struct config *c, const char *v)
{
	return set_string(p, &c->user, v, false);
}

static int
key_trusted_networks(struct config_parser *p, struct config *c, const char *v)
{
	return set_networks(p, c->trusted, &c->ntrusted, v);
}

static int
key_outbound_daemon_name(struct config_parser *p, struct config *c,
    const char *v)
{
	return set_string(p, &c->outbound_daemon_name, v, true);
}

static int
key_passthrough(struct config_parser *p, struct config *c, const char *v)
{
	free_list(c->passthrough, &c->npassthrough);
	return set_list(p, c->passthrough, &c->npassthrough, v, local_ok,
	    "local part");
}

static int
key_harvest_limit(struct config_parser *p, struct config *c, const char *v)
{
	long n;

	if (set_integer(p, "harvest_limit", &n, v, 0, 1000000) == -1)
		return -1;
	c->harvest_limit = (unsigned int)n;
	return 0;
}

static int
key_harvest_window(struct config_parser *p, struct config *c, const char *v)
{
	return set_integer(p, "harvest_window", &c->harvest_window, v, 1,
	    604800);
}

static int
key_harvest_exempt(struct config_parser *p, struct config *c, const char *v)
{
	return set_networks(p, c->harvest_exempt, &c->nharvest_exempt, v);
}

static int
key_on_error(struct config_parser *p, struct config *c, const char *v)
{
	if (strcmp(v, "tempfail") == 0)
		c->on_error = ON_ERROR_TEMPFAIL;
	else if (strcmp(v, "accept") == 0)
		c->on_error = ON_ERROR_ACCEPT;
	else
		return bad(p, "on_error must be tempfail or accept");
	return 0;
}

static int
key_on_leak(struct config_parser *p, struct config *c, const char *v)
{
	if (strcmp(v, "tempfail") == 0)
		c->on_leak_send = false;
	else if (strcmp(v, "send") == 0)
		c->on_leak_send = true;
	else
		return bad(p, "on_leak must be tempfail or send");
	return 0;
}

static int
key_sendmail_program(struct config_parser *p, struct config *c, const char *v)
{
	return set_string(p, &c->sendmail_program, v, false);
}

static int
key_auto_create(struct config_parser *p, struct config *c, const char *v)
{
	return set_bool(p, &c->auto_create, v);
}

/*
 * Every key, in the order of doc/aliasd.conf.sample.  aliasctl init
 * writes its starter file from this table, and test_config checks that
 * the sample file and aliasd.conf(5) name exactly these keys and that
 * every default and example here is accepted by its own setter.
 */
const struct config_key config_keys[] = {
	{ "database", key_database, "/var/lib/aliasd/aliases.db", NULL,
	    "The store (as anybody but root: "
	    "$XDG_DATA_HOME/aliasd/aliases.db)." },
	{ "domain", key_domain, NULL, "example.com",
	    "Managed domains, comma-separated; new addresses use the first." },
	{ "owner", key_owner, NULL, "you@example.net",
	    "Your real mailbox: mail for active addresses goes there." },
	{ "full_name", key_full_name, NULL, "Your Name",
	    "Display name for a rewritten From that has none." },
	{ "template", key_template, TEMPLATE_DEFAULT, NULL,
	    "How new local parts are made (see aliasd.conf(5))." },
	{ "bounce_address", key_bounce_address, NULL, "bounces@example.com",
	    "Envelope sender of your mail; unset: the chosen address." },
	{ "socket", key_socket, "unix:/run/aliasd/aliasd.sock", NULL,
	    "Milter socket: unix:/path or inet:PORT@HOST." },
	{ "policy_socket", key_policy_socket, NULL,
	    "unix:/run/aliasd/policy.sock",
	    "Postfix policy service socket (check_policy_service); unset: off." },
	{ "socketmap_socket", key_socketmap_socket, NULL,
	    "unix:/run/aliasd/socketmap.sock",
	    "Socketmap socket for Postfix socketmap: and sendmail socket maps." },
	{ "idle_timeout", key_idle_timeout, "600", NULL,
	    "Seconds before an idle policy or socketmap client is closed." },
	{ "user", key_user, "aliasd", NULL,
	    "aliasd runs as this user, who owns the store." },
	{ "trusted_networks", key_trusted_networks, "127.0.0.0/8, ::1", NULL,
	    "Clients whose mail is outbound (rewritten, not checked)." },
	{ "outbound_daemon_name", key_outbound_daemon_name, "ORIGINATING",
	    NULL, "{daemon_name} value that marks outbound mail." },
	{ "passthrough", key_passthrough, "postmaster, abuse", NULL,
	    "Local parts aliasd leaves alone in the managed domains." },
	{ "harvest_limit", key_harvest_limit, "10", NULL,
	    "Refusals in harvest_window before a client gets 451; 0: off." },
	{ "harvest_window", key_harvest_window, "3600", NULL,
	    "Seconds the harvest guard counts refusals and blocks." },
	{ "harvest_exempt", key_harvest_exempt, NULL,
	    "192.0.2.25, 2001:db8::25",
	    "Clients the harvest guard never counts, such as backup MX hosts." },
	{ "on_error", key_on_error, "tempfail", NULL,
	    "When the store cannot be read: tempfail or accept." },
	{ "on_leak", key_on_leak, "tempfail", NULL,
	    "Mail that would still name the real address: tempfail or send." },
	{ "sendmail_program", key_sendmail_program, "/usr/sbin/sendmail", NULL,
	    "What alias-sendmail hands the rewritten message to." },
	{ "auto_create", key_auto_create, "no", NULL,
	    "yes: mail to one recipient with no address makes a new one." },
};

const size_t config_nkeys = NKEYS;

const struct config_key *
config_key_find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* One line; keys may appear only once, so that a typo'd second entry is
 * not silently ignored.  seen[] is indexed like config_keys. */
static int
parse_line(struct config_parser *p, struct config *c, char *line, bool seen[])
{
	const struct config_key *k;
	char *eq, *key, *value, *hash;
	size_t i;

	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	line = trim(line);
	if (*line == '\0')
		return 0;
	if ((eq = strchr(line, '=')) == NULL)
		return bad(p, "expected \"key = value\", got \"%s\"", line);
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if ((k = config_key_find(key)) == NULL)
		return bad(p, "unknown key \"%s\"", key);
	i = (size_t)(k - config_keys);
	if (seen[i])
		return bad(p, "\"%s\" is set twice", key);
	if (k->set(p, c, value) == -1)
		return -1;
	seen[i] = true;
	return 0;
}

static int
parse_file(FILE *fp, struct config_parser *p, struct config *c)
{
	char line[LINE_MAX_LEN];
	bool seen[NKEYS] = { false };
	int rc = 0;

	while (fgets(line, sizeof(line), fp) != NULL) {
		p->line++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			rc = bad(p, "line too long");
			break;
		}
		if ((rc = parse_line(p, c, line, seen)) == -1)
			break;
	}
	if (rc == 0 && ferror(fp))
		rc = bad(p, "read error: %s", strerror(errno));
	return rc;
}

/* The table's defaults, through the setters, so that they are the ones
 * documented; only the database depends on who runs the program. */
static int
set_defaults(struct config *c)
{
	struct config_parser p = { .file = "defaults", .err = NULL };
	char err[256];

	p.err = err;
	p.errlen = sizeof(err);
	for (size_t i = 0; i < NKEYS; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->def != NULL && k->set != key_database &&
		    k->set(&p, c, k->def) == -1)
			return -1;
	}
	/* NULL without a home to put it in: the file must then name one,
	 * which the front ends check (not an out-of-memory error). */
	c->database = config_default_database();
	return 0;
}

struct config *
config_load(const char *path, bool must_exist, char *err, size_t errlen)
{
	struct config_parser p = { .file = path,
		.line = 0,
		.err = err,
		.errlen = errlen };
	struct config *c;
	FILE *fp = NULL;

	if ((c = calloc(1, sizeof(*c))) == NULL || set_defaults(c) == -1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (path == NULL)
		return c;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return c;
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if ((c->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (parse_file(fp, &p, c) == -1)
		goto fail;
	fclose(fp);
	return c;
fail:
	if (fp != NULL)
		fclose(fp);
	config_free(c);
	return NULL;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->database);
	free_list(c->domains, &c->ndomains);
	free(c->owner);
	free(c->full_name);
	free(c->template);
	free(c->bounce_address);
	free(c->socket);
	free(c->policy_socket);
	free(c->socketmap_socket);
	free(c->user);
	free(c->outbound_daemon_name);
	free_list(c->passthrough, &c->npassthrough);
	free(c->sendmail_program);
	free(c);
}

bool
config_is_managed_domain(const struct config *c, const char *domain)
{
	for (size_t i = 0; i < c->ndomains; i++)
		if (strcasecmp(c->domains[i], domain) == 0)
			return true;
	return false;
}

bool
config_is_passthrough(const struct config *c, const char *local)
{
	for (size_t i = 0; i < c->npassthrough; i++)
		if (strcasecmp(c->passthrough[i], local) == 0)
			return true;
	return false;
}

bool
config_is_trusted(const struct config *c, int family, const void *addr)
{
	for (size_t i = 0; i < c->ntrusted; i++)
		if (cidr_match(&c->trusted[i], family, addr))
			return true;
	return false;
}

bool
config_is_harvest_exempt(const struct config *c, int family, const void *addr)
{
	for (size_t i = 0; i < c->nharvest_exempt; i++)
		if (cidr_match(&c->harvest_exempt[i], family, addr))
			return true;
	return false;
}
