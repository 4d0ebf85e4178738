/*
 * vx_core.h: the C API of the vector_ext core.
 *
 * Plain C: POD structs, status codes, opaque handles.  Every function is
 * noexcept; failures come back as a status plus a message written into a
 * caller-owned VxError.  Nothing here allocates with palloc or calls
 * PostgreSQL; the glue (src/pg) turns statuses into ereport().
 */
#ifndef VX_CORE_H
#define VX_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define VX_NOEXCEPT noexcept
extern "C"
{
#else
#define VX_NOEXCEPT
#endif

#define VX_VECTOR_MAX_DIM 16000

	typedef enum VxStatus
	{
		VX_OK = 0,
		VX_ERR_SYNTAX,
		VX_ERR_OUT_OF_RANGE,
		VX_ERR_NAN,
		VX_ERR_INF,
		VX_ERR_EMPTY,
		VX_ERR_TOO_MANY_DIMS,
		VX_ERR_BAD_UNUSED,
		VX_ERR_SHORT_MESSAGE,
		VX_ERR_BAD_DIMS,
		VX_ERR_DIMS_MISMATCH,
		VX_ERR_OVERFLOW,
		VX_ERR_UNDERFLOW,
		VX_ERR_NO_MEMORY,
		VX_ERR_INVALID_PARAM,
		VX_ERR_INTERNAL,
		VX_ERR_CALLBACK, /* a glue callback failed; the glue holds the real error */
		VX_ERR_CORRUPTED
	} VxStatus;

	typedef struct VxError
	{
		VxStatus status;
		int detail; /* a number for the message: a dimension, a byte offset */
		char message[256];
	} VxError;

	/* ---- text form ---------------------------------------------------------- */

	/* Upper bound on elements in a text literal of len bytes. */
	size_t vx_vector_text_max_elements(size_t len) VX_NOEXCEPT;

	/*
	 * Parse "[1,2,3]" (len bytes, not necessarily NUL-terminated) into
	 * out[0..capacity).  On success *dim is set.  Never writes into text.
	 */
	VxStatus vx_vector_parse(const char *text, size_t len, float *out, int capacity, int *dim,
	                         VxError *err) VX_NOEXCEPT;

	/* Bytes needed by vx_vector_format for dim elements, NUL included. */
	size_t vx_vector_format_capacity(int dim) VX_NOEXCEPT;

	/* Print "[...]" with shortest round-trip floats; returns the length. */
	size_t vx_vector_format(const float *x, int dim, char *out) VX_NOEXCEPT;

	/* ---- binary form (pgvector's: int16 dim, int16 unused, float4 x dim, big-endian) */

	VxStatus vx_vector_binary_header(const uint8_t *buf, size_t len, int *dim, int *unused,
	                                 VxError *err) VX_NOEXCEPT;
	VxStatus vx_vector_binary_elements(const uint8_t *buf, size_t len, int dim, float *out,
	                                   VxError *err) VX_NOEXCEPT;
	size_t vx_vector_binary_size(int dim) VX_NOEXCEPT;
	void vx_vector_binary_encode(const float *x, int dim, uint8_t *out) VX_NOEXCEPT;

	/* ---- distance kernels (cannot fail) ------------------------------------ */

	float vx_l2_squared(const float *a, const float *b, int n) VX_NOEXCEPT;
	float vx_inner_product(const float *a, const float *b, int n) VX_NOEXCEPT;
	float vx_l1(const float *a, const float *b, int n) VX_NOEXCEPT;
	double vx_cosine_distance(const float *a, const float *b, int n) VX_NOEXCEPT;
	float vx_norm_squared(const float *a, int n) VX_NOEXCEPT;
	/* Name of the kernel level in use: "avx512", "avx2" or "baseline". */
	const char *vx_kernel_level(void) VX_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* VX_CORE_H */
