# lib_aliasd.sh: start and stop the built aliasd for integration tests.
# Source after tests/lib/common.sh.  Needs: $T (the test directory).
#
#   ad_setup DOMAIN USER     store, configuration ($T/aliasd.conf), socket dir
#   ad_start                 aliasd -f in the background; $AD_PID
#                            AD_VALGRIND=1: under valgrind memcheck, one log
#                            per process in $T/valgrind.PID (exit 99 on error)
#   ad_up                    ad_start, or a TAP "Bail out!" line and
#                            aliasd's log on stdout, and 1
#   ad_trust NETWORKS        replace trusted_networks: 127.0.0.9/32 makes
#                            127.0.0.1 (smtp-source, pf_probe) an outsider
#   ad_stop                  TERM by PID, bounded wait, then KILL; $AD_RC
#                            is its exit status
#   ad_wait_gone PID SECS [SOCKET]
#                            after a TERM or INT: wait up to SECS for PID to
#                            go, knocking at SOCKET (default $AD_SOCKET)
#                            meanwhile; 1 when it is still there
#   aliasctl ARGS...         the built aliasctl on this store
#   ad_sql SQL               run SQL on the store (rows "a|b" on stdout);
#                            only SQL both stores take (no strftime():
#                            give times from date +%s)
#   ad_store_owner USER      the SQLite store's files to USER (aliasd's
#                            user must write them); nothing under pg
#
# The store: a SQLite file $T/store/aliases.db, or with
# ALIASD_TEST_STORE=pg in the environment the database aliasd of a
# private PostgreSQL server in $T/pg (tests/lib/pg.sh), which ad_setup
# starts; $AD_STORE says which (sqlite or pg).  Under pg ad_setup adds
# the server's stop to the EXIT trap the suite set before it, and where
# there is no PostgreSQL (or aliasctl has no such store) the suite is
# skipped there ("1..0 # SKIP why", exit 0): call ad_setup before any
# test line.

AD_BIN="$ALIASD_BUILD/aliasd"
AD_CTL="$ALIASD_BUILD/aliasctl"
AD_PID=""
AD_STORE=sqlite
[ "${ALIASD_TEST_STORE:-}" = pg ] && AD_STORE=pg
_AD_PG_TRAPPED=0

aliasctl() { ALIASD_CONF="$AD_CONF" "$AD_CTL" "$@"; }

# _ad_pg_up: the private PostgreSQL for this suite, or skip the suite.
_ad_pg_up() {
	local old
	[ -n "${PG_DIR:-}" ] && return 0
	. "$(dirname "${BASH_SOURCE[0]}")/pg.sh"
	if ! pg_backend_ready || ! pg_require; then
		echo "1..0 # SKIP $PG_WHY"
		exit 0
	fi
	if [ "$_AD_PG_TRAPPED" = 0 ]; then
		# Before the suite's own clean-up (which removes $T): aliasd
		# first, then the server, by their PIDs.
		eval "set -- $(trap -p EXIT)"
		old=${3:-}
		# shellcheck disable=SC2064
		trap "ad_stop; pg_cleanup; $old" EXIT
		_AD_PG_TRAPPED=1
	fi
	pg_up "$T/pg" || { echo "Bail out! the private PostgreSQL did not start"; exit 1; }
}

ad_sql() {
	if [ "$AD_STORE" = pg ]; then
		pg_psql "$1"
	else
		sqlite3 "$T/store/aliases.db" "$1"
	fi
}

ad_store_owner() {
	[ "$AD_STORE" = pg ] && return 0
	chown "$1:" "$T/store/aliases.db"*
}

# Write the configuration; extra "key = value" lines come on stdin.
ad_setup() {
	local domain=$1 user=$2 db="$T/store/aliases.db" out
	if [ "$AD_STORE" = pg ]; then
		_ad_pg_up
		db=$(pg_url)
	fi
	AD_CONF="$T/aliasd.conf"
	AD_SOCKDIR="$T/run"
	AD_SOCKET="unix:$AD_SOCKDIR/aliasd.sock"
	AD_LOG="$T/aliasd.log"
	mkdir -p "$AD_SOCKDIR" "$T/store"
	chown "$user" "$AD_SOCKDIR" "$T/store"
	{
		echo "domain = $domain"
		echo "owner = me@example.net"
		echo "full_name = Me Myself"
		echo "database = $db"
		echo "socket = $AD_SOCKET"
		echo "user = $user"
		echo "trusted_networks = 127.0.0.1/32"
		cat
	} >"$AD_CONF"
	chmod 0644 "$AD_CONF"
	if ! out=$(aliasctl init 2>&1 >/dev/null); then
		# Before the PostgreSQL store is built in: skip, not fail.
		if [ "$AD_STORE" = pg ] && grep -q "not built with" <<<"$out"; then
			echo "1..0 # SKIP $out"
			exit 0
		fi
		printf '%s\n' "$out" >&2
		return 1
	fi
	[ -z "$out" ] || printf '%s\n' "$out" >&2
}

ad_start() {
	local wait=10

	if [ "${AD_VALGRIND:-0}" = 1 ]; then
		# Definite leaks count as errors; GLib's and GMime's one-time
		# allocations are "still reachable" and do not.
		valgrind --tool=memcheck --leak-check=full \
		    --errors-for-leak-kinds=definite --error-exitcode=99 \
		    --num-callers=30 \
		    ${AD_VALGRIND_SUPP:+--suppressions="$AD_VALGRIND_SUPP"} \
		    --log-file="$T/valgrind.%p" \
		    "$AD_BIN" -f -v -c "$AD_CONF" >>"$AD_LOG" 2>&1 &
		# valgrind starts an order of magnitude slower.
		wait=30
	else
		"$AD_BIN" -f -v -c "$AD_CONF" >>"$AD_LOG" 2>&1 &
	fi
	AD_PID=$!
	# Bounded: the socket appears within a few seconds or never.
	t_wait_until "$wait" test -S "$AD_SOCKDIR/aliasd.sock"
}

ad_up() {
	ad_start && return 0
	echo "Bail out! aliasd did not start"
	cat "$AD_LOG"
	return 1
}

ad_trust() {
	sed -i "s|^trusted_networks = .*|trusted_networks = $1|" "$AD_CONF"
}

# libmilter's listener notices that it was asked to stop only when a
# connection comes or its poll times out, every 5 seconds: a stopping
# aliasd would take up to 5 s to go.  One connection to the socket,
# closed at once (no milter session starts), lets it go at once.
_ad_knock() {
	local path=${1#unix:}
	path=${path#local:}
	[ -S "$path" ] || return 0
	perl -MSocket -e 'socket(my $s, AF_UNIX, SOCK_STREAM, 0) or exit 1;
	    connect($s, pack_sockaddr_un($ARGV[0])) or exit 1' "$path" 2>/dev/null
	return 0
}

_ad_gone_or_knock() {
	_t_pid_gone "$1" && return 0
	_ad_knock "$2"
	return 1
}

ad_wait_gone() {
	t_wait_until "$2" _ad_gone_or_knock "$1" "${3:-${AD_SOCKET:-}}"
}

ad_stop() {
	local secs=5

	[ -n "$AD_PID" ] || return 0
	# Under valgrind the leak check runs after SIGTERM: give it time.
	[ "${AD_VALGRIND:-0}" = 1 ] && secs=60
	kill -TERM "$AD_PID" 2>/dev/null
	ad_wait_gone "$AD_PID" "$secs"
	t_kill_pid "$AD_PID" 2
	wait "$AD_PID" 2>/dev/null
	AD_RC=$?
	AD_PID=""
}
