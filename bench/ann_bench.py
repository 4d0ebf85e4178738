#!/usr/bin/python3
"""SQL-level approximate-nearest-neighbour benchmark (recall, QPS, build time).

Implements the SQL level of /work/shared/BENCHMARKS.md against a running
cluster:

1. generates a seeded Gaussian-mixture dataset (1,000 centres) and 1,000
   queries from the same mixture (not in the base set), and computes the exact
   top-10 with numpy (chunked float32 matrix products, winners re-ranked in
   float64, near ties counted);
2. loads it with binary COPY into ``(id int, v vector(d))`` (timed);
3. builds the index once per ``max_parallel_maintenance_workers`` value
   (timed; the backend's CPU time, the threads seen, time per progress phase
   and the CPU other processes took are recorded with the index and table
   sizes);
4. checks with EXPLAIN EXECUTE that each timed prepared statement scans the
   index (when the planner prefers a sequential scan, the setting is measured
   with enable_seqscan = off and flagged), runs a warm-up pass, then, one
   query at a time on one connection, a prepared ``SELECT id FROM t ORDER BY
   v <op> $1 LIMIT 10`` with binary parameters for every value of the search
   knob, the settings taking turns query by query, fastest of --rounds
   passes; reports recall@10, QPS, p50 and p99 per setting and the QPS at
   recall 0.90 / 0.95 / 0.99 interpolated on the measured curve;
5. in the same run: exact search (enable_indexscan = off) on a subset of the
   queries, the per-query floor (a prepared ``SELECT id FROM t WHERE id =
   $1``, taking turns with the settings), and hnswlib with the same M /
   ef_construction / metric on one thread (QPS from whole-batch calls; one
   call per query in the same loop as ours for latencies); reports ours /
   hnswlib and ours / ceiling, where the ceiling is 1 / (floor + hnswlib's
   time per query);
6. last, single-row inserts into the measured index: for each client count
   (--insert-clients), that many connections, each in its own thread of this
   process, insert --insert-rows fresh vectors of the mixture between them,
   one prepared ``INSERT INTO t (id, v) VALUES ($1, $2)`` (binary
   parameters, autocommit: one transaction per row) at a time; reports rows
   per second from a common start to the last commit, per-insert p50 / p99
   and the backends' CPU, checks the row count, then deletes the rows and
   vacuums the table, so that every client count starts from the same base
   rows.

Prints a table and appends JSON lines (one per measurement, all sharing a
run_id) to --out.

Example (scripts/bench.sh starts a suitable cluster and runs this):
    /usr/bin/python3 bench/ann_bench.py --host /path/to/socket/dir --port 5432 --quick
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import numpy as np
import psycopg
from psycopg import sql
from psycopg.types.numeric import Int4

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))

from vector_ext import encode_binary, encode_text, fetch_vector_info, register_vector  # noqa: E402

K = 10
CENTRES = 1000
RECALL_TARGETS = (0.90, 0.95, 0.99)
# Two float32 distances closer than this (relative) may be ordered either
# way by a float32 kernel: such 10th/11th neighbours are "near ties".
TIE_RTOL = 1e-5

DATASETS = {
    "gmm-100k-128": {"rows": 100_000, "dim": 128, "metric": "l2"},
    "gmm-100k-768-cos": {"rows": 100_000, "dim": 768, "metric": "cosine"},
    "gmm-1m-128": {"rows": 1_000_000, "dim": 128, "metric": "l2"},
}
METRICS = {
    # metric: SQL operator, operator class, hnswlib space
    "l2": ("<->", "vector_l2_ops", "l2"),
    "cosine": ("<=>", "vector_cosine_ops", "cosine"),
}
DEFAULT_DDL = "CREATE INDEX ON {table} USING hnsw (v %s) WITH (m = 16, ef_construction = 64)"

COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)


# --------------------------------------------------------------------------
# arguments


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a default only when there is one worth showing."""

    def _get_help_string(self, action):
        if action.default in (None, False, [], argparse.SUPPRESS):
            return action.help or ""
        return super()._get_help_string(action)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=_HelpFormatter)
    p.add_argument("--host", default=os.environ.get("PGHOST", "/tmp"),
                   help="server host or unix socket directory")
    p.add_argument("--port", type=int, default=int(os.environ.get("PGPORT", "5432")),
                   help="server port")
    p.add_argument("--user", default=os.environ.get("PGUSER", "postgres"), help="user name")
    p.add_argument("--dbname", default="ann_bench", help="created if missing")
    p.add_argument("--dataset", choices=sorted(DATASETS), default="gmm-100k-128",
                   help="N x dim Gaussian mixture; -cos: normalised, cosine distance")
    p.add_argument("--rows", type=int, help="base rows (default: the dataset's)")
    p.add_argument("--queries", type=int, help="queries (default 1000)")
    p.add_argument("--quick", action="store_true",
                   help="20,000 rows and 200 queries unless --rows/--queries say otherwise")
    p.add_argument("--seed", type=int, default=20240601, help="dataset seed")
    p.add_argument("--extension", default="vector_ext",
                   help="extension created in the database when no vector type exists yet")
    p.add_argument("--table", help="table name (default: derived from the dataset)")
    p.add_argument("--index-ddl",
                   help="index DDL template with {table}; default per dataset: "
                   + DEFAULT_DDL % "<opclass>")
    p.add_argument("--knob", default="hnsw.ef_search", help="search setting swept")
    p.add_argument("--values", default="10,20,40,80,160,320", help="knob values, comma-separated")
    p.add_argument("--workers", default="0,1",
                   help="max_parallel_maintenance_workers values: the index is rebuilt for each "
                   "and queried after the last build")
    p.add_argument("--maintenance-work-mem", default="2GB", help="for the index builds")
    p.add_argument("--build-set", action="append", default=[], metavar="NAME=VALUE",
                   help="a setting applied during index builds (repeatable), e.g. "
                   "min_parallel_table_scan_size=0 so that a small heap (vectors in TOAST) "
                   "still gets the requested parallel workers")
    p.add_argument("--warmup", type=int, default=20,
                   help="untimed executions of each prepared statement (at least 6) before its "
                   "plan is checked; then one untimed pass over all queries at the largest "
                   "knob value warms the caches")
    p.add_argument("--strict-plan", action="store_true",
                   help="abort when the planner does not choose the index for a setting "
                   "(default: measure that setting with enable_seqscan = off, flagged)")
    p.add_argument("--rounds", type=int, default=3,
                   help="timed passes over the queries; each setting reports its fastest "
                   "pass (lowest mean)")
    p.add_argument("--exact-queries", type=int, default=50,
                   help="queries timed for exact search (0 skips it)")
    p.add_argument("--exact-workers", type=int, default=0,
                   help="max_parallel_workers_per_gather for exact search")
    p.add_argument("--insert-rows", type=int,
                   help="rows inserted one statement at a time into the measured index for each "
                   "client count (default 2000, --quick 500; 0 skips the insert measurement)")
    p.add_argument("--insert-clients", default="1,4",
                   help="client counts (connections, one thread each) for the insert "
                   "measurement, comma-separated")
    p.add_argument("--skip-hnswlib", action="store_true", help="no hnswlib comparator")
    p.add_argument("--hnswlib-m", type=int, help="default: m from the index DDL, else 16")
    p.add_argument("--hnswlib-ef-construction", type=int,
                   help="default: ef_construction from the index DDL, else 64")
    p.add_argument("--out", default=os.path.join(HERE, "out", "ann.jsonl"),
                   help="JSON lines appended here ('' to skip)")
    args = p.parse_args(argv)

    ds = DATASETS[args.dataset]
    if args.rows is None:
        args.rows = 20_000 if args.quick else ds["rows"]
    if args.queries is None:
        args.queries = 200 if args.quick else 1000
    if args.insert_rows is None:
        args.insert_rows = 500 if args.quick else 2000
    args.dim = ds["dim"]
    args.metric = ds["metric"]
    args.op, opclass, args.space = METRICS[args.metric]
    if args.index_ddl is None:
        args.index_ddl = DEFAULT_DDL % opclass
    if "{table}" not in args.index_ddl:
        p.error("--index-ddl must contain {table}")
    if args.table is None:
        args.table = "ann_" + re.sub(r"[^a-z0-9]+", "_", args.dataset.lower())
    try:
        args.values = [int(v) for v in args.values.split(",") if v.strip()]
        args.workers = [int(w) for w in args.workers.split(",") if w.strip()]
        args.insert_clients = [int(c) for c in args.insert_clients.split(",") if c.strip()]
    except ValueError as e:
        p.error(f"--values / --workers / --insert-clients take comma-separated integers: {e}")
    if not args.values or not args.workers:
        p.error("--values and --workers need at least one value")
    if args.insert_rows < 0:
        p.error("--insert-rows must be 0 (skip) or more")
    if args.insert_rows and not args.insert_clients:
        p.error("--insert-clients needs at least one value")
    if args.insert_rows and not all(1 <= c <= args.insert_rows for c in args.insert_clients):
        p.error("--insert-clients values must be between 1 and --insert-rows")
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if args.rows < K + 1 or args.queries < 1:
        p.error(f"need at least {K + 1} rows and 1 query")
    try:
        args.build_settings = dict(kv.split("=", 1) for kv in args.build_set)
    except ValueError:
        p.error("--build-set takes NAME=VALUE")
    if args.hnswlib_m is None:
        args.hnswlib_m = ddl_option(args.index_ddl, "m", 16)
    if args.hnswlib_ef_construction is None:
        args.hnswlib_ef_construction = ddl_option(args.index_ddl, "ef_construction", 64)
    return args


