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
. "$HERE/../lib/common.sh"
. "$HERE/../lib/sendmail.sh"
. "$HERE/../lib/aliasd.sh"
. "$HERE/../lib/privacy.sh"

CAT=$HERE/catalogue
OWNER=$PV_OWNER
BOUNCE=bounces@example.com
P=sendmail-mta

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (sendmail runs in its own mount namespace)"
	exit 0
fi
for p in aliasd aliasctl; do
	if [ ! -x "$ALIASD_BUILD/$p" ]; then
		echo "Bail out! no $ALIASD_BUILD/$p (make B=... first)"
		exit 1
	fi
done

T=$(mktemp -d /tmp/aliasd-pvsm.XXXXXX) || exit 1
# aliasd drops to nobody: it must reach $T/store and $T/run (search only).
chmod 0711 "$T"
cleanup() {
	ad_stop
	sm_cleanup
	if [ "${PRIVACY_KEEP:-0}" = 1 ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$T/tx" "$T/wire" "$T/out"

if ! sm_fetch 2>"$T/fetch.err"; then
	echo "1..0 # SKIP sendmail cannot run here: $(tail -n 3 "$T/fetch.err" | tr '\n' ' ')"
	exit 0
fi

# --- configuration, store, sendmail ------------------------------------------

AD_CONF=$T/aliasd.conf
AD_SOCKDIR=$T/run
AD_SOCKET=unix:$AD_SOCKDIR/aliasd.sock
AD_LOG=$T/aliasd.log
mkdir -p "$AD_SOCKDIR" "$T/store"
chown nobody "$AD_SOCKDIR" "$T/store"
cat >"$AD_CONF" <<CONF
domain = example.com
owner = $OWNER
full_name = Real Owner
database = $T/store/aliases.db
socket = $AD_SOCKET
user = nobody
trusted_networks = 127.0.0.1/32
bounce_address = $BOUNCE
CONF
chmod 0644 "$AD_CONF"
aliasctl init >/dev/null || { echo "Bail out! aliasctl init failed"; exit 1; }

joe=$(aliasctl new joe@example.org)
ann=$(aliasctl new ann@example.org)
aliasctl new @shop.example >/dev/null
general=$(aliasctl new --name general)
aliasctl default general >/dev/null
tap_diag "joe=$joe ann=$ann default=$general"

# example.org is relayed too, so that the outsider may send to the
# catalogue's correspondents through the ORIGINATING port.
sm_init "$T" "$AD_SOCKET" "example.com example.org" ||
	{ echo "Bail out! sm_init failed"; exit 1; }
ad_start || { echo "Bail out! aliasd did not start"; cat "$AD_LOG"; exit 1; }
if ! sm_start 2>"$T/sm-start.err"; then
	echo "1..0 # SKIP sendmail cannot run here: $(head -n 3 "$T/sm-start.err" | tr '\n' ' ')"
	exit 0
fi
tap_diag "sendmail ports: ORIGINATING $SM_ORIG_PORT, sink $SM_SINK_PORT"

NAMES=""
NMSG=0
for f in "$CAT"/*.eml; do
	NAMES="$NAMES $(basename "$f" .eml)"
	NMSG=$(( NMSG + 1 ))
done
GUARD_NAMES=""
for f in "$HERE"/guard/*.eml; do
	[ -f "$f" ] && GUARD_NAMES="$GUARD_NAMES $(basename "$f" .eml)"
done
SEND_NAMES="$NAMES $GUARD_NAMES"

msgfile() {
	if [ -f "$CAT/$1.eml" ]; then
		echo "$CAT/$1.eml"
	else
		echo "$HERE/guard/$1.eml"
	fi
}

# OUT[name]: "captured FILE", "refused TEXT" or "lost TEXT".
declare -A OUT

# --- send ----------------------------------------------------------------------

_count_new_captures() {
	[ $(( $(sm_capture_count) - $1 )) -ge "$2" ]
}

send_all() {
	local name pids="" n=0 before rcpts tx f key
	before=$(sm_capture_count)
	for name in $SEND_NAMES; do
		rcpts=$(pv_rcpts "$(msgfile "$name")")
		sm_wire_file "$(msgfile "$name")" "$T/wire/$name.smtp" >/dev/null
		swaks --server 127.0.0.1 --port "$SM_ORIG_PORT" \
		    --local-interface 127.0.0.2 --timeout 30 \
		    --from "$OWNER" --to "$rcpts" -ndf --data @"$T/wire/$name.smtp" \
		    >"$T/tx/$name" 2>&1 &
		pids="$pids $!"
		if [ $(( ++n % 8 )) -eq 0 ]; then
			# shellcheck disable=SC2086 # a list of PIDs
			wait $pids
			pids=""
		fi
	done
	# shellcheck disable=SC2086
	wait $pids
	n=0
	for name in $SEND_NAMES; do
		tx=$T/tx/$name
		if grep -qE '^<- +250 2\.0\.0 .*Message accepted for delivery' "$tx"; then
			n=$(( n + 1 ))
		elif grep -qE '^<\*\* +451 4\.7\.0' "$tx"; then
			OUT[$name]="refused $(grep -m1 -E '^<\*\* +451' "$tx" | sed 's/^<\*\* *//')"
		else
			OUT[$name]="lost $(grep -E '^(<\*\*|\*\*\*) ' "$tx" | tail -n 1)"
		fi
	done
	t_wait_until 30 _count_new_captures "$before" "$n" ||
	    tap_diag "fewer captures than accepted messages within 30 s"
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		key=$(sm_msg_headers "$f" | pv_subject_key)
		if [ -z "$key" ]; then
			tap_diag "a capture that is none of the catalogue:" \
			    "$(sm_msg_headers "$f" | grep -m1 '^Subject:') (sender $(sm_msg_sender "$f"))"
		elif [ "${OUT[$key]-}" != "" ] && [ "${OUT[$key]%% *}" = captured ]; then
			tap_diag "$key captured twice"
		else
			OUT[$key]="captured $f"
			sm_msg_message "$f" >"$T/out/$key.msg"
		fi
	done < <(sm_capture_files)
}

# --- checks ----------------------------------------------------------------------

REFUSED=""
RECEIVED_NAMES=0
LEAKS=""

unfold() {
	LC_ALL=C awk '
		/^[ \t]/ { cur = cur " " substr($0, match($0, /[^ \t]/)); next }
		{ if (cur != "") print cur; cur = $0 }
		END { if (cur != "") print cur }
	'
}

check_one() {
	local name=$1 out=${OUT[$1]-lost never delivered, not refused}
	local file env found leaks
	case ${out%% *} in
	captured)
		file=$T/out/$name.msg
		env=$(sm_msg_sender "${out#captured }")
		;;
	refused)
		REFUSED="$REFUSED $name"
		tap_ok "$P: $name: refused, not leaked (${out#refused })"
		return
		;;
	*)
		tap_not_ok "$P: $name: neither delivered nor refused" "${out#lost }" \
		    "$(grep -F "$name" "$SM_LOG" | tail -n 2)"
		return
		;;
	esac
	found=$(pv_check "$file" "$env")
	if printf '%s\n' "$found" | grep -q '^Received'; then
		RECEIVED_NAMES=$(( RECEIVED_NAMES + 1 ))
		found=$(printf '%s\n' "$found" | grep -v '^Received')
	fi
	leaks=$(printf '%s' "$found" | tr '\n' ',' | sed 's/,/, /g')
	if [ -z "$leaks" ]; then
		tap_ok "$P: $name: the owner's address is in no header and not in the envelope"
	else
		LEAKS="$LEAKS
