#!/bin/bash
# newcomer.sh: a user with no configuration and no root runs
#   aliasctl init --domain example.com && aliasctl new joe@example.org
# and gets a working setup under ~/.config and ~/.local/share.
set -u
. "$ALIASD_TOP/tests/lib/tap.sh"
. "$ALIASD_TOP/tests/lib/cli.sh"

unset ALIASD_CONF
H="$T/home"
mkdir -p "$H"
[ "$(id -u)" -eq 0 ] && chown nobody "$H"

as_newcomer() {
	as_user env -u ALIASD_CONF -u XDG_CONFIG_HOME -u XDG_DATA_HOME \
	    HOME="$H" "$@"
}

expect 0 "init --domain example.com without any file" as_newcomer "$A" init --domain example.com
check "init says what it created" sh -c "printf '%s\n' \"\$1\" | grep -q '^created configuration $H/.config/aliasd/aliasd.conf\$'" - "$OUT"
check "the configuration is in ~/.config/aliasd" [ -f "$H/.config/aliasd/aliasd.conf" ]
check "the store is in ~/.local/share/aliasd" [ -f "$H/.local/share/aliasd/aliases.db" ]
check "the configuration is private (0600)" [ "$(stat -c %a "$H/.config/aliasd/aliasd.conf")" = 600 ]
check "the store is private (0600)" [ "$(stat -c %a "$H/.local/share/aliasd/aliases.db")" = 600 ]
check "the store's directory is private (0700)" [ "$(stat -c %a "$H/.local/share/aliasd")" = 700 ]
grep -qx 'domain = example.com' "$H/.config/aliasd/aliasd.conf"
check "the starter configuration has the domain" [ $? -eq 0 ]

expect 0 "new joe@example.org" as_newcomer "$A" new joe@example.org
printf '%s\n' "$OUT" | grep -Eqx 'mail-[0-9]{4}-[a-km-np-z2-9]{6}@example\.com'
check "new prints an address of the template ($OUT)" [ $? -eq 0 ]

expect 0 "init again is harmless" as_newcomer "$A" init --domain example.com
check "init again keeps the store" sh -c "printf '%s\n' \"\$1\" | grep -q 'is ready'" - "$OUT"
expect 0 "the address is still there" as_newcomer "$A" for joe@example.org

XDG="$T/xdg"
mkdir -p "$XDG"
[ "$(id -u)" -eq 0 ] && chown nobody "$XDG"
expect 0 "init honours XDG_CONFIG_HOME and XDG_DATA_HOME" as_user env -u ALIASD_CONF \
    HOME="$H" XDG_CONFIG_HOME="$XDG/config" XDG_DATA_HOME="$XDG/data" \
    "$A" init --domain example.net
check "XDG configuration" [ -f "$XDG/config/aliasd/aliasd.conf" ]
check "XDG store" [ -f "$XDG/data/aliasd/aliases.db" ]

expect 65 "init with a malformed domain" as_newcomer "$A" -c "$T/x.conf" init --domain 'exa mple'

finish
