/*
 * vx_hnsw.cpp: extern "C" noexcept wrappers of the HNSW core (vx_hnsw.h).
 *
 * Every function that can fail runs inside vx_capi::guard; statuses from the
 * core (a failed callback, bad parameters) are written to the caller's
 * VxError.
 */
#include "vx_hnsw.h"

#include "../core/hnsw.h"
#include "../core/hnsw_builder.h"
#include "../core/hnsw_callbacks.h"
#include "vx_guard.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <span>
#include <vector>

static_assert(VX_HNSW_MAX_M == vx::hnsw::kMaxM);
static_assert(VX_HNSW_MAX_LEVEL == vx::hnsw::kMaxLevel);
static_assert(VX_HNSW_MAX_EF == vx::hnsw::kMaxEf);
static_assert(VX_VECTOR_MAX_DIM == vx::hnsw::kMaxDim);
static_assert(VX_METRIC_L2 == static_cast<int>(vx::hnsw::Metric::l2));
static_assert(VX_METRIC_IP == static_cast<int>(vx::hnsw::Metric::ip));
static_assert(VX_METRIC_COSINE == static_cast<int>(vx::hnsw::Metric::cosine));
static_assert(VX_METRIC_L1 == static_cast<int>(vx::hnsw::Metric::l1));

struct VxInsertPlan
{
	vx::hnsw::CallbackPlan plan;
};

struct VxHnswBuilder
{
	VxHnswBuilder(const vx::hnsw::Params &p, size_t limit, uint64_t seed) : b(p, limit, seed) {}
	vx::hnsw::Builder b;
};

namespace
{

VxStatus
invalid(VxError *err, const char *msg)
{
	vx_capi::fail(err, VX_ERR_INVALID_PARAM, msg);
	return VX_ERR_INVALID_PARAM;
}

VxStatus
report(VxError *err, const vx::hnsw::Status &s)
{
	if (s.ok())
		return VX_OK;
	VxStatus code = vx_capi::to_status(s.code);
	vx_capi::fail(err, code, s.message);
	return code;
}

/* Core parameters from the C struct; nullptr message when they are valid. */
const char *
convert_params(const VxHnswParams *in, vx::hnsw::Params &out)
{
	if (in == nullptr)
		return "HNSW parameters missing";
	out.dim = in->dim;
	out.m = in->m;
	out.ef_construction = in->ef_construction;
	out.metric = static_cast<vx::hnsw::Metric>(in->metric);
	if (in->metric < VX_METRIC_L2 || in->metric > VX_METRIC_L1)
		return "unknown HNSW distance metric";
	return vx::hnsw::check_params(out);
}

const char *
check_callbacks(const VxGraphCallbacks *cb)
{
	if (cb == nullptr || cb->neighbors == nullptr || cb->vector == nullptr)
		return "HNSW graph callbacks missing";
	return nullptr;
}

const char *
check_level(int level)
{
	if (level < 0 || level > VX_HNSW_MAX_LEVEL)
		return "HNSW level out of range";
	return nullptr;
}

/* The checks an insert plan and a repair plan share. */
const char *
check_plan_args(const VxGraphCallbacks *cb, const VxHnswParams *params, vx::hnsw::Params &p,
                int level, VxNodeId entry, int entry_level, const float *vec, VxInsertPlan **plan)
{
	if (const char *msg = convert_params(params, p))
		return msg;
	if (const char *msg = check_callbacks(cb))
		return msg;
	if (const char *msg = check_level(level))
		return msg;
	if (entry != VX_INVALID_NODE)
		if (const char *msg = check_level(entry_level))
			return msg;
	if (vec == nullptr || plan == nullptr)
		return "HNSW plan arguments missing";
	return nullptr;
}

} // namespace

