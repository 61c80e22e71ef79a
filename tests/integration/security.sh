#!/bin/bash
# security.sh: what an outsider, another local user or the daemon's own
# user can learn or do (issue 5, "Security").
#
#  1. Modes: aliasctl init as root makes the store 0600 in a 0700
#     directory owned by `user`, and a starter configuration 0640
#     root:<user's group> (0600 when the user does not exist); an
#     unprivileged user reads neither.  SQLite's -wal and -shm files get
#     the store's mode and owner whoever made them, aliasd or root.
#  2. An untrusted client (127.0.0.2) probing every address in the store,
#     near misses of the random part, correspondents' local parts at our
#     domain, VRFY, EXPN, XCLIENT and MAIL FROM AUTH=: no SMTP reply names
#     a correspondent or the owner, and its mail is never rewritten.
#  3. Outbound, by every path (SASL, daemon_name, trusted network,
#     alias-sendmail through Postfix's sendmail): no delivered header
#     names the owner's real address, and From, Reply-To, Sender and the
#     envelope never name a correspondent.
#  4. File handling of aliasctl and alias-sendmail: export -o onto a
#     symlink, the modes of exported maps, -wal/-shm links planted by the
#     store's owner, an unreadable configuration.
#
# Checked elsewhere, not repeated here: the socket's owner and mode, the
# daemon's /proc Uid and Groups (aliasd_daemon.sh); From: owner from an
# untrusted client keeps its From (postfix_aliasd.sh); no SQL is built
# with printf (tests/cli/sql_lint.sh).
# tests/run.sh never runs two suites holding the same lock at once: this
# one looks for a user aliasd, which deb.sh adds and removes.
# run-lock: users
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (file modes, other users, Postfix)"
	exit 0
