#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * test_config.c: the configuration file, where it is found, and the
 * trusted networks.  Files are written to $TMPDIR (or /tmp) and removed.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cidr.h"
#include "common/config.h"
#include "common/template.h"

/* Where the current test's file lives; removed by teardown. */
static char conf_path[4096];

static int
teardown_file(void **state)
{
	(void)state;
	if (conf_path[0] != '\0')
		unlink(conf_path);
	conf_path[0] = '\0';
	return 0;
}

/* Write text to a fresh temporary file; its name is in conf_path. */
static const char *
write_conf(const char *text)
{
	const char *dir = getenv("TMPDIR");
	FILE *fp;
	int fd;

	teardown_file(NULL);
	snprintf(conf_path, sizeof(conf_path), "%s/aliasd-conf-XXXXXX",
	    dir != NULL && dir[0] != '\0' ? dir : "/tmp");
	assert_int_not_equal(fd = mkstemp(conf_path), -1);
	assert_non_null(fp = fdopen(fd, "w"));
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return conf_path;
}

static struct config *
load_ok(const char *text)
{
	char err[512] = "";
	struct config *c = config_load(write_conf(text), true, err,
	    sizeof(err));

	if (c == NULL)
		fail_msg("config rejected: %s", err);
	return c;
}

/* The text must be refused with "FILE:LINE: ..." containing want. */
static void
load_bad(const char *text, int line, const char *want)
{
	char err[512] = "", prefix[4200];
	struct config *c = config_load(write_conf(text), true, err,
	    sizeof(err));

	if (c != NULL) {
		config_free(c);
		fail_msg("config accepted: %s", text);
	}
	snprintf(prefix, sizeof(prefix), "%s:%d: ", conf_path, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err,
		    prefix);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	assert_null(strchr(err, '\n'));
}

static void
check_defaults(const struct config *c)
{
	assert_non_null(c->database);
	assert_string_equal(c->template, TEMPLATE_DEFAULT);
	assert_string_equal(c->socket, "unix:/run/aliasd/aliasd.sock");
	assert_string_equal(c->user, "aliasd");
	assert_string_equal(c->outbound_daemon_name, "ORIGINATING");
	assert_string_equal(c->sendmail_program, "/usr/sbin/sendmail");
	assert_int_equal(c->on_error, ON_ERROR_TEMPFAIL);
	assert_false(c->auto_create);
	assert_false(c->on_leak_send);
	assert_int_equal(c->harvest_limit, 10);
	assert_int_equal(c->harvest_window, 3600);
	assert_int_equal(c->nharvest_exempt, 0);
	assert_int_equal(c->ndomains, 0);
	assert_null(c->owner);
	assert_null(c->full_name);
	assert_null(c->bounce_address);
	assert_int_equal(c->npassthrough, 2);
	assert_string_equal(c->passthrough[0], "postmaster");
	assert_string_equal(c->passthrough[1], "abuse");
	assert_int_equal(c->ntrusted, 2);
}

static void
test_defaults_no_file(void **state)
{
	char err[256] = "";
	struct config *c;

	(void)state;
	assert_non_null(c = config_load(NULL, false, err, sizeof(err)));
	assert_null(c->path);
	check_defaults(c);
	config_free(c);
	/* NULL path with must_exist: still just the defaults. */
	assert_non_null(c = config_load(NULL, true, err, sizeof(err)));
	config_free(c);
}

static void
test_missing_file(void **state)
{
	char err[512] = "", path[4200];
	struct config *c;

	(void)state;
	write_conf("");
	snprintf(path, sizeof(path), "%s.missing", conf_path);
	assert_non_null(c = config_load(path, false, err, sizeof(err)));
	assert_null(c->path);
	check_defaults(c);
	config_free(c);
	assert_null(config_load(path, true, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));
}

static void
test_directory_is_error(void **state)
{
	char err[512] = "";

	(void)state;
	/* A directory is no configuration, even when none is required. */
	assert_null(config_load("/", false, err, sizeof(err)));
	assert_non_null(strstr(err, "/"));
}

