-- The demo's SQL: a sample table of 64-d embeddings in 20 categories, an
-- hnsw index, and nearest-neighbour queries through it.
\pset footer off
CREATE EXTENSION vector_ext;

CREATE TABLE items (id bigint PRIMARY KEY, category int NOT NULL, embedding vector(64));

-- 20,000 rows: each category has its own centre, rows scatter around it
INSERT INTO items
SELECT i, i % 20,
       (SELECT array_agg(((i % 20) * 0.05 + random() * 0.2 + 0 * g)::real)
          FROM generate_series(1, 64) AS g)::vector(64)
  FROM generate_series(1, 20000) AS i;
ANALYZE items;

\echo
\echo 'Building an hnsw index (m = 16, ef_construction = 64) on the embeddings:'
\timing on
CREATE INDEX items_embedding_idx ON items USING hnsw (embedding vector_l2_ops)
    WITH (m = 16, ef_construction = 64);
\timing off
SELECT pg_size_pretty(pg_relation_size('items_embedding_idx')) AS index_size,
       pg_size_pretty(pg_table_size('items')) AS table_size;

\echo 'The nearest-neighbour query uses the index:'
EXPLAIN (COSTS OFF)
SELECT id FROM items ORDER BY embedding <-> (SELECT embedding FROM items WHERE id = 42) LIMIT 10;

\echo 'Ten nearest neighbours of item 42 by L2 distance (<->), through the index:'
SELECT id, category, round((embedding <-> (SELECT embedding FROM items WHERE id = 42))::numeric, 4) AS l2
  FROM items ORDER BY embedding <-> (SELECT embedding FROM items WHERE id = 42) LIMIT 10;

\echo 'The same query by exact search (index scans off), for comparison:'
SET enable_indexscan = off;
SELECT id, category, round((embedding <-> (SELECT embedding FROM items WHERE id = 42))::numeric, 4) AS l2
  FROM items ORDER BY embedding <-> (SELECT embedding FROM items WHERE id = 42) LIMIT 10;
RESET enable_indexscan;

\echo 'A filtered query (category 7, 5% of the rows) with an iterative index scan:'
SET hnsw.iterative_scan = relaxed_order;
SELECT id, category FROM items WHERE category = 7
 ORDER BY embedding <-> (SELECT embedding FROM items WHERE id = 42) LIMIT 5;
RESET hnsw.iterative_scan;

\echo 'Average embedding per category (first 4 dimensions):'
SELECT category, subvector(avg(embedding), 1, 4) AS centre
  FROM items GROUP BY category ORDER BY category LIMIT 5;

\echo 'The index passes the structural checker:'
SELECT * FROM vector_ext_hnsw_check('items_embedding_idx', true);
