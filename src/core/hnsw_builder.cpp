/*
 * hnsw_builder.cpp: the in-memory HNSW build.
 *
 * build() hands out node indexes from an atomic counter; every taken node is
 * linked completely before its thread looks at the stop flag again, so the
 * linked nodes are always a prefix of the insertion order, also after an
 * interrupt.  Only the calling thread calls the caller's hooks.
 */
#include "hnsw_builder.h"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <exception>
#include <pthread.h>
#include <thread>

namespace vx::hnsw
{

namespace
{

/* Per-node bytes that do not depend on the level. */
size_t
fixed_node_bytes(const Params &p)
{
	return static_cast<size_t>(p.dim) * sizeof(float)                            /* vector */
	       + (1 + static_cast<size_t>(max_neighbors(p.m, 0))) * sizeof(uint32_t) /* level 0 */
	       + sizeof(uint64_t)                                                    /* payload */
	       + sizeof(uint8_t)                                                     /* level */
	       + sizeof(std::unique_ptr<uint32_t[]>)                                 /* upper levels */
	       + 1;                                                                  /* lock */
}

/* Blocks every signal in the calling thread for its lifetime. */
class SignalBlock
{
  public:
	SignalBlock()
	{
		sigset_t all;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &saved_);
	}
	~SignalBlock() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
	SignalBlock(const SignalBlock &) = delete;
	SignalBlock &operator=(const SignalBlock &) = delete;

  private:
	sigset_t saved_;
};

/* Stops and joins the workers however build() is left. */
class Joiner
{
  public:
	Joiner(std::vector<std::thread> &threads, std::atomic<bool> &stop)
	    : threads_(threads), stop_(stop)
	{
	}
	~Joiner() { join(); }
	void
	join()
	{
		stop_.store(true);
		for (auto &t : threads_)
			if (t.joinable())
				t.join();
	}

  private:
	std::vector<std::thread> &threads_;
	std::atomic<bool> &stop_;
};

} // namespace

static_assert(sizeof(Builder::Id) == 4);

void
Builder::SpinLock::lock()
{
	unsigned spins = 0;
	while (state_.exchange(1, std::memory_order_acquire) != 0)
	{
		while (state_.load(std::memory_order_relaxed) != 0)
		{
			if (++spins < 64)
			{
#if defined(__x86_64__) || defined(__i386__)
				__builtin_ia32_pause();
#endif
			}
			else
				std::this_thread::yield();
		}
	}
}

size_t
Builder::bytes_per_node(const Params &p)
{
	/* P(level >= l) = m^-l, so a node has 1/(m-1) upper levels on average */
	const size_t upper_list = (1 + static_cast<size_t>(p.m)) * sizeof(uint32_t);
	const size_t m1 = static_cast<size_t>(std::max(p.m, kMinM) - 1);
	return fixed_node_bytes(p) + (upper_list + m1 - 1) / m1;
}

Builder::Builder(const Params &params, size_t memory_limit, uint64_t seed)
    : params_(params), dist_(params.metric, params.dim), memory_limit_(memory_limit), rng_(seed)
{
	/*
	 * Chunks of about 1/64 of the limit (at most 1 MiB, at most 4096 nodes),
	 * so that a partly used last chunk wastes little of the limit.
	 */
	const size_t node = fixed_node_bytes(params_);
	const size_t target = std::max(node, std::min<size_t>(memory_limit / 64, size_t{1} << 20));
	while ((size_t{2} << chunk_shift_) * node <= target && chunk_shift_ < 12)
		chunk_shift_++;
}

size_t
Builder::chunk_bytes() const
{
	return (size_t{1} << chunk_shift_) * fixed_node_bytes(params_);
}

size_t
Builder::upper_bytes(int level) const
{
	return static_cast<size_t>(level) * (1 + static_cast<size_t>(params_.m)) * sizeof(uint32_t);
}

bool
Builder::add(const float *vec, uint64_t payload)
{
	/* ids are uint32; keep the top value free */
	if (count_ >= UINT32_MAX - 1)
		return false;
	if (pending_level_ < 0)
		pending_level_ = random_level(unit_interval_from_bits(rng_()), params_.m);
	const int level = pending_level_;

	const bool new_chunk = (count_ >> chunk_shift_) == chunks_.size();
	const size_t need = (new_chunk ? chunk_bytes() : 0) + upper_bytes(level);
	if (used_ + need > memory_limit_)
		return false;

	if (new_chunk)
	{
		const size_t n = size_t{1} << chunk_shift_;
		Chunk c;
		c.vectors = std::make_unique<float[]>(n * params_.dim);
		c.links0 = std::make_unique<uint32_t[]>(n * (1 + max_neighbors(params_.m, 0)));
		c.payloads = std::make_unique<uint64_t[]>(n);
		c.levels = std::make_unique<uint8_t[]>(n);
		c.upper = std::make_unique<std::unique_ptr<uint32_t[]>[]>(n);
		c.locks = std::make_unique<SpinLock[]>(n);
		chunks_.push_back(std::move(c));
	}
	Chunk &c = chunks_[count_ >> chunk_shift_];
	const size_t s = slot(count_);
	if (level > 0)
		c.upper[s] = std::make_unique<uint32_t[]>(static_cast<size_t>(level) * (1 + params_.m));
	std::memcpy(c.vectors.get() + s * params_.dim, vec, params_.dim * sizeof(float));
	c.payloads[s] = payload;
	c.levels[s] = static_cast<uint8_t>(level);

	used_ += need;
	count_++;
	pending_level_ = -1;
	return true;
}

