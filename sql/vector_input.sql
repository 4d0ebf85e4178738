-- Text input and output of vector: valid literals, round trips, every
-- malformed literal with its SQLSTATE, dimension limits and type modifiers.

-- The SQLSTATE and message of a statement, or 'ok'.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- A literal read as vector: its output, or the SQLSTATE and message.
CREATE FUNCTION pg_temp.vin(lit text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	RETURN lit::vector::text;
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- valid literals: whitespace, signs, exponents, -0, subnormals, float4 limits
SELECT to_json(lit)::text AS literal, pg_temp.vin(lit) AS result FROM (VALUES
	('[1,2,3]'),
	('[ 1 , 2 , 3 ]'),
	(E'\t\n [1,2] \r\n'),
	('[-1,+2,-3.5]'),
	('[1e2,1E-2,1e+2,-1.5e-3]'),
	('[.5,5.,0.25]'),
	('[-0,0,+0]'),
	('[1e-45]'),
	('[-1e-45]'),
	('[1.1754944e-38]'),
	('[3.4028235e38,-3.4028235e38]'),
	('[3.40282356e38]'),
	('[1e6,123456,1234567,0.0001,0.00001]'),
	('[16777217]'),
	('[42784712]'),
	('[0.1,0.2,0.3]'),
	('[1e-50,-1e-999]'),
	('[1.0000001,0.99999994]')
) v(lit);

-- huge digit runs
SELECT pg_temp.vin('[' || repeat('0', 1000) || '1.5]') AS leading_zeros,
	pg_temp.vin('[1.' || repeat('0', 1000) || '1]') AS long_fraction,
	pg_temp.vin('[0.' || repeat('0', 1000) || '1]') AS tiny,
	pg_temp.vin('[' || repeat('3', 1000) || 'e-1000]') AS scaled;
SELECT left(pg_temp.vin('[' || repeat('9', 1000) || ']'), 40) AS too_big,
	length(pg_temp.vin('[' || repeat('9', 1000) || ']')) AS message_length;

-- text output reads back to the identical vector
SELECT lit, lit::vector::text::vector = lit::vector AS equal,
	lit::vector::text = lit::vector::text::vector::text AS same_text
FROM (VALUES ('[1,2,3]'), ('[-0,1e-45,3.4028235e38]'), ('[0.1,0.7,1.0000001]'),
	('[123456.7,1.2345678e+07,1e-05]')) v(lit);

-- output matches real[] (float4out) for every element, and reads back exactly
SELECT setseed(0.25);
WITH r AS (
	SELECT (random() * 2 - 1) * power(10::float8, random() * 83 - 45) AS d
	FROM generate_series(1, 20000)
), f AS (
	SELECT d::real AS x FROM r WHERE abs(d) >= 1e-45
)
SELECT count(*) AS n,
	count(*) FILTER (WHERE array[x]::vector::text <> '[' || x::text || ']') AS not_like_float4out,
	count(*) FILTER (WHERE array[x]::vector::text::vector::real[] <> array[x]) AS not_round_trip
FROM f;
SELECT array_agg(x)::vector::text = '[' || array_to_string(array_agg(x), ',') || ']' AS one_vector_like_float4out
FROM (SELECT ((i * 1.7e-7 - 3) ^ 7)::real AS x FROM generate_series(1, 300) i) s;

-- 16000 dimensions is the maximum
SELECT vector_dims(v), v::text::vector = v AS round_trip
FROM (SELECT array_fill(1.5::real, ARRAY[16000])::vector AS v) s;
SELECT pg_temp.vin('[' || repeat('1,', 15999) || '1]') = '[' || repeat('1,', 15999) || '1]' AS max_literal;
SELECT pg_temp.vin('[' || repeat('1,', 16000) || '1]') AS too_many;
SELECT pg_temp.err('SELECT array_fill(1::real, ARRAY[16001])::vector') AS too_many_from_array;

-- malformed literals: each is an error with a stable SQLSTATE
SELECT to_json(lit)::text AS literal, pg_temp.vin(lit) AS result FROM (VALUES
	('['),
	(']'),
	(''),
	('   '),
	('[1,]'),
	('[,1]'),
	('[,]'),
	('[1,,3]'),
	('[1 2]'),
	('[1;2]'),
	('1,2,3'),
	('{1,2,3}'),
	('(1,2,3)'),
	('[1,2'),
	('[[1]]'),
	('[1]]'),
	('[1,2]x'),
	('[1,2] ,'),
	('[1,2][3]'),
	('x[1,2]'),
	('[1,2,3]junk'),
	('[]'),
	('[ ]'),
	('[-]'),
	('[+]'),
	('[.]'),
	('[1e]'),
	('[1e+]'),
	('[+-1]'),
	('[-+1]'),
	('[--1]'),
	('[1_000]'),
	('[0x10]'),
	('[1.2.3]'),
	('e999'),
	('[e999]'),
	('[1e999]'),
	('[-1e999]'),
	('[1e39]'),
	('[3.4028236e38]'),
	('[-3.4028236e38]'),
	('[1, 1e999x]'),
	('[ +1e999 ]'),
	('nan'),
	('[nan]'),
	('[NaN]'),
	('[-nan]'),
	('[1,nan]'),
	('inf'),
	('[inf]'),
	('[-inf]'),
	('[Infinity]'),
	('[-Infinity]'),
	('[１]'),                -- U+FF11 fullwidth digit one
	('[−1]'),                -- U+2212 minus sign
	(E'[1\u00a0]'),          -- U+00A0 no-break space after the 1
	('[1,2]é'),
	('é[1,2]'),
	('[é]'),
	('[1,2]😀')
) v(lit);

-- the input function does not write into its input: the same text, read
-- again and again, gives the same value and stays as it was
CREATE TEMP TABLE lits (id int, t text);
INSERT INTO lits VALUES (1, '[1, 2.5 ,-3e2]'), (2, E'  [ 0.1,0.2 ]\n'), (3, '[1,2]x'), (4, '[1e999, 2]');
CREATE TEMP TABLE lits_before AS SELECT * FROM lits;
SELECT id, pg_temp.vin(t) AS first, pg_temp.vin(t) AS second, pg_temp.vin(t) AS third FROM lits ORDER BY id;
SELECT l.id, l.t = b.t AS unchanged FROM lits l JOIN lits_before b USING (id) ORDER BY l.id;
PREPARE lit_again AS SELECT '[7,8,9]'::vector AS v;
EXECUTE lit_again;
EXECUTE lit_again;
DEALLOCATE lit_again;

-- type modifiers
SELECT '[1,2,3]'::vector(3);
SELECT pg_temp.err('SELECT ''[1,2]''::vector(3)') AS fewer,
	pg_temp.err('SELECT ''[1,2,3,4]''::vector(3)') AS more;
SELECT pg_temp.err('SELECT ''[1]''::vector(0)') AS zero,
	pg_temp.err('SELECT ''[1]''::vector(-1)') AS negative,
	pg_temp.err('SELECT ''[1]''::vector(16001)') AS too_many,
	pg_temp.err('SELECT ''[1]''::vector(1,2)') AS two_modifiers,
	pg_temp.err('SELECT ''[1]''::vector(a)') AS not_a_number;
SELECT vector_dims(array_fill(0::real, ARRAY[16000])::vector(16000)) AS max_typmod;
CREATE TEMP TABLE t3 (v vector(3));
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 't3'::regclass AND attname = 'v';
INSERT INTO t3 VALUES ('[1,2,3]'), (NULL);
SELECT pg_temp.err('INSERT INTO t3 VALUES (''[1,2]'')') AS insert_2_into_3;
SELECT pg_temp.err('CREATE TEMP TABLE t0 (v vector(0))') AS column_vector_0,
	pg_temp.err('CREATE TEMP TABLE t16001 (v vector(16001))') AS column_vector_16001;
SELECT v FROM t3 ORDER BY v;
