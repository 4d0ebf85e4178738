# Filtered queries: WHERE category = x ORDER BY v <-> q LIMIT 10 returns the
# full LIMIT with iterative scans at 10% and 1% selectivity; with iterative
# scans off it may return fewer (at most ef_search candidates are examined).
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VectorExtTest;

my $node = vx_node('filtered');
make_clustered_table($node, 't', 10000, 32,
	extra_columns => ', cat10 int, cat100 int',
	extra_values => ', i % 10, i % 100');
make_queries($node, 't', 'q', 20);
$node->safe_psql('postgres', 'CREATE INDEX t_idx ON t USING hnsw (v vector_l2_ops)');

sub counts
{
	my ($settings, $col, $value) = @_;
	return query_ids($node, 't', 'q', '<->', 10, "SET enable_seqscan = off; $settings",
		"WHERE $col = $value");
}

for my $case ([ 'cat10', 3, '10%' ], [ 'cat100', 42, '1%' ])
{
	my ($col, $value, $label) = @$case;
	my $exact = exact_ids($node, 't', 'q', '<->', 10, "WHERE $col = $value");

	my $off = counts('SET hnsw.iterative_scan = off;', $col, $value);
	my $short = grep { @{ $off->{$_} } < 10 } keys %$off;
	ok($short > 0, "$label: with iterative scan off, $short of 20 queries return fewer than 10 rows");

	for my $mode ('relaxed_order', 'strict_order')
	{
		my $res = counts("SET hnsw.iterative_scan = $mode;", $col, $value);
		my $full = grep { @{ $res->{$_} } == 10 } keys %$res;
		is($full, 20, "$label, $mode: all 20 queries return 10 rows");
		my ($hit, $total) = (0, 0);
		for my $qid (keys %$exact)
		{
			my %want = map { $_ => 1 } @{ $exact->{$qid} };
			$hit += grep { $want{$_} } @{ $res->{$qid} };
			$total += 10;
		}
		cmp_ok($hit / $total, '>=', 0.95, "$label, $mode: recall\@10 of the filtered query " . $hit / $total);
	}
}

# strict_order returns rows in ascending distance
my $ordered = $node->safe_psql(
	'postgres', q{
	SET enable_seqscan = off; SET hnsw.iterative_scan = strict_order;
	SELECT bool_and(d >= prev) FROM (
		SELECT d, lag(d, 1, 0) OVER (ORDER BY n) AS prev FROM (
			SELECT row_number() OVER () AS n, d FROM (
				SELECT v <-> (SELECT v FROM q WHERE id = 1) AS d FROM t WHERE cat100 = 7
				ORDER BY v <-> (SELECT v FROM q WHERE id = 1) LIMIT 50) s) s2) s3
});
is($ordered, 't', 'strict_order: distances never decrease');

check_index($node, 't_idx', 1);
pass('checker passes');
$node->stop;
done_testing();
