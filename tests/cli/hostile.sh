#!/bin/bash
# hostile.sh: bytes a stranger chose, in the store and on the command
# line.  A store written by older versions (or by hand) may hold control
# characters and invalid UTF-8 in any string; aliasctl must never hand
# them raw to the owner's terminal, and its JSON must stay valid.  What is
# typed is refused with one line and exit 65 before it reaches the store.
#
# The checks decode with perl (tools/deps.sh installs it) and, when it is
# there, python3 as well; both refuse invalid UTF-8 and raw controls.
set -u
. "$ALIASD_TOP/tests/lib/tap.sh"
. "$ALIASD_TOP/tests/lib/cli.sh"

# clean_text FILE: valid UTF-8 holding no C0 but newline and tab, no DEL
# and no C1: what a terminal shows as text and never takes as a command.
clean_text() {
	perl -MEncode -e '
		open(my $f, "<:raw", $ARGV[0]) or exit 2;
		local $/;
		my $b = <$f>;
		my $s = eval { Encode::decode("UTF-8", $b, Encode::FB_CROAK) };
		exit 1 unless defined $s;
		exit($s =~ /[\x00-\x08\x0b-\x1f\x7f-\x9f]/ ? 1 : 0);
	' "$1"
}

# json_ok FILE: one JSON document, strictly UTF-8.
json_ok() {
	perl -MEncode -MJSON::PP -e '
		open(my $f, "<:raw", $ARGV[0]) or exit 2;
		local $/;
		my $b = <$f>;
		my $s = Encode::decode("UTF-8", $b, Encode::FB_CROAK);
		JSON::PP->new->decode($s);
	' "$1" 2>/dev/null || return 1
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import json, sys
json.loads(sys.stdin.buffer.read().decode("utf-8"))' <"$1" 2>/dev/null ||
			return 1
	fi
	return 0
}

# json_field FILE LOCAL FIELD: FIELD of the object whose address starts
# with LOCAL (the file holds an object or an array of them), printed
# with every character outside printable ASCII as <U+XXXX>.
json_field() {
	perl -MEncode -MJSON::PP -e '
		open(my $f, "<:raw", $ARGV[0]) or exit 2;
		local $/;
		my $j = JSON::PP->new->decode(Encode::decode("UTF-8", <$f>,
		    Encode::FB_CROAK));
		for my $o (ref $j eq "ARRAY" ? @$j : ($j)) {
			next unless index($o->{address}, $ARGV[1]) == 0;
			my $v = $o->{$ARGV[2]};
			$v =~ s/([^\x20-\x7e])/sprintf("<U+%04X>", ord $1)/ge;
			print "$v\n";
		}
	' "$@"
}

# keep NAME: the last command's stdout and stderr as files, bytes intact.
keep() {
	cp "$T/.out" "$T/$1.out"
	cp "$T/.err" "$T/$1.err"
}

newstore main </dev/null
db="$D/aliases.db"

expect 0 "new joe" "$A" new joe@example.org --note "plain note"
joe=${OUT%@*}
expect 0 "new ann" "$A" new ann@example.org
ann=${OUT%@*}
expect 0 "retire ann" "$A" retire "$ann" --reason "gone"

# As an older aliasd or import would have left them.  The correspondent
# holds ESC, C1 NEL (as UTF-8), a valid o-umlaut, a raw C1 byte (CSI),
# 0xff and BEL; the note a CR LF, DEL, an overlong '/', a surrogate.
sqlite3 "$db" <<SQL
UPDATE address SET
  correspondent = CAST(X'6a1b5b324ac285c3b6789b33316dff406576696c072e6578616d706c65' AS TEXT),
  note = CAST(X'6e6f74650d0a666f726765643a206c696e657fc0afeda080656e64' AS TEXT)
  WHERE local = '$joe';
UPDATE address SET
  reason = CAST(X'676f6e651b5d303b7469746c6507c29b7880' AS TEXT)
  WHERE local = '$ann';
INSERT INTO address (local, domain, seq, correspondent, created) VALUES
  (CAST(X'6261646c6f63c2857aff' AS TEXT), 'example.com', NULL,
   CAST(X'401b5b3170776e2e6578616d706c65' AS TEXT), 1700000000);
INSERT INTO sender_domain (address, domain, messages, last)
  SELECT id, CAST(X'7370616d1b5b324ac29b2e62697aff' AS TEXT), 3, 1700000000
  FROM address WHERE local = '$joe';
