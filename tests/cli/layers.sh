#!/bin/bash
# layers.sh: the build's layering check (tools/layers.sh) stops a wrong
# arrow: a part including a part above it, or a library outside the part
# it belongs to.  Run on a scratch tree, never on the real one.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$HERE/../lib/common.sh"

T=$(mktemp -d /tmp/aliasd-layers.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/tools" "$T/common" "$T/db" "$T/rewriter" "$T/aliasd" "$T/cli"
cp "$TOP/tools/layers.sh" "$T/tools/"

check() {	# check FILE CONTENT: the check's stderr, its status last
	printf '%s\n' "$2" >"$T/$1"
	sh "$T/tools/layers.sh" "$1" 2>&1
	echo "rc=$?"
	rm -f "$T/$1"
}

tap_check "the real tree has only downward arrows" sh "$TOP/tools/layers.sh"
out=$(cd "$T" && check rewriter/x.c '#include <libmilter/mfapi.h>')
tap_check "libmilter in rewriter/ is refused, naming file and line" \
    eval 'grep -q "^rewriter/x.c:1: .*libmilter" <<<"$out" && grep -qx rc=1 <<<"$out"'
out=$(cd "$T" && check db/x.c '#include "rewriter/plan.h"')
tap_check "db/ including the rewriter is refused" \
    eval 'grep -q "arrows point down" <<<"$out" && grep -qx rc=1 <<<"$out"'
out=$(cd "$T" && check common/x.h '#include <sqlite3.h>')
tap_check "SQLite outside the store is refused" grep -qx rc=1 <<<"$out"
out=$(cd "$T" && check cli/x.c '#include "aliasd/pool.h"')
tap_check "one front end including another is refused" grep -qx rc=1 <<<"$out"
out=$(cd "$T" && check aliasd/x.c '#include <libmilter/mfapi.h>
#include "rewriter/plan.h"
#include "db/gate.h"
#include <stdio.h>')
tap_check "aliasd/ using what is below it passes" grep -qx rc=0 <<<"$out"

# libpq is loaded when a PostgreSQL store is opened (db/libpq.c), never
# linked: its libraries would cost every start of every program.
for prog in aliasctl alias-sendmail aliasd; do
	tap_check "$prog does not link libpq" \
	    eval '! readelf -d "$ALIASD_BUILD/$prog" | grep -q "NEEDED.*libpq"'
done
tap_done
