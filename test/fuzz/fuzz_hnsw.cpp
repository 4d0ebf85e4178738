/*
 * fuzz_hnsw.cpp: libFuzzer target over the HNSW core through its C API
 * (vx_hnsw.h): the in-memory build, search, insert plans and repair plans,
 * on small graphs of arbitrary finite vectors, extremes included (their
 * distances overflow to infinities and NaN, which the heaps and sorts must
 * survive).
 *
 * The input's first bytes choose the dimension (1..8), m (2..8), the metric
 * and ef_construction; the rest are the vectors' float bits (non-finite
 * values become +-FLT_MAX; under cosine, vectors are normalised and zero
 * ones skipped, as the extension does).  Properties (abort on violation):
 *   - every call returns VX_OK;
 *   - built lists: at most max_neighbors ids, all valid, no self links, no
 *     duplicates, each neighbour present on that level; the entry point is
 *     a node of the top level;
 *   - search: at most ef results, distinct valid ids, each with the distance
 *     of its vector to the query, in ascending order when none is NaN;
 *   - insert plan: lists within bounds of valid ids; back-link updates of
 *     valid nodes on levels they have, within bounds, naming only valid ids
 *     or the new node;
 *   - repair plan: the node's new lists never name a deleted node or the
 *     node itself; back-link updates as for an insert plan.
 */
#define VX_FUZZ_TARGET "fuzz_hnsw"
#include "fuzz_check.h"
#include "vx_hnsw.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

namespace
{

struct Graph
{
	VxHnswBuilder *b = nullptr;
	int64_t n = 0;
	int dim = 0;
	int metric = 0;
	std::vector<float> scratch; /* vectors handed out are transient, as from pages */
};

int
neighbors_cb(void *ctx, VxNodeId node, int level, VxNodeId *out, int cap, int *count)
{
	Graph *g = static_cast<Graph *>(ctx);
	CHECK(node < static_cast<VxNodeId>(g->n));
	CHECK(level >= 0 && level <= VX_HNSW_MAX_LEVEL && cap >= 0);
	const uint32_t *ids = nullptr;
	int k = vx_hnsw_builder_neighbors(g->b, static_cast<int64_t>(node), level, &ids);
	k = std::min(k, cap);
	for (int i = 0; i < k; i++)
		out[i] = ids[i];
	*count = k;
	return 0;
}

const float *
vector_cb(void *ctx, VxNodeId node)
{
	Graph *g = static_cast<Graph *>(ctx);
	CHECK(node < static_cast<VxNodeId>(g->n));
	const float *v = vx_hnsw_builder_vector(g->b, static_cast<int64_t>(node));
	CHECK(v != nullptr);
	std::memcpy(g->scratch.data(), v, sizeof(float) * g->dim);
	return g->scratch.data();
}

/* The batch distances callback, as the glue supplies it. */
int
distances_cb(void *ctx, const float *query, const VxNodeId *ids, int n, float *out)
{
	Graph *g = static_cast<Graph *>(ctx);
	for (int i = 0; i < n; i++)
		out[i] = vx_hnsw_distance(g->metric, query, vector_cb(ctx, ids[i]), g->dim);
	return 0;
}

bool
same_distance(float a, float b)
{
	return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof(a)) == 0;
}

/* Build a vector from input floats the way the extension would index it. */
bool
prepare(const float *raw, int dim, int metric, float *out)
{
	for (int i = 0; i < dim; i++)
		out[i] = std::isfinite(raw[i]) ? raw[i] : std::copysign(FLT_MAX, raw[i]);
	if (metric != VX_METRIC_COSINE)
		return true;
	double norm = 0;
	for (int i = 0; i < dim; i++)
		norm += static_cast<double>(out[i]) * out[i];
	if (!(norm > 0))
		return false;
	norm = std::sqrt(norm);
	for (int i = 0; i < dim; i++)
		out[i] = static_cast<float>(out[i] / norm);
	return true;
}

