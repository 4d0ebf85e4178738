// Unit tests of the HNSW building blocks: levels, neighbour caps, the graph's
// distance, visited sets, and the neighbour-selection heuristic and back-link
// rule on hand-made graphs.
#include "hnsw_graph.h"
#include "vx_hnsw.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <vector>

namespace
{

TEST(HnswBasics, MaxNeighbors)
{
	EXPECT_EQ(vx_hnsw_max_neighbors(16, 0), 32);
	EXPECT_EQ(vx_hnsw_max_neighbors(16, 1), 16);
	EXPECT_EQ(vx_hnsw_max_neighbors(16, 7), 16);
	EXPECT_EQ(vx_hnsw_max_neighbors(100, 0), 200);
	EXPECT_EQ(vx_hnsw_max_neighbors(2, 3), 2);
}

TEST(HnswBasics, RandomLevelFormula)
{
	EXPECT_EQ(vx_hnsw_random_level(1.0, 16), 0);
	EXPECT_EQ(vx_hnsw_random_level(0.07, 16), 0);   // -ln(0.07)/ln(16) = 0.959
	EXPECT_EQ(vx_hnsw_random_level(0.06, 16), 1);   // 1.015
	EXPECT_EQ(vx_hnsw_random_level(0.0040, 16), 1); // 1.991
	EXPECT_EQ(vx_hnsw_random_level(0.0038, 16), 2); // 2.009
	EXPECT_EQ(vx_hnsw_random_level(0.2, 2), 2);     // 2.32
	EXPECT_EQ(vx_hnsw_random_level(1e-300, 16), VX_HNSW_MAX_LEVEL);
	EXPECT_EQ(vx_hnsw_random_level(0.0, 16), VX_HNSW_MAX_LEVEL);
	for (int m = 2; m <= VX_HNSW_MAX_M; m++)
	{
		double u = 0.5;
		double ml = 1.0 / std::log(static_cast<double>(m));
		int want = static_cast<int>(std::floor(-std::log(u) * ml));
		EXPECT_EQ(vx_hnsw_random_level(u, m), want) << "m=" << m;
	}
}

TEST(HnswBasics, RandomLevelDistribution)
{
	// P(level >= l) = m^-l
	std::mt19937_64 rng(7);
	const int m = 8;
	const int n = 200000;
	int at_least[4] = {0, 0, 0, 0};
	for (int i = 0; i < n; i++)
	{
		int level = vx_hnsw_random_level(vx::hnsw::unit_interval_from_bits(rng()), m);
		ASSERT_GE(level, 0);
		ASSERT_LE(level, VX_HNSW_MAX_LEVEL);
		for (int l = 0; l < 4; l++)
			at_least[l] += level >= l;
	}
	EXPECT_EQ(at_least[0], n);
	EXPECT_NEAR(at_least[1] / static_cast<double>(n), 1.0 / 8, 0.005);
	EXPECT_NEAR(at_least[2] / static_cast<double>(n), 1.0 / 64, 0.002);
	EXPECT_NEAR(at_least[3] / static_cast<double>(n), 1.0 / 512, 0.0008);
}

TEST(HnswBasics, UnitIntervalExcludesZero)
{
	EXPECT_GT(vx::hnsw::unit_interval_from_bits(0), 0.0);
	EXPECT_EQ(vx::hnsw::unit_interval_from_bits(~uint64_t{0}), 1.0);
}

TEST(HnswBasics, DistanceMatchesScalarReference)
{
	std::mt19937 rng(3);
	std::normal_distribution<float> g(0.0f, 1.0f);
	for (int dim : {1, 3, 8, 17, 64, 129, 1000})
	{
		std::vector<float> a(dim), b(dim);
		for (int i = 0; i < dim; i++)
		{
			a[i] = g(rng);
			b[i] = g(rng);
		}
		double l2 = 0, dot = 0, l1 = 0;
		for (int i = 0; i < dim; i++)
		{
			l2 += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
			dot += double(a[i]) * b[i];
			l1 += std::fabs(double(a[i]) - b[i]);
		}
		const double tol = 1e-4 * (1 + dim);
		EXPECT_NEAR(vx_hnsw_distance(VX_METRIC_L2, a.data(), b.data(), dim), l2, tol);
		EXPECT_NEAR(vx_hnsw_distance(VX_METRIC_IP, a.data(), b.data(), dim), -dot, tol);
		EXPECT_NEAR(vx_hnsw_distance(VX_METRIC_COSINE, a.data(), b.data(), dim), 1 - dot, tol);
		EXPECT_NEAR(vx_hnsw_distance(VX_METRIC_L1, a.data(), b.data(), dim), l1, tol);
	}
	float x[2] = {1, 2};
	EXPECT_TRUE(std::isnan(vx_hnsw_distance(9, x, x, 2)));
}

TEST(HnswBasics, HashVisitedBehavesLikeASet)
{
	vx::hnsw::HashVisited visited;
	std::mt19937_64 rng(11);
	for (int round = 0; round < 5; round++)
	{
		visited.reset();
		std::set<uint64_t> ref;
		// enough ids to force several doublings, with repeats
		for (int i = 0; i < 20000; i++)
		{
			uint64_t id = rng() % 15000 * 0x100000001ULL;
			ASSERT_EQ(visited.insert(id), ref.insert(id).second);
		}
	}
}

TEST(HnswBasics, DenseVisitedResetsByGeneration)
{
	vx::hnsw::DenseVisited visited;
	visited.resize(100);
	visited.reset();
	EXPECT_TRUE(visited.insert(5));
	EXPECT_FALSE(visited.insert(5));
	visited.reset();
	EXPECT_TRUE(visited.insert(5));
	visited.resize(200);
	EXPECT_TRUE(visited.insert(150));
	EXPECT_FALSE(visited.insert(5));
}

// A tiny graph view over explicit vectors and lists, for the core templates.
struct TinyView
{
	using Id = uint32_t;
	using Visited = vx::hnsw::DenseVisited;
	static constexpr bool kStableVectors = true;

