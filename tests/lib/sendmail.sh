# tests/lib/sendmail.sh - a private sendmail instance for one test run.
#
# Debian's sendmail-bin cannot be installed next to Postfix (both are the
# mail-transport-agent), so sm_fetch downloads sendmail-bin, sendmail-base
# and sendmail-cf with `apt-get download` and unpacks them with `dpkg -x` into
# tests/.cache/sendmail/ (reused while it is complete). Nothing of sendmail
# is installed on the system and no file outside the test directory and that
# cache is written.
#
# Per run, under TESTDIR/sendmail: a .mc made from sendmail.mc.in, the .cf m4
# makes of it, the queue, the pid file, and the log. sendmail listens on two
# 127.0.0.1 high ports (daemon names MTA and ORIGINATING), hands every message
# it accepts to smtp-sink on a third port, and smtp-sink writes one file per
# message into TESTDIR/sendmail/capture.
#
# sendmail looks up its own host name (IPv6 too) at start and waits on DNS,
# and it logs only to syslog. So it runs inside its own mount namespace
# (unshare -m) where, for it alone, /etc/hosts and /etc/resolv.conf are
# private files bind-mounted over the real ones and /dev/log is a socket of a
# tiny perl listener that appends to TESTDIR/sendmail/maillog. The real /etc
# and /dev are never changed.
#
# Needs root: the mount namespace and its bind mounts. sendmail runs as
# root (no RunAsUser) and delivers only over TCP (no local mailer, no
# program runs), so neither the smmsp nor the mail user is needed and none
# is created. As root it can reach a milter socket of any mode, but it
# checks the socket's directories: none may be group- or world-writable,
# except with the sticky bit (/tmp), which the .mc trusts.
#
# Usage (bash; works under `set -u`, sets no shell options):
#
#     . tests/lib/sendmail.sh
#     T=$(mktemp -d)
#     trap 'sm_cleanup; rm -rf "$T"' EXIT
#     sm_fetch || exit 1
#     sm_init "$T" "unix:$T/aliasd.sock"        # or "" for no milter
#     sm_start || exit 1
#     sm_swaks_in --to x@example.com ...
#     sm_wait_captured 1 && f=$(sm_capture_last) && sm_msg_sender "$f"
#
# Functions
#   sm_fetch
#       Make sure the unpacked sendmail is in the cache (download and unpack
#       it once, under a lock so parallel runs do not collide) and that it can
#       run: its shared libraries, m4, smtp-sink, swaks, unshare, perl.
#       Installs missing libraries, m4 and swaks with apt (SM_NO_INSTALL=1
#       forbids), never postfix. Returns 1 with a message when unusable.
#   sm_packages
#       Print the Debian packages this library needs installed (sendmail
#       itself is never installed): for the Makefile's deps step.
#   sm_init TESTDIR [MILTER] [DOMAIN=example.com]
#       Create TESTDIR/sendmail, pick three free ports, write the .mc and make
#       the .cf. MILTER is a libmilter socket spec, "unix:/abs/path" or
#       "inet:PORT@127.0.0.1"; "" or "none" for no milter. DOMAIN is the
#       relayed (managed) domain, or several separated by spaces or commas
#       (e.g. "example.com example.org" lets sm_swaks_in reach another
#       domain). Starts nothing. May be called again for a differently
#       configured instance (it stops the running one; new ports, the
#       directory TESTDIR/sendmail starts empty).
#   sm_start
#       Start the log listener, smtp-sink, then sendmail; wait (<= 30 s) until
#       both sendmail ports greet with 220. Returns 1 (with sendmail's output
#       and log on stderr) when they do not.
#   sm_stop
#       TERM every process in sendmail's mount namespace but the daemon (its
#       children, so that the daemon reaps them), wait (<= 5 s); TERM the
#       daemon by its PID, wait (<= 10 s), KILL what is left; then smtp-sink
#       and the log listener by their PIDs (TERM, <= 5 s, KILL).
#   sm_cleanup
#       For `trap sm_cleanup EXIT`: sm_stop, safe to call more than once or
#       before sm_init. Does not delete TESTDIR.
#   sm_pids
#       Print the PIDs of every process this instance runs (none once
#       stopped): for a test that checks nothing was left behind.
#
#   sm_swaks_in ARGS...     swaks to the MTA port from 127.0.0.2
#   sm_swaks_orig ARGS...   swaks to the ORIGINATING port from 127.0.0.1
#   sm_wire_file FILE [OUT] print the path of FILE in SMTP wire form, for
#                           byte-exact tests: swaks -ndf --data @"$(sm_wire_file m)"
#
#   sm_capture_count                number of complete captured messages
#   sm_capture_files                their paths, oldest first
#   sm_capture_last                 path of the newest one
#   sm_wait_captured N [SECS=15]    wait until >= N complete messages are
#                                   captured; 1 on timeout
#   sm_queue_count                  messages in sendmail's queue (deferred)
#   sm_log                          print sendmail's syslog lines
#   sm_log_grep ERE                 grep -E the log (grep's exit status)
#   sm_wait_log ERE [SECS=10]       wait until the log matches ERE
#
# Reading a captured message FILE (smtp-sink's dump format, see below)
#   sm_msg_sender FILE       envelope sender, e.g. <a@b> (<> for a bounce)
#   sm_msg_rcpts FILE        envelope recipients, one <addr> a line
#   sm_msg_message FILE      the message as sendmail sent it: headers + body
#   sm_msg_headers FILE      its header block (without the empty line)
#   sm_msg_header FILE NAME  the unfolded values of header NAME, one a line
#   sm_msg_body FILE         its body: the bytes after the first empty line
#
# Variables set by sm_init (all exported)
#   SM_DIR          TESTDIR/sendmail: everything of this instance
#   SM_MC, SM_CF    the generated sendmail.mc and sendmail.cf
#   SM_QUEUE        the queue directory
#   SM_LOG          sendmail's syslog output   = $SM_DIR/maillog
#   SM_CAPTURE      smtp-sink's dump directory = $SM_DIR/capture
#   SM_PORT         the MTA listener (127.0.0.1), {daemon_name} = MTA
#   SM_ORIG_PORT    the ORIGINATING listener, {daemon_name} = ORIGINATING
#   SM_SINK_PORT    smtp-sink; all accepted mail is relayed there
#   SM_DOMAIN       RELAY_DOMAIN: the managed domain(s), space-separated
#   SM_MILTER       the milter spec ("" when none)
#   SM_HOSTNAME     confDOMAIN_NAME ($j) of the instance: mx.aliasd.test
# set by sm_fetch/sm_start:
#   SM_ROOT         the unpacked packages: tests/.cache/sendmail/root
#   SM_BIN          $SM_ROOT/usr/libexec/sendmail/sendmail
#   SM_PID, SM_SINK_PID, SM_SYSLOG_PID   PIDs while they run
# read from the environment when the file is sourced:
#   SM_CACHE        where the packages are kept (tests/.cache/sendmail)
#   SM_NO_INSTALL=1 sm_fetch never runs apt-get install
#   SM_LOG_LEVEL    sendmail's LogLevel (9); 14 or more logs milter detail
#   SM_MILTER_FLAGS the rest of the INPUT_MAIL_FILTER equate
#                   ("F=T, T=C:10s;S:30s;R:30s;E:2m")
#
# Relaying: sendmail lets 127.0.0.1 relay anywhere (it is "localhost"), and
# any client relay to $SM_DOMAIN; 127.0.0.2 (outsider.aliasd.test in the
# private /etc/hosts) may send only there. Local delivery never happens: no
# domain of the tests is one of sendmail's own names. Mind that aliasd's
# default trusted_networks (127.0.0.0/8) makes every test client outbound.
#
# Replies worth knowing (sendmail 8.17):
#   - With F=T and no milter listening, sendmail greets normally and answers
#     MAIL FROM with "451 4.3.2 Please try again later" (log: "Milter:
#     initialization failed, temp failing commands").
#   - A milter's RCPT reply text is prefixed by sendmail with the address:
#     smfi_setreply(ctx, "550", "5.1.1", "TEXT") on RCPT <x@d> reaches the
#     client as "550 5.1.1 <x@d>... TEXT".
#   - {rcpt_addr} as the milter sees it: <@route:x@example.com> gives
#     x@example.com, <x@example.com.> gives x@example.com, but
#     <"x"@example.com> keeps its quotes ("x"@example.com), and case is kept
#     (X@Example.COM).
#   - An outsider (127.0.0.2) sending to a domain not in SM_DOMAIN gets
#     "550 5.7.1 <x@example.org>... Relaying denied" from sendmail itself,
#     before any milter sees the RCPT.
#
# smtp-sink's dump format (one file per message, written by smtp-sink -d):
#   X-Client-Addr: 127.0.0.1
#   X-Client-Proto: ESMTP
#   X-Helo-Args: mx.aliasd.test
#   X-Mail-Args: <sender@x> SIZE=123           (the MAIL FROM: args)
#   X-Rcpt-Args: <rcpt@y>                      (one per RCPT TO:)
#   Received: from mx.aliasd.test ([127.0.0.1])
#   <TAB>by sink.aliasd.test (smtp-sink) with ESMTP id 1a2b3c4d;
#   <TAB>Sat, 22 Nov 2025 04:40:00 +0000 (UTC)
#   ...the message as sent by sendmail (with sendmail's own Received on
#   top), every CR removed and dot-stuffing undone...
#   one extra empty line (the LF of the final ".CRLF").
# The file is created at MAIL FROM and closed before the 250 to the final
# dot, so a file can be incomplete while a delivery is in flight; the
# helpers list only files that smtp-sink no longer holds open.

