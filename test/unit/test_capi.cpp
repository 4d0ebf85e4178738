// Unit tests of the C API (vx_core.h): status mapping, text and binary forms
// through the C entry points, kernel dispatch, and the exception firewall.
#include "vx_core.h"
#include "vx_guard.hpp"

#include "kernels.h"
#include "vector_binary.h"
#include "vector_text.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace
{

/* Every C entry point is noexcept: nothing can unwind into C frames. */
static_assert(noexcept(vx_vector_text_max_elements(0)));
static_assert(noexcept(vx_vector_parse(nullptr, 0, nullptr, 0, nullptr, nullptr)));
static_assert(noexcept(vx_vector_format_capacity(0)));
static_assert(noexcept(vx_vector_format(nullptr, 0, nullptr)));
static_assert(noexcept(vx_vector_binary_header(nullptr, 0, nullptr, nullptr, nullptr)));
static_assert(noexcept(vx_vector_binary_elements(nullptr, 0, 0, nullptr, nullptr)));
static_assert(noexcept(vx_vector_binary_size(0)));
static_assert(noexcept(vx_vector_binary_encode(nullptr, 0, nullptr)));
static_assert(noexcept(vx_l2_squared(nullptr, nullptr, 0)));
static_assert(noexcept(vx_inner_product(nullptr, nullptr, 0)));
static_assert(noexcept(vx_l1(nullptr, nullptr, 0)));
static_assert(noexcept(vx_cosine_distance(nullptr, nullptr, 0)));
static_assert(noexcept(vx_norm_squared(nullptr, 0)));
static_assert(noexcept(vx_kernel_level()));
static_assert(noexcept(vx_capi::guard(nullptr, []() -> VxStatus { throw 1; })));

constexpr int kSentinelDim = -12345;

VxError
fresh_error()
{
	VxError err;
	err.status = VX_OK;
	err.detail = -1;
	std::memset(err.message, 'x', sizeof(err.message));
	err.message[sizeof(err.message) - 1] = '\0';
	return err;
}

struct ParseOutcome
{
	VxStatus status;
	VxError err;
	int dim;
	std::vector<float> values;
};

ParseOutcome
parse(const std::string &text)
{
	ParseOutcome o;
	o.err = fresh_error();
	o.dim = kSentinelDim;
	size_t capacity =
	    std::min(vx_vector_text_max_elements(text.size()), static_cast<size_t>(VX_VECTOR_MAX_DIM));
	o.values.assign(capacity, 0.0f);
	o.status = vx_vector_parse(text.data(), text.size(), o.values.data(),
	                           static_cast<int>(capacity), &o.dim, &o.err);
	o.values.resize(o.status == VX_OK ? static_cast<size_t>(o.dim) : 0);
	return o;
}

std::string
format(const std::vector<float> &x)
{
	int dim = static_cast<int>(x.size());
	std::string out(vx_vector_format_capacity(dim), '\0');
	size_t len = vx_vector_format(x.data(), dim, out.data());
	EXPECT_LT(len, out.size()) << "no room left for the NUL";
	EXPECT_EQ(out[len], '\0');
	EXPECT_EQ(std::strlen(out.c_str()), len);
	out.resize(len);
	return out;
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

std::vector<uint8_t>
wire(uint16_t dim, uint16_t unused, const std::vector<uint32_t> &elements)
{
	std::vector<uint8_t> buf = {static_cast<uint8_t>(dim >> 8), static_cast<uint8_t>(dim),
	                            static_cast<uint8_t>(unused >> 8), static_cast<uint8_t>(unused)};
	for (uint32_t e : elements)
		for (int shift = 24; shift >= 0; shift -= 8)
			buf.push_back(static_cast<uint8_t>(e >> shift));
	return buf;
}

} // namespace

/* ---- status mapping ------------------------------------------------------ */

TEST(CApiStatus, EveryCoreErrorHasItsOwnStatus)
{
	const std::pair<vx::Errc, VxStatus> table[] = {
	    {vx::Errc::ok, VX_OK},
	    {vx::Errc::syntax, VX_ERR_SYNTAX},
	    {vx::Errc::out_of_range, VX_ERR_OUT_OF_RANGE},
	    {vx::Errc::nan_value, VX_ERR_NAN},
	    {vx::Errc::inf_value, VX_ERR_INF},
	    {vx::Errc::empty, VX_ERR_EMPTY},
	    {vx::Errc::too_many_dims, VX_ERR_TOO_MANY_DIMS},
	    {vx::Errc::bad_unused, VX_ERR_BAD_UNUSED},
	    {vx::Errc::short_message, VX_ERR_SHORT_MESSAGE},
	    {vx::Errc::bad_dims, VX_ERR_BAD_DIMS},
	    {vx::Errc::dims_mismatch, VX_ERR_DIMS_MISMATCH},
	    {vx::Errc::overflow, VX_ERR_OVERFLOW},
	    {vx::Errc::underflow, VX_ERR_UNDERFLOW},
	    {vx::Errc::no_memory, VX_ERR_NO_MEMORY},
	    {vx::Errc::invalid_param, VX_ERR_INVALID_PARAM},
	    {vx::Errc::internal, VX_ERR_INTERNAL},
	    {vx::Errc::callback_failed, VX_ERR_CALLBACK},
	    {vx::Errc::corrupted, VX_ERR_CORRUPTED},
	};
	std::set<VxStatus> seen;
	for (auto [errc, status] : table)
	{
		EXPECT_EQ(vx_capi::to_status(errc), status) << static_cast<int>(errc);
		seen.insert(vx_capi::to_status(errc));
	}
	EXPECT_EQ(seen.size(), std::size(table));
	/* a value outside the enumeration is an internal error, never success */
	EXPECT_EQ(vx_capi::to_status(static_cast<vx::Errc>(9999)), VX_ERR_INTERNAL);
}

/* ---- text form ----------------------------------------------------------- */

TEST(CApiParse, Success)
{
	ParseOutcome o = parse(" [1, -2.5,3e2] ");
	ASSERT_EQ(o.status, VX_OK);
	EXPECT_EQ(o.dim, 3);
	EXPECT_EQ(o.values, (std::vector<float>{1.0f, -2.5f, 300.0f}));

	/* the buffer need not be NUL-terminated: only len bytes are read */
	const char text[] = "[4,5]garbage";
	float out[4];
	int dim = kSentinelDim;
	VxError err = fresh_error();
	ASSERT_EQ(vx_vector_parse(text, 5, out, 4, &dim, &err), VX_OK);
	EXPECT_EQ(dim, 2);
	EXPECT_EQ(out[0], 4.0f);
	EXPECT_EQ(out[1], 5.0f);
}

TEST(CApiParse, SyntaxErrorReportsWhere)
{
	ParseOutcome o = parse("[1,,2]");
	EXPECT_EQ(o.status, VX_ERR_SYNTAX);
	EXPECT_EQ(o.err.status, VX_ERR_SYNTAX);
	EXPECT_EQ(o.err.detail, 3);
	EXPECT_EQ(o.dim, kSentinelDim) << "dim must not be set on failure";

	o = parse("[1,2]x");
	EXPECT_EQ(o.status, VX_ERR_SYNTAX);
	EXPECT_EQ(o.err.detail, 5);

	for (const char *bad : {"", "1,2", "[1 2]", "[a]", "[1,2", "{1}"})
	{
		o = parse(bad);
		EXPECT_EQ(o.status, VX_ERR_SYNTAX) << bad;
		EXPECT_EQ(o.err.status, VX_ERR_SYNTAX) << bad;
	}
}

TEST(CApiParse, OutOfRangeReportsTheNumbersOffset)
{
	ParseOutcome o = parse("[1, 1e39]");
	EXPECT_EQ(o.status, VX_ERR_OUT_OF_RANGE);
	EXPECT_EQ(o.err.status, VX_ERR_OUT_OF_RANGE);
	EXPECT_EQ(o.err.detail, 4);
	EXPECT_EQ(std::string("[1, 1e39]").substr(static_cast<size_t>(o.err.detail), 4), "1e39");

	EXPECT_EQ(parse("[-1e999]").status, VX_ERR_OUT_OF_RANGE);
}

TEST(CApiParse, SpecificErrors)
{
	struct Case
	{
		std::string text;
		VxStatus status;
	};
	std::string too_many = "[";
	for (int i = 0; i <= VX_VECTOR_MAX_DIM; i++)
		too_many += i ? ",1" : "1";
	too_many += "]";
	for (const Case &c :
	     {Case{"[nan]", VX_ERR_NAN}, Case{"[1,NaN,2]", VX_ERR_NAN}, Case{"[inf]", VX_ERR_INF},
	      Case{"[1,-Infinity]", VX_ERR_INF}, Case{"[]", VX_ERR_EMPTY}, Case{" [ ] ", VX_ERR_EMPTY},
	      Case{too_many, VX_ERR_TOO_MANY_DIMS}})
	{
		ParseOutcome o = parse(c.text);
		EXPECT_EQ(o.status, c.status) << c.text.substr(0, 40);
		EXPECT_EQ(o.err.status, c.status) << c.text.substr(0, 40);
		EXPECT_EQ(o.err.message[sizeof(o.err.message) - 1], '\0');
		EXPECT_LT(std::strlen(o.err.message), sizeof(o.err.message));
		EXPECT_EQ(o.dim, kSentinelDim);
	}
}

TEST(CApiParse, NeverWritesPastCapacity)
{
	float out[4] = {-1.0f, -1.0f, -1.0f, -1.0f};
	int dim = kSentinelDim;
	VxError err = fresh_error();
	EXPECT_EQ(vx_vector_parse("[1,2,3]", 7, out, 2, &dim, &err), VX_ERR_TOO_MANY_DIMS);
	EXPECT_EQ(out[2], -1.0f);
	EXPECT_EQ(out[3], -1.0f);
	EXPECT_EQ(dim, kSentinelDim);
}

TEST(CApiParse, NullErrorStructIsAllowed)
{
	float out[4];
	int dim = 0;
	EXPECT_EQ(vx_vector_parse("[1,2]", 5, out, 4, &dim, nullptr), VX_OK);
	EXPECT_EQ(dim, 2);
	EXPECT_EQ(vx_vector_parse("[1,", 3, out, 4, &dim, nullptr), VX_ERR_SYNTAX);
}

TEST(CApiText, FormatParseRoundTripIsBitExact)
{
	std::vector<float> x = {0.0f,
	                        -0.0f,
	                        1.0f,
	                        -1.5f,
	                        FLT_MAX,
	                        -FLT_MAX,
	                        FLT_MIN,
	                        std::numeric_limits<float>::denorm_min(),
	                        -std::numeric_limits<float>::denorm_min(),
	                        float_of(0x007FFFFFu),
	                        0.1f,
	                        1e-5f,
	                        123456.0f,
	                        1234567.0f,
	                        3.4e-38f};
	std::mt19937 rng(8);
	std::uniform_int_distribution<uint32_t> any_bits;
	while (x.size() < 3000)
	{
		float v = float_of(any_bits(rng));
		if (std::isfinite(v))
			x.push_back(v);
	}
	std::string text = format(x);
	ParseOutcome o = parse(text);
	ASSERT_EQ(o.status, VX_OK);
	ASSERT_EQ(o.values.size(), x.size());
	for (size_t i = 0; i < x.size(); i++)
		ASSERT_EQ(bits_of(o.values[i]), bits_of(x[i])) << "element " << i;
	/* and text -> floats -> text is stable */
	EXPECT_EQ(format(o.values), text);
}

TEST(CApiText, FormatLayout)
{
	EXPECT_EQ(format({1.0f, -2.5f, 0.0f}), "[1,-2.5,0]");
	EXPECT_EQ(format({-0.0f}), "[-0]");
	EXPECT_EQ(format({1e-5f, 1e6f, 123456.0f}), "[1e-05,1e+06,123456]");

	/* the largest vector of the widest elements fits the advertised capacity */
	std::vector<float> widest(VX_VECTOR_MAX_DIM, -std::numeric_limits<float>::denorm_min());
	std::string text = format(widest);
	EXPECT_LT(text.size(), vx_vector_format_capacity(VX_VECTOR_MAX_DIM));
	EXPECT_EQ(parse(text).status, VX_OK);
}

/* ---- binary form --------------------------------------------------------- */

TEST(CApiBinary, HeaderErrors)
{
	int dim = kSentinelDim, unused = kSentinelDim;
	VxError err = fresh_error();

	std::vector<uint8_t> buf = wire(3, 0, {});
	EXPECT_EQ(vx_vector_binary_header(buf.data(), 3, &dim, &unused, &err), VX_ERR_SHORT_MESSAGE);
	EXPECT_EQ(err.status, VX_ERR_SHORT_MESSAGE);

	buf = wire(0, 0, {});
	EXPECT_EQ(vx_vector_binary_header(buf.data(), buf.size(), &dim, &unused, &err), VX_ERR_EMPTY);
	EXPECT_EQ(err.status, VX_ERR_EMPTY);
	EXPECT_EQ(dim, 0);

	buf = wire(16001, 0, {});
	EXPECT_EQ(vx_vector_binary_header(buf.data(), buf.size(), &dim, &unused, &err),
	          VX_ERR_TOO_MANY_DIMS);
	EXPECT_EQ(err.status, VX_ERR_TOO_MANY_DIMS);
	EXPECT_EQ(dim, 16001);
	EXPECT_EQ(err.detail, 16001);

	buf = wire(3, 5, {});
	EXPECT_EQ(vx_vector_binary_header(buf.data(), buf.size(), &dim, &unused, &err),
	          VX_ERR_BAD_UNUSED);
	EXPECT_EQ(err.status, VX_ERR_BAD_UNUSED);
	EXPECT_EQ(dim, 3); /* the glue checks the typmod before reporting unused */
	EXPECT_EQ(unused, 5);

	buf = wire(2, 0, {});
	EXPECT_EQ(vx_vector_binary_header(buf.data(), buf.size(), &dim, &unused, &err), VX_OK);
	EXPECT_EQ(dim, 2);
	EXPECT_EQ(unused, 0);
}

TEST(CApiBinary, ElementErrors)
{
	float out[3];
	VxError err = fresh_error();
	const uint32_t one = bits_of(1.0f);

	std::vector<uint8_t> buf = wire(3, 0, {one, one, one});
	EXPECT_EQ(vx_vector_binary_elements(buf.data(), buf.size() - 1, 3, out, &err),
	          VX_ERR_SHORT_MESSAGE);
	EXPECT_EQ(err.status, VX_ERR_SHORT_MESSAGE);

	buf = wire(3, 0, {one, 0x7FC00000u, one});
	EXPECT_EQ(vx_vector_binary_elements(buf.data(), buf.size(), 3, out, &err), VX_ERR_NAN);
	EXPECT_EQ(err.status, VX_ERR_NAN);

	buf = wire(3, 0, {one, one, 0x7F800000u});
	EXPECT_EQ(vx_vector_binary_elements(buf.data(), buf.size(), 3, out, &err), VX_ERR_INF);
	EXPECT_EQ(err.status, VX_ERR_INF);

	buf = wire(3, 0, {0xFF800000u, one, one});
	EXPECT_EQ(vx_vector_binary_elements(buf.data(), buf.size(), 3, out, &err), VX_ERR_INF);

	buf = wire(3, 0, {one, bits_of(-2.0f), 0x80000000u});
	EXPECT_EQ(vx_vector_binary_elements(buf.data(), buf.size(), 3, out, nullptr), VX_OK);
	EXPECT_EQ(out[0], 1.0f);
	EXPECT_EQ(out[1], -2.0f);
	EXPECT_EQ(bits_of(out[2]), 0x80000000u);
}

TEST(CApiBinary, EncodeDecodeRoundTrip)
{
	std::vector<float> x = {1.0f, -0.0f, FLT_MAX, std::numeric_limits<float>::denorm_min(), -3.5f};
	int n = static_cast<int>(x.size());
	ASSERT_EQ(vx_vector_binary_size(n), vx::vector_binary_size(n));
	std::vector<uint8_t> buf(vx_vector_binary_size(n));
	vx_vector_binary_encode(x.data(), n, buf.data());
	EXPECT_EQ(buf[0], 0x00);
	EXPECT_EQ(buf[1], 0x05);
	EXPECT_EQ(buf[4], 0x3F); /* 1.0f = 0x3F800000, big-endian */
	EXPECT_EQ(buf[5], 0x80);

	int dim = 0, unused = -1;
	VxError err = fresh_error();
	ASSERT_EQ(vx_vector_binary_header(buf.data(), buf.size(), &dim, &unused, &err), VX_OK);
	ASSERT_EQ(dim, n);
	std::vector<float> back(x.size());
	ASSERT_EQ(vx_vector_binary_elements(buf.data(), buf.size(), dim, back.data(), &err), VX_OK);
	for (size_t i = 0; i < x.size(); i++)
		EXPECT_EQ(bits_of(back[i]), bits_of(x[i])) << i;
}

/* ---- kernels ------------------------------------------------------------- */

TEST(CApiKernels, LevelNamesTheActiveVariant)
{
	const char *level = vx_kernel_level();
	ASSERT_NE(level, nullptr);
	EXPECT_STREQ(level, vx::kernels().name);
	EXPECT_STREQ(level, vx::runnable_kernel_variants()[0]->name);
	EXPECT_TRUE(std::string(level) == "avx512" || std::string(level) == "avx2" ||
	            std::string(level) == "baseline")
	    << level;
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("fma"))
	{
		EXPECT_STREQ(level, "avx512");
	}
}

