#!/bin/bash
# sendmail_aliasd.sh: aliasd behind a real, private sendmail 8.17 (Debian's
# sendmail-bin, unpacked, not installed; tests/lib/sendmail.sh) on loopback.
# The core cases of the Postfix suite: an active address accepted and
# delivered; retired, expired and unknown ones refused at RCPT with aliasd's
# reply; the owner's mail via the ORIGINATING daemon rewritten (From,
# Reply-To, Sender, envelope) with the PGP/MIME body byte-identical; a
# non-owner's mail untouched; aliasd down gives 4xx (F=T), nothing accepted.
#
# Then the same instance again with every confMILTER_MACROS_* list empty:
# sendmail must then send exactly the macros aliasd asks for with
# smfi_setsymlist ({daemon_name}, {rcpt_addr}, i), so that aliasd works
# with a .mc that has only the INPUT_MAIL_FILTER line.
# Seen with strace on aliasd (sendmail 8.17.1.9): at connect, MAIL and RCPT
# sendmail sends exactly the milter's requested list, whatever the .mc
# says; at end of message it ignores the request and sends the .mc's
# confMILTER_MACROS_EOM list (so "i" is missing there unless the .mc names
# it). aliasd takes the queue ID at MAIL, so that costs nothing.
#
# aliasd runs as nobody, as in production it drops root to an unprivileged
# user: sendmail runs as root and can use its 0660 nobody-owned socket, and
# the test directory is made searchable (0711) so that nobody reaches the
# store and the socket directory. None of the socket's directories is
# group- or world-writable (sendmail would refuse the socket), except /tmp
# with its sticky bit, which the test .mc trusts (TrustStickyBit).
#
# trusted_networks = 127.0.0.1/32: the outsider 127.0.0.2 is inbound unless
# it uses the ORIGINATING port, so {daemon_name} alone makes mail outbound.
# Needs root (sendmail runs in its own mount namespace). TAP output.
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