SQL
check "bad bytes written into the store" [ $? -eq 0 ]

# The terminal: escaped, one line per row, layout intact.
expect 0 "list --all with hostile bytes" "$A" list --all
keep list
check "list prints no raw control character or invalid UTF-8" clean_text "$T/list.out"
check "list has a header and three rows" [ "$(wc -l <"$T/list.out")" -eq 4 ]
grep -qF 'j\x1b[2J\xc2\x85'"$(printf '\xc3\xb6')"'x\x9b31m\xff@evil\x07.example' "$T/list.out"
check "list escapes each byte as \\xNN and keeps valid UTF-8" [ $? -eq 0 ]
grep -qF 'badloc\xc2\x85z\xff@example.com' "$T/list.out"
check "list escapes a hostile address" [ $? -eq 0 ]

expect 0 "show with hostile bytes" "$A" show "$joe"
keep show
check "show prints no raw control character or invalid UTF-8" clean_text "$T/show.out"
grep -qF 'note:           note\x0d\x0aforged: line\x7f\xc0\xaf\xed\xa0\x80end' "$T/show.out"
check "show escapes the note on one line" [ $? -eq 0 ]
check "no forged line in show" [ "$(grep -c '^forged' "$T/show.out")" -eq 0 ]
grep -qF 'sender domains: spam\x1b[2J\xc2\x9b.biz\xff (3,' "$T/show.out"
check "show escapes sender domains" [ $? -eq 0 ]
expect 0 "show a retired address with a hostile reason" "$A" show "$ann"
keep showann
check "show of the reason is clean" clean_text "$T/showann.out"
grep -qF 'reason:         gone\x1b]0;title\x07\xc2\x9bx\x80' "$T/showann.out"
check "show escapes the reason" [ $? -eq 0 ]
expect 0 "show a hostile address by prefix" "$A" show badloc
keep showbad
check "show of a hostile address is clean" clean_text "$T/showbad.out"

# JSON: valid whatever the bytes; controls as \uXXXX, bytes that are not
# UTF-8 as U+FFFD.
expect 0 "--json list --all" "$A" --json list --all
keep jlist
check "--json list is valid JSON" json_ok "$T/jlist.out"
check "--json list is clean text too" clean_text "$T/jlist.out"
check "--json list: the correspondent, controls kept, bad bytes U+FFFD" \
    [ "$(json_field "$T/jlist.out" "$joe" correspondent)" = \
    'j<U+001B>[2J<U+0085><U+00F6>x<U+FFFD>31m<U+FFFD>@evil<U+0007>.example' ]
check "--json list: the hostile address" \
    [ "$(json_field "$T/jlist.out" badloc address)" = \
    'badloc<U+0085>z<U+FFFD>@example.com' ]
check "--json list: the note" \
    [ "$(json_field "$T/jlist.out" "$joe" note)" = \
    'note<U+000D><U+000A>forged: line<U+007F><U+FFFD><U+FFFD><U+FFFD><U+FFFD><U+FFFD>end' ]
check "--json list: the reason" \
    [ "$(json_field "$T/jlist.out" "$ann" reason)" = \
    'gone<U+001B>]0;title<U+0007><U+009B>x<U+FFFD>' ]
expect 0 "--json show" "$A" --json show "$joe"
keep jshow
check "--json show is valid JSON" json_ok "$T/jshow.out"
check "--json show is clean text too" clean_text "$T/jshow.out"
grep -qF '"domain":"spam\u001b[2J\u009b.biz\ufffd"' "$T/jshow.out"
check "--json show escapes sender domains" [ $? -eq 0 ]
expect 0 "--json show a hostile address" "$A" --json show badloc
keep jshowbad
check "--json show of a hostile address is valid JSON" json_ok "$T/jshowbad.out"

# The command line: refused with one line and exit 65, store untouched.
before=$(snapshot)
for arg in $'j\xc3\xb6rg\x1b[31m@example.org' $'j\xf6rg@example.org' \
    $'joe@ex\xc2\x85ample.org' $'jo\x9be@example.org' \
    $'joe\n@example.org' $'<joe@example.org>\r' $'@\xed\xa0\x80.example' \
    $'x@\xc0\xae.example' $'x\xe2\x82@example.org' \
    $'x@\xf4\x90\x80\x80.example' $'\x7fx@example.org'; do
	shown=$(printf '%s' "$arg" | od -An -tx1 | tr -d ' \n')
	expect 65 "new refuses correspondent $shown" "$A" new "$arg"
	keep newbad
	one_line_error "bad correspondent"
	check "its error is clean text ($shown)" clean_text "$T/newbad.err"
	check "and says why ($shown)" grep -Eq \
	    'not valid UTF-8|holds a control character' "$T/newbad.err"
