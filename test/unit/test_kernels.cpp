// Unit tests of the distance kernels: every ISA variant this CPU can run is
// checked against a double-precision scalar reference, against exact integer
// arithmetic, and against the other variants.
#include "kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace
{

/*
 * n floats that start one float past the start of their allocation (so they
 * are misaligned for every SIMD width) and end exactly where the allocation
 * ends (so a kernel reading past its input is caught by AddressSanitizer).
 */
class Floats
{
  public:
	explicit Floats(size_t n) : n_(n), storage_(new float[n + 1]), data_(storage_.get() + 1)
	{
		storage_[0] = 0.0f;
		std::fill(data_, data_ + n, 0.0f);
	}
	float *
	data()
	{
		return data_;
	}
	const float *
	data() const
	{
		return data_;
	}
	size_t
	size() const
	{
		return n_;
	}
	float &
	operator[](size_t i)
	{
		return data_[i];
	}
	float
	operator[](size_t i) const
	{
		return data_[i];
	}

  private:
	size_t n_;
	std::unique_ptr<float[]> storage_;
	float *data_;
};

/* Every dimension 1..300, then a sample up to the type's maximum. */
std::vector<size_t>
test_dimensions()
{
	std::vector<size_t> dims;
	for (size_t n = 1; n <= 300; n++)
		dims.push_back(n);
	for (size_t n : {301,  383,  384,  385,  511,  512,  513,  767,  768,  769,  1023,
	                 1024, 1025, 1536, 2000, 3072, 4095, 4096, 4097, 8191, 16000})
		dims.push_back(n);
	return dims;
}

/* A double-precision reference: the value and the sum of |terms| it came from. */
struct Reference
{
	double value = 0;
	double magnitude = 0;
};

Reference
ref_l2sq(const float *a, const float *b, size_t n)
{
	Reference r;
	for (size_t i = 0; i < n; i++)
	{
		double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
		r.value += d * d;
	}
	r.magnitude = r.value;
	return r;
}

Reference
ref_dot(const float *a, const float *b, size_t n)
{
	Reference r;
	for (size_t i = 0; i < n; i++)
	{
		double t = static_cast<double>(a[i]) * static_cast<double>(b[i]);
		r.value += t;
		r.magnitude += std::fabs(t);
	}
	return r;
}

Reference
ref_l1(const float *a, const float *b, size_t n)
{
	Reference r;
	for (size_t i = 0; i < n; i++)
		r.value += std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
	r.magnitude = r.value;
	return r;
}

Reference
ref_norm_sq(const float *a, size_t n)
{
	return ref_dot(a, a, n);
}

/*
 * Error allowed for a float reduction of n terms: the worst-case bound of
 * recursive summation (about n * FLT_EPSILON / 2 of the sum of |terms|, plus
 * the rounding of each term), with a factor of two to spare.  Dropping or
 * repeating one term of n random terms costs about magnitude / n, far more
 * than this for the dimensions where tails matter; the exact integer test
 * below catches tail errors at every dimension.
 */
double
tolerance(size_t n, double magnitude)
{
	return static_cast<double>(n + 2) * FLT_EPSILON * magnitude;
}

void
fill_uniform(Floats &v, std::mt19937 &rng, float lo, float hi)
{
	std::uniform_real_distribution<float> dist(lo, hi);
	for (size_t i = 0; i < v.size(); i++)
		v[i] = dist(rng);
}

/* Small integers: every partial sum is an exact float, in any order. */
void
fill_integers(Floats &v, std::mt19937 &rng)
{
	std::uniform_int_distribution<int> dist(-8, 8);
	for (size_t i = 0; i < v.size(); i++)
		v[i] = static_cast<float>(dist(rng));
}

#define EXPECT_NEAR_REF(actual, ref, n)                                                            \
	EXPECT_NEAR(static_cast<double>(actual), (ref).value, tolerance((n), (ref).magnitude))

void
check_against_reference(const vx::KernelTable &k, const Floats &a, const Floats &b)
{
	size_t n = a.size();
	const float *pa = a.data();
	const float *pb = b.data();

	EXPECT_NEAR_REF(k.l2sq(pa, pb, n), ref_l2sq(pa, pb, n), n) << "l2sq";
	EXPECT_NEAR_REF(k.dot(pa, pb, n), ref_dot(pa, pb, n), n) << "dot";
	EXPECT_NEAR_REF(k.l1(pa, pb, n), ref_l1(pa, pb, n), n) << "l1";
	EXPECT_NEAR_REF(k.norm_sq(pa, n), ref_norm_sq(pa, n), n) << "norm_sq";

	vx::CosineParts p = k.cosine_parts(pa, pb, n);
	EXPECT_NEAR_REF(p.dot, ref_dot(pa, pb, n), n) << "cosine_parts.dot";
	EXPECT_NEAR_REF(p.norm_a, ref_norm_sq(pa, n), n) << "cosine_parts.norm_a";
	EXPECT_NEAR_REF(p.norm_b, ref_norm_sq(pb, n), n) << "cosine_parts.norm_b";
}

class KernelVariant : public ::testing::TestWithParam<const vx::KernelTable *>
{
};

TEST_P(KernelVariant, MatchesDoubleReferenceOnRandomData)
{
	const vx::KernelTable &k = *GetParam();
	std::mt19937 rng(12345);
	for (size_t n : test_dimensions())
	{
		SCOPED_TRACE("n = " + std::to_string(n));
		Floats a(n), b(n);
		fill_uniform(a, rng, -1.0f, 1.0f);
		fill_uniform(b, rng, -1.0f, 1.0f);
		check_against_reference(k, a, b);
	}
}

TEST_P(KernelVariant, MatchesDoubleReferenceOnWideRangeData)
{
	/* magnitudes spread over many binades, all signs */
	const vx::KernelTable &k = *GetParam();
	std::mt19937 rng(777);
	std::uniform_real_distribution<float> mant(-1.0f, 1.0f);
	std::uniform_int_distribution<int> expo(-20, 20);
	for (size_t n : test_dimensions())
	{
		SCOPED_TRACE("n = " + std::to_string(n));
		Floats a(n), b(n);
		for (size_t i = 0; i < n; i++)
		{
			a[i] = std::ldexp(mant(rng), expo(rng));
			b[i] = std::ldexp(mant(rng), expo(rng));
		}
		check_against_reference(k, a, b);
	}
}

TEST_P(KernelVariant, ExactOnSmallIntegers)
{
	/*
	 * Sums of small integers are exact whatever the order of summation, so
	 * any kernel that skips, repeats or misplaces an element (a wrong tail or
	 * head loop) gives a different number, at every dimension up to 16000.
	 */
	const vx::KernelTable &k = *GetParam();
	std::mt19937 rng(4242);
	for (size_t n : test_dimensions())
	{
		SCOPED_TRACE("n = " + std::to_string(n));
		Floats a(n), b(n);
		fill_integers(a, rng);
		fill_integers(b, rng);
		const float *pa = a.data();
		const float *pb = b.data();
		EXPECT_EQ(k.l2sq(pa, pb, n), static_cast<float>(ref_l2sq(pa, pb, n).value));
		EXPECT_EQ(k.dot(pa, pb, n), static_cast<float>(ref_dot(pa, pb, n).value));
		EXPECT_EQ(k.l1(pa, pb, n), static_cast<float>(ref_l1(pa, pb, n).value));
		EXPECT_EQ(k.norm_sq(pa, n), static_cast<float>(ref_norm_sq(pa, n).value));
		vx::CosineParts p = k.cosine_parts(pa, pb, n);
		EXPECT_EQ(p.dot, static_cast<float>(ref_dot(pa, pb, n).value));
		EXPECT_EQ(p.norm_a, static_cast<float>(ref_norm_sq(pa, n).value));
		EXPECT_EQ(p.norm_b, static_cast<float>(ref_norm_sq(pb, n).value));
	}
}

TEST_P(KernelVariant, EverySinglePositionCounts)
{
	/*
	 * One non-zero element at a time, at every position of the small
	 * dimensions and near both ends of the large ones: the kernel must see
	 * exactly that element.
	 */
	const vx::KernelTable &k = *GetParam();
	for (size_t n : test_dimensions())
	{
		Floats a(n), b(n);
		for (size_t pos = 0; pos < n; pos++)
		{
			if (n > 300 && pos >= 70 && pos + 70 < n)
				continue;
			SCOPED_TRACE("n = " + std::to_string(n) + ", pos = " + std::to_string(pos));
			a[pos] = 3.0f;
			b[pos] = -2.0f;
			ASSERT_EQ(k.l2sq(a.data(), b.data(), n), 25.0f);
			ASSERT_EQ(k.dot(a.data(), b.data(), n), -6.0f);
			ASSERT_EQ(k.l1(a.data(), b.data(), n), 5.0f);
			ASSERT_EQ(k.norm_sq(b.data(), n), 4.0f);
			vx::CosineParts p = k.cosine_parts(a.data(), b.data(), n);
			ASSERT_EQ(p.dot, -6.0f);
			ASSERT_EQ(p.norm_a, 9.0f);
			ASSERT_EQ(p.norm_b, 4.0f);
			a[pos] = 0.0f;
			b[pos] = 0.0f;
		}
	}
}

TEST_P(KernelVariant, CosineDistanceOfKernelPartsIsInRange)
{
	const vx::KernelTable &k = *GetParam();
	std::mt19937 rng(99);
	for (size_t n : test_dimensions())
	{
		SCOPED_TRACE("n = " + std::to_string(n));
		Floats a(n), b(n), neg(n);
		fill_uniform(a, rng, -1000.0f, 1000.0f);
		fill_uniform(b, rng, -1000.0f, 1000.0f);
		for (size_t i = 0; i < n; i++)
			neg[i] = -a[i];

		/* against a double reference: the similarity's error is about 2 n eps */
		Reference d = ref_dot(a.data(), b.data(), n);
		double na = ref_norm_sq(a.data(), n).value;
		double nb = ref_norm_sq(b.data(), n).value;
		double expected = 1.0 - d.value / std::sqrt(na * nb);
		double got = vx::cosine_distance_from_parts(k.cosine_parts(a.data(), b.data(), n));
		EXPECT_NEAR(got, expected, 3.0 * static_cast<double>(n + 2) * FLT_EPSILON);

		double same = vx::cosine_distance_from_parts(k.cosine_parts(a.data(), a.data(), n));
		EXPECT_GE(same, 0.0);
		EXPECT_LE(same, 3.0 * static_cast<double>(n + 2) * FLT_EPSILON);

		double opposite = vx::cosine_distance_from_parts(k.cosine_parts(a.data(), neg.data(), n));
		EXPECT_LE(opposite, 2.0);
		EXPECT_GE(opposite, 2.0 - 3.0 * static_cast<double>(n + 2) * FLT_EPSILON);
	}
}

TEST_P(KernelVariant, CosineOfZeroVectorIsNaN)
{
	const vx::KernelTable &k = *GetParam();
	for (size_t n : {1, 7, 16, 33, 768})
	{
		Floats zero(n), x(n);
		for (size_t i = 0; i < n; i++)
			x[i] = static_cast<float>(i) + 0.5f;
		EXPECT_TRUE(
		    std::isnan(vx::cosine_distance_from_parts(k.cosine_parts(zero.data(), x.data(), n))));
		EXPECT_TRUE(
		    std::isnan(vx::cosine_distance_from_parts(k.cosine_parts(x.data(), zero.data(), n))));
		EXPECT_TRUE(std::isnan(
		    vx::cosine_distance_from_parts(k.cosine_parts(zero.data(), zero.data(), n))));
	}
}

TEST_P(KernelVariant, DoesNotReadOrWriteOutsideItsInput)
{
	/* NaN guards on both sides of the inputs must not reach the result */
	const vx::KernelTable &k = *GetParam();
	const float nan = std::numeric_limits<float>::quiet_NaN();
	std::mt19937 rng(5);
	for (size_t n : test_dimensions())
	{
		SCOPED_TRACE("n = " + std::to_string(n));
		std::vector<float> a(n + 64, nan), b(n + 64, nan);
		float *pa = a.data() + 17;
		float *pb = b.data() + 31;
		std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
		for (size_t i = 0; i < n; i++)
		{
			pa[i] = dist(rng);
			pb[i] = dist(rng);
		}
		std::vector<float> a_before = a, b_before = b;
		ASSERT_FALSE(std::isnan(k.l2sq(pa, pb, n)));
		ASSERT_FALSE(std::isnan(k.dot(pa, pb, n)));
		ASSERT_FALSE(std::isnan(k.l1(pa, pb, n)));
		ASSERT_FALSE(std::isnan(k.norm_sq(pa, n)));
		vx::CosineParts p = k.cosine_parts(pa, pb, n);
		ASSERT_FALSE(std::isnan(p.dot) || std::isnan(p.norm_a) || std::isnan(p.norm_b));
		ASSERT_EQ(0, std::memcmp(a.data(), a_before.data(), a.size() * sizeof(float)));
		ASSERT_EQ(0, std::memcmp(b.data(), b_before.data(), b.size() * sizeof(float)));
	}
}

std::string
variant_name(const ::testing::TestParamInfo<const vx::KernelTable *> &info)
{
	return info.param->name;
}

INSTANTIATE_TEST_SUITE_P(Runnable, KernelVariant,
                         ::testing::ValuesIn(vx::runnable_kernel_variants()), variant_name);

bool
cpu_runs_avx512()
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
	       __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

bool
cpu_runs_avx2()
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

} // namespace

