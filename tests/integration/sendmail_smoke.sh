#!/bin/bash
# Proves tests/lib/sendmail.sh: a private sendmail (Debian's 8.17, unpacked,
# not installed) relays to smtp-sink byte for byte, takes mail on its
# ORIGINATING port, fails closed (4xx, nothing delivered) when its F=T milter
# is missing, logs to its own file, and leaves no process behind. Needs root.
# TAP output.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/sendmail.sh"

if [ "$(id -u)" != 0 ]; then
    echo "1..0 # SKIP needs root (sendmail runs in its own mount namespace)"
    exit 0
fi

N=0
FAILED=0
ok() { N=$(( N + 1 )); echo "ok $N - $1"; }
not_ok() {
    N=$(( N + 1 )); FAILED=$(( FAILED + 1 ))
    echo "not ok $N - $1"
    shift
    local f
    for f in "$@"; do
        [ -f "$f" ] && sed 's/^/# /' "$f"
    done
    return 0
}
# check DESCRIPTION CMD...: ok when CMD succeeds; on failure the files named
# in DIAG (a space-separated list) are shown as TAP comments.
DIAG=
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what" $DIAG; fi
}
diag() { echo "# $*"; }

T=$(mktemp -d /tmp/aliasd-smsmoke.XXXXXX) || exit 1
ALL_PIDS=()
cleanup() {
    sm_cleanup
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! sm_fetch; then
    echo "Bail out! could not fetch or run the unpacked sendmail"
    exit 1
fi

# has ERE FILE: swaks transcripts mark server lines "<-" or "<**".
has() { grep -qE "$1" "$2"; }

remember_pids() {
    ALL_PIDS+=("$SM_PID" "$SM_SINK_PID" "$SM_SYSLOG_PID")
}

# A message with headers, dot-led lines (dot-stuffing), a "From " line, a
# blank line, an 8-bit line and trailing spaces: what transit could mangle.
cat > "$T/msg.txt" <<'EOF'
From: Alice <alice@example.net>
To: someone@example.com
Subject: sendmail smoke test
Message-ID: <smsmoke-1@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

First line.
.a line that starts with a dot
..and one with two
From the start of a line, unescaped

Grüße, with trailing spaces   
\n is two characters, %DATE% is text
-- 
Alice
EOF
WIRE=$(sm_wire_file "$T/msg.txt")
awk 'body { print; next } /^$/ { body = 1 }' "$T/msg.txt" > "$T/body.expected"

# --- 1. no milter: relay to the managed domain, byte for byte ---------------

t0=${EPOCHREALTIME/./}
if ! sm_init "$T" "" example.com || ! sm_start; then
    echo "Bail out! could not start the private sendmail"
    exit 1
fi
remember_pids
ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
ok "sendmail starts, both ports greet with 220 (in $ms ms)"
diag "ports: MTA $SM_PORT, ORIGINATING $SM_ORIG_PORT, sink $SM_SINK_PORT; sendmail PID $SM_PID"

sm_swaks_in -ndf --from alice@example.net --to someone@example.com \
    --data @"$WIRE" > "$T/s1.out" 2>&1
DIAG="$T/s1.out"
check "MTA port: mail to someone@example.com gets 250 at the end of DATA" \
    has '^<-  250 2\.0\.0 .*Message accepted for delivery' "$T/s1.out"

DIAG="$SM_LOG"
check "the message is captured by smtp-sink" sm_wait_captured 1
f=$(sm_capture_last)
check "captured envelope sender is <alice@example.net>" \
    test "$(sm_msg_sender "$f")" = "<alice@example.net>"
check "captured envelope recipient is <someone@example.com>" \
    test "$(sm_msg_rcpts "$f")" = "<someone@example.com>"
check "captured Subject header is intact" \
    test "$(sm_msg_header "$f" Subject)" = "sendmail smoke test"
sm_msg_body "$f" > "$T/body.got"
DIAG="$f"
check "captured body is identical byte for byte (cmp)" \
    cmp -s "$T/body.expected" "$T/body.got"

# --- 3. the ORIGINATING port ----------------------------------------------------

sm_swaks_orig --from me@example.com --to joe@example.org \
    --header 'Subject: outbound smoke' --body 'hello joe' > "$T/s3.out" 2>&1
DIAG="$T/s3.out"
check "ORIGINATING port: mail to joe@example.org from 127.0.0.1 gets 250" \
    has '^<-  250 2\.0\.0 .*Message accepted for delivery' "$T/s3.out"
DIAG="$SM_LOG"
check "it is captured too" sm_wait_captured 2
f=$(sm_capture_last)
check "captured recipient is <joe@example.org>" \
    test "$(sm_msg_rcpts "$f")" = "<joe@example.org>"
check "sendmail's log is captured (daemon=ORIGINATING for that message)" \
    sm_wait_log 'daemon=ORIGINATING, relay=localhost \[127\.0\.0\.1\]' 5
check "nothing is left in sendmail's queue" test "$(sm_queue_count)" = 0

sm_stop
check "sm_stop leaves no process of this instance" test -z "$(sm_pids)"

# --- 2. F=T milter that nobody serves: temporary failure, nothing delivered ----

# The unanswered TCP port is kept from sendmail's own listeners: given
# to one of them, the milter would reach sendmail itself.
nobody_port=$(t_free_port) || nobody_port=1
SM_AVOID_PORTS=$nobody_port
for spec in "unix:$T/nobody-listens.sock" "inet:$nobody_port@127.0.0.1"; do
    if ! sm_init "$T" "$spec" example.com || ! sm_start; then
        not_ok "sendmail starts with milter $spec" "$SM_DIR/sendmail.out" "$SM_LOG"
        continue
    fi
    remember_pids
    sm_swaks_in --from alice@example.net --to someone@example.com \
        --body 'must not arrive' > "$T/s2.out" 2>&1
    DIAG="$T/s2.out"
    check "milter $spec not listening: a 4xx reply" \
        has '^<\*\* 4[0-9][0-9] ' "$T/s2.out"
    check "... and no 250 for the message, no 5xx" \
        eval "! has '^<-  250 2\.0\.0 .*accepted|^<\*\* 5' '$T/s2.out'"
    diag "reply: $(grep -m1 '^<\*\* 4' "$T/s2.out")"
    sleep 1
    DIAG="$SM_LOG"
    check "... nothing captured, nothing queued" \
        test "$(sm_capture_count)" = 0 -a "$(sm_queue_count)" = 0
    check "... the log says the milter failed" \
        eval "sm_log_grep 'Milter: initialization failed, temp failing commands' >/dev/null"
    sm_stop
done

# --- no process left behind ------------------------------------------------------

left=
for p in "${ALL_PIDS[@]}"; do
    [ -n "$p" ] && t_pid_alive "$p" && left="$left $p"
done
check "every PID started by this test is gone${left:+ (left:$left)}" test -z "$left"

echo "1..$N"
[ "$FAILED" = 0 ]
