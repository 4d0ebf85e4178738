// Shared helpers of the HNSW unit tests: data sets, exact search, recall,
// and a std::map-based graph reached through VxGraphCallbacks (the way the
// index AM glue reaches index pages).
#pragma once

#include "vx_hnsw.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace hnsw_test
{

struct Dataset
{
	int dim = 0;
	size_t n = 0;
	std::vector<float> data; // n x dim

	const float *
	row(size_t i) const
	{
		return data.data() + i * dim;
	}
};

// Gaussian mixture: `clusters` centres ~ N(0, 1) per coordinate, points
// centre + N(0, spread).  Queries come from the same mixture (seeded apart).
inline Dataset
gaussian_mixture(size_t n, int dim, int clusters, float spread, uint64_t seed,
                 bool normalise = false)
{
	std::mt19937_64 rng(seed);
	std::normal_distribution<float> unit(0.0f, 1.0f);
	std::vector<float> centres(static_cast<size_t>(clusters) * dim);
	for (float &c : centres)
		c = unit(rng);
	std::uniform_int_distribution<int> pick(0, clusters - 1);
	Dataset d;
	d.dim = dim;
	d.n = n;
	d.data.resize(n * dim);
	for (size_t i = 0; i < n; i++)
	{
		const float *c = centres.data() + static_cast<size_t>(pick(rng)) * dim;
		float *x = d.data.data() + i * dim;
		double norm = 0;
		for (int j = 0; j < dim; j++)
		{
			x[j] = c[j] + spread * unit(rng);
			norm += static_cast<double>(x[j]) * x[j];
		}
		if (normalise)
			for (int j = 0; j < dim; j++)
				x[j] = static_cast<float>(x[j] / std::sqrt(norm));
	}
	return d;
}

// Splits one mixture into a base set and a query set, so both share centres.
// Ten clusters as wide as the spread of their centres overlap a lot: a
// beam of 100 cannot just sweep one cluster (on this data our graph and
// hnswlib's, m 16 / ef_construction 64, both reach recall@10 ~0.84 at ef 10
// and ~0.998 at ef 100 for L2).
inline void
mixture_with_queries(size_t n, size_t nq, int dim, uint64_t seed, bool normalise, Dataset &base,
                     Dataset &queries)
{
	Dataset all = gaussian_mixture(n + nq, dim, 10, 1.0f, seed, normalise);
	base.dim = queries.dim = dim;
	base.n = n;
	queries.n = nq;
	base.data.assign(all.data.begin(), all.data.begin() + n * dim);
	queries.data.assign(all.data.begin() + n * dim, all.data.end());
}

// Exact k nearest (indexes into `ids`, the candidate rows of base).
inline std::vector<size_t>
exact_knn(const Dataset &base, const std::vector<size_t> &ids, const float *q, int metric, int k)
{
	std::vector<std::pair<float, size_t>> all;
	all.reserve(ids.size());
	for (size_t i : ids)
		all.emplace_back(vx_hnsw_distance(metric, q, base.row(i), base.dim), i);
	const size_t kk = std::min<size_t>(static_cast<size_t>(k), all.size());
	std::partial_sort(all.begin(), all.begin() + kk, all.end());
	std::vector<size_t> out;
	for (size_t i = 0; i < kk; i++)
		out.push_back(all[i].second);
	return out;
}

inline std::vector<size_t>
all_rows(size_t n)
{
	std::vector<size_t> ids(n);
	for (size_t i = 0; i < n; i++)
		ids[i] = i;
	return ids;
}

// |found[0..k) ∩ truth| / |truth|
inline double
recall_of(const std::vector<size_t> &found, const std::vector<size_t> &truth, int k)
{
	std::set<size_t> t(truth.begin(), truth.end());
	size_t hit = 0;
	for (size_t i = 0; i < found.size() && i < static_cast<size_t>(k); i++)
		hit += t.count(found[i]);
	return truth.empty() ? 1.0 : static_cast<double>(hit) / static_cast<double>(truth.size());
}

// Opaque ids for row i: sparse, monotone, far from 0 and from UINT64_MAX.
inline VxNodeId
opaque_id(size_t i)
{
	return (static_cast<VxNodeId>(i) << 24) + 0x5a5a;
}
inline size_t
row_of(VxNodeId id)
{
	return static_cast<size_t>((id - 0x5a5a) >> 24);
}

// An index-like graph kept in a std::map, reached through callbacks.  Fault
// injection: fail the n-th call of a callback (1-based; 0 = never).
struct MapGraph
{
	struct Node
	{
		std::vector<float> vec;
		int level = 0;
		std::vector<std::vector<VxNodeId>> lists; // level 0..level
	};

	int dim = 0;
	int metric = VX_METRIC_L2;
	int m = 16;
	std::map<VxNodeId, Node> nodes;
	VxNodeId entry = VX_INVALID_NODE;
	int entry_level = -1;

	long neighbor_calls = 0;
	long vector_calls = 0;
	long interrupt_calls = 0;
	long fail_neighbors_at = 0;
	long fail_vector_at = 0;
	long interrupt_at = 0;
	bool overfull_count = false; // report more neighbours than cap

	static int
	neighbors_cb(void *ctx, VxNodeId node, int level, VxNodeId *out, int cap, int *count)
	{
		auto *g = static_cast<MapGraph *>(ctx);
		if (++g->neighbor_calls == g->fail_neighbors_at)
			return 1;
		auto it = g->nodes.find(node);
		if (it == g->nodes.end())
			return 1; // the core asked for a node that does not exist: a failure
		if (g->overfull_count)
		{
			*count = cap + 1;
			return 0;
		}
		const Node &n = it->second;
		if (level > n.level)
		{
			*count = 0;
			return 0;
		}
		const auto &list = n.lists[static_cast<size_t>(level)];
		const int c = std::min<int>(cap, static_cast<int>(list.size()));
		std::copy(list.begin(), list.begin() + c, out);
		*count = c;
		return 0;
	}

	static const float *
	vector_cb(void *ctx, VxNodeId node)
	{
		auto *g = static_cast<MapGraph *>(ctx);
		if (++g->vector_calls == g->fail_vector_at)
			return nullptr;
		auto it = g->nodes.find(node);
		return it == g->nodes.end() ? nullptr : it->second.vec.data();
	}

	static int
	interrupt_cb(void *ctx)
	{
		auto *g = static_cast<MapGraph *>(ctx);
		return ++g->interrupt_calls == g->interrupt_at ? 1 : 0;
	}

	// The batch distances callback, as the glue supplies it (counts as vector
	// calls, so failure injection reaches it too).
	static int
	distances_cb(void *ctx, const float *query, const VxNodeId *ids, int n, float *out)
	{
		auto *g = static_cast<MapGraph *>(ctx);
		for (int i = 0; i < n; i++)
		{
			const float *v = vector_cb(ctx, ids[i]);
			if (v == nullptr)
				return 1;
			out[i] = vx_hnsw_distance(g->metric, query, v, g->dim);
		}
		return 0;
	}

	// with_distances false: the core computes distances from vector() alone
	VxGraphCallbacks
	callbacks(bool with_distances = true)
	{
		return VxGraphCallbacks{this, neighbors_cb, vector_cb, interrupt_cb,
		                        with_distances ? distances_cb : nullptr};
	}

	// Add a node without links.
	Node &
	add_node(VxNodeId id, const float *vec, int level)
	{
		Node &n = nodes[id];
		n.vec.assign(vec, vec + dim);
		n.level = level;
		n.lists.assign(static_cast<size_t>(level) + 1, {});
		return n;
	}

	// Insert the way the glue does: plan, then apply the plan.  Checks that
	// every update's old list is the list currently stored.
	void
	insert(const VxHnswParams &params, VxNodeId self, const float *vec, int level)
	{
		VxGraphCallbacks cb = callbacks();
		VxInsertPlan *plan = nullptr;
		VxError err{};
		ASSERT_EQ(
		    vx_hnsw_plan_insert(&cb, &params, vec, level, self, entry, entry_level, &plan, &err),
		    VX_OK)
		    << err.message;
		ASSERT_NE(plan, nullptr);
		Node &n = add_node(self, vec, level);
		for (int l = 0; l <= level; l++)
		{
			const VxNodeId *ids;
			int c = vx_insert_plan_neighbors(plan, l, &ids);
			if (entry == VX_INVALID_NODE || l > entry_level)
			{
				EXPECT_EQ(c, 0);
			}
			n.lists[static_cast<size_t>(l)].assign(ids, ids + c);
		}
		for (int i = 0; i < vx_insert_plan_update_count(plan); i++)
		{
			VxNodeId node;
			int l, old_count, new_count;
			const VxNodeId *old_ids, *new_ids;
			vx_insert_plan_update(plan, i, &node, &l, &old_ids, &old_count, &new_ids, &new_count);
			auto &list = nodes.at(node).lists.at(static_cast<size_t>(l));
			EXPECT_EQ(list, std::vector<VxNodeId>(old_ids, old_ids + old_count));
			list.assign(new_ids, new_ids + new_count);
		}
		vx_insert_plan_free(plan);
		if (entry == VX_INVALID_NODE || level > entry_level)
		{
			entry = self;
			entry_level = level;
		}
	}

	// Search through the callbacks; returns rows (via row_of).
	std::vector<size_t>
	search(const VxHnswParams &params, const float *q, int ef, int k)
	{
		VxGraphCallbacks cb = callbacks();
		std::vector<VxCandidate> out(static_cast<size_t>(ef));
		int count = 0;
		VxError err{};
		EXPECT_EQ(vx_hnsw_search(&cb, &params, q, entry, entry_level, ef, out.data(), &count, &err),
		          VX_OK)
		    << err.message;
		std::vector<size_t> rows;
		for (int i = 0; i < count && i < k; i++)
			rows.push_back(row_of(out[static_cast<size_t>(i)].id));
		return rows;
	}

	// No self links, no duplicates, sizes within max, every neighbour exists
	// and has the level; the entry has the top level.
	void
	check_structure() const
	{
		int top = -1;
		for (const auto &[id, n] : nodes)
		{
			top = std::max(top, n.level);
			ASSERT_EQ(n.lists.size(), static_cast<size_t>(n.level) + 1);
			for (int l = 0; l <= n.level; l++)
			{
				const auto &list = n.lists[static_cast<size_t>(l)];
				ASSERT_LE(list.size(), static_cast<size_t>(vx_hnsw_max_neighbors(m, l)));
				std::set<VxNodeId> seen;
				for (VxNodeId x : list)
				{
					ASSERT_NE(x, id) << "self link";
					ASSERT_TRUE(seen.insert(x).second) << "duplicate neighbour";
					auto it = nodes.find(x);
					ASSERT_NE(it, nodes.end()) << "dangling neighbour";
					ASSERT_GE(it->second.level, l) << "neighbour lacks the level";
				}
			}
		}
		if (!nodes.empty())
		{
			ASSERT_NE(nodes.find(entry), nodes.end());
			ASSERT_EQ(entry_level, top);
			ASSERT_EQ(nodes.at(entry).level, top);
		}
	}
};

inline VxHnswParams
params_of(int dim, int metric, int m = 16, int ef_construction = 64)
{
	VxHnswParams p;
	p.dim = dim;
	p.m = m;
	p.ef_construction = ef_construction;
	p.metric = metric;
	return p;
}

} // namespace hnsw_test
