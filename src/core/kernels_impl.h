/*
 * kernels_impl.h: the kernel bodies, included once by each ISA translation
 * unit after it defines VX_ISA_NS.  Deliberately no include guard.
 *
 * Eigen is renamed per ISA (see kernels.h), so this file must be the only
 * place in its translation unit that includes Eigen.
 */
#ifndef VX_ISA_NS
#error "define VX_ISA_NS before including kernels_impl.h"
#endif

#define VX_CONCAT2(a, b) a##b
#define VX_CONCAT(a, b)  VX_CONCAT2(a, b)
#define Eigen            VX_CONCAT(vx_eigen_, VX_ISA_NS)

#include "kernels.h"

#include <Eigen/Core>

namespace vx::VX_ISA_NS
{

namespace
{

using ConstMap = Eigen::Map<const Eigen::VectorXf>;

inline Eigen::Index
idx(size_t n)
{
	return static_cast<Eigen::Index>(n);
}

float
l2sq(const float *a, const float *b, size_t n)
{
	return (ConstMap(a, idx(n)) - ConstMap(b, idx(n))).squaredNorm();
}

float
dot(const float *a, const float *b, size_t n)
{
	return ConstMap(a, idx(n)).dot(ConstMap(b, idx(n)));
}

float
l1(const float *a, const float *b, size_t n)
{
	return (ConstMap(a, idx(n)) - ConstMap(b, idx(n))).cwiseAbs().sum();
}

CosineParts
cosine_parts(const float *a, const float *b, size_t n)
{
	ConstMap va(a, idx(n)), vb(b, idx(n));
	return CosineParts{va.dot(vb), va.squaredNorm(), vb.squaredNorm()};
}

float
norm_sq(const float *a, size_t n)
{
	return ConstMap(a, idx(n)).squaredNorm();
}

} // namespace

extern const KernelTable table;
const KernelTable table = {VX_ISA_NAME, l2sq, dot, l1, cosine_parts, norm_sq};

} // namespace vx::VX_ISA_NS

#undef Eigen
