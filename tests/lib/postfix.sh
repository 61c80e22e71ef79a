# tests/lib/postfix.sh - a private Postfix instance for one test run.
#
# Everything lives under one test directory: configuration, queue, data,
# log, SASL database and the captured mail. Postfix listens on 127.0.0.1 high
# ports only, never looks anything up in DNS, and hands every message it
# accepts (inbound relay and outbound alike) to smtp-sink on 127.0.0.1, which
# writes one file per message into a capture directory. The system's own
# Postfix (/etc/postfix, the systemd unit) is never started or changed; the
# one exception, only on request, is pf_allow_alternate_config.
#
# Usage (bash; works under `set -u`):
#
#     . tests/lib/postfix.sh
#     T=$(mktemp -d)                          # 0700: see pf_make_searchable
#     trap 'pf_cleanup; rm -rf "$T"' EXIT
#     pf_require || exit 1
#     pf_init "$T" "unix:$T/aliasd.sock"      # or "" for no milter
#     pf_start || exit 1
#     swaks --server 127.0.0.1 --port "$PF_PORT_IN" --local-interface 127.0.0.2 ...
#     pf_wait_captured 1 && f=$(pf_capture_last) && pf_msg_sender "$f"
#
# Functions
#   pf_require
#       Check that postfix, postconf, smtp-sink, swaks and saslpasswd2 are
#       present; as root, install the missing Debian packages (set
#       PF_NO_INSTALL=1 to forbid). Returns 1 with a message when unusable.
#   pf_init TESTDIR [MILTER] [DOMAIN=example.com]
#       Create TESTDIR/postfix/{etc,queue,data}, TESTDIR/capture, the SASL
#       config and sasldb, pick three free ports, and write main.cf and
#       master.cf. MILTER is a Postfix milter spec, "unix:/abs/path" or
#       "inet:127.0.0.1:PORT"; libmilter's "inet:PORT@HOST" and "local:/path"
#       (aliasd's `socket` value) are converted; "" or "none" for no milter.
#       DOMAIN is the relayed (managed) domain.
#       Does not start anything.
#   pf_set_milter MILTER
#       Change smtpd_milters and non_smtpd_milters; reloads Postfix if it
#       runs (and waits until the reload took effect).
#   pf_postconf ARGS...
#       postconf against this instance (e.g. pf_postconf -e 'key = value').
#   pf_start
#       Start the capture sink, then Postfix; wait (<= 20 s) until the sink
#       and both listeners accept connections. Returns 1 (log shown on
#       stderr) when they do not.
#   pf_up TESTDIR MILTER DOMAIN [CMD ARGS...]
#       pf_init, then CMD (e.g. pf_postconf -e 'key = value'), then
#       pf_start; up to three times, each with new ports: a port
#       t_free_port picked may still be held by one of the loopback
#       connections that load tests leave in TIME_WAIT (smtp-sink's bind
#       then fails). Returns 1 when no try started.
#   pf_require_source
#       pf_require, and smtp-source (package postfix) found: its path in
#       $PF_SOURCE. Otherwise a TAP "Bail out!" line on stdout and 1.
#   pf_reload
#       HUP the master (what `postfix reload` does) and wait (<= 10 s) until
#       it logged the reload.
#   pf_stop
#       `postfix stop`; wait (<= 10 s) for the master PID to go, else TERM,
#       then KILL, that PID; wait (<= 5 s) for its daemons (PIDs taken
#       before the stop); then stop the sink by its PID.
#   pf_cleanup
#       For `trap pf_cleanup EXIT`: stop whatever this run started and undo
#       pf_allow_alternate_config. Safe to call more than once, or before
#       pf_init. Does not delete TESTDIR.
#   pf_sink_start / pf_sink_stop
#       Start/stop only smtp-sink (pf_start/pf_stop call them).
#   pf_make_searchable PATH
#       mktemp -d makes 0700 directories, which the postfix user cannot
#       enter, so smtpd could not reach a milter socket under them. This adds
#       o+x (search, not read) to PATH and every parent up to / that lacks
#       it. pf_init and pf_set_milter do it for a unix: milter's directory
#       when that exists; the socket itself must be writable by postfix.
#   pf_sendmail ARGS...
#       Run this instance's sendmail (MAIL_CONFIG=$PF_CONF); the message goes
#       through non_smtpd_milters. As root nothing else is needed.
#   pf_allow_alternate_config
#       Only for a test that runs sendmail as a user other than root: add
#       $PF_CONF to alternate_config_directories in /etc/postfix/main.cf
#       (postdrop's rule for set-gid use); pf_cleanup removes it again.
#   pf_swaks_in ARGS...
#       swaks to the inbound listener from 127.0.0.2, an untrusted outsider.
#   pf_swaks_sub ARGS...
#       swaks to the submission listener from 127.0.0.1, authenticated with
#       AUTH PLAIN as the test user. Later options win, so
#       `pf_swaks_sub --local-interface 127.0.0.2 --auth-password x` works.
#   pf_wire_file MSGFILE [OUT=MSGFILE.smtp]
#       Write MSGFILE (an LF message) in SMTP DATA form (CRLF, dot-stuffed,
#       final ".") to OUT and print OUT. Send it with
#       `swaks -ndf --data @OUT`: swaks' default --data fixups change the
#       message (an extra empty line at the end, %DATE%-style tokens and the
#       two characters \n replaced, a leading "From " line dropped).
#   pf_file_body MSGFILE
#       The body of an LF message file (bytes after the first empty line):
#       `cmp <(pf_file_body msg) <(pf_msg_body "$captured")`.
#   pf_replied TXFILE ERE
#       A swaks transcript matches ERE; when not, its SMTP lines go to
#       stderr (indented) and the status is 1.
#   pf_probe ADDR [SECS=20]
#       One SMTP session to the inbound listener from 127.0.0.1 (trusted by
#       Postfix, an outsider for a milter that trusts less) up to
#       RCPT TO:<ADDR>, then QUIT; no message is sent. Sets PF_REPLY to
#       the RCPT reply's last line ("TIMEOUT" when no reply came within
#       SECS, "CONNECT-FAILED" when no connection), and PF_MS to the
#       session's milliseconds. Uses file descriptor 5.
#
#   pf_capture_count                number of complete captured messages
#   pf_capture_files                their paths, oldest first
#   pf_capture_last                 path of the newest one
#   pf_wait_captured N [SECS=15]    wait until >= N complete messages are
#                                   captured; 1 on timeout
#   pf_wait_queue_empty [SECS=15]   wait until the queue is empty; 1 on timeout
#   pf_queue_count                  number of messages in the queue
#   pf_queue_list                   postqueue -p
#   pf_flush                        postqueue -f (retry deferred mail now)
#   pf_log                          print the maillog
#   pf_log_grep ERE                 grep -E the maillog (grep's exit status)
#   pf_wait_log ERE [SECS=10]       wait until the maillog matches ERE
#   pf_bounce_count                 signs of bounces: captured messages with
#                                   envelope sender <> plus recipients logged
#                                   status=bounced (one bounce usually counts
#                                   twice; meant for "= 0" checks)
#
# Reading a captured message FILE (smtp-sink's dump format, see below)
#   pf_msg_sender FILE       envelope sender, e.g. <a@b> (<> for a bounce)
#   pf_msg_rcpts FILE        envelope recipients, one <addr> a line
#   pf_msg_message FILE      the message as Postfix sent it: headers + body
#   pf_msg_headers FILE      its header block (without the empty line)
#   pf_msg_header FILE NAME  the unfolded values of header NAME, one a line
#   pf_header_values NAME    the same for a header block on stdin
#   pf_msg_body FILE         its body: the bytes after the first empty line
#
# Variables set by pf_init (all exported)
#   PF_DIR          the test directory given to pf_init
#   PF_CONF         config dir (main.cf, master.cf) = $PF_DIR/postfix/etc
#   PF_QUEUE        queue_directory                 = $PF_DIR/postfix/queue
#   PF_DATA         data_directory                  = $PF_DIR/postfix/data
#   PF_LOG          maillog_file                    = $PF_DIR/postfix/maillog
#   PF_CAPTURE      smtp-sink's dump directory      = $PF_DIR/capture
#   PF_SASL_DIR     $PF_CONF/sasl: smtpd.conf and sasldb2
#   PF_PORT_IN      inbound smtpd port (127.0.0.1)
#   PF_PORT_SUB     submission smtpd port: SASL, daemon_name ORIGINATING
#   PF_SINK_PORT    smtp-sink port; all mail is relayed there
#   PF_DOMAIN       relay_domains (the managed domain)
#   PF_MILTER       current milter spec ("" when none)
#   PF_HOSTNAME     myhostname of the instance (mx.aliasd.test)
#   PF_SASL_USER, PF_SASL_PASS   the test account (joe@aliasd.test / secret)
#   PF_SINK_PID     PID of smtp-sink while it runs
#
# The listeners
#   127.0.0.1:$PF_PORT_IN   inbound. mynetworks is 127.0.0.1/32 only, so a
#       client bound to 127.0.0.2 is an untrusted outsider: it may send only
#       to $PF_DOMAIN (else 554 5.7.1 Relay access denied). Postfix itself
#       accepts any local part there (local_recipient_maps is empty): only
#       the milter refuses recipients. SASL AUTH is offered here too, so a
#       test can tell "authenticated" apart from "daemon_name ORIGINATING".
#   127.0.0.1:$PF_PORT_SUB  submission: -o milter_macro_daemon_name=ORIGINATING,
#       SASL AUTH (PLAIN, LOGIN) without TLS.
#
# smtp-sink's dump format (one file per message, written by smtp-sink -d):
#   X-Client-Addr: 127.0.0.1
#   X-Client-Proto: ESMTP
#   X-Helo-Args: mx.aliasd.test
#   X-Mail-Args: <sender@x> SIZE=123 BODY=8BITMIME    (the MAIL FROM: args)
#   X-Rcpt-Args: <rcpt@y> ORCPT=rfc822;rcpt@y          (one per RCPT TO:)
#   Received: from mx.aliasd.test ([127.0.0.1])
#   <TAB>by sink.aliasd.test (smtp-sink) with ESMTP id 1a2b3c4d;
#   <TAB>Sat, 22 Nov 2025 04:40:00 +0000 (UTC)
#   ...the message as sent by Postfix, with every CR removed and dot-
#   stuffing undone...
#   one extra empty line (the LF of the final ".CRLF").
# The file is created at MAIL FROM and closed before the 250 to the final
# dot, so a file can be incomplete while a delivery is in flight; the
# helpers list only files that smtp-sink no longer holds open.

