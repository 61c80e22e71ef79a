#!/bin/bash
# rules.sh: the gate's rules from the command line (SPEC "The gate"):
# set and new with every rule option, bad values, the allow list and its
# bound, show and list --json, replace, leaks.
set -u
. "$ALIASD_TOP/tests/lib/tap.sh"
. "$ALIASD_TOP/tests/lib/cli.sh"

newstore main </dev/null

# json FILE PATH: a value out of a JSON file (SQLite's JSON functions, as
# the other suites use).
json() {
	sqlite3 :memory: "select json_extract(readfile('$1'), '$2')"
}
json_valid() {
	[ "$(sqlite3 :memory: "select json_valid(readfile('$1'))")" = 1 ]
}
# field LABEL: the value of "LABEL: value" in the last show's text.
field() {
	printf '%s\n' "$OUT" | sed -n "s/^$1: *//p" | head -1
}
# showjson ADDRESS: show --json into $T/show.json.
showjson() {
	"$A" --json show "$1" >"$T/show.json" 2>"$T/.err"
}

# --- new with every rule option, in the transaction that creates it ---
expect 0 "new with every rule option" "$A" new joe@example.org \
	--lock domain --allow mailchimp.com --allow News@Shop.Example \
	--allow '<>' --on-refuse discard --max-mails 3 --idle 30d \
	--note "met at FOSDEM" --expires 2w
joe=$OUT
check "new still prints one address" [ "$(printf '%s\n' "$OUT" | wc -l)" -eq 1 ]
expect 0 "show it" "$A" show "$joe"
check "show: lock domain" [ "$(field lock)" = domain ]
check "show: on refuse discard" [ "$(field 'on refuse')" = discard ]
check "show: max mails with the count so far" [ "$(field 'max mails')" = "3 (0 so far)" ]
check "show: idle 30d" [ "$(field idle)" = 30d ]
check "show: the note" [ "$(field note)" = "met at FOSDEM" ]
printf '%s\n' "$OUT" | grep -q '^allow: *<>$' &&
	printf '%s\n' "$OUT" | grep -q '^ *mailchimp\.com$' &&
	printf '%s\n' "$OUT" | grep -q '^ *news@shop\.example$'
check "show lists the allow items (address in lower case)" [ $? -eq 0 ]
showjson "$joe"
check "show --json is valid JSON" json_valid "$T/show.json"
check "show --json: lock" [ "$(json "$T/show.json" '$.lock')" = domain ]
check "show --json: on_refuse" [ "$(json "$T/show.json" '$.on_refuse')" = discard ]
check "show --json: max_mails" [ "$(json "$T/show.json" '$.max_mails')" = 3 ]
check "show --json: idle in seconds" [ "$(json "$T/show.json" '$.idle')" = 2592000 ]
check "show --json: three allow items" [ "$(sqlite3 :memory: "select json_array_length(readfile('$T/show.json'), '\$.allow')")" = 3 ]
check "show --json: expired_by is null" [ "$(sqlite3 :memory: "select json_type(readfile('$T/show.json'), '\$.expired_by')")" = null ]

expect 0 "new --json with rules" "$A" --json new --lock sender bob@example.org
printf '%s' "$OUT" >"$T/new.json"
check "new --json is valid and has the lock" [ "$(json "$T/new.json" '$.lock')" = sender ]
bob=$(json "$T/new.json" '$.address')

expect 0 "new without rules has the defaults" "$A" --json new plain@example.org
printf '%s' "$OUT" >"$T/plain.json"
check "default lock none" [ "$(json "$T/plain.json" '$.lock')" = none ]
check "default on_refuse reject" [ "$(json "$T/plain.json" '$.on_refuse')" = reject ]
check "default max_mails null" [ "$(sqlite3 :memory: "select json_type(readfile('$T/plain.json'), '\$.max_mails')")" = null ]
check "default allow empty" [ "$(sqlite3 :memory: "select json_array_length(readfile('$T/plain.json'), '\$.allow')")" = 0 ]
plain=$(json "$T/plain.json" '$.address')