_SM_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SM_SRCDIR=${SM_SRCDIR:-$(cd "$_SM_LIBDIR/../.." && pwd)}
SM_CACHE=${SM_CACHE:-$SM_SRCDIR/tests/.cache/sendmail}
SM_ROOT=$SM_CACHE/root
SM_BIN=$SM_ROOT/usr/libexec/sendmail/sendmail
SM_HOSTNAME=mx.aliasd.test
SM_LOG_LEVEL=${SM_LOG_LEVEL:-9}
SM_MILTER_FLAGS=${SM_MILTER_FLAGS:-F=T, T=C:10s;S:30s;R:30s;E:2m}
SM_PID=
SM_SINK_PID=
SM_SYSLOG_PID=
_SM_NS=
# Set by sm_init; empty until then so that every function works under set -u.
SM_DIR='' SM_MC='' SM_CF='' SM_QUEUE='' SM_LOG='' SM_CAPTURE=''
SM_DOMAIN='' SM_MILTER='' SM_PORT='' SM_ORIG_PORT='' SM_SINK_PORT=''
export SM_SRCDIR SM_CACHE SM_ROOT SM_BIN SM_HOSTNAME

# --- small helpers ------------------------------------------------------------
# Waiting, ports and PIDs come from common.sh, shared with postfix.sh.
. "$_SM_LIBDIR/common.sh"

