#!/bin/bash
# aliasd_daemon.sh: the daemon's own conventions: -n, detaching with a
# pid file, dropping root (the parent in the pid file and its milter
# child), the socket's owner and mode, SIGHUP reloading (and refusing a
# bad file), SIGTERM stopping.  reload.sh tests reloading under load.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/../lib/aliasd.sh"

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (aliasd drops privileges)"
	exit 0
fi
T=$(mktemp -d /tmp/aliasd-daemon.XXXXXX) || exit 1
chmod 0755 "$T"
daemon_pid=""
cleanup() { ad_stop; t_kill_pid "$daemon_pid"; rm -rf "$T"; }
trap cleanup EXIT

ad_setup example.com nobody </dev/null

out=$("$AD_BIN" -n -c "$AD_CONF" 2>&1)
tap_check "-n on a good file prints 'configuration OK', exit 0" [ $? -eq 0 ] && [ "$out" = "configuration OK" ]
printf 'domain = example.com\nfrob = 1\n' >"$T/bad.conf"
out=$("$AD_BIN" -n -c "$T/bad.conf" 2>&1)
rc=$?
tap_check "-n on a bad file exits 78" [ "$rc" -eq 78 ]
tap_check "-n names FILE:LINE" grep -q "$T/bad.conf:2: unknown key" <<<"$out"
out=$("$AD_BIN" -x 2>&1)
tap_check "an unknown option exits 64 with the usage" [ $? -eq 64 ] && grep -q '^usage: aliasd' <<<"$out"
printf 'domain = example.com\nuser = no-such-user-here\n' >"$T/nouser.conf"
"$AD_BIN" -n -c "$T/nouser.conf" >/dev/null 2>&1
tap_check "a user that does not exist is a configuration error" [ $? -eq 78 ]

# Detached, with a pid file.
pidfile="$AD_SOCKDIR/aliasd.pid"
"$AD_BIN" -c "$AD_CONF" -p "$pidfile"
tap_check "detaches: the parent exits 0" [ $? -eq 0 ]
t_wait_until 10 test -s "$pidfile"
daemon_pid=$(cat "$pidfile" 2>/dev/null)
tap_check "writes its pid file" t_pid_alive "$daemon_pid"
t_wait_until 5 test -S "$AD_SOCKDIR/aliasd.sock"
uid=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$daemon_pid/status" 2>/dev/null)
nobody=$(id -u nobody)
tap_check "runs as the configured user, not root (Uid: $uid)" [ "$uid" = "$nobody $nobody $nobody $nobody" ]
groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$daemon_pid/status" | tr -d ' ')
tap_check "has no supplementary root group (Groups: $groups)" [ "$groups" = "$(id -g nobody)" ]
milter_pid=$(ps -o pid= --ppid "$daemon_pid" | tr -d ' ' | head -n 1)
uid=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$milter_pid/status" 2>/dev/null)
tap_check "its milter child runs as the configured user too (Uid: $uid)" [ "$uid" = "$nobody $nobody $nobody $nobody" ]
tap_check "the socket is the user's, mode 0660" \
    [ "$(stat -c '%U %a' "$AD_SOCKDIR/aliasd.sock")" = "nobody 660" ]
tap_check "the store is not readable by others" \
    [ "$(stat -c '%a' "$T/store/aliases.db")" = 600 ]
tap_check "stdin is detached (/dev/null)" [ "$(readlink "/proc/$daemon_pid/fd/0")" = /dev/null ]
kill -TERM "$daemon_pid"
ad_wait_gone "$daemon_pid" 35
tap_check "SIGTERM stops it" _t_pid_gone "$daemon_pid"
tap_check "and its milter child" _t_pid_gone "$milter_pid"
tap_check "and it removes its pid file" [ ! -e "$pidfile" ]
tap_check "and its socket" [ ! -e "$AD_SOCKDIR/aliasd.sock" ]
daemon_pid=""

# Foreground, logging to stderr: reloads.
ad_start
tap_check "starts in the foreground" t_pid_alive "$AD_PID"
grep -q "starting: socket $AD_SOCKET" "$AD_LOG"
tap_check "logs its start on stderr with -f" [ $? -eq 0 ]
tap_check "with the time and the process id in front" \
    grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z aliasd\[[0-9]+\]: starting: ' "$AD_LOG"
echo "passthrough = postmaster, abuse, hostmaster" >>"$AD_CONF"
kill -HUP "$AD_PID"
tap_check "SIGHUP reloads a good file" t_wait_until 5 grep -q "configuration reloaded" "$AD_LOG"
tap_check "and keeps running" t_pid_alive "$AD_PID"
echo "# touched" >>"$AD_CONF"
kill -USR1 "$AD_PID"
tap_check "SIGUSR1 reloads too" t_wait_until 5 sh -c "[ \$(grep -c 'configuration reloaded' '$AD_LOG') -ge 2 ]"
echo "on_error = sometimes" >>"$AD_CONF"
kill -HUP "$AD_PID"
tap_check "SIGHUP with a bad file keeps the running configuration" \
    t_wait_until 5 grep -q "reload failed, keeping the running configuration: $AD_CONF:[0-9]*: on_error" "$AD_LOG"
tap_check "and still runs" t_pid_alive "$AD_PID"
kill -INT "$AD_PID"
ad_wait_gone "$AD_PID" 35
tap_check "SIGINT stops it" _t_pid_gone "$AD_PID"
AD_PID=""
tap_check "nothing was logged as an error" sh -c "! grep -q 'ERROR:\|fatal\|runtime error' '$AD_LOG'"
tap_done