# A bad rule on new creates nothing: every value is checked first.
before=$(snapshot)
expect 65 "new with a bad --lock" "$A" new --lock tight x@example.org
one_line_error 'bad --lock "tight"'
expect 65 "new with a public suffix allowed" "$A" new --allow co.uk x@example.org
one_line_error 'public suffix'
expect 64 "new with --disallow" "$A" new --disallow x.org x@example.org
one_line_error "aliasctl set"
check "failed new changed nothing" [ "$(snapshot)" = "$before" ]

# --- set: each option ---
expect 0 "set --lock sender" "$A" set "${plain%@*}" --lock sender
check "set prints what it changed" [ "$OUT" = "changed $plain" ]
for v in none domain sender; do
	expect 0 "set --lock $v" "$A" set "$plain" --lock "$v"
	expect 0 "show after --lock $v" "$A" show "$plain"
	check "lock is $v" [ "$(field lock)" = "$v" ]
done
for v in reject discard hold tempfail; do
	expect 0 "set --on-refuse $v" "$A" set "$plain" --on-refuse "$v"
	expect 0 "show after --on-refuse $v" "$A" show "$plain"
	check "on refuse is $v" [ "$(field 'on refuse')" = "$v" ]
done
expect 0 "set --max-mails 10" "$A" set "$plain" --max-mails 10
expect 0 "show" "$A" show "$plain"
check "max mails 10" [ "$(field 'max mails')" = "10 (0 so far)" ]
expect 0 "set --max-mails none" "$A" set "$plain" --max-mails none
expect 0 "show" "$A" show "$plain"
check "max mails none" [ "$(field 'max mails')" = none ]
for v in 12h 2w 3d; do
	expect 0 "set --idle $v" "$A" set "$plain" --idle "$v"
	expect 0 "show" "$A" show "$plain"
	check "idle $v" [ "$(field idle)" = "$v" ]
done
expect 0 "set --idle none" "$A" set "$plain" --idle none
expect 0 "show" "$A" show "$plain"
check "idle none" [ "$(field idle)" = none ]
expect 0 "set --note" "$A" set "$plain" --note "a shop"
expect 0 "show" "$A" show "$plain"
check "note set" [ "$(field note)" = "a shop" ]
expect 0 "set --expires 30d" "$A" set "$plain" --expires 30d
expect 0 "show" "$A" show "$plain"
check "expires has a date" sh -c 'printf "%s\n" "$1" | grep -q "^expires: *2[0-9-]* "' - "$OUT"
expect 0 "set --expires never" "$A" set "$plain" --expires never
expect 0 "show" "$A" show "$plain"
check "expires never" [ "$(field expires)" = never ]
expect 0 "several options at once" "$A" set "$plain" --lock domain \
	--on-refuse tempfail --max-mails 5 --idle 1w --allow shop.example
showjson "$plain"
check "all of them taken" [ "$(sqlite3 :memory: "select json_extract(readfile('$T/show.json'), '\$.lock') || ' ' || json_extract(readfile('$T/show.json'), '\$.on_refuse') || ' ' || json_extract(readfile('$T/show.json'), '\$.max_mails') || ' ' || json_extract(readfile('$T/show.json'), '\$.idle') || ' ' || json_extract(readfile('$T/show.json'), '\$.allow[0]')")" = "domain tempfail 5 604800 shop.example" ]
expect 0 "set --json prints the address" "$A" --json set "$plain" --lock none
printf '%s' "$OUT" >"$T/set.json"
check "set --json is valid and has the new lock" [ "$(json "$T/set.json" '$.lock')" = none ]