_sm_err() {
    echo "sendmail.sh: $*" >&2
}

# True when PID is a listener on PORT, as ss reports it. Another test
# running in parallel may have taken a port between our pick and our bind:
# then a 220 alone would be someone else's.
_sm_listens() {
    ss -Htlnp "sport = :$1" 2>/dev/null | grep -q "pid=$2,"
}

# The first line a server sends on 127.0.0.1:PORT.
_sm_greeting() {
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        IFS= read -r -t 2 line <&3 || exit 1
        printf "QUIT\r\n" >&3
        printf "%s\n" "${line%$'"'\r'"'}"
    ' _ "$1" 2>/dev/null
}

_sm_ready() {
    local port=$1 pid=$2 expect=$3
    _sm_listens "$port" "$pid" || return 1
    case $(_sm_greeting "$port") in
        "220 $expect"*) return 0 ;;
    esac
    return 1
}

# Text safe as the replacement part of a sed s|...|...| command.
_sm_sed_escape() {
    printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'
}

# --- fetching ------------------------------------------------------------------

# sendmail-bin's own library dependencies (from its Depends). libwrap0 and
# liblockfile1 are the ones a Postfix machine usually lacks.
_SM_LIB_PACKAGES="libwrap0 liblockfile1 libdb5.3 libldap-2.5-0 libnsl2 libsasl2-2 libssl3"
# m4 makes the .cf; smtp-sink is in postfix; swaks is the client; unshare and
# flock are in util-linux, ss in iproute2, timeout in coreutils.
_SM_TOOL_PACKAGES="m4 swaks postfix util-linux iproute2 coreutils perl-base"

sm_packages() {
    echo $_SM_TOOL_PACKAGES $_SM_LIB_PACKAGES
}

_sm_unpacked() {
    [ -f "$SM_ROOT/.complete" ] && [ -x "$SM_BIN" ] \
        && [ -f "$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" ]
}

