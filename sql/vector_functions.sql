-- The vector functions: distances, dims, norm, normalize, subvector, with
-- dimension mismatches, and the catalog properties of every function.

CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- l2_distance
SELECT l2_distance('[0,0]', '[3,4]'), l2_distance('[1,2,3]', '[1,2,3]'),
	l2_distance('[-1]', '[1]'), l2_distance('[1,1,1,1]', '[0,0,0,0]');
SELECT l2_distance('[3e38]', '[-3e38]') AS overflows_to_infinity;
-- inner_product
SELECT inner_product('[1,2,3]', '[4,5,6]'), inner_product('[1,-1]', '[1,1]'),
	inner_product('[-1,-2]', '[3,4]');
-- cosine_distance: parallel 0, orthogonal 1, opposite 2, zero vector NaN
SELECT cosine_distance('[1,2]', '[2,4]') AS parallel, cosine_distance('[1,0]', '[0,1]') AS orthogonal,
	cosine_distance('[1,2,3]', '[-1,-2,-3]') AS opposite, cosine_distance('[1,1]', '[-1,1]') AS right_angle,
	cosine_distance('[0,0]', '[1,1]') AS zero_left, cosine_distance('[1,1]', '[0,0]') AS zero_right,
	cosine_distance('[0,0]', '[0,0]') AS both_zero;
-- clamping: rounding makes the raw similarity leave [-1, 1] for these
-- one-dimensional pairs; the distance still stays within [0, 2]
SELECT a, b, cosine_distance(a, b) AS distance,
	1 - inner_product(a, b) / sqrt(inner_product(a, a) * inner_product(b, b)) AS unclamped
FROM (VALUES ('[9.9]'::vector, '[-16.4296455]'::vector), ('[-2.1]', '[17.1217785]'),
	('[6.9]', '[5.35670996]'), ('[7.3]', '[54.9528122]')) v(a, b);
-- l1_distance
SELECT l1_distance('[1,2,3]', '[0,4,-1]'), l1_distance('[1,2]', '[1,2]'), l1_distance('[-1.5]', '[1.5]');
-- each binary function rejects operands of different dimensions
SELECT f, pg_temp.err(format('SELECT %s(''[1,2]'', ''[1,2,3]'')', f)) AS "2 and 3",
	pg_temp.err(format('SELECT %s(''[1,2,3]'', ''[1]'')', f)) AS "3 and 1"
FROM unnest(ARRAY['l2_distance', 'inner_product', 'cosine_distance', 'l1_distance',
	'vector_l2_squared_distance', 'vector_negative_inner_product']) f;
-- every length, across SIMD widths and remainders, against exact sums: the
-- elements are small integers, so float accumulation in any order is exact
WITH d AS (
	SELECT n, array_agg(((i * 7) % 11 - 5)::real ORDER BY i) AS a, array_agg(((i * 5) % 13 - 6)::real ORDER BY i) AS b
	FROM unnest(ARRAY[1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1001, 16000]) n,
		generate_series(1, n) i
	GROUP BY n
), exact AS (
	SELECT n, a, b,
		(SELECT sum(((x - y) ^ 2)::float8) FROM unnest(a, b) u(x, y)) AS l2sq,
		(SELECT sum((x * y)::float8) FROM unnest(a, b) u(x, y)) AS dot,
		(SELECT sum(abs(x - y)::float8) FROM unnest(a, b) u(x, y)) AS l1,
		(SELECT sum((x * x)::float8) FROM unnest(a) u(x)) AS na,
		(SELECT sum((y * y)::float8) FROM unnest(b) u(y)) AS nb
	FROM d
)
SELECT n,
	l2_distance(a::vector, b::vector) = sqrt(l2sq) AS l2,
	vector_l2_squared_distance(a::vector, b::vector) = l2sq AS l2sq,
	inner_product(a::vector, b::vector) = dot AS ip,
	vector_negative_inner_product(a::vector, b::vector) = -dot AS neg_ip,
	cosine_distance(a::vector, b::vector) = 1 - dot / sqrt(na * nb) AS cos,
	l1_distance(a::vector, b::vector) = l1 AS l1,
	vector_norm(a::vector) = sqrt(na) AS norm
FROM exact ORDER BY n;