fi
T=$(mktemp -d /tmp/aliasd-sec.XXXXXX) || exit 1
chmod 0755 "$T"	# so that failures of other users are the files' doing
locker=""
cleanup() { t_kill_pid "$locker"; ad_stop; pf_cleanup; [ -n "${KEEP_T:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

pf_require || { echo "Bail out! postfix or swaks missing"; exit 1; }
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
as_postfix() { setpriv --reuid=postfix --regid="$(id -g postfix)" --clear-groups -- "$@"; }
pgroup=$(id -gn postfix)
mode_of() { stat -c '%a %U %G' "$1" 2>&1; }
lacks() { ! grep -q "$1" <<<"$2"; }	# lacks PATTERN TEXT
is() {	# is DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then tap_ok "$1"; else tap_not_ok "$1" "got:  $2" "want: $3"; fi
}

# 1. Modes ---------------------------------------------------------------
M="$T/m"
mkdir -p "$M"
cat >"$M/aliasd.conf" <<EOF
domain = example.com
owner = me@example.net
database = $M/lib/aliasd/aliases.db
user = postfix
EOF
"$AD_CTL" -c "$M/aliasd.conf" init >/dev/null 2>"$T/err"
tap_check "init as root with user = postfix" [ $? -eq 0 ]
is "the store is 0600, owned by the configured user" \
    "$(mode_of "$M/lib/aliasd/aliases.db")" "600 postfix $pgroup"
is "its directory is 0700, owned by the configured user" \
    "$(mode_of "$M/lib/aliasd")" "700 postfix $pgroup"
out=$(as_nobody cat "$M/lib/aliasd/aliases.db" 2>&1)
rc=$?
tap_check "another user cannot cat the store ($out)" [ $rc -ne 0 ]
out=$(as_nobody sqlite3 "$M/lib/aliasd/aliases.db" "SELECT count(*) FROM address" 2>&1)
rc=$?
tap_check "another user cannot read it with sqlite3 ($out)" \
    sh -c '[ "$1" -ne 0 ] && ! printf "%s" "$2" | grep -qx "[0-9]*"' - "$rc" "$out"

# The starter configuration, written by init where -c points.  For root
# it names /var/lib/aliasd/aliases.db and the user aliasd: run in a mount
# namespace with a tmpfs on /var/lib (and, for the case with the user, a
# passwd and group that have aliasd), so nothing of the system changes.
ns_init() {	# ns_init DIR WITH_USER: prints modes and what nobody read
	mkdir -p "$1/conf"
	chmod 0755 "$1" "$1/conf"
	unshare --mount --propagation private -- bash -c '
		dir=$1 with=$2 ctl=$3
		mount -t tmpfs -o mode=0755 tmpfs /var/lib || exit 90
		if [ "$with" = yes ]; then
			cp /etc/passwd "$dir/passwd" && cp /etc/group "$dir/group"
			echo "aliasd:x:64999:64999::/nonexistent:/usr/sbin/nologin" >>"$dir/passwd"
			echo "aliasd:x:64999:" >>"$dir/group"
			mount --bind "$dir/passwd" /etc/passwd &&
			    mount --bind "$dir/group" /etc/group || exit 90
		fi
		env -u ALIASD_CONF "$ctl" -c "$dir/conf/aliasd.conf" init \
		    --domain example.com >"$dir/init.out" 2>&1 || exit 91
		echo "config $(stat -c "%a %U %G" "$dir/conf/aliasd.conf")"
		echo "dir $(stat -c "%a %U %G" /var/lib/aliasd)"
		echo "store $(stat -c "%a %U %G" /var/lib/aliasd/aliases.db)"
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		    cat "$dir/conf/aliasd.conf" >/dev/null 2>&1 && echo "nobody reads"
		if [ "$with" = yes ]; then
			setpriv --reuid=nobody --regid=64999 --clear-groups -- \
			    cat "$dir/conf/aliasd.conf" >/dev/null 2>&1 && echo "group reads"
		fi
		exit 0
	' - "$1" "$2" "$AD_CTL"
}
if ! unshare --mount --propagation private -- true 2>/dev/null; then
	tap_ok "# SKIP init's starter configuration: no mount namespaces here"
elif getent passwd aliasd >/dev/null || getent passwd 64999 >/dev/null ||
    getent group 64999 >/dev/null; then
	tap_ok "# SKIP init's starter configuration: aliasd or uid 64999 exists on this machine"
else
	out=$(ns_init "$T/ns1" no)
	rc=$?
	is "starter configuration without user aliasd: 0600 root's (rc $rc)" \
	    "$(grep '^config' <<<"$out")" "config 600 root root"
	is "and the store stays root's, 0600 in a 0700 directory" \
	    "$(grep '^dir\|^store' <<<"$out" | tr '\n' ' ')" "dir 700 root root store 600 root root "
	tap_check "nobody cannot read that configuration" lacks "nobody reads" "$out"
	out=$(ns_init "$T/ns2" yes)
	rc=$?
	is "starter configuration with user aliasd: 0640 root:aliasd (rc $rc)" \
	    "$(grep '^config' <<<"$out")" "config 640 root aliasd"
	is "the store is aliasd's, 0600 in a 0700 directory" \
	    "$(grep '^dir\|^store' <<<"$out" | tr '\n' ' ')" "dir 700 aliasd aliasd store 600 aliasd aliasd "
	tap_check "nobody cannot read that configuration" lacks "nobody reads" "$out"
	tap_check "the daemon's group can (it rereads the file on SIGHUP)" grep -q "group reads" <<<"$out"
fi

# 2. An untrusted client probing -------------------------------------------
# The harvest guard would answer most of this probe 451 4.7.1 (harvest.sh
# tests that); off here, so that the text of every refusal is checked.
ad_setup example.com postfix <<'CONF'
bounce_address = bounces@example.com
harvest_limit = 0
CONF
pf_init "$T" "$AD_SOCKET" example.com
pf_postconf -e "relay_domains = example.com"
ad_start || { echo "Bail out! aliasd did not start"; cat "$AD_LOG"; exit 1; }
pf_start || { echo "Bail out! postfix did not start"; exit 1; }
DB="$T/store/aliases.db"

joe=$(aliasctl new joe@example.org)
old=$(aliasctl new joe-old@example.org)
aliasctl retire "$old" --reason "Spammers found this address" >/dev/null
temp=$(aliasctl new --expires 1h temp@example.org)
shop=$(aliasctl new @shop.example)
default=$(aliasctl new --name general)
aliasctl default general >/dev/null
aliasctl new --name expiring --expires 1h >/dev/null
# Expire temp now: past its expiry time, as time passing would.
sqlite3 "$DB" "UPDATE address SET expires = 1000 WHERE local = '${temp%@*}'"

# What must never be said to an outsider: the correspondents, the owner.
SECRETS='joe@example\.org|joe-old@example\.org|temp@example\.org|example\.org|shop\.example|me@example\.net|example\.net'
# Server lines only: a transcript also shows what we sent.
leaks_in_replies() {	# FILE...: print reply lines naming a secret
	grep -hE '^(<-|<\*\*|<~) ' "$@" | grep -iE "$SECRETS"
}

# smtp_session FILE: a raw SMTP client from 127.0.0.2 (swaks has no VRFY,
# EXPN or XCLIENT); commands one a line on stdin, DATA followed by the
# message up to a line "."; the transcript in swaks' notation to FILE.
smtp_session() {
	perl -MIO::Socket::INET -e '
		my ($port, $out) = @ARGV;
		open(my $log, ">", $out) or die "$out: $!";
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
		    PeerPort => $port, LocalAddr => "127.0.0.2",
		    Timeout => 20) or die "connect: $!";
		$SIG{ALRM} = sub { print $log "<** timeout\n"; exit 1 };
		sub reply {
			my $code;
			alarm 20;
			while (my $l = <$s>) {
				$l =~ s/\r?\n$//;
				print $log (($l =~ /^[45]/ ? "<** " : "<- ") . $l . "\n");
				$code = substr($l, 0, 3);
				last if substr($l, 3, 1) ne "-";
			}
			alarm 0;
			return $code // "";
		}
		reply();
		my @lines = <STDIN>;
		while (defined(my $c = shift @lines)) {
			chomp $c;
			print $log "-> $c\n";
			print $s "$c\r\n";
			my $code = reply();
			if (uc($c) eq "DATA") {
				while (defined(my $m = shift @lines)) {
					chomp $m;
					print $s "$m\r\n";
					last if $m eq ".";
				}
				next if $code ne "354";
				print $log "-> (message)\n";
				reply();
			}
		}
		close $s;
	' "$PF_PORT_IN" "$1"
}

# Near misses of joe's address: every other character in either place
# of the random part, the shorter and longer forms, the bare sequence.
L=${joe%@*}
rnd=${L##*-}
base=${L%-*}
alphabet=abcdefghijkmnpqrstuvwxyz23456789
near=()
for ((i = 0; i < ${#alphabet}; i++)); do
	ch=${alphabet:i:1}
	[ "$ch" != "${rnd:0:1}" ] && near+=("$base-$ch${rnd:1}@example.com")
	[ "$ch" != "${rnd:1:1}" ] && near+=("$base-${rnd:0:1}$ch@example.com")
done
near+=("$base-aa@example.com" "$base-zz@example.com" "$base@example.com"
    "$base-@example.com" "$base-${rnd:0:1}@example.com" "${L}x@example.com"
    "${L}-@example.com" "$L.@example.com" "mail-0001-aa@example.com")
# Correspondents' own local parts (and the owner's) at our domain.
theirs=(joe@example.com joe-old@example.com temp@example.com
    orders@example.com shop@example.com me@example.com)
all_known=("$joe" "$old" "$temp" "$shop" "$default")
{
	echo "EHLO prober.test"
	for a in "${all_known[@]}" "${theirs[@]}" mail-9999-zz@example.com; do
		echo "VRFY <$a>"
		echo "EXPN <$a>"
	done
	echo "VRFY ${joe%@*}"
	echo "VRFY joe"
	echo "EXPN joe"
	echo "XCLIENT ADDR=127.0.0.1 NAME=localhost"
	echo "MAIL FROM:<someone@spam.example>"
	for a in "${all_known[@]}" "${near[@]}" "${theirs[@]}"; do
		echo "RCPT TO:<$a>"
	done
	echo "RSET"
	echo "QUIT"
} | smtp_session "$T/probe.tx"
tap_check "the probing session ran to QUIT" grep -q '^<- 221' "$T/probe.tx"

rcpt_reply() {	# the reply to RCPT TO:<$1>
	awk -v c="-> RCPT TO:<$1>" 'found { print; exit } $0 == c { found = 1 }' "$T/probe.tx"
}
vrfy_code() { awk -v c="-> VRFY <$1>" 'found { print $2; exit } $0 == c { found = 1 }' "$T/probe.tx"; }
is "RCPT to an active address: 250" "$(rcpt_reply "$joe" | cut -c1-6)" "<- 250"
is "RCPT to the named default: 250" "$(rcpt_reply "$default" | cut -c1-6)" "<- 250"
is "RCPT to the domain correspondent's address: 250" "$(rcpt_reply "$shop" | cut -c1-6)" "<- 250"
is "RCPT to a retired address: its reason, nothing more" "$(rcpt_reply "$old")" \
    "<** 550 5.1.1 <$old>: Recipient address rejected: Spammers found this address"
is "RCPT to an expired address: address expired" "$(rcpt_reply "$temp")" \
    "<** 550 5.1.1 <$temp>: Recipient address rejected: address expired"
bad=0
for a in "${near[@]}"; do
	r=$(rcpt_reply "$a")
	# A malformed one is shown as it came, brackets and all.
	case "$r" in
	"<** 550 5.1.1 <$a>: Recipient address rejected: no such user" | \
	"<** 550 5.1.1 <<$a>>: Recipient address rejected: no such user") ;;
	*)
		bad=$((bad + 1))
		tap_diag "$a: $r"
		;;
	esac
done
tap_check "${#near[@]} near misses of $L (the random part wrong, cut short, extended): all 'no such user'" [ "$bad" -eq 0 ]
bad=0
for a in "${theirs[@]}"; do
	r=$(rcpt_reply "$a")
	if [ "$r" != "<** 550 5.1.1 <$a>: Recipient address rejected: no such user" ]; then
		bad=$((bad + 1))
		tap_diag "$a: $r"
	fi
done
tap_check "correspondents' and the owner's local parts at our domain: 'no such user'" [ "$bad" -eq 0 ]
tap_check "aliasd judged them (milter-reject logged for a near miss)" \
    pf_wait_log "milter-reject: RCPT from .*<$base-aa@example.com>: Recipient address rejected: no such user" 5
is "VRFY is no oracle: active and unknown get the same code" \
    "$(vrfy_code "$joe") $(vrfy_code "$old") $(vrfy_code "$temp")" \
    "$(vrfy_code mail-9999-zz@example.com) $(vrfy_code mail-9999-zz@example.com) $(vrfy_code mail-9999-zz@example.com)"
tap_diag "VRFY answers: $(vrfy_code "$joe") (Postfix, disable_vrfy_command = $(pf_postconf -h disable_vrfy_command))"
tap_check "XCLIENT from an outsider is refused" \
    sh -c "grep -A1 '^-> XCLIENT' '$T/probe.tx' | grep -q '^<\*\* 5'"

# Mail from the outsider claiming to be the owner: headers the owner's
# mail would have rewritten, and AUTH= on MAIL FROM.
before=$(pf_capture_count)
{
	echo "EHLO prober.test"
	echo "MAIL FROM:<me@example.net> AUTH=<me@example.net>"
	echo "RCPT TO:<$joe>"
	echo "DATA"
	echo "From: Me Myself <me@example.net>"
	echo "Reply-To: me@example.net"
	echo "Sender: me@example.net"
	echo "To: <$joe>"
	echo "Subject: claims to be the owner"
	echo ""
	echo "hello"
	echo "."
	echo "QUIT"
} | smtp_session "$T/forged.tx"
tap_check "forged owner mail with AUTH=<owner> is accepted as inbound" grep -q '^<- 250 .*queued as' "$T/forged.tx"
tap_check "captured ($((before + 1)) messages)" pf_wait_captured $((before + 1)) 30
f=$(pf_capture_last)
is "its Reply-To is left alone (not the alias)" "$(pf_msg_header "$f" Reply-To)" "me@example.net"
is "its Sender is left alone" "$(pf_msg_header "$f" Sender)" "me@example.net"
is "its envelope sender is left alone" "$(pf_msg_sender "$f")" "<me@example.net>"
# X-Aliasd names the correspondent to the owner, whose mailbox this is
# (SPEC, "The gate"); the sender claiming to be the owner is unexpected.
is "X-Aliasd: the owner's address from outside is not expected" \
    "$(pf_msg_header "$f" X-Aliasd)" \
    "address=$joe; correspondent=joe@example.org; sender=unexpected"
out=$(pf_msg_headers "$f" | grep -v '^X-Aliasd:' |
    grep -iE 'example\.org|shop\.example')
tap_check "no other header of it names a correspondent" [ -z "$out" ]
[ -n "$out" ] && tap_diag "$out"
pf_swaks_in --from someone@spam.example --to "$joe" \
    --header "From: Me Myself <me@example.net>" --header "Reply-To: me@example.net" \
    --body "hello" >"$T/swaks.tx" 2>&1
tap_check "the same with swaks is accepted" grep -q '^<- *250 .*queued as' "$T/swaks.tx"

out=$(leaks_in_replies "$T/probe.tx" "$T/forged.tx" "$T/swaks.tx")
tap_check "no SMTP reply names a correspondent or the owner" [ -z "$out" ]
[ -z "$out" ] || tap_diag "$out"
out=$(pf_log_grep 'reject|warning|VRFY|EXPN' | grep -iE "$SECRETS")
tap_check "no reject or warning Postfix logged names one either" [ -z "$out" ]
[ -z "$out" ] || tap_diag "$out"

# -wal and -shm: made by aliasd (postfix), written by root -----------------
t_wait_until 5 test -e "$DB-shm"
aliasctl new again@example.org >/dev/null
want=$(mode_of "$DB")
is "the store kept its mode and owner after root wrote it" "$want" "600 postfix $pgroup"
is "-wal made while aliasd runs: the store's mode and owner" "$(mode_of "$DB-wal")" "$want"
is "-shm made while aliasd runs: the store's mode and owner" "$(mode_of "$DB-shm")" "$want"

# ...and made by root: with aliasd stopped and the files gone, a reader
# lock held on the database keeps aliasctl's close from removing them.
ad_stop
as_postfix sqlite3 "$DB" "SELECT 1" >/dev/null
tap_check "with aliasd stopped the -wal and -shm are gone" \
    sh -c "[ ! -e '$DB-wal' ] && [ ! -e '$DB-shm' ]"
perl -MFcntl -e '
	open(my $fh, "<", $ARGV[0]) or die "$ARGV[0]: $!";
	# struct flock: type, whence, start, len, pid (LP64). SQLite shared
	# range: PENDING_BYTE + 2, 510 bytes.
	my $l = pack("s s x4 q q i x4", F_RDLCK, 0, 0x40000002, 510, 0);
	fcntl($fh, F_SETLK, $l) or die "lock: $!";
	$| = 1;
	print "locked\n";
	sleep 30;
' "$DB" >"$T/lock.out" 2>&1 &
locker=$!
t_wait_until 5 grep -qs locked "$T/lock.out"
aliasctl new third@example.org >/dev/null
is "-wal made by root's aliasctl: the store's mode and owner" "$(mode_of "$DB-wal")" "$want"
is "-shm made by root's aliasctl: the store's mode and owner" "$(mode_of "$DB-shm")" "$want"
t_kill_pid "$locker"
wait "$locker" 2>/dev/null
locker=""
ad_start || { echo "Bail out! aliasd did not restart"; exit 1; }
send_in_ok() { pf_swaks_in --from a@spam.example --to "$joe" --body x 2>&1 | grep -q '^<- *250 .*queued as'; }
tap_check "aliasd (postfix) works on the files root made" send_in_ok

# 3. Outbound: nothing names the owner or a correspondent -------------------
outbound=()
owner_mail() {	# owner_mail TO...: the owner's message, headers naming him everywhere
	printf 'From: Me Myself <me@example.net>\nReply-To: Me Myself <me@example.net>\nSender: me@example.net\nReturn-Path: <me@example.net>\nTo: %s\nSubject: outbound\nMessage-ID: <time.1@example.net>\n\nhi\n' \
	    "$(IFS=,; echo "$*")"
}
capture_next() {	# capture_next BEFORE: record the newest capture
	tap_check "captured ($(($1 + 1)) messages)" pf_wait_captured $(($1 + 1)) 30 &&
	    outbound+=("$(pf_capture_last)")
}
n=$(pf_capture_count)
owner_mail joe@example.org >"$T/o1.txt"
pf_swaks_sub --local-interface 127.0.0.2 --from me@example.net --to joe@example.org \
    -ndf --data @"$(pf_wire_file "$T/o1.txt")" >"$T/o1.tx" 2>&1
capture_next "$n"
n=$(pf_capture_count)
owner_mail orders@shop.example >"$T/o2.txt"
pf_swaks_sub --local-interface 127.0.0.2 --from me@example.net --to orders@shop.example \
    -ndf --data @"$(pf_wire_file "$T/o2.txt")" >"$T/o2.tx" 2>&1
capture_next "$n"
n=$(pf_capture_count)
# daemon_name alone (no SASL): Postfix relays such a client only to our domain.
owner_mail someone@example.com >"$T/o3.txt"
swaks --server 127.0.0.1 --port "$PF_PORT_SUB" --local-interface 127.0.0.2 \
    --from me@example.net --to someone@example.com --timeout 30 \
    -ndf --data @"$(pf_wire_file "$T/o3.txt")" >"$T/o3.tx" 2>&1
capture_next "$n"
n=$(pf_capture_count)
owner_mail joe@example.org orders@shop.example >"$T/o4.txt"
swaks --server 127.0.0.1 --port "$PF_PORT_IN" --local-interface 127.0.0.1 \
    --from me@example.net --to joe@example.org,orders@shop.example --timeout 30 \
    -ndf --data @"$(pf_wire_file "$T/o4.txt")" >"$T/o4.tx" 2>&1
capture_next "$n"
# alias-sendmail, handing over to this Postfix's sendmail (pickup, and
# aliasd again through non_smtpd_milters).
cat >"$T/pf-sendmail" <<SH
#!/bin/sh
MAIL_CONFIG=$PF_CONF exec /usr/sbin/sendmail "\$@"
SH
chmod 0755 "$T/pf-sendmail"
sed "s|^socket = .*|&\nsendmail_program = $T/pf-sendmail|" "$AD_CONF" >"$T/as.conf"
n=$(pf_capture_count)
owner_mail joe@example.org >"$T/o5.txt"
ALIASD_CONF="$T/as.conf" "$ALIASD_BUILD/alias-sendmail" -oi -f me@example.net \
    joe@example.org <"$T/o5.txt" 2>"$T/o5.err"
tap_check "alias-sendmail handed the owner's mail to Postfix (exit 0)" [ $? -eq 0 ]
capture_next "$n"
is "five outbound messages captured (SASL, SASL domain, daemon_name, trusted, alias-sendmail)" \
    "${#outbound[@]}" 5

for f in "${outbound[@]}"; do
	name=$(basename "$f")
	from=$(pf_msg_header "$f" From)
	tap_check "$name: From is one of ours ($from)" \
	    sh -c "printf '%s' \"\$1\" | grep -qE '<(mail-[0-9]{4}-[a-z2-9]{6}|general)@example\.com>$'" - "$from"
	out=$( { pf_msg_header "$f" From; pf_msg_header "$f" Reply-To
		pf_msg_header "$f" Sender; pf_msg_header "$f" Return-Path; } |
	    grep -iE 'example\.org|shop\.example')
	tap_check "$name: From, Reply-To, Sender, Return-Path name no correspondent" [ -z "$out" ]
	[ -z "$out" ] || tap_diag "$out"
	out=$(pf_msg_headers "$f" | grep -inE '(^|[^[:alnum:]._%+-])me@example\.net')
	tap_check "$name: no header names the owner's real address" [ -z "$out" ]
	[ -z "$out" ] || tap_diag "$out"
	s=$(pf_msg_sender "$f")
	tap_check "$name: the envelope sender is not the owner ($s)" [ "$s" != "<me@example.net>" ]
done

# With no default and a stranger nothing is chosen: the owner's own From
# would leave, so the leak guard holds the message (451 4.7.0 naming the
# field) and nothing is delivered.
aliasctl default --none >/dev/null
n=$(pf_capture_count)
owner_mail stranger2@elsewhere.example >"$T/o6.txt"
pf_swaks_sub --local-interface 127.0.0.2 --from me@example.net --to stranger2@elsewhere.example \
    -ndf --data @"$(pf_wire_file "$T/o6.txt")" >"$T/o6.tx" 2>&1
tap_check "no address chosen: the leak guard answers 451 4.7.0 naming From" \
    grep -q "^<\*\* *451 4\.7\.0 Message names the owner's address in From; not sent" "$T/o6.tx"
sleep 1
is "no address chosen: nothing delivered" "$(pf_capture_count)" "$n"
aliasctl default general >/dev/null

ad_stop
tap_check "aliasd logged no error" sh -c "! grep -q 'ERROR:\|fatal\|runtime error' '$AD_LOG'"
pf_stop

# 4. File handling of aliasctl and alias-sendmail ----------------------------
X="$T/x"
mkdir -p "$X"
export ALIASD_CONF="$AD_CONF"
printf 'keep me\n' >"$X/target"
chmod 0600 "$X/target"
ln -s "$X/target" "$X/map"
"$AD_CTL" export postfix -o "$X/map" 2>"$T/err"
tap_check "export -o onto a symlink succeeds" [ $? -eq 0 ]
tap_check "the link itself is replaced by a regular file" sh -c "[ ! -L '$X/map' ] && [ -f '$X/map' ]"
is "the link's target is untouched" "$(cat "$X/target") $(stat -c %a "$X/target")" "keep me 600"
rm -f "$X/map"
"$AD_CTL" export validrcptto -o "$X/new" 2>/dev/null
is "a new map is 0644 (addresses only, like MTAs' maps)" "$(stat -c %a "$X/new")" 644
tap_check "the map names no correspondent" sh -c "! grep -qiE 'example\.org|shop\.example' '$X/new'"
chmod 0640 "$X/new"
"$AD_CTL" export validrcptto -o "$X/new" 2>/dev/null
is "a replaced map keeps its mode" "$(stat -c %a "$X/new")" 640
tap_check "no temporary file is left behind" sh -c "[ -z \"\$(ls '$X' | grep '\\.')\" ]"

# Links planted in the store's directory by its owner (a compromised
# daemon user) must not make root's aliasctl write elsewhere.  SQLite
# opens -wal and -shm with O_NOFOLLOW: root's aliasctl fails closed.
SD="$M/lib/aliasd"
for ext in wal shm; do
	printf 'root data\n' >"$T/victim-$ext"
	chmod 0600 "$T/victim-$ext"
	as_postfix ln -s "$T/victim-$ext" "$SD/aliases.db-$ext"
	"$AD_CTL" -c "$M/aliasd.conf" new victim@example.org >/dev/null 2>&1
	tap_check "a -$ext symlink in the store's directory: root's aliasctl refuses" [ $? -ne 0 ]
	is "and the link's target is untouched" \
	    "$(cat "$T/victim-$ext") $(mode_of "$T/victim-$ext")" "root data 600 root root"
	rm -f "$SD/aliases.db-$ext"
done
is "fs.protected_hardlinks is on (hard links would bypass O_NOFOLLOW)" \
    "$(cat /proc/sys/fs/protected_hardlinks 2>/dev/null)" 1

# The store's own path: a link there must be refused, never followed
# into whatever empty file it points at.
: >"$T/victim-db"
chmod 0600 "$T/victim-db"
mv "$SD/aliases.db" "$SD/aliases.db.real"
as_postfix ln -s "$T/victim-db" "$SD/aliases.db"
"$AD_CTL" -c "$M/aliasd.conf" init >/dev/null 2>&1
tap_check "a symlink at the store's path: root's init refuses" [ $? -ne 0 ]
is "and the link's target is untouched" "$(stat -c %s "$T/victim-db")" 0
rm -f "$SD/aliases.db"
mv "$SD/aliases.db.real" "$SD/aliases.db"

# alias-sendmail runs as whoever calls it, so $ALIASD_CONF is that user's
# own business; it gets no more than the user may read.
chmod 0600 "$M/aliasd.conf"
printf 'From: me@example.net\nTo: joe@example.org\n\nhi\n' >"$T/msg"
ALIASD_CONF="$M/aliasd.conf" as_nobody "$ALIASD_BUILD/alias-sendmail" -oi joe@example.org \
    <"$T/msg" >/dev/null 2>"$T/err"
is "alias-sendmail as another user with root's 0600 configuration: 78, nothing sent" "$?" 78
tap_check "alias-sendmail is not set-uid or set-gid" \
    sh -c "[ ! -u '$ALIASD_BUILD/alias-sendmail' ] && [ ! -g '$ALIASD_BUILD/alias-sendmail' ]"
tap_done
