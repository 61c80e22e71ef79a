#!/bin/bash
# pg_commit_doubt.sh: the counter writer's COMMIT reaches the PostgreSQL
# server, which commits, and the answer never comes back: the connection
# is cut at that moment by tests/integration/cutproxy, which stands
# between aliasd and the server.  aliasd cannot know whether its counts
# were written; it asks the server (the transaction's status) before it
# writes them again, so that they are counted once, not twice.  And
# aliasctl, in the same spot, says that it cannot tell.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/../lib/aliasd.sh"
. "$HERE/../lib/milter.sh"
. "$HERE/../lib/pg.sh"

PROXY="$ALIASD_BUILD/tests/cutproxy"
T=$(mktemp -d /tmp/aliasd-pgdoubt.XXXXXX) || exit 1
PROXY_PID=
cleanup() { ad_stop; t_kill_pid "$PROXY_PID"; pg_cleanup; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! pg_backend_ready || ! pg_require; then
	echo "1..0 # SKIP $PG_WHY"
	exit 0
fi
[ -x "$PROXY" ] || { echo "Bail out! $PROXY not built"; exit 1; }
[ -x "$ML_CLIENT" ] || { echo "Bail out! $ML_CLIENT not built"; exit 1; }
chmod 0755 "$T"
pg_up "$T/pg" || { echo "Bail out! the private PostgreSQL did not start"; exit 1; }

AD_STORE=pg
ad_setup example.com postfix <<<'harvest_limit = 0' ||
    { echo "Bail out! aliasctl init failed"; exit 1; }
active=$(aliasctl new joe@example.org) || { echo "Bail out! aliasctl new failed"; exit 1; }

# aliasd reaches the server through the proxy only; the test reads the
# store directly.
port=$(t_free_port) || { echo "Bail out! no free port"; exit 1; }
"$PROXY" "$port" "$PG_DIR/.s.PGSQL.$PG_PORT" "$T/cut" 2>"$T/proxy.log" &
PROXY_PID=$!
t_wait_port "$port" 10 || { echo "Bail out! cutproxy did not start"; cat "$T/proxy.log"; exit 1; }
url="postgresql:///$PG_DB?host=127.0.0.1&port=$port&user=$PG_ROLE&sslmode=disable"
URL=$url awk '/^database = / { $0 = "database = " ENVIRON["URL"] } { print }' \
    "$AD_CONF" >"$T/conf.new" && mv "$T/conf.new" "$AD_CONF"
chmod 0644 "$AD_CONF"
ad_up || exit 1

counted() {
	pg_psql "SELECT coalesce(sum(c.messages), 0) FROM counter c JOIN address a
	    ON a.id = c.address WHERE a.local || '@' || a.domain = '$active'"
}
count_is() { [ "$(counted)" = "$1" ]; }
mail() {	# mail N: N messages to the active address, each accepted
	local i out
	for ((i = 0; i < $1; i++)); do
		out=$(ml_session 192.0.2.10 "" s@sender.example "$active" \
		    "From: s@sender.example;;To: $active;;Subject: $i")
		grep -q '^eom accept\|^eom continue' <<<"$out" || {
			printf '%s\n' "$out" >&2
			return 1
		}
	done
}

tap_check "a message through the proxy is accepted" mail 1
tap_check "and counted (the writer's connection runs through the proxy)" \
    t_wait_until 10 count_is 1

: >"$T/cut"
tap_check "three more messages accepted" mail 3
tap_check "the writer's COMMIT was sent and its answer lost" \
    t_wait_until 10 test ! -e "$T/cut"
tap_check "the proxy says so" t_wait_until 15 grep -q "a COMMIT's answer lost" "$T/proxy.log"
tap_check "the four counted" t_wait_until 15 count_is 4
# The writer tries again a second after a failure: give it three.
sleep 3
tap_check "and counted once: still 4, not more ($(counted))" count_is 4
tap_check "aliasd's log says the commit in doubt was done" \
    grep -q "commit in doubt of [0-9]* counts was done: not written again" "$AD_LOG"
tap_check "one more message afterwards" mail 1
tap_check "counted as usual: 5" t_wait_until 10 count_is 5
tap_check "aliasd still runs" t_pid_alive "$AD_PID"

# aliasctl (its configuration is aliasd's: through the proxy), its
# COMMIT done and the answer lost: it cannot know either, says so in
# one line and exits 75 (try again), and the retirement is there.
retired=$(aliasctl new ann@example.org)
: >"$T/cut"
out=$(aliasctl retire "$retired" 2>&1)
rc=$?
tap_check "aliasctl whose commit is in doubt exits 75 ($rc)" [ "$rc" = 75 ]
tap_check "and says in one line that it may have been done" \
    eval '[ "$(grep -c . <<<"$out")" = 1 ] && grep -q "may or may not have been done" <<<"$out"'
tap_check "the retirement was done all the same" \
    eval '[ "$(pg_psql "SELECT state FROM address WHERE local || '"'@'"' || domain = '"'$retired'"'")" = 1 ]'
tap_done
