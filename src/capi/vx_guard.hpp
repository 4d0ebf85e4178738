/*
 * vx_guard.hpp: the exception firewall of the C API (C++ only, private).
 */
#pragma once

#include "vx_core.h"
#include "../core/errors.h"

#include <cstdio>
#include <exception>
#include <new>

namespace vx_capi
{

inline VxStatus
to_status(vx::Errc e)
{
	switch (e)
	{
		case vx::Errc::ok: return VX_OK;
		case vx::Errc::syntax: return VX_ERR_SYNTAX;
		case vx::Errc::out_of_range: return VX_ERR_OUT_OF_RANGE;
		case vx::Errc::nan_value: return VX_ERR_NAN;
		case vx::Errc::inf_value: return VX_ERR_INF;
		case vx::Errc::empty: return VX_ERR_EMPTY;
		case vx::Errc::too_many_dims: return VX_ERR_TOO_MANY_DIMS;
		case vx::Errc::bad_unused: return VX_ERR_BAD_UNUSED;
		case vx::Errc::short_message: return VX_ERR_SHORT_MESSAGE;
		case vx::Errc::bad_dims: return VX_ERR_BAD_DIMS;
		case vx::Errc::dims_mismatch: return VX_ERR_DIMS_MISMATCH;
		case vx::Errc::overflow: return VX_ERR_OVERFLOW;
		case vx::Errc::underflow: return VX_ERR_UNDERFLOW;
		case vx::Errc::no_memory: return VX_ERR_NO_MEMORY;
		case vx::Errc::invalid_param: return VX_ERR_INVALID_PARAM;
		case vx::Errc::internal: return VX_ERR_INTERNAL;
		case vx::Errc::callback_failed: return VX_ERR_CALLBACK;
		case vx::Errc::corrupted: return VX_ERR_CORRUPTED;
	}
	return VX_ERR_INTERNAL;
}

inline void
fail(VxError *err, VxStatus s, const char *msg)
{
	if (err == nullptr)
		return;
	err->status = s;
	err->detail = 0;
	std::snprintf(err->message, sizeof(err->message), "%s", msg);
}

/* Run body (returning VxStatus); no exception leaves this function. */
template <typename Body>
VxStatus
guard(VxError *err, Body &&body) noexcept
{
	try
	{
		return body();
	}
	catch (const std::bad_alloc &)
	{
		fail(err, VX_ERR_NO_MEMORY, "out of memory in vector_ext core");
		return VX_ERR_NO_MEMORY;
	}
	catch (const std::exception &e)
	{
		fail(err, VX_ERR_INTERNAL, e.what());
		return VX_ERR_INTERNAL;
	}
	catch (...)
	{
		fail(err, VX_ERR_INTERNAL, "unknown exception in vector_ext core");
		return VX_ERR_INTERNAL;
	}
}

} // namespace vx_capi