TEST(KernelDispatch, RunnableVariantsMatchTheCpuBestFirst)
{
	std::vector<std::string> expected;
	if (cpu_runs_avx512())
		expected.push_back("avx512");
	if (cpu_runs_avx2())
		expected.push_back("avx2");
	expected.push_back("baseline");

	std::vector<std::string> got;
	for (const vx::KernelTable *t : vx::runnable_kernel_variants())
		got.push_back(t->name);
	EXPECT_EQ(got, expected);
}

TEST(KernelDispatch, ActiveTableIsTheBestRunnable)
{
	auto variants = vx::runnable_kernel_variants();
	ASSERT_FALSE(variants.empty());
	EXPECT_EQ(&vx::kernels(), variants[0]);
	if (cpu_runs_avx512())
		EXPECT_STREQ(vx::kernels().name, "avx512");
	else if (cpu_runs_avx2())
		EXPECT_STREQ(vx::kernels().name, "avx2");
	else
		EXPECT_STREQ(vx::kernels().name, "baseline");
}

TEST(KernelDispatch, VariantsAreDistinctCode)
{
	std::set<const void *> l2sq, dot, l1, parts, norm;
	auto variants = vx::runnable_kernel_variants();
	for (const vx::KernelTable *t : variants)
	{
		l2sq.insert(reinterpret_cast<const void *>(t->l2sq));
		dot.insert(reinterpret_cast<const void *>(t->dot));
		l1.insert(reinterpret_cast<const void *>(t->l1));
		parts.insert(reinterpret_cast<const void *>(t->cosine_parts));
		norm.insert(reinterpret_cast<const void *>(t->norm_sq));
	}
	EXPECT_EQ(l2sq.size(), variants.size());
	EXPECT_EQ(dot.size(), variants.size());
	EXPECT_EQ(l1.size(), variants.size());
	EXPECT_EQ(parts.size(), variants.size());
	EXPECT_EQ(norm.size(), variants.size());
}