_PF_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$_PF_LIBDIR/common.sh"

PF_HOSTNAME=mx.aliasd.test
PF_SASL_USER=joe@aliasd.test
PF_SASL_PASS=secret
_PF_STARTED=0

pf_require() {
    local missing=""
    command -v postconf >/dev/null 2>&1 || missing="$missing postfix"
    command -v swaks >/dev/null 2>&1 || missing="$missing swaks"
    command -v saslpasswd2 >/dev/null 2>&1 || missing="$missing sasl2-bin"
    _pf_have_file /usr/lib/*/sasl2/libsasldb.so* /usr/lib/sasl2/libsasldb.so* \
        || missing="$missing libsasl2-modules-db"
    _pf_have_file /usr/lib/*/sasl2/libplain.so* /usr/lib/sasl2/libplain.so* \
        || missing="$missing libsasl2-modules"
    if [ -n "$missing" ]; then
        if [ "$(id -u)" != 0 ] || [ "${PF_NO_INSTALL:-0}" = 1 ]; then
            echo "pf_require: missing packages:$missing" >&2
            return 1
        fi
        # "No configuration" keeps the package from writing /etc/postfix/main.cf
        # and starting the system's Postfix.
        echo "postfix postfix/main_mailer_type select No configuration" \
            | debconf-set-selections
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-remove -o DPkg::Lock::Timeout=600 $missing >&2 || {
            apt-get update -q >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                --no-remove -o DPkg::Lock::Timeout=600 $missing >&2
        } || {
            echo "pf_require: could not install:$missing" >&2
            return 1
        }
    fi
    _pf_find_sink >/dev/null || {
        echo "pf_require: smtp-sink not found (package postfix)" >&2
        return 1
    }
    return 0
}

