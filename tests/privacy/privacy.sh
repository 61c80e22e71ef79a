#!/bin/bash
# privacy.sh: the owner's address never leaves, on any path (issue 11, 1).
#
# Every message of tests/privacy/catalogue (From the owner, or Resent-From
# the owner, with the owner's mailbox in each header kind and spelling) is
# sent through each way mail leaves: aliasd as Postfix's milter on an
# authenticated submission and on Postfix's sendmail(1), alias-sendmail
# (really, and --dry-run) in front of Postfix's sendmail without the milter,
# and Emacs's message-mode with aliasd-mode on. For each (message, path) one
# TAP line: no header but Received, and not the envelope sender, names the
# owner (tests/lib/privacy.sh says what "names" means), or the message was
# refused by the leak guard (451 4.7.0 / exit 75 naming the field), which
# is not a leak but is listed at the end. Then a few structural checks.
#
# aliasd (configuration A) has bounce_address set; the client paths
# (configuration B, the same store) do not.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALIASD_TOP=${ALIASD_TOP:-$(cd "$HERE/../.." && pwd)}
ALIASD_BUILD=${ALIASD_BUILD:-$ALIASD_TOP/build}
export ALIASD_TOP ALIASD_BUILD
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"
. "$HERE/../lib/privacy.sh"

CAT=$HERE/catalogue
OWNER=$PV_OWNER
BOUNCE=bounces@example.com
PATHS="submission sendmail alias-sendmail dry-run emacs"

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (a private Postfix instance)"
	exit 0
fi
for p in aliasd aliasctl alias-sendmail; do
	if [ ! -x "$ALIASD_BUILD/$p" ]; then
		echo "Bail out! no $ALIASD_BUILD/$p (make B=... first)"
		exit 1
	fi
done
if ! pf_require 2>"${TMPDIR:-/tmp}/privacy-require.$$"; then
	echo "1..0 # SKIP Postfix cannot run: $(tr '\n' ' ' <"${TMPDIR:-/tmp}/privacy-require.$$")"
	rm -f "${TMPDIR:-/tmp}/privacy-require.$$"
	exit 0
fi
rm -f "${TMPDIR:-/tmp}/privacy-require.$$"

