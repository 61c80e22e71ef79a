# bench/report.sh: the table of make bench, in Markdown, from run.sh's
# figures (the associative array R and SIZES, CONCS, REPS, QUICK).
# Sourced by run.sh; `report` writes to stdout.

# verdict OK_EXPRESSION: "met" or "**missed**" (awk decides; x = no figure)
verdict() {
	if [[ "$1" == *x* ]] || [[ "$1" == *nan* ]]; then
		echo "**no figure**"
	elif awk "BEGIN { exit !($1) }"; then
		echo "met"
	else
		echo "**missed**"
	fi
}

ratio() {
	if [[ "$1$2" == *x* ]]; then
		echo x
	else
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
	fi
}

mode_label() {
	local m=$1
	case $m in
	*_10) echo "$(mode_label "${m%_10}"), 10 recipients" ;;
	a) echo "a: no recipient check" ;;
	pn) echo "pn: null policy server (the protocol alone)" ;;
	sn) echo "sn: null socketmap server (the protocol alone)" ;;
	p*) echo "p: aliasd policy service, ${m:1}" ;;
	s*) echo "s: aliasd socketmap (access), ${m:1}" ;;
	b*) echo "b: Postfix hash map, ${m:1}" ;;
	nu) echo "n: null milter, unix:" ;;
	nu2) echo "n2: a second null milter, unix: (A/A)" ;;
	ni) echo "n: null milter, inet:" ;;
	cu*) echo "c: aliasd, ${m:2}, unix:" ;;
	ci*) echo "c: aliasd, ${m:2}, inet:" ;;
	ru*) echo "r: aliasd, ${m:2} with rules, unix: (strangers ~10%)" ;;
	ri*) echo "r: aliasd, ${m:2} with rules, inet: (strangers ~10%)" ;;
	gu*) echo "g: aliasd, ${m:2}, PostgreSQL store, unix:" ;;
	esac
}

