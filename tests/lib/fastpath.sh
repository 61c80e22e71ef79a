# tests/lib/fastpath.sh: aliasd's policy service and socketmap behind the
# private Postfix of tests/lib/postfix.sh, and raw clients of both.
# Source after postfix.sh and aliasd.sh.  Needs: $T.
#
#   fp_listeners            for pf_up's CMD: two more inbound smtpd
#                           listeners, $FP_POLICY_PORT (no milter,
#                           check_policy_service) and $FP_MAP_PORT (no
#                           milter, check_recipient_access socketmap:...
#                           :access); both sockets named relative to the
#                           queue directory (aliasd/policy.sock,
#                           aliasd/map.sock: a link to $AD_SOCKDIR), the
#                           form that works chrooted or not; relay_domains
#                           gets other.example, a domain not aliasd's.
#                           aliasd's sockets must be policy.sock and
#                           map.sock in $AD_SOCKDIR.
#   fp_policy RECIPIENT [CLIENT] [SENDER]
#                           one policy request at RCPT straight to the
#                           socket; prints the action= line's value
#   fp_map MAP KEY          one socketmap request; prints the answer
#                           without the netstring's frame
#   fp_client               path of a small perl client (see its usage)

fp_listeners() {
	FP_POLICY_PORT=$(t_free_port "$PF_PORT_IN" "$PF_PORT_SUB" \
	    "$PF_SINK_PORT") &&
	    FP_MAP_PORT=$(t_free_port "$PF_PORT_IN" "$PF_PORT_SUB" \
	    "$PF_SINK_PORT" "$FP_POLICY_PORT") || return 1
	cat >>"$PF_CONF/master.cf" <<EOF
127.0.0.1:$FP_POLICY_PORT inet n - n - - smtpd
  -o syslog_name=postfix/policy
  -o smtpd_milters=
  -o smtpd_recipient_restrictions=\$aliasd_policy
127.0.0.1:$FP_MAP_PORT inet n - n - - smtpd
  -o syslog_name=postfix/socketmap
  -o smtpd_milters=
  -o smtpd_recipient_restrictions=\$aliasd_access
EOF
	pf_postconf -e \
	    "aliasd_policy = check_policy_service unix:aliasd/policy.sock" \
	    "aliasd_access = check_recipient_access socketmap:unix:aliasd/map.sock:access" \
	    "relay_domains = $PF_DOMAIN other.example" || return 1
	ln -sfn "$AD_SOCKDIR" "$PF_QUEUE/aliasd"
	pf_make_searchable "$AD_SOCKDIR"
}

fp_policy() {
	printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\nsender=%s\nrecipient=%s\n\n' \
	    "${2:-192.0.2.9}" "${3:-someone@example.org}" "$1" |
	    perl "$(fp_client)" ask "$AD_SOCKDIR/policy.sock" - 5 |
	    sed -n 's/^action=//p'
}

fp_map() {
	local s="$1 $2"
	printf '%d:%s,' ${#s} "$s" |
	    perl "$(fp_client)" ask "$AD_SOCKDIR/map.sock" - 5 |
	    sed -E 's/^[0-9]+://; s/,$//'
}

# The perl client, written once per test directory.
fp_client() {
	local f="$T/fpclient.pl"
	[ -f "$f" ] || cat >"$f" <<'EOF'
#!/usr/bin/perl
# fpclient.pl hold SOCKET N SECS: open N connections to SOCKET, send
#   nothing; print "connected N" once all are open, then wait up to
#   SECS for the server to close them; print "closed C first F last L"
#   (seconds after the last connect, one decimal).
# fpclient.pl send SOCKET FILE SECS: send FILE's bytes and keep the
#   connection open; print "answered BYTES" when the server wrote
#   something and then closed or went quiet for a second, "closed" when it
#   closed without a word, "hung" when nothing happened within SECS.
# fpclient.pl ask SOCKET FILE SECS: the same, FILE "-" for stdin, and
#   print the answer itself (nothing when there was none).
use strict;
use warnings;
use Socket;
use Time::HiRes qw(time sleep);

sub conn {
	my ($path) = @_;
	socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
	connect($s, pack_sockaddr_un($path)) or die "connect $path: $!";
	return $s;
}

my $mode = shift;
if ($mode eq 'hold') {
	my ($path, $n, $secs) = @ARGV;
	my @s;
	push @s, conn($path) for 1 .. $n;
	my $t0 = time;
	$| = 1;
	print "connected ", scalar(@s), "\n";
	my %open = map { fileno($_) => $_ } @s;
	my ($first, $last, $closed) = (undef, undef, 0);
	while (%open && time - $t0 < $secs) {
		my $rin = '';
		vec($rin, $_, 1) = 1 for keys %open;
		my $n = select(my $rout = $rin, undef, undef, 0.2);
		next if $n <= 0;
		for my $fd (keys %open) {
			next unless vec($rout, $fd, 1);
			my $got = sysread($open{$fd}, my $buf, 4096);
			next if defined $got && $got > 0;
			my $t = time - $t0;
			$first = $t unless defined $first;
			$last = $t;
			$closed++;
			close($open{$fd});
			delete $open{$fd};
		}
	}
	printf "closed %d first %.1f last %.1f\n", $closed, $first // -1,
	    $last // -1;
} elsif ($mode eq 'send' || $mode eq 'ask') {
	my ($path, $file, $secs) = @ARGV;
	my $f;
	if ($file eq '-') {
		$f = \*STDIN;
		binmode($f);
	} else {
		open($f, '<:raw', $file) or die "$file: $!";
	}
	local $/;
	my $data = <$f> // '';
	my $s = conn($path);
	local $SIG{PIPE} = 'IGNORE';
	syswrite($s, $data);
	my ($t0, $answer, $quiet) = (time, '', 0);
	while (time - $t0 < $secs) {
		my $rin = '';
		vec($rin, fileno($s), 1) = 1;
		my $n = select(my $rout = $rin, undef, undef, 0.2);
		if ($n <= 0) {
			$quiet += 0.2;
			last if length($answer) &&
			    $quiet >= ($mode eq 'ask' ? 0.2 : 1);
			next;
		}
		$quiet = 0;
		my $got = sysread($s, my $buf, 65536);
		last if !$got;
		$answer .= $buf;
	}
	if ($mode eq 'ask') {
		print $answer;
	} elsif (length $answer) {
		print "answered ", length($answer), "\n";
	} elsif (time - $t0 < $secs) {
		print "closed\n";
	} else {
		print "hung\n";
	}
}
EOF
	echo "$f"
}