T=$(mktemp -d /tmp/aliasd-privacy.XXXXXX) || exit 1
# PRIVACY_KEEP=1 keeps the test directory (captures, transcripts) to look at.
cleanup() {
	ad_stop
	pf_cleanup
	if [ "${PRIVACY_KEEP:-0}" = 1 ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$T/tx" "$T/wire" "$T/out"

# --- configuration, store, Postfix ------------------------------------------

# aliasd runs as postfix, so that smtpd may use its socket; the store is
# postfix's. The client paths run as root on the same store.
AD_CONF=$T/aliasd.conf
AD_SOCKDIR=$T/run
AD_SOCKET=unix:$AD_SOCKDIR/aliasd.sock
AD_LOG=$T/aliasd.log
CLIENT_CONF=$T/client.conf
mkdir -p "$AD_SOCKDIR" "$T/store"
chown postfix "$AD_SOCKDIR" "$T/store"
conf() {	# conf: what both configurations say
	echo "domain = example.com"
	echo "owner = $OWNER"
	echo "full_name = Real Owner"
	echo "database = $T/store/aliases.db"
	echo "socket = $AD_SOCKET"
	echo "user = postfix"
	echo "trusted_networks = 127.0.0.1/32"
}
{ conf; echo "bounce_address = $BOUNCE"; } >"$AD_CONF"
{ conf; echo "sendmail_program = $T/pf-sendmail"; } >"$CLIENT_CONF"
chmod 0644 "$AD_CONF" "$CLIENT_CONF"
aliasctl init >/dev/null || { echo "Bail out! aliasctl init failed"; exit 1; }

joe=$(aliasctl new joe@example.org)
ann=$(aliasctl new ann@example.org)
aliasctl new @shop.example >/dev/null
general=$(aliasctl new --name general)
aliasctl default general >/dev/null
tap_diag "joe=$joe ann=$ann default=$general"

pf_init "$T" "$AD_SOCKET" example.com || { echo "Bail out! pf_init failed"; exit 1; }
# smtp-sink offers no SMTPUTF8, and Postfix marks mail from sendmail(1)
# with an 8-bit header as needing it before the milter has rewritten that
# header: the raw gb2312 name would bounce for a reason that is the test
# sink's. A relay that offers SMTPUTF8 would take it; so does this one now.
pf_postconf -e "smtputf8_enable = no"
# Postfix's own sendmail for this instance, for alias-sendmail and Emacs.
cat >"$T/pf-sendmail" <<SH
#!/bin/sh
MAIL_CONFIG=$PF_CONF exec /usr/sbin/sendmail "\$@"
SH
chmod 0755 "$T/pf-sendmail"
ad_start || { echo "Bail out! aliasd did not start"; cat "$AD_LOG"; exit 1; }
if ! pf_start 2>"$T/pf-start.err"; then
	echo "1..0 # SKIP Postfix cannot run: $(head -n 3 "$T/pf-start.err" | tr '\n' ' ')"
	exit 0
fi

NAMES=""
NMSG=0
for f in "$CAT"/*.eml; do
	NAMES="$NAMES $(basename "$f" .eml)"
	NMSG=$(( NMSG + 1 ))
done
# Messages the leak guard must stop (a field naming the owner that no rule
# rewrites): sent through aliasd and alias-sendmail, never delivered.
GUARD_NAMES=""
for f in "$HERE"/guard/*.eml; do
	[ -f "$f" ] && GUARD_NAMES="$GUARD_NAMES $(basename "$f" .eml)"
done
SEND_NAMES="$NAMES $GUARD_NAMES"

# msgfile NAME: the file of a catalogue or guard message.
msgfile() {
	if [ -f "$CAT/$1.eml" ]; then
		echo "$CAT/$1.eml"
	else
		echo "$HERE/guard/$1.eml"
	fi
}

# OUT[path/name]: "captured FILE", "printed FILE ENVELOPE", "refused TEXT"
# or "lost TEXT" (neither delivered nor refused by the guard).
declare -A OUT
declare -A SEEN

# collect PATH: file the captures that are new since the last collect under
# PATH by their "Subject: privacy NAME".
collect() {
	local f key
	while IFS= read -r f; do
		if [ -z "$f" ] || [ -n "${SEEN[$f]-}" ]; then
			continue
		fi
		SEEN[$f]=1
		key=$(pf_msg_headers "$f" | pv_subject_key)
		if [ -z "$key" ]; then
			tap_diag "$1: a capture that is none of the catalogue:" \
			    "$(pf_msg_headers "$f" | grep -m1 '^Subject:') (sender $(pf_msg_sender "$f"))"
		elif [ -n "${OUT[$1/$key]-}" ] && [ "${OUT[$1/$key]%% *}" = captured ]; then
			tap_diag "$1: $key captured twice"
		else
			OUT[$1/$key]="captured $f"
			# The message as it left, extracted once for every check.
			pf_msg_message "$f" >"$T/out/$1-$key.msg"
		fi
	done < <(pf_capture_files)
}

_count_new_captures() {
	local n
	n=$(pf_capture_count)
	[ $(( n - $1 )) -ge "$2" ]
}

# wait_captures BEFORE N: until N captures beyond BEFORE exist (30 s).
wait_captures() {
	t_wait_until 30 _count_new_captures "$1" "$2"
}

# --- path 1: the milter on an authenticated submission ----------------------

path_submission() {
	local name pids="" n=0 before rcpts
	before=$(pf_capture_count)
	for name in $SEND_NAMES; do
		rcpts=$(pv_rcpts "$(msgfile "$name")")
		pf_wire_file "$(msgfile "$name")" "$T/wire/$name.smtp" >/dev/null
		# SASL from an address outside trusted_networks: outbound by
		# authentication (and daemon_name), as a mail client submits.
		pf_swaks_sub --local-interface 127.0.0.2 --from "$OWNER" \
		    --to "$rcpts" -ndf --data @"$T/wire/$name.smtp" \
		    >"$T/tx/submission-$name" 2>&1 &
		pids="$pids $!"
		# A few at a time: Postfix and aliasd take them in parallel.
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
		local tx=$T/tx/submission-$name
		if grep -qE '^<- +250 .*queued as' "$tx"; then
			n=$(( n + 1 ))
		elif grep -qE '^<\*\* +451 4\.7\.0' "$tx"; then
			OUT[submission/$name]="refused $(grep -m1 -E '^<\*\* +451' "$tx" | sed 's/^<\*\* *//')"
		else
			OUT[submission/$name]="lost $(grep -E '^(<\*\*|\*\*\*) ' "$tx" | tail -n 1)"
		fi
	done
	wait_captures "$before" "$n" || tap_diag "submission: fewer captures than accepted messages"
	collect submission
}

# --- path 2: the milter on Postfix's sendmail(1) (non_smtpd_milters) --------

# Names of the messages the milter refused in pickup: cleanup logs
# "QID: message-id=<NAME.privacy@client.test>" and, on refusal,
# "QID: milter-reject: END-OF-MESSAGE ...". Prints "NAME<TAB>reply".
sendmail_refused() {
	tail -n +"$SENDMAIL_LOG_FROM" "$PF_LOG" | LC_ALL=C awk '
		/: message-id=<[^>]*\.privacy@client\.test>/ {
			qid = $0; sub(/: message-id=.*/, "", qid); sub(/.* /, "", qid)
			id = $0; sub(/.*message-id=</, "", id); sub(/\.privacy@client\.test>.*/, "", id)
			name[qid] = id
		}
		/milter-reject: END-OF-MESSAGE/ {
			qid = $0; sub(/: milter-reject:.*/, "", qid); sub(/.* /, "", qid)
			why = $0; sub(/.*END-OF-MESSAGE from [^:]*: /, "", why); sub(/; from=<.*/, "", why)
			if (qid in name && !(name[qid] in done)) { print name[qid] "\t" why; done[name[qid]] = 1 }
		}
	'
}

_sendmail_all_done() {
	local captured refused
	captured=$(( $(pf_capture_count) - $1 ))
	refused=$(sendmail_refused | wc -l)
	[ $(( captured + refused )) -ge "$2" ]
}

path_sendmail() {
	local name before n=0 rc name_why
	before=$(pf_capture_count)
	SENDMAIL_LOG_FROM=$(( $(wc -l <"$PF_LOG") + 1 ))
	for name in $SEND_NAMES; do
		# As mail clients call it: recipients from the headers.
		pf_sendmail -t -oi -f "$OWNER" <"$(msgfile "$name")" \
		    >"$T/tx/sendmail-$name" 2>&1
		rc=$?
		if [ "$rc" -ne 0 ]; then
			OUT[sendmail/$name]="lost sendmail exit $rc: $(head -n 1 "$T/tx/sendmail-$name")"
		else
			n=$(( n + 1 ))
		fi
	done
	t_wait_until 30 _sendmail_all_done "$before" "$n" ||
	    tap_diag "sendmail: not every message was delivered or refused within 30 s"
	while IFS=$'\t' read -r name name_why; do
		[ -n "$name" ] && OUT[sendmail/$name]="refused $name_why"
	done < <(sendmail_refused)
	collect sendmail
	# pickup keeps a message the milter tempfailed in the maildrop and
	# tries it again; once the milter is off it would leave unrewritten
	# and be taken for a later path's. This is the test's own queue.
	find "$PF_QUEUE/maildrop" -type f -delete 2>/dev/null
}

# --- path 3: alias-sendmail, really and --dry-run ---------------------------

path_alias_sendmail() {
	local name before n=0 rc
	before=$(pf_capture_count)
	for name in $SEND_NAMES; do
		ALIASD_CONF=$CLIENT_CONF "$ALIASD_BUILD/alias-sendmail" -t -oi \
		    -f "$OWNER" <"$(msgfile "$name")" >"$T/tx/as-$name" 2>&1
		rc=$?
		case $rc in
		0) n=$(( n + 1 )) ;;
		75) OUT[alias-sendmail/$name]="refused exit 75: $(head -n 1 "$T/tx/as-$name")" ;;
		*) OUT[alias-sendmail/$name]="lost exit $rc: $(head -n 1 "$T/tx/as-$name")" ;;
		esac
	done
	wait_captures "$before" "$n" || tap_diag "alias-sendmail: fewer captures than messages sent"
	collect alias-sendmail
}

