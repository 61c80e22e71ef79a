#!/bin/bash
# sendmail_socketmap.sh: sendmail's virtusertable answered live by aliasd
# as a socket map, with no milter and no makemap: the .mc of the private
# sendmail (tests/lib/sendmail.sh) gets
#
#   FEATURE(`virtusertable', `socket unix:/path/to/map.sock')dnl
#   VIRTUSER_DOMAIN(`example.com')dnl
#
# which makes the .cf line "Kvirtuser socket unix:...": sendmail sends
# "virtuser KEY" netstrings, the map name aliasd answers (a different name
# would be answered PERM and logged "unknown map").  An active address is
# delivered to the owner, a retired one refused with its reason
# (error:nouser), an expired and an unknown one refused, an on-refuse
# tempfail one answered 450 (error:4.2.1:450), a domain outside aliasd's
# untouched (sendmail does not even ask: only VirtHost domains are looked
# up); the store gone: 4xx, never a delivery or a 5xx; back: right again
# without a restart.  A lock is not judged (a map lookup knows no
# sender).  Needs root (sendmail runs in its own mount namespace).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${ALIASD_BUILD:=$(cd "$HERE/../.." && pwd)/build}"
. "$HERE/../lib/common.sh"
. "$HERE/../lib/sendmail.sh"
. "$HERE/../lib/aliasd.sh"

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (sendmail runs in its own mount namespace)"
	exit 0
fi

