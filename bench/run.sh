#!/bin/bash
# bench/run.sh: make bench (issue 6).  Speed against the anchors, every
# figure the median of several runs, all in one run so that ratios
# survive a noisy machine.  Prints one table and writes bench/results.md.
#
#   1. Postfix throughput: smtp-source into a private Postfix on loopback
#      (tests/lib/postfix.sh) delivering to smtp-sink, at concurrencies
#      1, 8, 32, through one smtpd listener per mode, runs interleaved:
#        a   no recipient check
#        b   Postfix's static map (aliasctl export postfix --makemap,
#            check_recipient_access hash:)
#        n   bench/nullmilter: the milter protocol alone (unix: and inet:)
#        c   aliasd (unix: and inet:), one per store size
#        r   aliasd on the "rules" store (the largest size again, every
#            address with rules, counters and sightings: genstore.sh
#            rules), 10% of the mail from strangers (issue 13)
#        p   aliasd's policy service (check_policy_service), no milter,
#            one aliasd per store size (issue 14)
#        s   aliasd's socketmap (check_recipient_access socketmap:...:access)
#        pn, sn  bench/nullpolicy, bench/nullmap: the protocols alone
#        g   aliasd (unix:) on a PostgreSQL store, the largest size: a
#            private server on this machine (tests/lib/pg.sh), filled
#            from the SQLite store by aliasctl copy-store, a
#            configuration that differs only in `database =` (issue 15)
#      and, with ten recipients per message (smtp-source -r 10: ten@,
#      2ten@ ... 10ten@example.com, 10ten retired), b, n, c, p, s, pn and
#      sn again on the largest store, each with its own listener and
#      server process (modes NAME_10).
#   2. bench/milterbench: RCPT decisions/s and p50/p99 against aliasd with
#      the largest store, 8 connections, active/retired/unknown mixed;
#      and against the rules store with 10% of the senders strangers;
#      and at 10k and the largest size, SQLite against PostgreSQL, runs
#      interleaved (issue 15).
#   3. aliasctl new, export virtusertable, list (peak RSS) at that size.
#   4. alias-sendmail against cat, 1, 20 and 100 MB.
#
# QUICK=1: stores of 100 and 10,000, fewer messages (< 3 minutes).
# Needs root (Postfix, aliasd's user postfix, PostgreSQL's user
# postgres).  Never part of make check.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
BIN=$top/$B
QUICK=${QUICK:-0}
[ "$QUICK" = 1 ] || QUICK=0
export ALIASD_BUILD=$BIN
. "$top/tests/lib/postfix.sh"
. "$top/tests/lib/pg.sh"

if [ "$QUICK" = 1 ]; then
	SIZES="100 10000"
	LIST_SIZES="10000 100000 200000"	# list's memory: flat?
	REPS=3
	MSGS_PER_CONC="1:50 8:150 32:150"
	MB_SECONDS=2
	NEW_RUNS=30
else
	SIZES="100 10000 1000000"
	LIST_SIZES="10000 100000 1000000"
	REPS=5
	MSGS_PER_CONC="1:300 8:1000 32:1000"
	MB_SECONDS=5
	NEW_RUNS=100
