-- avg and sum over vector: values, NULLs, empty input, errors, grouping,
-- window use, and parallel aggregation through the combine functions.

CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

SELECT avg(v), sum(v) FROM (VALUES ('[1,2,3]'::vector), ('[3,4,5]'), ('[-1,0,0.5]')) t(v);
SELECT avg(v), sum(v) FROM (VALUES ('[1.5]'::vector)) t(v);
-- NULL rows are ignored
SELECT avg(v), sum(v), count(v), count(*) FROM (VALUES (NULL::vector), ('[1,2]'), (NULL), ('[3,6]')) t(v);
-- no rows, or only NULLs: NULL
SELECT avg(v) IS NULL AS avg_null, sum(v) IS NULL AS sum_null FROM (VALUES ('[1,2]'::vector)) t(v) WHERE false;
SELECT avg(v) IS NULL AS avg_null, sum(v) IS NULL AS sum_null FROM (VALUES (NULL::vector), (NULL)) t(v);
-- different dimensions
SELECT pg_temp.err('SELECT avg(v) FROM (VALUES (''[1,2]''::vector), (''[1,2,3]'')) t(v)') AS avg_dims,
	pg_temp.err('SELECT sum(v) FROM (VALUES (''[1,2]''::vector), (''[1,2,3]'')) t(v)') AS sum_dims;
-- sum overflows float4; avg accumulates in double, so its mean is fine
SELECT pg_temp.err('SELECT sum(v) FROM (VALUES (''[3e38]''::vector), (''[3e38]'')) t(v)') AS sum_overflow,
	pg_temp.err('SELECT sum(v) FROM (VALUES (''[-3e38,1]''::vector), (''[-3e38,1]'')) t(v)') AS sum_negative_overflow;
SELECT avg(v) FROM (VALUES ('[3e38,-3e38]'::vector), ('[3e38,-3e38]'), ('[3e38,-3e38]')) t(v);
-- avg accumulates in double: the 1000 small rows are not lost next to the 1
-- (float4 accumulation would give 1 / 1001 = 0.000999001)
SELECT avg(v) FROM (SELECT CASE WHEN i = 1 THEN '[1]'::vector ELSE '[1e-8]' END AS v
	FROM generate_series(1, 1001) i) s;

-- grouped, and as window functions
SELECT g, avg(v), sum(v) FROM (VALUES (1, '[1,2]'::vector), (1, '[3,4]'), (2, '[10,10]'), (2, NULL), (3, NULL)) t(g, v)
GROUP BY g ORDER BY g;
SELECT i, avg(v) OVER w, sum(v) OVER w
FROM (VALUES (1, '[1,2]'::vector), (2, '[3,4]'), (3, NULL), (4, '[5,9]')) t(i, v)
WINDOW w AS (ORDER BY i) ORDER BY i;
SELECT i, avg(v) OVER w, sum(v) OVER w
FROM (VALUES (1, '[1,2]'::vector), (2, '[3,4]'), (3, '[5,9]'), (4, '[0,0]')) t(i, v)
WINDOW w AS (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) ORDER BY i;

-- the state functions called directly: state is {count, sum_1, ..., sum_n}
SELECT vector_accum('{0}', '[1,2]') AS first_row, vector_accum('{1,1,2}', '[3,4]') AS second_row,
	vector_combine('{1,1,2}', '{0}') AS with_empty_right, vector_combine('{0}', '{1,1,2}') AS with_empty_left,
	vector_combine('{0}', '{0}') AS both_empty, vector_combine('{1,1,2}', '{2,3,4}') AS combined,
	vector_avg('{2,3,4}') AS mean, vector_avg('{0}') IS NULL AS mean_of_nothing;
SELECT pg_temp.err('SELECT vector_accum(''{1,1,2}'', ''[1,2,3]'')') AS accum_dims,
	pg_temp.err('SELECT vector_combine(''{1,1,2}'', ''{1,1,2,3}'')') AS combine_dims,
	pg_temp.err('SELECT vector_combine(''{1,1e308}'', ''{1,1e308}'')') AS combine_overflow;
-- a direct call does not change its argument
SELECT s, vector_accum(s, '[5,5]') AS accumulated, s AS still FROM (VALUES ('{1,1,2}'::float8[])) t(s);

-- the aggregates' catalog entries
SELECT a.aggfnoid::regprocedure AS aggregate, a.aggtransfn, a.aggcombinefn, a.aggfinalfn,
	a.aggtranstype::regtype AS state, a.agginitval
FROM pg_aggregate a
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = a.aggfnoid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'vector_ext'
ORDER BY a.aggfnoid::regprocedure::text;

-- parallel aggregation: partial states from the workers meet in the
-- combine functions; the result equals the serial one
CREATE TABLE agg_par (i int, g int, v vector(3));
INSERT INTO agg_par SELECT i, i % 3, ARRAY[i % 7, i % 11 - 5, (i % 13) * 0.5]::real[]::vector
	FROM generate_series(1, 5000) i;
INSERT INTO agg_par VALUES (0, 0, NULL), (-1, 3, NULL);
ANALYZE agg_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v), count(v) FROM agg_par;
SELECT avg(v), sum(v), count(v) FROM agg_par;
EXPLAIN (COSTS OFF) SELECT g, avg(v), sum(v) FROM agg_par GROUP BY g ORDER BY g;
SELECT g, avg(v), sum(v) FROM agg_par GROUP BY g ORDER BY g;
SELECT pg_temp.err('SELECT sum(v) FROM (SELECT v FROM agg_par UNION ALL SELECT ''[3e38,0,0]'' FROM generate_series(1, 2)) s') AS parallel_sum_overflow;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v), count(v) FROM agg_par;
SELECT avg(v), sum(v), count(v) FROM agg_par;
SELECT g, avg(v), sum(v) FROM agg_par GROUP BY g ORDER BY g;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
DROP TABLE agg_par;
