/*
 * hnsw_callbacks.h: the HNSW algorithms over a graph the caller reaches
 * through VxGraphCallbacks (the index pages, in the extension).
 *
 * Node ids are opaque 64-bit values.  A failing callback ends the operation:
 * the functions here return a Status with Errc::callback_failed and leave
 * their outputs meaningless.  Only std::bad_alloc can escape (the C API's
 * guard turns it into a status).
 */
#pragma once

#include "no_postgres.h"
#include "hnsw.h"
#include "hnsw_graph.h"
#include "vx_hnsw.h"

#include <span>
#include <vector>

namespace vx::hnsw
{

/* A graph view over VxGraphCallbacks. */
class CallbackView
{
  public:
	using Id = uint64_t;
	using Visited = HashVisited;
	/* a vector() pointer lives only until the next vector() call */
	static constexpr bool kStableVectors = false;
	/* searches hand all unvisited neighbours of a node to distances() at once */
	static constexpr bool kBatchDistances = true;

	CallbackView(const VxGraphCallbacks &cb, int m) : cb_(cb), m_(m) {}

	void
	neighbors(Id node, int level, std::vector<Id> &out)
	{
		const int cap = max_neighbors(m_, level);
		out.resize(static_cast<size_t>(cap));
		int count = -1;
		if (cb_.neighbors(cb_.ctx, node, level, out.data(), cap, &count) != 0)
			throw GraphFailure(Errc::callback_failed, "HNSW neighbors callback failed");
		if (count < 0 || count > cap)
			throw GraphFailure(Errc::corrupted, "HNSW neighbor count out of range");
		out.resize(static_cast<size_t>(count));
		/* an empty slot of a page-backed list is not a node */
		std::erase(out, VX_INVALID_NODE);
	}

	const float *
	vector(Id node)
	{
		const float *v = cb_.vector(cb_.ctx, node);
		if (v == nullptr)
			throw GraphFailure(Errc::callback_failed, "HNSW vector callback failed");
		return v;
	}

	void
	prefetch(Id)
	{
	}

	/* Distances from query to nodes ids[0..n): in the caller's storage when it can */
	void
	distances(const Distance &dist, const float *query, const Id *ids, size_t n, float *out)
	{
		if (n == 0)
			return;
		if (cb_.distances != nullptr)
		{
			if (cb_.distances(cb_.ctx, query, ids, static_cast<int>(n), out) != 0)
				throw GraphFailure(Errc::callback_failed, "HNSW distances callback failed");
			return;
		}
		for (size_t i = 0; i < n; i++)
			out[i] = dist(query, vector(ids[i]));
	}

	void
	check_interrupt()
	{
		if (cb_.check_interrupt != nullptr && cb_.check_interrupt(cb_.ctx) != 0)
			throw GraphFailure(Errc::callback_failed, "HNSW operation interrupted");
	}

  private:
	const VxGraphCallbacks &cb_;
	int m_;
};

using CallbackWorkspace = Workspace<CallbackView>;
using CallbackPlan = InsertPlan<uint64_t>;

/* Nearest nodes to query (at most ef, nearest first) in out. */
Status search_callbacks(const VxGraphCallbacks &cb, const Params &params, const float *query,
                        uint64_t entry, int entry_level, int ef,
                        std::vector<Scored<uint64_t>> &out);

/* See vx_hnsw_plan_insert. */
Status plan_insert_callbacks(const VxGraphCallbacks &cb, const Params &params, const float *vec,
                             int level, uint64_t self, uint64_t entry, int entry_level,
                             CallbackPlan &plan);

/* See vx_hnsw_plan_repair; deleted is sorted ascending. */
Status plan_repair_callbacks(const VxGraphCallbacks &cb, const Params &params, uint64_t node,
                             const float *vec, int node_level, uint64_t entry, int entry_level,
                             std::span<const uint64_t> deleted, CallbackPlan &plan);

} // namespace vx::hnsw