fi
CONCS="1 8 32"
LARGEST=${SIZES##* }
# The PostgreSQL stores: 10k and the largest (one of them in QUICK).
PG_SIZES=10000
[ "$LARGEST" = 10000 ] || PG_SIZES="10000 $LARGEST"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T=$(mktemp -d /tmp/aliasd-bench.XXXXXX) || exit 1
# Every process we start, by PID, in $T/pids: the milters are started
# in command substitutions, whose variables do not come back.
started() { echo "$1" >>"$T/pids"; }
cleanup() {
	local p
	pf_cleanup
	pg_cleanup	# by its PID, before its directory in $T goes
	[ -f "$T/pids" ] && while read -r p; do
		t_kill_pid "$p" 5
	done <"$T/pids"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 1; }
# Times are $EPOCHREALTIME, read in this shell: a $(...) would fork it.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }

# median of the arguments (numbers)
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	    END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
	          else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

declare -A R	# every figure, by name
declare -A SIZE_NAME=([100]=100 [10000]=10k [100000]=100k [200000]=200k [1000000]=1M)

pf_require || die "postfix missing"
for p in smtp-source postmap sqlite3; do
	command -v "$p" >/dev/null || die "$p missing"
done
[ -x /usr/bin/time ] || die "GNU time missing: apt-get install time"
pg_require || die "PostgreSQL missing: $PG_WHY"

# --- stores and milters ----------------------------------------------------

# make_store N [rules]: a configuration and a store of N addresses in
# $T/s$N, or with rules in $T/r$N.  milterbench's clients (192.0.2.x) are
# exempt from the harvest guard: its 18% refused recipients would have
# them answered 451 after ten.
make_store() {
	local n=$1 rules=${2-} d=$T/s$1 t
	[ -n "$rules" ] && d=$T/r$1
	mkdir -p "$d/store" "$d/run"
	chown postfix "$d/store" "$d/run"
	cat >"$d/conf" <<EOF
domain = example.com
owner = me@example.net
database = $d/store/aliases.db
socket = unix:$d/run/aliasd.sock
user = postfix
trusted_networks = 192.0.2.254/32
harvest_exempt = 192.0.2.0/24, 127.0.0.0/8
sendmail_program = $T/fake-sendmail
EOF
	t=$(ALIASCTL=$BIN/aliasctl sh "$top/bench/genstore.sh" "$d/conf" "$n" \
	    ${rules:+"$rules"}) || die "cannot make a store of $n $rules"
	R[gen_$n${rules:+_rules}]=$t
	say "store of $n addresses${rules:+ with rules}: ${t}s"
	[ -n "$rules" ] || add_ten "$d/store/aliases.db" "$n"
}

# add_ten DB N: the ten recipients of the ten-recipient runs, as
# smtp-source -r 10 -t ten@example.com names them (ten, 2ten ... 10ten),
# the last retired.  Their seq follows the store's.
add_ten() {
	sqlite3 "$1" "INSERT INTO address (local, domain, seq, correspondent,
	    state, reason, created, retired)
	    SELECT CASE value WHEN 1 THEN 'ten' ELSE value || 'ten' END,
	    'example.com', $2 + value, 'ten' || value || '@example.org',
	    value = 10, CASE value WHEN 10 THEN 'Spammers found this address'
	    END, 1700000000, CASE value WHEN 10 THEN 1750000000 END
	    FROM generate_series(1, 10);
	    UPDATE setting SET value = $2 + 11 WHERE key = 'next_seq';" ||
	    die "cannot add the ten recipients to $1"
}

# listen_spec unix|inet PATH: where a milter is to listen: the unix
# socket PATH, or a free port on 127.0.0.1.
listen_spec() {
	local port
	if [ "$1" = unix ]; then
		echo "unix:$2"
	else
		port=$(t_free_port "${PORT[@]}") || die "no free port"
		echo "inet:$port@127.0.0.1"
	fi
}

# serving SPEC PID PIDFILE WHAT: record the milter's PID, wait until it
# listens on SPEC; prints SPEC as Postfix writes it.
serving() {
	local spec=$1 port
	started "$2"
	echo "$2" >"$3"
	case $spec in
	unix:*)
		t_wait_until 10 test -S "${spec#unix:}" ||
		    die "$4 did not start"
		echo "$spec" ;;
	*)
		port=${spec#inet:}
		port=${port%@*}
		t_wait_port "$port" 10 || die "$4 did not start"
		echo "inet:127.0.0.1:$port" ;;
	esac
}

# start_aliasd N unix|inet [r|s|g [NAME]]: aliasd on store N (r: the
# rules store; g: the PostgreSQL one); prints the Postfix spec.  Its PID
# file names its mode: pid.cu10k, pid.ri1M, pid.gu1M, or pid.NAME (a
# second aliasd on the same store, with its own socket and configuration).
start_aliasd() {
	local n=$1 kind=$2 store=${3:-s} name=${4-} d conf spec sock
	d=$T/$store$n
	conf=$d/conf.$kind sock=$d/run/aliasd.sock
	[ -n "$name" ] && conf=$d/conf.$name sock=$d/run/$name.sock
	spec=$(listen_spec "$kind" "$sock") || exit 1
	sed "s|^socket = .*|socket = $spec|" "$d/conf" >"$conf"
	"$BIN/aliasd" -f -c "$conf" >"$conf.log" 2>&1 &
	serving "$spec" $! \
	    "$T/pid.${name:-${store/s/c}${kind:0:1}${SIZE_NAME[$n]}}" \
	    "aliasd ($store$n, $kind)"
}

# start_fast N policy|socketmap NAME: aliasd on store N serving the
# policy service or the socketmap on unix:, its milter on a socket no
# MTA uses; prints the Postfix table or service (pid.NAME).
start_fast() {
	local n=$1 what=$2 name=$3 d conf sock
	d=$T/s$n
	conf=$d/conf.$name
	sock=$d/run/$name.sock
	{
		sed "s|^socket = .*|socket = unix:$d/run/$name.milter.sock|" \
		    "$d/conf"
		echo "${what}_socket = unix:$sock"
	} >"$conf"
	"$BIN/aliasd" -f -c "$conf" >"$conf.log" 2>&1 &
	serving "unix:$sock" $! "$T/pid.$name" "aliasd ($name)" >/dev/null ||
	    exit 1
	fast_spec "$what" "$sock"
}

