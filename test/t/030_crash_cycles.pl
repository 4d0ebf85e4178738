# Crash cycles under pgbench: several pgbench clients insert and delete
# single rows of an hnsw-indexed table while another pgbench client runs
# VACUUM and index scans in a loop; at a random moment every server process
# is killed with SIGKILL (some cycles: only the postmaster, its children then
# exit on their own).  pgbench logs every transaction whose result it saw
# (--log), and each client's script is deterministic (a per-client counter
# picks the id and whether to insert or delete), so the log tells exactly
# which inserts and deletes were acknowledged.  After each restart:
#
#   - no acknowledged insert is missing, no acknowledged delete came back, no
#     id exists that was never inserted (only the one statement per client
#     in flight at the crash may have gone either way, and its outcome must
#     then stay fixed);
#   - the structural checker passes with heapallindexed;
#   - the index serves scans (EXPLAIN shows it; rows of the crashed cycle are
#     found through it), takes an insert, and VACUUM completes; no REINDEX.
#
# VX_SOAK=1 runs 100 cycles instead of 20.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use List::Util qw(sum);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use VectorExtTest;

my $cycles = $ENV{VX_SOAK} ? 100 : 20;
my $clients = 4;
my $dim = 16;
my $initial = 3000;
my $range = 10000000;    # ids of one client in one cycle: base + client * range + n
my $rate = 1000;         # transactions per second of all the load clients

my $node = vx_node('crashcycles',
	conf => "wal_level = replica\nautovacuum_naptime = 1s\nlog_statement = none\n");
