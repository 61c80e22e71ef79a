#!/bin/bash
# mutt.sh: the real mutt (Debian's mutt 2.2) with the hooks of
# "aliasctl mutt-hooks" and with alias-sendmail as $sendmail, sending in
# batch mode into a capturing sendmail:
#
#   mutt -n -F muttrc -s subject -- joe@example.org < body
#
# Replies need mutt's <reply> function, which only runs in mutt's
# interface.  mutt gets a pseudo-terminal from script(1) (util-linux,
# always there) and its muttrc ends with push "<reply><send-message>
# <quit>": nothing is typed, nothing is timed, no terminal is needed
# from CI.  Every mutt run is bounded by timeout(1).
set -u
. "$ALIASD_TOP/tests/lib/tap.sh"
. "$ALIASD_TOP/tests/lib/cli.sh"

# mutt reads these; the test's own muttrc must decide everything.
unset EMAIL REPLYTO MAIL MAILDIR MUTT NNTPSERVER VISUAL EDITOR
MUTT_TIMEOUT=30

if ! command -v mutt >/dev/null && [ "$(id -u)" -eq 0 ]; then
	DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q \
	    -o DPkg::Lock::Timeout=600 mutt >/dev/null 2>&1
fi
if ! command -v mutt >/dev/null || ! command -v script >/dev/null; then
	not_ok "mutt and script(1) are installed (make deps)"
	finish
	exit 1
fi

H="$T/home"
CAP="$T/capture"
mkdir -p "$H/Mail" "$T/tmp"
cat >"$T/sendmail" <<SH
#!/bin/sh
# A capturing sendmail: argv one a line, the message as received.
printf '%s\n' "\$@" >"$CAP.argv"
cat >"$CAP.msg"
SH
cat >"$T/editor" <<'SH'
#!/bin/sh
# The reply's body: mutt aborts an unchanged one.
echo "Thank you." >>"$1"
SH
chmod +x "$T/sendmail" "$T/editor"
echo "Hello." >"$T/body"

newstore main <<CONF
full_name = Me Myself
sendmail_program = $T/sendmail
CONF
MAINCONF=$ALIASD_CONF
joe_old=$("$A" new joe@example.org)
shop=$("$A" new @shop.example)
ann=$("$A" new ann@shop.example)
cat=$("$A" new cat@shop.example)
tag=$("$A" new first.last+tag@example.org)
odd=$("$A" new "o'brien\$x{2}|y@example.org")
retired=$("$A" new gone@example.org)
"$A" retire "$retired" >/dev/null
joe=$("$A" new joe@example.org)	# newer: this one wins
general=$("$A" new --name general)
"$A" default general >/dev/null

# muttrc FILE [LINES...]: a private muttrc sending into the capture.
muttrc() {
	local f=$1
	shift
	{
		echo "set sendmail=\"$T/sendmail\""
		echo 'set from="me@example.net"'
		echo 'set realname="Me Myself"'
		echo 'set hostname=example.net'
		echo 'set record="" copy=no'
		echo "set folder=\"$H/Mail\" spoolfile=\"$H/mbox\""
		echo "set mbox=\"$H/mbox\" postponed=\"$H/postponed\""
		echo "set tmpdir=\"$T/tmp\""
		echo 'set reverse_name=yes charset=utf-8'
		printf '%s\n' "$@"
	} >"$f"
}

