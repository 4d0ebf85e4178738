# An hnsw index on an UNLOGGED table after a crash: recovery resets the table
# and the index to their init forks, so both are empty and usable: a scan
# through the index returns nothing without an error, inserts work and are
# found through the index, and the checker passes.  Twice: once for an index
# built on a filled table, once for one built on an empty table and filled by
# inserts.  A logged table next to it keeps its rows.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VectorExtTest;

my $dim = 16;
my $node = vx_node('unlogged', conf => "autovacuum = off\n");

# a logged table for contrast
make_clustered_table($node, 'l', 1000, $dim);
$node->safe_psql('postgres', 'CREATE INDEX l_idx ON l USING hnsw (v vector_l2_ops)');

# The unlogged table shares the logged one's centres.
$node->safe_psql('postgres', "CREATE UNLOGGED TABLE u (id int PRIMARY KEY, v vector($dim)); CREATE VIEW u_centers AS SELECT * FROM l_centers");

my $q = "(SELECT v FROM l_centers WHERE c = 1)::vector";
my $scan = "SELECT id FROM u ORDER BY v <-> $q LIMIT 5";

for my $round ('built on 3000 rows', 'built empty, 3000 inserts')
{
	if ($round =~ /^built on/)
	{
		add_clustered_rows($node, 'u', 1, 3000);
		$node->safe_psql('postgres', 'CREATE INDEX u_idx ON u USING hnsw (v vector_l2_ops)');
	}
	else
	{
		$node->safe_psql('postgres', 'CREATE INDEX u_idx ON u USING hnsw (v vector_l2_ops)');
		add_clustered_rows($node, 'u', 1, 3000);
	}
	# more single-row inserts through the insert path either way
	add_clustered_rows($node, 'u', 3000 + $_, 1) for 1 .. 20;
	is(check_index($node, 'u_idx', 1)->{live}, 3020, "$round: 3020 live elements before the crash");
	is(index_reachable_count($node, 'u', '<->', $q), 3020, "$round: all rows are reachable before the crash");

	$node->stop('immediate');
	$node->start;

	is($node->safe_psql('postgres', 'SELECT count(*) FROM u'), 0, "$round: the unlogged table is empty after the crash");
	my $check = check_index($node, 'u_idx', 1);
	is("$check->{elements}|$check->{live}", '0|0', "$round: the index is empty after the crash and the checker passes");
	like(index_plan($node, $scan), qr/Index Scan using u_idx/, "$round: the scan goes through the index");
	my ($ret, $out, $err) = $node->psql('postgres', "SET enable_seqscan = off; $scan");
	is($ret, 0, "$round: a scan of the empty index succeeds");
	is($out, '', "$round: and returns no rows");
	is($err, '', "$round: and no error or warning");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM l'), 1000, "$round: the logged table kept its rows");

	# the index takes rows again
	add_clustered_rows($node, 'u', 1, 500);
	add_clustered_rows($node, 'u', 500 + $_, 1) for 1 .. 10;
	is(index_reachable_count($node, 'u', '<->', $q), 510,
		"$round: the 510 new rows are reachable through the index with an iterative scan");
	my $unreached = check_index($node, 'u_idx', 0)->{unreachable};
	cmp_ok($unreached, '<=', max_unreachable(510), "$round: the graph links to all but $unreached");
	my @missed = @{ self_lookup_failures($node, 'u', '<->', [ 1 .. 510 ]) };
	cmp_ok(scalar(@missed), '<=', $unreached,
		"$round: every new row the graph links to is its own nearest neighbour (missed: @missed)");
	is(check_index($node, 'u_idx', 1)->{live}, 510, "$round: checker passes with 510 live elements");

	$node->safe_psql('postgres', 'DROP INDEX u_idx; TRUNCATE u');
}

is(check_index($node, 'l_idx', 1)->{live}, 1000, 'the logged index survived both crashes intact');

unlike(slurp_file($node->logfile), qr/terminated by signal|PANIC/,
	'no server process died of a signal and nothing PANICked');

$node->stop;
done_testing();