_pf_have_file() {
    local f
    for f in "$@"; do
        [ -e "$f" ] && return 0
    done
    return 1
}

_pf_find_sink() {
    local p
    for p in /usr/sbin/smtp-sink /usr/lib/postfix/sbin/smtp-sink \
             /usr/libexec/postfix/smtp-sink; do
        [ -x "$p" ] && { echo "$p"; return 0; }
    done
    command -v smtp-sink 2>/dev/null
}

pf_make_searchable() {
    local p
    p=$(realpath -m "$1")
    while [ -n "$p" ] && [ "$p" != / ]; do
        # Only where the bit is missing: most parents (/tmp) already have it.
        if [ -d "$p" ] && [ "$(( 0$(stat -c %a "$p") & 01 ))" = 0 ]; then
            chmod o+x "$p"
        fi
        p=$(dirname "$p")
    done
}

# Postfix writes inet:HOST:PORT, libmilter (aliasd's `socket`) inet:PORT@HOST
# and local:PATH; take either so a test can pass aliasd's value through.
_pf_milter_spec() {
    local spec=${1-}
    case "$spec" in
        ""|none) echo "" ;;
        inet:*@*) spec=${spec#inet:}; echo "inet:${spec#*@}:${spec%%@*}" ;;
        local:*) echo "unix:${spec#local:}" ;;
        *) echo "$spec" ;;
    esac
}