# fast_spec policy|socketmap PATH: the restriction Postfix is given.
fast_spec() {
	if [ "$1" = policy ]; then
		echo "check_policy_service,unix:$2"
	else
		echo "check_recipient_access,socketmap:unix:$2:access"
	fi
}

# start_nullfast policy|socketmap NAME: bench/nullpolicy or bench/nullmap
# on unix:; prints the Postfix restriction (pid.NAME).
start_nullfast() {
	local what=$1 name=$2 prog=nullpolicy
	[ "$what" = socketmap ] && prog=nullmap
	mkdir -p "$T/null"
	"$BIN/bench/$prog" -s "unix:$T/null/$name.sock" \
	    >"$T/null/$name.log" 2>&1 &
	serving "unix:$T/null/$name.sock" $! "$T/pid.$name" "$prog ($name)" \
	    >/dev/null || exit 1
	fast_spec "$what" "$T/null/$name.sock"
}

# fast_listener NAME SPEC: a listener whose recipient check is SPEC.
fast_listener() {
	listener "$1" "smtpd_recipient_restrictions=$2,reject_unauth_destination"
}

# start_null unix|inet [NAME]: prints the Postfix spec.  NAME (default
# nu or ni) names its socket and PID file.
start_null() {
	local kind=$1 name=${2:-n${1:0:1}} spec
	mkdir -p "$T/null"
	spec=$(listen_spec "$kind" "$T/null/$name.sock") || exit 1
	"$BIN/bench/nullmilter" -s "$spec" >"$T/null/$name.log" 2>&1 &
	serving "$spec" $! "$T/pid.$name" "nullmilter ($name)"
}

printf '#!/bin/sh\ncat >/dev/null\n' >"$T/fake-sendmail"
chmod 0755 "$T/fake-sendmail"
chmod 0711 "$T"

for n in $SIZES; do
	make_store "$n"
done
make_store "$LARGEST" rules
for n in $LIST_SIZES; do
	[[ " $SIZES " == *" $n "* ]] || make_store "$n"
done

# make_pg N: the PostgreSQL store of size N, a database of its own on
# the private server, filled from the SQLite store $T/sN (ten
# recipients included) by aliasctl copy-store; its configuration in
# $T/gN is $T/sN's with only `database =` changed.
make_pg() {
	local n=$1 d=$T/g$1 url t0 t1
	url=$(pg_url "s$n")
	pg_createdb "s$n" || die "cannot create the database s$n"
	mkdir -p "$d/run"
	chown postfix "$d/run"
	# awk, not sed: the URI's "&" would be sed's matched text.
	URL=$url awk '/^database = / { $0 = "database = " ENVIRON["URL"] }
	    { print }' "$T/s$n/conf" >"$d/conf"
	t0=$EPOCHREALTIME
	"$BIN/aliasctl" copy-store "$T/s$n/store/aliases.db" "$url" >&2 ||
	    die "copy-store to PostgreSQL ($n) failed"
	t1=$EPOCHREALTIME
	R[copy_$n]=$(calc "%.2f" "$(elapsed "$t0" "$t1")")
	say "copy-store of $n addresses to PostgreSQL: ${R[copy_$n]}s"
}
pg_up "$T/pg" || die "the PostgreSQL server did not start"
R[pg_version]=$("$PG_BIN/postgres" --version | awk '{ print $3 }')
for n in $PG_SIZES; do
	make_pg "$n"
done

# --- Postfix ----------------------------------------------------------------

pf_init "$T" "" example.com || die "pf_init failed"
# smtp-source connects from 127.0.0.1: make that an outsider, so that the
# recipient checks run, and keep SASL out of every mode alike.
pf_postconf -e "mynetworks = 127.0.0.2/32" \
    "smtpd_recipient_restrictions = reject_unauth_destination" \
    "smtpd_relay_restrictions = reject_unauth_destination" \
    "smtpd_sasl_auth_enable = no" "smtpd_milters =" "non_smtpd_milters ="

