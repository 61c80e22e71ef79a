# tests/lib/privacy.sh - finding the owner's address in mail that left.
#
# The owner of tests/privacy is real.owner@owner-home.test. A header
# "names the owner" when, ASCII case ignored, it shows that address in any
# spelling RFC 5322 allows for the same mailbox: as written, with a quoted
# local part ("real.owner"@owner-home.test), with comments or folding
# whitespace inside it, or once its RFC 2047 encoded words are decoded (what
# the recipient's mail client displays).
#
# Functions (bash; no shell options of their own)
#   pv_leaks            read a header block on stdin; print the name of
#                       every field but Received that names the owner, one
#                       a line (nothing when none does)
#   pv_check FILE ENV   the same for the message in FILE ("-": stdin), one
#                       process for all: also "envelope sender ENV" when ENV
#                       names the owner, and "Received (may name it)" when a
#                       Received field does (recorded, not a leak)
#   pv_names_owner TEXT true when TEXT (an envelope address, say) names
#                       the owner
#   pv_rcpts MSGFILE    the envelope recipients a client would give for a
#                       catalogue message, comma-separated: the addresses in
#                       To/Cc/Bcc (Resent-To/Cc/Bcc when the message has
#                       Resent- fields), without the owner
#   pv_subject_key      the catalogue name in the "Subject: privacy NAME"
#                       of the header block on stdin (only the header
#                       block: a bounce quotes the original's Subject)
#   pv_header_block FILE  the header block of an LF message file

PV_OWNER=real.owner@owner-home.test

# The matcher, shared by pv_leaks and pv_names_owner: a field value is
# checked as written, decoded, and both again with quotes, backslashes,
# whitespace and (non-nested) comments squeezed out.
_PV_PERL_MATCH='
use Encode ();
my $owner = "real.owner\@owner-home.test";
sub names_owner {
	my ($v) = @_;
	my @forms = ($v);
	my $d = eval { Encode::decode("MIME-Header", $v) };
	if (defined $d) {
		$d = Encode::encode("UTF-8", $d);
		push @forms, $d;
	}
	for my $f (@forms) {
		my $s = lc $f;
		return 1 if index($s, $owner) >= 0;
		1 while $s =~ s/\([^()]*\)//g;
		$s =~ s/[\s"\\]//g;
		return 1 if index($s, $owner) >= 0;
	}
	return 0;
}
'

pv_leaks() {
	pv_check - "" | grep -v '^Received'
	return 0
}

pv_check() {
	LC_ALL=C perl -e "$_PV_PERL_MATCH"'
		my ($file, $env) = @ARGV;
		my $in = \*STDIN;
		if ($file ne "-") { open($in, "<", $file) or die "$file: $!\n" }
		my (@fields, $cur);
		while (my $l = <$in>) {
			$l =~ s/\r?\n\z//;
			last if $l eq "";
			if ($l =~ /^[ \t]/ && defined $cur) { $cur .= " " . $l; next }
			push @fields, $cur if defined $cur;
			$cur = $l;
		}
		push @fields, $cur if defined $cur;
		my %seen;
		for my $f (@fields) {
			my ($name, $value) = $f =~ /^([^:]*):(.*)\z/s or next;
			if (lc $name eq "received") {
				$seen{received} = 1, print "Received (may name it)\n"
				    if !$seen{received} && index(lc $value, $owner) >= 0;
				next;
			}
			next if $seen{lc $name};
			if (names_owner($value)) {
				$seen{lc $name} = 1;
				print "$name\n";
			}
		}
		print "envelope sender $env\n" if $env ne "" && names_owner($env);
	' "$@"
}

pv_names_owner() {
	printf '%s' "$1" | LC_ALL=C perl -e "$_PV_PERL_MATCH"'
		local $/; my $v = <STDIN>; exit(names_owner($v) ? 0 : 1);
	'
}

pv_rcpts() {
	LC_ALL=C perl -e '
		my (@fields, $cur, $resent);
		while (my $l = <STDIN>) {
			$l =~ s/\r?\n\z//;
			last if $l eq "";
			if ($l =~ /^[ \t]/ && defined $cur) { $cur .= " " . $l; next }
			push @fields, $cur if defined $cur;
			$cur = $l;
		}
		push @fields, $cur if defined $cur;
		$resent = grep { /^resent-/i } @fields;
		my $want = $resent ? qr/^resent-(to|cc|bcc):/i : qr/^(to|cc|bcc):/i;
		my (%seen, @out);
		for my $f (grep { $_ =~ $want } @fields) {
			(my $v = $f) =~ s/^[^:]*://;
			1 while $v =~ s/\([^()]*\)//g;
			for my $a ($v =~ /([A-Za-z0-9._+-]+\@[A-Za-z0-9.-]+)/g) {
				$a = lc $a;
				next if $a =~ /\@owner-home\.test$/;
				push @out, $a unless $seen{$a}++;
			}
		}
		print join(",", @out), "\n";
	' <"$1"
}

pv_subject_key() {
	sed -n '/^\r\{0,1\}$/q; s/^Subject: privacy \([^ ]*\)\r\{0,1\}$/\1/p' | head -n 1
}

pv_header_block() {
	sed -n '/^\r\{0,1\}$/q; p' "$1"
}