_sm_download() {
    local debs=$SM_CACHE/debs out=$SM_CACHE/apt.out tmp
    mkdir -p "$debs" || return 1
    if ! ls "$debs"/sendmail-bin_*.deb "$debs"/sendmail-base_*.deb \
            "$debs"/sendmail-cf_*.deb >/dev/null 2>&1; then
        rm -f "$debs"/*.deb
        # A fresh machine may have no package lists yet: update once, retry.
        if ! (cd "$debs" && apt-get download sendmail-bin sendmail-base sendmail-cf) \
                > "$out" 2>&1; then
            apt-get -o DPkg::Lock::Timeout=600 update >> "$out" 2>&1
            if ! (cd "$debs" && apt-get download sendmail-bin sendmail-base sendmail-cf) \
                    >> "$out" 2>&1; then
                _sm_err "apt-get download sendmail-bin sendmail-base sendmail-cf failed:"
                cat "$out" >&2
                return 1
            fi
        fi
    fi
    # Unpack beside the final place and rename, so that an interrupted run
    # never leaves a half tree that looks complete.
    tmp=$SM_CACHE/root.tmp.$$
    rm -rf "$tmp" "$SM_ROOT"
    mkdir -p "$tmp" || return 1
    local deb
    for deb in "$debs"/sendmail-bin_*.deb "$debs"/sendmail-base_*.deb \
               "$debs"/sendmail-cf_*.deb; do
        dpkg -x "$deb" "$tmp" || { _sm_err "dpkg -x $deb failed"; rm -rf "$tmp"; return 1; }
    done
    touch "$tmp/.complete"
    mv "$tmp" "$SM_ROOT"
}

_sm_missing_tools() {
    local t
    for t in m4 smtp-sink swaks unshare perl ss timeout flock apt-get dpkg; do
        command -v "$t" >/dev/null 2>&1 || echo "$t"
    done
}

_sm_missing_libs() {
    ldd "$SM_BIN" 2>/dev/null | awk '/not found/ { print $1 }'
}

sm_fetch() {
    local lock missing
    if [ "$(id -u)" != 0 ]; then
        _sm_err "needs root (mount namespace, bind mounts)"
        return 1
    fi
    PATH=$PATH:/usr/sbin:/sbin:/usr/lib/postfix/sbin
    missing=$(_sm_missing_tools)
    if [ -n "$missing" ] && [ "${SM_NO_INSTALL:-0}" != 1 ]; then
        # Not postfix: installing it configures and starts a system MTA;
        # that is the deps step's decision, not a test's.
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
            install -y --no-install-recommends m4 swaks >&2 || true
        missing=$(_sm_missing_tools)
    fi
    if [ -n "$missing" ]; then
        _sm_err "missing programs: $missing (apt-get install $_SM_TOOL_PACKAGES)"
        return 1
    fi
    mkdir -p "$SM_CACHE" || return 1
    if ! _sm_unpacked; then
        exec {lock}> "$SM_CACHE/.lock" || return 1
        if ! flock -w 300 "$lock"; then
            _sm_err "timed out waiting for $SM_CACHE/.lock"
            exec {lock}>&-
            return 1
        fi
        _sm_unpacked || _sm_download
        local rc=$?
        exec {lock}>&-
        [ $rc = 0 ] || return 1
    fi
    missing=$(_sm_missing_libs)
    if [ -n "$missing" ] && [ "${SM_NO_INSTALL:-0}" != 1 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
            install -y --no-install-recommends $_SM_LIB_PACKAGES >&2 || true
        missing=$(_sm_missing_libs)
    fi
    if [ -n "$missing" ]; then
        _sm_err "$SM_BIN lacks libraries:" $missing "(apt-get install $_SM_LIB_PACKAGES)"
        return 1
    fi
    return 0
}

# --- configuration ---------------------------------------------------------------

sm_init() {
    local testdir=${1:?sm_init TESTDIR [MILTER] [DOMAIN]} milter=${2-} domain=${3:-example.com}
    # RELAY_DOMAIN takes a space-separated list; a comma would end the m4
    # argument.
    domain=$(echo "$domain" | tr ',' ' ' | tr -s ' ')
    domain=${domain# }
    domain=${domain% }
    [ "$milter" = none ] && milter=
    # The directory is about to be emptied: nothing may still run from it.
    sm_stop
    _sm_unpacked || { _sm_err "sendmail is not unpacked: call sm_fetch first"; return 1; }
    mkdir -p "$testdir" || return 1
    SM_DIR=$(cd "$testdir" && pwd)/sendmail
    SM_MC=$SM_DIR/sendmail.mc
    SM_CF=$SM_DIR/sendmail.cf
    SM_QUEUE=$SM_DIR/queue
    SM_LOG=$SM_DIR/maillog
    SM_CAPTURE=$SM_DIR/capture
    SM_DOMAIN=$domain
    SM_MILTER=$milter
    export SM_DIR SM_MC SM_CF SM_QUEUE SM_LOG SM_CAPTURE SM_DOMAIN SM_MILTER

    # A previous instance in the same directory leaves its queue, log and
    # captures behind; a new one starts empty.
    rm -rf "$SM_DIR"
    mkdir -p "$SM_DIR" "$SM_CAPTURE" "$SM_DIR/ns/dev" "$SM_DIR/ns/realdev" || return 1
    mkdir -m 0700 "$SM_QUEUE" || return 1
    : > "$SM_LOG"

    # SM_AVOID_PORTS: ports the caller holds for something else (a
    # port that must stay unanswered, say), never given to sendmail.
    # shellcheck disable=SC2086 # a list of port numbers
    SM_PORT=$(t_free_port ${SM_AVOID_PORTS-}) || return 1
    # shellcheck disable=SC2086
    SM_ORIG_PORT=$(t_free_port ${SM_AVOID_PORTS-} "$SM_PORT") || return 1
    # shellcheck disable=SC2086
    SM_SINK_PORT=$(t_free_port ${SM_AVOID_PORTS-} "$SM_PORT" "$SM_ORIG_PORT") || return 1
    export SM_PORT SM_ORIG_PORT SM_SINK_PORT

    # sendmail's own lookups (hosts, aliases) go to files only. The private
    # /etc/hosts names our host; /etc/resolv.conf points at 127.0.0.1, where
    # no DNS server answers, so a stray resolver call fails at once.
    printf 'hosts\t\tfiles\naliases\t\tfiles\n' > "$SM_DIR/service.switch"
    local short
    short=$(uname -n)
    short=${short%%.*}
    {
        echo "127.0.0.1 localhost"
        echo "127.0.0.1 $SM_HOSTNAME $short"
        # sm_swaks_in's client: without a name for it sendmail answers
        # relaying attempts with 450 "Cannot resolve PTR record".
        echo "127.0.0.2 outsider.aliasd.test"
        echo "::1 $SM_HOSTNAME $short localhost ip6-localhost ip6-loopback"
    } > "$SM_DIR/hosts"
    echo "nameserver 127.0.0.1" > "$SM_DIR/resolv.conf"
    : > "$SM_DIR/aliases"
    : > "$SM_DIR/local-host-names"
    : > "$SM_DIR/trusted-users"
    : > "$SM_DIR/statistics"

    local milter_line="dnl no milter"
    if [ -n "$milter" ]; then
        milter_line="INPUT_MAIL_FILTER(\`aliasd', \`S=$milter, $SM_MILTER_FLAGS')dnl"
    fi
    sed -e "s|@CF_DIR@|$(_sm_sed_escape "$SM_ROOT/usr/share/sendmail/cf")|g" \
        -e "s|@HELP_FILE@|$(_sm_sed_escape "$SM_ROOT/etc/mail/helpfile")|g" \
        -e "s|@DIR@|$(_sm_sed_escape "$SM_DIR")|g" \
        -e "s|@HOSTNAME@|$(_sm_sed_escape "$SM_HOSTNAME")|g" \
        -e "s|@DOMAIN@|$(_sm_sed_escape "$SM_DOMAIN")|g" \
        -e "s|@PORT@|$SM_PORT|g" \
        -e "s|@ORIG_PORT@|$SM_ORIG_PORT|g" \
        -e "s|@SINK_PORT@|$SM_SINK_PORT|g" \
        -e "s|@LOG_LEVEL@|$SM_LOG_LEVEL|g" \
        -e "s|@MILTER_LINE@|$(_sm_sed_escape "$milter_line")|g" \
        "$_SM_LIBDIR/sendmail.mc.in" > "$SM_MC" || return 1
    if ! m4 "$SM_MC" > "$SM_CF" 2> "$SM_DIR/m4.err" || [ -s "$SM_DIR/m4.err" ]; then
        _sm_err "m4 $SM_MC failed:"
        cat "$SM_DIR/m4.err" >&2
        return 1
    fi
    _sm_write_ns_script
}

# The script that runs inside the new mount namespace and becomes sendmail.
_sm_write_ns_script() {
    cat > "$SM_DIR/run-sendmail.sh" <<'EOF'
#!/bin/sh
# Run by sm_start as: unshare -m run-sendmail.sh SM_DIR SENDMAIL_BINARY
# Every mount below exists only in this mount namespace (unshare makes its
# mounts private) and vanishes with its last process.
set -e
dir=$1
bin=$2
mount --bind "$dir/hosts" /etc/hosts
mount --bind "$dir/resolv.conf" /etc/resolv.conf

# syslog(3) writes to /dev/log, which may not exist at all (containers) and
# must not be created in the real /dev. So /dev becomes a directory of
# symlinks to the real entries (reachable under ns/realdev) plus "log",
# pointing at our listener's socket.
mount --rbind /dev "$dir/ns/realdev"
for e in /dev/* /dev/.[!.]*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    name=${e#/dev/}
    [ "$name" = log ] && continue
    ln -sfn "$dir/ns/realdev/$name" "$dir/ns/dev/$name"
done
ln -sfn "$dir/syslog.sock" "$dir/ns/dev/log"
mount --bind "$dir/ns/dev" /dev

exec "$bin" -C "$dir/sendmail.cf" -bD \
    -O "QueueDirectory=$dir/queue" -O "PidFile=$dir/sendmail.pid"
EOF
    chmod 0755 "$SM_DIR/run-sendmail.sh"
}

# --- running ---------------------------------------------------------------------

_sm_start_syslog() {
    # A datagram listener like syslogd's: one message per datagram, the
    # "<PRI>" dropped, one line each in SM_LOG. perl-base is always there.
    # A file rather than perl -e, so that ps shows what it is.
    cat > "$SM_DIR/syslogd.pl" <<'EOF'
use strict;
use Socket;
my ($path, $out) = @ARGV;
unlink $path;
socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n";
bind($s, pack_sockaddr_un($path)) or die "bind $path: $!\n";
chmod 0666, $path;    # sendmail's children may run as other users
open(my $fh, ">>", $out) or die "$out: $!\n";
select((select($fh), $| = 1)[0]);
my $msg;
while (defined recv($s, $msg, 65536, 0)) {
    $msg =~ s/^<\d+>//;
    $msg =~ s/\n*\z/\n/;
    print $fh $msg;
}
EOF
    perl "$SM_DIR/syslogd.pl" "$SM_DIR/syslog.sock" "$SM_LOG" 2> "$SM_DIR/syslog.err" &
    SM_SYSLOG_PID=$!
    if ! t_wait_until 5 test -S "$SM_DIR/syslog.sock"; then
        _sm_err "the log listener did not start:"
        cat "$SM_DIR/syslog.err" >&2
        return 1
    fi
}

_sm_start_sink() {
    smtp-sink -u root -h sink.aliasd.test -d "$SM_CAPTURE/%Y%m%d%H/%M." \
        "127.0.0.1:$SM_SINK_PORT" 64 > "$SM_DIR/sink.out" 2>&1 &
    SM_SINK_PID=$!
    if ! t_wait_until 10 _sm_ready "$SM_SINK_PORT" "$SM_SINK_PID" ""; then
        _sm_err "smtp-sink did not start on port $SM_SINK_PORT:"
        cat "$SM_DIR/sink.out" >&2
        return 1
    fi
}

_sm_sendmail_ready() {
    t_pid_alive "$SM_PID" || return 2
    _sm_ready "$SM_PORT" "$SM_PID" "$SM_HOSTNAME" \
        && _sm_ready "$SM_ORIG_PORT" "$SM_PID" "$SM_HOSTNAME"
}

_sm_wait_sendmail() {
    local i rc
    for (( i = 0; i <= 300; i++ )); do
        _sm_sendmail_ready
        rc=$?
        [ $rc = 0 ] && return 0
        [ $rc = 2 ] && return 1     # died: no point in waiting on
        sleep 0.1
    done
    return 1
}

# Our namespace, or nothing while the PID still lives in ours (before
# unshare ran). Comparing with our own keeps sm_stop from ever sweeping the
# host's namespace.
_sm_read_ns() {
    local ns
    ns=$(readlink "/proc/$SM_PID/ns/mnt" 2>/dev/null) || return 0
    [ "$ns" != "$(readlink /proc/$$/ns/mnt)" ] && _SM_NS=$ns
}

# sendmail and everything it forked: all processes in its mount namespace.
_sm_ns_pids() {
    [ -n "$SM_PID" ] && t_pid_alive "$SM_PID" && echo "$SM_PID"
    [ -n "$_SM_NS" ] || return 0
    # One find over all /proc/PID/ns/mnt links (%l is the link's text,
    # "mnt:[INODE]"), not one readlink per process: this runs in wait loops.
    find /proc/[0-9]*/ns/mnt -maxdepth 0 -printf '%l %p\n' 2>/dev/null \
        | awk -v ns="$_SM_NS" -v daemon="$SM_PID" '
            $1 == ns { split($2, part, "/"); if (part[3] != daemon) print part[3] }'
}