path_dry_run() {
	local name rc env
	for name in $SEND_NAMES; do
		ALIASD_CONF=$CLIENT_CONF "$ALIASD_BUILD/alias-sendmail" --dry-run \
		    -t -oi -f "$OWNER" <"$(msgfile "$name")" \
		    >"$T/out/dry-$name" 2>"$T/tx/dry-$name"
		rc=$?
		case $rc in
		0)
			# "alias-sendmail: would run: PROG -f ADDR ..."
			env=$(sed -n 's/.*would run: .* -f \([^ ]*\).*/\1/p' "$T/tx/dry-$name")
			OUT[dry-run/$name]="printed $T/out/dry-$name ${env:-none}" ;;
		75) OUT[dry-run/$name]="refused exit 75: $(head -n 1 "$T/tx/dry-$name")" ;;
		*) OUT[dry-run/$name]="lost exit $rc: $(head -n 1 "$T/tx/dry-$name")" ;;
		esac
	done
}

# --- path 4: Emacs, message-mode with aliasd-mode ---------------------------

# What a user of contrib/emacs has: aliasd-mode rewriting in Emacs, and the
# system's sendmail (here the private Postfix's, without the milter: a
# laptop whose MTA knows nothing of aliasd) doing the rest.
path_emacs() {
	local name before n=0 line files=""
	if ! command -v emacs >/dev/null 2>&1; then
		for name in $NAMES; do
			OUT[emacs/$name]="skip emacs is not installed"
		done
		return
	fi
	before=$(pf_capture_count)
	for name in $NAMES; do
		files="$files $CAT/$name.eml"
	done
	# Emacs finds aliasctl through PATH, as the README asks; no user's
	# init files (-Q) and no terminal.
	# shellcheck disable=SC2086
	HOME=$T TERM=dumb PATH="$ALIASD_BUILD:$PATH" ALIASD_CONF=$CLIENT_CONF \
	    timeout 120 emacs --batch -Q -L "$ALIASD_TOP/contrib/emacs" \
	    -l "$HERE/send.el" -f privacy-send-all \
	    "$CLIENT_CONF" "$T/pf-sendmail" "" $files \
	    >"$T/tx/emacs" 2>"$T/tx/emacs.err"
	while IFS= read -r line; do
		case $line in
		"sent "*) n=$(( n + 1 )) ;;
		"error "*)
			name=${line#error }
			name=${name%%:*}
			case $line in
			*"owner's address"*) OUT[emacs/$name]="refused Emacs: ${line#*: }" ;;
			*) OUT[emacs/$name]="lost Emacs: ${line#*: }" ;;
			esac ;;
		esac
	done <"$T/tx/emacs"
	wait_captures "$before" "$n" || tap_diag "emacs: fewer captures than messages sent"
	collect emacs
}

