"""pg_dump -Fc / pg_restore of vectors with the extension in a non-public schema."""

import os
import subprocess

import numpy as np
from psycopg import errors
import pytest

from vector_ext import register_vector

SCHEMA = "s"
FLT_MAX = float(np.finfo(np.float32).max)

# Elements that stress the text form pg_dump goes through.
EXTREMES = np.array(
    [
        FLT_MAX,
        -FLT_MAX,
        1e-45,  # smallest subnormal
        -1e-45,
        0.0,
        -0.0,
        1.1754942e-38,  # largest subnormal
        1.1754944e-38,  # smallest normal
        3e-39,  # subnormal
        -5.877472e-39,  # subnormal
        0.1,
        1 / 3,
        16777217.0,
        1e-7,
    ],
    dtype=np.float32,
)


def bits(a):
    return np.asarray(a, dtype=np.float32).view(np.uint32)


def random_finite_float32(rng, n):
    raw = rng.integers(0, 2**32, size=2 * n, dtype=np.uint64).astype(np.uint32)
    values = raw.view(np.float32)
    return values[np.isfinite(values)][:n]


def make_rows():
    """(id, vector(3) value, vector value) rows, with NULLs and extremes."""
    rng = np.random.default_rng(7)
    rows = [
        (1, None, None),
        (2, np.array([FLT_MAX, -FLT_MAX, 1e-45], dtype=np.float32), None),
        (3, None, EXTREMES),
        (4, np.array([-0.0, 0.0, -1e-45], dtype=np.float32), np.array([-0.0], dtype=np.float32)),
        (
            5,
            np.array([1.1754942e-38, 3e-39, -1.1754944e-38], dtype=np.float32),
            EXTREMES[::-1].copy(),
        ),
    ]
    # Random bit patterns: every exponent, subnormals, both zeros.
    for i in range(6, 506):
        a = random_finite_float32(rng, 3)
        b = random_finite_float32(rng, int(rng.integers(1, 300)))
        rows.append((i, a, b))
    rows.append((506, None, random_finite_float32(rng, 16000)))
    return rows


def run(server, program, *args):
    cmd = [
        os.path.join(server.bindir, program),
        "--host", server.host,
        "--port", str(server.port),
        "--username", server.user,
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stderr}"
    return proc


def table_snapshot(server, dbname):
    """Everything compared between source and restored database."""
    with server.connect(dbname) as conn:
        ext = conn.execute(
            "SELECT n.nspname, e.extversion FROM pg_extension e "
            "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector_ext'"
        ).fetchone()
        columns = conn.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull "
            "FROM pg_attribute a WHERE a.attrelid = 's.items'::regclass "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        ).fetchall()
        text = conn.execute("SELECT id, a::text, b::text FROM s.items ORDER BY id").fetchall()
        binary = conn.execute(
            "SELECT id, s.vector_send(a), s.vector_send(b) FROM s.items ORDER BY id"
        ).fetchall()
        copy = b""
        query = "COPY (SELECT * FROM s.items ORDER BY id) TO STDOUT (FORMAT BINARY)"
        with conn.cursor().copy(query) as cp:
            for chunk in cp:
                copy += bytes(chunk)
        register_vector(conn)
        query = "SELECT id, a, b FROM s.items ORDER BY id"
        arrays = conn.cursor(binary=True).execute(query).fetchall()
        search_path = conn.execute("SHOW search_path").fetchone()[0]
    return {
        "extension": ext,
        "columns": columns,
        "text": text,
        "binary": binary,
        "copy": copy,
        "arrays": arrays,
        "search_path": search_path,
    }


