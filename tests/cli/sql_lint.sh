#!/bin/bash
# sql_lint.sh: a static check that no SQL is built from data at run time.
#
# Every .c file that includes <sqlite3.h> (directly or through a header of
# ours that does) is scanned, with comments blanked out:
#
#  1. printf-style formatting (snprintf, sprintf, asprintf, vsnprintf,
#     sqlite3_mprintf, sqlite3_snprintf, sqlite3_str_appendf, ...) whose
#     format holds SQL (SELECT, INSERT, UPDATE, DELETE, PRAGMA, WHERE,
#     CREATE) is refused, unless the line of the call or the line before
#     carries the marker
#         /* sql-lint: constant ... why ... */
#     which a reviewer reads as "only our own constants are pasted here".
#     A format that is not a literal cannot be checked and is refused too.
#  2. The SQL argument of every sqlite3_exec is a string literal (adjacent
#     literals and macros that expand to literals included), an entry of a
#     `static const char *const NAME[]` table of literals, a local chosen
#     between literals (`x ? "A" : "B"`), or a char buffer filled only by
#     marked formatting.
#     The driver's sql_exec and sql_prepare (db/sql.h) are checked as
#     sqlite3_exec and sqlite3_prepare are; the driver itself
#     (db/sql*.c) passes its caller's SQL on and is not.  A call marked
#     as in 1 is taken as constant.
#  3. Same for every sqlite3_prepare*: also a `statements[]` entry; and a
#     parameter of a static function every caller of which passes one of
#     the above (schema.c's pragma_int, test_store.c's raw_int).
#
# One TAP line per SQL call site and per flagged format; "not ok" names
# FILE:LINE.  The linter first proves itself on fixtures that must fail.
set -u
. "$ALIASD_TOP/tests/lib/tap.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/sql-lint.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

cat >"$T/lint.pl" <<'PERL'
use strict;
use warnings;

