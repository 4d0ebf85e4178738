# Shared helpers for vector_ext's TAP tests: clusters with the extension,
# seeded clustered data generated in SQL, recall against exact search, and
# the structural checker.
package VectorExtTest;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Exporter 'import';

our @EXPORT = qw(vx_node make_clustered_table make_queries recall_at_k check_index
  query_ids exact_ids clustered_vector_sql add_clustered_rows index_reachable_count
  index_plan max_unreachable self_lookup_failures crash_server check_index_ok
  describe_index_items);

# A started node with the extension created in database postgres.
sub vx_node
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%{ $opts{init} // {} });
	$node->append_conf('postgresql.conf', $opts{conf}) if $opts{conf};
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION vector_ext');
	return $node;
}

# $n rows of $dim-d vectors around $centers seeded centres (Gaussian-like
# noise), in table $table (id int primary key, v vector($dim)).
sub make_clustered_table
{
	my ($node, $table, $n, $dim, %opts) = @_;
	my $centers = $opts{centers} // 10;
	my $seed = $opts{seed} // 0.42;
	my $extra = $opts{extra_columns} // '';
	my $extra_values = $opts{extra_values} // '';
	$node->safe_psql(
		'postgres', qq{
		SELECT setseed($seed);
		CREATE TABLE IF NOT EXISTS ${table}_centers AS
			SELECT c, (SELECT array_agg((random() * 10 + 0 * g + 0 * c)::real) FROM generate_series(1, $dim) g) AS v
			FROM generate_series(1, $centers) c;
		CREATE TABLE $table (id int PRIMARY KEY, v vector($dim) $extra);
		INSERT INTO $table
			SELECT i, (SELECT array_agg(x + ((random() + random() + random() - 1.5) * 4)::real)
			             FROM unnest((SELECT v FROM ${table}_centers WHERE c = 1 + i % $centers)) x)::vector
			       $extra_values
			FROM generate_series(1, $n) i;
		ANALYZE $table;
	});
}

# $n query vectors from the same distribution, in table $qtable (id, v).
sub make_queries
{
	my ($node, $table, $qtable, $n, %opts) = @_;
	my $seed = $opts{seed} // 0.77;
	$node->safe_psql(
		'postgres', qq{
		SELECT setseed($seed);
		CREATE TABLE $qtable AS
			SELECT q AS id, (SELECT array_agg(x + ((random() + random() + random() - 1.5) * 4)::real)
			             FROM unnest((SELECT v FROM ${table}_centers ORDER BY c OFFSET (q * 7) % (SELECT count(*) FROM ${table}_centers) LIMIT 1)) x)::vector AS v
			FROM generate_series(1, $n) q;
	});
}

# { query id => [ids...] } for ORDER BY v $op q LIMIT $k under $settings.
sub query_ids
{
	my ($node, $table, $qtable, $op, $k, $settings, $where) = @_;
	$where //= '';
	my $out = $node->safe_psql(
		'postgres', qq{
		$settings
		SELECT q.id, ARRAY(SELECT t.id FROM $table t $where ORDER BY t.v $op q.v LIMIT $k)
		  FROM $qtable q ORDER BY q.id;
	});
	my %res;
	for my $line (split /\n/, $out)
	{
		my ($qid, $ids) = split /\|/, $line;
		$ids =~ s/[{}]//g;
		$res{$qid} = [ grep { length } split /,/, $ids ];
	}
	return \%res;
}

sub exact_ids
{
	my ($node, $table, $qtable, $op, $k, $where) = @_;
	return query_ids($node, $table, $qtable, $op, $k,
		'SET enable_indexscan = off; SET enable_bitmapscan = off;', $where);
}

# Mean recall@k of the index against exact search.
sub recall_at_k
{
	my ($node, $table, $qtable, $op, $k, $settings) = @_;
	my $exact = exact_ids($node, $table, $qtable, $op, $k);
	my $approx = query_ids($node, $table, $qtable, $op, $k,
		"SET enable_seqscan = off; $settings");
	my ($hit, $total) = (0, 0);
	for my $qid (keys %$exact)
	{
		my %want = map { $_ => 1 } @{ $exact->{$qid} };
		$hit += grep { $want{$_} } @{ $approx->{$qid} };
		$total += scalar @{ $exact->{$qid} };
	}
	return $total ? $hit / $total : 0;
}

