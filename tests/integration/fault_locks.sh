#!/bin/bash
# fault_locks.sh: a store locked by a long writer, and counters that cannot
# be written (a read-only store, a full disk), with aliasd behind a real
# Postfix under smtp-source load.
#
# A writer holding the store longer than Postfix's milter_command_timeout
# must never make an RCPT wait that long: each is answered in time, with
# the right decision (WAL readers do not wait for writers) or 451 4.3.0.
# When counts cannot be written, mail still flows with the right decisions
# and aliasd says in its log that it could not write the counts.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"

T=$(mktemp -d /tmp/aliasd-locks.XXXXXX) || exit 1
LOCKER="" LOAD=""
MOUNTED=""
cleanup() {
	t_kill_pid "$LOCKER" 2
	t_kill_pid "$LOAD" 2
	ad_stop
	pf_cleanup
	[ -n "$MOUNTED" ] && umount "$MOUNTED" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pf_require_source || exit 1
SOURCE=$PF_SOURCE

# The store lives on a small tmpfs of its own, so that a full disk can be
# simulated without touching anything else.
mkdir -p "$T/store"
if mount -t tmpfs -o size=4m,mode=0755 tmpfs "$T/store" 2>/dev/null; then
	MOUNTED="$T/store"
fi
# Many refusals from one client, on purpose: the harvest guard
# (tested in harvest.sh) is off, or it would answer them 451 4.7.1.
ad_setup example.com postfix <<<'harvest_limit = 0'
ad_trust 127.0.0.9/32
ad_up || exit 1
# Postfix's patience with a milter is short here, so that the locks below,
# held longer than it, cost seconds; aliasd's busy timeout (1 s) is shorter.
pf_up "$T" "$AD_SOCKET" example.com \
    pf_postconf -e "milter_command_timeout = 5s" ||
    { echo "Bail out! postfix did not start"; exit 1; }
TIMEOUT=$(pf_postconf -h milter_command_timeout)
TIMEOUT_S=${TIMEOUT%s}
DB="$T/store/aliases.db"
a=$(aliasctl new a@corr.example)
r=$(aliasctl new r@corr.example)
aliasctl retire "$r" --reason "Leaked" >/dev/null

# hold_lock SECONDS [exclusive]: a sqlite3 writer holding the store.
# It waits its turn (a busy timeout) and marks the moment it holds the
# lock with the file locker.held, which the checks wait for.
hold_lock() {
	rm -f "$T/locker.held"
	{
		echo ".timeout 5000"
		[ "${2:-}" = exclusive ] && echo "PRAGMA locking_mode = EXCLUSIVE;"
		echo "BEGIN EXCLUSIVE;"
		echo "UPDATE address SET note = note WHERE id = 1;"
		echo ".shell touch '$T/locker.held'"
		echo ".shell sleep $1"
		echo "ROLLBACK;"
	} | sqlite3 "$DB" >"$T/locker.out" 2>&1 &
	LOCKER=$!
}
# The lock is real: another writer (or, in exclusive mode, a reader) is
# refused while the locker runs.
write_locked() {
	sqlite3 -cmd ".timeout 200" "$DB" "BEGIN IMMEDIATE; ROLLBACK;" 2>&1 |
	    grep -q 'locked'
}
read_locked() {
	sqlite3 -cmd ".timeout 200" "$DB" "SELECT count(*) FROM address;" 2>&1 |
	    grep -q 'locked'
}
# under_lock NAME: probe a and r until the locker is gone; every RCPT must
# be answered before milter_command_timeout, correctly or with 451.
under_lock() {
	local name=$1 n=0 wrong="" slow=0 max=0 n451=0
	while t_pid_alive "$LOCKER" && [ $n -lt 400 ]; do
		sleep 0.2
		pf_probe "$a" 60
		[ "$PF_MS" -gt "$max" ] && max=$PF_MS
		[ "$PF_MS" -ge $(( TIMEOUT_S * 1000 )) ] && slow=$((slow + 1))
		case "$PF_REPLY" in
		"250 "*) ;;
		"451 4.3.0 "*) n451=$((n451 + 1)) ;;
		*) wrong="$wrong [$a: $PF_REPLY]" ;;
		esac
		pf_probe "$r" 60
		[ "$PF_MS" -gt "$max" ] && max=$PF_MS
		[ "$PF_MS" -ge $(( TIMEOUT_S * 1000 )) ] && slow=$((slow + 1))
		case "$PF_REPLY" in
		"550 5.1.1 <$r>: Recipient address rejected: Leaked") ;;
		"451 4.3.0 "*) n451=$((n451 + 1)) ;;
		*) wrong="$wrong [$r: $PF_REPLY]" ;;
		esac
		n=$((n + 2))
	done
	RCPTS=$((RCPTS + n))
	tap_check "$name: $n RCPTs during the lock, each answered before milter_command_timeout ${TIMEOUT} (slowest ${max} ms)" \
	    [ "$slow" -eq 0 -a "$n" -gt 0 ]
	tap_check "$name: every answer right or 451 4.3.0 ($n451 x 451)${wrong:+:$wrong}" [ -z "$wrong" ]
	tap_diag "figure: fault_locks: $name held $(( TIMEOUT_S + 4 )) s: $n RCPTs, slowest answer ${max} ms, $n451 x 451"
}
RCPTS=0
faults=0