static void
test_every_key(void **state)
{
	struct config *c;
	uint8_t a4[4], a6[16];

	(void)state;
	c = load_ok(
	    "# a full configuration\n"
	    "database = /srv/aliasd/a.db\n"
	    "domain = Example.COM, example.net\texample.org\n"
	    "owner = <Me@Real.Example>\n"
	    "full_name = Jane Q. Public\n"
	    "template = x-%05n-%3r\n"
	    "bounce_address = bounces@example.com\n"
	    "socket = inet:8891@127.0.0.1\n"
	    "user = milter\n"
	    "trusted_networks = 10.0.0.0/8, 192.168.1.5 2001:db8::/32\n"
	    "outbound_daemon_name = MSA\n"
	    "passthrough = Postmaster, abuse, hostmaster\n"
	    "on_error = accept\n"
	    "sendmail_program = /usr/lib/sendmail\n"
	    "auto_create = yes\n");
	assert_string_equal(c->path, conf_path);
	assert_string_equal(c->database, "/srv/aliasd/a.db");
	assert_int_equal(c->ndomains, 3);
	assert_string_equal(c->domains[0], "example.com");
	assert_string_equal(c->domains[1], "example.net");
	assert_string_equal(c->domains[2], "example.org");
	assert_string_equal(c->owner, "me@real.example");
	assert_string_equal(c->full_name, "Jane Q. Public");
	assert_string_equal(c->template, "x-%05n-%3r");
	assert_string_equal(c->bounce_address, "bounces@example.com");
	assert_string_equal(c->socket, "inet:8891@127.0.0.1");
	assert_string_equal(c->user, "milter");
	assert_int_equal(c->ntrusted, 3);
	assert_string_equal(c->outbound_daemon_name, "MSA");
	assert_int_equal(c->npassthrough, 3);
	assert_string_equal(c->passthrough[0], "postmaster");
	assert_string_equal(c->passthrough[2], "hostmaster");
	assert_int_equal(c->on_error, ON_ERROR_ACCEPT);
	assert_string_equal(c->sendmail_program, "/usr/lib/sendmail");
	assert_true(c->auto_create);

	assert_true(config_is_managed_domain(c, "EXAMPLE.net"));
	assert_false(config_is_managed_domain(c, "example.co"));
	assert_true(config_is_passthrough(c, "HostMaster"));
	assert_false(config_is_passthrough(c, "webmaster"));

	inet_pton(AF_INET, "10.200.3.4", a4);
	assert_true(config_is_trusted(c, AF_INET, a4));
	inet_pton(AF_INET, "192.168.1.5", a4);
	assert_true(config_is_trusted(c, AF_INET, a4));
	inet_pton(AF_INET, "192.168.1.6", a4);
	assert_false(config_is_trusted(c, AF_INET, a4));
	/* The defaults are replaced, not added to. */
	inet_pton(AF_INET, "127.0.0.1", a4);
	assert_false(config_is_trusted(c, AF_INET, a4));
	inet_pton(AF_INET6, "2001:db8:ffff::1", a6);
	assert_true(config_is_trusted(c, AF_INET6, a6));
	inet_pton(AF_INET6, "2001:db9::1", a6);
	assert_false(config_is_trusted(c, AF_INET6, a6));
	inet_pton(AF_INET6, "::ffff:10.1.2.3", a6);
	assert_true(config_is_trusted(c, AF_INET6, a6));
	config_free(c);
}

static void
test_other_values(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("socket = unix:/var/run/a.sock\n"
		    "auto_create = no\n"
		    "on_error = tempfail\n"
		    "full_name =\n"
		    "domain =\n");
	assert_string_equal(c->socket, "unix:/var/run/a.sock");
	assert_false(c->auto_create);
	assert_int_equal(c->on_error, ON_ERROR_TEMPFAIL);
	assert_string_equal(c->full_name, "");
	assert_int_equal(c->ndomains, 0);
	config_free(c);
	c = load_ok("socket = local:/a.sock\nauto_create = true\n"
		    "passthrough =\n");
	assert_true(c->auto_create);
	assert_int_equal(c->npassthrough, 0);
	config_free(c);
	c = load_ok("socket = inet6:25\nauto_create = false\n");
	assert_false(c->auto_create);
	config_free(c);
	c = load_ok(
	    "on_leak = send\nharvest_limit = 0\n"
	    "harvest_window = 60\nharvest_exempt = 192.0.2.0/24, 2001:db8::/32\n");
	assert_true(c->on_leak_send);
	assert_int_equal(c->harvest_limit, 0);
	assert_int_equal(c->harvest_window, 60);
	assert_int_equal(c->nharvest_exempt, 2);
	config_free(c);
	c = load_ok("on_leak = tempfail\n");
	assert_false(c->on_leak_send);
	config_free(c);
}

