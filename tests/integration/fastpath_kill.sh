#!/bin/bash
# fastpath_kill.sh: aliasd killed with SIGKILL, twice, in the middle of
# smtp-source load through a real Postfix that asks it by the policy
# service alone (check_policy_service, no milter: tests/lib/fastpath.sh),
# and restarted while the load goes on.
#
# Nothing lost: every message Postfix accepted (smtp-source got 250) is
# delivered, once; nothing accepted for a retired address; while aliasd is
# away Postfix answers smtpd_policy_service_default_action, which is left
# at its default (451 4.3.5 Server configuration problem), a 4xx the
# client retries: never DUNNO, which would let retired addresses in.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"
. "$HERE/../lib/fastpath.sh"

T=$(mktemp -d /tmp/aliasd-fpkill.XXXXXX) || exit 1
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

# smtp-source connects from 127.0.0.1: an outsider for aliasd.  The
# policy listener's restrictions are check_policy_service alone, so every
# RCPT is asked.  Many refusals from one client: the harvest guard is off.
ad_setup example.com postfix <<CONF
policy_socket = unix:$T/run/policy.sock
socketmap_socket = unix:$T/run/map.sock
harvest_limit = 0
CONF
ad_trust 127.0.0.9/32
ad_up || exit 1
pf_up "$T" "" example.com fp_listeners ||
    { echo "Bail out! postfix did not start"; exit 1; }
t_wait_port "$FP_POLICY_PORT" 10 || { echo "Bail out! no policy listener"; exit 1; }
tap_diag "smtpd_policy_service_default_action = $(pf_postconf -h smtpd_policy_service_default_action)"

N_ACTIVE=6
N_RETIRED=4
PER_ADDR=25
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

for a in "${active[@]}" "${retired[@]}"; do
	"$SOURCE" -A -s 1 -m "$PER_ADDR" -R 1 -f loader@spam.example \
	    -t "$a" -S "load $a" "127.0.0.1:$FP_POLICY_PORT" \
	    </dev/null >"$T/load.$a.out" 2>"$T/load.$a.err" &
	LOAD_PIDS="$LOAD_PIDS $!"
done
load_started=$(date +%s)

connects() { grep -c 'postfix/policy/smtpd.*: connect from' "$PF_LOG"; }
connects_at_least() { [ "$(connects)" -ge "$1" ]; }
load_running() {
	local p
	for p in $LOAD_PIDS; do t_pid_alive "$p" && return 0; done
	return 1
}
policy_answers() { [ -n "$(fp_policy "${active[0]}" 192.0.2.9)" ]; }
default_answers() {
	grep -c 'policy/smtpd.*451 4\.3\.5 .*Server configuration problem' "$PF_LOG"
}
default_answers_above() { [ "$(default_answers)" -gt "$1" ]; }

sock_ino() { stat -c %i "$AD_SOCKDIR/$1" 2>/dev/null; }
kills=0 killed_during_load=0 sockets_kept=0
for at in $(( TOTAL / 5 )) $(( TOTAL / 2 )); do
	t_wait_until 60 connects_at_least "$at"
	load_running && killed_during_load=$(( killed_during_load + 1 ))
	# SIGKILL the parent; its child (which serves) gets SIGKILL from the
	# kernel (PR_SET_PDEATHSIG).
	orphans=$(ps --ppid "$AD_PID" -o pid= 2>/dev/null)
	defaults=$(default_answers)
	kill -KILL "$AD_PID"
	wait "$AD_PID" 2>/dev/null
	AD_PID=""
	kills=$(( kills + 1 ))
	tap_diag "SIGKILL $kills after $(connects) of $TOTAL connections"
	# Restarted after a pause, as a supervisor does (systemd's RestartSec):
	# long enough for Postfix to answer some RCPTs with its default action.
	t_wait_until 20 default_answers_above "$defaults" ||
	    tap_diag "no default action answered within 20 s of SIGKILL $kills"
	# The socket files left behind are replaced (ad_start waits for a new
	# milter socket).
	rm -f "$AD_SOCKDIR/aliasd.sock"
	ad_start || { tap_not_ok "aliasd restarts after SIGKILL $kills"; cat "$AD_LOG" >&2; }
	t_wait_until 10 policy_answers
	pol=$(sock_ino policy.sock) map=$(sock_ino map.sock)
	# The old child, once gone, must have left the new sockets alone.
	for p in $orphans; do t_wait_until 10 _t_pid_gone "$p"; done
	if [ -n "$pol" ] && [ "$(sock_ino policy.sock)" = "$pol" ] &&
	    [ -n "$map" ] && [ "$(sock_ino map.sock)" = "$map" ] &&
	    policy_answers; then
		sockets_kept=$(( sockets_kept + 1 ))
	else
		tap_diag "restart $kills: the old child removed the new sockets:" \
		    "$(ls -l "$AD_SOCKDIR" | tr '\n' ' ')"
		# Get on with the load: restart once more.
		ad_stop
		ad_start
		t_wait_until 10 policy_answers
	fi