void
check_plan_lists(const VxInsertPlan *plan, const VxHnswParams &p, int top, VxNodeId self, int64_t n,
                 const std::set<VxNodeId> &forbidden)
{
	for (int l = 0; l <= VX_HNSW_MAX_LEVEL; l++)
	{
		const VxNodeId *ids = nullptr;
		int k = vx_insert_plan_neighbors(plan, l, &ids);
		if (l > top)
		{
			CHECK(k == 0);
			continue;
		}
		CHECK(k >= 0 && k <= vx_hnsw_max_neighbors(p.m, l));
		std::set<VxNodeId> seen;
		for (int i = 0; i < k; i++)
		{
			CHECK(ids[i] < static_cast<VxNodeId>(n));
			CHECK(ids[i] != self);
			CHECK(forbidden.count(ids[i]) == 0);
			CHECK(seen.insert(ids[i]).second);
		}
	}
}

/* (a repair's back-links may keep deleted ids: they are repaired in turn) */
void
check_plan_updates(const VxInsertPlan *plan, const VxHnswParams &p, Graph &g, VxNodeId self)
{
	const int nu = vx_insert_plan_update_count(plan);
	CHECK(nu >= 0);
	for (int i = 0; i < nu; i++)
	{
		VxNodeId node;
		int level, old_count, new_count;
		const VxNodeId *old_ids, *new_ids;
		vx_insert_plan_update(plan, i, &node, &level, &old_ids, &old_count, &new_ids, &new_count);
		CHECK(node < static_cast<VxNodeId>(g.n) && node != self);
		CHECK(level >= 0 && level <= vx_hnsw_builder_level(g.b, static_cast<int64_t>(node)));
		CHECK(new_count >= 0 && new_count <= vx_hnsw_max_neighbors(p.m, level));
		CHECK(old_count >= 0 && old_count <= vx_hnsw_max_neighbors(p.m, level));
		for (int k = 0; k < new_count; k++)
		{
			CHECK(new_ids[k] == self || new_ids[k] < static_cast<VxNodeId>(g.n));
			CHECK(new_ids[k] != node);
		}
	}
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	VxHnswParams p;
	p.dim = 1 + data[0] % 8;
	p.m = 2 + data[1] % 7;
	p.metric = data[2] % 4;
	p.ef_construction = std::max(2 * p.m, 4 + data[3] % 40);
	const uint64_t seed = data[0] * 131u + data[3];
	data += 4;
	size -= 4;

	const size_t nfloats = size / 4;
	std::vector<float> raw(nfloats);
	if (nfloats > 0)
		std::memcpy(raw.data(), data, nfloats * 4);
	const size_t nvec = std::min<size_t>(nfloats / p.dim, 160);

	Graph g;
	g.dim = p.dim;
	g.metric = p.metric;
	g.scratch.resize(p.dim);
	VxError err;
	CHECK(vx_hnsw_builder_create(&p, size_t{64} << 20, seed, &g.b, &err) == VX_OK);

	std::vector<float> vec(p.dim);
	std::vector<std::vector<float>> added;
	for (size_t i = 0; i < nvec; i++)
	{
		if (!prepare(raw.data() + i * p.dim, p.dim, p.metric, vec.data()))
			continue;
		int accepted = 0;
		CHECK(vx_hnsw_builder_add(g.b, vec.data(), i, &accepted, &err) == VX_OK);
		CHECK(accepted == 1);
		added.push_back(vec);
	}
	CHECK(vx_hnsw_builder_build(g.b, 1, nullptr, nullptr, &err) == VX_OK);
	g.n = vx_hnsw_builder_count(g.b);
	CHECK(g.n == static_cast<int64_t>(added.size()));

	int entry_level = -1;
	const int64_t entry = vx_hnsw_builder_entry(g.b, &entry_level);
	if (g.n == 0)
	{
		CHECK(entry == -1);
		vx_hnsw_builder_free(g.b);
		return 0;
	}
	CHECK(entry >= 0 && entry < g.n);
	CHECK(entry_level == vx_hnsw_builder_level(g.b, entry));

	/* the built graph */
	for (int64_t i = 0; i < g.n; i++)
	{
		const int level = vx_hnsw_builder_level(g.b, i);
		CHECK(level >= 0 && level <= entry_level);
		CHECK(std::memcmp(vx_hnsw_builder_vector(g.b, i), added[i].data(), sizeof(float) * p.dim) ==
		      0);
		for (int l = 0; l <= VX_HNSW_MAX_LEVEL; l++)
		{
			const uint32_t *ids = nullptr;
			const int k = vx_hnsw_builder_neighbors(g.b, i, l, &ids);
			if (l > level)
			{
				CHECK(k == 0);
				continue;
			}
			CHECK(k >= 0 && k <= vx_hnsw_max_neighbors(p.m, l));
			std::set<uint32_t> seen;
			for (int j = 0; j < k; j++)
			{
				CHECK(ids[j] < g.n);
				CHECK(ids[j] != i);
				CHECK(seen.insert(ids[j]).second);
				CHECK(vx_hnsw_builder_level(g.b, ids[j]) >= l);
			}
		}
	}

	VxGraphCallbacks cb;
	cb.ctx = &g;
	cb.neighbors = neighbors_cb;
	cb.vector = vector_cb;
	cb.check_interrupt = nullptr;
	cb.distances = (seed & 4) ? distances_cb : nullptr; /* both distance paths */

	/* searches: queries from the input's tail (or the first vector) */
	std::vector<float> query(p.dim);
	const float *qraw =
	    nfloats >= static_cast<size_t>(p.dim) ? raw.data() + nfloats - p.dim : added[0].data();
	if (!prepare(qraw, p.dim, p.metric, query.data()))
		query = added[0];
	for (int ef : {1, 7, 64})
	{
		std::vector<VxCandidate> out(ef);
		int count = -1;
		CHECK(vx_hnsw_search(&cb, &p, query.data(), static_cast<VxNodeId>(entry), entry_level, ef,
		                     out.data(), &count, &err) == VX_OK);
		CHECK(count >= 1 && count <= ef && count <= g.n);
		std::set<VxNodeId> seen;
		bool any_nan = false;
		for (int i = 0; i < count; i++)
		{
			CHECK(out[i].id < static_cast<VxNodeId>(g.n));
			CHECK(seen.insert(out[i].id).second);
			const float d =
			    vx_hnsw_distance(p.metric, query.data(), added[out[i].id].data(), p.dim);
			CHECK(same_distance(d, out[i].distance));
			any_nan = any_nan || std::isnan(d);
		}
		if (!any_nan)
			for (int i = 1; i < count; i++)
				CHECK(out[i - 1].distance <= out[i].distance);
	}

	/* an insert plan for a new node */
	{
		const int level = static_cast<int>(seed % 3);
		const VxNodeId self = static_cast<VxNodeId>(g.n);
		VxInsertPlan *plan = nullptr;
		CHECK(vx_hnsw_plan_insert(&cb, &p, query.data(), level, self, static_cast<VxNodeId>(entry),
		                          entry_level, &plan, &err) == VX_OK);
		CHECK(plan != nullptr);
		check_plan_lists(plan, p, std::min(level, entry_level), self, g.n, {});
		check_plan_updates(plan, p, g, self);
		vx_insert_plan_free(plan);
	}

	/* a repair plan for one node, with some others deleted */
	{
		const VxNodeId node = static_cast<VxNodeId>(seed % g.n);
		std::vector<VxNodeId> deleted;
		for (int64_t i = 0; i < g.n; i++)
			if (i != entry && static_cast<VxNodeId>(i) != node && (i * 7 + seed) % 4 == 0)
				deleted.push_back(static_cast<VxNodeId>(i));
		const std::set<VxNodeId> dead(deleted.begin(), deleted.end());
		const int node_level = vx_hnsw_builder_level(g.b, static_cast<int64_t>(node));
		VxInsertPlan *plan = nullptr;
		CHECK(vx_hnsw_plan_repair(&cb, &p, node, added[node].data(), node_level,
		                          static_cast<VxNodeId>(entry), entry_level, deleted.data(),
		                          static_cast<int>(deleted.size()), &plan, &err) == VX_OK);
		CHECK(plan != nullptr);
		check_plan_lists(plan, p, std::min(node_level, entry_level), node, g.n, dead);
		check_plan_updates(plan, p, g, node);
		vx_insert_plan_free(plan);
	}

	vx_hnsw_builder_free(g.b);
	return 0;
}
