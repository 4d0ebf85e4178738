"""Tests of ann_bench.py's database-free parts (no server needed):
    /usr/bin/python3 -m pytest -q -p no:cacheprovider bench/test_ann_bench.py
"""

import os
import struct
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ann_bench as ab  # noqa: E402
from vector_ext import decode_binary, encode_binary  # noqa: E402  (path set by ann_bench)


def pts(*pairs, key="qps"):
    return [{"recall": r, key: q} for r, q in pairs]


def test_qps_at_recall_interpolates_linearly_in_recall():
    curve = pts((0.80, 1000), (0.90, 800), (0.98, 400), (0.995, 200))
    q, first = ab.qps_at_recall(curve, 0.95)
    assert q == pytest.approx(800 + (0.95 - 0.90) / (0.98 - 0.90) * (400 - 800))
    assert not first
    q, _ = ab.qps_at_recall(curve, 0.99)
    assert q == pytest.approx(400 + (0.99 - 0.98) / (0.995 - 0.98) * (200 - 400))
    # a target hit exactly by a measured point gives that point's QPS
    assert ab.qps_at_recall(curve, 0.90)[0] == pytest.approx(800)


def test_qps_at_recall_not_reached_and_first_point():
    curve = pts((0.92, 1000), (0.96, 700), (0.985, 300))
    assert ab.qps_at_recall(curve, 0.99) == (None, False)
    q, first = ab.qps_at_recall(curve, 0.90)
    assert q == 1000 and first


def test_qps_at_recall_takes_the_best_on_a_noisy_curve():
    # recall dips then rises: the best QPS reaching the target wins
    curve = pts((0.85, 900), (0.93, 1000), (0.91, 500), (0.97, 300))
    q, _ = ab.qps_at_recall(curve, 0.92)
    assert q == pytest.approx(1000)  # the measured 0.93 point beats the interpolations
    assert ab.qps_at_recall(pts((0.9, 1.0), key="call_qps"), 0.9, "call_qps")[0] == 1.0


def test_comparisons_ratios_and_ceiling():
    ours = pts((0.90, 500), (0.99, 250))
    hnsw = [{"recall": 0.90, "qps": 5000, "call_qps": 4000},
            {"recall": 0.99, "qps": 2500, "call_qps": 2000}]
    rows = ab.comparisons(ours, hnsw, floor_ms=0.1)
    r90 = rows[0]
    assert r90["ours_over_hnswlib"] == pytest.approx(0.1)
    assert r90["hnswlib_call_qps"] == pytest.approx(4000)
    assert r90["ceiling_qps"] == pytest.approx(1 / (0.0001 + 1 / 5000))
    assert r90["ours_over_ceiling"] == pytest.approx(500 / r90["ceiling_qps"])
    assert rows[2]["recall"] == 0.99 and rows[2]["ours_qps"] == pytest.approx(250)
    assert ab.comparisons(ours, None, 0.1)[1]["ours_qps"] == pytest.approx(500 - 250 * 5 / 9)
    assert "rows_ceiling_qps" not in r90


def test_comparisons_rows_ceiling():
    ours = pts((0.90, 500), (0.99, 250))
    hnsw = [{"recall": 0.90, "qps": 5000, "call_qps": 4000},
            {"recall": 0.99, "qps": 2500, "call_qps": 2000}]
    r90 = ab.comparisons(ours, hnsw, floor_ms=0.1, rows_floor_ms=0.3)[0]
    assert r90["rows_ceiling_qps"] == pytest.approx(1 / (0.0003 + 1 / 5000))
    assert r90["ours_over_rows_ceiling"] == pytest.approx(500 * (0.0003 + 1 / 5000))
    assert r90["rows_ceiling_qps"] < r90["ceiling_qps"]


@pytest.mark.parametrize("metric", ["l2", "cosine"])
def test_ground_truth_matches_float64_brute_force(metric):
    rng = np.random.default_rng(7)
    base = rng.standard_normal((3000, 16), dtype=np.float32)
    queries = rng.standard_normal((40, 16), dtype=np.float32)
    if metric == "cosine":
        base /= np.linalg.norm(base, axis=1, keepdims=True)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    ids, dist = ab.ground_truth(metric, base, queries, chunk=700)
    assert ids.shape == (40, ab.K + 1) and ids.min() >= 1
    for j, q in enumerate(queries):
        d = ab.exact_distances(metric, base, q)
        want = np.argsort(d, kind="stable")[:ab.K + 1] + 1
        assert ids[j].tolist() == want.tolist()
        assert dist[j] == pytest.approx(np.sort(d)[:ab.K + 1])
    assert ab.verify_ground_truth(metric, base, queries, ids, np.arange(10), chunk=1000) == 0
    wrong = ids.copy()
    wrong[3, 0] = ids[3, ab.K]  # the 11th instead of the 1st
    assert ab.verify_ground_truth(metric, base, queries, wrong, np.arange(10)) == 1


