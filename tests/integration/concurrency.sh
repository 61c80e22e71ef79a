#!/bin/bash
# concurrency.sh: four aliasctl processes creating, retiring and reviving
# addresses in bounded loops while Postfix with aliasd takes smtp-source
# load against a fixed set of addresses the loops never touch.
#
# No aliasctl call may fail with 75 or talk of a locked or busy store (no
# SQLITE_BUSY reaches a user); every decision on the fixed set is right; a
# retire is refused at the very next RCPT (no decision uses state older
# than the last committed transaction); the store's integrity_check is ok.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"

T=$(mktemp -d /tmp/aliasd-conc.XXXXXX) || exit 1
WORKERS="" LOADERS=""
cleanup() {
	local p
	for p in $WORKERS $LOADERS; do t_kill_pid "$p" 2; done
	ad_stop
	pf_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pf_require_source || exit 1
SOURCE=$PF_SOURCE

# Many refusals from one client, on purpose: the harvest guard
# (tested in harvest.sh) is off, or it would answer them 451 4.7.1.
ad_setup example.com postfix <<<'harvest_limit = 0'
ad_trust 127.0.0.9/32
ad_up || exit 1
pf_up "$T" "$AD_SOCKET" example.com || { echo "Bail out! postfix did not start"; exit 1; }
DB="$T/store/aliases.db"

ITER=${CONC_ITER:-100}		# iterations per aliasctl worker
NWORK=4
ROUNDS_MAX=40			# bound on smtp-source rounds
PER_ROUND=10			# messages per fixed address per round

fixed_active=() fixed_retired=()
for i in 1 2 3; do
	fixed_active+=("$(aliasctl new "fixed-a$i@corr.example")")
	r=$(aliasctl new "fixed-r$i@corr.example")
	aliasctl retire "$r" --reason "Fixed" >/dev/null
	fixed_retired+=("$r")
done

# run_ctl LOG ARGS...: aliasctl; a failure or a word of locking is logged.
run_ctl() {
	local log=$1 out rc
	shift
	out=$(aliasctl "$@" 2>"$log.err")
	rc=$?
	if [ "$rc" -ne 0 ] || grep -qiE 'lock|busy' "$log.err"; then
		echo "rc=$rc: aliasctl $*: $(cat "$log.err")" >>"$log"
	fi
	printf '%s' "$out"
}
worker() {	# worker K: ITER rounds of new, retire, revive on its own addresses
	local k=$1
	local i addr log="$T/worker.$k.fail"
	: >"$log"
	for (( i = 1; i <= ITER; i++ )); do
		addr=$(run_ctl "$log" new "w$k-$i@churn$k.example")
		[ -n "$addr" ] || continue
		run_ctl "$log" retire "$addr" --reason "churn" >/dev/null
		run_ctl "$log" revive "$addr" >/dev/null
	done
}


started=$(date +%s)
for (( k = 1; k <= NWORK; k++ )); do
	worker "$k" &
	WORKERS="$WORKERS $!"
done
workers_running() {
	local p
	for p in $WORKERS; do t_pid_alive "$p" && return 0; done
	return 1
}

# Load: rounds of one smtp-source per fixed address while the workers run.
rounds=0
load_round() {
	local a pids="" p
	for a in "${fixed_active[@]}" "${fixed_retired[@]}"; do
		"$SOURCE" -A -s 2 -m "$PER_ROUND" -f loader@spam.example -t "$a" \
		    -S "round $rounds" "127.0.0.1:$PF_PORT_IN" \
		    </dev/null >/dev/null 2>>"$T/load.$a.err" &
		pids="$pids $!"
	done
	LOADERS=$pids
	for p in $pids; do
		t_wait_until 60 _t_pid_gone "$p"
		t_kill_pid "$p" 2
		wait "$p" 2>/dev/null
	done
	LOADERS=""
}
for a in "${fixed_active[@]}" "${fixed_retired[@]}"; do : >"$T/load.$a.err"; done

# Freshness, a few times inside the load: the RCPT right after a command
# returns sees what it committed.
fresh_bad="" fresh_n=0
fresh_check() {
	local addr
	addr=$(aliasctl new "fresh$fresh_n@corr.example" 2>>"$T/fresh.err") || {
		fresh_bad="$fresh_bad [new failed]"
		return
	}
	pf_probe "$addr"
	[[ $PF_REPLY == "250 "* ]] || fresh_bad="$fresh_bad [new $addr: $PF_REPLY]"
	aliasctl retire "$addr" --reason "Just retired" >/dev/null 2>>"$T/fresh.err"
	pf_probe "$addr"
	[[ $PF_REPLY == "550 5.1.1 <$addr>: Recipient address rejected: Just retired" ]] ||
	    fresh_bad="$fresh_bad [retired $addr: $PF_REPLY]"
	aliasctl revive "$addr" >/dev/null 2>>"$T/fresh.err"
	pf_probe "$addr"
	[[ $PF_REPLY == "250 "* ]] || fresh_bad="$fresh_bad [revived $addr: $PF_REPLY]"
	fresh_n=$((fresh_n + 1))
}

while workers_running && [ "$rounds" -lt "$ROUNDS_MAX" ]; do
	rounds=$((rounds + 1))
	load_round &
	lr=$!
	[ "$fresh_n" -lt 10 ] && fresh_check
	[ "$fresh_n" -lt 10 ] && fresh_check
	t_wait_until 90 _t_pid_gone "$lr"
	wait "$lr" 2>/dev/null
done
# shellcheck disable=SC2086
t_reap 120 worker $WORKERS
WORKERS=""
secs=$(( $(date +%s) - started ))
tap_check "the load overlapped the workers (rounds: $rounds)" [ "$rounds" -ge 2 ]

cat "$T"/worker.*.fail >"$T/failures"
tap_check "no aliasctl call failed or reported a locked/busy store ($(( NWORK * ITER * 3 )) calls)" \
    [ ! -s "$T/failures" ]
[ -s "$T/failures" ] && head -n 10 "$T/failures" | tap_diag -
tap_check "no exit status 75 (store busy) in any call" sh -c "! grep -q '^rc=75' '$T/failures'"
made=$(aliasctl list --all | grep -c '@churn')
tap_check "every worker iteration made its address ($made of $(( NWORK * ITER )))" \
    [ "$made" -eq $(( NWORK * ITER )) ]
tap_check "every churned address ended active (revived last)" \
    [ "$(aliasctl list --retired | grep -c '@churn')" -eq 0 ]

sent=$(( rounds * PER_ROUND ))
total_sent=$(( sent * 6 ))
bad=""
pf_wait_queue_empty 20
# One line per delivered message: its envelope recipient.
pf_capture_files | xargs -r grep -h '^X-Rcpt-Args:' | awk '{ print $2 }' >"$T/delivered"
for a in "${fixed_active[@]}"; do
	n=$(grep -c . "$T/load.$a.err")
	got=$(grep -cxF "<$a>" "$T/delivered")
	[ "$n" -eq 0 ] && [ "$got" -eq "$sent" ] || bad="$bad [$a: $n refused, $got of $sent delivered]"
done
for a in "${fixed_retired[@]}"; do
	n=$(grep -c "rejected: 550 5\.1\.1 <$a>: Recipient address rejected: Fixed" "$T/load.$a.err")
	other=$(grep -vc "rejected: 550 5\.1\.1 <$a>: Recipient address rejected: Fixed" "$T/load.$a.err")
	[ "$n" -eq "$sent" ] && [ "$other" -eq 0 ] || bad="$bad [$a: $n of $sent refused right, $other other]"
done
tap_check "every decision on the fixed set was right ($total_sent messages)${bad:+:$bad}" [ -z "$bad" ]
retired_delivered=0
for a in "${fixed_retired[@]}"; do
	retired_delivered=$(( retired_delivered + $(grep -cxF "<$a>" "$T/delivered") ))
done
tap_check "nothing delivered for a retired address" [ "$retired_delivered" -eq 0 ]
tap_check "a retire is seen by the very next RCPT ($fresh_n checks)${fresh_bad:+:$fresh_bad}" \
    [ -z "$fresh_bad" -a "$fresh_n" -gt 0 ]
tap_check "the store's integrity_check is ok" \
    [ "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok ]
tap_check "no bounce" [ "$(pf_bounce_count)" -eq 0 ]
tap_check "aliasd still runs" t_pid_alive "$AD_PID"
ad_stop
tap_check "aliasd logged no tempfail (no store error under churn)" \
    sh -c "! grep -q 'tempfail' '$AD_LOG'"
tap_diag "figure: concurrency: $NWORK aliasctl processes x $ITER iterations (new, retire, revive: $(( NWORK * ITER * 3 )) commits) in $secs s alongside $total_sent smtp-source messages in $rounds rounds; $fresh_n retire-then-RCPT checks; 0 busy errors"
tap_done