TEST(KernelDispatch, VariantsAgreeWithEachOther)
{
	auto variants = vx::runnable_kernel_variants();
	const vx::KernelTable &best = *variants[0];
	std::mt19937 rng(2024);
	for (size_t n : test_dimensions())
	{
		Floats a(n), b(n);
		fill_uniform(a, rng, -2.0f, 2.0f);
		fill_uniform(b, rng, -2.0f, 2.0f);
		const float *pa = a.data();
		const float *pb = b.data();
		/* each is within tolerance() of the reference, so within twice of each other */
		double tl2 = 2 * tolerance(n, ref_l2sq(pa, pb, n).magnitude);
		double tdot = 2 * tolerance(n, ref_dot(pa, pb, n).magnitude);
		double tl1 = 2 * tolerance(n, ref_l1(pa, pb, n).magnitude);
		double tnorm = 2 * tolerance(n, ref_norm_sq(pa, n).magnitude);
		for (const vx::KernelTable *t : variants)
		{
			SCOPED_TRACE(std::string(t->name) + " vs " + best.name + ", n = " + std::to_string(n));
			EXPECT_NEAR(t->l2sq(pa, pb, n), best.l2sq(pa, pb, n), tl2);
			EXPECT_NEAR(t->dot(pa, pb, n), best.dot(pa, pb, n), tdot);
			EXPECT_NEAR(t->l1(pa, pb, n), best.l1(pa, pb, n), tl1);
			EXPECT_NEAR(t->norm_sq(pa, n), best.norm_sq(pa, n), tnorm);
			vx::CosineParts p = t->cosine_parts(pa, pb, n);
			vx::CosineParts q = best.cosine_parts(pa, pb, n);
			EXPECT_NEAR(p.dot, q.dot, tdot);
			EXPECT_NEAR(p.norm_a, q.norm_a, tnorm);
			EXPECT_NEAR(p.norm_b, q.norm_b, 2 * tolerance(n, ref_norm_sq(pb, n).magnitude));
		}
	}
}