static void
test_layout(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("\n"
		    "   # indented comment\n"
		    "\t\n"
		    "  user=a  # trailing comment\n"
		    "full_name\t=\t  Joe   Bloggs  \r\n"
		    "database = /x.db"); /* no final newline */
	assert_string_equal(c->user, "a");
	assert_string_equal(c->full_name, "Joe   Bloggs");
	assert_string_equal(c->database, "/x.db");
	config_free(c);
	/* An empty file: the defaults. */
	c = load_ok("");
	check_defaults(c);
	config_free(c);
}

static void
test_unknown_key(void **state)
{
	(void)state;
	load_bad("user = a\n\n# x\ndomian = example.com\n", 4,
	    "unknown key \"domian\"");
	load_bad("Domain = example.com\n", 1, "unknown key");
	load_bad("user a\n", 1, "expected \"key = value\"");
	load_bad("= x\n", 1, "unknown key");
}

static void
test_key_twice(void **state)
{
	(void)state;
	load_bad("domain = a.org\nuser = x\ndomain = b.org\n", 3,
	    "\"domain\" is set twice");
	load_bad("user = a\n  user=a\n", 2, "set twice");
}

static void
test_bad_values(void **state)
{
	(void)state;
	load_bad("domain = example.com, -bad.org\n", 1,
	    "invalid domain \"-bad.org\"");
	load_bad("\ndomain = exa_mple.com\n", 2, "invalid domain");
	load_bad("owner = me\n", 1, "not a mail address");
	load_bad("owner = @example.com\n", 1, "not a mail address");
	load_bad("owner =\n", 1, "not a mail address");
	load_bad("bounce_address = a b@c\n", 1, "not a mail address");
	load_bad("template = mail-%04n\n", 1, "no random part");
	load_bad("template = mail-%x-%2r\n", 1, "unknown conversion");
	load_bad("socket = /run/a.sock\n", 1, "unix:/path or inet:PORT@HOST");
	load_bad("socket = unix:relative.sock\n", 1, "absolute");
	load_bad("socket = inet:0@localhost\n", 1, "inet:PORT@HOST");
	load_bad("socket = inet:65536@localhost\n", 1, "inet:PORT@HOST");
	load_bad("socket = inet:25x\n", 1, "inet:PORT@HOST");
	load_bad("socket = inet:@localhost\n", 1, "inet:PORT@HOST");
	load_bad("trusted_networks = 10.0.0.0/33\n", 1,
	    "invalid network \"10.0.0.0/33\"");
	load_bad("trusted_networks = 127.0.0.1, localhost\n", 1,
	    "invalid network \"localhost\"");
	load_bad("on_error = reject\n", 1, "tempfail or accept");
	load_bad("on_error =\n", 1, "tempfail or accept");
	load_bad("on_leak = reject\n", 1, "tempfail or send");
	load_bad("harvest_limit = -1\n", 1, "harvest_limit");
	load_bad("harvest_window = 0\n", 1, "harvest_window");
	load_bad("harvest_exempt = 10.0.0.0/33\n", 1, "invalid network");
	load_bad("auto_create = maybe\n", 1, "yes or no");
	load_bad("auto_create = YES\n", 1, "yes or no");
	load_bad("passthrough = postmaster, b(ad\n", 1,
	    "invalid local part \"b(ad\"");
	load_bad("passthrough = a..b\n", 1, "invalid local part \"a..b\"");
	load_bad("database =\n", 1, "empty value");
	load_bad("user = \n", 1, "empty value");
	load_bad("sendmail_program = /bin/x\x01y\n", 1, "control character");
}

static void
test_line_too_long(void **state)
{
	char *text = malloc(5000);

	(void)state;
	assert_non_null(text);
	memcpy(text, "full_name = ", 12);
	memset(text + 12, 'a', 5000 - 12 - 2);
	text[4998] = '\n';
	text[4999] = '\0';
	load_bad(text, 1, "line too long");
	free(text);
}

static void
test_list_limit(void **state)
{
	char text[2048];
	size_t used;

	(void)state;
	used = (size_t)snprintf(text, sizeof(text), "domain = ");
	for (int i = 0; i < 33; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "d%d.org, ", i);
	snprintf(text + used, sizeof(text) - used, "\n");
	load_bad(text, 1, "more than 32");
}

