#!/bin/sh
# run.sh: run every test suite, each to its own log, and end with the one
# summary line CI reads: "N passed, N failed".
#
# Suites speak TAP: cmocka binaries (CMOCKA_MESSAGE_OUTPUT=TAP) and the
# shell suites under tests/cli, tests/clients, tests/integration and
# tests/privacy.  A suite that exits
# non-zero without a failing test line counts as one failure: a crash
# must never look like a pass.  A suite that prints "1..0 # SKIP why"
# (one that needs root, run by somebody else) is counted as skipped.
# On a host whose MTA keeps Postfix from being installed (tools/deps.sh
# mta), the suites that need Postfix are not started: each is counted as
# skipped, with the reason.
#
# usage: tests/run.sh UNIT_TEST_BINARY...   (B= the build directory)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
logs="$top/$B/test-logs"
rm -rf "$logs"
mkdir -p "$logs"

passed=0
failed=0
skipped=0

# In the sanitizer build (SAN=1) every process the suites start, aliasd
# after it has dropped root included, writes its ASan/UBSan report to a
# file here rather than to a stderr nobody reads; a report is a failure
# of the suite that produced it, whether or not the suite noticed.
san_dir=""
if [ "${SAN:-}" = 1 ]; then
	san_dir=$(mktemp -d /tmp/aliasd-san.XXXXXX) || exit 1
	chmod 1777 "$san_dir"
	trap 'rm -rf "$san_dir"' EXIT
	ASAN_OPTIONS="log_path=$san_dir/asan:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	UBSAN_OPTIONS="log_path=$san_dir/ubsan:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
	export ASAN_OPTIONS UBSAN_OPTIONS
fi

# san_reports LOG: append one failing line per sanitizer report to LOG
# (the report itself follows it) and empty the directory.
san_reports() {
	[ -n "$san_dir" ] || return 0
	for r in "$san_dir"/*; do
		[ -f "$r" ] || continue
		echo "not ok - sanitizer report $(basename "$r"):" \
		    "$(grep -m1 -E 'ERROR|runtime error' "$r")" >>"$1"
		cat "$r" >>"$1"
		rm -f "$r"
	done
}

# The MTA that keeps Postfix off this machine, if any.
blocker=$(sh "$top/tools/deps.sh" mta)

# needs_postfix SUITE: true when the suite starts a private Postfix.
needs_postfix() {
	grep -qE '^[^#]*(pf_require|pv_need_postfix)' "$1"
}

run_suite() {
	name=$1
	shift
	log="$logs/$(echo "$name" | tr / _).log"
	if [ -n "$blocker" ] && [ "$1" = bash ] && needs_postfix "$2"; then
		echo "1..0 # SKIP Postfix cannot be installed beside $blocker" >"$log"
		skipped=$((skipped + 1))
		printf '%-28s skipped: %s\n' "$name" \
		    "Postfix cannot be installed beside $blocker"
		return
	fi
	# No suite may wait on a terminal: CI has no standard input.
	CMOCKA_MESSAGE_OUTPUT=TAP ALIASD_TOP="$top" ALIASD_BUILD="$top/$B" \
		"$@" </dev/null >"$log" 2>&1
	rc=$?
	san_reports "$log"
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc" >>"$log"
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && grep -q '^1\.\.0 # SKIP' "$log"; then
		skipped=$((skipped + 1))
		printf '%-28s skipped: %s\n' "$name" \
		    "$(sed -n 's/^1\.\.0 # SKIP *//p' "$log")"
		return
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name ran no test" >>"$log"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	printf '%-28s %4d passed, %d failed\n' "$name" "$p" "$f"
	if [ "$f" -ne 0 ]; then
		grep '^not ok' "$log" | sed 's/^/    /'
		echo "    log: $log"
	fi
}

for bin in "$@"; do
	run_suite "unit/$(basename "$bin")" "$top/$bin"
done
for dir in cli clients integration privacy milter; do
	for t in "$top"/tests/$dir/*.sh; do
		[ -f "$t" ] || continue
		run_suite "$dir/$(basename "$t" .sh)" bash "$t"
	done
done

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
