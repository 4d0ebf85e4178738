# Hostile installs: an unprivileged role with CREATE on the target schema
# pre-creates objects carrying our names (functions, operators, types) and
# then a superuser runs CREATE EXTENSION vector_ext SCHEMA that_schema.
# Each scenario runs in its own database.  The install must fail, or succeed
# with none of the attacker's objects a member of the extension, every
# member function our C function (owned by the superuser), and the type and
# operators working as ours.  Objects the attacker cannot create at all are
# reported as refused.  Also: the unprivileged role cannot create the
# extension itself, and after a normal install the index checker is not
# executable by PUBLIC.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('hostile');
$node->init;
$node->start;
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
$node->safe_psql('postgres', 'CREATE ROLE attacker LOGIN NOSUPERUSER');

# name => [ attacker SQL, outcome ]
#   outcome 'fails': CREATE EXTENSION must fail
#   'ignored': it must succeed without adopting the attacker's objects
#   'refused': PostgreSQL refuses the attacker's objects themselves
my @scenarios = (
	[ 'vector_in(cstring, oid, int4) in SQL',
		q{CREATE FUNCTION tgt.vector_in(cstring, oid, int4) RETURNS int LANGUAGE sql AS 'SELECT 1'}, 'refused' ],
	[ 'vector_in(cstring, oid, int4) in PL/pgSQL',
		q{CREATE FUNCTION tgt.vector_in(cstring, oid, int4) RETURNS int LANGUAGE plpgsql AS 'BEGIN RETURN 1; END'}, 'refused' ],
	[ 'hnswhandler(internal)',
		q{CREATE FUNCTION tgt.hnswhandler(internal) RETURNS int LANGUAGE sql AS 'SELECT 1'}, 'refused' ],
	[ 'vector_recv(internal, oid, int4)',
		q{CREATE FUNCTION tgt.vector_recv(internal, oid, int4) RETURNS int LANGUAGE sql AS 'SELECT 1'}, 'refused' ],
	[ 'shell type vector', q{CREATE TYPE tgt.vector}, 'refused' ],
	[ 'operator family vector_ops', q{CREATE OPERATOR FAMILY tgt.vector_ops USING btree}, 'refused' ],
	[ 'vector_typmod_in(cstring[])',
		q{CREATE FUNCTION tgt.vector_typmod_in(cstring[]) RETURNS int4 LANGUAGE sql AS 'SELECT 7'}, 'fails' ],
	[ 'composite type vector', q{CREATE TYPE tgt.vector AS (x int)}, 'fails' ],
	[ 'domain vector', q{CREATE DOMAIN tgt.vector AS int}, 'fails' ],
	[ 'enum type vector', q{CREATE TYPE tgt.vector AS ENUM ('a')}, 'fails' ],
	[ 'table vector', q{CREATE TABLE tgt.vector (x int)}, 'fails' ],
	[ 'vector_ext_hnsw_check(regclass, bool)',
		q{CREATE FUNCTION tgt.vector_ext_hnsw_check(regclass, bool DEFAULT false) RETURNS int LANGUAGE sql AS 'SELECT 1'},
		'fails' ],
	[ 'operators <-> and <#> on other types',
		q{CREATE FUNCTION tgt.evil(anyelement, anyelement) RETURNS float8 LANGUAGE sql AS 'SELECT 42::float8';
		  CREATE FUNCTION tgt.evil_int(int, int) RETURNS float8 LANGUAGE sql AS 'SELECT 42::float8';
		  CREATE OPERATOR tgt.<-> (LEFTARG = int, RIGHTARG = int, FUNCTION = tgt.evil_int);
		  CREATE OPERATOR tgt.<#> (LEFTARG = anyelement, RIGHTARG = anyelement, FUNCTION = tgt.evil);
		  CREATE OPERATOR tgt.< (LEFTARG = anyelement, RIGHTARG = anyelement, FUNCTION = tgt.evil);
		  CREATE OPERATOR tgt.> (LEFTARG = anyelement, RIGHTARG = anyelement, FUNCTION = tgt.evil)},
		'ignored' ],
	[ 'functions with our names and other argument types',
		q{CREATE FUNCTION tgt.l2_distance(anyelement, anyelement) RETURNS float8 LANGUAGE sql AS 'SELECT 42::float8';
		  CREATE FUNCTION tgt.l2_distance(float8[], float8[]) RETURNS float8 LANGUAGE sql AS 'SELECT 42::float8';
		  CREATE FUNCTION tgt.vector_dims(anyelement) RETURNS int LANGUAGE sql AS 'SELECT 42';
		  CREATE FUNCTION tgt.vector_norm(text) RETURNS float8 LANGUAGE sql AS 'SELECT 42::float8';
		  CREATE FUNCTION tgt.vector(anyelement, int, bool) RETURNS int LANGUAGE sql AS 'SELECT 42';
		  CREATE FUNCTION tgt.array_to_vector(anyarray, int, bool) RETURNS int LANGUAGE sql AS 'SELECT 42'},
		'ignored' ],
	[ 'aggregate avg and function vector_accum on other types',
		q{CREATE FUNCTION tgt.vector_accum(float8[], anyelement) RETURNS float8[] LANGUAGE sql AS 'SELECT $1';
		  CREATE AGGREGATE tgt.avg(anyelement) (SFUNC = tgt.vector_accum, STYPE = float8[], INITCOND = '{0}');
		  CREATE FUNCTION tgt.hnswhandler(text) RETURNS int LANGUAGE sql AS 'SELECT 42'},
		'ignored' ],
);

