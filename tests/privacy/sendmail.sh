#!/bin/bash
# sendmail.sh: the privacy catalogue through a real sendmail (issue 11, 1).
#
# The sixth path of tests/privacy: a private sendmail 8.17 (Debian's
# sendmail-bin unpacked into tests/.cache, tests/lib/sendmail.sh) with
# aliasd as its milter. Every message of tests/privacy/catalogue, and the
# guard's, is submitted as a mail client would: SMTP to the ORIGINATING
# daemon from 127.0.0.2, a client outside trusted_networks, so that
# {daemon_name} alone makes the mail outbound. Then the checks of
# privacy.sh: one TAP line per message (no header but Received, and not
# the envelope sender, names the owner; or the leak guard refused it), the
# structural checks (chosen address and full_name in From and Reply-To,
# bounce_address as envelope sender, display names, other mailboxes,
# Autocrypt, resent mail, bodies byte-identical), and the guard message
# refused naming its field.
#
# aliasd runs as nobody (as in tests/integration/sendmail_aliasd.sh):
# sendmail runs as root and reaches its 0660 socket. `1..0 # SKIP` when
# not root or when sendmail cannot be fetched or run here.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALIASD_TOP=${ALIASD_TOP:-$(cd "$HERE/../.." && pwd)}
ALIASD_BUILD=${ALIASD_BUILD:-$ALIASD_TOP/build}
export ALIASD_TOP ALIASD_BUILD
. "$HERE/../lib/sendmail.sh"
# Not for a Postfix: its readers of a message file (pf_header_values,
# pf_file_body, pf_wire_file) serve here too.
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"
. "$HERE/../lib/privacy.sh"

OWNER=$PV_OWNER
BOUNCE=bounces@example.com
P=sendmail-mta
PV_MTA=sm

pv_need_root "sendmail runs in its own mount namespace"
pv_need_built aliasd aliasctl
pv_tmpdir pvsm
# aliasd drops to nobody: it must reach $T/store and $T/run (search only).
chmod 0711 "$T"
mkdir -p "$T/tx" "$T/wire" "$T/out"

if ! sm_fetch 2>"$T/fetch.err"; then
	echo "1..0 # SKIP sendmail cannot run here: $(tail -n 3 "$T/fetch.err" | tr '\n' ' ')"
	exit 0
fi

# --- configuration, store, sendmail ------------------------------------------

pv_store nobody
{ pv_conf; echo "bounce_address = $BOUNCE"; } >"$AD_CONF"
chmod 0644 "$AD_CONF"
pv_correspondents

# example.org is relayed too, so that the outsider may send to the
# catalogue's correspondents through the ORIGINATING port.
sm_init "$T" "$AD_SOCKET" "example.com example.org" ||
	{ echo "Bail out! sm_init failed"; exit 1; }
pv_start "sendmail cannot run here"
tap_diag "sendmail ports: ORIGINATING $SM_ORIG_PORT, sink $SM_SINK_PORT"

pv_catalogue "$HERE"

# --- send and check ---------------------------------------------------------------

# sm_fate NAME: what sendmail last logged about NAME.
sm_fate() {
	grep -F "$1" "$SM_LOG" | tail -n 2
}
PV_FATE=sm_fate

send_all() {
	local before
	before=$(sm_capture_count)
	pv_submit_all "$P" '^<- +250 2\.0\.0 .*Message accepted for delivery' \
	    swaks --server 127.0.0.1 --port "$SM_ORIG_PORT" \
	    --local-interface 127.0.0.2 --timeout 30 --from "$OWNER"
	pv_wait_captures "$before" "$PV_ACCEPTED" ||
	    tap_diag "fewer captures than accepted messages within 30 s"
	pv_collect "$P"
}

# --- run ---------------------------------------------------------------------------

t0=$(date +%s)
send_all
tap_diag "sent $NMSG messages (and the guard's) through sendmail with aliasd ($(( $(date +%s) - t0 )) s)"

for name in $NAMES; do
	pv_check_one "$P" "$name"
done
pv_structural "$P" "$BOUNCE"
pv_expect "$P" 25-resent-bounce "envelope sender is $BOUNCE" \
    pv_envelope_is "$P" 25-resent-bounce "$BOUNCE"
tap_check "$P: every delivered body is byte-identical" pv_bodies_identical "$P"
for name in $GUARD_NAMES; do
	pv_guard_check "$P" "$name" \
	    "refused 451 4.7.0 Message names the owner's address in X-Original-Sender; not sent"
done
tap_check "$P: aliasd rewrote the envelope (sendmail logged its chgfrom)" \
	sm_wait_log "Milter \(aliasd\) chgfrom: <$(echo "$BOUNCE" | sed 's/\./\\./g')>" 5
tap_check "$P: nothing left in sendmail's queue" [ "$(sm_queue_count)" -eq 0 ]

ad_stop
tap_check "aliasd logged no error" sh -c "! grep -q 'ERROR:\|fatal\|runtime error' '$AD_LOG'"
sm_stop
tap_check "no sendmail process left" [ -z "$(sm_pids)" ]

pv_summary
tap_diag "total $(( $(date +%s) - t0 )) s"
tap_done
