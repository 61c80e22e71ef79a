#!/bin/bash
# basics.sh: aliasctl's verbs doing their everyday jobs.
set -u
. "$ALIASD_TOP/tests/lib/tap.sh"
. "$ALIASD_TOP/tests/lib/cli.sh"

newstore main </dev/null

# The issue's promise: init then new prints one address and nothing else.
expect 0 "new joe@example.org" "$A" new joe@example.org
if printf '%s\n' "$OUT" | grep -Eqx 'mail-[0-9]{4}-[a-km-np-z2-9]{6}@example\.com' &&
   [ "$(printf '%s\n' "$OUT" | wc -l)" -eq 1 ] && [ -z "$ERR" ]; then
	ok "new prints exactly one address matching the template"
else
	not_ok "new prints exactly one address matching the template"
	diag "$OUT" "$ERR"
fi
joe=$OUT
case "$joe" in mail-0001-*) ok "first address is number 0001" ;;
*) not_ok "first address is number 0001 ($joe)" ;; esac

if on_sqlite "store file is mode 0600"; then
	mode=$(stat -c %a "$D/aliases.db")
	check "store file is mode 0600 ($mode)" [ "$mode" = 600 ]
fi

expect 0 "new with mixed-case correspondent" "$A" new Bob@Example.ORG --note "met at FOSDEM"
bob=$OUT
case "$bob" in mail-0002-*) ok "sequence goes on: $bob" ;;
*) not_ok "sequence goes on ($bob)" ;; esac
expect 0 "new for a whole domain" "$A" new @shop.example
shop=$OUT
expect 0 "named address" "$A" new --name ebay
check "named address is ebay@example.com" [ "$OUT" = "ebay@example.com" ]
expect 73 "the same name twice is refused" "$A" new --name ebay
one_line_error "already exists"
expect 65 "a passthrough name is refused" "$A" new --name postmaster

# for: the policy the rewriters use.
expect 0 "for joe" "$A" for joe@example.org
check "for joe gives joe's address" [ "$OUT" = "$joe" ]
expect 0 "for is case-insensitive" "$A" for JOE@EXAMPLE.ORG
check "JOE@EXAMPLE.ORG is joe" [ "$OUT" = "$joe" ]
expect 0 "for a domain correspondent" "$A" for anyone@shop.example
check "anyone@shop.example gets the shop's address" [ "$OUT" = "$shop" ]
expect 0 "for mixed recipients, no default" "$A" for joe@example.org bob@example.org
check "mixed recipients without a default get nothing" [ -z "$OUT" ]
expect 0 "for two recipients of one address" "$A" for joe@example.org Joe@example.org
check "the same correspondent twice agrees" [ "$OUT" = "$joe" ]

# default
expect 0 "default shows nothing yet" "$A" default
check "default without one says so on stderr" [ -z "$OUT" ]
expect 0 "default ebay (a prefix)" "$A" default eb
check "default confirms" [ "$OUT" = "default address is ebay@example.com" ]
expect 0 "for mixed recipients" "$A" for joe@example.org bob@example.org
check "mixed recipients get the default" [ "$OUT" = "ebay@example.com" ]
expect 0 "for unknown" "$A" for stranger@example.org
check "an unknown recipient gets the default" [ "$OUT" = "ebay@example.com" ]
expect 0 "for --json" "$A" --json for stranger@example.org
check "for --json names how" [ "$OUT" = '{"address":"ebay@example.com","how":"default"}' ]

# retire and revive by prefix
expect 0 "retire by prefix with a reason" "$A" retire mail-0001 --reason "Spammers found this address"
check "retire names the full address" [ "$OUT" = "retired $joe" ]
expect 0 "show the retired address" "$A" show "$joe"
printf '%s\n' "$OUT" | grep -q '^reason: *Spammers found this address$'
check "show gives the reason" [ $? -eq 0 ]
expect 0 "for joe after retiring" "$A" for joe@example.org
check "a retired address never matches: joe gets the default" [ "$OUT" = "ebay@example.com" ]
expect 0 "revive" "$A" revive "${joe%@*}"
check "revive confirms" [ "$OUT" = "revived $joe" ]
expect 0 "revive again is harmless" "$A" revive "$joe"
expect 0 "retire with the default reason" "$A" retire "$joe"
expect 0 "show it" "$A" --json show "$joe"
printf '%s' "$OUT" | grep -q '"reason":"This address has been retired"'
check "default reason is SPEC's" [ $? -eq 0 ]