# --- bad values: one line, the right code, nothing changed ---
before=$(snapshot)
bad() {
	code=$1 msg=$2
	shift 2
	expect "$code" "set $(printf '%s' "$*" | tr '\n\033' '??') is refused ($code)" \
		"$A" set "$plain" "$@"
	one_line_error "$msg"
}
bad 65 'bad --lock' --lock Domain
bad 65 'bad --lock' --lock ''
bad 65 'bad --on-refuse' --on-refuse bounce
bad 65 'bad --max-mails' --max-mails 0
bad 65 'bad --max-mails' --max-mails -3
bad 65 'bad --max-mails' --max-mails 3x
bad 65 'bad --max-mails' --max-mails ' 3'
bad 65 'bad --max-mails' --max-mails 99999999999999999999
bad 65 'bad --idle' --idle 30
bad 65 'bad --idle' --idle 0d
bad 65 'bad --idle' --idle 5y
bad 65 'bad --idle' --idle 999999w
bad 65 'bad --expires' --expires 2020-01-01
bad 65 'bad --expires' --expires sometime
bad 65 '--note must be one line' --note "$(printf 'two\nlines')"
bad 65 'bad --allow' --allow co.uk
bad 65 'bad --allow' --allow com
bad 65 'bad --allow' --allow 'not a domain'
bad 65 'bad --allow' --allow '@'
bad 65 'bad --allow' --allow "$(printf 'evil\033[2J.example')"
bad 65 'bad --disallow' --disallow github.io
bad 67 'not on the allow list' --disallow stranger.example
bad 64 'nothing to change'
# A bad value after good ones: nothing of the good ones is written.
bad 65 'bad --idle' --lock sender --allow new.example --idle forever
# A missing item among good changes rolls them back too.
bad 67 'not on the allow list' --lock sender --allow new.example --disallow nope.example
check "failed sets changed nothing" [ "$(snapshot)" = "$before" ]
printf '%s' "$ERR" | grep -q "$(printf '\033')"
check "no raw escape reaches the terminal" [ $? -ne 0 ]
expect 64 "set with no address" "$A" set --lock none
expect 64 "set with two addresses" "$A" set "$plain" "$joe" --lock none
expect 64 "set with an unknown option" "$A" set "$plain" --colour red
expect 67 "set on a missing address" "$A" set mail-9999 --lock none
one_line_error "no address matches"
expect 64 "set on an ambiguous prefix" "$A" set mail- --lock none

# --- the allow list: keys, removal by key, idempotence, bound ---
expect 0 "allow a subdomain" "$A" set "$plain" --allow news.mailer.example
expect 0 "allowing the same organisation again is harmless" "$A" set "$plain" --allow @Mailer.Example.
check "the first item is kept" [ "$(store_sql "SELECT item FROM allow a JOIN address d ON d.id = a.address WHERE d.local = '${plain%@*}' AND key = 'mailer.example'")" = news.mailer.example ]
expect 0 "disallow by the organisation's domain" "$A" set "$plain" --disallow mailer.example
check "the subdomain's item is gone" [ -z "$(store_sql "SELECT item FROM allow WHERE key = 'mailer.example'")" ]
expect 0 "allow and disallow the null sender" "$A" set "$plain" --allow '<>'
expect 0 "disallow <>" "$A" set "$plain" --disallow '<>'
expect 0 "allow an address" "$A" set "$plain" --allow Alerts@Bank.Example
check "an address item is kept in lower case" [ "$(store_sql "SELECT key FROM allow WHERE item = 'alerts@bank.example'")" = alerts@bank.example ]
expect 0 "disallow then allow in one command" "$A" set "$plain" --disallow alerts@bank.example --allow bank.example
check "swapped" [ "$(store_sql "SELECT item FROM allow WHERE key LIKE '%bank.example'")" = bank.example ]
expect 0 "an IDN in U-label form" "$A" set "$plain" --allow 'news.münchen.de'
expect 0 "is the same organisation as its A-label" "$A" set "$plain" --disallow xn--mnchen-3ya.de

