/*
 * hnsw.h: the basic vocabulary of the HNSW graph code: parameters, levels,
 * the distance the graph is ordered by, and scored candidates.
 *
 * The algorithms themselves are templates over a graph view (hnsw_graph.h),
 * so that one implementation serves the in-memory builder (dense uint32 ids)
 * and the page-backed index reached through callbacks (opaque uint64 ids).
 */
#pragma once

#include "no_postgres.h"
#include "errors.h"
#include "kernels.h"

#include <cstddef>
#include <cstdint>
#include <exception>

namespace vx::hnsw
{

inline constexpr int kMaxM = 100;
inline constexpr int kMinM = 2;
inline constexpr int kMaxLevel = 15;
inline constexpr int kMaxDim = 16000;
inline constexpr int kMaxEf = 100000;

enum class Metric : int
{
	l2 = 0,     /* squared Euclidean distance */
	ip = 1,     /* negative inner product */
	cosine = 2, /* 1 - inner product of vectors the caller normalised */
	l1 = 3,
};

struct Params
{
	int dim = 0;
	int m = 16;
	int ef_construction = 64;
	Metric metric = Metric::l2;
};

/* nullptr when the parameters are usable, else what is wrong with them. */
const char *check_params(const Params &p);

/* Neighbours a node keeps on a level: 2m on level 0, m above. */
constexpr int
max_neighbors(int m, int level)
{
	return level == 0 ? 2 * m : m;
}

/* floor(-ln(u) / ln(m)) for u in (0, 1], capped at kMaxLevel. */
int random_level(double u, int m);

/* A uniform double in (0, 1] from 64 random bits. */
constexpr double
unit_interval_from_bits(uint64_t bits)
{
	return static_cast<double>((bits >> 11) + 1) * 0x1.0p-53;
}

/*
 * The distance the graph is ordered by: offset + scale * kernel(a, b), which
 * is exact for every metric (scale is +-1, offset 0 or 1).
 */
class Distance
{
  public:
	Distance(Metric metric, int dim);

	float
	operator()(const float *a, const float *b) const
	{
		return offset_ + scale_ * kernel_(a, b, dim_);
	}

	size_t
	dim() const
	{
		return dim_;
	}

  private:
	float (*kernel_)(const float *, const float *, size_t);
	float offset_;
	float scale_;
	size_t dim_;
};

/* A node with its distance to whatever the current search is about. */
template <typename Id> struct Scored
{
	float dist;
	Id id;
};

/*
 * What a view throws when the graph cannot be read (a callback failed, a
 * list is malformed).  It never leaves the core: the entry points catch it
 * and return the code as a value.
 */
class GraphFailure : public std::exception
{
  public:
	GraphFailure(Errc code, const char *what) : code_(code), what_(what) {}
	Errc
	code() const
	{
		return code_;
	}
	const char *
	what() const noexcept override
	{
		return what_;
	}

  private:
	Errc code_;
	const char *what_;
};

/* The outcome of a core operation: ok, or a code and a static message. */
struct Status
{
	Errc code = Errc::ok;
	const char *message = "";

	bool
	ok() const
	{
		return code == Errc::ok;
	}
};

} // namespace vx::hnsw