def test_recall_counts_near_ties_by_distance():
    base = np.array([[float(i)] for i in range(1, 21)], dtype=np.float32)
    base[10] = base[9]  # rows 10 and 11 (1-based) are at the same distance
    queries = np.zeros((1, 1), dtype=np.float32)
    ids, dist = ab.ground_truth("l2", base, queries)
    truth = ab.Truth("l2", base, queries, ids, dist)
    assert truth.near_ties == {0}
    assert truth.recall(0, list(range(1, 11))) == 1.0
    assert truth.recall(0, list(range(1, 10)) + [11]) == 1.0  # the tied row counts
    assert truth.recall(0, list(range(1, 10)) + [12]) == 0.9
    far = ab.Truth("l2", base[:12], queries, *ab.ground_truth("l2", base[:12] * [[1]], queries))
    assert far.recall(0, [1, 2]) == pytest.approx(0.2)


def test_recall_without_ties_is_set_overlap():
    base = np.arange(1, 31, dtype=np.float32)[:, None]
    queries = np.zeros((1, 1), dtype=np.float32)
    truth = ab.Truth("l2", base, queries, *ab.ground_truth("l2", base, queries))
    assert not truth.near_ties
    assert truth.recall(0, [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]) == 1.0
    assert truth.recall(0, [1, 2, 3, 30, 29]) == pytest.approx(0.3)


def test_copy_stream_is_pg_binary_copy_with_vector_binary_fields():
    base = np.random.default_rng(3).standard_normal((7, 5), dtype=np.float32)
    data = b"".join(ab.copy_stream(base, chunk_rows=3))
    assert data.startswith(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
    pos = 19
    for i in range(7):
        nfields, id_len, id_ = struct.unpack_from(">hii", data, pos)
        assert (nfields, id_len, id_) == (2, 4, i + 1)
        (v_len,) = struct.unpack_from(">i", data, pos + 10)
        field = data[pos + 14:pos + 14 + v_len]
        assert field == encode_binary(base[i])
        assert np.array_equal(decode_binary(field), base[i])
        pos += 14 + v_len
    assert data[pos:] == struct.pack(">h", -1)


def test_expected_build_threads_follows_compute_parallel_worker():
    # min_parallel_table_scan_size 8MB = 1024 pages
    assert ab.expected_build_threads(7000, 1024, 0) == 1
    assert ab.expected_build_threads(1000, 1024, 2) == 1  # heap below the minimum
    assert ab.expected_build_threads(1024, 1024, 2) == 2
    assert ab.expected_build_threads(3072, 1024, 2) == 3  # 3x the minimum: 2 workers
    assert ab.expected_build_threads(3072, 1024, 1) == 2
    assert ab.expected_build_threads(650, 0, 1) == 2  # min_parallel_table_scan_size = 0


def test_dataset_is_seeded_and_queries_do_not_depend_on_rows():
    args = ab.parse_args(["--dataset", "gmm-100k-768-cos", "--rows", "500", "--queries", "30"])
    base, queries = ab.make_dataset(args)
    assert base.shape == (500, 768) and queries.shape == (30, 768)
    assert base.dtype == np.float32
    assert np.allclose(np.linalg.norm(base, axis=1), 1, atol=1e-6)
    again = ab.parse_args(["--dataset", "gmm-100k-768-cos", "--rows", "800", "--queries", "30"])
    base2, queries2 = ab.make_dataset(again)
    assert np.array_equal(queries, queries2)
    assert np.array_equal(base, base2[:500])
    # a mixture: points sit much nearer their own centre than a random one
    l2 = ab.parse_args(["--rows", "2000", "--queries", "5"])
    assert l2.metric == "l2" and l2.op == "<->" and "vector_l2_ops" in l2.index_ddl
    b, _ = ab.make_dataset(l2)
    assert b.shape == (2000, 128)


def test_parse_args_defaults_and_overrides():
    a = ab.parse_args(["--quick"])
    assert (a.rows, a.queries) == (20_000, 200)
    assert a.values == [10, 20, 40, 80, 160, 320] and a.workers == [0, 1]
    a = ab.parse_args(["--quick", "--rows", "5000", "--dataset", "gmm-100k-768-cos"])
    assert (a.rows, a.queries, a.op) == (5000, 200, "<=>")
    assert "vector_cosine_ops" in a.index_ddl
    a = ab.parse_args(["--index-ddl", "CREATE INDEX ON {table} USING hnsw (v vector_l2_ops) "
                       "WITH (m = 8, ef_construction = 40)", "--build-set",
                       "min_parallel_table_scan_size=0"])
    assert (a.hnswlib_m, a.hnswlib_ef_construction) == (8, 40)
    assert a.build_settings == {"min_parallel_table_scan_size": "0"}
    with pytest.raises(SystemExit):
        ab.parse_args(["--index-ddl", "CREATE INDEX ON t USING hnsw (v vector_l2_ops)"])


@pytest.mark.parametrize("n,clients", [(500, 1), (500, 4), (2000, 4), (7, 3), (4, 4), (0, 2),
                                       (1001, 7)])
def test_split_rows_sums_to_n_and_is_even(n, clients):
    shares = ab.split_rows(n, clients)
    assert len(shares) == clients and sum(shares) == n
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)  # the first clients take the extra rows


