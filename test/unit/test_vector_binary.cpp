// Unit tests of the binary wire form: int16 dim, int16 unused, dim x float4,
// all big-endian.
#include "vector_binary.h"
#include "vector_text.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace
{

std::vector<uint8_t>
header(uint16_t dim, uint16_t unused)
{
	return {static_cast<uint8_t>(dim >> 8), static_cast<uint8_t>(dim),
	        static_cast<uint8_t>(unused >> 8), static_cast<uint8_t>(unused)};
}

void
append_be32(std::vector<uint8_t> &buf, uint32_t bits)
{
	buf.push_back(static_cast<uint8_t>(bits >> 24));
	buf.push_back(static_cast<uint8_t>(bits >> 16));
	buf.push_back(static_cast<uint8_t>(bits >> 8));
	buf.push_back(static_cast<uint8_t>(bits));
}

void
append_float(std::vector<uint8_t> &buf, float v)
{
	uint32_t bits;
	std::memcpy(&bits, &v, sizeof(bits));
	append_be32(buf, bits);
}

/* A message of the given floats, built by hand (not by encode_vector). */
std::vector<uint8_t>
message(const std::vector<float> &x)
{
	std::vector<uint8_t> buf = header(static_cast<uint16_t>(x.size()), 0);
	for (float v : x)
		append_float(buf, v);
	return buf;
}

vx::BinaryHeader
decode_header(const std::vector<uint8_t> &buf, int max_dim = vx::kVectorMaxDim)
{
	return vx::decode_vector_header(buf.data(), buf.size(), max_dim);
}

uint32_t
bits_of(float v)
{
	uint32_t b;
	std::memcpy(&b, &v, sizeof(b));
	return b;
}

float
float_of(uint32_t b)
{
	float v;
	std::memcpy(&v, &b, sizeof(v));
	return v;
}

} // namespace

TEST(VectorBinary, ShortHeader)
{
	std::vector<uint8_t> buf = header(3, 0);
	for (size_t len = 0; len < vx::kVectorBinaryHeader; len++)
		EXPECT_EQ(vx::decode_vector_header(buf.data(), len, vx::kVectorMaxDim).err,
		          vx::Errc::short_message)
		    << len;
	EXPECT_EQ(vx::decode_vector_header(nullptr, 0, vx::kVectorMaxDim).err, vx::Errc::short_message);
}

TEST(VectorBinary, ZeroDimensions)
{
	vx::BinaryHeader h = decode_header(header(0, 0));
	EXPECT_EQ(h.err, vx::Errc::empty);
	EXPECT_EQ(h.dim, 0);
	/* the dimension is checked before the unused field, as pgvector does */
	EXPECT_EQ(decode_header(header(0, 7)).err, vx::Errc::empty);
}

TEST(VectorBinary, DimensionLimits)
{
	vx::BinaryHeader h = decode_header(header(16000, 0));
	EXPECT_EQ(h.err, vx::Errc::ok);
	EXPECT_EQ(h.dim, 16000);

	h = decode_header(header(16001, 0));
	EXPECT_EQ(h.err, vx::Errc::too_many_dims);
	EXPECT_EQ(h.dim, 16001);
	EXPECT_EQ(decode_header(header(16001, 1)).err, vx::Errc::too_many_dims);
	EXPECT_EQ(decode_header(header(0x7FFF, 0)).err, vx::Errc::too_many_dims);

	/* the caller's maximum is the limit */
	EXPECT_EQ(decode_header(header(4, 0), 4).err, vx::Errc::ok);
	EXPECT_EQ(decode_header(header(5, 0), 4).err, vx::Errc::too_many_dims);
}

TEST(VectorBinary, AllOnesDimensionIsRejected)
{
	/*
	 * 0xFFFF can never be a valid dimension.  (pgvector stores the field in an
	 * int16 and so sees -1, "at least 1 dimension"; the core reads it
	 * unsigned: either way it must be a dimension error, never reaching the
	 * unused check or the payload.)
	 */
	vx::BinaryHeader h = decode_header(header(0xFFFF, 0));
	EXPECT_NE(h.err, vx::Errc::ok);
	EXPECT_TRUE(h.err == vx::Errc::empty || h.err == vx::Errc::too_many_dims)
	    << static_cast<int>(h.err);
	h = decode_header(header(0x8000, 0xFFFF));
	EXPECT_TRUE(h.err == vx::Errc::empty || h.err == vx::Errc::too_many_dims)
	    << static_cast<int>(h.err);
}