def ddl_option(ddl, name, default):
    m = re.search(r"\b%s\s*=\s*'?(\d+)" % re.escape(name), ddl, re.IGNORECASE)
    return int(m.group(1)) if m else default


# --------------------------------------------------------------------------
# dataset and ground truth


def make_dataset(args):
    """Base vectors and queries of the Gaussian mixture, float32.

    1,000 centres drawn from N(0, I); every point is a uniformly chosen centre
    plus N(0, I) noise.  Centres, base and queries come from independent
    streams of one seed, so the queries do not depend on --rows, and a
    smaller --rows gives a prefix of the larger base set.  For the cosine
    dataset every vector is normalised to unit length.
    """
    draw, (base_ss, query_ss, _) = mixture(args)
    return draw(base_ss, args.rows), draw(query_ss, args.queries)


def make_insert_vectors(args, n):
    """n more vectors of the same mixture for the insert measurement, from a
    fourth independent stream of the seed: neither base rows nor queries."""
    draw, (_, _, insert_ss) = mixture(args)
    return draw(insert_ss, n)


def mixture(args):
    """The draw(stream, n) function of the dataset's mixture and its streams
    for the base set, the queries and the inserted rows."""
    # spawn(4) gives the same first three children as spawn(3) did, so the
    # base set and the queries did not change when the insert stream came.
    centre_ss, base_ss, query_ss, insert_ss = np.random.SeedSequence(args.seed).spawn(4)
    centres = np.random.default_rng(centre_ss).standard_normal((CENTRES, args.dim),
                                                                 dtype=np.float32)

    def draw(ss, n, block=4096):
        # Whole blocks (the last one truncated), so that a smaller --rows
        # gives a prefix of the larger set.
        rng = np.random.default_rng(ss)
        out = np.empty((n, args.dim), dtype=np.float32)
        for start in range(0, n, block):
            m = min(block, n - start)
            x = centres[rng.integers(0, CENTRES, block)]
            x += rng.standard_normal((block, args.dim), dtype=np.float32)
            out[start:start + m] = x[:m]
        if args.metric == "cosine":
            out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    return draw, (base_ss, query_ss, insert_ss)


def exact_distances(metric, base_rows, q):
    """float64 distances between one query and some base rows."""
    b = base_rows.astype(np.float64)
    q = q.astype(np.float64)
    if metric == "l2":
        return np.sqrt(((b - q) ** 2).sum(axis=1))
    dots = b @ q
    return 1.0 - dots / (np.linalg.norm(b, axis=1) * np.linalg.norm(q))


def ground_truth(metric, base, queries, k=K, candidates=64, chunk=20_000):
    """Exact top-(k+1) ids (1-based) and float64 distances per query.

    Candidates come from float32 matrix products over chunks of the base set
    (L2: |b|^2 - 2 q.b; cosine: -q.b on unit vectors); the best `candidates`
    per query are then re-ranked with distances computed directly in float64.
    """
    nq = len(queries)
    c = min(candidates, len(base))
    best_s = np.full((nq, 0), np.inf, dtype=np.float32)
    best_i = np.zeros((nq, 0), dtype=np.int64)
    for start in range(0, len(base), chunk):
        b = base[start:start + chunk]
        s = -(queries @ b.T)
        if metric == "l2":
            s *= 2
            s += (b * b).sum(axis=1)[None, :]
        ids = np.arange(start, start + len(b))
        all_s = np.concatenate([best_s, s], axis=1)
        all_i = np.concatenate([best_i, np.broadcast_to(ids, s.shape)], axis=1)
        keep = np.argpartition(all_s, c - 1, axis=1)[:, :c] if all_s.shape[1] > c else \
            np.broadcast_to(np.arange(all_s.shape[1]), all_s.shape)
        best_s = np.take_along_axis(all_s, keep, axis=1)
        best_i = np.take_along_axis(all_i, keep, axis=1)
    dist = np.stack([exact_distances(metric, base[best_i[j]], queries[j]) for j in range(nq)])
    order = np.argsort(dist, axis=1, kind="stable")[:, :k + 1]
    return np.take_along_axis(best_i, order, axis=1) + 1, np.take_along_axis(dist, order, axis=1)


def verify_ground_truth(metric, base, queries, truth_ids, sample, chunk=50_000):
    """Brute force in float64 over the whole base set for a few queries;
    returns the number of sampled queries whose top-k differs."""
    q = queries[sample].astype(np.float64)
    dist = np.empty((len(sample), len(base)))
    qn = np.linalg.norm(q, axis=1)
    for start in range(0, len(base), chunk):
        b = base[start:start + chunk].astype(np.float64)
        if metric == "l2":
            d = (q * q).sum(axis=1)[:, None] - 2 * q @ b.T + (b * b).sum(axis=1)[None, :]
        else:
            d = 1.0 - (q @ b.T) / (qn[:, None] * np.linalg.norm(b, axis=1)[None, :])
        dist[:, start:start + len(b)] = d
    top = np.argsort(dist, axis=1, kind="stable")[:, :K] + 1
    return sum(set(top[i]) != set(truth_ids[j, :K]) for i, j in enumerate(sample))


class Truth:
    """Ground truth plus recall of a result list, tolerant of near ties."""

    def __init__(self, metric, base, queries, ids, dist):
        self.metric, self.base, self.queries = metric, base, queries
        self.ids, self.dist = ids, dist
        self.sets = [set(row[:K].tolist()) for row in ids]
        gap = (dist[:, K] - dist[:, K - 1]) / np.maximum(np.abs(dist[:, K - 1]), 1e-30)
        self.min_gap = float(gap.min())
        self.near_ties = set(np.nonzero(gap < TIE_RTOL)[0].tolist())
        self.min_nn_distance = float(dist[:, 0].min())

    def recall(self, j, got):
        """Fraction of the true top-k in `got` (ids, 1-based).  For a query
        whose 10th and 11th neighbours are a near tie, any row within the
        tie tolerance of the 10th distance counts."""
        if j not in self.near_ties:
            return len(self.sets[j].intersection(got)) / K
        got = [g for g in got if 1 <= g <= len(self.base)]
        if not got:
            return 0.0
        d = exact_distances(self.metric, self.base[np.array(got) - 1], self.queries[j])
        limit = self.dist[j, K - 1] * (1 + TIE_RTOL)
        return min(K, int((d <= limit).sum())) / K


# --------------------------------------------------------------------------
# database


def connect(args, dbname, **kwargs):
    return psycopg.connect(host=args.host, port=args.port, user=args.user, dbname=dbname,
                           **kwargs)


def ensure_database(args):
    with connect(args, "postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [args.dbname]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.dbname)))
    with connect(args, args.dbname, autocommit=True) as conn:
        try:
            fetch_vector_info(conn)
        except psycopg.ProgrammingError:
            conn.execute(sql.SQL("CREATE EXTENSION {}").format(sql.Identifier(args.extension)))
        row = conn.execute(
            "SELECT extname, extversion FROM pg_extension WHERE extname = ANY(%s)",
            [[args.extension, "vector_ext", "vector"]],
        ).fetchone()
        return {"extname": row[0], "extversion": row[1]} if row else {}


def server_info(conn):
    names = ["server_version", "shared_buffers", "maintenance_work_mem", "work_mem", "fsync",
             "synchronous_commit", "max_wal_size", "checkpoint_timeout", "jit",
             "max_parallel_maintenance_workers", "max_parallel_workers",
             "max_parallel_workers_per_gather", "max_worker_processes",
             "min_parallel_table_scan_size", "data_directory"]
    info = dict(conn.execute(
        "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)", [names]
    ).fetchall())
    libdir = conn.execute("SELECT current_setting('dynamic_library_path')").fetchone()[0]
    info["dynamic_library_path"] = libdir
    return info


def library_path(conn, extension):
    """The shared library file the server loads for the extension (its
    PKGLIBDIR from the pg_config view, else the pg_config on PATH)."""
    try:
        pkglib = conn.execute(
            "SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'").fetchone()[0]
    except psycopg.Error:
        try:
            pkglib = subprocess.run(["pg_config", "--pkglibdir"], capture_output=True,
                                    text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None
    return os.path.join(pkglib, extension + ".so")


def library_state(path):
    """Identity of the library file: a `make install` elsewhere rewrites it
    in place (same inode), which changes the code under running backends."""
    if path is None:
        return None
    try:
        st = os.stat(path)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None
    return {"path": path, "bytes": st.st_size, "inode": st.st_ino, "sha256": digest,
            "mtime": datetime.datetime.fromtimestamp(
                st.st_mtime, datetime.timezone.utc).isoformat(timespec="milliseconds")}


def copy_stream(base, chunk_rows=5000):
    """The binary COPY stream of (id int4, v vector) rows, ids from 1.

    Each vector field is the type's binary form (int16 dim, int16 unused = 0,
    dim float4, network order), the same bytes vector_ext.encode_binary makes.
    """
    n, dim = base.shape
    row = np.dtype([
        ("nfields", ">i2"), ("id_len", ">i4"), ("id", ">i4"),
        ("v_len", ">i4"), ("dim", ">i2"), ("unused", ">i2"), ("x", ">f4", (dim,)),
    ])
    yield COPY_SIGNATURE
    for start in range(0, n, chunk_rows):
        part = base[start:start + chunk_rows]
        rows = np.zeros(len(part), dtype=row)
        rows["nfields"] = 2
        rows["id_len"] = 4
        rows["id"] = np.arange(start + 1, start + 1 + len(part))
        rows["v_len"] = 4 + 4 * dim
        rows["dim"] = dim
        rows["x"] = part
        if start == 0:
            assert rows[:1].tobytes()[14:] == encode_binary(part[0])
        yield rows.tobytes()
    yield COPY_TRAILER


def load(conn, args, base):
    t = sql.Identifier(args.table)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(t))
    conn.execute(sql.SQL("CREATE TABLE {} (id int, v vector({}))").format(
        t, sql.Literal(args.dim)))
    start = time.perf_counter()
    with conn.transaction():
        with conn.cursor().copy(
                sql.SQL("COPY {} (id, v) FROM STDIN (FORMAT BINARY)").format(t)) as copy:
            for chunk in copy_stream(base):
                copy.write(chunk)
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(t))
    vacuum_s = time.perf_counter() - start
    count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(t)).fetchone()[0]
    if count != len(base):
        raise RuntimeError(f"loaded {count} rows, expected {len(base)}")
    # The floor query looks rows up by id: give it a btree (not part of the load time).
    start = time.perf_counter()
    conn.execute(sql.SQL("CREATE INDEX {} ON {} (id)").format(
        sql.Identifier(args.table + "_id_btree"), t))
    btree_s = time.perf_counter() - start
    conn.execute("CHECKPOINT")
    heap, table, toast = conn.execute(
        "SELECT pg_relation_size(c.oid), pg_table_size(c.oid), "
        "coalesce(pg_relation_size(nullif(c.reltoastrelid, 0)), 0) "
        "FROM pg_class c WHERE c.oid = %s::regclass", [args.table]).fetchone()
    return {
        "load_s": load_s,
        "rows_per_s": len(base) / load_s,
        "vacuum_analyze_s": vacuum_s,
        "id_btree_s": btree_s,
        "heap_bytes": heap,
        "table_bytes": table,
        "toast_bytes": toast,
        "raw_vector_bytes": base.size * 4,
    }


