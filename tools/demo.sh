#!/bin/bash
# demo.sh: the README's first command.  Starts a private Postfix with
# aliasd on loopback, creates three addresses, retires one, sends mail in
# and out, and shows what a person needs to see.  Removes everything
# after itself; touches neither the system's Postfix nor /etc.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export ALIASD_TOP="$top" ALIASD_BUILD="$top/${B:-build}"
. "$top/tests/lib/postfix.sh"
. "$top/tests/lib/aliasd.sh"
. "$top/tests/lib/fastpath.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "make demo runs a private Postfix, which needs root: run it as root." >&2
	exit 1
fi

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
cmd() { printf '\033[1m$ %s\033[0m\n' "$*"; }

T=$(mktemp -d /tmp/aliasd-demo.XXXXXX) || exit 1
cleanup() { ad_stop; pf_cleanup; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

pf_require >/dev/null || exit 1
ad_setup example.com postfix <<CONF
bounce_address = bounces@example.com
policy_socket = unix:$T/run/policy.sock
socketmap_socket = unix:$T/run/map.sock
CONF
pf_init "$T" "$AD_SOCKET" example.com
# A third listener asks aliasd's policy service instead of the milter.
fp_listeners || exit 1
ad_start || { cat "$AD_LOG"; exit 1; }
pf_start || exit 1

bold "A private Postfix on 127.0.0.1:$PF_PORT_IN (inbound) and :$PF_PORT_SUB (submission), aliasd on $AD_SOCKET"
for args in "new joe@example.org" "new @shoes.example" "new anna@example.net"; do
	cmd "aliasctl $args"
	aliasctl $args | tee -a "$T/created"
done
joe=$(sed -n 1p "$T/created")
shoes=$(sed -n 2p "$T/created")
anna=$(sed -n 3p "$T/created")
cmd "aliasctl retire $anna --reason \"Spammers found this address\""
aliasctl retire "$anna" --reason "Spammers found this address"

bold "Mail from the outside world (an untrusted client, 127.0.0.2) to each address, through the milter:"
for rcpt in "$joe" "$shoes" "$anna" "mail-9999-zz@example.com"; do
	pf_swaks_in --from stranger@spam.example --to "$rcpt" \
	    --header "Subject: hello" --body "hi" >"$T/tx" 2>&1
	printf '  RCPT TO:<%s>\n    %s\n' "$rcpt" \
	    "$(grep -E '^(<-|<\*\*) +[0-9]{3}' "$T/tx" | sed -n '/RCPT\|2\.1\.5\|5\.1\.1\|4\.[0-9]\.[0-9]/p' | grep -v '2\.1\.0' | head -1 | sed 's/^<[-*]* *//')"
done

bold "The same through the fast path: no milter, Postfix asks aliasd's policy service (check_policy_service, port $FP_POLICY_PORT):"
for rcpt in "$joe" "$anna"; do
	swaks --server 127.0.0.1 --port "$FP_POLICY_PORT" --local-interface 127.0.0.2 \
	    --timeout 30 --from stranger@spam.example --to "$rcpt" \
	    --quit-after RCPT >"$T/tx" 2>&1
	printf '  RCPT TO:<%s>\n    %s\n' "$rcpt" \
	    "$(grep -A1 -F -- "-> RCPT TO:<$rcpt>" "$T/tx" | tail -n 1 | sed 's/^<[-*]* *//')"
done

bold "You write to Joe (authenticated on the submission port):"
cat >"$T/out.txt" <<'MSG'
From: Me Myself <me@example.net>
To: Joe <joe@example.org>
Subject: dinner on Friday?

Hi Joe, are you free on Friday?
MSG
sed 's/^/    /' "$T/out.txt"
before=$(pf_capture_count)
pf_swaks_sub --from me@example.net --to joe@example.org -ndf \
    --data @"$(pf_wire_file "$T/out.txt")" >"$T/tx" 2>&1
pf_wait_captured $((before + 1)) 10
f=$(pf_capture_last)
bold "What Joe receives (envelope sender and headers, as delivered):"
printf '    envelope sender: %s\n' "$(pf_msg_sender "$f")"
pf_msg_headers "$f" | grep -E '^(From|Reply-To|To|Subject):' | sed 's/^/    /'

sleep 2
bold "Which address leaked? aliasctl counts accepted mail:"
cmd "aliasctl list --all"
aliasctl list --all
echo
echo "Everything ran on loopback in $T, which is now removed."
