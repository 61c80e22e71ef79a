# tests/lib/mx.sh: more than one private Postfix (and aliasd) in one suite.
# Source after tests/lib/postfix.sh and tests/lib/aliasd.sh, which keep
# the variables of one instance each: these save them under a host's name
# and bring them back.
#
#   mx_save HOST     remember the current Postfix and aliasd variables
#                    (PF_*, AD_CONF, AD_SOCKET, AD_LOG, AD_PID...) as HOST's
#   mx_use HOST      make HOST's the current ones: pf_* and ad_* functions
#                    then act on HOST
#   mx_cleanup       for every saved host: ad_stop and pf_cleanup

MX_VARS="PF_DIR PF_CONF PF_QUEUE PF_DATA PF_LOG PF_CAPTURE PF_SASL_DIR
PF_PORT_IN PF_PORT_SUB PF_SINK_PORT PF_DOMAIN PF_MILTER PF_SINK_PID
_PF_STARTED AD_CONF AD_SOCKDIR AD_SOCKET AD_LOG AD_PID"
declare -A _MX_SAVED=()
MX_HOSTS=""

mx_save() {
	local v
	for v in $MX_VARS; do _MX_SAVED[$1.$v]=${!v-}; done
	case " $MX_HOSTS " in *" $1 "*) ;; *) MX_HOSTS="$MX_HOSTS $1" ;; esac
}

mx_use() {
	local v
	for v in $MX_VARS; do printf -v "$v" '%s' "${_MX_SAVED[$1.$v]-}"; done
}

mx_cleanup() {
	local h
	for h in $MX_HOSTS; do
		mx_use "$h"
		ad_stop
		pf_cleanup
	done
	return 0
}