def rss_anon_bytes(pid="self"):
    """Private anonymous resident memory of a process (RssAnon in
    /proc/PID/status: its heap, not the shared buffers it maps), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def backend_cpu_s(pid):
    """utime + stime of a server process (all its threads), when readable."""
    return proc_cpu_s(f"/proc/{pid}/stat")


def machine_busy_s():
    """CPU seconds all processes of the machine have used (non-idle time in
    /proc/stat), for telling how much of a build's wall time others took."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def proc_cpu_s(stat_path):
    """utime + stime from a /proc stat file, in seconds."""
    try:
        with open(stat_path) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class BuildWatcher(threading.Thread):
    """Samples a building server process every 0.2 s: its thread count
    (/proc/PID/task), its CPU time and, on a second connection, the build
    phase in pg_stat_progress_create_index, to tell how many threads the
    build really ran and where its time went."""

    def __init__(self, args, pid):
        super().__init__(daemon=True)
        self.args, self.pid = args, pid
        self.max_threads = None
        self.rss_before = rss_anon_bytes(pid)  # private memory of the backend before the build
        self.max_rss = self.rss_before  # and its largest sample during the build
        self.thread_cpu = {}  # thread id -> CPU seconds during the build (last sample)
        self._baseline = {}  # CPU of the threads that existed before the build
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                self._baseline[tid] = proc_cpu_s(f"/proc/{pid}/task/{tid}/stat") or 0.0
        except OSError:
            pass
        self.phases = {}  # phase -> {"s": wall seconds, "cpu_s": backend CPU seconds}
        self._done = threading.Event()

    def run(self):
        try:
            conn = connect(self.args, self.args.dbname, autocommit=True)
        except psycopg.Error:
            conn = None
        last_t, last_cpu, last_phase = time.perf_counter(), backend_cpu_s(self.pid), None
        try:
            while True:
                stop = self._done.wait(0.2)
                try:
                    tids = os.listdir(f"/proc/{self.pid}/task")
                    self.max_threads = max(len(tids), self.max_threads or 0)
                    rss = rss_anon_bytes(self.pid)
                    if rss is not None:
                        self.max_rss = max(rss, self.max_rss or 0)
                    for tid in tids:
                        cpu = proc_cpu_s(f"/proc/{self.pid}/task/{tid}/stat")
                        if cpu is not None:
                            self.thread_cpu[tid] = cpu - self._baseline.get(tid, 0.0)
                except OSError:
                    pass
                phase = None
                if conn is not None:
                    row = conn.execute("SELECT phase FROM pg_stat_progress_create_index "
                                       "WHERE pid = %s", [self.pid]).fetchone()
                    phase = row[0] if row else None
                now, cpu = time.perf_counter(), backend_cpu_s(self.pid)
                key = last_phase or "(not reported)"
                acc = self.phases.setdefault(key, {"s": 0.0, "cpu_s": 0.0})
                acc["s"] += now - last_t
                if cpu is not None and last_cpu is not None:
                    acc["cpu_s"] += cpu - last_cpu
                last_t, last_cpu, last_phase = now, cpu, phase or last_phase
                if stop:
                    break
        finally:
            if conn is not None:
                conn.close()

    def stop(self):
        self._done.set()
        self.join()


def expected_build_threads(heap_pages, min_scan_pages, workers):
    """1 + the workers plan_create_index_workers grants (PostgreSQL 15's
    compute_parallel_worker on the heap size, no reloption), which the hnsw
    build runs as threads."""
    if workers <= 0 or heap_pages < min_scan_pages:
        return 1
    threshold = max(min_scan_pages, 1)
    granted = 1
    while heap_pages >= threshold * 3 and granted < 1 << 20:
        granted += 1
        threshold *= 3
    return 1 + min(granted, workers)


def ann_indexes(conn, args):
    return [r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass AND c.relname <> %s ORDER BY c.oid",
        [args.table, args.table + "_id_btree"]).fetchall()]


def build(conn, args, workers, n):
    """Drop the ANN index, rebuild it with `workers`; time and size it."""
    for name in ann_indexes(conn, args):
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    conn.execute("CHECKPOINT")
    conn.execute("SELECT set_config('maintenance_work_mem', %s, false)",
                 [args.maintenance_work_mem])
    conn.execute("SELECT set_config('max_parallel_maintenance_workers', %s, false)",
                 [str(workers)])
    set_gucs(conn, args.build_settings)
    heap_pages, min_scan = conn.execute(
        "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int, "
        "pg_size_bytes(current_setting('min_parallel_table_scan_size')) / "
        "current_setting('block_size')::int", [args.table]).fetchone()
    notices = []

    def on_notice(diag):
        notices.append(diag.message_primary)

    conn.add_notice_handler(on_notice)
    pid = conn.info.backend_pid
    ddl = args.index_ddl.format(table=sql.Identifier(args.table).as_string(conn))
    cpu0 = backend_cpu_s(pid)
    busy0 = machine_busy_s()
    load0 = os.getloadavg()[0]
    watcher = BuildWatcher(args, pid)
    watcher.start()
    start = time.perf_counter()
    try:
        conn.execute(ddl)
    finally:
        watcher.stop()
    build_s = time.perf_counter() - start
    cpu1 = backend_cpu_s(pid)
    busy1 = machine_busy_s()
    conn.remove_notice_handler(on_notice)
    for name in ["maintenance_work_mem", "max_parallel_maintenance_workers",
                 *args.build_settings]:
        conn.execute(sql.SQL("RESET {}").format(sql.Identifier(name)))
    created = ann_indexes(conn, args)
    if len(created) != 1:
        raise RuntimeError(f"the index DDL made {len(created)} indexes on {args.table}: "
                           f"{created} ({ddl})")
    index = created[0]
    am, index_bytes, table_bytes = conn.execute(
        "SELECT a.amname, pg_relation_size(c.oid), pg_table_size(%s::regclass) "
        "FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.relname = %s",
        [args.table, index]).fetchone()
    cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    others = (busy1 - busy0 - cpu if None not in (busy0, busy1, cpu) else None)
    return {
        "workers": workers,
        "expected_threads": expected_build_threads(heap_pages, min_scan, workers),
        "build_s": build_s,
        "backend_cpu_s": cpu,
        "cpu_per_wall": cpu / build_s if cpu is not None else None,
        "max_threads_seen": watcher.max_threads,
        "backend_rss_before_bytes": watcher.rss_before,
        "backend_rss_peak_bytes": watcher.max_rss,
        "other_processes_cpu_s": others,
        "phases": watcher.phases,
        "thread_cpu_s": sorted(watcher.thread_cpu.values(), reverse=True),
        "loadavg_before": load0,
        "index": index,
        "am": am,
        "index_bytes": index_bytes,
        "table_bytes": table_bytes,
        "raw_vector_bytes": n * args.dim * 4,
        "notices": notices,
        "build_settings": args.build_settings,
        "ddl": ddl,
    }


