#!/bin/sh
# deps.sh: the Debian packages aliasd builds, tests and lints with.
#
# usage: deps.sh build | test | lint | all | mta
#
#   build  Only checks (make, make install): compiler, pkg-config and the
#          seven libraries. Never installs anything: when one is missing it
#          prints the one apt-get line to run and exits 1.
#   test   What make check and make demo need (build, test and package
#          tools); lint: what make lint needs; all (make deps): both.
#          As root the missing ones are installed, never removing a
#          package; as anybody else the apt-get line is printed, exit 1.
#   mta    Prints the installed mail transport agent that keeps Postfix
#          from being installed (apt would have to remove it), or nothing
#          when Postfix is installed or nothing stands in its way.
#
# Postfix conflicts with every other MTA. On an exim or sendmail host it is
# left out (apt-get --no-remove would refuse it anyway), the rest is
# installed, and tests/run.sh skips the suites that need Postfix.
set -u

BUILD="gcc make pkg-config libsqlite3-dev libpq-dev libsodium-dev
libgmime-3.0-dev libmilter-dev libpsl-dev libidn2-dev"
# Tests: cmocka, the sqlite3 shell (to hold locks and inspect stores), a
# private Postfix with Cyrus SASL and swaks, and what the private sendmail
# needs (its own packages are only downloaded: they conflict with
# Postfix), Emacs and mutt for the client suites, valgrind, clang and its
# runtime for the fuzz run, and what tests/integration/deb.sh builds and
# checks the Debian package with, and the publicsuffix package, so that
# the registered-domain tests run on the list aliasd will use. make bench:
# GNU time, for peak memory.  A private PostgreSQL server (the suites'
# second pass on that store) and Postfix's pgsql: tables (a backup MX
# with no aliasd).
TEST="libcmocka-dev sqlite3 postfix postfix-pgsql postgresql swaks
sasl2-bin libsasl2-modules
libsasl2-modules-db m4 libwrap0 liblockfile1 iproute2 util-linux perl
emacs-nox mutt valgrind clang libclang-rt-14-dev time dpkg-dev debhelper
lintian fakeroot publicsuffix"
LINT="cppcheck shellcheck mandoc clang-format"

# installed PACKAGE: true when dpkg has it fully installed.
installed() {
	case $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) in
	*" ok installed") return 0 ;;
	esac
	return 1
}

# mta: the installed package, other than Postfix, that provides
# mail-transport-agent, when Postfix itself is not installed.
mta() {
	installed postfix && return 0
	dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' \
	    2>/dev/null | awk '$1 == "ii" && /mail-transport-agent/ &&
	    $2 != "postfix" { print $2; exit }'
}

# build_missing: the build packages that are missing, judged by what the
# build uses (the compiler, pkg-config's modules, libmilter's header), so
# that a machine without dpkg is judged too.
build_missing() {
	m=""
	command -v "${CC:-cc}" >/dev/null 2>&1 || m="$m gcc"
	pc=${PKG_CONFIG:-pkg-config}
	if ! command -v "$pc" >/dev/null 2>&1; then
		m="$m pkg-config libsqlite3-dev libpq-dev libsodium-dev"
		m="$m libgmime-3.0-dev"
		m="$m libpsl-dev libidn2-dev"
	else
		"$pc" --exists sqlite3 2>/dev/null || m="$m libsqlite3-dev"
		"$pc" --exists libpq 2>/dev/null || m="$m libpq-dev"
		"$pc" --exists libsodium 2>/dev/null || m="$m libsodium-dev"
		"$pc" --exists gmime-3.0 2>/dev/null || m="$m libgmime-3.0-dev"
		"$pc" --exists libpsl 2>/dev/null || m="$m libpsl-dev"
		"$pc" --exists libidn2 2>/dev/null || m="$m libidn2-dev"
	fi
	[ -f /usr/include/libmilter/mfapi.h ] || m="$m libmilter-dev"
	echo "$m"
}

mode=${1:-}
case $mode in
build)
	missing=$(build_missing)
	[ -z "$missing" ] && exit 0
	echo "aliasd needs packages to build; as root run: apt-get install$missing" >&2
	exit 1
	;;
mta)
	mta
	exit 0
	;;
test) wanted="$BUILD $TEST" ;;
lint) wanted="$BUILD $LINT" ;;
all) wanted="$BUILD $TEST $LINT" ;;
*)
	echo "usage: deps.sh build | test | lint | all | mta" >&2
	exit 64
	;;
esac

blocker=$(mta)
missing=""
for p in $wanted; do
	installed "$p" && continue
	# postfix-pgsql depends on Postfix: left out beside another MTA too.
	case $p in postfix | postfix-pgsql) [ -n "$blocker" ] && continue ;; esac
	missing="$missing $p"
done
if [ -n "$blocker" ]; then
	echo "deps: Postfix cannot be installed beside $blocker; the suites that need it are skipped" >&2
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages; as root run: apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Postfix must not configure or start itself: tests run private ones.
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
apt-get update -q >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
# --no-remove: apt fails rather than take away a package the machine has.
# shellcheck disable=SC2086
apt-get install -y -q --no-remove -o DPkg::Lock::Timeout=600 $missing \
    >/dev/null ||
	{ echo "deps: apt-get install --no-remove$missing failed" >&2; exit 1; }
