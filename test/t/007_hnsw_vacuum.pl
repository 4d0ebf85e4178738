# VACUUM removes dead rows from the graph and repairs it:
#  - delete 75%, vacuum: recall on the rest stays >= 0.95;
#  - delete all but one, vacuum: the index returns exactly that row;
#  - delete all, vacuum, reinsert: the index grows by at most 2%.
# INDEX_CLEANUP ON: VACUUM skips index vacuuming when only a few rows died.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VectorExtTest;

my $node = vx_node('vacuum', conf => "autovacuum = off\n");
make_clustered_table($node, "t", 8000, 64);
make_queries($node, 't', 'q', 50);
$node->safe_psql('postgres', 'CREATE INDEX t_idx ON t USING hnsw (v vector_l2_ops) ');

# 75% deleted
$node->safe_psql('postgres', 'DELETE FROM t WHERE id % 4 <> 0; VACUUM (INDEX_CLEANUP ON) t;');
my $check = check_index($node, 't_idx', 1);
is($check->{live}, 2000, 'after deleting 75%: 2000 live elements');
is($check->{dead}, 0, 'no element is left dead after VACUUM');
is($check->{links_to_free}, 0, 'no live element links to a freed slot');
my $recall = recall_at_k($node, 't', 'q', '<->', 10, 'SET hnsw.ef_search = 100;');
cmp_ok($recall, '>=', 0.95, "after deleting 75%: recall\@10 $recall >= 0.95");

# all but one
$node->safe_psql('postgres', 'DELETE FROM t WHERE id <> 4000; VACUUM (INDEX_CLEANUP ON) t;');
my $ids = $node->safe_psql('postgres',
	'SET enable_seqscan = off; SELECT id FROM t ORDER BY v <-> (SELECT v FROM q WHERE id = 1) LIMIT 10');
is($ids, '4000', 'after deleting all but one row: the index returns exactly that row');
is(check_index($node, 't_idx', 1)->{live}, 1, 'checker: one live element');

# all deleted, then the same number of rows again
my $size_before = $node->safe_psql('postgres', "SELECT pg_relation_size('t_idx')");
$node->safe_psql('postgres', 'DELETE FROM t; VACUUM (INDEX_CLEANUP ON) t;');
$check = check_index($node, 't_idx', 1);
is($check->{live}, 0, 'after deleting everything: no live element');
$ids = $node->safe_psql('postgres',
	'SET enable_seqscan = off; SELECT count(*) FROM (SELECT id FROM t ORDER BY v <-> (SELECT v FROM q WHERE id = 1) LIMIT 10) s');
is($ids, '0', 'an empty index returns no rows');
$node->safe_psql('postgres', q{
	INSERT INTO t SELECT i, (SELECT array_agg(x + ((random() + random() + random() - 1.5) * 4)::real)
	                  FROM unnest((SELECT v FROM t_centers WHERE c = 1 + i % 10)) x)::vector
	FROM generate_series(1, 8000) i;
});
my $size_after = $node->safe_psql('postgres', "SELECT pg_relation_size('t_idx')");
cmp_ok($size_after / $size_before, '<=', 1.02,
	"delete all, vacuum, reinsert: size $size_before -> $size_after, within 2%");
is(check_index($node, 't_idx', 1)->{live}, 8000, 'checker: 8000 live elements after reinsert');
$recall = recall_at_k($node, 't', 'q', '<->', 10, 'SET hnsw.ef_search = 100;');
cmp_ok($recall, '>=', 0.95, "after reinsert: recall\@10 $recall >= 0.95");

$node->stop;
done_testing();
