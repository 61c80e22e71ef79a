#!/bin/bash
# deb.sh: the Debian package.  Builds it (make deb: dpkg-buildpackage in
# a copy of the tree), checks its contents and lintian (no errors),
# installs it with dpkg on this machine, runs aliasd -n and aliasctl
# --version from it, checks the system user, /var/lib/aliasd, that the
# service is neither enabled nor started and that no MTA configuration
# changed, then purges it and checks that the user and the directory are
# gone.  Needs root; skips on a machine where aliasd is installed or its
# user or store already exists, so as never to touch an admin's.
# tests/run.sh never runs two suites holding the same lock at once: this
# one runs dpkg and adds and removes the system user aliasd.
# run-lock: dpkg users
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
TOP=$ALIASD_TOP

skip() { echo "1..0 # SKIP $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root (dpkg -i, a system user)"
for c in dpkg-buildpackage dh lintian; do
	command -v "$c" >/dev/null 2>&1 ||
		skip "$c not installed (make deps-test installs dpkg-dev, debhelper, lintian)"
done
if dpkg-query -W -f='${Status}' aliasd 2>/dev/null | grep -q installed; then
	skip "the aliasd package is installed on this machine"
fi
getent passwd aliasd >/dev/null && skip "user aliasd exists on this machine"
getent group aliasd >/dev/null && skip "group aliasd exists on this machine"
[ -e /var/lib/aliasd ] && skip "/var/lib/aliasd exists on this machine"

T=$(mktemp -d /tmp/aliasd-deb.XXXXXX) || exit 1
installed=0
cleanup() {
	[ "$installed" = 1 ] && dpkg --purge aliasd >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

# What the package must leave alone: the MTAs' configuration.
mta_state() {
	find /etc/postfix /etc/mail -type f -exec md5sum {} + 2>/dev/null | sort
}
mta_state >"$T/mta.before"

version=$(sed -n 's/^#define ALIASD_VERSION "\(.*\)"$/\1/p' \
    "$TOP/common/version.h")
deb=$ALIASD_BUILD/aliasd_${version}_$(dpkg --print-architecture).deb
rm -f "$deb"
start=$(date +%s)
B=$ALIASD_BUILD sh "$TOP/tools/deb.sh" >"$T/build.out" 2>&1
rc=$?
tap_check "make deb builds $(basename "$deb") ($(($(date +%s) - start)) s)" \
    [ "$rc" -eq 0 ] && [ -f "$deb" ]
if [ "$rc" -ne 0 ] || [ ! -f "$deb" ]; then
	tap_diag - <"$T/build.out"
	tap_done
	exit 1
fi

dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$T/contents"
for f in /usr/sbin/aliasd /usr/bin/aliasctl /usr/bin/alias-sendmail \
    /usr/share/man/man1/aliasctl.1.gz /usr/share/man/man1/alias-sendmail.1.gz \
    /usr/share/man/man5/aliasd.conf.5.gz /usr/share/man/man8/aliasd.8.gz \
    /lib/systemd/system/aliasd.service \
    /usr/share/doc/aliasd/aliasd.conf.sample \
    /usr/share/doc/aliasd/muttrc.aliasd /usr/share/doc/aliasd/copyright \
    /usr/share/aliasd/emacs/aliasd.el; do
	grep -qx "$f" "$T/contents" || echo "$f" >>"$T/absent"
done
tap_check "holds the programs, pages, unit, sample, Emacs and mutt files" \
    [ ! -s "$T/absent" ]
[ -s "$T/absent" ] && tap_diag - <"$T/absent"
tap_check "puts nothing in /etc (it configures nothing)" \
    eval '! grep -q "^/etc/" "$T/contents"'

lintian --fail-on error "$deb" >"$T/lintian.out" 2>&1
rc=$?
tap_check "lintian finds no error" [ "$rc" -eq 0 ]
grep -v 'running with root privileges' "$T/lintian.out" | tap_diag -

dpkg -i "$deb" >"$T/install.out" 2>&1
rc=$?
installed=1
tap_check "dpkg -i installs it" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || tap_diag - <"$T/install.out"

uid=$(id -u aliasd 2>/dev/null)
tap_check "creates the system user aliasd" \
    [ -n "$uid" ] && [ "$uid" -lt 1000 ]
tap_check "and its group" eval 'getent group aliasd >/dev/null'
tap_check "creates /var/lib/aliasd, mode 0700, owned by aliasd" \
    [ "$(stat -c '%a %U %G' /var/lib/aliasd 2>/dev/null)" = "700 aliasd aliasd" ]
tap_check "the service is not enabled" \
    [ ! -e /etc/systemd/system/multi-user.target.wants/aliasd.service ]
tap_check "nor started" eval '! pgrep -u aliasd -x aliasd >/dev/null'

out=$(/usr/sbin/aliasd -n -c /usr/share/doc/aliasd/aliasd.conf.sample 2>&1)
rc=$?
tap_check "/usr/sbin/aliasd -n accepts the sample configuration" \
    [ "$rc" -eq 0 ] && [ "$out" = "configuration OK" ]
[ "$rc" -eq 0 ] || tap_diag "$out"
out=$(/usr/bin/aliasctl --version 2>&1)
tap_check "/usr/bin/aliasctl --version says $version" \
    grep -q "$version" <<<"$out"
tap_check "man finds aliasd(8)" eval 'command -v man >/dev/null || exit 0; man -w aliasd >/dev/null 2>&1'

dpkg --purge aliasd >"$T/purge.out" 2>&1
rc=$?
installed=0
tap_check "dpkg --purge removes it" [ "$rc" -eq 0 ] && \
    ! dpkg-query -W -f='${Status}' aliasd 2>/dev/null | grep -q installed
[ "$rc" -eq 0 ] || tap_diag - <"$T/purge.out"
tap_check "purge removes the user aliasd" eval '! getent passwd aliasd'
tap_check "and its group" eval '! getent group aliasd'
tap_check "and /var/lib/aliasd" [ ! -e /var/lib/aliasd ]
tap_check "and the programs" [ ! -e /usr/sbin/aliasd ]

mta_state >"$T/mta.after"
tap_check "no file of Postfix's or sendmail's configuration changed" \
    cmp -s "$T/mta.before" "$T/mta.after"
tap_done
