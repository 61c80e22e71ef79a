#!/bin/bash
# alias_sendmail.sh: alias-sendmail against a capturing sendmail_program:
# the right address per recipient set, the envelope, every other header
# and every body byte unchanged, and nothing sent when it cannot decide.
set -u
. "$ALIASD_TOP/tests/lib/tap.sh"
. "$ALIASD_TOP/tests/lib/cli.sh"

S="$ALIASD_BUILD/alias-sendmail"
CAP="$T/capture"
cat >"$T/sendmail" <<SH
#!/bin/sh
# A capturing sendmail: argv one a line, the message as received.
printf '%s\n' "\$@" >"$CAP.argv"
cat >"$CAP.msg"
exit \${CAPTURE_EXIT:-0}
SH
chmod +x "$T/sendmail"
newstore main <<CONF
full_name = Me Myself
sendmail_program = $T/sendmail
CONF
joe=$("$A" new joe@example.org)
shop=$("$A" new @shop.example)
general=$("$A" new --name general)
"$A" default general >/dev/null

# send ARGS... < message: run alias-sendmail, keep its status in $RC.
send() {
	rm -f "$CAP.argv" "$CAP.msg"
	"$S" "$@" 2>"$T/err"
	RC=$?
}
header() { sed -n '/^\r\{0,1\}$/q; p' "$CAP.msg" | grep -i "^$1:" | sed "s/^[^:]*: *//; s/\r\$//"; }
body_of() { sed '1,/^\r\{0,1\}$/d' "$1"; }
argv_has() { grep -qxF -- "$1" "$CAP.argv"; }
plain() {	# plain FROM TO...: a small message
	local from=$1
	shift
	printf 'From: %s\nTo: %s\nSubject: hello\nX-Keep: this stays\n\nHello,\nbody.\n' "$from" "$*"
}

plain "Me <me@example.net>" joe@example.org >"$T/m"
send -oi -f me@example.net joe@example.org <"$T/m"
check "known correspondent: exit 0" [ "$RC" -eq 0 ]
check "known correspondent: From is joe's address, name kept" [ "$(header From)" = "Me <$joe>" ]
check "known correspondent: Reply-To is joe's address" [ "$(header Reply-To)" = "Me <$joe>" ]
check "known correspondent: -f replaced by the chosen address" argv_has "$joe"
check "known correspondent: the client's -f is gone" sh -c "! grep -qx 'me@example.net' '$CAP.argv'"
check "options and recipients passed on" sh -c "grep -qx -- -oi '$CAP.argv' && grep -qx joe@example.org '$CAP.argv'"
check "other headers unchanged" [ "$(header X-Keep)" = "this stays" ]
check "body unchanged" cmp -s <(body_of "$T/m") <(body_of "$CAP.msg")

plain "me@example.net" orders@shop.example >"$T/m"
send orders@shop.example <"$T/m"
check "domain correspondent: the shop's address, full_name used" [ "$(header From)" = "Me Myself <$shop>" ]

plain "me@example.net" stranger@example.org >"$T/m"
send stranger@example.org <"$T/m"
check "unknown recipient: the default address" [ "$(header From)" = "Me Myself <$general>" ]

plain "me@example.net" "joe@example.org, orders@shop.example" >"$T/m"
send joe@example.org orders@shop.example <"$T/m"
check "two recipients with different addresses: the default" [ "$(header From)" = "Me Myself <$general>" ]
send "joe@example.org,orders@shop.example" <"$T/m"
check "a comma list in one argument counts as two recipients" [ "$(header From)" = "Me Myself <$general>" ]

printf 'From: me@example.net\nTo: Joe <joe@example.org>\nBcc: Joe Again <JOE@example.org>\nSubject: t\n\nbody\n' >"$T/m"
send -t -i <"$T/m"
check "-t: recipients from To and Bcc agree: joe's address" [ "$(header From)" = "Me Myself <$joe>" ]
check "-t is passed on (the real sendmail removes Bcc)" argv_has "-t"
printf 'From: me@example.net\nTo: joe@example.org\nBcc: secret@shop.example\nSubject: t\n\nbody\n' >"$T/m"
send -t <"$T/m"
check "-t with a Bcc to another correspondent: the default" [ "$(header From)" = "Me Myself <$general>" ]

plain "Other <other@elsewhere.example>" joe@example.org >"$T/m"
send -f other@elsewhere.example joe@example.org <"$T/m"
check "a non-owner From: message byte-identical" cmp -s "$T/m" "$CAP.msg"
check "a non-owner From: its -f kept" argv_has "other@elsewhere.example"

printf 'From: Me <me@example.net>\r\nTo: joe@example.org\r\nSender: me@example.net\r\nSubject: crlf\r\n\r\nline one\r\nline two\r\n' >"$T/m"
send joe@example.org <"$T/m"
check "CRLF: From rewritten" [ "$(header From)" = "Me <$joe>" ]
check "CRLF: the Sender naming the owner is removed" [ -z "$(header Sender)" ]
check "CRLF: every header line still ends in CRLF" [ "$(sed -n '/^\r$/q; p' "$CAP.msg" | grep -vc $'\r$')" -eq 0 ]
check "CRLF: body bytes identical" cmp -s <(body_of "$T/m") <(body_of "$CAP.msg")

