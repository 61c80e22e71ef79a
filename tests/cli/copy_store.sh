#!/bin/bash
# copy_store.sh: aliasctl copy-store copies every address, rule, allow
# item, counter, sender domain, sighting and setting, in one
# transaction, only into a store with no address.  A SQLite file is
# copied into the suite's store ($D: a SQLite file, or under
# ALIASD_TEST_STORE=pg a PostgreSQL database) and from there into a
# second file: everything aliasctl shows is byte-identical all along.
set -u
. "$ALIASD_TOP/tests/lib/tap.sh"
. "$ALIASD_TOP/tests/lib/cli.sh"

# The origin: always a SQLite file, filled by aliasctl and, for what
# only aliasd writes (counts, sender domains, sightings), by hand.
mkdir -p "$T/origin"
cat >"$T/origin/aliasd.conf" <<CONF
domain = example.com
database = $T/origin/aliases.db
owner = me@example.net
user = $(id -un)
CONF
export ALIASD_CONF="$T/origin/aliasd.conf"
"$A" init >/dev/null 2>&1
joe=$("$A" new --note "it's Joe's" joe@example.org)
bob=$("$A" new --lock sender --allow shop.example --allow '<>' \
    --max-mails 50 --idle 30d bob@example.org)
"$A" new --name ebay --on-refuse tempfail >/dev/null
"$A" retire "$bob" --reason "Spammers found this address" >/dev/null
"$A" default "$joe" >/dev/null
now=$(date +%s)
sqlite3 "$T/origin/aliases.db" "
INSERT INTO counter (address, messages, last) VALUES (1, 7, $now);
INSERT INTO sender_domain (address, domain, messages, last)
    VALUES (1, 'example.org', 6, $now), (1, 'mail.example.org', 1, NULL);
INSERT INTO sighting (address, domain, first, last, messages)
    VALUES (1, 'leaky.example', $((now - 60)), $now, 2);"

# everything: what aliasctl shows of the store of the current ALIASD_CONF.
everything() {
	"$A" --json list --all
	for a in "$joe" "$bob" ebay@example.com; do "$A" --json show "$a"; done
	"$A" --json leaks
	"$A" default
	"$A" export postfix
	"$A" export postfix-virtual
}
before=$(everything 2>&1)

# The middle: the suite's own store, made by init, still empty.
newstore middle </dev/null
middle=$(grep '^database = ' "$D/aliasd.conf" | sed 's/^database = //')
expect 0 "copy-store FILE STORE" "$A" copy-store "$T/origin/aliases.db" "$middle"
check "it says how many rows it copied" \
    [ "$(printf '%s' "$OUT" | grep -c '^copied 1[0-9] rows from ')" -eq 1 ]
check "the copy shows what the origin showed" [ "$(everything 2>&1)" = "$before" ]
new=$("$A" new carl@example.org)
check "a new address after the copy gets the next id and number" \
    [ "${new#mail-0003-}" != "$new" ]
"$A" retire "$new" >/dev/null
after=$(everything 2>&1)

# Into a store that holds addresses: refused, one line, nothing changed.
snap=$(snapshot)
expect 73 "copy-store into a store with addresses" \
    "$A" copy-store "$T/origin/aliases.db" "$middle"
one_line_error "holds 4 addresses"
check "the store refused is as it was" [ "$(snapshot)" = "$snap" ]

# And back to a new SQLite file, created by the copy.
expect 0 "copy-store STORE NEWFILE" "$A" copy-store "$middle" "$T/back.db"
check "the new file is 0600" [ "$(stat -c %a "$T/back.db")" = 600 ]
sed "s|^database = .*|database = $T/back.db|" "$D/aliasd.conf" >"$T/back.conf"
export ALIASD_CONF="$T/back.conf"
check "the second copy shows what the store copied showed" \
    [ "$(everything 2>&1)" = "$after" ]

expect 64 "copy-store with one argument" "$A" copy-store "$T/back.db"
expect 78 "copy-store from a store that is not there" \
    "$A" copy-store "$T/none.db" "$T/other.db"
one_line_error "none.db"
check "nothing was made for a missing origin" [ ! -e "$T/other.db" ]
echo "not a database" >"$T/junk"
expect 78 "copy-store from a file that is not a store" \
    "$A" copy-store "$T/junk" "$T/other.db"

finish
