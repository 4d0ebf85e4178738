-- Casts between vector and arrays, and between vector typmods.

CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- integer[], real[], double precision[] and numeric[] to vector
SELECT '{1,2,3}'::int[]::vector AS int4, '{1.5,-2,3e-3}'::real[]::vector AS float4,
	'{1.5,-2,3e-3}'::float8[]::vector AS float8, '{1.5,-2,0.003}'::numeric[]::vector AS numeric;
SELECT ARRAY[16777217]::vector AS int_rounded, ARRAY[0.1::float8]::vector AS float8_rounded,
	ARRAY[0.1::numeric]::vector AS numeric_rounded, ARRAY[-0::float8]::vector AS neg_zero,
	ARRAY[3.4028234663852886e38::float8]::vector AS float8_max, ARRAY[1e-45::float8]::vector AS float8_tiny;
SELECT '[2:4]={7,8,9}'::int[]::vector AS lower_bound_2;
-- and through a typmod
SELECT '{1,2,3}'::int[]::vector(3) AS int4, '{1,2,3}'::real[]::vector(3) AS float4,
	'{1,2,3}'::float8[]::vector(3) AS float8, '{1,2,3}'::numeric[]::vector(3) AS numeric;
SELECT t, pg_temp.err(format('SELECT ''{1,2}''::%s::vector(3)', t)) AS "2 into vector(3)"
FROM unnest(ARRAY['int[]', 'real[]', 'float8[]', 'numeric[]']) t;
-- assignment casts into a vector(3) column
CREATE TEMP TABLE c3 (id int, v vector(3));
INSERT INTO c3 VALUES (1, '{1,2,3}'::int[]), (2, '{1.5,2,3}'::real[]), (3, '{1,2.5,3}'::float8[]),
	(4, '{1,2,3.5}'::numeric[]), (5, ARRAY[4,5,6]), (6, ARRAY[0.5,0.25,0.125]), (7, NULL::int[]);
SELECT id, v FROM c3 ORDER BY id;
SELECT pg_temp.err('INSERT INTO c3 VALUES (8, ''{1,2}''::int[])') AS int_short,
	pg_temp.err('INSERT INTO c3 VALUES (8, ARRAY[1.0,2.0,3.0,4.0])') AS numeric_long;
-- implicit use is not allowed: only assignment
SELECT pg_temp.err('SELECT l2_distance(''{1,2}''::int[], ''[1,2]''::vector)') AS not_implicit;
-- errors: NULL elements, more than one dimension, empty, too many, NaN, infinities, range
SELECT t, pg_temp.err(format('SELECT ''{1,NULL,3}''::%s::vector', t)) AS null_element,
	pg_temp.err(format('SELECT ''{{1,2},{3,4}}''::%s::vector', t)) AS two_d,
	pg_temp.err(format('SELECT ''{}''::%s::vector', t)) AS empty,
	pg_temp.err(format('SELECT array_fill(1::%s, ARRAY[16001])::vector', replace(t, '[]', ''))) AS too_many
FROM unnest(ARRAY['int[]', 'real[]', 'float8[]', 'numeric[]']) t;
SELECT pg_temp.err('SELECT ''{{{1}}}''::int[]::vector') AS three_d,
	pg_temp.err('SELECT ''{{1,2}}''::int[]::vector') AS one_by_two;
SELECT t, pg_temp.err(format('SELECT ''{1,NaN}''::%s::vector', t)) AS nan,
	pg_temp.err(format('SELECT ''{1,Infinity}''::%s::vector', t)) AS inf,
	pg_temp.err(format('SELECT ''{-Infinity}''::%s::vector', t)) AS minus_inf
FROM unnest(ARRAY['real[]', 'float8[]', 'numeric[]']) t;
-- values outside float4: too large is out of range (22003), as float8 -> real
SELECT pg_temp.err('SELECT ''{1,1e39}''::float8[]::vector') AS float8_too_large,
	pg_temp.err('SELECT ''{-1e300}''::float8[]::vector') AS float8_too_negative,
	pg_temp.err('SELECT ''{3.4028236e38}''::float8[]::vector') AS float8_just_past_max,
	pg_temp.err('SELECT ''{1e39}''::numeric[]::vector') AS numeric_too_large;
-- too small rounds to zero (or a subnormal), as in text input
SELECT '{1e-300,-1e-300,1e-45,1e-40}'::float8[]::vector AS float8_tiny,
	'[1e-300,-1e-300,1e-45,1e-40]'::vector AS text_tiny;
-- numeric goes through numeric -> real, which rejects both ends
SELECT pg_temp.err('SELECT ''{1e-50}''::numeric[]::vector') AS numeric_tiny;
SELECT t, pg_temp.err(format('SELECT ''{1,2}''::%s::vector', t)) AS unsupported
FROM unnest(ARRAY['smallint[]', 'bigint[]', 'text[]']) t;

-- vector to real[] (implicit)
SELECT '[1,2,3]'::vector::real[] AS arr, pg_typeof('[1,2,3]'::vector::real[]) AS type,
	array_lower('[1,2,3]'::vector::real[], 1) AS lower, array_upper('[1,2,3]'::vector::real[], 1) AS upper;
SELECT '[-0,1e-45,3.4028235e38]'::vector::real[] AS extremes;
CREATE FUNCTION pg_temp.second(a real[]) RETURNS real LANGUAGE sql AS 'SELECT a[2]';
SELECT pg_temp.second('[1,2.5,3]'::vector) AS implicit_to_real_array;
SELECT cardinality(array_fill(1::real, ARRAY[16000])::vector::real[]) AS max_dims;
SELECT v::real[]::vector = v AS round_trip
FROM (VALUES ('[1,2,3]'::vector), ('[-0,1e-45,-3.4028235e38]')) t(v);
SELECT pg_temp.err('SELECT ''[1,2]''::vector::float8[]') AS no_float8_cast,
	pg_temp.err('SELECT ''[1,2]''::vector::int[]') AS no_int_cast;

-- vector(n) to vector(m)
SELECT '[1,2,3]'::vector(3)::vector(3) AS same, '[1,2,3]'::vector(3)::vector AS unconstrained;
SELECT pg_temp.err('SELECT ''[1,2,3]''::vector(3)::vector(2)') AS three_to_two,
	pg_temp.err('SELECT ''[1,2]''::vector(2)::vector(3)') AS two_to_three,
	pg_temp.err('SELECT ''[1,2,3]''::vector::vector(2)') AS unconstrained_to_two;
CREATE TEMP TABLE c2 (v vector(2));
SELECT pg_temp.err('INSERT INTO c2 SELECT v FROM c3 WHERE id = 1') AS insert_vector3_into_vector2;

-- the casts' catalog entries (context i = implicit, a = assignment)
SELECT c.castsource::regtype AS source, c.casttarget::regtype AS target,
	c.castfunc::regprocedure AS function, c.castcontext, c.castmethod
FROM pg_cast c
JOIN pg_depend d ON d.classid = 'pg_cast'::regclass AND d.objid = c.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'vector_ext'
ORDER BY c.castsource::regtype::text, c.casttarget::regtype::text;