sm_start() {
    [ -n "${SM_DIR-}" ] && [ -f "${SM_CF-}" ] || { _sm_err "call sm_init first"; return 1; }
    _sm_start_syslog || return 1
    _sm_start_sink || return 1
    rm -f "$SM_DIR/sendmail.pid"
    unshare -m "$SM_DIR/run-sendmail.sh" "$SM_DIR" "$SM_BIN" \
        > "$SM_DIR/sendmail.out" 2>&1 &
    SM_PID=$!
    export SM_PID SM_SINK_PID SM_SYSLOG_PID
    if ! _sm_wait_sendmail; then
        _sm_read_ns
        _sm_err "sendmail did not answer on ports $SM_PORT and $SM_ORIG_PORT:"
        cat "$SM_DIR/sendmail.out" >&2
        tail -n 20 "$SM_LOG" >&2
        return 1
    fi
    _sm_read_ns
    if [ -z "$_SM_NS" ]; then
        _sm_err "sendmail (PID $SM_PID) is not in its own mount namespace"
        return 1
    fi
    return 0
}

_sm_none_left() {
    [ -z "$(_sm_ns_pids)" ]
}

# True when no process but the daemon is in the namespace and the daemon
# has no child left, not even a zombie (a zombie's ns link is unreadable,
# so its parent PID, field 4 of /proc/PID/stat, is what shows it).
_sm_only_daemon_left() {
    [ -n "$_SM_NS" ] || return 0
    [ "$(_sm_ns_pids)" = "$SM_PID" ] || [ -z "$(_sm_ns_pids)" ] || return 1
    ! cat /proc/[0-9]*/stat 2>/dev/null \
        | awk -v daemon="$SM_PID" '{ sub(/^.*\) /, "") } $2 == daemon { found = 1 }
                                   END { exit !found }'
}

