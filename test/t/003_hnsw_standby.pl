# WAL replay of the hnsw index on a streaming standby.  The primary runs with
# wal_consistency_checking = 'generic', so every Generic WAL record carries a
# full-page image that the standby compares with the page it rebuilt by
# replay.  Three cycles of DELETE / VACUUM / INSERT; after every step both
# nodes must return identical top-10 lists through the index, and in the end
# the standby must not have reported an inconsistent page, and the checker
# passes on both nodes.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VectorExtTest;

my $dim = 32;
my $primary = vx_node(
	'primary',
	init => { allows_streaming => 1 },
	conf => "wal_consistency_checking = 'generic'\nautovacuum = off\n"
	  # the standby may lag on a loaded machine: keep the WAL it still needs
	  . "wal_keep_size = '2GB'\n");
make_clustered_table($primary, 't', 5000, $dim);
make_queries($primary, 't', 'q', 20);
$primary->safe_psql('postgres', 'CREATE INDEX t_idx ON t USING hnsw (v vector_l2_ops)');

$primary->backup('bkp');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bkp', has_streaming => 1);
$standby->start;

my $settings = 'SET enable_seqscan = off; SET hnsw.ef_search = 100;';
my $plan = index_plan($standby, "SELECT id FROM t ORDER BY v <-> (SELECT v FROM q WHERE id = 1) LIMIT 10");
like($plan, qr/Index Scan using t_idx/, 'the standby plans an index scan');

# Both nodes caught up, then the same 20 queries give the same id lists.
sub compare_nodes
{
	my ($step) = @_;
	$primary->wait_for_catchup($standby);
	my $p = query_ids($primary, 't', 'q', '<->', 10, $settings);
	my $s = query_ids($standby, 't', 'q', '<->', 10, $settings);
	is(scalar(keys %$p), 20, "$step: 20 queries answered on the primary");
	my $full = grep { @{ $p->{$_} } == 10 } keys %$p;
	is($full, 20, "$step: every query returns 10 rows");
	is_deeply($s, $p, "$step: identical top-10 lists on primary and standby");
}

compare_nodes('after the build');

my $next_id = 5001;
for my $cycle (1 .. 3)
{
	my $deleted = $primary->safe_psql(
		'postgres', qq{
		SELECT setseed(0.$cycle);
		WITH d AS (DELETE FROM t WHERE random() < 0.3 RETURNING 1) SELECT count(*) FROM d;
	});
	cmp_ok($deleted, '>', 1000, "cycle $cycle: deleted $deleted rows");
	compare_nodes("cycle $cycle, after DELETE");

	$primary->safe_psql('postgres', 'VACUUM t');
	my $check = check_index($primary, 't_idx', 0);
	cmp_ok($check->{free}, '>=', $deleted, "cycle $cycle: VACUUM freed the deleted elements");
	compare_nodes("cycle $cycle, after VACUUM");

	add_clustered_rows($primary, 't', $next_id, 1500);
	$next_id += 1500;
	compare_nodes("cycle $cycle, after INSERT");
}

my $rows = $primary->safe_psql('postgres', 'SELECT count(*) FROM t');
is($standby->safe_psql('postgres', 'SELECT count(*) FROM t'), $rows, "standby has the primary's $rows rows");
is(index_reachable_count($standby, 't', '<->', '(SELECT v FROM q WHERE id = 1)'), $rows,
	"all $rows rows are reachable through the index on the standby");

my $pcheck = check_index($primary, 't_idx', 1);
is($pcheck->{live}, $rows, 'checker passes on the primary');
my $scheck = check_index($standby, 't_idx', 1);
is_deeply($scheck, $pcheck, 'checker passes on the standby and counts the same graph');
cmp_ok($scheck->{unreachable}, '<=', max_unreachable($rows),
	"the graph links to all but $scheck->{unreachable} of $rows rows");

# Consistency failures are FATAL in the startup process; look at the whole log.
my $log = slurp_file($standby->logfile);
unlike($log, qr/inconsistent/i, 'the standby log has no "inconsistent page" report');
like($log, qr/started streaming WAL/, 'the standby was streaming');
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'the standby is still in recovery');

for my $n ($primary, $standby)
{
	unlike(slurp_file($n->logfile), qr/terminated by signal|PANIC/,
		$n->name . ': no server process died of a signal and nothing PANICked');
}

$standby->stop;
$primary->stop;
done_testing();
