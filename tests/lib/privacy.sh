# tests/lib/privacy.sh - finding the owner's address in mail that left.
#
# The owner of tests/privacy is real.owner@owner-home.test. A header
# "names the owner" when, ASCII case ignored, it shows that address in any
# spelling RFC 5322 allows for the same mailbox: as written, with a quoted
# local part ("real.owner"@owner-home.test), with comments or folding
# whitespace inside it, or once its RFC 2047 encoded words are decoded (what
# the recipient's mail client displays).
#
# Functions (bash; no shell options of their own)
#   pv_leaks            read a header block on stdin; print the name of
#                       every field but Received that names the owner, one
#                       a line (nothing when none does)
#   pv_check FILE ENV   the same for the message in FILE ("-": stdin), one
#                       process for all: also "envelope sender ENV" when ENV
#                       names the owner, and "Received (may name it)" when a
#                       Received field does (recorded, not a leak)
#   pv_names_owner TEXT true when TEXT (an envelope address, say) names
#                       the owner
#   pv_rcpts MSGFILE    the envelope recipients a client would give for a
#                       catalogue message, comma-separated: the addresses in
#                       To/Cc/Bcc (Resent-To/Cc/Bcc when the message has
#                       Resent- fields), without the owner
#   pv_subject_key      the catalogue name in the "Subject: privacy NAME"
#                       of the header block on stdin (only the header
#                       block: a bounce quotes the original's Subject)
#   pv_header_block FILE  the header block of an LF message file

PV_OWNER=real.owner@owner-home.test

# The header block read from a file handle, one unfolded field an element
# (folding whitespace kept, CRLF or LF), shared by pv_check and pv_rcpts.
_PV_PERL_FIELDS='
sub read_fields {
	my ($in) = @_;
	my (@fields, $cur);
	while (my $l = <$in>) {
		$l =~ s/\r?\n\z//;
		last if $l eq "";
		if ($l =~ /^[ \t]/ && defined $cur) { $cur .= " " . $l; next }
		push @fields, $cur if defined $cur;
		$cur = $l;
	}
	push @fields, $cur if defined $cur;
	return @fields;
}
'

