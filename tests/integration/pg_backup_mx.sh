#!/bin/bash
# pg_backup_mx.sh: a backup MX that runs no aliasd, only Postfix with
# pgsql: tables on the views of the shared PostgreSQL store (SPEC,
# "PostgreSQL: more than one MX host"; doc/postgresql.md's table files).
#
# The primary: Postfix with aliasd on the database.  The backup: Postfix
# alone, check_recipient_access on postfix_access and virtual_alias_maps
# on postfix_virtual, read by a role that may SELECT the two views and
# nothing else.  The backup refuses a retired (or expired) address with
# the very reply the primary gives, accepts an active one and refuses an
# unknown one; a change made with aliasctl is seen at the next RCPT.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/aliasd.sh"
. "$HERE/../lib/pg.sh"
. "$HERE/../lib/mx.sh"

T=$(mktemp -d /tmp/aliasd-pgbmx.XXXXXX) || exit 1
cleanup() { mx_cleanup; pg_cleanup; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! pg_backend_ready || ! pg_require; then
	echo "1..0 # SKIP $PG_WHY"
	exit 0
fi
pf_require || { echo "Bail out! postfix or swaks missing"; exit 1; }
# postconf -m reads a main.cf; the machine may have none.
mkdir -p "$T/maps" && : >"$T/maps/main.cf"
if ! postconf -c "$T/maps" -m 2>/dev/null | grep -qx pgsql; then
	echo "1..0 # SKIP Postfix has no pgsql: tables (package postfix-pgsql)"
	exit 0
fi
chmod 0755 "$T"
pg_up "$T/pg" || { echo "Bail out! the private PostgreSQL did not start"; exit 1; }
REJ="Recipient address rejected"

# --- the primary: Postfix and aliasd -------------------------------------
# ad_setup in $T/primary, on the server just started (AD_STORE=pg: the
# database is $(pg_url); it skips the suite when aliasctl cannot use it).
mkdir -p "$T/primary"
chmod 0755 "$T/primary"
T_TOP=$T
T="$T/primary"
AD_STORE=pg
ad_setup example.com postfix <<<'harvest_limit = 0' ||
    { echo "Bail out! aliasctl init failed"; exit 1; }
T=$T_TOP
# 127.0.0.1 (pf_probe) is an outsider for aliasd, as for the backup.
ad_trust 127.0.0.9/32
ad_up || exit 1
mx_save primary
pf_up "$T/primary" "$AD_SOCKET" example.com ||
    { echo "Bail out! the primary's Postfix did not start"; exit 1; }
mx_save primary

# --- the backup: Postfix and two pgsql: tables --------------------------
# A role that reads the two views and nothing else (doc/postgresql.md).
pg_admin "CREATE ROLE aliasd_mta LOGIN" ||
    { echo "Bail out! cannot create the role aliasd_mta"; exit 1; }
pg_psql "GRANT SELECT ON postfix_access, postfix_virtual TO aliasd_mta" ||
    { echo "Bail out! cannot grant on the views (were they created?)"; exit 1; }
mkdir -p "$T/backup"
# The table files: Postfix's "unix:/directory" form cannot name a port
# other than 5432, so hosts is a libpq URI (socket directory, port, the
# role: with a URI Postfix passes no user line on); dbname it wants all
# the same.
write_tables() {
	local hosts="postgresql:///aliasd?host=$PG_DIR&port=$PG_PORT&user=aliasd_mta"
	cat >"$PF_CONF/pgsql-access.cf" <<CF
hosts = $hosts
dbname = aliasd
query = SELECT action FROM postfix_access WHERE address = '%s'
CF
	cat >"$PF_CONF/pgsql-virtual.cf" <<CF
hosts = $hosts
dbname = aliasd
query = SELECT owner FROM postfix_virtual WHERE address = '%s'
CF
	chown root:postfix "$PF_CONF"/pgsql-*.cf
	chmod 0640 "$PF_CONF"/pgsql-*.cf
	# example.com is a virtual alias domain here: an address that is not
	# in postfix_virtual is unknown (User unknown in virtual alias table).
	pf_postconf -e "relay_domains =" \
	    "virtual_alias_domains = example.com" \
	    "virtual_alias_maps = pgsql:$PF_CONF/pgsql-virtual.cf" \
	    "smtpd_recipient_restrictions = check_recipient_access pgsql:$PF_CONF/pgsql-access.cf, permit_sasl_authenticated, permit_mynetworks, reject_unauth_destination"
}
pf_up "$T/backup" "" example.com write_tables ||
    { echo "Bail out! the backup's Postfix did not start"; exit 1; }
AD_PID="" # the backup runs no aliasd
mx_save backup

# --- the addresses ---------------------------------------------------
joe=$(aliasctl new joe@example.org)
old=$(aliasctl new old@example.org)
aliasctl retire "$old" --reason "Spammers found this address" >/dev/null
plain=$(aliasctl new plain@example.org)
aliasctl retire "$plain" >/dev/null
gone=$(aliasctl new --expires 1h gone@example.org)
pg_psql "UPDATE address SET expires = 1000 WHERE local || '@' || domain = '$gone'"

tap_check "the view postfix_access: joe's address is OK" \
    [ "$(pg_psql "SELECT action FROM postfix_access WHERE address = '$joe'")" = OK ]
tap_check "the view postfix_access: the retired one, 550 5.1.1 and its reason" \
    [ "$(pg_psql "SELECT action FROM postfix_access WHERE address = '$old'")" = \
    "550 5.1.1 Spammers found this address" ]
tap_check "the views agree with export postfix, line for line" \
    [ "$(pg_psql "SELECT address || chr(9) || action FROM postfix_access ORDER BY address")" = \
    "$(aliasctl export postfix | sort)" ]
tap_check "the view postfix_virtual agrees with export postfix-virtual" \
    [ "$(pg_psql "SELECT address || chr(9) || owner FROM postfix_virtual ORDER BY address")" = \
    "$(aliasctl export postfix-virtual | sort)" ]
tap_check "the MTA's role reads the views" \
    eval 'PG_ROLE=aliasd_mta pg_psql "SELECT count(*) FROM postfix_access, postfix_virtual" >/dev/null'
tap_check "and not the tables behind them" \
    eval '! PG_ROLE=aliasd_mta pg_psql "SELECT count(*) FROM address" 2>/dev/null'

# reply H ADDRESS: host H's reply to RCPT TO:<ADDRESS> from an outsider.
reply() {
	mx_use "$1"
	pf_probe "$2" 15
	echo "$PF_REPLY"
}

for a in "$old" "$plain" "$gone"; do
	p=$(reply primary "$a")
	b=$(reply backup "$a")
	if [ "$b" = "$p" ]; then
		tap_ok "the backup refuses $a with the primary's reply"
	else
		tap_not_ok "the backup refuses $a with the primary's reply" \
		    "primary: $p" "backup:  $b"
	fi
	case $p in
	"550 5.1.1 <$a>: $REJ: "*) tap_ok "and that is aliasd's 550 5.1.1 with the reason ($p)" ;;
	*) tap_not_ok "and that is aliasd's 550 5.1.1 with the reason" "primary: $p" "backup: $b" ;;
	esac
