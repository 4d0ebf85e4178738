#!/usr/bin/python3
"""Per-query time of an exact (sequential scan) nearest-neighbour search.

Generates seeded random float32 vectors, loads them with binary COPY into
``(id int, v vector(DIM))``, then runs ``SELECT id FROM t ORDER BY v <-> $1
LIMIT 10`` one query at a time on one connection, as a prepared statement
with binary parameters, after a warm-up pass.  It reports mean / p50 / p99
milliseconds per query with max_parallel_workers_per_gather = 0 and = 2,
the load time, and checks every top-10 against numpy.

Prints a table and appends one JSON line to --out (and prints it).

Example:
    /usr/bin/python3 bench/exact_search.py --host /tmp/py-cluster --port 5502
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time

import numpy as np
import psycopg
from psycopg import sql

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))

sys.path.insert(0, HERE)

import ann_bench as ab  # noqa: E402
from vector_ext import encode_text, register_vector  # noqa: E402

K = ab.K


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default=os.environ.get("VX_PGHOST", "/tmp/py-cluster"))
    p.add_argument("--port", type=int, default=int(os.environ.get("VX_PGPORT", "5502")))
    p.add_argument("--user", default=os.environ.get("VX_PGUSER", "postgres"))
    p.add_argument("--dbname", default="vx_bench", help="created if missing")
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--dim", type=int, default=768)
    p.add_argument("--queries", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5, help="untimed queries per setting")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--table", default="exact_bench")
    p.add_argument("--workers", default="0,2", help="max_parallel_workers_per_gather values")
    p.add_argument(
        "--no-forced-parallel", action="store_true",
        help="skip the extra run with 2 workers and min_parallel_table_scan_size = 0",
    )
    p.add_argument("--out", default=os.path.join(HERE, "out", "exact_search.jsonl"))
    p.set_defaults(extension="vector_ext")  # for ann_bench.ensure_database
    return p.parse_args()


def make_data(args):
    rng = np.random.default_rng(args.seed)
    base = rng.standard_normal((args.rows, args.dim), dtype=np.float32)
    queries = rng.standard_normal((args.queries, args.dim), dtype=np.float32)
    return base, queries


def check(got, truth_ids, truth_d, base, query):
    """Compare one result with the exact top-10.

    Returns (recall, explained): explained is True when every difference is a
    near tie (distances equal to 1e-5 relative), as float32 kernels may
    order those differently from float64 numpy.
    """
    want = truth_ids[:K].tolist()
    recall = len(set(got) & set(want)) / K
    if got == want:
        return recall, True
    got_d = ab.exact_distances("l2", base[np.array(got) - 1], query)
    explained = len(got) == K and np.allclose(np.sort(got_d), truth_d[:K], rtol=1e-5)
    return recall, bool(explained)


def plan_summary(conn, tag, query):
    """The plan the prepared statement tagged ``tag`` runs (EXPLAIN ANALYZE
    EXECUTE of that very statement), and its generic/custom plan counts."""
    name, generic, custom = conn.execute(
        "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements "
        "WHERE statement LIKE %s",
        [f"%{tag}%"],
    ).fetchone()
    cur = conn.cursor()
    cur.execute(
        sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE {}({})").format(
            sql.Identifier(name), sql.Literal(encode_text(query).decode())
        )
    )
    doc = cur.fetchone()[0]
    if isinstance(doc, (bytes, str)):
        doc = json.loads(doc)
    plan = doc[0]

    found = {
        "workers_planned": 0,
        "workers_launched": 0,
        "nodes": [],
        "generic_plans": generic,
        "custom_plans": custom,
    }

    def walk(node):
        found["nodes"].append(node["Node Type"])
        for key, out in [
            ("Workers Planned", "workers_planned"),
            ("Workers Launched", "workers_launched"),
        ]:
            if key in node:
                found[out] = node[key]
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    found["jit"] = "JIT" in plan
    found["total_cost"] = plan["Plan"]["Total Cost"]
    return found


def percentile(values, p):
    return float(np.percentile(np.asarray(values), p))


def apply_settings(conn, gucs):
    conn.execute("RESET ALL")
    for name, value in gucs.items():
        conn.execute(sql.SQL("SET {} = {}").format(sql.Identifier(name), sql.Literal(str(value))))


def run_settings(conn, args, runs, queries, truth_ids, truth_d, base):
    """Time every query under every setting, interleaved.

    Each setting gets its own prepared statement (a cached generic plan is
    not re-planned when a GUC changes, so one shared statement would run
    every setting with the first one's plan).  The settings take turns query
    by query, so load from other processes on this shared machine spreads
    over all of them instead of skewing whichever ran during a busy spell.
    """
    cur = conn.cursor(binary=True)
    tags = [f"exact_search run {i}" for i in range(len(runs))]
    statements = [
        sql.SQL("SELECT id FROM {} ORDER BY v <-> %b LIMIT 10 /* {} */").format(
            sql.Identifier(args.table), sql.SQL(tag)
        )
        for tag in tags
    ]
    for gucs, statement in zip(runs, statements):
        apply_settings(conn, gucs)
        for j in range(min(args.warmup, len(queries))):
            cur.execute(statement, [queries[j]], prepare=True)
            cur.fetchall()

    latencies = [[] for _ in runs]
    recalls = [[] for _ in runs]
    unexplained = [[] for _ in runs]
    for j, q in enumerate(queries):
        for i, (gucs, statement) in enumerate(zip(runs, statements)):
            apply_settings(conn, gucs)
            start = time.perf_counter()
            cur.execute(statement, [q], prepare=True)
            got = [r[0] for r in cur.fetchall()]
            latencies[i].append((time.perf_counter() - start) * 1000)
            recall, explained = check(got, truth_ids[j], truth_d[j], base, q)
            recalls[i].append(recall)
            if not explained:
                unexplained[i].append(j)

    results = []
    for i, gucs in enumerate(runs):
        apply_settings(conn, gucs)
        lat = latencies[i]
        results.append(
            {
                "settings": gucs,
                "queries": len(queries),
                "mean_ms": float(np.mean(lat)),
                "p50_ms": percentile(lat, 50),
                "p99_ms": percentile(lat, 99),
                "min_ms": float(np.min(lat)),
                "max_ms": float(np.max(lat)),
                "qps": 1000 / float(np.mean(lat)),
                "recall_at_10": float(np.mean(recalls[i])),
                "exact_matches": len(queries) - len(unexplained[i]),
                "mismatched_queries": unexplained[i],
                "plan": plan_summary(conn, tags[i], queries[0]),
            }
        )
    conn.execute("RESET ALL")
    return results


def detoast_scan_ms(conn, args, repeat=3):
    """A scan that detoasts every vector without computing a distance."""
    conn.execute("RESET ALL")
    conn.execute("SET max_parallel_workers_per_gather = 0")
    query = sql.SQL("SELECT sum(vector_dims(v)) FROM {}").format(sql.Identifier(args.table))
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        conn.execute(query).fetchall()
        times.append((time.perf_counter() - start) * 1000)
    conn.execute("RESET ALL")
    return percentile(times, 50)


def floor_ms(conn, n=200):
    """A trivial prepared query with a binary parameter: the per-query floor."""
    cur = conn.cursor(binary=True)
    times = []
    for i in range(n + 10):
        start = time.perf_counter()
        cur.execute("SELECT %b::int4", [i], prepare=True)
        cur.fetchall()
        if i >= 10:
            times.append((time.perf_counter() - start) * 1000)
    return percentile(times, 50)


def main():
    args = parse_args()
    runs = [{"max_parallel_workers_per_gather": int(w)} for w in args.workers.split(",")]
    if not args.no_forced_parallel:
        runs.append({"max_parallel_workers_per_gather": 2, "min_parallel_table_scan_size": 0})
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()

    ab.ensure_database(args)
    t0 = time.perf_counter()
    base, queries = make_data(args)
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    truth_ids, truth_d = ab.ground_truth("l2", base, queries)
    truth_s = time.perf_counter() - t0

    with ab.connect(args, args.dbname, autocommit=True) as conn:
        register_vector(conn)
        settings = dict(
            conn.execute(
                "SELECT name, current_setting(name) FROM pg_settings WHERE name IN "
                "('shared_buffers', 'work_mem', 'jit', 'max_parallel_workers_per_gather', "
                "'max_worker_processes', 'max_parallel_workers', 'server_version')"
            ).fetchall()
        )
        loaded = ab.load(conn, args, base)
        floor = floor_ms(conn)
        detoast = detoast_scan_ms(conn, args)
        results = run_settings(conn, args, runs, queries, truth_ids, truth_d, base)

    record = {
        "benchmark": "exact_search",
        "started": started.isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "rows": args.rows,
        "dim": args.dim,
        "seed": args.seed,
        "warmup": args.warmup,
        "settings": settings,
        "data_gen_s": gen_s,
        "numpy_ground_truth_s": truth_s,
        "load": loaded,
        "floor_p50_ms": floor,
        "detoast_scan_p50_ms": detoast,
        "results": results,
    }

    print(f"exact search: {args.rows} x {args.dim} float32, {args.queries} queries, "
          f"warm-up {args.warmup}; PostgreSQL {settings.get('server_version')}, "
          f"shared_buffers {settings.get('shared_buffers')}, jit {settings.get('jit')}")
    print(f"load (binary COPY): {loaded['load_s']:.2f} s ({loaded['rows_per_s']:.0f} rows/s); "
          f"VACUUM ANALYZE {loaded['vacuum_analyze_s']:.2f} s; "
          f"table {loaded['table_bytes'] / 2**20:.1f} MiB "
          f"(heap {loaded['heap_bytes'] / 2**20:.1f} MiB, "
          f"toast {loaded['toast_bytes'] / 2**20:.1f} MiB)")
    print(f"floor (prepared SELECT $1::int4, p50): {floor:.3f} ms; "
          f"detoast-only scan (sum(vector_dims(v)), p50): {detoast:.1f} ms")
    print(f"load average before/after: {load_before[0]:.2f} / {record['loadavg_after'][0]:.2f} "
          f"on {os.cpu_count()} CPUs (shared machine)")
    header = (f"{'settings':<44} {'plan':>22} {'mean ms':>9} {'p50 ms':>9} {'p99 ms':>9} "
              f"{'QPS':>7} {'recall@10':>9} {'exact':>7}")
    print(header)
    print("-" * len(header))
    for r in results:
        plan = r["plan"]
        shape = f"{plan['workers_launched']}/{plan['workers_planned']} launched"
        if plan["jit"]:
            shape += " +JIT"
        label = ", ".join(
            ("workers" if k == "max_parallel_workers_per_gather" else k) + f"={v}"
            for k, v in r["settings"].items()
        )
        print(f"{label:<44} {shape:>22} {r['mean_ms']:>9.2f} {r['p50_ms']:>9.2f} "
              f"{r['p99_ms']:>9.2f} {r['qps']:>7.2f} {r['recall_at_10']:>9.3f} "
              f"{r['exact_matches']:>3}/{r['queries']:<3}")

    line = json.dumps(record, sort_keys=True)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "a") as f:
            f.write(line + "\n")
    print(line)

    failed = [r for r in results if r["mismatched_queries"]]
    if failed:
        for r in failed:
            print(f"top-10 differs from numpy beyond near ties with {r['settings']}: "
                  f"queries {r['mismatched_queries']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
