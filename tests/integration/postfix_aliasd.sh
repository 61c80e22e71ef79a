#!/bin/bash
# postfix_aliasd.sh: aliasd behind a real, private Postfix on loopback.
# Inbound: SPEC's RCPT table with the exact replies; outbound: From,
# Reply-To, Sender and the envelope rewritten, the body byte-identical.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"

T=$(mktemp -d /tmp/aliasd-pf.XXXXXX) || exit 1
cleanup() { ad_stop; pf_cleanup; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

pf_require || { echo "Bail out! postfix or swaks missing"; exit 1; }
# aliasd runs as postfix here, so that smtpd may use its 0660 socket.
ad_setup example.com postfix <<'CONF'
bounce_address = bounces@example.com
CONF
ad_up || exit 1
pf_up "$T" "$AD_SOCKET" example.com \
    pf_postconf -e "relay_domains = example.com, other.example" ||
    { echo "Bail out! postfix did not start"; exit 1; }

joe=$(aliasctl new joe@example.org)
old=$(aliasctl new joe-old@example.org)
aliasctl retire "$old" --reason "Spammers found this address" >/dev/null
temp=$(aliasctl new --expires 1h temp@example.org)
sqlite3 "$T/store/aliases.db" "UPDATE address SET expires = 1000 WHERE local = '${temp%@*}'"
shop=$(aliasctl new @shop.example)
default=$(aliasctl new --name general)
aliasctl default general >/dev/null

# send TO [swaks args]: inbound from the outsider 127.0.0.2; transcript in $T/tx
send_in() {
	local to=$1
	shift
	pf_swaks_in --from someone@spam.example --to "$to" \
	    --header "Subject: test" --body "hello" "$@" >"$T/tx" 2>&1
}
replied() { pf_replied "$T/tx" "$1"; }
no_correspondent_named() {
	! grep -qi 'example\.org' "$T/tx" && ! pf_log | grep -q 'joe@example\.org'
}
owner_not_in_headers() {
	! pf_msg_headers "$1" | grep -v '^X-\|^Received:\|^[[:space:]]' |
	    grep -qi 'me@example\.net'
}

# Inbound --------------------------------------------------------------
send_in "$joe"
tap_check "active address accepted" replied '^<- +250 .*queued as'
tap_check "captured (1 messages)" pf_wait_captured 1 30
tap_check "active address delivered" [ "$(pf_capture_count)" -eq 1 ]

send_in "$old"
tap_check "retired: 550 5.1.1 with its reason at RCPT" \
    replied "^<\*\* +550 5\.1\.1 <$old>: Recipient address rejected: Spammers found this address"
tap_check "retired: Postfix logged milter-reject with the reason" \
    pf_wait_log "milter-reject: RCPT from .*550 5\.1\.1 <$old>: Recipient address rejected: Spammers found this address" 5

send_in "$temp"
tap_check "expired: 550 5.1.1 address expired" \
    replied "^<\*\* +550 5\.1\.1 <$temp>: Recipient address rejected: address expired"

send_in "mail-9999-zz@example.com"
tap_check "unknown: 550 5.1.1 no such user" \
    replied "^<\*\* +550 5\.1\.1 <mail-9999-zz@example\.com>: Recipient address rejected: no such user"
tap_check "unknown: it was aliasd, not Postfix (milter-reject logged)" \
    pf_wait_log "milter-reject: RCPT from .*<mail-9999-zz@example.com>: Recipient address rejected: no such user" 5

send_in "MAIL-9999-ZZ@Example.COM."
tap_check "unknown in odd case with a trailing dot: still refused" replied '^<\*\* +550 5\.1\.1'
send_in "\"${joe%@*}\"@example.com"
tap_check "a quoted local part of an active address is accepted" replied '^<- +250 .*queued as'

send_in "postmaster@example.com"
tap_check "postmaster passes through" replied '^<- +250 .*queued as'
send_in "anyone@other.example"
tap_check "another domain is none of aliasd's business" replied '^<- +250 .*queued as'
tap_check "captured (4 messages)" pf_wait_captured 4 30
tap_check "no reply or log line names a correspondent" no_correspondent_named

# Counting happens after end of message, in the background.
count_is() {
	[ "$(aliasctl --json show "$joe" | grep -o '"messages":[0-9]*' | head -1)" = "\"messages\":$1" ]
}
tap_check "accepted mail is counted" t_wait_until 5 count_is 2
aliasctl show "$joe" >"$T/show"
tap_check "show names the sender domain that wrote" grep -q 'spam.example' "$T/show"

# Outbound: the owner's mail, signed, via SASL --------------------------
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
--sig-boundary
Content-Type: application/pgp-signature; name="signature.asc"
Content-Disposition: attachment; filename="signature.asc"

-----BEGIN PGP SIGNATURE-----

iHUEARYIAB0WIQTest0nly+fakeSignatureBytesAAAAAAAAAAAAAAAAAAAAAAA
=AbCd
-----END PGP SIGNATURE-----

--sig-boundary--
MSG
wire=$(pf_wire_file "$T/signed.txt")
pf_file_body "$T/signed.txt" >"$T/signed.body"
before=$(pf_capture_count)
pf_swaks_sub --local-interface 127.0.0.2 --from me@example.net \
    --to joe@example.org -ndf --data @"$wire" >"$T/tx" 2>&1
tap_check "outbound via SASL accepted" replied '^<- +250 .*queued as'
tap_check "captured ($((before + 1)) messages)" pf_wait_captured $((before + 1)) 30
f=$(pf_capture_last)
tap_check "From rewritten to joe's address, display name kept" \
    [ "$(pf_msg_header "$f" From)" = "Me Myself <$joe>" ]
tap_check "Reply-To set to joe's address" \
    [ "$(pf_msg_header "$f" Reply-To)" = "Me Myself <$joe>" ]
tap_check "Sender naming the owner removed" [ -z "$(pf_msg_header "$f" Sender)" ]
tap_check "envelope sender is bounce_address" [ "$(pf_msg_sender "$f")" = "<bounces@example.com>" ]
pf_msg_body "$f" >"$T/got.body"
tap_check "PGP/MIME body byte-identical" cmp -s "$T/signed.body" "$T/got.body"
tap_check "other headers untouched" [ "$(pf_msg_header "$f" Content-Type)" = "$(grep -A1 '^Content-Type: multipart' "$T/signed.txt" | tr -d '\n' | sed 's/^Content-Type: //')" ]
tap_check "the owner's address appears nowhere in the headers" owner_not_in_headers "$f"

# Outbound by daemon_name alone (no SASL, an untrusted address) ----------
before=$(pf_capture_count)
swaks --server 127.0.0.1 --port "$PF_PORT_SUB" --local-interface 127.0.0.2 \
    --from me@example.net --to someone@example.com \
    --header "From: me@example.net" --body "hi" >"$T/tx" 2>&1
tap_check "daemon_name=ORIGINATING: no RCPT check (unknown recipient taken)" replied '^<- +250 .*queued as'
tap_check "captured ($((before + 1)) messages)" pf_wait_captured $((before + 1)) 30
f=$(pf_capture_last)
tap_check "daemon_name=ORIGINATING: From rewritten to the default" \
    [ "$(pf_msg_header "$f" From)" = "Me Myself <$default>" ]

# A domain correspondent, via SASL on the inbound port --------------------
before=$(pf_capture_count)
pf_swaks_in --auth PLAIN --auth-user "$PF_SASL_USER" --auth-password "$PF_SASL_PASS" \
    --from me@example.net --to orders@shop.example \
    --header "From: Me Myself <me@example.net>" --body "an order" >"$T/tx" 2>&1
tap_check "SASL alone makes mail outbound" replied '^<- +250 .*queued as'
tap_check "captured ($((before + 1)) messages)" pf_wait_captured $((before + 1)) 30
f=$(pf_capture_last)
tap_check "domain correspondent: From is the shop's address" \
    [ "$(pf_msg_header "$f" From)" = "Me Myself <$shop>" ]

# An encoded-word display name, a missing From, disagreeing recipients.
send_out() {	# send_out FILE RCPT...: via SASL; sets $f to the capture
	local file=$1 n
	shift
	n=$(pf_capture_count)
	pf_swaks_sub --local-interface 127.0.0.2 --from me@example.net \
	    --to "$(IFS=,; echo "$*")" -ndf --data @"$(pf_wire_file "$file")" \
	    >"$T/tx" 2>&1
	tap_check "captured ($((n + 1)) messages)" pf_wait_captured $((n + 1)) 30
	f=$(pf_capture_last)
}
printf 'From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <me@example.net>\nTo: joe@example.org\nSubject: x\n\nbody\n' >"$T/enc.txt"
send_out "$T/enc.txt" joe@example.org
from=$(pf_msg_header "$f" From)
tap_check "an encoded-word display name stays encoded, address rewritten ($from)" \
    sh -c "printf '%s' \"\$1\" | grep -qi '^=?utf-8?.*?= <$joe>\$'" - "$from"
printf 'To: joe@example.org\nSubject: no from\n\nbody\n' >"$T/nofrom.txt"
send_out "$T/nofrom.txt" joe@example.org
tap_check "a message without From gets one with joe's address" \
    [ "$(pf_msg_header "$f" From)" = "Me Myself <$joe>" ]
printf 'From: me@example.net\nTo: joe@example.org, orders@shop.example\nSubject: two\n\nbody\n' >"$T/two.txt"
send_out "$T/two.txt" joe@example.org orders@shop.example
tap_check "recipients with different addresses get the default" \
    [ "$(pf_msg_header "$f" From)" = "Me Myself <$default>" ]

# Not the owner's mail: untouched ---------------------------------------
before=$(pf_capture_count)
pf_swaks_sub --local-interface 127.0.0.2 --from other@elsewhere.example \
    --to joe@example.org --header "From: Other <other@elsewhere.example>" \
    --body "not mine" >"$T/tx" 2>&1
tap_check "captured ($((before + 1)) messages)" pf_wait_captured $((before + 1)) 30
f=$(pf_capture_last)
tap_check "a non-owner From passes untouched" \
    [ "$(pf_msg_header "$f" From)" = "Other <other@elsewhere.example>" ]
tap_check "a non-owner message gets no Reply-To" [ -z "$(pf_msg_header "$f" Reply-To)" ]
tap_check "a non-owner envelope sender is kept" [ "$(pf_msg_sender "$f")" = "<other@elsewhere.example>" ]

# An outsider claiming to be the owner is inbound: checked, not rewritten.
send_in "$joe" --header "From: Me Myself <me@example.net>"
tap_check "captured ($((before + 2)) messages)" pf_wait_captured $((before + 2)) 30
f=$(pf_capture_last)
tap_check "an untrusted client with From: owner is not rewritten" \
    [ "$(pf_msg_header "$f" From)" = "Me Myself <me@example.net>" ]

# A long writer (aliasctl, say) never blocks decisions: WAL readers go on.
hold_lock() {	# hold_lock SECONDS [exclusive]
	rm -f "$T/locker.held"
	{
		echo ".timeout 5000"
		[ "${2:-}" = exclusive ] && echo "PRAGMA locking_mode = EXCLUSIVE;"
		echo "BEGIN EXCLUSIVE;"
		echo "UPDATE setting SET value = value WHERE key = 'next_seq';"
		echo ".shell touch '$T/locker.held'"
		echo ".shell sleep $1"
		echo "ROLLBACK;"
	} | sqlite3 "$T/store/aliases.db" >/dev/null 2>&1 &
	locker=$!
	# Until it holds the lock (it marks the moment with a file).
	t_wait_until 10 test -e "$T/locker.held" || tap_diag "the locker took no lock"
}
hold_lock 4
send_in "$joe"
tap_check "a long writer: the active address is still accepted" replied '^<- +250 .*queued as'
send_in "$old"
tap_check "a long writer: the retired one is still refused" \
    replied "^<\*\* +550 5\.1\.1 <$old>: Recipient address rejected: Spammers"
t_kill_pid "$locker"
wait "$locker" 2>/dev/null

# A store nobody can read (an exclusive lock met by a fresh start): 451.
ad_stop
hold_lock 8 exclusive
ad_start
send_in "$joe"
tap_check "store locked: 451 4.3.0 at RCPT" replied '^<\*\* +451 4\.3\.0'
send_in "$old"
tap_check "store locked: a retired address is not accepted either" replied '^<\*\* +451 4\.3\.0'
t_kill_pid "$locker"
wait "$locker" 2>/dev/null
send_in "$joe"
tap_check "lock gone: accepted again, without a restart" replied '^<- +250 .*queued as'

# aliasd not running: temporary failure, nothing accepted or bounced ----
ad_stop
before=$(pf_capture_count)
send_in "$joe"
tap_check "aliasd down: 4xx, not accepted" sh -c "grep -qE '^<\*\* +4[0-9][0-9] ' '$T/tx' && ! grep -qE 'queued as' '$T/tx'"
sleep 1
tap_check "aliasd down: nothing delivered" [ "$(pf_capture_count)" -eq "$before" ]
tap_check "aliasd down: nothing bounced" [ "$(pf_bounce_count)" -eq 0 ]
ad_start
send_in "$joe"
tap_check "aliasd back: accepted again" replied '^<- +250 .*queued as'

ad_stop
tap_check "aliasd logged no error" sh -c "! grep -q 'ERROR:\|fatal\|runtime error' '$AD_LOG'"
tap_done