# PGP/MIME, S/MIME-like, 8-bit: the body below the headers byte for byte.
cat >"$T/pgp" <<'MSG'
From: Me Myself <me@example.net>
To: joe@example.org
Subject: signed
MIME-Version: 1.0
Content-Type: multipart/signed; micalg=pgp-sha256;
 protocol="application/pgp-signature"; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Grüße aus Köln — signed text with trailing spaces   
and a line with a lone dot:
.
--b1
Content-Type: application/pgp-signature

-----BEGIN PGP SIGNATURE-----
iHUEARYIAB0WIQTfakefakefakefakefakefakefakeAAAAAAAAAAAAAAAAAAAA
=AbCd
-----END PGP SIGNATURE-----
--b1--
MSG
send -oi joe@example.org <"$T/pgp"
check "PGP/MIME: From rewritten" [ "$(header From)" = "Me Myself <$joe>" ]
check "PGP/MIME: body byte-identical (signature still verifies)" cmp -s <(body_of "$T/pgp") <(body_of "$CAP.msg")
check "PGP/MIME: the folded Content-Type is untouched" \
    [ "$(sed -n '/^Content-Type: multipart/,/^ protocol/p' "$CAP.msg")" = "$(sed -n '/^Content-Type: multipart/,/^ protocol/p' "$T/pgp")" ]
{
	printf 'From: me@example.net\nTo: joe@example.org\nSubject: smime\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="s"\n\n'
	printf -- '--s\r\nContent-Type: text/plain\r\n\r\nsigned\r\n--s\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n'
	head -c 3000 /dev/urandom | base64
	printf -- '--s--\r\n'
} >"$T/smime"
send joe@example.org <"$T/smime"
check "S/MIME-like: body byte-identical" cmp -s <(body_of "$T/smime") <(body_of "$CAP.msg")

# A 20 MB attachment: streamed, identical.
{
	printf 'From: me@example.net\nTo: joe@example.org\nSubject: big\nMIME-Version: 1.0\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'
	head -c 15000000 /dev/urandom | base64
} >"$T/big"
send joe@example.org <"$T/big"
check "20 MB: sent" [ "$RC" -eq 0 ]
check "20 MB: body bytes identical" cmp -s <(body_of "$T/big") <(body_of "$CAP.msg")
check "20 MB: the input really was over 20 MB" [ "$(stat -c %s "$T/big")" -gt 20000000 ]

# Exit status, dry run, other modes, errors.
CAPTURE_EXIT=67 send joe@example.org <"$T/m"
check "the real sendmail's exit status is ours" [ "$RC" -eq 67 ]
rm -f "$CAP.argv"
"$S" --dry-run joe@example.org <"$T/pgp" >"$T/dry" 2>"$T/err"
check "--dry-run: exit 0" [ $? -eq 0 ]
check "--dry-run: sends nothing" [ ! -e "$CAP.argv" ]
check "--dry-run: prints the rewritten message" grep -q "^From: Me Myself <$joe>" "$T/dry"
check "--dry-run: says what it would run" grep -q "would run: $T/sendmail -f $joe joe@example.org" "$T/err"
"$S" -bp >/dev/null 2>&1 </dev/null
check "-bp is handed straight to the real sendmail" [ "$(cat "$CAP.argv")" = "-bp" ]

mv "$D/aliases.db" "$D/aliases.db.away"
plain "me@example.net" joe@example.org >"$T/m"
send joe@example.org <"$T/m"
check "store missing: exit 75 (the client keeps the message)" [ "$RC" -eq 75 ]
check "store missing: nothing sent" [ ! -e "$CAP.argv" ]
check "store missing: one line on stderr" [ "$(wc -l <"$T/err")" -eq 1 ]
mv "$D/aliases.db.away" "$D/aliases.db"
ALIASD_CONF="$T/nonexistent.conf" "$S" joe@example.org <"$T/m" 2>/dev/null
check "no configuration: exit 78, nothing sent" [ $? -eq 78 ] && [ ! -e "$CAP.argv" ]
ALIAS_SENDMAIL_ACTIVE=1 "$S" joe@example.org <"$T/m" 2>/dev/null
check "a sendmail_program pointing back at us is refused" [ $? -eq 78 ]
send -f <"$T/m"
check "-f without a value is a usage error" [ "$RC" -eq 64 ]

# auto_create: one new recipient gets a new address.
"$A" default --none >/dev/null
echo "auto_create = yes" >>"$ALIASD_CONF"
plain "me@example.net" newbie@example.org >"$T/m"
send newbie@example.org <"$T/m"
made=$("$A" for newbie@example.org)
check "auto_create: a new address was made for the new correspondent" [ -n "$made" ]
check "auto_create: and the message uses it" [ "$(header From)" = "Me Myself <$made>" ]
plain "me@example.net" a@example.org b@example.org >"$T/m"
send a@example.org b@example.org <"$T/m"
check "auto_create: two unknown recipients get nothing new" [ -z "$("$A" for a@example.org)" ]
check "auto_create: and their message is unchanged" [ "$(header From)" = "me@example.net" ]

finish
