/*
 * vector_text.cpp: parsing and printing the text form of a vector.
 */
#include "vector_text.h"

#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <system_error>

namespace vx
{

namespace
{

bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

const char *
skip_space(const char *p, const char *end)
{
	while (p < end && is_space(*p))
		p++;
	return p;
}

/*
 * Decide whether a decimal literal that overflowed even a double is huge
 * (overflow) or tiny (underflow), from its digits and exponent.
 */
bool
literal_is_huge(const char *p, const char *end)
{
	if (p < end && (*p == '+' || *p == '-'))
		p++;
	long long magnitude = 0; /* decimal exponent of the first non-zero digit */
	bool seen_nonzero = false;
	bool after_point = false;
	long long leading_zeros_after_point = 0;
	long long int_digits = 0;
	for (; p < end; p++)
	{
		if (*p == '.')
		{
			after_point = true;
		}
		else if (*p >= '0' && *p <= '9')
		{
			if (!after_point)
			{
				if (seen_nonzero || *p != '0')
				{
					seen_nonzero = true;
					int_digits++;
				}
			}
			else if (!seen_nonzero)
			{
				if (*p == '0')
					leading_zeros_after_point++;
				else
					seen_nonzero = true;
			}
		}
		else
		{
			break;
		}
	}
	if (!seen_nonzero)
		return false;
	magnitude = int_digits > 0 ? int_digits - 1 : -(leading_zeros_after_point + 1);
	if (p < end && (*p == 'e' || *p == 'E'))
	{
		p++;
		bool neg = false;
		if (p < end && (*p == '+' || *p == '-'))
			neg = *p++ == '-';
		long long e = 0;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if (e < 1000000000LL)
				e = e * 10 + (*p - '0');
		magnitude += neg ? -e : e;
	}
	return magnitude > 0;
}

/* Parse one float at p; on success *value is set and the end is returned. */
const char *
parse_float(const char *p, const char *end, float *value, Errc *err)
{
	const char *start = p;
	/* from_chars has no leading '+'; strtof (and so PostgreSQL) accepts one */
	if (p < end && *p == '+' && p + 1 < end && p[1] != '-' && p[1] != '+')
		p++;
	float v = 0;
	auto [ptr, ec] = std::from_chars(p, end, v, std::chars_format::general);
	if (ec == std::errc::invalid_argument || ptr == p)
	{
		*err = Errc::syntax;
		return start;
	}
	if (ec == std::errc::result_out_of_range)
	{
		double d = 0;
		auto [dptr, dec] = std::from_chars(p, end, d, std::chars_format::general);
		if (dec == std::errc() && std::fabs(d) <= static_cast<double>(FLT_MAX))
		{
			v = static_cast<float>(d); /* underflow: a subnormal or zero, as strtof gives */
		}
		else if (dec == std::errc() || literal_is_huge(p, ptr))
		{
			*err = Errc::out_of_range;
			return start;
		}
		else
		{
			v = (*p == '-') ? -0.0f : 0.0f;
		}
	}
	*value = v;
	*err = Errc::ok;
	return ptr;
}

} // namespace

ParseResult
parse_vector(const char *text, size_t len, float *out, int capacity, int max_dim)
{
	ParseResult r;
	const char *p = text;
	const char *end = text + len;

	p = skip_space(p, end);
	if (p == end || *p != '[')
	{
		r.err = Errc::syntax;
		r.where = static_cast<size_t>(p - text);
		return r;
	}
	p = skip_space(p + 1, end);

	int dim = 0;
	if (p < end && *p == ']')
	{
		p++;
	}
	else
	{
		for (;;)
		{
			if (dim == max_dim || dim == capacity)
			{
				r.err = Errc::too_many_dims;
				r.dim = dim;
				return r;
			}
			Errc err;
			float v;
			const char *next = parse_float(p, end, &v, &err);
			if (err != Errc::ok)
			{
				r.err = err;
				r.where = static_cast<size_t>(p - text);
				return r;
			}
			if (std::isnan(v))
			{
				r.err = Errc::nan_value;
				return r;
			}
			if (std::isinf(v))
			{
				r.err = Errc::inf_value;
				return r;
			}
			out[dim++] = v;
			p = skip_space(next, end);
			if (p < end && *p == ',')
			{
				p = skip_space(p + 1, end);
				continue;
			}
			if (p < end && *p == ']')
			{
				p++;
				break;
			}
			r.err = Errc::syntax;
			r.where = static_cast<size_t>(p - text);
			return r;
		}
	}

	p = skip_space(p, end);
	if (p != end)
	{
		r.err = Errc::syntax; /* junk after the closing bracket */
		r.where = static_cast<size_t>(p - text);
		return r;
	}
	if (dim < 1)
	{
		r.err = Errc::empty;
		return r;
	}
	r.dim = dim;
	return r;
}

namespace
{

/*
 * Whether a decimal (the first n chars of s) lies exactly halfway between v
 * and a neighbouring float.  It would read back as v only by the
 * round-half-even rule; PostgreSQL's float4out (Ryu without accepting the
 * bounds) never prints such a decimal, so neither do we.
 */
bool
on_rounding_boundary(float v, const char *s, size_t n)
{
	double d;
	if (std::from_chars(s, s + n, d).ec != std::errc())
		return false;
	/* midpoints of two adjacent floats are exact in double */
	float lo = std::nextafter(v, -std::numeric_limits<float>::infinity());
	float hi = std::nextafter(v, std::numeric_limits<float>::infinity());
	if (std::isfinite(lo) && d == (static_cast<double>(v) + static_cast<double>(lo)) / 2)
		return true;
	return std::isfinite(hi) && d == (static_cast<double>(v) + static_cast<double>(hi)) / 2;
}

} // namespace

size_t
format_float(float v, char *out)
{
	/* Shortest round-trip digits, scientific: "d[.ddd]e±XX" */
	char sci[48];
	auto res = std::to_chars(sci, sci + sizeof(sci), v, std::chars_format::scientific);
	size_t n = static_cast<size_t>(res.ptr - sci);

	if (on_rounding_boundary(v, sci, n))
	{
		/* one more digit at a time, correctly rounded, until strictly inside */
		int digits = 0;
		for (size_t i = 0; i < n && sci[i] != 'e'; i++)
			digits += (sci[i] >= '0' && sci[i] <= '9');
		for (int precision = digits; precision <= 9; precision++)
		{
			res =
			    std::to_chars(sci, sci + sizeof(sci), v, std::chars_format::scientific, precision);
			n = static_cast<size_t>(res.ptr - sci);
			if (!on_rounding_boundary(v, sci, n))
				break;
		}
	}
	const char *e = static_cast<const char *>(std::memchr(sci, 'e', n));
	/* the exponent: sign and digits up to the end of what to_chars wrote */
	int exp10 = 0;
	for (const char *d = e + 2; d < sci + n; d++)
		exp10 = exp10 * 10 + (*d - '0');
	if (e[1] == '-')
		exp10 = -exp10;
	if (exp10 < -4 || exp10 >= 6)
	{
		/* PostgreSQL prints these in scientific form, as to_chars did */
		std::memcpy(out, sci, n);
		return n;
	}

	/* Fixed-point, placing the decimal point as float4out does */
	char *o = out;
	const char *s = sci;
	if (*s == '-')
		*o++ = *s++;
	char digits[16];
	int nd = 0;
	for (; s < e; s++)
		if (*s != '.')
			digits[nd++] = *s;

	if (exp10 < 0)
	{
		*o++ = '0';
		*o++ = '.';
		for (int i = 0; i < -exp10 - 1; i++)
			*o++ = '0';
		for (int i = 0; i < nd; i++)
			*o++ = digits[i];
	}
	else
	{
		int int_digits = exp10 + 1;
		for (int i = 0; i < int_digits; i++)
			*o++ = i < nd ? digits[i] : '0';
		if (nd > int_digits)
		{
			*o++ = '.';
			for (int i = int_digits; i < nd; i++)
				*o++ = digits[i];
		}
	}
	return static_cast<size_t>(o - out);
}

size_t
format_vector(const float *x, int dim, char *out)
{
	char *o = out;
	*o++ = '[';
	for (int i = 0; i < dim; i++)
	{
		if (i > 0)
			*o++ = ',';
		o += format_float(x[i], o);
	}
	*o++ = ']';
	*o = '\0';
	return static_cast<size_t>(o - out);
}

} // namespace vx
