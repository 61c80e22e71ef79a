#!/bin/bash
# errors.sh: bad input gets one clear line, the documented exit code, and
# leaves the store as it was.
set -u
. "$ALIASD_TOP/tests/lib/tap.sh"
. "$ALIASD_TOP/tests/lib/cli.sh"

newstore main </dev/null
"$A" new joe@example.org >/dev/null
"$A" new bob@example.org >/dev/null
before=$(snapshot)

unchanged() {
	if [ "$(snapshot)" = "$before" ]; then ok "store unchanged after: $1"
	else not_ok "store unchanged after: $1"; fi
}

for bad in 'joe@' '@' 'a b@c' 'joe' 'joe@@example.org' '.joe@example.org' \
    'joe@-example.org' "$(printf 'jo\tje@example.org')"; do
	expect 65 "malformed correspondent '$bad'" "$A" new "$bad"
	one_line_error "bad correspondent"
	unchanged "new '$bad'"
done
expect 65 "malformed recipient for 'for'" "$A" for 'joe@'
one_line_error "bad recipient"

expect 64 "unknown verb" "$A" frobnicate
one_line_error 'unknown verb "frobnicate"'
expect 64 "no verb" "$A"
expect 64 "unknown option" "$A" new --frob
expect 64 "unknown global option" "$A" --frob list
expect 64 "too many arguments" "$A" new a@b.example c@d.example
expect 64 "retire without address" "$A" retire
unchanged "usage errors"

expect 64 "ambiguous prefix" "$A" retire mail-000
one_line_error "ambiguous"
printf '%s' "$ERR" | grep -q 'mail-0001-.*mail-0002-'
check "the ambiguity lists both candidates" [ $? -eq 0 ]
unchanged "ambiguous retire"
expect 67 "unknown prefix" "$A" retire mail-9
one_line_error "no address matches"
expect 67 "unknown address" "$A" show nobody@example.com
unchanged "unknown retire"
expect 65 "a reason with a newline" "$A" retire mail-0001 --reason "$(printf 'a\nb')"
unchanged "bad reason"
expect 67 "retire of several with one unknown" "$A" retire mail-0001 mail-9 mail-0002
one_line_error "no address matches"
unchanged "retire of several, one unknown: none retired"
expect 65 "a malformed --expires" "$A" new --expires 3x x@example.org
one_line_error "bad --expires"
expect 65 "an --expires in the past" "$A" new --expires 2020-01-01 x@example.org
unchanged "bad --expires"
expect 66 "import of an unreadable file" "$A" import virtusertable "$T/no-such-file"
one_line_error "cannot read"
unchanged "unreadable import"
expect 65 "--note too long" "$A" new --note "$(head -c 600 /dev/zero | tr '\0' x)" x@example.org
unchanged "long note"
expect 65 "an unmanaged domain for --domain" "$A" new --domain other.example x@example.org

# Configuration errors name FILE:LINE and exit 78.
printf 'domain = example.com\nfrobs = 1\n' >"$T/bad.conf"
expect 78 "unknown key" "$A" -c "$T/bad.conf" list
one_line_error "$T/bad.conf:2: unknown key"
printf 'domain = example.com\non_error = maybe\n' >"$T/bad2.conf"
expect 78 "bad value" "$A" -c "$T/bad2.conf" list
one_line_error "$T/bad2.conf:2:"
printf 'template = mail-%%04n\n' >"$T/bad3.conf"
expect 78 "template without random part" "$A" -c "$T/bad3.conf" list
one_line_error "no random part"
expect 78 "-c names a missing file" "$A" -c "$T/nonexistent.conf" list
one_line_error "cannot read"
ALIASD_CONF="$T/nonexistent.conf" run "$A" list
check "ALIASD_CONF naming a missing file exits 78" [ "$RC" -eq 78 ]

# No store yet: say to run init.  (Under pg: an empty database.)
printf 'domain = example.com\ndatabase = %s\n' "$(store_path none)" >"$T/nostore.conf"
expect 78 "no store" "$A" -c "$T/nostore.conf" list
one_line_error "aliasctl init"
if on_sqlite "no store: nothing was created"; then
	check "no store: nothing was created" [ ! -e "$T/none" ]
fi
printf 'database = %s\n' "$(store_path nodomain)" >"$T/nodomain.conf"
"$A" -c "$T/nodomain.conf" init >/dev/null 2>&1
expect 78 "new without a domain" "$A" -c "$T/nodomain.conf" new
one_line_error "no domain"
expect 78 "export virtusertable without owner" "$A" -c "$T/nodomain.conf" export virtusertable
one_line_error "owner is not set"

