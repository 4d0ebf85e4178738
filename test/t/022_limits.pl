# Limits: the largest parameters end in a result or a clean ERROR.
#   - vector(16000) values through every function, operator, cast, aggregate,
#     text and binary I/O (with extreme elements: overflow is an ERROR);
#     past 16000 dimensions, clean ERRORs;
#   - hnsw: the dimension limit of an element tuple (2033 works, 2034 and
#     16000 fail with the documented message); m = 100 with
#     ef_construction = 1000 through build, inserts, VACUUM and scans;
#     maintenance_work_mem at its maximum and its minimum;
#     max_parallel_maintenance_workers at 8 and at its maximum 1024 (the
#     core caps its threads); ef_search = 1000 with both iterative scan
#     modes, max_scan_tuples, work_mem and scan_mem_multiplier at their
#     maximum, and on 100000 rows with a filter no row passes (the beam
#     stops at the core's largest); options just past their bounds are
#     rejected.
# The postmaster never restarts.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VectorExtTest;

my $node = vx_node('limits',
	conf => "max_worker_processes = 16\nmax_parallel_workers = 16\nmax_parallel_maintenance_workers = 2\n");
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
my $log_offset = -s $node->logfile;
my %OK_OR_CLEAN = map { $_ => 1 } qw(ok 22003 22000 22023 54000);

# ---- vector(16000) ----
$node->safe_psql(
	'postgres', q{
	SELECT setseed(0.5);
	CREATE TABLE big (id int PRIMARY KEY, v vector(16000));
	INSERT INTO big VALUES
		(1, (SELECT array_agg((random() * 2 - 1)::real) FROM generate_series(1, 16000))::vector),
		(2, (SELECT array_agg(CASE WHEN g % 2 = 0 THEN 3.4e38 ELSE -3.4e38 END::real) FROM generate_series(1, 16000) g)::vector),
		(3, (SELECT array_agg(1e-45::real) FROM generate_series(1, 16000))::vector),
		(4, array_fill(0::real, ARRAY[16000])::vector),
		(5, (SELECT array_agg((g % 100)::real) FROM generate_series(1, 16000) g)::vector);
	CREATE FUNCTION try(expr text, a vector, b vector) RETURNS text LANGUAGE plpgsql AS $$
	DECLARE r text;
	BEGIN
		EXECUTE 'SELECT (' || expr || ')::text' INTO r USING a, b;
		RETURN 'ok';
	EXCEPTION WHEN OTHERS THEN
		RETURN SQLSTATE;
	END $$;
});
my @exprs = (
	'$1 <-> $2', '$1 <#> $2', '$1 <=> $2', '$1 <+> $2', 'l2_distance($1, $2)', 'inner_product($1, $2)',
	'cosine_distance($1, $2)', 'l1_distance($1, $2)', 'vector_l2_squared_distance($1, $2)',
	'vector_negative_inner_product($1, $2)', '$1 + $2', '$1 - $2', '$1 * $2', '$1 || $2',
	'$1 < $2', '$1 <= $2', '$1 = $2', '$1 <> $2', '$1 >= $2', '$1 > $2', 'vector_cmp($1, $2)',
	'vector_dims($1)', 'vector_norm($1)', 'l2_normalize($1)', 'subvector($1, 1, 16000)',
	'subvector($1, 16000, 1)', 'subvector($1, 16000, 2147483647)', 'subvector($1, -2147483648, 2147483647)',
	'$1::real[]', '$1::real[]::vector', '$1::real[]::float8[]::vector', '$1::real[]::numeric[]::vector(16000)',
	'$1::text::vector = $1', 'vector_send($1)', '$1::vector(16000)', '$1::vector(15999)');
my $battery = $node->safe_psql(
	'postgres',
	'SELECT x.n, a.id, b.id, try(x.e, a.v, b.v) FROM unnest($${'
	  . join(',', map { my $x = $_; $x =~ s/"/\\"/g; "\"$x\"" } @exprs)
	  . '}$$::text[]) WITH ORDINALITY x(e, n), big a, big b ORDER BY 1, 2, 3');
my (%by_state, @unclean);
my $ncases = 0;
for my $line (split /\n/, $battery)
{
	my ($n, $a, $b, $st) = split /\|/, $line;
	$ncases++;
	$by_state{$st}++;
	push @unclean, "$exprs[$n - 1] on rows $a, $b: $st" unless $OK_OR_CLEAN{$st};
}
is($ncases, 25 * scalar(@exprs), 'every expression ran on every pair of rows');
diag('vector(16000): ' . scalar(@exprs) . ' expressions x 25 pairs by SQLSTATE: '
	  . join(', ', map { "$_=$by_state{$_}" } sort keys %by_state));