/* The key table: plain unique names, a line of documentation, and a
 * default or an example (never both) that its own setter accepts. */
static void
test_key_table(void **state)
{
	char text[512];

	(void)state;
	assert_true(config_nkeys > 0);
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		const char *v = k->def != NULL ? k->def : k->example;
		struct config *c;

		assert_non_null(k->name);
		assert_non_null(k->set);
		assert_int_equal(strspn(k->name,
				     "abcdefghijklmnopqrstuvwxyz_"),
		    strlen(k->name));
		if (k->doc == NULL || k->doc[0] == '\0' ||
		    k->doc[strlen(k->doc) - 1] != '.')
			fail_msg("%s: the documentation is not a sentence",
			    k->name);
		if ((k->def == NULL) == (k->example == NULL))
			fail_msg("%s: needs a default or an example, not both",
			    k->name);
		assert_ptr_equal(config_key_find(k->name), k);
		snprintf(text, sizeof(text), "%s = %s\n", k->name, v);
		c = load_ok(text);
		config_free(c);
	}
	assert_null(config_key_find("no_such_key"));
	assert_null(config_key_find(""));
}

/* A document's name for its key list, and the list's tally. */
struct doc_keys {
	const char *file;
	size_t count[64];
};

/* Count key in d; a key the table lacks fails the test. */
static const struct config_key *
doc_key(struct doc_keys *d, const char *key, size_t len, int line)
{
	char name[64];
	const struct config_key *k;

	snprintf(name, sizeof(name), "%.*s", (int)len, key);
	if ((k = config_key_find(name)) == NULL)
		fail_msg("%s:%d: \"%s\" is not a key of config_keys", d->file,
		    line, name);
	d->count[k - config_keys]++;
	return k;
}

/* Every key of the table, each exactly once. */
static void
doc_complete(const struct doc_keys *d)
{
	for (size_t i = 0; i < config_nkeys; i++)
		if (d->count[i] != 1)
			fail_msg("%s names %s %zu times, not once", d->file,
			    config_keys[i].name, d->count[i]);
}

static FILE *
open_doc(const char *name, char *path, size_t len)
{
	const char *top = getenv("ALIASD_TOP");
	FILE *fp;

	if (top == NULL || top[0] == '\0')
		fail_msg(
		    "ALIASD_TOP is not set: run this test through "
		    "tests/run.sh (make check), or set it to the source tree");
	snprintf(path, len, "%s/doc/%s", top, name);
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	return fp;
}

/* doc/aliasd.conf.sample sets or shows ("key = value", "#key = value")
 * every key once, and a commented-out line shows the table's default. */
static void
test_key_sample(void **state)
{
	char path[4096], line[1024];
	struct doc_keys d = { .file = path };
	FILE *fp;
	int n = 0;

	(void)state;
	assert_true(config_nkeys <= sizeof(d.count) / sizeof(d.count[0]));
	fp = open_doc("aliasd.conf.sample", path, sizeof(path));
	while (fgets(line, sizeof(line), fp) != NULL) {
		const struct config_key *k;
		char *s = line, *v, *end;
		bool commented = false;
		size_t len;

		n++;
		if (*s == '#') {
			commented = true;
			s++;
		}
		len = strspn(s, "abcdefghijklmnopqrstuvwxyz_");
		v = s + len + strspn(s + len, " \t");
		if (len == 0 || *v != '=')
			continue;
		k = doc_key(&d, s, len, n);
		v += 1 + strspn(v + 1, " \t");
		end = v + strcspn(v, "\n");
		*end = '\0';
		if (commented && k->def != NULL && strcmp(v, k->def) != 0)
			fail_msg(
			    "%s:%d: shows \"%s\" for %s, whose default is "
			    "\"%s\"",
			    path, n, v, k->name, k->def);
	}
	assert_int_equal(ferror(fp), 0);
	fclose(fp);
	doc_complete(&d);
}

