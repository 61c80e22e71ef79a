#!/bin/bash
# run.sh: run every test suite, each to its own log, and end with the one
# summary line CI reads: "N passed, N failed".
#
# Suites speak TAP: cmocka binaries (CMOCKA_MESSAGE_OUTPUT=TAP) and the
# shell suites under tests/cli, tests/clients, tests/integration,
# tests/privacy and tests/milter.  A suite that exits non-zero without a
# failing test line counts as one failure: a crash must never look like a
# pass.  A suite that prints "1..0 # SKIP why" (one that needs root, run by
# somebody else) is counted as skipped.  On a host whose MTA keeps Postfix
# from being installed (tools/deps.sh mta), the suites that need Postfix
# are not started: each is counted as skipped, with the reason.
#
# Suites run in parallel, JOBS at a time (default: twice the cores; most
# suites wait on daemons, not on the CPU), the long ones started first so
# that the run does not end on one of them.  Their result lines are still
# printed in the fixed order below (units, then cli, clients, integration,
# privacy, milter, then the PostgreSQL pass), each as soon as it and all
# before it are done.
#
# The PostgreSQL pass: the suites named in PG_SUITES run a second time
# with ALIASD_TEST_STORE=pg in their environment (tests/lib/cli.sh and
# tests/lib/aliasd.sh then put their stores in a private PostgreSQL
# server, tests/lib/pg.sh), reported as pg/cli/basics and so on.  Where
# no server can be had, or aliasctl has no such store, they skip.
#
# Parallel suites must not share anything:
#   - ports: each running suite has a slot of its own, and T_PORT_BASE and
#     T_PORT_SPAN give the slot's range, from which tests/lib/common.sh's
#     t_free_port picks (no two suites running at once can pick the same);
#   - files: every suite works in its own mktemp -d directory;
#   - what cannot be made private (dpkg, the system's users): a suite names
#     it in a line "# run-lock: NAME..." and suites naming the same NAME
#     never run at the same time; "# run-lock: exclusive" runs a suite
#     alone;
#   - sanitizer reports (SAN=1): each suite has its own report directory,
#     so a report is charged to the suite whose process wrote it.
#
# A suite that runs longer than SUITE_TIMEOUT seconds (default 600) is
# stopped, its whole process group, and counted as a failure.
#
# usage: tests/run.sh UNIT_TEST_BINARY...   (B= the build directory,
#        JOBS= suites at once, 1 to run them one after another;
#        ONLY= an extended regular expression: only the suites whose
#        name, e.g. integration/reload, it matches)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
logs="$top/$B/test-logs"
rm -rf "$logs"
mkdir -p "$logs/.run" || exit 1
run="$logs/.run"

suite_timeout=${SUITE_TIMEOUT:-600}
cores=$(nproc 2>/dev/null || echo 1)
jobs=${JOBS:-$((2 * cores))}
case "$jobs" in
'' | *[!0-9]* | 0) echo "run.sh: JOBS must be a positive number" >&2; exit 64 ;;
esac

# Ports 20000-31999: below the kernel's range for outgoing connections
# (32768-60999), where after a load test thousands sit in TIME_WAIT.
PORT_LOW=20000
PORT_SPAN=$((12000 / jobs))
[ "$PORT_SPAN" -gt 1000 ] && PORT_SPAN=1000
if [ "$PORT_SPAN" -lt 20 ]; then
	echo "run.sh: JOBS=$jobs leaves too few ports per suite" >&2
	exit 64
fi

# In the sanitizer build (SAN=1) every process the suites start, aliasd
# after it has dropped root included, writes its ASan/UBSan report to a
# file in its suite's directory here rather than to a stderr nobody
# reads; a report is a failure of the suite that produced it, whether or
# not the suite noticed.
san_root=""
if [ "${SAN:-}" = 1 ]; then
	san_root=$(mktemp -d /tmp/aliasd-san.XXXXXX) || exit 1
	chmod 0755 "$san_root"
fi
user_asan=${ASAN_OPTIONS:-}
user_ubsan=${UBSAN_OPTIONS:-}

# The MTA that keeps Postfix off this machine, if any.
blocker=$(sh "$top/tools/deps.sh" mta)

# The longest suites, longest first (seconds, measured beside the others
# on 2 cores): started before all others.  A suite not named here starts
# after them, in the fixed order.
LONG="
privacy/privacy
integration/concurrency
integration/reload
integration/fault_locks
integration/fault_kill
integration/postfix_aliasd
integration/deb
integration/security
integration/valgrind_aliasd
milter/gate
pg/milter/gate
integration/harvest
integration/sendmail_aliasd
integration/sendmail_socketmap
integration/fastpath_faults
integration/fastpath_kill
privacy/auto_create
privacy/sendmail
integration/pg_two_mx
pg/cli/rules
integration/postfix_gate
integration/postfix_fastpath
integration/sendmail_smoke
integration/fault_store
integration/fuzz_short
integration/install
"

