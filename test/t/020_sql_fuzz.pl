# SQL-level mutation fuzzing of the vector type's input functions.
#
# Text input: seeded mutations of valid literals (byte flips, inserted
# brackets, commas, digits, signs and exponents, huge digit runs, NaN and
# infinity spellings, unicode, truncations, duplications, deletions) are cast
# to vector and to vector(3) one by one in subtransactions, in a SQL_ASCII
# database (so that every byte but NUL reaches vector_in) and, for the valid
# UTF-8 ones, in a UTF8 database.  Every accepted value also goes through
# every function and operator, the aggregates, and an hnsw index.
#
# Binary input: crafted payloads (dim 0, -1, 65535, max+1, unused != 0,
# short and over-long messages, NaN, +-Inf, typmod mismatch) must fail with
# their exact SQLSTATE and message, a valid one must round-trip byte for
# byte, and seeded random mutations of valid payloads must each end in a
# value or an expected ERROR.
#
# Throughout: each case ends in a value or an ERROR with an expected
# SQLSTATE, accepted literals agree with an independent grammar check, and
# the postmaster never restarts (start time unchanged, no crash lines in the
# server log).
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Encode ();
use VectorExtTest;

my $TEXT_CASES = $ENV{VX_SQL_FUZZ_CASES} // 6000;
my $BINARY_CASES = $ENV{VX_SQL_FUZZ_BINARY_CASES} // 3000;
my $SEED = $ENV{VX_SQL_FUZZ_SEED} // 20240611;

# Expected SQLSTATEs for bad input: syntax, out of range, data exception
# (NaN, Inf, dimensions), invalid parameter, program limit, protocol
# violation (short binary message), invalid binary representation.
my %ALLOWED = map { $_ => 1 } qw(22P02 22003 22000 22023 54000 08P01 22P03);

# ---- a seeded PRNG (LCG, exact in doubles), independent of Perl's rand ----
my $state = $SEED % 4294967296;

sub rnd    # integer in [0, n)
{
	my ($n) = @_;
	$state = (1664525 * $state + 1013904223) % 4294967296;
	return int(($state / 4294967296) * $n);
}
sub pick { return $_[ rnd(scalar @_) ]; }

# ---- text mutations ----
my @SPECIAL = (
	'nan', 'NaN', '-nan', 'inf', '-inf', '+inf', 'Infinity', '-Infinity', 'infinity',
	'INF', 'nAn', '1e39', '-3.5e38', '3.4028236e38', '3.4028235e38', '1e-50', '-1e-46',
	'0x1p3', '0x10', '1e2147483648', '1e-2147483649', '1e', '1e+', '.', '-', '+',
	'--1', '+-1', '1..2', '1e1e1', '1,e', '0e0', '-0', '.5', '5.', '1_000', '1 000',
);
my @UNICODE = (
	"\xc3\xa9",            # é
	"\xef\xbc\x91",        # fullwidth 1
	"\xe2\x88\x92",        # minus sign
	"\xc2\xa0",            # no-break space
	"\xe2\x80\x8b",        # zero-width space
	"\xf0\x9f\x98\x80",    # emoji
	"\xd9\xa3",            # arabic-indic 3
	"\xef\xbc\xbb",        # fullwidth [
	"\xff\xfe",            # invalid UTF-8
	"\xc3",                # truncated sequence
);
my @CHARS = (',', '[', ']', 'e', 'E', '-', '+', '.', ' ', "\t", "\n", "\r", "\x0b", "\x0c",
	0 .. 9);

