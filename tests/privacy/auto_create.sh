#!/bin/bash
# auto_create.sh: only the owner's mail creates addresses, and the leak
# guard holds through the milter (issue 11, sections 1 and 3).
#
# A private Postfix with aliasd as smtpd_milters and non_smtpd_milters,
# `auto_create = yes` and no default address. Each message goes to a
# correspondent nobody has an address for:
#   (a) an authenticated submission whose From is not the owner's;
#   (b) root's mail through Postfix's sendmail(1), From: root@host (and
#       cron's unqualified "root (Cron Daemon)");
#   (c) the owner's message through `alias-sendmail --dry-run`;
# create no address (aliasctl list counts them) and (a), (b) leave as they
# came; (c) says on stderr that a real run would create one. Then
#   (d) the owner's own submission creates exactly one, and leaves with it
#       in From, Reply-To and the envelope sender.
# Then the leak guard with `auto_create = no` and still no default (aliasd
# reloaded with SIGHUP): the owner's mail to a new correspondent is refused
# with SPEC's exact 451 text and nothing is delivered; with `on_leak = send`
# it leaves unchanged.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALIASD_TOP=${ALIASD_TOP:-$(cd "$HERE/../.." && pwd)}
ALIASD_BUILD=${ALIASD_BUILD:-$ALIASD_TOP/build}
export ALIASD_TOP ALIASD_BUILD
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"
. "$HERE/../lib/privacy.sh"

OWNER=$PV_OWNER

pv_need_root "a private Postfix instance"
pv_need_built aliasd aliasctl alias-sendmail
pv_need_postfix autocreate
pv_tmpdir autocreate
mkdir -p "$T/msg" "$T/tx"

# --- configuration, store, Postfix ---------------------------------------------

pv_store postfix
# write_conf AUTO_CREATE ON_LEAK: both configurations. No bounce_address:
# the envelope sender of rewritten mail is then the chosen address.
write_conf() {
	local c
	c="$(pv_conf)
auto_create = $1
on_leak = $2"
	printf '%s\n' "$c" >"$AD_CONF.new"
	printf '%s\nsendmail_program = %s\n' "$c" "$T/pf-sendmail" >"$CLIENT_CONF"
	chmod 0644 "$AD_CONF.new" "$CLIENT_CONF"
	mv "$AD_CONF.new" "$AD_CONF"
}
write_conf yes tempfail
aliasctl init >/dev/null || { echo "Bail out! aliasctl init failed"; exit 1; }
joe=$(aliasctl new joe@example.org)
tap_diag "joe=$joe (no default address)"

pf_init "$T" "$AD_SOCKET" example.com || { echo "Bail out! pf_init failed"; exit 1; }
pv_pf_sendmail
pv_start "Postfix cannot run"

# --- helpers ---------------------------------------------------------------------

naddr() { aliasctl --json list --all | grep -c '"address":'; }
count_is() {
	local n
	n=$(naddr)
	[ "$n" = "$1" ] || { echo "aliasctl list counts $n addresses, wanted $1" >&2; return 1; }
}

# message NAME FROM TO: a small message file, $T/msg/NAME.
message() {
	cat >"$T/msg/$1" <<MSG
From: $2
To: $3
Subject: auto_create $1
Date: Mon, 3 Mar 2025 10:00:00 +0100
Message-ID: <$1.autocreate@client.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello,
this is message $1.
MSG
}

# submit NAME MAIL_FROM RCPT: SASL submission from 127.0.0.2 (outside
# trusted_networks), byte-exact; transcript in $T/tx/NAME.
submit() {
	pf_wire_file "$T/msg/$1" "$T/msg/$1.smtp" >/dev/null
	pf_swaks_sub --local-interface 127.0.0.2 --from "$2" --to "$3" \
	    -ndf --data @"$T/msg/$1.smtp" >"$T/tx/$1" 2>&1
}
show_tx() { grep -E '^(<-|<\*\*|->|\*\*\*) ' "$T/tx/$1" | sed 's/^/    /' >&2; }
accepted() {
	grep -qE '^<- +250 .*queued as' "$T/tx/$1" && return 0
	show_tx "$1"
	return 1
}

# capture_of NAME: the captured file whose Subject is "auto_create NAME".
capture_of() {
	local f
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		if pf_msg_headers "$f" | grep -qxF "Subject: auto_create $1"; then
			echo "$f"
			return 0
		fi
	done < <(pf_capture_files)
	return 1
}
_captured() { capture_of "$1" >/dev/null; }
wait_capture() { t_wait_until "${2:-15}" _captured "$1"; }

