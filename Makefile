# aliasd: one GNU Makefile for the store, the rewriters, the milter, the
# command-line tool and the tests.  `make` and `make install` only check
# that the build packages are here; `make check` and `make demo` install,
# as root, what the tests need, never removing a package; `make deps`
# installs everything a developer needs (see tools/deps.sh).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/aliasd
DATADIR ?= $(PREFIX)/share/aliasd
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2
CPPFLAGS_ALL = -std=c11 -D_GNU_SOURCE -I. $(CPPFLAGS)

# The sanitizer build lives in its own tree so the two never mix.
ifeq ($(SAN),1)
B = build-san
CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
B = build
endif

# The base's own: registered domains (common/regdom.c), with IDNA.
PKGS_BASE = libpsl libidn2
PKGS_STORE = sqlite3 libpq libsodium
PKGS_MIME = gmime-3.0
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS_BASE) $(PKGS_STORE) $(PKGS_MIME) 2>/dev/null)
LIBS_BASE = $(shell $(PKG_CONFIG) --libs $(PKGS_BASE) 2>/dev/null)
# libpq's header only: db/libpq.c loads the library when a PostgreSQL
# store is opened, so that nothing else pays for starting it.
LIBS_STORE = $(shell $(PKG_CONFIG) --libs $(filter-out libpq,$(PKGS_STORE)) \
	2>/dev/null) -ldl
LIBS_MIME = $(shell $(PKG_CONFIG) --libs $(PKGS_MIME) 2>/dev/null)
LIBS_CMOCKA = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

COMMON_SRC = common/config.c common/cidr.c common/diag.c common/regdom.c
PURE_SRC = common/address.c common/template.c
STORE_SRC = db/store.c db/schema.c db/lookup.c db/update.c db/rules.c \
	db/allow.c db/sighting.c db/copy.c $(SQL_SRC)
# The SQL driver: one interface, SQLite and PostgreSQL (libpq) below it.
SQL_SRC = db/sql.c db/sql_sqlite.c db/sql_pg.c db/libpq.c
# The decision at RCPT: the store's rules judged for one recipient.
GATE_SRC = db/gate.c
POLICY_SRC = rewriter/policy.c
# The policy's view of the store: the rewriter adapts the store's rows.
SOURCE_SRC = rewriter/store_source.c
MIME_SRC = rewriter/header.c rewriter/hdrlist.c rewriter/mailbox.c \
	rewriter/addrfield.c rewriter/leak.c rewriter/recipients.c
PLAN_SRC = rewriter/plan.c $(MIME_SRC)
SMTP_SRC = common/smtpaddr.c
ALIASD_SRC = aliasd/main.c aliasd/milter.c aliasd/negotiate.c \
	aliasd/message.c aliasd/inbound.c aliasd/outbound.c aliasd/pool.c \
	aliasd/counter.c aliasd/snapshot.c aliasd/privs.c aliasd/harvest.c \
	aliasd/parent.c aliasd/judge.c aliasd/answer.c aliasd/fastpath.c \
	aliasd/policy_proto.c aliasd/netstring.c common/log.c
CLI_SRC = cli/aliasctl.c cli/context.c cli/output.c cli/when.c \
	cli/cmd_init.c cli/cmd_new.c cli/cmd_state.c cli/cmd_list.c \
	cli/cmd_show.c cli/cmd_for.c cli/cmd_default.c cli/cmd_export.c \
	cli/cmd_import.c cli/maps.c cli/cmd_mutt.c cli/muttquote.c \
	cli/cmd_rewrite.c cli/cmd_check.c \
	cli/rules.c cli/allow.c cli/cmd_set.c cli/cmd_replace.c cli/cmd_leaks.c \
	cli/cmd_copy_store.c

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

CORE_OBJ = $(call obj,$(COMMON_SRC) $(PURE_SRC) $(STORE_SRC) $(POLICY_SRC) \
	$(SOURCE_SRC) $(GATE_SRC) $(SMTP_SRC))
CLI_OBJ = $(call obj,$(CLI_SRC))
ALIASD_OBJ = $(call obj,$(ALIASD_SRC) $(PLAN_SRC))