sub mutate_once
{
	my ($s) = @_;
	my $len = length $s;
	my $pos = rnd($len + 1);
	my $op = rnd(14);
	if ($op == 0 && $len > 0)    # flip a byte to any non-NUL byte
	{
		substr($s, rnd($len), 1) = chr(1 + rnd(255));
	}
	elsif ($op == 1)             # insert a structural character or digit
	{
		substr($s, $pos, 0) = pick(@CHARS);
	}
	elsif ($op == 2)             # huge digit run, maybe after a point or exponent
	{
		my $run = pick('9', '1', '0') x (50 + rnd(3000));
		substr($s, $pos, 0) = pick('', '0.', 'e', 'e-', '.') . $run;
	}
	elsif ($op == 3)             # NaN / infinity / odd number spellings
	{
		substr($s, $pos, 0) = pick(@SPECIAL);
	}
	elsif ($op == 4)             # replace a whole element with a special one
	{
		$s =~ s/([-+0-9.eE]+)/pick(@SPECIAL)/e if rnd(2);
		$s =~ s/([-+0-9.eE]+)(?!.*[-+0-9.eE])/pick(@SPECIAL)/se unless rnd(2);
	}
	elsif ($op == 5)             # unicode (and invalid UTF-8)
	{
		substr($s, $pos, 0) = pick(@UNICODE);
	}
	elsif ($op == 6)             # truncate
	{
		$s = substr($s, 0, $pos);
	}
	elsif ($op == 7 && $len > 0)    # duplicate a slice
	{
		my $from = rnd($len);
		my $n = 1 + rnd($len - $from);
		substr($s, $pos, 0) = substr($s, $from, $n);
	}
	elsif ($op == 8 && $len > 0)    # delete a slice
	{
		my $from = rnd($len);
		substr($s, $from, 1 + rnd(($len - $from) < 8 ? $len - $from : 8)) = '';
	}
	elsif ($op == 9 && $len > 1)    # swap two bytes
	{
		my ($i, $j) = (rnd($len), rnd($len));
		my $c = substr($s, $i, 1);
		substr($s, $i, 1) = substr($s, $j, 1);
		substr($s, $j, 1) = $c;
	}
	elsif ($op == 11)               # all elements twice (8000 -> 16000)
	{
		$s =~ s/\[(.*)\]/[$1,$1]/s;
	}
	elsif ($op == 12)               # one more element
	{
		$s =~ s/\]/,1]/;
	}
	elsif ($op == 10)               # exponent on an element
	{
		$s =~ s/(\d)(?=[,\]])/$1 . pick('e', 'E') . pick('', '+', '-') . rnd(60)/e;
	}
	else                            # whitespace anywhere
	{
		substr($s, $pos, 0) = pick(' ', "\t", "\n", "\r", "\x0b", "\x0c") x (1 + rnd(3));
	}
	return $s;
}

my @TEXT_BASES = (
	'[1,2,3]',
	'[1.5,-2.25e-3,3e38,-0,1e-45]',
	'[0]',
	' [ 1 , 2 ] ',
	'[3.4028235e38,-3.4028235e38,1.17549435e-38]',
	'[' . join(',', map { sprintf('%.9g', sin($_) * 10**(($_ % 13) - 6)) } 1 .. 40) . ']',
);
# 8000 dimensions: duplications cross the 16000 limit (one case in 20)
my $BIG_BASE = '[' . join(',', ('1') x 8000) . ']';

