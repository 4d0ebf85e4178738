# Crashes during CREATE INDEX and during VACUUM of an hnsw index.  Every
# server process is killed with SIGKILL while pg_stat_progress_create_index
# or pg_stat_progress_vacuum shows the operation in a given phase.
#
# CREATE INDEX (serial and threaded builds, in each build phase, and CREATE
# INDEX CONCURRENTLY in its build and validation phases): after the restart
# the index is absent, or present and invalid and DROP INDEX works, or (if
# the build had committed) valid and sound; never a valid corrupt index.  A
# new build then succeeds.  A crash right after a build commits, before any
# checkpoint, leaves a valid index that scans, inserts and VACUUM use.
#
# VACUUM (three crashes at random moments of the index pass, one with
# concurrent inserts): after the restart the checker passes, scans keep
# their recall, and the next VACUUM completes, leaving no DEAD element and
# one live element per row.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use VectorExtTest;

my $node = vx_node('crashbuild',
	conf => "wal_level = replica\nlog_statement = none\nmaintenance_work_mem = '256MB'\n"
	  . "max_parallel_maintenance_workers = 0\n");
my $dim = 32;
my $rows = 15000;
make_clustered_table($node, 't', $rows, $dim);
make_queries($node, 't', 'q', 30);
srand($ENV{VX_SEED} // 31031);

# Poll $sql every few milliseconds through session $mon until it returns a
# row; returns that row, or undef after $timeout seconds.
sub wait_for_progress
{
	my ($mon, $sql, $timeout) = @_;
	my $deadline = time + ($timeout // 60);
	while (time < $deadline)
	{
		my $r = $mon->query($sql);
		return $r if defined $r && $r ne '';
		usleep(3000);
	}
	return undef;
}

# Start $sql in a session of its own; once each query of $phase_sqls (run
# one after the other in a monitoring session) has returned a row, wait a
# random time of up to $jitter seconds, kill the server and restart it.
# Returns the phase seen at the crash (undef if the operation never showed
# it) and whether the statement had completed.
sub crash_during
{
	my ($label, $sql, $phase_sqls, $jitter) = @_;
	$phase_sqls = [$phase_sqls] unless ref $phase_sqls;
	my $phase_sql = $phase_sqls->[-1];
	my $worker = $node->background_psql('postgres');
	my $mon = $node->background_psql('postgres');
	$worker->query_until(qr/started/, "\\echo started\n$sql\n\\echo finished\n");
	my $phase;
	for my $q (@$phase_sqls)
	{
		$phase = wait_for_progress($mon, $q);
		last unless defined $phase;
	}
	if (defined $phase && $jitter)
	{
		usleep(int(rand($jitter) * 1_000_000));
		my $now = $mon->query($phase_sql);
		$phase = "$phase, then " . ($now eq '' ? 'a later phase' : $now) if $now ne $phase;
	}
	# a committed transaction flushes the WAL up to its commit, so what the
	# phase query saw in shared buffers (VACUUM's marks: VACUUM flushes no WAL
	# of its own) survives the crash
	$mon->query('SELECT txid_current()') if defined $phase;
	ok(crash_server($node), "$label: every server process is gone after the SIGKILL");
	# psql stops at the error of a lost connection (ON_ERROR_STOP), so it
	# echoes "finished" only if the statement completed before the crash
	$worker->{stdin} .= "\\q\n";
	eval { $worker->{run}->finish; };
	my $finished = $worker->{stdout} =~ /finished/ ? 1 : 0;
	eval { $mon->{run}->kill_kill; };
	$node->start;
	note "$label: crashed during " . ($phase // 'nothing: the phase never showed')
	  . ($finished ? ' (the statement had completed)' : '');
	return ($phase, $finished);
}

sub index_state
{
	my ($name) = @_;
	return $node->safe_psql('postgres',
		"SELECT CASE WHEN indisvalid THEN 'valid' ELSE 'invalid' END FROM pg_index WHERE indexrelid = to_regclass('$name')"
	);
}

# After a crash during the build of $name: absent, or invalid (only after
# CREATE INDEX CONCURRENTLY) and droppable, or (if the build committed
# before the crash) valid and sound.
sub check_after_build_crash
{
	my ($label, $name, $finished, $concurrent) = @_;
	my $state = index_state($name);
	if ($state eq '')
	{
		pass("$label: the index is absent");
	}
	elsif ($state eq 'invalid')
	{
		ok($concurrent, "$label: an invalid index remains (only CREATE INDEX CONCURRENTLY may leave one)");
		my ($ret, $out, $err) = $node->psql('postgres', "DROP INDEX $name");
		is($ret, 0, "$label: DROP INDEX of the invalid index works") or diag($err);
	}
	else
	{
		# the build committed just before the crash (psql may not have
		# heard back): then the index must be sound
		note "$label: the build had committed" . ($finished ? '' : ' (unacknowledged)');
		check_index_ok($node, $name, "$label: the index that was built");
		$node->safe_psql('postgres', "DROP INDEX $name");
	}
	is(index_state($name), '', "$label: no index is left behind");
}

my $build_sql = "CREATE INDEX t_idx ON t USING hnsw (v vector_l2_ops) WITH (m = 16, ef_construction = 100);";
my $phase_sql = "SELECT phase FROM pg_stat_progress_create_index WHERE phase = '%s'";
my %seen;
for my $case (
	[ 'serial build, loading tuples', '', 'building index: loading tuples', 0 ],
	[ 'serial build, linking graph', '', 'building index: linking graph', 0.5 ],
	[ 'serial build, writing pages', '', 'building index: writing pages', 0 ],
	[ 'threaded build, linking graph', 'SET max_parallel_maintenance_workers = 1; SET min_parallel_table_scan_size = 0;',
		'building index: linking graph', 0.5 ])
{
	my ($label, $settings, $phase, $jitter) = @$case;
	my ($seen, $finished) =
	  crash_during($label, "$settings $build_sql", sprintf($phase_sql, $phase), $jitter);
	$seen{$label} = defined $seen;
	check_after_build_crash($label, 't_idx', $finished, 0);
}
ok($seen{'serial build, linking graph'} && $seen{'threaded build, linking graph'},
	'the crashes hit the linking phase of serial and threaded builds');

# CREATE INDEX CONCURRENTLY, killed while building, and after its
# validation inserted the rows written during the build: inserts run all
# along, and a transaction whose snapshot predates the validation holds the
# build in its last wait.
my $tmp = PostgreSQL::Test::Utils::tempdir;
$node->safe_psql('postgres', 'CREATE SEQUENCE ins_ids START 2000000');
append_to_file("$tmp/insert.sql",
	"\\set c random(1, 10)\nINSERT INTO t (id, v) SELECT nextval('ins_ids'), " . clustered_vector_sql('t', ':c') . ";\n");
my $cic = 'CREATE INDEX CONCURRENTLY t_idx ON t USING hnsw (v vector_l2_ops) WITH (m = 16, ef_construction = 100);';
my ($seen, $finished) = crash_during('CREATE INDEX CONCURRENTLY, building', $cic,
	"SELECT phase FROM pg_stat_progress_create_index WHERE phase LIKE 'building index:%'", 0.3);
ok(defined $seen, 'CREATE INDEX CONCURRENTLY, building: the crash hit the build');
check_after_build_crash('CREATE INDEX CONCURRENTLY, building', 't_idx', $finished, 1);
{
	my $label = 'CREATE INDEX CONCURRENTLY, validated';
	my ($lout, $lerr) = ('', '');
	my $load = IPC::Run::start(
		[
			$node->installed_command('pgbench'), '-n', '-h', $node->host, '-p', $node->port, '-c', 2,
			'-T', 600, '-R', 200, '-f', "$tmp/insert.sql", 'postgres'
		],
		'<', \undef, '>', \$lout, '2>', \$lerr);
	my $blocker = $node->background_psql('postgres');
	$blocker->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1;');
	($seen, $finished) = crash_during($label, $cic,
		"SELECT phase FROM pg_stat_progress_create_index WHERE phase = 'waiting for old snapshots'", 0);
	eval { $blocker->{run}->kill_kill; };
	$load->finish;
	my @errors = grep { /ERROR:/ } split /\n/, $lerr;
	is(scalar(@errors), 0, "$label: the concurrent inserts got no ERROR") or diag(join("\n", @errors));
	ok(defined $seen, "$label: the crash hit the wait after the validation");
	check_after_build_crash($label, 't_idx', $finished, 1);
}

# a crash right after a build commits, before any checkpoint
$node->safe_psql('postgres', 'CHECKPOINT');
$node->safe_psql('postgres', $build_sql);
ok(crash_server($node), 'crash right after the build: every server process is gone');
$node->start;
is(index_state('t_idx'), 'valid', 'the index built just before the crash is valid');
my $check = check_index_ok($node, 't_idx', 'after a crash right after the build');
my $count = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
is($check->{live}, $count, "all $count rows have live elements") if $check;
like(index_plan($node, 'SELECT id FROM t ORDER BY v <-> (SELECT v FROM q WHERE id = 1) LIMIT 10'),
	qr/Index Scan using t_idx/, 'scans use the recovered index');
my $recall = recall_at_k($node, 't', 'q', '<->', 10, 'SET hnsw.ef_search = 100;');
cmp_ok($recall, '>=', 0.95, "recall\@10 of the recovered index is $recall");
add_clustered_rows($node, 't', $rows + 1, 500);
$node->safe_psql('postgres', "DELETE FROM t WHERE id % 7 = 0");
my ($ret, $out, $err) = $node->psql('postgres', 'VACUUM (FREEZE, INDEX_CLEANUP ON) t');
is($ret, 0, 'VACUUM of the recovered index works') or diag($err);
$check = check_index_ok($node, 't_idx', 'after inserts, deletes and VACUUM on the recovered index');
$count = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
is($check->{live}, $count, "$count rows, as many live elements") if $check;

# ---- crashes during VACUUM ----------------------------------------------
$node->safe_psql('postgres', 'ALTER TABLE t SET (autovacuum_enabled = off)');
my $next_id = 1000000;

# How many elements of index block 1 are DEAD and FREE, from the raw page
# (pageinspect), as "dead|free" if $cond (on dead and free) holds, else no
# row.  VACUUM's passes each go through the pages in order: DEAD elements
# appear on block 1 when the marking pass starts, and leave it (FREE) when the
# freeing pass starts.
$node->safe_psql('postgres', 'CREATE EXTENSION pageinspect');
sub block1_states_sql
{
	my ($cond) = @_;
	return qq{SELECT dead || '|' || free FROM (
		SELECT count(*) FILTER (WHERE st = 1) AS dead, count(*) FILTER (WHERE st = 2) AS free
		  FROM (SELECT get_raw_page('t_idx', 1) AS b) p,
		       generate_series(1, ((get_byte(b, 12) + get_byte(b, 13) * 256) - 24) / 4) i,
		       LATERAL (SELECT (get_byte(b, 20 + 4 * i) + get_byte(b, 21 + 4 * i) * 256) & 32767 AS off) o,
		       LATERAL (SELECT CASE WHEN get_byte(b, off) = 1 THEN get_byte(b, off + 2) END AS st) s) c
		WHERE $cond};
}
my $in_index_pass =
  "SELECT phase FROM pg_stat_progress_vacuum WHERE relid = 't'::regclass AND phase = 'vacuuming indexes'";
my $slow_vacuum = "SET vacuum_cost_delay = '2ms'; SET vacuum_cost_limit = 200; VACUUM t;";
for my $round (
	[ 'marking', [ $in_index_pass, block1_states_sql('dead > 0') ], 0, 0 ],
	[ 'repair', [$in_index_pass], 1 + rand(2), 1 ],
	[ 'freeing', [ $in_index_pass, block1_states_sql('dead > 0'), block1_states_sql('dead = 0') ], 0, 1 ])
{
	my ($pass, $phases, $jitter, $inserts) = @$round;
	my $label = "VACUUM crash in the $pass pass";
	# refill what the last round deleted, then delete 40% at random
	add_clustered_rows($node, 't', $next_id, 3000);
	$next_id += 3000;
	$node->safe_psql('postgres', "DELETE FROM t WHERE random() < 0.4");

	# inserts during the VACUUM take freed slots
	my ($load, $lout, $lerr);
	if ($inserts)
	{
		$load = IPC::Run::start(
			[
				$node->installed_command('pgbench'), '-n', '-h', $node->host, '-p', $node->port, '-c', 2,
				'-T', 600, '-R', 200, '-f', "$tmp/insert.sql", 'postgres'
			],
			'<', \undef, '>', \$lout, '2>', \$lerr);
	}
	my ($phase, $finished) = crash_during($label, $slow_vacuum, $phases, $jitter);
	if ($load)
	{
		$load->finish;
		my @errors = grep { /ERROR:/ } split /\n/, $lerr;
		is(scalar(@errors), 0, "$label: the concurrent inserts got no ERROR") or diag(join("\n", @errors));
	}
	ok(defined $phase && !$finished, "$label: the crash hit VACUUM once its index pass had started");

	my $rowcount = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
	my $c = check_index_ok($node, 't_idx', "$label: after the restart");
	note "$label: after the restart, $c->{live} live, $c->{dead} dead, $c->{free} free elements for $rowcount rows"
	  if $c;
	# unless the random delay let the index pass end before the crash
	cmp_ok($c->{dead}, '>', 0, "$label: the crash left DEAD elements for the next VACUUM")
	  if $c && defined $phase && $phase !~ /then/;
	$recall = recall_at_k($node, 't', 'q', '<->', 10, 'SET hnsw.ef_search = 100;');
	cmp_ok($recall, '>=', 0.9, "$label: recall\@10 after the restart is $recall");
	my ($r, $o, $e) = $node->psql('postgres', 'VACUUM (FREEZE, INDEX_CLEANUP ON) t');
	is($r, 0, "$label: the next VACUUM completes") or diag($e);
	$rowcount = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
	$c = check_index_ok($node, 't_idx', "$label: after the next VACUUM");
	if ($c)
	{
		is($c->{dead}, 0, "$label: no DEAD element is left");
		is($c->{live}, $rowcount, "$label: $rowcount rows, as many live elements");
	}
	$recall = recall_at_k($node, 't', 'q', '<->', 10, 'SET hnsw.ef_search = 100;');
	cmp_ok($recall, '>=', 0.9, "$label: recall\@10 after the next VACUUM is $recall");
}

# the index keeps working: inserts, scans
add_clustered_rows($node, 't', $next_id, 1000);
is_deeply(self_lookup_failures($node, 't', '<->', [ $next_id .. $next_id + 49 ]), [],
	'rows inserted after the crashes are found through the index');
unlike(slurp_file($node->logfile), qr/PANIC|TRAP:/, 'nothing PANICked and no assertion failed');
$node->stop;
done_testing();
