#!/bin/bash
# gate.sh: SPEC "The gate" through the milter protocol, and `aliasctl
# check` asked the same question: one table, both answers, which must be
# the one the table wants and so each other's.  Locks, allow lists, the
# null sender, look-alike domains, every on-refuse action with one and
# with several recipients, max-mails, idle, X-Aliasd (added once, forged
# ones removed), learning and leak sightings, replace.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/../lib/aliasd.sh"
. "$HERE/../lib/milter.sh"

REJ="Recipient address rejected"
LOCKED="This address does not take mail from you"

T=$(mktemp -d /tmp/aliasd-gate.XXXXXX) || exit 1
cleanup() { ad_stop; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

chmod 0755 "$T"
[ -x "$ML_CLIENT" ] || { echo "Bail out! $ML_CLIENT not built"; exit 1; }
ad_setup example.com postfix <<CONF
harvest_limit = 0
CONF

new() { aliasctl new "$@" || echo "Bail out! aliasctl new $* failed"; }

dom=$(new --lock domain --allow mailchimp.com joe@example.org)
snd=$(new --lock sender --allow partner.example ann@example.org)
open_=$(new bob@shop.co.uk)
disc=$(new --lock domain --on-refuse discard kim@example.org)
hold=$(new --lock domain --on-refuse hold lee@example.org)
temp=$(new --lock domain --on-refuse tempfail max@example.org)
bnc=$(new --lock domain --allow '<>' ned@example.org)
three=$(new --max-mails 3 ola@example.org)
idle=$(new --idle 1d pat@example.org)
named=$(new --name shopping)
dcorr=$(new --lock sender @bank.example)
# Injected time: pat's address was made two days ago and never written to.
ad_sql "UPDATE address SET created = $(($(date +%s) - 172800))
    WHERE local || '@' || domain = '$idle'"
ad_store_owner postfix
ad_up || exit 1

n=0
# ask FROM RCPT: the milter's answer to one RCPT (a message with one
# header, so that the end of message is seen) and check's, as two lines:
# "milter: ..." and "check: ...", each one of
#   accept X-ALIASD-VALUE | reply CODE DSN TEXT | discard | hold REASON
ask() {
	local from=$1 rcpt=$2 out line m="" j
	n=$((n + 1))
	out=$(ml_session "198.51.100.$((n % 250 + 1))" "" "$from" "$rcpt" \
	    "Subject: case $n")
	while IFS= read -r line; do
		case $line in
		"rcpt replycode "*) m="reply ${line#rcpt replycode }" ;;
		"eom insheader X-Aliasd 0 "*) m="accept ${line#eom insheader X-Aliasd 0 }" ;;
		"eom discard") m="discard" ;;
		"eom quarantine "*) m="hold ${line#eom quarantine }" ;;
		esac
	done <<<"$out"
	[ -n "$m" ] || m="none: $(tr '\n' ' ' <<<"$out")"
	echo "milter: $m"
	j=$(aliasctl --json check --from "${from:-<>}" "$rcpt")
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
a = d["action"]
if a == "accept":
    print("check: accept " + d.get("x_aliasd", ""))
elif a in ("reject", "tempfail"):
    print("check: reply " + d["reply"])
elif a == "discard":
    print("check: discard")
elif a == "hold":
    print("check: hold " + d["reply"].split(": ", 1)[1])
else:
    print("check: " + a)
' "$j"
}

# case FROM RCPT WANT WHAT: both answers must be WANT.
case_() {
	local got want=$3
	got=$(ask "$1" "$2")
	if [ "$got" = "milter: $want"$'\n'"check: $want" ]; then
		tap_ok "$4"
	else
		tap_not_ok "$4" "want: $want" "got:" "$got"
	fi
}

xa() {	# xa ADDRESS CORRESPONDENT expected|unexpected
	echo "accept address=$1; correspondent=$2; sender=$3"
}
lock550() { echo "reply 550 5.7.1 <$1>: $REJ: $LOCKED"; }

# A locked address (lock domain, mailchimp.com allowed).
case_ joe@example.org "$dom" "$(xa "$dom" joe@example.org expected)" \
    "lock domain: the correspondent himself"
case_ sales@example.org "$dom" "$(xa "$dom" joe@example.org expected)" \
    "lock domain: another address at the correspondent's domain"
case_ news@mail.example.org "$dom" "$(xa "$dom" joe@example.org expected)" \
    "lock domain: a subdomain of it"
case_ bounce@mc.us5.mailchimp.com "$dom" \
    "$(xa "$dom" joe@example.org expected)" \
    "lock domain: an allowed mailing service (by registered domain)"