# 1. A writer in BEGIN EXCLUSIVE longer than milter_command_timeout, under
#    smtp-source load: WAL readers go on.
hold_lock $(( TIMEOUT_S + 4 ))
t_wait_until 10 test -e "$T/locker.held"
tap_check "long writer holds the write lock" write_locked
faults=$((faults + 1))
"$SOURCE" -A -s 5 -m 100 -f loader@spam.example -t "$a" -S "under lock" \
    "127.0.0.1:$PF_PORT_IN" </dev/null >"$T/load.out" 2>"$T/load.err" &
LOAD=$!
under_lock "long writer (BEGIN EXCLUSIVE)"
t_wait_until 60 _t_pid_gone "$LOAD"
tap_check "smtp-source load during the lock finished (no hang)" _t_pid_gone "$LOAD"
t_kill_pid "$LOAD" 2
wait "$LOAD" 2>/dev/null
LOAD=""
refused=$(grep -c 'rejected: ' "$T/load.err")
bad=$(grep 'rejected: ' "$T/load.err" | grep -vc 'rejected: 4[0-9][0-9] ')
tap_check "smtp-source under the lock: 100 messages to an active address, refused only with 4xx ($refused refused, $bad not 4xx)" \
    [ "$bad" -eq 0 ]
tap_check "all accepted messages delivered" pf_wait_queue_empty 20
got=$(pf_capture_count)
tap_check "delivered ($got) + refused ($refused) = 100" [ $((got + refused)) -eq 100 ]
wait "$LOCKER" 2>/dev/null
LOCKER=""

# 2. A writer in exclusive locking mode: readers are shut out too, so the
#    answer is 451 after aliasd's busy timeout; never a hang.
#    The exclusive lock can only be taken while no other process has the
#    store open, so it meets aliasd at a (re)start.
ad_stop
hold_lock $(( TIMEOUT_S + 4 )) exclusive
t_wait_until 10 test -e "$T/locker.held"
tap_check "exclusive locker shuts out readers" read_locked
ad_start || tap_not_ok "aliasd starts while the store is locked"
faults=$((faults + 1))
under_lock "exclusive locking mode"
wait "$LOCKER" 2>/dev/null
LOCKER=""
# root's sqlite3 may have left WAL files behind that aliasd could not write.
chown postfix:postfix "$DB"*
pf_probe "$a" 60
tap_check "lock released: accepted again without a restart" eval '[[ $PF_REPLY == "250 "* ]]'