# Run the structural checker; returns its row as a hash. Dies on corruption.
sub check_index
{
	my ($node, $index, $heapallindexed, $db) = @_;
	return checker_row(
		$node->safe_psql($db // 'postgres', checker_sql($index, $heapallindexed)));
}

# The checker's query, and its output row as a hash.
my @checker_columns = qw(elements live dead free links links_to_free unreachable);

sub checker_sql
{
	my ($index, $heapallindexed) = @_;
	return 'SELECT ' . join(', ', @checker_columns)
	  . " FROM vector_ext_hnsw_check('$index', "
	  . ($heapallindexed ? 'true' : 'false') . ')';
}

sub checker_row
{
	my ($row) = @_;
	my @f = split /\|/, $row;
	return { map { $checker_columns[$_] => $f[$_] } 0 .. $#checker_columns };
}

# SQL expression for one vector drawn like make_clustered_table's rows: the
# centre numbered by the SQL expression $center (1-based, evaluated once per
# vector: use a constant, a column or a pgbench variable, not random()) of
# ${table}_centers plus noise.
sub clustered_vector_sql
{
	my ($table, $center) = @_;
	return qq{(SELECT array_agg(x + ((random() + random() + random() - 1.5) * 4)::real)
	             FROM unnest((SELECT v FROM ${table}_centers WHERE c = $center)) x)::vector};
}

# Insert $n rows with ids $first .. $first + $n - 1 into $table, drawn like
# make_clustered_table's rows (${table}_centers must exist).
sub add_clustered_rows
{
	my ($node, $table, $first, $n) = @_;
	my $last = $first + $n - 1;
	my $centers = $node->safe_psql('postgres', "SELECT count(*) FROM ${table}_centers");
	my $vec = clustered_vector_sql($table, "1 + i % $centers");
	$node->safe_psql('postgres',
		"INSERT INTO $table (id, v) SELECT i, $vec FROM generate_series($first, $last) i");
}

# How many rows an ordered scan of $table's hnsw index reaches from the query
# vector $q (SQL expression), with an iterative scan allowed to go through the
# whole graph: every row reachable through the index gives count(*).
sub index_reachable_count
{
	my ($node, $table, $op, $q, $limit, $db) = @_;
	$limit //= 1000000;
	return $node->safe_psql(
		$db // 'postgres', qq{
		SET enable_seqscan = off; SET enable_bitmapscan = off;
		SET hnsw.iterative_scan = relaxed_order; SET hnsw.max_scan_tuples = 1000000;
		SET work_mem = '64MB';
		SELECT count(*) FROM (SELECT id FROM $table ORDER BY v $op $q LIMIT $limit) s;
	});
}

# The plan (EXPLAIN COSTS OFF) of $query under $settings.
sub index_plan
{
	my ($node, $query, $settings, $db) = @_;
	$settings //= '';
	return $node->safe_psql($db // 'postgres',
		"SET enable_seqscan = off; $settings EXPLAIN (COSTS OFF) $query");
}

# How many of $rows rows a correct hnsw graph may leave unreachable.  HNSW's
# neighbour pruning can drop every link to a node: on the clustered data of
# these tests, hnswlib (M 16, ef_construction 64, one thread) leaves 3 of
# 10,000 32-d vectors unreachable under L2, and our index 2 to 4.  A graph
# damaged by a crash, a bad WAL replay or a lost concurrent link loses many
# more.  The checker counts them (unreachable); iterative scans still return
# them.  (Inner product is not a metric: there half the nodes of a correct
# graph can be unreachable, so tests do not count them.)
sub max_unreachable
{
	my ($rows) = @_;
	return int(($rows + 999) / 1000);
}

# Ids among @$ids whose own vector, as the query of an index scan at
# ef_search 100, does not return that id first.
sub self_lookup_failures
{
	my ($node, $table, $op, $ids, $db) = @_;
	return [] unless @$ids;
	my $list = join(',', @$ids);
	my $out = $node->safe_psql(
		$db // 'postgres', qq{
		SET enable_seqscan = off; SET enable_bitmapscan = off; SET hnsw.ef_search = 100;
		SELECT s.id FROM $table s WHERE s.id = ANY ('{$list}')
		   AND (SELECT t2.id FROM $table t2 ORDER BY t2.v $op s.v LIMIT 1) IS DISTINCT FROM s.id
		 ORDER BY s.id;
	});
	return [ grep { length } split /\n/, $out ];
}

# Kill the server as a machine crash would: SIGKILL to the postmaster and
# all its children at once (with only_postmaster => 1, to the postmaster
# alone: its children then exit when they notice).  Waits until every one of
# those processes is gone (reaped, so that a new postmaster does not take
# the PID in postmaster.pid for a live server); false if that took over a
# minute.
sub crash_server
{
	my ($node, %opts) = @_;
	my $pm = $node->{_pid};
	die "node " . $node->name . " is not running" unless defined $pm;
	my @kids;
	for my $stat (glob('/proc/[0-9]*/stat'))
	{
		open(my $fh, '<', $stat) or next;
		my $line = <$fh>;
		close $fh;
		next unless defined $line && $line =~ /^(\d+) \(.*\) \S (\d+) /s;
		push @kids, $1 if $2 == $pm;
	}
	kill('KILL', @kids) unless $opts{only_postmaster};
	$node->kill9;
	my $deadline = time + 60;
	while (time < $deadline)
	{
		return 1 unless grep { kill(0, $_) } ($pm, @kids);
		select(undef, undef, undef, 0.01);
	}
	return 0;
}

# Run the checker (heapallindexed unless told otherwise) as a test named
# $label; on failure the message names the items the checker complained
# about, decoded from the raw pages.  Returns the checker's row as a hash,
# or undef if it failed.
sub check_index_ok
{
	my ($node, $index, $label, %opts) = @_;
	my $db = $opts{db} // 'postgres';
	my ($ret, $out, $err) = $node->psql($db,
		checker_sql($index, $opts{heapallindexed} // 1),
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	unless (is($ret, 0, "$label: the checker passes on $index"))
	{
		diag($err . describe_index_items($node, $index, $err, $db));
		return undef;
	}
	return checker_row($out);
}

# The hnsw items whose TIDs "(block,offset)" appear in $text, decoded from
# the raw pages with pageinspect: line pointer, and for element tuples type,
# level, state, neighbour levels, heap TID and neighbour TID.
sub describe_index_items
{
	my ($node, $index, $text, $db) = @_;
	$db //= 'postgres';
	my $out = '';
	my @tids = ($text // '') =~ /\((\d+,\d+)\)/g;
	return '' unless @tids;
	my ($ret) = $node->psql($db, 'CREATE EXTENSION IF NOT EXISTS pageinspect');
	return '' if $ret != 0;
	for my $tid (@tids)
	{
		my ($blk, $off) = split /,/, $tid;
		my ($r, $hex) = $node->psql($db, "SELECT encode(get_raw_page('$index', $blk), 'hex')");
		next if $r != 0 || length($hex) < 16384;
		my $page = pack('H*', $hex);
		next if $off < 1 || 24 + 4 * $off > length($page);
		my $lp = unpack('V', substr($page, 24 + 4 * ($off - 1), 4));
		my ($lpoff, $flags, $len) = ($lp & 0x7fff, ($lp >> 15) & 3, $lp >> 17);
		$out .= sprintf("\n(%d,%d): lp_off %d flags %d len %d", $blk, $off, $lpoff, $flags, $len);
		next if $lpoff + 16 > length($page);
		my ($type, $level, $state, $nlevels, $hhi, $hlo, $hpos, $nhi, $nlo, $npos) =
		  unpack('C4 v3 v3', substr($page, $lpoff, 16));
		$out .= sprintf(
			"; type %d level %d state %d (0 live, 1 dead, 2 free) neighbour levels %d heap tid (%d,%d) neighbour tid (%d,%d)",
			$type, $level, $state, $nlevels, ($hhi << 16) | $hlo, $hpos, ($nhi << 16) | $nlo, $npos)
		  if $type == 1;
	}
	return $out;
}

1;
