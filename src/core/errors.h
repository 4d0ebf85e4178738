/*
 * errors.h: the error codes the core reports as values (never exceptions
 * across its public API).
 */
#pragma once

#include "no_postgres.h"

namespace vx
{

enum class Errc : int
{
	ok = 0,
	syntax,        /* malformed text */
	out_of_range,  /* a number does not fit a float4 */
	nan_value,     /* NaN element */
	inf_value,     /* infinite element */
	empty,         /* zero dimensions */
	too_many_dims, /* more than the type's maximum */
	bad_unused,    /* binary header's unused field is not zero */
	short_message, /* binary payload shorter than announced */
	bad_dims,      /* dimension count invalid in a binary payload */
	dims_mismatch, /* two operands of different dimensions */
	overflow,      /* arithmetic overflow */
	underflow,     /* arithmetic underflow */
	no_memory,
	invalid_param,
	internal,
	callback_failed, /* a callback supplied by the caller reported failure */
	corrupted,       /* an on-disk structure failed a consistency check */
};

} // namespace vx