T=$(mktemp -d /tmp/aliasd-sm.XXXXXX) || exit 1
# aliasd drops to nobody: it must reach $T/store and $T/run (search only).
chmod 0711 "$T"
cleanup() { ad_stop; sm_cleanup; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

sm_fetch || { echo "Bail out! could not fetch or run the unpacked sendmail"; exit 1; }
ad_setup example.com nobody <<'CONF'
bounce_address = bounces@example.com
CONF
# example.org is relayed too, so that the outsider may send to Joe through
# the ORIGINATING port; it is not one of aliasd's domains.
sm_init "$T" "$AD_SOCKET" "example.com example.org" ||
	{ echo "Bail out! sm_init failed"; exit 1; }
ad_start || { echo "Bail out! aliasd did not start"; cat "$AD_LOG"; exit 1; }
sm_start || { echo "Bail out! sendmail did not start"; exit 1; }
tap_diag "sendmail ports: MTA $SM_PORT, ORIGINATING $SM_ORIG_PORT, sink $SM_SINK_PORT"

joe=$(aliasctl new joe@example.org)
old=$(aliasctl new joe-old@example.org)
aliasctl retire "$old" --reason "Spammers found this address" >/dev/null
temp=$(aliasctl new --expires 1h temp@example.org)
sqlite3 "$T/store/aliases.db" "UPDATE address SET expires = 1000 WHERE local = '${temp%@*}'"
tap_check "aliasd runs as nobody" \
	[ "$(ps -o user= -p "$AD_PID" 2>/dev/null | tr -d ' ')" = nobody ]

# send_in TO [swaks args]: inbound from the outsider 127.0.0.2 to the MTA
# port; transcript in $T/tx
send_in() {
	local to=$1
	shift
	sm_swaks_in --from someone@spam.example --to "$to" \
	    --header "Subject: test" --body "hello" "$@" >"$T/tx" 2>&1
}
# send_orig_outsider [swaks args]: 127.0.0.2 (untrusted) to the ORIGINATING
# port: outbound by {daemon_name} alone.
send_orig_outsider() {
	swaks --server 127.0.0.1 --port "$SM_ORIG_PORT" \
	    --local-interface 127.0.0.2 --timeout 30 "$@" >"$T/tx" 2>&1
}
show_tx() { grep -E '^(<-|<\*\*|->|\*\*\*) ' "$T/tx" | sed 's/^/    /' >&2; }
replied() {	# ERE on the transcript
	grep -qE "$1" "$T/tx" && return 0
	show_tx
	return 1
}
replied_line() {	# one exact server line, e.g. "<** 550 ..."
	grep -qxF "$1" "$T/tx" && return 0
	show_tx
	return 1
}
ACCEPTED='^<- +250 2\.0\.0 .*Message accepted for delivery'
# refusal ADDR TEXT: sendmail puts "<ADDR>... " before aliasd's reply text.
refusal() { echo "<** 550 5.1.1 <$1>... <$2>: Recipient address rejected: $3"; }
# The "Milter: to=<ADDR>, reject=..." line sendmail logs: aliasd refused
# it, not sendmail. Prints the queue ID.
milter_reject_qid() {
	sm_log | grep -F "Milter: to=<$1>, reject=550 5.1.1 <$2>: Recipient address rejected: $3" |
	    tail -n 1 | sed -n 's/^.*sendmail\[[0-9]*\]: \([^:]*\): Milter: .*/\1/p'
}
milter_rejected() { [ -n "$(milter_reject_qid "$@")" ]; }
# aliasd logged a decision under sendmail's queue ID: the macro i arrived.
aliasd_saw_qid() { [ -n "$1" ] && grep -q "aliasd\[[0-9]*\]: $1: $2" "$AD_LOG"; }
captured_rcpts() {
	local f
	for f in $(sm_capture_files); do sm_msg_rcpts "$f"; done
}
none_captured_for() { ! captured_rcpts | grep -qixF "<$1>"; }
owner_not_in_headers() {
	! sm_msg_headers "$1" | grep -v '^Received:\|^[[:space:]]' |
	    grep -qi 'me@example\.net'
}
file_body() {	# the bytes after the first empty line of an LF message
	local hdrlen
	hdrlen=$(LC_ALL=C awk '{ n += length($0) + 1 } /^$/ { print n; found = 1; exit }
	              END { if (!found) print n + 0 }' "$1")
	tail -c +"$((hdrlen + 1))" "$1"
}

# 1. Inbound: an active address -------------------------------------------
send_in "$joe"
tap_check "active address: 250 at end of DATA" replied "$ACCEPTED"
tap_check "active address: delivered (captured)" sm_wait_captured 1 30
tap_check "active address: captured for <$joe>" \
	[ "$(sm_msg_rcpts "$(sm_capture_last)")" = "<$joe>" ]

# 2, 3. Inbound: refused at RCPT with aliasd's text --------------------------
send_in "$old"
cp "$T/tx" "$T/tx.retired"
tap_check "retired: 550 5.1.1 with its reason at RCPT" \
	replied_line "$(refusal "$old" "$old" "Spammers found this address")"
tap_check "retired: sendmail logged aliasd's reject (Milter: to=..., reject=...)" \
	t_wait_until 5 milter_rejected "$old" "$old" "Spammers found this address"
qid=$(milter_reject_qid "$old" "$old" "Spammers found this address")
tap_check "retired: aliasd logged it under sendmail's queue ID ($qid): macro i" \
	aliasd_saw_qid "$qid" "reject rcpt=<$old> reason=retired"

send_in "$temp"
cp "$T/tx" "$T/tx.expired"
tap_check "expired: 550 5.1.1 address expired" \
	replied_line "$(refusal "$temp" "$temp" "address expired")"
send_in "mail-9999-zz@example.com"
tap_check "unknown: 550 5.1.1 no such user" \
	replied_line "$(refusal mail-9999-zz@example.com mail-9999-zz@example.com "no such user")"
tap_check "unknown: it was aliasd that refused (sendmail's Milter log line)" \
	t_wait_until 5 milter_rejected mail-9999-zz@example.com mail-9999-zz@example.com "no such user"

# sendmail delivers user%host@ourselves to user@host: {rcpt_addr} shows
# aliasd that address; the RCPT argument alone would not name our domain.
send_in "${old%@*}%example.com@$SM_HOSTNAME"
tap_check "retired behind the % hack: judged by {rcpt_addr}, refused" \
	replied_line "$(refusal "${old%@*}%example.com@$SM_HOSTNAME" "$old" "Spammers found this address")"

# The other forms {rcpt_addr} passes on as written (quotes, case, the
# trailing dot): aliasd judges the address they deliver to.
upper_old=$(echo "$old" | tr 'a-z' 'A-Z')
send_in "$upper_old."
tap_check "retired in upper case with a trailing dot: refused with its reason" \
	replied "^<\*\* +550 5\.1\.1 .*<$(echo "$old" | sed 's/\./\\./g')>: Recipient address rejected: Spammers found this address\$"
send_in "\"${joe%@*}\"@example.com"
tap_check "a quoted local part of an active address is accepted" replied "$ACCEPTED"
tap_check "... and delivered" sm_wait_captured 2 30

# One transaction, an active and a retired recipient: only the active one
# is taken.
before=$(sm_capture_count)
send_in "$joe,$old"
tap_check "active + retired: the retired RCPT refused" \
	replied_line "$(refusal "$old" "$old" "Spammers found this address")"
tap_check "active + retired: the message accepted for the active one" replied "$ACCEPTED"
tap_check "captured ($((before + 1)) messages)" sm_wait_captured $((before + 1)) 30
tap_check "active + retired: delivered to the active address only" \
	[ "$(sm_msg_rcpts "$(sm_capture_last)")" = "<$joe>" ]
send_in "postmaster@example.com"
tap_check "postmaster passes through" replied "$ACCEPTED"
send_in "anyone@example.org"
tap_check "a domain aliasd does not manage is none of its business" replied "$ACCEPTED"
tap_check "captured ($((before + 3)) messages)" sm_wait_captured $((before + 3)) 30
tap_check "nothing captured for the retired, expired or unknown addresses" \
	eval 'none_captured_for "$old" && none_captured_for "$temp" &&
	    none_captured_for mail-9999-zz@example.com &&
	    none_captured_for "${old%@*}%example.com@$SM_HOSTNAME"'
tap_check "nothing left in sendmail's queue" [ "$(sm_queue_count)" -eq 0 ]
no_correspondent_named() {
	! cat "$T/tx.retired" "$T/tx.expired" "$SM_LOG" "$AD_LOG" |
	    grep -qi 'joe-old@example\.org\|temp@example\.org'
}
tap_check "no reply or log line names a correspondent" no_correspondent_named

count_is() {
	[ "$(aliasctl --json show "$joe" | grep -o '"messages":[0-9]*' | head -1)" = "\"messages\":$1" ]
}
tap_check "accepted mail is counted (written by aliasd as nobody)" t_wait_until 10 count_is 3

# 4. Outbound via ORIGINATING: the owner's signed mail -----------------------
cat >"$T/signed.txt" <<'MSG'
From: Me Myself <me@example.net>
To: Joe <joe@example.org>
Sender: me@example.net
Subject: signed
Message-ID: <signed-1@example.net>
MIME-Version: 1.0
Content-Type: multipart/signed; micalg=pgp-sha256;
 protocol="application/pgp-signature"; boundary="sig-boundary"

This is an OpenPGP/MIME signed message (RFC 4880 and 3156)
--sig-boundary
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hello Joe,=20
the body must arrive byte for byte: Gr=C3=BC=C3=9Fe.
.a dotted line
From the start of a line, unescaped
trailing spaces   
--sig-boundary
Content-Type: application/pgp-signature; name="signature.asc"
Content-Disposition: attachment; filename="signature.asc"

-----BEGIN PGP SIGNATURE-----

iHUEARYIAB0WIQTest0nly+fakeSignatureBytesAAAAAAAAAAAAAAAAAAAAAAA
=AbCd
-----END PGP SIGNATURE-----

--sig-boundary--
MSG
wire=$(sm_wire_file "$T/signed.txt")
file_body "$T/signed.txt" >"$T/signed.body"
before=$(sm_capture_count)
send_orig_outsider --from me@example.net --to joe@example.org -ndf --data @"$wire"
tap_check "outbound (ORIGINATING, untrusted client): accepted" replied "$ACCEPTED"
tap_check "outbound: captured" sm_wait_captured $((before + 1)) 30
f=$(sm_capture_last)
tap_check "outbound: From rewritten to joe's address, display name kept" \
	[ "$(sm_msg_header "$f" From)" = "Me Myself <$joe>" ]
tap_check "outbound: Reply-To set to joe's address" \
	[ "$(sm_msg_header "$f" Reply-To)" = "Me Myself <$joe>" ]
tap_check "outbound: Sender naming the owner removed" [ -z "$(sm_msg_header "$f" Sender)" ]
tap_check "outbound: envelope sender is bounce_address" \
	[ "$(sm_msg_sender "$f")" = "<bounces@example.com>" ]
tap_check "outbound: envelope recipient unchanged" [ "$(sm_msg_rcpts "$f")" = "<joe@example.org>" ]
sm_msg_body "$f" >"$T/got.body"
tap_check "outbound: PGP/MIME body byte-identical (cmp)" cmp "$T/signed.body" "$T/got.body"
tap_check "outbound: other headers untouched" eval '
	[ "$(sm_msg_header "$f" Content-Type)" = "multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"sig-boundary\"" ] &&
	[ "$(sm_msg_header "$f" Subject)" = signed ] &&
	[ "$(sm_msg_header "$f" Message-ID)" = "<signed-1@example.net>" ] &&
	[ "$(sm_msg_header "$f" To)" = "Joe <joe@example.org>" ]'
tap_check "outbound: the owner's address appears nowhere in the headers" owner_not_in_headers "$f"
tap_check "outbound: sendmail logged aliasd's chgfrom" \
	sm_wait_log 'Milter \(aliasd\) chgfrom: <bounces@example\.com>' 5

# The same owner's From through the MTA port from the outsider: inbound,
# checked and not rewritten (so the rewrite above came from {daemon_name}).
before=$(sm_capture_count)
send_in "$joe" --header "From: Me Myself <me@example.net>"
tap_check "captured ($((before + 1)) messages)" sm_wait_captured $((before + 1)) 30
f=$(sm_capture_last)
tap_check "MTA port, untrusted client, From: owner: not rewritten" \
	[ "$(sm_msg_header "$f" From)" = "Me Myself <me@example.net>" ]

# 5. A non-owner From via ORIGINATING (127.0.0.1) passes untouched ------------
before=$(sm_capture_count)
sm_swaks_orig --from other@elsewhere.example --to joe@example.org \
    --header "From: Other <other@elsewhere.example>" --body "not mine" >"$T/tx" 2>&1
tap_check "non-owner via ORIGINATING: accepted" replied "$ACCEPTED"
tap_check "captured ($((before + 1)) messages)" sm_wait_captured $((before + 1)) 30
f=$(sm_capture_last)
tap_check "non-owner: From untouched" [ "$(sm_msg_header "$f" From)" = "Other <other@elsewhere.example>" ]
tap_check "non-owner: no Reply-To added" [ -z "$(sm_msg_header "$f" Reply-To)" ]
tap_check "non-owner: envelope sender kept" [ "$(sm_msg_sender "$f")" = "<other@elsewhere.example>" ]

# Macros without the .mc: every confMILTER_MACROS_* list empty -------------
# sm_init stops this instance and makes a new one (new ports, empty
# capture); aliasd keeps running.
sm_init "$T" "$AD_SOCKET" "example.com example.org" || { echo "Bail out! sm_init failed"; exit 1; }
# Replace the macro lists of the .mc with empty ones, then make the .cf.
sed -i -e "s/^define(\`confMILTER_MACROS_\([A-Z]*\)'.*/define(\`confMILTER_MACROS_\1', \`')dnl/" "$SM_MC"
m4 "$SM_MC" >"$SM_CF" || { echo "Bail out! m4 $SM_MC failed"; exit 1; }
tap_check "no-macros .cf: every Milter.macros option is empty" \
	eval '[ "$(grep -c "^O Milter\.macros\.\(connect\|helo\|envfrom\|envrcpt\|eom\)\$" "$SM_CF")" -eq 5 ]'
sm_start || { echo "Bail out! sendmail (no macro lists) did not start"; exit 1; }

send_in "$joe"
tap_check "no-macros: active address accepted" replied "$ACCEPTED"
tap_check "no-macros: and delivered" sm_wait_captured 1 30
send_in "$old"
tap_check "no-macros: retired refused with its reason" \
	replied_line "$(refusal "$old" "$old" "Spammers found this address")"
t_wait_until 5 milter_rejected "$old" "$old" "Spammers found this address"
qid=$(milter_reject_qid "$old" "$old" "Spammers found this address")
tap_check "no-macros: i arrives (aliasd logged sendmail's queue ID $qid)" \
	aliasd_saw_qid "$qid" "reject rcpt=<$old> reason=retired"
send_in "${old%@*}%example.com@$SM_HOSTNAME"
tap_check "no-macros: {rcpt_addr} arrives (the % hack is refused)" \
	replied_line "$(refusal "${old%@*}%example.com@$SM_HOSTNAME" "$old" "Spammers found this address")"
before=$(sm_capture_count)
send_orig_outsider --from me@example.net --to joe@example.org -ndf --data @"$wire"
tap_check "no-macros: outbound via ORIGINATING accepted" replied "$ACCEPTED"
tap_check "captured ($((before + 1)) messages)" sm_wait_captured $((before + 1)) 30
f=$(sm_capture_last)
tap_check "no-macros: {daemon_name} arrives (From rewritten for the outsider on ORIGINATING)" \
	[ "$(sm_msg_header "$f" From)" = "Me Myself <$joe>" ]
tap_check "no-macros: envelope sender is bounce_address" \
	[ "$(sm_msg_sender "$f")" = "<bounces@example.com>" ]
sm_msg_body "$f" >"$T/got.body"
tap_check "no-macros: body byte-identical" cmp "$T/signed.body" "$T/got.body"

# 5b. The gate (SPEC "The gate"): a lock, discard, hold, X-Aliasd -----------
locked=$(aliasctl new --lock domain ann@example.org)
gone=$(aliasctl new --lock domain --on-refuse discard kim@example.org)
held=$(aliasctl new --lock domain --on-refuse hold lee@example.org)
send_in "$locked"
tap_check "gate: a stranger to a locked address gets 550 5.7.1 at RCPT" \
	replied_line "<** 550 5.7.1 <$locked>... <$locked>: Recipient address rejected: This address does not take mail from you"
n=$(sm_capture_count)
sm_swaks_in --from ann@mail.example.org --to "$locked" \
    --header "Subject: from ann" --header "X-Aliasd: forged" \
    --body "hello" >"$T/tx" 2>&1
tap_check "gate: the correspondent's organisation is accepted" \
	replied "$ACCEPTED"
tap_check "gate: and delivered" sm_wait_captured $((n + 1)) 30
tap_check "gate: X-Aliasd, the forged one gone, ours once" \
	[ "$(sm_msg_header "$(sm_capture_last)" X-Aliasd)" = \
	    "address=$locked; correspondent=ann@example.org; sender=expected" ]
n=$(sm_capture_count)
send_in "$gone,$joe"
tap_check "gate: discard beside another recipient: 250 at end of DATA" \
	replied "$ACCEPTED"
tap_check "gate: the other recipient gets it" sm_wait_captured $((n + 1)) 30
tap_check "gate: the discarded recipient does not" none_captured_for "$gone"
hf_count() { find "$SM_QUEUE" -type f -name 'hf*' 2>/dev/null | wc -l; }
send_in "$held"
tap_check "gate: hold: 250 at end of DATA" replied "$ACCEPTED"
tap_check "gate: hold: the message is quarantined in sendmail's queue (hf file)" \
	t_wait_until 10 eval '[ "$(hf_count)" -ge 1 ]'

# 6. aliasd not running: F=T gives a temporary failure -----------------------
ad_stop
before=$(sm_capture_count)
send_in "$joe"
tap_check "aliasd down: 4xx, not accepted" \
	eval 'grep -qE "^<\*\* +4[0-9][0-9] " "$T/tx" && ! grep -qE "$ACCEPTED|^<\*\* +5" "$T/tx"'
tap_diag "reply: $(grep -m1 -E '^<\*\* +4' "$T/tx")"
tap_check "aliasd down: sendmail logged the milter failure" \
	sm_wait_log 'Milter: initialization failed, temp failing commands' 5
sleep 1
tap_check "aliasd down: nothing captured, nothing queued" \
	[ "$(sm_capture_count)" -eq "$before" -a "$(sm_queue_count)" -eq 0 ]
ad_start || tap_not_ok "aliasd restarted"
send_in "$joe"
tap_check "aliasd back: accepted again" replied "$ACCEPTED"

ad_stop
tap_check "aliasd logged no error" sh -c "! grep -qi 'fatal\|error' '$AD_LOG'"
sm_stop
tap_check "no sendmail process left" [ -z "$(sm_pids)" ]
tap_done