# The suites of the PostgreSQL pass: every aliasctl and milter suite that
# works through the programs.  Not here: cli/newcomer (the files init
# makes for a newcomer), cli/hostile (bytes that are not UTF-8 written
# into the store, which a PostgreSQL UTF8 database refuses), cli/layers
# and cli/sql_lint (no store at all).  Checks of a SQLite file's own
# behaviour (its mode, its locks, its WAL) skip themselves under pg.
PG_SUITES="
cli/basics
cli/copy_store
cli/errors
cli/maps
cli/rewrite
cli/rules
milter/decisions
milter/gate
"

# --- the suites, in the fixed order of the report --------------------------

names=() cmds=() kinds=()
for bin in "$@"; do
	names+=("unit/$(basename "$bin")")
	cmds+=("$top/$bin")
	kinds+=(bin)
done
for dir in cli clients integration privacy milter; do
	for t in "$top"/tests/$dir/*.sh; do
		[ -f "$t" ] || continue
		names+=("$dir/$(basename "$t" .sh)")
		cmds+=("$t")
		kinds+=(sh)
	done
done
for s in $PG_SUITES; do
	[ -f "$top/tests/$s.sh" ] || continue
	names+=("pg/$s")
	cmds+=("$top/tests/$s.sh")
	kinds+=(sh)
done
if [ -n "${ONLY:-}" ]; then
	keep_names=() keep_cmds=() keep_kinds=()
	for ((i = 0; i < ${#names[@]}; i++)); do
		echo "${names[$i]}" | grep -qE -- "$ONLY" || continue
		keep_names+=("${names[$i]}")
		keep_cmds+=("${cmds[$i]}")
		keep_kinds+=("${kinds[$i]}")
	done
	names=("${keep_names[@]}") cmds=("${keep_cmds[@]}") kinds=("${keep_kinds[@]}")
fi
n=${#names[@]}

# locks_of I: the run-lock names of suite I.
locks_of() {
	[ "${kinds[$1]}" = sh ] || return 0
	sed -n 's/^# run-lock: *//p' "${cmds[$1]}" | tr -s ' \t' '\n\n'
}

# The start order: the LONG list first, then the rest in report order.
order=()
for l in $LONG; do
	for ((i = 0; i < n; i++)); do
		[ "${names[$i]}" = "$l" ] && order+=("$i")
	done
done
for ((i = 0; i < n; i++)); do
	case "$LONG" in
	*"
${names[$i]}
"*) ;;
	*) order+=("$i") ;;
	esac
done

# --- running one suite -------------------------------------------------------

# san_reports LOG DIR: append one failing line per sanitizer report in DIR
# to LOG (the report itself follows it).
san_reports() {
	local r
	[ -n "$2" ] || return 0
	for r in "$2"/*; do
		[ -f "$r" ] || continue
		echo "not ok - sanitizer report $(basename "$r"):" \
		    "$(grep -m1 -E 'ERROR|runtime error' "$r")" >>"$1"
		cat "$r" >>"$1"
		rm -f "$r"
	done
}

needs_postfix() {
	grep -qE '^[^#]*(pf_require|pv_need_postfix)' "$1"
}

# run_one I SLOT: run suite I with ports from SLOT; leaves its report
# lines in $run/I.out and "PASSED FAILED SKIPPED" in $run/I.sum.
run_one() {
	local i=$1 slot=$2 name=${names[$1]} log san="" start rc secs p f
	local store=${ALIASD_TEST_STORE:-}
	local asan=$user_asan ubsan=$user_ubsan
	log="$logs/$(echo "$name" | tr / _).log"
	if [ -n "$blocker" ] && [ "${kinds[$i]}" = sh ] &&
	    needs_postfix "${cmds[$i]}"; then
		echo "1..0 # SKIP Postfix cannot be installed beside $blocker" >"$log"
		printf '%-28s skipped: %s\n' "$name" \
		    "Postfix cannot be installed beside $blocker" >"$run/$i.out"
		echo "0 0 1" >"$run/$i.sum"
		return
	fi
	if [ -n "$san_root" ]; then
		san="$san_root/$i"
		mkdir -p "$san" && chmod 1777 "$san"
		asan="log_path=$san/asan:detect_leaks=1${asan:+:$asan}"
		ubsan="log_path=$san/ubsan:print_stacktrace=1${ubsan:+:$ubsan}"
	fi
	start=$(date +%s)
	# No suite may wait on a terminal: CI has no standard input.
	if [ "${kinds[$i]}" = bin ]; then
		set -- "${cmds[$i]}"
	else
		set -- bash "${cmds[$i]}"
	fi
	case $name in pg/*) store=pg ;; esac
	CMOCKA_MESSAGE_OUTPUT=TAP ALIASD_TOP="$top" ALIASD_BUILD="$top/$B" \
	    ALIASD_TEST_STORE=$store \
	    T_PORT_BASE=$((PORT_LOW + slot * PORT_SPAN)) T_PORT_SPAN=$PORT_SPAN \
	    ASAN_OPTIONS=$asan UBSAN_OPTIONS=$ubsan \
	    timeout -k 20 "$suite_timeout" "$@" </dev/null >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "not ok - $name stopped after $suite_timeout s (SUITE_TIMEOUT)" >>"$log"
	fi
	san_reports "$log" "$san"
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc" >>"$log"
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && grep -q '^1\.\.0 # SKIP' "$log"; then
		printf '%-28s skipped: %s\n' "$name" \
		    "$(sed -n 's/^1\.\.0 # SKIP *//p' "$log")" >"$run/$i.out"
		echo "0 0 1" >"$run/$i.sum"
		return
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name ran no test" >>"$log"
		f=1
	fi
	{
		printf '%-28s %4d passed, %d failed %5ds\n' "$name" "$p" "$f" "$secs"
		if [ "$f" -ne 0 ]; then
			grep '^not ok' "$log" | sed 's/^/    /'
			echo "    log: $log"
		fi
	} >"$run/$i.out"
	echo "$p $f 0" >"$run/$i.sum"
}