MODES=()
declare -A PORT
# listener NAME OPTION...: one more smtpd on its own port
listener() {
	local name=$1 port
	shift
	port=$(t_free_port "${PORT[@]}" "$PF_PORT_IN" "$PF_PORT_SUB" \
	    "$PF_SINK_PORT") || die "no free port"
	PORT[$name]=$port
	MODES+=("$name")
	{
		echo "127.0.0.1:$port inet n - n - - smtpd"
		echo "  -o syslog_name=postfix/bench-$name"
		for o in "$@"; do
			echo "  -o $o"
		done
	} >>"$PF_CONF/master.cf"
}

listener a
for n in $SIZES; do
	s=${SIZE_NAME[$n]}
	t0=$EPOCHREALTIME
	MAIL_CONFIG=$PF_CONF ALIASD_CONF=$T/s$n/conf "$BIN/aliasctl" export postfix \
	    -o "$T/s$n/map" --makemap || die "export postfix $n failed"
	t1=$EPOCHREALTIME
	R[map_$n]=$(elapsed "$t0" "$t1")
	listener "b$s" "smtpd_recipient_restrictions=check_recipient_access,hash:$T/s$n/map,reject_unauth_destination"
done
spec=$(start_null unix) && listener nu "smtpd_milters=$spec" || exit 1
spec=$(start_null inet) && listener ni "smtpd_milters=$spec" || exit 1
# A second null milter, the same in every way: n2/n is the resolution of
# these runs, the ratio that two identical modes reach on this machine.
spec=$(start_null unix nu2) && listener nu2 "smtpd_milters=$spec" || exit 1
for n in $SIZES; do
	s=${SIZE_NAME[$n]}
	spec=$(start_aliasd "$n" unix) && listener "cu$s" "smtpd_milters=$spec" ||
	    exit 1
	spec=$(start_aliasd "$n" inet) && listener "ci$s" "smtpd_milters=$spec" ||
	    exit 1
done
s=${SIZE_NAME[$LARGEST]}
spec=$(start_aliasd "$LARGEST" unix r) && listener "ru$s" "smtpd_milters=$spec" ||
    exit 1
spec=$(start_aliasd "$LARGEST" inet r) && listener "ri$s" "smtpd_milters=$spec" ||
    exit 1
# PostgreSQL (issue 15): the largest store, unix:; the other PostgreSQL
# sizes get an aliasd for milterbench only.
for n in $PG_SIZES; do
	if [ "$n" = "$LARGEST" ]; then
		spec=$(start_aliasd "$n" unix g) &&
		    listener "gu$s" "smtpd_milters=$spec" || exit 1
	else
		start_aliasd "$n" unix g >/dev/null || exit 1
	fi
done
# The fast path (issue 14): one aliasd per size and protocol, so that
# each one's CPU time is its own; the null servers beside them.
for n in $SIZES; do
	s=${SIZE_NAME[$n]}
	spec=$(start_fast "$n" policy "p$s") && fast_listener "p$s" "$spec" ||
	    exit 1
	spec=$(start_fast "$n" socketmap "s$s") && fast_listener "s$s" "$spec" ||
	    exit 1
done
spec=$(start_nullfast policy pn) && fast_listener pn "$spec" || exit 1
spec=$(start_nullfast socketmap sn) && fast_listener sn "$spec" || exit 1
# Ten recipients per message, on the largest store: every mode its own
# listener and its own server, so that the CPU per recipient is its own.
s=${SIZE_NAME[$LARGEST]}
listener "b${s}_10" "smtpd_recipient_restrictions=check_recipient_access,hash:$T/s$LARGEST/map,reject_unauth_destination"
spec=$(start_null unix nu_10) && listener nu_10 "smtpd_milters=$spec" || exit 1
spec=$(start_aliasd "$LARGEST" unix s "cu${s}_10") &&
    listener "cu${s}_10" "smtpd_milters=$spec" || exit 1
spec=$(start_fast "$LARGEST" policy "p${s}_10") &&
    fast_listener "p${s}_10" "$spec" || exit 1
spec=$(start_fast "$LARGEST" socketmap "s${s}_10") &&
    fast_listener "s${s}_10" "$spec" || exit 1
spec=$(start_nullfast policy pn_10) && fast_listener pn_10 "$spec" || exit 1
spec=$(start_nullfast socketmap sn_10) && fast_listener sn_10 "$spec" ||
    exit 1
_pf_backdate_config

# smtp-sink without -d: nothing written per message.
SINK=$(_pf_find_sink)
"$SINK" -4 -u postfix -h sink.aliasd.test "127.0.0.1:$PF_SINK_PORT" 256 \
    </dev/null >"$T/sink.out" 2>&1 &
PF_SINK_PID=$!
started "$PF_SINK_PID"
t_wait_port "$PF_SINK_PORT" 10 || die "smtp-sink did not start"
_PF_STARTED=1
postfix -c "$PF_CONF" start >&2 || die "postfix did not start"
for m in "${MODES[@]}"; do
	t_wait_port "${PORT[$m]}" 20 || die "listener $m not up"
