#!/bin/bash
# newcomer.sh: a user with no configuration and no root runs
#   aliasctl init --domain example.com && aliasctl new joe@example.org
# and gets a working setup under ~/.config and ~/.local/share; with
# --owner and --name the README's tour runs through to export.
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

# README's tour, from nothing to export: init writes owner and full_name
# and asks for nothing (stdin is closed; it would fail if it read it).
H2="$T/home2"
mkdir -p "$H2"
[ "$(id -u)" -eq 0 ] && chown nobody "$H2"
as_tourist() {
	as_user env -u ALIASD_CONF -u XDG_CONFIG_HOME -u XDG_DATA_HOME \
	    HOME="$H2" "$@" <&-
}
C2="$H2/.config/aliasd/aliasd.conf"
expect 0 "init --domain --owner --name" as_tourist "$A" init --domain example.com \
    --owner Me@Example.NET --name "Me Myself"
check "init with owner and name warns about nothing" [ -z "$ERR" ]
grep -qx 'owner = me@example.net' "$C2"
check "the starter configuration has the owner, lower-cased" [ $? -eq 0 ]
grep -qx 'full_name = Me Myself' "$C2"
check "the starter configuration has the full name" [ $? -eq 0 ]
expect 0 "tour: new joe@example.org" as_tourist "$A" new joe@example.org
tjoe=$OUT
expect 0 "tour: retire it" as_tourist "$A" retire "$tjoe" --reason "Spammers found this address"
expect 0 "tour: new joe@example.org again" as_tourist "$A" new joe@example.org
tjoe2=$OUT
expect 0 "tour: export virtusertable works" as_tourist "$A" export virtusertable
check "tour: the export delivers the new address to the owner" \
    sh -c "printf '%s\n' \"\$1\" | grep -qx \"\$2	me@example.net\"" - "$OUT" "$tjoe2"
check "tour: the export refuses the retired one with its reason" \
    sh -c "printf '%s\n' \"\$1\" | grep -qx \"\$2	error:nouser Spammers found this address\"" - "$OUT" "$tjoe"

cp "$C2" "$T/conf.before"
expect 0 "init again with another owner and name" as_tourist "$A" init \
    --owner other@example.net --name "Somebody Else"
one_line_error "owner is me@example.net, not other@example.net; full_name is Me Myself, not Somebody Else"
check "an existing configuration is not rewritten" cmp -s "$C2" "$T/conf.before"
expect 0 "init again with the same owner" as_tourist "$A" init --domain example.com --owner me@example.net --name "Me Myself"
check "the same settings draw no warning" [ -z "$ERR" ]
expect 0 "init without an owner in the file" as_newcomer "$A" init
one_line_error "no owner yet"

H3="$T/home3"
mkdir -p "$H3"
[ "$(id -u)" -eq 0 ] && chown nobody "$H3"
for bad in 'me@' 'me' '@example.net' 'me@@example.net' "$(printf 'me\x01@example.net')"; do
	expect 65 "init --owner '$(printf '%s' "$bad" | cat -v)' is refused" as_user env -u ALIASD_CONF \
	    -u XDG_CONFIG_HOME -u XDG_DATA_HOME HOME="$H3" "$A" init \
	    --domain example.com --owner "$bad"
	one_line_error "bad --owner"
done
for bad in 'Me # Myself' '' '   ' "$(printf 'Me\nMyself')"; do
	expect 65 "init --name '$(printf '%s' "$bad" | tr '\n' ' ')' is refused" as_user env -u ALIASD_CONF \
	    -u XDG_CONFIG_HOME -u XDG_DATA_HOME HOME="$H3" "$A" init \
	    --domain example.com --name "$bad"
done
check "a refused init creates nothing" sh -c '! [ -e "$1/.config" ] && ! [ -e "$1/.local" ]' - "$H3"

finish