_sm_stop_sendmail() {
    local p
    [ -n "$SM_PID" ] || return 0
    [ -n "$_SM_NS" ] || _sm_read_ns
    # Children first, while the daemon is there to reap them: orphans are
    # reaped by PID 1, and not every PID 1 does (this VM's does not, and
    # they would stay as zombies). Then the daemon, which is our child.
    for p in $(_sm_ns_pids); do
        [ "$p" = "$SM_PID" ] || kill -TERM "$p" 2>/dev/null
    done
    t_wait_until 5 _sm_only_daemon_left
    kill -TERM "$SM_PID" 2>/dev/null
    if ! t_wait_until 10 _sm_none_left; then
        for p in $(_sm_ns_pids); do
            kill -KILL "$p" 2>/dev/null
        done
        # shellcheck disable=SC2046 # one PID a word, on one line
        t_wait_until 2 _sm_none_left || _sm_err "sendmail processes left:" $(_sm_ns_pids)
    fi
    # Reap it (it is our child) without bash reporting "Terminated".
    { wait "$SM_PID"; } 2>/dev/null
    SM_PID=
    _SM_NS=
}

_sm_stop_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    if ! t_wait_until 5 _t_pid_gone "$pid"; then
        kill -KILL "$pid" 2>/dev/null
        t_wait_until 2 _t_pid_gone "$pid" || _sm_err "PID $pid did not exit"
    fi
    { wait "$pid"; } 2>/dev/null
    return 0
}

