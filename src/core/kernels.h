/*
 * kernels.h: distance kernels over unaligned float buffers.
 *
 * Each ISA level (AVX-512, AVX2+FMA, baseline x86-64) is compiled in its own
 * translation unit, with Eigen renamed into a per-ISA namespace so that the
 * template instantiations of two levels never merge.  The best level the CPU
 * supports is chosen once, when the library is loaded.
 */
#pragma once

#include "no_postgres.h"

#include <cstddef>
#include <span>

namespace vx
{

struct CosineParts
{
	float dot;
	float norm_a; /* squared norms */
	float norm_b;
};

struct KernelTable
{
	const char *name;
	float (*l2sq)(const float *a, const float *b, size_t n);
	float (*dot)(const float *a, const float *b, size_t n);
	float (*l1)(const float *a, const float *b, size_t n);
	CosineParts (*cosine_parts)(const float *a, const float *b, size_t n);
	float (*norm_sq)(const float *a, size_t n);
};

namespace detail
{
extern const KernelTable *active_kernels;
}

/* The table chosen for this CPU. */
inline const KernelTable &
kernels()
{
	return *detail::active_kernels;
}

/* Every variant this CPU can run, best first (for tests and benchmarks). */
std::span<const KernelTable *const> runnable_kernel_variants();

/* Cosine distance from its parts, as pgvector computes it (NaN for a zero vector). */
double cosine_distance_from_parts(const CosineParts &p);

} // namespace vx
