#!/bin/sh
# run.sh: run libFuzzer targets for a set time each and report their
# executions; make fuzz and tests/integration/fuzz_short.sh both use it.
#
# Each target first replays its committed regression inputs
# (tests/fuzz/regress/NAME/, one run each), then fuzzes a copy of its seed
# corpus in $FUZZ_B/corpus/NAME (the committed corpus is only read).
# SECONDS 0 (make check's short run) fuzzes nothing: it replays the
# committed corpus, each input once, after the regression inputs.  A
# crash leaves its input under $FUZZ_B/crashes/NAME/ and the log under
# $FUZZ_B/logs/.  Executions per target and run length are merged into
# $FUZZ_B/fuzz-stats.txt, one line per target and length (not for 0).
# Every run is bounded in time: a run that hangs is a failure.
#
# usage: tests/fuzz/run.sh [-t] SECONDS NAME...
#   -t   TAP: one "ok N - ..." line per target (for make check)
# env:   FUZZ_B (build-fuzz), FUZZ_JOBS (targets run at once, 2)
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
tap=0
if [ "${1:-}" = "-t" ]; then
	tap=1
	shift
fi
if [ $# -lt 2 ]; then
	echo "usage: run.sh [-t] SECONDS NAME..." >&2
	exit 64
fi
secs=$1
shift
case "$secs" in
''|*[!0-9]*) echo "run.sh: SECONDS must be a number" >&2; exit 64 ;;
esac
B=$top/${FUZZ_B:-build-fuzz}
jobs=${FUZZ_JOBS:-2}
mkdir -p "$B/logs" "$B/results"

# One target, in the background: its result line goes to results/NAME as
# "STATUS EXECS REGRESS DETAIL" (STATUS ok or crash).
run_one() {
	name=$1
	bin=$B/fuzz_$name
	work=$B/corpus/$name
	crashes=$B/crashes/$name
	log=$B/logs/$name.log
	res=$B/results/$name
	nreg=0
	mkdir -p "$work" "$crashes"
	if [ ! -x "$bin" ]; then
		echo "crash 0 0 $bin not built (make fuzz-build)" >"$res"
		return
	fi
	# the committed seeds join what earlier runs found
	cp "$top/tests/fuzz/corpus/$name"/* "$work"/ 2>/dev/null
	set --
	for f in "$top/tests/fuzz/regress/$name"/*; do
		[ -f "$f" ] && set -- "$@" "$f" && nreg=$((nreg + 1))
	done
	if [ "$nreg" -gt 0 ] && ! timeout -k 10 120 "$bin" -timeout=10 \
	    -rss_limit_mb=2048 "$@" >"$B/logs/$name.regress.log" 2>&1
	then
		echo "crash 0 $nreg a regression input fails again (or took" \
		    "over 120 s): $B/logs/$name.regress.log" >"$res"
		return
	fi
	if [ "$secs" -eq 0 ]; then
		set --
		for f in "$top/tests/fuzz/corpus/$name"/*; do
			[ -f "$f" ] && set -- "$@" "$f"
		done
		if [ $# -gt 0 ] && ! timeout -k 10 120 "$bin" -timeout=10 \
		    -rss_limit_mb=2048 "$@" >"$log" 2>&1; then
			echo "crash 0 $nreg a corpus input fails (or the replay" \
			    "took over 120 s): $log" >"$res"
			return
		fi
		echo "ok $# $nreg" >"$res"
		return
	fi
	dict=
	[ -f "$top/tests/fuzz/$name.dict" ] &&
		dict=-dict=$top/tests/fuzz/$name.dict
	# libFuzzer stops itself; timeout only guards against a wedged run
	timeout -k 10 $((secs + 120)) "$bin" -max_total_time="$secs" \
	    -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$crashes/" $dict "$work" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	execs=${execs:-0}
	if [ "$rc" -eq 0 ]; then
		echo "ok $execs $nreg" >"$res"
		return
	fi
	input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" |
	    tail -n 1)
	echo "crash $execs $nreg exit $rc, input ${input:-none}, log $log" \
	    >"$res"
}

# At most $jobs targets at once, each waited for by its PID, oldest first.
pids=
running=0
for name in "$@"; do
	rm -f "$B/results/$name"
	run_one "$name" &
	pids=${pids:+$pids }$!
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		first=${pids%% *}
		wait "$first"
		pids=${pids#"$first"}
		pids=${pids# }
		running=$((running - 1))
	fi
done
for pid in $pids; do
	wait "$pid"
done

stats=$B/fuzz-stats.txt
touch "$stats"
n=0
failed=0
total=0
for name in "$@"; do
	n=$((n + 1))
	status=crash execs=0 nreg=0 detail="no result"
	[ -f "$B/results/$name" ] &&
		read -r status execs nreg detail <"$B/results/$name"
	total=$((total + execs))
	if [ "$secs" -gt 0 ]; then
		grep -v "^fuzz_$name ${secs}s " "$stats" >"$stats.tmp"
		echo "fuzz_$name ${secs}s $execs execs, $nreg regression inputs," \
		    "$( [ "$status" = ok ] && echo 0 || echo 1 ) crashes," \
		    "$(date -u +%Y-%m-%d)" >>"$stats.tmp"
		sort "$stats.tmp" >"$stats"
		rm -f "$stats.tmp"
	fi
	if [ "$status" = ok ]; then
		desc="fuzz_$name: $execs executions in ${secs} s, $nreg regression inputs replayed"
		[ "$secs" -eq 0 ] &&
			desc="fuzz_$name: $execs corpus inputs and $nreg regression inputs replayed"
		if [ "$tap" -eq 1 ]; then
			echo "ok $n - $desc"
		else
			echo "$desc"
		fi
	else
		failed=$((failed + 1))
		if [ "$tap" -eq 1 ]; then
			echo "not ok $n - fuzz_$name: $detail"
			grep -ah 'SUMMARY\|^==[0-9]*==ERROR' \
			    "$B/logs/$name.log" "$B/logs/$name.regress.log" \
			    2>/dev/null | head -n 4 | sed 's/^/# /'
		else
			echo "fuzz_$name CRASHED after $execs executions: $detail"
		fi
	fi
done
if [ "$tap" -eq 1 ]; then
	echo "1..$n"
	if [ "$secs" -eq 0 ]; then
		echo "# $total corpus inputs replayed in all"
	else
		echo "# $total executions in all; figures in $stats"
	fi
else
	echo "$total executions in all, $failed targets crashed; see $stats"
fi
[ "$failed" -eq 0 ]