SENDMAIL_SRC = sendmail/alias_sendmail.c sendmail/sendmail_args.c \
	rewriter/message_io.c
SENDMAIL_OBJ = $(call obj,$(SENDMAIL_SRC) $(PLAN_SRC))

PROGRAMS = $(B)/aliasctl $(B)/aliasd $(B)/alias-sendmail

UNIT_TESTS = $(B)/tests/test_address $(B)/tests/test_template \
	$(B)/tests/test_config $(B)/tests/test_store $(B)/tests/test_rules \
	$(B)/tests/test_policy \
	$(B)/tests/test_maps $(B)/tests/test_when $(B)/tests/test_muttquote \
	$(B)/tests/test_header \
	$(B)/tests/test_smtpaddr $(B)/tests/test_sendmail_args \
	$(B)/tests/test_harvest $(B)/tests/test_regdom $(B)/tests/test_allow \
	$(B)/tests/test_plan \
	$(B)/tests/test_policy_proto $(B)/tests/test_netstring \
	$(B)/tests/test_sql

.PHONY: all deps deps-test check clean install uninstall demo bench deb
all: $(PROGRAMS)

# Before anything is compiled, make and make install check (never
# install) the build packages: a missing one stops the build with the one
# apt-get line to run.  A parse-time check, so no -j can start a compiler
# first.
ifneq ($(filter all install,$(or $(MAKECMDGOALS),all)),)
DEPS_MISSING := $(shell CC='$(firstword $(CC))' PKG_CONFIG='$(PKG_CONFIG)' \
	sh tools/deps.sh build 2>&1)
ifneq ($(DEPS_MISSING),)
$(error $(DEPS_MISSING))
endif
endif

# make deps: everything a developer needs (build, test, lint); deps-test:
# what make check and make demo need.  As root they install the missing
# packages with apt-get --no-remove; otherwise they print the line to run.
deps:
	@sh tools/deps.sh all

deps-test:
	@sh tools/deps.sh test

$(B)/obj/%.o: %.c | $(B)/layers.ok
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(WARNINGS) $(CFLAGS) -MMD -MP \
		-c -o $@ $<

