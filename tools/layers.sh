#!/bin/sh
# layers.sh: arrows point down only (SPEC, Parts).  Each folder may
# include the headers of the folders below it and its own, and a library's
# headers only where that library belongs: SQLite in the store, GMime in
# the rewriter, libmilter in the daemon.  The build runs this before it
# compiles anything, so a wrong arrow stops the build with the line that
# draws it.
#
# usage: tools/layers.sh [FILE...]   (default: every .c and .h of the parts)
set -u
cd "$(dirname "$0")/.." || exit 1

# folder: the folders of ours it may include
ours() {
	case $1 in
	common) echo "common" ;;
	db) echo "common db" ;;
	rewriter) echo "common db rewriter" ;;
	aliasd) echo "common db rewriter aliasd" ;;
	cli) echo "common db rewriter cli" ;;
	sendmail) echo "common db rewriter sendmail" ;;
	esac
}

# header: the folders that may include it ("" for any)
library() {
	case $1 in
	sqlite3.h) echo "db" ;;
	gmime/*|glib.h|glib/*) echo "rewriter" ;;
	libmilter/*) echo "aliasd" ;;
	libpq-fe.h) echo "db" ;;
	libpsl.h|idn2.h) echo "common" ;;
	sodium.h) echo "common db aliasd" ;;
	*) echo "" ;;
	esac
}

files=$*
[ -n "$files" ] || files=$(ls common/*.[ch] db/*.[ch] rewriter/*.[ch] \
    aliasd/*.[ch] cli/*.[ch] sendmail/*.[ch] 2>/dev/null)
bad=0
for f in $files; do
	folder=${f%%/*}
	allowed=$(ours "$folder")
	[ -n "$allowed" ] || continue
	# "N:#include <x>" for every include line
	grep -n '^[[:space:]]*#[[:space:]]*include' "$f" |
	    sed 's/^\([0-9]*\):[^<"]*[<"]\([^>"]*\)[>"].*/\1 \2/' >"${TMPDIR:-/tmp}/layers.$$"
	while read -r line header; do
		case $header in
		*/*.h) part=${header%%/*} ;;
		*) part="" ;;
		esac
		if [ -n "$part" ] && [ -n "$(ours "$part")" ]; then
			case " $allowed " in
			*" $part "*) continue ;;
			esac
			echo "$f:$line: $folder/ may not include $header:" \
			    "arrows point down only (SPEC, Parts)" >&2
			bad=1
			continue
		fi
		may=$(library "$header")
		[ -z "$may" ] && continue
		case " $may " in
		*" $folder "*) continue ;;
		esac
		echo "$f:$line: $folder/ may not include $header: only $may/ use that library" >&2
		bad=1
	done <"${TMPDIR:-/tmp}/layers.$$"
	rm -f "${TMPDIR:-/tmp}/layers.$$"
done
exit $bad
