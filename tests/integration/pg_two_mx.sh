#!/bin/bash
# pg_two_mx.sh: a primary and a backup MX on one PostgreSQL (SPEC,
# "PostgreSQL: more than one MX host"); the README's recipe, tested.
#
# One private PostgreSQL; two private Postfix instances, A (primary) and
# B (backup), each with its own aliasd, both configured with the same
# `database = postgresql://...`.
#   - A retirement made with aliasctl on one host is refused at the next
#     RCPT on both.
#   - Four aliasctl writers (new, set, retire; two on each host's
#     configuration) while smtp-source loads both: every aliasctl call
#     succeeds with nothing on stderr, every message to an active address
#     is accepted, and the counters aliasctl shows are exactly the
#     messages both hosts accepted.
#   - PostgreSQL stopped under load: 451 4.3.0 on both hosts, nothing
#     accepted for a retired address, nothing accepted is lost (delivered
#     and counted); started again: the right answers on both without
#     restarting either aliasd.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"
. "$HERE/../lib/pg.sh"
. "$HERE/../lib/mx.sh"

T=$(mktemp -d /tmp/aliasd-pg2mx.XXXXXX) || exit 1
WORKERS="" LOADERS=""
declare -A MX_PID=()
cleanup() {
	local p
	for p in $WORKERS $LOADERS; do t_kill_pid "$p" 2; done
	mx_cleanup
	pg_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! pg_backend_ready || ! pg_require; then
	echo "1..0 # SKIP $PG_WHY"
	exit 0
fi
pf_require_source || exit 1
SOURCE=$PF_SOURCE
chmod 0755 "$T"
pg_up "$T/pg" || { echo "Bail out! the private PostgreSQL did not start"; exit 1; }
REJ="Recipient address rejected"
TEMP="451 4.3.0 Temporary failure: try again later"

# --- the database, as doc/postgresql.md sets it up ---------------------
# The owner (here aliasd_test, which owns the database) makes the schema
# with aliasctl init; the hosts' aliasd and aliasctl log in as aliasd_mx,
# which may read and write the rows and nothing else, with a password
# from a passfile named in the URI (never the password itself).
cat >"$T/owner.conf" <<CONF
domain = example.com
owner = me@example.net
database = $(pg_url)
CONF
if ! out=$(ALIASD_CONF="$T/owner.conf" "$AD_CTL" init 2>&1 >/dev/null); then
	if grep -q "not built with" <<<"$out"; then
		echo "1..0 # SKIP $out"
		exit 0
	fi
	echo "Bail out! aliasctl init on $(pg_url): $out"
	exit 1
fi
PASS="mx-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
pg_password_role aliasd_mx "$PASS" ||
    { echo "Bail out! cannot make the role aliasd_mx"; exit 1; }
# The GRANTs of doc/postgresql.md, word for word but the role's name.
pg_psql "GRANT SELECT, INSERT, UPDATE, DELETE
      ON address, setting, counter, sender_domain, allow, sighting
      TO aliasd_mx" \
    "GRANT SELECT ON schema_version TO aliasd_mx" \
    "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO aliasd_mx" ||
    { echo "Bail out! cannot grant to aliasd_mx"; exit 1; }
# aliasd reads it after dropping root to postfix; libpq wants it 0600.
echo "*:*:*:aliasd_mx:$PASS" >"$T/pgpass"
chown postfix: "$T/pgpass"
chmod 0600 "$T/pgpass"
URL="postgresql:///aliasd?host=$PG_DIR&port=$PG_PORT&user=aliasd_mx&passfile=$T/pgpass"
tap_check "aliasd_mx cannot log in without its password" _pg_hba_has aliasd_mx
tap_check "aliasd_mx logs in with the passfile and reads the rows" \
    eval 'PGPASSFILE="$T/pgpass" PG_ROLE=aliasd_mx pg_psql "SELECT count(*) FROM address" >/dev/null'
tap_check "aliasd_mx cannot change the schema" \
    eval '! PGPASSFILE="$T/pgpass" PG_ROLE=aliasd_mx pg_psql "CREATE TABLE x (a int)" 2>/dev/null'

# --- two hosts ---------------------------------------------------------

# Host a and host b: tests/lib/mx.sh keeps each one's Postfix and
# aliasd variables (mx_use H), MX_PID the PID its aliasd started with.
ctl() {	# ctl H ARGS...: aliasctl with host H's configuration
	local h=$1
	shift
	ALIASD_CONF="$T/$h/aliasd.conf" "$AD_CTL" "$@"
}

# mx_up H: host H's configuration, aliasd and Postfix.  127.0.0.1
# (smtp-source, pf_probe) is an outsider for aliasd; the harvest guard
# is off, the load makes refusals on purpose.
mx_up() {
	local h=$1
	mkdir -p "$T/$h/run"
	chown postfix "$T/$h/run"
	AD_CONF="$T/$h/aliasd.conf"
	AD_SOCKDIR="$T/$h/run"
	AD_SOCKET="unix:$AD_SOCKDIR/aliasd.sock"
	AD_LOG="$T/$h/aliasd.log"
	cat >"$AD_CONF" <<CONF
domain = example.com
owner = me@example.net
database = $URL
socket = $AD_SOCKET
user = postfix
trusted_networks = 127.0.0.9/32
harvest_limit = 0
CONF
	chmod 0644 "$AD_CONF"
	ad_up || exit 1
	MX_PID[$h]=$AD_PID
	mx_save "$h"
	pf_up "$T/$h" "$AD_SOCKET" example.com ||
	    { echo "Bail out! Postfix $h did not start"; exit 1; }
	mx_save "$h"
}
mx_up a
mx_up b
tap_ok "one PostgreSQL, two Postfix with an aliasd each (ports $(mx_use a; echo "$PF_PORT_IN") and $(mx_use b; echo "$PF_PORT_IN"))"

# send H TO: one message from the outsider 127.0.0.2 to host H; the
# transcript in $T/tx.
send() {
	mx_use "$1"
	pf_swaks_in --from someone@sender.example --to "$2" \
	    --header "Subject: two mx" --body "hello" >"$T/tx" 2>&1
}
replied() { pf_replied "$T/tx" "$1"; }

# --- a retirement on one host, refused on both at the next RCPT --------
ann=$(ctl a new ann@example.org)
bob=$(ctl b new bob@example.org)
for h in a b; do
	send "$h" "$ann"
	tap_check "host $h: ann's address (made on a) accepted" replied '^<- +250 .*queued as'
	send "$h" "$bob"
	tap_check "host $h: bob's address (made on b) accepted" replied '^<- +250 .*queued as'
done
ctl b retire "$ann" --reason "Retired on the backup" >/dev/null
for h in a b; do
	send "$h" "$ann"
	tap_check "host $h: retired on b, refused at the next RCPT" \
	    replied "^<\*\* +550 5\.1\.1 <$ann>: $REJ: Retired on the backup"
done
ctl a retire "$bob" --reason "Retired on the primary" >/dev/null
for h in b a; do
	send "$h" "$bob"
	tap_check "host $h: retired on a, refused at the next RCPT" \
	    replied "^<\*\* +550 5\.1\.1 <$bob>: $REJ: Retired on the primary"
done
ctl a revive "$ann" >/dev/null
send b "$ann"
tap_check "host b: revived on a, accepted at the next RCPT" replied '^<- +250 .*queued as'

# --- four writers on the two hosts while both take load -----------------
ITER=${PG2MX_ITER:-40}	# iterations per writer
NWORK=4
PER_ROUND=10		# messages per fixed address, host and round
ROUNDS_MAX=30

fixed_active=() fixed_retired=()
for i in 1 2; do
	fixed_active+=("$(ctl a new "fixed-a$i@corr.example")")
	r=$(ctl b new "fixed-r$i@corr.example")
	ctl b retire "$r" --reason "Fixed" >/dev/null
	fixed_retired+=("$r")
done

# run_ctl H LOG ARGS...: aliasctl on host H; a failure or any line on
# stderr (what a user would see) is logged.
run_ctl() {
	local h=$1 log=$2 out rc
	shift 2
	out=$(ctl "$h" "$@" 2>"$log.err")
	rc=$?
	if [ "$rc" -ne 0 ] || [ -s "$log.err" ]; then
		echo "rc=$rc: host $h: aliasctl $*: $(cat "$log.err")" >>"$log"
	fi
	printf '%s' "$out"
}
worker() {	# worker K: ITER rounds of new, set, retire on its own addresses
	local k=$1
	local h=a i addr log="$T/worker.$k.fail"
	[ $((k % 2)) = 0 ] && h=b
	: >"$log"
	for ((i = 1; i <= ITER; i++)); do
		addr=$(run_ctl "$h" "$log" new "w$k-$i@churn$k.example")
		[ -n "$addr" ] || continue
		run_ctl "$h" "$log" set "$addr" --note "round $i" \
		    --allow "list$i.example" >/dev/null
		run_ctl "$h" "$log" retire "$addr" --reason "churn" >/dev/null
	done
}
workers_running() {
	local p
	for p in $WORKERS; do t_pid_alive "$p" && return 0; done
	return 1
}

# load_to H TAG COUNT ADDRESS...: one smtp-source per address to host H,
# in the background; rejections in $T/load.TAG.H.ADDRESS.err.
load_to() {
	local h=$1 tag=$2 m=$3 a port
	shift 3
	mx_use "$h"
	port=$PF_PORT_IN
	for a in "$@"; do
		"$SOURCE" -A -s 2 -m "$m" -f loader@sender.example -t "$a" \
		    -S "$tag" "127.0.0.1:$port" \
		    </dev/null >/dev/null 2>>"$T/load.$tag.$h.$a.err" &
		LOADERS="$LOADERS $!"
	done
}
wait_loaders() {	# wait_loaders SECS
	# shellcheck disable=SC2086
	t_reap "$1" smtp-source $LOADERS
	LOADERS=""
}

started=$(date +%s)
for ((k = 1; k <= NWORK; k++)); do
	worker "$k" &
	WORKERS="$WORKERS $!"
done
rounds=0
while workers_running && [ "$rounds" -lt "$ROUNDS_MAX" ]; do
	rounds=$((rounds + 1))
	load_to a load "$PER_ROUND" "${fixed_active[@]}" "${fixed_retired[@]}"
	load_to b load "$PER_ROUND" "${fixed_active[@]}" "${fixed_retired[@]}"
	wait_loaders 90
done
# shellcheck disable=SC2086
t_reap 180 writer $WORKERS
WORKERS=""
secs=$(($(date +%s) - started))
tap_check "the load overlapped the writers (rounds: $rounds)" [ "$rounds" -ge 2 ]

cat "$T"/worker.*.fail >"$T/failures"
tap_check "every aliasctl call of the writers succeeded, nothing on stderr ($((NWORK * ITER * 3)) calls)" \
    [ ! -s "$T/failures" ]
[ -s "$T/failures" ] && head -n 10 "$T/failures" | tap_diag -
made=$(ctl a list --all | grep -c '@churn')
tap_check "every writer iteration made its address ($made of $((NWORK * ITER)))" \
    [ "$made" -eq $((NWORK * ITER)) ]
tap_check "and both hosts see them all retired" \
    [ "$(ctl b list --active | grep -c '@churn')" -eq 0 ]

# delivered H ADDRESS: messages host H's sink received for ADDRESS.
delivered() {
	mx_use "$1"
	pf_capture_files | xargs -r grep -h '^X-Rcpt-Args:' | awk '{ print $2 }' |
	    grep -cxF "<$2>"
}
for h in a b; do
	mx_use "$h"
	pf_wait_queue_empty 30 || tap_diag "host $h: queue not empty"
done
sent=$((rounds * PER_ROUND))
bad=""
for a in "${fixed_active[@]}"; do
	for h in a b; do
		n=$(grep -c . "$T/load.load.$h.$a.err")
		got=$(delivered "$h" "$a")
		[ "$n" -eq 0 ] && [ "$got" -eq "$sent" ] ||
		    bad="$bad [$h $a: $n refused, $got of $sent delivered]"
	done
done
for a in "${fixed_retired[@]}"; do
	for h in a b; do
		n=$(grep -c "rejected: 550 5\.1\.1 <$a>: $REJ: Fixed" "$T/load.load.$h.$a.err")
		got=$(delivered "$h" "$a")
		[ "$n" -eq "$sent" ] && [ "$got" -eq 0 ] ||
		    bad="$bad [$h $a: $n of $sent refused, $got delivered]"
	done
done
tap_check "under load every decision on both hosts was right ($((sent * 8)) messages)${bad:+:$bad}" \
    [ -z "$bad" ]

# counted ADDRESS: the messages aliasctl show gives for it.
counted() {
	ctl a show "$1" | sed -n 's/^messages: *//p'
}
counts_are() {	# counts_are N ADDRESS...: every one shows N
	local a
	for a in "${@:2}"; do [ "$(counted "$a")" = "$1" ] || return 1; done
}
tap_check "counters exact: each active address shows $((2 * sent)) (both hosts' accepted)" \
    t_wait_until 20 counts_are $((2 * sent)) "${fixed_active[@]}"
tap_check "the retired ones counted nothing" \
    counts_are 0 "${fixed_retired[@]}"
tap_diag "figure: pg_two_mx: $NWORK writers x $ITER iterations ($((NWORK * ITER * 3)) commits) in $secs s beside $((sent * 8)) smtp-source messages on two hosts"

# --- PostgreSQL stopped under load, and started again -----------------
act=${fixed_active[0]} ret=${fixed_retired[0]}
declare -A before=([a]=$(delivered a "$act") [b]=$(delivered b "$act"))
before_count=$(counted "$act")
# fault_load H ADDRESS: rounds of smtp-source to host H until $T/stop
# appears (at most 200 rounds); the messages sent in $T/sent.H.ADDRESS.
FAULT_PER=10
fault_load() {
	local h=$1 a=$2 r port
	mx_use "$h"
	port=$PF_PORT_IN
	for ((r = 0; r < 200; r++)); do
		[ -e "$T/stop" ] && break
		timeout 60 "$SOURCE" -A -s 2 -m "$FAULT_PER" -f loader@sender.example \
		    -t "$a" -S fault "127.0.0.1:$port" \
		    </dev/null >/dev/null 2>>"$T/load.fault.$h.$a.err"
		echo $(((r + 1) * FAULT_PER)) >"$T/sent.$h.$a"
	done
}
for h in a b; do
	for a in "$act" "$ret"; do
		: >"$T/load.fault.$h.$a.err"
		fault_load "$h" "$a" &
		LOADERS="$LOADERS $!"
	done
done
# Some mail first, so that the stop lands in the middle of the load.
t_wait_until 20 eval '[ "$(delivered a "$act")" -gt "${before[a]}" ]'
pg_stop
probe() {	# probe H ADDRESS ERE: host H's reply to one RCPT matches
	mx_use "$1"
	pf_probe "$2" 10
	[[ $PF_REPLY =~ $3 ]]
}
for h in a b; do
	tap_check "PostgreSQL stopped: host $h answers $TEMP" \
	    t_wait_until 15 probe "$h" "$act" "^$TEMP\$"
	tap_check "PostgreSQL stopped: host $h answers 451 for a retired address too" \
	    probe "$h" "$ret" "^$TEMP\$"
done
sleep 2
pg_start || { echo "Bail out! PostgreSQL did not start again"; exit 1; }
after_a=$(delivered a "$act")
for h in a b; do
	tap_check "PostgreSQL started again: host $h accepts the active address" \
	    t_wait_until 30 probe "$h" "$act" '^250 '
	tap_check "PostgreSQL started again: host $h refuses the retired one with its reason" \
	    probe "$h" "$ret" "^550 5\\.1\\.1 <$ret>: $REJ: Fixed\$"
	tap_check "host $h: the same aliasd as before the stop, not restarted" \
	    t_pid_alive "${MX_PID[$h]}"
done
# Load goes on after the start, then stops.
t_wait_until 30 eval '[ "$(delivered a "$act")" -gt "$((after_a + FAULT_PER))" ]'
: >"$T/stop"
wait_loaders 120
tap_check "mail accepted again under the same load after the start" \
    [ "$(delivered a "$act")" -gt "$after_a" ]
for h in a b; do
	mx_use "$h"
	pf_flush >/dev/null 2>&1
	pf_wait_queue_empty 40 || tap_diag "host $h: queue not empty"
done

# What smtp-source saw: every message either accepted, or refused with a
# 451 4.3.0 (PostgreSQL down) or, for the retired address, with its 550.
bad="" lost=""
accepted_total=0 delivered_total=0 temp_total=0
for h in a b; do
	f="$T/load.fault.$h.$act.err"
	other=$(grep 'rejected' "$f" | grep -vc "451 4\.3\.0")
	rej=$(grep -c 'rejected' "$f")
	temp_total=$((temp_total + rej))
	[ "$other" -eq 0 ] || bad="$bad [$h $act: $other refusals other than 451 4.3.0]"
	accepted=$(($(cat "$T/sent.$h.$act" 2>/dev/null || echo 0) - rej))
	got=$(($(delivered "$h" "$act") - ${before[$h]}))
	accepted_total=$((accepted_total + accepted))
	delivered_total=$((delivered_total + got))
	[ "$got" -eq "$accepted" ] || lost="$lost [$h: $accepted accepted, $got delivered]"
	f="$T/load.fault.$h.$ret.err"
	other=$(grep 'rejected' "$f" | grep -v "451 4\.3\.0" |
	    grep -vc "550 5\.1\.1 <$ret>: $REJ: Fixed")
	[ "$other" -eq 0 ] || bad="$bad [$h $ret: $other other refusals]"
	[ "$(delivered "$h" "$ret")" -eq 0 ] || bad="$bad [$h $ret: delivered]"
done
tap_check "the load met the outage ($temp_total answers 451 4.3.0)" [ "$temp_total" -gt 0 ]
tap_check "under the outage: nothing accepted for the retired address, no other refusal${bad:+:$bad}" \
    [ -z "$bad" ]
tap_check "nothing lost: every accepted message delivered ($delivered_total)${lost:+:$lost}" \
    [ -z "$lost" ]
tap_check "counters written once PostgreSQL is back: $((before_count + accepted_total)) for the active address" \
    t_wait_until 20 counts_are $((before_count + accepted_total)) "$act"
tap_check "the retired address still counted nothing" counts_are 0 "$ret"

# No error line reached a user: the SMTP side only ever saw 250, the
# 550s asked for and 451 4.3.0; Postfix bounced nothing.
for h in a b; do
	mx_use "$h"
	tap_check "host $h: no bounce" [ "$(pf_bounce_count)" -eq 0 ]
	tap_check "host $h: aliasd still runs" t_pid_alive "${MX_PID[$h]}"
	tap_check "host $h: aliasd's log holds no password" \
	    eval '! grep -qF "$PASS" "$AD_LOG"'
done
tap_done