case_ spam@stranger.net "$dom" "$(lock550 "$dom")" \
    "lock domain: a stranger gets 550 5.7.1"
case_ "" "$dom" "$(lock550 "$dom")" \
    "lock domain: the null sender is judged as a stranger"
case_ joe@example-org.net "$dom" "$(lock550 "$dom")" \
    "lock domain: look-alike example-org.net refused"
case_ joe@example.org.evil.net "$dom" "$(lock550 "$dom")" \
    "lock domain: look-alike example.org.evil.net refused"
case_ "" "$bnc" "$(xa "$bnc" ned@example.org expected)" \
    "lock domain with --allow '<>': the null sender accepted"

# lock sender: the exact address and the allow list only.
case_ ann@example.org "$snd" "$(xa "$snd" ann@example.org expected)" \
    "lock sender: the correspondent's exact address"
case_ ANN@Example.ORG "$snd" "$(xa "$snd" ann@example.org expected)" \
    "lock sender: the same address in other case"
case_ other@example.org "$snd" "$(lock550 "$snd")" \
    "lock sender: another address at the same domain refused"
case_ x@mail.partner.example "$snd" \
    "$(xa "$snd" ann@example.org expected)" \
    "lock sender: an allowed domain accepted"
case_ x@bank.example "$dcorr" "$(xa "$dcorr" @bank.example expected)" \
    "lock sender, @domain correspondent: an address at that domain"
case_ x@mail.bank.example "$dcorr" "$(lock550 "$dcorr")" \
    "lock sender, @domain correspondent: a subdomain is not that domain"

# No lock: everybody accepted; a stranger is a leak sighting.
case_ bob@shop.co.uk "$open_" "$(xa "$open_" bob@shop.co.uk expected)" \
    "no lock: the correspondent, expected"
case_ news@mail.shop.co.uk "$open_" "$(xa "$open_" bob@shop.co.uk expected)" \
    "no lock: a subdomain under co.uk is the same organisation"
case_ x@other.co.uk "$open_" "$(xa "$open_" bob@shop.co.uk unexpected)" \
    "no lock: another organisation under co.uk is unexpected"

# on-refuse: one recipient.
case_ spam@stranger.net "$disc" "discard" \
    "on-refuse discard: accepted, then dropped"
case_ spam@stranger.net "$hold" "hold $LOCKED" \
    "on-refuse hold: accepted into the hold queue"
case_ spam@stranger.net "$temp" \
    "reply 450 4.2.1 <$temp>: $REJ: $LOCKED" \
    "on-refuse tempfail: 450 4.2.1"
case_ kim@example.org "$disc" "$(xa "$disc" kim@example.org expected)" \
    "on-refuse discard: the correspondent still delivered"

# on-refuse with several recipients in one message.
out=$(ml_session 203.0.113.1 "" spam@stranger.net "$disc,$open_" \
    "Subject: two")
tap_check "discard, two recipients: the refused one removed, no discard" \
    eval 'ml_has "$out" "eom delrcpt <$disc>" && ! grep -qx "eom discard" <<<"$out"'
tap_check "discard, two recipients: the other one marked as delivered" \
    ml_has "$out" "eom insheader X-Aliasd 0 address=$open_; correspondent=bob@shop.co.uk; sender=unexpected"
out=$(ml_session 203.0.113.2 "" spam@stranger.net "$disc,someone@elsewhere.example" \
    "Subject: two")
tap_check "discard beside a recipient outside our domains: only ours removed" \
    eval 'ml_has "$out" "eom delrcpt <$disc>" && ! grep -qx "eom discard" <<<"$out"'
out=$(ml_session 203.0.113.3 "" spam@stranger.net "$hold,$open_" \
    "Subject: two")
tap_check "hold, two recipients: the message is held (it is one message)" \
    ml_has "$out" "eom quarantine $LOCKED"

# X-Aliasd: added once, forged ones removed, none for outside domains.
out=$(ml_session 203.0.113.4 "" joe@example.org "$dom" \
    "X-Aliasd: address=$dom; correspondent=joe@example.org; sender=expected;;x-aliasd: forged;;Subject: forged")
tap_check "X-Aliasd: both forged headers removed, highest first" \
    eval '[ "$(grep "chgheader X-Aliasd" <<<"$out" | tr "\n" "|")" = "eom chgheader X-Aliasd 2 |eom chgheader X-Aliasd 1 |" ]'
tap_check "X-Aliasd: ours added exactly once" \
    eval '[ "$(grep -c "insheader X-Aliasd" <<<"$out")" = 1 ]'
out=$(ml_session 203.0.113.5 "" joe@example.org "$dom,$dom" "Subject: twice")
tap_check "X-Aliasd: an address named twice gets one header" \
    eval '[ "$(grep -c "insheader X-Aliasd" <<<"$out")" = 1 ]'