# The matcher, shared by pv_leaks and pv_names_owner: a field value is
# checked as written, decoded, and both again with quotes, backslashes,
# whitespace and (non-nested) comments squeezed out.
_PV_PERL_MATCH='
use Encode ();
my $owner = "real.owner\@owner-home.test";
sub names_owner {
	my ($v) = @_;
	my @forms = ($v);
	my $d = eval { Encode::decode("MIME-Header", $v) };
	if (defined $d) {
		$d = Encode::encode("UTF-8", $d);
		push @forms, $d;
	}
	for my $f (@forms) {
		my $s = lc $f;
		return 1 if index($s, $owner) >= 0;
		1 while $s =~ s/\([^()]*\)//g;
		$s =~ s/[\s"\\]//g;
		return 1 if index($s, $owner) >= 0;
	}
	return 0;
}
'

pv_leaks() {
	pv_check - "" | grep -v '^Received'
	return 0
}

pv_check() {
	LC_ALL=C perl -e "$_PV_PERL_FIELDS$_PV_PERL_MATCH"'
		my ($file, $env) = @ARGV;
		my $in = \*STDIN;
		if ($file ne "-") { open($in, "<", $file) or die "$file: $!\n" }
		my @fields = read_fields($in);
		my %seen;
		for my $f (@fields) {
			my ($name, $value) = $f =~ /^([^:]*):(.*)\z/s or next;
			if (lc $name eq "received") {
				$seen{received} = 1, print "Received (may name it)\n"
				    if !$seen{received} && index(lc $value, $owner) >= 0;
				next;
			}
			next if $seen{lc $name};
			if (names_owner($value)) {
				$seen{lc $name} = 1;
				print "$name\n";
			}
		}
		print "envelope sender $env\n" if $env ne "" && names_owner($env);
	' "$@"
}

pv_names_owner() {
	printf '%s' "$1" | LC_ALL=C perl -e "$_PV_PERL_MATCH"'
		local $/; my $v = <STDIN>; exit(names_owner($v) ? 0 : 1);
	'
}

pv_rcpts() {
	LC_ALL=C perl -e "$_PV_PERL_FIELDS"'
		my @fields = read_fields(\*STDIN);
		my $resent = grep { /^resent-/i } @fields;
		my $want = $resent ? qr/^resent-(to|cc|bcc):/i : qr/^(to|cc|bcc):/i;
		my (%seen, @out);
		for my $f (grep { $_ =~ $want } @fields) {
			(my $v = $f) =~ s/^[^:]*://;
			1 while $v =~ s/\([^()]*\)//g;
			for my $a ($v =~ /([A-Za-z0-9._+-]+\@[A-Za-z0-9.-]+)/g) {
				$a = lc $a;
				next if $a =~ /\@owner-home\.test$/;
				push @out, $a unless $seen{$a}++;
			}
		}
		print join(",", @out), "\n";
	' <"$1"
}

pv_subject_key() {
	sed -n '/^\r\{0,1\}$/q; s/^Subject: privacy \([^ ]*\)\r\{0,1\}$/\1/p' | head -n 1
}

pv_header_block() {
	sed -n '/^\r\{0,1\}$/q; p' "$1"
}

# --- the suites' harness ------------------------------------------------------
#
# What tests/privacy/*.sh share: the checks before anything starts, the
# test directory, the owner's store and configuration, sending the
# catalogue and filing what left, and the checks on each message. The
# suite sources tests/lib/postfix.sh (its message readers serve the
# sendmail suite too), tests/lib/aliasd.sh and, for sendmail,
# tests/lib/sendmail.sh. PV_MTA is the prefix of the functions that read
# the capture sink: pf (the default) or sm.
#
#   pv_need_root WHY          "1..0 # SKIP needs root (WHY)" when not root
#   pv_need_built PROG...     "Bail out!" when PROG is not in $ALIASD_BUILD
#   pv_need_postfix TAG       "1..0 # SKIP" when pf_require fails
#   pv_tmpdir NAME            T=/tmp/aliasd-NAME.XXXXXX, removed on exit
#                             (PRIVACY_KEEP=1 keeps it) after stopping
#                             aliasd and ${PV_MTA}_cleanup
#   pv_store USER             AD_CONF, AD_SOCKDIR, AD_SOCKET, AD_LOG and
#                             CLIENT_CONF under $T; the store and socket
#                             directories owned by USER, aliasd's user
#   pv_conf                   the configuration lines every suite has
#                             (the owner, the store, USER)
#   pv_correspondents         aliasctl init; joe, ann, @shop.example and
#                             the default "general"; sets joe ann general
#   pv_pf_sendmail            $T/pf-sendmail: this Postfix's sendmail(1)
#   pv_start WHY              ad_start ("Bail out!"), ${PV_MTA}_start
#                             ("1..0 # SKIP WHY: ...")
#   pv_catalogue DIR          NAMES (DIR/catalogue), GUARD_NAMES (DIR/guard),
#                             SEND_NAMES (both), NMSG
#   pv_msgfile NAME           the file of a catalogue or guard message
#   pv_submit_all PATH ACCEPTED_ERE CMD...
#                             every message of SEND_NAMES in SMTP form
#                             through CMD... --to RCPTS -ndf --data @FILE
#                             (swaks up to --from), eight at a time;
#                             transcripts $T/tx/PATH-NAME; a transcript
#                             without ACCEPTED_ERE files a 451 4.7.0 as
#                             OUT[PATH/NAME]="refused REPLY", else "lost";
#                             PV_ACCEPTED is the count accepted
#   pv_wait_captures BEFORE N until N captures beyond BEFORE exist (30 s)
#   pv_collect PATH           file the captures not yet filed by their
#                             "Subject: privacy NAME": OUT[PATH/NAME] =
#                             "captured CAPTURE", the message in
#                             $T/out/PATH-NAME.msg
#
# OUT[PATH/NAME] is "captured CAPTURE", "printed FILE ENVELOPE", "refused
# TEXT", "skip WHY" or "lost TEXT" (neither delivered nor refused).
#
#   pv_check_one PATH NAME    the one TAP line of a (message, path): no
#                             header but Received, and not the envelope
#                             sender, names the owner; or it was refused.
#                             PV_FATE NAME (a function, optional) says why
#                             a lost message was lost
#   pv_hdr PATH NAME FIELD    the unfolded values of FIELD as it left
#   pv_expect PATH NAME DESC CMD...
#                             a structural check; ok # SKIP when the
#                             message was not delivered
#   pv_structural PATH ENV    the structural checks of the catalogue
#                             (ENV: the envelope sender 01 must have)
#   pv_bodies_identical PATH  every delivered body as it was sent
#   pv_guard_check PATH NAME PATTERN
#                             a guard message was refused: OUT matches
#                             the case PATTERN
#   pv_summary                the refusals, leaks and Received counts

PV_MTA=pf
declare -A OUT
declare -A _PV_FILED
REFUSED=""
RECEIVED_NAMES=0
LEAKS=""

pv_need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root ($1)"
		exit 0
	fi
}