# send MUTTRC MUTT-ARGS...: one batch-mode message; status in $RC.
send() {
	local rc=$1
	shift
	rm -f "$CAP.argv" "$CAP.msg"
	HOME=$H timeout "$MUTT_TIMEOUT" mutt -n -F "$rc" -s test "$@" \
	    <"$T/body" >"$T/mutt.out" 2>&1
	RC=$?
}
header() {
	[ -f "$CAP.msg" ] || return 0
	sed -n '/^$/q; p' "$CAP.msg" | grep -i "^$1:" | sed 's/^[^:]*: *//'
}
envfrom() {
	[ -f "$CAP.argv" ] && sed -n '/^-f$/{n; p; q}' "$CAP.argv"
}
# sent_from DESC ADDRESS [REPLY-TO]: From and the envelope are
# "Me Myself <ADDRESS>"/ADDRESS; Reply-To as given (empty: none).
sent_from() {
	local from want_rt=${3-"Me Myself <$2>"}
	from=$(header From)
	if [ "$RC" -eq 0 ] && [ "$from" = "Me Myself <$2>" ] &&
	    [ "$(header Reply-To)" = "$want_rt" ] &&
	    [ "$(envfrom)" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "mutt exit $RC; wanted From <$2>, Reply-To '$want_rt'" \
		    "From: $from" "Reply-To: $(header Reply-To)" \
		    "argv: $(tr '\n' ' ' <"$CAP.argv" 2>/dev/null)" \
		    "$(cat "$T/mutt.out")"
	fi
}

# --- the output itself ---------------------------------------------------

run "$A" mutt-hooks
check "mutt-hooks: exit 0" [ "$RC" -eq 0 ]
printf '%s\n' "$OUT" >"$T/hooks.rc"
diag "aliasctl mutt-hooks:" "$OUT"
"$A" mutt-hooks >"$T/hooks2.rc" 2>/dev/null
check "mutt-hooks: the same store gives the same bytes" \
    cmp -s "$T/hooks.rc" "$T/hooks2.rc"
check "one alternates per active address, anchored and escaped" \
    grep -qxF "alternates '^${joe//./\\.}\$'" "$T/hooks.rc"
check "no alternates for a retired address" \
    sh -c "! grep -qF '${retired%%@*}' '$T/hooks.rc'"
check "alternates: 8 active addresses" \
    [ "$(grep -c '^alternates ' "$T/hooks.rc")" -eq 8 ]
dot=$(grep -n "^send-hook \. 'unmy_hdr From: Reply-To:; set from=" \
    "$T/hooks.rc" | cut -d: -f1)
dom=$(grep -n "^send-hook '~C \"@shop" "$T/hooks.rc" | cut -d: -f1)
adr=$(grep -n "^send-hook '~C \"\^" "$T/hooks.rc" | head -1 | cut -d: -f1)
in_order() { [ -n "$dot" ] && [ -n "$dom" ] && [ -n "$adr" ] &&
    [ "$dot" -lt "$dom" ] && [ "$dom" -lt "$adr" ]; }
check "order: send-hook ., then domains, then addresses" in_order
check "one send-hook per correspondent (the newest of joe's two)" \
    [ "$(grep -c '^send-hook ' "$T/hooks.rc")" -eq 7 ]
muttrc "$T/rc.check" "source \"$T/hooks.rc\""
HOME=$H timeout "$MUTT_TIMEOUT" mutt -n -F "$T/rc.check" -Q from \
    </dev/null >"$T/q.out" 2>&1
check "mutt reads the hooks without an error" \
    [ "$(cat "$T/q.out")" = 'from="me@example.net"' ]
[ "$(wc -l <"$T/q.out")" -eq 1 ] || diag "$(cat "$T/q.out")"
expect 64 "mutt-hooks takes no argument" "$A" mutt-hooks extra
expect 64 "mutt-hooks refuses --json" "$A" --json mutt-hooks
one_line_error "not JSON"
expect 0 "mutt-hooks --help" "$A" mutt-hooks --help
ALIASD_CONF="$T/none.conf" run "$A" mutt-hooks
check "no configuration: exit 78, nothing on stdout" \
    test "$RC" -eq 78 -a -z "$OUT"

# --- sending with the hooks ----------------------------------------------

muttrc "$T/rc" "source \"$T/hooks.rc\""
send "$T/rc" -- joe@example.org
sent_from "known correspondent: joe's newest address" "$joe"
check "known correspondent: what aliasctl for says" \
    [ "$("$A" for joe@example.org)" = "$joe" ]
send "$T/rc" -- JOE@Example.ORG
sent_from "case is ignored: JOE@Example.ORG is joe" "$joe"
send "$T/rc" -- orders@shop.example
sent_from "domain correspondent: the shop's address" "$shop"
send "$T/rc" -- ann@shop.example
sent_from "an address at that domain with its own: ann's, not the shop's" \
    "$ann"
send "$T/rc" -- stranger@example.org
sent_from "unknown recipient: the default address, no Reply-To" \
    "$general" ""
send "$T/rc" -- first.last+tag@example.org
sent_from "dots and + matched: first.last+tag's address" "$tag"
send "$T/rc" -- firstxlast+tag@example.org
sent_from "firstxlast+tag is not first.last+tag: the default" \
    "$general" ""
send "$T/rc" -- joe@examplexorg
sent_from "a dot matches only a dot: joe@examplexorg gets the default" \
    "$general" ""
send "$T/rc" -- xfirst.last+tag@example.org
sent_from "anchored at the start: xfirst.last+tag gets the default" \
    "$general" ""
send "$T/rc" -- first.last+tag@example.org.example
sent_from "anchored at the end: a longer domain gets the default" \
    "$general" ""
send "$T/rc" -- "o'brien\$x{2}|y@example.org"
sent_from "quote, \$, braces and | in an address: matched exactly" "$odd"
send "$T/rc" -- "o'brien\$x{2}|yy@example.org"
sent_from "... and a near miss is not" "$general" ""
send "$T/rc" -- joe@example.org first.last+tag@example.org
sent_from "two recipients, two addresses: the default, as aliasd" \
    "$general" ""
send "$T/rc" -c bob@shop.example -- joe@example.org
sent_from "To joe, Cc the shop: the default (Cc counts)" "$general" ""
send "$T/rc" -c joe@example.org -- joe@example.org
sent_from "joe in To and Cc: joe's address" "$joe"
send "$T/rc" -- ann@shop.example bob@shop.example
sent_from "ann and bob at the shop: different addresses, the default" \
    "$general" ""
send "$T/rc" -- cat@shop.example bob@shop.example
sent_from "cat (the other with her own) and bob: the default" "$general" ""
send "$T/rc" -- bob@shop.example carol@shop.example
sent_from "two at the shop without their own: the shop's address" "$shop"
send "$T/rc" -b orders@shop.example -- joe@example.org
sent_from "Bcc is not seen by mutt's patterns: joe's (use alias-sendmail)" \
    "$joe"
send "$T/rc" -b joe@example.org --
sent_from "Bcc only: the default" "$general" ""

muttrc "$T/rc.left" 'my_hdr From: Left Over <left@example.com>' \
    'my_hdr Reply-To: left@example.com' "source \"$T/hooks.rc\""
send "$T/rc.left" -- stranger@example.org
sent_from "send-hook . clears an earlier message's my_hdr" "$general" ""
send "$T/rc.left" -b joe@example.org --
sent_from "... also for a message with only Bcc" "$general" ""

# The snippet of contrib/mutt, as a user sources it.
muttrc "$T/rc.snippet" "source \"$ALIASD_TOP/contrib/mutt/muttrc.aliasd\""
PATH="$ALIASD_BUILD:$PATH" send "$T/rc.snippet" -- joe@example.org
sent_from "contrib muttrc.aliasd: source 'aliasctl mutt-hooks|'" "$joe"
PATH="$ALIASD_BUILD:$PATH" ALIASD_CONF="$T/none.conf" \
    send "$T/rc.snippet" -- joe@example.org
refused() { [ "$RC" -ne 0 ] && [ ! -f "$CAP.msg" ] &&
    grep -q "none.conf" "$T/mutt.out"; }
check "aliasctl failing: mutt sends nothing and says so" refused

# --- other configurations ------------------------------------------------

newstore nodefault <<CONF
sendmail_program = $T/sendmail
CONF
nd_joe=$("$A" new joe@example.org)
"$A" mutt-hooks >"$T/hooks.nd" 2>/dev/null
muttrc "$T/rc.nd" 'set realname="Real Name"' "source \"$T/hooks.nd\""
send "$T/rc.nd" -- stranger@example.org
check "no default address: your own From, as aliasd leaves it" \
    test "$(header From)" = "Real Name <me@example.net>" \
    -a -z "$(header Reply-To)"
send "$T/rc.nd" -- joe@example.org
check "no full_name: mutt's \$realname as the display name" \
    test "$(header From)" = "Real Name <$nd_joe>" -a "$(envfrom)" = "$nd_joe"

newstore bounce <<CONF
bounce_address = bounces@example.com
full_name = Smith, J. "Jo" \$HOME \`id\` x\\y'z
CONF
b_joe=$("$A" new joe@example.org)
"$A" mutt-hooks >"$T/hooks.b" 2>/dev/null
muttrc "$T/rc.b" "source \"$T/hooks.b\""
send "$T/rc.b" -- joe@example.org
check "bounce_address: the envelope sender" [ "$(envfrom)" = \
    "bounces@example.com" ]
want="\"Smith, J. \\\"Jo\\\" \$HOME \`id\` x\\\\y'z\" <$b_joe>"
check "a full_name with , \" \$ \` \\ ' survives every quoting level" \
    [ "$(header From)" = "$want" ]
[ "$(header From)" = "$want" ] || diag "want: $want" "got:  $(header From)"

# --- replies: reverse_name -----------------------------------------------

export ALIASD_CONF=$MAINCONF
# reply MUTTRC MBOX: mutt's own <reply>, under a pseudo-terminal.
reply() {
	rm -f "$CAP.argv" "$CAP.msg"
	{
		cat "$1"
		echo "set editor=\"$T/editor\""
		echo 'set fast_reply=yes include=no edit_headers=no autoedit=no'
		echo 'set quit=yes move=no mark_old=no wait_key=no beep=no'
		echo 'push "<reply><send-message><quit>"'
	} >"$1.reply"
	HOME=$H TERM=xterm timeout "$MUTT_TIMEOUT" script -qec \
	    "mutt -n -F '$1.reply' -R -f '$2'" /dev/null \
	    </dev/null >/dev/null 2>&1
	RC=$?
}
mbox() {	# mbox FILE FROM TO
	printf 'From sender Sat Nov 21 10:00:00 2026\nFrom: %s\nTo: %s\n' \
	    "$2" "$3" >"$1"
	printf 'Subject: hello\nMessage-ID: <1@other.example>\n\nHi.\n\n' \
	    >>"$1"
}
mbox "$T/stranger.mbox" "Bob <bob@other.example>" "Me <$tag>"
reply "$T/rc" "$T/stranger.mbox"
check "reply: mutt replied (In-Reply-To set, to Bob)" \
    test "$(header In-Reply-To)" = "<1@other.example>" \
    -a "$(header To)" = "Bob <bob@other.example>"
check "reply to a stranger: from the address it came to, not the default" \
    test "$(header From)" = "Me <$tag>" -a "$(envfrom)" = "$tag"
mbox "$T/joe.mbox" "Joe <joe@example.org>" "$joe"
reply "$T/rc" "$T/joe.mbox"
check "reply to joe: joe's address" [ "$(header From)" = "Me Myself <$joe>" ]

# --- way 2: alias-sendmail as $sendmail ----------------------------------

muttrc "$T/rc.as" "set sendmail=\"$ALIASD_BUILD/alias-sendmail -oem -oi\""
send "$T/rc.as" -- joe@example.org
sent_from "alias-sendmail: known correspondent" "$joe"
send "$T/rc.as" -b orders@shop.example -- joe@example.org
sent_from "alias-sendmail: a Bcc to another correspondent, the default" \
    "$general"
reply "$T/rc.as" "$T/stranger.mbox"
from=$(header From)
check "alias-sendmail: a reply to a stranger follows aliasd's rule" \
    test "${from##*<}" = "$general>" -a "$(envfrom)" = "$general"

finish
