# lib.sh: helpers for the aliasctl shell suites.  Source after tap.sh.
# Every suite works in its own temporary directory and never touches
# /etc/aliasd.conf or /var/lib/aliasd: ALIASD_CONF always points inside.

A="$ALIASD_BUILD/aliasctl"
export TZ=UTC
unset XDG_CONFIG_HOME XDG_DATA_HOME
T=$(mktemp -d "${TMPDIR:-/tmp}/aliasctl-test.XXXXXX")
chmod 0755 "$T"	# so that an unprivileged user can be tested in it
trap 'rm -rf "$T"' EXIT

# newstore NAME [extra config lines on stdin]: a configuration and an
# initialised store in $T/NAME; sets $D and exports ALIASD_CONF.
newstore() {
	D="$T/$1"
	mkdir -p "$D"
	{
		echo "domain = example.com"
		echo "database = $D/aliases.db"
		echo "owner = me@example.net"
		echo "user = $(id -un)"
		[ -t 0 ] || cat
	} >"$D/aliasd.conf"
	export ALIASD_CONF="$D/aliasd.conf"
	"$A" init >/dev/null 2>&1 || echo "# newstore: init failed"
}

# run CMD...: run and keep stdout in $OUT, stderr in $ERR, status in $RC.
run() {
	"$@" >"$T/.out" 2>"$T/.err"
	RC=$?
	OUT=$(cat "$T/.out")
	ERR=$(cat "$T/.err")
}

# expect RC "description" CMD...: the command exits with RC.
expect() {
	want=$1
	desc=$2
	shift 2
	run "$@"
	if [ "$RC" -eq "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc (exit $RC, wanted $want)"
		diag "stdout: $OUT" "stderr: $ERR"
	fi
}

# The last command's stderr is exactly one line mentioning $1.
one_line_error() {
	lines=$(printf '%s\n' "$ERR" | grep -c .)
	if [ "$lines" -eq 1 ] && printf '%s' "$ERR" | grep -q -- "$1"; then
		ok "one-line error: $1"
	else
		not_ok "one-line error: $1"
		diag "stderr: $ERR"
	fi
}

# A fingerprint of everything in the store, to prove it did not change.
snapshot() {
	"$A" --json list --all 2>&1
	"$A" default 2>&1
}

# Run as an unprivileged user when we are root (CI is), so that file
# permissions mean something.
as_user() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	else
		"$@"
	fi
}
