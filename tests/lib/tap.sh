# tap.sh: a few lines of TAP for the shell suites.  Source it; call
# ok/not_ok/check, then finish at the end.  Output is read by tests/run.sh.

TAP_N=0
TAP_FAILED=0

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $*"
}

# check "description" command...: ok if the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# Print a diagnostic (TAP comment).
diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

finish() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
