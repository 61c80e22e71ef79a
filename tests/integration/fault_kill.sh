#!/bin/bash
# fault_kill.sh: aliasd killed with SIGKILL in the middle of smtp-source
# load through a real Postfix, twice, and restarted while the load goes on.
# Every message must end up delivered exactly once, or refused with a 4xx
# (the client keeps it), or refused with 5xx only when its address is
# retired; none lost, none bounced, none delivered to a retired address,
# and the queue drains after the restart.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"

T=$(mktemp -d /tmp/aliasd-kill.XXXXXX) || exit 1
LOAD_PIDS=""
cleanup() {
	local p
	for p in $LOAD_PIDS; do t_kill_pid "$p" 2; done
	ad_stop
	pf_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pf_require_source || exit 1
SOURCE=$PF_SOURCE

# smtp-source cannot bind a source address: it connects from 127.0.0.1,
# which Postfix trusts for relaying (mynetworks) and aliasd must treat as
# an outsider, so that every RCPT is judged.
ad_setup example.com postfix </dev/null
ad_trust 127.0.0.9/32
ad_up || exit 1
pf_up "$T" "$AD_SOCKET" example.com || { echo "Bail out! postfix did not start"; exit 1; }

N_ACTIVE=6
N_RETIRED=4
PER_ADDR=30			# messages per address: 10 x 30 = 300
SESSIONS=1			# per smtp-source; 10 processes = 10 sessions
TOTAL=$(( (N_ACTIVE + N_RETIRED) * PER_ADDR ))
active=() retired=()
for (( i = 1; i <= N_ACTIVE; i++ )); do
	active+=("$(aliasctl new "a$i@corr.example")")
done
for (( i = 1; i <= N_RETIRED; i++ )); do
	r=$(aliasctl new "r$i@corr.example")
	aliasctl retire "$r" --reason "Leaked" >/dev/null
	retired+=("$r")
done

# One smtp-source per address, each with one recipient a message, its own
# Subject, and a random pause (0-1 s) between messages so that the load
# lasts long enough to kill aliasd twice in the middle of it.
for a in "${active[@]}" "${retired[@]}"; do
	"$SOURCE" -A -s "$SESSIONS" -m "$PER_ADDR" -R 1 -f loader@spam.example \
	    -t "$a" -S "load $a" "127.0.0.1:$PF_PORT_IN" \
	    </dev/null >"$T/load.$a.out" 2>"$T/load.$a.err" &
	LOAD_PIDS="$LOAD_PIDS $!"
done
load_started=$(date +%s)

connects() { grep -c 'postfix/inbound/smtpd.*: connect from' "$PF_LOG"; }
connects_at_least() { [ "$(connects)" -ge "$1" ]; }
load_running() {
	local p
	for p in $LOAD_PIDS; do t_pid_alive "$p" && return 0; done
	return 1
}

kills=0
killed_during_load=0
for at in $(( TOTAL / 5 )) $(( TOTAL / 2 )); do
	t_wait_until 30 connects_at_least "$at"
	load_running && killed_during_load=$(( killed_during_load + 1 ))
	kill -KILL "$AD_PID"
	wait "$AD_PID" 2>/dev/null
	AD_PID=""
	kills=$(( kills + 1 ))
	tap_diag "SIGKILL $kills after $(connects) of $TOTAL connections"
	sleep 1
	# SIGKILL leaves the socket file behind; ad_start waits for a new one.
	rm -f "$AD_SOCKDIR/aliasd.sock"
	ad_start || { tap_not_ok "aliasd restarts after SIGKILL $kills"; cat "$AD_LOG" >&2; }
done
tap_check "aliasd was SIGKILLed twice while smtp-source was sending" \
    [ "$killed_during_load" -eq 2 ]

# shellcheck disable=SC2086
t_reap 60 smtp-source $LOAD_PIDS
LOAD_PIDS=""
load_secs=$(( $(date +%s) - load_started ))

# Deferred mail (there should be none: Postfix queues only what the milter
# accepted) is retried now; the queue must drain.
pf_flush
tap_check "after the restart the queue drains" pf_wait_queue_empty 30
[ "$(pf_queue_count)" -eq 0 ] || pf_queue_list | tap_diag -

# Client side: smtp-source prints one "... rejected: CODE text" warning
# per refused message (it resets after a refused RCPT) and nothing for an
# accepted one; anything else (a timeout, a lost connection) is a problem.
# One line per delivered message: its envelope recipient.
pf_capture_files | xargs -r grep -h '^X-Rcpt-Args:' | awk '{ print $2 }' >"$T/delivered"
captured_for() { grep -cxF "<$1>" "$T/delivered"; }
total_refused_4=0 total_refused_5=0 total_delivered=0 bad_active="" bad_retired=""
dup=0 odd=""
for a in "${active[@]}" "${retired[@]}"; do
	err="$T/load.$a.err"
	n4=$(grep -cE 'rejected: 4[0-9][0-9] ' "$err")
	n5=$(grep -cE 'rejected: 5[0-9][0-9] ' "$err")
	other=$(grep -vE 'rejected: [45][0-9][0-9] ' "$err" | grep -c .)
	[ "$other" -gt 0 ] && odd="$odd $a:$other"
	accepted=$(( PER_ADDR - n4 - n5 ))
	got=$(captured_for "$a")
	total_refused_4=$(( total_refused_4 + n4 ))
	total_refused_5=$(( total_refused_5 + n5 ))
	total_delivered=$(( total_delivered + got ))
	case " ${retired[*]} " in
	*" $a "*)
		# Retired: 550 5.1.1 or a 4xx while aliasd was away; never taken.
		if [ "$got" -ne 0 ] || [ "$accepted" -ne 0 ] ||
		    grep -E 'rejected: 5' "$err" | grep -qv "550 5\.1\.1 <$a>: Recipient address rejected: Leaked"; then
			bad_retired="$bad_retired $a(accepted=$accepted delivered=$got)"
		fi
		;;
	*)
		# Active: accepted or 4xx; every accepted message delivered once.
		if [ "$n5" -ne 0 ] || [ "$got" -ne "$accepted" ]; then
			bad_active="$bad_active $a(accepted=$accepted delivered=$got 5xx=$n5)"
		fi
		;;
	esac
