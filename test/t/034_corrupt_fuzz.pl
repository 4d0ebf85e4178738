# Damaged index pages without data checksums: random bytes of hnsw index
# pages are overwritten (anywhere in a page, in the page header and line
# pointers, at the start of items, in the fixed fields of element tuples or
# of freed ones, in the metapage, in the special space, or single bits), at
# least 100 trials,
# on indexes that hold live, freed and soon dead elements, and each trial
# runs on the
# damaged index an ordered scan, an iterative scan that walks the whole graph
# and sweeps the pages, the checker, an insert, and a DELETE with VACUUM.
# Every one of them must end in a result or an ERROR: the postmaster never
# restarts and no process dies of a signal.
#
# Eight tables with an index each (different dimensions, m and operator
# classes) take one damaged index per round; between rounds the server is
# stopped and every table and index file is put back from a pristine copy.
# Each damage is logged (table, block, offset, old and new byte) so that a
# failure can be replayed.
#
# VX_SOAK=1 runs ten times as many rounds; VX_SEED sets the random seed.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use File::Copy;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VectorExtTest;

my $rounds = ($ENV{VX_SOAK} ? 10 : 1) * 13;
my $seed = $ENV{VX_SEED} // 34034;
srand($seed);
note "seed $seed";

my $node = vx_node('fuzz', conf => "log_statement = none\nautovacuum = off\nlog_min_messages = warning\n");
my @tables = (
	[ 'c1', 3, 4, 'vector_l2_ops' ],
	[ 'c2', 8, 8, 'vector_l2_ops' ],
	[ 'c3', 16, 16, 'vector_l2_ops' ],
	[ 'c4', 40, 16, 'vector_cosine_ops' ],
	[ 'c5', 8, 4, 'vector_ip_ops' ],
	[ 'c6', 16, 8, 'vector_l1_ops' ],
	[ 'c7', 3, 16, 'vector_cosine_ops' ],
	[ 'c8', 24, 32, 'vector_l2_ops' ],
	[ 'c9', 400, 8, 'vector_l2_ops' ], # split elements: heads and tails
);
my %ops = (vector_l2_ops => '<->', vector_cosine_ops => '<=>', vector_ip_ops => '<#>', vector_l1_ops => '<+>');
for my $t (@tables)
{
	my ($name, $dim, $m, $opclass) = @$t;
	$node->safe_psql(
		'postgres', qq{
		SELECT setseed(0.$dim$m);
		CREATE TABLE $name (id int, v vector($dim));
		INSERT INTO $name SELECT i, (SELECT array_agg((random() * 10 - 5 + (i % 7) * 0 + g * 0)::real) FROM generate_series(1, $dim) g)::vector
		  FROM generate_series(1, 1500) i;
		CREATE INDEX ${name}_idx ON $name USING hnsw (v $opclass) WITH (m = $m, ef_construction = @{[ 2 * $m + 16 ]});
		DELETE FROM $name WHERE id % 5 = 0;
	});
	# freed elements (which inserts reuse), then rows VACUUM has yet to remove
	$node->safe_psql('postgres', "VACUUM ANALYZE $name");
	$node->safe_psql('postgres', "DELETE FROM $name WHERE id % 7 = 0");
}
$node->safe_psql('postgres', 'CHECKPOINT');

# the files to restore: every fork of each table, the index's main fork
my $datadir = $node->data_dir;
my (%files, %index_file, %query);
for my $t (@tables)
{
	my ($name, $dim) = @$t;
	my $heap = $node->safe_psql('postgres', "SELECT pg_relation_filepath('$name')");
	$index_file{$name} = $node->safe_psql('postgres', "SELECT pg_relation_filepath('${name}_idx')");
	$files{$name} = [ grep { -f "$datadir/$_" } map { "$heap$_" } ('', '_fsm', '_vm') ];
	push @{ $files{$name} }, $index_file{$name};
	$query{$name} = $node->safe_psql('postgres', "SELECT v FROM $name WHERE id = 3");
	die "no query vector for $name" if $query{$name} eq '';
}
$node->stop;
my $pristine = PostgreSQL::Test::Utils::tempdir;
for my $name (keys %files)
{
	for my $f (@{ $files{$name} })
	{
		(my $flat = $f) =~ s{/}{_}g;
		copy("$datadir/$f", "$pristine/$flat") or die "copy $f: $!";
	}
}