pf_init() {
    local dir=$1 milter=${2-} domain=${3:-example.com}
    dir=$(cd "$dir" && pwd) || return 1
    export PF_DIR=$dir
    export PF_CONF=$dir/postfix/etc
    export PF_QUEUE=$dir/postfix/queue
    export PF_DATA=$dir/postfix/data
    export PF_LOG=$dir/postfix/maillog
    export PF_CAPTURE=$dir/capture
    # Debian's Postfix ignores cyrus_sasl_config_path and reads
    # $config_directory/sasl/smtpd.conf; upstream reads the parameter. Both
    # name this one directory.
    export PF_SASL_DIR=$PF_CONF/sasl
    export PF_DOMAIN=$domain
    export PF_HOSTNAME PF_SASL_USER PF_SASL_PASS
    PF_MILTER=$(_pf_milter_spec "$milter")
    export PF_MILTER

    PF_PORT_IN=$(t_free_port) || return 1
    PF_PORT_SUB=$(t_free_port "$PF_PORT_IN") || return 1
    PF_SINK_PORT=$(t_free_port "$PF_PORT_IN" "$PF_PORT_SUB") || return 1
    export PF_PORT_IN PF_PORT_SUB PF_SINK_PORT

    mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DATA" "$PF_CAPTURE" "$PF_SASL_DIR" || return 1
    # The postfix user must reach its queue, data dir, sasldb and (through
    # pf_make_searchable) a milter socket below the test dir.
    pf_make_searchable "$dir/postfix"
    chmod 0755 "$dir/postfix" "$PF_CONF"
    chown root:root "$PF_QUEUE"
    chmod 0755 "$PF_QUEUE"
    chown postfix:postfix "$PF_DATA"
    chmod 0700 "$PF_DATA"
    # smtp-sink drops root for postfix (-u) before it writes dumps.
    chown postfix:postfix "$PF_CAPTURE"
    chmod 0755 "$PF_CAPTURE"
    : > "$PF_LOG"

    cat > "$PF_SASL_DIR/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $PF_SASL_DIR/sasldb2
mech_list: PLAIN LOGIN
EOF
    rm -f "$PF_SASL_DIR/sasldb2"
    # The user name carries its realm (joe@aliasd.test) and Postfix passes no
    # realm of its own (smtpd_sasl_local_domain is empty), so the client's
    # login "joe@aliasd.test" is looked up as user joe in realm aliasd.test.
    printf '%s' "$PF_SASL_PASS" | saslpasswd2 -p -c -f "$PF_SASL_DIR/sasldb2" \
        -u "${PF_SASL_USER#*@}" "${PF_SASL_USER%%@*}" || return 1
    chown root:postfix "$PF_SASL_DIR" "$PF_SASL_DIR/sasldb2" "$PF_SASL_DIR/smtpd.conf"
    chmod 0750 "$PF_SASL_DIR"
    chmod 0640 "$PF_SASL_DIR/sasldb2" "$PF_SASL_DIR/smtpd.conf"

    _pf_milter_reachable
    _pf_write_main_cf
    _pf_write_master_cf
    _pf_backdate_config

    # The queue subdirectories are made by `postfix start` (its check-fatal
    # runs post-install create-missing, with Postfix's owners and modes:
    # postfix:postdrop for maildrop and public). Not set-permissions: that
    # would also re-chmod the system's Postfix programs. Here only check
    # that postconf can read the configuration.
    if ! postconf -c "$PF_CONF" -h queue_directory > /dev/null; then
        echo "pf_init: postconf cannot read $PF_CONF/main.cf" >&2
        return 1
    fi
}