uint32_t *
Builder::list(size_t i, int level) const
{
	const Chunk &c = chunk(i);
	const size_t s = slot(i);
	if (level == 0)
		return c.links0.get() + s * (1 + max_neighbors(params_.m, 0));
	if (level < 0 || level > c.levels[s])
		return nullptr;
	return c.upper[s].get() + static_cast<size_t>(level - 1) * (1 + params_.m);
}

std::span<const uint32_t>
Builder::neighbors(size_t i, int level) const
{
	const uint32_t *p = list(i, level);
	if (p == nullptr)
		return {};
	return {p + 1, p[0]};
}

void
Builder::search(const float *query, int ef, SearchWorkspace &ws,
                std::vector<Scored<uint32_t>> &out) const
{
	out.clear();
	if (entry_ < 0)
		return;
	DenseView view(*this, false);
	ws.visited.resize(count_);
	vx::hnsw::search(view, dist_, query, static_cast<uint32_t>(entry_), entry_level_, ef, ws, out);
}

/*
 * Link node i: choose its neighbours from the graph linked so far, write its
 * own lists, then add the back-links, each under the neighbour's lock.
 */
void
Builder::link(uint32_t i, LinkScratch &s, bool concurrent)
{
	DenseView view(*this, concurrent);
	const int level = this->level(i);
	const float *vec = vector(i);

	std::unique_lock<std::mutex> entry_lock(entry_mutex_, std::defer_lock);
	if (concurrent)
		entry_lock.lock();
	if (entry_ < 0)
	{
		entry_ = i;
		entry_level_ = level;
		return;
	}
	const uint32_t entry = static_cast<uint32_t>(entry_);
	const int entry_level = entry_level_;
	const bool raises = level > entry_level;
	if (concurrent && !raises)
		entry_lock.unlock();

	choose_neighbors(
	    view, params_, dist_, vec, level, entry, entry_level, [i](uint32_t id) { return id != i; },
	    s.ws, s.chosen);

	const int top = std::min(level, entry_level);
	for (int l = 0; l <= top; l++)
	{
		uint32_t *p = list(i, l);
		std::unique_lock<SpinLock> own(lock_of(i), std::defer_lock);
		if (concurrent)
			own.lock();
		p[0] = static_cast<uint32_t>(s.chosen[l].size());
		std::copy(s.chosen[l].begin(), s.chosen[l].end(), p + 1);
	}

	for (int l = 0; l <= top; l++)
	{
		for (uint32_t n : s.chosen[l])
		{
			uint32_t *p = list(n, l);
			std::unique_lock<SpinLock> theirs(lock_of(n), std::defer_lock);
			if (concurrent)
				theirs.lock();
			if (backlink(view, params_, dist_, n, l, i, vec, std::span<const uint32_t>(p + 1, p[0]),
			             s.ws, s.fresh))
			{
				p[0] = static_cast<uint32_t>(s.fresh.size());
				std::copy(s.fresh.begin(), s.fresh.end(), p + 1);
			}
		}
	}

	if (raises)
	{
		entry_ = i;
		entry_level_ = level;
	}
}

Status
Builder::build(int threads, const Hooks &hooks)
{
	if (broken_)
		return {Errc::internal, "HNSW graph was left incomplete by a failed build"};
	const size_t n = count_;
	if (linked_ >= n)
		return {};
	threads = std::clamp(threads, 1, kMaxThreads);
	const size_t workers = std::min<size_t>(static_cast<size_t>(threads - 1), n - linked_ - 1);
	const bool concurrent = workers > 0;

	broken_ = true; /* until every taken node is known to be linked */
	std::atomic<size_t> next{linked_};
	std::atomic<size_t> done{linked_};
	std::atomic<bool> stop{false};
	std::mutex error_mutex;
	std::exception_ptr worker_error;

	auto link_next = [&](LinkScratch &s)
	{
		const size_t i = next.fetch_add(1);
		if (i >= n)
			return false;
		link(static_cast<uint32_t>(i), s, concurrent);
		done.fetch_add(1);
		return true;
	};

	Status status;
	std::vector<std::thread> pool;
	{
		Joiner joiner(pool, stop);
		if (concurrent)
		{
			pool.reserve(workers);
			/* threads inherit the mask: no signal can reach them even at start */
			SignalBlock blocked;
			for (size_t w = 0; w < workers; w++)
				pool.emplace_back(
				    [&]
				    {
					    sigset_t all;
					    sigfillset(&all);
					    pthread_sigmask(SIG_BLOCK, &all, nullptr);
					    try
					    {
						    auto s = std::make_unique<LinkScratch>();
						    s->ws.visited.resize(n);
						    while (!stop.load(std::memory_order_relaxed) && link_next(*s))
						    {
						    }
					    }
					    catch (...)
					    {
						    std::lock_guard<std::mutex> g(error_mutex);
						    if (!worker_error)
							    worker_error = std::current_exception();
						    stop.store(true);
					    }
				    });
		}

		auto s = std::make_unique<LinkScratch>();
		s->ws.visited.resize(n);
		size_t reported = linked_;
		while (!stop.load(std::memory_order_relaxed) && link_next(*s))
		{
			const size_t d = done.load();
			if (d - reported < kReportInterval)
				continue;
			reported = d;
			if (hooks.check_interrupt != nullptr && hooks.check_interrupt(hooks.ctx) != 0)
			{
				status = {Errc::callback_failed, "HNSW build interrupted"};
				break;
			}
			if (hooks.progress != nullptr)
				hooks.progress(hooks.ctx, static_cast<int64_t>(d));
		}
		joiner.join();
	}

	if (worker_error)
		std::rethrow_exception(worker_error);
	linked_ = std::min(next.load(), n);
	broken_ = false;
	if (status.ok() && hooks.progress != nullptr)
		hooks.progress(hooks.ctx, static_cast<int64_t>(linked_));
	return status;
}

} // namespace vx::hnsw
