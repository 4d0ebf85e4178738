/*
 * fuzz_binary.cpp: libFuzzer target over the core's binary codec (the
 * vector_recv / vector_send wire format: int16 dim, int16 unused, dim x
 * float4, big-endian).
 *
 * Properties checked on every input (a violation aborts):
 *   - header and element decoding read only the len bytes given (exact heap
 *     copy) and never write them; elements go into exactly dim floats;
 *   - the verdict matches an independent reading of the bytes: short
 *     message, dimension limits, then the unused field, then the payload
 *     length, then the first NaN or infinity;
 *   - an accepted message re-encodes to the same bytes (trailing bytes
 *     aside), and its floats survive format -> parse bit for bit;
 *   - arbitrary finite floats taken from the input survive encode -> decode.
 */
#define VX_FUZZ_TARGET "fuzz_binary"
#include "fuzz_check.h"
#include "vector_binary.h"
#include "vector_text.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace
{

int
be_int16(const uint8_t *p)
{
	return static_cast<int16_t>(static_cast<uint16_t>((p[0] << 8) | p[1]));
}

float
be_float(const uint8_t *p)
{
	uint32_t bits = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
	float v;
	std::memcpy(&v, &bits, sizeof(v));
	return v;
}

bool
same_bits(float a, float b)
{
	return std::memcmp(&a, &b, sizeof(a)) == 0;
}

void
check_text_round_trip(const float *x, int dim)
{
	const size_t cap = vx::format_capacity(dim);
	std::unique_ptr<char[]> buf(new char[cap]);
	const size_t n = vx::format_vector(x, dim, buf.get());
	CHECK(n < cap);
	const size_t rcap = std::min<size_t>(vx::max_elements_bound(n), vx::kVectorMaxDim);
	std::unique_ptr<float[]> back(new float[rcap]);
	vx::ParseResult r =
	    vx::parse_vector(buf.get(), n, back.get(), static_cast<int>(rcap), vx::kVectorMaxDim);
	CHECK(r.err == vx::Errc::ok && r.dim == dim);
	for (int i = 0; i < dim; i++)
		CHECK(same_bits(back[i], x[i]));
}

/* Decode a whole message the way vector_recv does; returns the verdict. */
vx::Errc
decode(const uint8_t *buf, size_t len, std::vector<float> &values)
{
	vx::BinaryHeader h = vx::decode_vector_header(buf, len, vx::kVectorMaxDim);
	if (h.err != vx::Errc::ok)
		return h.err;
	std::unique_ptr<float[]> out(new float[h.dim]); /* exactly dim */
	vx::Errc e = vx::decode_vector_elements(buf, len, h.dim, out.get());
	if (e == vx::Errc::ok)
		values.assign(out.get(), out.get() + h.dim);
	return e;
}

/* What the verdict must be, read independently of the codec. */
vx::Errc
expected(const uint8_t *buf, size_t len)
{
	if (len < 4)
		return vx::Errc::short_message;
	const int dim = be_int16(buf);
	const int unused = be_int16(buf + 2);
	if (dim < 1)
		return vx::Errc::empty;
	if (dim > vx::kVectorMaxDim)
		return vx::Errc::too_many_dims;
	if (unused != 0)
		return vx::Errc::bad_unused;
	if (len < 4 + 4 * static_cast<size_t>(dim))
		return vx::Errc::short_message;
	for (int i = 0; i < dim; i++)
	{
		const float v = be_float(buf + 4 + 4 * i);
		if (std::isnan(v))
			return vx::Errc::nan_value;
		if (std::isinf(v))
			return vx::Errc::inf_value;
	}
	return vx::Errc::ok;
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::unique_ptr<uint8_t[]> buf(new uint8_t[size]);
	std::memcpy(buf.get(), data, size);

	/* the header alone, with the fields it reports */
	vx::BinaryHeader h = vx::decode_vector_header(buf.get(), size, vx::kVectorMaxDim);
	if (size >= 4)
	{
		CHECK(h.dim == be_int16(data));
		CHECK(h.err != vx::Errc::bad_unused || h.unused == be_int16(data + 2));
	}

	std::vector<float> values;
	const vx::Errc got = decode(buf.get(), size, values);
	CHECK(std::memcmp(buf.get(), data, size) == 0);
	CHECK(got == expected(data, size));

	if (got == vx::Errc::ok)
	{
		const int dim = static_cast<int>(values.size());
		CHECK(dim >= 1 && dim <= vx::kVectorMaxDim);
		const size_t n = vx::vector_binary_size(dim);
		CHECK(n <= size);
		std::unique_ptr<uint8_t[]> enc(new uint8_t[n]);
		vx::encode_vector(values.data(), dim, enc.get());
		CHECK(std::memcmp(enc.get(), data, n) == 0);
		check_text_round_trip(values.data(), dim);
	}

	/*
	 * The input as raw float bits (non-finite ones made finite), at most the
	 * type's limit: encode -> decode is the identity.
	 */
	const size_t count = std::min<size_t>(size / 4, vx::kVectorMaxDim);
	if (count > 0)
	{
		std::vector<float> x(count);
		std::memcpy(x.data(), data, count * 4);
		for (float &v : x)
			if (!std::isfinite(v))
				v = std::copysign(3.0e38f, v);
		const int dim = static_cast<int>(count);
		const size_t n = vx::vector_binary_size(dim);
		std::unique_ptr<uint8_t[]> enc(new uint8_t[n]);
		vx::encode_vector(x.data(), dim, enc.get());
		std::vector<float> back;
		CHECK(decode(enc.get(), n, back) == vx::Errc::ok);
		CHECK(back.size() == count);
		for (size_t i = 0; i < count; i++)
			CHECK(same_bits(back[i], x[i]));
	}
	return 0;
}
