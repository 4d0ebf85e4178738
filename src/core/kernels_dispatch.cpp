/*
 * kernels_dispatch.cpp: choose the kernel table once, at load time.
 */
#include "kernels.h"

#include <algorithm>
#include <cmath>

namespace vx
{

namespace avx512
{
extern const KernelTable table;
}
namespace avx2
{
extern const KernelTable table;
}
namespace base
{
extern const KernelTable table;
}

namespace
{

bool
cpu_has_avx512()
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
	       __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
	return false;
#endif
}

bool
cpu_has_avx2()
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
	return false;
#endif
}

struct Variants
{
	const KernelTable *list[3];
	size_t count = 0;
	Variants()
	{
		if (cpu_has_avx512())
			list[count++] = &avx512::table;
		if (cpu_has_avx2())
			list[count++] = &avx2::table;
		list[count++] = &base::table;
	}
};

const Variants &
variants()
{
	static const Variants v;
	return v;
}

} // namespace

namespace detail
{
const KernelTable *active_kernels = variants().list[0];
}

std::span<const KernelTable *const>
runnable_kernel_variants()
{
	const Variants &v = variants();
	return {v.list, v.count};
}

double
cosine_distance_from_parts(const CosineParts &p)
{
	/* double precision for the norms, as pgvector; 0/0 gives NaN for a zero vector */
	double similarity = static_cast<double>(p.dot) /
	                    std::sqrt(static_cast<double>(p.norm_a) * static_cast<double>(p.norm_b));
	/* keep rounding from pushing the similarity outside [-1, 1] */
	similarity = std::clamp(similarity, -1.0, 1.0);
	return 1.0 - similarity;
}

} // namespace vx