TEST(CApiKernels, CallTheActiveKernels)
{
	std::mt19937 rng(3);
	std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
	for (int n : {1, 3, 16, 97, 768, 16000})
	{
		std::vector<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n));
		for (int i = 0; i < n; i++)
		{
			a[static_cast<size_t>(i)] = dist(rng);
			b[static_cast<size_t>(i)] = dist(rng);
		}
		const vx::KernelTable &k = vx::kernels();
		size_t sn = static_cast<size_t>(n);
		EXPECT_EQ(vx_l2_squared(a.data(), b.data(), n), k.l2sq(a.data(), b.data(), sn));
		EXPECT_EQ(vx_inner_product(a.data(), b.data(), n), k.dot(a.data(), b.data(), sn));
		EXPECT_EQ(vx_l1(a.data(), b.data(), n), k.l1(a.data(), b.data(), sn));
		EXPECT_EQ(vx_norm_squared(a.data(), n), k.norm_sq(a.data(), sn));
		EXPECT_EQ(vx_cosine_distance(a.data(), b.data(), n),
		          vx::cosine_distance_from_parts(k.cosine_parts(a.data(), b.data(), sn)));
	}
	const float x[] = {3.0f, 4.0f};
	const float y[] = {0.0f, 0.0f};
	EXPECT_EQ(vx_l2_squared(x, y, 2), 25.0f);
	EXPECT_EQ(vx_inner_product(x, x, 2), 25.0f);
	EXPECT_EQ(vx_l1(x, y, 2), 7.0f);
	EXPECT_EQ(vx_norm_squared(x, 2), 25.0f);
	EXPECT_EQ(vx_cosine_distance(x, x, 2), 0.0);
	EXPECT_TRUE(std::isnan(vx_cosine_distance(x, y, 2)));
}