is_deeply(\@unclean, [], 'every function and operator on 16000-d values ends in a value or a clean ERROR');
is($node->safe_psql('postgres', q{SELECT try('$1 || $2', a.v, a.v) FROM big a WHERE id = 1}),
	'54000', 'concatenating two 16000-d vectors: 54000');
is($node->safe_psql('postgres', q{SELECT try('$1 + $2', a.v, a.v) FROM big a WHERE id = 2}),
	'22003', 'adding extreme 16000-d vectors overflows with 22003');
is($node->safe_psql('postgres', q{SELECT try('$1 * $2', a.v, a.v) FROM big a WHERE id = 3}),
	'22003', 'multiplying subnormal 16000-d vectors underflows with 22003');
is($node->safe_psql('postgres', q{SELECT try('$1::vector(15999)', a.v, a.v) FROM big a WHERE id = 1}),
	'22000', 'a 16000-d value is not a vector(15999)');
is($node->safe_psql('postgres', q{SELECT bool_and(v::text::vector = v), bool_and(vector_dims(v) = 16000) FROM big}),
	't|t', '16000-d values survive text output and input');
is($node->safe_psql('postgres', q{SELECT count(*) FROM (SELECT avg(v), sum(v) FROM big WHERE id <> 2) s}),
	'1', 'avg and sum over 16000-d values');
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT sum(v) FROM big, generate_series(1, 2) WHERE id = 2');
like($err, qr/value out of range: overflow/, 'sum overflowing on extreme values is a clean ERROR');

# binary COPY round trip of 16000-d values
my $f = $node->data_dir . '/big.bin';
is($node->safe_psql('postgres', qq{
	COPY big TO '$f' (FORMAT binary);
	CREATE TABLE big2 (LIKE big);
	COPY big2 FROM '$f' (FORMAT binary);
	SELECT count(*) FROM big JOIN big2 USING (id) WHERE big.v = big2.v AND vector_send(big.v) = vector_send(big2.v);
}), '5', '16000-d values round-trip through COPY BINARY');

