/*
 * vector_text.h: text form of a vector, "[1,2,3]".
 *
 * The parser reads a (not necessarily NUL-terminated) buffer and never writes
 * into it.  The formatter prints the shortest decimal that reads back to the
 * same float, in the layout PostgreSQL's float4out uses, so that text output
 * round-trips exactly (pg_dump goes through text).
 */
#pragma once

#include "no_postgres.h"
#include "errors.h"

#include <cstddef>

namespace vx
{

constexpr int kVectorMaxDim = 16000;

struct ParseResult
{
	Errc err = Errc::ok;
	int dim = 0;
	/* byte offset of the offending element or character, for messages */
	size_t where = 0;
};

/*
 * Parse text into out[0..capacity).  At most max_dim elements are accepted;
 * a literal with more is too_many_dims.  capacity must be >= min(max_dim,
 * max_elements_bound(len)).
 */
ParseResult parse_vector(const char *text, size_t len, float *out, int capacity, int max_dim);

/* An upper bound on the number of elements in a literal of len bytes. */
constexpr size_t
max_elements_bound(size_t len)
{
	return len / 2 + 1;
}

/* Shortest round-trip text of one float, PostgreSQL float4out layout. */
size_t format_float(float v, char *out); /* out needs kFloatTextMax bytes */
constexpr size_t kFloatTextMax = 16;

/* Buffer size needed to format a vector of dim elements (with NUL). */
constexpr size_t
format_capacity(int dim)
{
	return static_cast<size_t>(dim) * kFloatTextMax + 3;
}

/* Writes "[...]" and a NUL; returns the length without the NUL. */
size_t format_vector(const float *x, int dim, char *out);

} // namespace vx
