#!/bin/bash
# Proves tests/lib/postfix.sh: a private Postfix relays, refuses relaying,
# fails closed when its milter is missing, authenticates with SASL, and takes
# mail from its own sendmail; smtp-sink captures what it delivers, byte for
# byte. Needs root. TAP output.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/postfix.sh"

if [ "$(id -u)" != 0 ]; then
    echo "1..0 # SKIP needs root (Postfix runs its daemons as postfix)"
    exit 0
fi

T=$(mktemp -d /tmp/aliasd-pfsmoke.XXXXXX) || exit 1
cleanup() {
    pf_cleanup
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! pf_require; then
    echo "Bail out! postfix, swaks or cyrus sasl are missing"
    exit 1
fi
if ! pf_init "$T" "" example.com || ! pf_start; then
    echo "Bail out! could not start the private Postfix"
    exit 1
fi
tap_diag "ports: inbound $PF_PORT_IN, submission $PF_PORT_SUB, sink $PF_SINK_PORT"

# A message with headers, a dot-led line (dot-stuffing), a blank line, an
# 8-bit line and trailing spaces: everything that could be mangled in transit.
cat > "$T/msg.txt" <<'EOF'
From: Alice <alice@example.net>
To: someone@example.com
Subject: smoke test
Message-ID: <smoke-1@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

First line.
.a line that starts with a dot
..and one with two

Grüße, with trailing spaces   
\n is two characters, %DATE% is text
-- 
Alice
EOF
WIRE=$(pf_wire_file "$T/msg.txt")
pf_file_body "$T/msg.txt" > "$T/body.expected"

# has REPLY-REGEX FILE: swaks transcripts mark server lines "<-" or "<**".
has() { grep -qE "$1" "$2"; }

# 1. An outsider (127.0.0.2) sends to the relayed domain, no milter.
pf_swaks_in --from alice@example.net --to someone@example.com \
    -ndf --data @"$WIRE" > "$T/s1.out" 2>&1
if has '^<- +250 2\.0\.0 Ok: queued as' "$T/s1.out"; then
    tap_ok "outsider to someone@example.com gets 250"
else
    tap_not_ok "outsider to someone@example.com gets 250" - < "$T/s1.out"
fi
if pf_wait_captured 1 10; then
    tap_ok "the message is captured by smtp-sink"
else
    tap_not_ok "the message is captured by smtp-sink" "$(pf_log)"
fi
F1=$(pf_capture_last)
if [ -n "$F1" ] && [ "$(pf_msg_sender "$F1")" = "<alice@example.net>" ] \
        && [ "$(pf_msg_rcpts "$F1")" = "<someone@example.com>" ]; then
    tap_ok "captured envelope: <alice@example.net> -> <someone@example.com>"
else
    tap_not_ok "captured envelope: <alice@example.net> -> <someone@example.com>" \
        "sender=$(pf_msg_sender "$F1" 2>&1) rcpts=$(pf_msg_rcpts "$F1" 2>&1)"
fi
if [ -n "$F1" ] && [ "$(pf_msg_header "$F1" Subject)" = "smoke test" ] \
        && [ "$(pf_msg_header "$F1" message-id)" = "<smoke-1@example.net>" ]; then
    tap_ok "captured headers readable (Subject, Message-ID)"
else
    tap_not_ok "captured headers readable (Subject, Message-ID)" - < <(pf_msg_headers "$F1")
fi
pf_msg_body "$F1" > "$T/body.captured"
if cmp "$T/body.expected" "$T/body.captured" >&2; then
    tap_ok "captured body is byte-identical to the sent body"
else
    tap_not_ok "captured body is byte-identical to the sent body" \
        - < <(diff "$T/body.expected" "$T/body.captured")
fi

# 2. An outsider may not relay to a domain we do not manage.
pf_swaks_in --from alice@example.net --to someone@example.org \
    -ndf --data @"$WIRE" > "$T/s2.out" 2>&1
if has '^<\*\* +554 5\.7\.1 <someone@example\.org>: Relay access denied' "$T/s2.out"; then
    tap_ok "outsider to someone@example.org: 554 5.7.1 Relay access denied"
else
    tap_not_ok "outsider to someone@example.org: 554 5.7.1 Relay access denied" - < "$T/s2.out"
fi

# 3. A milter socket nobody listens on: Postfix must fail closed, with 4xx.
mkdir -p "$T/milter"
pf_make_searchable "$T/milter"
before=$(pf_capture_count)
if pf_set_milter "unix:$T/milter/nobody.sock"; then
    tap_ok "milter set to a dead socket and Postfix reloaded"
else
    tap_not_ok "milter set to a dead socket and Postfix reloaded" "$(pf_log | tail -n 5)"
fi
pf_swaks_in --from alice@example.net --to someone@example.com \
    -ndf --data @"$WIRE" > "$T/s3.out" 2>&1
if has '^<\*\* +4[0-9][0-9] ' "$T/s3.out" && ! has '^<- +250 2\.0\.0 Ok: queued' "$T/s3.out"; then
    tap_ok "dead milter: the outsider gets a 4xx and nothing is queued"
    tap_diag "reply: $(grep -E '^<\*\*' "$T/s3.out" | head -n 1)"
else
    tap_not_ok "dead milter: the outsider gets a 4xx and nothing is queued" - < "$T/s3.out"
fi
sleep 0.5
if [ "$(pf_capture_count)" = "$before" ] && [ "$(pf_queue_count)" = 0 ] \
        && [ "$(pf_bounce_count)" = 0 ]; then
    tap_ok "dead milter: nothing captured, queued or bounced"
else
    tap_not_ok "dead milter: nothing captured, queued or bounced" \
        "captured $(pf_capture_count) (was $before), queued $(pf_queue_count), bounces $(pf_bounce_count)"
fi
if pf_log_grep "warning: connect to Milter service unix:$T/milter/nobody.sock" >/dev/null; then
    tap_ok "dead milter: the log names the milter failure"
else
    tap_not_ok "dead milter: the log names the milter failure" "$(pf_log | tail -n 8)"
fi
pf_set_milter ""

# 4. SASL on the submission port.
before=$(pf_capture_count)
pf_swaks_sub --from joe@example.com --to joe@example.org \
    -ndf --data @"$WIRE" > "$T/s4.out" 2>&1
if has '^<- +235 2\.7\.0 Authentication successful' "$T/s4.out" \
        && has '^<- +250 2\.0\.0 Ok: queued as' "$T/s4.out"; then
    tap_ok "submission: AUTH PLAIN accepted and mail to joe@example.org queued"
else
    tap_not_ok "submission: AUTH PLAIN accepted and mail to joe@example.org queued" - < "$T/s4.out"
fi
if pf_wait_captured $(( before + 1 )) 10 \
        && [ "$(pf_msg_rcpts "$(pf_capture_last)")" = "<joe@example.org>" ]; then
    tap_ok "submission: captured for <joe@example.org>"
else
    tap_not_ok "submission: captured for <joe@example.org>" "$(pf_log | tail -n 8)"
fi
if pf_log_grep "postfix/submission/smtpd.*sasl_method=PLAIN, sasl_username=$PF_SASL_USER" >/dev/null; then
    tap_ok "submission: the log shows the SASL login"
else
    tap_not_ok "submission: the log shows the SASL login" "$(pf_log | tail -n 8)"
fi
# From 127.0.0.2 (not in mynetworks) only the authentication allows relaying.
pf_swaks_sub --local-interface 127.0.0.2 --from joe@example.com --to joe@example.org \
    -ndf --data @"$WIRE" > "$T/s4b.out" 2>&1
if has '^<- +250 2\.0\.0 Ok: queued as' "$T/s4b.out"; then
    tap_ok "submission: an authenticated outsider may relay"
else
    tap_not_ok "submission: an authenticated outsider may relay" - < "$T/s4b.out"
fi
pf_swaks_sub --local-interface 127.0.0.2 --auth-password wrong \
    --from joe@example.com --to joe@example.org > "$T/s4c.out" 2>&1
if has '^<\*\* +535 5\.7\.8 Error: authentication failed' "$T/s4c.out"; then
    tap_ok "submission: a wrong password gets 535 5.7.8"
else
    tap_not_ok "submission: a wrong password gets 535 5.7.8" - < "$T/s4c.out"
fi

# 5. Postfix's own sendmail, pointed at this instance.
tap_check "captured ($(( before + 2 )) messages)" pf_wait_captured $(( before + 2 )) 30
before=$(pf_capture_count)
if pf_sendmail -i -f owner@example.com bob@example.org < "$T/msg.txt"; then
    tap_ok "sendmail (MAIL_CONFIG=$PF_CONF) accepts the message"
else
    tap_not_ok "sendmail (MAIL_CONFIG=$PF_CONF) accepts the message" "$(pf_log | tail -n 8)"
fi
if pf_wait_captured $(( before + 1 )) 10; then
    F5=$(pf_capture_last)
    if [ "$(pf_msg_sender "$F5")" = "<owner@example.com>" ] \
            && [ "$(pf_msg_rcpts "$F5")" = "<bob@example.org>" ] \
            && cmp -s "$T/body.expected" <(pf_msg_body "$F5"); then
        tap_ok "sendmail: captured, envelope <owner@example.com> -> <bob@example.org>, same body"
    else
        tap_not_ok "sendmail: captured, envelope <owner@example.com> -> <bob@example.org>, same body" \
            - < "$F5"
    fi
else
    tap_not_ok "sendmail: captured, envelope <owner@example.com> -> <bob@example.org>, same body" \
        "$(pf_log | tail -n 8)"
fi

if pf_wait_queue_empty 10 && [ "$(pf_bounce_count)" = 0 ]; then
    tap_ok "queue empty and no bounces so far"
else
    tap_not_ok "queue empty and no bounces so far" - < <(pf_queue_list)
fi

# 6. The bounce detector itself, or "nothing bounced" above proves nothing:
# a domain whose transport is error: bounces, and the bounce (from <>) is
# relayed to the sender's domain, i.e. captured.
pf_postconf -e 'transport_maps = inline:{bounce.invalid=error:5.1.1_smoke_test_bounce}'
pf_reload
before=$(pf_capture_count)
pf_sendmail -i -f owner@example.com nobody@bounce.invalid < "$T/msg.txt"
if pf_wait_captured $(( before + 1 )) 10 && pf_wait_queue_empty 10 \
        && [ "$(pf_msg_sender "$(pf_capture_last)")" = "<>" ] \
        && [ "$(pf_msg_rcpts "$(pf_capture_last)")" = "<owner@example.com>" ] \
        && pf_log_grep 'to=<nobody@bounce.invalid>.*status=bounced' >/dev/null \
        && [ "$(pf_bounce_count)" -gt 0 ]; then
    tap_ok "bounce detected: captured from <> to <owner@example.com> and logged"
else
    tap_not_ok "bounce detected: captured from <> to <owner@example.com> and logged" \
        "bounce count $(pf_bounce_count)" "$(pf_log | tail -n 6)"
fi

# Stopping works and leaves nothing running.
master=$(tr -dc 0-9 < "$PF_QUEUE/pid/master.pid" 2>/dev/null)
sink=$PF_SINK_PID
pf_stop
if [ -n "$master" ] && ! t_pid_alive "$master" && ! t_pid_alive "$sink" \
        && ! t_port_busy "$PF_PORT_IN" && ! t_port_busy "$PF_SINK_PORT"; then
    tap_ok "pf_stop stops the master ($master) and the sink ($sink)"
else
    tap_not_ok "pf_stop stops the master ($master) and the sink ($sink)" \
        "$(ps -o pid,stat,args -p "${master:-1}" -p "${sink:-1}")"
fi

tap_done