pv_need_built() {
	local p
	for p in "$@"; do
		if [ ! -x "$ALIASD_BUILD/$p" ]; then
			echo "Bail out! no $ALIASD_BUILD/$p (make B=... first)"
			exit 1
		fi
	done
}

pv_need_postfix() {
	local err=${TMPDIR:-/tmp}/$1-require.$$
	if ! pf_require 2>"$err"; then
		echo "1..0 # SKIP Postfix cannot run: $(tr '\n' ' ' <"$err")"
		rm -f "$err"
		exit 0
	fi
	rm -f "$err"
}

_pv_cleanup() {
	ad_stop
	"${PV_MTA}_cleanup"
	if [ "${PRIVACY_KEEP:-0}" = 1 ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
	fi
}

pv_tmpdir() {
	T=$(mktemp -d "/tmp/aliasd-$1.XXXXXX") || exit 1
	trap _pv_cleanup EXIT
	trap 'exit 130' INT TERM
}

pv_store() {
	PV_USER=$1
	AD_CONF=$T/aliasd.conf
	AD_SOCKDIR=$T/run
	AD_SOCKET=unix:$AD_SOCKDIR/aliasd.sock
	AD_LOG=$T/aliasd.log
	CLIENT_CONF=$T/client.conf
	mkdir -p "$AD_SOCKDIR" "$T/store"
	chown "$PV_USER" "$AD_SOCKDIR" "$T/store"
}

pv_conf() {
	echo "domain = example.com"
	echo "owner = $PV_OWNER"
	echo "full_name = Real Owner"
	echo "database = $T/store/aliases.db"
	echo "socket = $AD_SOCKET"
	echo "user = $PV_USER"
	echo "trusted_networks = 127.0.0.1/32"
}

pv_correspondents() {
	aliasctl init >/dev/null || { echo "Bail out! aliasctl init failed"; exit 1; }
	joe=$(aliasctl new joe@example.org)
	ann=$(aliasctl new ann@example.org)
	aliasctl new @shop.example >/dev/null
	general=$(aliasctl new --name general)
	aliasctl default general >/dev/null
	tap_diag "joe=$joe ann=$ann default=$general"
}

pv_pf_sendmail() {
	cat >"$T/pf-sendmail" <<SH
#!/bin/sh
MAIL_CONFIG=$PF_CONF exec /usr/sbin/sendmail "\$@"
SH
	chmod 0755 "$T/pf-sendmail"
}

pv_start() {
	ad_start || { echo "Bail out! aliasd did not start"; cat "$AD_LOG"; exit 1; }
	if ! "${PV_MTA}_start" 2>"$T/$PV_MTA-start.err"; then
		echo "1..0 # SKIP $1: $(head -n 3 "$T/$PV_MTA-start.err" | tr '\n' ' ')"
		exit 0
	fi
}

# --- sending and filing ---------------------------------------------------------

pv_catalogue() {
	local f
	PV_CAT=$1/catalogue
	PV_GUARD=$1/guard
	NAMES=""
	NMSG=0
	for f in "$PV_CAT"/*.eml; do
		NAMES="$NAMES $(basename "$f" .eml)"
		NMSG=$(( NMSG + 1 ))
	done
	# Messages the leak guard must stop (a field naming the owner that
	# no rule rewrites): sent, never delivered.
	GUARD_NAMES=""
	for f in "$PV_GUARD"/*.eml; do
		[ -f "$f" ] && GUARD_NAMES="$GUARD_NAMES $(basename "$f" .eml)"
	done
	SEND_NAMES="$NAMES $GUARD_NAMES"
}

pv_msgfile() {
	if [ -f "$PV_CAT/$1.eml" ]; then
		echo "$PV_CAT/$1.eml"
	else
		echo "$PV_GUARD/$1.eml"
	fi
}

pv_submit_all() {
	local p=$1 ok=$2 name pids="" n=0 tx
	shift 2
	for name in $SEND_NAMES; do
		pf_wire_file "$(pv_msgfile "$name")" "$T/wire/$name.smtp" >/dev/null
		"$@" --to "$(pv_rcpts "$(pv_msgfile "$name")")" \
		    -ndf --data @"$T/wire/$name.smtp" >"$T/tx/$p-$name" 2>&1 &
		pids="$pids $!"
		# A few at a time: the MTA and aliasd take them in parallel.
		if [ $(( ++n % 8 )) -eq 0 ]; then
			# shellcheck disable=SC2086 # a list of PIDs
			wait $pids
			pids=""
		fi
	done
	# shellcheck disable=SC2086
	wait $pids
	PV_ACCEPTED=0
	for name in $SEND_NAMES; do
		tx=$T/tx/$p-$name
		if grep -qE "$ok" "$tx"; then
			PV_ACCEPTED=$(( PV_ACCEPTED + 1 ))
		elif grep -qE '^<\*\* +451 4\.7\.0' "$tx"; then
			OUT[$p/$name]="refused $(grep -m1 -E '^<\*\* +451' "$tx" | sed 's/^<\*\* *//')"
		else
			OUT[$p/$name]="lost $(grep -E '^(<\*\*|\*\*\*) ' "$tx" | tail -n 1)"
		fi
	done
}

_pv_new_captures() {
	[ $(( $("${PV_MTA}_capture_count") - $1 )) -ge "$2" ]
}

pv_wait_captures() {
	t_wait_until 30 _pv_new_captures "$1" "$2"
}

pv_collect() {
	local f key
	while IFS= read -r f; do
		if [ -z "$f" ] || [ -n "${_PV_FILED[$f]-}" ]; then
			continue
		fi
		_PV_FILED[$f]=1
		key=$("${PV_MTA}_msg_headers" "$f" | pv_subject_key)
		if [ -z "$key" ]; then
			tap_diag "$1: a capture that is none of the catalogue:" \
			    "$("${PV_MTA}_msg_headers" "$f" | grep -m1 '^Subject:') (sender $("${PV_MTA}_msg_sender" "$f"))"
		elif [ -n "${OUT[$1/$key]-}" ] && [ "${OUT[$1/$key]%% *}" = captured ]; then
			tap_diag "$1: $key captured twice"
		else
			OUT[$1/$key]="captured $f"
			# The message as it left, extracted once for every check.
			"${PV_MTA}_msg_message" "$f" >"$T/out/$1-$key.msg"
		fi
	done < <("${PV_MTA}_capture_files")
}

# --- the checks -----------------------------------------------------------------

# _pv_unfold: a header block on stdin, one field a line.
_pv_unfold() {
	LC_ALL=C awk '
		/^[ \t]/ { cur = cur " " substr($0, match($0, /[^ \t]/)); next }
		{ if (cur != "") print cur; cur = $0 }
		END { if (cur != "") print cur }
	'
}

pv_check_one() {
	local p=$1 name=$2 out=${OUT[$1/$2]-lost never delivered, not refused}
	local file env found leaks
	case ${out%% *} in
	captured)
		file=$T/out/$p-$name.msg
		env=$("${PV_MTA}_msg_sender" "${out#captured }")
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
		    "$("${PV_FATE:-true}" "$name")"
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
		    "$(pv_header_block "$file" | _pv_unfold | grep -vi '^Received:' |
		        grep -i -e 'real.owner' -e '=?' | head -n 6)"
	fi
}