TEST(VectorBinary, UnusedMustBeZero)
{
	vx::BinaryHeader h = decode_header(header(3, 1));
	EXPECT_EQ(h.err, vx::Errc::bad_unused);
	EXPECT_EQ(h.dim, 3);
	EXPECT_EQ(h.unused, 1);

	h = decode_header(header(1, 0x0100));
	EXPECT_EQ(h.err, vx::Errc::bad_unused);
	EXPECT_EQ(h.unused, 256);

	h = decode_header(header(2, 0));
	EXPECT_EQ(h.err, vx::Errc::ok);
	EXPECT_EQ(h.unused, 0);
}

TEST(VectorBinary, HeaderDoesNotNeedThePayload)
{
	/* the payload is checked by decode_vector_elements, after any typmod check */
	vx::BinaryHeader h = decode_header(header(100, 0));
	EXPECT_EQ(h.err, vx::Errc::ok);
	EXPECT_EQ(h.dim, 100);
}

TEST(VectorBinary, ShortPayload)
{
	std::vector<uint8_t> buf = message({1.0f, 2.0f, 3.0f});
	std::vector<float> out(3);
	ASSERT_EQ(buf.size(), vx::vector_binary_size(3));
	for (size_t len = 0; len < buf.size(); len++)
		EXPECT_EQ(vx::decode_vector_elements(buf.data(), len, 3, out.data()),
		          vx::Errc::short_message)
		    << len;
	EXPECT_EQ(vx::decode_vector_elements(buf.data(), buf.size(), 3, out.data()), vx::Errc::ok);

	/* a payload short by one element, even with NaN inside, is short first */
	std::vector<uint8_t> nan_buf = header(3, 0);
	append_float(nan_buf, std::numeric_limits<float>::quiet_NaN());
	append_float(nan_buf, 1.0f);
	EXPECT_EQ(vx::decode_vector_elements(nan_buf.data(), nan_buf.size(), 3, out.data()),
	          vx::Errc::short_message);
}

TEST(VectorBinary, TrailingBytesAreLeftToTheCaller)
{
	std::vector<uint8_t> buf = message({1.5f, -2.0f});
	buf.push_back(0xAB);
	std::vector<float> out(2);
	EXPECT_EQ(vx::decode_vector_elements(buf.data(), buf.size(), 2, out.data()), vx::Errc::ok);
	EXPECT_EQ(out, (std::vector<float>{1.5f, -2.0f}));
}

TEST(VectorBinary, RejectsNaN)
{
	for (uint32_t nan_bits : {0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0x7FFFFFFFu, 0xFFFFFFFFu})
	{
		for (size_t pos : {0, 1, 4})
		{
			std::vector<uint8_t> buf = header(5, 0);
			for (size_t i = 0; i < 5; i++)
				append_be32(buf, i == pos ? nan_bits : bits_of(1.0f));
			std::vector<float> out(5);
			EXPECT_EQ(vx::decode_vector_elements(buf.data(), buf.size(), 5, out.data()),
			          vx::Errc::nan_value)
			    << std::hex << nan_bits << " at " << pos;
		}
	}
}

TEST(VectorBinary, RejectsInfinities)
{
	for (float inf :
	     {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()})
	{
		for (size_t pos : {0, 2})
		{
			std::vector<float> x = {1.0f, 2.0f, 3.0f};
			x[pos] = inf;
			std::vector<uint8_t> buf = message(x);
			std::vector<float> out(3);
			EXPECT_EQ(vx::decode_vector_elements(buf.data(), buf.size(), 3, out.data()),
			          vx::Errc::inf_value)
			    << inf << " at " << pos;
		}
	}
}