expect 0 "new for the bound test" "$A" new many@example.org
many=$OUT
args=()
for i in $(seq 1 100); do args+=(--allow "d$i.example"); done
expect 0 "100 allow items in one set" "$A" set "$many" "${args[@]}"
check "100 items stored" [ "$(store_sql "SELECT count(*) FROM allow a JOIN address d ON d.id = a.address WHERE d.local = '${many%@*}'")" = 100 ]
expect 73 "the 101st is refused" "$A" set "$many" --allow d101.example
one_line_error "full"
expect 0 "an item already there is no 101st" "$A" set "$many" --allow d1.example
expect 0 "room made and filled in one command" "$A" set "$many" --disallow d1.example --allow d101.example
args=()
for i in $(seq 1 101); do args+=(--allow "e$i.example"); done
expect 73 "a new address with 101 items is refused" "$A" new "${args[@]}" toomany@example.org
check "and not created" [ "$(store_sql "SELECT count(*) FROM address WHERE correspondent = 'toomany@example.org'")" = 0 ]

# --- expiry by max-mails and idle, as show says ---
expect 0 "new with max-mails 3" "$A" new --max-mails 3 counted@example.org
counted=$OUT
id=$(store_sql "SELECT id FROM address WHERE local = '${counted%@*}'")
store_sql "DELETE FROM counter WHERE address = $id; INSERT INTO counter (address, messages, last) VALUES ($id, 3, $(date +%s))"
expect 0 "show the used-up address" "$A" show "$counted"
check "state: expired (max-mails)" [ "$(field state)" = "expired (max-mails)" ]
check "max mails 3 (3 so far)" [ "$(field 'max mails')" = "3 (3 so far)" ]
showjson "$counted"
check "show --json: expired_by max-mails" [ "$(json "$T/show.json" '$.expired_by')" = max-mails ]
check "show --json: reason address expired" [ "$(json "$T/show.json" '$.reason')" = "address expired" ]
expect 0 "raising max-mails brings it back" "$A" set "$counted" --max-mails 4
expect 0 "show" "$A" show "$counted"
check "active again" [ "$(field state)" = active ]
expect 0 "lowering it below the count" "$A" set "$counted" --max-mails 2
one_line_error "expired (max-mails)"
expect 0 "new with idle 1h" "$A" new --idle 1h quiet@example.org
quiet=$OUT
store_sql "UPDATE address SET created = created - 7200 WHERE local = '${quiet%@*}'"
expect 0 "show the idle address" "$A" show "$quiet"
check "state: expired (idle)" [ "$(field state)" = "expired (idle)" ]
expect 0 "list --retired has it" "$A" list --retired
printf '%s\n' "$OUT" | grep -q "^$quiet .* expired "
check "listed as expired" [ $? -eq 0 ]

# --- list --json carries the rules ---
"$A" --json list --all >"$T/list.json"
check "list --json is valid JSON" json_valid "$T/list.json"
check "list --json: joe's lock" [ "$(sqlite3 :memory: "select json_extract(value, '\$.lock') from json_each(readfile('$T/list.json')) where json_extract(value, '\$.address') = '$joe'")" = domain ]
check "list --json: joe's allow list" [ "$(sqlite3 :memory: "select json_array_length(value, '\$.allow') from json_each(readfile('$T/list.json')) where json_extract(value, '\$.address') = '$joe'")" = 3 ]
check "list --json: every object has the rule members" [ "$(sqlite3 :memory: "select count(*) from json_each(readfile('$T/list.json')) where json_type(value, '\$.lock') = 'text' and json_type(value, '\$.on_refuse') = 'text' and json_type(value, '\$.allow') = 'array'")" = "$(sqlite3 :memory: "select json_array_length(readfile('$T/list.json'))")" ]
expect 0 "the text list keeps its columns" "$A" list
check "list header unchanged" [ "$(printf '%s\n' "$OUT" | head -1 | tr -s ' ')" = "ADDRESS CORRESPONDENT STATE CREATED LAST MAIL COUNT" ]