/* ---- the exception firewall ---------------------------------------------- */

namespace
{

struct NotAnException
{
	int code;
};

/* Sets a flag when destroyed: unwinding must run destructors. */
struct Witness
{
	bool *destroyed;
	~Witness() { *destroyed = true; }
};

/* Calls guard from a noexcept function: an escaping exception would terminate. */
template <typename Body>
VxStatus
call_guarded(VxError *err, Body &&body) noexcept
{
	return vx_capi::guard(err, std::forward<Body>(body));
}

} // namespace

TEST(CApiGuard, PassesStatusThrough)
{
	VxError err = fresh_error();
	EXPECT_EQ(call_guarded(&err, [] { return VX_OK; }), VX_OK);
	EXPECT_EQ(err.status, VX_OK);
	EXPECT_EQ(call_guarded(&err, [] { return VX_ERR_DIMS_MISMATCH; }), VX_ERR_DIMS_MISMATCH);
}

TEST(CApiGuard, BadAllocBecomesNoMemory)
{
	VxError err = fresh_error();
	bool destroyed = false;
	VxStatus s = call_guarded(&err,
	                          [&]() -> VxStatus
	                          {
		                          Witness w{&destroyed};
		                          throw std::bad_alloc();
	                          });
	EXPECT_EQ(s, VX_ERR_NO_MEMORY);
	EXPECT_EQ(err.status, VX_ERR_NO_MEMORY);
	EXPECT_GT(std::strlen(err.message), 0u);
	EXPECT_NE(std::string(err.message).find("memory"), std::string::npos) << err.message;
	EXPECT_TRUE(destroyed);
}