TEST(VectorBinary, BigEndianLayoutByteByByte)
{
	const float x[] = {1.0f, -2.0f, 0.5f, -0.0f, std::numeric_limits<float>::denorm_min()};
	std::vector<uint8_t> out(vx::vector_binary_size(5));
	ASSERT_EQ(out.size(), 24u);
	vx::encode_vector(x, 5, out.data());
	const std::vector<uint8_t> expected = {
	    0x00, 0x05, 0x00, 0x00, /* dim 5, unused 0 */
	    0x3F, 0x80, 0x00, 0x00, /* 1.0 */
	    0xC0, 0x00, 0x00, 0x00, /* -2.0 */
	    0x3F, 0x00, 0x00, 0x00, /* 0.5 */
	    0x80, 0x00, 0x00, 0x00, /* -0.0 */
	    0x00, 0x00, 0x00, 0x01, /* smallest subnormal */
	};
	EXPECT_EQ(out, expected);

	/* and the hand-written bytes decode to the same floats */
	vx::BinaryHeader h = decode_header(expected);
	ASSERT_EQ(h.err, vx::Errc::ok);
	ASSERT_EQ(h.dim, 5);
	float back[5];
	ASSERT_EQ(vx::decode_vector_elements(expected.data(), expected.size(), 5, back), vx::Errc::ok);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(bits_of(back[i]), bits_of(x[i])) << i;
}

TEST(VectorBinary, HeaderOfTheLargestVector)
{
	std::vector<float> x(vx::kVectorMaxDim, 0.25f);
	std::vector<uint8_t> out(vx::vector_binary_size(vx::kVectorMaxDim));
	EXPECT_EQ(out.size(), 64004u);
	vx::encode_vector(x.data(), vx::kVectorMaxDim, out.data());
	EXPECT_EQ(out[0], 0x3E); /* 16000 = 0x3E80 */
	EXPECT_EQ(out[1], 0x80);
	EXPECT_EQ(out[2], 0x00);
	EXPECT_EQ(out[3], 0x00);
	EXPECT_EQ(out[out.size() - 4], 0x3E); /* 0.25 = 0x3E800000 */
	EXPECT_EQ(out[out.size() - 3], 0x80);
	EXPECT_EQ(out[out.size() - 1], 0x00);
}

TEST(VectorBinary, RoundTripIsBitExact)
{
	std::vector<float> special = {
	    0.0f,
	    -0.0f,
	    1.0f,
	    -1.0f,
	    FLT_MAX,
	    -FLT_MAX,
	    FLT_MIN,
	    -FLT_MIN,
	    std::numeric_limits<float>::denorm_min(),
	    -std::numeric_limits<float>::denorm_min(),
	    float_of(0x007FFFFFu), /* largest subnormal */
	    float_of(0x807FFFFFu),
	    float_of(0x00012345u),
	    std::nextafter(1.0f, 2.0f),
	    1e-30f,
	    3.14159265f,
	    -123456.789f,
	};
	/* plus random finite bit patterns, and then the largest dimension */
	std::mt19937 rng(31337);
	std::uniform_int_distribution<uint32_t> any_bits;
	while (special.size() < 1000)
	{
		float v = float_of(any_bits(rng));
		if (std::isfinite(v))
			special.push_back(v);
	}
	std::vector<float> largest(vx::kVectorMaxDim);
	for (float &v : largest)
	{
		do
			v = float_of(any_bits(rng));
		while (!std::isfinite(v));
	}

	for (const std::vector<float> *x : {&special, &largest})
	{
		int dim = static_cast<int>(x->size());
		/* decode from an odd address: the wire data has no alignment */
		std::vector<uint8_t> buf(vx::vector_binary_size(dim) + 1);
		uint8_t *wire = buf.data() + 1;
		vx::encode_vector(x->data(), dim, wire);

		vx::BinaryHeader h = vx::decode_vector_header(wire, buf.size() - 1, vx::kVectorMaxDim);
		ASSERT_EQ(h.err, vx::Errc::ok);
		ASSERT_EQ(h.dim, dim);
		EXPECT_EQ(h.unused, 0);

		std::vector<float> back(dim + 1, 42.0f);
		ASSERT_EQ(vx::decode_vector_elements(wire, buf.size() - 1, dim, back.data()), vx::Errc::ok);
		EXPECT_EQ(back[dim], 42.0f) << "wrote past dim elements";
		for (int i = 0; i < dim; i++)
			ASSERT_EQ(bits_of(back[i]), bits_of((*x)[i])) << "element " << i;
	}
}