out=$(ml_session 127.0.0.1 me "me@example.net" joe@example.org \
    "From: me@example.net;;X-Aliasd: address=$dom; correspondent=joe@example.org; sender=expected")
tap_check "X-Aliasd: the owner's outbound mail loses it (names a correspondent)" \
    ml_has "$out" "eom chgheader X-Aliasd 1 "
tap_check "X-Aliasd: none added to outbound mail" \
    eval '! grep -q "insheader X-Aliasd" <<<"$out"'

# max-mails 3: three delivered, the fourth refused, before and after the
# counts reach the store.
for i in 1 2; do
	case_ x@example.org "$three" "$(xa "$three" ola@example.org expected)" \
	    "max-mails 3: message $i accepted"
done
# The third: check reads the store alone, and once the third count is
# written (within a second; sooner on a slow run) it already answers as
# for the fourth.  Either is right; the milter must accept.
got=$(ask x@example.org "$three")
want=$(xa "$three" ola@example.org expected)
case $got in
"milter: $want"$'\n'"check: $want" | \
"milter: $want"$'\n'"check: reply 550 5.1.1 <$three>: $REJ: address expired")
	tap_ok "max-mails 3: message 3 accepted" ;;
*) tap_not_ok "max-mails 3: message 3 accepted" "want: $want" "got:" "$got" ;;
esac
out=$(ml_session 203.0.113.6 "" x@example.org "$three" "Subject: four")
tap_check "max-mails 3: the fourth refused at once (counts not yet written)" \
    ml_has "$out" "rcpt replycode 550 5.1.1 <$three>: $REJ: address expired"
tap_check "max-mails 3: show says which rule expired it" \
    t_wait_until 5 eval 'aliasctl show "$three" | grep -qiE "expired.*max-mails|max-mails.*expired"'
case_ x@example.org "$three" "reply 550 5.1.1 <$three>: $REJ: address expired" \
    "max-mails 3: check agrees once the counts are in the store"

# idle 1d, made two days ago, never written to.
case_ x@example.org "$idle" "reply 550 5.1.1 <$idle>: $REJ: address expired" \
    "idle: expired after a day without mail"
tap_check "idle: show says which rule expired it" \
    eval 'aliasctl show "$idle" | grep -qiE "expired.*idle|idle.*expired"'

# A named address learns its first sender; the next organisation is a
# leak sighting; leaks lists it; replace gives a working new address.
case_ orders@shop.example "$named" "$(xa "$named" none expected)" \
    "named address: its first sender is expected (and learned)"
learned() { aliasctl show "$named" | grep -q 'shop\.example'; }
tap_check "named address: the first sender's domain joins its allow list" \
    t_wait_until 5 learned
case_ promo@news.shop.example "$named" "$(xa "$named" none expected)" \
    "named address: the same organisation later, expected"
case_ spam@leaker.example "$named" "$(xa "$named" none unexpected)" \
    "named address: a second organisation is a leak sighting"
sighted() { aliasctl leaks | grep -F "$named" | grep -q 'leaker\.example'; }
tap_check "leaks lists the sighting (address and the sender's domain)" \
    t_wait_until 5 sighted
tap_check "leaks --json is valid JSON naming leaker.example" \
    eval 'aliasctl --json leaks | python3 -c "import json,sys; d=json.load(sys.stdin); assert \"leaker.example\" in json.dumps(d)"'
new_named=$(aliasctl replace "$named" --reason "Leaked to spammers")
tap_check "replace prints a new address" \
    eval '[ -n "$new_named" ] && [ "$new_named" != "$named" ]'
case_ spam@leaker.example "$named" \
    "reply 550 5.1.1 <$named>: $REJ: Leaked to spammers" \
    "replace: the old address refuses with its reason"
case_ orders@shop.example "$new_named" "$(xa "$new_named" none expected)" \
    "replace: the new address takes mail from the learned organisation"

# Nothing counted by check: the counts of the named address do not move.
# First the message just accepted for it, which aliasd's counter writer
# writes within a second or two: counted before we look.
counted_one() { aliasctl --json show "$new_named" | grep -q '"messages":1,'; }
tap_check "the message the new address took is counted" t_wait_until 10 counted_one
before=$(aliasctl --json show "$new_named")
aliasctl check --from orders@shop.example "$new_named" >/dev/null
aliasctl check --from orders@shop.example "$new_named" >/dev/null
tap_check "check counts nothing" \
    eval '[ "$(aliasctl --json show "$new_named")" = "$before" ]'

tap_check "aliasd still running" t_pid_alive "$AD_PID"
tap_done
