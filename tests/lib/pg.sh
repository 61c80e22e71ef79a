# tests/lib/pg.sh - a private PostgreSQL server for one test run.
#
# The cluster, its log and its unix socket live in one directory of the
# test's own; the server listens on no TCP port (listen_addresses = ''),
# only on the socket DIR/.s.PGSQL.PORT, and is stopped by its PID.  The
# system's PostgreSQL (its clusters, its service) is never started or
# changed.  initdb and the server run as the user postgres when the test
# runs as root (PostgreSQL refuses to run as root), else as the caller.
#
# Usage (bash; works under `set -u`; source tests/lib/common.sh first):
#
#     pg_require || { echo "1..0 # SKIP $PG_WHY"; exit 0; }
#     pg_up "$T/pg" || exit 1
#     trap 'pg_cleanup; rm -rf "$T"' EXIT
#     echo "database = $(pg_url)" >>aliasd.conf
#     pg_psql "SELECT count(*) FROM address"
#
# Functions
#   pg_require
#       Find initdb, pg_ctl, postgres and psql (pg_config --bindir, else
#       the newest /usr/lib/postgresql/*/bin).  As root, install what is
#       missing (postgresql; postfix-pgsql when Postfix is installed) with
#       apt-get --no-remove; PG_NO_INSTALL=1 forbids it.  Returns 1 with
#       the reason in $PG_WHY (and on stderr) when there is no server.
#   pg_backend_ready
#       True when the built aliasctl knows PostgreSQL (its --help names
#       it); else 1 with the reason in $PG_WHY.
#   pg_up DIR
#       initdb a new cluster in DIR/data (no fsync, trust on the socket
#       only), start it on a free port of the run slot's range (T_PORT_BASE,
#       T_PORT_SPAN as t_free_port), wait (<= 30 s) until it answers, and
#       create the role aliasd_test and its database aliasd.  DIR is
#       created, owned by the server's user, mode 0755; its parents get
#       o+x so that aliasd's and Postfix's users reach the socket.
#   pg_url [DBNAME=aliasd]
#       The libpq URI of the database as the role aliasd_test:
#       postgresql:///DBNAME?host=DIR&port=PORT&user=aliasd_test
#   pg_createdb DBNAME
#       A new, empty database owned by aliasd_test (true if it exists).
#   pg_psql SQL...
#       Run each SQL as aliasd_test in $PG_DB (default aliasd); unaligned
#       rows without headers, fields separated by "|", stop at the first
#       error (exit status 1, message on stderr).
#   pg_admin SQL...
#       The same as the superuser postgres in the database postgres.
#   pg_password_role ROLE PASSWORD
#       A login role that must give PASSWORD on the socket (scram-sha-256;
#       every other role stays on trust): its line goes first in
#       pg_hba.conf and the server reloads it.
#   pg_stop
#       Fast shutdown (SIGINT: open sessions are ended) of the running
#       server by its PID; wait (<= 20 s), then SIGQUIT, then SIGKILL.
#   pg_start
#       Start the same cluster again (same socket, same port); wait
#       (<= 30 s) until it answers.
#   pg_running
#       True when the server answers on its socket.
#   pg_cleanup
#       pg_stop, then remove DIR.  Safe before pg_up and more than once;
#       for `trap ... EXIT`.
#
# Variables
#   PG_DIR    the directory given to pg_up (socket directory too)
#   PG_DATA   the cluster: $PG_DIR/data
#   PG_LOG    the server's log: $PG_DIR/server.log
#   PG_PORT   the port in the socket's name
#   PG_PID    the postmaster's PID while it runs ("" otherwise)
#   PG_BIN    the directory of initdb, pg_ctl, postgres
#   PG_WHY    why pg_require or pg_backend_ready said no
#   PG_DB     the database pg_psql uses (default aliasd)

PG_DIR=""
PG_DATA=""
PG_LOG=""
PG_PORT=""
PG_PID=""
PG_BIN=""
PG_WHY=""
PG_DB=${PG_DB:-aliasd}
PG_ROLE=aliasd_test

_pg_find_bin() {
	local d
	PG_BIN=""
	d=$(pg_config --bindir 2>/dev/null)
	if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
		PG_BIN=$d
		return 0
	fi
	# Debian keeps the server's programs per major version; take the
	# newest.
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && PG_BIN=$d
	done
	[ -n "$PG_BIN" ]
}

_pg_psql_bin() {
	if [ -n "$PG_BIN" ] && [ -x "$PG_BIN/psql" ]; then
		echo "$PG_BIN/psql"
	else
		command -v psql
	fi
}

_pg_installed() {
	case $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) in
	*" ok installed") return 0 ;;
	esac
	return 1
}

