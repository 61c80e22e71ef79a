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

#include "common/config.h"
#include "common/address.h"
#include "common/template.h"

#define LINE_MAX_LEN 4096
/* The keys a file has set: every key name is shorter than SEEN_KEY_MAX. */
#define SEEN_MAX 32
#define SEEN_KEY_MAX 32

struct parser {
	const char *file;
	int line;
	char *err;
	size_t errlen;
};

static int bad(struct parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Report "FILE:LINE: what" and return -1, for `return bad(...)`. */
static int
bad(struct parser *p, const char *fmt, ...)
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
set_string(struct parser *p, char **dst, const char *value, bool empty_ok)
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
set_list(struct parser *p, char **items, size_t *n, const char *value,
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
set_mailbox(struct parser *p, char **dst, const char *value)
{
	char addr[ADDRESS_MAX];
	const char *why;

	if ((why = address_parse_mailbox(value, addr, sizeof(addr))) != NULL)
		return bad(p, "not a mail address: %s", why);
	return set_string(p, dst, addr, false);
}

static int
set_socket(struct parser *p, char **dst, const char *value)
{
	const char *at;
	char *end;
	long port;

	if (strncmp(value, "unix:", 5) == 0 || strncmp(value, "local:", 6) == 0) {
		if (value[strcspn(value, ":") + 1] != '/')
			return bad(p, "socket path must be absolute");
		return set_string(p, dst, value, false);
	}
	if (strncmp(value, "inet:", 5) == 0 || strncmp(value, "inet6:", 6) == 0) {
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
set_networks(struct parser *p, struct cidr *nets, size_t *n,
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
set_integer(struct parser *p, const char *key, long *dst, const char *value,
    long min, long max)
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
set_bool(struct parser *p, bool *dst, const char *value)
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
set_template(struct parser *p, struct config *c, const char *value)
{
	char why[256];
	struct template *t;

	if ((t = template_parse(value, why, sizeof(why))) == NULL)
		return bad(p, "%s", why);
	template_free(t);
	return set_string(p, &c->template, value, false);
}

static int
set_key(struct parser *p, struct config *c, const char *key,
    const char *value)
{
	if (strcmp(key, "database") == 0)
		return set_string(p, &c->database, value, false);
	if (strcmp(key, "domain") == 0) {
		free_list(c->domains, &c->ndomains);
		return set_list(p, c->domains, &c->ndomains, value,
		    domain_ok, "domain");
	}
	if (strcmp(key, "owner") == 0)
		return set_mailbox(p, &c->owner, value);
	if (strcmp(key, "full_name") == 0)
		return set_string(p, &c->full_name, value, true);
	if (strcmp(key, "template") == 0)
		return set_template(p, c, value);
	if (strcmp(key, "bounce_address") == 0)
		return set_mailbox(p, &c->bounce_address, value);
	if (strcmp(key, "socket") == 0)
		return set_socket(p, &c->socket, value);
	if (strcmp(key, "user") == 0)
		return set_string(p, &c->user, value, false);
	if (strcmp(key, "trusted_networks") == 0)
		return set_networks(p, c->trusted, &c->ntrusted, value);
	if (strcmp(key, "harvest_limit") == 0) {
		long v;

		if (set_integer(p, key, &v, value, 0, 1000000) == -1)
			return -1;
		c->harvest_limit = (unsigned int)v;
		return 0;
	}
	if (strcmp(key, "harvest_window") == 0)
		return set_integer(p, key, &c->harvest_window, value, 1,
		    604800);
	if (strcmp(key, "harvest_exempt") == 0)
		return set_networks(p, c->harvest_exempt, &c->nharvest_exempt,
		    value);
	if (strcmp(key, "outbound_daemon_name") == 0)
		return set_string(p, &c->outbound_daemon_name, value, true);
	if (strcmp(key, "passthrough") == 0) {
		free_list(c->passthrough, &c->npassthrough);
		return set_list(p, c->passthrough, &c->npassthrough, value,
		    local_ok, "local part");
	}
	if (strcmp(key, "on_error") == 0) {
		if (strcmp(value, "tempfail") == 0)
			c->on_error = ON_ERROR_TEMPFAIL;
		else if (strcmp(value, "accept") == 0)
			c->on_error = ON_ERROR_ACCEPT;
		else
			return bad(p, "on_error must be tempfail or accept");
		return 0;
	}
	if (strcmp(key, "on_leak") == 0) {
		if (strcmp(value, "tempfail") == 0)
			c->on_leak_send = false;
		else if (strcmp(value, "send") == 0)
			c->on_leak_send = true;
		else
			return bad(p, "on_leak must be tempfail or send");
		return 0;
	}
	if (strcmp(key, "sendmail_program") == 0)
		return set_string(p, &c->sendmail_program, value, false);
	if (strcmp(key, "auto_create") == 0)
		return set_bool(p, &c->auto_create, value);
	return bad(p, "unknown key \"%s\"", key);
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
 * not silently ignored. */
static int
parse_line(struct parser *p, struct config *c, char *line,
    char seen[][SEEN_KEY_MAX], size_t *nseen)
{
	char *eq, *key, *value, *hash;

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
	for (size_t i = 0; i < *nseen; i++)
		if (strcmp(seen[i], key) == 0)
			return bad(p, "\"%s\" is set twice", key);
	if (set_key(p, c, key, value) == -1)
		return -1;
	if (*nseen < SEEN_MAX && strlen(key) < SEEN_KEY_MAX)
		snprintf(seen[(*nseen)++], SEEN_KEY_MAX, "%s", key);
	return 0;
}

static int
parse_file(FILE *fp, struct parser *p, struct config *c)
{
	char line[LINE_MAX_LEN];
	char seen[SEEN_MAX][SEEN_KEY_MAX];
	size_t nseen = 0;
	int rc = 0;

	while (fgets(line, sizeof(line), fp) != NULL) {
		p->line++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			rc = bad(p, "line too long");
			break;
		}
		if ((rc = parse_line(p, c, line, seen, &nseen)) == -1)
			break;
	}
	if (rc == 0 && ferror(fp))
		rc = bad(p, "read error: %s", strerror(errno));
	return rc;
}

static int
set_defaults(struct config *c)
{
	struct parser p = { .file = "defaults", .err = NULL };
	char err[256];

	p.err = err;
	p.errlen = sizeof(err);
	/* NULL without a home to put it in: the file must then name one,
	 * which the front ends check (not an out-of-memory error). */
	c->database = config_default_database();
	c->template = strdup(TEMPLATE_DEFAULT);
	c->socket = strdup("unix:/run/aliasd/aliasd.sock");
	c->user = strdup("aliasd");
	c->outbound_daemon_name = strdup("ORIGINATING");
	c->sendmail_program = strdup("/usr/sbin/sendmail");
	c->on_error = ON_ERROR_TEMPFAIL;
	if (c->template == NULL || c->socket == NULL ||
	    c->user == NULL || c->outbound_daemon_name == NULL ||
	    c->sendmail_program == NULL)
		return -1;
	c->harvest_limit = 10;
	c->harvest_window = 3600;
	if (set_networks(&p, c->trusted, &c->ntrusted, "127.0.0.0/8, ::1") ==
	    -1)
		return -1;
	return set_list(&p, c->passthrough, &c->npassthrough,
	    "postmaster, abuse", local_ok, "local part");
}

struct config *
config_load(const char *path, bool must_exist, char *err, size_t errlen)
{
	struct parser p = { .file = path, .line = 0, .err = err,
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
config_is_harvest_exempt(const struct config *c, int family,
    const void *addr)
{
	for (size_t i = 0; i < c->nharvest_exempt; i++)
		if (cidr_match(&c->harvest_exempt[i], family, addr))
			return true;
	return false;
}