# deliver_check NAME: whole messages through Postfix; right decisions.
deliver_check() {
	local name=$1 before out
	before=$(pf_capture_count)
	out=$(pf_swaks_in --from s@spam.example --to "$a" --body "counted" 2>&1)
	tap_check "$name: active address accepted" grep -qE '^<- +250 .*queued as' <<<"$out"
	out=$(pf_swaks_in --from s@spam.example --to "$r" --body "x" 2>&1)
	tap_check "$name: retired address refused" \
	    grep -qE "^<\*\* +550 5\.1\.1 <$r>: Recipient address rejected: Leaked" <<<"$out"
	"$SOURCE" -A -s 4 -m 40 -f loader@spam.example -t "$a" -S "$name" \
	    "127.0.0.1:$PF_PORT_IN" </dev/null >"$T/load.out" 2>"$T/load.err"
	tap_check "$name: 40 more via smtp-source, none refused" [ ! -s "$T/load.err" ]
	tap_check "$name: all delivered" pf_wait_captured $((before + 41)) 20
}
# dropped_logged BEFORE [ERE]: a new line saying counts could not be
# written (kept for the next try, or dropped when the queue is full).
COUNT_FAIL='cannot write [0-9]+ counts|counts dropped'
dropped_logged() {
	[ "$(grep -cE "$COUNT_FAIL" "$AD_LOG")" -gt "$1" ] &&
	    grep -E "$COUNT_FAIL" "$AD_LOG" | tail -n +$(( $1 + 1 )) | grep -qE "${2:-.}"
}

# 3. Counters that cannot be written: the store read-only for aliasd's user.
ad_stop
chown root:postfix "$DB"
chmod 0440 "$DB"
ad_start || tap_not_ok "aliasd starts with a read-only store"
faults=$((faults + 1))
seen=$(grep -cE "$COUNT_FAIL" "$AD_LOG")
deliver_check "read-only store"
tap_check "read-only store: aliasd logged counts it could not write (read-only)" \
    t_wait_until 5 dropped_logged "$seen" 'readonly|read-only'
tap_check "read-only store: aliasd still runs" t_pid_alive "$AD_PID"
ad_stop
# SQLite gives the -wal and -shm it creates the store's mode: restore all.
chown postfix:postfix "$DB"*
chmod 0600 "$DB"*
ad_start || tap_not_ok "aliasd starts again with a writable store"

# 4. Counters that cannot be written: a full disk.
if [ -n "$MOUNTED" ]; then
	# Let the WAL be checkpointed and reset, so that counts need new pages.
	sleep 1.5
	dd if=/dev/zero of="$T/store/filler" bs=64k >/dev/null 2>&1
	faults=$((faults + 1))
	tap_diag "disk full: $(df -h "$T/store" | tail -1)"
	seen=$(grep -cE "$COUNT_FAIL" "$AD_LOG")
	deliver_check "full disk"
	tap_check "full disk: aliasd logged counts it could not write (disk full)" \
	    t_wait_until 5 dropped_logged "$seen" 'full'
	tap_check "full disk: aliasd still runs" t_pid_alive "$AD_PID"
	rm -f "$T/store/filler"
	before=$(aliasctl --json show "$a" | grep -o '"messages":[0-9]*' | head -1)
	pf_swaks_in --from s@spam.example --to "$a" --body "again" >/dev/null 2>&1
	count_moved() {
		[ "$(aliasctl --json show "$a" | grep -o '"messages":[0-9]*' | head -1)" != "$before" ]
	}
	if t_wait_until 5 count_moved; then
		tap_ok "space again: counting resumes by itself"
	else
		tap_not_ok "space again: counting resumes by itself" \
		    "messages before: $before, now: $(aliasctl --json show "$a" | grep -o '"messages":[0-9]*' | head -1)" \
		    "aliasd's last log lines:" "$(tail -n 6 "$AD_LOG")"
	fi
	tap_check "full disk: store integrity_check ok" \
	    [ "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok ]
else
	tap_ok "# SKIP full disk: cannot mount a tmpfs here"
fi

tap_check "no bounce" [ "$(pf_bounce_count)" -eq 0 ]
ad_stop
tap_check "aliasd exited cleanly on SIGTERM" [ "$AD_RC" -eq 0 ]
tap_diag "figure: fault_locks: $faults lock and write faults survived (long writer, exclusive locker, read-only store, full disk); $RCPTS probe RCPTs under locks, none past milter_command_timeout"
tap_done