# The grammar the parser accepts, checked independently: whitespace, '[',
# decimal numbers separated by commas, ']', whitespace.  Returns 'ok', 'err'
# or 'unknown' (a number within a factor of ten of FLT_MAX).
my $WS = qr/[ \t\n\r\x0b\x0c]/;
my $NUM = qr/\A[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\z/;

sub decimal_magnitude    # decimal exponent of the first significant digit; undef for zero
{
	my ($tok) = @_;
	my ($int, $frac, $exp) = $tok =~ /\A[+-]?([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?\z/;
	my $e = 0;
	if (defined $exp)
	{
		my ($sign, $digits) = $exp =~ /\A([+-]?)0*([0-9]*)\z/;
		$e = length($digits) > 12 ? 1e12 : ($digits eq '' ? 0 : $digits + 0);
		$e = -$e if $sign eq '-';
	}
	$int =~ s/\A0+//;
	return $e + length($int) - 1 if length $int;
	return undef unless $frac =~ /\A(0*)[1-9]/;
	return $e - length($1) - 1;
}

sub grammar_verdict
{
	my ($s) = @_;
	return 'err' unless $s =~ /\A$WS*\[(.*)\]$WS*\z/s;
	my $inner = $1;
	return 'err' if $inner =~ /\A$WS*\z/;
	my @tokens = split /,/, $inner, -1;
	return 'err' if @tokens > 16000;
	my $verdict = 'ok';
	for my $t (@tokens)
	{
		$t =~ s/\A$WS+//;
		$t =~ s/$WS+\z//;
		return 'err' unless $t =~ $NUM;
		my $m = decimal_magnitude($t);
		next unless defined $m;
		return 'err' if $m >= 39;
		next if $m < 38;
		# FLT_MAX is 3.40282347e38; up to 3.40282356779...e38 rounds to it
		(my $digits = $t) =~ s/[eE].*//;
		$digits =~ s/[^0-9]//g;
		$digits =~ s/\A0+//;
		my $lead = substr($digits . '00000000', 0, 8);
		return 'err' if $lead > 34028236;
		$verdict = 'unknown' if $lead >= 34028235;
	}
	return $verdict;
}

# a few fixed cases first, so that every outcome is reached whatever the seed
my @text_cases = ('[1,2,3]', '[1,2', '[1e39]', '[NaN]', '[inf]', '[]', '[' . join(',', ('1') x 16001) . ']');
my %seen = map { $_ => 1 } @text_cases;
while (@text_cases < $TEXT_CASES)
{
	my $s = rnd(20) == 0 ? $BIG_BASE : pick(@TEXT_BASES);
	$s = mutate_once($s) for 1 .. 1 + rnd(3);
	next if $s =~ /\0/ || $seen{$s}++;
	push @text_cases, $s;
}

# ---- the cluster ----
my $node = vx_node('sqlfuzz');
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
my $log_offset = -s $node->logfile;

for my $db ([ 'fuzz_ascii', 'SQL_ASCII' ], [ 'fuzz_utf8', 'UTF8' ])
{
	$node->safe_psql('postgres',
		"CREATE DATABASE $db->[0] ENCODING '$db->[1]' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
	$node->safe_psql($db->[0], 'CREATE EXTENSION vector_ext');
}

# The per-case runner: the literal as vector and as vector(3), each in a
# subtransaction; then every function and operator on an accepted value.
my $setup = <<'EOSQL';
CREATE TABLE cases (id int PRIMARY KEY, lit bytea NOT NULL);
CREATE TABLE results (id int PRIMARY KEY, state text, dims int, out text, state3 text,
	battery text[]);
CREATE TABLE accepted (id int, v vector);

CREATE FUNCTION battery(v vector) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
	states text[] := '{}';
	exprs text[] := ARRAY[
		'l2_distance($1, $1)', '$1 <-> $1', 'inner_product($1, $1)', '$1 <#> $1',
		'cosine_distance($1, $1)', '$1 <=> $1', 'l1_distance($1, $1)', '$1 <+> $1',
		'vector_norm($1)', 'l2_normalize($1)', 'vector_dims($1)', '$1 + $1', '$1 - $1',
		'$1 * $1', '$1 || $1', 'subvector($1, 2, 3)', 'subvector($1, -5, 2147483647)',
		'$1::real[]::vector', '$1::real[]::float8[]::vector', '$1::real[]::numeric[]::vector',
		'$1 < $1', '$1 = $1', 'vector_cmp($1, $1)', 'vector_send($1)',
		'vector_l2_squared_distance($1, $1)', 'vector_negative_inner_product($1, $1)',
		'$1 <-> ''[1,2,3]''', '$1::vector(3)', '$1::text::vector = $1'];
	e text;
BEGIN
	FOREACH e IN ARRAY exprs LOOP
		BEGIN
			EXECUTE 'SELECT (' || e || ')::text' USING v;
			states := states || 'ok'::text;
		EXCEPTION WHEN OTHERS THEN
			states := states || SQLSTATE::text;
		END;
	END LOOP;
	RETURN states;
END $$;

CREATE FUNCTION run_cases(enc text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	r record;
	v vector;
	st text;
	st3 text;
	o text;
	d int;
	bat text[];
BEGIN
	FOR r IN SELECT c.id, convert_from(c.lit, enc) AS lit FROM cases c ORDER BY c.id LOOP
		st := 'ok'; st3 := 'ok'; o := NULL; d := NULL; bat := NULL;
		BEGIN
			v := r.lit::vector;
			o := v::text;
			d := vector_dims(v);
		EXCEPTION WHEN OTHERS THEN
			st := SQLSTATE;
		END;
		BEGIN
			PERFORM r.lit::vector(3);
		EXCEPTION WHEN OTHERS THEN
			st3 := SQLSTATE;
		END;
		IF st = 'ok' THEN
			bat := battery(v);
			INSERT INTO accepted VALUES (r.id, v);
		END IF;
		INSERT INTO results VALUES (r.id, st, d, o, st3, bat);
	END LOOP;
END $$;
EOSQL

sub load_cases
{
	my ($db, $cases) = @_;
	my @rows;
	for my $i (0 .. $#$cases)
	{
		push @rows, sprintf("(%d, '\\x%s')", $i, unpack('H*', $cases->[$i]));
	}
	while (my @chunk = splice(@rows, 0, 500))
	{
		$node->safe_psql($db, 'INSERT INTO cases VALUES ' . join(",\n", @chunk));
	}
}

sub result_rows
{
	my ($db) = @_;
	my %res;
	for my $line (split /\n/,
		$node->safe_psql($db, 'SELECT id, state, coalesce(dims, 0), state3, coalesce(array_to_string(battery, \',\'), \'\') FROM results'))
	{
		my ($id, $st, $dims, $st3, $bat) = split /\|/, $line, -1;
		$res{$id} = { state => $st, dims => $dims, state3 => $st3, battery => $bat };
	}
	return \%res;
}

sub check_text_results
{
	my ($db, $cases, $label) = @_;
	my $res = result_rows($db);
	is(scalar keys %$res, scalar @$cases, "$label: every literal has a result");

	my (%states, %battery_states, @bad_state, @mismatch, @bad3, @bad_battery);
	my ($ok, $unknown) = (0, 0);
	for my $id (sort { $a <=> $b } keys %$res)
	{
		my $r = $res->{$id};
		my $lit = $cases->[$id];
		$states{ $r->{state} }++;
		push @bad_state, "$id:$r->{state}" unless $r->{state} eq 'ok' || $ALLOWED{ $r->{state} };

		my $verdict = grammar_verdict($lit);
		$unknown++ if $verdict eq 'unknown';
		my $got = $r->{state} eq 'ok' ? 'ok' : 'err';
		push @mismatch, "$id: expected $verdict, got $r->{state}: " . substr($lit, 0, 80)
		  if $verdict ne 'unknown' && $verdict ne $got;

		# vector(3): accepted exactly when the literal is a 3-d vector
		my $want3 = $r->{state} eq 'ok' ? ($r->{dims} == 3 ? 'ok' : '22000') : $r->{state};
		push @bad3, "$id: vector(3) gave $r->{state3}, expected $want3" if $r->{state3} ne $want3;

		next unless $r->{state} eq 'ok';
		$ok++;
		for my $s (split /,/, $r->{battery})
		{
			$battery_states{$s}++;
			push @bad_battery, "$id:$s" unless $s eq 'ok' || $ALLOWED{$s};
		}
	}
	diag("$label: " . scalar(@$cases) . " literals; results by SQLSTATE: "
		  . join(', ', map { "$_=$states{$_}" } sort keys %states)
		  . "; $unknown near FLT_MAX not predicted");
	diag("$label: functions on accepted values by SQLSTATE: "
		  . join(', ', map { "$_=$battery_states{$_}" } sort keys %battery_states));
	is_deeply(\@bad_state, [], "$label: every literal is a value or an expected SQLSTATE");
	is_deeply([ @mismatch[ 0 .. ($#mismatch < 9 ? $#mismatch : 9) ] ], [],
		"$label: accepted exactly when the grammar allows (" . scalar(@mismatch) . " disagreements)");
	is_deeply([ @bad3[ 0 .. ($#bad3 < 9 ? $#bad3 : 9) ] ], [],
		"$label: vector(3) accepts exactly the 3-d values");
	is_deeply(\@bad_battery, [], "$label: functions on accepted values end in a value or an expected SQLSTATE");
	cmp_ok($ok, '>', @$cases / 20, "$label: a good number of mutants are valid vectors ($ok)");
	cmp_ok(scalar(grep { $_ ne 'ok' } keys %states), '>=', 4, "$label: several kinds of errors were hit");
	is($node->safe_psql($db, 'SELECT count(*) FROM results WHERE state = \'ok\' AND out::vector::text <> out'),
		'0', "$label: output of accepted values reads back to the same text");
	return \%states;
}

# ---- text input, SQL_ASCII: every byte but NUL ----
$node->safe_psql('fuzz_ascii', $setup);
load_cases('fuzz_ascii', \@text_cases);
$node->safe_psql('fuzz_ascii', "SELECT run_cases('SQL_ASCII')");
my $ascii_states = check_text_results('fuzz_ascii', \@text_cases, 'SQL_ASCII');
cmp_ok($ascii_states->{'22P02'} // 0, '>', 0, 'syntax errors (22P02) were hit');
cmp_ok($ascii_states->{'22003'} // 0, '>', 0, 'out-of-range errors (22003) were hit');
cmp_ok($ascii_states->{'22000'} // 0, '>', 0, 'NaN/Inf/empty errors (22000) were hit');
cmp_ok($ascii_states->{'54000'} // 0, '>', 0, 'too-many-dimensions errors (54000) were hit');

# ---- text input, UTF8: the valid UTF-8 literals ----
my @utf8_cases =
  grep { my $c = $_; eval { Encode::decode('UTF-8', $c, Encode::FB_CROAK); 1 } } @text_cases;
$node->safe_psql('fuzz_utf8', $setup);
load_cases('fuzz_utf8', \@utf8_cases);
$node->safe_psql('fuzz_utf8', "SELECT run_cases('UTF8')");
check_text_results('fuzz_utf8', \@utf8_cases, 'UTF8');

# ---- accepted values through aggregates and an hnsw index ----
# (extreme values make distances infinite or NaN: the index must cope)
my $agg = $node->safe_psql(
	'fuzz_ascii', q{
	CREATE FUNCTION agg_states() RETURNS text LANGUAGE plpgsql AS $$
	DECLARE d int; st text; res text := '';
	BEGIN
		FOR d IN SELECT DISTINCT vector_dims(v) FROM accepted ORDER BY 1 LOOP
			st := 'ok';
			BEGIN
				PERFORM avg(v), sum(v) FROM accepted WHERE vector_dims(v) = d;
			EXCEPTION WHEN OTHERS THEN st := SQLSTATE;
			END;
			res := res || st || ' ';
		END LOOP;
		RETURN res;
	END $$;
	SELECT agg_states();
});
my @agg_bad = grep { $_ ne 'ok' && !$ALLOWED{$_} } split ' ', $agg;
is_deeply(\@agg_bad, [], 'avg and sum of accepted values per dimension end in a value or an expected SQLSTATE');

my $n3 = $node->safe_psql('fuzz_ascii', 'SELECT count(*) FROM accepted WHERE vector_dims(v) = 3');
$node->safe_psql(
	'fuzz_ascii', q{
	CREATE TABLE acc3 (id int, v vector(3));
	INSERT INTO acc3 SELECT id, v FROM accepted WHERE vector_dims(v) = 3;
	INSERT INTO acc3 SELECT 100000 + i, ARRAY[(-1)^i * 3.4e38, (-1)^(i / 2) * 3.4e38, i]::vector
	  FROM generate_series(1, 200) i;
	CREATE INDEX acc3_l2 ON acc3 USING hnsw (v vector_l2_ops) WITH (m = 4, ef_construction = 8);
	CREATE INDEX acc3_ip ON acc3 USING hnsw (v vector_ip_ops) WITH (m = 4, ef_construction = 8);
	CREATE INDEX acc3_cos ON acc3 USING hnsw (v vector_cosine_ops) WITH (m = 4, ef_construction = 8);
	CREATE INDEX acc3_l1 ON acc3 USING hnsw (v vector_l1_ops) WITH (m = 4, ef_construction = 8);
	INSERT INTO acc3 SELECT id + 200000, v FROM acc3;
});
for my $op ('<->', '<#>', '<=>', '<+>')
{
	my $rows = $node->safe_psql(
		'fuzz_ascii', qq{
		SET enable_seqscan = off;
		SELECT count(*) FROM (SELECT id FROM acc3 ORDER BY v $op '[3e38,-3e38,1]' LIMIT 20) s;
	});
	cmp_ok($rows, '>', 0, "hnsw scan with $op over extreme values returns rows");
}
$node->safe_psql('fuzz_ascii', 'DELETE FROM acc3 WHERE id % 3 = 0; VACUUM acc3');
for my $idx (qw(acc3_l2 acc3_ip acc3_cos acc3_l1))
{
	check_index($node, $idx, 1, 'fuzz_ascii');
}
pass("hnsw indexes over $n3 fuzzed 3-d values plus extremes pass the checker after VACUUM");

# ---- binary input: crafted payloads ----
# A bytea COPYed out in binary format is its raw bytes as the field; COPYed
# back into a vector column, those bytes are what vector_recv reads.
$node->safe_psql(
	'fuzz_ascii', q{
	CREATE TABLE bin_src (b bytea);
	CREATE TABLE bin_dst (v vector);
	CREATE TABLE bin_dst3 (v vector(3));
	CREATE TABLE bin_cases (id int PRIMARY KEY, payload bytea, dst text);
	CREATE TABLE bin_results (id int PRIMARY KEY, state text, message text, value text);
	CREATE FUNCTION run_bin_cases() RETURNS void LANGUAGE plpgsql AS $$
	DECLARE
		f text := current_setting('data_directory') || '/vx_fuzz_payload.bin';
		r record;
		st text; msg text; val text;
	BEGIN
		FOR r IN SELECT * FROM bin_cases ORDER BY id LOOP
			st := 'ok'; msg := NULL; val := NULL;
			TRUNCATE bin_src;
			INSERT INTO bin_src VALUES (r.payload);
			EXECUTE format('COPY bin_src TO %L (FORMAT binary)', f);
			BEGIN
				EXECUTE format('TRUNCATE %I', r.dst);
				EXECUTE format('COPY %I FROM %L (FORMAT binary)', r.dst, f);
				EXECUTE format('SELECT v::text FROM %I', r.dst) INTO val;
			EXCEPTION WHEN OTHERS THEN
				st := SQLSTATE; msg := SQLERRM;
			END;
			INSERT INTO bin_results VALUES (r.id, st, msg, val);
		END LOOP;
	END $$;
});

sub payload
{
	my ($dim, $unused, @floats) = @_;
	return pack('nn', $dim & 0xffff, $unused & 0xffff) . join('', map { pack('f>', $_) } @floats);
}
my $NAN = pack('N', 0x7fc00000);
my $PINF = pack('N', 0x7f800000);
my $NINF = pack('N', 0xff800000);
my @crafted = (
	[ 'dim 0', payload(0, 0), 'bin_dst', '22000', 'vector must have at least 1 dimension' ],
	[ 'dim -1', payload(-1, 0, 1), 'bin_dst', '22000', 'vector must have at least 1 dimension' ],
	[ 'dim 65535', pack('nn', 65535, 0) . pack('f>', 1), 'bin_dst', '22000', 'vector must have at least 1 dimension' ],
	[ 'dim -32768', payload(-32768, 0), 'bin_dst', '22000', 'vector must have at least 1 dimension' ],
	[ 'dim 16001 (max+1)', payload(16001, 0, 1), 'bin_dst', '54000', 'vector cannot have more than 16000 dimensions' ],
	[ 'dim 32767', payload(32767, 0), 'bin_dst', '54000', 'vector cannot have more than 16000 dimensions' ],
	[ 'unused 1', payload(2, 1, 1, 2), 'bin_dst', '22000', 'expected unused to be 0, not 1' ],
	[ 'unused -1', payload(2, -1, 1, 2), 'bin_dst', '22000', 'expected unused to be 0, not -1' ],
	[ 'empty message', '', 'bin_dst', '08P01', 'insufficient data left in message' ],
	[ 'short header', "\x00\x01\x00", 'bin_dst', '08P01', 'insufficient data left in message' ],
	[ 'short payload', payload(3, 0, 1, 2), 'bin_dst', '08P01', 'insufficient data left in message' ],
	[ 'half an element', payload(1, 0) . "\x3f\x80", 'bin_dst', '08P01', 'insufficient data left in message' ],
	[ 'dim 16000, no elements', payload(16000, 0), 'bin_dst', '08P01', 'insufficient data left in message' ],
	[ 'one byte too many', payload(1, 0, 1) . "\x00", 'bin_dst', '22P03', 'incorrect binary data format' ],
	[ 'one element too many', payload(1, 0, 1, 2), 'bin_dst', '22P03', 'incorrect binary data format' ],
	[ 'NaN', payload(2, 0, 1) . $NAN, 'bin_dst', '22000', 'NaN not allowed in vector' ],
	[ 'negative NaN', payload(1, 0) . pack('N', 0xffc00001), 'bin_dst', '22000', 'NaN not allowed in vector' ],
	[ '+Inf', payload(1, 0) . $PINF, 'bin_dst', '22000', 'infinite value not allowed in vector' ],
	[ '-Inf', payload(2, 0, 1) . $NINF, 'bin_dst', '22000', 'infinite value not allowed in vector' ],
	[ 'typmod mismatch (4 into vector(3))', payload(4, 0, 1, 2, 3, 4), 'bin_dst3', '22000', 'expected 3 dimensions, not 4' ],
	[ 'typmod mismatch (1 into vector(3))', payload(1, 0, 1), 'bin_dst3', '22000', 'expected 3 dimensions, not 1' ],
	[ 'typmod mismatch before a short payload', payload(4, 0, 1), 'bin_dst3', '22000', 'expected 3 dimensions, not 4' ],
	[ 'valid 3-d into vector(3)', payload(3, 0, 1, -2.5, 3e38), 'bin_dst3', 'ok', '[1,-2.5,3e+38]' ],
	[ 'valid extremes', payload(4, 0) . pack('N4', 0x80000000, 0x00000001, 0x7f7fffff, 0xff7fffff),
		'bin_dst', 'ok', '[-0,1e-45,3.4028235e+38,-3.4028235e+38]' ],
	[ 'valid 16000-d', payload(16000, 0, (0.5) x 16000), 'bin_dst', 'ok', undef ],
);

sub load_bin_cases
{
	my ($cases) = @_;    # [ id, payload, dst ]
	my @rows = map { sprintf("(%d, '\\x%s', '%s')", $_->[0], unpack('H*', $_->[1]), $_->[2]) } @$cases;
	while (my @chunk = splice(@rows, 0, 500))
	{
		$node->safe_psql('fuzz_ascii', 'INSERT INTO bin_cases VALUES ' . join(",\n", @chunk));
	}
}
load_bin_cases([ map { [ $_, $crafted[$_][1], $crafted[$_][2] ] } 0 .. $#crafted ]);
$node->safe_psql('fuzz_ascii', 'SELECT run_bin_cases()');
my %bin;
for my $line (split /\n/, $node->safe_psql('fuzz_ascii', 'SELECT id, state, coalesce(message, value) FROM bin_results'))
{
	my ($id, $st, $detail) = split /\|/, $line, 3;
	$bin{$id} = [ $st, $detail ];
}
for my $i (0 .. $#crafted)
{
	my ($label, undef, undef, $want_state, $want_msg) = @{ $crafted[$i] };
	my ($st, $detail) = @{ $bin{$i} // [ 'missing', '' ] };
	is($st, $want_state, "binary $label: $want_state");
	if (defined $want_msg)
	{
		if ($want_state eq 'ok') { is($detail, $want_msg, "binary $label: value $want_msg"); }
		else { like($detail, qr/^\Q$want_msg\E/, "binary $label: message"); }
	}
}

# a valid payload round-trips byte for byte through COPY BINARY
my $valid = payload(5, 0) . pack('N5', 0x80000000, 0x00000001, 0x7f7fffff, 0x3f800000, 0x00800000);
my $hex = unpack('H*', $valid);
is($node->safe_psql('fuzz_ascii', qq{
	TRUNCATE bin_src, bin_dst;
	INSERT INTO bin_src VALUES ('\\x$hex');
	COPY bin_src TO '@{[ $node->data_dir ]}/vx_rt_in.bin' (FORMAT binary);
	COPY bin_dst FROM '@{[ $node->data_dir ]}/vx_rt_in.bin' (FORMAT binary);
	COPY bin_dst TO '@{[ $node->data_dir ]}/vx_rt_out.bin' (FORMAT binary);
	SELECT pg_read_binary_file('vx_rt_in.bin') = pg_read_binary_file('vx_rt_out.bin'),
	       encode(vector_send(v), 'hex') FROM bin_dst;
}), "t|$hex", 'a valid binary payload round-trips byte for byte through COPY BINARY');

# ---- binary input: random mutations of valid payloads ----
sub mutate_payload
{
	my ($p) = @_;
	my $len = length $p;
	my $op = rnd(8);
	if ($op == 0 && $len > 0) { substr($p, rnd($len), 1) = chr(rnd(256)); }
	elsif ($op == 1) { $p = substr($p, 0, rnd($len + 1)); }                  # truncate
	elsif ($op == 2) { $p .= join('', map { chr(rnd(256)) } 1 .. 1 + rnd(9)); }    # trailing bytes
	elsif ($op == 3 && $len >= 2) { substr($p, 0, 2) = pack('n', pick(0, 1, 2, 3, 15999, 16000, 16001, 32767, 32768, 65535, rnd(65536))); }
	elsif ($op == 4 && $len >= 4) { substr($p, 2, 2) = pack('n', pick(1, 65535, 256, rnd(65536))); }
	elsif ($op == 5 && $len >= 8)    # a special float somewhere
	{
		my $at = 4 + 4 * rnd(int(($len - 4) / 4));
		substr($p, $at, 4) = pick($NAN, $PINF, $NINF, pack('N', 0x7f800001), pack('N', 0xffffffff),
			pack('N', 0x00000001), pack('N', 0x80000000), pack('N', 0x7f7fffff));
	}
	elsif ($op == 6 && $len > 4)    # duplicate a slice
	{
		my $from = rnd($len);
		substr($p, rnd($len + 1), 0) = substr($p, $from, 1 + rnd($len - $from));
	}
	else { substr($p, rnd($len + 1), 0) = chr(rnd(256)) x (1 + rnd(4)); }
	return $p;
}
my @bin_bases = (payload(1, 0, 1), payload(3, 0, 1, -2, 3.5), payload(3, 0, 1e-40, -0.0, 3e38),
	payload(40, 0, map { $_ / 3 } 1 .. 40));
my @bin_random;
for my $i (1 .. $BINARY_CASES)
{
	my $p = pick(@bin_bases);
	$p = mutate_payload($p) for 1 .. 1 + rnd(3);
	push @bin_random, [ 1000 + $i, $p, rnd(4) == 0 ? 'bin_dst3' : 'bin_dst' ];
}
load_bin_cases(\@bin_random);
$node->safe_psql('fuzz_ascii', 'DELETE FROM bin_results; SELECT run_bin_cases()');
my %bin_states;
my @bin_bad;
for my $line (split /\n/, $node->safe_psql('fuzz_ascii', 'SELECT id, state FROM bin_results WHERE id >= 1000'))
{
	my ($id, $st) = split /\|/, $line;
	$bin_states{$st}++;
	push @bin_bad, "$id:$st" unless $st eq 'ok' || $ALLOWED{$st};
}
diag("binary mutations: $BINARY_CASES payloads; results by SQLSTATE: "
	  . join(', ', map { "$_=$bin_states{$_}" } sort keys %bin_states));
is_deeply(\@bin_bad, [], 'every mutated binary payload is a value or an expected SQLSTATE');
cmp_ok(scalar(keys %bin_states), '>=', 5, 'mutated binary payloads reach several outcomes');
is($node->safe_psql('fuzz_ascii', q{
	SELECT count(*) FROM bin_results r JOIN bin_cases c USING (id)
	 WHERE r.state = 'ok' AND vector_send(r.value::vector) <> c.payload}),
	'0', 'every accepted binary payload re-encodes to the same bytes');

# ---- the server survived everything ----
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $start_time,
	'the postmaster never restarted');
my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/terminated by signal|server process .* was terminated|was terminated by exception|all server processes terminated/,
	'no backend crashed (server log)');
unlike($log, qr/TRAP:|PANIC:/, 'no assertion failure or PANIC in the server log');
$node->stop;
done_testing();
