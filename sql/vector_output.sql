-- Text output must match float4out byte for byte (PostgreSQL's shortest
-- round-trip printing, which never prints a decimal on a rounding boundary),
-- and read back to the same bits.
SELECT '[42784712, 1.5e-45, 3.4028235e38, 0.0001, 0.00001, 123456, 1234567]'::vector;
SELECT setseed(0.25);
CREATE TEMP TABLE floats AS
	SELECT ((random() * 2 - 1) * 10 ^ (random() * 76 - 38))::real AS x
	FROM generate_series(1, 100000);
-- same text as real
SELECT count(*) AS mismatches FROM floats
	WHERE ('[' || x::text || ']')::vector::text <> '[' || x::text || ']';
-- same value after a round trip through text
SELECT count(*) AS changed FROM floats
	WHERE (('[' || x::text || ']')::vector::text::vector)::real[] <> ARRAY[x];
