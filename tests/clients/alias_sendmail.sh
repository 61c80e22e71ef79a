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
# A recipient argument is an address list as sendmail reads it.
send -oi -f me@example.net '"Doe, John" <joe@example.org>' <"$T/m"
check "an argument with a quoted comma and a name: still Joe's address" \
    [ "$RC" -eq 0 -a "$(header From)" = "Me <$joe>" ]
send -oi -f me@example.net "joe@example.org, Joe <JOE@example.org>" <"$T/m"
check "a list naming Joe twice is Joe: his address" [ "$(header From)" = "Me <$joe>" ]
plain "Me <me@example.net>" joe@example.org >"$T/m"

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
check "no configuration: exit 78, nothing sent" [ $? -eq 78 -a ! -e "$CAP.argv" ]
ALIAS_SENDMAIL_ACTIVE=1 "$S" joe@example.org <"$T/m" 2>/dev/null
check "a sendmail_program pointing back at us is refused" [ $? -eq 78 ]
send -f <"$T/m"
check "-f without a value is a usage error" [ "$RC" -eq 64 ]

# Sendmail's options that take a value, as sendmail reads them.
plain "me@example.net" joe@example.org >"$T/m"
send -D "$T/debug.log" joe@example.org <"$T/m"
check "-D FILE: the file is no recipient (joe's address)" [ "$(header From)" = "Me Myself <$joe>" ]
check "-D FILE: passed on as it was" sh -c "grep -qx -- -D '$CAP.argv' && grep -qxF '$T/debug.log' '$CAP.argv'"
send -MJfoo@x.example -oi joe@example.org <"$T/m"
check "-MJfoo@x defines a macro: not -f, the envelope is joe's address" argv_has "$joe"
check "-MJfoo@x is passed on untouched" argv_has "-MJfoo@x.example"
check "-MJfoo@x: no sender oo@x.example" sh -c "! grep -qx 'oo@x.example' '$CAP.argv'"
send -N never -O DeliveryMode=b -X "$T/x.log" -L tag -ti <"$T/m"
check "-N -O -X -L with values, -ti: From from the headers' recipient" [ "$(header From)" = "Me Myself <$joe>" ]
check "every option passed on in order" [ "$(tr '\n' ' ' <"$CAP.argv")" = "-f $joe -N never -O DeliveryMode=b -X $T/x.log -L tag -ti " ]
send -K joe@example.org <"$T/m"
check "an unknown option: exit 64, nothing sent" [ "$RC" -eq 64 -a ! -e "$CAP.argv" ]

# -bs cannot be rewritten; --dry-run, --help and --version run nothing.
MARK="$T/ran"
cat >"$T/marker" <<SH
#!/bin/sh
: >"$MARK"
cat >/dev/null
SH
chmod +x "$T/marker"
sed "s|^sendmail_program = .*|sendmail_program = $T/marker|" "$ALIASD_CONF" >"$T/marker.conf"
# mrun ARGS...: alias-sendmail with the marking sendmail_program, a
# message on stdin; $RC, $OUT (stdout), $ERR (stderr).
mrun() {
	rm -f "$MARK"
	ALIASD_CONF="$T/marker.conf" "$S" "$@" <"$T/m" >"$T/.out" 2>"$T/.err"
	RC=$?
	OUT=$(cat "$T/.out")
	ERR=$(cat "$T/.err")
}
mrun -bs
check "-bs: exit 64" [ "$RC" -eq 64 ]
one_line_error "pipe the message to alias-sendmail instead"
check "-bs: nothing run" [ ! -e "$MARK" ]
mrun -oi -b s
check "-b s (separate): refused too" [ "$RC" -eq 64 -a ! -e "$MARK" ]
for mode in -bt -bp -bv -bi -q -qRexample.org; do
	mrun --dry-run "$mode"
	check "--dry-run $mode: exit 0, nothing run" [ "$RC" -eq 0 -a ! -e "$MARK" ]
	check "--dry-run $mode: says what it would run" [ "$ERR" = "alias-sendmail: would run: $T/marker $mode" ]
done
mrun --dry-run -bs
check "--dry-run -bs: exit 64, nothing run" [ "$RC" -eq 64 -a ! -e "$MARK" ]
mrun --dry-run --bogus joe@example.org
check "--dry-run --bogus: exit 64, nothing run" [ "$RC" -eq 64 -a ! -e "$MARK" ]
one_line_error "unknown option --bogus"
mrun --dry-run -K joe@example.org
check "--dry-run with an unknown letter: exit 64, nothing run" [ "$RC" -eq 64 -a ! -e "$MARK" ]
mrun --dry-run -D "$T/debug.log" joe@example.org
check "--dry-run -D FILE: nothing run" [ "$RC" -eq 0 -a ! -e "$MARK" ]
check "--dry-run -D FILE: prints the rewritten message" sh -c "printf '%s\n' \"\$1\" | grep -qxF 'From: Me Myself <$joe>'" - "$OUT"
mrun -bp
check "-bp without --dry-run runs the real program" [ "$RC" -eq 0 -a -e "$MARK" ]
# A FIFO we hold open for writing: reading it would never end.
mkfifo "$T/fifo"
exec 3<>"$T/fifo"
for opt in --help --version; do
	rm -f "$MARK"
	ALIASD_CONF="$T/marker.conf" timeout 10 "$S" "$opt" <&3 >"$T/.out" 2>"$T/.err"
	RC=$?
	check "$opt: exit 0 without reading stdin" [ "$RC" -eq 0 ]
	check "$opt: nothing run" [ ! -e "$MARK" ]
	check "$opt: nothing on stderr" [ ! -s "$T/.err" ]