done
b=$(reply backup "${old^^}")
p=$(reply primary "${old^^}")
# Postfix echoes the address as the client wrote it, aliasd in lower
# case; the rest of the reply is the same.
if [ "${b,,}" = "${p,,}" ] && [ "${b#*>}" = "${p#*>}" ]; then
	tap_ok "an address in upper case: the same refusal (the echoed address's case aside)"
else
	tap_not_ok "an address in upper case: the same refusal" \
	    "primary: $p" "backup:  $b"
fi

mx_use backup
pf_swaks_in --from someone@sender.example --to "$joe" \
    --header "Subject: via the backup" --body "hello" >"$T/tx" 2>&1
tap_check "the backup accepts the active address" pf_replied "$T/tx" '^<- +250 .*queued as'
tap_check "and hands it on to the owner (postfix_virtual)" pf_wait_captured 1 30
f=$(pf_capture_last)
tap_check "the envelope recipient is the owner's mailbox" \
    [ "$(pf_msg_rcpts "$f")" = "<me@example.net>" ]

b=$(reply backup "mail-9999-zz@example.com")
case $b in
5[0-9][0-9]" "*) tap_ok "the backup refuses an unknown address ($b)" ;;
*) tap_not_ok "the backup refuses an unknown address" "reply: $b" ;;
esac

# A change made with aliasctl anywhere: the backup's next RCPT knows it.
aliasctl retire "$joe" --reason "Leaked to a list" >/dev/null
p=$(reply primary "$joe")
b=$(reply backup "$joe")
tap_check "retired just now: the backup refuses it at the next RCPT, as the primary does" \
    [ "$b" = "$p" ] && [ "$b" = "550 5.1.1 <$joe>: $REJ: Leaked to a list" ]
aliasctl revive "$joe" >/dev/null
tap_check "revived: the backup takes it again" \
    eval '[[ "$(reply backup "$joe")" == "250 "* ]]'

mx_use backup
tap_check "the backup bounced nothing" [ "$(pf_bounce_count)" -eq 0 ]
if [ "$TAP_FAILED" -gt 0 ]; then
	pf_log_grep 'warning|fatal|error' | tail -n 20 | tap_diag -
fi
tap_done