def set_gucs(conn, gucs):
    for name, value in gucs.items():
        conn.execute("SELECT set_config(%s, %s, false)", [name, str(value)])


def explain(conn, tag, param_literal):
    """EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE of the prepared statement whose
    text contains `tag`: the plan it really runs, node by node."""
    row = conn.execute(
        "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements "
        "WHERE statement LIKE %s", [f"%{tag} */%"]).fetchone()
    if row is None:
        raise RuntimeError(f"prepared statement {tag!r} not found")
    name, generic, custom = row
    doc = conn.execute(sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE {}({})").format(
        sql.Identifier(name), sql.Literal(param_literal))).fetchone()[0]
    if isinstance(doc, (bytes, str)):
        doc = json.loads(doc)
    nodes = []

    def walk(node):
        nodes.append({k: node[k] for k in ("Node Type", "Index Name", "Actual Rows",
                                           "Workers Launched") if k in node})
        for child in node.get("Plans", []):
            walk(child)

    walk(doc[0]["Plan"])
    return {"nodes": nodes, "jit": "JIT" in doc[0], "generic_plans": generic,
            "custom_plans": custom, "total_cost": doc[0]["Plan"]["Total Cost"]}


def plan_text(plan):
    parts = []
    for n in plan["nodes"]:
        s = n["Node Type"]
        if "Index Name" in n:
            s += f" using {n['Index Name']}"
        parts.append(s)
    return " -> ".join(parts) + (" +JIT" if plan["jit"] else "")


def uses_index(plan, index):
    return any(n["Node Type"] in ("Index Scan", "Index Only Scan") and
               n.get("Index Name") == index for n in plan["nodes"])


def summarize(latencies_ms, recalls):
    lat = np.asarray(latencies_ms)
    mean = float(lat.mean())
    return {
        "queries": len(lat),
        "recall": float(np.mean(recalls)) if recalls is not None else None,
        "qps": 1000.0 / mean,
        "mean_ms": mean,
        "p50_ms": float(np.percentile(lat, 50)),
        "p99_ms": float(np.percentile(lat, 99)),
    }


