# Inserts concurrent with VACUUM, no crash involved (found by the crash
# cycles of 030): four pgbench clients insert single rows and delete each
# row two transactions after inserting it, while a fifth runs VACUUM every
# 200 ms.  An insert must not link to an element that VACUUM has marked
# DEAD: once VACUUM frees the element, a later insert reuses its slot, and
# the link then leads to an unrelated element (the checker reports a link on
# level L to an element of a lower level).  Afterwards the checker passes,
# and again after a last VACUUM, with one live element per row.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VectorExtTest;

my $seconds = $ENV{VX_SOAK} ? 120 : 20;
my $node = vx_node('race', conf => "log_statement = none\nautovacuum = off\n");
make_clustered_table($node, 't', 3000, 16);
$node->safe_psql('postgres', 'CREATE INDEX t_idx ON t USING hnsw (v vector_l2_ops)');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $vec = clustered_vector_sql('t', ':c');
append_to_file(
	"$tmp/ins_del.sql", qq{
\\set n :n + 1
\\set id 100000 + :client_id * 1000000 + :n
\\set c 1 + :id % 10
\\if :n % 3 = 0
DELETE FROM t WHERE id = :id - 2;
\\else
INSERT INTO t (id, v) VALUES (:id, $vec);
\\endif
});
append_to_file("$tmp/vacuum.sql", "VACUUM t;\n\\sleep 200 ms\n");

my $pgbench = $node->installed_command('pgbench');
my @common = ('-n', '-h', $node->host, '-p', $node->port, '-T', $seconds);
my ($o1, $e1, $o2, $e2) = ('', '', '', '');
my $load = IPC::Run::start([ $pgbench, @common, '-c', 4, '-R', 1000, '-D', 'n=0', '-f', "$tmp/ins_del.sql", 'postgres' ],
	'<', \undef, '>', \$o1, '2>', \$e1);
my $vacuum = IPC::Run::start([ $pgbench, @common, '-c', 1, '-f', "$tmp/vacuum.sql", 'postgres' ],
	'<', \undef, '>', \$o2, '2>', \$e2);
$load->finish;
$vacuum->finish;
is($load->full_result(0), 0, 'the inserting and deleting clients ran without error') or diag($e1);
is($vacuum->full_result(0), 0, 'the VACUUM client ran without error') or diag($e2);
my ($tx) = $o1 =~ /number of transactions actually processed: (\d+)/;
note "$tx insert and delete transactions; VACUUM ran " . (($o2 =~ /actually processed: (\d+)/)[0] // '?') . ' times';

check_index_ok($node, 't_idx', 'after concurrent inserts, deletes and VACUUM');
# INDEX_CLEANUP ON: with the few rows deleted since the last VACUUM, VACUUM
# would otherwise skip the index (PostgreSQL's bypass below 2% of the pages)
$node->safe_psql('postgres', 'VACUUM (FREEZE, INDEX_CLEANUP ON) t');
my $check = check_index_ok($node, 't_idx', 'after a last VACUUM');
my $rows = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
is($check->{live}, $rows, "$rows rows, as many live elements") if $check;
cmp_ok($check->{unreachable}, '<=', max_unreachable($rows), "the graph links to all but $check->{unreachable} rows")
  if $check;
$node->stop;
done_testing();