done
tap_check "after each restart the new policy and socketmap sockets outlive the killed aliasd's child ($sockets_kept of $kills)" \
    [ "$sockets_kept" -eq "$kills" ]
tap_check "aliasd was SIGKILLed twice while smtp-source was sending" \
    [ "$killed_during_load" -eq 2 ]

# shellcheck disable=SC2086
t_reap 90 smtp-source $LOAD_PIDS
LOAD_PIDS=""
load_secs=$(( $(date +%s) - load_started ))
tap_check "the queue drains" pf_wait_queue_empty 30

pf_capture_files | xargs -r grep -h '^X-Rcpt-Args:' | awk '{ print $2 }' >"$T/delivered"
captured_for() { grep -cxF "<$1>" "$T/delivered"; }
t4=0 t5=0 tdel=0 bad_active="" bad_retired="" odd=""
for a in "${active[@]}" "${retired[@]}"; do
	err="$T/load.$a.err"
	n4=$(grep -cE 'rejected: 4[0-9][0-9] ' "$err")
	n5=$(grep -cE 'rejected: 5[0-9][0-9] ' "$err")
	other=$(grep -vE 'rejected: [45][0-9][0-9] ' "$err" | grep -c .)
	[ "$other" -gt 0 ] && odd="$odd $a:$other"
	accepted=$(( PER_ADDR - n4 - n5 ))
	got=$(captured_for "$a")
	t4=$(( t4 + n4 )) t5=$(( t5 + n5 )) tdel=$(( tdel + got ))
	case " ${retired[*]} " in
	*" $a "*)
		if [ "$got" -ne 0 ] || [ "$accepted" -ne 0 ] ||
		    grep -E 'rejected: 5' "$err" | grep -qv "550 5\.1\.1 <$a>: Recipient address rejected: Leaked"; then
			bad_retired="$bad_retired $a(accepted=$accepted delivered=$got)"
		fi
		;;
	*)
		if [ "$n5" -ne 0 ] || [ "$got" -ne "$accepted" ]; then
			bad_active="$bad_active $a(accepted=$accepted delivered=$got 5xx=$n5)"
		fi
		;;
	esac
done
dup=$(pf_capture_files | xargs -r grep -h '^Message-Id:' | sort | uniq -d | wc -l)
tap_check "no smtp-source session ended other than by a reply (${odd:-none odd})" [ -z "$odd" ]
tap_check "active: every message Postfix accepted was delivered, none refused 5xx${bad_active:+ (bad:$bad_active)}" \
    [ -z "$bad_active" ]
tap_check "retired: nothing accepted or delivered, refusals 550 5.1.1 or 4xx${bad_retired:+ (bad:$bad_retired)}" \
    [ -z "$bad_retired" ]
tap_check "no message delivered twice ($dup)" [ "$dup" -eq 0 ]
tap_check "delivered + refused = sent ($tdel + $t4 + $t5 = $TOTAL)" \
    [ $(( tdel + t4 + t5 )) -eq "$TOTAL" ]
tap_check "some were refused 4xx while aliasd was away ($t4)" [ "$t4" -gt 0 ]
tap_check "Postfix answered the default action while aliasd was away" \
    eval "pf_log_grep 'policy/smtpd.*451 4\\.3\\.5 .*Server configuration problem' >/dev/null"
tap_check "no bounce" [ "$(pf_bounce_count)" -eq 0 ]
tap_check "store integrity_check after two SIGKILLs" \
    [ "$(sqlite3 "$T/store/aliases.db" 'PRAGMA integrity_check')" = ok ]
tap_check "restarted aliasd: active DUNNO, retired refused" \
    eval '[ "$(fp_policy "${active[0]}" 192.0.2.9)" = DUNNO ] && [ "$(fp_policy "${retired[0]}" 192.0.2.9)" = "550 5.1.1 Leaked" ]'
tap_diag "figure: fastpath_kill: $TOTAL messages in ${load_secs} s through the policy service; aliasd SIGKILLed $kills times; delivered $tdel, 4xx $t4, 550 for retired $t5, lost $(( TOTAL - tdel - t4 - t5 ))"
tap_done
