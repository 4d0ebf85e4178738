"""Fixtures for the psycopg client tests.

The server is named by the environment: VX_PGHOST (a socket directory or a
host), VX_PGPORT, and optionally VX_PGUSER (default postgres) and
VX_PGBINDIR (default /usr/lib/postgresql/15/bin, for pg_dump/pg_restore).
Tests that need a server FAIL, never skip, when VX_PGHOST/VX_PGPORT are
missing.

Each test module gets a fresh database with CREATE EXTENSION vector_ext,
dropped at the end of the module.
"""

import os
import re
import sys
import uuid

import psycopg
from psycopg import sql
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "python"))

from vector_ext import register_vector  # noqa: E402


class Server:
    """Connection parameters of the server under test."""

    def __init__(self, host, port, user, bindir):
        self.host = host
        self.port = port
        self.user = user
        self.bindir = bindir

    def conninfo(self, dbname):
        return psycopg.conninfo.make_conninfo(
            host=self.host, port=self.port, user=self.user, dbname=dbname
        )

    def connect(self, dbname, **kwargs):
        kwargs.setdefault("autocommit", True)
        return psycopg.connect(self.conninfo(dbname), **kwargs)

    def create_database(self, prefix, extension=True, schema=None):
        """A fresh database, optionally with the extension (in ``schema``)."""
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with self.connect("postgres") as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(
                    sql.Identifier(name)
                )
            )
        if extension:
            with self.connect(name) as conn:
                if schema:
                    conn.execute(
                        sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema))
                    )
                    conn.execute(
                        sql.SQL("CREATE EXTENSION vector_ext SCHEMA {}").format(
                            sql.Identifier(schema)
                        )
                    )
                else:
                    conn.execute("CREATE EXTENSION vector_ext")
        return name

    def drop_database(self, name):
        with self.connect("postgres") as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


@pytest.fixture(scope="session")
def server():
    host = os.environ.get("VX_PGHOST")
    port = os.environ.get("VX_PGPORT")
    if not host or not port:
        pytest.fail(
            "VX_PGHOST and VX_PGPORT must name a running PostgreSQL server with "
            "vector_ext installed (e.g. VX_PGHOST=/tmp/py-cluster "
            "VX_PGPORT=5502); these tests never skip",
            pytrace=False,
        )
    user = os.environ.get("VX_PGUSER", "postgres")
    bindir = os.environ.get("VX_PGBINDIR", "/usr/lib/postgresql/15/bin")
    srv = Server(host, port, user, bindir)
    try:
        srv.connect("postgres").close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"cannot connect to {srv.conninfo('postgres')}: {exc}", pytrace=False)
    return srv


@pytest.fixture(scope="module")
def dbname(server, request):
    """A fresh database for the test module, with the extension installed."""
    prefix = "vx_" + re.sub(r"\W", "_", request.module.__name__.split(".")[-1])
    name = server.create_database(prefix)
    yield name
    server.drop_database(name)


@pytest.fixture
def conn(server, dbname):
    """An autocommit connection with the vector adapters registered."""
    with server.connect(dbname) as c:
        register_vector(c)
        yield c