sm_stop() {
    _sm_stop_sendmail
    _sm_stop_pid "$SM_SINK_PID"
    SM_SINK_PID=
    _sm_stop_pid "$SM_SYSLOG_PID"
    SM_SYSLOG_PID=
    return 0
}

sm_cleanup() {
    sm_stop
    return 0
}

sm_pids() {
    _sm_ns_pids
    t_pid_alive "$SM_SINK_PID" && echo "$SM_SINK_PID"
    t_pid_alive "$SM_SYSLOG_PID" && echo "$SM_SYSLOG_PID"
    return 0
}

# --- clients -----------------------------------------------------------------------

sm_swaks_in() {
    swaks --server 127.0.0.1 --port "$SM_PORT" --local-interface 127.0.0.2 \
        --timeout 30 "$@"
}

sm_swaks_orig() {
    swaks --server 127.0.0.1 --port "$SM_ORIG_PORT" --local-interface 127.0.0.1 \
        --timeout 30 "$@"
}

# swaks' own "fixups" of --data change a message: it adds an empty line at
# the end, replaces tokens such as %DATE%, and more. For byte-exact tests send
# the wire form instead, untouched: swaks -ndf --data @"$(sm_wire_file msg)".
sm_wire_file() {
    local src=$1 out=${2:-$1.smtp}
    perl -pe 's/^\./../; s/\r?\n?\z/\r\n/' "$src" > "$out" || return 1
    printf '.' >> "$out"
    echo "$out"
}