done
# Exactly once: smtp-source gives every message its own Message-Id.
dup=$(pf_capture_files | xargs -r grep -h '^Message-Id:' | sort | uniq -d | wc -l)

tap_check "no smtp-source session ended other than by a reply (timeouts, lost connections:${odd:- none})" \
    [ -z "$odd" ]
tap_check "active addresses: every message accepted by Postfix was delivered, none refused with 5xx${bad_active:+ (bad:$bad_active)}" \
    [ -z "$bad_active" ]
tap_check "retired addresses: nothing accepted or delivered, refusals are 550 5.1.1 or 4xx${bad_retired:+ (bad:$bad_retired)}" \
    [ -z "$bad_retired" ]
tap_check "no message delivered twice (Message-Id duplicates: $dup)" [ "$dup" -eq 0 ]
tap_check "delivered + refused = sent ($total_delivered + $total_refused_4 + $total_refused_5 = $TOTAL)" \
    [ $(( total_delivered + total_refused_4 + total_refused_5 )) -eq "$TOTAL" ]
tap_check "some messages were refused with 4xx while aliasd was away ($total_refused_4)" \
    [ "$total_refused_4" -gt 0 ]
tap_check "no bounce" [ "$(pf_bounce_count)" -eq 0 ]
tap_check "Postfix never answered 5xx for lack of a milter" \
    sh -c "! grep -E 'milter-reject: .*: 5[0-9][0-9] ' '$PF_LOG' | grep -qv 'Recipient address rejected: Leaked'"

# A SIGKILL may land in the middle of a counter transaction: the store must
# come through intact and the restarted aliasd must judge correctly.
tap_check "store integrity_check after two SIGKILLs" \
    [ "$(sqlite3 "$T/store/aliases.db" 'PRAGMA integrity_check')" = ok ]
out=$(pf_swaks_in --from s@spam.example --to "${active[0]}" --quit-after RCPT 2>&1)
tap_check "restarted aliasd accepts an active address" grep -qE '^<- +250 ' <<<"$out"
out=$(pf_swaks_in --from s@spam.example --to "${retired[0]}" --quit-after RCPT 2>&1)
tap_check "restarted aliasd refuses a retired address" grep -qE '^<\*\* +550 5\.1\.1' <<<"$out"

ad_stop
lost=$(( TOTAL - total_delivered - total_refused_4 - total_refused_5 ))
tap_diag "figure: fault_kill: $TOTAL messages from $(( N_ACTIVE + N_RETIRED )) smtp-source clients in ${load_secs} s; aliasd SIGKILLed $kills times under load and restarted"
tap_diag "figure: fault_kill: delivered $total_delivered (each once), refused 4xx $total_refused_4 (kept by the client), refused 550 for retired $total_refused_5, bounced $(pf_bounce_count), lost $lost"
tap_done