@pytest.fixture(scope="module")
def source(server):
    """A database with the extension and the table in schema s."""
    name = server.create_database("vx_dump_src", schema=SCHEMA)
    rows = make_rows()
    with server.connect(name) as conn:
        register_vector(conn)
        conn.execute("CREATE TABLE s.items (id int PRIMARY KEY, a s.vector(3), b s.vector)")
        with conn.cursor().copy("COPY s.items (id, a, b) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "s.vector", "s.vector"])
            for row in rows:
                copy.write_row(row)
    yield name, rows
    server.drop_database(name)


@pytest.fixture(scope="module")
def restored(server, source, tmp_path_factory):
    src, _ = source
    dump = tmp_path_factory.mktemp("dump") / "vx.dump"
    run(server, "pg_dump", "--format=custom", "--file", str(dump), "--dbname", src)
    target = server.create_database("vx_dump_dst", extension=False)
    run(server, "pg_restore", "--exit-on-error", "--dbname", target, str(dump))
    yield target
    server.drop_database(target)


def test_source_holds_what_was_written(server, source):
    src, rows = source
    snap = table_snapshot(server, src)
    assert [r[0] for r in snap["arrays"]] == [r[0] for r in rows]
    for (i, a, b), (j, got_a, got_b) in zip(rows, snap["arrays"]):
        assert i == j
        for want, got in [(a, got_a), (b, got_b)]:
            if want is None:
                assert got is None
            else:
                np.testing.assert_array_equal(bits(got), bits(want))


def test_restore_recreates_extension_in_its_schema(server, source, restored):
    snap = table_snapshot(server, restored)
    assert snap["extension"] == table_snapshot(server, source[0])["extension"]
    assert snap["extension"][0] == SCHEMA
    assert "s" not in snap["search_path"].split(", ")


def test_restore_keeps_column_types_with_typmods(server, source, restored):
    before = table_snapshot(server, source[0])["columns"]
    after = table_snapshot(server, restored)["columns"]
    assert before == [
        ("id", "integer", True),
        ("a", "s.vector(3)", False),
        ("b", "s.vector", False),
    ]
    assert after == before


def test_restore_keeps_rows_identical(server, source, restored):
    before = table_snapshot(server, source[0])
    after = table_snapshot(server, restored)
    assert len(after["text"]) == len(source[1])
    assert after["text"] == before["text"]
    assert after["binary"] == before["binary"]
    assert after["copy"] == before["copy"]
    # NULLs stayed NULL (ids 1 and 3 and 506 have a NULL a, id 1 and 2 a NULL b)
    nulls = [(r[0], r[1] is None, r[2] is None) for r in after["binary"][:6]]
    assert nulls[:5] == [
        (1, True, True),
        (2, False, True),
        (3, True, False),
        (4, False, False),
        (5, False, False),
    ]
    for (i, a, b), (j, got_a, got_b) in zip(source[1], after["arrays"]):
        assert i == j
        for want, got in [(a, got_a), (b, got_b)]:
            if want is None:
                assert got is None
            else:
                np.testing.assert_array_equal(bits(got), bits(want))


def test_restored_extremes_in_text_form(server, restored):
    with server.connect(restored) as conn:
        a2 = conn.execute("SELECT a::text FROM s.items WHERE id = 2").fetchone()[0]
        a4 = conn.execute("SELECT a::text FROM s.items WHERE id = 4").fetchone()[0]
        b4 = conn.execute("SELECT b::text FROM s.items WHERE id = 4").fetchone()[0]
    assert a2 == "[3.4028235e+38,-3.4028235e+38,1e-45]"
    assert a4 == "[-0,0,-1e-45]"
    assert b4 == "[-0]"


def test_restored_database_works(server, restored):
    # The restored type is usable: typmod enforced, operators found in s.
    with server.connect(restored) as conn:
        register_vector(conn)
        with pytest.raises(errors.DataException) as info:
            conn.execute("INSERT INTO s.items (id, a) VALUES (9999, %s)", [np.ones(4)])
        assert info.value.sqlstate == "22000"
        nearest = conn.execute(
            "SELECT id FROM s.items WHERE a IS NOT NULL ORDER BY a OPERATOR(s.<->) %s, id LIMIT 1",
            [np.array([-0.0, 0.0, -1e-45])],
        ).fetchone()[0]
        assert nearest == 4