-- strict: NULL in, NULL out
SELECT l2_distance(NULL, '[1]') IS NULL AS l2, inner_product('[1]', NULL) IS NULL AS ip,
	cosine_distance(NULL, NULL) IS NULL AS cos, l1_distance(NULL, '[1]') IS NULL AS l1,
	vector_dims(NULL) IS NULL AS dims, vector_norm(NULL) IS NULL AS norm,
	l2_normalize(NULL) IS NULL AS normalize, subvector(NULL, 1, 1) IS NULL AS sub;

-- vector_dims
SELECT vector_dims('[1]'), vector_dims('[1,2,3]'), vector_dims(array_fill(0::real, ARRAY[16000])::vector);
-- vector_norm: accumulates in double, so large elements do not overflow
SELECT vector_norm('[3,4]'), vector_norm('[0,0]'), vector_norm('[-2]'),
	vector_norm('[3e38,3e38]'), vector_norm('[1e-45]');
-- l2_normalize: unit length; a zero vector stays zero
SELECT l2_normalize('[3,4]'), l2_normalize('[0,0]'), l2_normalize('[-0,0]'), l2_normalize('[-5]'),
	l2_normalize('[3e38,3e38]'), l2_normalize('[1e-45,0]');
SELECT round(vector_norm(l2_normalize('[1,2,3,4,5]'))::numeric, 6) AS unit_norm;

-- subvector(v, start, count): 1-based, positions before 1 count against
-- count (like substring), and the result must keep at least one element
SELECT s AS start, c AS count, pg_temp.err(format('SELECT subvector(''[1,2,3,4,5]'', %s, %s)', s, c)) AS status,
	CASE WHEN pg_temp.err(format('SELECT subvector(''[1,2,3,4,5]'', %s, %s)', s, c)) = 'ok'
		THEN subvector('[1,2,3,4,5]', s, c)::text END AS result
FROM (VALUES (1, 5), (1, 3), (2, 3), (4, 2), (5, 1), (4, 10), (0, 2), (-1, 3), (-1, 10),
	(1, 2147483647), (2, 2147483647), (-2147483648, 2147483647), (-2, 2147483647),
	(6, 1), (10, 1), (1, 0), (1, -1), (0, 1), (-1, 2), (-5, 3), (5, 0),
	(2147483647, 1), (2147483647, 2147483647), (-2147483648, 1), (-2147483648, -2147483648),
	(2, -2147483648)) v(s, c);
SELECT vector_dims(subvector(array_fill(1::real, ARRAY[16000])::vector, 2, 16000)) AS tail_of_max;

-- values read from a table (stored with a 1-byte header, elements not
-- aligned) give the same results as fresh values
CREATE TEMP TABLE stored (id int, a vector, b vector);
INSERT INTO stored VALUES (1, '[1,2,3]', '[4,-5,6]'), (2, '[0.5]', '[-0.25]'),
	(3, '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]', '[2,0,2,0,2,0,2,0,2,0,2,0,2,0,2,0,2]');
SELECT id, pg_column_size(a) AS stored_size,
	l2_distance(a, b) = l2_distance(a::text::vector, b::text::vector) AS l2,
	inner_product(a, b) = inner_product(a::text::vector, b::text::vector) AS ip,
	cosine_distance(a, b) = cosine_distance(a::text::vector, b::text::vector) AS cos,
	l1_distance(a, b) = l1_distance(a::text::vector, b::text::vector) AS l1,
	vector_norm(a) = vector_norm(a::text::vector) AS norm,
	vector_dims(a) = vector_dims(a::text::vector) AS dims,
	l2_normalize(b)::text = l2_normalize(b::text::vector)::text AS normalize,
	subvector(a, 1, 1)::text = subvector(a::text::vector, 1, 1)::text AS sub,
	(a + b)::text = (a::text::vector + b::text::vector)::text AS add,
	(a || b)::text = (a::text::vector || b::text::vector)::text AS concat,
	a::real[] = a::text::vector::real[] AS to_array
FROM stored ORDER BY id;

-- volatility, strictness and parallel safety of every function of the extension
SELECT p.oid::regprocedure AS function, p.prokind, p.provolatile, p.proisstrict, p.proparallel,
	p.prorettype::regtype AS returns
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'vector_ext'
ORDER BY p.oid::regprocedure::text;
