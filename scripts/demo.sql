-- The demo's SQL: a sample table of 64-d embeddings in 20 categories.
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
\echo 'Ten nearest neighbours of item 42 by L2 distance (<->):'
SELECT id, category, round((embedding <-> (SELECT embedding FROM items WHERE id = 42))::numeric, 4) AS l2
  FROM items ORDER BY embedding <-> (SELECT embedding FROM items WHERE id = 42) LIMIT 10;

\echo 'Five nearest by cosine distance (<=>), within category 7:'
SELECT id, round((embedding <=> (SELECT embedding FROM items WHERE id = 42))::numeric, 6) AS cosine
  FROM items WHERE category = 7
 ORDER BY embedding <=> (SELECT embedding FROM items WHERE id = 42) LIMIT 5;

\echo 'Average embedding per category (first 4 dimensions):'
SELECT category, subvector(avg(embedding), 1, 4) AS centre
  FROM items GROUP BY category ORDER BY category LIMIT 5;