/* aliasd.conf(5) has one ".It Ic key" entry for every key. */
static void
test_key_manual(void **state)
{
	char path[4096], line[1024];
	struct doc_keys d = { .file = path };
	FILE *fp;
	int n = 0;

	(void)state;
	fp = open_doc("aliasd.conf.5", path, sizeof(path));
	while (fgets(line, sizeof(line), fp) != NULL) {
		n++;
		if (strncmp(line, ".It Ic ", 7) == 0)
			doc_key(&d, line + 7, strcspn(line + 7, " \t\n"), n);
	}
	assert_int_equal(ferror(fp), 0);
	fclose(fp);
	doc_complete(&d);
}

static void
test_cidr_parse(void **state)
{
	struct cidr c;

	(void)state;
	assert_int_equal(cidr_parse("0.0.0.0/0", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix, 0);
	assert_int_equal(cidr_parse("10.1.2.3/8", &c), 0);
	assert_int_equal(c.prefix, 8);
	/* Host bits are cleared. */
	assert_int_equal(c.addr[0], 10);
	assert_int_equal(c.addr[1], 0);
	assert_int_equal(c.addr[3], 0);
	assert_int_equal(cidr_parse("10.1.2.3/32", &c), 0);
	assert_int_equal(c.addr[3], 3);
	assert_int_equal(cidr_parse("10.1.2.255/30", &c), 0);
	assert_int_equal(c.addr[3], 252);
	assert_int_equal(cidr_parse("192.0.2.1", &c), 0);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(cidr_parse("::1", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.prefix, 128);
	assert_int_equal(cidr_parse("::/0", &c), 0);
	assert_int_equal(cidr_parse("2001:db8::1/128", &c), 0);
	assert_int_equal(cidr_parse("2001:db8::/129", &c), -1);
	assert_int_equal(cidr_parse("10.0.0.0/33", &c), -1);
	assert_int_equal(cidr_parse("10.0.0.0/-1", &c), -1);
	assert_int_equal(cidr_parse("10.0.0.0/", &c), -1);
	assert_int_equal(cidr_parse("10.0.0.0/8x", &c), -1);
	assert_int_equal(cidr_parse("10.0.0/8", &c), -1);
	assert_int_equal(cidr_parse("10.0.0.256", &c), -1);
	assert_int_equal(cidr_parse("/8", &c), -1);
	assert_int_equal(cidr_parse("", &c), -1);
	assert_int_equal(cidr_parse("garbage", &c), -1);
	assert_int_equal(cidr_parse("::g", &c), -1);
	assert_int_equal(
	    cidr_parse(
		"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:1",
		&c),
	    -1);
}

static void
test_cidr_match(void **state)
{
	struct cidr c;
	uint8_t a4[4], a6[16];

	(void)state;
	assert_int_equal(cidr_parse("0.0.0.0/0", &c), 0);
	inet_pton(AF_INET, "203.0.113.9", a4);
	assert_true(cidr_match(&c, AF_INET, a4));
	inet_pton(AF_INET6, "2001:db8::1", a6);
	assert_false(cidr_match(&c, AF_INET6, a6));
	inet_pton(AF_INET6, "::ffff:203.0.113.9", a6);
	assert_true(cidr_match(&c, AF_INET6, a6));

	assert_int_equal(cidr_parse("203.0.113.0/25", &c), 0);
	inet_pton(AF_INET, "203.0.113.127", a4);
	assert_true(cidr_match(&c, AF_INET, a4));
	inet_pton(AF_INET, "203.0.113.128", a4);
	assert_false(cidr_match(&c, AF_INET, a4));

	assert_int_equal(cidr_parse("::/0", &c), 0);
	inet_pton(AF_INET6, "2001:db8::1", a6);
	assert_true(cidr_match(&c, AF_INET6, a6));
	inet_pton(AF_INET, "203.0.113.9", a4);
	assert_false(cidr_match(&c, AF_INET, a4));

	assert_int_equal(cidr_parse("fe80::/10", &c), 0);
	inet_pton(AF_INET6, "febf::1", a6);
	assert_true(cidr_match(&c, AF_INET6, a6));
	inet_pton(AF_INET6, "fec0::1", a6);
	assert_false(cidr_match(&c, AF_INET6, a6));
}

static void
test_trusted_defaults(void **state)
{
	char err[256];
	struct config *c = config_load(NULL, false, err, sizeof(err));
	uint8_t a4[4], a6[16];

	(void)state;
	assert_non_null(c);
	inet_pton(AF_INET, "127.3.2.1", a4);
	assert_true(config_is_trusted(c, AF_INET, a4));
	inet_pton(AF_INET, "128.0.0.1", a4);
	assert_false(config_is_trusted(c, AF_INET, a4));
	inet_pton(AF_INET6, "::1", a6);
	assert_true(config_is_trusted(c, AF_INET6, a6));
	inet_pton(AF_INET6, "::2", a6);
	assert_false(config_is_trusted(c, AF_INET6, a6));
	/* IPv4-mapped loopback is IPv4 loopback. */
	inet_pton(AF_INET6, "::ffff:127.0.0.1", a6);
	assert_true(config_is_trusted(c, AF_INET6, a6));
	inet_pton(AF_INET6, "::ffff:10.0.0.1", a6);
	assert_false(config_is_trusted(c, AF_INET6, a6));
	/* Not mapped: ::127.0.0.1 (the deprecated compatible form). */
	inet_pton(AF_INET6, "::127.0.0.1", a6);
	assert_false(config_is_trusted(c, AF_INET6, a6));
	config_free(c);
}

/* Environment the find tests change; restored by the teardown. */
static char *saved_env[4];
static const char *const env_names[4] = { "ALIASD_CONF", "XDG_CONFIG_HOME",
	"HOME", "XDG_DATA_HOME" };

static int
setup_env(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++) {
		const char *v = getenv(env_names[i]);

		saved_env[i] = v != NULL ? strdup(v) : NULL;
	}
	return 0;
}

static int
teardown_env(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++) {
		if (saved_env[i] != NULL)
			setenv(env_names[i], saved_env[i], 1);
		else
			unsetenv(env_names[i]);
		free(saved_env[i]);
		saved_env[i] = NULL;
	}
	return 0;
}

