/*
 * vx_core.cpp: extern "C" noexcept wrappers around the C++ core.
 *
 * Functions that can fail run their body inside vx_guard(), which turns any
 * exception into a status and a message in the caller's VxError.
 */
#include "vx_core.h"

#include "../core/kernels.h"
#include "../core/vector_binary.h"
#include "../core/vector_text.h"
#include "vx_guard.hpp"

namespace
{

VxStatus
set_status(VxError *err, vx::Errc e, int detail = 0)
{
	VxStatus s = vx_capi::to_status(e);
	if (err != nullptr && s != VX_OK)
	{
		err->status = s;
		err->detail = detail;
		err->message[0] = '\0';
	}
	return s;
}

} // namespace

extern "C"
{

	size_t
	vx_vector_text_max_elements(size_t len) noexcept
	{
		return vx::max_elements_bound(len);
	}

	VxStatus
	vx_vector_parse(const char *text, size_t len, float *out, int capacity, int *dim,
	                VxError *err) noexcept
	{
		return vx_capi::guard(err,
		                      [&]
		                      {
			                      vx::ParseResult r =
			                          vx::parse_vector(text, len, out, capacity, VX_VECTOR_MAX_DIM);
			                      if (r.err == vx::Errc::ok)
				                      *dim = r.dim;
			                      return set_status(err, r.err, static_cast<int>(r.where));
		                      });
	}

	size_t
	vx_vector_format_capacity(int dim) noexcept
	{
		return vx::format_capacity(dim);
	}

	size_t
	vx_vector_format(const float *x, int dim, char *out) noexcept
	{
		return vx::format_vector(x, dim, out);
	}

	VxStatus
	vx_vector_binary_header(const uint8_t *buf, size_t len, int *dim, int *unused,
	                        VxError *err) noexcept
	{
		vx::BinaryHeader h = vx::decode_vector_header(buf, len, VX_VECTOR_MAX_DIM);
		*dim = h.dim;
		*unused = h.unused;
		return set_status(err, h.err, h.dim);
	}

	VxStatus
	vx_vector_binary_elements(const uint8_t *buf, size_t len, int dim, float *out,
	                          VxError *err) noexcept
	{
		return set_status(err, vx::decode_vector_elements(buf, len, dim, out));
	}

	size_t
	vx_vector_binary_size(int dim) noexcept
	{
		return vx::vector_binary_size(dim);
	}

	void
	vx_vector_binary_encode(const float *x, int dim, uint8_t *out) noexcept
	{
		vx::encode_vector(x, dim, out);
	}

	float
	vx_l2_squared(const float *a, const float *b, int n) noexcept
	{
		return vx::kernels().l2sq(a, b, static_cast<size_t>(n));
	}

	float
	vx_inner_product(const float *a, const float *b, int n) noexcept
	{
		return vx::kernels().dot(a, b, static_cast<size_t>(n));
	}

	float
	vx_l1(const float *a, const float *b, int n) noexcept
	{
		return vx::kernels().l1(a, b, static_cast<size_t>(n));
	}

	double
	vx_cosine_distance(const float *a, const float *b, int n) noexcept
	{
		return vx::cosine_distance_from_parts(
		    vx::kernels().cosine_parts(a, b, static_cast<size_t>(n)));
	}

	float
	vx_norm_squared(const float *a, int n) noexcept
	{
		return vx::kernels().norm_sq(a, static_cast<size_t>(n));
	}

	const char *
	vx_kernel_level(void) noexcept
	{
		return vx::kernels().name;
	}

} /* extern "C" */