# A store locked by another writer: wait the busy timeout, then 75.
# locked_writer_checks HOLDER: once lock_held says the lock is taken, a
# writer gives up after the busy timeout with 75 and one line; readers
# go on.
locked_writer_checks() {
	local i=0 start took
	# bounded: 200 tries, 20 s and more
	until lock_held || [ "$i" -ge 200 ]; do sleep 0.1; i=$((i + 1)); done
	check "the writers' lock is held by $1" lock_held
	start=$(date +%s)
	expect 75 "store locked by $1" "$A" new locked@example.org
	took=$(($(date +%s) - start))
	one_line_error "locked by another program"
	check "gave up after the busy timeout, not at once (${took}s)" \
	    eval '[ "$took" -ge 4 ] && [ "$took" -le 8 ]'
	expect 0 "reads go on while a writer holds the lock" "$A" for joe@example.org
}
if on_sqlite "a store locked by another writer: SQLite's busy timeout, WAL readers"; then
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
locked_writer_checks "another writer"
pkill -P "$holder" 2>/dev/null
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
unchanged "locked new"
else
# The same under PostgreSQL: a session holds the writers' advisory lock
# (db/sql_pg.c, WRITER_LOCK) for up to 30 s; aliasctl waits its busy timeout
# (lock_timeout), then 75; readers never wait on it.
PG_DB=$DBNAME pg_psql "SELECT pg_advisory_lock(1634494817), pg_sleep(30)" \
    >/dev/null 2>&1 &
holder=$!
lock_held() {
	[ "$(PG_DB=$DBNAME pg_psql "SELECT count(*) FROM pg_locks WHERE
	    locktype = 'advisory' AND objid = 1634494817 AND granted")" = 1 ]
}
locked_writer_checks "another session (PostgreSQL)"
# The server's side of the session sleeps on when psql goes: end it.
pg_admin "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE
    locktype = 'advisory' AND objid = 1634494817" >/dev/null 2>&1
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
unchanged "locked new"
fi

# A PostgreSQL server that does not answer: 75, one line naming the URI
# once, its password masked (no server needed: nothing listens there).
nport=$(t_free_port) || nport=1
printf 'domain = example.com\ndatabase = postgresql://bob:s3cret@127.0.0.1:%s/aliasd?connect_timeout=5\n' \
    "$nport" >"$T/nopg.conf"
expect 75 "a PostgreSQL server that does not answer" "$A" -c "$T/nopg.conf" list
one_line_error "cannot connect to postgresql://bob:\*\*\*@127.0.0.1:$nport/aliasd"
check "the URI is named once" [ "$(grep -o 'postgresql://' <<<"$ERR" | wc -l)" -eq 1 ]
check "the password is not shown" eval '! grep -q s3cret <<<"$ERR"'

# Permissions mean nothing to root: these run as nobody.
on_sqlite "a read-only directory and a read-only store file" || { finish; exit; }
mkdir -p "$T/ro"
printf 'domain = example.com\ndatabase = %s\n' "$T/ro/sub/aliases.db" >"$T/ro.conf"
chmod 0755 "$T/ro"
chmod 0644 "$T/ro.conf"
expect 73 "init in a read-only directory" as_user "$A" -c "$T/ro.conf" init
one_line_error "cannot create"
check "nothing was created there" [ ! -e "$T/ro/sub" ]

mkdir -p "$T/rofile"
printf 'domain = example.com\ndatabase = %s\nuser = nobody\n' "$T/rofile/aliases.db" >"$T/rofile.conf"
chmod 0644 "$T/rofile.conf"
chown nobody "$T/rofile" 2>/dev/null || chmod 0777 "$T/rofile"
as_user "$A" -c "$T/rofile.conf" init >/dev/null 2>&1
as_user "$A" -c "$T/rofile.conf" new keep@example.org >/dev/null 2>&1
ro_before=$(as_user "$A" -c "$T/rofile.conf" --json list --all 2>&1)
chmod 0400 "$T/rofile/aliases.db"
expect 73 "new on a read-only store file" as_user "$A" -c "$T/rofile.conf" new x@example.org
one_line_error "readonly\|read-only\|permission"
chmod 0600 "$T/rofile/aliases.db"
check "the read-only store is unchanged" [ "$(as_user "$A" -c "$T/rofile.conf" --json list --all 2>&1)" = "$ro_before" ]

finish
