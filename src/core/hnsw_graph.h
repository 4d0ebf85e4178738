/*
 * hnsw_graph.h: the HNSW algorithms, written once as templates over a graph
 * view.
 *
 * A view V provides
 *   using Id;                       node id type
 *   using Visited;                  visited-set type for Id (reset(), insert(id))
 *   static constexpr bool kStableVectors;
 *                                   true when vector() pointers stay valid for the
 *                                   whole operation; false when only until the next
 *                                   vector() call (the algorithms then copy)
 *   void neighbors(Id, int level, std::vector<Id> &out);
 *   const float *vector(Id);
 *   void prefetch(Id);
 *   void check_interrupt();
 * and throws GraphFailure when the graph cannot be read.
 *
 * The algorithms follow the HNSW paper (Malkov and Yashunin): greedy descent
 * on the upper levels, a beam search of width ef on a level, and the
 * neighbour-selection heuristic that keeps a candidate only when it is nearer
 * to the base node than to every neighbour already selected.  Nothing here
 * allocates per visited node: heaps, lists and the visited set live in a
 * Workspace that is reused from call to call.
 */
#pragma once

#include "no_postgres.h"
#include "hnsw.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <vector>

namespace vx::hnsw
{

/* ---- visited sets ------------------------------------------------------- */

/* For dense ids 0..n-1: an array of generation stamps, reset in O(1). */
class DenseVisited
{
  public:
	void
	resize(size_t n)
	{
		if (stamps_.size() < n)
			stamps_.resize(n, 0);
	}

	void
	reset()
	{
		if (++generation_ == 0)
		{
			std::fill(stamps_.begin(), stamps_.end(), 0);
			generation_ = 1;
		}
	}

	/* true when id was not yet visited (and marks it) */
	bool
	insert(uint32_t id)
	{
		if (stamps_[id] == generation_)
			return false;
		stamps_[id] = generation_;
		return true;
	}

	void
	prefetch(uint32_t id) const
	{
		__builtin_prefetch(&stamps_[id]);
	}

  private:
	std::vector<uint32_t> stamps_;
	uint32_t generation_ = 0;
};

/*
 * For opaque 64-bit ids: open addressing with linear probing; a slot is
 * occupied when its stamp equals the current generation, so reset is O(1).
 * The table doubles when half full and keeps its size across resets.
 */
class HashVisited
{
  public:
	HashVisited() { rebuild(1024); }

	void
	reset()
	{
		size_ = 0;
		if (++generation_ == 0)
		{
			std::fill(stamps_.begin(), stamps_.end(), 0);
			generation_ = 1;
		}
	}

	bool
	insert(uint64_t id)
	{
		if ((size_ + 1) * 2 > keys_.size())
			grow();
		size_t slot = hash(id) & mask_;
		while (stamps_[slot] == generation_)
		{
			if (keys_[slot] == id)
				return false;
			slot = (slot + 1) & mask_;
		}
		stamps_[slot] = generation_;
		keys_[slot] = id;
		++size_;
		return true;
	}

	void
	prefetch(uint64_t) const
	{
	}

  private:
	static uint64_t
	hash(uint64_t x)
	{
		/* splitmix64's finaliser: ids that differ in few bits spread out */
		x ^= x >> 30;
		x *= 0xbf58476d1ce4e5b9ULL;
		x ^= x >> 27;
		x *= 0x94d049bb133111ebULL;
		x ^= x >> 31;
		return x;
	}

	void
	rebuild(size_t capacity)
	{
		keys_.assign(capacity, 0);
		stamps_.assign(capacity, 0);
		mask_ = capacity - 1;
		generation_ = 1;
		size_ = 0;
	}

	void
	grow()
	{
		std::vector<uint64_t> old_keys;
		std::vector<uint32_t> old_stamps;
		old_keys.swap(keys_);
		old_stamps.swap(stamps_);
		uint32_t old_generation = generation_;
		rebuild(old_keys.size() * 2);
		for (size_t i = 0; i < old_keys.size(); i++)
			if (old_stamps[i] == old_generation)
				insert(old_keys[i]);
	}