pg_require() {
	local missing=""
	_pg_find_bin || missing="$missing postgresql"
	# postfix-pgsql only where Postfix is (it depends on it; beside
	# another MTA neither can be installed).
	if _pg_installed postfix && ! _pg_installed postfix-pgsql; then
		missing="$missing postfix-pgsql"
	fi
	if [ -n "$missing" ]; then
		if [ "$(id -u)" != 0 ] || [ "${PG_NO_INSTALL:-0}" = 1 ]; then
			PG_WHY="PostgreSQL packages missing:$missing (as root: apt-get install$missing)"
		else
			# shellcheck disable=SC2086
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			    --no-remove -o DPkg::Lock::Timeout=600 $missing >&2 || {
				apt-get update -q >&2
				DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				    --no-remove -o DPkg::Lock::Timeout=600 $missing >&2
			} || PG_WHY="apt-get install --no-remove$missing failed"
		fi
	fi
	if ! _pg_find_bin; then
		[ -n "$PG_WHY" ] || PG_WHY="no PostgreSQL server programs (initdb, pg_ctl)"
		echo "pg_require: $PG_WHY" >&2
		return 1
	fi
	if [ -z "$(_pg_psql_bin)" ]; then
		PG_WHY="psql (postgresql-client) missing"
		echo "pg_require: $PG_WHY" >&2
		return 1
	fi
	if [ "$(id -u)" = 0 ] && ! getent passwd postgres >/dev/null; then
		PG_WHY="running as root and there is no user postgres to run the server"
		echo "pg_require: $PG_WHY" >&2
		return 1
	fi
	PG_WHY=""
	return 0
}

pg_backend_ready() {
	local ctl=${ALIASD_BUILD:-}/aliasctl
	if [ ! -x "$ctl" ]; then
		PG_WHY="$ctl not built"
		return 1
	fi
	if ! "$ctl" --help 2>&1 | grep -qi postgres; then
		PG_WHY="aliasctl has no PostgreSQL store (its --help does not mention it)"
		return 1
	fi
	return 0
}

# _pg_as CMD...: run CMD as the server's user.
_pg_as() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=postgres --regid="$(id -g postgres)" --init-groups \
		    --reset-env -- env PATH=/usr/bin:/bin LC_ALL=C "$@"
	else
		env LC_ALL=C "$@"
	fi
}

_pg_searchable() {
	local p
	p=$(realpath -m "$1")
	while [ -n "$p" ] && [ "$p" != / ]; do
		if [ -d "$p" ] && [ "$((0$(stat -c %a "$p") & 01))" = 0 ]; then
			chmod o+x "$p"
		fi
		p=$(dirname "$p")
	done
}

_pg_read_pid() {
	local pid
	[ -r "$PG_DATA/postmaster.pid" ] || return 1
	pid=$(head -n 1 "$PG_DATA/postmaster.pid" | tr -dc 0-9)
	[ -n "$pid" ] && echo "$pid"
}

pg_running() {
	[ -n "$PG_DIR" ] && [ -n "$PG_PORT" ] || return 1
	"$PG_BIN/pg_isready" -q -h "$PG_DIR" -p "$PG_PORT" -d postgres \
	    -U postgres -t 2 >/dev/null 2>&1
}

pg_start() {
	local opts
	if [ -z "$PG_DATA" ] || [ ! -d "$PG_DATA" ]; then
		echo "pg_start: no cluster (pg_up first)" >&2
		return 1
	fi
	if [ -n "$PG_PID" ] && t_pid_alive "$PG_PID"; then
		return 0
	fi
	# No TCP at all; a socket in PG_DIR only, world-connectable (the
	# directory is the test's own).  fsync and friends off: the data is
	# thrown away.  mmap'd dynamic shared memory: containers often have
	# a small /dev/shm.
	opts="-c listen_addresses='' -c unix_socket_directories='$PG_DIR'"
	opts="$opts -c port=$PG_PORT -c unix_socket_permissions=0777"
	opts="$opts -c fsync=off -c synchronous_commit=off"
	opts="$opts -c full_page_writes=off -c shared_buffers=32MB"
	opts="$opts -c dynamic_shared_memory_type=mmap -c max_connections=120"
	opts="$opts -c log_min_messages=warning -c log_connections=off"
	# pg_ctl -w waits until the server answers; -t bounds the wait.
	if ! _pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -o "$opts" \
	    -w -t 30 -s start >&2 </dev/null; then
		echo "pg_start: the server did not start; its log:" >&2
		tail -n 20 "$PG_LOG" >&2
		return 1
	fi
	PG_PID=$(_pg_read_pid)
	if [ -z "$PG_PID" ] || ! t_wait_until 10 pg_running; then
		echo "pg_start: the server does not answer on $PG_DIR" >&2
		return 1
	fi
	export PG_PID
}