static void
expect_find(const char *option, const char *want, bool want_explicit)
{
	bool explicit = !want_explicit;
	char *path = config_find(option, &explicit);

	if (want == NULL)
		assert_null(path);
	else {
		assert_non_null(path);
		assert_string_equal(path, want);
	}
	assert_int_equal(explicit, want_explicit);
	free(path);
}

static void
test_find_explicit(void **state)
{
	(void)state;
	setenv("ALIASD_CONF", "/env/aliasd.conf", 1);
	expect_find("/opt/a.conf", "/opt/a.conf", true);
	expect_find(NULL, "/env/aliasd.conf", true);
	/* An empty $ALIASD_CONF is as good as none. */
	setenv("ALIASD_CONF", "", 1);
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	if (geteuid() == 0)
		expect_find(NULL, "/etc/aliasd.conf", false);
	else
		expect_find(NULL, "/xdg/aliasd/aliasd.conf", false);
}

static void
test_find_user(void **state)
{
	char err[256];
	struct config *c;
	char *db;

	(void)state;
	unsetenv("ALIASD_CONF");
	if (geteuid() == 0) {
		/* root always gets the system paths, whatever the env. */
		setenv("HOME", "/root-elsewhere", 1);
		expect_find(NULL, "/etc/aliasd.conf", false);
		db = config_default_database();
		assert_string_equal(db, "/var/lib/aliasd/aliases.db");
		free(db);
		return;
	}
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	setenv("XDG_DATA_HOME", "/xdgdata", 1);
	setenv("HOME", "/home/u", 1);
	expect_find(NULL, "/xdg/aliasd/aliasd.conf", false);
	db = config_default_database();
	assert_string_equal(db, "/xdgdata/aliasd/aliases.db");
	free(db);
	/* A relative XDG value is ignored, as the XDG spec says. */
	setenv("XDG_CONFIG_HOME", "relative", 1);
	expect_find(NULL, "/home/u/.config/aliasd/aliasd.conf", false);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
	expect_find(NULL, "/home/u/.config/aliasd/aliasd.conf", false);
	db = config_default_database();
	assert_string_equal(db, "/home/u/.local/share/aliasd/aliases.db");
	free(db);
	unsetenv("HOME");
	/* No home: the system's file, as for a user without one. */
	expect_find(NULL, CONFIG_SYSTEM_PATH, false);
	/* No home: still a configuration, just without a database. */
	c = config_load(NULL, false, err, sizeof(err));
	if (c == NULL)
		fail_msg("no $HOME: %s", err);
	assert_null(c->database);
	config_free(c);
}

/*
 * The rule with real files, as a user: the user's file when it exists,
 * else /etc/aliasd.conf when that exists, else the user's path (where
 * init makes one).  Returns 0, or the number of the check that failed:
 * it runs in a child that dropped root, where cmocka cannot assert.
 */