# --- the checks -------------------------------------------------------------

REFUSED=""
RECEIVED_NAMES=0
LEAKS=""

# unfold: a header block on stdin, one field a line.
unfold() {
	LC_ALL=C awk '
		/^[ \t]/ { cur = cur " " substr($0, match($0, /[^ \t]/)); next }
		{ if (cur != "") print cur; cur = $0 }
		END { if (cur != "") print cur }
	'
}

# postfix_fate NAME: what Postfix last logged about catalogue message NAME
# (a bounce, a deferral), to tell why it was not captured.
postfix_fate() {
	local qid
	for qid in $(grep -F "message-id=<$1.privacy@client.test>" "$PF_LOG" |
	    sed 's/.*: \([0-9A-F]*\): message-id=.*/\1/'); do
		grep -F "$qid: " "$PF_LOG" |
		    grep -E 'status=(bounced|deferred|expired)|reject|warning' | tail -n 1
	done
}

# check_one PATH NAME: the one TAP line of a (message, path).
check_one() {
	local p=$1 name=$2 out=${OUT[$1/$2]-lost never delivered, not refused}
	local file env found leaks
	case ${out%% *} in
	captured)
		file=$T/out/$p-$name.msg
		env=$(pf_msg_sender "${out#captured }")
		;;
	printed)
		file=$(echo "$out" | cut -d' ' -f2)
		env=$(echo "$out" | cut -d' ' -f3)
		;;
	refused)
		REFUSED="$REFUSED $p/$name"
		tap_ok "$p: $name: refused, not leaked (${out#refused })"
		return
		;;
	skip)
		tap_ok "$p: $name # SKIP ${out#skip }"
		return
		;;
	*)
		tap_not_ok "$p: $name: neither delivered nor refused" "${out#lost }" \
		    "$(postfix_fate "$name")"
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
		tap_ok "$p: $name: the owner's address is in no header and not in the envelope"
	else
		LEAKS="$LEAKS