done
expect 65 "new --name with a control character" "$A" new --name $'x\x1b[2Jy'
keep newname
one_line_error "is not a valid local part"
check "the name in the error is escaped" clean_text "$T/newname.err"
expect 65 "new --name that is not UTF-8" "$A" new --name $'x\xffy'
one_line_error "is not a valid local part"
expect 65 "new --domain with a control character" "$A" new --domain $'example.com\n'
keep newdomain
one_line_error "is not a managed domain"
check "the domain in the error is escaped" clean_text "$T/newdomain.err"
after=$(snapshot)
check "nothing was created by refused commands" [ "$before" = "$after" ]

expect 0 "new takes a valid UTF-8 correspondent" "$A" new $'J\xc3\xb6rg@B\xc3\xbccher.example'
expect 0 "for finds it" "$A" for $'j\xc3\xb6rg@b\xc3\xbccher.example'
check "for gives its address" [ -n "$OUT" ]
expect 0 "list" "$A" list
keep listok
grep -qF "$(printf 'j\xc3\xb6rg@b\xc3\xbccher.example')" "$T/listok.out"
check "valid UTF-8 is shown as it is" [ $? -eq 0 ]

# Import: an address or a reason that is not clean text stops the import.
printf 'mail-0100-ab@example.com\tme@example.net\nbad\xc2\x85x@example.com\tme@example.net\n' >"$T/vt1"
expect 65 "import refuses an address with a C1 character" "$A" import virtusertable "$T/vt1"
one_line_error "vt1:2: holds a control character; nothing imported"
printf 'mail-0101-ab@example.com\terror:nouser gone\x9b2J\n' >"$T/vt2"
expect 65 "import refuses a reason that is not UTF-8" "$A" import virtusertable "$T/vt2"
one_line_error "vt2:1: the reason is not valid UTF-8"
expect 0 "list after the refused imports" "$A" list --all
check "nothing was imported" [ "$(printf '%s\n' "$OUT" | grep -c 'mail-010')" -eq 0 ]

# The default, ambiguous prefixes, retire and revive: every stored
# address they print is escaped.  host1 holds a C1 CSI (as UTF-8), host2
# a byte that is not UTF-8 and ESC.
sqlite3 "$db" <<SQL
INSERT INTO address (local, domain, seq, correspondent, created) VALUES
  (CAST(X'686f737431c29b6a' AS TEXT), 'example.com', NULL, '', 1700000000),
  (CAST(X'686f737432ff1b5b324a' AS TEXT), 'example.com', NULL, '',
   1700000000);
SQL
check "more bad bytes written into the store" [ $? -eq 0 ]
expect 0 "default takes an address holding bad bytes" "$A" default badloc
keep defset
check "default's answer is clean text" clean_text "$T/defset.out"
grep -qF 'default address is badloc\xc2\x85z\xff@example.com' "$T/defset.out"
check "default's answer escapes the address" [ $? -eq 0 ]
expect 0 "default shows it" "$A" default
keep defshow
check "default's output is clean text" clean_text "$T/defshow.out"
check "default prints one escaped line" [ "$OUT" = \
    'badloc\xc2\x85z\xff@example.com' ]
expect 0 "--json default" "$A" --json default
keep jdef
check "--json default is valid JSON" json_ok "$T/jdef.out"
check "--json default is clean text too" clean_text "$T/jdef.out"
grep -qF '{"default":"badloc\u0085z\ufffd@example.com"}' "$T/jdef.out"
check "--json default escapes the address" [ $? -eq 0 ]

expect 64 "an ambiguous prefix of hostile addresses" "$A" show host
keep ambig
one_line_error "is ambiguous"
check "the candidates are clean text" clean_text "$T/ambig.err"
grep -qF 'host1\xc2\x9bj@example.com' "$T/ambig.err" &&
    grep -qF 'host2\xff\x1b[2J@example.com' "$T/ambig.err"
check "the candidates are escaped" [ $? -eq 0 ]
expect 67 "no match for a hostile prefix" "$A" show $'zz\x1b[2J\x9b'
keep nomatch
one_line_error "no address matches"
check "what was typed is escaped" clean_text "$T/nomatch.err"

