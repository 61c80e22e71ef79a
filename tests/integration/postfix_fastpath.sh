#!/bin/bash
# postfix_fastpath.sh: one table, three protocols.  One private Postfix
# with three inbound listeners that differ only in how they ask aliasd:
#
#   milter     smtpd_milters = aliasd's milter socket
#   policy     no milter; smtpd_recipient_restrictions =
#              check_policy_service unix:aliasd/policy.sock
#   socketmap  no milter; smtpd_recipient_restrictions =
#              check_recipient_access socketmap:unix:aliasd/map.sock:access
#
# Every decision of SPEC's inbound table and of the gate is sent by swaks
# through each, and the RCPT reply the client sees must be the same: the
# milter writes "<addr>: Recipient address rejected: REASON" itself,
# Postfix adds those words before a policy action's or an access value's
# text.  Where the socketmap cannot judge (it knows no sender, so no
# lock, and no client, so no harvest guard) it answers as SPEC says:
# accepted.  DISCARD and HOLD from the policy service or the access table
# act on the whole message, not on one recipient as the milter's do: a
# test shows both.
#
# The two fast-path sockets are named relative to Postfix's queue
# directory (aliasd/... through a symbolic link to aliasd's socket
# directory), the form that works whether smtpd is chrooted or not.
# Each column sends from its own loopback address, so that the harvest
# guard counts each apart.  TAP output.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"
. "$HERE/../lib/fastpath.sh"

REJ="Recipient address rejected"
LIMIT=6

T=$(mktemp -d /tmp/aliasd-fp.XXXXXX) || exit 1
cleanup() { ad_stop; pf_cleanup; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

pf_require || { echo "Bail out! postfix or swaks missing"; exit 1; }
ad_setup example.com postfix <<CONF
policy_socket = unix:$T/run/policy.sock
socketmap_socket = unix:$T/run/map.sock
harvest_limit = $LIMIT
CONF
ad_up || exit 1

pf_up "$T" "$AD_SOCKET" example.com fp_listeners ||
    { echo "Bail out! postfix did not start"; exit 1; }
t_wait_port "$FP_POLICY_PORT" 10 && t_wait_port "$FP_MAP_PORT" 10 ||
    { echo "Bail out! the fast-path listeners did not start"; exit 1; }

COLS="milter policy socketmap"
port_of() {
	case $1 in
	milter) echo "$PF_PORT_IN" ;;
	policy) echo "$FP_POLICY_PORT" ;;
	socketmap) echo "$FP_MAP_PORT" ;;
	esac
}
ip_of() {	# ip_of COLUMN [BASE]: the column's own client address
	local base=${2:-2}
	case $1 in
	milter) echo "127.0.0.$base" ;;
	policy) echo "127.0.0.$((base + 1))" ;;
	socketmap) echo "127.0.0.$((base + 2))" ;;
	esac
}

joe=$(aliasctl new joe@example.org)
old=$(aliasctl new old@example.org)
aliasctl retire "$old" --reason "Spammers found this address" >/dev/null
exp=$(aliasctl new --expires 1h exp@example.org)
sqlite3 "$T/store/aliases.db" \
    "UPDATE address SET expires = 1000 WHERE local = '${exp%@*}'"
lock=$(aliasctl new --lock domain lee@example.org)
disc=$(aliasctl new --on-refuse discard dan@example.org)
hold=$(aliasctl new --on-refuse hold hal@example.org)
temp=$(aliasctl new --on-refuse tempfail tim@example.org)
aliasctl retire "$disc" "$hold" "$temp" --reason "Gone for good" >/dev/null
bad="$(printf 'x%.0s' $(seq 70))@example.com"

# rcpt COLUMN FROM TO [CLIENT]: the reply to RCPT TO:<TO>, one line,
# without swaks' arrows; the session stops after RCPT.
rcpt() {
	local col=$1 from=$2 to=$3 ip=${4:-$(ip_of "$1")}
	swaks --server 127.0.0.1 --port "$(port_of "$col")" \
	    --local-interface "$ip" --timeout 30 --from "$from" --to "$to" \
	    --quit-after RCPT >"$T/tx.$col" 2>&1
	grep -A1 -F -- "-> RCPT TO:<$to>" "$T/tx.$col" | tail -n 1 |
	    sed -E 's/^(<-|<\*\*) +//; s/\r$//'
}
# row NAME FROM TO WANT [SOCKETMAP_WANT]: the reply of every column is
# WANT (the socketmap's SOCKETMAP_WANT when given); one test per column.
row() {
	local name=$1 from=$2 to=$3 want=$4 smwant=${5:-$4} col got w
	for col in $COLS; do
		w=$want
		[ "$col" = socketmap ] && w=$smwant
		got=$(rcpt "$col" "$from" "$to")
		if [ "$got" = "$w" ]; then
			tap_ok "$name: $col: $w"
		else
			tap_not_ok "$name: $col" "want: $w" "got:  $got"
		fi
	done
}

# The table ----------------------------------------------------------------
row "active" someone@example.org "$joe" "250 2.1.5 Ok"
row "passthrough (postmaster)" someone@example.org postmaster@example.com \
    "250 2.1.5 Ok"
row "retired, with its reason" someone@example.org "$old" \
    "550 5.1.1 <$old>: $REJ: Spammers found this address"
row "expired" someone@example.org "$exp" \
    "550 5.1.1 <$exp>: $REJ: address expired"
