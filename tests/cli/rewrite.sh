#!/bin/bash
# rewrite.sh: aliasctl rewrite, the header block of a message rewritten
# by the one outbound plan (what the Emacs package sends): the owner's
# mail rewritten, anybody else's unchanged, unchanged fields byte for
# byte, --create, --sender, --json, the leak guard and store errors.
set -u
. "$ALIASD_TOP/tests/lib/tap.sh"
. "$ALIASD_TOP/tests/lib/cli.sh"

newstore rw </dev/null
joe=$("$A" new joe@example.org)
"$A" new --name general >/dev/null
"$A" default general >/dev/null

# json FILE PATH: a member of the JSON object in FILE ('' for null).
json() {
	sqlite3 :memory: "select json_extract(readfile('$1'), '$2')"
}
json_valid() {
	[ "$(sqlite3 :memory: "select json_valid(readfile('$1'))")" = 1 ]
}
# The header block of a message file: the lines before the first empty one.
block() {
	sed '/^\r\{0,1\}$/,$d' "$1"
}
# lacks TEXT FILE: FILE does not hold TEXT (any case).
lacks() {
	! grep -qiF -- "$1" "$2"
}

# --- the owner's mail --------------------------------------------------------

printf '%s\n' "From: Me <me@example.net>" "To: Joe <joe@example.org>" \
    "Cc: Me Myself <me@example.net>, ann@example.org" \
    "Disposition-Notification-To: me@example.net" \
    "Subject:   two  spaces" "	and a fold " "X-Odd:tab	inside" \
    "Message-ID: <1@client.test>" "" "The body names me@example.net." \
    >"$T/own"
expect 0 "rewrite: the owner's mail" "$A" rewrite joe@example.org <"$T/own"
printf '%s\n' "$OUT" >"$T/own.out"
check "From is the recipient's address, the display name kept" \
    grep -qx "From: Me <$joe>" "$T/own.out"
check "Reply-To is added with it" grep -qx "Reply-To: Me <$joe>" "$T/own.out"
check "the owner in Cc is the chosen address, Ann kept" \
    grep -qE "^Cc: .*<$joe>, ann@example\.org$" "$T/own.out"
check "Disposition-Notification-To names the chosen address" \
    grep -qE "^Disposition-Notification-To: .*$joe" "$T/own.out"
check "the owner's address is nowhere in the block" lacks me@example.net "$T/own.out"
check "only the header block is printed: no blank line, no body" \
    sh -c '! grep -q "^$" "$1" && ! grep -q "The body" "$1"' - "$T/own.out"
# Every field it did not change, byte for byte and in order.
changed='^(From|Cc|Disposition-Notification-To|Reply-To):'
check "unchanged fields are printed byte for byte" \
    cmp -s <(block "$T/own" | grep -Ev "$changed") <(grep -Ev "$changed" "$T/own.out")
check "nothing was printed on stderr" [ -z "$ERR" ]

# Recipients from the header when none are given: Joe, the owner and Ann
# differ, so the default address.
expect 0 "rewrite: recipients from the header" "$A" rewrite <"$T/own"
check "recipients from the header (Cc too): the default address" \
    sh -c 'printf "%s\n" "$1" | grep -qx "From: Me <general@example.com>"' - "$OUT"
# A group is a list of recipients like any other.
printf '%s\n' "From: me@example.net" "To: friends: Joe <joe@example.org>;" \
    "Subject: group" "" >"$T/group"
expect 0 "rewrite: a group in To" "$A" rewrite <"$T/group"
check "a group's member is the recipient: Joe's address" \
    sh -c 'printf "%s\n" "$1" | grep -q "^From: .*$2"' - "$OUT" "$joe"
check "the group is kept as written" \
    sh -c 'printf "%s\n" "$1" | grep -qx "To: friends: Joe <joe@example.org>;"' - "$OUT"

# CRLF in, CRLF out; an mbox From_ line is not part of the block.
printf 'From me@example.net Mon Mar  3 10:00:00 2025\nFrom: me@example.net\r\nTo: joe@example.org\r\nX-Keep: yes\r\n\r\nbody\r\n' \
    >"$T/crlf"
"$A" rewrite <"$T/crlf" >"$T/crlf.out" 2>/dev/null
check "CRLF line ends are kept, on changed fields too" \
    sh -c '[ "$(grep -c "$(printf "\r")\$" "$1")" -eq "$(wc -l <"$1")" ]' - "$T/crlf.out"
check "the mbox From_ line is not printed" sh -c '! grep -q "^From " "$1"' - "$T/crlf.out"
check "an unchanged CRLF field byte for byte" grep -qx "$(printf 'X-Keep: yes\r')" "$T/crlf.out"

# --- --json ------------------------------------------------------------------

"$A" --json rewrite --sender me@example.net joe@example.org <"$T/own" \
    >"$T/own.json" 2>"$T/own.err"
check "--json: exit 0" [ $? -eq 0 ]
check "--json is valid JSON" json_valid "$T/own.json"
check "--json: address is Joe's" [ "$(json "$T/own.json" '$.address')" = "$joe" ]
check "--json: the envelope sender becomes Joe's address" \
    [ "$(json "$T/own.json" '$.sender')" = "$joe" ]
check "--json: owner true, created false" \
    [ "$(json "$T/own.json" '$.owner')/$(json "$T/own.json" '$.created')" = 1/0 ]
check "--json: headers is the block plain rewrite prints" \
    [ "$(json "$T/own.json" '$.headers')" = "$(cat "$T/own.out")" ]