# Arrows point down only (SPEC, Parts): before anything is compiled,
# tools/layers.sh checks every include of the parts against the layering
# (and libmilter only in aliasd/, GMime only in the rewriter, SQLite only
# in the store), so a wrong arrow stops the build.
LAYERED = $(wildcard common/*.[ch] db/*.[ch] rewriter/*.[ch] aliasd/*.[ch] \
	cli/*.[ch] sendmail/*.[ch])
$(B)/layers.ok: tools/layers.sh $(LAYERED)
	@mkdir -p $(dir $@)
	@sh tools/layers.sh
	@touch $@

# The base and the store know no
# GMime, so their objects are compiled without its include paths and an
# include of the rewriter's headers there fails to compile.
PKG_CFLAGS_STORE = $(shell $(PKG_CONFIG) --cflags $(PKGS_BASE) $(PKGS_STORE) 2>/dev/null)
$(B)/obj/common/%.o $(B)/obj/db/%.o: PKG_CFLAGS = $(PKG_CFLAGS_STORE)

$(B)/aliasctl: $(CLI_OBJ) $(call obj,$(PLAN_SRC) rewriter/message_io.c) \
		$(CORE_OBJ)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIBS_BASE) $(LIBS_STORE) $(LIBS_MIME)

$(B)/alias-sendmail: $(SENDMAIL_OBJ) $(CORE_OBJ)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIBS_BASE) $(LIBS_STORE) $(LIBS_MIME)

$(B)/aliasd: $(ALIASD_OBJ) $(CORE_OBJ)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIBS_BASE) $(LIBS_STORE) $(LIBS_MIME) -lmilter

# Unit tests link only what they test.
$(B)/tests/test_address: $(call obj,tests/unit/test_address.c common/address.c)
$(B)/tests/test_template: $(call obj,tests/unit/test_template.c common/template.c common/address.c)
$(B)/tests/test_config: $(call obj,tests/unit/test_config.c $(COMMON_SRC) $(PURE_SRC))
$(B)/tests/test_store: $(call obj,tests/unit/test_store.c $(STORE_SRC) $(PURE_SRC))
$(B)/tests/test_rules: $(call obj,tests/unit/test_rules.c $(STORE_SRC) $(PURE_SRC))
$(B)/tests/test_policy: $(call obj,tests/unit/test_policy.c $(POLICY_SRC) $(PURE_SRC))
$(B)/tests/test_plan: $(call obj,tests/unit/test_plan.c $(PLAN_SRC) $(POLICY_SRC) $(PURE_SRC))
$(B)/tests/test_maps: $(call obj,tests/unit/test_maps.c cli/maps.c $(PURE_SRC))
$(B)/tests/test_when: $(call obj,tests/unit/test_when.c cli/when.c)
$(B)/tests/test_muttquote: $(call obj,tests/unit/test_muttquote.c cli/muttquote.c)
$(B)/tests/test_sendmail_args: $(call obj,tests/unit/test_sendmail_args.c sendmail/sendmail_args.c)
$(B)/tests/test_header: $(call obj,tests/unit/test_header.c $(MIME_SRC))
$(B)/tests/test_smtpaddr: $(call obj,tests/unit/test_smtpaddr.c $(SMTP_SRC) common/address.c)
$(B)/tests/test_harvest: $(call obj,tests/unit/test_harvest.c aliasd/harvest.c)
$(B)/tests/test_regdom: $(call obj,tests/unit/test_regdom.c common/regdom.c common/address.c)
$(B)/tests/test_allow: $(call obj,tests/unit/test_allow.c cli/allow.c common/regdom.c common/address.c)
$(B)/tests/test_policy_proto: $(call obj,tests/unit/test_policy_proto.c aliasd/policy_proto.c)
$(B)/tests/test_netstring: $(call obj,tests/unit/test_netstring.c aliasd/netstring.c)
$(B)/tests/test_sql: $(call obj,tests/unit/test_sql.c db/sql.c)
$(UNIT_TESTS):
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIBS_BASE) $(LIBS_STORE) $(LIBS_MIME) $(LIBS_CMOCKA)

# The MTA side of the milter protocol, for tests/milter (no MTA needed).
$(B)/tests/milterclient: tests/milter/milterclient.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(WARNINGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

# A proxy that loses the answer to a COMMIT, for
# tests/integration/pg_commit_doubt.sh.
$(B)/tests/cutproxy: tests/integration/cutproxy.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(WARNINGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

# The packages first, then the build, one after the other: a parallel
# make must never compile while apt-get installs a library.
check: deps-test
	@$(MAKE) --no-print-directory all $(UNIT_TESTS) $(B)/tests/milterclient \
		$(B)/tests/cutproxy
	@B=$(B) SAN=$(SAN) bash tests/run.sh $(UNIT_TESTS)

# What make install puts where; make uninstall removes exactly these
# files, then the directories that are aliasd's own if they are empty.
MAN1 = doc/aliasctl.1 doc/alias-sendmail.1
MAN5 = doc/aliasd.conf.5
MAN8 = doc/aliasd.8
DOCS = contrib/mutt/muttrc.aliasd doc/aliasd.conf.sample doc/postfix.md \
	doc/sendmail.md doc/postgresql.md
INSTALLED = $(BINDIR)/aliasctl $(BINDIR)/alias-sendmail $(SBINDIR)/aliasd \
	$(addprefix $(MANDIR)/man1/,$(notdir $(MAN1))) \
	$(addprefix $(MANDIR)/man5/,$(notdir $(MAN5))) \
	$(addprefix $(MANDIR)/man8/,$(notdir $(MAN8))) \
	$(addprefix $(DOCDIR)/,$(notdir $(DOCS))) \
	$(DATADIR)/emacs/aliasd.el $(SYSTEMDDIR)/aliasd.service

install: $(PROGRAMS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(DATADIR)/emacs
	install -m 0644 contrib/emacs/aliasd.el $(DESTDIR)$(DATADIR)/emacs/
	install -m 0755 $(B)/aliasctl $(DESTDIR)$(BINDIR)/aliasctl
	install -m 0755 $(B)/aliasd $(DESTDIR)$(SBINDIR)/aliasd
	install -m 0755 $(B)/alias-sendmail $(DESTDIR)$(BINDIR)/alias-sendmail
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	sed 's|/usr/sbin/aliasd|$(SBINDIR)/aliasd|' \
		contrib/systemd/aliasd.service \
		>$(DESTDIR)$(SYSTEMDDIR)/aliasd.service

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(DOCDIR) $(DESTDIR)$(DATADIR)/emacs \
		$(DESTDIR)$(DATADIR) 2>/dev/null || true

# make deb (tools/deb.sh): the Debian package, built by dpkg-buildpackage
# in a copy of the tree under $(B)/deb, so that neither the work tree nor
# another build directory is touched; the .deb is left in $(B)/.
deb:
	@B=$(B) sh tools/deb.sh

demo: deps-test
	@$(MAKE) --no-print-directory all
	@m=$$(sh tools/deps.sh mta); if [ -n "$$m" ]; then \
		echo "make demo needs Postfix, which cannot be installed beside $$m" >&2; \
		exit 1; fi
	@bash tools/demo.sh

# make bench (bench/run.sh): speed against Postfix's own map and a null
# milter, written to bench/results.md; QUICK=1 for a short run.  Never
# part of check.
BENCH_PROGRAMS = $(B)/bench/nullmilter $(B)/bench/milterbench \
	$(B)/bench/spawntime $(B)/bench/nullpolicy $(B)/bench/nullmap

# The null milter negotiates with aliasd's own code, so that the two
# always ask the MTA for the same steps and macros.
$(B)/bench/nullmilter: bench/nullmilter.c \
		$(call obj,aliasd/negotiate.c common/log.c)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(WARNINGS) $(CFLAGS) $(LDFLAGS) -pthread \
		-o $@ $^ -lmilter

# The fast path's floors read requests with aliasd's own parsers, on a
# server loop of aliasd's shape (bench/nullserve.c).
$(B)/bench/nullpolicy: bench/nullpolicy.c bench/nullserve.c \
		$(call obj,aliasd/policy_proto.c)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(WARNINGS) $(CFLAGS) $(LDFLAGS) -pthread \
		-o $@ $^

$(B)/bench/nullmap: bench/nullmap.c bench/nullserve.c \
		$(call obj,aliasd/netstring.c)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(WARNINGS) $(CFLAGS) $(LDFLAGS) -pthread \
		-o $@ $^

$(B)/bench/milterbench: bench/milterbench.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(WARNINGS) $(CFLAGS) $(LDFLAGS) -pthread \
		-o $@ $<

$(B)/bench/spawntime: bench/spawntime.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(WARNINGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

bench: deps-test
	@$(MAKE) --no-print-directory all $(BENCH_PROGRAMS)
	@B=$(B) QUICK=$(QUICK) bash bench/run.sh

# Fuzzing (libFuzzer, clang only): the harnesses of tests/fuzz/ with their
# own objects in build-fuzz/, never mixed with gcc's.  make fuzz runs each
# for FUZZ_SECONDS on a copy of its corpus; the short run of make check is
# tests/integration/fuzz_short.sh.  Figures go to build-fuzz/fuzz-stats.txt.
FUZZ_CC = clang
FUZZ_B = build-fuzz
FUZZ_SECONDS ?= 300
FUZZ_JOBS ?= 2
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_LDFLAGS = -fsanitize=fuzzer,address,undefined
FUZZ_TARGETS = header smtpaddr config virtusertable sendmail_args regdom \
	allow policy socketmap
FUZZ_BINS = $(patsubst %,$(FUZZ_B)/fuzz_%,$(FUZZ_TARGETS))
fuzz_obj = $(patsubst %.c,$(FUZZ_B)/obj/%.o,$(1))

$(FUZZ_B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(WARNINGS) $(FUZZ_CFLAGS) \
		-MMD -MP -c -o $@ $<
$(FUZZ_B)/obj/common/%.o $(FUZZ_B)/obj/db/%.o: PKG_CFLAGS = $(PKG_CFLAGS_STORE)

$(FUZZ_B)/fuzz_header: $(call fuzz_obj,tests/fuzz/fuzz_header.c \
	$(PLAN_SRC) $(POLICY_SRC) common/address.c)
$(FUZZ_B)/fuzz_smtpaddr: $(call fuzz_obj,tests/fuzz/fuzz_smtpaddr.c \
	$(SMTP_SRC) common/address.c)
$(FUZZ_B)/fuzz_config: $(call fuzz_obj,tests/fuzz/fuzz_config.c \
	$(COMMON_SRC) $(PURE_SRC))
$(FUZZ_B)/fuzz_virtusertable: $(call fuzz_obj,tests/fuzz/fuzz_virtusertable.c \
	cli/maps.c common/address.c)
$(FUZZ_B)/fuzz_sendmail_args: $(call fuzz_obj,tests/fuzz/fuzz_sendmail_args.c \
	sendmail/sendmail_args.c)
$(FUZZ_B)/fuzz_regdom: $(call fuzz_obj,tests/fuzz/fuzz_regdom.c \
	common/regdom.c common/address.c)
$(FUZZ_B)/fuzz_allow: $(call fuzz_obj,tests/fuzz/fuzz_allow.c \
	cli/allow.c cli/when.c common/regdom.c common/address.c)
$(FUZZ_B)/fuzz_policy: $(call fuzz_obj,tests/fuzz/fuzz_policy.c \
	aliasd/policy_proto.c)
$(FUZZ_B)/fuzz_socketmap: $(call fuzz_obj,tests/fuzz/fuzz_socketmap.c \
	aliasd/netstring.c)
$(FUZZ_BINS):
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -pthread -o $@ $^ $(LIBS_BASE) $(LIBS_STORE) $(LIBS_MIME)

.PHONY: fuzz fuzz-build
fuzz-build: deps-test
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

fuzz: fuzz-build
	@FUZZ_B=$(FUZZ_B) FUZZ_JOBS=$(FUZZ_JOBS) sh tests/fuzz/run.sh \
		$(FUZZ_SECONDS) $(FUZZ_TARGETS)

# make lint (tools/lint.sh): cppcheck over the C sources, sh -n, bash -n
# and shellcheck over the shell scripts, the SQL formatting lint, gcc
# -fanalyzer over the product's C files, mandoc -Tlint over the man
# pages and the C layout of .clang-format (tools/format.sh check); any
# finding fails.  test_header.c ends its
# list_make() calls with a plain NULL, which cppcheck calls undefined
# for a variadic function; glibc's NULL is (void *)0, and va_arg may
# read a void * as a char * (C11 7.16.1.1).
LINT_C_DIRS = aliasd cli common db rewriter sendmail bench tests/unit tests/fuzz tests/milter
CPPCHECK = cppcheck -j2 --quiet --std=c11 $(filter -D% -I%,$(CPPFLAGS_ALL)) \
	--enable=warning,portability,performance --inline-suppr \
	--suppress=missingIncludeSystem \
	--suppress=varFuncNullUB:tests/unit/test_header.c \
	--error-exitcode=1 --template=gcc
# GCC's analyzer (gcc 10 or later, whatever CC is), with the build's
# flags, so any finding is an error.
ANALYZE = gcc $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(WARNINGS) -O1 -fanalyzer

.PHONY: lint format
# As root, deps.sh lint installs cppcheck, shellcheck, mandoc and
# clang-format first (never removing a package); as anybody else it names
# what is missing.
lint:
	@sh tools/deps.sh lint
	@CPPCHECK='$(CPPCHECK)' ANALYZE='$(ANALYZE)' \
		sh tools/lint.sh $(LINT_C_DIRS)

# make format: rewrite the C sources in the layout of .clang-format.
format:
	@sh tools/format.sh fix

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
-include $(shell find $(FUZZ_B)/obj -name '*.d' 2>/dev/null)
