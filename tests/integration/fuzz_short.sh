#!/bin/bash
# fuzz_short.sh: the short form of make fuzz for make check.  Builds the
# libFuzzer targets (make fuzz-build, into build-fuzz/) and replays every
# committed regression input and corpus input once (ASan and UBSan on),
# each target bounded in time; exploring is make fuzz's job.  With
# FUZZ_SHORT_SECONDS > 0 each target also fuzzes that long (FUZZ_JOBS at
# once, default 2).  One "ok" per target; "not ok" names the failing
# input.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$TOP/tests/lib/tap.sh"

secs=${FUZZ_SHORT_SECONDS:-0}
targets="header smtpaddr config virtusertable sendmail_args regdom allow
    policy socketmap"
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
