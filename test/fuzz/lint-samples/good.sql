-- Lint sample: nothing here may be reported (tricky but correct constructs).
-- Comments may say CREATE OR REPLACE and IF NOT EXISTS; so may strings.
/* a block comment: CREATE OR REPLACE FUNCTION f() ... IF NOT EXISTS
   /* nested */ still a comment: SELECT l2_distance(x, x) */

COMMENT ON TYPE @extschema@.vector IS 'created IF NOT EXISTS? never; CREATE OR REPLACE? never';
CREATE FUNCTION @extschema@.c_func(pg_catalog.int4) RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME', 'c_func' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION "@extschema@"."odd;name"() RETURNS pg_catalog.int4 AS 'MODULE_PATHNAME' LANGUAGE C;

CREATE FUNCTION @extschema@.q1(x @extschema@.vector) RETURNS pg_catalog.float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	-- comments in bodies may mention sqrt(x) and x + 1
	SELECT pg_catalog.sqrt(@extschema@.vector_norm(x)::pg_catalog.float8)
	       OPERATOR(pg_catalog.+) -1
	       OPERATOR(pg_catalog.*) CAST(2 AS pg_catalog.float8)
	       OPERATOR(pg_catalog.-) (SELECT pg_catalog.count(*) FROM pg_catalog.generate_series(1, 3) g)
	       OPERATOR(pg_catalog.-) COALESCE(NULL, 0)
	       OPERATOR(pg_catalog.+) GREATEST(1, 2)
	       OPERATOR(pg_catalog.+) EXTRACT(epoch FROM pg_catalog.now())
	       OPERATOR(pg_catalog.+) CASE WHEN x OPERATOR(@extschema@.=) x THEN 1 ELSE 0 END
	       OPERATOR(pg_catalog.+) pg_catalog.length('a string with f(x) and a + b; inside')
	       OPERATOR(pg_catalog.+) (SELECT t.* FROM pg_catalog.pg_class t LIMIT 1) IS NULL::pg_catalog.int4
$$;
CREATE FUNCTION @extschema@.q2(a @extschema@.vector, b @extschema@.vector) RETURNS pg_catalog.float8
	LANGUAGE sql IMMUTABLE
	RETURN a OPERATOR(@extschema@.<->) b;
CREATE FUNCTION @extschema@.q3(a pg_catalog.int4) RETURNS pg_catalog.int4 LANGUAGE sql
BEGIN ATOMIC
	SELECT CASE WHEN a OPERATOR(pg_catalog.>) 0 THEN pg_catalog.abs(a) ELSE 0 END;
	SELECT pg_catalog.length(E'it''s \' ; END');
END;
-- other languages are not checked
CREATE FUNCTION @extschema@.p1() RETURNS pg_catalog.int4 LANGUAGE plpgsql AS $$
BEGIN RETURN length('x') + 1; END $$;
CREATE OPERATOR @extschema@.<-> (
	LEFTARG = @extschema@.vector, RIGHTARG = @extschema@.vector,
	FUNCTION = @extschema@.l2_distance, COMMUTATOR = OPERATOR(@extschema@.<->)
);
