#!/bin/bash
# emacs.sh: contrib/emacs/aliasd.el in real message-mode and mail-mode
# sends, against the real aliasctl (tests/emacs/aliasd-tests.el), as TAP.
set -u
top=${ALIASD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export ALIASD_BUILD=${ALIASD_BUILD:-$top/build}

if ! command -v emacs >/dev/null 2>&1; then
	echo "not ok 1 - emacs: emacs is not installed (tools/deps.sh installs emacs-nox)"
	echo "1..1"
	exit 1
fi
if [ ! -x "$ALIASD_BUILD/aliasctl" ]; then
	echo "not ok 1 - emacs: no $ALIASD_BUILD/aliasctl (make build/aliasctl)"
	echo "1..1"
	exit 1
fi

# No terminal, no user's init files or mail directories.
h=$(mktemp -d "${TMPDIR:-/tmp}/aliasd-emacs.XXXXXX")
trap 'rm -rf "$h"' EXIT
export HOME="$h"
unset ALIASD_CONF XDG_CONFIG_HOME XDG_DATA_HOME EMACSLOADPATH
export TERM=dumb

# The package must byte-compile without a single warning.
cp "$top/contrib/emacs/aliasd.el" "$h/"
if out=$(emacs --batch -Q --eval '(setq byte-compile-error-on-warn t)' \
	-f batch-byte-compile "$h/aliasd.el" 2>&1); then
	echo "ok 1 - emacs: aliasd.el byte-compiles without warnings"
	compiled=1
else
	echo "not ok 1 - emacs: aliasd.el byte-compiles without warnings"
	printf '%s\n' "$out" | sed 's/^/# /'
	compiled=0
fi

# The suite, run on the source (not the .elc), prints its own TAP
# numbered from 2; ERT's report follows as TAP comments.
timeout 600 emacs --batch -Q -L "$top/contrib/emacs" \
	-l "$top/tests/emacs/aliasd-tests.el" \
	--eval '(aliasd-tests-run-tap 2)' 2>"$h/ert.log"
rc=$?
sed 's/^/# /' "$h/ert.log"
[ "$rc" -eq 0 ] && [ "$compiled" -eq 1 ]