$p $name: $leaks"
		tap_not_ok "$p: $name: the owner's address leaks in: $leaks" \
		    "$(pv_header_block "$file" | unfold | grep -vi '^Received:' |
		        grep -i -e 'real.owner' -e '=?' | head -n 6)"
	fi
}

# The captured or printed message of PATH/NAME: print its file; 1 when none.
msg_of() {
	local out=${OUT[$1/$2]-}
	case ${out%% *} in
	captured) echo "$T/out/$1-$2.msg" ;;
	printed) echo "$out" | cut -d' ' -f2 ;;
	*) return 1 ;;
	esac
}

# hdr PATH NAME FIELD: the unfolded values of FIELD in that message.
hdr() {
	local m
	m=$(msg_of "$1" "$2") || return 1
	pv_header_block "$m" | LC_ALL=C awk -v name="$3" '
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

# decoded TEXT: RFC 2047 words decoded to UTF-8; raw bytes left as they are.
decoded() {
	printf '%s' "$1" | LC_ALL=C perl -MEncode -e '
		local $/; my $v = <STDIN>;
		my $d = eval { Encode::encode("UTF-8", Encode::decode("MIME-Header", $v)) };
		print defined $d ? $d : $v;'
}

# expect PATH NAME DESC CMD...: a structural check on a delivered message;
# skipped (ok # SKIP) when the message was refused or is missing.
expect() {
	local p=$1 name=$2 desc=$3 out
	shift 3
	out=${OUT[$p/$name]-}
	case ${out%% *} in
	captured|printed) ;;
	*)
		tap_ok "$p: $name: $desc # SKIP not delivered (${out:-missing})"
		return
		;;
	esac
	if "$@"; then
		tap_ok "$p: $name: $desc"
	else
		tap_not_ok "$p: $name: $desc" "$(hdr "$p" "$name" From | sed 's/^/From: /')"
	fi
}

is() { [ "$1" = "$2" ] || { echo "got '$1', wanted '$2'" >&2; return 1; }; }
has() { printf '%s' "$1" | grep -qiF -- "$2" || { echo "'$1' lacks '$2'" >&2; return 1; }; }
lacks_field() { [ -z "$(hdr "$1" "$2" "$3")" ]; }
envelope_is() {
	local out=${OUT[$1/$2]} env
	case ${out%% *} in
	captured) env=$(pf_msg_sender "${out#captured }") ;;
	printed) env="<$(echo "$out" | cut -d' ' -f3)>" ;;
	esac
	is "$env" "<$3>"
}
bodies_identical() {	# bodies_identical PATH: every delivered body as sent
	local p=$1 name m bad=""
	for name in $NAMES; do
		# message-mode itself re-encodes a body it decoded (gb2312 to
		# UTF-8 base64): that is Emacs's MIME, not aliasd's doing.
		[ "$p/$name" = emacs/07-from-gb2312-raw ] && continue
		m=$(msg_of "$p" "$name") || continue
		cmp -s <(pf_file_body "$CAT/$name.eml") <(pf_file_body "$m") ||
		    bad="$bad $name"
	done
	[ -z "$bad" ] || { echo "bodies changed:$bad" >&2; return 1; }
}

