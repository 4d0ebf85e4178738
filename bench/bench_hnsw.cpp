// Benchmarks of the in-memory HNSW graph: build throughput (nodes/s) of
// 20,000 x 128 clustered vectors with 1 and 2 threads, and search QPS at
// ef 40 and 100 with recall@10 against exact search, on the dense path and
// through VxGraphCallbacks (the path the index scan takes).
//
//   build-hnsw/bench_hnsw --benchmark_counters_tabular=true
#include "hnsw_builder.h"
#include "vx_hnsw.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <vector>

namespace
{

constexpr size_t kRows = 20000;
constexpr size_t kQueries = 500;
constexpr int kDim = 128;
constexpr int kK = 10;

struct Data
{
	std::vector<float> base;    // kRows x kDim
	std::vector<float> queries; // kQueries x kDim
	std::vector<std::vector<uint32_t>> truth;
};

// Gaussian mixture, 20 overlapping clusters; queries from the same mixture.
const Data &
data()
{
	static const Data d = []
	{
		Data d;
		std::mt19937_64 rng(2024);
		std::normal_distribution<float> unit(0.0f, 1.0f);
		const int clusters = 20;
		std::vector<float> centres(static_cast<size_t>(clusters) * kDim);
		for (float &c : centres)
			c = unit(rng);
		std::uniform_int_distribution<int> pick(0, clusters - 1);
		auto draw = [&](std::vector<float> &out, size_t n)
		{
			out.resize(n * kDim);
			for (size_t i = 0; i < n; i++)
			{
				const float *c = centres.data() + static_cast<size_t>(pick(rng)) * kDim;
				for (int j = 0; j < kDim; j++)
					out[i * kDim + j] = c[j] + unit(rng);
			}
		};
		draw(d.base, kRows);
		draw(d.queries, kQueries);
		for (size_t q = 0; q < kQueries; q++)
		{
			std::vector<std::pair<float, uint32_t>> all(kRows);
			for (size_t i = 0; i < kRows; i++)
				all[i] = {vx_hnsw_distance(VX_METRIC_L2, d.queries.data() + q * kDim,
				                           d.base.data() + i * kDim, kDim),
				          static_cast<uint32_t>(i)};
			std::partial_sort(all.begin(), all.begin() + kK, all.end());
			std::vector<uint32_t> top;
			for (int i = 0; i < kK; i++)
				top.push_back(all[static_cast<size_t>(i)].second);
			d.truth.push_back(top);
		}
		return d;
	}();
	return d;
}

const vx::hnsw::Params kParams{kDim, 16, 64, vx::hnsw::Metric::l2};

std::unique_ptr<vx::hnsw::Builder>
build(int threads)
{
	const Data &d = data();
	auto b = std::make_unique<vx::hnsw::Builder>(kParams, size_t{1} << 32, 7);
	for (size_t i = 0; i < kRows; i++)
		b->add(d.base.data() + i * kDim, i);
	b->build(threads, {});
	return b;
}

const vx::hnsw::Builder &
graph()
{
	static const std::unique_ptr<vx::hnsw::Builder> g = build(1);
	return *g;
}

void
BM_Build(benchmark::State &state)
{
	const int threads = static_cast<int>(state.range(0));
	data();
	for (auto _ : state)
	{
		auto b = build(threads);
		benchmark::DoNotOptimize(b->entry());
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows));
	state.counters["nodes/s"] = benchmark::Counter(static_cast<double>(state.iterations() * kRows),
	                                               benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Build)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

double
recall_of(const std::vector<uint32_t> &found, const std::vector<uint32_t> &truth)
{
	std::set<uint32_t> t(truth.begin(), truth.end());
	int hit = 0;
	for (size_t i = 0; i < found.size() && i < static_cast<size_t>(kK); i++)
		hit += static_cast<int>(t.count(found[i]));
	return hit / static_cast<double>(kK);
}

/* QPS, and recall@10 over the queries searched at least once. */
void
report(benchmark::State &state, const std::vector<std::vector<uint32_t>> &found)
{
	const Data &d = data();
	double recall = 0;
	size_t n = 0;
	for (size_t q = 0; q < kQueries; q++)
	{
		if (found[q].empty())
			continue;
		recall += recall_of(found[q], d.truth[q]);
		n++;
	}
	state.counters["QPS"] =
	    benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
	state.counters["recall@10"] = n > 0 ? recall / static_cast<double>(n) : 0.0;
}

void
BM_SearchDense(benchmark::State &state)
{
	const int ef = static_cast<int>(state.range(0));
	const Data &d = data();
	const vx::hnsw::Builder &g = graph();
	vx::hnsw::Builder::SearchWorkspace ws;
	std::vector<vx::hnsw::Scored<uint32_t>> out;
	std::vector<std::vector<uint32_t>> found(kQueries);
	size_t q = 0;
	for (auto _ : state)
	{
		g.search(d.queries.data() + q * kDim, ef, ws, out);
		auto &ids = found[q];
		ids.clear();
		for (size_t i = 0; i < out.size() && i < static_cast<size_t>(kK); i++)
			ids.push_back(out[i].id);
		q = (q + 1) % kQueries;
	}
	report(state, found);
}
BENCHMARK(BM_SearchDense)->Arg(40)->Arg(100)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

// Callbacks over the built graph, as the index scan reaches pages.
struct GraphCallbacks
{
	const vx::hnsw::Builder *g;
	static int
	neighbors(void *ctx, VxNodeId node, int level, VxNodeId *out, int cap, int *count)
	{
		auto list = static_cast<GraphCallbacks *>(ctx)->g->neighbors(node, level);
		if (static_cast<int>(list.size()) > cap)
			return 1;
		std::copy(list.begin(), list.end(), out);
		*count = static_cast<int>(list.size());
		return 0;
	}
	static const float *
	vector(void *ctx, VxNodeId node)
	{
		return static_cast<GraphCallbacks *>(ctx)->g->vector(node);
	}
};

void
BM_SearchCallbacks(benchmark::State &state)
{
	const int ef = static_cast<int>(state.range(0));
	const Data &d = data();
	const vx::hnsw::Builder &g = graph();
	GraphCallbacks ctx{&g};
	VxGraphCallbacks cb{&ctx, GraphCallbacks::neighbors, GraphCallbacks::vector, nullptr, nullptr};
	VxHnswParams params{kDim, kParams.m, kParams.ef_construction, VX_METRIC_L2};
	std::vector<VxCandidate> out(static_cast<size_t>(ef));
	std::vector<std::vector<uint32_t>> found(kQueries);
	size_t q = 0;
	for (auto _ : state)
	{
		int count = 0;
		VxError err{};
		if (vx_hnsw_search(&cb, &params, d.queries.data() + q * kDim,
		                   static_cast<VxNodeId>(g.entry()), g.entry_level(), ef, out.data(),
		                   &count, &err) != VX_OK)
		{
			state.SkipWithError(err.message);
			break;
		}
		auto &ids = found[q];
		ids.clear();
		for (int i = 0; i < count && i < kK; i++)
			ids.push_back(static_cast<uint32_t>(out[static_cast<size_t>(i)].id));
		q = (q + 1) % kQueries;
	}
	report(state, found);
}
BENCHMARK(BM_SearchCallbacks)->Arg(40)->Arg(100)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

} // namespace

BENCHMARK_MAIN();
