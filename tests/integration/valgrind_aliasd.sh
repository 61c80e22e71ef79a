#!/bin/bash
# valgrind_aliasd.sh: aliasd under valgrind memcheck behind a real Postfix.
# A compact inbound and outbound run (active, retired, unknown, passthrough,
# an outbound rewrite, a reload), then SIGTERM: memcheck must report no
# error and no definite leak. GLib's and GMime's one-time allocations are
# "still reachable", which is not an error.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"

command -v valgrind >/dev/null 2>&1 || {
	echo "1..0 # SKIP valgrind not installed"
	exit 0
}

# ASan and memcheck cannot share a process; in the sanitizer build
# (make check SAN=1) LeakSanitizer does this suite's job in every other one.
if ldd "$AD_BIN" 2>/dev/null | grep -q libasan; then
	echo "1..0 # SKIP aliasd is built with ASan (SAN=1): LeakSanitizer checks it instead"
	exit 0
fi

T=$(mktemp -d /tmp/aliasd-vg.XXXXXX) || exit 1
cleanup() { ad_stop; pf_cleanup; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

export AD_VALGRIND=1
AD_VALGRIND_SUPP="$HERE/../valgrind.supp"
[ -r "$AD_VALGRIND_SUPP" ] || AD_VALGRIND_SUPP=""

pf_require || { echo "Bail out! postfix or swaks missing"; exit 1; }
ad_setup example.com postfix <<'CONF'
bounce_address = bounces@example.com
CONF
joe=$(aliasctl new joe@example.org)
old=$(aliasctl new joe-old@example.org)
aliasctl retire "$old" --reason "Spammers found this address" >/dev/null
aliasctl new --name general >/dev/null
aliasctl default general >/dev/null

# libmilter answers slower under valgrind: Postfix gets more patience.
started=$(date +%s)
ad_start || { echo "Bail out! aliasd did not start under valgrind"; cat "$AD_LOG"; exit 1; }
pf_up "$T" "$AD_SOCKET" example.com pf_postconf -e "milter_connect_timeout = 30s" "milter_command_timeout = 30s" || { echo "Bail out! postfix did not start"; exit 1; }
vg_pid=$AD_PID
tap_diag "aliasd under valgrind: pid $vg_pid, socket after $(( $(date +%s) - started )) s"

send_in() {	# send_in TO [swaks args]: from the outsider 127.0.0.2
	local to=$1
	shift
	pf_swaks_in --from someone@spam.example --to "$to" \
	    --header "Subject: vg" --body "hello" "$@" >"$T/tx" 2>&1
}
replied() { pf_replied "$T/tx" "$1"; }

send_in "$joe"
tap_check "valgrind: active address accepted" replied '^<- +250 .*queued as'
send_in "$old"
tap_check "valgrind: retired address refused with its reason" \
    replied "^<\*\* +550 5\.1\.1 <$old>: Recipient address rejected: Spammers"
send_in "mail-9999-zz@example.com"
tap_check "valgrind: unknown address refused" replied '^<\*\* +550 5\.1\.1 .*no such user'
send_in "postmaster@example.com"
tap_check "valgrind: passthrough accepted" replied '^<- +250 .*queued as'
send_in "\"${joe%@*}\"@example.com"
tap_check "valgrind: quoted local part accepted" replied '^<- +250 .*queued as'

before=$(pf_capture_count)
pf_swaks_sub --local-interface 127.0.0.2 --from me@example.net \
    --to joe@example.org,friend@elsewhere.example \
    --header "From: Me Myself <me@example.net>" \
    --header "Sender: me@example.net" --body "outbound" >"$T/tx" 2>&1
tap_check "valgrind: outbound accepted" replied '^<- +250 .*queued as'
tap_check "captured ($((before + 1)) messages)" pf_wait_captured $((before + 1)) 30
f=$(pf_capture_last)
tap_check "valgrind: outbound From rewritten" \
    [ "$(pf_msg_header "$f" From)" = "Me Myself <$(aliasctl default)>" ]

# A reload swaps the configuration snapshot and drains the handle pool.
kill -HUP "$vg_pid"
tap_check "valgrind: reloaded on SIGHUP" \
    t_wait_until 20 grep -q 'configuration reloaded' "$AD_LOG"
send_in "$joe"
tap_check "valgrind: accepted after a reload" replied '^<- +250 .*queued as'
count_seen() {
	aliasctl --json show "$joe" | grep -q '"messages":[1-9]'
}
tap_check "valgrind: counts written by the counter thread" t_wait_until 10 count_seen

ad_stop
tap_check "valgrind: aliasd exited 0 after SIGTERM (99 = memcheck errors)" [ "$AD_RC" -eq 0 ]

# The parent and the milter child each write a log (valgrind follows the
# fork); errors or leaks in either fail.
log="$T/valgrind.$vg_pid"
if [ ! -s "$log" ]; then
	tap_not_ok "valgrind: log $log written"
	tap_done
	exit
fi
nlogs=0
for log in "$T"/valgrind.*; do
	[ -s "$log" ] || continue
	nlogs=$((nlogs + 1))
	who="valgrind.${log##*.}"
	tap_check "$who: ERROR SUMMARY: 0 errors" grep -q 'ERROR SUMMARY: 0 errors' "$log"
	definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | tail -1)
	tap_check "$who: no bytes definitely lost (${definite:-none reported})" \
	    [ "${definite:-0}" -eq 0 ]
	indirect=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | tail -1)
	tap_diag "figure: $who memcheck: errors $(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -1), definitely lost ${definite:-0} B, indirectly lost ${indirect:-0} B"
	if [ "$TAP_FAILED" -ne 0 ]; then
		tap_diag "$who log:"
		tap_diag - <"$log"
	fi
done
tap_check "valgrind: the parent and the milter child both checked ($nlogs logs)" \
    [ "$nlogs" -ge 2 ]
tap_done