make_clustered_table($node, 't', $initial, $dim);
$node->safe_psql('postgres', 'ALTER TABLE t ALTER COLUMN id TYPE bigint');
$node->safe_psql('postgres', 'CREATE INDEX t_idx ON t USING hnsw (v vector_l2_ops)');
my $ncenters = $node->safe_psql('postgres', 'SELECT count(*) FROM t_centers');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $pgbench = $node->installed_command('pgbench');
srand($ENV{VX_SEED} // 30031);

# n counts the client's transactions; every third one deletes the id the
# client inserted two transactions before, the others insert a new id.
my $vec = clustered_vector_sql('t', ':c');
append_to_file(
	"$tmp/ins_del.sql", qq{
\\set n :n + 1
\\set id :base + :client_id * $range + :n
\\set c 1 + :id % $ncenters
\\if :n % 3 = 0
DELETE FROM t WHERE id = :id - 2;
\\else
INSERT INTO t (id, v) VALUES (:id, $vec);
\\endif
});
append_to_file(
	"$tmp/maint.sql", q{
VACUUM t;
SET enable_seqscan = off;
SELECT id FROM t ORDER BY v <-> (SELECT v FROM t_centers WHERE c = 1 + :client_id)::vector LIMIT 10;
\sleep 200 ms
});

# Everything the cycles so far acknowledged: [lo, k] per client and cycle
# (transactions 1..k of the client whose ids start after lo were
# acknowledged); and the outcome of each statement in doubt once seen.
my @runs;
my %doubt_seen;

# The per-client expectation, as SQL that fills the temp table expect(id, st)
# with st one of present, deleted, doubt.
sub expectation_sql
{
	my $values = join(',', map { "($_->[0], $_->[1])" } @runs);
	return qq{
		CREATE TEMP TABLE runs (lo bigint, k int);
		INSERT INTO runs VALUES $values;
		CREATE TEMP TABLE expect AS
			SELECT r.lo + n AS id,
			       CASE WHEN n % 3 = 0 THEN 'never'
			            WHEN n <= r.k AND n % 3 = 1 AND n + 2 <= r.k THEN 'deleted'
			            WHEN n <= r.k THEN 'present'
			            ELSE 'doubt' END AS st
			  FROM runs r, generate_series(1, r.k + 1) n;
		-- a delete in flight: the id it deletes is in doubt
		UPDATE expect e SET st = 'doubt' FROM runs r WHERE (r.k + 1) % 3 = 0 AND e.id = r.lo + r.k - 1;
		CREATE INDEX ON expect (id);
		ANALYZE expect;
	};
}

# After a restart: the acknowledged history is there, the index is sound
# and usable.
sub verify
{
	my ($cycle, $last_lo) = @_;
	my $label = "cycle $cycle";
	my $res = $node->safe_psql(
		'postgres', expectation_sql() . qq{
		SELECT (SELECT count(*) FROM expect e WHERE st = 'present' AND NOT EXISTS (SELECT 1 FROM t WHERE t.id = e.id)),
		       (SELECT count(*) FROM expect e WHERE st = 'deleted' AND EXISTS (SELECT 1 FROM t WHERE t.id = e.id)),
		       (SELECT count(*) FROM t WHERE id > $initial AND id < 9000000000000
		           AND NOT EXISTS (SELECT 1 FROM expect e WHERE e.id = t.id AND st IN ('present', 'doubt'))),
		       (SELECT count(*) FROM expect WHERE st = 'present'),
		       (SELECT count(*) FROM expect WHERE st = 'deleted'),
		       (SELECT count(*) FROM t WHERE id <= $initial),
		       (SELECT string_agg(e.id || ':' || EXISTS (SELECT 1 FROM t WHERE t.id = e.id), ',') FROM expect e WHERE st = 'doubt');
	});
	my ($missing, $resurrected, $unknown, $npresent, $ndeleted, $base, $doubts) = split /\|/, $res;
	is($missing, 0, "$label: none of $npresent acknowledged inserts is missing");
	is($resurrected, 0, "$label: none of $ndeleted acknowledged deletes came back");
	is($unknown, 0, "$label: no row exists that was never inserted");
	is($base, $initial, "$label: the $initial rows loaded before the cycles are all there");
	my $changed = 0;
	for my $d (split /,/, $doubts // '')
	{
		my ($id, $there) = split /:/, $d;
		$changed++ if exists $doubt_seen{$id} && $doubt_seen{$id} ne $there;
		$doubt_seen{$id} = $there;
	}
	is($changed, 0, "$label: statements in doubt kept the outcome first seen");

	my $rows = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
	my $check = check_index_ok($node, 't_idx', $label);
	if ($check)
	{
		cmp_ok($check->{live}, '>=', $rows, "$label: $rows rows, $check->{live} live elements");
		cmp_ok($check->{unreachable}, '<=', max_unreachable($rows),
			"$label: the graph links to all but $check->{unreachable} of $rows rows");
	}
	my $unreachable = $check ? $check->{unreachable} : max_unreachable($rows);

	# rows acknowledged in the crashed cycle are found through the index
	my $last_hi = $last_lo + $clients * $range;
	my @sample = split /\n/, $node->safe_psql('postgres',
		"SELECT id FROM t WHERE id > $last_lo AND id < $last_hi ORDER BY random() LIMIT 50");
	my $missed = self_lookup_failures($node, 't', '<->', \@sample);
	cmp_ok(scalar(@$missed), '<=', $unreachable,
		"$label: " . scalar(@sample) . " rows of the crashed cycle are their own nearest neighbour through the index (missed: @$missed)");

	# the index takes an insert and VACUUM completes, without REINDEX
	my $id = 9000000000000 + $cycle;
	$node->safe_psql('postgres',
		"INSERT INTO t (id, v) SELECT $id, " . clustered_vector_sql('t', 1 + $cycle % $ncenters));
	is_deeply(self_lookup_failures($node, 't', '<->', [$id]), [], "$label: a row inserted after the restart is found through the index");
	# FREEZE makes VACUUM wait for the cleanup lock of every page with dead
	# rows (a plain VACUUM skips pruning a page another process has pinned
	# for a moment, the checkpointer for one); INDEX_CLEANUP ON keeps it from
	# skipping the index when few rows died (PostgreSQL's bypass)
	my ($ret, $out, $err) = $node->psql('postgres', 'VACUUM (FREEZE, INDEX_CLEANUP ON) t');
	is($ret, 0, "$label: VACUUM completes") or diag($err);
	# nothing else changes t now: VACUUM removed every dead row and its element
	$rows = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
	$check = check_index_ok($node, 't_idx', "$label, after VACUUM");
	is($check->{live}, $rows, "$label: after VACUUM, $rows rows and as many live elements") if $check;
}

like(
	index_plan($node, 'SELECT (SELECT t2.id FROM t t2 ORDER BY t2.v <-> s.v LIMIT 1) FROM t s WHERE s.id = 1',
		'SET hnsw.ef_search = 100;'),
	qr/Index Scan using t_idx/,
	'the per-row lookup goes through the index');

my ($total_acked, $total_kills_all) = (0, 0);
my $t0 = time;
for my $cycle (1 .. $cycles)
{
	my $base = $cycle * $clients * $range;
	my @common = ('-n', '-h', $node->host, '-p', $node->port);
	my ($out, $err, $mout, $merr) = ('', '', '', '');
	my $load = IPC::Run::start(
		[
			$pgbench, @common, '-c', $clients, '-j', 1, '-T', 600, '-R', $rate, '-D', "base=$base", '-D', 'n=0',
			'-l', "--log-prefix=$tmp/cycle$cycle", '-f', "$tmp/ins_del.sql", 'postgres'
		],
		'<', \undef, '>', \$out, '2>', \$err);
	my $maint = IPC::Run::start([ $pgbench, @common, '-c', 1, '-T', 600, '-f', "$tmp/maint.sql", 'postgres' ],
		'<', \undef, '>', \$mout, '2>', \$merr);

	# crash at a random moment 0.5 to 3 s into the load
	my $delay = 0.5 + rand(2.5);
	my $until = time + $delay;
	my $early = 0;
	while (time < $until && !$early)
	{
		for my $h ($load, $maint)
		{
			$early = 1 unless eval { $h->pump_nb; 1 };
		}
		usleep(20_000);
	}
	is($early, 0, "cycle $cycle: pgbench was running until the crash")
	  or diag("pgbench: $err$merr");
	# every server process at once, as a machine crash would; every fourth
	# cycle only the postmaster, whose backends may still commit until they
	# notice
	my $kill_all = $cycle % 4 != 0;
	ok(crash_server($node, only_postmaster => !$kill_all),
		"cycle $cycle: every server process is gone after the SIGKILL");
	$total_kills_all++ if $kill_all;
	note sprintf('cycle %d: killed %s after %.2f s', $cycle, $kill_all ? 'all server processes' : 'the postmaster',
		$delay);
	$load->finish;
	$maint->finish;

	# what pgbench saw acknowledged: one log line per completed transaction
	my %k = map { $_ => 0 } 0 .. $clients - 1;
	for my $log (glob("$tmp/cycle$cycle.*"))
	{
		for my $line (split /\n/, slurp_file($log))
		{
			my ($client) = split / /, $line;
			$k{$client}++;
		}
		unlink $log;
	}
	my @errors = grep { /ERROR:/ } split /\n/, "$err\n$merr";
	is(scalar(@errors), 0, "cycle $cycle: no pgbench client got an ERROR before the crash")
	  or diag(join("\n", @errors));
	my $acked = sum(values %k);
	$total_acked += $acked;
	cmp_ok($acked, '>', 10, "cycle $cycle: $acked transactions acknowledged before the crash");
	push @runs, [ $base + $_ * $range, $k{$_} ] for 0 .. $clients - 1;

	$node->start;
	verify($cycle, $base);
}
note sprintf('%d cycles (%d killing every server process, the others the postmaster) in %.0f s; %d transactions acknowledged',
	$cycles, $total_kills_all, time - $t0, $total_acked);

unlike(slurp_file($node->logfile), qr/PANIC|TRAP:/, 'nothing PANICked and no assertion failed');
my $final = check_index_ok($node, 't_idx', 'in the end');
note "final checker: live $final->{live}, dead $final->{dead}, free $final->{free}, unreachable $final->{unreachable}"
  if $final;
$node->stop;
done_testing();