# A hostile allow item in the store stays valid JSON and escaped text.
store_sql "INSERT INTO allow (address, item, key) SELECT id, 'x' || $(sql_chr 27) || '[2J' || $(sql_chr 10) || '\"', 'hostile.example' FROM address WHERE local = '${plain%@*}'"
showjson "$plain"
check "a hostile item: show --json still valid" json_valid "$T/show.json"
expect 0 "show it as text" "$A" show "$plain"
printf '%s' "$OUT" | grep -q "$(printf '\033')"
check "a hostile item: no raw escape in show" [ $? -ne 0 ]
store_sql "DELETE FROM allow WHERE key = 'hostile.example'"

# --- replace ---
expect 0 "replace joe's address" "$A" replace "${joe%@*}" --reason "Leaked to a list"
new=$OUT
check "replace prints one new address" sh -c '[ "$(printf "%s\n" "$1" | wc -l)" -eq 1 ] && printf "%s" "$1" | grep -Eqx "mail-[0-9]{4}-[a-km-np-z2-9]{6}@example\.com"' - "$new"
check "the new address differs" [ "$new" != "$joe" ]
expect 0 "show the old one" "$A" show "$joe"
check "old one retired" [ "$(field state)" = retired ]
check "with the reason given" [ "$(field reason)" = "Leaked to a list" ]
showjson "$new"
cp "$T/show.json" "$T/new.json"
check "new one active" [ "$(json "$T/new.json" '$.state')" = active ]
check "same correspondent" [ "$(json "$T/new.json" '$.correspondent')" = joe@example.org ]
check "rules kept" [ "$(sqlite3 :memory: "select json_extract(readfile('$T/new.json'), '\$.lock') || ' ' || json_extract(readfile('$T/new.json'), '\$.on_refuse') || ' ' || json_extract(readfile('$T/new.json'), '\$.max_mails') || ' ' || json_extract(readfile('$T/new.json'), '\$.idle')")" = "domain discard 3 2592000" ]
check "note kept" [ "$(json "$T/new.json" '$.note')" = "met at FOSDEM" ]
check "allow list kept" [ "$(sqlite3 :memory: "select group_concat(value) from (select value from json_each(readfile('$T/new.json'), '\$.allow') order by value)")" = "<>,mailchimp.com,news@shop.example" ]
expect 0 "for joe gives the new address" "$A" for joe@example.org
check "for agrees" [ "$OUT" = "$new" ]
expect 0 "replace --json" "$A" --json replace "$bob"
printf '%s' "$OUT" >"$T/rep.json"
check "replace --json is valid, with the kept lock" [ "$(json "$T/rep.json" '$.lock')" = sender ]
expect 0 "make the new one the default" "$A" default "$new"
expect 0 "replace the default address" "$A" replace "$new"
newer=$OUT
one_line_error "the default address is now $newer"
expect 0 "default" "$A" default
check "the replacement is the default now" [ "$OUT" = "$newer" ]
expect 0 "for joe gives the newer address" "$A" for joe@example.org
check "for agrees after the second replace" [ "$OUT" = "$newer" ]
new=$newer
expect 0 "replacing a named address" "$A" new --name shop --lock domain
expect 0 "replace it" "$A" replace shop
case "$OUT" in mail-*@example.com) ok "a named address is replaced by a templated one" ;;
*) not_ok "a named address is replaced by a templated one ($OUT)" ;; esac
before=$(snapshot)
expect 67 "replace a missing address" "$A" replace mail-9999
one_line_error "no address matches"
expect 64 "replace with no address" "$A" replace
expect 65 "replace with an empty reason" "$A" replace "$new" --reason ""
expect 65 "replace with a two-line reason" "$A" replace "$new" --reason "$(printf 'a\nb')"
check "failed replaces changed nothing" [ "$(snapshot)" = "$before" ]