# The fast path (issue 14): p and s against Postfix's own hash map.
report_fastpath() {
	local n s c k r smallest=${SIZES%% *} largest=${SIZES##* }
	echo "### The fast path: policy service (p) and socketmap (s)"
	echo
	echo "p: check_policy_service unix: to aliasd, no milter; s:"
	echo "check_recipient_access socketmap:unix:...:access to aliasd; each an"
	echo "aliasd of its own per store size.  pn, sn: bench/nullpolicy and"
	echo "bench/nullmap, which read each request with aliasd's own parser and"
	echo "answer DUNNO (\"OK DUNNO\"), on a server loop of aliasd's shape: the"
	echo "protocol's own cost.  Targets: p/b >= 0.95 and s/b >= 0.95."
	echo
	echo "| store | concurrency | p/b | s/b | pn/b | sn/b | p/pn | s/sn | n2/n | p/b >= 0.95 | s/b >= 0.95 |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
	for n in $SIZES; do
		s=${SIZE_NAME[$n]}
		for c in $CONCS; do
			local b=${R[tp_b$s,$c]} pv=${R[tp_p$s,$c]} sv=${R[tp_s$s,$c]}
			local pr sr
			pr=$(ratio "$pv" "$b")
			sr=$(ratio "$sv" "$b")
			echo "| $s | $c | $pr | $sr | $(ratio "${R[tp_pn,$c]}" "$b") |" \
			    "$(ratio "${R[tp_sn,$c]}" "$b") | $(ratio "$pv" "${R[tp_pn,$c]}") |" \
			    "$(ratio "$sv" "${R[tp_sn,$c]}") |" \
			    "$(ratio "${R[tp_nu2,$c]}" "${R[tp_nu,$c]}") |" \
			    "$(verdict "$pr >= 0.95") | $(verdict "$sr >= 0.95") |"
		done
	done
	echo
	echo "Store size (target: p at ${SIZE_NAME[$largest]} within 5% of p at ${SIZE_NAME[$smallest]}):"
	echo
	echo "| path | concurrency | ${SIZE_NAME[$largest]} / ${SIZE_NAME[$smallest]} | within 5% |"
	echo "| --- | ---: | ---: | --- |"
	for k in p s; do
		for c in $CONCS; do
			r=$(ratio "${R[tp_$k${SIZE_NAME[$largest]},$c]}" \
			    "${R[tp_$k${SIZE_NAME[$smallest]},$c]}")
			echo "| $k | $c | $r | $(verdict "$r >= 0.95") |"
		done
	done
	echo
	echo "CPU per request: the server process's user + system time over all"
	echo "its runs, per recipient (one policy or socketmap request; for the"
	echo "milters one RCPT's share of a message's callbacks), in microseconds:"
	echo
	echo "| server | us per recipient | over its null server |"
	echo "| --- | ---: | ---: |"
	for n in $SIZES; do
		s=${SIZE_NAME[$n]}
		echo "| $(mode_label "p$s") | ${R[cpur_p$s]-x} | $(ratio "${R[cpur_p$s]-x}" "${R[cpur_pn]-x}") |"
	done
	echo "| $(mode_label pn) | ${R[cpur_pn]-x} | |"
	for n in $SIZES; do
		s=${SIZE_NAME[$n]}
		echo "| $(mode_label "s$s") | ${R[cpur_s$s]-x} | $(ratio "${R[cpur_s$s]-x}" "${R[cpur_sn]-x}") |"
	done
	echo "| $(mode_label sn) | ${R[cpur_sn]-x} | |"
	s=${SIZE_NAME[$largest]}
	echo "| $(mode_label "cu$s") | ${R[cpur_cu$s]-x} | $(ratio "${R[cpur_cu$s]-x}" "${R[cpur_nu]-x}") |"
	echo "| $(mode_label nu) | ${R[cpur_nu]-x} | |"
	echo
}

# One and ten recipients per message (issue 14, "The per-RCPT cost").
report_ten() {
	local c s largest=${SIZES##* } r10
	s=${SIZE_NAME[$largest]}
	echo "### Ten recipients per message (${s})"
	echo
	echo "smtp-source -r 10: ten@, 2ten@ ... 10ten@example.com, 10ten retired"
	echo "(refused by aliasd and the hash map, accepted by the null servers),"
	echo "the same ten in every run.  Each mode has its own listener and server"
	echo "process (the _10 rows of the table above).  Target: c/n >= 0.95 at"
	echo "10 recipients as at 1."
	echo
	echo "| concurrency | c/n, 1 rcpt | c/n, 10 rcpts | p/b, 10 | s/b, 10 | p/pn, 10 | s/sn, 10 | c/n at 10 >= 0.95 |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
	for c in $CONCS; do
		r10=$(ratio "${R[tp_cu${s}_10,$c]}" "${R[tp_nu_10,$c]}")
		echo "| $c | $(ratio "${R[tp_cu$s,$c]}" "${R[tp_nu,$c]}") | $r10 |" \
		    "$(ratio "${R[tp_p${s}_10,$c]}" "${R[tp_b${s}_10,$c]}") |" \
		    "$(ratio "${R[tp_s${s}_10,$c]}" "${R[tp_b${s}_10,$c]}") |" \
		    "$(ratio "${R[tp_p${s}_10,$c]}" "${R[tp_pn_10,$c]}") |" \
		    "$(ratio "${R[tp_s${s}_10,$c]}" "${R[tp_sn_10,$c]}") |" \
		    "$(verdict "$r10 >= 0.95") |"
	done
	echo
	echo "CPU per recipient at 10 recipients (us): aliasd milter" \
	    "${R[cpur_cu${s}_10]-x} against the null milter's ${R[cpur_nu_10]-x};" \
	    "policy ${R[cpur_p${s}_10]-x} against ${R[cpur_pn_10]-x};" \
	    "socketmap ${R[cpur_s${s}_10]-x} against ${R[cpur_sn_10]-x}."
	echo
}

report_body() {
	local m c n s k smallest largest cpu
	smallest=${SIZES%% *}
	largest=${SIZES##* }
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	echo "# make bench: results"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: $(nproc) cores, $cpu; $(uname -sr)"
	echo "- load average before the run: ${LOAD_BEFORE:-?}"
	echo "- run: $([ "$QUICK" = 1 ] && echo "QUICK=1 (smaller sizes, fewer messages)" || echo full);" \
	    "each figure is the median of $REPS runs (alias-sendmail: 5);" \
	    "Postfix modes interleaved run by run"
	echo "- Postfix $(postconf -c "$PF_CONF" -h mail_version 2>/dev/null), SQLite $(sqlite3 --version | cut -d' ' -f1)," \
	    "PostgreSQL ${R[pg_version]-?} (a private server on this machine, unix socket)"
	echo
	echo "## 1. Postfix throughput (messages/s)"
	echo
	echo "smtp-source -A, one message (2 KB, one recipient: an active address"
	echo "of the store, a new random one each run) per SMTP connection, into a"
	echo "private Postfix on 127.0.0.1 relaying to smtp-sink.  A run counts only"
	echo "when every message was queued and nothing was refused (x otherwise)."
	echo "Messages per run: $MSGS_PER_CONC (concurrency:messages)."
	echo
	echo "r is aliasd on a second store of ${SIZE_NAME[$largest]} addresses where every address"
	echo "has rules (bench/genstore.sh rules: half lock domain, half lock none,"
	echo "on-refuse reject, max-mails 1000000, idle one year, one allow-list"
	echo "entry each, a counter and a sender domain for every active address,"
	echo "a leak sighting for 10%), its recipient a lock-none address, so that"
	echo "a stranger's mail is accepted and stored as a sighting.  smtp-source"
	echo "has one sender per run: two run side by side, x@example.org (the"
	echo "correspondents' organisation: expected) and x@stranger.example with"
	echo "a tenth of the concurrency and the same share of the messages"
	echo "($(rules_share_text))."
	echo "The other modes' one sender, sender@sender.example, is a stranger to"
	echo "every address of the plain stores: with no rules it is accepted,"
	echo "costs an allow-list probe per recipient and is stored as a sighting"
	echo "per message, so c measures 100% unexpected mail, r 10% with every"
	echo "table of the gate filled."
	echo
	echo "g is aliasd on a PostgreSQL copy of the plain ${SIZE_NAME[$largest]} store"
	echo "(aliasctl copy-store), its configuration the same but for"
	echo "\`database = postgresql://...\`: a private server on this machine"
	echo "(tests/lib/pg.sh: unix socket only, fsync and synchronous_commit off,"
	echo "shared_buffers 32 MB), reached over its unix socket."
	echo
	printf '| mode |'; for c in $CONCS; do printf ' c=%s |' "$c"; done; echo
	printf '| --- |'; for c in $CONCS; do printf ' ---: |'; done; echo
	for m in "${MODES[@]}"; do
		printf '| %s |' "$(mode_label "$m")"
		for c in $CONCS; do printf ' %s |' "${R[tp_$m,$c]}"; done
		echo
	done
	echo
	echo "The milter process's own CPU time per message (user + system over all"
	echo "the runs of its mode; a message costs the machine about"
	echo "$(nproc) cores / (messages/s), e.g. $(awk -v r="${R[tp_nu,8]}" -v c="$(nproc)" 'BEGIN { printf "%.1f", c * 1000 / r }') ms at the null milter's c=8 rate):"
	echo
	printf '| milter | CPU ms per message |\n| --- | ---: |\n'
	for m in "${MODES[@]}"; do
		[ -n "${R[cpu_$m]-}" ] && echo "| $(mode_label "$m") | ${R[cpu_$m]} |"
	done
	echo
	echo "Ratios (target: c/n >= 0.95 at every size).  n2/n is two identical"
	echo "null milters measured against each other in the same run: how far"
	echo "apart two equal modes land, the resolution of these figures."
	echo
	echo "| aliasd | socket | concurrency | c/n | n2/n | c/b | c/a | c/n >= 0.95 |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
	for n in $SIZES; do
		s=${SIZE_NAME[$n]}
		for k in u i; do
			for c in $CONCS; do
				local cv=${R[tp_c$k$s,$c]} nv=${R[tp_n$k,$c]}
				local r
				r=$(ratio "$cv" "$nv")
				echo "| $s | $([ $k = u ] && echo unix || echo inet) | $c | $r |" \
				    "$(ratio "${R[tp_nu2,$c]}" "${R[tp_nu,$c]}") |" \
				    "$(ratio "$cv" "${R[tp_b$s,$c]}") | $(ratio "$cv" "${R[tp_a,$c]}") |" \
				    "$(verdict "$r >= 0.95") |"
			done
		done
	done
	s=${SIZE_NAME[$largest]}
	for k in u i; do
		for c in $CONCS; do
			local rv=${R[tp_r$k$s,$c]-x} nv=${R[tp_n$k,$c]}
			local r
			r=$(ratio "$rv" "$nv")
			echo "| $s with rules (r/n) | $([ $k = u ] && echo unix || echo inet) | $c | $r |" \
			    "$(ratio "${R[tp_nu2,$c]}" "${R[tp_nu,$c]}") |" \
			    "$(ratio "$rv" "${R[tp_b$s,$c]}") | $(ratio "$rv" "${R[tp_a,$c]}") |" \
			    "$(verdict "$r >= 0.95") |"
		done
	done
	for c in $CONCS; do
		local gv=${R[tp_gu$s,$c]-x} nv=${R[tp_nu,$c]}
		local r
		r=$(ratio "$gv" "$nv")
		echo "| $s PostgreSQL (g/n) | unix | $c | $r |" \
		    "$(ratio "${R[tp_nu2,$c]}" "${R[tp_nu,$c]}") |" \
		    "$(ratio "$gv" "${R[tp_b$s,$c]}") | $(ratio "$gv" "${R[tp_a,$c]}") |" \
		    "$(verdict "$r >= 0.95") |"
	done
	echo
	echo "PostgreSQL against SQLite, the same store (g/c, unix:; 1 = the"
	echo "store's kind costs nothing Postfix can see):"
	echo
	printf '| store |'; for c in $CONCS; do printf ' c=%s |' "$c"; done; echo
	printf '| --- |'; for c in $CONCS; do printf ' ---: |'; done; echo
	printf '| %s |' "$s"
	for c in $CONCS; do
		printf ' %s |' "$(ratio "${R[tp_gu$s,$c]-x}" "${R[tp_cu$s,$c]}")"
	done
	echo
	echo
	echo "CPU per message with PostgreSQL: aliasd (g) ${R[cpu_gu$s]-x} ms, the"
	echo "PostgreSQL server (postmaster and backends, over the same runs, only"
	echo "g talking to it) ${R[cpu_pgserver]-x} ms; aliasd on SQLite (c)" \
	    "${R[cpu_cu$s]-x} ms."
	echo
	echo "The rules store against the plain one of the same size (r/c, same"
	echo "socket and concurrency; 1 = the rules cost nothing Postfix can see):"
	echo
	printf '| socket |'; for c in $CONCS; do printf ' c=%s |' "$c"; done; echo
	printf '| --- |'; for c in $CONCS; do printf ' ---: |'; done; echo
	for k in u i; do
		printf '| %s |' "$([ $k = u ] && echo unix || echo inet)"
		for c in $CONCS; do
			printf ' %s |' "$(ratio "${R[tp_r$k$s,$c]-x}" "${R[tp_c$k$s,$c]}")"
		done
		echo
	done
	echo
	echo "Note: where n2/n is itself 5% or more away from 1, a 5% difference"
	echo "is below what $REPS interleaved runs resolve here (Postfix's own ~40"
	echo "processes share $(nproc) cores with the milter and smtp-source).  The CPU"
	echo "table above is the sharper measure of aliasd's share of a message:"
	echo "what aliasd costs over the null milter, against what a message costs"
	echo "the machine (at the null milter's c=32 rate), predicts c/n there:"
	echo
	printf '| aliasd | predicted c/n |\n| --- | ---: |\n'
	for n in $SIZES; do
		s=${SIZE_NAME[$n]}
		printf '| %s, unix: | %s |\n' "$s" \
		    "$(awk -v c="${R[cpu_cu$s]}" -v z="${R[cpu_nu]}" -v r="${R[tp_nu,32]}" \
		    -v k="$(nproc)" 'BEGIN { m = k * 1000 / r; printf "%.3f", m / (m + c - z) }')"
	done
	printf '| %s with rules, unix: | %s |\n' "${SIZE_NAME[$largest]}" \
	    "$(awk -v c="${R[cpu_ru${SIZE_NAME[$largest]}]}" -v z="${R[cpu_nu]}" -v r="${R[tp_nu,32]}" \
	    -v k="$(nproc)" 'BEGIN { m = k * 1000 / r; printf "%.3f", m / (m + c - z) }')"
	printf '| %s PostgreSQL (aliasd + server), unix: | %s |\n' "${SIZE_NAME[$largest]}" \
	    "$(awk -v c="${R[cpu_gu${SIZE_NAME[$largest]}]-0}" -v g="${R[cpu_pgserver]-0}" \
	    -v z="${R[cpu_nu]}" -v r="${R[tp_nu,32]}" \
	    -v k="$(nproc)" 'BEGIN { m = k * 1000 / r; printf "%.3f", m / (m + c + g - z) }')"
	echo
	echo "Store size (target: c at ${SIZE_NAME[$largest]} within 5% of c at ${SIZE_NAME[$smallest]}):"
	echo
	echo "| socket | concurrency | c ${SIZE_NAME[$largest]} / c ${SIZE_NAME[$smallest]} | within 5% |"
	echo "| --- | ---: | ---: | --- |"
	for k in u i; do
		for c in $CONCS; do
			local r
			r=$(ratio "${R[tp_c$k${SIZE_NAME[$largest]},$c]}" "${R[tp_c$k${SIZE_NAME[$smallest]},$c]}")
			echo "| $([ $k = u ] && echo unix || echo inet) | $c | $r | $(verdict "$r >= 0.95") |"
		done
	done
	echo
	echo "inet: against unix: (a ratio well below 1 would be Nagle/delayed-ACK stalls):"
	echo
	printf '| milter |'; for c in $CONCS; do printf ' c=%s |' "$c"; done; echo
	printf '| --- |'; for c in $CONCS; do printf ' ---: |'; done; echo
	printf '| null milter inet/unix |'
	for c in $CONCS; do printf ' %s |' "$(ratio "${R[tp_ni,$c]}" "${R[tp_nu,$c]}")"; done
	echo
	for n in $SIZES; do
		s=${SIZE_NAME[$n]}
		printf '| aliasd %s inet/unix |' "$s"
		for c in $CONCS; do printf ' %s |' "$(ratio "${R[tp_ci$s,$c]}" "${R[tp_cu$s,$c]}")"; done
		echo
	done
	echo
	echo "A ratio far below 1 would be a Nagle/delayed-ACK stall of about 40 ms a"
	echo "message.  Before aliasd kept the DATA step (it negotiated SMFIP_NODATA,"
	echo "and Postfix still sends the DATA macros, unanswered), inet: ran at 22"
	echo "messages/s against 300 on unix: at c=1; see aliasd/milter.c."
	echo
	report_fastpath
	report_ten
	echo "Store generation (bench/genstore.sh, one transaction):"
	for n in $SIZES; do
		printf ' %s addresses %ss;' "${SIZE_NAME[$n]}" "${R[gen_$n]}"
	done
	printf ' %s with rules %ss;' "${SIZE_NAME[$largest]}" "${R[gen_${largest}_rules]}"
	echo
	echo "aliasctl copy-store from the SQLite store into PostgreSQL (one transaction):"
	for n in $PG_SIZES; do
		printf ' %s %ss;' "${SIZE_NAME[$n]}" "${R[copy_$n]-x}"
	done
	echo
	echo "aliasctl export postfix --makemap (with postmap hash:):"
	for n in $SIZES; do
		printf ' %s %.2fs;' "${SIZE_NAME[$n]}" "${R[map_$n]}"
	done
	echo
	echo
	echo "## 2. The milter alone (bench/milterbench, ${SIZE_NAME[$largest]} addresses)"
	echo
	echo "8 connections, 4 RCPTs per message (MAIL, RCPT x 4, ABORT), addresses"
	echo "drawn at random from a sample of the store: about 80% active, 18%"
	echo "retired or unknown; every verdict checked.  Client and aliasd share the"
	echo "machine's cores.  The sender of every message is sender@sender.example,"
	echo "a stranger to every address (no rules: accepted, one allow-list probe)."
	echo "With rules: the rules store of section 1, milterbench -u 10: a random"
	echo "${R[mb_ushare_rules]-?}% of the messages from x@stranger.example, the others from"
	echo "x@example.org; ${R[mb_locked_rules]-?}% of the sample locked to the correspondent's"
	echo "organisation, checked to be refused to strangers (550 5.7.1) and"
	echo "accepted from the others."
	echo
	echo "| milter | decisions/s | p50 | p99 | p99 < 1 ms |"
	echo "| --- | ---: | ---: | ---: | --- |"
	for k in unix inet; do
		echo "| aliasd, $k: | ${R[mb_rate_$k]} | ${R[mb_p50_$k]} us | ${R[mb_p99_$k]} us |" \
		    "$(verdict "${R[mb_p99_$k]} < 1000") |"
	done
	echo "| aliasd with rules, unix:, 10% strangers | ${R[mb_rate_rules]} | ${R[mb_p50_rules]} us | ${R[mb_p99_rules]} us |" \
	    "$(verdict "${R[mb_p99_rules]} < 1000") |"
	echo "| null milter, unix: (the protocol alone; active addresses) | ${R[mb_rate_null]} |" \
	    "${R[mb_p50_null]} us | ${R[mb_p99_null]} us | |"
	echo "| aliasd, unix:, 10 RCPTs per message | ${R[mb_rate_unix10]} | ${R[mb_p50_unix10]} us | ${R[mb_p99_unix10]} us |" \
	    "$(verdict "${R[mb_p99_unix10]} < 1000") |"
	echo "| null milter, unix:, 10 RCPTs per message | ${R[mb_rate_null10]} |" \
	    "${R[mb_p50_null10]} us | ${R[mb_p99_null10]} us | |"
	echo
	local mbr mbr10
	mbr=$(ratio "${R[mb_rate_unix]}" "${R[mb_rate_null]}")
	mbr10=$(ratio "${R[mb_rate_unix10]}" "${R[mb_rate_null10]}")
	echo "aliasd's decisions/s against the null milter's (unix:, target >="
	echo "0.8): at 4 RCPTs a message $mbr, $(verdict "$mbr >= 0.8"); at 10, $mbr10," \
	    "$(verdict "$mbr10 >= 0.8")."
	echo
	report_pg_milter
	echo "## 3. aliasctl (${SIZE_NAME[$largest]} addresses; list: $(for n in $LIST_SIZES; do printf '%s ' "${SIZE_NAME[$n]}"; done))"
	echo
	echo "| what | figure | target | |"
	echo "| --- | ---: | --- | --- |"
	echo "| new: median latency of $NEW_RUNS runs | ${R[new_ms]} ms | < 5 ms | $(verdict "${R[new_ms]} < 5") |"
	echo "| floor: /bin/true, started the same way | ${R[true_ms]} ms | | |"
	echo "| floor: aliasctl --help (exec, SQLite and libsodium loaded) | ${R[help_ms]} ms | | |"
	echo "| export virtusertable -o FILE (${R[export_lines]} lines) | ${R[export_s]} s | < 3 s | $(verdict "${R[export_s]} < 3") |"
	local lsz l0 l1 l2
	read -ra lsz <<<"$LIST_SIZES"
	l0=${lsz[0]} l1=${lsz[1]} l2=${lsz[2]}
	for n in $LIST_SIZES; do
		echo "| list --all, ${SIZE_NAME[$n]} | ${R[list_s_$n]} s, ${R[list_kb_$n]} KB peak RSS | flat | |"
	done
	echo "| list peak RSS ${SIZE_NAME[$l2]} / ${SIZE_NAME[$l0]} | $(ratio "${R[list_kb_$l2]}" "${R[list_kb_$l0]}") | (see note) | |"
	echo "| list peak RSS ${SIZE_NAME[$l2]} / ${SIZE_NAME[$l1]} | $(ratio "${R[list_kb_$l2]}" "${R[list_kb_$l1]}") | flat (<= 1.05) | $(verdict "${R[list_kb_$l2]} <= 1.05 * ${R[list_kb_$l1]}") |"
	echo
	echo "new is timed by bench/spawntime (posix_spawn, wall time to exit), as"
	echo "are the two floors: starting aliasctl with its libraries and doing"
	echo "nothing costs ${R[help_ms]} ms here, so new's own work (open the store,"
	echo "one transaction, one fsync of the WAL) is about" \
	    "$(awk -v a="${R[new_ms]}" -v b="${R[help_ms]}" 'BEGIN { printf "%.1f", a - b }') ms."
	echo
	echo "Note: between ${SIZE_NAME[$l0]} and ${SIZE_NAME[$l1]} the RSS grows by SQLite's page cache,"
	echo "which fills up to its bound (default cache_size -2000, 2 MB) once the"
	echo "file is larger than that (${SIZE_NAME[$l0]} is about 1.4 MB); past it the memory"
	echo "no longer grows with the store, which is the flat-memory check."
	echo
	echo "## 4. alias-sendmail"
	echo
	echo "sendmail_program is a script doing \`cat >/dev/null\`.  \"cat\" is"
	echo "\`cat FILE | script\`: the same pipeline with cat where alias-sendmail"
	echo "stands; \"plain cat\" is \`cat FILE >/dev/null\`.  Target: time <= 2 x cat"
	echo "+ 20 ms, peak RSS the same at every size."
	echo
	echo "| message | alias-sendmail | cat | plain cat | time target | alias-sendmail RSS | cat RSS |"
	echo "| --- | ---: | ---: | ---: | --- | ---: | ---: |"
	for mb in 1 20 100; do
		echo "| $mb MB | ${R[as_ms_$mb]} ms | ${R[cat_ms_$mb]} ms | ${R[plaincat_ms_$mb]} ms |" \
		    "$(verdict "${R[as_ms_$mb]} <= 2 * ${R[cat_ms_$mb]} + 20") |" \
		    "${R[as_kb_$mb]} KB | ${R[cat_kb_$mb]} KB |"
	done
	echo
	echo "Peak RSS flat (100 MB within 10% of 1 MB): $(verdict "${R[as_kb_100]} <= 1.1 * ${R[as_kb_1]}")"
}

# SQLite against PostgreSQL under milterbench (issue 15).
report_pg_milter() {
	local n s st
	echo "### SQLite against PostgreSQL"
	echo
	echo "The same milterbench (unix:, 8 connections, 4 RCPTs a message, the"
	echo "same sample) against aliasd on the SQLite store and on its PostgreSQL"
	echo "copy (section 1's g), runs alternating.  Target: PostgreSQL p99 < 2 ms."
	echo "Each of aliasd's 8 sessions has a PostgreSQL backend of its own: 8"
	echo "more processes on the $(nproc) cores beside milterbench's 8 clients and"
	echo "aliasd, where SQLite works inside aliasd."
	echo
	echo "| store | size | decisions/s | p50 | p99 | PostgreSQL / SQLite (rate) | p99 < 2 ms |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | --- |"
	for n in $PG_SIZES; do
		s=${SIZE_NAME[$n]}
		for st in sqlite pg; do
			if [ "$st" = sqlite ]; then
				echo "| SQLite | $s | ${R[mb_rate_sqlite_$n]-x} |" \
				    "${R[mb_p50_sqlite_$n]-x} us | ${R[mb_p99_sqlite_$n]-x} us | | |"
			else
				echo "| PostgreSQL | $s | ${R[mb_rate_pg_$n]-x} |" \
				    "${R[mb_p50_pg_$n]-x} us | ${R[mb_p99_pg_$n]-x} us |" \
				    "$(ratio "${R[mb_rate_pg_$n]-x}" "${R[mb_rate_sqlite_$n]-x}") |" \
				    "$(verdict "${R[mb_p99_pg_$n]-x} < 2000") |"
			fi
		done
	done
	echo
}

# The strangers' share of the rules runs, per concurrency (split_of).
rules_share_text() {
	local c sc sm sep=
	for c in $CONCS; do
		read -r sc sm <<<"$(split_of "$c" "$(msgs_for "$c")")"
		printf '%sc=%s: %s of %s messages' "$sep" "$c" "$sm" "$(msgs_for "$c")"
		sep='; '
	done
}

report() {
	local body missed
	body=$(report_body)
	missed=$(grep -c '\*\*missed\*\*\|\*\*no figure\*\*' <<<"$body")
	echo "$body"
	echo
	echo "## Summary"
	echo
	if [ "$missed" -eq 0 ]; then
		echo "Every target met."
	else
		echo "$missed target check(s) missed or without a figure: see" \
		    "**missed** above."
	fi
}