TEST(CApiGuard, StdExceptionBecomesInternalWithItsMessage)
{
	VxError err = fresh_error();
	bool destroyed = false;
	VxStatus s = call_guarded(&err,
	                          [&]() -> VxStatus
	                          {
		                          Witness w{&destroyed};
		                          throw std::runtime_error("graph neighbour list corrupted");
	                          });
	EXPECT_EQ(s, VX_ERR_INTERNAL);
	EXPECT_EQ(err.status, VX_ERR_INTERNAL);
	EXPECT_STREQ(err.message, "graph neighbour list corrupted");
	EXPECT_TRUE(destroyed);

	err = fresh_error();
	EXPECT_EQ(call_guarded(&err, []() -> VxStatus { throw std::length_error("too long"); }),
	          VX_ERR_INTERNAL);
	EXPECT_STREQ(err.message, "too long");

	/* a real one from the library */
	err = fresh_error();
	EXPECT_EQ(call_guarded(&err,
	                       []() -> VxStatus
	                       {
		                       std::vector<int> v;
		                       (void)v.at(3);
		                       return VX_OK;
	                       }),
	          VX_ERR_INTERNAL);
	EXPECT_GT(std::strlen(err.message), 0u);
}

TEST(CApiGuard, NonStdThrowBecomesInternal)
{
	VxError err = fresh_error();
	bool destroyed = false;
	VxStatus s = call_guarded(&err,
	                          [&]() -> VxStatus
	                          {
		                          Witness w{&destroyed};
		                          throw NotAnException{7};
	                          });
	EXPECT_EQ(s, VX_ERR_INTERNAL);
	EXPECT_EQ(err.status, VX_ERR_INTERNAL);
	EXPECT_NE(std::string(err.message).find("unknown"), std::string::npos) << err.message;
	EXPECT_TRUE(destroyed);

	err = fresh_error();
	EXPECT_EQ(call_guarded(&err, []() -> VxStatus { throw 42; }), VX_ERR_INTERNAL);
	EXPECT_EQ(err.status, VX_ERR_INTERNAL);
	EXPECT_GT(std::strlen(err.message), 0u);
}