def sweep(conn, args, index, queries, truth, hnsw=None):
    """Interleaved timed pass: for every query, the floor and each knob value.

    Each setting has its own prepared statement (a cached generic plan is not
    re-planned when a setting changes), and the settings take turns query by
    query (each on a different query at any moment), so load from other
    processes on this shared machine spreads over all of them.  hnswlib (when
    given) takes its turns in the same loop, one knn_query call per query, so
    both are timed under the same conditions.

    Before timing, each statement is executed `warmup` times (so the plan
    cache has settled on its generic or custom plan) and its plan checked
    with EXPLAIN EXECUTE.  When the planner prefers another plan to the index
    scan, the setting is measured with enable_seqscan = off (flagged
    "forced"; --strict-plan aborts instead); when even that does not scan the
    index, the run aborts.
    """
    cur = conn.cursor(binary=True)
    t = sql.Identifier(args.table)
    rng = np.random.default_rng(args.seed + 1)
    n_floor = len(queries)
    # Int4: psycopg would otherwise type each int by its value (int2 / int4),
    # giving small and large ids different prepared statements.
    floor_ids = [Int4(x) for x in rng.integers(1, len(truth.base) + 1, n_floor)]
    literal = encode_text(queries[0]).decode()

    def run(stmt, param):
        start = time.perf_counter()
        cur.execute(stmt, [param], prepare=True)
        rows = cur.fetchall()
        return (time.perf_counter() - start) * 1000, [r[0] for r in rows]

    def prepare(v, forced):
        tag = f"ann_bench {args.knob}={v}" + (" forced" if forced else "")
        stmt = sql.SQL("SELECT id FROM {} ORDER BY v {} %b LIMIT 10 /* {} */").format(
            t, sql.SQL(args.op), sql.SQL(tag))
        gucs = {args.knob: v, "enable_seqscan": "off" if forced else "on"}
        set_gucs(conn, gucs)
        for j in range(max(args.warmup, 6)):
            run(stmt, queries[j % len(queries)])
        return stmt, gucs, explain(conn, tag, literal)

    # The index must really be scanned, by the very statements timed.
    statements, settings, plans, planner = [], [], [], []
    for v in args.values:
        stmt, gucs, plan = prepare(v, False)
        chosen = None
        if not uses_index(plan, index):
            chosen = {"plan": plan_text(plan), "total_cost": plan["total_cost"]}
            message = (f"{args.knob}={v}: the planner does not choose {index} for the prepared "
                       f"statement: {chosen['plan']} (cost {plan['total_cost']:.0f})")
            if args.strict_plan:
                raise RuntimeError(message)
            stmt, gucs, plan = prepare(v, True)
            if not uses_index(plan, index):
                raise RuntimeError(f"{message}; even with enable_seqscan = off the plan is "
                                   f"{plan_text(plan)}")
            print(f"WARNING: {message}; measured with enable_seqscan = off, whose plan "
                  f"{plan_text(plan)} costs {plan['total_cost']:.0f}", flush=True)
        statements.append(stmt)
        settings.append(gucs)
        plans.append(plan)
        planner.append(chosen)

    floor_tag = "ann_bench floor"
    floor_stmt = sql.SQL("SELECT id FROM {} WHERE id = %b /* {} */").format(t, sql.SQL(floor_tag))
    set_gucs(conn, {"enable_seqscan": "on"})
    for j in range(max(args.warmup, 6)):
        run(floor_stmt, floor_ids[j % n_floor])
    floor_plan = explain(conn, floor_tag, str(floor_ids[0]))

    # The rows floor: everything the ANN query costs but the index search.
    # The executor fetches each returned row and evaluates the ORDER BY
    # expression on it (a resjunk column of the scan's target list), which
    # means reading the vector from the heap, from TOAST at 768 dimensions.
    # This statement fetches the exact top 10 of the query by their TIDs (a
    # TID scan: the heap fetches the index scan makes) and orders them the
    # same way.
    rows_tag = "ann_bench rows floor"
    rows_stmt = sql.SQL(
        "SELECT id FROM {} WHERE ctid = ANY(%t::tid[]) ORDER BY v {} %b /* {} */").format(
        t, sql.SQL(args.op), sql.SQL(rows_tag))
    rows_ids = [[int(x) for x in truth.ids[j][:K]] for j in range(len(queries))]
    wanted = sorted({i for ids in rows_ids for i in ids})
    tid_of = dict(conn.execute(sql.SQL("SELECT id, ctid::text FROM {} WHERE id = ANY(%s)").format(t),
                               [wanted]).fetchall())
    rows_tids = ["{" + ",".join(f'"{tid_of[i]}"' for i in ids) + "}" for ids in rows_ids]

    def run_rows(j):
        start = time.perf_counter()
        cur.execute(rows_stmt, [rows_tids[j], queries[j]], prepare=True)
        got = [r[0] for r in cur.fetchall()]
        return (time.perf_counter() - start) * 1000, got

    for j in range(max(args.warmup, 6)):
        run_rows(j % len(queries))

    # Cache warm-up: one pass over every query at the largest knob value
    # (the one that touches the most pages).
    last = int(np.argmax(args.values))
    set_gucs(conn, settings[last])
    for q in queries:
        run(statements[last], q)
    if hnsw is not None:
        hnsw.set_ef(max(args.values[last], K))
        for q in queries:
            hnsw.knn_query(q[None, :], k=K, num_threads=1)

    def floor_task(j):
        set_gucs(conn, {"enable_seqscan": "on"})
        ms, got = run(floor_stmt, floor_ids[j])
        if got != [floor_ids[j]]:
            raise RuntimeError(f"floor query for id {floor_ids[j]} returned {got}")
        return ms, None

    def rows_task(j):
        set_gucs(conn, {"enable_seqscan": "on"})
        ms, got = run_rows(j)
        if sorted(got) != sorted(rows_ids[j]):
            raise RuntimeError(f"rows floor query {j} returned {got}")
        return ms, got

    def sql_task(i):
        def task(j):
            set_gucs(conn, settings[i])
            return run(statements[i], queries[j])
        return task

    def hnsw_task(i):
        def task(j):
            hnsw.set_ef(max(args.values[i], K))
            start = time.perf_counter()
            labels, _ = hnsw.knn_query(queries[j][None, :], k=K, num_threads=1)
            return (time.perf_counter() - start) * 1000, labels[0].tolist()
        return task

    nv = len(args.values)
    tasks = [floor_task] + [sql_task(i) for i in range(nv)]
    if hnsw is not None:
        tasks += [hnsw_task(i) for i in range(nv)]
    tasks.append(rows_task)
    stride = max(1, len(queries) // len(tasks))
    order_rng = np.random.default_rng(args.seed + 3)
    load0 = os.getloadavg()[0]
    rounds = []  # per round: latencies, recalls and short counts of every task
    for _ in range(args.rounds):
        lat = [[] for _ in tasks]
        rec = [[] for _ in tasks]
        short = [0 for _ in tasks]
        # Every step runs each task once, in a random order, and on a
        # different query for each task (task t at step s runs query
        # s + t * stride): no task always follows the same other one, and none
        # finds the caches warmed by another task searching the same query.
        for step in range(len(queries)):
            for t_i in order_rng.permutation(len(tasks)):
                j = int(step + t_i * stride) % len(queries)
                ms, got = tasks[t_i](j)
                lat[t_i].append(ms)
                if t_i > 0:
                    rec[t_i].append(truth.recall(j, got))
                    short[t_i] += len(got) < K
        rounds.append((lat, rec, short))
    conn.execute(sql.SQL("RESET {}").format(sql.Identifier(args.knob)))
    conn.execute("RESET enable_seqscan")
    load1 = os.getloadavg()[0]

    def best(t_i):
        """The round with the lowest mean time for task t_i (noise from other
        processes only ever adds time), and the means of all rounds."""
        means = [float(np.mean(r[0][t_i])) for r in rounds]
        lat, rec, short = rounds[int(np.argmin(means))]
        s = summarize(lat[t_i], rec[t_i] if t_i > 0 else None)
        s["round_means_ms"] = means
        if t_i > 0:
            s["short_results"] = short[t_i]
            recalls = [float(np.mean(r[1][t_i])) for r in rounds]
            s["recall_varies"] = max(recalls) - min(recalls) > 1e-12
        return s

    points = []
    for i, v in enumerate(args.values):
        s = best(1 + i)
        s.update({"knob": args.knob, "value": v, "settings": settings[i],
                  "forced": planner[i] is not None, "planner_choice": planner[i],
                  "plan": plan_text(plans[i]), "plan_cost": plans[i]["total_cost"],
                  "generic_plans": plans[i]["generic_plans"],
                  "custom_plans": plans[i]["custom_plans"]})
        points.append(s)
    hnsw_points = None
    if hnsw is not None:
        hnsw_points = []
        for i, v in enumerate(args.values):
            s = best(1 + nv + i)
            s.update({"value": v, "ef": max(v, K)})
            hnsw_points.append(s)
    floor = best(0)
    floor["plan"] = plan_text(floor_plan)
    floor["rows"] = best(len(tasks) - 1)
    return points, hnsw_points, floor, (load0, load1)


def exact_search(conn, args, queries, truth):
    """The same ORDER BY ... LIMIT 10 with enable_indexscan = off, on the
    first --exact-queries queries."""
    n = min(args.exact_queries, len(queries))
    cur = conn.cursor(binary=True)
    tag = "ann_bench exact"
    stmt = sql.SQL("SELECT id FROM {} ORDER BY v {} %b LIMIT 10 /* {} */").format(
        sql.Identifier(args.table), sql.SQL(args.op), sql.SQL(tag))
    gucs = {"enable_indexscan": "off",
            "max_parallel_workers_per_gather": args.exact_workers}
    set_gucs(conn, gucs)
    for j in range(min(3, n)):
        cur.execute(stmt, [queries[j]], prepare=True)
        cur.fetchall()
    plan = explain(conn, tag, encode_text(queries[0]).decode())
    if any("Index Name" in node for node in plan["nodes"]):
        raise RuntimeError(f"exact search still uses an index: {plan_text(plan)}")
    lat, rec = [], []
    for j in range(n):
        start = time.perf_counter()
        cur.execute(stmt, [queries[j]], prepare=True)
        got = [r[0] for r in cur.fetchall()]
        lat.append((time.perf_counter() - start) * 1000)
        rec.append(truth.recall(j, got))
    conn.execute("RESET enable_indexscan")
    conn.execute("RESET max_parallel_workers_per_gather")
    s = summarize(lat, rec)
    s.update({"settings": gucs, "plan": plan_text(plan)})
    return s


# --------------------------------------------------------------------------
# single-row inserts

INSERT_WARMUP = 3  # untimed rows each client inserts (and deletes) before the start


def split_rows(n, clients):
    """Rows per client: n shared as evenly as possible (the first n % clients
    clients take one more), summing to exactly n."""
    if clients < 1 or n < 0:
        raise ValueError(f"cannot split {n} rows over {clients} clients")
    share, extra = divmod(n, clients)
    return [share + (c < extra) for c in range(clients)]


def insert_id_ranges(first_id, n, clients):
    """Each client's ids: consecutive disjoint ranges, in client order, that
    together are exactly first_id .. first_id + n - 1."""
    ranges, start = [], first_id
    for m in split_rows(n, clients):
        ranges.append(range(start, start + m))
        start += m
    return ranges


def relation_sizes(conn, args, index):
    return conn.execute(
        "SELECT pg_relation_size(c.oid), pg_table_size(%s::regclass) FROM pg_class c "
        "WHERE c.relname = %s", [args.table, index]).fetchone()


def insert_run(conn, args, index, clients, max_id, vectors):
    """--insert-rows single-row inserts by `clients` connections at once.

    vectors[i] is inserted with id max_id + 1 + i (i < --insert-rows); the
    INSERT_WARMUP rows per client after those are warm-up rows.  Each client
    is a thread of this process with its own autocommit connection.  It
    first inserts its warm-up rows with the timed statement and deletes them
    again (its backend then has the library loaded, the relations cached and
    the statement prepared; a rollback instead would make psycopg forget its
    prepared statements), then waits at a barrier.  The clock starts when the
    last client arrives and stops at the last commit.  psycopg releases the
    GIL while it waits for the server, so the backends do run concurrently.
    Afterwards the inserted ids are counted (exactly --insert-rows, none
    missing or doubled) and a sample is looked up through the index; the rows
    are left in place (insert_cleanup removes them).
    """
    n = args.insert_rows
    first_id = max_id + 1
    t = sql.Identifier(args.table)
    stmt = sql.SQL("INSERT INTO {} (id, v) VALUES (%b, %b) /* ann_bench insert */").format(t)
    drop = sql.SQL("DELETE FROM {} WHERE id >= %b AND id < %b").format(t)
    ranges = insert_id_ranges(first_id, n, clients)
    index_bytes0, table_bytes0 = relation_sizes(conn, args, index)
    conns = []
    try:
        for _ in range(clients):
            conns.append(connect(args, args.dbname, autocommit=True))
            register_vector(conns[-1])
    except BaseException:
        for cn in conns:
            cn.close()
        raise
    pids = [cn.info.backend_pid for cn in conns]
    at_start = {}

    def started():  # run by the last client to reach the barrier, before any is released
        at_start["backend_cpu"] = [backend_cpu_s(pid) for pid in pids]
        at_start["client_cpu"] = time.process_time()
        at_start["busy"] = machine_busy_s()
        at_start["t"] = time.perf_counter()

    barrier = threading.Barrier(clients, action=started)
    stop = threading.Event()
    latencies = [[] for _ in range(clients)]
    ends = [None] * clients
    executions = [None] * clients  # of the server-side prepared INSERT, warm-up included
    errors = []

    def client(c):
        try:
            cur = conns[c].cursor(binary=True)
            warm = first_id + n + c * INSERT_WARMUP
            for i in range(warm, warm + INSERT_WARMUP):
                cur.execute(stmt, [Int4(i), vectors[i - first_id]], prepare=True)
            cur.execute(drop, [Int4(warm), Int4(warm + INSERT_WARMUP)])
            barrier.wait(timeout=600)
            lat = latencies[c]
            for i in ranges[c]:
                if stop.is_set():
                    return
                start = time.perf_counter()
                cur.execute(stmt, [Int4(i), vectors[i - first_id]], prepare=True)
                lat.append((time.perf_counter() - start) * 1000)
            ends[c] = time.perf_counter()
            executions[c] = conns[c].execute(
                "SELECT coalesce(sum(generic_plans + custom_plans), 0)::bigint "
                "FROM pg_prepared_statements WHERE statement LIKE %s", ["%ann_bench insert */%"]
            ).fetchone()[0]
        except BaseException as e:  # noqa: BLE001 - raised again by the main thread
            errors.append(e)
            stop.set()
            barrier.abort()

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(clients)]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        if errors:
            raise errors[0]
        backend_cpu1 = [backend_cpu_s(pid) for pid in pids]
        client_cpu1 = time.process_time()
        busy1 = machine_busy_s()
    finally:
        stop.set()
        barrier.abort()
        for th in threads:
            th.join()
        for cn in conns:
            cn.close()

    seconds = max(ends) - at_start["t"]
    lat = np.concatenate([np.asarray(x) for x in latencies])
    count, distinct, lo, hi = conn.execute(
        sql.SQL("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM {} "
                "WHERE id > %s").format(t), [max_id]).fetchone()
    if (count, distinct, lo, hi) != (n, n, first_id, first_id + n - 1):
        raise RuntimeError(f"after inserting ids {first_id}..{first_id + n - 1} with {clients} "
                           f"clients the table has {count} rows ({distinct} distinct ids, "
                           f"{lo}..{hi}) with id > {max_id}, expected {n}")
    sample = np.unique(np.linspace(0, n - 1, min(20, n)).astype(int))
    found = found_by_index(conn, args, index, [first_id + int(i) for i in sample],
                           vectors[sample])
    index_bytes1, table_bytes1 = relation_sizes(conn, args, index)
    b0 = at_start["backend_cpu"]
    cpu = (sum(y - x for x, y in zip(b0, backend_cpu1))
           if None not in b0 and None not in backend_cpu1 else None)
    client_cpu = client_cpu1 - at_start["client_cpu"]
    busy0 = at_start["busy"]
    others = (busy1 - busy0 - cpu - client_cpu if None not in (busy0, busy1, cpu) else None)
    return {
        "clients": clients,
        "rows": n,
        "seconds": seconds,
        "rows_per_s": n / seconds,
        "mean_ms": float(lat.mean()),
        "p50_ms": float(np.percentile(lat, 50)),
        "p99_ms": float(np.percentile(lat, 99)),
        "client_rows": [len(r) for r in ranges],
        "client_seconds": [e - at_start["t"] for e in ends],
        "prepared_executions": executions,
        "backend_cpu_s": cpu,
        "backend_cpu_ms_per_row": cpu / n * 1000 if cpu is not None else None,
        "client_cpu_s": client_cpu,
        "other_processes_cpu_s": others,
        "clients_are": "threads of one Python process",
        "first_id": first_id,
        "found_by_index": found,
        "found_checked": len(sample),
        "index": index,
        "index_bytes_before": index_bytes0,
        "index_bytes_after": index_bytes1,
        "table_bytes_before": table_bytes0,
        "table_bytes_after": table_bytes1,
        "warmup_rows_per_client": INSERT_WARMUP,
        "statement": stmt.as_string(conn),
    }


