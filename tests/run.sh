#!/bin/sh
# run.sh: run every test suite, each to its own log, and end with the one
# summary line CI reads: "N passed, N failed".
#
# Suites speak TAP: cmocka binaries (CMOCKA_MESSAGE_OUTPUT=TAP) and the
# shell suites under tests/cli and tests/integration.  A suite that exits
# non-zero without a failing test line counts as one failure: a crash
# must never look like a pass.  A suite that prints "1..0 # SKIP why"
# (one that needs root, run by somebody else) is counted as skipped.
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

run_suite() {
	name=$1
	shift
	log="$logs/$(echo "$name" | tr / _).log"
	# No suite may wait on a terminal: CI has no standard input.
	CMOCKA_MESSAGE_OUTPUT=TAP ALIASD_TOP="$top" ALIASD_BUILD="$top/$B" \
		"$@" </dev/null >"$log" 2>&1
	rc=$?
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
for dir in cli clients integration; do
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
