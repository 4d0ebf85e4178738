"""psycopg 3 adapters for the ``vector`` type.

Usage::

    import psycopg
    from vector_ext.psycopg import register_vector

    conn = psycopg.connect(...)
    register_vector(conn)
    conn.execute("INSERT INTO items (v) VALUES (%s)", [np.array([1, 2, 3])])
    v = conn.execute("SELECT v FROM items").fetchone()[0]  # float32 ndarray

After registration, 1-D numpy arrays are sent as ``vector`` (binary format
for ``%s``/``%b`` placeholders, text for ``%t``) and ``vector`` and
``vector[]`` results come back as float32 ndarrays (lists of them), whether
the cursor reads text or binary results.
"""

import numpy as np
import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg.rows import tuple_row
from psycopg.types import TypeInfo

from . import _codec

__all__ = ["fetch_vector_info", "register_vector", "register_vector_async"]

# Extensions that may own the type: this one, and pgvector, whose SQL
# surface it shares (the two cannot live in one database).
_EXTENSIONS = ["vector_ext", "vector"]

# The type that one of those extensions owns, wherever it was installed.
_QUERY = """\
SELECT t.typname AS name, t.oid AS oid, t.typarray AS array_oid,
       t.oid::pg_catalog.regtype::pg_catalog.text AS regtype,
       t.typdelim AS delimiter, n.nspname AS schema
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_depend d
  ON d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
 AND d.objid = t.oid AND d.deptype = 'e'
JOIN pg_catalog.pg_extension e
  ON d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
 AND e.oid = d.refobjid
WHERE t.typname = 'vector' AND e.extname = ANY(%(extensions)s)
  AND (%(schema)s::pg_catalog.text IS NULL OR n.nspname = %(schema)s)
ORDER BY t.oid
"""


class _VectorTextDumper(Dumper):
    format = Format.TEXT

    def dump(self, obj):
        return _codec.encode_text(obj)


class _VectorBinaryDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj):
        return _codec.encode_binary(obj)


class VectorTextLoader(Loader):
    format = Format.TEXT

    def load(self, data):
        return _codec.decode_text(data)


class VectorBinaryLoader(Loader):
    format = Format.BINARY

    def load(self, data):
        return _codec.decode_binary(data)


def _info_from_rows(rows, schema):
    if not rows:
        where = f"in schema {schema!r}" if schema else "in this database"
        raise psycopg.ProgrammingError(
            f"vector type not found {where}: run CREATE EXTENSION vector_ext"
        )
    if len(rows) > 1:
        schemas = ", ".join(row[5] for row in rows)
        raise psycopg.ProgrammingError(
            f"several vector types found (schemas {schemas}): pass schema="
        )
    name, oid, array_oid, regtype, delimiter, _ = rows[0]
    return TypeInfo(name, oid, array_oid, regtype=regtype, delimiter=delimiter)


def fetch_vector_info(conn, schema=None):
    """Look up the ``vector`` type of a connection's database.

    Finds the type owned by the extension whatever schema it was installed
    in and whatever the ``search_path``; ``schema`` restricts the search.
    Leaves the connection's transaction state as it found it.
    """
    params = {"extensions": _EXTENSIONS, "schema": schema}
    with conn.transaction():
        with conn.cursor(binary=False, row_factory=tuple_row) as cur:
            cur.execute(_QUERY, params)
            rows = cur.fetchall()
    return _info_from_rows(rows, schema)


def register_vector(conn, schema=None):
    """Register numpy <-> vector adapters on a psycopg connection.

    Returns the :class:`psycopg.types.TypeInfo` of the type found.
    """
    info = fetch_vector_info(conn, schema)
    _register(conn, info)
    return info


async def register_vector_async(conn, schema=None):
    """:func:`register_vector` for a :class:`psycopg.AsyncConnection`."""
    params = {"extensions": _EXTENSIONS, "schema": schema}
    async with conn.transaction():
        async with conn.cursor(binary=False, row_factory=tuple_row) as cur:
            await cur.execute(_QUERY, params)
            rows = await cur.fetchall()
    info = _info_from_rows(rows, schema)
    _register(conn, info)
    return info


def _register(context, info):
    adapters = context.adapters
    # The dumpers carry this database's oid for the type, so parameters are
    # typed as vector even when the schema is not on the search_path.
    attrs = {"oid": info.oid}
    text_dumper = type("VectorTextDumper", (_VectorTextDumper,), attrs)
    binary_dumper = type("VectorBinaryDumper", (_VectorBinaryDumper,), attrs)
    # The last one registered is used for %s placeholders: binary.
    adapters.register_dumper(np.ndarray, text_dumper)
    adapters.register_dumper(np.ndarray, binary_dumper)
    adapters.register_loader(info.oid, VectorTextLoader)
    adapters.register_loader(info.oid, VectorBinaryLoader)
    # vector[] loaders and dumpers, and the name "vector" for copy.set_types().
    info.register(context)
