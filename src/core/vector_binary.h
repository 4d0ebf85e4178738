/*
 * vector_binary.h: pgvector's binary wire format for vector:
 *   int16 dim, int16 unused (0), dim x float4, all in network byte order.
 */
#pragma once

#include "no_postgres.h"
#include "errors.h"

#include <cstddef>
#include <cstdint>

namespace vx
{

constexpr size_t kVectorBinaryHeader = 4;

struct BinaryHeader
{
	Errc err = Errc::ok;
	int dim = 0;
	int unused = 0;
};

/*
 * Read and check the header.  Order of checks follows pgvector: dimension
 * limits first, then the unused field, then the payload length.  A caller
 * that must check a typmod does so between the header and the payload.
 */
BinaryHeader decode_vector_header(const uint8_t *buf, size_t len, int max_dim);

/* Decode dim elements following the header; rejects NaN and infinities. */
Errc decode_vector_elements(const uint8_t *buf, size_t len, int dim, float *out);

/* Bytes needed for the binary form of a vector of dim elements. */
constexpr size_t
vector_binary_size(int dim)
{
	return kVectorBinaryHeader + static_cast<size_t>(dim) * 4;
}

void encode_vector(const float *x, int dim, uint8_t *out);

} // namespace vx