expect 0 "retire a hostile address" "$A" retire host1
keep ret
check "retire's answer is clean" clean_text "$T/ret.out"
check "retire's answer is escaped" [ "$OUT" = \
    'retired host1\xc2\x9bj@example.com' ]
expect 0 "revive it" "$A" revive host1
keep rev
check "revive's answer is clean" clean_text "$T/rev.out"
check "revive's answer is escaped" [ "$OUT" = \
    'revived host1\xc2\x9bj@example.com' ]
expect 0 "revive it again" "$A" revive host1
keep rev2
check "revive of an active address is clean" clean_text "$T/rev2.out"
expect 0 "retire the hostile default" "$A" retire badloc
keep retdef
check "retire of the default is clean on stdout" clean_text "$T/retdef.out"
check "and its warning on stderr" clean_text "$T/retdef.err"
grep -qF 'badloc\xc2\x85z\xff@example.com was the default' "$T/retdef.err"
check "the warning escapes the address" [ $? -eq 0 ]
expect 0 "default shows the retired default" "$A" default
keep defret
check "default of a retired address is clean" clean_text "$T/defret.out"
expect 65 "a retired hostile address cannot be the default" "$A" default badloc
keep defbad
one_line_error "only an active address can be the default"
check "its error is clean text" clean_text "$T/defbad.err"
expect 0 "revive the old default" "$A" revive badloc

# Export: an address that cannot be a key is left out with a warning; a
# reason keeps to its line.  ann's reason now tries to forge a line.
sqlite3 "$db" <<SQL
UPDATE address SET
  reason = CAST(X'676f6e650a6576696c406578616d706c652e636f6d094f4b0d1b5b324ac29bff' AS TEXT)
  WHERE local = '$ann';
SQL
for map in postfix virtusertable postfix-virtual validrcptto; do
	expect 0 "export $map with hostile bytes" "$A" export "$map"
	keep "exp-$map"
	check "export $map is clean text" clean_text "$T/exp-$map.out"
	check "export $map forges no line" [ "$(grep -c '^evil' \
	    "$T/exp-$map.out")" -eq 0 ]
	check "export $map has no bad key" [ "$(grep -c '^host\|^badloc' \
	    "$T/exp-$map.out")" -eq 0 ]
	check "export $map warns for each bad key" [ "$(grep -c \
	    'out of the map' "$T/exp-$map.err")" -eq 3 ]
	check "export $map's warnings are clean" clean_text "$T/exp-$map.err"
done
grep -qF "$(printf '%s@example.com\t550 5.1.1 gone?evil@example.com?OK??[2J??' \
    "$ann")" "$T/exp-postfix.out"
check "export postfix: the reason on its line, '?' for each bad character" \
    [ $? -eq 0 ]
check "export postfix: one line per clean address" \
    [ "$(wc -l <"$T/exp-postfix.out")" -eq 3 ]

# mutt-hooks: muttrc lines carry no hostile address (a newline there
# would be a muttrc command of the store's writer's choosing).
expect 0 "mutt-hooks with hostile bytes in the store" "$A" mutt-hooks
keep mutthooks
check "mutt-hooks output is clean text" clean_text "$T/mutthooks.out"
check "mutt-hooks names no bad address" [ "$(grep -c 'host\|badloc' \
    "$T/mutthooks.out")" -eq 0 ]
check "mutt-hooks warns about what it left out" grep -q 'left out' \
    "$T/mutthooks.err"
check "and its warnings are clean" clean_text "$T/mutthooks.err"

# --note and --reason: refused with one line and exit 65.
before=$(snapshot)
for arg in $'a\xc2\x85b' $'a\x9bb' $'a\xffb' $'a\x7fb' $'a\xed\xa0\x80b'; do
	shown=$(printf '%s' "$arg" | od -An -tx1 | tr -d ' \n')
	expect 65 "new refuses --note $shown" "$A" new --note "$arg" \
	    x@example.org
	keep notebad
	one_line_error "^aliasctl.*--note"
	check "its error is clean text ($shown)" clean_text "$T/notebad.err"
	check "and says why ($shown)" grep -Eq \
	    'not valid UTF-8|holds a control character' "$T/notebad.err"
	expect 65 "retire refuses --reason $shown" "$A" retire "$joe" \
	    --reason "$arg"
	one_line_error "--reason"
done
after=$(snapshot)
check "nothing changed by refused notes and reasons" [ "$before" = "$after" ]

finish