done

# active_of N [r]: an active address of store N, picked at random; of
# the rules store, one with lock none, which takes the strangers' mail
# too (a run counts only when every message is accepted).
active_of() {
	local n=$1 store=${2:-s} lock=
	[ "$store" = r ] && lock="AND lock = 0"
	sqlite3 "$T/$store$n/store/aliases.db" "SELECT local || '@' || domain \
	    FROM address WHERE state = 0 $lock AND \
	    id >= 1 + abs(random()) % $n ORDER BY id LIMIT 1"
}

msgs_for() {
	local c=$1 kv
	for kv in $MSGS_PER_CONC; do
		[ "${kv%%:*}" = "$c" ] && echo "${kv#*:}"
	done
}

# How many of the log lines after $1 say a message was queued (= $2?)
queued() {
	local n
	n=$(tail -n +"$(($1 + 1))" "$PF_LOG" | grep -cE 'nrcpt=[0-9]+ \(queue active\)')
	[ "$n" -ge "$2" ]
}

# rcpts_of MODE: recipients per message; refused_of MODE: how many of
# them are refused (the retired 10ten, except by the null servers).
rcpts_of() { [[ $1 == *_10 ]] && echo 10 || echo 1; }
refused_of() {
	case $1 in
	n*_10 | pn_10 | sn_10) echo 0 ;;
	*_10) echo 1 ;;
	*) echo 0 ;;
	esac
}

# split_of CONC MSGS: "SC SM", the strangers' concurrency and messages
# in a rules run.  smtp-source has one -f per run, so two run side by
# side, the strangers' with a tenth of the concurrency (at least 1) and
# the same share of the messages, so that both end together: 1/8 at
# c=8, 3/32 at c=32.  At c=1, one after the other, a tenth of the
# messages from strangers.
split_of() {
	local conc=$1 msgs=$2 sc
	if [ "$conc" -lt 2 ]; then
		echo "0 $(((msgs + 5) / 10))"
		return
	fi
	sc=$(((conc + 5) / 10))
	echo "$sc $((msgs * sc / conc))"
}

# run_source CONC MSGS SENDER RCPT PORT [RCPTS]: one smtp-source, as
# every mode runs it; RCPTS recipients per message (-r: RCPT, 2RCPT...).
run_source() {
	smtp-source -A -s "$1" -m "$2" -l 2048 -S bench -f "$3" -t "$4" \
	    -r "${6:-1}" -M client.example "127.0.0.1:$5" >>"$T/source.log" 2>&1
}

# source_rules CONC MSGS RCPT PORT: the messages of one rules run, the
# strangers' (x@stranger.example) beside the expected (x@example.org).
source_rules() {
	local conc=$1 msgs=$2 rcpt=$3 port=$4 sc sm pid rc=0
	read -r sc sm <<<"$(split_of "$conc" "$msgs")"
	if [ "$sc" = 0 ]; then
		run_source 1 $((msgs - sm)) x@example.org "$rcpt" "$port" || rc=1
		run_source 1 "$sm" x@stranger.example "$rcpt" "$port" || rc=1
		return $rc
	fi
	run_source $((conc - sc)) $((msgs - sm)) x@example.org "$rcpt" "$port" &
	pid=$!
	run_source "$sc" "$sm" x@stranger.example "$rcpt" "$port" || rc=1
	wait "$pid" || rc=1
	return $rc
}

# run_one MODE CONC RCPT [MSGS]: one smtp-source run; msgs/s, or "x"
# when not every message was accepted.
run_one() {
	local mode=$1 conc=$2 rcpt=$3 msgs=${4-} before t0 t1 got rej warn want
	[ -n "$msgs" ] || msgs=$(msgs_for "$conc")
	pf_wait_queue_empty 60 || say "queue not empty before $mode"
	before=$(wc -l <"$PF_LOG")
	t0=$EPOCHREALTIME
	if [[ $mode == r* ]]; then
		source_rules "$conc" "$msgs" "$rcpt" "${PORT[$mode]}"
	else
		run_source "$conc" "$msgs" sender@sender.example "$rcpt" \
		    "${PORT[$mode]}" "$(rcpts_of "$mode")"
	fi
	t1=$EPOCHREALTIME
	pf_wait_queue_empty 60 || say "queue not empty after $mode"
	t_wait_until 5 queued "$before" "$msgs"	# postlogd writes late
	# Every message queued with all its recipients but the refused one,
	# that one refused once per message, and no warning about the milter,
	# the policy service or the map.
	want=$(($(rcpts_of "$mode") - $(refused_of "$mode")))
	got=$(tail -n +"$((before + 1))" "$PF_LOG" | grep -c "nrcpt=$want (queue active)")
	rej=$(tail -n +"$((before + 1))" "$PF_LOG" | grep -c 'reject: RCPT')
	warn=$(tail -n +"$((before + 1))" "$PF_LOG" | grep -cE 'warning: .*(milter|policy|socketmap|problem talking)')
	if [ "$got" -ne "$msgs" ] || [ "$rej" -ne $((msgs * $(refused_of "$mode"))) ] ||
	    [ "$warn" -ne 0 ]; then
		say "$mode c=$conc: $got of $msgs accepted, $rej rejects, $warn warnings"
		echo x
		return
	fi
	calc "%.1f" "$msgs / ($t1 - $t0)"
}

