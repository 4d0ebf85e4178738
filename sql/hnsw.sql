-- hnsw: DDL, options, settings, errors, plans and small exact result sets.
SET enable_seqscan = off;

CREATE TABLE items (id int PRIMARY KEY, v vector(3));
INSERT INTO items VALUES (1, '[1,1,1]'), (2, '[2,2,2]'), (3, '[1,1,2]'), (4, '[0,0,0]'),
	(5, '[-1,-1,-1]'), (6, NULL), (7, '[10,0,0]');

-- every operator class, each used by its operator
CREATE INDEX items_l2 ON items USING hnsw (v vector_l2_ops);
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY v <-> '[1,1,1.2]' LIMIT 3;
SELECT id, round((v <-> '[1,1,1.2]')::numeric, 4) FROM items ORDER BY v <-> '[1,1,1.2]' LIMIT 3;
SELECT count(*) FROM (SELECT id FROM items ORDER BY v <-> '[1,1,1]' LIMIT 100) s;
DROP INDEX items_l2;

CREATE INDEX items_ip ON items USING hnsw (v vector_ip_ops);
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY v <#> '[1,1,1.2]' LIMIT 3;
SELECT id FROM items ORDER BY v <#> '[1,1,1.2]' LIMIT 3;
DROP INDEX items_ip;

-- cosine: the zero vector (4) and NULL (6) are not indexed
CREATE INDEX items_cos ON items USING hnsw (v vector_cosine_ops);
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY v <=> '[1,1,1.2]' LIMIT 3;
SELECT id FROM items ORDER BY v <=> '[1,1,1]', id LIMIT 3;
SELECT count(*) FROM (SELECT id FROM items ORDER BY v <=> '[1,1,1]' LIMIT 100) s;
DROP INDEX items_cos;

CREATE INDEX items_l1 ON items USING hnsw (v vector_l1_ops);
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY v <+> '[1,1,1.2]' LIMIT 3;
SELECT id FROM items ORDER BY v <+> '[1,1,1.2]' LIMIT 3;
DROP INDEX items_l1;

-- inserts, deletes and VACUUM after the build
CREATE INDEX items_idx ON items USING hnsw (v vector_l2_ops) WITH (m = 4, ef_construction = 16);
INSERT INTO items VALUES (8, '[1,1,1.1]'), (9, NULL);
SELECT id FROM items ORDER BY v <-> '[1,1,1.2]' LIMIT 3;
DELETE FROM items WHERE id IN (1, 8);
VACUUM items;
SELECT id FROM items ORDER BY v <-> '[1,1,1.2]' LIMIT 3;
SELECT elements, live, dead, free, links_to_free FROM vector_ext_hnsw_check('items_idx', true);

-- ORDER BY NULL: rows in graph order, like a sequential scan would return them (all distances NULL)
SELECT count(*) FROM (SELECT id FROM items ORDER BY v <-> NULL LIMIT 3) s;

-- a query of other dimensions
SELECT id FROM items ORDER BY v <-> '[1,1]' LIMIT 1;

-- the index is not used without ORDER BY, nor for descending order
EXPLAIN (COSTS OFF) SELECT id FROM items WHERE v = '[1,1,1]';
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY v <-> '[1,1,1]' DESC LIMIT 3;

-- properties
SELECT pg_index_column_has_property('items_idx', 1, 'distance_orderable') AS distance_orderable,
	pg_index_column_has_property('items_idx', 1, 'orderable') AS orderable,
	pg_index_has_property('items_idx', 'clusterable') AS clusterable;

-- options and their bounds
CREATE INDEX ON items USING hnsw (v vector_l2_ops) WITH (m = 1);
CREATE INDEX ON items USING hnsw (v vector_l2_ops) WITH (m = 101);
CREATE INDEX ON items USING hnsw (v vector_l2_ops) WITH (ef_construction = 3);
CREATE INDEX ON items USING hnsw (v vector_l2_ops) WITH (ef_construction = 1001);
CREATE INDEX ON items USING hnsw (v vector_l2_ops) WITH (m = 16, ef_construction = 31);
CREATE INDEX ON items USING hnsw (v vector_l2_ops) WITH (lists = 10);

-- settings and their bounds
SHOW hnsw.ef_search;
SET hnsw.ef_search = 0;
SET hnsw.ef_search = 1001;
SET hnsw.ef_search = 1;
SELECT count(*) FROM (SELECT id FROM items ORDER BY v <-> '[1,1,1]' LIMIT 5) s;
RESET hnsw.ef_search;
SHOW hnsw.iterative_scan;
SET hnsw.iterative_scan = sideways;
SET hnsw.iterative_scan = strict_order;
SET hnsw.ef_search = 1;
SELECT count(*) FROM (SELECT id FROM items ORDER BY v <-> '[1,1,1]' LIMIT 5) s;
RESET hnsw.ef_search;
RESET hnsw.iterative_scan;
SHOW hnsw.max_scan_tuples;
SET hnsw.max_scan_tuples = 0;
SHOW hnsw.scan_mem_multiplier;
SET hnsw.scan_mem_multiplier = 0;

-- columns the index cannot take
CREATE TABLE nodims (v vector);
CREATE INDEX ON nodims USING hnsw (v vector_l2_ops);
CREATE TABLE wide (v vector(2034));
CREATE INDEX ON wide USING hnsw (v vector_l2_ops);
CREATE TABLE widest (v vector(2033));
CREATE INDEX ON widest USING hnsw (v vector_l2_ops);
INSERT INTO widest SELECT array_fill(i::real, ARRAY[2033])::vector FROM generate_series(1, 3) i;
SELECT v[1] FROM (SELECT v::real[] AS v FROM widest ORDER BY v <-> array_fill(2.9::real, ARRAY[2033])::vector LIMIT 1) s;
CREATE INDEX ON items USING hnsw (v);
CREATE INDEX ON items USING hnsw (id);

-- an empty table, an unlogged table
CREATE TABLE empty (v vector(2));
CREATE INDEX ON empty USING hnsw (v vector_l2_ops);
SELECT * FROM empty ORDER BY v <-> '[1,1]' LIMIT 1;
INSERT INTO empty VALUES ('[1,1]');
SELECT * FROM empty ORDER BY v <-> '[1,1]' LIMIT 1;
CREATE UNLOGGED TABLE unlogged (v vector(2));
INSERT INTO unlogged VALUES ('[1,2]'), ('[3,4]');
CREATE INDEX unlogged_idx ON unlogged USING hnsw (v vector_l2_ops);
SELECT * FROM unlogged ORDER BY v <-> '[3,3]' LIMIT 1;

-- the checker refuses other indexes and is not for PUBLIC
SELECT * FROM vector_ext_hnsw_check('items_pkey');
SELECT has_function_privilege('public', 'vector_ext_hnsw_check(regclass, boolean)', 'execute');

-- REINDEX and CREATE INDEX CONCURRENTLY
REINDEX INDEX items_idx;
CREATE INDEX CONCURRENTLY items_conc ON items USING hnsw (v vector_cosine_ops);
SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_conc'::regclass;
REINDEX INDEX CONCURRENTLY items_conc;
SELECT id FROM items ORDER BY v <=> '[1,1,1]', id LIMIT 2;

DROP TABLE items, nodims, wide, widest, empty, unlogged;