# past the limit
for my $case (
	[ q{SELECT ('[' || repeat('1,', 16000) || '1]')::vector}, qr/54000: vector cannot have more than 16000 dimensions/ ],
	[ q{SELECT array_fill(1::real, ARRAY[16001])::vector}, qr/54000: vector cannot have more than 16000 dimensions/ ],
	[ q{CREATE TABLE t16001 (v vector(16001))}, qr/22023: dimensions for type vector cannot exceed 16000/ ],
	[ q{SELECT '[1]'::vector(0)}, qr/22023: dimensions for type vector must be at least 1/ ],
	[ q{SELECT subvector(v, 16001, 1) FROM big WHERE id = 1}, qr/22000: vector must have at least 1 dimension/ ],)
{
	($ret, $out, $err) = $node->psql('postgres', $case->[0], extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	like($err, $case->[1], "clean ERROR: $case->[0]" =~ s/\s+/ /gr);
}
# a btree index entry of 64 kB cannot exist: a clean ERROR, or (if ever
# compressed into a page) an index that works
($ret, $out, $err) = $node->psql('postgres', 'CREATE INDEX big_btree ON big (v)', extra_params => [ '-v', 'VERBOSITY=verbose' ]);
ok($ret == 0 || $err =~ /ERROR:  54000:/, 'btree index on 16000-d values: works or fails with 54000') or diag($err);

# ---- hnsw and dimensions ----
($ret, $out, $err) = $node->psql('postgres', 'CREATE INDEX ON big USING hnsw (v vector_l2_ops)',
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/54000: column cannot have more than 2033 dimensions for hnsw index/,
	'hnsw on vector(16000): 54000 column cannot have more than 2033 dimensions');
$node->safe_psql(
	'postgres', q{
	CREATE TABLE d2034 (id int, v vector(2034));
	CREATE TABLE d2033 (id int, v vector(2033));
	INSERT INTO d2033 SELECT i, (SELECT array_agg(random()::real + i * 0 + g * 0) FROM generate_series(1, 2033) g)::vector
	  FROM generate_series(1, 60) i;
});
($ret, $out, $err) = $node->psql('postgres', 'CREATE INDEX ON d2034 USING hnsw (v vector_l2_ops)');
like($err, qr/column cannot have more than 2033 dimensions for hnsw index/, 'hnsw on vector(2034) fails');
for my $class (qw(vector_l2_ops vector_ip_ops vector_cosine_ops vector_l1_ops))
{
	$node->safe_psql('postgres', "CREATE INDEX d2033_idx ON d2033 USING hnsw (v $class)");
	$node->safe_psql('postgres',
		q{INSERT INTO d2033 SELECT 1000 + i, (SELECT array_agg(random()::real + i * 0 + g * 0) FROM generate_series(1, 2033) g)::vector FROM generate_series(1, 20) i});
	is(check_index($node, 'd2033_idx', 1)->{live},
		$node->safe_psql('postgres', 'SELECT count(*) FROM d2033'),
		"hnsw $class on vector(2033): build and inserts fill pages exactly, checker passes");
	$node->safe_psql('postgres', 'DROP INDEX d2033_idx; DELETE FROM d2033 WHERE id >= 1000');
}

# ---- hnsw with m = 100, ef_construction = 1000 ----
make_clustered_table($node, 'mx', 400, 16);
$node->safe_psql('postgres', 'CREATE INDEX mx_idx ON mx USING hnsw (v vector_l2_ops) WITH (m = 100, ef_construction = 1000)');
is(check_index($node, 'mx_idx', 1)->{live}, 400, 'm = 100, ef_construction = 1000: build works');
$node->safe_psql('postgres',
	q{INSERT INTO mx SELECT 1000 + id, v + v FROM mx WHERE id <= 300});
$node->safe_psql('postgres', 'DELETE FROM mx WHERE id % 3 = 0; VACUUM mx');
my $live = $node->safe_psql('postgres', 'SELECT count(*) FROM mx');
is(check_index($node, 'mx_idx', 1)->{live}, $live, 'm = 100: inserts and VACUUM work, checker passes');
make_queries($node, 'mx', 'mxq', 20);
my $recall = recall_at_k($node, 'mx', 'mxq', '<->', 10, 'SET hnsw.ef_search = 1000;');
cmp_ok($recall, '>=', 0.99, "m = 100, ef_search = 1000: recall\@10 $recall");
for my $case (
	[ 'WITH (m = 101)', qr/22023: value 101 out of bounds for option "m"/ ],
	[ 'WITH (ef_construction = 1001)', qr/22023: value 1001 out of bounds for option "ef_construction"/ ],
	[ 'WITH (m = 100, ef_construction = 199)', qr/22023: ef_construction must be greater than or equal to 2 \* m/ ],)
{
	($ret, $out, $err) = $node->psql('postgres', "CREATE INDEX ON mx USING hnsw (v vector_l2_ops) $case->[0]",
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	like($err, $case->[1], "hnsw $case->[0] is rejected");
}

# ---- maintenance_work_mem at its maximum and minimum ----
make_clustered_table($node, 'mw', 3000, 64);
($ret, $out, $err) = $node->psql('postgres',
	"SET maintenance_work_mem = '2147483647kB'; SHOW maintenance_work_mem; CREATE INDEX mw_idx ON mw USING hnsw (v vector_l2_ops)");
is($ret, 0, 'CREATE INDEX with maintenance_work_mem at its maximum works') or diag($err);
like($out, qr/^2147483647kB$/m, 'maintenance_work_mem is at its maximum');
is(check_index($node, 'mw_idx', 1)->{live}, 3000, 'maximum maintenance_work_mem: checker passes');
$node->safe_psql('postgres', 'DROP INDEX mw_idx');
($ret, $out, $err) = $node->psql('postgres',
	"SET maintenance_work_mem = '1MB'; CREATE INDEX mw_idx ON mw USING hnsw (v vector_l2_ops) WITH (m = 100, ef_construction = 200)");
is($ret, 0, 'CREATE INDEX with maintenance_work_mem at its minimum and m = 100 works') or diag($err);
like($err, qr/no longer fits into maintenance_work_mem/, 'minimum maintenance_work_mem: the build spills');
is(check_index($node, 'mw_idx', 1)->{live}, 3000, 'minimum maintenance_work_mem: checker passes');
$node->safe_psql('postgres', 'DROP INDEX mw_idx');

# ---- parallel workers: 8, and the maximum 1024 (threads are capped) ----
for my $workers (8, 1024)
{
	($ret, $out, $err) = $node->psql(
		'postgres', qq{
		ALTER TABLE mw SET (parallel_workers = $workers);
		SET max_parallel_maintenance_workers = $workers;
		SET maintenance_work_mem = '2147483647kB';
		SET min_parallel_table_scan_size = 0;
		CREATE INDEX mw_idx ON mw USING hnsw (v vector_cosine_ops) WITH (m = 100, ef_construction = 1000);
	});
	is($ret, 0, "CREATE INDEX with max_parallel_maintenance_workers = $workers works") or diag($err);
	is(check_index($node, 'mw_idx', 1)->{live}, 3000, "$workers workers: checker passes");
	$node->safe_psql('postgres', 'DROP INDEX mw_idx');
}
($ret, $out, $err) = $node->psql('postgres', 'SET max_parallel_maintenance_workers = 1025');
like($err, qr/1025 is outside the valid range/, 'max_parallel_maintenance_workers cannot pass 1024');

# ---- ef_search = 1000 with iterative scans at the largest settings ----
$node->safe_psql('postgres', 'CREATE INDEX mw_idx ON mw USING hnsw (v vector_l2_ops)');
my $q = '(SELECT v FROM mw WHERE id = 1)';
for my $mode (qw(relaxed_order strict_order))
{
	my $settings = "SET enable_seqscan = off; SET hnsw.ef_search = 1000; SET hnsw.iterative_scan = $mode;
		SET hnsw.max_scan_tuples = 2147483647; SET hnsw.scan_mem_multiplier = 1000; SET work_mem = '2147483647kB';";
	is($node->safe_psql('postgres', "$settings SELECT count(*) FROM (SELECT id FROM mw WHERE id % 100 = 0 ORDER BY v <-> $q LIMIT 25) s"),
		'25', "$mode, ef_search 1000, every limit at its maximum: a selective filter still gets its 25 rows");
	is($node->safe_psql('postgres', "$settings SELECT count(*) FROM (SELECT id FROM mw WHERE id < 0 ORDER BY v <-> $q LIMIT 5) s"),
		'0', "$mode: a filter no row passes exhausts the graph and ends");
	# (HNSW may leave a node no other node links to: allow a few such)
	my $all = $node->safe_psql('postgres', "$settings SELECT count(*) FROM (SELECT id FROM mw ORDER BY v <-> $q LIMIT 3000) s");
	cmp_ok($all, '>=', 2990, "$mode: LIMIT 3000 with ef_search 1000 returns (nearly) every row: $all");
}
my $plan = $node->safe_psql('postgres', "SET enable_seqscan = off; EXPLAIN (COSTS OFF) SELECT id FROM mw ORDER BY v <-> $q LIMIT 5");
like($plan, qr/Index Scan using mw_idx/, 'those scans use the index');
for my $bad ('hnsw.ef_search = 1001', 'hnsw.max_scan_tuples = 0', 'hnsw.scan_mem_multiplier = 1001')
{
	# (the settings exist once the library is loaded)
	($ret, $out, $err) = $node->psql('postgres', "LOAD 'vector_ext'; SET $bad");
	like($err, qr/outside the valid range/, "SET $bad is rejected");
}

# ---- iterative scans whose beam would outgrow the core's largest one ----
# (with more than 81920 reachable rows the beam doubles past 100000; it used
# to fail with "HNSW ef out of range" instead of ending the scan)
$node->safe_psql(
	'postgres', q{
	SELECT setseed(0.25);
	CREATE TABLE wide (id int, v vector(2));
	INSERT INTO wide SELECT i, ARRAY[random(), random()]::vector FROM generate_series(1, 100000) i;
	SET maintenance_work_mem = '256MB';
	CREATE INDEX wide_idx ON wide USING hnsw (v vector_l2_ops) WITH (m = 8, ef_construction = 16);
});
for my $mode (qw(relaxed_order strict_order))
{
	($ret, $out, $err) = $node->psql(
		'postgres', qq{
		SET enable_seqscan = off; SET hnsw.iterative_scan = $mode; SET hnsw.max_scan_tuples = 1000000;
		SET work_mem = '1GB';
		SELECT count(*) FROM (SELECT id FROM wide WHERE id < 0 ORDER BY v <-> '[0.5,0.5]' LIMIT 10) s;
		SELECT count(*) FROM (SELECT id FROM wide WHERE id % 1000 = 0 ORDER BY v <-> '[0.5,0.5]' LIMIT 10) s;
	});
	is($ret, 0, "$mode with max_scan_tuples = 1000000 on 100000 rows ends without an error") or diag($err);
	is($out, "0\n10", "$mode: a filter no row passes gives nothing; a 1-in-1000 filter gets its 10 rows");
}

# ---- the server survived everything ----
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $start_time, 'the postmaster never restarted');
my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/terminated by signal|server process .* was terminated|all server processes terminated/,
	'no backend crashed (server log)');
$node->stop;
done_testing();