rcpt_for() {
	local mode=$1 n
	case $mode in
	*_10) echo ten@example.com
	      return ;;
	a | n* | pn | sn) n=$LARGEST ;;
	r*) active_of "$LARGEST" r
	    return ;;
	*) for n in $SIZES; do
		[ "${mode:1}" = "${SIZE_NAME[$n]}" ] && break
		[ "${mode:2}" = "${SIZE_NAME[$n]}" ] && break
	   done ;;
	esac
	active_of "$n"
}

# cpu_ticks PID: user + system clock ticks of PID and of its live
# descendants: aliasd's milter is the child of a supervising parent,
# and a live child's time is in no field of its parent's stat.
cpu_ticks() {
	local p=$1 t c
	t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null)
	t=${t:-0}
	for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
		t=$((t + $(cpu_ticks "$c")))
	done
	echo "$t"
}
# pg_ticks: the PostgreSQL server's CPU clock ticks so far: the
# postmaster and its live backends, and the backends it has reaped.
pg_ticks() {
	local t
	t=$(awk '{ print $16 + $17 }' "/proc/$PG_PID/stat" 2>/dev/null)
	echo $((${t:-0} + $(cpu_ticks "$PG_PID")))
}

declare -A RUNS
say "Postfix throughput: ${#MODES[@]} modes x concurrency $CONCS x $REPS runs"
pg_before=$(pg_ticks)
# A first pass warms every path (smtpd processes, milter connections).
for m in "${MODES[@]}"; do
	run_one "$m" 8 "$(rcpt_for "$m")" 40 >/dev/null
done
for rep in $(seq "$REPS"); do
	for c in $CONCS; do
		for m in "${MODES[@]}"; do
			v=$(run_one "$m" "$c" "$(rcpt_for "$m")")
			RUNS[$m,$c]="${RUNS[$m,$c]-} $v"
			say "run $rep c=$c $m: $v msg/s"
		done
	done
done
pg_after=$(pg_ticks)
# The milters' own CPU time per message (user + system, from /proc): the
# direct measure of what aliasd adds to a message over the null milter.
total=40
for rep in $(seq "$REPS"); do
	for c in $CONCS; do
		total=$((total + $(msgs_for "$c")))
	done
