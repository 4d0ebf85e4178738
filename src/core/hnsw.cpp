/*
 * hnsw.cpp: parameters, levels and the graph's distance.
 */
#include "hnsw.h"

#include <cmath>

namespace vx::hnsw
{

const char *
check_params(const Params &p)
{
	if (p.dim < 1 || p.dim > kMaxDim)
		return "HNSW dimensions must be between 1 and 16000";
	if (p.m < kMinM || p.m > kMaxM)
		return "HNSW m must be between 2 and 100";
	if (p.ef_construction < 1 || p.ef_construction > kMaxEf)
		return "HNSW ef_construction is out of range";
	switch (p.metric)
	{
		case Metric::l2:
		case Metric::ip:
		case Metric::cosine:
		case Metric::l1: return nullptr;
	}
	return "unknown HNSW distance metric";
}

int
random_level(double u, int m)
{
	if (m < kMinM)
		m = kMinM;
	if (!(u > 0.0)) /* 0 or NaN: as unlikely as it gets */
		return kMaxLevel;
	if (u >= 1.0)
		return 0;
	const double ml = 1.0 / std::log(static_cast<double>(m));
	const double level = std::floor(-std::log(u) * ml);
	return level >= kMaxLevel ? kMaxLevel : static_cast<int>(level);
}

Distance::Distance(Metric metric, int dim) : dim_(static_cast<size_t>(dim))
{
	const KernelTable &k = kernels();
	switch (metric)
	{
		case Metric::ip:
			kernel_ = k.dot;
			offset_ = 0.0f;
			scale_ = -1.0f;
			break;
		case Metric::cosine:
			kernel_ = k.dot;
			offset_ = 1.0f;
			scale_ = -1.0f;
			break;
		case Metric::l1:
			kernel_ = k.l1;
			offset_ = 0.0f;
			scale_ = 1.0f;
			break;
		case Metric::l2:
		default:
			kernel_ = k.l2sq;
			offset_ = 0.0f;
			scale_ = 1.0f;
			break;
	}
}

} // namespace vx::hnsw
