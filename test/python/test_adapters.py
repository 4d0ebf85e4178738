"""numpy <-> vector through psycopg: parameters and results, text and binary."""

import asyncio
import struct

import numpy as np
import psycopg
from psycopg import errors, pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.rows import dict_row
import pytest

from vector_ext import register_vector, register_vector_async

FLT_MAX = np.finfo(np.float32).max
EXTREMES = np.array(
    [0.0, -0.0, 1.0, -1.5, 0.1, FLT_MAX, -FLT_MAX, 1e-45, -1e-45, 1.1754942e-38,
     np.finfo(np.float32).tiny, 3e-39, 123456789.0, 1e-7],
    dtype=np.float32,
)


def bits(a):
    return np.asarray(a, dtype=np.float32).view(np.uint32)


def assert_same_bits(got, want):
    assert isinstance(got, np.ndarray)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(bits(got), bits(want))


def random_finite_float32(seed, n):
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 2**32, size=2 * n, dtype=np.uint64).astype(np.uint32)
    values = raw.view(np.float32)
    return values[np.isfinite(values)][:n]


@pytest.fixture(params=["text", "binary"])
def result_format(request):
    return request.param


@pytest.mark.parametrize("placeholder", ["%s", "%t", "%b"])
def test_parameter_and_result_round_trip(conn, placeholder, result_format):
    values = np.concatenate([EXTREMES, random_finite_float32(10, 2000)])
    cur = conn.cursor(binary=result_format == "binary")
    cur.execute(f"SELECT {placeholder}::vector", [values])
    got = cur.fetchone()[0]
    want_format = pq.Format.BINARY if result_format == "binary" else pq.Format.TEXT
    assert cur.pgresult.fformat(0) == want_format
    assert_same_bits(got, values)


def test_placeholder_formats_reach_the_server_typed_as_vector(conn):
    v = np.array([1, 2, 3], dtype=np.float32)
    tx = Transformer(conn)
    for placeholder, pyformat, fmt in [
        ("%s", PyFormat.AUTO, pq.Format.BINARY),
        ("%b", PyFormat.BINARY, pq.Format.BINARY),
        ("%t", PyFormat.TEXT, pq.Format.TEXT),
    ]:
        dumper = tx.get_dumper(v, pyformat)
        assert dumper.format == fmt
        assert dumper.oid == conn.execute("SELECT 'vector'::regtype::oid").fetchone()[0]
        row = conn.execute(f"SELECT pg_typeof({placeholder})::text, {placeholder}::text", [v, v])
        assert row.fetchone() == ("vector", "[1,2,3]")


def test_maximum_dimensions(conn, result_format):
    values = random_finite_float32(11, 16000)
    for placeholder in ["%t", "%b"]:
        cur = conn.cursor(binary=result_format == "binary")
        got = cur.execute(f"SELECT {placeholder}::vector", [values]).fetchone()[0]
        assert_same_bits(got, values)


def test_server_text_output_parses_to_the_binary_value(conn):
    # The server's text output and our text loader agree with the binary
    # form, element by element, for every kind of float.
    conn.execute("CREATE TEMP TABLE text_vs_binary (id int, v vector)")
    rows = [(i, random_finite_float32(100 + i, 512)) for i in range(20)]
    rows.append((99, EXTREMES))
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO text_vs_binary VALUES (%s, %b)", rows)
    query = "SELECT id, v FROM text_vs_binary ORDER BY id"
    text_rows = conn.cursor(binary=False).execute(query).fetchall()
    binary_rows = conn.cursor(binary=True).execute(query).fetchall()
    sent = dict(rows)
    assert [r[0] for r in text_rows] == sorted(sent)
    for (i, t), (j, b) in zip(text_rows, binary_rows):
        assert i == j
        assert_same_bits(t, sent[i])
        assert_same_bits(b, sent[i])


def test_our_text_form_reads_back_bit_exactly_on_the_server(conn):
    # What we send as text is parsed by the server's vector_in; check with
    # the binary output, independent of our text loader.
    values = np.concatenate([EXTREMES, random_finite_float32(12, 10000)])
    got = conn.cursor(binary=True).execute("SELECT %t::vector", [values]).fetchone()[0]
    assert_same_bits(got, values)
    got = conn.execute("SELECT vector_send(%t::vector)", [values]).fetchone()[0]
    assert bytes(got) == struct.pack(">hh", len(values), 0) + values.astype(">f4").tobytes()


def test_server_text_output_is_shortest_round_trip(conn):
    text = conn.execute("SELECT %b::vector::text", [EXTREMES]).fetchone()[0]
    assert text == (
        "[0,-0,1,-1.5,0.1,3.4028235e+38,-3.4028235e+38,1e-45,-1e-45,"
        "1.1754942e-38,1.1754944e-38,3e-39,1.2345679e+08,1e-07]"
    )


