// Unit tests of the text form: parsing, printing, exact round trip.
#include "vector_text.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace
{

struct Parsed
{
	vx::Errc err;
	std::vector<float> values;
};

Parsed
parse(const std::string &s)
{
	std::vector<float> buf(vx::max_elements_bound(s.size()) + 1);
	vx::ParseResult r = vx::parse_vector(s.data(), s.size(), buf.data(),
	                                     static_cast<int>(buf.size()), vx::kVectorMaxDim);
	buf.resize(r.err == vx::Errc::ok ? r.dim : 0);
	return {r.err, buf};
}

std::string
format(const std::vector<float> &v)
{
	std::string out(vx::format_capacity(static_cast<int>(v.size())), '\0');
	out.resize(vx::format_vector(v.data(), static_cast<int>(v.size()), out.data()));
	return out;
}

} // namespace

TEST(VectorText, ParsesPlainAndSpacedLiterals)
{
	EXPECT_EQ(parse("[1,2,3]").values, (std::vector<float>{1, 2, 3}));
	EXPECT_EQ(parse("  [ 1 , -2.5 ,3e2 ]  ").values, (std::vector<float>{1, -2.5f, 300}));
	EXPECT_EQ(parse("[+4]").values, (std::vector<float>{4}));
}

TEST(VectorText, RejectsMalformedLiterals)
{
	for (const char *bad : {"", "[", "[1,]", "[1,,3]", "1,2,3", "[1,2]x", "[1 2]", "[a]", "[1]]",
	                        "[--1]", "[1e]", "{1}", "[1,2", "[\xc3\xa9]"})
		EXPECT_EQ(parse(bad).err, vx::Errc::syntax) << bad;
}

TEST(VectorText, ReportsSpecificErrors)
{
	EXPECT_EQ(parse("[]").err, vx::Errc::empty);
	EXPECT_EQ(parse("[ ]").err, vx::Errc::empty);
	EXPECT_EQ(parse("[nan]").err, vx::Errc::nan_value);
	EXPECT_EQ(parse("[inf]").err, vx::Errc::inf_value);
	EXPECT_EQ(parse("[-Infinity]").err, vx::Errc::inf_value);
	EXPECT_EQ(parse("[1e39]").err, vx::Errc::out_of_range);
	EXPECT_EQ(parse("[-1e999]").err, vx::Errc::out_of_range);
	EXPECT_EQ(parse("[" + std::string(400, '9') + "]").err, vx::Errc::out_of_range);
}

TEST(VectorText, UnderflowBecomesZeroOrSubnormalLikeStrtof)
{
	EXPECT_EQ(parse("[1e-50]").values, (std::vector<float>{0.0f}));
	EXPECT_EQ(parse("[1e-999]").values, (std::vector<float>{0.0f}));
	EXPECT_EQ(parse("[0." + std::string(400, '0') + "1]").values, (std::vector<float>{0.0f}));
	EXPECT_EQ(parse("[1e-45]").values[0], std::numeric_limits<float>::denorm_min());
}

TEST(VectorText, DimensionLimit)
{
	std::string s = "[";
	for (int i = 0; i < vx::kVectorMaxDim; i++)
		s += i ? ",1" : "1";
	EXPECT_EQ(parse(s + "]").values.size(), static_cast<size_t>(vx::kVectorMaxDim));
	EXPECT_EQ(parse(s + ",1]").err, vx::Errc::too_many_dims);
}

TEST(VectorText, NeverReadsPastLengthOrWritesInput)
{
	/* a literal followed by bytes that must not be read */
	const char buf[] = "[1,2]JUNK";
	char copy[sizeof(buf)];
	std::memcpy(copy, buf, sizeof(buf));
	float out[4];
	vx::ParseResult r = vx::parse_vector(copy, 5, out, 4, vx::kVectorMaxDim);
	EXPECT_EQ(r.err, vx::Errc::ok);
	EXPECT_EQ(r.dim, 2);
	EXPECT_EQ(std::memcmp(copy, buf, sizeof(buf)), 0);
	/* a number cut by the length is not extended by what follows */
	const char cut[] = "[12]";
	r = vx::parse_vector(cut, 2, out, 4, vx::kVectorMaxDim);
	EXPECT_EQ(r.err, vx::Errc::syntax);
}

TEST(VectorText, FormatsLikeFloat4out)
{
	EXPECT_EQ(format({1, -2, 3.5f}), "[1,-2,3.5]");
	EXPECT_EQ(format({0.0001f, 0.00001f, 123456, 1234567}), "[0.0001,1e-05,123456,1.234567e+06]");
	EXPECT_EQ(format({-0.0f, 0.0f}), "[-0,0]");
	EXPECT_EQ(format({FLT_MAX, -FLT_MAX, FLT_MIN}), "[3.4028235e+38,-3.4028235e+38,1.1754944e-38]");
	EXPECT_EQ(format({std::numeric_limits<float>::denorm_min()}), "[1e-45]");
	EXPECT_EQ(format({0.1f, 100000, 1e6f}), "[0.1,100000,1e+06]");
}

TEST(VectorText, RoundTripIsBitExact)
{
	std::mt19937 rng(42);
	std::vector<float> v;
	for (int i = 0; i < 100000; i++)
	{
		uint32_t bits = static_cast<uint32_t>(rng());
		float f;
		std::memcpy(&f, &bits, sizeof(f));
		if (std::isfinite(f))
			v.push_back(f);
	}
	for (float f : {FLT_MAX, -FLT_MAX, FLT_MIN, -FLT_MIN, -0.0f, 0.0f,
	                std::numeric_limits<float>::denorm_min(), 1e-40f})
		v.push_back(f);
	for (size_t start = 0; start < v.size(); start += 1000)
	{
		std::vector<float> chunk(v.begin() + start, v.begin() + std::min(v.size(), start + 1000));
		Parsed p = parse(format(chunk));
		ASSERT_EQ(p.err, vx::Errc::ok);
		ASSERT_EQ(p.values.size(), chunk.size());
		ASSERT_EQ(std::memcmp(p.values.data(), chunk.data(), chunk.size() * sizeof(float)), 0);
	}
}

TEST(VectorText, NeverPrintsADecimalOnARoundingBoundary)
{
	/* 42784712 lies between 42784708 and 42784716: 4.278471e+07 is exactly halfway */
	EXPECT_EQ(format({42784712.0f}), "[4.2784712e+07]");
}