my @files = @ARGV;
my $KW = qr/\b(?:SELECT|INSERT|UPDATE|DELETE|PRAGMA|WHERE|CREATE|DROP|ALTER|ATTACH|EXPLAIN|REPLACE)\b/;
my $kw_lower = qr/\b(?:select\s.*\bfrom|insert\s+into|update\s+\w+\s+set|delete\s+from|pragma\s+\w+|create\s+(?:table|index)|\bwhere\s+\w+\s*(?:=|<|>|like|in)\b)/i;
my $FMT = qr/\b(snprintf|sprintf|asprintf|vsnprintf|vsprintf|vasprintf|sqlite3_mprintf|sqlite3_vmprintf|sqlite3_snprintf|sqlite3_vsnprintf|sqlite3_str_appendf|sqlite3_str_vappendf)\s*\(/;
# Position of the format argument (0-based) for each formatting function.
my %FMTARG = (snprintf => 2, sprintf => 1, asprintf => 1, vsnprintf => 2,
    vsprintf => 1, vasprintf => 1, sqlite3_mprintf => 0,
    sqlite3_vmprintf => 0, sqlite3_snprintf => 2, sqlite3_vsnprintf => 2,
    sqlite3_str_appendf => 1, sqlite3_str_vappendf => 1);

# Macros that expand to string literals only, from every header and file.
my %macro;
sub read_file { local $/; open(my $fh, '<', $_[0]) or die "$_[0]: $!"; <$fh> }

# Blank comments (keep newlines and length), keep literals.
sub strip {
	my ($s) = @_;
	my $out = '';
	my $i = 0;
	my $n = length $s;
	while ($i < $n) {
		my $c = substr($s, $i, 1);
		my $d = substr($s, $i, 2);
		if ($d eq '/*') {
			my $e = index($s, '*/', $i + 2);
			$e = $n - 2 if $e < 0;
			my $com = substr($s, $i, $e + 2 - $i);
			$com =~ s/[^\n]/ /g;
			$out .= $com;
			$i = $e + 2;
		} elsif ($d eq '//') {
			my $e = index($s, "\n", $i);
			$e = $n if $e < 0;
			$out .= ' ' x ($e - $i);
			$i = $e;
		} elsif ($c eq '"' || $c eq "'") {
			my $j = $i + 1;
			while ($j < $n && substr($s, $j, 1) ne $c) {
				$j++ if substr($s, $j, 1) eq '\\';
				$j++;
			}
			$out .= substr($s, $i, $j + 1 - $i);
			$i = $j + 1;
		} else {
			$out .= $c;
			$i++;
		}
	}
	return $out;
}

sub line_of { my ($s, $pos) = @_; return 1 + (substr($s, 0, $pos) =~ tr/\n//) }

# The text between the parenthesis at $open and its partner.
sub paren_span {
	my ($s, $open) = @_;
	my ($depth, $i, $n) = (0, $open, length $s);
	while ($i < $n) {
		my $c = substr($s, $i, 1);
		if ($c eq '"' || $c eq "'") {
			my $j = $i + 1;
			while ($j < $n && substr($s, $j, 1) ne $c) {
				$j++ if substr($s, $j, 1) eq '\\';
				$j++;
			}
			$i = $j + 1;
			next;
		}
		$depth++ if $c eq '(' || $c eq '[' || $c eq '{';
		$depth-- if $c eq ')' || $c eq ']' || $c eq '}';
		return ($open, $i) if $depth == 0;
		$i++;
	}
	return ($open, $n - 1);
}

sub split_args {
	my ($t) = @_;
	my (@args, $cur, $depth, $i);
	($cur, $depth, $i) = ('', 0, 0);
	while ($i < length $t) {
		my $c = substr($t, $i, 1);
		if ($c eq '"' || $c eq "'") {
			my $j = $i + 1;
			while ($j < length $t && substr($t, $j, 1) ne $c) {
				$j++ if substr($t, $j, 1) eq '\\';
				$j++;
			}
			$cur .= substr($t, $i, $j + 1 - $i);
			$i = $j + 1;
			next;
		}
		$depth++ if $c =~ /[(\[{]/;
		$depth-- if $c =~ /[)\]}]/;
		if ($c eq ',' && $depth == 0) {
			push @args, $cur;
			$cur = '';
		} else {
			$cur .= $c;
		}
		$i++;
	}
	push @args, $cur if $cur =~ /\S/ || @args;
	s/^\s+|\s+$//g for @args;
	return @args;
}

sub literals { my @l = ($_[0] =~ /"((?:[^"\\]|\\.)*)"/g); return join('', @l) }

# Only string literals and macros that are literals themselves.
sub is_literal {
	my ($a, $depth) = @_;
	$depth //= 0;
	return 0 if $depth > 8;
	my $rest = $a;
	$rest =~ s/"(?:[^"\\]|\\.)*"/ /g;
	return 0 unless $a =~ /"/ || $rest =~ /\S/;
	for my $tok (split ' ', $rest) {
		next if $tok =~ /^(?:PRI|SCN)[diouxX](?:8|16|32|64|MAX|PTR|LEAST\d+|FAST\d+)$/;
		return 0 unless $tok =~ /^[A-Z_][A-Z0-9_]*$/ &&
		    defined $macro{$tok} && is_literal($macro{$tok}, $depth + 1);
	}
	return 1;
}

# Text expanded for keyword checks: literals plus what macros hold.
sub expand {
	my ($a, $depth) = @_;
	$depth //= 0;
	my $out = literals($a);
	return $out if $depth > 8;
	my $rest = $a;
	$rest =~ s/"(?:[^"\\]|\\.)*"/ /g;
	for my $tok ($rest =~ /\b([A-Z_][A-Z0-9_]*)\b/g) {
		$out .= ' ' . expand($macro{$tok}, $depth + 1) if defined $macro{$tok};
	}
	return $out;
}

my (%src, %code);
for my $f (@files) {
	$src{$f} = read_file($f);
	$code{$f} = strip($src{$f});
}
for my $f (@files, glob('{db,common,rewriter,sendmail,cli,aliasd,tests/unit}/*.h')) {
	next unless -f $f;
	my $c = exists $code{$f} ? $code{$f} : strip(read_file($f));
	$c =~ s/\\\n/ /g;
	while ($c =~ /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+(.*)$/mg) {
		$macro{$1} = $2;
	}
}