# untouched NAME: every header field but Received, and the body, as sent.
untouched() {
	local f
	f=$(capture_of "$1") || { echo "$1 was not captured" >&2; return 1; }
	pf_msg_message "$f" | LC_ALL=C awk '
		/^$/ { body = 1 }
		!body && /^Received:/ { skip = 1; next }
		!body && skip && /^[ \t]/ { next }
		{ skip = 0; print }' >"$T/got-$1"
	cmp "$T/msg/$1" "$T/got-$1" >&2 || { diff "$T/msg/$1" "$T/got-$1" >&2; return 1; }
}
hdr_is() {	# hdr_is NAME FIELD VALUE
	local f got
	f=$(capture_of "$1") || { echo "$1 was not captured" >&2; return 1; }
	got=$(pf_msg_header "$f" "$2")
	[ "$got" = "$3" ] || { echo "$2: got '$got', wanted '$3'" >&2; return 1; }
}
sender_is() {	# sender_is NAME ADDRESS
	local f got
	f=$(capture_of "$1") || { echo "$1 was not captured" >&2; return 1; }
	got=$(pf_msg_sender "$f")
	[ "$got" = "<$2>" ] || { echo "envelope sender: got '$got', wanted '<$2>'" >&2; return 1; }
}
no_new_address_logged() { ! grep -q 'new address for a new correspondent' "$AD_LOG"; }

# reload AUTO_CREATE ON_LEAK: new configuration, SIGHUP, wait for aliasd
# to say it took it.
reload() {
	local before
	before=$(grep -c 'configuration reloaded' "$AD_LOG")
	write_conf "$1" "$2"
	kill -HUP "$AD_PID"
	t_wait_until 10 sh -c '[ "$(grep -c "configuration reloaded" "$1")" -gt "$2" ]' - \
	    "$AD_LOG" "$before"
}

n0=$(naddr)

# --- (a) an authenticated submission with someone else's From --------------------

message a-foreign "Stranger <stranger@elsewhere.example>" "New A <new-a@corr-a.example>"
submit a-foreign stranger@elsewhere.example new-a@corr-a.example
tap_check "(a) SASL submission, foreign From, new recipient: accepted" accepted a-foreign
tap_check "(a) delivered" wait_capture a-foreign
tap_check "(a) no address created (aliasctl list: still $n0)" count_is "$n0"
tap_check "(a) it left untouched (every header but Received, the body)" untouched a-foreign
tap_check "(a) envelope sender kept" sender_is a-foreign stranger@elsewhere.example

# The same user giving the owner's address as MAIL FROM but someone else's
# From: still not the owner's mail for auto_create.
message a-foreign-env "Stranger <stranger@elsewhere.example>" "New A2 <new-a2@corr-a.example>"
submit a-foreign-env "$OWNER" new-a2@corr-a.example
if accepted a-foreign-env 2>/dev/null && wait_capture a-foreign-env; then
	tap_check "(a') MAIL FROM the owner, foreign From: no address created" count_is "$n0"
	tap_diag "(a') envelope sender as it left: $(pf_msg_sender "$(capture_of a-foreign-env)")"
else
	tap_check "(a') MAIL FROM the owner, foreign From: no address created" count_is "$n0"
	tap_diag "(a') not delivered: $(grep -E '^<\*\* ' "$T/tx/a-foreign-env" | head -n 1)"
fi

# --- (b) root's mail through Postfix's sendmail(1) (non_smtpd_milters) -------------

message b-root "root@$PF_HOSTNAME" "new-b@corr-b.example"
pf_sendmail -t -oi <"$T/msg/b-root" >"$T/tx/b-root" 2>&1
tap_check "(b) root's sendmail(1), From: root@$PF_HOSTNAME: sendmail exit 0" \
	[ $? -eq 0 ]
tap_check "(b) delivered" wait_capture b-root
tap_check "(b) no address created" count_is "$n0"
tap_check "(b) From unchanged, no Reply-To" \
	eval 'hdr_is b-root From "root@$PF_HOSTNAME" && hdr_is b-root Reply-To ""'

# What cron writes: an unqualified From with a comment; Postfix qualifies it.
message b-cron "root (Cron Daemon)" "new-b2@corr-b.example"
pf_sendmail -t -oi <"$T/msg/b-cron" >"$T/tx/b-cron" 2>&1
tap_check "(b') cron's From: root (Cron Daemon): sendmail exit 0" [ $? -eq 0 ]
tap_check "(b') delivered" wait_capture b-cron
tap_check "(b') no address created" count_is "$n0"
tap_check "(b') no Reply-To added" hdr_is b-cron Reply-To ""