_pf_write_main_cf() {
    local sink="smtp:[127.0.0.1]:$PF_SINK_PORT"
    cat > "$PF_CONF/main.cf" <<EOF
# Private Postfix for one aliasd test run; written by tests/lib/postfix.sh.
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
maillog_file = $PF_LOG
maillog_file_prefixes = $PF_DIR
mail_owner = postfix
setgid_group = postdrop

myhostname = $PF_HOSTNAME
mydomain = aliasd.test
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
# Loopback is all there is; no lookup may wait on a resolver.
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtp_address_preference = ipv4

# Nothing is delivered locally; everything goes to the capture sink.
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 local delivery is disabled in this test instance
alias_maps =
alias_database =
relay_domains = $PF_DOMAIN
relay_recipient_maps =
relay_transport = $sink
default_transport = $sink
relayhost =
# Keep long lines as they are so that captured bodies show what the milter
# produced, not Postfix's line folding.
smtp_line_length_limit = 0

# Only 127.0.0.1 is trusted; 127.0.0.2 is the outsider.
mynetworks = 127.0.0.1/32
smtpd_relay_restrictions = permit_sasl_authenticated, permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, permit_mynetworks, reject_unauth_destination

smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $PF_SASL_DIR
smtpd_sasl_security_options = noanonymous
smtpd_sasl_local_domain =
smtpd_tls_security_level = none
smtpd_tls_auth_only = no
smtp_tls_security_level = none

smtpd_milters = $PF_MILTER
non_smtpd_milters = $PF_MILTER
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 5s
milter_command_timeout = 10s
milter_content_timeout = 30s

# Fast and predictable for tests: no tarpitting of errors, no limits that a
# benchmark would hit, quick retries after pf_flush.
smtpd_banner = \$myhostname ESMTP
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_junk_command_limit = 1000
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
in_flow_delay = 0
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 20s
smtp_connect_timeout = 5s
delay_warning_time = 0
notify_classes =
biff = no
append_dot_mydomain = no
EOF
}

