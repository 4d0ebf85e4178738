// Distance kernel benchmark: the dispatched kernel, each ISA variant this CPU
// can run, and a plain scalar loop, for l2sq, dot, cosine and l1 at common
// embedding sizes.
//
// Inputs come from a pool of random vectors larger than the caches (64 MiB by
// default, --pool_mib=N to change it), walked pair by pair so that every
// distance reads two vectors the previous distances did not touch.
// items_per_second is distances per second; bytes_per_second counts the two
// input vectors (2 * dim * 4 bytes) of each distance.
//
//   build-unit/bench_kernels --benchmark_min_time=0.2
//   build-unit/bench_kernels --benchmark_filter='l2sq/.*/768'
#include "kernels.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace
{

size_t pool_bytes = size_t{64} << 20;

const std::vector<float> &
pool()
{
	static const std::vector<float> p = []
	{
		std::vector<float> v(pool_bytes / sizeof(float));
		std::mt19937 rng(20240601);
		std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
		for (float &x : v)
			x = dist(rng);
		return v;
	}();
	return p;
}

/* ---- plain scalar loops: the comparator ---------------------------------- */

__attribute__((noinline)) float
scalar_l2sq(const float *a, const float *b, size_t n)
{
	float sum = 0.0f;
	for (size_t i = 0; i < n; i++)
	{
		float d = a[i] - b[i];
		sum += d * d;
	}
	return sum;
}

__attribute__((noinline)) float
scalar_dot(const float *a, const float *b, size_t n)
{
	float sum = 0.0f;
	for (size_t i = 0; i < n; i++)
		sum += a[i] * b[i];
	return sum;
}

__attribute__((noinline)) float
scalar_l1(const float *a, const float *b, size_t n)
{
	float sum = 0.0f;
	for (size_t i = 0; i < n; i++)
		sum += std::fabs(a[i] - b[i]);
	return sum;
}

__attribute__((noinline)) double
scalar_cosine(const float *a, const float *b, size_t n)
{
	float dot = 0.0f, norm_a = 0.0f, norm_b = 0.0f;
	for (size_t i = 0; i < n; i++)
	{
		dot += a[i] * b[i];
		norm_a += a[i] * a[i];
		norm_b += b[i] * b[i];
	}
	return vx::cosine_distance_from_parts({dot, norm_a, norm_b});
}

/* ---- the kernels through a table (dispatched or explicit) ---------------- */

enum class Op
{
	l2sq,
	dot,
	cosine,
	l1
};

const char *
op_name(Op op)
{
	switch (op)
	{
		case Op::l2sq: return "l2sq";
		case Op::dot: return "dot";
		case Op::cosine: return "cosine";
		case Op::l1: return "l1";
	}
	return "?";
}

inline double
through_table(const vx::KernelTable &k, Op op, const float *a, const float *b, size_t n)
{
	switch (op)
	{
		case Op::l2sq: return k.l2sq(a, b, n);
		case Op::dot: return k.dot(a, b, n);
		case Op::cosine: return vx::cosine_distance_from_parts(k.cosine_parts(a, b, n));
		case Op::l1: return k.l1(a, b, n);
	}
	return 0.0;
}

inline double
scalar(Op op, const float *a, const float *b, size_t n)
{
	switch (op)
	{
		case Op::l2sq: return scalar_l2sq(a, b, n);
		case Op::dot: return scalar_dot(a, b, n);
		case Op::cosine: return scalar_cosine(a, b, n);
		case Op::l1: return scalar_l1(a, b, n);
	}
	return 0.0;
}

/* Walk the pool two vectors at a time; fn(a, b) computes one distance. */
template <typename Fn>
void
run(benchmark::State &state, size_t dim, Fn fn)
{
	const float *base = pool().data();
	const size_t pairs = pool().size() / (2 * dim);
	size_t k = 0;
	for (auto _ : state)
	{
		const float *a = base + 2 * k * dim;
		benchmark::DoNotOptimize(fn(a, a + dim));
		if (++k == pairs)
			k = 0;
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
	state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
	                        static_cast<int64_t>(2 * dim * sizeof(float)));
}

std::string
bench_name(Op op, const char *variant, size_t dim)
{
	char buf[64];
	std::snprintf(buf, sizeof(buf), "%s/%s/%zu", op_name(op), variant, dim);
	return buf;
}

void
register_all()
{
	const Op ops[] = {Op::l2sq, Op::dot, Op::cosine, Op::l1};
	const size_t dims[] = {96, 128, 384, 768, 1536};
	for (Op op : ops)
	{
		for (size_t dim : dims)
		{
			/* through vx::kernels() on every call, as the SQL functions do */
			benchmark::RegisterBenchmark(
			    bench_name(op, "dispatched", dim).c_str(),
			    [op, dim](benchmark::State &state)
			    {
				    state.SetLabel(vx::kernels().name);
				    run(state, dim,
				        [op, dim](const float *a, const float *b)
				        { return through_table(vx::kernels(), op, a, b, dim); });
			    });

			for (const vx::KernelTable *table : vx::runnable_kernel_variants())
			{
				benchmark::RegisterBenchmark(
				    bench_name(op, table->name, dim).c_str(),
				    [op, dim, table](benchmark::State &state)
				    {
					    run(state, dim,
					        [op, dim, table](const float *a, const float *b)
					        { return through_table(*table, op, a, b, dim); });
				    });
			}

			benchmark::RegisterBenchmark(bench_name(op, "scalar", dim).c_str(),
			                             [op, dim](benchmark::State &state) {
				                             run(state, dim,
				                                 [op, dim](const float *a, const float *b)
				                                 { return scalar(op, a, b, dim); });
			                             });
		}
	}
}

/* Take --pool_mib=N out of argv before Google Benchmark sees it. */
void
parse_own_flags(int *argc, char **argv)
{
	const char *flag = "--pool_mib=";
	int out = 1;
	for (int i = 1; i < *argc; i++)
	{
		if (std::strncmp(argv[i], flag, std::strlen(flag)) == 0)
		{
			double mib = std::atof(argv[i] + std::strlen(flag));
			/* at least one pair of the largest vectors */
			pool_bytes = std::max(static_cast<size_t>(mib * 1024 * 1024), size_t{2 * 1536 * 4});
			continue;
		}
		argv[out++] = argv[i];
	}
	*argc = out;
	argv[out] = nullptr;
}

} // namespace

int
main(int argc, char **argv)
{
	parse_own_flags(&argc, argv);
	benchmark::AddCustomContext("kernel_level", vx::kernels().name);
	benchmark::AddCustomContext("pool_bytes", std::to_string(pool_bytes));
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	pool(); /* fill it before the first timing */
	register_all();
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