# --- (c) alias-sendmail --dry-run of the owner's message ---------------------------

message c-dry "Real Owner <$OWNER>" "New C <new-c@corr-c.example>"
ALIASD_CONF=$CLIENT_CONF "$ALIASD_BUILD/alias-sendmail" --dry-run -t -oi -f "$OWNER" \
    <"$T/msg/c-dry" >"$T/tx/c-dry.out" 2>"$T/tx/c-dry.err"
rc=$?
tap_diag "(c) alias-sendmail --dry-run exit $rc; stderr:" "$(sed 's/^/  /' "$T/tx/c-dry.err")"
tap_check "(c) --dry-run: no address created" count_is "$n0"
tap_check "(c) --dry-run says a real run would create one for new-c@corr-c.example" \
	grep -qF "a real run would create an address for new-c@corr-c.example" "$T/tx/c-dry.err"
tap_check "(c) --dry-run ran nothing (no capture)" \
	sh -c 'sleep 1; ! grep -rqs "Subject: auto_create c-dry" "$1"' - "$PF_CAPTURE"

tap_check "(a)-(c) aliasd logged no creation" no_new_address_logged

# --- (d) the owner's own message creates exactly one --------------------------------

message d-owner "Real Owner <$OWNER>" "New D <new-d@corr-d.example>"
submit d-owner "$OWNER" new-d@corr-d.example
tap_check "(d) the owner's submission to a new recipient: accepted" accepted d-owner
tap_check "(d) delivered" wait_capture d-owner
tap_check "(d) exactly one address created" count_is $(( n0 + 1 ))
new=$(aliasctl for new-d@corr-d.example 2>/dev/null)
tap_check "(d) it is new-d@corr-d.example's ($new)" \
	eval '[ -n "$new" ] && [ "$new" != "$joe" ] &&
	    aliasctl --json list --all | grep -F "\"address\":\"$new\"" |
	    grep -qF "\"correspondent\":\"new-d@corr-d.example\""'
tap_check "(d) From is full_name and the new address" hdr_is d-owner From "Real Owner <$new>"
tap_check "(d) Reply-To is the new address" hdr_is d-owner Reply-To "Real Owner <$new>"
tap_check "(d) envelope sender is the new address" sender_is d-owner "$new"
owner_absent() {	# owner_absent NAME: pv_check finds nothing but Received
	local f found
	f=$(capture_of "$1") || return 1
	pf_msg_message "$f" >"$T/got-$1"
	found=$(pv_check "$T/got-$1" "$(pf_msg_sender "$f")" | grep -v '^Received')
	[ -z "$found" ] || { echo "names the owner: $found" >&2; return 1; }
}
tap_check "(d) the owner's address is in no header and not in the envelope" \
	owner_absent d-owner

# --- the leak guard through the milter ------------------------------------------------

tap_check "aliasd reloaded: auto_create = no, on_leak = tempfail (SIGHUP)" reload no tempfail
n1=$(naddr)
before=$(pf_capture_count)
message e-guard "Real Owner <$OWNER>" "New E <new-e@corr-e.example>"
submit e-guard "$OWNER" new-e@corr-e.example
tap_check "guard: the owner's mail to a new recipient, no default: 451 4.7.0 naming From" \
	eval 'grep -qxF "<** 451 4.7.0 Message names the owner'"'"'s address in From; not sent" "$T/tx/e-guard" ||
	    { show_tx e-guard; false; }'
sleep 1
tap_check "guard: nothing delivered, nothing queued" \
	eval '[ "$(pf_capture_count)" -eq "$before" ] && ! _captured e-guard &&
	    [ "$(pf_queue_count)" -eq 0 ]'
tap_check "guard: no address created" count_is "$n1"

tap_check "aliasd reloaded: on_leak = send (SIGHUP)" reload no send
message f-send "Real Owner <$OWNER>" "New F <new-f@corr-f.example>"
submit f-send "$OWNER" new-f@corr-f.example
tap_check "on_leak = send: accepted" accepted f-send
tap_check "on_leak = send: delivered" wait_capture f-send
tap_check "on_leak = send: it left unchanged (every header but Received, the body)" \
	untouched f-send
tap_diag "on_leak = send: envelope sender as it left: $(pf_msg_sender "$(capture_of f-send)")"
tap_check "on_leak = send: no address created" count_is "$n1"

ad_stop
tap_check "aliasd logged no error" sh -c "! grep -q 'ERROR:\|fatal\|runtime error' '$AD_LOG'"
tap_check "aliasd logged exactly one creation" \
	[ "$(grep -c 'new address for a new correspondent' "$AD_LOG")" -eq 1 ]
tap_done