# --- queue and log -------------------------------------------------------------------

sm_queue_count() {
    # qf files are the queued messages (df, the bodies, come with them).
    find "$SM_QUEUE" -type f -name 'qf*' 2>/dev/null | wc -l
}

sm_log() {
    cat "$SM_LOG"
}

sm_log_grep() {
    grep -E "$1" "$SM_LOG"
}

sm_wait_log() {
    t_wait_until "${2:-10}" grep -qE "$1" "$SM_LOG"
}

# --- captured mail ---------------------------------------------------------------------

_sm_sink_open_files() {
    [ -n "${SM_SINK_PID-}" ] || return 0
    find "/proc/$SM_SINK_PID/fd" -type l -printf '%l\n' 2>/dev/null \
        | grep -F "$SM_CAPTURE/"
}

sm_capture_files() {
    # Oldest first by modification time, and only complete dumps.
    # The files first, then what is open: a dump begun between the two
    # looks is not in the list, where the other order would show it,
    # still empty, as complete.
    local files open
    files=$(find "$SM_CAPTURE" -type f -printf '%T@ %p\n' 2>/dev/null | sort -n \
        | cut -d' ' -f2-)
    open=$(_sm_sink_open_files)
    [ -n "$files" ] || return 0
    printf '%s\n' "$files" | grep -vxF -e "${open:-/nonexistent/}"
    return 0
}

sm_capture_count() {
    sm_capture_files | grep -c .
}

_sm_captured_at_least() {
    [ "$(sm_capture_count)" -ge "$1" ]
}

sm_wait_captured() {
    t_wait_until "${2:-15}" _sm_captured_at_least "$1"
}

sm_capture_last() {
    sm_capture_files | tail -n 1
}

# smtp-sink's own records end with its Received header: "Received: from",
# "<TAB>by ... (smtp-sink) with ...", "<TAB>DATE". The message starts after
# that; its last byte is smtp-sink's extra LF, which is dropped.
sm_msg_message() {
    local start size
    start=$(awk '/^\tby .* \(smtp-sink\) with / { print NR + 2; exit }' "$1")
    [ -n "$start" ] || return 1
    size=$(tail -n +"$start" "$1" | wc -c)
    [ "$size" -gt 0 ] || return 0
    tail -n +"$start" "$1" | head -c $(( size - 1 ))
}

sm_msg_sender() {
    sed -n 's/^X-Mail-Args: *\([^ ]*\).*/\1/p' "$1" | head -n 1
}

sm_msg_rcpts() {
    awk '/^X-Rcpt-Args:/ { print $2 } /^Received: / { exit }' "$1"
}

sm_msg_headers() {
    sm_msg_message "$1" | awk '/^$/ { exit } { print }'
}

sm_msg_header() {
    local file=$1 name=$2
    sm_msg_headers "$file" | LC_ALL=C awk -v want="$(echo "$name" | tr 'A-Z' 'a-z')" '
        function flush() { if (cur != "") print cur; cur = "" }
        /^[ \t]/ { if (keep) cur = cur " " substr($0, match($0, /[^ \t]/)); next }
        {
            flush()
            n = index($0, ":")
            keep = (n > 0 && tolower(substr($0, 1, n - 1)) == want)
            if (keep) { v = substr($0, n + 1); sub(/^[ \t]+/, "", v); cur = v }
        }
        END { flush() }
    '
}

sm_msg_body() {
    local hdrlen msg
    msg=$(mktemp) || return 1
    sm_msg_message "$1" > "$msg"
    hdrlen=$(LC_ALL=C awk '{ n += length($0) + 1 } /^$/ { print n; found = 1; exit }
                  END { if (!found) print n + 0 }' "$msg")
    tail -c +"$(( hdrlen + 1 ))" "$msg"
    rm -f "$msg"
}