def found_by_index(conn, args, index, ids, vectors):
    """How many of the rows (ids, vectors) the index returns as their own
    nearest neighbour at the largest knob value, with enable_seqscan = off
    and the plan checked: the inserted rows went into the index too."""
    cur = conn.cursor(binary=True)
    tag = "ann_bench inserted"
    stmt = sql.SQL("SELECT id FROM {} ORDER BY v {} %b LIMIT 1 /* {} */").format(
        sql.Identifier(args.table), sql.SQL(args.op), sql.SQL(tag))
    set_gucs(conn, {args.knob: max(args.values), "enable_seqscan": "off"})
    try:
        found = 0
        for i, v in zip(ids, vectors):
            cur.execute(stmt, [v], prepare=True)
            row = cur.fetchone()
            found += row is not None and row[0] == i
        plan = explain(conn, tag, encode_text(vectors[0]).decode())
    finally:
        conn.execute(sql.SQL("RESET {}").format(sql.Identifier(args.knob)))
        conn.execute("RESET enable_seqscan")
    if not uses_index(plan, index):
        raise RuntimeError(f"the look-up of inserted rows does not scan {index}: "
                           f"{plan_text(plan)}")
    return found


def insert_cleanup(conn, args, max_id):
    """Deletes every row with an id above max_id and vacuums the table, its
    indexes included (INDEX_CLEANUP ON: with the deleted rows under 2% of the
    heap pages, VACUUM would otherwise leave the index alone and the next run
    would start from a graph with those rows still in it)."""
    t = sql.Identifier(args.table)
    start = time.perf_counter()
    deleted = conn.execute(sql.SQL("DELETE FROM {} WHERE id > %s").format(t), [max_id]).rowcount
    conn.execute(sql.SQL("VACUUM (INDEX_CLEANUP ON) {}").format(t))
    seconds = time.perf_counter() - start
    left = conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE id > %s").format(t),
                        [max_id]).fetchone()[0]
    if left:
        raise RuntimeError(f"{left} rows with id > {max_id} remain after the cleanup")
    return deleted, seconds


def insert_bench(conn, args, index):
    """insert_run for every --insert-clients value, each followed (also on
    errors) by insert_cleanup, so that each starts from the base rows."""
    max_id, count = conn.execute(sql.SQL("SELECT max(id), count(*) FROM {}").format(
        sql.Identifier(args.table))).fetchone()
    if max_id + args.insert_rows + INSERT_WARMUP * max(args.insert_clients) > 2**31 - 1:
        raise RuntimeError(f"ids above {max_id} would overflow int4")
    vectors = make_insert_vectors(
        args, args.insert_rows + INSERT_WARMUP * max(args.insert_clients))
    results = []
    for clients in args.insert_clients:
        print(f"[{time.strftime('%H:%M:%S')}] inserting {args.insert_rows} rows one at a time "
              f"with {clients} client{'s' if clients > 1 else ''}", flush=True)
        try:
            r = insert_run(conn, args, index, clients, max_id, vectors)
        finally:
            deleted, cleanup_s = insert_cleanup(conn, args, max_id)
        r.update({"base_rows": count, "max_base_id": max_id, "deleted": deleted,
                  "cleanup_s": cleanup_s,
                  "index_bytes_after_vacuum": relation_sizes(conn, args, index)[0]})
        results.append(r)
    return results


# --------------------------------------------------------------------------
# hnswlib


def build_hnswlib(args, base):
    """hnswlib with the index's M / ef_construction / metric, one thread."""
    import hnswlib

    n = len(base)
    index = hnswlib.Index(space=args.space, dim=args.dim)
    index.init_index(max_elements=n, M=args.hnswlib_m,
                     ef_construction=args.hnswlib_ef_construction, random_seed=args.seed)
    index.set_num_threads(1)
    rss0 = rss_anon_bytes()
    start = time.perf_counter()
    index.add_items(base, np.arange(1, n + 1), num_threads=1)
    build_s = time.perf_counter() - start
    rss1 = rss_anon_bytes()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "index.bin")
        index.save_index(path)
        index_bytes = os.path.getsize(path)
    return index, {"build_s": build_s, "index_bytes": index_bytes, "M": args.hnswlib_m,
                   "process_rss_growth_bytes": rss1 - rss0 if None not in (rss0, rss1) else None,
                   "ef_construction": args.hnswlib_ef_construction, "space": args.space,
                   "threads": 1, "hnswlib_version": hnswlib_version()}


def hnswlib_version():
    try:
        from importlib.metadata import version
        return version("hnswlib")
    except Exception:  # noqa: BLE001 - the version is informational only
        return None


def hnswlib_batch(args, index, queries, truth, points):
    """hnswlib's own time per query: one knn_query call over all queries on
    one thread (no per-call Python overhead), fastest of --rounds passes
    taken in turn over the knob values.  This is what "hnswlib QPS" means in
    the report; the one-call-per-query timings from the interleaved loop are
    kept as call_*."""
    times = [[] for _ in args.values]
    labels = [None for _ in args.values]
    for _ in range(args.rounds):
        for i, v in enumerate(args.values):
            index.set_ef(max(v, K))
            start = time.perf_counter()
            labels[i], _ = index.knn_query(queries, k=K, num_threads=1)
            times[i].append(time.perf_counter() - start)
    for i, p in enumerate(points):
        for key in ("mean_ms", "p50_ms", "p99_ms", "qps", "queries", "round_means_ms"):
            p["call_" + key] = p.pop(key)
        per_query = min(times[i]) / len(queries)
        p["qps"] = 1.0 / per_query
        p["mean_ms"] = per_query * 1000
        p["batch_round_s"] = times[i]
        batch_recall = float(np.mean([truth.recall(j, labels[i][j].tolist())
                                      for j in range(len(queries))]))
        if abs(batch_recall - p["recall"]) > 1e-12:
            raise RuntimeError(f"hnswlib ef={p['ef']}: recall {batch_recall} in batch calls, "
                               f"{p['recall']} in single calls")


# --------------------------------------------------------------------------
# curves


def qps_at_recall(points, target, key="qps"):
    """QPS at a recall target on a measured curve.

    Between neighbouring points (in knob order) whose recalls bracket the
    target, QPS is interpolated linearly in recall; a point at or above the
    target counts as is.  The best such value is returned, with a flag saying
    it came from the first point (the curve starts above the target, so the
    true QPS there may be higher).  None when the target is never reached.
    """
    best, first = None, False
    for i, p in enumerate(points):
        if p["recall"] >= target and (best is None or p[key] > best):
            best, first = p[key], i == 0
        if i > 0:
            a = points[i - 1]
            lo, hi = sorted((a, p), key=lambda x: x["recall"])
            if lo["recall"] < target <= hi["recall"]:
                f = (target - lo["recall"]) / (hi["recall"] - lo["recall"])
                qps = lo[key] + f * (hi[key] - lo[key])
                if best is None or qps > best:
                    best, first = qps, False
    return (best, first) if best is not None else (None, False)


def comparisons(ours, hnsw, floor_ms, rows_floor_ms=None):
    rows = []
    for r in RECALL_TARGETS:
        q, q_first = qps_at_recall(ours, r)
        row = {"recall": r, "ours_qps": q, "ours_at_first_point": q_first}
        if hnsw is not None:
            h, h_first = qps_at_recall(hnsw, r)
            hc, _ = qps_at_recall(hnsw, r, "call_qps")
            ceiling = 1.0 / (floor_ms / 1000.0 + 1.0 / h) if h else None
            row.update({
                "hnswlib_qps": h, "hnswlib_at_first_point": h_first,
                "ours_over_hnswlib": q / h if q and h else None,
                "hnswlib_call_qps": hc,
                "ceiling_qps": ceiling,
                "ours_over_ceiling": q / ceiling if q and ceiling else None,
            })
            if rows_floor_ms is not None and h:
                rc = 1.0 / (rows_floor_ms / 1000.0 + 1.0 / h)
                row.update({"rows_ceiling_qps": rc,
                            "ours_over_rows_ceiling": q / rc if q else None})
        rows.append(row)
    return rows


# --------------------------------------------------------------------------
# report


def mib(b):
    return f"{b / 2**20:.1f} MiB"


def fmt_mib(b):
    return mib(b) if b is not None else "n/a"