pg_stop() {
	local pid=${PG_PID:-}
	[ -n "$pid" ] || pid=$(_pg_read_pid 2>/dev/null)
	PG_PID=""
	[ -n "$pid" ] || return 0
	t_pid_alive "$pid" || return 0
	# SIGINT is PostgreSQL's fast shutdown: SIGTERM (smart) would wait
	# for aliasd's sessions to end by themselves.
	kill -INT "$pid" 2>/dev/null
	t_wait_until 20 _t_pid_gone "$pid" && return 0
	echo "pg_stop: $pid still running after 20 s; immediate shutdown" >&2
	kill -QUIT "$pid" 2>/dev/null
	t_wait_until 5 _t_pid_gone "$pid" && return 0
	kill -KILL "$pid" 2>/dev/null
	t_wait_until 5 _t_pid_gone "$pid"
}

pg_admin() {
	local sql psql
	psql=$(_pg_psql_bin)
	for sql in "$@"; do
		"$psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" \
		    -U postgres -d postgres -c "$sql" </dev/null || return 1
	done
}

pg_psql() {
	local sql psql
	psql=$(_pg_psql_bin)
	for sql in "$@"; do
		"$psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" \
		    -U "$PG_ROLE" -d "$PG_DB" -c "$sql" </dev/null || return 1
	done
}

pg_password_role() {
	local role=$1 pass=$2 hba="$PG_DATA/pg_hba.conf"
	pg_admin "CREATE ROLE $role LOGIN PASSWORD '$pass'" || return 1
	{ echo "local all $role scram-sha-256"; cat "$hba"; } >"$hba.new" &&
	    cat "$hba.new" >"$hba" && rm -f "$hba.new" || return 1
	# SIGHUP: the postmaster rereads pg_hba.conf; the next connection
	# uses it.
	kill -HUP "$PG_PID" || return 1
	t_wait_until 10 _pg_hba_has "$role"
}

# True once ROLE cannot log in without its password.
_pg_hba_has() {
	! PGPASSWORD="" PGPASSFILE=/nonexistent "$(_pg_psql_bin)" -X -w -q \
	    -h "$PG_DIR" -p "$PG_PORT" -U "$1" -d postgres -c "SELECT 1" \
	    </dev/null >/dev/null 2>&1
}

pg_createdb() {
	local name=$1
	case $name in
	'' | *[!a-z0-9_]*)
		echo "pg_createdb: bad name '$name' (a-z 0-9 _ only)" >&2
		return 1
		;;
	esac
	[ "$(pg_admin "SELECT 1 FROM pg_database WHERE datname = '$name'")" = 1 ] &&
	    return 0
	pg_admin "CREATE DATABASE $name OWNER $PG_ROLE"
}

pg_url() {
	echo "postgresql:///${1:-$PG_DB}?host=$PG_DIR&port=$PG_PORT&user=$PG_ROLE"
}

pg_up() {
	local dir=$1 owner try
	[ -n "$PG_BIN" ] || _pg_find_bin || {
		echo "pg_up: no PostgreSQL (pg_require first)" >&2
		return 1
	}
	PG_DIR=$(realpath -m "$dir")
	PG_DATA="$PG_DIR/data"
	PG_LOG="$PG_DIR/server.log"
	mkdir -p "$PG_DIR" || return 1
	owner=$(id -un)
	[ "$(id -u)" = 0 ] && owner=postgres
	chown "$owner:" "$PG_DIR" && chmod 0755 "$PG_DIR" || return 1
	_pg_searchable "$PG_DIR"
	if ! _pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust \
	    -E UTF8 --locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1 \
	    </dev/null; then
		echo "pg_up: initdb failed:" >&2
		tail -n 20 "$PG_DIR/initdb.log" >&2
		return 1
	fi
	# The port names the socket only (no TCP); still taken from the
	# slot's range, so that no two suites' servers share a name.
	for _ in 1 2 3; do
		PG_PORT=$(t_free_port) || return 1
		pg_start && break
		pg_stop
		PG_PORT=""
	done
	[ -n "$PG_PORT" ] || return 1
	export PG_DIR PG_DATA PG_LOG PG_PORT
	pg_admin "CREATE ROLE $PG_ROLE LOGIN" \
	    "CREATE DATABASE aliasd OWNER $PG_ROLE" || {
		echo "pg_up: cannot create the role and database" >&2
		return 1
	}
}

pg_cleanup() {
	pg_stop
	if [ -n "$PG_DIR" ] && [ -d "$PG_DIR" ]; then
		rm -rf "$PG_DIR"
	fi
	return 0
}