def test_float64_and_int_arrays_are_stored_as_float32(conn, result_format):
    f64 = np.array([0.1, 1 / 3, -2.5e-40, 1e30], dtype=np.float64)
    ints = np.array([1, 2, 16777217], dtype=np.int32)
    cur = conn.cursor(binary=result_format == "binary")
    for placeholder in ["%t", "%b"]:
        query = f"SELECT {placeholder}::vector, {placeholder}::vector"
        got = cur.execute(query, [f64, ints]).fetchone()
        assert_same_bits(got[0], f64.astype(np.float32))
        assert_same_bits(got[1], [1, 2, 16777216])


def test_nulls(conn, result_format):
    conn.execute("CREATE TEMP TABLE nulls (id int, v vector(2))")
    conn.execute("INSERT INTO nulls VALUES (1, NULL), (2, %s)", [np.array([1, 2])])
    cur = conn.cursor(binary=result_format == "binary")
    rows = cur.execute("SELECT id, v FROM nulls ORDER BY id").fetchall()
    assert rows[0] == (1, None)
    assert_same_bits(rows[1][1], [1, 2])
    assert cur.execute("SELECT %s::vector IS NULL", [None]).fetchone()[0] is True


def test_vector_arrays(conn, result_format):
    a = np.array([1, 2.5], dtype=np.float32)
    b = np.array([-0.0, 3e38], dtype=np.float32)
    cur = conn.cursor(binary=result_format == "binary")
    got = cur.execute("SELECT ARRAY[%s, %t, NULL]", [a, b]).fetchone()[0]
    assert len(got) == 3 and got[2] is None
    assert_same_bits(got[0], a)
    assert_same_bits(got[1], b)


def test_distances_match_numpy(conn):
    rng = np.random.default_rng(13)
    a, b = rng.standard_normal((2, 768)).astype(np.float32)
    row = conn.execute(
        "SELECT %s <-> %s, %s <#> %s, %s <=> %s, %s <+> %s", [a, b] * 4
    ).fetchone()
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    want = [
        np.linalg.norm(a64 - b64),
        -a64 @ b64,
        1 - a64 @ b64 / (np.linalg.norm(a64) * np.linalg.norm(b64)),
        np.abs(a64 - b64).sum(),
    ]
    np.testing.assert_allclose(row, want, rtol=1e-5)


def test_prepared_statement_with_binary_parameters(conn):
    conn.execute("CREATE TEMP TABLE prep (id int, v vector(3))")
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO prep VALUES (%s, %b)",
            [(i, np.array([i, 0, 0], dtype=np.float32)) for i in range(10)],
        )
    cur = conn.cursor(binary=True)
    for i in range(8):
        q = np.array([i + 0.1, 0, 0], dtype=np.float32)
        cur.execute("SELECT id FROM prep ORDER BY v <-> %b LIMIT 3", [q], prepare=True)
        want = [i, i + 1, i - 1] if i else [0, 1, 2]
        assert [r[0] for r in cur.fetchall()] == want
    # psycopg prepared it on the server
    n = conn.execute(
        "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%%FROM prep ORDER BY%%'"
    ).fetchone()[0]
    assert n == 1


@pytest.mark.parametrize("placeholder", ["%t", "%b"])
@pytest.mark.parametrize(
    "value, sqlstate, message",
    [
        (np.array([1, np.nan], dtype=np.float32), "22000", "NaN not allowed in vector"),
        (np.array([np.inf], dtype=np.float32), "22000", "infinite value not allowed in vector"),
        (np.array([-np.inf, 1], dtype=np.float32), "22000", "infinite value not allowed in vector"),
        (np.array([1e39], dtype=np.float64), "22000", "infinite value not allowed in vector"),
        (np.array([], dtype=np.float32), "22000", "vector must have at least 1 dimension"),
        (
            np.zeros(16001, dtype=np.float32),
            "54000",
            "vector cannot have more than 16000 dimensions",
        ),
    ],
    ids=["nan", "inf", "-inf", "float64-overflow", "empty", "16001"],
)
def test_server_rejects_invalid_arrays(conn, placeholder, value, sqlstate, message):
    with pytest.raises(psycopg.Error) as info:
        conn.execute(f"SELECT {placeholder}::vector", [value])
    assert info.value.sqlstate == sqlstate
    assert info.value.diag.message_primary == message
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_typmod_mismatch(conn):
    conn.execute("CREATE TEMP TABLE three (v vector(3))")
    for placeholder in ["%t", "%b"]:
        with pytest.raises(errors.DataException) as info:
            conn.execute(f"INSERT INTO three VALUES ({placeholder})", [np.ones(4)])
        assert info.value.sqlstate == "22000"
        assert info.value.diag.message_primary == "expected 3 dimensions, not 4"


