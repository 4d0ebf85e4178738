# Concurrent single-row inserts into an hnsw index created on an empty table:
# pgbench clients race on the same graph pages.  Afterwards no row is lost,
# every row is reachable through the index (but for the handful of nodes any
# HNSW graph may leave without links), recall matches a fresh build's
# target, and the structural checker (with heapallindexed) passes.  The L2
# class gets the full 10 clients x 1000 inserts; cosine and inner product a
# smaller run of 4 clients x 500.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VectorExtTest;

my $node = vx_node('concurrent', conf => "autovacuum = off\nmax_connections = 40\n");

# name, operator class, operator, clients, transactions per client, dims, min recall
my @runs = (
	[ 't', 'vector_l2_ops', '<->', 10, 1000, 32, 0.99 ],
	[ 'tc', 'vector_cosine_ops', '<=>', 4, 500, 32, 0.99 ],
	[ 'ti', 'vector_ip_ops', '<#>', 4, 500, 64, 0.97 ],);

for my $run (@runs)
{
	my ($t, $class, $op, $clients, $xacts, $dim, $min_recall) = @$run;
	my $total = $clients * $xacts;

	# empty table (its centres table is made too), an id sequence, the index
	make_clustered_table($node, $t, 0, $dim);
	$node->safe_psql(
		'postgres', qq{
		CREATE SEQUENCE ${t}_id_seq OWNED BY $t.id;
		ALTER TABLE $t ALTER id SET DEFAULT nextval('${t}_id_seq');
		CREATE INDEX ${t}_idx ON $t USING hnsw (v $class);
	});
	is(check_index($node, "${t}_idx", 1)->{elements},
		0, "$class: the index starts empty");

	# The data set is fixed: pgbench's seeded generator picks each row's centre
	# and a seed for the server's random(), which draws the noise; only the
	# interleaving of the clients varies from run to run.
	my $centers = $node->safe_psql('postgres', "SELECT count(*) FROM ${t}_centers");
	my $vec = clustered_vector_sql($t, ':c');
	$node->pgbench(
		"--no-vacuum --client=$clients --jobs=2 --transactions=$xacts --random-seed=4242",
		0,
		[
			qr{number of transactions actually processed: $total/$total},
			qr{number of failed transactions: 0 }
		],
		[qr{^(pgbench: setting random seed to 4242\n)?$}],
		"$class: $clients clients x $xacts single-row inserts",
		{
			"002_insert_$t" => "\\set c random(1, $centers)\n"
			  . "\\set s random(1, 1000000000)\n"
			  . "SELECT setseed(:s / 1000000000.0);\n"
			  . "INSERT INTO $t (v) VALUES ($vec);\n"
		});

	is( $node->safe_psql('postgres', "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM $t"),
		"$total|$total|1|$total",
		"$class: exactly $total rows, ids 1..$total");

	make_queries($node, $t, "${t}_q", 100);
	my $q = $node->safe_psql('postgres', "SELECT v FROM ${t}_q WHERE id = 1");
	my $scan = "SELECT count(*) FROM (SELECT id FROM $t ORDER BY v $op '$q' LIMIT $total) s";
	like(
		index_plan($node, $scan, 'SET hnsw.iterative_scan = relaxed_order;'),
		qr/Index Scan using ${t}_idx/,
		"$class: the reachability scan goes through the index");
	# an iterative scan returns every row (the few nodes HNSW's pruning may
	# leave without links come from its final sweep); the graph itself leaves
	# at most a few unreachable (not counted for inner product: see
	# max_unreachable)
	is(index_reachable_count($node, $t, $op, "'$q'", $total), $total,
		"$class: all $total rows are reachable through the index with an iterative scan");
	if ($op ne '<#>')
	{
		my $unreached = check_index($node, "${t}_idx", 0)->{unreachable};
		cmp_ok($unreached, '<=', max_unreachable($total),
			"$class: the graph links to all but $unreached of $total rows");
	}

	my $recall = recall_at_k($node, $t, "${t}_q", $op, 10, 'SET hnsw.ef_search = 100;');
	cmp_ok($recall, '>=', $min_recall,
		"$class: recall\@10 $recall >= $min_recall at ef_search 100");

	my $check = check_index($node, "${t}_idx", 1);
	is($check->{live}, $total, "$class: checker passes and sees $total live elements");
	is($check->{dead} + $check->{free}, 0, "$class: no dead or free elements");
}

unlike(slurp_file($node->logfile), qr/terminated by signal|PANIC/,
	'no server process died of a signal and nothing PANICked');

$node->stop;
done_testing();