	int dim = 1;
	std::vector<std::vector<float>> vecs;
	std::vector<std::vector<uint32_t>> lists; // level 0 only

	void
	neighbors(Id node, int level, std::vector<Id> &out)
	{
		out = level == 0 ? lists[node] : std::vector<Id>{};
	}
	const float *
	vector(Id node)
	{
		return vecs[node].data();
	}
	void
	prefetch(Id)
	{
	}
	void
	check_interrupt()
	{
	}
};

TEST(HnswHeuristic, KeepsOnlyCandidatesNearerToBaseThanToSelected)
{
	// 1-D, squared L2, base 0: candidates 1 (d 1), 1.1 (d 1.21), -1.5 (d 2.25), 2 (d 4).
	// 1 is kept; 1.1 is nearer to 1 (0.01) than to the base: pruned; -1.5 is kept
	// (6.25 from 1); 2 is nearer to 1 (1) than to the base (4): pruned.
	TinyView view;
	view.vecs = {{0.0f}, {1.0f}, {1.1f}, {-1.5f}, {2.0f}};
	view.lists = {{1, 2, 3, 4}, {0, 2, 3, 4}, {0, 1, 3, 4}, {0, 1, 2, 4}, {0, 1, 2, 3}};
	vx::hnsw::Params params{1, 2, 10, vx::hnsw::Metric::l2};
	vx::hnsw::Distance dist(params.metric, 1);
	vx::hnsw::Workspace<TinyView> ws;
	ws.visited.resize(8);
	vx::hnsw::LevelLists<uint32_t> chosen;
	float q = 0.0f;
	// choose for a new node at 0 (not in the graph), entering at node 4
	vx::hnsw::choose_neighbors(
	    view, params, dist, &q, 0, 4u, 0, [](uint32_t id) { return id != 0; }, ws, chosen);
	EXPECT_EQ(chosen[0], (std::vector<uint32_t>{1, 3}));
	for (int l = 1; l <= vx::hnsw::kMaxLevel; l++)
		EXPECT_TRUE(chosen[l].empty());
}

TEST(HnswHeuristic, BacklinkAppendsWhileThereIsRoom)
{
	TinyView view;
	view.vecs = {{0.0f}, {1.0f}, {2.0f}};
	view.lists = {{1}, {0}, {}};
	vx::hnsw::Params params{1, 2, 10, vx::hnsw::Metric::l2};
	vx::hnsw::Distance dist(params.metric, 1);
	vx::hnsw::Workspace<TinyView> ws;
	std::vector<uint32_t> out;
	std::vector<uint32_t> old = {1};
	ASSERT_TRUE(vx::hnsw::backlink(view, params, dist, 0u, 0, 2u, view.vecs[2].data(),
	                               std::span<const uint32_t>(old), ws, out));
	EXPECT_EQ(out, (std::vector<uint32_t>{1, 2}));
	// already linked: no update
	old = {1, 2};
	EXPECT_FALSE(vx::hnsw::backlink(view, params, dist, 0u, 0, 2u, view.vecs[2].data(),
	                                std::span<const uint32_t>(old), ws, out));
}

TEST(HnswHeuristic, BacklinkPrunesFullList)
{
	// node 0 at 0 keeps 2m = 4 on level 0: old list 1, 1.1, 2, 3 (full).  New
	// node 5 at -0.9: candidates from node 0: 5 (0.81), 1 (1), 1.1 (1.21), 2 (4),
	// 3 (9).  Kept: 5; 1 (3.61 from 5 > 1); 1.1 is nearer to 1: pruned; 2, 3
	// are nearer to 1 than to node 0: pruned.
	TinyView view;
	view.vecs = {{0.0f}, {1.0f}, {1.1f}, {2.0f}, {3.0f}, {-0.9f}};
	view.lists.resize(6);
	vx::hnsw::Params params{1, 2, 10, vx::hnsw::Metric::l2};
	vx::hnsw::Distance dist(params.metric, 1);
	vx::hnsw::Workspace<TinyView> ws;
	std::vector<uint32_t> out;
	std::vector<uint32_t> old = {1, 2, 3, 4};
	ASSERT_TRUE(vx::hnsw::backlink(view, params, dist, 0u, 0, 5u, view.vecs[5].data(),
	                               std::span<const uint32_t>(old), ws, out));
	EXPECT_EQ(out, (std::vector<uint32_t>{5, 1}));
}

TEST(HnswHeuristic, BacklinkSkipsWhenHeuristicKeepsOldList)
{
	// 2-D: node 0 at the origin with four diverse neighbours at distance 1
	// (full for m = 2 on level 0); a far new node is pruned and the old
	// list stays: no update.
	TinyView view;
	view.dim = 2;
	view.vecs = {{0, 0}, {1, 0}, {-1, 0}, {0, 1}, {0, -1}, {2, 0.1f}};
	view.lists.resize(6);
	vx::hnsw::Params params{2, 2, 10, vx::hnsw::Metric::l2};
	vx::hnsw::Distance dist(params.metric, 2);
	vx::hnsw::Workspace<TinyView> ws;
	std::vector<uint32_t> out;
	std::vector<uint32_t> old = {1, 2, 3, 4};
	EXPECT_FALSE(vx::hnsw::backlink(view, params, dist, 0u, 0, 5u, view.vecs[5].data(),
	                                std::span<const uint32_t>(old), ws, out));
	// on level 1 (cap m = 2) the same list is over full: it is pruned to 2,
	// which is a change even though the new node is not kept
	ASSERT_TRUE(vx::hnsw::backlink(view, params, dist, 0u, 1, 5u, view.vecs[5].data(),
	                               std::span<const uint32_t>(old), ws, out));
	EXPECT_EQ(out, (std::vector<uint32_t>{1, 2}));
}

TEST(HnswHeuristic, BacklinkDropsStoredDuplicatesAndSelfLinks)
{
	TinyView view;
	view.vecs = {{0.0f}, {1.0f}, {-1.0f}, {5.0f}};
	view.lists.resize(4);
	vx::hnsw::Params params{1, 2, 10, vx::hnsw::Metric::l2};
	vx::hnsw::Distance dist(params.metric, 1);
	vx::hnsw::Workspace<TinyView> ws;
	std::vector<uint32_t> out;
	std::vector<uint32_t> old = {1, 0, 1, 2}; // full, with a self link and a duplicate
	ASSERT_TRUE(vx::hnsw::backlink(view, params, dist, 0u, 0, 3u, view.vecs[3].data(),
	                               std::span<const uint32_t>(old), ws, out));
	std::set<uint32_t> s(out.begin(), out.end());
	EXPECT_EQ(s.size(), out.size());
	EXPECT_EQ(s.count(0), 0u);
	EXPECT_EQ(s, (std::set<uint32_t>{1, 2}));
}

} // namespace