def test_client_rejects_what_it_cannot_encode(conn):
    with pytest.raises(ValueError, match="1-D"):
        conn.execute("SELECT %s::vector", [np.ones((2, 3))])
    with pytest.raises(ValueError, match="32767"):
        conn.execute("SELECT %b::vector", [np.ones(40000, dtype=np.float32)])
    # nothing reached the server; the connection is still fine
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_register_leaves_transaction_state_alone(server, dbname):
    with server.connect(dbname, autocommit=False) as c:
        assert c.info.transaction_status == pq.TransactionStatus.IDLE
        register_vector(c)
        assert c.info.transaction_status == pq.TransactionStatus.IDLE
        c.execute("CREATE TEMP TABLE tx (v vector)")
        assert c.info.transaction_status == pq.TransactionStatus.INTRANS
        register_vector(c)
        assert c.info.transaction_status == pq.TransactionStatus.INTRANS
        c.execute("INSERT INTO tx VALUES (%s)", [np.array([7.0])])
        assert_same_bits(c.execute("SELECT v FROM tx").fetchone()[0], [7])
        c.rollback()


def test_register_with_a_dict_row_connection(server, dbname):
    with server.connect(dbname, row_factory=dict_row) as c:
        info = register_vector(c)
        assert info.name == "vector"
        row = c.execute("SELECT %s AS v", [np.array([1.5])]).fetchone()
        assert_same_bits(row["v"], [1.5])


def test_without_registration_vectors_are_strings(server, dbname):
    with server.connect(dbname) as c:
        assert c.execute("SELECT '[1,2]'::vector").fetchone()[0] == "[1,2]"


def test_registration_is_per_connection(server, dbname):
    with server.connect(dbname) as a, server.connect(dbname) as b:
        register_vector(a)
        assert isinstance(a.execute("SELECT '[1]'::vector").fetchone()[0], np.ndarray)
        assert b.execute("SELECT '[1]'::vector").fetchone()[0] == "[1]"


def test_extension_in_a_schema_off_the_search_path(server):
    name = server.create_database("vx_schema", schema="vec")
    try:
        with server.connect(name) as c:
            assert c.execute("SELECT to_regtype('vector')").fetchone()[0] is None
            info = register_vector(c)
            assert info.regtype == "vec.vector"
            assert info.oid == c.execute("SELECT 'vec.vector'::regtype::oid").fetchone()[0]
            v = np.array([3, 4], dtype=np.float32)
            cur = c.cursor(binary=True)
            for placeholder in ["%s", "%t"]:
                row = cur.execute(
                    f"SELECT pg_typeof({placeholder})::text, {placeholder} OPERATOR(vec.<->) %s",
                    [v, v, np.zeros(2)],
                ).fetchone()
                assert row == ("vec.vector", 5.0)
            c.execute("CREATE TABLE items (v vec.vector(2))")
            c.execute("INSERT INTO items VALUES (%s), (%t)", [v, v * 2])
            query = "SELECT v FROM items ORDER BY v OPERATOR(vec.<->) %s"
            got = c.execute(query, [v * 2]).fetchall()
            assert_same_bits(got[0][0], v * 2)
            assert_same_bits(got[1][0], v)
            # an explicit schema restricts the search
            assert register_vector(c, schema="vec").oid == info.oid
            with pytest.raises(psycopg.ProgrammingError, match="schema 'public'"):
                register_vector(c, schema="public")
    finally:
        server.drop_database(name)


def test_missing_extension_is_a_clear_error(server):
    name = server.create_database("vx_noext", extension=False)
    try:
        with server.connect(name) as c:
            with pytest.raises(psycopg.ProgrammingError, match="CREATE EXTENSION vector_ext"):
                register_vector(c)
    finally:
        server.drop_database(name)


def test_async_registration(server, dbname):
    async def run():
        aconn = await psycopg.AsyncConnection.connect(server.conninfo(dbname), autocommit=True)
        async with aconn:
            info = await register_vector_async(aconn)
            v = np.array([1.5, -0.0, 1e-45], dtype=np.float32)
            cur = aconn.cursor(binary=True)
            await cur.execute("SELECT %b::vector, %t::vector", [v, v])
            return info, await cur.fetchone()

    info, row = asyncio.run(run())
    assert info.name == "vector"
    assert_same_bits(row[0], [1.5, -0.0, 1e-45])
    assert_same_bits(row[1], [1.5, -0.0, 1e-45])
