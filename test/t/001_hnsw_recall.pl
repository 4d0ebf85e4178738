# Recall of the hnsw index against exact search on clustered data, for every
# operator class; a build under a tiny maintenance_work_mem (the slower
# on-disk path) and a build with a parallel worker reach the same recall.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VectorExtTest;

my $node = vx_node('recall', conf => "max_parallel_maintenance_workers = 0\n");
make_clustered_table($node, 't', 10000, 64);
make_queries($node, 't', 'q', 100);

my %classes = (
	vector_l2_ops => [ '<->', 0.99 ],
	vector_cosine_ops => [ '<=>', 0.99 ],
	vector_ip_ops => [ '<#>', 0.97 ],
	vector_l1_ops => [ '<+>', 0.99 ],);

for my $class (sort keys %classes)
{
	my ($op, $min) = @{ $classes{$class} };
	$node->safe_psql('postgres', "CREATE INDEX t_idx ON t USING hnsw (v $class)");
	my $plan = $node->safe_psql('postgres',
		"SET enable_seqscan = off; EXPLAIN (COSTS OFF) SELECT id FROM t ORDER BY v $op (SELECT v FROM q WHERE id = 1) LIMIT 10");
	like($plan, qr/Index Scan using t_idx/, "$class: the planner uses the index");
	my $recall = recall_at_k($node, 't', 'q', $op, 10, 'SET hnsw.ef_search = 100;');
	cmp_ok($recall, '>=', $min, "$class: recall\@10 $recall >= $min at ef_search 100");
	my $check = check_index($node, 't_idx', 1);
	is($check->{live}, 10000, "$class: checker sees 10000 live elements");
	$node->safe_psql('postgres', 'DROP INDEX t_idx');
}

# tiny maintenance_work_mem: the build spills to the on-disk insert path
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET maintenance_work_mem = '1MB'; CREATE INDEX t_idx ON t USING hnsw (v vector_l2_ops)");
is($ret, 0, 'build under 1MB maintenance_work_mem succeeds');
like($stderr, qr/hnsw graph no longer fits into maintenance_work_mem/, 'the build says it took the slower path');
my $recall = recall_at_k($node, 't', 'q', '<->', 10, 'SET hnsw.ef_search = 100;');
cmp_ok($recall, '>=', 0.99, "spilled build: recall\@10 $recall >= 0.99");
is(check_index($node, 't_idx', 1)->{live}, 10000, 'spilled build: checker passes');
$node->safe_psql('postgres', 'DROP INDEX t_idx');

# one parallel worker: the graph is linked by two threads
$node->safe_psql('postgres',
	"SET max_parallel_maintenance_workers = 1; SET min_parallel_table_scan_size = 0; CREATE INDEX t_idx ON t USING hnsw (v vector_l2_ops)");
$recall = recall_at_k($node, 't', 'q', '<->', 10, 'SET hnsw.ef_search = 100;');
cmp_ok($recall, '>=', 0.99, "parallel build: recall\@10 $recall >= 0.99");
is(check_index($node, 't_idx', 1)->{live}, 10000, 'parallel build: checker passes');

$node->stop;
done_testing();