def test_split_rows_rejects_no_clients():
    with pytest.raises(ValueError):
        ab.split_rows(10, 0)
    with pytest.raises(ValueError):
        ab.split_rows(-1, 2)


@pytest.mark.parametrize("first_id,n,clients", [(100_001, 2000, 4), (20_001, 500, 1),
                                                (11, 7, 3), (1, 10, 10)])
def test_insert_id_ranges_are_disjoint_and_cover_exactly(first_id, n, clients):
    ranges = ab.insert_id_ranges(first_id, n, clients)
    assert [len(r) for r in ranges] == ab.split_rows(n, clients)
    ids = [i for r in ranges for i in r]
    assert ids == list(range(first_id, first_id + n))  # consecutive, disjoint, in client order
    assert all(r.step == 1 for r in ranges)
    assert min(ids) == first_id and max(ids) == first_id + n - 1


def test_insert_vectors_are_new_points_of_the_mixture():
    args = ab.parse_args(["--rows", "3000", "--queries", "50"])
    base, queries = ab.make_dataset(args)
    ins = ab.make_insert_vectors(args, 400)
    assert ins.shape == (400, 128) and ins.dtype == np.float32
    assert np.array_equal(ins, ab.make_insert_vectors(args, 600)[:400])  # seeded, prefix
    # not copies of base rows or queries: the nearest base row is never at distance 0
    ids, dist = ab.ground_truth("l2", base, ins, k=1)
    assert dist[:, 0].min() > 0
    assert not any(np.array_equal(v, q) for v in ins[:50] for q in queries)
    # the same distribution: as near to the base set as the queries are
    _, qdist = ab.ground_truth("l2", base, queries, k=1)
    assert np.median(dist[:, 0]) == pytest.approx(np.median(qdist[:, 0]), rel=0.1)
    cos = ab.parse_args(["--dataset", "gmm-100k-768-cos", "--rows", "100", "--queries", "5"])
    assert np.allclose(np.linalg.norm(ab.make_insert_vectors(cos, 20), axis=1), 1, atol=1e-6)


def test_parse_args_insert_options():
    a = ab.parse_args([])
    assert (a.insert_rows, a.insert_clients) == (2000, [1, 4])
    a = ab.parse_args(["--quick"])
    assert (a.insert_rows, a.insert_clients) == (500, [1, 4])
    a = ab.parse_args(["--quick", "--insert-rows", "0", "--insert-clients", "2"])
    assert (a.insert_rows, a.insert_clients) == (0, [2])
    a = ab.parse_args(["--insert-rows", "100", "--insert-clients", "1, 2,8"])
    assert a.insert_clients == [1, 2, 8]
    for bad in (["--insert-rows", "-1"], ["--insert-clients", "0"], ["--insert-clients", "x"],
                ["--insert-rows", "3", "--insert-clients", "4"], ["--insert-clients", ""]):
        with pytest.raises(SystemExit):
            ab.parse_args(bad)
