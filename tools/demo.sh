#!/bin/sh
# demo.sh: the README's first command.  Shows aliasd's main job on this
# machine, in a temporary directory that is removed afterwards.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
A="$top/$B/aliasctl"
T=$(mktemp -d "${TMPDIR:-/tmp}/aliasd-demo.XXXXXX")
trap 'rm -rf "$T"' EXIT
export TZ=${TZ:-UTC}
export ALIASD_CONF="$T/aliasd.conf"
cat >"$ALIASD_CONF" <<CONF
domain = example.com
owner = me@example.net
database = $T/aliases.db
user = $(id -un)
CONF

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
aliasctl() { "$A" "$@"; }
show() { say "$*"; "$@"; }

show aliasctl init
show aliasctl new joe@example.org
show aliasctl new @shoes.example --note "the shoe shop"
show aliasctl new --name ebay
show aliasctl retire mail-0001 --reason "Spammers found this address"
show aliasctl new joe@example.org
show aliasctl list --all
show aliasctl for joe@example.org
show aliasctl export virtusertable
echo
echo "The milter (refusing retired addresses during SMTP, rewriting outbound"
echo "From) arrives with the aliasd issue; this demo will then run it against"
echo "a private Postfix on loopback."
