/*
 * hnsw_builder.h: an HNSW graph built in memory (CREATE INDEX).
 *
 * Vectors are added first (each gets its level from a seeded PRNG, so the
 * graph is reproducible with one thread), then build() links them in
 * insertion order, optionally with worker threads.  Storage comes in chunks
 * of a power-of-two number of nodes (vectors contiguous within a chunk, no
 * reallocation, stable pointers); the memory limit counts every chunk and
 * every upper-level neighbour array.
 *
 * Concurrency during build(): each node has a one-byte spinlock held only
 * while its neighbour lists are copied out or rewritten; the entry point has
 * a mutex, held for the whole insertion of a node that becomes the new entry
 * (as rarely as a new top level appears).  Worker threads block every signal
 * and never call back into the caller.
 */
#pragma once

#include "no_postgres.h"
#include "hnsw.h"
#include "hnsw_graph.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <vector>

namespace vx::hnsw
{

class Builder;

/* A graph view over the builder: dense uint32 ids, stable vector pointers. */
class DenseView
{
  public:
	using Id = uint32_t;
	using Visited = DenseVisited;
	static constexpr bool kStableVectors = true;
	static constexpr bool kBatchDistances = false;

	DenseView(const Builder &b, bool locking) : b_(b), locking_(locking) {}

	inline void neighbors(Id node, int level, std::vector<Id> &out);
	inline const float *vector(Id node);
	inline void prefetch(Id node);
	void
	check_interrupt()
	{
	}

  private:
	const Builder &b_;
	bool locking_;
};

class Builder
{
  public:
	using Id = uint32_t;
	using SearchWorkspace = Workspace<DenseView>;

	/* What build() calls on the calling thread only (either may be null). */
	struct Hooks
	{
		void *ctx = nullptr;
		int (*check_interrupt)(void *ctx) = nullptr;
		void (*progress)(void *ctx, int64_t done) = nullptr;
	};

	/* Nodes linked between two interrupt checks / progress reports. */
	static constexpr size_t kReportInterval = 1000;
	static constexpr int kMaxThreads = 64;

	/* Expected bytes one more node takes (upper levels at their mean). */
	static size_t bytes_per_node(const Params &params);

	/* params must have passed check_params. */
	Builder(const Params &params, size_t memory_limit, uint64_t seed);
	Builder(const Builder &) = delete;
	Builder &operator=(const Builder &) = delete;

	/* Store a vector; false (nothing stored) when it would pass the limit. */
	bool add(const float *vec, uint64_t payload);

	/*
	 * Link every node not linked yet, with `threads` threads in total (the
	 * calling thread included).  Returns callback_failed when
	 * hooks.check_interrupt asked to stop; the nodes linked so far stay a
	 * consistent graph and a later build() continues.  All threads are
	 * joined before this returns or throws.
	 */
	Status build(int threads, const Hooks &hooks);

	size_t
	count() const
	{
		return count_;
	}
	size_t
	linked() const
	{
		return linked_;
	}
	/* -1 when nothing is linked */
	int64_t
	entry() const
	{
		return entry_;
	}
	int
	entry_level() const
	{
		return entry_level_;
	}
	int
	level(size_t i) const
	{
		return chunk(i).levels[slot(i)];
	}
	uint64_t
	payload(size_t i) const
	{
		return chunk(i).payloads[slot(i)];
	}
	const float *
	vector(size_t i) const
	{
		return chunk(i).vectors.get() + slot(i) * params_.dim;
	}
	/* Neighbours of node i on a level (empty above its level). */
	std::span<const uint32_t> neighbors(size_t i, int level) const;

	size_t
	memory_used() const
	{
		return used_;
	}
	const Params &
	params() const
	{
		return params_;
	}

	/* Search the linked graph (not while build() runs). */
	void search(const float *query, int ef, SearchWorkspace &ws,
	            std::vector<Scored<uint32_t>> &out) const;

  private:
	friend class DenseView;

	class SpinLock
	{
	  public:
		void lock();
		void
		unlock()
		{
			state_.store(0, std::memory_order_release);
		}

	  private:
		std::atomic<uint8_t> state_{0};
	};

	struct Chunk
	{
		std::unique_ptr<float[]> vectors;
		std::unique_ptr<uint32_t[]> links0; /* per node: count, then 2m ids */
		std::unique_ptr<uint64_t[]> payloads;
		std::unique_ptr<uint8_t[]> levels;
		/* per node: levels 1..L, each count then m ids (null for level 0 nodes) */
		std::unique_ptr<std::unique_ptr<uint32_t[]>[]> upper;
		std::unique_ptr<SpinLock[]> locks;
	};

	struct LinkScratch
	{
		SearchWorkspace ws;
		LevelLists<uint32_t> chosen;
		std::vector<uint32_t> fresh;
	};

	const Chunk &
	chunk(size_t i) const
	{
		return chunks_[i >> chunk_shift_];
	}
	size_t
	slot(size_t i) const
	{
		return i & ((size_t{1} << chunk_shift_) - 1);
	}
	/* count followed by the ids; null when level is above the node's */
	uint32_t *list(size_t i, int level) const;
	SpinLock &
	lock_of(size_t i) const
	{
		return chunk(i).locks[slot(i)];
	}
	size_t chunk_bytes() const;
	size_t upper_bytes(int level) const;

	void link(uint32_t i, LinkScratch &s, bool concurrent);

	Params params_;
	Distance dist_;
	size_t memory_limit_;
	std::mt19937_64 rng_;
	int pending_level_ = -1; /* drawn for an add() that was refused */
	unsigned chunk_shift_ = 0;

	std::vector<Chunk> chunks_;
	size_t count_ = 0;
	size_t linked_ = 0;
	size_t used_ = 0;
	bool broken_ = false; /* a build failed half-way through a node */

	std::mutex entry_mutex_;
	int64_t entry_ = -1;
	int entry_level_ = -1;
};

inline void
DenseView::neighbors(Id node, int level, std::vector<Id> &out)
{
	const uint32_t *p = b_.list(node, level);
	if (p == nullptr)
	{
		out.clear();
		return;
	}
	if (locking_)
	{
		std::lock_guard<Builder::SpinLock> guard(b_.lock_of(node));
		out.assign(p + 1, p + 1 + p[0]);
	}
	else
		out.assign(p + 1, p + 1 + p[0]);
}

inline const float *
DenseView::vector(Id node)
{
	return b_.vector(node);
}

inline void
DenseView::prefetch(Id node)
{
	__builtin_prefetch(b_.vector(node));
}

} // namespace vx::hnsw
