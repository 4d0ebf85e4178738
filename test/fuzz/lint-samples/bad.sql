-- Lint sample: every line that ends in the expect marker must be reported
-- by scripts/lint-sql.sh, and no other line.  Not a real install script.

CREATE OR REPLACE FUNCTION @extschema@.f1(pg_catalog.int4) RETURNS pg_catalog.int4 -- lint: expect
	AS 'MODULE_PATHNAME' LANGUAGE C;
CREATE TABLE IF NOT EXISTS @extschema@.t1 (x pg_catalog.int4); -- lint: expect
create or -- lint: expect
replace function @extschema@.f0() returns pg_catalog.int4 as 'MODULE_PATHNAME' language c;

-- bodies in dollar quotes
CREATE FUNCTION @extschema@.f2(x @extschema@.vector) RETURNS pg_catalog.float8
LANGUAGE sql IMMUTABLE AS $$
	SELECT l2_distance(x, x) -- lint: expect
$$;
CREATE FUNCTION @extschema@.f3(x @extschema@.vector) RETURNS pg_catalog.float8
AS $body$
	SELECT pg_catalog.sqrt(x::float8) -- lint: expect
	     + 1 -- lint: expect
	  FROM some_table -- lint: expect
	  JOIN public.other ON true -- lint: expect
	 WHERE public.f(x) -- lint: expect
	   AND x OPERATOR(+) 1 -- lint: expect
	   AND CAST(x AS int) -- lint: expect
	   AND x::"int4" -- lint: expect
	   AND x IS DISTINCT FROM x -- lint: expect
	   AND x IN (1, 2) -- lint: expect
$body$ LANGUAGE sql;
-- a body in single quotes, language before AS
CREATE FUNCTION @extschema@.f4(pg_catalog.float8) RETURNS pg_catalog.float8 LANGUAGE sql
	AS 'SELECT abs($1)'; -- lint: expect
-- SQL-standard bodies
CREATE FUNCTION @extschema@.f5(a @extschema@.vector, b @extschema@.vector) RETURNS pg_catalog.float8
	LANGUAGE sql IMMUTABLE
	RETURN a <-> b; -- lint: expect
CREATE FUNCTION @extschema@.f6(a pg_catalog.int4) RETURNS pg_catalog.int4 LANGUAGE sql
BEGIN ATOMIC
	SELECT CASE WHEN a OPERATOR(pg_catalog.>) 0 THEN pg_catalog.abs(a) ELSE 0 END;
	SELECT length('x'); -- lint: expect
	SELECT CASE a WHEN 1 THEN 2 END; -- lint: expect
END;
CREATE TABLE @extschema@.after_atomic (x pg_catalog.int4);
CREATE TABLE IF NOT EXISTS @extschema@.t2 (x pg_catalog.int4); -- lint: expect