	std::vector<uint64_t> keys_;
	std::vector<uint32_t> stamps_;
	size_t mask_ = 0;
	size_t size_ = 0;
	uint32_t generation_ = 1;
};

/* ---- heaps -------------------------------------------------------------- */

struct NearerFirst
{
	template <typename S>
	bool
	operator()(const S &a, const S &b) const
	{
		return a.dist > b.dist;
	}
};

struct FartherFirst
{
	template <typename S>
	bool
	operator()(const S &a, const S &b) const
	{
		return a.dist < b.dist;
	}
};

/* A binary heap over a reused vector; Compare puts its "largest" on top. */
template <typename T, typename Compare> class Heap
{
  public:
	void
	clear()
	{
		items_.clear();
	}
	bool
	empty() const
	{
		return items_.empty();
	}
	size_t
	size() const
	{
		return items_.size();
	}
	const T &
	top() const
	{
		return items_.front();
	}
	void
	push(const T &x)
	{
		items_.push_back(x);
		std::push_heap(items_.begin(), items_.end(), Compare{});
	}
	void
	pop()
	{
		std::pop_heap(items_.begin(), items_.end(), Compare{});
		items_.pop_back();
	}
	/* Move the items out in ascending distance order; the heap is left empty. */
	void
	drain_sorted(std::vector<T> &out)
	{
		out.clear();
		out.swap(items_);
		std::sort(out.begin(), out.end(), FartherFirst{});
	}

  private:
	std::vector<T> items_;
};

/* ---- workspace ---------------------------------------------------------- */

/* A candidate of the neighbour-selection heuristic, with its vector. */
template <typename Id> struct PoolItem
{
	float dist;
	Id id;
	const float *vec;
};

/* Everything a search or an insertion needs, reused across calls. */
template <typename View> struct Workspace
{
	using Id = typename View::Id;
	using Item = Scored<Id>;

	typename View::Visited visited;
	Heap<Item, NearerFirst> candidates;
	Heap<Item, FartherFirst> results;
	std::vector<Id> neighbor_buf;
	std::vector<Item> entries;
	std::vector<Item> layer;
	std::vector<PoolItem<Id>> pool;
	std::vector<PoolItem<Id>> selected;
	std::vector<float> vector_copies;
	std::vector<Id> batch_ids;
	std::vector<float> batch_dists;
};

/* The chosen neighbours of a node, per level. */
template <typename Id> using LevelLists = std::array<std::vector<Id>, kMaxLevel + 1>;

/* ---- algorithms --------------------------------------------------------- */

/* Whether a view computes the distances of a node's neighbours in one call. */
template <typename View>
constexpr bool batch_distances_v = []
{
	if constexpr (requires { View::kBatchDistances; })
		return View::kBatchDistances;
	else
		return false;
}();

/* Greedy descent on one level: move to a nearer neighbour while there is one. */
template <typename View>
Scored<typename View::Id>
greedy_closest(View &view, const Distance &dist, const float *query, Scored<typename View::Id> cur,
               int level, Workspace<View> &ws)
{
	bool changed = true;
	while (changed)
	{
		changed = false;
		view.neighbors(cur.id, level, ws.neighbor_buf);
		for (typename View::Id id : ws.neighbor_buf)
		{
			float d = dist(query, view.vector(id));
			if (d < cur.dist)
			{
				cur = {d, id};
				changed = true;
			}
		}
	}
	return cur;
}

/*
 * Beam search of width ef on one level, from ws.entries.  Every reached node
 * is expanded, but only nodes for which eligible(id) holds enter the result
 * (repair walks through deleted nodes without choosing them).  out gets at
 * most ef results, nearest first.
 */
template <typename View, typename Eligible>
void
search_layer(View &view, const Distance &dist, const float *query, int ef, int level,
             Eligible &&eligible, Workspace<View> &ws, std::vector<Scored<typename View::Id>> &out)
{
	using Id = typename View::Id;
	auto &candidates = ws.candidates;
	auto &results = ws.results;
	candidates.clear();
	results.clear();
	ws.visited.reset();

	for (const auto &e : ws.entries)
	{
		if (!ws.visited.insert(e.id))
			continue;
		candidates.push(e);
		if (eligible(e.id))
			results.push(e);
	}
	while (results.size() > static_cast<size_t>(ef))
		results.pop();

	unsigned expansions = 0;
	while (!candidates.empty())
	{
		Scored<Id> c = candidates.top();
		if (results.size() >= static_cast<size_t>(ef) && c.dist > results.top().dist)
			break;
		candidates.pop();
		if ((++expansions & 63) == 0)
			view.check_interrupt();

		view.neighbors(c.id, level, ws.neighbor_buf);
		const std::vector<Id> &nb = ws.neighbor_buf;
		auto consider = [&](Id id, float d)
		{
			if (results.size() < static_cast<size_t>(ef) || d < results.top().dist)
			{
				candidates.push({d, id});
				if (eligible(id))
				{
					results.push({d, id});
					if (results.size() > static_cast<size_t>(ef))
						results.pop();
				}
			}
		};
		if constexpr (batch_distances_v<View>)
		{
			/* one call for all unvisited neighbours: the view reads them in place */
			ws.batch_ids.clear();
			for (Id id : nb)
				if (ws.visited.insert(id))
					ws.batch_ids.push_back(id);
			ws.batch_dists.resize(ws.batch_ids.size());
			view.distances(dist, query, ws.batch_ids.data(), ws.batch_ids.size(),
			               ws.batch_dists.data());
			for (size_t i = 0; i < ws.batch_ids.size(); i++)
				consider(ws.batch_ids[i], ws.batch_dists[i]);
		}
		else
		{
			for (size_t i = 0; i < nb.size(); i++)
			{
				if (i + 1 < nb.size())
				{
					ws.visited.prefetch(nb[i + 1]);
					view.prefetch(nb[i + 1]);
				}
				Id id = nb[i];
				if (ws.visited.insert(id))
					consider(id, dist(query, view.vector(id)));
			}
		}
	}
	results.drain_sorted(out);
}

/*
 * Fill ws.pool from ws.layer (already nearest first) with the vectors of its
 * nodes.  Views whose vector() pointers are transient get copies.
 */
template <typename View>
void
pool_from_layer(View &view, Workspace<View> &ws, size_t dim)
{
	const size_t n = ws.layer.size();
	ws.pool.resize(n);
	if constexpr (!View::kStableVectors)
		ws.vector_copies.resize(n * dim);
	for (size_t i = 0; i < n; i++)
	{
		const float *v = view.vector(ws.layer[i].id);
		if constexpr (!View::kStableVectors)
		{
			float *copy = ws.vector_copies.data() + i * dim;
			std::memcpy(copy, v, dim * sizeof(float));
			v = copy;
		}
		ws.pool[i] = {ws.layer[i].dist, ws.layer[i].id, v};
	}
}

/*
 * The neighbour-selection heuristic: walk ws.pool (nearest to the base
 * first) and keep a candidate only if it is nearer to the base than to every
 * candidate kept so far; stop at max_n.  Pruned candidates are not used to
 * fill up.  Result in ws.selected.
 */
template <typename View>
void
select_heuristic(const Distance &dist, int max_n, Workspace<View> &ws)
{
	ws.selected.clear();
	for (const auto &cand : ws.pool)
	{
		if (ws.selected.size() >= static_cast<size_t>(max_n))
			break;
		bool keep = true;
		for (const auto &kept : ws.selected)
		{
			if (dist(cand.vec, kept.vec) < cand.dist)
			{
				keep = false;
				break;
			}
		}
		if (keep)
			ws.selected.push_back(cand);
	}
}

/* Start of a descent: entry scored against the query. */
template <typename View>
Scored<typename View::Id>
score_entry(View &view, const Distance &dist, const float *query, typename View::Id entry)
{
	return {dist(query, view.vector(entry)), entry};
}

/* Beam width on the levels above 0 of a search whose level-0 beam is ef. */
inline int
upper_level_ef(int ef)
{
	return std::clamp(ef / 8, 1, 16);
}

/*
 * Search: a narrow beam (upper_level_ef) from entry_level down to 1, whose
 * results all enter level 0, then a beam of width ef on level 0.  Plain
 * greedy descent (a beam of 1) strands queries that fall between clusters in
 * a local minimum, most of all in graphs thinned by deletions; the upper
 * levels are small, so the wider beam costs little.  out gets at most ef
 * nodes, nearest first.
 */
template <typename View>
void
search(View &view, const Distance &dist, const float *query, typename View::Id entry,
       int entry_level, int ef, Workspace<View> &ws, std::vector<Scored<typename View::Id>> &out)
{
	auto all = [](typename View::Id) { return true; };
	ws.entries.assign(1, score_entry(view, dist, query, entry));
	for (int level = entry_level; level > 0; level--)
	{
		search_layer(view, dist, query, upper_level_ef(ef), level, all, ws, ws.layer);
		ws.entries.assign(ws.layer.begin(), ws.layer.end());
	}
	search_layer(view, dist, query, ef, 0, all, ws, out);
}

/*
 * Choose the neighbours of a node with vector `vec` at `level`: greedy descent
 * down to level + 1, then on each level min(level, entry_level)..0 a beam of
 * width ef_construction and the heuristic.  Levels above entry_level get no
 * neighbours.  Nodes failing eligible() are traversed but never chosen.
 * extra(level, ids) may add candidates the search did not reach; with
 * candidates, the candidates of each level are returned, nearest first.
 */
template <typename View, typename Eligible, typename Extra>
void
choose_neighbors(View &view, const Params &params, const Distance &dist, const float *vec,
                 int level, typename View::Id entry, int entry_level, Eligible &&eligible,
                 Extra &&extra, Workspace<View> &ws, LevelLists<typename View::Id> &chosen,
                 LevelLists<typename View::Id> *candidates = nullptr)
{
	std::vector<typename View::Id> extra_ids;
	for (auto &list : chosen)
		list.clear();

	Scored<typename View::Id> cur = score_entry(view, dist, vec, entry);
	for (int l = entry_level; l > level; l--)
		cur = greedy_closest(view, dist, vec, cur, l, ws);
	ws.entries.assign(1, cur);

	for (int l = std::min(level, entry_level); l >= 0; l--)
	{
		search_layer(view, dist, vec, params.ef_construction, l, eligible, ws, ws.layer);
		extra_ids.clear();
		extra(l, extra_ids);
		if (!extra_ids.empty())
		{
			/* candidates the search may have missed join the pool */
			for (auto id : extra_ids)
			{
				bool present = !eligible(id);
				for (const auto &c : ws.layer)
					present = present || c.id == id;
				if (!present)
					ws.layer.push_back({dist(vec, view.vector(id)), id});
			}
			std::stable_sort(ws.layer.begin(), ws.layer.end(),
			                 [](const auto &a, const auto &b) { return a.dist < b.dist; });
		}
		if (candidates != nullptr)
		{
			(*candidates)[l].clear();
			for (const auto &c : ws.layer)
				(*candidates)[l].push_back(c.id);
		}
		pool_from_layer(view, ws, dist.dim());
		select_heuristic(dist, max_neighbors(params.m, l), ws);
		chosen[l].clear();
		for (const auto &s : ws.selected)
			chosen[l].push_back(s.id);
		if (!ws.layer.empty())
			ws.entries.assign(ws.layer.begin(), ws.layer.end());
	}
}

/*
 * The back-link from `node` (on `level`, current list `old`) to a new
 * neighbour `self`: if the list has room, old + self; otherwise old + self
 * pruned by the heuristic with distances measured from node's vector.
 * Returns false when the list would not change (self already there, or the
 * heuristic kept exactly the old list); else the new list is in out.
 */
template <typename View>
bool
backlink(View &view, const Params &params, const Distance &dist, typename View::Id node, int level,
         typename View::Id self, const float *self_vec, std::span<const typename View::Id> old,
         Workspace<View> &ws, std::vector<typename View::Id> &out)
{
	using Id = typename View::Id;
	if (node == self || std::find(old.begin(), old.end(), self) != old.end())
		return false;

	const size_t max_n = static_cast<size_t>(max_neighbors(params.m, level));
	if (old.size() < max_n)
	{
		out.assign(old.begin(), old.end());
		out.push_back(self);
		return true;
	}

	const size_t dim = dist.dim();
	if constexpr (!View::kStableVectors)
		ws.vector_copies.resize((old.size() + 1) * dim);
	const float *base = view.vector(node);
	if constexpr (!View::kStableVectors)
	{
		/* the last slot holds the base; the others the old neighbours */
		float *copy = ws.vector_copies.data() + old.size() * dim;
		std::memcpy(copy, base, dim * sizeof(float));
		base = copy;
	}

	ws.pool.clear();
	for (Id id : old)
	{
		if (id == node)
			continue; /* a self link in stored data: drop it */
		bool dup = false;
		for (const auto &p : ws.pool)
			dup = dup || p.id == id;
		if (dup)
			continue;
		const float *v = view.vector(id);
		if constexpr (!View::kStableVectors)
		{
			float *copy = ws.vector_copies.data() + ws.pool.size() * dim;
			std::memcpy(copy, v, dim * sizeof(float));
			v = copy;
		}
		ws.pool.push_back({dist(base, v), id, v});
	}
	ws.pool.push_back({dist(base, self_vec), self, self_vec});
	std::stable_sort(ws.pool.begin(), ws.pool.end(), FartherFirst{});
	select_heuristic(dist, static_cast<int>(max_n), ws);

	bool self_kept = false;
	for (const auto &s : ws.selected)
		self_kept = self_kept || s.id == self;
	if (!self_kept && ws.selected.size() == old.size())
		return false;

	out.clear();
	for (const auto &s : ws.selected)
		out.push_back(s.id);
	return true;
}

/* choose_neighbors with no extra candidates (insertions, the build) */
template <typename View, typename Eligible>
void
choose_neighbors(View &view, const Params &params, const Distance &dist, const float *vec,
                 int level, typename View::Id entry, int entry_level, Eligible &&eligible,
                 Workspace<View> &ws, LevelLists<typename View::Id> &chosen)
{
	choose_neighbors(
	    view, params, dist, vec, level, entry, entry_level, eligible,
	    [](int, std::vector<typename View::Id> &) {}, ws, chosen);
}

/* ---- insert and repair plans ------------------------------------------- */

template <typename Id> struct InsertPlan
{
	struct Update
	{
		Id node;
		int level;
		std::vector<Id> old_ids;
		std::vector<Id> new_ids;
	};

	LevelLists<Id> neighbors;
	std::vector<Update> updates;
};

/*
 * The back-links to self (vector vec) of each of its chosen neighbours on
 * levels 0..top, into plan.updates.  A full list holding a deleted node
 * (is_deleted) gives self that node's place; any other list goes through
 * backlink().  old_ids keeps each list as read, so that the caller can
 * detect a concurrent change.
 */
template <typename View, typename Deleted>
void
plan_backlinks(View &view, const Params &params, const Distance &dist, typename View::Id self,
               const float *vec, int top, Deleted &&is_deleted, Workspace<View> &ws,
               InsertPlan<typename View::Id> &plan)
{
	using Id = typename View::Id;
	std::vector<Id> fresh;
	for (int l = 0; l <= top; l++)
	{
		const size_t max_n = static_cast<size_t>(max_neighbors(params.m, l));
		for (Id n : plan.neighbors[l])
		{
			typename InsertPlan<Id>::Update u;
			u.node = n;
			u.level = l;
			view.neighbors(n, l, ws.neighbor_buf);
			u.old_ids = ws.neighbor_buf;
			auto dead = std::find_if(u.old_ids.begin(), u.old_ids.end(), is_deleted);
			if (u.old_ids.size() >= max_n && dead != u.old_ids.end() &&
			    std::find(u.old_ids.begin(), u.old_ids.end(), self) == u.old_ids.end())
			{
				u.new_ids = u.old_ids;
				u.new_ids[static_cast<size_t>(dead - u.old_ids.begin())] = self;
			}
			else if (backlink(view, params, dist, n, l, self, vec, std::span<const Id>(u.old_ids),
			                  ws, fresh))
				u.new_ids = fresh;
			else
				continue;
			plan.updates.push_back(std::move(u));
		}
	}
}

/*
 * Plan the insertion of self (vector vec, level `level`): its neighbours and
 * the back-links of each chosen neighbour.  entry must be a valid node.
 */
template <typename View>
void
plan_insert(View &view, const Params &params, const Distance &dist, const float *vec, int level,
            typename View::Id self, typename View::Id entry, int entry_level, Workspace<View> &ws,
            InsertPlan<typename View::Id> &plan)
{
	using Id = typename View::Id;
	plan.updates.clear();
	choose_neighbors(
	    view, params, dist, vec, level, entry, entry_level, [self](Id id) { return id != self; },
	    ws, plan.neighbors);
	plan_backlinks(
	    view, params, dist, self, vec, std::min(level, entry_level), [](Id) { return false; }, ws,
	    plan);
}

/*
 * Plan new lists for `node` on levels 0..node_level after some nodes were
 * deleted (sorted in `deleted`): like an insertion, but node itself and the
 * deleted nodes are never chosen, though they are traversed.
 *
 * Besides what the search finds, the node's live neighbours and the live
 * neighbours of its deleted ones are candidates: reconnecting through the
 * deleted nodes keeps the links that made the region reachable.  The links
 * that survive stay, first, and the heuristic's choices fill the slots the
 * deleted nodes held, then the nearest other candidates until the list is as
 * long as it was: recomputing whole lists with the heuristic alone would
 * leave repaired nodes with far fewer links than nodes built by insertion
 * (whose lists also hold unpruned back-links).
 *
 * Back-links, as for an insertion, keep the node reachable.  A deleted id in
 * a neighbour's list is replaced by node rather than dropped, so that the
 * neighbour still shows as needing its own repair (which refills its list);
 * only a full list with no deleted id is pruned by the heuristic.  old_ids
 * keeps each list as read, so that the caller can detect a concurrent change.
 */
template <typename View>
void
plan_repair(View &view, const Params &params, const Distance &dist, typename View::Id node,
            const float *vec, int node_level, typename View::Id entry, int entry_level,
            std::span<const typename View::Id> deleted, Workspace<View> &ws,
            InsertPlan<typename View::Id> &plan)
{
	using Id = typename View::Id;
	plan.updates.clear();
	auto is_deleted = [deleted](Id id)
	{ return std::binary_search(deleted.begin(), deleted.end(), id); };
	auto eligible = [node, &is_deleted](Id id) { return id != node && !is_deleted(id); };

	std::vector<Id> own;
	std::vector<Id> second;
	auto extra = [&](int l, std::vector<Id> &out)
	{
		view.neighbors(node, l, own);
		for (Id id : own)
		{
			if (!is_deleted(id))
			{
				out.push_back(id);
				continue;
			}
			view.neighbors(id, l, second);
			for (Id id2 : second)
				if (id2 != node && !is_deleted(id2))
					out.push_back(id2);
		}
	};
	LevelLists<Id> candidates;
	choose_neighbors(view, params, dist, vec, node_level, entry, entry_level, eligible, extra, ws,
	                 plan.neighbors, &candidates);

	const int top = std::min(node_level, entry_level);
	std::vector<Id> merged;
	for (int l = 0; l <= top; l++)
	{
		const size_t max_n = static_cast<size_t>(max_neighbors(params.m, l));
		auto add = [&](Id id)
		{
			if (merged.size() < max_n && id != node &&
			    std::find(merged.begin(), merged.end(), id) == merged.end())
				merged.push_back(id);
		};
		view.neighbors(node, l, own);
		merged.clear();
		for (Id id : own)
			if (!is_deleted(id))
				add(id);
		for (Id id : plan.neighbors[l])
			add(id);
		/* every dead link is replaced: fill up to the old degree, nearest first */
		for (size_t i = 0; i < candidates[l].size() && merged.size() < own.size(); i++)
			add(candidates[l][i]);
		plan.neighbors[l] = merged;
	}

	plan_backlinks(view, params, dist, node, vec, top, is_deleted, ws, plan);
}

} // namespace vx::hnsw
