#!/bin/sh
# format.sh: the C layout of .clang-format, checked (make lint) or applied
# (make format).
#
# usage: format.sh check | fix [FILE...]
#
#   check  Prints each file whose layout differs from what clang-format
#          makes of it, with a one-line count of the lines it would
#          change, and exits 1 if there is any.
#   fix    Rewrites those files in place, and names them.
#
# The files are the C sources git knows of, tracked or new but not
# ignored (so build directories and tests/.cache are out), or the FILEs
# given.  Outside a git work tree, those under the source folders.
# Nothing vendored or generated is in the tree today; a file that must
# keep its own layout would be named in skip() below.
#
# The layout is clang-format 14's (Debian bookworm's): another version
# breaks some lines elsewhere, so check says which version it ran.
# $CLANG_FORMAT picks the program.
set -u
cd "$(dirname "$0")/.." || exit 1

usage() {
	echo "usage: sh tools/format.sh check | fix [FILE...]" >&2
	exit 64
}

[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in
check | fix) ;;
*) usage ;;
esac

if [ -n "${CLANG_FORMAT:-}" ]; then
	cf=$CLANG_FORMAT
elif command -v clang-format-14 >/dev/null 2>&1; then
	cf=clang-format-14
else
	cf=clang-format
fi
if ! command -v "$cf" >/dev/null 2>&1; then
	echo "format: $cf is missing; run as root (or make deps):" >&2
	echo "  apt-get install -y clang-format" >&2
	exit 1
fi
version=$("$cf" --version | sed -n 's/.*version \([0-9][0-9]*\).*/\1/p')

# skip FILE: true for a file that keeps its own layout (none today).
skip() {
	case $1 in
	*) return 1 ;;
	esac
}

# sources: the C files, one a line.
sources() {
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@"
	elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard '*.c' '*.h'
	else
		find aliasd bench cli common db rewriter sendmail tests \
		    -path tests/.cache -prune -o \
		    -type f \( -name '*.c' -o -name '*.h' \) -print | sort
	fi
}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

files=0 bad=0 fail=0
# The loop reads from a file rather than a pipe so that its counts
# survive it.
sources "$@" >"$tmp/list" || fail=1
while IFS= read -r f; do
	skip "$f" && continue
	if [ ! -f "$f" ]; then
		# Deleted in the work tree but not yet in the index.
		[ $# -gt 0 ] && { echo "format: $f: no such file" >&2; fail=1; }
		continue
	fi
	files=$((files + 1))
	if ! "$cf" --style=file "$f" >"$tmp/out"; then
		echo "format: $cf failed on $f" >&2
		fail=1
		continue
	fi
	cmp -s "$f" "$tmp/out" && continue
	bad=$((bad + 1))
	if [ "$mode" = fix ]; then
		# cat keeps the file's inode, mode and owner.
		cat "$tmp/out" >"$f" || { fail=1; continue; }
		echo "format: rewrote $f"
	else
		diff "$f" "$tmp/out" | awk -v f="$f" '
		    /^</ { del++ } /^>/ { add++ }
		    END { printf "%s: %d lines to change (+%d -%d)\n",
			f, add + del, add, del }'
	fi
done <"$tmp/list"

if [ "$mode" = check ] && [ "$bad" -gt 0 ]; then
	echo "format: $bad of $files files are not laid out as .clang-format" \
	    "says (clang-format $version); make format rewrites them" >&2
	fail=1
elif [ "$mode" = fix ]; then
	echo "format: $bad of $files files rewritten"
fi
exit "$fail"