structural() {	# structural PATH
	local p=$1 chosen_env
	expect "$p" 01-from-bare "From is full_name and joe's address" \
	    is "$(hdr "$p" 01-from-bare From)" "Real Owner <$joe>"
	expect "$p" 01-from-bare "Reply-To is joe's address" \
	    is "$(hdr "$p" 01-from-bare Reply-To)" "Real Owner <$joe>"
	case $p in
	submission|sendmail) chosen_env=$BOUNCE ;;
	*) chosen_env=$joe ;;
	esac
	expect "$p" 01-from-bare "envelope sender is $chosen_env" \
	    envelope_is "$p" 01-from-bare "$chosen_env"
	expect "$p" 02-from-display "the display name is kept" \
	    is "$(hdr "$p" 02-from-display From)" "Real Owner <$joe>"
	expect "$p" 05-from-encoded-name "the encoded display name still reads Real Öwner" \
	    has "$(decoded "$(hdr "$p" 05-from-encoded-name From)")" "Real Öwner <$joe>"
	expect "$p" 07-from-gb2312-raw "the gb2312 display name still reads 王小明 (raw or decoded)" \
	    sh -c 'v=$1; printf "%s" "$v" | grep -qF "$(printf "\315\365\320\241\303\367")" ||
	        printf "%s" "$2" | grep -qF "王小明"' - \
	    "$(hdr "$p" 07-from-gb2312-raw From)" "$(decoded "$(hdr "$p" 07-from-gb2312-raw From)")"
	expect "$p" 13-to-beside-others "To keeps joe and Ann beside the chosen address" \
	    sh -c 'printf "%s" "$1" | grep -q "joe@example\.org" &&
	        printf "%s" "$1" | grep -q "ann@example\.org" &&
	        printf "%s" "$1" | grep -q "@example\.com"' - "$(hdr "$p" 13-to-beside-others To)"
	expect "$p" 14-cc-beside-others "Cc keeps Ann beside the chosen address" \
	    sh -c 'printf "%s" "$1" | grep -q "ann@example\.org" &&
	        printf "%s" "$1" | grep -q "@example\.com"' - "$(hdr "$p" 14-cc-beside-others Cc)"
	expect "$p" 11-reply-to-list "a Reply-To list becomes the chosen address" \
	    has "$(hdr "$p" 11-reply-to-list Reply-To)" "$joe"
	expect "$p" 24-autocrypt "the Autocrypt field naming the owner is gone" \
	    lacks_field "$p" 24-autocrypt Autocrypt
	expect "$p" 35-thunderbird "Thunderbird's Autocrypt is gone" \
	    lacks_field "$p" 35-thunderbird Autocrypt
	expect "$p" 25-resent-bounce "someone else's From stays as it was" \
	    is "$(hdr "$p" 25-resent-bounce From)" "Ann <ann@example.org>"
	expect "$p" 25-resent-bounce "Resent-From names a managed address" \
	    has "$(hdr "$p" 25-resent-bounce Resent-From)" "@example.com"
	local but=""
	[ "$p" = emacs ] && but=" (but 07, MIME-encoded by message-mode)"
	tap_check "$p: every delivered body is byte-identical$but" bodies_identical "$p"
}

# guard_check PATH NAME: a guard message was refused, naming its field.
guard_check() {
	local out=${OUT[$1/$2]-lost never delivered, not refused}
	case $out in
	"refused "*X-Original-Sender*)
		tap_ok "$1: $2: the leak guard refuses it, naming the field" ;;
	captured*|printed*)
		tap_not_ok "$1: $2: the leak guard refuses it, naming the field" \
		    "it was sent; leaks: $(pv_header_block "$(msg_of "$1" "$2")" |
		        pv_leaks | tr '\n' ' ')" ;;
	*)
		tap_not_ok "$1: $2: the leak guard refuses it, naming the field" "$out" ;;
	esac
}

# --- run --------------------------------------------------------------------

t0=$(date +%s)
path_submission
path_sendmail
# The client paths alone: Postfix without the milter.
pf_set_milter "" || tap_diag "could not turn the milter off"
path_alias_sendmail
path_dry_run
path_emacs
tap_diag "sent $NMSG messages through each of: $PATHS ($(( $(date +%s) - t0 )) s)"
t0=$(date +%s)

for p in $PATHS; do
	for name in $NAMES; do
		check_one "$p" "$name"
	done
done
for p in $PATHS; do
	structural "$p"
done
for p in submission sendmail alias-sendmail dry-run; do
	for name in $GUARD_NAMES; do
		guard_check "$p" "$name"
	done
done

tap_diag "checked in $(( $(date +%s) - t0 )) s"

ad_stop
tap_check "aliasd logged no error" sh -c "! grep -q 'ERROR:\|fatal\|runtime error' '$AD_LOG'"

tap_diag "refused by the leak guard (not leaked):${REFUSED:- none}"
tap_diag "leaks:${LEAKS:- none}"
tap_diag "captured messages whose Received names the owner: $RECEIVED_NAMES"
tap_done