my @out;
sub report { push @out, join("\t", @_) . "\n" }

# Is the call at line $ln allowed by a marker on it or the line before?
sub marked {
	my ($f, $ln) = @_;
	my @lines = split /\n/, $src{$f}, -1;
	for my $l ($ln - 1, $ln - 2) {
		next if $l < 0;
		return 1 if defined $lines[$l] &&
		    $lines[$l] =~ m{/\*\s*sql-lint:\s*constant\b[^*]*(?:\*(?!/)[^*]*)*\*/};
	}
	return 0;
}

# Calls of NAME( in a file, skipping definitions and prototypes:
# [pos, line, [args]].
sub calls {
	my ($f, $re) = @_;
	my $c = $code{$f};
	my @r;
	while ($c =~ /$re/g) {
		my $name = $1;
		my $start = $-[0];
		my $open = $+[0] - 1;
		my ($o, $close) = paren_span($c, $open);
		my $after = substr($c, $close + 1, 40);
		my $linestart = rindex($c, "\n", $start) + 1;
		my $before = substr($c, $linestart, $start - $linestart);
		next if $after =~ /^\s*\{/;	# a definition
		next if $before =~ /^\s*(?:static\s+|extern\s+)?(?:const\s+)?(?:int|void|char|unsigned|enum\s+\w+|struct\s+\w+|bool|size_t)\b[\s*]*$/;
		next if $before =~ /[\w.>]$/;	# part of a longer name
		my @args = split_args(substr($c, $open + 1, $close - $open - 1));
		push @r, [$start, line_of($c, $start), \@args, $name];
		pos($c) = $open + 1;
	}
	return @r;
}

# The body of the function that encloses $pos: its name and parameters.
sub enclosing {
	my ($f, $pos) = @_;
	my $c = substr($code{$f}, 0, $pos);
	# OpenBSD style: the name starts a line, the body's { starts a line.
	my $best;
	while ($c =~ /^([A-Za-z_]\w*)\(([^)]*)\)\s*\n\{/mg) {
		my ($o, $close) = paren_span($code{$f}, $+[0] - 1);
		$best = [$1, $2, $o, $close];
	}
	return $best;
}

# Is the char buffer NAME filled only by marked formatting in this file?
# Function scope: the buffer is a local array of the enclosing function.
sub marked_buffer {
	my ($f, $pos, $name) = @_;
	my $fn = enclosing($f, $pos) or return 0;
	my ($from, $to) = ($fn->[2], $fn->[3]);
	my $body = substr($code{$f}, $from, $to - $from + 1);
	return 0 unless $body =~ /\bchar\s+(?:\w+\s*\[[^\]]*\]\s*,\s*)*\Q$name\E\s*\[/;
	my $fills = 0;
	for my $call (calls($f, $FMT)) {
		my ($cpos, $ln, $args, $cfn) = @$call;
		next if $cpos < $from || $cpos > $to;
		next unless @$args && $args->[0] =~ /^&?\Q$name\E\b/;
		return 0 unless marked($f, $ln);
		$fills++;
	}
	# Nothing else may write it.
	return 0 if $body =~ /\b(?:strcpy|strcat|strlcpy|strlcat|memcpy|memmove|strncpy|strncat|fgets|read)\s*\(\s*\Q$name\E\b/;
	return $fills > 0;
}

# A static const table of literals.
sub const_table {
	my ($f, $name) = @_;
	my $c = $code{$f};
	return 0 unless $c =~ /static\s+const\s+char\s*\*\s*const\s+\Q$name\E\s*\[[^\]]*\]\s*=\s*\{/g;
	my ($o, $close) = paren_span($c, $+[0] - 1);
	my $body = substr($c, $o + 1, $close - $o - 1);
	for my $entry (split_args($body)) {
		next if $entry eq '';
		$entry =~ s/^\[[^\]]*\]\s*=\s*//;
		return 0 unless is_literal($entry);
	}
	return 1;
}

# A local `const char *NAME = A ? "x" : "y";`
sub literal_choice {
	my ($f, $name) = @_;
	return 0 unless $code{$f} =~ /const\s+char\s*\*\s*\Q$name\E\s*=\s*([^;]*);/;
	my $rhs = $1;
	# The declaration must be its only assignment.
	my $assignments = () = $code{$f} =~ /\b\Q$name\E\s*=(?!=)/g;
	return 0 if $assignments != 1;
	my @parts = split /\?|:/, $rhs;
	return 0 unless @parts == 3;
	return is_literal($parts[1]) && is_literal($parts[2]);
}

my %seen_param;
# Classify an SQL argument: a reason string when constant, undef if not.
sub constant_sql {
	my ($f, $pos, $arg, $depth) = @_;
	$depth //= 0;
	return "a literal" if is_literal($arg);
	if ($arg =~ /^([A-Za-z_]\w*)\s*\[[^\]]*\]$/) {
		return "an entry of the constant table $1\[]" if const_table($f, $1);
		return undef;
	}
	return undef unless $arg =~ /^([A-Za-z_]\w*)$/;
	my $name = $1;
	return "the buffer $name, filled only by marked formatting"
	    if marked_buffer($f, $pos, $name);
	return "$name, a choice between literals" if literal_choice($f, $name);
	my $fn = enclosing($f, $pos);
	return undef unless $fn && $depth < 3;
	my ($fname, $params) = @$fn;
	my @params = split /\s*,\s*/, $params;
	my ($idx) = grep { $params[$_] =~ /\bconst\s+char\s*\*\s*\Q$name\E$/ } 0 .. $#params;
	return undef unless defined $idx;
	return undef unless $code{$f} =~ /^static\b.*\n\Q$fname\E\(/m ||
	    $code{$f} =~ /^static\b[^\n]*\b\Q$fname\E\(/m;
	my $n = 0;
	for my $call (calls($f, qr/\b(\Q$fname\E)\s*\(/)) {
		my ($cpos, $cln, $cargs) = @$call;
		my $a = $cargs->[$idx] // '';
		return undef unless constant_sql($f, $cpos, $a, $depth + 1);
		$n++;
	}
	return $n ? "parameter $name of static $fname(), every caller ($n) passing constant SQL" : undef;
}

for my $f (@files) {
	my $nfmt = 0;
	for my $call (calls($f, $FMT)) {
		my ($pos, $ln, $args, $fn) = @$call;
		$nfmt++;
		my $fa = $args->[$FMTARG{$fn}] // '';
		my $text = expand($fa);
		my $nonliteral = !is_literal($fa);
		my $sql = $text =~ $KW || $text =~ $kw_lower;
		next unless $sql || $nonliteral;
		my $what = $sql ? "$fn formats SQL" : "$fn with a format that is not a literal";
		if (marked($f, $ln)) {
			report('OK', "$f:$ln", "$what; marked constant");
		} else {
			report('BAD', "$f:$ln", "$what: bind parameters instead, or mark /* sql-lint: constant */ if only constants are pasted");
		}
	}
	report('OK', $f, "$nfmt printf-style calls checked") ;
	# The driver (db/sql*.c) hands its caller's SQL to SQLite or
	# libpq as it is: its callers' sql_exec and sql_prepare are checked.
	if ($f =~ m{^db/sql(?:_sqlite|_pg)?\.c$}) {
		report('OK', $f, "the SQL driver: its callers' SQL is checked");
		next;
	}
	for my $call (calls($f, qr/\b(sqlite3_exec|sql_exec)\s*\(/)) {
		my ($pos, $ln, $args, $fn) = @$call;
		my $why = constant_sql($f, $pos, $args->[1] // '');
		$why //= 'marked constant' if marked($f, $ln);
		report($why ? 'OK' : 'BAD', "$f:$ln",
		    "$fn SQL is " . ($why // "built at run time: " . ($args->[1] // '?')));
	}
	for my $call (calls($f, qr/\b(sqlite3_prepare(?:_v2|_v3|16|16_v2|16_v3)?|sql_prepare)\s*\(/)) {
		my ($pos, $ln, $args, $fn) = @$call;
		my $why = constant_sql($f, $pos, $args->[1] // '');
		$why //= 'marked constant' if marked($f, $ln);
		report($why ? 'OK' : 'BAD', "$f:$ln",
		    "$fn SQL is " . ($why // "built at run time: " . ($args->[1] // '?')));
	}
}
print @out;
PERL

lint() { perl "$T/lint.pl" "$@"; }

# --- the linter must catch what it is for ---------------------------------
cat >"$T/bad.c" <<'C'
#include <sqlite3.h>
#include <stdio.h>

static void
bad(sqlite3 *db, const char *who, int n)
{
	char sql[256], *q;
	const char *v;

	snprintf(sql, sizeof(sql), "SELECT id FROM address WHERE local = '%s'",
	    who);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	q = sqlite3_mprintf("DELETE FROM setting WHERE key = %Q", who);
	sqlite3_exec(db, q, NULL, NULL, NULL);
	sprintf(sql, "update address set note = '%s'", who);
	v = who;
	sqlite3_prepare_v2(db, v, -1, NULL, NULL);
	/* sql-lint: constant */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", n);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_prepare_v2(db, who, -1, NULL, NULL);
}
C
cat >"$T/good.c" <<'C'
#include <sqlite3.h>
#include <stdio.h>
#define COLS "a, b"
static const char *const statements[] = {
	[0] = "SELECT " COLS " FROM t WHERE a = ?1",
	[1] = "DELETE FROM t",
};

static int
run(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static void
good(sqlite3 *db, int fast, int n)
{
	const char *mode = fast ? "PRAGMA synchronous = NORMAL" :
	    "PRAGMA synchronous = FULL";
	char sql[64], msg[64];
	sqlite3_stmt *st;

	run(db, "BEGIN");
	run(db, "COMMIT");
	sqlite3_exec(db, mode, NULL, NULL, NULL);
	sqlite3_prepare_v3(db, statements[n], -1, 0, &st, NULL);
	sqlite3_prepare_v2(db, "SELECT " COLS " FROM t", -1, &st, NULL);
	/* sql-lint: constant: n is our own schema version */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", n);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	snprintf(msg, sizeof(msg), "cannot update %d rows: select another", n);
}
C
out=$(cd "$T" && lint bad.c)
bad=$(printf '%s\n' "$out" | grep -c '^BAD')
check "self-test: 8 violations found in a bad fixture (found $bad)" [ "$bad" -eq 8 ]
[ "$bad" -eq 8 ] || diag "$out"
for l in 10 12 13 14 15 17 20 21; do
	printf '%s\n' "$out" | grep -q "^BAD	bad.c:$l	"
	check "self-test: bad.c:$l is flagged" [ $? -eq 0 ]
done
printf '%s\n' "$out" | grep -q "^OK	bad.c:19	snprintf formats SQL; marked constant"
check "self-test: a marked format is let through" [ $? -eq 0 ]
out=$(cd "$T" && lint good.c)
check "self-test: a good fixture passes (table, macro, ternary, marked buffer, constant parameter)" \
    [ "$(printf '%s\n' "$out" | grep -c '^BAD')" -eq 0 ]
printf '%s\n' "$out" | grep -q "^OK	good.c:30	sqlite3_exec SQL is the buffer sql, filled only by marked"
check "self-test: a buffer filled only by marked formatting is accepted" [ $? -eq 0 ]
printf '%s\n' "$out" | grep '^BAD' | sed 's/^/# /'

# --- the tree ----------------------------------------------------------------
cd "$ALIASD_TOP" || exit 1
# The product's code; test code (tests/) only ever formats its own
# statements' text and is left out.
files=$(grep -rlE '#include[[:space:]]*[<"](sqlite3\.h|db/store_int\.h)[">]' \
    --include='*.c' . | grep -vE '^\./(build|tests/)' | sed 's|^\./||' | sort)
check "the scan found the store's files (db/*.c among $(echo $files | wc -w))" \
    sh -c "printf '%s\n' $(echo $files) | grep -q '^db/schema.c$'"
out=$(lint $files) || { not_ok "the linter ran"; diag "$out"; }
while IFS='	' read -r verdict where what; do
	[ -n "$verdict" ] || continue
	if [ "$verdict" = OK ]; then ok "$where: $what"; else not_ok "$where: $what"; fi
done <<<"$out"
finish