_pf_write_master_cf() {
    # chroot "n" everywhere: a chrooted smtpd would look for a unix: milter
    # socket inside the queue directory.
    cat > "$PF_CONF/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$PF_PORT_IN inet n - n - - smtpd
  -o syslog_name=postfix/inbound
127.0.0.1:$PF_PORT_SUB inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o milter_macro_daemon_name=ORIGINATING
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# Postfix waits (in 0.3 s steps) before it reads a main.cf whose mtime is
# not yet in the past, in case an editor is still writing it; every write
# would cost up to a second per Postfix program. Our writes are complete.
_pf_backdate_config() {
    touch -d "@$(( $(date +%s) - 2 ))" "$PF_CONF/main.cf" "$PF_CONF/master.cf"
}

pf_postconf() {
    local rc
    postconf -c "$PF_CONF" "$@"
    rc=$?
    _pf_backdate_config
    return $rc
}

_pf_milter_reachable() {
    case "$PF_MILTER" in
        unix:/*) [ -d "$(dirname "${PF_MILTER#unix:}")" ] \
                     && pf_make_searchable "$(dirname "${PF_MILTER#unix:}")" ;;
    esac
    return 0
}

pf_set_milter() {
    PF_MILTER=$(_pf_milter_spec "${1-}")
    export PF_MILTER
    _pf_milter_reachable
    pf_postconf -e "smtpd_milters = $PF_MILTER" "non_smtpd_milters = $PF_MILTER" || return 1
    if [ "$_PF_STARTED" = 1 ]; then
        pf_reload
    fi
}

_pf_master_pid() {
    local f=$PF_QUEUE/pid/master.pid pid
    [ -r "$f" ] || return 1
    pid=$(tr -dc 0-9 < "$f")
    [ -n "$pid" ] && echo "$pid"
}

pf_sink_start() {
    local sink
    sink=$(_pf_find_sink) || { echo "pf_sink_start: smtp-sink not found" >&2; return 1; }
    # -u: smtp-sink refuses to run as root. Stdin/stdout are redirected so
    # that a TAP harness reading our stdout does not wait for the sink.
    "$sink" -4 -u postfix -h sink.aliasd.test \
        -d "$PF_CAPTURE/%Y%m%d%H%M%S." \
        "127.0.0.1:$PF_SINK_PORT" 64 \
        < /dev/null > "$PF_DIR/postfix/sink.out" 2>&1 &
    PF_SINK_PID=$!
    export PF_SINK_PID
    echo "$PF_SINK_PID" > "$PF_DIR/postfix/sink.pid"
    if ! t_wait_port "$PF_SINK_PORT" 10; then
        echo "pf_sink_start: smtp-sink did not listen on $PF_SINK_PORT:" >&2
        cat "$PF_DIR/postfix/sink.out" >&2
        pf_sink_stop
        return 1
    fi
}

pf_sink_stop() {
    local pid
    pid=$(_pf_sink_pid)
    [ -n "$pid" ] || return 0
    t_kill_pid "$pid" 5
    wait "$pid" 2>/dev/null
    PF_SINK_PID=
    [ -n "${PF_DIR-}" ] && rm -f "$PF_DIR/postfix/sink.pid"
    return 0
}

pf_start() {
    pf_sink_start || return 1
    _PF_STARTED=1
    if ! postfix -c "$PF_CONF" start >&2; then
        echo "pf_start: postfix start failed; log:" >&2
        pf_log >&2
        return 1
    fi
    if ! t_wait_port "$PF_PORT_IN" 20 || ! t_wait_port "$PF_PORT_SUB" 10; then
        echo "pf_start: Postfix is not listening on $PF_PORT_IN/$PF_PORT_SUB; log:" >&2
        pf_log >&2
        return 1
    fi
}

_pf_log_count_above() {
    [ "$(grep -cE "$1" "$PF_LOG" 2>/dev/null)" -gt "$2" ]
}

_pf_none_alive() {
    local pid
    for pid in "$@"; do
        t_pid_alive "$pid" && return 1
    done
    return 0
}

pf_up() {
    local dir=$1 milter=$2 domain=$3 try
    shift 3
    for try in 1 2 3; do
        pf_init "$dir" "$milter" "$domain" || return 1
        "$@"
        pf_start && return 0
        pf_stop
    done
    return 1
}

pf_require_source() {
    local p
    PF_SOURCE=""
    pf_require || { echo "Bail out! postfix or swaks missing"; return 1; }
    for p in /usr/sbin/smtp-source /usr/lib/postfix/sbin/smtp-source; do
        [ -x "$p" ] && PF_SOURCE=$p && break
    done
    [ -n "$PF_SOURCE" ] || {
        echo "Bail out! smtp-source (package postfix) missing"
        return 1
    }
}

pf_reload() {
    local before pid old
    pid=$(_pf_master_pid) && t_pid_alive "$pid" || return 1
    before=$(grep -c 'reload -- version' "$PF_LOG" 2>/dev/null)
    # Idle daemons of the old configuration would still take the next
    # connection; they exit within a moment of the reload, so wait for them.
    old=$(ps --ppid "$pid" -o pid= 2>/dev/null)
    # What `postfix reload` does, minus its integrity check and the
    # background postsuper it leaves running: HUP the master by its PID.
    kill -HUP "$pid" || return 1
    t_wait_until 10 _pf_log_count_above 'reload -- version' "${before:-0}" || return 1
    # shellcheck disable=SC2086
    t_wait_until 10 _pf_none_alive $old
}

pf_stop() {
    local pid children
    [ -n "${PF_CONF-}" ] || return 0
    pid=$(_pf_master_pid)
    if [ -n "$pid" ] && t_pid_alive "$pid"; then
        children=$(ps --ppid "$pid" -o pid= 2>/dev/null)
        postfix -c "$PF_CONF" stop >/dev/null 2>&1
        if ! t_wait_until 10 _t_pid_gone "$pid"; then
            echo "pf_stop: master $pid still running after postfix stop; killing it" >&2
            t_kill_pid "$pid" 5
        fi
        # The master TERMs its daemons and does not wait for them.
        # shellcheck disable=SC2086
        t_wait_until 5 _pf_none_alive $children \
            || echo "pf_stop: daemons of master $pid still running:" $children >&2
    fi
    pf_sink_stop
    _PF_STARTED=0
}

pf_cleanup() {
    pf_stop
    _pf_undo_alternate_config
    return 0
}

pf_sendmail() {
    # Postfix's sendmail hands the message to the set-gid postdrop, which
    # honours MAIL_CONFIG for root without further ado. For any other user
    # it does so only when the directory is listed in alternate_config_directories
    # of the DEFAULT /etc/postfix/main.cf (a set-gid program must not trust its
    # caller's environment): see pf_allow_alternate_config.
    MAIL_CONFIG=$PF_CONF /usr/sbin/sendmail "$@"
}

pf_allow_alternate_config() {
    # The only change this library ever makes outside the test dir: add
    # $PF_CONF to alternate_config_directories in /etc/postfix/main.cf
    # (created when missing, as with Debian's "No configuration" install).
    # pf_cleanup takes it out again. The system's Postfix is not started.
    local main=/etc/postfix/main.cf cur
    cur=$(postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null)
    case " $cur " in
        *" $PF_CONF "*) return 0 ;;
    esac
    if [ ! -e "$main" ]; then
        : > "$main" || return 1
        : > "$PF_DIR/postfix/created-etc-main.cf"
    fi
    postconf -c /etc/postfix -e \
        "alternate_config_directories = ${cur:+$cur }$PF_CONF" || return 1
    : > "$PF_DIR/postfix/added-alternate-config"
}

_pf_undo_alternate_config() {
    local main=/etc/postfix/main.cf cur new d
    [ -n "${PF_DIR-}" ] && [ -e "$PF_DIR/postfix/added-alternate-config" ] || return 0
    cur=$(postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null)
    new=""
    for d in $cur; do
        d=${d%,}
        [ "$d" = "$PF_CONF" ] || new="${new:+$new }$d"
    done
    if [ -z "$new" ]; then
        postconf -c /etc/postfix -X alternate_config_directories
    else
        postconf -c /etc/postfix -e "alternate_config_directories = $new"
    fi
    if [ -e "$PF_DIR/postfix/created-etc-main.cf" ] && [ ! -s "$main" ]; then
        rm -f "$main"
    fi
    rm -f "$PF_DIR/postfix/added-alternate-config" "$PF_DIR/postfix/created-etc-main.cf"
}

pf_swaks_in() {
    swaks --server 127.0.0.1 --port "$PF_PORT_IN" --local-interface 127.0.0.2 \
        --timeout 30 "$@"
}

pf_swaks_sub() {
    swaks --server 127.0.0.1 --port "$PF_PORT_SUB" --local-interface 127.0.0.1 \
        --auth PLAIN --auth-user "$PF_SASL_USER" --auth-password "$PF_SASL_PASS" \
        --timeout 30 "$@"
}

# swaks' own "fixups" of --data change a message: it adds an empty line at
# the end, replaces tokens such as %DATE% and the two characters "\n", and
# drops a leading "From " line. For byte-exact tests send the wire form
# instead, untouched: swaks -ndf --data @"$(pf_wire_file msg.txt)".
pf_wire_file() {
    local src=$1 out=${2:-$1.smtp}
    perl -pe 's/^\./../; s/\r?\n?\z/\r\n/' "$src" > "$out" || return 1
    printf '.' >> "$out"
    echo "$out"
}

pf_file_body() {
    local hdrlen
    hdrlen=$(LC_ALL=C awk '{ n += length($0) + 1 } /^$/ { print n; found = 1; exit }
                  END { if (!found) print n + 0 }' "$1")
    tail -c +"$(( hdrlen + 1 ))" "$1"
}

pf_replied() {
    grep -qE "$2" "$1" && return 0
    grep -E '^(<-|<\*\*|->) ' "$1" | sed 's/^/    /' >&2
    return 1
}

# One reply from fd 5: its last line (continuation lines skipped).
_pf_probe_reply() {
    local l
    while IFS= read -r -t "$1" l <&5; do
        l=${l%$'\r'}
        [ "${l:3:1}" = - ] && continue
        echo "$l"
        return 0
    done
    echo "TIMEOUT"
    return 1
}

pf_probe() {
    local addr=$1 secs=${2:-20} t0
    t0=$(date +%s%N)
    PF_REPLY="CONNECT-FAILED"
    if exec 5<>"/dev/tcp/127.0.0.1/$PF_PORT_IN"; then
        _pf_probe_reply "$secs" >/dev/null
        printf 'HELO probe.example\r\n' >&5
        _pf_probe_reply "$secs" >/dev/null
        printf 'MAIL FROM:<s@spam.example>\r\n' >&5
        _pf_probe_reply "$secs" >/dev/null
        printf 'RCPT TO:<%s>\r\n' "$addr" >&5
        PF_REPLY=$(_pf_probe_reply "$secs")
        printf 'QUIT\r\n' >&5
        _pf_probe_reply "$secs" >/dev/null
        exec 5>&-
    fi
    PF_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# --- queue and log ---------------------------------------------------------

pf_queue_count() {
    find "$PF_QUEUE/incoming" "$PF_QUEUE/active" "$PF_QUEUE/deferred" \
        "$PF_QUEUE/hold" "$PF_QUEUE/maildrop" -type f 2>/dev/null | wc -l
}

_pf_queue_empty() {
    [ "$(pf_queue_count)" -eq 0 ]
}

pf_wait_queue_empty() {
    t_wait_until "${1:-15}" _pf_queue_empty
}

pf_queue_list() {
    postqueue -c "$PF_CONF" -p
}

pf_flush() {
    postqueue -c "$PF_CONF" -f
}

pf_log() {
    cat "$PF_LOG"
}

pf_log_grep() {
    grep -E "$1" "$PF_LOG"
}

pf_wait_log() {
    t_wait_until "${2:-10}" grep -qE "$1" "$PF_LOG"
}

# --- captured mail -----------------------------------------------------------

_pf_sink_pid() {
    if [ -n "${PF_SINK_PID-}" ]; then
        echo "$PF_SINK_PID"
    elif [ -n "${PF_DIR-}" ] && [ -r "$PF_DIR/postfix/sink.pid" ]; then
        cat "$PF_DIR/postfix/sink.pid"
    fi
}

_pf_sink_open_files() {
    # smtp-sink is one process; the dumps it is still writing are open there.
    local pid
    pid=$(_pf_sink_pid)
    [ -n "$pid" ] || return 0
    find "/proc/$pid/fd" -type l -printf '%l\n' 2>/dev/null \
        | grep -F "$PF_CAPTURE/"
}

pf_capture_files() {
    # Oldest first by modification time (names have 1 s resolution), and only
    # complete dumps: a dump file exists from MAIL FROM on.
    # The files first, then what is open: a dump begun between the two
    # looks is not in the list, where the other order would show it,
    # still empty, as complete.
    local files open
    files=$(find "$PF_CAPTURE" -type f -printf '%T@ %p\n' 2>/dev/null | sort -n \
        | cut -d' ' -f2-)
    open=$(_pf_sink_open_files)
    [ -n "$files" ] || return 0
    printf '%s\n' "$files" | grep -vxF -e "${open:-/nonexistent/}"
}

pf_capture_count() {
    pf_capture_files | wc -l
}

_pf_captured_at_least() {
    [ "$(pf_capture_count)" -ge "$1" ]
}

pf_wait_captured() {
    t_wait_until "${2:-15}" _pf_captured_at_least "$1"
}

pf_capture_last() {
    pf_capture_files | tail -n 1
}

pf_bounce_count() {
    local f n=0 logged
    while IFS= read -r f; do
        [ -n "$f" ] || continue
        [ "$(pf_msg_sender "$f")" = "<>" ] && n=$(( n + 1 ))
    done < <(pf_capture_files)
    logged=$(grep -c 'status=bounced' "$PF_LOG" 2>/dev/null)
    echo $(( n + ${logged:-0} ))
}

# The sink's own records end with its Received header: "Received: from",
# "<TAB>by ... (smtp-sink) with ...", "<TAB>DATE". The message starts after.
pf_msg_message() {
    awk '
        done { print; next }
        seen_by { done = 1; next }
        /^\tby .* \(smtp-sink\) with / { seen_by = 1 }
    ' "$1" | _pf_strip_sink_trailer
}

# smtp-sink writes the LF of the final ".CRLF", one byte the message did not
# have; drop it (only it) so that bodies compare byte for byte.
_pf_strip_sink_trailer() {
    local tmp
    tmp=$(mktemp) || return 1
    cat > "$tmp"
    if [ -s "$tmp" ]; then
        head -c "$(( $(stat -c %s "$tmp") - 1 ))" "$tmp"
    fi
    rm -f "$tmp"
}

pf_msg_sender() {
    sed -n 's/^X-Mail-Args: *\([^ ]*\).*/\1/p' "$1" | head -n 1
}

pf_msg_rcpts() {
    awk '/^X-Rcpt-Args:/ { print $2 } /^Received: / { exit }' "$1"
}

pf_msg_headers() {
    pf_msg_message "$1" | awk '/^$/ { exit } { print }'
}

pf_msg_header() {
    pf_msg_headers "$1" | pf_header_values "$2"
}

pf_header_values() {
    LC_ALL=C awk -v name="$1" '
        function flush() { if (cur != "") print cur; cur = "" }
        /^[ \t]/ { if (keep) cur = cur " " substr($0, match($0, /[^ \t]/)); next }
        {
            flush()
            n = index($0, ":")
            keep = (n > 0 && tolower(substr($0, 1, n - 1)) == tolower(name))
            if (keep) { v = substr($0, n + 1); sub(/^[ \t]+/, "", v); cur = v }
        }
        END { flush() }
    '
}

pf_msg_body() {
    local msg
    msg=$(mktemp) || return 1
    pf_msg_message "$1" > "$msg"
    pf_file_body "$msg"
    rm -f "$msg"
}