# _pv_msg_of PATH NAME: the file of the captured or printed message; 1
# when there is none.
_pv_msg_of() {
	local out=${OUT[$1/$2]-}
	case ${out%% *} in
	captured) echo "$T/out/$1-$2.msg" ;;
	printed) echo "$out" | cut -d' ' -f2 ;;
	*) return 1 ;;
	esac
}

pv_hdr() {
	local m
	m=$(_pv_msg_of "$1" "$2") || return 1
	pv_header_block "$m" | pf_header_values "$3"
}

# _pv_decoded TEXT: RFC 2047 words decoded to UTF-8; raw bytes left as
# they are.
_pv_decoded() {
	printf '%s' "$1" | LC_ALL=C perl -MEncode -e '
		local $/; my $v = <STDIN>;
		my $d = eval { Encode::encode("UTF-8", Encode::decode("MIME-Header", $v)) };
		print defined $d ? $d : $v;'
}

pv_expect() {
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
		tap_not_ok "$p: $name: $desc" "$(pv_hdr "$p" "$name" From | sed 's/^/From: /')"
	fi
}

_pv_is() { [ "$1" = "$2" ] || { echo "got '$1', wanted '$2'" >&2; return 1; }; }
_pv_has() { printf '%s' "$1" | grep -qiF -- "$2" || { echo "'$1' lacks '$2'" >&2; return 1; }; }
_pv_lacks_field() { [ -z "$(pv_hdr "$1" "$2" "$3")" ]; }

# pv_envelope_is PATH NAME ADDRESS
pv_envelope_is() {
	local out=${OUT[$1/$2]} env
	case ${out%% *} in
	captured) env=$("${PV_MTA}_msg_sender" "${out#captured }") ;;
	printed) env="<$(echo "$out" | cut -d' ' -f3)>" ;;
	esac
	_pv_is "$env" "<$3>"
}

