"""Binary COPY of vectors: bulk round trip and crafted invalid payloads."""

import struct

import numpy as np
import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format
import pytest

ROWS = 10_000
DIM = 128

COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)


def bits(a):
    return np.asarray(a, dtype=np.float32).view(np.uint32)


def expected_copy_stream(ids, vectors):
    """The binary COPY stream of rows (int4 id, vector v), built independently
    of the adapters: header, then per row field count 2, the int4 field and
    the vector field (int16 dim, int16 0, dim big-endian float4), trailer."""
    n, dim = vectors.shape
    row = np.dtype(
        [
            ("nfields", ">i2"),
            ("id_len", ">i4"),
            ("id", ">i4"),
            ("v_len", ">i4"),
            ("dim", ">i2"),
            ("unused", ">i2"),
            ("x", ">f4", (dim,)),
        ]
    )
    assert row.itemsize == 2 + 4 + 4 + 4 + 4 + 4 * dim  # packed
    table = np.zeros(n, dtype=row)
    table["nfields"] = 2
    table["id_len"] = 4
    table["id"] = ids
    table["v_len"] = 4 + 4 * dim
    table["dim"] = dim
    table["x"] = vectors
    return COPY_SIGNATURE + table.tobytes() + COPY_TRAILER


def copy_out(conn, query):
    chunks = []
    with conn.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)") as copy:
        for chunk in copy:
            chunks.append(bytes(chunk))
    return b"".join(chunks)


@pytest.fixture(scope="module")
def dataset():
    rng = np.random.default_rng(20240601)
    vectors = rng.standard_normal((ROWS, DIM)).astype(np.float32)
    # spread a few extreme values through the data
    extremes = np.array(
        [-0.0, 1e-45, -1e-45, 3e-39, np.finfo(np.float32).max, -np.finfo(np.float32).max],
        dtype=np.float32,
    )
    vectors[rng.integers(0, ROWS, 300), rng.integers(0, DIM, 300)] = rng.choice(extremes, 300)
    ids = np.arange(1, ROWS + 1, dtype=np.int32)
    return ids, vectors


def vector_oid(conn):
    return conn.execute("SELECT 'vector'::regtype::oid").fetchone()[0]