extern "C"
{

	int
	vx_hnsw_max_neighbors(int m, int level) noexcept
	{
		return vx::hnsw::max_neighbors(m, level);
	}

	int
	vx_hnsw_random_level(double u, int m) noexcept
	{
		return vx::hnsw::random_level(u, m);
	}

	float
	vx_hnsw_distance(int metric, const float *a, const float *b, int dim) noexcept
	{
		if (metric < VX_METRIC_L2 || metric > VX_METRIC_L1 || dim < 0)
			return std::numeric_limits<float>::quiet_NaN();
		return vx::hnsw::Distance(static_cast<vx::hnsw::Metric>(metric), dim)(a, b);
	}

	VxStatus
	vx_hnsw_search(const VxGraphCallbacks *cb, const VxHnswParams *params, const float *query,
	               VxNodeId entry, int entry_level, int ef, VxCandidate *out, int *count,
	               VxError *err) noexcept
	{
		return vx_capi::guard(err,
		                      [&]() -> VxStatus
		                      {
			                      vx::hnsw::Params p;
			                      if (const char *msg = convert_params(params, p))
				                      return invalid(err, msg);
			                      if (const char *msg = check_callbacks(cb))
				                      return invalid(err, msg);
			                      if (const char *msg = check_level(entry_level))
				                      return invalid(err, msg);
			                      if (ef < 1 || ef > vx::hnsw::kMaxEf)
				                      return invalid(err, "HNSW ef out of range");
			                      if (query == nullptr || out == nullptr || count == nullptr)
				                      return invalid(err, "HNSW search output missing");
			                      *count = 0;
			                      std::vector<vx::hnsw::Scored<uint64_t>> found;
			                      vx::hnsw::Status s = vx::hnsw::search_callbacks(
			                          *cb, p, query, entry, entry_level, ef, found);
			                      if (!s.ok())
				                      return report(err, s);
			                      const size_t n = std::min(found.size(), static_cast<size_t>(ef));
			                      for (size_t i = 0; i < n; i++)
				                      out[i] = VxCandidate{found[i].id, found[i].dist};
			                      *count = static_cast<int>(n);
			                      return VX_OK;
		                      });
	}

	VxStatus
	vx_hnsw_plan_insert(const VxGraphCallbacks *cb, const VxHnswParams *params, const float *vec,
	                    int level, VxNodeId self, VxNodeId entry, int entry_level,
	                    VxInsertPlan **plan, VxError *err) noexcept
	{
		if (plan != nullptr)
			*plan = nullptr;
		return vx_capi::guard(err,
		                      [&]() -> VxStatus
		                      {
			                      vx::hnsw::Params p;
			                      if (const char *msg = check_plan_args(cb, params, p, level, entry,
			                                                            entry_level, vec, plan))
				                      return invalid(err, msg);
			                      if (self == VX_INVALID_NODE || self == entry)
				                      return invalid(err, "HNSW new node id is invalid");
			                      auto result = std::make_unique<VxInsertPlan>();
			                      vx::hnsw::Status s = vx::hnsw::plan_insert_callbacks(
			                          *cb, p, vec, level, self, entry, entry_level, result->plan);
			                      if (!s.ok())
				                      return report(err, s);
			                      *plan = result.release();
			                      return VX_OK;
		                      });
	}

	int
	vx_insert_plan_neighbors(const VxInsertPlan *plan, int level, const VxNodeId **ids) noexcept
	{
		if (plan == nullptr || level < 0 || level > VX_HNSW_MAX_LEVEL)
		{
			if (ids != nullptr)
				*ids = nullptr;
			return 0;
		}
		const auto &list = plan->plan.neighbors[static_cast<size_t>(level)];
		if (ids != nullptr)
			*ids = list.data();
		return static_cast<int>(list.size());
	}

	int
	vx_insert_plan_update_count(const VxInsertPlan *plan) noexcept
	{
		return plan == nullptr ? 0 : static_cast<int>(plan->plan.updates.size());
	}

	void
	vx_insert_plan_update(const VxInsertPlan *plan, int i, VxNodeId *node, int *level,
	                      const VxNodeId **old_ids, int *old_count, const VxNodeId **new_ids,
	                      int *new_count) noexcept
	{
		if (plan == nullptr || i < 0 || static_cast<size_t>(i) >= plan->plan.updates.size())
		{
			*node = VX_INVALID_NODE;
			*level = -1;
			*old_ids = *new_ids = nullptr;
			*old_count = *new_count = 0;
			return;
		}
		const auto &u = plan->plan.updates[static_cast<size_t>(i)];
		*node = u.node;
		*level = u.level;
		*old_ids = u.old_ids.data();
		*old_count = static_cast<int>(u.old_ids.size());
		*new_ids = u.new_ids.data();
		*new_count = static_cast<int>(u.new_ids.size());
	}

	void
	vx_insert_plan_free(VxInsertPlan *plan) noexcept
	{
		delete plan;
	}

	VxStatus
	vx_hnsw_plan_repair(const VxGraphCallbacks *cb, const VxHnswParams *params, VxNodeId node,
	                    const float *vec, int node_level, VxNodeId entry, int entry_level,
	                    const VxNodeId *deleted, int n_deleted, VxInsertPlan **plan,
	                    VxError *err) noexcept
	{
		if (plan != nullptr)
			*plan = nullptr;
		return vx_capi::guard(
		    err,
		    [&]() -> VxStatus
		    {
			    vx::hnsw::Params p;
			    if (const char *msg =
			            check_plan_args(cb, params, p, node_level, entry, entry_level, vec, plan))
				    return invalid(err, msg);
			    if (n_deleted < 0 || (n_deleted > 0 && deleted == nullptr))
				    return invalid(err, "HNSW repair plan arguments missing");
			    std::span<const uint64_t> dead(deleted, static_cast<size_t>(n_deleted));
			    if (!std::is_sorted(dead.begin(), dead.end()))
				    return invalid(err, "HNSW deleted node list must be sorted");
			    auto result = std::make_unique<VxInsertPlan>();
			    vx::hnsw::Status s = vx::hnsw::plan_repair_callbacks(
			        *cb, p, node, vec, node_level, entry, entry_level, dead, result->plan);
			    if (!s.ok())
				    return report(err, s);
			    *plan = result.release();
			    return VX_OK;
		    });
	}

	VxStatus
	vx_hnsw_builder_create(const VxHnswParams *params, size_t memory_limit, uint64_t seed,
	                       VxHnswBuilder **builder, VxError *err) noexcept
	{
		if (builder != nullptr)
			*builder = nullptr;
		return vx_capi::guard(err,
		                      [&]() -> VxStatus
		                      {
			                      vx::hnsw::Params p;
			                      if (const char *msg = convert_params(params, p))
				                      return invalid(err, msg);
			                      if (builder == nullptr)
				                      return invalid(err, "HNSW builder output missing");
			                      *builder = new VxHnswBuilder(p, memory_limit, seed);
			                      return VX_OK;
		                      });
	}

	VxStatus
	vx_hnsw_builder_add(VxHnswBuilder *b, const float *vec, uint64_t payload, int *accepted,
	                    VxError *err) noexcept
	{
		if (accepted != nullptr)
			*accepted = 0;
		return vx_capi::guard(err,
		                      [&]() -> VxStatus
		                      {
			                      if (b == nullptr || vec == nullptr || accepted == nullptr)
				                      return invalid(err, "HNSW builder arguments missing");
			                      *accepted = b->b.add(vec, payload) ? 1 : 0;
			                      return VX_OK;
		                      });
	}

	VxStatus
	vx_hnsw_builder_build(VxHnswBuilder *b, int threads, const VxGraphCallbacks *cb,
	                      void (*progress)(void *ctx, int64_t done), VxError *err) noexcept
	{
		return vx_capi::guard(err,
		                      [&]() -> VxStatus
		                      {
			                      if (b == nullptr)
				                      return invalid(err, "HNSW builder missing");
			                      if (threads < 1)
				                      return invalid(err, "HNSW build needs at least one thread");
			                      vx::hnsw::Builder::Hooks hooks;
			                      if (cb != nullptr)
			                      {
				                      hooks.ctx = cb->ctx;
				                      hooks.check_interrupt = cb->check_interrupt;
			                      }
			                      hooks.progress = progress;
			                      return report(err, b->b.build(threads, hooks));
		                      });
	}

	int64_t
	vx_hnsw_builder_count(const VxHnswBuilder *b) noexcept
	{
		return b == nullptr ? 0 : static_cast<int64_t>(b->b.count());
	}

	int64_t
	vx_hnsw_builder_entry(const VxHnswBuilder *b, int *level) noexcept
	{
		int64_t entry = b == nullptr ? -1 : b->b.entry();
		if (level != nullptr)
			*level = entry < 0 ? -1 : b->b.entry_level();
		return entry;
	}

	int
	vx_hnsw_builder_level(const VxHnswBuilder *b, int64_t i) noexcept
	{
		if (b == nullptr || i < 0 || static_cast<uint64_t>(i) >= b->b.count())
			return -1;
		return b->b.level(static_cast<size_t>(i));
	}

	uint64_t
	vx_hnsw_builder_payload(const VxHnswBuilder *b, int64_t i) noexcept
	{
		if (b == nullptr || i < 0 || static_cast<uint64_t>(i) >= b->b.count())
			return 0;
		return b->b.payload(static_cast<size_t>(i));
	}

	const float *
	vx_hnsw_builder_vector(const VxHnswBuilder *b, int64_t i) noexcept
	{
		if (b == nullptr || i < 0 || static_cast<uint64_t>(i) >= b->b.count())
			return nullptr;
		return b->b.vector(static_cast<size_t>(i));
	}

	int
	vx_hnsw_builder_neighbors(const VxHnswBuilder *b, int64_t i, int level,
	                          const uint32_t **ids) noexcept
	{
		if (ids != nullptr)
			*ids = nullptr;
		if (b == nullptr || i < 0 || static_cast<uint64_t>(i) >= b->b.count() || level < 0 ||
		    level > VX_HNSW_MAX_LEVEL)
			return 0;
		std::span<const uint32_t> list = b->b.neighbors(static_cast<size_t>(i), level);
		if (ids != nullptr)
			*ids = list.data();
		return static_cast<int>(list.size());
	}

	size_t
	vx_hnsw_builder_bytes_per_node(const VxHnswParams *params) noexcept
	{
		vx::hnsw::Params p;
		if (convert_params(params, p) != nullptr)
			return 0;
		return vx::hnsw::Builder::bytes_per_node(p);
	}

	void
	vx_hnsw_builder_free(VxHnswBuilder *b) noexcept
	{
		delete b;
	}

} /* extern "C" */
