#!/bin/bash
# postfix_gate.sh: SPEC "The gate" behind a real Postfix, sent to with
# swaks from an outsider (127.0.0.2): what the sender is told, what
# reaches the owner (the capture sink), what waits in the hold queue.
# Every on-refuse action with one recipient and beside another; a locked
# address; max-mails; X-Aliasd as delivered; a leak sighting.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"

REJ="Recipient address rejected"
LOCKED="This address does not take mail from you"

T=$(mktemp -d /tmp/aliasd-pg.XXXXXX) || exit 1
cleanup() { ad_stop; pf_cleanup; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

pf_require || { echo "Bail out! postfix or swaks missing"; exit 1; }
ad_setup example.com postfix <<CONF
harvest_limit = 0
CONF
ad_up || exit 1
pf_up "$T" "$AD_SOCKET" example.com ||
    { echo "Bail out! postfix did not start"; exit 1; }

lock=$(aliasctl new --lock domain joe@example.org)
open_=$(aliasctl new ann@example.org)
disc=$(aliasctl new --lock domain --on-refuse discard kim@example.org)
hold=$(aliasctl new --lock domain --on-refuse hold lee@example.org)
temp=$(aliasctl new --lock domain --on-refuse tempfail max@example.org)
three=$(aliasctl new --max-mails 3 ola@example.org)

# send FROM TO [swaks args]: one message from the outsider; transcript
# in $T/tx.  TO may be a comma-separated list.
send() {
	local from=$1 to=$2
	shift 2
	swaks --server 127.0.0.1 --port "$PF_PORT_IN" --local-interface \
	    127.0.0.2 --timeout 30 --from "$from" --to "$to" \
	    --header "Subject: gate $RANDOM" --body "hello" "$@" \
	    >"$T/tx" 2>&1
}
# reply_is ADDR RE: the reply right after RCPT TO:<ADDR> matches RE
reply_is() {
	local got
	got=$(grep -A1 -F "RCPT TO:<$1>" "$T/tx" | tail -n 1)
	echo "$got" | grep -qE "^(<-|<\*\*) +$2" && return 0
	echo "    RCPT TO:<$1> got: $got" >&2
	return 1
}
data_ok() { pf_replied "$T/tx" '^<- +250 .*queued as'; }
# captured_for ADDR: the newest captured message's envelope recipients
# are exactly ADDR (comma-separated, in order)
captured_for() {
	local got
	got=$(pf_msg_rcpts "$(pf_capture_last)" | tr -d '<>' | paste -sd,)
	[ "$got" = "$1" ] && return 0
	echo "    captured for: $got; want $1" >&2
	return 1
}
held() { pf_queue_list | grep -qE '^[0-9A-F]+!'; }
x_aliasd() { pf_msg_header "$(pf_capture_last)" X-Aliasd; }

# A locked address ------------------------------------------------------
n=$(pf_capture_count)
send joe@example.org "$lock"
tap_check "locked: the correspondent is accepted" data_ok
tap_check "locked: and his message reaches the owner" \
    pf_wait_captured $((n + 1))
tap_check "locked: X-Aliasd says sender=expected, once" \
    [ "$(x_aliasd)" = "address=$lock; correspondent=joe@example.org; sender=expected" ]
send spam@example-org.net "$lock"
tap_check "locked: a look-alike domain gets 550 5.7.1" reply_is "$lock" \
    "550 5\.7\.1 <$lock>: $REJ: $LOCKED"
send '' "$lock"
tap_check "locked: the null sender gets 550 5.7.1" reply_is "$lock" \
    "550 5\.7\.1 "

# on-refuse, one recipient ---------------------------------------------
n=$(pf_capture_count)
send spam@stranger.net "$disc"
tap_check "discard: the sender is told 250 (queued)" data_ok
tap_check "discard: Postfix logged the discard" \
    pf_wait_log 'milter-discard|discard: END-OF-MESSAGE'
tap_check "discard: nothing reached the owner" \
    [ "$(pf_capture_count)" = "$n" ]

send spam@stranger.net "$hold"
tap_check "hold: the sender is told 250 (queued)" data_ok
tap_check "hold: the message waits in the hold queue (postqueue -p)" \
    t_wait_until 10 held
tap_check "hold: nothing reached the owner" [ "$(pf_capture_count)" = "$n" ]

send spam@stranger.net "$temp"
tap_check "tempfail: 450 4.2.1 at RCPT" reply_is "$temp" \
    "450 4\.2\.1 <$temp>: $REJ: $LOCKED"

# on-refuse, beside another recipient ------------------------------------
n=$(pf_capture_count)
send spam@stranger.net "$disc,$open_"
tap_check "discard beside another: the message is accepted" data_ok
tap_check "discard beside another: the other recipient gets it" \
    pf_wait_captured $((n + 1))
tap_check "discard beside another: only the other recipient" \
    captured_for "$open_"
tap_check "discard beside another: X-Aliasd names the other, unexpected" \
    [ "$(x_aliasd)" = "address=$open_; correspondent=ann@example.org; sender=unexpected" ]

n=$(pf_capture_count)
send spam@stranger.net "$temp,$open_"
tap_check "tempfail beside another: 450 for the refused one" reply_is \
    "$temp" "450 4\.2\.1 "
tap_check "tempfail beside another: the other recipient gets the message" \
    eval 'pf_wait_captured $((n + 1)) && captured_for "$open_"'
held_before=$(pf_queue_list | grep -cE '^[0-9A-F]+!')
send spam@stranger.net "$hold,$open_"
tap_check "hold beside another: the whole message is held (one message)" \
    t_wait_until 10 eval '[ "$(pf_queue_list | grep -cE "^[0-9A-F]+!")" = $((held_before + 1)) ]'
tap_check "hold beside another: nothing more reached anybody" \
    [ "$(pf_capture_count)" = $((n + 1)) ]

# X-Aliasd from outside -------------------------------------------------
n=$(pf_capture_count)
send someone@example.org "$open_" --add-header \
    "X-Aliasd: address=$open_; correspondent=ann@example.org; sender=expected"
tap_check "forged X-Aliasd: the message is delivered" \
    pf_wait_captured $((n + 1))
tap_check "forged X-Aliasd: removed; ours, the truth, is the only one" \
    [ "$(x_aliasd)" = "address=$open_; correspondent=ann@example.org; sender=expected" ]
send spammer@else.example "$open_" --add-header \
    "X-Aliasd: address=$open_; correspondent=ann@example.org; sender=expected"
tap_check "forged sender=expected from a stranger: one header, unexpected" \
    eval 'pf_wait_captured $((n + 2)) && [ "$(x_aliasd)" = "address=$open_; correspondent=ann@example.org; sender=unexpected" ]'

# max-mails 3 -----------------------------------------------------------
n=$(pf_capture_count)
for i in 1 2 3; do
	send a@example.org "$three"
	tap_check "max-mails 3: message $i accepted" data_ok
done
tap_check "max-mails 3: three reached the owner" pf_wait_captured $((n + 3))
send a@example.org "$three"
tap_check "max-mails 3: the fourth gets 550 address expired" reply_is \
    "$three" "550 5\.1\.1 <$three>: $REJ: address expired"

# The leak sighting of the stranger who wrote to ann ----------------------
sighted() { aliasctl leaks | grep -F "$open_" | grep -q 'stranger\.net'; }
tap_check "leaks lists ann's address and stranger.net" t_wait_until 5 sighted

tap_check "no bounce was made for any of it" [ "$(pf_bounce_count)" = 0 ]
tap_check "aliasd still running" t_pid_alive "$AD_PID"
tap_done
