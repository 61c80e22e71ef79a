#!/bin/sh
# lint.sh: the static checks of `make lint`; any finding fails.
#
#  1. cppcheck over the C sources of the directories given as arguments,
#     run as $CPPCHECK (the Makefile sets the flags and include path).
#     Findings that are false positives are suppressed where they occur,
#     with a `cppcheck-suppress ID` comment saying why.
#  2. The shell scripts under tests/ tools/ bench/ .ci/ (files named *.sh
#     and files with a shell #! line; tests/.cache is sendmail's unpacked
#     package, not ours): `sh -n` or `bash -n` by their #! line, then
#     a run of the shellcheck tool at warning level.  A file with no #!
#     line is a library the bash suites source, so it is read as bash.
#  3. The SQL formatting lint, tests/cli/sql_lint.sh (also in make check).
#  4. GCC's static analyzer over every product C file (not tests, not
#     bench), one compile per file, run as $ANALYZE FILE (the Makefile
#     gives the compiler, flags and -Werror); a check that misfires on a
#     file is turned off for that file alone, below, saying why.
#  5. mandoc -Tlint over the manual pages doc/*.[158] (style-level
#     messages are not findings).
#  6. The C layout of .clang-format, tools/format.sh check (make format
#     applies it).
#
# Like deps.sh, it names the Debian packages it needs when they are missing.
#
# usage: CPPCHECK='cppcheck FLAGS...' ANALYZE='gcc FLAGS...' \
#            sh tools/lint.sh DIR...
set -u
cd "$(dirname "$0")/.." || exit 1

missing=""
for tool in cppcheck shellcheck mandoc clang-format; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	echo "lint: missing packages; run as root (or make deps):" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi

# Excluded shellcheck warnings, each for a pattern the suites use on
# purpose:
#  SC2034  variables set here and read by the scripts that source this
#          one (or the other way round), which shellcheck cannot follow;
#  SC2120  functions whose trailing arguments are optional (a suite
#          may call one with none);
#  SC2088  test names that quote a path such as "~/.config/..." literally.
SC_EXCLUDE=SC2034,SC2120,SC2088

fail=0

echo "lint: cppcheck $*"
# shellcheck disable=SC2086 # $CPPCHECK is a command line: split on purpose
${CPPCHECK:-cppcheck} "$@" || fail=1

scripts=$(find tests tools bench .ci -path tests/.cache -prune -o \
    -type f -print | sort | while read -r f; do
	case "$f" in
	*/corpus/* | */regress/*) continue ;;
	*.sh) echo "$f" ;;
	*) head -n 1 "$f" | grep -q '^#!.*sh\b' && echo "$f" ;;
	esac
done)
echo "lint: shell syntax and shellcheck, $(echo "$scripts" | wc -l) scripts"
sh_files="" bash_files=""
for f in $scripts; do
	case "$(head -n 1 "$f")" in
	'#!'*bash*) shell=bash ;;
	'#!'*) shell='sh' ;;
	*) shell=bash ;;
	esac
	$shell -n "$f" || { echo "lint: $f: $shell -n failed" >&2; fail=1; }
	if [ "$shell" = sh ]; then
		sh_files="$sh_files $f"
	else
		bash_files="$bash_files $f"
	fi
done
# shellcheck disable=SC2086 # lists of our own file names, split on purpose
{
	[ -z "$sh_files" ] ||
	    shellcheck -s sh -S warning -e "$SC_EXCLUDE" -f gcc $sh_files
	[ -z "$bash_files" ] ||
	    shellcheck -s bash -S warning -e "$SC_EXCLUDE" -f gcc $bash_files
} || fail=1

echo "lint: tests/cli/sql_lint.sh"
if ! out=$(ALIASD_TOP=$(pwd) bash tests/cli/sql_lint.sh 2>&1) ||
    echo "$out" | grep -q '^not ok'; then
	echo "$out" | grep -v '^ok ' >&2
	fail=1
fi

# analyzer_flags FILE: the checks turned off for FILE.  GCC 12's analyzer
# loses a pointer stored in a caller's array once it merges the paths
# that grew the array with those that did not (a short program with
# realloc shows it), so it calls every string kept in a grown list a
# leak: the lists of recipients (message.c, recipients.c), header fields
# (hdrlist.c), mutt hooks (cmd_mutt.c) and the fast path's clients
# (fastpath.c, freed by client_close), each freed by its own free
# function, which the sanitizer and valgrind runs of make check cover.
# In config.c it gives the fields of the calloc'd struct config one
# unknown value on set_defaults' out-of-memory path, so free(c->path)
# and free(c->bounce_address), both NULL there, look like a double free.
analyzer_flags() {
	case $1 in
	aliasd/message.c | rewriter/hdrlist.c | rewriter/recipients.c | \
	    cli/cmd_mutt.c | aliasd/fastpath.c)
		echo -Wno-analyzer-malloc-leak ;;
	common/config.c) echo -Wno-analyzer-double-free ;;
	esac
}

c_files=$(for d in aliasd cli common db rewriter sendmail; do
	[ -d "$d" ] && find "$d" -name '*.c'
done | sort)
echo "lint: gcc -fanalyzer, $(echo "$c_files" | wc -l) files"
export ANALYZE="${ANALYZE:-gcc -fanalyzer}"
for f in $c_files; do
	flags=$(analyzer_flags "$f")	# no trailing blank: xargs -L joins
	echo "$f${flags:+ $flags}"
done | xargs -P 2 -L 1 sh -c '
	f=$1
	shift
	# shellcheck disable=SC2086 # a command line: split on purpose
	exec $ANALYZE -fdiagnostics-plain-output "$@" -c -o /dev/null "$f"
' analyze || fail=1

pages=$(ls doc/*.1 doc/*.5 doc/*.8 2>/dev/null)
echo "lint: mandoc -Tlint, $(echo "$pages" | wc -w) pages"
# The pages' .Xr references are looked up in this host's manual database,
# which only yields style-level messages and notes about its own state:
# an empty MANPATH keeps the host out of the result.
# shellcheck disable=SC2086 # our own file names, split on purpose
MANPATH=/nonexistent mandoc -Tlint -Wwarning $pages || fail=1

echo "lint: tools/format.sh check"
sh tools/format.sh check || fail=1

[ "$fail" -eq 0 ] && echo "lint: clean"
exit "$fail"