# Bytes that are not UTF-8 (a Latin-1 Subject) still give valid JSON.
printf 'From: me@example.net\nTo: joe@example.org\nSubject: caf\351\n\n' >"$T/latin1"
"$A" --json rewrite <"$T/latin1" >"$T/latin1.json" 2>/dev/null
check "--json is valid JSON when a field is not UTF-8" json_valid "$T/latin1.json"

# --- somebody else's mail ----------------------------------------------------

printf '%s\n' "From: Colleague <colleague@other.example>" \
    "To: joe@example.org" "Cc: me@example.net" "Subject:  odd   spacing" \
    "" "body" >"$T/foreign"
expect 0 "rewrite: somebody else's mail" "$A" rewrite <"$T/foreign"
check "somebody else's mail is printed unchanged, byte for byte" \
    cmp -s <(block "$T/foreign") <(printf '%s\n' "$OUT")
"$A" --json rewrite --create --sender colleague@other.example <"$T/foreign" \
    >"$T/foreign.json" 2>/dev/null
check "--json: owner false, no address, no sender" \
    [ "$(json "$T/foreign.json" '$.owner')/$(json "$T/foreign.json" '$.address')/$(json "$T/foreign.json" '$.sender')" = "0//" ]
check "--json: its headers unchanged" \
    [ "$(json "$T/foreign.json" '$.headers')" = "$(block "$T/foreign")" ]

# --- --create ----------------------------------------------------------------

"$A" default --none >/dev/null
echo "auto_create = yes" >>"$ALIASD_CONF"
printf '%s\n' "From: me@example.net" "To: newbie@example.org" "" >"$T/new"
printf '%s\n' "From: colleague@other.example" "To: stranger@example.org" "" \
    >"$T/new-foreign"
expect 75 "without --create nothing is made: no address, so the guard holds it" \
    "$A" rewrite <"$T/new"
check "without --create no address exists for the new correspondent" \
    [ -z "$("$A" for newbie@example.org)" ]
"$A" --json rewrite --create <"$T/new-foreign" >"$T/nf.json" 2>/dev/null
check "--create: nothing is made for somebody else's mail" \
    [ "$(json "$T/nf.json" '$.created')" = 0 ] && [ -z "$("$A" for stranger@example.org)" ]
"$A" --json rewrite --create <"$T/new" >"$T/new.json" 2>/dev/null
made=$("$A" for newbie@example.org)
check "--create: the owner's mail to a new correspondent makes an address" \
    [ -n "$made" ] && [ "$(json "$T/new.json" '$.created')" = 1 ]
check "--create: and the block uses it" \
    [ "$(json "$T/new.json" '$.address')" = "$made" ] &&
    json "$T/new.json" '$.headers' | grep -q "^From: .*$made"

# --- the leak guard, errors --------------------------------------------------

"$A" default general >/dev/null
printf '%s\n' "From: me@example.net" "To: joe@example.org" \
    "X-Original-Sender: me@example.net" "" >"$T/leak"
expect 75 "the leak guard: exit 75" "$A" rewrite <"$T/leak"
one_line_error "X-Original-Sender"
check "the leak guard: nothing on stdout" [ -z "$OUT" ]
"$A" default --none >/dev/null
expect 75 "no address for the owner's mail: the guard names From" \
    "$A" rewrite --sender me@example.net a@example.org b@example.org <"$T/own"
one_line_error "in From"
echo "on_leak = send" >>"$ALIASD_CONF"
expect 0 "on_leak = send: the guard is off" "$A" rewrite <"$T/leak"
check "on_leak = send: the block is printed" \
    sh -c 'printf "%s\n" "$1" | grep -q "^X-Original-Sender: me@example.net$"' - "$OUT"

expect 65 "a recipient that is no address" "$A" rewrite "not an address" <"$T/own"
expect 65 "a --sender that is no address" "$A" rewrite --sender "a b" <"$T/own"
expect 0 "--sender <> (the null sender) is taken" "$A" rewrite --sender "<>" joe@example.org <"$T/own"
expect 0 "--help" "$A" rewrite --help
check "--help shows the usage" sh -c 'printf "%s\n" "$1" | grep -q "rewrite \[--create\]"' - "$OUT"

# A store that cannot be written while a new address must be made: 75.
on_sqlite "a locked SQLite store, a store file moved away" || { finish; exit; }
"$A" default --none >/dev/null
sqlite3 "$D/aliases.db" >/dev/null 2>&1 <<SQL &
.timeout 1000
BEGIN IMMEDIATE;
INSERT INTO setting (key, value) VALUES ('lock-holder', 1);
SELECT 1;
.shell sleep 20
ROLLBACK;
SQL
holder=$!
# Wait until the lock is held: another writer is refused at once.
lock_held() {
	sqlite3 -cmd ".timeout 0" "$D/aliases.db" "BEGIN IMMEDIATE; ROLLBACK;" 2>&1 |
	    grep -q locked
}
i=0	# bounded: 200 tries, 20 s and more
until lock_held || [ "$i" -ge 200 ]; do sleep 0.1; i=$((i + 1)); done
check "the lock is held by another writer" lock_held
printf '%s\n' "From: me@example.net" "To: another@example.org" "" >"$T/new2"
expect 75 "a locked store when an address must be made: 75" \
    "$A" rewrite --create <"$T/new2"
pkill -P "$holder" 2>/dev/null
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
check "a store error prints nothing on stdout" [ -z "$OUT" ]
mv "$D/aliases.db" "$D/aliases.db.away"
expect 78 "no store at all: 78, as every verb" "$A" rewrite <"$T/own"
mv "$D/aliases.db.away" "$D/aliases.db"

finish
