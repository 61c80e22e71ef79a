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
#   aliasctl ARGS...         the built aliasctl on this store

AD_BIN="$ALIASD_BUILD/aliasd"
AD_CTL="$ALIASD_BUILD/aliasctl"
AD_PID=""

aliasctl() { ALIASD_CONF="$AD_CONF" "$AD_CTL" "$@"; }

# Write the configuration; extra "key = value" lines come on stdin.
ad_setup() {
	local domain=$1 user=$2
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
		echo "database = $T/store/aliases.db"
		echo "socket = $AD_SOCKET"
		echo "user = $user"
		echo "trusted_networks = 127.0.0.1/32"
		cat
	} >"$AD_CONF"
	chmod 0644 "$AD_CONF"
	aliasctl init >/dev/null
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

ad_stop() {
	local secs=5

	[ -n "$AD_PID" ] || return 0
	# Under valgrind the leak check runs after SIGTERM: give it time.
	[ "${AD_VALGRIND:-0}" = 1 ] && secs=60
	t_kill_pid "$AD_PID" "$secs"
	wait "$AD_PID" 2>/dev/null
	AD_RC=$?
	AD_PID=""
}
