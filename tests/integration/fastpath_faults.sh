#!/bin/bash
# fastpath_faults.sh: the policy service and the socketmap when things go
# wrong, behind a real Postfix (tests/lib/fastpath.sh's listeners).
#
# 1. The store gone, then back: the policy service answers 451 4.3.0
#    (Postfix adds "<addr>: Recipient address rejected: "), the socketmap
#    TEMP, which Postfix 3.7 turns into its own "451 4.3.5 <addr>:
#    Recipient address rejected: Server configuration error"; never an
#    accept or a 550; right again without a restart.  Then the store
#    locked by a long writer (BEGIN EXCLUSIVE): WAL readers go on, so
#    every answer is right or a 451, and right again once it is gone.
# 2. 1,000 idle policy connections (and 50 socketmap ones) held: aliasd
#    keeps answering a new client, and closes them all after idle_timeout
#    (3 s here), not before.
# 3. Every request of tests/fuzz/corpus/policy and corpus/socketmap sent
#    on a connection kept open: answered or closed, never left hanging
#    past idle_timeout; the daemon alive and answering a good request
#    after each protocol's batch.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"
. "$HERE/../lib/fastpath.sh"

REJ="Recipient address rejected"
IDLE=3
T=$(mktemp -d /tmp/aliasd-fpf.XXXXXX) || exit 1
HOLDERS=""
cleanup() {
	local p
	for p in $HOLDERS; do t_kill_pid "$p" 2; done
	t_kill_pid "${LOCKER:-}" 2
	ad_stop
	pf_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pf_require || { echo "Bail out! postfix or swaks missing"; exit 1; }
# Many refusals from one client, on purpose: the harvest guard is off.
ad_setup example.com postfix <<CONF
policy_socket = unix:$T/run/policy.sock
socketmap_socket = unix:$T/run/map.sock
idle_timeout = $IDLE
harvest_limit = 0
CONF
ad_up || exit 1
pf_up "$T" "$AD_SOCKET" example.com fp_listeners ||
    { echo "Bail out! postfix did not start"; exit 1; }
t_wait_port "$FP_POLICY_PORT" 10 && t_wait_port "$FP_MAP_PORT" 10 ||
    { echo "Bail out! the fast-path listeners did not start"; exit 1; }
DB="$T/store/aliases.db"
a=$(aliasctl new a@corr.example)
r=$(aliasctl new r@corr.example)
aliasctl retire "$r" --reason "Leaked" >/dev/null

# rcpt PORT TO: the RCPT reply through Postfix, from the outsider.
rcpt() {
	swaks --server 127.0.0.1 --port "$1" --local-interface 127.0.0.2 \
	    --timeout 30 --from s@spam.example --to "$2" --quit-after RCPT \
	    >"$T/tx" 2>&1
	grep -A1 -F -- "-> RCPT TO:<$2>" "$T/tx" | tail -n 1 |
	    sed -E 's/^(<-|<\*\*) +//; s/\r$//'
}
P=""	# the port of the column being checked
STORE451="451 4.3.0 <%s>: $REJ: Temporary failure: try again later"
# Postfix 3.7's answer to a socketmap TEMP (a table lookup error) in
# check_recipient_access: not 4.3.0, its own words.
MAP451="451 4.3.5 <%s>: $REJ: Server configuration error"
# want_451 ADDR: the column's temporary failure for ADDR
want_451() {
	# shellcheck disable=SC2059
	if [ "$P" = "$FP_POLICY_PORT" ]; then
		printf "$STORE451" "$1"
	else
		printf "$MAP451" "$1"
	fi
}
both_451() {
	[ "$(rcpt "$P" "$a")" = "$(want_451 "$a")" ] &&
	    [ "$(rcpt "$P" "$r")" = "$(want_451 "$r")" ]
}
correct() {
	[ "$(rcpt "$P" "$a")" = "250 2.1.5 Ok" ] &&
	    [ "$(rcpt "$P" "$r")" = "550 5.1.1 <$r>: $REJ: Leaked" ]
}
# Never wrong: 250 or the 451 for a, 550 or the 451 for r.
never_wrong() {
	local i got
	for ((i = 0; i < $1; i++)); do
		got=$(rcpt "$P" "$a")
		[ "$got" = "250 2.1.5 Ok" ] || [ "$got" = "$(want_451 "$a")" ] ||
		    { echo "$a: $got" >&2; return 1; }
		got=$(rcpt "$P" "$r")
		[ "$got" = "550 5.1.1 <$r>: $REJ: Leaked" ] ||
		    [ "$got" = "$(want_451 "$r")" ] ||
		    { echo "$r: $got" >&2; return 1; }
	done
}
show() { tap_diag "$1: $(rcpt "$P" "$a") / $(rcpt "$P" "$r")"; }

# 1. Store gone, locked, back ----------------------------------------------
write_locked() {
	sqlite3 -cmd ".timeout 200" "$DB" "BEGIN IMMEDIATE; ROLLBACK;" 2>&1 |
	    grep -q 'locked'
}
hold_lock() {	# a writer that holds the store's write lock for SECS
	rm -f "$T/locker.held"
	{
		echo ".timeout 5000"
		echo "BEGIN EXCLUSIVE;"
		echo "UPDATE address SET note = note WHERE id = 1;"
		echo ".shell touch '$T/locker.held'"
		echo ".shell sleep $1"
		echo "ROLLBACK;"
	} | sqlite3 "$DB" >"$T/locker.out" 2>&1 &
	LOCKER=$!
}
for col in policy socketmap; do
	if [ $col = policy ]; then P=$FP_POLICY_PORT; else P=$FP_MAP_PORT; fi
	tap_check "$col: baseline: active accepted, retired refused" correct
	sqlite3 "$DB" ".backup '$T/backup.db'"
	rm -f "$DB" "$DB-wal" "$DB-shm"
	tap_check "$col: store gone: 451 4.3.0 for both within 5 s" \
	    t_wait_until 5 both_451
	show "$col: store gone"
	tap_check "$col: store gone: 3 more pairs, all 451" \
	    eval 'both_451 && both_451 && both_451'
	cp "$T/backup.db" "$DB.tmp"
	chown postfix:postfix "$DB.tmp"
	chmod 0600 "$DB.tmp"
	mv "$DB.tmp" "$DB"
	tap_check "$col: store back: right again within 5 s, no restart" \
	    t_wait_until 5 correct
	hold_lock 6
	t_wait_until 10 test -e "$T/locker.held"
	tap_check "$col: store locked: the write lock is real" write_locked
	t0=$(date +%s)
	tap_check "$col: store locked: never a wrong answer (4 pairs)" never_wrong 4
	tap_check "$col: store locked: 8 answers within the lock's 6 s" \
	    [ $(($(date +%s) - t0)) -le 6 ]
	show "$col: store locked"
	t_kill_pid "$LOCKER" 2
	wait "$LOCKER" 2>/dev/null
	LOCKER=""
	tap_check "$col: lock gone: right again within 5 s, no restart" \
	    t_wait_until 5 correct
done
tap_check "aliasd was not restarted" t_pid_alive "$AD_PID"
tap_check "aliasd answered TEMP on the socketmap (its log)" \
    grep -q 'socketmap: tempfail rcpt=' "$AD_LOG"

# 2. Idle connections --------------------------------------------------------
client=$(fp_client)
perl "$client" hold "$T/run/policy.sock" 1000 $((IDLE + 12)) \
    >"$T/hold.policy" 2>&1 &
HOLDERS="$!"
perl "$client" hold "$T/run/map.sock" 50 $((IDLE + 12)) \
    >"$T/hold.map" 2>&1 &
HOLDERS="$HOLDERS $!"
all_connected() {
	grep -qx 'connected 1000' "$T/hold.policy" &&
	    grep -qx 'connected 50' "$T/hold.map"
}
tap_check "1,000 policy and 50 socketmap connections open" \
    t_wait_until 10 all_connected
# aliasd's descriptors: the parent's and its child's, which serves.
ad_fds() {
	local p n=0
	for p in $AD_PID $(ps --ppid "$AD_PID" -o pid= 2>/dev/null); do
		n=$((n + $(ls "/proc/$p/fd" 2>/dev/null | wc -l)))
	done
	echo "$n"
}
fds=$(ad_fds)
tap_check "aliasd holds them ($fds descriptors)" [ "$fds" -ge 1050 ]
tap_check "a new policy client is answered meanwhile" \
    [ "$(fp_policy "$r" 192.0.2.9)" = "550 5.1.1 Leaked" ]
tap_check "a new socketmap client is answered meanwhile" \
    [ "$(fp_map virtuser "$a")" = "OK me@example.net" ]
tap_check "and a client through Postfix" eval \
    '[ "$(rcpt "$FP_POLICY_PORT" "$r")" = "550 5.1.1 <$r>: $REJ: Leaked" ]'
for p in $HOLDERS; do
	t_wait_until $((IDLE + 15)) _t_pid_gone "$p"
done
HOLDERS=""
read -r _ pc _ pfirst _ plast <<<"$(grep '^closed' "$T/hold.policy")"
read -r _ mc _ mfirst _ mlast <<<"$(grep '^closed' "$T/hold.map")"
tap_diag "policy: closed ${pc:-?} of 1000, first ${pfirst:-?} s, last ${plast:-?} s after the last connect"
tap_diag "socketmap: closed ${mc:-?} of 50, first ${mfirst:-?} s, last ${mlast:-?} s"
tap_check "idle_timeout $IDLE s: all 1,000 policy connections closed" [ "${pc:-0}" = 1000 ]
tap_check "idle_timeout $IDLE s: all 50 socketmap connections closed" [ "${mc:-0}" = 50 ]
# Connects took a moment: the first were opened up to ~1 s before the
# last; none closed much before IDLE, all within IDLE + 3 s.
in_window() {
	awk -v f="$1" -v l="$2" -v i="$IDLE" \
	    'BEGIN { exit !(f >= i - 1.5 && l <= i + 3) }'
}
tap_check "none closed before idle_timeout, all soon after it" \
    eval 'in_window "${pfirst:--1}" "${plast:-99}" && in_window "${mfirst:--1}" "${mlast:-99}"'
fds=$(ad_fds)
tap_check "aliasd let the descriptors go ($fds left)" [ "$fds" -lt 100 ]

# 3. The fuzz corpus -----------------------------------------------------------
CORPUS="$HERE/../fuzz/corpus"
for proto in policy socketmap; do
	sock=$T/run/map.sock
	[ $proto = policy ] && sock=$T/run/policy.sock
	n=0 bad="" answered=0 closed=0
	for f in "$CORPUS/$proto"/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		# A request cut short waits for its end until idle_timeout.
		got=$(perl "$client" send "$sock" "$f" $((IDLE + 4)))
		case $got in
		answered*) answered=$((answered + 1)) ;;
		closed) closed=$((closed + 1)) ;;
		*) bad="$bad $(basename "$f"):${got:-nothing}" ;;
		esac
		t_pid_alive "$AD_PID" || { bad="$bad $(basename "$f"):DIED"; break; }
	done
	tap_check "corpus/$proto: $n requests, each answered ($answered) or closed ($closed)${bad:+; bad:$bad}" \
	    eval '[ "$n" -gt 0 ] && [ -z "$bad" ]'
	tap_check "corpus/$proto: aliasd alive after them" t_pid_alive "$AD_PID"
	if [ $proto = policy ]; then
		tap_check "corpus/policy: a good request answered after them" \
		    [ "$(fp_policy "$r" 192.0.2.9)" = "550 5.1.1 Leaked" ]
	else
		tap_check "corpus/socketmap: a good request answered after them" \
		    [ "$(fp_map access "$r")" = "OK 550 5.1.1 Leaked" ]
	fi
done
tap_check "through Postfix, still right" correct
tap_check "aliasd still running" t_pid_alive "$AD_PID"
tap_done
