#!/bin/sh
# deps.sh: make sure the Debian packages aliasd builds and tests with are
# here.  As root it installs what is missing; otherwise it prints the one
# apt-get line to run and fails.
set -u

# Build: compiler, pkg-config and the four libraries.  Tests: cmocka,
# the sqlite3 shell (to hold locks and inspect stores), a private Postfix
# with Cyrus SASL and swaks, and what the private sendmail needs (its own
# packages are only downloaded: they conflict with Postfix).  make bench:
# GNU time, for peak memory.  make lint: cppcheck and shellcheck.
PACKAGES="gcc make pkg-config libsqlite3-dev libsodium-dev libgmime-3.0-dev
libmilter-dev libcmocka-dev sqlite3 postfix swaks sasl2-bin
libsasl2-modules libsasl2-modules-db m4 libwrap0 liblockfile1 iproute2
util-linux perl emacs-nox mutt valgrind clang libclang-rt-14-dev time
cppcheck shellcheck"

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Postfix must not configure or start itself: tests run private ones.
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
apt-get update -q >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -q -o DPkg::Lock::Timeout=600 $missing >/dev/null ||
	{ echo "deps: apt-get install$missing failed" >&2; exit 1; }