sub restore_all
{
	for my $name (keys %files)
	{
		for my $f (@{ $files{$name} })
		{
			(my $flat = $f) =~ s{/}{_}g;
			copy("$pristine/$flat", "$datadir/$f") or die "restore $f: $!";
		}
	}
}

# Overwrite bytes of an index file; returns a description of the damage.
my @strategies = qw(anywhere header items elements free-elements metapage special bitflip);
sub damage
{
	my ($name, $strategy) = @_;
	my $path = "$datadir/$index_file{$name}";
	my $size = -s $path;
	my $nblocks = int($size / 8192);
	open(my $fh, '+<:raw', $path) or die "open $path: $!";
	my @done;
	my $npages = 1 + int(rand(3));
	for (1 .. $npages)
	{
		# inserts take the freed slots of the first pages first
		my $blk =
		    $strategy eq 'metapage' ? 0
		  : $strategy eq 'free-elements' ? 1 + int(rand(2))
		  : int(rand($nblocks));
		sysseek($fh, $blk * 8192, 0);
		sysread($fh, my $page, 8192) == 8192 or die "short read";
		my ($lower, $upper, $special) = unpack('v3', substr($page, 12, 6));
		my $nbytes = 1 + int(rand(6));
		for (1 .. $nbytes)
		{
			my $off;
			if ($strategy eq 'anywhere' || $strategy eq 'bitflip')
			{
				$off = int(rand(8192));
			}
			elsif ($strategy eq 'header')
			{
				# the page header or the line pointers
				$off = int(rand($lower > 24 && $lower <= 8192 ? $lower : 24));
			}
			elsif ($strategy eq 'items')
			{
				# the first bytes of an item: type, level, state, TIDs, count
				my $nitems = $lower > 24 && $lower <= 8192 ? int(($lower - 24) / 4) : 0;
				if ($nitems)
				{
					my $lp = unpack('V', substr($page, 24 + 4 * int(rand($nitems)), 4));
					$off = ($lp & 0x7fff) + int(rand(20));
				}
				$off = int(rand(8192)) if !defined $off || $off >= 8192;
			}
			elsif ($strategy eq 'elements' || $strategy eq 'free-elements')
			{
				# the fixed fields of an element (a freed one): level, state, TIDs
				my $nitems = $lower > 24 && $lower <= 8192 ? int(($lower - 24) / 4) : 0;
				my @elems;
				for my $i (1 .. $nitems)
				{
					my $lpoff = unpack('V', substr($page, 20 + 4 * $i, 4)) & 0x7fff;
					push @elems, $lpoff
					  if $lpoff > 0
					  && $lpoff < 8190
					  && ord(substr($page, $lpoff, 1)) == 1
					  && ($strategy eq 'elements' || ord(substr($page, $lpoff + 2, 1)) == 2);
				}
				$off = $elems[ int(rand(@elems)) ] + 1 + int(rand(15)) if @elems;
				$off = int(rand(8192)) if !defined $off || $off >= 8192;
			}
			elsif ($strategy eq 'metapage')
			{
				$off = int(rand(64));
			}
			else    # special
			{
				$off = 8192 - 1 - int(rand(8));
			}
			my $old = ord(substr($page, $off, 1));
			my $new = $strategy eq 'bitflip' ? $old ^ (1 << int(rand(8))) : int(rand(256));
			$new = ($old + 1) % 256 if $new == $old;
			substr($page, $off, 1) = chr($new);
			push @done, sprintf('block %d offset %d: %d -> %d', $blk, $off, $old, $new);
		}
		sysseek($fh, $blk * 8192, 0);
		syswrite($fh, $page) == 8192 or die "short write";
	}
	close $fh;
	return "$name ($strategy): " . join('; ', @done);
}

# The statements of one trial, each after a marker on stderr.
sub trial_sql
{
	my ($name, $op) = @_;
	my $q = "'$query{$name}'";
	return qq{\\set VERBOSITY verbose
SET statement_timeout = '30s';
SET enable_seqscan = off;
\\warn MARK ordered-scan
SELECT count(*) FROM (SELECT id FROM $name ORDER BY v $op $q LIMIT 10) s;
\\warn MARK iterative-scan
SET hnsw.iterative_scan = relaxed_order;
SET hnsw.max_scan_tuples = 100000;
SELECT count(*) FROM (SELECT id FROM $name WHERE id + 0 < 0 ORDER BY v $op $q LIMIT 5) s;
RESET hnsw.iterative_scan;
\\warn MARK checker
SELECT * FROM vector_ext_hnsw_check('${name}_idx', true);
\\warn MARK insert
BEGIN;
INSERT INTO $name (id, v) SELECT -id, v FROM $name WHERE id BETWEEN 1 AND 5;
ROLLBACK;
\\warn MARK vacuum
DELETE FROM $name WHERE id % 25 = 0;
VACUUM $name;
\\warn MARK end
};
}

