# Damaged index pages on a cluster with data checksums: one byte of an hnsw
# index page is changed on disk (the metapage, a page in the middle, the
# last page; in the page header, in an element and in the free space) and
# the server restarted.  Reading that page is an ERROR with SQLSTATE XX001
# ("invalid page in block ..."), from the scans that reach it, the checker,
# inserts and VACUUM; never a crash.  Once the file is restored, everything
# works again.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use File::Copy;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VectorExtTest;

my $node = vx_node('checksums', init => { extra => ['--data-checksums'] },
	conf => "log_statement = none\nautovacuum = off\n");
is($node->safe_psql('postgres', 'SHOW data_checksums'), 'on', 'the cluster has data checksums');
make_clustered_table($node, 't', 3000, 16);
$node->safe_psql('postgres', 'CREATE INDEX t_idx ON t USING hnsw (v vector_l2_ops)');
$node->safe_psql('postgres', 'VACUUM ANALYZE t; CHECKPOINT');
my $datadir = $node->data_dir;
my $file = "$datadir/" . $node->safe_psql('postgres', "SELECT pg_relation_filepath('t_idx')");
my $nblocks = $node->safe_psql('postgres', "SELECT pg_relation_size('t_idx') / 8192");
my $q = '(SELECT v FROM t WHERE id = 7)';
# every fork of the table and its indexes, put back before each case (the
# statements below change them)
my @files;
for my $rel (qw(t t_pkey t_idx))
{
	my $path = $node->safe_psql('postgres', "SELECT pg_relation_filepath('$rel')");
	push @files, grep { -f "$datadir/$_" } map { "$path$_" } ('', '_fsm', '_vm');
}
$node->stop;
my $pristine = PostgreSQL::Test::Utils::tempdir;
for my $f (@files)
{
	(my $flat = $f) =~ s{/}{_}g;
	copy("$datadir/$f", "$pristine/$flat") or die "copy $f: $!";
}
sub restore_all
{
	for my $f (@files)
	{
		(my $flat = $f) =~ s{/}{_}g;
		copy("$pristine/$flat", "$datadir/$f") or die "restore $f: $!";
	}
}

# Statements that read the index: each either reaches the damaged page
# (then an XX001 ERROR) or not (then a result); the full iterative scan, the
# checker and VACUUM read every page.
my @statements = (
	[ 'ordered scan', "SET enable_seqscan = off; SELECT count(*) FROM (SELECT id FROM t ORDER BY v <-> $q LIMIT 10) s", 0 ],
	[
		'iterative scan of the whole index',
		"SET enable_seqscan = off; SET hnsw.iterative_scan = relaxed_order; SET hnsw.max_scan_tuples = 100000; "
		  . "SELECT count(*) FROM (SELECT id FROM t WHERE id + 0 < 0 ORDER BY v <-> $q LIMIT 5) s",
		1
	],
	[ 'checker', "SELECT * FROM vector_ext_hnsw_check('t_idx', true)", 1 ],
	[ 'insert', "INSERT INTO t (id, v) SELECT -id, v FROM t WHERE id BETWEEN 1 AND 20", 0 ],
	[ 'VACUUM', 'DELETE FROM t WHERE id % 10 = 0; VACUUM t', 1 ],
);

my @cases = (
	[ 'metapage, magic number', 0, 24 ],
	[ 'metapage, page header', 0, 13 ],
	[ 'middle page, an element', int($nblocks / 2), undef ],
	[ 'middle page, free space', int($nblocks / 2), 'free' ],
	[ 'last page, line pointer', $nblocks - 1, 24 ],
	[ 'first data page, special space', 1, 8190 ],
);
for my $case (@cases)
{
	my ($label, $blk, $where) = @$case;
	restore_all();
	open(my $fh, '+<:raw', $file) or die "open: $!";
	sysseek($fh, $blk * 8192, 0);
	sysread($fh, my $page, 8192) == 8192 or die 'short read';
	my ($lower, $upper) = unpack('v2', substr($page, 12, 4));
	my $off =
	    !defined $where ? $upper + 8
	  : $where eq 'free' ? int(($lower + $upper) / 2)
	  : $where;
	substr($page, $off, 1) = chr(ord(substr($page, $off, 1)) ^ 0x5a);
	sysseek($fh, $blk * 8192, 0);
	syswrite($fh, $page) == 8192 or die 'short write';
	close $fh;

	$node->start;
	my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
	for my $st (@statements)
	{
		my ($what, $sql, $reads_all) = @$st;
		my ($ret, $out, $err) = $node->psql('postgres', $sql, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
		my @errors = grep { /ERROR:/ } split /\n/, $err;
		if ($reads_all || $blk == 0)
		{
			like(
				$errors[0] // '',
				qr/ERROR:  XX001: invalid page in block $blk of relation/,
				"$label (block $blk, byte $off): $what fails with XX001 invalid page");
		}
		else
		{
			ok(!@errors || $errors[0] =~ /ERROR:  XX001: invalid page in block $blk of relation/,
				"$label (block $blk, byte $off): $what gives a result or XX001 invalid page")
			  or diag($err);
		}
	}
	is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $start_time,
		"$label: the postmaster did not restart");
	$node->stop;
}

# restored, everything works
restore_all();
$node->start;
unlike(slurp_file($node->logfile), qr/terminated by signal|PANIC|TRAP:/, 'no process died of a signal');
like(slurp_file($node->logfile), qr/page verification failed, calculated checksum \d+ but expected \d+/,
	'the damage was found by the page checksums');
my $check = check_index_ok($node, 't_idx', 'the restored index');
is($node->safe_psql('postgres', "SET enable_seqscan = off; SELECT count(*) FROM (SELECT id FROM t ORDER BY v <-> $q LIMIT 10) s"),
	'10', 'the restored index serves scans');
$node->stop;
done_testing();
