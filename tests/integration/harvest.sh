#!/bin/bash
# harvest.sh: the harvest guard behind a real Postfix.  An outsider
# (127.0.0.2) guessing suffixes gets 550 harvest_limit times, then only
# 451 4.7.1, for a right address too; another outsider (127.0.0.3), an
# exempt client (127.0.0.4), a trusted one (127.0.0.1) and the owner
# sending with SASL from the guesser's own address are not affected;
# after the window the guesser is judged normally again.  The window is
# a few seconds here (harvest_window) instead of the hour of production.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"

LIMIT=5
WINDOW=10

T=$(mktemp -d /tmp/aliasd-hv.XXXXXX) || exit 1
cleanup() { ad_stop; pf_cleanup; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

pf_require || { echo "Bail out! postfix or swaks missing"; exit 1; }
ad_setup example.com postfix <<CONF
harvest_limit = $LIMIT
harvest_window = $WINDOW
harvest_exempt = 127.0.0.4/32, 2001:db8::/48
CONF
ad_up || exit 1
pf_up "$T" "$AD_SOCKET" example.com \
    pf_postconf -e "relay_domains = example.com, other.example" ||
    { echo "Bail out! postfix did not start"; exit 1; }

joe=$(aliasctl new joe@example.org)
num=$(echo "$joe" | cut -d- -f1-2)	# mail-0001

# guesses N: N wrong suffixes for joe's number, comma-separated.
guesses() {
	local i out=""
	for ((i = 0; i < $1; i++)); do
		out="$out${out:+,}$num-$(printf 'zz%04d' "$i" | tr 0-9 a-j)@example.com"
	done
	echo "$out"
}
# send FROM_IP TO [swaks args]: inbound; transcript in $T/tx
send() {
	local ip=$1 to=$2
	shift 2
	swaks --server 127.0.0.1 --port "$PF_PORT_IN" --local-interface "$ip" \
	    --timeout 30 --from someone@spam.example --to "$to" \
	    --header "Subject: test" --body "hello" "$@" >"$T/tx" 2>&1
}
replies() {	# replies CODE: how many RCPT replies with this start
	grep -cE "^<\*\* +$1" "$T/tx"
}
replied() { pf_replied "$T/tx" "$1"; }
# reply_is ADDR RE: the reply right after RCPT TO:<ADDR> matches RE
reply_is() {
	local got
	got=$(grep -A1 -F "RCPT TO:<$1>" "$T/tx" | tail -n 1)
	echo "$got" | grep -qE "^(<-|<\*\*) +$2" && return 0
	echo "    RCPT TO:<$1> got: $got" >&2
	return 1
}
is() {	# is WANT GOT
	[ "$1" = "$2" ] && return 0
	echo "    want: $1" >&2
	echo "    got:  $2" >&2
	return 1
}

# Guessing until the guard ---------------------------------------------
# Other refusals are counted too: one the MTA never delivers.
send 127.0.0.2 "$(guesses $((LIMIT + 1))),$joe"
blocked_at=$(date +%s)
tap_check "the guesser gets 550 $LIMIT times" is "$LIMIT" "$(replies '550 5\.1\.1')"
tap_check "then 451 4.7.1 Try again later" reply_is \
    "$(guesses $((LIMIT + 1)) | cut -d, -f$((LIMIT + 1)))" '451 4\.7\.1 Try again later$'
tap_check "the right address gets the same 451 4.7.1" reply_is "$joe" \
    '451 4\.7\.1 Try again later$'
tap_check "Postfix logged the milter's 451 4.7.1" \
    pf_wait_log "milter-reject: RCPT from .*127\.0\.0\.2.*451 4\.7\.1 Try again later" 5

send 127.0.0.2 "$joe"
tap_check "a new connection from the guesser: still 451 4.7.1 for the right address" \
    replied '^<\*\* +451 4\.7\.1 Try again later'
tap_check "and nothing was queued" sh -c "! grep -q 'queued as' '$T/tx'"
send 127.0.0.2 "postmaster@example.com"
tap_check "postmaster stays reachable for a blocked client" replied '^<- +250 .*queued as'
send 127.0.0.2 "someone@other.example"
tap_check "a domain aliasd does not manage is none of its business" \
    replied '^<- +250 .*queued as'

send 127.0.0.3 "$joe"
tap_check "another client is not affected: accepted" replied '^<- +250 .*queued as'
send 127.0.0.3 "$(guesses 1)"
tap_check "another client is judged normally: 550" replied '^<\*\* +550 5\.1\.1 .*no such user'

pf_swaks_sub --local-interface 127.0.0.2 --from me@example.net \
    --to joe@example.org --header "From: Me <me@example.net>" --body hi \
    >"$T/tx" 2>&1
tap_check "the owner with SASL from the blocked address still sends" \
    replied '^<- +250 .*queued as'
now=$(date +%s)
tap_check "(the checks above ran inside the window: $((now - blocked_at)) s < $WINDOW s)" \
    [ $((now - blocked_at)) -lt "$WINDOW" ]

tap_check "aliasd logged the block once" \
    is 1 "$(grep -c 'harvest guard: client=.*\[127\.0\.0\.2\] blocked' "$AD_LOG")"
tap_check "the block line names the client, not the guesses" \
    sh -c "grep 'harvest guard' '$AD_LOG' | grep -vq '@'"

# Exempt and trusted clients are never counted ---------------------------
send 127.0.0.4 "$(guesses $((2 * LIMIT))),$joe"
tap_check "an exempt client gets 550 for every guess ($((2 * LIMIT)))" \
    is $((2 * LIMIT)) "$(replies '550 5\.1\.1')"
tap_check "an exempt client is never blocked" sh -c "! grep -q '4\.7\.1' '$T/tx'"
tap_check "an exempt client reaches the right address" reply_is "$joe" '250 '


send 127.0.0.1 "$(guesses $((2 * LIMIT)))"
tap_check "a trusted client is outbound: never counted nor blocked" \
    sh -c "! grep -qE '^<\*\* +(550|451)' '$T/tx' && grep -q 'queued as' '$T/tx'"
tap_check "no other client was blocked" \
    is 1 "$(grep -c 'harvest guard: .*blocked' "$AD_LOG")"

# After the window: judged normally, counted afresh -----------------------
# Bounded: at most WINDOW + 2 seconds from the block.
left=$((blocked_at + WINDOW + 1 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
send 127.0.0.2 "$joe"
tap_check "after the window the guesser reaches the right address" \
    replied '^<- +250 .*queued as'
send 127.0.0.2 "$(guesses $((LIMIT + 1)))"
tap_check "after the window guesses get 550 again, $LIMIT of them" \
    is "$LIMIT" "$(replies '550 5\.1\.1')"
tap_check "and the guard closes again at the limit" is 1 "$(replies '451 4\.7\.1')"

# harvest_limit = 0 turns it off (a reload: the table survives) ----------
sed -i "s/^harvest_limit = .*/harvest_limit = 0/" "$AD_CONF"
kill -HUP "$AD_PID"
tap_check "aliasd reloaded" t_wait_until 5 grep -q 'configuration reloaded' "$AD_LOG"
send 127.0.0.2 "$(guesses $((2 * LIMIT)))"
tap_check "harvest_limit = 0: no guard, even for a blocked client" \
    sh -c "[ \$(grep -cE '^<\*\* +550' '$T/tx') -eq $((2 * LIMIT)) ] && ! grep -q '4\.7\.1' '$T/tx'"

# Configuration checks ----------------------------------------------------
check_conf() {	# check_conf LINE: aliasd -n on the test file plus LINE
	{ grep -v '^harvest_' "$AD_CONF"; echo "$1"; } >"$T/check.conf"
	"$AD_BIN" -n -c "$T/check.conf" >"$T/check.out" 2>&1
}
check_conf "harvest_limit = -1"
tap_check "harvest_limit = -1 is refused (78)" is 78 "$?"
check_conf "harvest_window = 0"
tap_check "harvest_window = 0 is refused (78)" is 78 "$?"
check_conf "harvest_exempt = 192.0.2.1/33"
tap_check "a bad harvest_exempt network is refused (78)" is 78 "$?"
tap_check "and the error names the key's line" grep -q 'check.conf:[0-9]*: invalid network' "$T/check.out"
check_conf "template = mail-%04n-%2r"
tap_check "aliasd -n with a %2r template: OK (exit 0)" is 0 "$?"
tap_check "and a warning saying what to set" \
    grep -q 'warning: .*10 random bits.*template = mail-%04n-%6r' "$T/check.out"
check_conf "template = mail-%04n-%6r"
tap_check "aliasd -n with the default template: no warning" \
    sh -c "! grep -q warning '$T/check.out'"
{ grep -v '^harvest_' "$AD_CONF"; echo "template = mail-%04n-%2r"; } >"$T/check.conf"
ALIASD_CONF="$T/check.conf" "$AD_CTL" init >"$T/init.out" 2>"$T/init.err"
tap_check "aliasctl init with a %2r template: OK" is 0 "$?"
tap_check "and a warning on stderr saying what to set" \
    grep -q '10 random bits.*template = mail-%04n-%6r' "$T/init.err"

ad_stop
tap_check "aliasd logged no error" sh -c "! grep -q 'ERROR:\|fatal\|runtime error' '$AD_LOG'"
tap_done