def fmt(x, spec, na="n/a"):
    return na if x is None else format(x, spec)


def report(run, loaded, builds, floor, exact, points, hnsw_build, hnsw_points, comp,
           inserts=()):
    a = run
    print()
    print(f"== {a['dataset']}: {a['rows']} x {a['dim']} float32, metric {a['metric']} "
          f"({a['op']}), {a['queries']} queries, k = {K}, seed {a['seed']}")
    print(f"   {a['extension'].get('extname')} {a['extension'].get('extversion')}; "
          f"PostgreSQL {a['server']['server_version']}; shared_buffers "
          f"{a['server']['shared_buffers']}, fsync {a['server']['fsync']}, "
          f"jit {a['server']['jit']}; {a['cpus']} CPUs, load average at start "
          f"{a['loadavg_start'][0]:.2f} (shared machine)")
    lib = a.get("library")
    if lib:
        print(f"   library {lib['path']} ({lib['bytes']} bytes, sha256 {lib['sha256'][:16]}, "
              f"mtime {lib['mtime']})")
    t = a["truth"]
    print(f"   ground truth (numpy): {t['seconds']:.1f} s; near ties at rank 10/11: "
          f"{t['near_ties']} (min relative gap {t['min_gap']:.2e}); spot check vs float64 "
          f"brute force: {t['spot_checked'] - t['spot_mismatches']}/{t['spot_checked']} agree; "
          f"min query-to-nearest distance {t['min_nn_distance']:.3g}")
    print(f"load: binary COPY {loaded['load_s']:.2f} s ({loaded['rows_per_s']:.0f} rows/s), "
          f"VACUUM ANALYZE {loaded['vacuum_analyze_s']:.2f} s; table {mib(loaded['table_bytes'])} "
          f"(heap {mib(loaded['heap_bytes'])}, toast {mib(loaded['toast_bytes'])}), raw vectors "
          f"{mib(loaded['raw_vector_bytes'])}")
    print("build:")
    for b in builds:
        cpu = (f"backend CPU {b['backend_cpu_s']:.1f} s ({b['cpu_per_wall']:.2f}x wall)"
               if b["backend_cpu_s"] is not None else "")
        if b["other_processes_cpu_s"] is not None:
            cpu += (f", other processes {b['other_processes_cpu_s'] / b['build_s']:.2f} "
                    "CPUs busy")
        print(f"   max_parallel_maintenance_workers={b['workers']} (expected threads "
              f"{b['expected_threads']}, most seen {b['max_threads_seen']}): "
              f"{b['build_s']:.2f} s, {cpu}; index "
              f"{mib(b['index_bytes'])} = {b['index_bytes'] / b['raw_vector_bytes']:.2f}x raw "
              f"vectors; backend private memory {fmt_mib(b['backend_rss_before_bytes'])} before, "
              f"{fmt_mib(b['backend_rss_peak_bytes'])} at most (sampled every 0.2 s); "
              f"load avg before {b['loadavg_before']:.2f}"
              + (f"; notices: {b['notices']}" if b["notices"] else ""))
        if b["phases"]:
            print("      per-thread CPU (s, sampled): "
                  + ", ".join(f"{c:.1f}" for c in b["thread_cpu_s"]) + "; phases: " + ", ".join(
                f"{name.replace('building index: ', '')} {v['s']:.1f} s (CPU {v['cpu_s']:.1f} s)"
                for name, v in b["phases"].items()))
    if hnsw_build:
        w0 = next((b for b in builds if b["workers"] == 0), None)
        ratio = (f"; ours (workers=0) / hnswlib build time = "
                 f"{w0['build_s'] / hnsw_build['build_s']:.2f}x" if w0 else "")
        print(f"   hnswlib (M={hnsw_build['M']}, ef_construction={hnsw_build['ef_construction']}, "
              f"space {hnsw_build['space']}, 1 thread): {hnsw_build['build_s']:.2f} s, saved "
              f"index {mib(hnsw_build['index_bytes'])}, process memory grew by "
              f"{fmt_mib(hnsw_build.get('process_rss_growth_bytes'))}{ratio}")
    print(f"   ddl: {builds[-1]['ddl']}; maintenance_work_mem {a['maintenance_work_mem']}"
          + "".join(f", {k} = {v}" for k, v in builds[-1]["build_settings"].items()))
    print(f"floor ({floor['plan']}): mean {floor['mean_ms']:.3f} ms, p50 {floor['p50_ms']:.3f} ms, "
          f"p99 {floor['p99_ms']:.3f} ms per query ({floor['queries']} queries)")
    if "rows" in floor:
        r = floor["rows"]
        print(f"rows floor (the exact top 10 fetched by TID and ordered by distance: the ANN "
              f"query's work but the index search): mean {r['mean_ms']:.3f} ms, p50 "
              f"{r['p50_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms")
    if exact:
        print(f"exact (enable_indexscan=off, max_parallel_workers_per_gather="
              f"{exact['settings']['max_parallel_workers_per_gather']}; {exact['plan']}): "
              f"{exact['mean_ms']:.2f} ms/query mean, p50 {exact['p50_ms']:.2f} ms, "
              f"{exact['qps']:.1f} QPS, recall {exact['recall']:.4f} over {exact['queries']} "
              f"queries")
    print(f"sweep ({points[0]['plan']}; loadavg {a['loadavg_sweep'][0]:.2f} -> "
          f"{a['loadavg_sweep'][1]:.2f}):")
    head = (f"   {a['knob']:>16} | {'recall@10':>9} {'QPS':>8} {'p50 ms':>8} {'p99 ms':>8}")
    if hnsw_points:
        head += (f" | {'hnswlib recall':>14} {'QPS':>8} {'1-call QPS':>10} {'p50 ms':>8} | "
                 f"{'QPS ours/hnswlib':>16}")
    print(head)
    print("   " + "-" * (len(head) - 3))
    for i, p in enumerate(points):
        line = (f"   {p['value']:>16} | {p['recall']:>9.4f} {p['qps']:>8.0f} {p['p50_ms']:>8.3f} "
                f"{p['p99_ms']:>8.3f}")
        if hnsw_points:
            h = hnsw_points[i]
            line += (f" | {h['recall']:>14.4f} {h['qps']:>8.0f} {h['call_qps']:>10.0f} "
                     f"{h['call_p50_ms']:>8.3f} | {p['qps'] / h['qps']:>16.3f}")
        if p["forced"]:
            line += "  (forced: planner chose " + p["planner_choice"]["plan"] + ")"
        if p["short_results"]:
            line += f"  ({p['short_results']} queries returned < {K} rows)"
        print(line)
    print("at equal recall (linear interpolation on each curve; * = first point already above "
          "the target, a lower bound):")
    head = f"   {'recall':>6} | {'ours QPS':>9}"
    if hnsw_points:
        head += (f" | {'hnswlib QPS':>11} {'ours/hnswlib':>12} | {'ceiling QPS':>11} "
                 f"{'ours/ceiling':>12}")
    print(head)
    print("   " + "-" * (len(head) - 3))
    for c in comp:
        q = fmt(c["ours_qps"], ".0f") + ("*" if c["ours_at_first_point"] else "")
        line = f"   {c['recall']:>6.2f} | {q:>9}"
        if hnsw_points:
            h = fmt(c["hnswlib_qps"], ".0f") + ("*" if c["hnswlib_at_first_point"] else "")
            line += (f" | {h:>11} {fmt(c['ours_over_hnswlib'], '.3f'):>12} | "
                     f"{fmt(c['ceiling_qps'], '.0f'):>11} {fmt(c['ours_over_ceiling'], '.3f'):>12}")
        print(line)
    if hnsw_points:
        print(f"   ours: QPS = 1 / mean time per query, one query at a time on one connection, "
              f"fastest of {a['rounds']} passes (the floor\n   and every setting take turns query "
              "by query). hnswlib QPS: one knn_query call over all queries on 1 thread, fastest "
              f"of\n   {a['rounds']}; 1-call QPS / p50: one knn_query call per query in the same "
              "loop as ours (adds Python call overhead).")
        print(f"   ceiling = 1 / (floor mean {floor['mean_ms']:.3f} ms + hnswlib time per query "
              "at that recall)")
        if "rows" in floor:
            print(f"   rows ceiling = 1 / (rows floor mean {floor['rows']['mean_ms']:.3f} ms + "
                  "hnswlib time per query): " + ", ".join(
                      f"{c['recall']:.2f}: {fmt(c.get('rows_ceiling_qps'), '.0f')} QPS, ours / "
                      f"rows ceiling {fmt(c.get('ours_over_rows_ceiling'), '.3f')}" for c in comp))
    if inserts:
        report_inserts(run, inserts)


