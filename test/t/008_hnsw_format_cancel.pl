# An index whose metapage carries an unknown format version gives a clean
# ERROR with a REINDEX hint; a build cancelled by statement_timeout ends in a
# clean cancel (57014) and leaves no index behind; the server survives both.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VectorExtTest;

my $node = vx_node('format');
make_clustered_table($node, 't', 20000, 64);
$node->safe_psql('postgres', 'CREATE INDEX t_idx ON t USING hnsw (v vector_l2_ops)');

# patch the format version (4 bytes after the magic number at the start of
# the metapage contents, which follow the 24-byte page header)
my $path = $node->data_dir . '/' . $node->safe_psql('postgres', "SELECT pg_relation_filepath('t_idx')");
$node->stop;
open(my $fh, '+<:raw', $path) or die "open $path: $!";
seek($fh, 28, 0);
print $fh pack('V', 99);
close($fh);
$node->start;
my $start = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET enable_seqscan = off; SELECT id FROM t ORDER BY v <-> (SELECT v FROM t WHERE id = 1) LIMIT 1",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
isnt($ret, 0, 'a scan of an index of unknown version fails');
like($stderr, qr/XX002: index "t_idx" has on-disk format version 99/, 'with ERRCODE_INDEX_CORRUPTED naming the version');
like($stderr, qr/HINT:  Please REINDEX it/, 'and a REINDEX hint');
($ret, $stdout, $stderr) = $node->psql('postgres', "INSERT INTO t SELECT 0, v FROM t WHERE id = 1");
like($stderr, qr/format version 99/, 'an insert fails the same way');
$node->safe_psql('postgres', 'REINDEX INDEX t_idx');
is($node->safe_psql('postgres',
	"SET enable_seqscan = off; SELECT id FROM t ORDER BY v <-> (SELECT v FROM t WHERE id = 1) LIMIT 1"),
	'1', 'REINDEX makes the index usable again');

# cancel a build
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET statement_timeout = '200ms'; CREATE INDEX t_idx2 ON t USING hnsw (v vector_cosine_ops)",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($stderr, qr/57014: canceling statement due to statement timeout/, 'a build is cancelled with 57014');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_class WHERE relname = 't_idx2'"), '0',
	'the cancelled build leaves no index');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET statement_timeout = '200ms'; SET max_parallel_maintenance_workers = 1; SET min_parallel_table_scan_size = 0; CREATE INDEX t_idx2 ON t USING hnsw (v vector_cosine_ops)",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($stderr, qr/57014: canceling statement due to statement timeout/, 'a threaded build is cancelled with 57014');

# cancel a wide iterative scan
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET statement_timeout = '20ms'; SET enable_seqscan = off; SET hnsw.iterative_scan = strict_order; SET hnsw.max_scan_tuples = 1000000; SET work_mem = '1GB';
	 SELECT count(*) FROM (SELECT id FROM t WHERE id + 0 < 0 ORDER BY v <-> (SELECT v FROM t WHERE id = 1) LIMIT 10) s",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($stderr, qr/57014: canceling statement due to statement timeout/, 'an iterative scan is cancelled with 57014');

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $start,
	'the postmaster never restarted');
check_index($node, 't_idx', 1);
pass('checker passes');
$node->stop;
done_testing();
