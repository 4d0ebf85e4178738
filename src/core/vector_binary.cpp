/*
 * vector_binary.cpp: decoding and encoding the binary wire format.
 */
#include "vector_binary.h"

#include <cmath>
#include <cstring>

namespace vx
{

namespace
{

uint16_t
load_be16(const uint8_t *p)
{
	return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

uint32_t
load_be32(const uint8_t *p)
{
	return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
	       (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

void
store_be16(uint8_t *p, uint16_t v)
{
	p[0] = static_cast<uint8_t>(v >> 8);
	p[1] = static_cast<uint8_t>(v);
}

void
store_be32(uint8_t *p, uint32_t v)
{
	p[0] = static_cast<uint8_t>(v >> 24);
	p[1] = static_cast<uint8_t>(v >> 16);
	p[2] = static_cast<uint8_t>(v >> 8);
	p[3] = static_cast<uint8_t>(v);
}

} // namespace

BinaryHeader
decode_vector_header(const uint8_t *buf, size_t len, int max_dim)
{
	BinaryHeader h;
	if (len < kVectorBinaryHeader)
	{
		h.err = Errc::short_message;
		return h;
	}
	/* both fields are int16 on the wire: 0xFFFF is -1 */
	h.dim = static_cast<int16_t>(load_be16(buf));
	h.unused = static_cast<int16_t>(load_be16(buf + 2));
	if (h.dim < 1)
		h.err = Errc::empty;
	else if (h.dim > max_dim)
		h.err = Errc::too_many_dims;
	else if (h.unused != 0)
		h.err = Errc::bad_unused;
	return h;
}

Errc
decode_vector_elements(const uint8_t *buf, size_t len, int dim, float *out)
{
	if (len < vector_binary_size(dim))
		return Errc::short_message;
	const uint8_t *p = buf + kVectorBinaryHeader;
	for (int i = 0; i < dim; i++, p += 4)
	{
		uint32_t bits = load_be32(p);
		float v;
		std::memcpy(&v, &bits, sizeof(v));
		if (std::isnan(v))
			return Errc::nan_value;
		if (std::isinf(v))
			return Errc::inf_value;
		out[i] = v;
	}
	return Errc::ok;
}

void
encode_vector(const float *x, int dim, uint8_t *out)
{
	store_be16(out, static_cast<uint16_t>(dim));
	store_be16(out + 2, 0);
	uint8_t *p = out + kVectorBinaryHeader;
	for (int i = 0; i < dim; i++, p += 4)
	{
		uint32_t bits;
		std::memcpy(&bits, &x[i], sizeof(bits));
		store_be32(p, bits);
	}
}

} // namespace vx