done
# And per recipient (one policy or socketmap request, one RCPT).
for f in "$T"/pid.*; do
	m=${f##*.}
	k=$(cpu_ticks "$(cat "$f")")
	R[cpu_$m]=$(awk -v t="$(getconf CLK_TCK)" -v n="$total" -v k="$k" \
	    'BEGIN { printf "%.3f", k / t * 1000 / n }')
	R[cpur_$m]=$(awk -v t="$(getconf CLK_TCK)" -v n="$total" -v k="$k" \
	    -v r="$(rcpts_of "$m")" 'BEGIN { printf "%.1f", k / t * 1e6 / (n * r) }')
done
# The PostgreSQL server's share: only the g mode's aliasd talks to it
# while Postfix runs.
R[cpu_pgserver]=$(awk -v t="$(getconf CLK_TCK)" -v n="$total" \
    -v k="$((pg_after - pg_before))" 'BEGIN { printf "%.3f", k / t * 1000 / n }')
for m in "${MODES[@]}"; do
	for c in $CONCS; do
		# shellcheck disable=SC2086
		if [[ "${RUNS[$m,$c]}" == *x* ]]; then
			R[tp_$m,$c]=x
		else
			R[tp_$m,$c]=$(median ${RUNS[$m,$c]})
		fi
	done
done

# --- the milter alone -------------------------------------------------------

# Address file for milterbench: a sample of store N, expected verdicts,
# plus unknown addresses (their suffix uses a character never generated).
targets_of() {
	local n=$1 k
	k=$((n < 20000 ? n : 20000))
	sqlite3 "$T/s$n/store/aliases.db" "SELECT CASE state WHEN 0 THEN 'a ' \
	    ELSE 'r ' END || local || '@' || domain FROM address WHERE id IN \
	    (SELECT 1 + abs(random()) % $n FROM generate_series(1, $k)); \
	    SELECT printf('r mail-%07d-00@example.com', 1 + abs(random()) % $n) \
	    FROM generate_series(1, $k / 10);" >"$T/targets.$n"
}

# The rules store's sample: "l" for an address locked to its
# correspondent's organisation (refused to strangers, milterbench -u).
targets_rules_of() {
	local n=$1 k
	k=$((n < 20000 ? n : 20000))
	sqlite3 "$T/r$n/store/aliases.db" "SELECT CASE WHEN state != 0 \
	    THEN 'r ' WHEN lock = 1 THEN 'l ' ELSE 'a ' END || local || '@' || \
	    domain FROM address WHERE id IN \
	    (SELECT 1 + abs(random()) % $n FROM generate_series(1, $k)); \
	    SELECT printf('r mail-%07d-00@example.com', 1 + abs(random()) % $n) \
	    FROM generate_series(1, $k / 10);" >"$T/targets.rules"
}

targets_of "$LARGEST"
targets_rules_of "$LARGEST"
R[mb_locked_rules]=$(awk '/^l / { l++ } END { printf "%.0f", 100 * l / NR }' \
    "$T/targets.rules")
# The null milter accepts everything: only the active ones.
grep '^a ' "$T/targets.$LARGEST" >"$T/targets.null"
# unix10 and null10: ten RCPTs per message (issue 14's per-RCPT cost).
for kind in unix inet null rules unix10 null10; do
	unexpected=()
	targets=$T/targets.$LARGEST
	k=4
	case $kind in
	*10) k=10 ;;
	esac
	case $kind in
	unix | unix10) spec=unix:$T/s$LARGEST/run/aliasd.sock ;;
	inet) spec=$(sed -n 's/^socket = //p' "$T/s$LARGEST/conf.inet") ;;
	null | null10) spec=unix:$T/null/nu.sock
	      targets=$T/targets.null ;;
	rules) spec=unix:$T/r$LARGEST/run/aliasd.sock
	       targets=$T/targets.rules
	       unexpected=(-u 10) ;;
	esac
	rates=() p50s=() p99s=() shares=()
	for rep in $(seq "$REPS"); do
		out=$("$BIN/bench/milterbench" -s "$spec" -c 8 -k "$k" \
		    -f "$targets" "${unexpected[@]}" \
		    -t "$MB_SECONDS" -w 1) || die "milterbench failed: $out"
		say "milterbench $kind: $out"
		rates+=("$(sed 's/.*rate=\([^ ]*\).*/\1/' <<<"$out")")
		p50s+=("$(sed 's/.*p50_us=\([^ ]*\).*/\1/' <<<"$out")")
		p99s+=("$(sed 's/.*p99_us=\([^ ]*\).*/\1/' <<<"$out")")
		[ "$kind" = rules ] &&
		    shares+=("$(sed -n 's/.*unexpected_pct=\([^ ]*\).*/\1/p' <<<"$out")")
	done
	R[mb_rate_$kind]=$(median "${rates[@]}")
	R[mb_p50_$kind]=$(median "${p50s[@]}")
	R[mb_p99_$kind]=$(median "${p99s[@]}")
	[ "$kind" = rules ] && R[mb_ushare_rules]=$(median "${shares[@]}")
done

# SQLite against PostgreSQL (issue 15): the same sample, the same
# milterbench, at each PostgreSQL size; the two stores' runs alternate,
# so that a noisy moment falls on both.
declare -A MB
for n in $PG_SIZES; do
	[ -f "$T/targets.$n" ] || targets_of "$n"
	for rep in $(seq "$REPS"); do
		for store in sqlite pg; do
			d=$T/s$n
			[ "$store" = pg ] && d=$T/g$n
			out=$("$BIN/bench/milterbench" -s "unix:$d/run/aliasd.sock" \
			    -c 8 -k 4 -f "$T/targets.$n" -t "$MB_SECONDS" -w 1) ||
			    die "milterbench $store $n failed: $out"
			say "milterbench $store ${SIZE_NAME[$n]}: $out"
			for f in rate p50_us p99_us; do
				MB[$store,$n,$f]="${MB[$store,$n,$f]-} $(sed \
				    "s/.*$f=\([^ ]*\).*/\1/" <<<"$out")"
			done
		done
	done
	for store in sqlite pg; do
		for f in rate p50_us p99_us; do
			# shellcheck disable=SC2086
			R[mb_${f%_us}_${store}_$n]=$(median ${MB[$store,$n,$f]})
		done
	done
