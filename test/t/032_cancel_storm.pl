# Cancel storms: hundreds of hnsw operations (serial and threaded builds,
# wide iterative scans, batched inserts, VACUUM) cancelled by a
# statement_timeout, or by pg_cancel_backend from a second session, at a
# random moment from 1 ms to the operation's uncancelled duration (a few ms
# to a few hundred), all in one long-lived session.  Every failure is a clean
# cancel (SQLSTATE 57014), the server never restarts and no process dies of
# a signal, the checker passes at the end, and the session's memory (its
# memory contexts, and the process's private resident memory, which also
# holds what the C++ core allocates) does not grow between iteration 50 and
# the end.  The core's build threads are all gone after each cancel.
#
# VX_SOAK=1 runs five times as many iterations.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use VectorExtTest;

my $per_kind = ($ENV{VX_SOAK} ? 5 : 1) * 80;
my $dim = 32;

my $node = vx_node('cancel', conf => "log_statement = none\nautovacuum = off\n");
make_clustered_table($node, 't', 20000, $dim);
make_clustered_table($node, 'b', 8000, $dim, seed => 0.5);
$node->safe_psql('postgres', 'CREATE INDEX t_idx ON t USING hnsw (v vector_l2_ops)');
$node->safe_psql('postgres', 'CREATE SEQUENCE ids START 1000000');
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
srand($ENV{VX_SEED} // 32032);

my $sa = $node->background_psql('postgres', on_error_stop => 0);
my $sb = $node->background_psql('postgres');
$sa->query_safe('\set VERBOSITY verbose');
my $apid = $sa->query_safe('SELECT pg_backend_pid()');

my $query_vec = '(SELECT v FROM t WHERE id = 1)';
my $newrow = clustered_vector_sql('t', '1 + i % 10');
my %ops = (
	'serial build' => {
		sql => 'CREATE INDEX b_idx ON b USING hnsw (v vector_l2_ops)',
		setup => 'SET max_parallel_maintenance_workers = 0',
		after => 'DROP INDEX IF EXISTS b_idx',
	},
	'threaded build' => {
		sql => 'CREATE INDEX b_idx ON b USING hnsw (v vector_cosine_ops)',
		setup => 'SET max_parallel_maintenance_workers = 1; SET min_parallel_table_scan_size = 0',
		after => 'DROP INDEX IF EXISTS b_idx; RESET max_parallel_maintenance_workers; RESET min_parallel_table_scan_size',
	},
	'iterative scan' => {
		# no row passes the filter: the scan goes through the whole graph,
		# then sweeps the pages
		sql => "SELECT count(*) FROM (SELECT id FROM t WHERE id + 0 < 0 ORDER BY v <-> $query_vec LIMIT 10) s",
		setup => "SET enable_seqscan = off; SET hnsw.iterative_scan = strict_order; SET hnsw.max_scan_tuples = 1000000; SET work_mem = '64MB'",
		after => 'RESET enable_seqscan; RESET hnsw.iterative_scan; RESET hnsw.max_scan_tuples; RESET work_mem',
	},
	'batched insert' => {
		sql => "INSERT INTO t (id, v) SELECT i, $newrow FROM (SELECT nextval('ids') AS i FROM generate_series(1, 200)) s",
		setup => '',
		after => '',
	},
	'VACUUM' => {
		sql => 'VACUUM t',
		# something to remove; and keep the table from growing
		setup => 'DELETE FROM t WHERE id IN (SELECT id FROM t ORDER BY random() LIMIT 200)',
		after => '',
	},
);
my @kinds = sort keys %ops;

# Send $sql to session $s without waiting; wait_result collects it.
my $banner_no = 0;
sub send_query
{
	my ($s, $sql) = @_;
	my $banner = 'storm done ' . ++$banner_no;
	# the session's timeout counts per query, not for the whole loop
	$s->{timeout}->start;
	$s->{stdout} = '';
	$s->{stderr} = '';
	$s->{stdin} .= "$sql\n;\n\\echo '$banner'\n\\warn '$banner'\n";
	$s->{run}->pump_nb;
	return $banner;
}

sub wait_result
{
	my ($s, $banner) = @_;
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	$s->{run}->pump until ($s->{stdout} =~ /\Q$banner\E\n/ && $s->{stderr} =~ /\Q$banner\E\n/) || time > $deadline;
	die "session timed out waiting for $banner" if time > $deadline;
	my ($out, $err) = ($s->{stdout}, $s->{stderr});
	$out =~ s/\Q$banner\E\n//;
	$err =~ s/\Q$banner\E\n//;
	return ($out, $err);
}

# Run $sql in session A under a statement timeout of $timeout_ms, or
# cancelled by session B after $cancel_ms; returns (stdout, stderr).
sub run_cancelled
{
	my ($sql, $timeout_ms, $cancel_ms) = @_;
	my $bb;
	if (defined $cancel_ms)
	{
		$bb = send_query($sb, sprintf('SELECT pg_sleep(%.4f), pg_cancel_backend(%d)', $cancel_ms / 1000, $apid));
	}
	my $banner = send_query($sa,
		defined $timeout_ms
		? "SET statement_timeout = '${timeout_ms}ms';\n$sql;\nSET statement_timeout = 0"
		: $sql);
	my ($out, $err) = wait_result($sa, $banner);
	wait_result($sb, $bb) if $bb;
	return ($out, $err);
}

# The ERROR (or worse) lines of psql's stderr, without psql's prefix.
sub error_lines
{
	my ($err) = @_;
	return grep { /^(ERROR|FATAL|PANIC):/ } map { s/^psql:<stdin>:\d+: //r } split /\n/, $err;
}

# A statement that must succeed in session A even if a late cancel from B
# arrives: retried while it fails with a cancel.
sub a_safe
{
	my ($sql) = @_;
	for (1 .. 20)
	{
		my ($out, $err) = wait_result($sa, send_query($sa, "SET statement_timeout = 0;\n$sql"));
		my @errors = error_lines($err);
		return $out unless @errors;
		die "$sql failed: $err" if grep { !/^ERROR:  57014:/ } @errors;
	}
	die "$sql kept being cancelled";
}

# total bytes of the session's memory contexts by name
sub contexts
{
	return map { split /\|/ } split /\n/,
	  a_safe('SELECT name, sum(total_bytes) FROM pg_backend_memory_contexts GROUP BY name');
}

sub memory
{
	my $ctx = a_safe('SELECT sum(total_bytes) FROM pg_backend_memory_contexts');
	my $status = slurp_file("/proc/$apid/status");
	my ($rss) = $status =~ /^RssAnon:\s+(\d+) kB/m;
	my ($threads) = $status =~ /^Threads:\s+(\d+)/m;
	return ($ctx, $rss * 1024, $threads);
}

# how long each operation takes uncancelled, to spread the cancels over it
my %duration;
for my $kind (@kinds)
{
	my $op = $ops{$kind};
	a_safe($op->{setup}) if $op->{setup};
	my $t = time;
	a_safe($op->{sql});
	$duration{$kind} = (time - $t) * 1000;
	a_safe($op->{after}) if $op->{after};
	note sprintf('%s takes %.0f ms uncancelled', $kind, $duration{$kind});
}

my %count;           # kind => outcome => n
my @bad;             # unexpected errors
my ($mem50, $rss50, %contexts50);
my $threads_after_cancel = 1;
my $total = $per_kind * @kinds;
my $t0 = time;
for my $i (1 .. $total)
{
	my $kind = $kinds[ $i % @kinds ];
	my $op = $ops{$kind};
	a_safe($op->{setup}) if $op->{setup};
	# a timeout or cancel between 1 ms and 1.1 times the uncancelled duration
	my $at = 1 + int(rand(1.1 * $duration{$kind}));
	my $t = time;
	my ($out, $err) = $i % 2 ? run_cancelled($op->{sql}, $at, undef) : run_cancelled($op->{sql}, undef, $at);
	my $elapsed = (time - $t) * 1000;
	my @errors = error_lines($err);
	my $outcome;
	if (!@errors)
	{
		$outcome = 'completed';
		# what it takes now (VACUUM has less to do once one completed)
		$duration{$kind} = $elapsed;
	}
	elsif (@errors == 1 && $errors[0] =~ /^ERROR:  57014: canceling statement due to (statement timeout|user request)$/)
	{
		$outcome = "57014 ($1)";
	}
	else
	{
		$outcome = 'other error';
		push @bad, "$kind cancelled at $at ms: $err";
	}
	$count{$kind}{$outcome}++;
	a_safe($op->{after}) if $op->{after};
	if ($kind =~ /build/)
	{
		my (undef, undef, $threads) = memory();
		$threads_after_cancel = $threads if $threads > $threads_after_cancel;
	}
	if ($i == 50)
	{
		($mem50, $rss50) = memory();
		%contexts50 = contexts();
	}
}
my ($mem_end, $rss_end, $threads_end) = memory();
my %contexts_end = contexts();
my @growth = sort { ($contexts_end{$b} // 0) - ($contexts50{$b} // 0) <=> ($contexts_end{$a} // 0) - ($contexts50{$a} // 0) }
  keys %contexts_end;
note 'memory contexts that grew most after iteration 50: '
  . join(', ', map { sprintf('%s %+d bytes', $_, $contexts_end{$_} - ($contexts50{$_} // 0)) } @growth[ 0 .. 4 ]);
note sprintf('%d iterations in %.0f s', $total, time - $t0);
for my $kind (@kinds)
{
	note "$kind: " . join(', ', map { "$_ $count{$kind}{$_}" } sort keys %{ $count{$kind} });
}
note sprintf('memory contexts: %.1f kB at iteration 50, %.1f kB at the end', $mem50 / 1024, $mem_end / 1024);
note sprintf('private resident memory: %.1f MB at iteration 50, %.1f MB at the end', $rss50 / 1048576, $rss_end / 1048576);

is(scalar(@bad), 0, 'every failure was a cancel with SQLSTATE 57014') or diag(join("\n", @bad[ 0 .. ($#bad < 9 ? $#bad : 9) ]));
for my $kind (@kinds)
{
	my $cancelled = 0;
	$cancelled += $count{$kind}{$_} for grep { /^57014/ } keys %{ $count{$kind} };
	cmp_ok($cancelled, '>=', $per_kind / 4, "$kind: $cancelled of $per_kind were cancelled");
}
cmp_ok($mem_end, '<=', $mem50 * 1.1 + 1048576, 'the memory contexts of the session did not grow after iteration 50');
cmp_ok($rss_end, '<=', $rss50 + 16 * 1048576, 'the private resident memory of the backend did not grow after iteration 50');
is($threads_after_cancel, 1, 'no build thread outlived its statement');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_class WHERE relname = 'b_idx'"), '0',
	'no cancelled build left an index behind');

$sa->quit;
$sb->quit;
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $start_time, 'the postmaster never restarted');
unlike(slurp_file($node->logfile), qr/terminated by signal|PANIC|TRAP:/, 'no process died of a signal');
my $check = check_index_ok($node, 't_idx', 'after the storm');
is($check->{live}, $node->safe_psql('postgres', 'SELECT count(*) FROM t'), 'one live element per row after the storm')
  if $check && $check->{dead} == 0;
$node->safe_psql('postgres', 'VACUUM (FREEZE, INDEX_CLEANUP ON) t');
$check = check_index_ok($node, 't_idx', 'after a last VACUUM');
is($check->{live}, $node->safe_psql('postgres', 'SELECT count(*) FROM t'), 'one live element per row after a last VACUUM')
  if $check;
$node->stop;
done_testing();