# how many functions the install script creates (aggregates aside)
my $script = slurp_file(`pg_config --sharedir` =~ s/\s+\z//r . '/extension/vector_ext--0.1.0.sql');
my $n_script_functions = () = $script =~ /^CREATE FUNCTION /mg;

my $db_no = 0;
for my $sc (@scenarios)
{
	my ($name, $attack, $outcome) = @$sc;
	my $db = 'hostile_' . ++$db_no;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE SCHEMA tgt; GRANT USAGE, CREATE ON SCHEMA tgt TO attacker');

	# the attacker's objects, created with the attacker's privileges
	my ($ret, $out, $err) = $node->psql($db, "SET ROLE attacker; SET search_path = tgt; $attack",
		on_error_stop => 1);
	if ($outcome eq 'refused')
	{
		isnt($ret, 0, "$name: the unprivileged role cannot create it");
		my ($msg) = $err =~ /ERROR:\s+([^\n]*)/;
		like($err, qr/cannot (have arguments|accept type)|must be superuser/,
			"$name: refused by PostgreSQL: " . ($msg // ''));
	}
	else
	{
		is($ret, 0, "$name: the attacker created the objects" . ($ret ? ": $err" : ''));
	}

	# remember everything the attacker owns
	$node->safe_psql(
		$db, q{
		CREATE TABLE public.attacker_objects AS
			SELECT 'pg_proc'::regclass AS classid, oid AS objid FROM pg_proc WHERE proowner = 'attacker'::regrole
			UNION ALL SELECT 'pg_operator'::regclass, oid FROM pg_operator WHERE oprowner = 'attacker'::regrole
			UNION ALL SELECT 'pg_type'::regclass, oid FROM pg_type WHERE typowner = 'attacker'::regrole
			UNION ALL SELECT 'pg_class'::regclass, oid FROM pg_class WHERE relowner = 'attacker'::regrole
			UNION ALL SELECT 'pg_opfamily'::regclass, oid FROM pg_opfamily WHERE opfowner = 'attacker'::regrole
			UNION ALL SELECT 'pg_opclass'::regclass, oid FROM pg_opclass WHERE opcowner = 'attacker'::regrole;
	});
	my $n_attacker = $node->safe_psql($db, 'SELECT count(*) FROM public.attacker_objects');

	($ret, $out, $err) = $node->psql($db, 'CREATE EXTENSION vector_ext SCHEMA tgt');
	my $installed = $node->safe_psql($db, "SELECT count(*) FROM pg_extension WHERE extname = 'vector_ext'");
	if ($outcome eq 'fails')
	{
		isnt($ret, 0, "$name: CREATE EXTENSION fails");
		like($err, qr/already exists/, "$name: because the name is taken");
		is($installed, '0', "$name: the extension is not installed");
	}
	else
	{
		is($ret, 0, "$name: CREATE EXTENSION succeeds" . ($ret ? ": $err" : ''));
		is($installed, '1', "$name: the extension is installed");
	}

	# in every case: no attacker object is a member of the extension
	is($node->safe_psql($db, q{
		SELECT count(*) FROM pg_depend d
		 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
		   AND (d.classid, d.objid) IN (SELECT classid, objid FROM public.attacker_objects)}),
		'0', "$name: none of the attacker's $n_attacker objects is an extension member");
	is($node->safe_psql($db, q{SELECT count(*) FROM public.attacker_objects a
		WHERE NOT EXISTS (SELECT 1 FROM pg_proc WHERE a.classid = 'pg_proc'::regclass AND oid = a.objid AND proowner = 'attacker'::regrole)
		  AND NOT EXISTS (SELECT 1 FROM pg_operator WHERE a.classid = 'pg_operator'::regclass AND oid = a.objid AND oprowner = 'attacker'::regrole)
		  AND NOT EXISTS (SELECT 1 FROM pg_type WHERE a.classid = 'pg_type'::regclass AND oid = a.objid AND typowner = 'attacker'::regrole)
		  AND NOT EXISTS (SELECT 1 FROM pg_class WHERE a.classid = 'pg_class'::regclass AND oid = a.objid AND relowner = 'attacker'::regrole)}),
		'0', "$name: the attacker's objects are untouched (same owner, not replaced)");

	next unless $installed eq '1';

	# every member is owned by the installing superuser
	is($node->safe_psql($db, q{
		SELECT count(*) FROM pg_depend d
		  LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
		  LEFT JOIN pg_type t ON d.classid = 'pg_type'::regclass AND t.oid = d.objid
		  LEFT JOIN pg_operator o ON d.classid = 'pg_operator'::regclass AND o.oid = d.objid
		  LEFT JOIN pg_opclass c ON d.classid = 'pg_opclass'::regclass AND c.oid = d.objid
		 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
		   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vector_ext')
		   AND coalesce(p.proowner, t.typowner, o.oprowner, c.opcowner, 10) <> 10}),
		'0', "$name: every extension member is owned by the bootstrap superuser");

	# every member function (but the aggregates) is one of our C functions
	my $c_funcs = $node->safe_psql($db, q{
		SELECT count(*) FILTER (WHERE l.lanname = 'c' AND p.probin = '$libdir/vector_ext'),
		       count(*) FILTER (WHERE NOT (l.lanname = 'c' AND p.probin = '$libdir/vector_ext'))
		  FROM pg_depend d JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
		  JOIN pg_language l ON l.oid = p.prolang
		 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND p.prokind <> 'a'
		   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vector_ext')});
	my ($ours, $others) = split /\|/, $c_funcs;
	is($ours, $n_script_functions, "$name: all $n_script_functions functions of the install script are C functions in vector_ext");
	is($others, '0', "$name: no member function is anything else");

	# the functions with our exact signatures are ours
	is($node->safe_psql($db, q{
		SELECT string_agg(f::text, ', ') FROM unnest(ARRAY[
			'tgt.vector_in(cstring,oid,int4)', 'tgt.vector_out(tgt.vector)',
			'tgt.vector_typmod_in(cstring[])', 'tgt.vector_recv(internal,oid,int4)',
			'tgt.l2_distance(tgt.vector,tgt.vector)', 'tgt.vector_dims(tgt.vector)',
			'tgt.hnswhandler(internal)', 'tgt.vector_accum(float8[],tgt.vector)',
			'tgt.avg(tgt.vector)', 'tgt.vector_ext_hnsw_check(regclass,bool)']::regprocedure[]) f
		 WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
			AND d.objid = f AND d.deptype = 'e')}),
		'', "$name: the functions with our signatures are extension members");
	is($node->safe_psql($db, q{
		SELECT typinput::regproc::text, typoutput::regproc::text, typreceive::regproc::text
		  FROM pg_type WHERE oid = 'tgt.vector'::regtype}),
		'tgt.vector_in|tgt.vector_out|tgt.vector_recv', "$name: the type uses our I/O functions");

	# and they behave as ours, also with the attacker's schema on the path
	is($node->safe_psql($db, q{
		SET search_path = tgt, public;
		SELECT '[1,2]'::vector <-> '[2,3]', '[1,2]'::vector <#> '[2,3]', l2_distance('[0,3]'::vector, '[4,0]'),
		       vector_dims('[1,2,3]'::vector), avg(v), '[1,2]'::vector < '[1,3]'
		  FROM (VALUES ('[1,1]'::vector), ('[3,3]')) x(v)}),
		'1.4142135623730951|-8|5|3|[2,2]|t', "$name: operators, functions and aggregates are ours");
}

# The unprivileged role cannot create the extension at all.
$node->safe_psql('postgres', 'CREATE DATABASE unpriv; GRANT CREATE ON DATABASE unpriv TO attacker');
my ($ret, $out, $err) = $node->psql('unpriv', 'SET ROLE attacker; CREATE EXTENSION vector_ext');
isnt($ret, 0, 'an unprivileged role cannot create the extension');
like($err, qr/permission denied to create extension "vector_ext"/, 'permission denied (not trusted)');

# After a normal install the checker is not executable by PUBLIC or by an
# unprivileged role; the type's functions are.
$node->safe_psql('unpriv', 'CREATE EXTENSION vector_ext');
is($node->safe_psql('unpriv', q{
	SELECT has_function_privilege('attacker', 'vector_ext_hnsw_check(regclass, bool)', 'EXECUTE'),
	       has_function_privilege('attacker', 'l2_distance(vector, vector)', 'EXECUTE'),
	       (SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) a
	         WHERE p.oid = 'vector_ext_hnsw_check(regclass, bool)'::regprocedure AND a.grantee = 0)}),
	'f|t|0', 'vector_ext_hnsw_check is not executable by PUBLIC; the distance functions are');
$node->safe_psql('unpriv', 'CREATE TABLE t (v vector(2)); INSERT INTO t VALUES (\'[1,2]\'); CREATE INDEX t_idx ON t USING hnsw (v vector_l2_ops); GRANT SELECT ON t TO attacker');
($ret, $out, $err) = $node->psql('unpriv', q{SET ROLE attacker; SELECT * FROM vector_ext_hnsw_check('t_idx')});
like($err, qr/permission denied for function vector_ext_hnsw_check/, 'the attacker cannot run the checker');
# and no extension function at all is SECURITY DEFINER
is($node->safe_psql('unpriv', q{
	SELECT count(*) FROM pg_depend d JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
	 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND p.prosecdef}),
	'0', 'no extension function is SECURITY DEFINER');

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $start_time,
	'the postmaster never restarted');
$node->stop;
done_testing();
