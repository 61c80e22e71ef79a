#!/bin/bash
# fuzz_short.sh: the short form of make fuzz for make check.  Builds the
# libFuzzer targets (make fuzz-build, into build-fuzz/), replays every
# committed regression input, then fuzzes each target for
# FUZZ_SHORT_SECONDS (default 30; FUZZ_JOBS of them at once, default 2, so
# five targets take about 90 s).  One "ok" per target with its executions;
# "not ok" names the crashing input.  Figures: build-fuzz/fuzz-stats.txt.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$TOP/tests/lib/tap.sh"

secs=${FUZZ_SHORT_SECONDS:-30}
targets="header smtpaddr config virtusertable sendmail_args"
log=$TOP/build-fuzz/build.log
mkdir -p "$TOP/build-fuzz"

# A make of its own: not the caller's flags (SAN=1, -j) nor its jobserver.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    make -C "$TOP" fuzz-build >"$log" 2>&1; then
	not_ok "fuzz targets build (clang, libclang-rt-14-dev): see $log"
	tail -n 20 "$log" | diag
	finish
	exit 1
fi
# shellcheck disable=SC2086
FUZZ_B=build-fuzz sh "$TOP/tests/fuzz/run.sh" -t "$secs" $targets
