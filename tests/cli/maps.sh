#!/bin/bash
# maps.sh: export for sendmail, Postfix and qmail, and import of a
# sendmail virtusertable; round trips are byte-identical.
set -u
. "$ALIASD_TOP/tests/lib/tap.sh"
. "$ALIASD_TOP/tests/lib/cli.sh"

newstore small </dev/null
joe=$("$A" new joe@example.org)
bob=$("$A" new bob@example.org)
"$A" new --name ebay >/dev/null
"$A" retire "$bob" --reason "Spammers found this address" >/dev/null

expect 0 "export virtusertable" "$A" export virtusertable
expected=$(printf '%s\n' "ebay@example.com	me@example.net" \
    "$joe	me@example.net" "$bob	error:nouser Spammers found this address" | sort)
check "virtusertable lines are SPEC's seed format, sorted" [ "$OUT" = "$expected" ]
expect 0 "export postfix" "$A" export postfix
printf '%s\n' "$OUT" | grep -qx "$bob	550 5.1.1 Spammers found this address"
check "postfix access map refuses the retired address with its reason" [ $? -eq 0 ]
printf '%s\n' "$OUT" | grep -qx "$joe	OK"
check "postfix access map accepts the active one" [ $? -eq 0 ]
expect 0 "export postfix-virtual" "$A" export postfix-virtual
check "postfix-virtual lists only active addresses, to the owner" \
    [ "$OUT" = "$(printf 'ebay@example.com\tme@example.net\n%s\tme@example.net' "$joe")" ]
expect 0 "export validrcptto" "$A" export validrcptto
check "validrcptto lists active addresses one a line" \
    [ "$OUT" = "$(printf 'ebay@example.com\n%s' "$joe")" ]
expect 64 "export of an unknown map" "$A" export aliases
expect 64 "--makemap without -o" "$A" export virtusertable --makemap

# -o replaces the file atomically and keeps its mode.
echo "old content" >"$T/virtusertable"
chmod 0640 "$T/virtusertable"
expect 0 "export -o FILE" "$A" export virtusertable -o "$T/virtusertable"
check "-o wrote the map" [ "$("$A" export virtusertable)" = "$(cat "$T/virtusertable")" ]
check "-o kept the file's mode" [ "$(stat -c %a "$T/virtusertable")" = 640 ]
check "-o left no temporary file" [ -z "$(find "$T" -maxdepth 1 -name 'virtusertable.*')" ]
expect 73 "-o into a missing directory" "$A" export virtusertable -o "$T/no/such/dir/map"
if command -v postmap >/dev/null; then
	# A private, empty Postfix configuration: this machine's may not exist.
	mkdir -p "$T/postfix"
	: >"$T/postfix/main.cf"
	export MAIL_CONFIG="$T/postfix"
	expect 0 "export postfix -o --makemap runs postmap" "$A" export postfix -o "$T/access" --makemap
	check "postmap built the hash map" [ -s "$T/access.db" ]
	check "postmap answers for the retired address" \
	    [ "$(postmap -q "$bob" "hash:$T/access")" = "550 5.1.1 Spammers found this address" ]
	unset MAIL_CONFIG
fi
if ! command -v makemap >/dev/null; then
	expect 69 "--makemap without makemap installed" "$A" export virtusertable -o "$T/vt2" --makemap
	one_line_error "makemap not found"
fi

# Import what people write by hand.
newstore imp </dev/null
cat >"$T/hand.vt" <<'VT'
# my virtusertable
mail-0041-ab@example.com	myself

mail-0007-k3@Example.COM    me@example.net
  mail-0099-zz@example.com	error:nouser Spammers found this address