pv_bodies_identical() {
	local p=$1 name m bad=""
	for name in $NAMES; do
		# message-mode itself re-encodes a body it decoded (gb2312 to
		# UTF-8 base64): that is Emacs's MIME, not aliasd's doing.
		[ "$p/$name" = emacs/07-from-gb2312-raw ] && continue
		m=$(_pv_msg_of "$p" "$name") || continue
		cmp -s <(pf_file_body "$PV_CAT/$name.eml") <(pf_file_body "$m") ||
		    bad="$bad $name"
	done
	[ -z "$bad" ] || { echo "bodies changed:$bad" >&2; return 1; }
}

pv_structural() {
	local p=$1 env=$2
	pv_expect "$p" 01-from-bare "From is full_name and joe's address" \
	    _pv_is "$(pv_hdr "$p" 01-from-bare From)" "Real Owner <$joe>"
	pv_expect "$p" 01-from-bare "Reply-To is joe's address" \
	    _pv_is "$(pv_hdr "$p" 01-from-bare Reply-To)" "Real Owner <$joe>"
	pv_expect "$p" 01-from-bare "envelope sender is $env" \
	    pv_envelope_is "$p" 01-from-bare "$env"
	pv_expect "$p" 02-from-display "the display name is kept" \
	    _pv_is "$(pv_hdr "$p" 02-from-display From)" "Real Owner <$joe>"
	pv_expect "$p" 05-from-encoded-name "the encoded display name still reads Real Öwner" \
	    _pv_has "$(_pv_decoded "$(pv_hdr "$p" 05-from-encoded-name From)")" "Real Öwner <$joe>"
	pv_expect "$p" 07-from-gb2312-raw "the gb2312 display name still reads 王小明 (raw or decoded)" \
	    sh -c 'printf "%s" "$1" | grep -qF "$(printf "\315\365\320\241\303\367")" ||
	        printf "%s" "$2" | grep -qF "王小明"' - \
	    "$(pv_hdr "$p" 07-from-gb2312-raw From)" \
	    "$(_pv_decoded "$(pv_hdr "$p" 07-from-gb2312-raw From)")"
	pv_expect "$p" 13-to-beside-others "To keeps joe and Ann beside the chosen address" \
	    sh -c 'printf "%s" "$1" | grep -q "joe@example\.org" &&
	        printf "%s" "$1" | grep -q "ann@example\.org" &&
	        printf "%s" "$1" | grep -q "@example\.com"' - "$(pv_hdr "$p" 13-to-beside-others To)"
	pv_expect "$p" 14-cc-beside-others "Cc keeps Ann beside the chosen address" \
	    sh -c 'printf "%s" "$1" | grep -q "ann@example\.org" &&
	        printf "%s" "$1" | grep -q "@example\.com"' - "$(pv_hdr "$p" 14-cc-beside-others Cc)"
	pv_expect "$p" 11-reply-to-list "a Reply-To list becomes the chosen address" \
	    _pv_has "$(pv_hdr "$p" 11-reply-to-list Reply-To)" "$joe"
	pv_expect "$p" 24-autocrypt "the Autocrypt field naming the owner is gone" \
	    _pv_lacks_field "$p" 24-autocrypt Autocrypt
	pv_expect "$p" 35-thunderbird "Thunderbird's Autocrypt is gone" \
	    _pv_lacks_field "$p" 35-thunderbird Autocrypt
	pv_expect "$p" 25-resent-bounce "someone else's From stays as it was" \
	    _pv_is "$(pv_hdr "$p" 25-resent-bounce From)" "Ann <ann@example.org>"
	pv_expect "$p" 25-resent-bounce "Resent-From names a managed address" \
	    _pv_has "$(pv_hdr "$p" 25-resent-bounce Resent-From)" "@example.com"
}

pv_guard_check() {
	local out=${OUT[$1/$2]-lost never delivered, not refused}
	# shellcheck disable=SC2254 # $3 is a pattern on purpose
	case $out in
	$3)
		tap_ok "$1: $2: the leak guard refuses it, naming the field" ;;
	captured*|printed*)
		tap_not_ok "$1: $2: the leak guard refuses it, naming the field" \
		    "it was sent; leaks: $(pv_header_block "$(_pv_msg_of "$1" "$2")" |
		        pv_leaks | tr '\n' ' ')" ;;
	*)
		tap_not_ok "$1: $2: the leak guard refuses it, naming the field" "$out" ;;
	esac
}

pv_summary() {
	tap_diag "refused by the leak guard (not leaked):${REFUSED:- none}"
	tap_diag "leaks:${LEAKS:- none}"
	tap_diag "captured messages whose Received names the owner: $RECEIVED_NAMES"
}