TEST(CApiGuard, LongMessageIsTruncatedAndTerminated)
{
	VxError err = fresh_error();
	std::string long_text(1000, 'm');
	EXPECT_EQ(call_guarded(&err, [&]() -> VxStatus { throw std::runtime_error(long_text); }),
	          VX_ERR_INTERNAL);
	EXPECT_EQ(std::strlen(err.message), sizeof(err.message) - 1);
	EXPECT_EQ(std::string(err.message), long_text.substr(0, sizeof(err.message) - 1));
}

TEST(CApiGuard, NullErrorStructStillReportsTheStatus)
{
	EXPECT_EQ(call_guarded(nullptr, []() -> VxStatus { throw std::bad_alloc(); }),
	          VX_ERR_NO_MEMORY);
	EXPECT_EQ(call_guarded(nullptr, []() -> VxStatus { throw std::logic_error("x"); }),
	          VX_ERR_INTERNAL);
	EXPECT_EQ(call_guarded(nullptr, []() -> VxStatus { throw "a C string"; }), VX_ERR_INTERNAL);
}

TEST(CApiGuard, NothingEscapes)
{
	VxError err = fresh_error();
	EXPECT_NO_THROW(call_guarded(&err, []() -> VxStatus { throw std::bad_alloc(); }));
	EXPECT_NO_THROW(call_guarded(&err, []() -> VxStatus { throw std::runtime_error("r"); }));
	EXPECT_NO_THROW(call_guarded(&err, []() -> VxStatus { throw NotAnException{1}; }));
	/* rethrown from a nested handler */
	EXPECT_NO_THROW(call_guarded(&err,
	                             []() -> VxStatus
	                             {
		                             try
		                             {
			                             throw std::runtime_error("inner");
		                             }
		                             catch (...)
		                             {
			                             throw;
		                             }
	                             }));
	EXPECT_STREQ(err.message, "inner");
}