T=$(mktemp -d /tmp/aliasd-smmap.XXXXXX) || exit 1
chmod 0711 "$T"
cleanup() { ad_stop; sm_cleanup; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

sm_fetch || { echo "Bail out! could not fetch or run the unpacked sendmail"; exit 1; }
MAP="$T/run/map.sock"
ad_setup example.com nobody <<CONF
socketmap_socket = unix:$MAP
CONF
ad_up || exit 1
t_wait_until 10 test -S "$MAP" || { echo "Bail out! no socketmap socket"; exit 1; }

# No milter.  example.org is relayed too: a domain that is not aliasd's.
sm_init "$T" "" "example.com example.org" ||
	{ echo "Bail out! sm_init failed"; exit 1; }
# The virtusertable as a socket map, before the MAILER line, and the .cf
# made again from the .mc.
sed -i "/^MAILER(\`smtp')/i\\
FEATURE(\`virtusertable', \`socket unix:$MAP')dnl\\
VIRTUSER_DOMAIN(\`example.com')dnl" "$SM_MC"
m4 "$SM_MC" >"$SM_CF" 2>"$T/m4.err" && [ ! -s "$T/m4.err" ] ||
	{ echo "Bail out! m4 failed"; cat "$T/m4.err"; exit 1; }
tap_check "sendmail.cf declares the virtusertable as a socket map" \
	grep -qxF "Kvirtuser socket unix:$MAP" "$SM_CF"
sm_start || { echo "Bail out! sendmail did not start"; exit 1; }

joe=$(aliasctl new joe@example.org)
old=$(aliasctl new old@example.org)
aliasctl retire "$old" --reason "Spammers found this address" >/dev/null
exp=$(aliasctl new --expires 1h exp@example.org)
sqlite3 "$T/store/aliases.db" \
    "UPDATE address SET expires = 1000 WHERE local = '${exp%@*}'"
temp=$(aliasctl new --on-refuse tempfail tim@example.org)
aliasctl retire "$temp" --reason "Gone for good" >/dev/null
lock=$(aliasctl new --lock domain lee@example.org)

# send TO [FROM]: one message from the outsider 127.0.0.2; transcript in
# $T/tx.  rcpt_reply TO: the reply to RCPT TO:<TO>, without the arrows.
send() {
	sm_swaks_in --from "${2:-someone@spam.example}" --to "$1" \
	    --header "Subject: map $RANDOM" --body "hello" >"$T/tx" 2>&1
}
rcpt_reply() {
	grep -A1 -F -- "-> RCPT TO:<$1>" "$T/tx" | tail -n 1 |
	    sed -E 's/^(<-|<\*\*) +//; s/\r$//'
}
is() {	# is NAME GOT WANT
	if [ "$2" = "$3" ]; then
		tap_ok "$1"
	else
		tap_not_ok "$1" "want: $3" "got:  $2"
	fi
}
last_rcpts() { sm_msg_rcpts "$(sm_capture_last)" | tr -d '<>' | paste -sd,; }

n=$(sm_capture_count)
send "$joe"
is "active: RCPT accepted" "$(rcpt_reply "$joe")" "250 2.1.5 <$joe>... Recipient ok"
tap_check "active: delivered" sm_wait_captured $((n + 1))
is "active: delivered to the owner (OK me@example.net)" "$(last_rcpts)" \
    "me@example.net"

# "OK error:nouser TEXT": sendmail 8.17 answers 553 5.3.0 for it
# (error:5.1.1:550 would be 550 5.1.1); either, with the text.
refused() {	# refused NAME TO TEXT
	local got
	send "$2"
	got=$(rcpt_reply "$2")
	case $got in
	"550 5.1.1 <$2>... $3" | "553 5.3.0 <$2>... $3")
		tap_ok "$1: ${got%% <*}, $3" ;;
	*) tap_not_ok "$1" "want: 550 5.1.1 or 553 5.3.0 <$2>... $3" "got:  $got" ;;
	esac
}
refused "retired: refused with its reason" "$old" "Spammers found this address"
refused "expired: refused" "$exp" "address expired"
refused "unknown: refused" mail-9999-zz@example.com "no such user"
send "$temp"
is "on-refuse tempfail: 450 4.2.1 (error:4.2.1:450)" "$(rcpt_reply "$temp")" \
    "450 4.2.1 <$temp>... Gone for good"
n=$(sm_capture_count)
send "$lock" spam@stranger.example
is "locked, a stranger: accepted (a map lookup knows no sender)" \
    "$(rcpt_reply "$lock" | cut -c1-3)" "250"
tap_check "locked: delivered to the owner" sm_wait_captured $((n + 1))

# Outside aliasd's domains: sendmail asks the map only for VirtHost.
asked_before=$(grep -c 'socketmap: ' "$AD_LOG")
n=$(sm_capture_count)
send friend@example.org
is "outside the managed domains: accepted" \
    "$(rcpt_reply friend@example.org | cut -c1-3)" "250"
tap_check "outside: delivered to its own recipient" \
    eval 'sm_wait_captured $((n + 1)) && [ "$(last_rcpts)" = friend@example.org ]'
tap_check "outside: aliasd was not asked" \
    [ "$(grep -c 'socketmap: ' "$AD_LOG")" = "$asked_before" ]

tap_check "aliasd answered map 'virtuser' (no 'unknown map' in its log)" \
    eval '! grep -q "unknown map" "$AD_LOG" && grep -q "socketmap: reject rcpt=<$old>" "$AD_LOG"'

# The store gone, then back ------------------------------------------------
# A TEMP answer makes sendmail defer the lookup, not the client: it
# answers "Recipient ok (will queue)" and resolves the address at the
# next queue run.  So: nothing delivered while the store is gone; back,
# right answers at RCPT at once; the queued messages resolved by a queue
# run, the active one delivered to the owner, the retired one not (it
# bounces to its sender).
DB="$T/store/aliases.db"
nm() {	# nm MAP KEY: aliasd's socketmap answer
	local s="$1 $2"
	printf '%d:%s,' ${#s} "$s" | timeout 5 socat - "UNIX-CONNECT:$MAP"
}
sqlite3 "$DB" ".backup '$T/backup.db'"
rm -f "$DB" "$DB-wal" "$DB-shm"
map_temp() { nm virtuser "$joe" | grep -q ':TEMP '; }
tap_check "store gone: aliasd answers TEMP within 5 s" t_wait_until 5 map_temp
n=$(sm_capture_count)
q=$(sm_queue_count)
send "$joe"
is "store gone: active: sendmail defers the lookup" "$(rcpt_reply "$joe")" \
    "250 2.1.5 <$joe>... Recipient ok (will queue)"
send "$old"
is "store gone: retired: deferred too, not refused" "$(rcpt_reply "$old")" \
    "250 2.1.5 <$old>... Recipient ok (will queue)"
sleep 2
tap_check "store gone: nothing delivered" [ "$(sm_capture_count)" = "$n" ]
tap_check "store gone: both messages wait in sendmail's queue" \
    [ "$(sm_queue_count)" -ge $((q + 2)) ]
cp "$T/backup.db" "$DB.tmp"
chown nobody "$DB.tmp"
mv "$DB.tmp" "$DB"
map_back() { nm virtuser "$old" | grep -q ':OK error:'; }
tap_check "store back: aliasd answers again within 5 s, no restart" \
    t_wait_until 5 map_back
send "$old"
tap_check "store back: retired refused at RCPT again" \
    eval 'rcpt_reply "$old" | grep -qE "^55[0-9] 5\.[0-9]\.[0-9] <$old>\.\.\. Spammers found this address$"'
send "$joe"
is "store back: active accepted" "$(rcpt_reply "$joe")" "250 2.1.5 <$joe>... Recipient ok"
tap_check "store back: that one delivered" sm_wait_captured $((n + 1))
n=$(sm_capture_count)
# One queue run, in sendmail's mount namespace (its /etc/hosts).
timeout 60 nsenter -t "$SM_PID" -m -- "$SM_BIN" -C "$SM_CF" \
    -O "QueueDirectory=$SM_QUEUE" -q >"$T/qrun.out" 2>&1
tap_check "queue run: the deferred message for the active address reached the owner" \
    sm_wait_captured $((n + 1))
bounced() {
	local f
	for f in $(sm_capture_files); do
		[ "$(sm_msg_sender "$f")" = "<>" ] && return 0
	done
	return 1
}
tap_check "queue run: the one for the retired address bounced to its sender" \
    t_wait_until 10 bounced
owner_got=$(sm_capture_files | xargs -r grep -l "^X-Rcpt-Args: <me@example.net>" |
    xargs -r grep -l "^X-Mail-Args: <someone@spam.example>" | wc -l)
tap_diag "queue run: $(sm_queue_count) left in the queue; owner received $owner_got from the outsider in all"

tap_check "no makemap: no .db map file beside sendmail.cf" \
    [ -z "$(find "$SM_DIR" -name '*.db' -print -quit)" ]
tap_check "aliasd still running" t_pid_alive "$AD_PID"
tap_done
