-- Binary send/receive: the wire format (int16 dim, int16 unused, float4 x dim,
-- network byte order), and crafted payloads through COPY FORMAT binary.

-- vector_send output
SELECT vector_send('[1,2]') AS one_two, vector_send('[-0,1e-45]') AS negzero_subnormal,
	vector_send('[3.4028235e38]') AS max;
SELECT length(vector_send(array_fill(1::real, ARRAY[16000])::vector)) AS max_dims_bytes;

-- Feed raw bytes to vector_recv: COPY a bytea in binary format writes the
-- bytes as the field's payload; COPY them back into a vector column.
CREATE TEMP TABLE bin_src (b bytea);
CREATE TEMP TABLE bin_dst (v vector);
CREATE TEMP TABLE bin_dst3 (v vector(3));
CREATE FUNCTION pg_temp.recv(payload text, dst text DEFAULT 'bin_dst') RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	f text := current_setting('data_directory') || '/vector_ext_regress.bin';
	r text;
BEGIN
	TRUNCATE bin_src;
	EXECUTE format('TRUNCATE %I', dst);
	INSERT INTO bin_src VALUES (decode(payload, 'hex'));
	EXECUTE format('COPY bin_src TO %L (FORMAT binary)', f);
	EXECUTE format('COPY %I FROM %L (FORMAT binary)', dst, f);
	EXECUTE format('SELECT v::text FROM %I', dst) INTO r;
	RETURN r;
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

SELECT payload, pg_temp.recv(payload) AS result FROM (VALUES
	('000100003f800000'),                 -- [1]
	('0002000040400000bf800000'),         -- [3,-1]
	('0001000080000000'),                 -- [-0]
	('0001000000000001'),                 -- smallest subnormal
	('000100007f7fffff'),                 -- FLT_MAX
	(''),                                 -- nothing
	('00'),                               -- half a dim
	('0001'),                             -- no unused field
	('000100'),                           -- half the unused field
	('00010000'),                         -- no element
	('000200003f800000'),                 -- one element short
	('000100003f80'),                     -- half an element
	('000100003f80000000'),               -- one byte too many
	('000100003f8000003f800000'),         -- one element too many
	('0000000040400000'),                 -- dim 0
	('ffff0000'),                         -- dim 65535 (-1 as int16)
	('3e810000'),                         -- dim 16001
	('7fff0000'),                         -- dim 32767
	('80000000'),                         -- dim -32768
	('3e800000'),                         -- dim 16000, no elements
	('000100013f800000'),                 -- unused 1
	('0001ffff3f800000'),                 -- unused 65535
	('000100007fc00000'),                 -- NaN
	('00010000ffc00001'),                 -- negative NaN with payload
	('000100007f800000'),                 -- +Infinity
	('00010000ff800000'),                 -- -Infinity
	('000200003f8000007f800000')          -- Infinity in the last element
) v(payload);
-- type modifiers are enforced on receive
SELECT pg_temp.recv('000300003f8000004000000040400000', 'bin_dst3') AS three,
	pg_temp.recv('000200003f80000040000000', 'bin_dst3') AS two_into_three,
	pg_temp.recv('000200013f80000040000000', 'bin_dst3') AS two_into_three_bad_unused;

-- a COPY BINARY round trip is byte-identical
CREATE TEMP TABLE bin_rt (id int, v vector);
INSERT INTO bin_rt VALUES (1, '[1,2,3]'), (2, '[-0,1e-45,-3.4028235e38]'), (3, NULL),
	(4, '[0.1,0.2,0.3,4.2784712e+07]');
INSERT INTO bin_rt SELECT 5, array_fill(0.5::real, ARRAY[16000])::vector;
CREATE TEMP TABLE bin_rt2 (id int, v vector);
CREATE FUNCTION pg_temp.copy_round_trip() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	f text := current_setting('data_directory') || '/vector_ext_regress.bin';
BEGIN
	EXECUTE format('COPY bin_rt TO %L (FORMAT binary)', f);
	EXECUTE format('COPY bin_rt2 FROM %L (FORMAT binary)', f);
END $$;
SELECT pg_temp.copy_round_trip();
SELECT a.id, vector_send(a.v) = vector_send(b.v) AS same_bytes, a.v::text = b.v::text AS same_text
FROM bin_rt a JOIN bin_rt2 b USING (id) ORDER BY a.id;
SELECT count(*) FROM bin_rt2;
