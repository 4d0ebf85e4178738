// Unit tests of the page-backed path: a graph kept in a std::map and reached
// through VxGraphCallbacks is built with vx_hnsw_plan_insert (the way the
// index AM inserts), repaired with vx_hnsw_plan_repair after deleting most
// of it (the way VACUUM does), and searched with vx_hnsw_search.  Failing
// callbacks must end every call with VX_ERR_CALLBACK.
#include "hnsw_test_util.h"
#include "vx_hnsw.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

namespace
{

using hnsw_test::Dataset;
using hnsw_test::MapGraph;
using hnsw_test::opaque_id;

// Insert every row of base into g with levels drawn from a seeded PRNG.
void
build_map_graph(MapGraph &g, const Dataset &base, const VxHnswParams &params, uint64_t seed)
{
	g.dim = params.dim;
	g.m = params.m;
	g.metric = params.metric;
	std::mt19937_64 rng(seed);
	for (size_t i = 0; i < base.n; i++)
	{
		int level =
		    vx_hnsw_random_level(static_cast<double>((rng() >> 11) + 1) * 0x1.0p-53, params.m);
		g.insert(params, opaque_id(i), base.row(i), level);
		if (::testing::Test::HasFatalFailure())
			return;
	}
}

double
map_recall(MapGraph &g, const VxHnswParams &params, const Dataset &base,
           const std::vector<size_t> &rows, const Dataset &queries, int ef, int k)
{
	double total = 0;
	for (size_t q = 0; q < queries.n; q++)
	{
		auto found = g.search(params, queries.row(q), ef, k);
		total += hnsw_test::recall_of(
		    found, hnsw_test::exact_knn(base, rows, queries.row(q), params.metric, k), k);
	}
	return total / static_cast<double>(queries.n);
}

TEST(HnswPlan, BatchDistancesGiveTheSameSearchAsVectors)
{
	Dataset base, queries;
	hnsw_test::mixture_with_queries(2000, 30, 16, 99, false, base, queries);
	VxHnswParams params = hnsw_test::params_of(16, VX_METRIC_L2, 8, 32);
	MapGraph g;
	build_map_graph(g, base, params, 7);
	ASSERT_FALSE(HasFatalFailure());
	for (size_t q = 0; q < queries.n; q++)
	{
		std::vector<VxCandidate> with(40), without(40);
		int n_with = 0, n_without = 0;
		VxError err{};
		VxGraphCallbacks cb_with = g.callbacks(true), cb_without = g.callbacks(false);
		ASSERT_EQ(vx_hnsw_search(&cb_with, &params, queries.row(q), g.entry, g.entry_level, 40,
		                         with.data(), &n_with, &err),
		          VX_OK);
		ASSERT_EQ(vx_hnsw_search(&cb_without, &params, queries.row(q), g.entry, g.entry_level, 40,
		                         without.data(), &n_without, &err),
		          VX_OK);
		ASSERT_EQ(n_with, n_without);
		for (int i = 0; i < n_with; i++)
		{
			EXPECT_EQ(with[static_cast<size_t>(i)].id, without[static_cast<size_t>(i)].id);
			EXPECT_EQ(with[static_cast<size_t>(i)].distance,
			          without[static_cast<size_t>(i)].distance);
		}
	}
}

TEST(HnswPlan, InsertPlansBuildAGoodGraph)
{
	Dataset base, queries;
	hnsw_test::mixture_with_queries(5000, 100, 32, 314, false, base, queries);
	VxHnswParams params = hnsw_test::params_of(32, VX_METRIC_L2, 16, 64);
	MapGraph g;
	build_map_graph(g, base, params, 1);
	ASSERT_FALSE(HasFatalFailure());
	g.check_structure();
	const auto rows = hnsw_test::all_rows(base.n);
	const double recall = map_recall(g, params, base, rows, queries, 100, 10);
	const double narrow = map_recall(g, params, base, rows, queries, 10, 10);
	std::printf("recall@10 of the plan-built graph: ef 100 %.4f, ef 10 %.4f\n", recall, narrow);
	EXPECT_GE(recall, 0.95);
	EXPECT_GE(narrow, 0.8);
}

TEST(HnswPlan, InsertPlansWithCosine)
{
	Dataset base, queries;
	hnsw_test::mixture_with_queries(3000, 100, 24, 2718, true, base, queries);
	VxHnswParams params = hnsw_test::params_of(24, VX_METRIC_COSINE, 8, 40);
	MapGraph g;
	build_map_graph(g, base, params, 3);
	ASSERT_FALSE(HasFatalFailure());
	g.check_structure();
	EXPECT_GE(map_recall(g, params, base, hnsw_test::all_rows(base.n), queries, 100, 10), 0.95);
}

TEST(HnswPlan, RepairAfterDeletingThreeQuarters)
{
	Dataset base, queries;
	hnsw_test::mixture_with_queries(8000, 100, 32, 161, false, base, queries);
	VxHnswParams params = hnsw_test::params_of(32, VX_METRIC_L2, 16, 64);
	MapGraph g;
	build_map_graph(g, base, params, 2);
	ASSERT_FALSE(HasFatalFailure());

	// delete 75%, chosen at random (the old entry point usually goes too)
	std::mt19937_64 rng(8);
	std::vector<size_t> order = hnsw_test::all_rows(base.n);
	std::shuffle(order.begin(), order.end(), rng);
	std::vector<VxNodeId> deleted;
	for (size_t i = 0; i < base.n * 3 / 4; i++)
		deleted.push_back(opaque_id(order[i]));
	std::sort(deleted.begin(), deleted.end());
	std::set<VxNodeId> dead(deleted.begin(), deleted.end());
	std::vector<size_t> survivors(order.begin() + static_cast<long>(deleted.size()), order.end());
	std::sort(survivors.begin(), survivors.end());

	// the new entry point: a surviving node of the highest level (the
	// deleted nodes stay traversable while the survivors are repaired)
	VxNodeId entry = VX_INVALID_NODE;
	int entry_level = -1;
	for (size_t r : survivors)
	{
		const auto &n = g.nodes.at(opaque_id(r));
		if (n.level > entry_level)
		{
			entry = opaque_id(r);
			entry_level = n.level;
		}
	}

	// control: the same deletion with dead links merely dropped, no repair
	MapGraph unrepaired = g;
	for (VxNodeId d : deleted)
		unrepaired.nodes.erase(d);
	for (auto &[id, n] : unrepaired.nodes)
		for (auto &list : n.lists)
			std::erase_if(list, [&](VxNodeId x) { return dead.count(x) > 0; });
	unrepaired.entry = entry;
	unrepaired.entry_level = entry_level;

	VxGraphCallbacks cb = g.callbacks();
	int repaired = 0;
	for (size_t r : survivors)
	{
		const VxNodeId id = opaque_id(r);
		MapGraph::Node &n = g.nodes.at(id);
		bool stale = false;
		for (const auto &list : n.lists)
			for (VxNodeId x : list)
				stale = stale || dead.count(x) > 0;
		if (!stale)
			continue;
		VxInsertPlan *plan = nullptr;
		VxError err{};
		ASSERT_EQ(vx_hnsw_plan_repair(&cb, &params, id, n.vec.data(), n.level, entry, entry_level,
		                              deleted.data(), static_cast<int>(deleted.size()), &plan,
		                              &err),
		          VX_OK)
		    << err.message;
		for (int l = 0; l <= n.level; l++)
		{
			const VxNodeId *ids;
			int c = vx_insert_plan_neighbors(plan, l, &ids);
			n.lists[static_cast<size_t>(l)].assign(ids, ids + c);
			for (int i = 0; i < c; i++)
			{
				ASSERT_EQ(dead.count(ids[i]), 0u) << "repair chose a deleted node";
				ASSERT_NE(ids[i], id) << "repair chose the node itself";
			}
		}
		// back-links to the repaired node, applied as the glue does: the
		// update's old list must be the stored one
		for (int i = 0; i < vx_insert_plan_update_count(plan); i++)
		{
			VxNodeId node;
			int l, old_count, new_count;
			const VxNodeId *old_ids, *new_ids;
			vx_insert_plan_update(plan, i, &node, &l, &old_ids, &old_count, &new_ids, &new_count);
			auto &list = g.nodes.at(node).lists.at(static_cast<size_t>(l));
			EXPECT_EQ(list, std::vector<VxNodeId>(old_ids, old_ids + old_count));
			list.assign(new_ids, new_ids + new_count);
		}
		vx_insert_plan_free(plan);
		repaired++;
	}
	EXPECT_GT(repaired, static_cast<int>(survivors.size() / 2));

	// now the deleted nodes go away for good
	for (VxNodeId d : deleted)
		g.nodes.erase(d);
	g.entry = entry;
	g.entry_level = entry_level;
	g.check_structure(); // also: no list names a deleted (now missing) node

	const double recall = map_recall(g, params, base, survivors, queries, 100, 10);
	const double narrow = map_recall(g, params, base, survivors, queries, 10, 10);
	const double control = map_recall(unrepaired, params, base, survivors, queries, 10, 10);
	std::printf("recall@10 after deleting 75%% and repairing %d nodes: ef 100 %.4f, ef 10 %.4f "
	            "(dead links only dropped: ef 10 %.4f)\n",
	            repaired, recall, narrow, control);
	EXPECT_GE(recall, 0.95);
	EXPECT_GE(narrow, 0.93) << "repair leaves a poorly navigable graph";
	EXPECT_GT(narrow, control + 0.05) << "repair does not help";
}

// A small fully known graph for exact expectations (1-D, squared L2).
MapGraph
line_graph(const std::vector<float> &xs, int m)
{
	MapGraph g;
	g.dim = 1;
	g.m = m;
	for (size_t i = 0; i < xs.size(); i++)
		g.add_node(opaque_id(i), &xs[i], 0);
	for (size_t i = 0; i < xs.size(); i++)
		for (size_t j = 0; j < xs.size(); j++)
			if (i != j)
				g.nodes.at(opaque_id(i)).lists[0].push_back(opaque_id(j));
	g.entry = opaque_id(0);
	g.entry_level = 0;
	return g;
}

TEST(HnswPlan, EmptyGraphGivesEmptyPlan)
{
	MapGraph g;
	g.dim = 2;
	VxGraphCallbacks cb = g.callbacks();
	VxHnswParams params = hnsw_test::params_of(2, VX_METRIC_L2, 4, 16);
	float v[2] = {1, 2};
	VxInsertPlan *plan = nullptr;
	VxError err{};
	ASSERT_EQ(
	    vx_hnsw_plan_insert(&cb, &params, v, 3, opaque_id(0), VX_INVALID_NODE, -1, &plan, &err),
	    VX_OK);
	for (int l = 0; l <= VX_HNSW_MAX_LEVEL; l++)
		EXPECT_EQ(vx_insert_plan_neighbors(plan, l, nullptr), 0);
	EXPECT_EQ(vx_insert_plan_update_count(plan), 0);
	vx_insert_plan_free(plan);
	EXPECT_EQ(g.neighbor_calls + g.vector_calls, 0);

	VxCandidate out[4];
	int count = -1;
	ASSERT_EQ(vx_hnsw_search(&cb, &params, v, VX_INVALID_NODE, 0, 4, out, &count, &err), VX_OK);
	EXPECT_EQ(count, 0);
}

TEST(HnswPlan, HeuristicAndBacklinksOnAKnownGraph)
{
	// nodes 0..4 at 0, 1, 1.1, 2, 3; m = 2 (4 on level 0).  Node 0's list is
	// full: 1, 2, 3, 4.  New node at -0.9: its candidates from the beam are
	// 0 (0.81), 1 (3.61), 2 (4), 3 (8.41), 4 (15.21); the heuristic keeps 0
	// only (1 is nearer to 0 than to the new node, and so are the others).
	MapGraph g = line_graph({0.0f, 1.0f, 1.1f, 2.0f, 3.0f}, 2);
	VxHnswParams params = hnsw_test::params_of(1, VX_METRIC_L2, 2, 10);
	VxGraphCallbacks cb = g.callbacks();
	float x = -0.9f;
	const VxNodeId self = opaque_id(5);
	VxInsertPlan *plan = nullptr;
	VxError err{};
	ASSERT_EQ(vx_hnsw_plan_insert(&cb, &params, &x, 0, self, opaque_id(4), 0, &plan, &err), VX_OK);
	const VxNodeId *ids;
	ASSERT_EQ(vx_insert_plan_neighbors(plan, 0, &ids), 1);
	EXPECT_EQ(ids[0], opaque_id(0));
	// back-link of node 0: old 1, 2, 3, 4 (full) + new at distance 0.81 from
	// node 0, pruned from node 0: new (0.81) kept, 1 (1) kept (3.61 from the
	// new node), 1.1 nearer to 1, 2 and 3 nearer to 1: new list = new, 1
	ASSERT_EQ(vx_insert_plan_update_count(plan), 1);
	VxNodeId node;
	int level, old_count, new_count;
	const VxNodeId *old_ids, *new_ids;
	vx_insert_plan_update(plan, 0, &node, &level, &old_ids, &old_count, &new_ids, &new_count);
	EXPECT_EQ(node, opaque_id(0));
	EXPECT_EQ(level, 0);
	EXPECT_EQ(std::vector<VxNodeId>(old_ids, old_ids + old_count),
	          (std::vector<VxNodeId>{opaque_id(1), opaque_id(2), opaque_id(3), opaque_id(4)}));
	EXPECT_EQ(std::vector<VxNodeId>(new_ids, new_ids + new_count),
	          (std::vector<VxNodeId>{self, opaque_id(1)}));
	// an index past the end gives nothing
	vx_insert_plan_update(plan, 1, &node, &level, &old_ids, &old_count, &new_ids, &new_count);
	EXPECT_EQ(node, VX_INVALID_NODE);
	EXPECT_EQ(new_count, 0);
	vx_insert_plan_free(plan);
}

TEST(HnswPlan, LevelsAboveTheEntryGetNoNeighbours)
{
	Dataset base = hnsw_test::gaussian_mixture(300, 8, 5, 0.5f, 12);
	VxHnswParams params = hnsw_test::params_of(8, VX_METRIC_L2, 4, 20);
	MapGraph g;
	g.dim = 8;
	g.m = 4;
	// levels: node 0 at 1, everything else at 0 or 1
	for (size_t i = 0; i < base.n; i++)
	{
		g.insert(params, opaque_id(i), base.row(i), i % 10 == 0 ? 1 : 0);
		ASSERT_FALSE(HasFatalFailure());
	}
	ASSERT_EQ(g.entry_level, 1);
	float v[8] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
	VxGraphCallbacks cb = g.callbacks();
	VxInsertPlan *plan = nullptr;
	VxError err{};
	ASSERT_EQ(vx_hnsw_plan_insert(&cb, &params, v, 4, opaque_id(1000), g.entry, g.entry_level,
	                              &plan, &err),
	          VX_OK);
	EXPECT_GT(vx_insert_plan_neighbors(plan, 0, nullptr), 0);
	EXPECT_GT(vx_insert_plan_neighbors(plan, 1, nullptr), 0);
	EXPECT_LE(vx_insert_plan_neighbors(plan, 1, nullptr), 4);
	for (int l = 2; l <= VX_HNSW_MAX_LEVEL; l++)
		EXPECT_EQ(vx_insert_plan_neighbors(plan, l, nullptr), 0) << "level " << l;
	EXPECT_EQ(vx_insert_plan_neighbors(plan, -1, nullptr), 0);
	EXPECT_EQ(vx_insert_plan_neighbors(plan, VX_HNSW_MAX_LEVEL + 1, nullptr), 0);
	// every update is a level-0 or level-1 list that gains the new node or is
	// pruned, never lists the node itself, never has duplicates
	for (int i = 0; i < vx_insert_plan_update_count(plan); i++)
	{
		VxNodeId node;
		int level, old_count, new_count;
		const VxNodeId *old_ids, *new_ids;
		vx_insert_plan_update(plan, i, &node, &level, &old_ids, &old_count, &new_ids, &new_count);
		EXPECT_LE(level, 1);
		EXPECT_LE(new_count, vx_hnsw_max_neighbors(4, level));
		std::vector<VxNodeId> o(old_ids, old_ids + old_count), n(new_ids, new_ids + new_count);
		EXPECT_NE(o, n);
		EXPECT_EQ(g.nodes.at(node).lists.at(static_cast<size_t>(level)), o);
		std::set<VxNodeId> s(n.begin(), n.end());
		EXPECT_EQ(s.size(), n.size());
		EXPECT_EQ(s.count(node), 0u);
	}
	vx_insert_plan_free(plan);
}

TEST(HnswPlan, RepairTraversesButNeverChoosesDeletedNodes)
{
	// a line 0..9; the entry (node 0) and nodes 1-3 are deleted; repairing
	// node 4 must walk through them and choose among 5..9 only
	std::vector<float> xs = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	MapGraph g = line_graph(xs, 3);
	VxHnswParams params = hnsw_test::params_of(1, VX_METRIC_L2, 3, 10);
	// the deleted nodes form a chain 0 -> 1 -> 2 -> 3 -> 4 from the entry;
	// the survivors 4..9 are linked among themselves only
	for (size_t i = 0; i < 4; i++)
		g.nodes.at(opaque_id(i)).lists[0] = {opaque_id(i + 1)};
	for (size_t i = 4; i < 10; i++)
	{
		auto &list = g.nodes.at(opaque_id(i)).lists[0];
		list.clear();
		for (size_t j = 4; j < 10; j++)
			if (j != i)
				list.push_back(opaque_id(j));
	}
	std::vector<VxNodeId> deleted = {opaque_id(0), opaque_id(1), opaque_id(2), opaque_id(3)};
	VxGraphCallbacks cb = g.callbacks();
	VxInsertPlan *plan = nullptr;
	VxError err{};
	float x = 4.0f;
	ASSERT_EQ(vx_hnsw_plan_repair(&cb, &params, opaque_id(4), &x, 0, opaque_id(0), 0,
	                              deleted.data(), static_cast<int>(deleted.size()), &plan, &err),
	          VX_OK);
	const VxNodeId *ids;
	int c = vx_insert_plan_neighbors(plan, 0, &ids);
	ASSERT_GT(c, 0);
	EXPECT_EQ(ids[0], opaque_id(5)); // the nearest survivor
	for (int i = 0; i < c; i++)
	{
		EXPECT_GE(hnsw_test::row_of(ids[i]), 5u);
		EXPECT_NE(ids[i], opaque_id(4));
	}
	EXPECT_EQ(vx_insert_plan_update_count(plan), 0);
	vx_insert_plan_free(plan);

	// an unsorted deleted list is refused
	std::vector<VxNodeId> unsorted = {opaque_id(3), opaque_id(1)};
	EXPECT_EQ(vx_hnsw_plan_repair(&cb, &params, opaque_id(4), &x, 0, opaque_id(0), 0,
	                              unsorted.data(), 2, &plan, &err),
	          VX_ERR_INVALID_PARAM);
	EXPECT_EQ(plan, nullptr);
}

// Run op once to count the callback calls it makes, then again failing each
// call in turn: every run must end in VX_ERR_CALLBACK with no plan, and the
// graph must be left alone.
template <typename Op>
void
fail_every_call(MapGraph &g, Op op)
{
	g.neighbor_calls = g.vector_calls = 0;
	g.fail_neighbors_at = g.fail_vector_at = 0;
	ASSERT_EQ(op(), VX_OK);
	const long neighbor_calls = g.neighbor_calls;
	const long vector_calls = g.vector_calls;
	ASSERT_GT(neighbor_calls, 0);
	ASSERT_GT(vector_calls, 0);
	for (long k = 1; k <= neighbor_calls; k++)
	{
		g.neighbor_calls = g.vector_calls = 0;
		g.fail_neighbors_at = k;
		ASSERT_EQ(op(), VX_ERR_CALLBACK) << "neighbors call " << k;
	}
	g.fail_neighbors_at = 0;
	for (long k = 1; k <= vector_calls; k++)
	{
		g.neighbor_calls = g.vector_calls = 0;
		g.fail_vector_at = k;
		ASSERT_EQ(op(), VX_ERR_CALLBACK) << "vector call " << k;
	}
	g.fail_vector_at = 0;
}

TEST(HnswPlan, FailingCallbacksReturnCallbackError)
{
	Dataset base = hnsw_test::gaussian_mixture(400, 8, 5, 0.5f, 31);
	VxHnswParams params = hnsw_test::params_of(8, VX_METRIC_L2, 4, 16);
	MapGraph g;
	build_map_graph(g, base, params, 4);
	ASSERT_FALSE(HasFatalFailure());
	const auto nodes_before = g.nodes.size();
	float v[8] = {0.3f, -0.2f, 0.1f, 0.0f, 0.5f, 0.1f, -0.4f, 0.2f};
	VxGraphCallbacks cb = g.callbacks();

	fail_every_call(g,
	                [&]
	                {
		                VxInsertPlan *plan = reinterpret_cast<VxInsertPlan *>(&g);
		                VxError err{};
		                VxStatus s = vx_hnsw_plan_insert(&cb, &params, v, 1, opaque_id(9999),
		                                                 g.entry, g.entry_level, &plan, &err);
		                EXPECT_EQ(s == VX_OK, plan != nullptr);
		                EXPECT_EQ(s == VX_OK ? VX_OK : err.status, s);
		                vx_insert_plan_free(plan);
		                return s;
	                });
	if (HasFatalFailure())
		return;

	std::vector<VxNodeId> deleted = {opaque_id(1), opaque_id(2), opaque_id(50)};
	const MapGraph::Node &n7 = g.nodes.at(opaque_id(7));
	fail_every_call(g,
	                [&]
	                {
		                VxInsertPlan *plan = nullptr;
		                VxError err{};
		                VxStatus s = vx_hnsw_plan_repair(&cb, &params, opaque_id(7), n7.vec.data(),
		                                                 n7.level, g.entry, g.entry_level,
		                                                 deleted.data(), 3, &plan, &err);
		                EXPECT_EQ(s == VX_OK, plan != nullptr);
		                vx_insert_plan_free(plan);
		                return s;
	                });
	if (HasFatalFailure())
		return;

	fail_every_call(g,
	                [&]
	                {
		                VxCandidate out[50];
		                int count = -1;
		                VxError err{};
		                VxStatus s = vx_hnsw_search(&cb, &params, v, g.entry, g.entry_level, 50,
		                                            out, &count, &err);
		                EXPECT_TRUE(s == VX_OK || count == 0);
		                return s;
	                });
	EXPECT_EQ(g.nodes.size(), nodes_before);
}

TEST(HnswPlan, InterruptAndCorruptListsEndSearch)
{
	Dataset base = hnsw_test::gaussian_mixture(2000, 8, 5, 0.5f, 32);
	VxHnswParams params = hnsw_test::params_of(8, VX_METRIC_L2, 8, 32);
	MapGraph g;
	build_map_graph(g, base, params, 5);
	ASSERT_FALSE(HasFatalFailure());
	VxGraphCallbacks cb = g.callbacks();
	std::vector<VxCandidate> out(500);
	int count;
	VxError err{};
	ASSERT_EQ(vx_hnsw_search(&cb, &params, base.row(3), g.entry, g.entry_level, 500, out.data(),
	                         &count, &err),
	          VX_OK);
	EXPECT_EQ(count, 500);
	EXPECT_GT(g.interrupt_calls, 0) << "a long search never checked for interrupts";
	EXPECT_EQ(hnsw_test::row_of(out[0].id), 3u);
	EXPECT_EQ(out[0].distance, 0.0f);

	g.interrupt_calls = 0;
	g.interrupt_at = 1;
	EXPECT_EQ(vx_hnsw_search(&cb, &params, base.row(3), g.entry, g.entry_level, 500, out.data(),
	                         &count, &err),
	          VX_ERR_CALLBACK);
	g.interrupt_at = 0;

	g.overfull_count = true;
	EXPECT_EQ(vx_hnsw_search(&cb, &params, base.row(3), g.entry, g.entry_level, 10, out.data(),
	                         &count, &err),
	          VX_ERR_CORRUPTED);
	g.overfull_count = false;

	// bad arguments
	EXPECT_EQ(vx_hnsw_search(&cb, &params, base.row(3), g.entry, g.entry_level, 0, out.data(),
	                         &count, &err),
	          VX_ERR_INVALID_PARAM);
	EXPECT_EQ(vx_hnsw_search(&cb, &params, base.row(3), g.entry, VX_HNSW_MAX_LEVEL + 1, 10,
	                         out.data(), &count, &err),
	          VX_ERR_INVALID_PARAM);
	VxGraphCallbacks none{&g, nullptr, nullptr, nullptr, nullptr};
	EXPECT_EQ(vx_hnsw_search(&none, &params, base.row(3), g.entry, g.entry_level, 10, out.data(),
	                         &count, &err),
	          VX_ERR_INVALID_PARAM);
	VxInsertPlan *plan = nullptr;
	EXPECT_EQ(vx_hnsw_plan_insert(&cb, &params, base.row(3), 0, g.entry, g.entry, g.entry_level,
	                              &plan, &err),
	          VX_ERR_INVALID_PARAM); // self cannot be an existing entry
	EXPECT_EQ(plan, nullptr);
}

} // namespace