done

# --- aliasctl ----------------------------------------------------------------

ctl() { ALIASD_CONF=$T/s$1/conf "$BIN/aliasctl" "${@:2}"; }

# spawntime starts each run with posix_spawn, as an exec would: a fork of
# this (large) shell would be measured too.  Beside new, the floors of
# starting any program here: /bin/true, and aliasctl itself doing nothing
# (exec, loading SQLite and libsodium, exit).
say "aliasctl new x $NEW_RUNS at $LARGEST"
spawn_ms() {
	local out
	out=$("$BIN/bench/spawntime" -n "$NEW_RUNS" "$@") ||
	    die "spawntime $*: failed"
	sed 's/.*median_ms=\([^ ]*\).*/\1/' <<<"$out"
}
R[new_ms]=$(ALIASD_CONF=$T/s$LARGEST/conf spawn_ms "$BIN/aliasctl" new \
    'bench{}@example.org')
R[true_ms]=$(spawn_ms /bin/true)
R[help_ms]=$(spawn_ms "$BIN/aliasctl" --help)

times=()
for rep in $(seq "$REPS"); do
	t0=$EPOCHREALTIME
	ctl "$LARGEST" export virtusertable -o "$T/vt" || die "export failed"
	t1=$EPOCHREALTIME
	times+=("$(elapsed "$t0" "$t1")")
done
R[export_s]=$(calc "%.2f" "$(median "${times[@]}")")
R[export_lines]=$(wc -l <"$T/vt")

for n in $LIST_SIZES; do
	times=() rss=()
	for rep in $(seq "$REPS"); do
		t0=$EPOCHREALTIME
		ALIASD_CONF=$T/s$n/conf /usr/bin/time -f %M -o "$T/rss" \
		    "$BIN/aliasctl" list --all >/dev/null || die "list failed"
		t1=$EPOCHREALTIME
		times+=("$(elapsed "$t0" "$t1")")
		rss+=("$(tail -n 1 "$T/rss")")
	done
	R[list_s_$n]=$(calc "%.2f" "$(median "${times[@]}")")
	R[list_kb_$n]=$(median "${rss[@]}")
done

# --- alias-sendmail ------------------------------------------------------------

# To c1@example.org, a correspondent of the store with an active address:
# the From is rewritten to it.  A recipient with no address would leave
# the owner's address in From, which the leak guard refuses (on_leak).
for mb in 1 20 100; do
	f=$T/msg$mb
	{
		printf 'From: Me <me@example.net>\nTo: c1@example.org\n'
		printf 'Subject: bench %s MB\nMessage-ID: <bench%s@example.net>\n\n' "$mb" "$mb"
		head -c $((mb * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w 76
	} >"$f"
	ts=() tc=() tp=() rs=() rc=()
	for rep in $(seq 5); do
		t0=$EPOCHREALTIME
		ALIASD_CONF=$T/s${SIZES%% *}/conf /usr/bin/time -f %M -o "$T/rss" \
		    "$BIN/alias-sendmail" c1@example.org <"$f" ||
		    die "alias-sendmail failed"
		t1=$EPOCHREALTIME
		ts+=("$(elapsed "$t0" "$t1")")
		rs+=("$(tail -n 1 "$T/rss")")
		t0=$EPOCHREALTIME
		/usr/bin/time -f %M -o "$T/rss" cat "$f" | "$T/fake-sendmail"
		t1=$EPOCHREALTIME
		tc+=("$(elapsed "$t0" "$t1")")
		rc+=("$(tail -n 1 "$T/rss")")
		t0=$EPOCHREALTIME
		cat "$f" >/dev/null
		t1=$EPOCHREALTIME
		tp+=("$(elapsed "$t0" "$t1")")
	done
	R[as_ms_$mb]=$(calc "%.1f" "$(median "${ts[@]}") * 1000")
	R[as_kb_$mb]=$(median "${rs[@]}")
	R[cat_ms_$mb]=$(calc "%.1f" "$(median "${tc[@]}") * 1000")
	R[cat_kb_$mb]=$(median "${rc[@]}")
	R[plaincat_ms_$mb]=$(calc "%.1f" "$(median "${tp[@]}") * 1000")
	rm -f "$f"
done

# --- the report ------------------------------------------------------------------

. "$top/bench/report.sh"
report >"$top/bench/results.md"
cat "$top/bench/results.md"