def test_binary_copy_round_trip_byte_for_byte(conn, dataset):
    ids, vectors = dataset
    conn.execute("CREATE TABLE bulk (id int, v vector(128))")
    oid = vector_oid(conn)

    # In: psycopg's binary COPY, rows encoded by our binary dumper.
    with conn.cursor().copy("COPY bulk (id, v) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["int4", oid])
        for i, v in zip(ids.tolist(), vectors):
            copy.write_row((i, v))
    assert conn.execute("SELECT count(*) FROM bulk").fetchone()[0] == ROWS

    # Out: the server's binary COPY is exactly the stream we sent.
    sent = expected_copy_stream(ids, vectors)
    received = copy_out(conn, "SELECT id, v FROM bulk ORDER BY id")
    assert len(received) == len(sent)
    assert received == sent

    # And psycopg's binary COPY reader with our loader gives the arrays back.
    got_ids, got = [], []
    query = "COPY (SELECT id, v FROM bulk ORDER BY id) TO STDOUT (FORMAT BINARY)"
    with conn.cursor().copy(query) as copy:
        copy.set_types(["int4", "vector"])
        for i, v in copy.rows():
            got_ids.append(i)
            got.append(v)
    assert got_ids == ids.tolist()
    got = np.stack(got)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(bits(got), bits(vectors))


def test_raw_binary_copy_stream_is_accepted_as_is(conn, dataset):
    # The stream built by hand (no adapters) loads to the same table content.
    ids, vectors = dataset
    conn.execute("CREATE TABLE bulk_raw (id int, v vector(128))")
    sent = expected_copy_stream(ids[:2000], vectors[:2000])
    with conn.cursor().copy("COPY bulk_raw (id, v) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(sent)
    assert copy_out(conn, "SELECT id, v FROM bulk_raw ORDER BY id") == sent
    # the text COPY of the same table re-reads identically (text round trip)
    text = conn.execute("SELECT string_agg(v::text, '|' ORDER BY id) FROM bulk_raw").fetchone()[0]
    again = conn.execute(
        "SELECT count(*) FROM bulk_raw b "
        "JOIN unnest(string_to_array(%s, '|')) WITH ORDINALITY u(t, n) "
        "ON b.id = u.n AND vector_send(b.v) = vector_send(u.t::vector)",
        [text],
    ).fetchone()[0]
    assert again == 2000


def vec(dim, *elements, unused=0):
    return struct.pack(">hh", dim, unused) + struct.pack(f">{len(elements)}f", *elements)


NAN = float("nan")
INF = float("inf")

INVALID = [
    ("dim 0", "v", vec(0), "22000", "vector must have at least 1 dimension"),
    ("dim 16001", "v", vec(16001, *([0.0] * 16001)), "54000",
     "vector cannot have more than 16000 dimensions"),
    ("dim 16001 header only", "v", vec(16001), "54000",
     "vector cannot have more than 16000 dimensions"),
    ("dim 32767", "v", vec(32767), "54000", "vector cannot have more than 16000 dimensions"),
    ("unused 1", "v", vec(3, 1, 2, 3, unused=1), "22000", "expected unused to be 0, not 1"),
    ("short header", "v", b"\x00\x03", "08P01", "insufficient data left in message"),
    ("short elements", "v", vec(3, 1, 2) + b"\x00\x00", "08P01",
     "insufficient data left in message"),
    ("no elements", "v", vec(3), "08P01", "insufficient data left in message"),
    ("trailing byte", "v", vec(3, 1, 2, 3) + b"\x00", "22P03", "incorrect binary data format"),
    ("trailing element", "v", vec(3, 1, 2, 3, 4), "22P03", "incorrect binary data format"),
    ("NaN", "v", vec(3, 1, NAN, 3), "22000", "NaN not allowed in vector"),
    ("+Inf", "v", vec(3, 1, 2, INF), "22000", "infinite value not allowed in vector"),
    ("-Inf", "v", vec(3, -INF, 2, 3), "22000", "infinite value not allowed in vector"),
    ("typmod 4 into vector(3)", "v3", vec(4, 1, 2, 3, 4), "22000", "expected 3 dimensions, not 4"),
    ("typmod 2 into vector(3)", "v3", vec(2, 1, 2), "22000", "expected 3 dimensions, not 2"),
]

# The header fields are int16 and read signed, as pgvector does: 0xFFFF is
# -1 ("at least 1 dimension", "not -1"), not 65535 ("more than 16000
# dimensions").  "-1" and "65535" name the same two bytes on the wire.
SIGNED_HEADER = [
    ("dim -1 (0xFFFF)", "v", b"\xff\xff\x00\x00", "22000",
     "vector must have at least 1 dimension"),
    ("dim 65535 (same bytes as -1)", "v", struct.pack(">Hh", 65535, 0) + vec(1, 1.0)[4:],
     "22000", "vector must have at least 1 dimension"),
    ("dim -32768 (0x8000)", "v", b"\x80\x00\x00\x00", "22000",
     "vector must have at least 1 dimension"),
    ("unused -1 (0xFFFF)", "v", vec(3, 1, 2, 3, unused=-1), "22000",
     "expected unused to be 0, not -1"),
]
CASES = [pytest.param(*c, id=c[0]) for c in INVALID + SIGNED_HEADER]


@pytest.fixture(scope="module")
def targets(server, dbname):
    with server.connect(dbname) as c:
        c.execute("CREATE TABLE target_v (id int, v vector)")
        c.execute("CREATE TABLE target_v3 (id int, v vector(3))")
    return {"v": "target_v", "v3": "target_v3"}


def copy_one(conn, table, field):
    stream = (
        COPY_SIGNATURE
        + struct.pack(">hii", 2, 4, 42)
        + struct.pack(">i", len(field))
        + field
        + COPY_TRAILER
    )
    with conn.cursor().copy(f"COPY {table} (id, v) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(stream)


@pytest.mark.parametrize("name, column, field, sqlstate, message", CASES)
def test_binary_copy_rejects_invalid(conn, targets, name, column, field, sqlstate, message):
    table = targets[column]
    with pytest.raises(psycopg.Error) as info:
        copy_one(conn, table, field)
    err = info.value
    assert err.sqlstate == sqlstate, err.diag.message_primary
    assert err.diag.message_primary == message
    assert "COPY" in (err.diag.context or "")
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


class RawVector:
    """Bytes to send as-is as a binary vector parameter."""

    def __init__(self, data):
        self.data = data


def register_raw(conn):
    class RawVectorDumper(Dumper):
        format = Format.BINARY
        oid = vector_oid(conn)

        def dump(self, obj):
            return obj.data

    conn.adapters.register_dumper(RawVector, RawVectorDumper)


@pytest.mark.parametrize("name, column, field, sqlstate, message", CASES)
def test_binary_parameter_rejects_invalid(conn, targets, name, column, field, sqlstate, message):
    # The same payloads as a binary bind parameter of a prepared INSERT.
    register_raw(conn)
    if sqlstate == "22P03":
        message = "incorrect binary data format in bind parameter 1"
    if column == "v3":
        # the parameter is received as vector, then cast to vector(3)
        query = "INSERT INTO target_v3 (id, v) VALUES (42, %b)"
    else:
        query = "INSERT INTO target_v (id, v) VALUES (42, %b)"
    with pytest.raises(psycopg.Error) as info:
        conn.execute(query, [RawVector(field)])
    assert info.value.sqlstate == sqlstate, info.value.diag.message_primary
    assert info.value.diag.message_primary == message


def test_binary_copy_accepts_valid(conn, targets):
    for column, table in targets.items():
        copy_one(conn, table, vec(3, 1.5, -0.0, 1e-45))
        row = conn.cursor(binary=True).execute(f"SELECT id, v FROM {table}").fetchone()
        assert row[0] == 42
        np.testing.assert_array_equal(bits(row[1]), bits([1.5, -0.0, 1e-45]))
        assert conn.execute(f"SELECT v::text FROM {table}").fetchone()[0] == "[1.5,-0,1e-45]"
        conn.execute(f"TRUNCATE {table}")