done
check "--version: one line, name and version" grep -Eqx 'alias-sendmail [0-9][0-9A-Za-z.+~-]*' "$T/.out"
check "--version: only one line" [ "$(wc -l <"$T/.out")" -eq 1 ]
ALIASD_CONF="$T/marker.conf" "$S" --help </dev/null >"$T/.out" 2>/dev/null
check "--help: usage on stdout" grep -q '^usage: alias-sendmail' "$T/.out"
ALIASD_CONF=/nonexistent "$S" --version <&3 >/dev/null 2>&1
check "--version needs no configuration" [ $? -eq 0 ]
exec 3>&-
for prog in aliasctl aliasd; do
	"$ALIASD_BUILD/$prog" --version >"$T/.out" 2>&1
	check "$prog --version: exit 0" [ $? -eq 0 ]
	check "$prog --version: one line, name and version" grep -Eqx "$prog [0-9][0-9A-Za-z.+~-]*" "$T/.out"
	"$ALIASD_BUILD/$prog" --help >"$T/.out" 2>"$T/.err"
	check "$prog --help: exit 0" [ $? -eq 0 ]
	check "$prog --help: usage on stdout" grep -q "^usage: $prog" "$T/.out"
done

# A user (not root) with only ~/.config/aliasd/aliasd.conf: found by the
# same rule as aliasctl's (SPEC "Configuration"; mutt's Way 2).
H="$T/home"
mkdir -p "$H/.config/aliasd"
cat >"$T/sendmail-user" <<SH
#!/bin/sh
printf '%s\n' "\$@" >"$H/capture.argv"
cat >"$H/capture.msg"
SH
chmod 0755 "$T/sendmail-user"
cat >"$H/.config/aliasd/aliasd.conf" <<CONF
domain = example.com
owner = me@example.net
database = $H/aliases.db
sendmail_program = $T/sendmail-user
CONF
[ "$(id -u)" -eq 0 ] && chown -R nobody "$H"
as_home() {
	as_user env -u ALIASD_CONF -u XDG_CONFIG_HOME -u XDG_DATA_HOME \
	    HOME="$H" "$@"
}
as_home "$A" init >/dev/null 2>&1
huser=$(as_home "$A" new joe@example.org 2>/dev/null)
check "the user's store has an address for joe" [ -n "$huser" ]
plain "me@example.net" joe@example.org >"$T/hm"
chmod 0644 "$T/hm"
as_home "$S" -oi joe@example.org <"$T/hm" 2>"$T/.err"
RC=$?
check "~/.config/aliasd/aliasd.conf alone: exit 0" [ "$RC" -eq 0 ]
check "~/.config/aliasd/aliasd.conf alone: sent through its sendmail_program" [ -s "$H/capture.msg" ]
check "~/.config/aliasd/aliasd.conf alone: From is the user's address for joe" grep -qxF "From: $huser" "$H/capture.msg"
[ "$RC" -eq 0 ] || diag "stderr: $(cat "$T/.err")"
rm -f "$H/.config/aliasd/aliasd.conf"
as_home "$S" joe@example.org <"$T/hm" >/dev/null 2>"$T/.err"
RC=$?
ERR=$(cat "$T/.err")
if [ -e "/etc/aliasd.conf" ]; then
	ok "# SKIP /etc/aliasd.conf exists on this machine"
else
	check "no file anywhere: exit 78" [ "$RC" -eq 78 ]
	one_line_error "aliasctl init makes one"
fi

# auto_create: one new recipient gets a new address.
"$A" default --none >/dev/null
echo "auto_create = yes" >>"$ALIASD_CONF"
plain "me@example.net" newbie@example.org >"$T/m"
send newbie@example.org <"$T/m"
made=$("$A" for newbie@example.org)
check "auto_create: a new address was made for the new correspondent" [ -n "$made" ]
check "auto_create: and the message uses it" [ "$(header From)" = "Me Myself <$made>" ]
# The same recipient on the command line and in To (-t) is one: a new
# address, as aliasd would make for the one RCPT the MTA sends.
plain "me@example.net" twice@example.org >"$T/m"
send -t twice@example.org <"$T/m"
made=$("$A" for twice@example.org)
check "auto_create: a recipient given twice (argument and -t) is one" \
    [ "$RC" -eq 0 -a -n "$made" ]
check "auto_create: and the message uses it" [ "$(header From)" = "Me Myself <$made>" ]
# A note to self or mail to one of our own addresses makes no address.
plain "me@example.net" me@example.net >"$T/m"
n_before=$("$A" list --all | wc -l)
send -oi me@example.net <"$T/m"
check "auto_create: no address for the owner's own mailbox" \
    [ "$("$A" list --all | wc -l)" -eq "$n_before" ]
plain "me@example.net" a@example.org b@example.org >"$T/m"
send a@example.org b@example.org <"$T/m"
check "auto_create: two unknown recipients get nothing new" [ -z "$("$A" for a@example.org)" ]
# No address for it: the owner's own From would leave, so the leak guard
# holds the message (SPEC: exit 75) unless on_leak = send.
check "two unknown recipients: the leak guard keeps it (exit 75)" [ "$RC" -eq 75 -a ! -e "$CAP.argv" ]
check "the leak guard names the field" grep -q 'From' "$T/err"
echo "on_leak = send" >>"$ALIASD_CONF"
send a@example.org b@example.org <"$T/m"
check "on_leak = send: their message is unchanged" [ "$(header From)" = "me@example.net" ]

finish