static int
find_rule_checks(const char *home)
{
	char conf[4200], dir[4096], *got;
	bool explicit, sys = access(CONFIG_SYSTEM_PATH, F_OK) == 0;
	FILE *fp;
	int rc = 0;

	unsetenv("ALIASD_CONF");
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", home, 1);
	snprintf(dir, sizeof(dir), "%s/.config/aliasd", home);
	snprintf(conf, sizeof(conf), "%s/aliasd.conf", dir);
	got = config_find(NULL, &explicit);
	if (got == NULL || explicit ||
	    strcmp(got, sys ? CONFIG_SYSTEM_PATH : conf) != 0)
		rc = 1;
	free(got);
	if (rc != 0)
		return rc;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return 2;
	if ((fp = fopen(conf, "w")) == NULL)
		return 3;
	fputs("domain = example.com\n", fp);
	fclose(fp);
	got = config_find(NULL, &explicit);
	if (got == NULL || explicit || strcmp(got, conf) != 0)
		rc = 4;
	free(got);
	/* An empty $ALIASD_CONF is none; a set one wins. */
	setenv("ALIASD_CONF", "", 1);
	got = config_find(NULL, &explicit);
	if (rc == 0 && (got == NULL || strcmp(got, conf) != 0))
		rc = 5;
	free(got);
	setenv("ALIASD_CONF", "/elsewhere.conf", 1);
	got = config_find(NULL, &explicit);
	if (rc == 0 &&
	    (got == NULL || !explicit || strcmp(got, "/elsewhere.conf") != 0))
		rc = 6;
	free(got);
	unlink(conf);
	rmdir(dir);
	/* No home at all: the system's file. */
	unsetenv("ALIASD_CONF");
	unsetenv("HOME");
	got = config_find(NULL, &explicit);
	if (rc == 0 && (got == NULL || strcmp(got, CONFIG_SYSTEM_PATH) != 0))
		rc = 7;
	free(got);
	return rc;
}

static void
test_find_rule_as_user(void **state)
{
	char home[] = "/tmp/aliasd-find.XXXXXX", dot[64];
	int status, rc;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(home));
	snprintf(dot, sizeof(dot), "%s/.config", home);
	if (geteuid() != 0) {
		assert_int_equal(mkdir(dot, 0700), 0);
		rc = find_rule_checks(home);
	} else {
		/* As nobody, in a home nobody owns. */
		assert_int_equal(mkdir(dot, 0700), 0);
		assert_int_equal(chown(home, 65534, 65534), 0);
		assert_int_equal(chown(dot, 65534, 65534), 0);
		if ((pid = fork()) == 0) {
			if (setgid(65534) == -1 || setuid(65534) == -1)
				_exit(99);
			_exit(find_rule_checks(home));
		}
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		rc = WEXITSTATUS(status);
	}
	rmdir(dot);
	rmdir(home);
	assert_int_equal(rc, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_defaults_no_file,
		    teardown_file),
		cmocka_unit_test_teardown(test_missing_file, teardown_file),
		cmocka_unit_test_teardown(test_directory_is_error,
		    teardown_file),
		cmocka_unit_test_teardown(test_every_key, teardown_file),
		cmocka_unit_test_teardown(test_other_values, teardown_file),
		cmocka_unit_test_teardown(test_layout, teardown_file),
		cmocka_unit_test_teardown(test_unknown_key, teardown_file),
		cmocka_unit_test_teardown(test_key_twice, teardown_file),
		cmocka_unit_test_teardown(test_bad_values, teardown_file),
		cmocka_unit_test_teardown(test_line_too_long, teardown_file),
		cmocka_unit_test_teardown(test_list_limit, teardown_file),
		cmocka_unit_test_teardown(test_key_table, teardown_file),
		cmocka_unit_test(test_key_sample),
		cmocka_unit_test(test_key_manual),
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_cidr_match),
		cmocka_unit_test(test_trusted_defaults),
		cmocka_unit_test_setup_teardown(test_find_explicit, setup_env,
		    teardown_env),
		cmocka_unit_test_setup_teardown(test_find_user, setup_env,
		    teardown_env),
		cmocka_unit_test_setup_teardown(test_find_rule_as_user,
		    setup_env, teardown_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
