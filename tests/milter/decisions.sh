#!/bin/bash
# decisions.sh: every inbound and outbound decision of aliasd (SPEC,
# "aliasd (the milter)", "Rewriting"), asked through the milter protocol
# directly: tests/milter/milterclient plays the MTA, so no Postfix is
# needed and each answer is compared exactly.  Each inbound case comes
# from its own client address, so that the refusals of one case never
# count towards another's harvest guard.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/../lib/aliasd.sh"
. "$HERE/../lib/milter.sh"

CLIENT="$ML_CLIENT"
LIMIT=3
REJ="Recipient address rejected"

T=$(mktemp -d /tmp/aliasd-milter.XXXXXX) || exit 1
cleanup() { ad_stop; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# aliasd drops root: its user must reach the store and the socket.
chmod 0755 "$T"
[ -x "$CLIENT" ] || { echo "Bail out! $CLIENT not built"; exit 1; }
ad_setup example.com postfix <<CONF
harvest_limit = $LIMIT
bounce_address = bounces@example.com
outbound_daemon_name = ORIGINATING
CONF

active=$(aliasctl new joe@example.org)
retired=$(aliasctl new ann@example.org)
aliasctl retire "$retired" --reason "Sold my address" >/dev/null
expired=$(aliasctl new --expires 1d bob@example.org)
# aliasctl takes only a future expiry: move it into the past.
ad_sql "UPDATE address SET expires = $(($(date +%s) - 60))
    WHERE local || '@' || domain = '$expired'"
ad_store_owner postfix
ad_start || { echo "Bail out! aliasd did not start"; cat "$AD_LOG"; exit 1; }

session() { ml_session "$@"; }
has() { ml_has "$@"; }

# Inbound: IP | RCPT | the answer to its RCPT | what.
while IFS='|' read -r ip rcpt want what; do
	[ -n "$ip" ] || continue
	out=$(session "$ip" "" s@sender.example "$rcpt" "")
	if has "$out" "$want" 2>/dev/null; then
		tap_ok "inbound: $what"
	else
		tap_not_ok "inbound: $what" "want: $want" "got:" "$out"
	fi
done <<CASES
192.0.2.1|$active|rcpt continue|active address accepted
192.0.2.2|postmaster@example.com|rcpt continue|passthrough postmaster accepted
192.0.2.3|abuse@example.com|rcpt continue|passthrough abuse accepted
192.0.2.4|$retired|rcpt replycode 550 5.1.1 <$retired>: $REJ: Sold my address|retired: 550 with its reason
192.0.2.5|$expired|rcpt replycode 550 5.1.1 <$expired>: $REJ: address expired|expired: 550 address expired
192.0.2.6|nobody-here@example.com|rcpt replycode 550 5.1.1 <nobody-here@example.com>: $REJ: no such user|unknown: 550 no such user
192.0.2.7|${active^^}|rcpt continue|active address in upper case accepted
192.0.2.8|someone@elsewhere.example|rcpt continue|outside managed domains: none of aliasd's business
192.0.2.9|nobody-here@example.com,$active|rcpt continue|two recipients: the active one accepted after a refusal
127.0.0.1|nobody-here@example.com|rcpt continue|trusted client (127.0.0.1) is outbound: recipients not checked
CASES

# Harvest guard: LIMIT refusals, then 451 4.7.1 for everything, right or
# wrong; another client is not affected.
guess=""
for ((i = 1; i <= LIMIT + 1; i++)); do
	guess="$guess${guess:+,}guess$i@example.com"
done
out=$(session 192.0.2.66 "" s@spam.example "$guess,$active" "")
n=$(grep -c '^rcpt replycode 550 5\.1\.1 ' <<<"$out")
if [ "$n" = "$LIMIT" ]; then
	tap_ok "harvest: $LIMIT refusals answered 550"
else
	tap_not_ok "harvest: $LIMIT refusals answered 550 ($n)" "$out"
fi
tap_check "harvest: then 451 4.7.1 for a wrong guess and for the active address" \
    [ "$(grep -cxF 'rcpt replycode 451 4.7.1 Try again later' <<<"$out")" = 2 ]
out=$(session 192.0.2.66 "" s@spam.example "$active" "")
tap_check "harvest: the guesser's next session too" \
    has "$out" "rcpt replycode 451 4.7.1 Try again later"
out=$(session 192.0.2.67 "" s@spam.example "$active" "")
tap_check "harvest: another client is judged normally" \
    has "$out" "rcpt continue"

# Outbound: IP | AUTH | envelope sender | RCPTS | headers | lines wanted |
# a pattern no line may match | what.
FROM="me@example.net"
OUT_OK="eom continue"
while IFS='|' read -r ip auth from rcpts headers want bad what; do
	[ -n "$ip" ] || continue
	out=$(session "$ip" "$auth" "$from" "$rcpts" "$headers")
	if has "$out" "$want" 2>/dev/null && { [ -z "$bad" ] ||
	    ! grep -qE -- "$bad" <<<"$out"; }; then
		tap_ok "outbound: $what"
	else
		tap_not_ok "outbound: $what" "want: $want" "not: $bad" "got:" "$out"
	fi
done <<CASES
192.0.2.20|me|$FROM|joe@example.org|From: Me Myself <$FROM>;;To: joe@example.org;;Subject: hi|eom chgheader From 1 Me Myself <$active>;;eom chgfrom <bounces@example.com>;;$OUT_OK||authenticated: From rewritten to joe's address, envelope to bounce_address
192.0.2.21|me|$FROM|joe@example.org|From: $FROM;;Reply-To: Me <$FROM>;;To: joe@example.org|eom chgheader From 1 Me Myself <$active>;;eom chgheader Reply-To 1 Me Myself <$active>;;$OUT_OK||authenticated: Reply-To rewritten, with the From display name
127.0.0.1||$FROM|joe@example.org|From: Me Myself <$FROM>;;To: joe@example.org|eom chgheader From 1 Me Myself <$active>;;eom chgfrom <bounces@example.com>;;$OUT_OK||trusted client: rewritten without authentication
192.0.2.24|daemon=ORIGINATING|$FROM|joe@example.org|From: Me Myself <$FROM>;;To: joe@example.org|eom chgheader From 1 Me Myself <$active>;;eom chgfrom <bounces@example.com>;;$OUT_OK||{daemon_name} = outbound_daemon_name: rewritten
192.0.2.25|daemon=mx|$FROM|nobody-here@example.com|From: Me Myself <$FROM>;;To: x@example.org|rcpt replycode 550 5.1.1 <nobody-here@example.com>: $REJ: no such user||another {daemon_name}, no login: inbound, recipients checked
192.0.2.22|me|other@elsewhere.example|joe@example.org|From: Other <other@elsewhere.example>;;To: joe@example.org|$OUT_OK|chg|not the owner's mail: untouched
192.0.2.23|me|$FROM|joe@example.org|From: Me Myself <$FROM>;;To: joe@example.org;;X-Copy-To: $FROM|eom replycode 451 4.7.0 Message names the owner's address in X-Copy-To; not sent|chgheader|leak guard: 451 4.7.0 naming the field nobody rewrites
CASES

# The store unreadable for aliasd's user: 451 4.3.0, and correct answers
# again once it is readable (aliasd checks the file once a second).  On
# PostgreSQL: the server stopped, then started again.
rcpt_is() {	# rcpt_is IP RCPT LINE
	has "$(session "$1" "" s@sender.example "$2" "")" "$3" 2>/dev/null
}
if [ "$AD_STORE" = pg ]; then
	# A restart aliasd does not see: its connections are idle, and the
	# first statement on each finds it dead.  It is a SELECT: sent
	# again on a new connection, so no RCPT gets a 451 for it.
	pg_stop
	pg_start
	all_accepted() {
		local i
		for i in 40 41 42 43; do
			rcpt_is "192.0.2.$i" "$active" "rcpt continue" || return 1
		done
	}
	tap_check "PostgreSQL restarted while aliasd was idle: the next RCPTs accepted at once" \
	    all_accepted
	pg_stop
	tap_check "PostgreSQL stopped: inbound RCPT gets 451 4.3.0" t_wait_until 10 \
	    rcpt_is 192.0.2.30 "$active" \
	    "rcpt replycode 451 4.3.0 Temporary failure: try again later"
	pg_start
	tap_check "PostgreSQL started again: active accepted, no restart" \
	    t_wait_until 15 rcpt_is 192.0.2.31 "$active" "rcpt continue"
else
	chmod 000 "$T/store/aliases.db"
	tap_check "store unreadable: inbound RCPT gets 451 4.3.0" t_wait_until 3 \
	    rcpt_is 192.0.2.30 "$active" \
	    "rcpt replycode 451 4.3.0 Temporary failure: try again later"
	chmod 0600 "$T/store/aliases.db"
	tap_check "store readable again: active accepted, no restart" t_wait_until 3 \
	    rcpt_is 192.0.2.31 "$active" "rcpt continue"
fi
tap_check "aliasd still running" t_pid_alive "$AD_PID"

# The client itself: a failure is an exit status and one line.
fails_in_one_line() {	# fails_in_one_line SOCKET INPUT
	local out rc
	out=$(printf '%s\n' "$2" | timeout 15 "$CLIENT" "$1" 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$(wc -l <<<"$out")" = 1 ]
}
tap_check "milterclient: no milter at the socket, non-zero and one line" \
    fails_in_one_line "unix:$T/none.sock" quit
tap_check "milterclient: an unknown command, non-zero and one line" \
    fails_in_one_line "$AD_SOCKET" "frobnicate now"

tap_done