row "unknown" someone@example.org mail-9999-zz@example.com \
    "550 5.1.1 <mail-9999-zz@example.com>: $REJ: no such user"
row "malformed (a 70-octet local part) in the managed domain" \
    someone@example.org "$bad" "550 5.1.1 <$bad>: $REJ: no such user"
row "outside the managed domains: not aliasd's business" \
    someone@example.org friend@other.example "250 2.1.5 Ok"
row "locked, an expected sender" joe@lee.example.org "$lock" \
    "250 2.1.5 Ok"
row "locked, a stranger (the socketmap knows no sender: accepted)" \
    spam@stranger.example "$lock" \
    "550 5.7.1 <$lock>: $REJ: This address does not take mail from you" \
    "250 2.1.5 Ok"
row "on-refuse tempfail" someone@example.org "$temp" \
    "450 4.2.1 <$temp>: $REJ: Gone for good"
row "on-refuse discard: RCPT accepted" someone@example.org "$disc" \
    "250 2.1.5 Ok"
row "on-refuse hold: RCPT accepted" someone@example.org "$hold" \
    "250 2.1.5 Ok"

# Discard and hold, whole messages ------------------------------------------
# send COLUMN TO: one message; transcript in $T/tx.COLUMN
send() {
	swaks --server 127.0.0.1 --port "$(port_of "$1")" \
	    --local-interface "$(ip_of "$1")" --timeout 30 \
	    --from someone@example.org --to "$2" \
	    --header "Subject: $1 $RANDOM" --body "hello" >"$T/tx.$1" 2>&1
}
queued() { pf_replied "$T/tx.$1" '^<- +250 .*queued as'; }
held_count() { pf_queue_list 2>/dev/null | grep -cE '^[0-9A-F]+!'; }
captured_rcpts() {	# the recipients of every captured message, sorted
	pf_capture_files | xargs -r grep -h '^X-Rcpt-Args:' | awk '{ print $2 }' |
	    tr -d '<>' | sort
}
for col in $COLS; do
	n=$(pf_capture_count)
	send "$col" "$disc"
	tap_check "discard: $col: the sender is told 250 queued" queued "$col"
	sleep 1
	tap_check "discard: $col: nothing reached the owner" \
	    [ "$(pf_capture_count)" = "$n" ]
	h=$(held_count)
	send "$col" "$hold"
	tap_check "hold: $col: the sender is told 250 queued" queued "$col"
	tap_check "hold: $col: the message waits in the hold queue" \
	    t_wait_until 10 eval '[ "$(held_count)" -gt '"$h"' ]'
done
# Beside an active recipient: the milter drops one recipient, the policy
# service and the access table the whole message.
for col in $COLS; do
	before=$(captured_rcpts | grep -cxF "$joe")
	n=$(pf_capture_count)
	send "$col" "$disc,$joe"
	tap_check "discard beside an active address: $col: 250 queued" \
	    queued "$col"
	if [ "$col" = milter ]; then
		tap_check "discard beside an active address: milter: the active one gets it" \
		    pf_wait_captured $((n + 1))
		tap_check "discard beside an active address: milter: only the active one" \
		    [ "$(captured_rcpts | grep -cxF "$disc")" = 0 ]
	else
		sleep 2
		tap_check "discard beside an active address: $col: the whole message is discarded (Postfix's DISCARD)" \
		    [ "$(captured_rcpts | grep -cxF "$joe")" = "$before" ]
	fi
done
tap_check "Postfix logged the policy service's DISCARD" \
    pf_wait_log 'postfix/policy/smtpd.*discard: RCPT from'
tap_check "Postfix logged the access table's DISCARD" \
    pf_wait_log 'postfix/socketmap/smtpd.*discard: RCPT from'

# The harvest guard -----------------------------------------------------------
# Fresh client addresses: LIMIT refusals, then an active address gets
# 451 4.7.1 from the milter and the policy service.  The socketmap sees
# no client: it has no guard.
for col in $COLS; do
	ip=$(ip_of "$col" 12)
	for ((i = 1; i <= LIMIT; i++)); do
		rcpt "$col" spam@stranger.example "mail-99$i-guess@example.com" \
		    "$ip" >/dev/null
	done
	got=$(rcpt "$col" spam@stranger.example "$joe" "$ip")
	case $col in
	milter) want="451 4.7.1 Try again later" ;;
	policy) want="451 4.7.1 <$joe>: $REJ: Try again later" ;;
	socketmap) want="250 2.1.5 Ok" ;;
	esac
	if [ "$got" = "$want" ]; then
		tap_ok "harvest guard after $LIMIT refusals: $col: $want"
	else
		tap_not_ok "harvest guard after $LIMIT refusals: $col" \
		    "want: $want" "got:  $got"
	fi
done
tap_diag "the milter's 451 4.7.1 carries no '<addr>: $REJ:' prefix;" \
    "Postfix adds it to the policy service's (see h28_bugs.txt)"

# Counted: the policy service counts at RCPT, the milter at the end of
# the message; joe was accepted in every column.
counted() { aliasctl show "$joe" | grep -qiE 'messages:? +[1-9]'; }
tap_check "accepted mail is counted (aliasctl show)" t_wait_until 5 counted
tap_check "the socketmap was asked (aliasd's log)" \
    grep -q 'socketmap: reject rcpt=' "$AD_LOG"
tap_check "no bounce was made for any of it" [ "$(pf_bounce_count)" = 0 ]
tap_check "aliasd still running" t_pid_alive "$AD_PID"
tap_done