# --- leaks ---
expect 0 "leaks on a store without sightings" "$A" leaks
check "prints nothing on stdout" [ -z "$OUT" ]
one_line_error "no leak sightings"
expect 0 "leaks --json without sightings" "$A" --json leaks
check "an empty JSON array" [ "$OUT" = "[]" ]
for s in 12h 30d 2w; do
	expect 0 "leaks --since $s" "$A" leaks --since "$s"
done
for s in 30 2x -1d 0d ''; do
	expect 65 "leaks --since '$s' is refused" "$A" leaks --since "$s"
done
expect 64 "leaks with an argument" "$A" leaks extra

now=$(date +%s)
nid=$(store_sql "SELECT id FROM address WHERE local = '${new%@*}'")
pid=$(store_sql "SELECT id FROM address WHERE local = '${plain%@*}'")
store_sql <<SQL
INSERT INTO sighting (address, domain, first, last, messages) VALUES
  ($nid, 'spam.example', $((now - 10 * 86400)), $((now - 3 * 86400)), 7),
  ($nid, 'broker.example', $((now - 3600)), $((now - 60)), 2),
  ($pid, 'evil' || $(sql_chr 27) || '[2J.example', $((now - 7200)), $((now - 1800)), 1);
SQL
expect 0 "leaks" "$A" leaks
check "a header and three lines" [ "$(printf '%s\n' "$OUT" | wc -l)" -eq 4 ]
check "newest first" [ "$(printf '%s\n' "$OUT" | sed -n '2p;3p;4p' | awk '{print $3}' | tr '\n' ' ')" = 'broker.example evil\x1b[2J.example spam.example ' ]
printf '%s\n' "$OUT" | sed -n 2p | grep -q "^$new  *joe@example.org  *broker.example .* 2$"
check "a line: address, correspondent, domain, times, messages" [ $? -eq 0 ]
printf '%s' "$OUT" | grep -q "$(printf '\033')"
check "a hostile domain is escaped" [ $? -ne 0 ]
expect 0 "leaks --since 2d" "$A" leaks --since 2d
check "--since leaves out the old sighting" [ "$(printf '%s\n' "$OUT" | grep -c spam.example)" -eq 0 ]
check "--since keeps the recent ones" [ "$(printf '%s\n' "$OUT" | wc -l)" -eq 3 ]
"$A" --json leaks >"$T/leaks.json"
check "leaks --json is valid JSON" json_valid "$T/leaks.json"
check "leaks --json has three sightings" [ "$(sqlite3 :memory: "select json_array_length(readfile('$T/leaks.json'))")" = 3 ]
check "leaks --json: the first is the newest" [ "$(json "$T/leaks.json" '$[0].domain')" = broker.example ]
check "leaks --json: members" [ "$(sqlite3 :memory: "select json_extract(readfile('$T/leaks.json'), '\$[0].address') || ' ' || json_extract(readfile('$T/leaks.json'), '\$[0].correspondent') || ' ' || json_extract(readfile('$T/leaks.json'), '\$[0].messages') || ' ' || json_type(readfile('$T/leaks.json'), '\$[0].first') || ' ' || json_type(readfile('$T/leaks.json'), '\$[0].last')")" = "$new joe@example.org 2 text text" ]
"$A" --json leaks --since 2d >"$T/leaks.json"
check "leaks --json --since 2d has two" [ "$(sqlite3 :memory: "select json_array_length(readfile('$T/leaks.json'))")" = 2 ]

# help
for v in set replace leaks; do
	expect 0 "$v --help" "$A" "$v" --help
	check "$v --help names the verb" sh -c 'printf "%s" "$1" | grep -q "aliasctl.* $2"' - "$OUT" "$v"
done
expect 0 "new --help names the rule options" "$A" new --help
check "new --help has --lock" sh -c 'printf "%s" "$1" | grep -q -- "--lock"' - "$OUT"

finish
