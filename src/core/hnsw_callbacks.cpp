/*
 * hnsw_callbacks.cpp: search and insert/repair planning over VxGraphCallbacks.
 */
#include "hnsw_callbacks.h"

namespace vx::hnsw
{

namespace
{

/* Run body; a GraphFailure from a view becomes a Status. */
template <typename Body>
Status
catch_graph_failure(Body &&body)
{
	try
	{
		body();
		return {};
	}
	catch (const GraphFailure &f)
	{
		return {f.code(), f.what()};
	}
}

} // namespace

Status
search_callbacks(const VxGraphCallbacks &cb, const Params &params, const float *query,
                 uint64_t entry, int entry_level, int ef, std::vector<Scored<uint64_t>> &out)
{
	out.clear();
	if (entry == VX_INVALID_NODE)
		return {};
	CallbackView view(cb, params.m);
	Distance dist(params.metric, params.dim);
	CallbackWorkspace ws;
	return catch_graph_failure([&] { search(view, dist, query, entry, entry_level, ef, ws, out); });
}

Status
plan_insert_callbacks(const VxGraphCallbacks &cb, const Params &params, const float *vec, int level,
                      uint64_t self, uint64_t entry, int entry_level, CallbackPlan &plan)
{
	for (auto &list : plan.neighbors)
		list.clear();
	plan.updates.clear();
	if (entry == VX_INVALID_NODE)
		return {};
	CallbackView view(cb, params.m);
	Distance dist(params.metric, params.dim);
	CallbackWorkspace ws;
	return catch_graph_failure(
	    [&] { plan_insert(view, params, dist, vec, level, self, entry, entry_level, ws, plan); });
}

Status
plan_repair_callbacks(const VxGraphCallbacks &cb, const Params &params, uint64_t node,
                      const float *vec, int node_level, uint64_t entry, int entry_level,
                      std::span<const uint64_t> deleted, CallbackPlan &plan)
{
	for (auto &list : plan.neighbors)
		list.clear();
	plan.updates.clear();
	if (entry == VX_INVALID_NODE)
		return {};
	CallbackView view(cb, params.m);
	Distance dist(params.metric, params.dim);
	CallbackWorkspace ws;
	return catch_graph_failure(
	    [&] {
		    plan_repair(view, params, dist, node, vec, node_level, entry, entry_level, deleted, ws,
		                plan);
	    });
}

} // namespace vx::hnsw
