#!/bin/sh
# genstore.sh CONF N: a store of N addresses for make bench, fast.
#
# `aliasctl init` makes the store (schema, WAL, owner); then one
# transaction of INSERT ... SELECT over generate_series, the sqlite3
# shell's built-in table function, in the shapes aliasctl makes:
# local "mail-%07d-xx" (two random characters of the template alphabet),
# domain example.com, seq, correspondent cN@example.org, about 10%
# retired with a reason; next_seq is set past the last one.
# Prints the seconds the insert took.
set -eu
conf=$1
n=$2
ctl=${ALIASCTL:-build/aliasctl}

ALIASD_CONF=$conf "$ctl" init >/dev/null
db=$(sed -n 's/^database *= *//p' "$conf")
t0=$(date +%s.%N)
sqlite3 "$db" >/dev/null <<SQL
PRAGMA cache_size = -262144;
BEGIN IMMEDIATE;
INSERT INTO address (local, domain, seq, correspondent, state, reason,
    created, retired)
SELECT printf('mail-%07d-%s%s', value,
        substr('abcdefghijkmnpqrstuvwxyz23456789', 1 + abs(random() % 32), 1),
        substr('abcdefghijkmnpqrstuvwxyz23456789', 1 + abs(random() % 32), 1)),
    'example.com', value, 'c' || value || '@example.org',
    value % 10 = 7,
    CASE WHEN value % 10 = 7 THEN 'Spammers found this address' END,
    1700000000 + value,
    CASE WHEN value % 10 = 7 THEN 1750000000 + value END
FROM generate_series(1, $n);
INSERT INTO setting (key, value) VALUES ('next_seq', $n + 1)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
t1=$(date +%s.%N)
echo "$t0 $t1" | awk '{ printf "%.2f\n", $2 - $1 }'