shop@example.com	error:5.1.1:550 Leaked by the shop
mail-0100-qq@example.com	error:nouser
@example.com	error:nouser No such user here
VT
expect 0 "import a hand-written virtusertable" "$A" import virtusertable "$T/hand.vt"
check "import reports the counts" [ "$OUT" = "imported 5 addresses (2 active, 3 retired)" ]
one_line_error "catch-all"
expect 0 "show an imported refusal" "$A" show shop
printf '%s\n' "$OUT" | grep -q '^reason: *Leaked by the shop$'
check "the reason of error:5.1.1:550 is kept" [ $? -eq 0 ]
expect 0 "show an imported default refusal" "$A" show mail-0100
printf '%s\n' "$OUT" | grep -q '^reason: *This address has been retired$'
check "error:nouser without text gets the default reason" [ $? -eq 0 ]
expect 0 "new after import" "$A" new next@example.org
case "$OUT" in mail-0101-*) ok "sequence continues after the highest imported (0100)" ;;
*) not_ok "sequence continues after the highest imported ($OUT)" ;; esac

before=$(snapshot)
printf 'mail-0200-aa@example.com\tme\nmail-0201-bb@example.com\nmail-0202-cc@example.com\tme\n' >"$T/broken.vt"
expect 65 "a line without target" "$A" import virtusertable "$T/broken.vt"
one_line_error "broken.vt:2:"
check "nothing imported from a broken file" [ "$(snapshot)" = "$before" ]
printf 'mail-0300-aa@example.com\tme\nmail-0007-k3@example.com\tme\n' >"$T/dup.vt"
expect 65 "an address already in the store" "$A" import virtusertable "$T/dup.vt"
one_line_error "dup.vt:2: mail-0007-k3@example.com is already in the store"
check "nothing imported from a clashing file" [ "$(snapshot)" = "$before" ]
printf 'x@other.example\tme\n' >"$T/foreign.vt"
expect 65 "an unmanaged domain" "$A" import virtusertable "$T/foreign.vt"
one_line_error "foreign.vt:1: other.example is not a managed domain"
printf 'joe@ me\n' >"$T/bad.vt"
expect 65 "a malformed address" "$A" import virtusertable "$T/bad.vt"
one_line_error "bad.vt:1:"
expect 66 "a missing file" "$A" import virtusertable "$T/missing.vt"
expect 64 "import of an unknown format" "$A" import aliases "$T/hand.vt"
check "store unchanged after all failed imports" [ "$(snapshot)" = "$before" ]

# 1,000 addresses, every seventh retired with a reason: export, import
# into an empty store, export again: the same bytes.  The store is made
# by one import of a generated map, not one aliasctl process an address.
newstore big </dev/null
awk 'BEGIN {
	abc = "abcdefghijkmnpqrstuvwxyz23456789"
	for (i = 1; i <= 1000; i++) {
		a = sprintf("mail-%04d-%s%s@example.com", i,
		    substr(abc, 1 + i % 32, 1), substr(abc, 1 + int(i / 32) % 32, 1))
		if (i % 7 == 0)
			printf "%s\terror:nouser Leak number %d\n", a, i
		else
			printf "%s\tme@example.net\n", a
	}
}' >"$T/big0.vt"
run "$A" import virtusertable "$T/big0.vt"
check "1,000 addresses created" \
    [ "$OUT" = "imported 1000 addresses (858 active, 142 retired)" ]
"$A" export virtusertable -o "$T/big1.vt"
check "export of 1,000 has 1,000 lines" [ "$(wc -l <"$T/big1.vt")" -eq 1000 ]
check "142 of them are refusals" [ "$(grep -c 'error:nouser Leak number' "$T/big1.vt")" -eq 142 ]
"$A" export virtusertable -o "$T/big1b.vt"
check "two exports of one store are byte-identical" cmp -s "$T/big1.vt" "$T/big1b.vt"
newstore big2 </dev/null
expect 0 "import 1,000 into an empty store" "$A" import virtusertable "$T/big1.vt"
check "import counted 858 active, 142 retired" [ "$OUT" = "imported 1000 addresses (858 active, 142 retired)" ]
"$A" export virtusertable -o "$T/big2.vt"
check "export after import is byte-identical" cmp -s "$T/big1.vt" "$T/big2.vt"
expect 0 "new after the big import" "$A" new more@example.org
case "$OUT" in mail-1001-*) ok "sequence continues at 1001" ;;
*) not_ok "sequence continues at 1001 ($OUT)" ;; esac
expect 0 "import from stdin" sh -c "printf 'mail-2000-ab@example.com\tme\n' | '$A' import virtusertable -"

finish