def report_inserts(run, inserts):
    a = run
    srv = a["server"]
    print(f"Single-row inserts into the {inserts[0]['base_rows']}-row index "
          f"({inserts[0]['index']}; the table also has the id btree):")
    head = (f"   {'clients':>7} | {'rows':>6} {'seconds':>8} {'rows/s':>8} {'p50 ms':>8} "
            f"{'p99 ms':>8} | {'backend CPU ms/row':>18} {'client CPU ms/row':>17} "
            f"{'others CPUs':>11} | {'found':>5}")
    print(head)
    print("   " + "-" * (len(head) - 3))
    for r in inserts:
        others = (r["other_processes_cpu_s"] / r["seconds"]
                  if r["other_processes_cpu_s"] is not None else None)
        print(f"   {r['clients']:>7} | {r['rows']:>6} {r['seconds']:>8.2f} {r['rows_per_s']:>8.0f} "
              f"{r['p50_ms']:>8.3f} {r['p99_ms']:>8.3f} | "
              f"{fmt(r['backend_cpu_ms_per_row'], '.3f'):>18} "
              f"{r['client_cpu_s'] / r['rows'] * 1000:>17.3f} {fmt(others, '.2f'):>11} | "
              f"{r['found_by_index']:>2}/{r['found_checked']:<2}")
    sizes = "; ".join(f"{r['clients']}: {r['index_bytes_before'] / 2**20:.1f} -> "
                      f"{r['index_bytes_after'] / 2**20:.1f} -> "
                      f"{mib(r['index_bytes_after_vacuum'])}" for r in inserts)
    cleanup = ", ".join(f"{r['cleanup_s']:.1f}" for r in inserts)
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    for line in (
        "one prepared INSERT INTO t (id, v) VALUES ($1, $2) per row, binary parameters, "
        "autocommit (a transaction per row;",
        f"fsync {srv['fsync']}, synchronous_commit {srv['synchronous_commit']}); fresh vectors "
        "of the same mixture, ids above the base rows. The clients are",
        "threads of one Python process (psycopg releases the GIL while it waits for the "
        "server); rows/s = rows / (last commit - common",
        "start); p50 / p99 over the per-insert times of all clients. others CPUs: CPUs that "
        "other processes kept busy meanwhile",
        f"(shared machine; CPU times come in {tick_ms:.0f} ms ticks). found: sampled inserted "
        f"rows the index returns as their own nearest",
        f"neighbour ({a['knob']} = {max(a['values'])}). After each run the rows were deleted "
        f"and the table vacuumed ({cleanup} s); index size",
        f"before -> after the inserts -> after the vacuum, by clients: {sizes}.",
    ):
        print("   " + line)


def main(argv=None):
    args = parse_args(argv)
    run_id = uuid.uuid4().hex[:12]
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = os.getloadavg()
    records = []

    def emit(kind, **fields):
        records.append({"run_id": run_id, "kind": kind, "dataset": args.dataset, **fields})

    extension = ensure_database(args)

    t0 = time.perf_counter()
    base, queries = make_dataset(args)
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    truth_ids, truth_dist = ground_truth(args.metric, base, queries)
    truth_s = time.perf_counter() - t0
    truth = Truth(args.metric, base, queries, truth_ids, truth_dist)
    sample = np.random.default_rng(args.seed + 2).choice(
        len(queries), size=min(20, len(queries)), replace=False)
    spot_bad = verify_ground_truth(args.metric, base, queries, truth_ids, sample)
    if spot_bad:
        raise RuntimeError(f"ground truth disagrees with float64 brute force on {spot_bad} of "
                           f"{len(sample)} sampled queries")
    if truth.min_nn_distance <= 0:
        raise RuntimeError("a query coincides with a base vector")

    lib_path, lib_start = None, None
    try:
        with connect(args, args.dbname, autocommit=True) as conn:
            register_vector(conn)
            server = server_info(conn)
            lib_path = library_path(conn, extension.get("extname", args.extension))
            lib_start = library_state(lib_path)
            run = {
                "benchmark": "ann_bench", "started": started.isoformat(timespec="seconds"),
                "host": platform.node(), "cpus": os.cpu_count(), "loadavg_start": load_start,
                "rows": args.rows, "dim": args.dim, "queries": args.queries, "k": K,
                "metric": args.metric, "op": args.op, "seed": args.seed, "dataset": args.dataset,
                "knob": args.knob, "values": args.values, "workers": args.workers,
                "index_ddl": args.index_ddl, "table": args.table,
                "maintenance_work_mem": args.maintenance_work_mem,
                "build_settings": args.build_settings, "warmup": args.warmup,
                "rounds": args.rounds,
                "insert_rows": args.insert_rows, "insert_clients": args.insert_clients,
                "extension": extension, "library": lib_start,
                "server": server, "data_gen_s": gen_s,
                "truth": {"seconds": truth_s, "near_ties": len(truth.near_ties),
                          "min_gap": truth.min_gap, "spot_checked": len(sample),
                          "spot_mismatches": spot_bad, "min_nn_distance": truth.min_nn_distance,
                          "tie_rtol": TIE_RTOL},
            }
            print(f"[{time.strftime('%H:%M:%S')}] dataset {args.dataset}: {args.rows} x "
                  f"{args.dim}, {args.queries} queries; generated in {gen_s:.1f} s, ground "
                  f"truth {truth_s:.1f} s; loading", flush=True)
            loaded = load(conn, args, base)
            emit("load", **loaded)
            builds = []
            for w in args.workers:
                print(f"[{time.strftime('%H:%M:%S')}] building the index with "
                      f"max_parallel_maintenance_workers={w}", flush=True)
                b = build(conn, args, w, len(base))
                builds.append(b)
                emit("build", **b)
            index = builds[-1]["index"]

            hnsw, hnsw_build = None, None
            if not args.skip_hnswlib:
                print(f"[{time.strftime('%H:%M:%S')}] building hnswlib (1 thread)", flush=True)
                hnsw, hnsw_build = build_hnswlib(args, base)
                emit("hnswlib_build", **hnsw_build)

            print(f"[{time.strftime('%H:%M:%S')}] sweeping {args.knob} over {args.values}",
                  flush=True)
            points, hnsw_points, floor, sweep_load = sweep(conn, args, index, queries, truth,
                                                           hnsw)
            run["loadavg_sweep"] = sweep_load
            if hnsw is not None:
                hnswlib_batch(args, hnsw, queries, truth, hnsw_points)
                del hnsw
            emit("floor", **floor)
            for p in points:
                emit("ann", **p)
            for h in hnsw_points or []:
                emit("hnswlib", **h)
            exact = None
            if args.exact_queries > 0:
                print(f"[{time.strftime('%H:%M:%S')}] exact search on {args.exact_queries} queries",
                      flush=True)
                exact = exact_search(conn, args, queries, truth)
                emit("exact", **exact)
            inserts = []
            if args.insert_rows > 0:
                inserts = insert_bench(conn, args, index)
                for r in inserts:
                    emit("insert", **r)
    except psycopg.OperationalError:
        now = library_state(lib_path)
        if now and lib_start and now["sha256"] != lib_start["sha256"]:
            print(f"NOTE: {lib_path} was rewritten during the run (mtime {now['mtime']}); a "
                  "backend that had the old file mapped can crash: rerun (scripts/bench.sh "
                  "runs the cluster from a snapshot of the installation to avoid this)",
                  file=sys.stderr)
        raise

    comp = comparisons(points, hnsw_points, floor["mean_ms"], floor["rows"]["mean_ms"])
    for c in comp:
        emit("at_recall", **c)
    run["loadavg_end"] = os.getloadavg()
    run["library_end"] = library_state(lib_path)
    run["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    records.insert(0, {"run_id": run_id, "kind": "run", **run})

    report(run, loaded, builds, floor, exact, points, hnsw_build, hnsw_points, comp, inserts)
    print(f"load average at end: {run['loadavg_end'][0]:.2f}; run_id {run_id}")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "a") as f:
            for r in records:
                f.write(json.dumps(r, sort_keys=True) + "\n")
        print(f"{len(records)} JSON lines appended to {args.out}")

    problems = []
    if exact and exact["recall"] < 1.0:
        problems.append(f"exact search recall {exact['recall']:.4f} < 1 (ground truth or "
                        "distance disagreement)")
    for o, h in zip(points, hnsw_points or []):
        if o["recall"] < h["recall"] - 0.05:
            problems.append(f"{args.knob}={o['value']}: recall {o['recall']:.4f} is far below "
                            f"hnswlib's {h['recall']:.4f} at the same ef")
    for p in points:
        if p["recall_varies"]:
            print(f"NOTE: {args.knob}={p['value']}: recall differed between the timed passes "
                  "(the index returned different rows for the same query)")
    lib0, lib1 = run["library"], run["library_end"]
    if lib0 and lib1 and lib0["sha256"] != lib1["sha256"]:
        problems.append(f"{lib0['path']} was replaced during the run ({lib0['mtime']} -> "
                        f"{lib1['mtime']}): the results may mix two builds")
    for r in inserts:
        if any(e < m + INSERT_WARMUP for e, m in zip(r["prepared_executions"], r["client_rows"])):
            print(f"NOTE: {r['clients']} insert client(s): the server counted fewer executions "
                  f"of the prepared INSERT than rows inserted: {r['prepared_executions']}")
        if r["found_by_index"] < r["found_checked"]:
            print(f"NOTE: {r['clients']} insert client(s): the index returned only "
                  f"{r['found_by_index']} of {r['found_checked']} sampled inserted rows as their "
                  f"own nearest neighbour at {args.knob} = {max(args.values)}")
    forced = [str(p["value"]) for p in points if p["forced"]]
    if forced:
        print(f"NOTE: the planner did not choose the index at {args.knob} = {', '.join(forced)}; "
              "those rows were measured with enable_seqscan = off")
    if problems:
        for p in problems:
            print("PROBLEM: " + p, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
