-- Comparison operators and the btree operator class: ORDER BY, DISTINCT,
-- GROUP BY, UNIQUE, and index scans.

CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- elements first, then the number of dimensions (like arrays); -0 = 0
SELECT a, b, a < b AS lt, a <= b AS le, a = b AS eq, a <> b AS ne, a >= b AS ge, a > b AS gt,
	vector_cmp(a, b) AS cmp
FROM (VALUES ('[1,2,3]'::vector, '[1,2,3]'::vector), ('[1,2,3]', '[1,2,4]'), ('[1,2,4]', '[1,2,3]'),
	('[1,2]', '[1,2,0]'), ('[1,2,0]', '[1,2]'), ('[2]', '[1,5]'), ('[-1,100]', '[0]'),
	('[0]', '[-0]'), ('[-1e-45]', '[0]'), ('[3.4028235e38]', '[-3.4028235e38]')) v(a, b);
-- comparisons do not need equal dimensions, unlike distances
SELECT '[1,2]'::vector = '[1,2,3]' AS eq, '[1,2]'::vector < '[1,2,3]' AS lt;
SELECT '[1,2]'::vector = NULL AS eq_null;

CREATE TEMP TABLE bt (id int, v vector);
INSERT INTO bt VALUES (1, '[1,2,3]'), (2, '[1,2]'), (3, '[0,5]'), (4, '[1,2,3]'), (5, NULL),
	(6, '[-1,100]'), (7, '[1,2,2.5]'), (8, '[0]'), (9, '[1,2,3,0]'), (10, '[-3.4028235e38]');
SELECT id, v FROM bt ORDER BY v, id;
SELECT id, v FROM bt ORDER BY v DESC NULLS LAST, id;
SELECT DISTINCT v FROM bt ORDER BY v;
SELECT v, count(*), array_agg(id ORDER BY id) AS ids FROM bt GROUP BY v ORDER BY v;
SELECT count(DISTINCT v) FROM bt;
SELECT min(id) FROM bt GROUP BY v HAVING count(*) > 1;
-- -0 and 0 are equal, so they group together
SELECT count(*) AS groups FROM (SELECT v FROM (VALUES ('[0,1]'::vector), ('[-0,1]'), ('[0,-0]')) t(v) GROUP BY v) s;

-- UNIQUE
SELECT pg_temp.err('CREATE UNIQUE INDEX bt_v_key ON bt (v)') AS unique_with_duplicates;
DELETE FROM bt WHERE id = 4;
CREATE UNIQUE INDEX bt_v_key ON bt (v);
SELECT pg_temp.err('INSERT INTO bt VALUES (11, ''[1,2,3]'')') AS duplicate,
	pg_temp.err('INSERT INTO bt VALUES (11, ''[-0]'')') AS negative_zero_duplicate,
	pg_temp.err('INSERT INTO bt VALUES (11, ''[1,2,3,0,0]'')') AS longer;
INSERT INTO bt VALUES (12, NULL);
SELECT count(*) FROM bt;

-- index scans
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM bt WHERE v = '[1,2]';
SELECT id FROM bt WHERE v = '[1,2]';
EXPLAIN (COSTS OFF) SELECT id, v FROM bt WHERE v > '[1,2]' ORDER BY v;
SELECT id, v FROM bt WHERE v > '[1,2]' ORDER BY v;
SELECT id, v FROM bt WHERE v >= '[0]' AND v < '[1,2,3]' ORDER BY v;
SELECT id, v FROM bt WHERE v <= '[0,5]' ORDER BY v DESC;
EXPLAIN (COSTS OFF) SELECT v FROM bt ORDER BY v LIMIT 3;
SELECT v FROM bt ORDER BY v LIMIT 3;
RESET enable_bitmapscan;
RESET enable_seqscan;

-- the index agrees with a sort on a larger table
CREATE TEMP TABLE bt_big AS
	SELECT i, ARRAY[i % 5, (i * 7) % 3, i % 2]::real[]::vector AS v FROM generate_series(1, 3000) i;
CREATE INDEX bt_big_v ON bt_big (v);
SET enable_seqscan = off;
SELECT count(*) AS mismatches FROM (
	SELECT row_number() OVER () AS r, v FROM (SELECT v FROM bt_big ORDER BY v) s
) a JOIN (
	SELECT row_number() OVER (ORDER BY v::real[]) AS r, v FROM bt_big
) b USING (r) WHERE a.v <> b.v;
SELECT count(*) AS rows_equal_to_key FROM bt_big WHERE v = '[1,1,1]';
RESET enable_seqscan;
SELECT count(*) AS rows_equal_to_key FROM bt_big WHERE v = '[1,1,1]';

-- the operator class
SELECT opc.opcname, am.amname, opc.opcdefault,
	array_agg(amop.amopstrategy::text || ':' || amop.amopopr::regoperator::text ORDER BY amop.amopstrategy) AS operators
FROM pg_opclass opc
JOIN pg_am am ON am.oid = opc.opcmethod
JOIN pg_amop amop ON amop.amopfamily = opc.opcfamily
WHERE opc.opcintype = 'vector'::regtype
GROUP BY opc.opcname, am.amname, opc.opcdefault;
SELECT amproc.amprocnum, amproc.amproc::regprocedure
FROM pg_opclass opc JOIN pg_amproc amproc ON amproc.amprocfamily = opc.opcfamily
WHERE opc.opcintype = 'vector'::regtype AND opc.opcname = 'vector_ops';

DROP TABLE bt_big;
DROP TABLE bt;
