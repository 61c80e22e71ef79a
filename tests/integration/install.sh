#!/bin/bash
# install.sh: make install and make uninstall into a scratch DESTDIR
# (uninstall removes exactly what install put there, nothing else); the
# systemd unit under PREFIX; make with a build package missing stops at
# once with the one apt-get line; tools/deps.sh names the MTA that keeps
# Postfix off a machine.  Needs no root: nothing outside the scratch
# directory is touched.
# tests/run.sh never runs two suites holding the same lock at once: not
# beside deb.sh's package build and dpkg.
# run-lock: dpkg
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
TOP=$ALIASD_TOP

T=$(mktemp -d /tmp/aliasd-install.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT

# A make of its own: not the caller's jobserver.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$TOP" \
	    --no-print-directory B="$ALIASD_BUILD" "$@"
}

D=$T/root
mkdir -p "$D/opt/bin"
echo keep >"$D/opt/bin/somebody-else"
mk install DESTDIR="$D" PREFIX=/opt >"$T/install.log" 2>&1
tap_check "make install DESTDIR PREFIX=/opt" [ $? -eq 0 ]
find "$D" -type f | sed "s|^$D||" | sort >"$T/files"
cat >"$T/want" <<'LIST'
/opt/bin/alias-sendmail
/opt/bin/aliasctl
/opt/bin/somebody-else
/opt/lib/systemd/system/aliasd.service
/opt/sbin/aliasd
/opt/share/aliasd/emacs/aliasd.el
/opt/share/doc/aliasd/aliasd.conf.sample
/opt/share/doc/aliasd/muttrc.aliasd
/opt/share/doc/aliasd/postfix.md
/opt/share/doc/aliasd/postgresql.md
/opt/share/doc/aliasd/sendmail.md
/opt/share/man/man1/alias-sendmail.1
/opt/share/man/man1/aliasctl.1
/opt/share/man/man5/aliasd.conf.5
/opt/share/man/man8/aliasd.8
LIST
# Every file the list names is there (a new man page may add more).
tap_check "installs the programs, pages, docs, Emacs package and unit" \
    [ -z "$(comm -13 "$T/files" "$T/want")" ]
tap_check "the unit goes under PREFIX and runs PREFIX's aliasd" \
    grep -q '^ExecStart=/opt/sbin/aliasd ' \
    "$D/opt/lib/systemd/system/aliasd.service"

mk uninstall DESTDIR="$D" PREFIX=/opt >"$T/uninstall.log" 2>&1
tap_check "make uninstall" [ $? -eq 0 ]
left=$(find "$D" -type f | sed "s|^$D||")
tap_check "uninstall removes every file install made, and only those" \
    [ "$left" = /opt/bin/somebody-else ]
tap_check "aliasd's own directories go, shared ones stay" \
    eval '[ ! -e "$D/opt/share/doc/aliasd" ] && [ ! -e "$D/opt/share/aliasd" ] && [ -d "$D/opt/bin" ]'

mk uninstall DESTDIR="$D" PREFIX=/opt >/dev/null 2>&1
tap_check "a second uninstall is harmless" [ $? -eq 0 ]

mk install DESTDIR="$T/sd" PREFIX=/opt SYSTEMDDIR=/etc/systemd/system \
    >/dev/null 2>&1
tap_check "SYSTEMDDIR puts the unit elsewhere" \
    [ -f "$T/sd/etc/systemd/system/aliasd.service" ]

# A missing build package: one line naming apt-get install, exit status
# not 0, and no compiler started (into an empty build directory).
printf '#!/bin/sh\nexit 1\n' >"$T/no-pkg-config"
chmod +x "$T/no-pkg-config"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$TOP" --no-print-directory \
    -j2 B="$T/fresh" PKG_CONFIG="$T/no-pkg-config" >"$T/missing.out" 2>&1
rc=$?
tap_check "make with a library missing fails" [ "$rc" -ne 0 ]
tap_check "... with one line" [ "$(wc -l <"$T/missing.out")" -eq 1 ]
tap_check "... naming apt-get install and the package" \
    grep -q 'apt-get install .*libgmime-3.0-dev' "$T/missing.out"
tap_check "... before compiling anything" [ ! -e "$T/fresh" ]
tap_diag "$(cat "$T/missing.out")"

# tools/deps.sh mta, with a dpkg-query that shows exim and no Postfix.
mkdir -p "$T/fake"
cat >"$T/fake/dpkg-query" <<'FAKE'
#!/bin/sh
case "$*" in
*'${Status}'*postfix) echo "unknown ok not-installed" ;;
*'${Status}'*) echo "install ok installed" ;;
*) printf 'ii coreutils \nii exim4-daemon-light mail-transport-agent\n' ;;
esac
FAKE
chmod +x "$T/fake/dpkg-query"
out=$(PATH="$T/fake:$PATH" sh "$TOP/tools/deps.sh" mta)
tap_check "deps.sh mta names the MTA that keeps Postfix off" \
    [ "$out" = exim4-daemon-light ]
out=$(sh "$TOP/tools/deps.sh" mta)
if dpkg-query -W -f='${Status}' postfix 2>/dev/null | grep -q ' ok installed'; then
	tap_check "deps.sh mta is silent where Postfix is installed" [ -z "$out" ]
fi
out=$(PATH="$T/fake:$PATH" sh "$TOP/tools/deps.sh" test 2>&1 >/dev/null)
tap_check "deps.sh test leaves Postfix out beside exim, and says why" \
    grep -q 'Postfix cannot be installed beside exim4-daemon-light' <<<"$out"
tap_done