# SPEC: an address already retired keeps its reason unless --reason is
# given, and keeps its retirement time either way.
store_sql "UPDATE address SET retired = retired - 3600 WHERE local = '${joe%@*}'"
when=$(store_sql "SELECT retired FROM address WHERE local = '${joe%@*}'")
expect 0 "retire a retired address with a new --reason" "$A" retire "$joe" --reason "Leaked to a list"
check "a new --reason is confirmed" [ "$OUT" = "retired $joe (new reason)" ]
expect 0 "retire a retired address again, no --reason" "$A" retire "$joe"
check "it says the address is already retired" \
    sh -c "printf '%s\n' \"\$1\" | grep -qx '$joe is already retired; its reason is kept (give --reason to change it)'" - "$OUT"
expect 0 "show it" "$A" --json show "$joe"
printf '%s' "$OUT" | grep -q '"reason":"Leaked to a list"'
check "retire without --reason keeps the reason" [ $? -eq 0 ]
check "the retirement time is kept" [ "$(store_sql "SELECT retired FROM address WHERE local = '${joe%@*}'")" = "$when" ]
expect 0 "retire with the default reason named explicitly" "$A" retire "$joe" --reason "This address has been retired"

# list
expect 0 "list" "$A" list
check "list has a header" sh -c "printf '%s\n' \"\$1\" | head -1 | grep -q '^ADDRESS '" - "$OUT"
check "list (active) leaves out the retired one" sh -c "! printf '%s\n' \"\$1\" | grep -q \"$joe\"" - "$OUT"
expect 0 "list --retired" "$A" list --retired
check "list --retired shows it" sh -c "printf '%s\n' \"\$1\" | grep -q \"^$joe .*retired\"" - "$OUT"
expect 0 "list --all" "$A" list --all
check "list --all has 4 addresses" [ "$(printf '%s\n' "$OUT" | grep -c '@example.com')" -eq 4 ]
expect 0 "list --json" "$A" list --all --json
printf '%s' "$OUT" >"$T/list.json"
check "list --json is valid JSON" [ "$(sqlite3 :memory: "select json_valid(readfile('$T/list.json'))")" = 1 ]
check "list --json has 4 entries" [ "$(sqlite3 :memory: "select json_array_length(readfile('$T/list.json'))")" = 4 ]
expect 0 "show --json" "$A" --json show ebay
printf '%s' "$OUT" >"$T/show.json"
check "show --json is valid JSON" [ "$(sqlite3 :memory: "select json_valid(readfile('$T/show.json'))")" = 1 ]

# expiry: no cron job needed
expect 0 "new with --expires 2w" "$A" new --expires 2w temp@example.org
temp=$OUT
expect 0 "show an expiring address" "$A" show "$temp"
check "show gives an expiry date" sh -c "printf '%s\n' \"\$1\" | grep -q '^expires: *2[0-9-]* '" - "$OUT"
expect 65 "an expiry in the past is refused" "$A" new --expires 2020-01-01 x@example.org
expect 65 "a malformed expiry is refused" "$A" new --expires 3x x@example.org
store_sql "UPDATE address SET expires = 1000 WHERE local = '${temp%@*}'"
expect 0 "list --retired" "$A" list --retired
check "an expired address lists as expired" sh -c "printf '%s\n' \"\$1\" | grep -q \"^$temp .*expired\"" - "$OUT"
expect 0 "for an expired correspondent" "$A" for temp@example.org
check "an expired address never matches" [ "$OUT" = "ebay@example.com" ]
expect 65 "an expired address cannot be the default" "$A" default "$temp"

expect 0 "default --none" "$A" default --none
expect 0 "for unknown without default" "$A" for stranger@example.org
check "no default: nothing" [ -z "$OUT" ]