$name: $leaks"
		tap_not_ok "$P: $name: the owner's address leaks in: $leaks" \
		    "$(pv_header_block "$file" | unfold | grep -vi '^Received:' |
		        grep -i -e 'real.owner' -e '=?' | head -n 6)"
	fi
}

# hdr NAME FIELD: the unfolded values of FIELD in the message as it left.
hdr() {
	[ "${OUT[$1]%% *}" = captured ] || return 1
	pv_header_block "$T/out/$1.msg" | LC_ALL=C awk -v name="$2" '
		function flush() { if (cur != "") print cur; cur = "" }
		/^[ \t]/ { if (keep) cur = cur " " substr($0, match($0, /[^ \t]/)); next }
		{
			flush()
			n = index($0, ":")
			keep = (n > 0 && tolower(substr($0, 1, n - 1)) == tolower(name))
			if (keep) { v = substr($0, n + 1); sub(/^[ \t]+/, "", v); cur = v }
		}
		END { flush() }
	'
}

decoded() {
	printf '%s' "$1" | LC_ALL=C perl -MEncode -e '
		local $/; my $v = <STDIN>;
		my $d = eval { Encode::encode("UTF-8", Encode::decode("MIME-Header", $v)) };
		print defined $d ? $d : $v;'
}

# expect NAME DESC CMD...: a structural check; skipped when not delivered.
expect() {
	local name=$1 desc=$2 out
	shift 2
	out=${OUT[$name]-}
	if [ "${out%% *}" != captured ]; then
		tap_ok "$P: $name: $desc # SKIP not delivered (${out:-missing})"
		return
	fi
	if "$@"; then
		tap_ok "$P: $name: $desc"
	else
		tap_not_ok "$P: $name: $desc" "$(hdr "$name" From | sed 's/^/From: /')"
	fi
}