my %outcomes;    # statement => outcome => count
my %unusual;     # SQLSTATE and message of other errors => count
my @crashes;
my @hangs;
my $trials = 0;
my $start_time;
for my $round (1 .. $rounds)
{
	restore_all();
	my %damage;
	for my $t (@tables)
	{
		$damage{ $t->[0] } = damage($t->[0], $strategies[ int(rand(@strategies)) ]);
	}
	$node->start;
	$start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
	for my $t (@tables)
	{
		my ($name, $dim, $m, $opclass) = @$t;
		$trials++;
		my ($ret, $out, $err) = $node->psql('postgres', trial_sql($name, $ops{$opclass}), on_error_stop => 0);
		# stderr in segments, one per statement: its first ERROR is the outcome
		my ($stmt, %first) = ('setup');
		my @order;
		for my $line (split /\n/, $err)
		{
			$line =~ s/^psql:<stdin>:\d+: //;
			if ($line =~ /^MARK (\S+)/)
			{
				$stmt = $1;
				push @order, $stmt;
				next;
			}
			if ($line =~ /^(?:ERROR|FATAL|PANIC):  (\w{5}): (.*)/ && !defined $first{$stmt})
			{
				my ($code, $msg) = ($1, $2);
				$first{$stmt} = $code;
				# errors other than "index corrupted" and "data corrupted"
				$msg =~ s/\d+/N/g;
				$unusual{"$code $msg"}++ unless $code eq 'XX002' || $code eq 'XX001';
			}
		}
		for my $s (grep { $_ ne 'end' } @order)
		{
			my $outcome = $first{$s} // 'ok';
			$outcomes{$s}{$outcome}++;
			push @hangs, "$damage{$name}: $s" if $outcome eq '57014';
		}
		my ($alive, $now) = $node->psql('postgres', 'SELECT pg_postmaster_start_time()');
		if ($alive != 0 || $now ne $start_time || $err =~ /server closed the connection|connection to server was lost/)
		{
			push @crashes, "$damage{$name}: died during $stmt";
			diag("server died: $damage{$name}, during $stmt\n$err");
			$node->stop('immediate', fail_ok => 1);
			$node->start;
			$start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
		}
		else
		{
			note $damage{$name};
		}
	}
	$node->stop('fast');
}
restore_all();

note "$trials trials";
for my $stmt (qw(ordered-scan iterative-scan checker insert vacuum))
{
	note "$stmt: " . join(', ', map { "$_ $outcomes{$stmt}{$_}" } sort keys %{ $outcomes{$stmt} });
}
note "other errors: $_ ($unusual{$_})" for sort keys %unusual;
cmp_ok($trials, '>=', 100, "$trials trials with damaged index pages");
is(scalar(@crashes), 0, 'no damaged page crashed the server') or diag(join("\n", @crashes));
is(scalar(@hangs), 0, 'no statement ran into the 30 s timeout') or diag(join("\n", @hangs));
my ($erred, $own) = (0, 0);
for my $stmt (keys %outcomes)
{
	$erred += $outcomes{$stmt}{$_} for grep { $_ ne 'ok' } keys %{ $outcomes{$stmt} };
	# syntax errors and undefined objects would be the test's own fault
	$own += $outcomes{$stmt}{$_} for grep { /^42|^22P02/ } keys %{ $outcomes{$stmt} };
}
cmp_ok($erred, '>', 0, "$erred statements ended in an ERROR: the damage was seen");
is($own, 0, 'no statement failed for a reason of its own');
for my $stmt (qw(ordered-scan iterative-scan checker insert vacuum))
{
	cmp_ok($outcomes{$stmt}{ok} // 0, '>', 0, "$stmt succeeded on some damaged indexes");
}

$node->start;
unlike(slurp_file($node->logfile), qr/terminated by signal|PANIC|TRAP:/, 'no process died of a signal');
for my $t (@tables)
{
	check_index_ok($node, "$t->[0]_idx", 'the restored index');
}
$node->stop;
done_testing();