# --- the scheduler -----------------------------------------------------------

# Each suite runs as a job of its own (its own process group, so that an
# interrupted run can stop a whole suite by its group's ID).
set -m
declare -A pid_suite=() pid_slot=() held=()
free_slots=()
for ((s = 0; s < jobs; s++)); do free_slots+=("$s"); done
pending=("${order[@]}")
running=0
exclusive_running=0
finished=()
next=0
passed=0
failed=0
skipped=0

stop_all() {
	local pid
	for pid in "${!pid_suite[@]}"; do
		kill -TERM -- "-$pid" 2>/dev/null
	done
	for pid in "${!pid_suite[@]}"; do
		wait "$pid" 2>/dev/null
	done
	[ -n "$san_root" ] && rm -rf "$san_root"
	exit 130
}
trap stop_all INT TERM

# can_start I: no lock of suite I is held, and neither it nor a running
# suite is exclusive (or nothing runs).
can_start() {
	local l
	[ "$exclusive_running" = 1 ] && return 1
	for l in $(locks_of "$1"); do
		[ "$l" = exclusive ] && { [ "$running" -eq 0 ]; return; }
		[ -n "${held[$l]:-}" ] && return 1
	done
	return 0
}

start_next() {
	local k i l slot pid
	for k in "${!pending[@]}"; do
		i=${pending[$k]}
		can_start "$i" || continue
		unset 'pending[k]'
		pending=("${pending[@]}")
		slot=${free_slots[0]}
		free_slots=("${free_slots[@]:1}")
		for l in $(locks_of "$i"); do
			held[$l]=$i
			[ "$l" = exclusive ] && exclusive_running=1
		done
		run_one "$i" "$slot" &
		pid=$!
		pid_suite[$pid]=$i
		pid_slot[$pid]=$slot
		running=$((running + 1))
		return 0
	done
	return 1
}

# Print every finished suite whose turn in the fixed order has come.
print_ready() {
	local p f s
	while [ "$next" -lt "$n" ] && [ -n "${finished[$next]:-}" ]; do
		cat "$run/$next.out"
		read -r p f s <"$run/$next.sum"
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + s))
		next=$((next + 1))
	done
}

while [ "${#pending[@]}" -gt 0 ] || [ "$running" -gt 0 ]; do
	while [ "$running" -lt "$jobs" ] && start_next; do :; done
	if [ "$running" -eq 0 ]; then
		echo "run.sh: no suite can start" >&2
		break
	fi
	done_pid=""
	wait -n -p done_pid
	[ -n "$done_pid" ] || continue
	i=${pid_suite[$done_pid]}
	free_slots+=("${pid_slot[$done_pid]}")
	unset 'pid_suite[$done_pid]' 'pid_slot[$done_pid]'
	for l in $(locks_of "$i"); do
		unset 'held[$l]'
		[ "$l" = exclusive ] && exclusive_running=0
	done
	running=$((running - 1))
	# A runner that died without its files (killed, disk full) is a
	# failure, never a silent gap.
	if [ ! -s "$run/$i.sum" ]; then
		echo "${names[$i]}: the runner left no result" >"$run/$i.out"
		echo "0 1 0" >"$run/$i.sum"
	fi
	finished[$i]=1
	print_ready
done
print_ready
[ -n "$san_root" ] && rm -rf "$san_root"

if [ "$next" -lt "$n" ]; then
	echo "run.sh: $((n - next)) suites did not run" >&2
	failed=$((failed + n - next))
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