TEST(CosineFromParts, ZeroVectorGivesNaN)
{
	EXPECT_TRUE(std::isnan(vx::cosine_distance_from_parts({0.0f, 0.0f, 4.0f})));
	EXPECT_TRUE(std::isnan(vx::cosine_distance_from_parts({0.0f, 4.0f, 0.0f})));
	EXPECT_TRUE(std::isnan(vx::cosine_distance_from_parts({0.0f, 0.0f, 0.0f})));
}

TEST(CosineFromParts, ExactValues)
{
	EXPECT_EQ(vx::cosine_distance_from_parts({0.0f, 1.0f, 1.0f}), 1.0);
	EXPECT_EQ(vx::cosine_distance_from_parts({2.0f, 4.0f, 1.0f}), 0.0);
	EXPECT_EQ(vx::cosine_distance_from_parts({-2.0f, 1.0f, 4.0f}), 2.0);
	EXPECT_EQ(vx::cosine_distance_from_parts({1.0f, 4.0f, 1.0f}), 0.5);
	/* the norms are multiplied in double: no overflow for norms near FLT_MAX */
	EXPECT_EQ(vx::cosine_distance_from_parts({FLT_MAX, FLT_MAX, FLT_MAX}), 0.0);
}

TEST(CosineFromParts, ClampedToZeroTwo)
{
	/* rounding can make |dot| exceed the product of the norms */
	EXPECT_EQ(vx::cosine_distance_from_parts({1.0f, 0.99f, 1.0f}), 0.0);
	EXPECT_EQ(vx::cosine_distance_from_parts({-1.0f, 1.0f, 0.99f}), 2.0);
	EXPECT_EQ(vx::cosine_distance_from_parts({1e30f, 1e-30f, 1e-30f}), 0.0);
	EXPECT_EQ(vx::cosine_distance_from_parts({-1e30f, 1e-30f, 1e-30f}), 2.0);

	std::mt19937 rng(1);
	std::uniform_real_distribution<float> dist(-10.0f, 10.0f);
	std::uniform_real_distribution<float> pos(0.0f, 10.0f);
	for (int i = 0; i < 100000; i++)
	{
		double d = vx::cosine_distance_from_parts({dist(rng), pos(rng), pos(rng)});
		if (std::isnan(d))
			continue; /* a zero norm */
		ASSERT_GE(d, 0.0);
		ASSERT_LE(d, 2.0);
	}
}
