/*
 * fuzz_text.cpp: libFuzzer target over the core's text parser and formatter.
 *
 * Properties checked on every input (a violation aborts, which libFuzzer
 * reports as a crash and saves the input):
 *   - the parser reads only the len bytes it is given (the input is a heap
 *     copy of exactly len bytes, so AddressSanitizer sees any overread) and
 *     never writes them;
 *   - it writes only out[0..capacity) for the capacity vector_in passes;
 *   - every result is one of the documented error codes, and the offset it
 *     reports lies within the input;
 *   - on success 1 <= dim <= kVectorMaxDim and every element is finite;
 *   - the result does not depend on the capacity (vector_in's bound is
 *     enough) and a lower max_dim fails exactly when the vector is larger;
 *   - every accepted element is what strtof reads from the same token (the
 *     parser accepts a subset of strtof's grammar, as pgvector uses strtof);
 *   - format -> parse gives back the same floats bit for bit, and the
 *     formatted text fits format_capacity.
 */
#define VX_FUZZ_TARGET "fuzz_text"
#include "fuzz_check.h"
#include "vector_text.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace
{

bool
same_bits(float a, float b)
{
	return std::memcmp(&a, &b, sizeof(a)) == 0;
}

bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool
known_error(vx::Errc e)
{
	switch (e)
	{
		case vx::Errc::syntax:
		case vx::Errc::out_of_range:
		case vx::Errc::nan_value:
		case vx::Errc::inf_value:
		case vx::Errc::empty:
		case vx::Errc::too_many_dims: return true;
		default: return false;
	}
}

/*
 * An accepted literal is "ws [ ws num ws (, ws num ws)* ] ws": split it and
 * compare every element with strtof on its token.
 */
void
check_against_strtof(const char *text, size_t len, const float *out, int dim)
{
	const char *p = static_cast<const char *>(std::memchr(text, '[', len));
	CHECK(p != nullptr);
	const char *end = text + len;
	p++;
	for (int i = 0; i < dim; i++)
	{
		while (p < end && is_space(*p))
			p++;
		const char *tok = p;
		while (p < end && *p != ',' && *p != ']' && !is_space(*p))
			p++;
		std::string token(tok, p);
		CHECK(!token.empty());
		errno = 0;
		char *stop = nullptr;
		float ref = std::strtof(token.c_str(), &stop);
		CHECK(stop == token.c_str() + token.size()); /* strtof reads the whole token */
		CHECK(std::isfinite(ref));
		CHECK(same_bits(ref, out[i]));
		while (p < end && is_space(*p))
			p++;
		CHECK(p < end && (*p == ',' || *p == ']'));
		CHECK((*p == ']') == (i == dim - 1));
		p++;
	}
}

void
check_round_trip(const float *x, int dim)
{
	const size_t cap = vx::format_capacity(dim);
	std::unique_ptr<char[]> buf(new char[cap]);
	const size_t n = vx::format_vector(x, dim, buf.get());
	CHECK(n < cap);
	CHECK(buf[n] == '\0');
	CHECK(std::strlen(buf.get()) == n);

	const size_t rcap = std::min<size_t>(vx::max_elements_bound(n), vx::kVectorMaxDim);
	std::unique_ptr<float[]> back(new float[rcap]);
	vx::ParseResult r =
	    vx::parse_vector(buf.get(), n, back.get(), static_cast<int>(rcap), vx::kVectorMaxDim);
	CHECK(r.err == vx::Errc::ok);
	CHECK(r.dim == dim);
	for (int i = 0; i < dim; i++)
		CHECK(same_bits(back[i], x[i]));
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exactly size bytes on the heap: any overread is an ASan report */
	std::unique_ptr<char[]> text(new char[size]);
	std::memcpy(text.get(), data, size);

	/* the capacity vector_in allocates, also exactly */
	const size_t cap = std::min<size_t>(vx::max_elements_bound(size), vx::kVectorMaxDim);
	std::unique_ptr<float[]> out(new float[cap]);
	vx::ParseResult r =
	    vx::parse_vector(text.get(), size, out.get(), static_cast<int>(cap), vx::kVectorMaxDim);

	CHECK(std::memcmp(text.get(), data, size) == 0); /* input never written */
	CHECK(r.where <= size);
	CHECK(r.err == vx::Errc::ok || known_error(r.err));

	/* the bound vector_in uses never cuts a literal short */
	{
		const int big = vx::kVectorMaxDim + 1;
		std::unique_ptr<float[]> wide(new float[big]);
		vx::ParseResult w = vx::parse_vector(text.get(), size, wide.get(), big, vx::kVectorMaxDim);
		CHECK(w.err == r.err);
		CHECK(w.where == r.where);
		CHECK(w.dim == r.dim);
		if (r.err == vx::Errc::ok)
			for (int i = 0; i < r.dim; i++)
				CHECK(same_bits(wide[i], out[i]));
	}

	/* a lower limit fails exactly for larger vectors */
	{
		const int small = 3;
		std::unique_ptr<float[]> few(new float[small]);
		vx::ParseResult s = vx::parse_vector(text.get(), size, few.get(), small, small);
		if (r.err == vx::Errc::ok && r.dim <= small)
		{
			CHECK(s.err == vx::Errc::ok && s.dim == r.dim);
		}
		else if (r.err == vx::Errc::ok)
		{
			CHECK(s.err == vx::Errc::too_many_dims);
		}
		else
		{
			CHECK(s.err != vx::Errc::ok);
		}
	}

	if (r.err != vx::Errc::ok)
		return 0;

	CHECK(r.dim >= 1 && r.dim <= vx::kVectorMaxDim && static_cast<size_t>(r.dim) <= cap);
	for (int i = 0; i < r.dim; i++)
		CHECK(std::isfinite(out[i]));
	check_against_strtof(text.get(), size, out.get(), r.dim);
	check_round_trip(out.get(), r.dim);
	return 0;
}
