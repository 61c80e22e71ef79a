# tests/lib/common.sh - small helpers shared by the integration tests.
#
# Source it from bash (it uses bash arrays and /dev/tcp). It sets no shell
# options of its own, so it works under `set -u` and without `set -e`.
#
# Waiting
#   t_wait_until SECS CMD [ARGS...]
#       Run CMD every 0.1 s until it succeeds or SECS seconds have passed.
#       Returns 0 on success, 1 on timeout. Every wait in the tests goes
#       through here so that none of them can hang a test run.
#
# Ports
#   t_port_busy PORT
#       True when something listens on 127.0.0.1:PORT (or on the wildcard).
#   t_free_port [EXCLUDED_PORT...]
#       Print a free TCP port that is not one of the given ports: one with
#       no socket at all on it, listening or in TIME_WAIT. It is taken
#       from T_PORT_BASE .. T_PORT_BASE + T_PORT_SPAN - 1 (tests/run.sh
#       gives every suite running at once a range of its own, so that two
#       of them never pick the same port between pick and bind), else
#       from 20000-31999. Tries at most 50 random ports; returns 1 if none
#       was free.
#   t_wait_port PORT [SECS=20]
#       Wait until 127.0.0.1:PORT accepts a TCP connection.
#
# Processes (always by PID, never by name)
#   t_pid_alive PID
#       True when the process exists and is not a zombie.
#   t_kill_pid PID [SECS=5]
#       Send TERM, wait up to SECS for the process to go, then KILL it and
#       wait up to 2 s more. Returns 0 when the process is gone.
#   t_reap SECS WHAT PID...
#       Wait up to SECS for each PID (a child of this shell) to end; one
#       still running is named in a TAP diagnostic ("WHAT PID still
#       running; killing it") and killed (t_kill_pid). Then reap them.
#
# TAP output
#   tap_ok DESCRIPTION                print "ok N - DESCRIPTION"
#   tap_not_ok DESCRIPTION [DIAG...]  print "not ok N - ...", DIAG lines as "# ..."
#   tap_check DESCRIPTION CMD [ARGS...]
#       Run CMD (its output goes to stderr); ok when it exits 0.
#   tap_diag TEXT...                  print "# TEXT" lines (stdin too if "-")
#   tap_done                          print the plan "1..N"; returns 1 when any
#                                     test failed (use as the script's exit status)
#   TAP_N, TAP_FAILED                 counters of tests run and failed

# swaks asks on its standard input for what its arguments lack (an empty
# --to, when the command that made the address failed) and, reading
# /dev/null, asks for ever: every swaks of the suites is bounded.
swaks() {
    timeout -k 5 "${T_SWAKS_TIMEOUT:-120}" swaks "$@"
}

t_wait_until() {
    local secs=$1; shift
    local tries=$(( secs * 10 ))
    local i
    for (( i = 0; i <= tries; i++ )); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

t_port_busy() {
    # ss is authoritative for listeners; the connect check catches listeners
    # in other network namespaces' views that ss cannot see (there are none
    # here, but it is cheap).
    local port=$1
    if [ -n "$(ss -Htln "sport = :$port" 2>/dev/null)" ]; then
        return 0
    fi
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

t_free_port() {
    local attempt port ex taken
    # Below the kernel's range for outgoing connections (32768-60999):
    # after a load test thousands of them sit in TIME_WAIT there.
    local base=${T_PORT_BASE:-20000} span=${T_PORT_SPAN:-12000}
    for (( attempt = 0; attempt < 50; attempt++ )); do
        port=$(( base + (RANDOM * 32768 + RANDOM) % span ))
        taken=0
        for ex in "$@"; do
            [ "$ex" = "$port" ] && taken=1
        done
        [ $taken = 1 ] && continue
        t_port_busy "$port" && continue
        # A port whose last connections are still in TIME_WAIT: a server
        # that binds without SO_REUSEADDR (smtp-sink) would fail on it.
        [ -n "$(ss -Htan "sport = :$port" 2>/dev/null)" ] && continue
        echo "$port"
        return 0
    done
    echo "t_free_port: no free port found in 50 attempts" >&2
    return 1
}

_t_port_accepts() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

t_wait_port() {
    t_wait_until "${2:-20}" _t_port_accepts "$1"
}

t_pid_alive() {
    local pid=$1 state
    [ -n "$pid" ] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # A zombie still answers kill -0; it is gone for our purposes.
    state=$(ps -o stat= -p "$pid" 2>/dev/null)
    case "$state" in
        Z*|"") return 1 ;;
    esac
    return 0
}

_t_pid_gone() {
    ! t_pid_alive "$1"
}

t_kill_pid() {
    local pid=$1 secs=${2:-5}
    [ -n "$pid" ] || return 0
    t_pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null
    t_wait_until "$secs" _t_pid_gone "$pid" && return 0
    kill -KILL "$pid" 2>/dev/null
    t_wait_until 2 _t_pid_gone "$pid"
}

t_reap() {
    local secs=$1 what=$2 pid
    shift 2
    for pid in "$@"; do
        t_wait_until "$secs" _t_pid_gone "$pid" ||
            tap_diag "$what $pid still running; killing it"
        t_kill_pid "$pid" 2
        wait "$pid" 2>/dev/null
    done
}

TAP_N=${TAP_N:-0}
TAP_FAILED=${TAP_FAILED:-0}

tap_ok() {
    TAP_N=$(( TAP_N + 1 ))
    echo "ok $TAP_N - $1"
}

tap_not_ok() {
    TAP_N=$(( TAP_N + 1 ))
    TAP_FAILED=$(( TAP_FAILED + 1 ))
    echo "not ok $TAP_N - $1"
    shift
    [ $# -gt 0 ] && tap_diag "$@"
    return 0
}

tap_check() {
    local desc=$1; shift
    if "$@" >&2; then
        tap_ok "$desc"
    else
        tap_not_ok "$desc"
    fi
}

tap_diag() {
    local line
    if [ "${1-}" = "-" ]; then
        while IFS= read -r line; do echo "# $line"; done
        return 0
    fi
    for line in "$@"; do
        printf '%s\n' "$line" | sed 's/^/# /'
    done
}

tap_done() {
    echo "1..$TAP_N"
    [ "$TAP_FAILED" -eq 0 ]
}
