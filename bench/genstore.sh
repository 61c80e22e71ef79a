#!/bin/sh
# genstore.sh CONF N [rules]: a store of N addresses for make bench, fast.
#
# `aliasctl init` makes the store (schema, WAL, owner); then one
# transaction of INSERT ... SELECT over generate_series, the sqlite3
# shell's built-in table function, in the shapes aliasctl makes:
# local "mail-%07d-xx" (two random characters of the template alphabet),
# domain example.com, seq, correspondent cN@example.org, about 10%
# retired with a reason; next_seq is set past the last one.
#
# With "rules" (or RULES=1) every address gets the gate's rules and the
# store what a year of mail leaves in it (SPEC "The gate"), in the same
# transaction: half the addresses (even N) lock domain, half lock none,
# all on-refuse reject, max-mails 1,000,000, idle one year, one allow
# row each (cN-mail.example: a mailing service, never the bench's
# senders, so a stranger costs a probe that misses); every active
# address has a counter (1 to 100 messages, the last within 30 days,
# so that idle expires none of them) and a sender domain, and 10% have
# a leak sighting.
# Prints the seconds the insert took.
set -eu
conf=$1
n=$2
rules=${3:-}
[ "${RULES:-0}" = 1 ] && rules=rules
case $rules in
'') ;;
rules) ;;
*) echo "usage: genstore.sh CONF N [rules]" >&2; exit 64 ;;
esac
ctl=${ALIASCTL:-build/aliasctl}
now=$(date +%s)
# The rules are columns of the one INSERT of the addresses.
cols='' vals=''
if [ "$rules" = rules ]; then
	cols=", lock, on_refuse, max_mails, idle"
	vals=", 1 - value % 2, 0, 1000000, 31536000"
fi

rules_sql() {
	[ "$rules" = rules ] || return 0
	cat <<SQL
INSERT INTO allow (address, item, key)
SELECT value, 'c' || value || '-mail.example', 'c' || value || '-mail.example'
FROM generate_series(1, $n);
INSERT INTO counter (address, messages, last)
SELECT value, 1 + value % 100, $now - value % 2592000
FROM generate_series(1, $n) WHERE value % 10 != 7;
INSERT INTO sender_domain (address, domain, messages, last)
SELECT value, 'example.org', 1 + value % 100, $now - value % 2592000
FROM generate_series(1, $n) WHERE value % 10 != 7;
INSERT INTO sighting (address, domain, first, last, messages)
SELECT value, 'leak' || (value % 1000) || '.example',
    $now - 2592000 - value % 2592000, $now - value % 2592000,
    1 + value % 5
FROM generate_series(1, $n) WHERE value % 10 = 3;
SQL
}

ALIASD_CONF=$conf "$ctl" init >/dev/null
db=$(sed -n 's/^database *= *//p' "$conf")
t0=$(date +%s.%N)
sqlite3 "$db" >/dev/null <<SQL
PRAGMA cache_size = -262144;
BEGIN IMMEDIATE;
INSERT INTO address (local, domain, seq, correspondent, state, reason,
    created, retired$cols)
SELECT printf('mail-%07d-%s%s', value,
        substr('abcdefghijkmnpqrstuvwxyz23456789', 1 + abs(random() % 32), 1),
        substr('abcdefghijkmnpqrstuvwxyz23456789', 1 + abs(random() % 32), 1)),
    'example.com', value, 'c' || value || '@example.org',
    value % 10 = 7,
    CASE WHEN value % 10 = 7 THEN 'Spammers found this address' END,
    1700000000 + value,
    CASE WHEN value % 10 = 7 THEN 1750000000 + value END$vals
FROM generate_series(1, $n);
$(rules_sql)
INSERT INTO setting (key, value) VALUES ('next_seq', $n + 1)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
t1=$(date +%s.%N)
echo "$t0 $t1" | awk '{ printf "%.2f\n", $2 - $1 }'
