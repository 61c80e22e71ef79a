# tests/lib/milter.sh: talk to aliasd through the milter protocol with
# tests/milter/milterclient playing the MTA (no MTA needed).  Source after
# tests/lib/common.sh and tests/lib/aliasd.sh (needs $AD_SOCKET).
#
#   ml_session IP AUTH FROM RCPTS HEADERS
#       One message.  AUTH is the {auth_authen} login, or daemon=NAME for
#       {daemon_name}, or "".  FROM is the envelope sender ("" for <>).
#       RCPTS is a comma-separated list; HEADERS "Name: value" lines
#       joined with ";;" (none: no DATA, the session ends after the RCPTs
#       with an abort).  Prints milterclient's answer lines.
#   ml_has OUTPUT LINES
#       True when every line of LINES (";;"-separated) is a line of
#       OUTPUT; names the first missing one on stderr.

ML_CLIENT="$ALIASD_BUILD/tests/milterclient"

ml_session() {
	local ip=$1 auth=$2 from=$3 rcpts=$4 headers=$5 r h
	{
		echo "macro C {client_addr} $ip"
		echo "macro C {daemon_name} mx"
		echo "connect client.example.net $ip"
		echo "helo client.example.net"
		case $auth in
		"") ;;
		daemon=*) echo "macro M {daemon_name} ${auth#daemon=}" ;;
		*) echo "macro M {auth_authen} $auth" ;;
		esac
		echo "macro M {mail_addr} $from"
		echo "mail <$from>"
		IFS=, read -ra r <<<"$rcpts"
		for h in "${r[@]}"; do
			echo "macro R {rcpt_addr} $h"
			echo "rcpt <$h>"
		done
		if [ -n "$headers" ]; then
			printf '%s\n' "${headers//;;/$'\n'}" | sed 's/^/header /'
			echo "body hello"
			echo "eom"
		else
			echo "abort"
		fi
		echo "quit"
	} | timeout 15 "$ML_CLIENT" "$AD_SOCKET" 2>&1
}

ml_has() {
	local out=$1 want
	while IFS= read -r want; do
		[ -n "$want" ] || continue
		grep -qxF -- "$want" <<<"$out" && continue
		echo "want: $want" >&2
		return 1
	done <<<"${2//;;/$'\n'}"
}