is() { [ "$1" = "$2" ] || { echo "got '$1', wanted '$2'" >&2; return 1; }; }
has() { printf '%s' "$1" | grep -qiF -- "$2" || { echo "'$1' lacks '$2'" >&2; return 1; }; }
lacks_field() { [ -z "$(hdr "$1" "$2")" ]; }
envelope_is() { is "$(sm_msg_sender "${OUT[$1]#captured }")" "<$2>"; }
bodies_identical() {
	local name bad=""
	for name in $NAMES; do
		[ "${OUT[$name]%% *}" = captured ] || continue
		cmp -s <(pf_file_body_ "$CAT/$name.eml") <(pf_file_body_ "$T/out/$name.msg") ||
		    bad="$bad $name"
	done
	[ -z "$bad" ] || { echo "bodies changed:$bad" >&2; return 1; }
}
# The bytes after the first empty line of an LF message file.
pf_file_body_() {
	local hdrlen
	hdrlen=$(LC_ALL=C awk '{ n += length($0) + 1 } /^$/ { print n; found = 1; exit }
	              END { if (!found) print n + 0 }' "$1")
	tail -c +"$(( hdrlen + 1 ))" "$1"
}

structural() {
	expect 01-from-bare "From is full_name and joe's address" \
	    is "$(hdr 01-from-bare From)" "Real Owner <$joe>"
	expect 01-from-bare "Reply-To is joe's address" \
	    is "$(hdr 01-from-bare Reply-To)" "Real Owner <$joe>"
	expect 01-from-bare "envelope sender is $BOUNCE" \
	    envelope_is 01-from-bare "$BOUNCE"
	expect 02-from-display "the display name is kept" \
	    is "$(hdr 02-from-display From)" "Real Owner <$joe>"
	expect 05-from-encoded-name "the encoded display name still reads Real Öwner" \
	    has "$(decoded "$(hdr 05-from-encoded-name From)")" "Real Öwner <$joe>"
	expect 07-from-gb2312-raw "the gb2312 display name still reads 王小明 (raw or decoded)" \
	    sh -c 'printf "%s" "$1" | grep -qF "$(printf "\315\365\320\241\303\367")" ||
	        printf "%s" "$2" | grep -qF "王小明"' - \
	    "$(hdr 07-from-gb2312-raw From)" "$(decoded "$(hdr 07-from-gb2312-raw From)")"
	expect 13-to-beside-others "To keeps joe and Ann beside the chosen address" \
	    sh -c 'printf "%s" "$1" | grep -q "joe@example\.org" &&
	        printf "%s" "$1" | grep -q "ann@example\.org" &&
	        printf "%s" "$1" | grep -q "@example\.com"' - "$(hdr 13-to-beside-others To)"
	expect 14-cc-beside-others "Cc keeps Ann beside the chosen address" \
	    sh -c 'printf "%s" "$1" | grep -q "ann@example\.org" &&
	        printf "%s" "$1" | grep -q "@example\.com"' - "$(hdr 14-cc-beside-others Cc)"
	expect 11-reply-to-list "a Reply-To list becomes the chosen address" \
	    has "$(hdr 11-reply-to-list Reply-To)" "$joe"
	expect 24-autocrypt "the Autocrypt field naming the owner is gone" \
	    lacks_field 24-autocrypt Autocrypt
	expect 35-thunderbird "Thunderbird's Autocrypt is gone" \
	    lacks_field 35-thunderbird Autocrypt
	expect 25-resent-bounce "someone else's From stays as it was" \
	    is "$(hdr 25-resent-bounce From)" "Ann <ann@example.org>"
	expect 25-resent-bounce "Resent-From names a managed address" \
	    has "$(hdr 25-resent-bounce Resent-From)" "@example.com"
	expect 25-resent-bounce "envelope sender is $BOUNCE" \
	    envelope_is 25-resent-bounce "$BOUNCE"
	tap_check "$P: every delivered body is byte-identical" bodies_identical
}

guard_check() {
	local out=${OUT[$1]-lost never delivered, not refused}
	case $out in
	"refused 451 4.7.0 Message names the owner's address in X-Original-Sender; not sent")
		tap_ok "$P: $1: the leak guard refuses it, naming the field" ;;
	captured*)
		tap_not_ok "$P: $1: the leak guard refuses it, naming the field" \
		    "it was sent; leaks: $(pv_header_block "$T/out/$1.msg" |
		        pv_leaks | tr '\n' ' ')" ;;
	*)
		tap_not_ok "$P: $1: the leak guard refuses it, naming the field" "$out" ;;
	esac
}

# --- run ---------------------------------------------------------------------------

t0=$(date +%s)
send_all
tap_diag "sent $NMSG messages (and the guard's) through sendmail with aliasd ($(( $(date +%s) - t0 )) s)"

for name in $NAMES; do
	check_one "$name"
done
structural
for name in $GUARD_NAMES; do
	guard_check "$name"
done
tap_check "$P: aliasd rewrote the envelope (sendmail logged its chgfrom)" \
	sm_wait_log "Milter \(aliasd\) chgfrom: <$(echo "$BOUNCE" | sed 's/\./\\./g')>" 5
tap_check "$P: nothing left in sendmail's queue" [ "$(sm_queue_count)" -eq 0 ]

ad_stop
tap_check "aliasd logged no error" sh -c "! grep -q 'ERROR:\|fatal\|runtime error' '$AD_LOG'"
sm_stop
tap_check "no sendmail process left" [ -z "$(sm_pids)" ]

tap_diag "refused by the leak guard (not leaked):${REFUSED:- none}"
tap_diag "leaks:${LEAKS:- none}"
tap_diag "captured messages whose Received names the owner: $RECEIVED_NAMES"
tap_diag "total $(( $(date +%s) - t0 )) s"
tap_done
