# lib.sh: helpers for the aliasctl shell suites.  Source after tap.sh.
# Every suite works in its own temporary directory and never touches
# /etc/aliasd.conf or /var/lib/aliasd: ALIASD_CONF always points inside.

A="$ALIASD_BUILD/aliasctl"
export TZ=UTC
unset XDG_CONFIG_HOME XDG_DATA_HOME
T=$(mktemp -d "${TMPDIR:-/tmp}/aliasctl-test.XXXXXX")
chmod 0755 "$T"	# so that an unprivileged user can be tested in it
trap 'rm -rf "$T"' EXIT

# The store the suite runs on: ALIASD_TEST_STORE=pg puts every store in a
# database of one private PostgreSQL server (tests/lib/pg.sh) started
# here, before the first test line, so that a machine without it skips
# the whole suite; anything else (the default) is a SQLite file.
STORE=sqlite
if [ "${ALIASD_TEST_STORE:-}" = pg ]; then
	STORE=pg
	. "$ALIASD_TOP/tests/lib/common.sh"
	. "$ALIASD_TOP/tests/lib/pg.sh"
	if ! pg_backend_ready || ! pg_require; then
		echo "1..0 # SKIP $PG_WHY"
		exit 0
	fi
	trap 'pg_cleanup; rm -rf "$T"' EXIT
	pg_up "$T/pg" || { echo "Bail out! the private PostgreSQL did not start"; exit 1; }
fi

# newstore NAME [extra config lines on stdin]: a configuration and an
# initialised store in $T/NAME; sets $D and exports ALIASD_CONF.  Under
# pg the store is the database NAME (created empty) and $DBNAME names it.
newstore() {
	local db out
	D="$T/$1"
	mkdir -p "$D"
	if [ "$STORE" = pg ]; then
		DBNAME=$(printf '%s' "$1" | tr -c 'a-z0-9_' _)
		pg_createdb "$DBNAME" || echo "# newstore: cannot create database $DBNAME"
		db=$(pg_url "$DBNAME")
	else
		db="$D/aliases.db"
	fi
	{
		echo "domain = example.com"
		echo "database = $db"
		echo "owner = me@example.net"
		echo "user = $(id -un)"
		[ -t 0 ] || cat
	} >"$D/aliasd.conf"
	export ALIASD_CONF="$D/aliasd.conf"
	if ! out=$("$A" init 2>&1 >/dev/null); then
		# Before the PostgreSQL store is built in: skip, not fail.
		if [ "$STORE" = pg ] && [ "$TAP_N" -eq 0 ] &&
		    printf '%s' "$out" | grep -q "not built with"; then
			echo "1..0 # SKIP $out"
			exit 0
		fi
		echo "# newstore: init failed: $out"
	fi
}

# store_path NAME: what a hand-written configuration names as the
# database NAME: $T/NAME/aliases.db, or under pg the URI of a new, empty
# database NAME.
store_path() {
	if [ "$STORE" = pg ]; then
		pg_createdb "$1" >&2 && pg_url "$1"
	else
		echo "$T/$1/aliases.db"
	fi
}

# store_sql [SQL]: run SQL (else stdin) on the current store ($D's SQLite
# file, or the database $DBNAME); rows on stdout, fields separated by "|".
# Keep SQL to what both understand: no strftime() (give the time from
# date +%s), group_concat(), INSERT OR REPLACE; sql_chr for char()/chr().
store_sql() {
	local sql
	if [ $# -gt 0 ]; then sql=$1; else sql=$(cat); fi
	if [ "$STORE" = pg ]; then
		PG_DB=$DBNAME pg_psql "$sql"
	else
		sqlite3 "$D/aliases.db" "$sql"
	fi
}

# sql_chr N: the SQL expression for the character with code N.
sql_chr() {
	if [ "$STORE" = pg ]; then echo "chr($1)"; else echo "char($1)"; fi
}

# on_sqlite WHAT: true on the SQLite store.  Under pg it prints one
# skipped test line for WHAT (a check of a SQLite file's own behaviour)
# and is false: `if on_sqlite "the file's mode"; then ...; fi`.
on_sqlite() {
	[ "$STORE" = sqlite ] && return 0
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP SQLite store only"
	return 1
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