# for --create: auto_create, as when mail is sent
expect 0 "for --create without auto_create" "$A" for --create newcomer@example.org
check "without auto_create nothing is made" [ -z "$OUT" ]
echo "auto_create = yes" >>"$ALIASD_CONF"
expect 0 "for --create with auto_create" "$A" for --create newcomer@example.org
made=$OUT
check "a single new recipient gets a new address" sh -c "printf '%s' \"\$1\" | grep -Eqx 'mail-[0-9]{4}-[a-km-np-z2-9]{6}@example\.com'" - "$made"
expect 0 "for afterwards" "$A" for newcomer@example.org
check "it is theirs from now on" [ "$OUT" = "$made" ]
expect 0 "for --create with two unknown recipients" "$A" for --create a@x.example b@x.example
check "two unknown recipients get nothing new" [ -z "$OUT" ]
expect 0 "plain for never creates" "$A" for another@example.org
check "plain for with auto_create still makes nothing" [ -z "$OUT" ]

# Several addresses at once, one transaction; a name twice is one.
expect 0 "new for two to retire" "$A" new one@example.org
one=$OUT
expect 0 "new for two to retire" "$A" new two@example.org
two=$OUT
expect 0 "retire two addresses at once" "$A" retire "$one" "${two%@*}" "$one" --reason "Both leaked"
check "retire of two says two lines" [ "$OUT" = "retired $one
retired $two" ]
expect 0 "show the second" "$A" show "$two"
check "the second got the reason" sh -c "printf '%s\n' \"\$1\" | grep -q '^reason: *Both leaked\$'" - "$OUT"
expect 0 "revive them" "$A" revive "$one"
expect 0 "revive them" "$A" revive "$two"
expect 0 "retire them for good" "$A" retire "$one" "$two"

# new for a correspondent who already has an active address: made all the
# same, and stderr names the address mail leaves from now (the newest).
expect 0 "new for bob, who has an address" "$A" new bob@example.org
bob2=$OUT
check "the new address alone is on stdout" sh -c "printf '%s' \"\$1\" | grep -Eqx 'mail-[0-9]{4}-[a-km-np-z2-9]{6}@example\.com'" - "$bob2"
one_line_error "mail to bob@example.org now leaves from $bob2, not $bob"
expect 0 "for bob" "$A" for bob@example.org
check "for agrees: bob's mail leaves from the new address" [ "$OUT" = "$bob2" ]
expect 0 "new for the shop, which has an address" "$A" new @shop.example
shop2=$OUT
one_line_error "mail to @shop.example now leaves from $shop2, not $shop"
expect 0 "for the shop" "$A" for x@shop.example
check "for agrees for a domain" [ "$OUT" = "$shop2" ]
expect 0 "retire the newer bob" "$A" retire "$bob2"
expect 0 "for bob afterwards" "$A" for bob@example.org
check "bob's older address is used again" [ "$OUT" = "$bob" ]
expect 0 "new for a correspondent with only a retired address" "$A" new one@example.org
check "no note when no active address was there" [ -z "$ERR" ]

# Prefixes of local parts that are not ASCII: the end of the range is
# the last character one code point higher (U+00FF -> U+0100), valid
# UTF-8 as PostgreSQL wants it; bytes that are not UTF-8 match nothing.
expect 0 "a named address ending in U+00FF" "$A" new --name "zo$(printf '\xc3\xbf')a"
zo=$OUT
expect 0 "found by a prefix ending in U+00FF" "$A" show "zo$(printf '\xc3\xbf')"
check "the prefix names it" grep -qF "$zo" <<<"$OUT"
expect 0 "found by its ASCII prefix" "$A" show zo
expect 67 "a prefix of bytes that are not UTF-8 matches nothing" "$A" show "zo$(printf '\xc3')"
one_line_error "no address matches"
expect 67 "a lone 0xff matches nothing" "$A" show "$(printf '\xff')"
one_line_error "no address matches"

# help
expect 0 "--help" "$A" --help
for v in init new retire revive list show for default export import; do
	expect 0 "$v --help" "$A" "$v" --help
done

finish
