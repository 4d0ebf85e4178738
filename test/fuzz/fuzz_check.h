// fuzz_check.h: how the fuzz harnesses report a violated property (an abort,
// which libFuzzer records as a crash with the input that caused it).
#pragma once

#include <cstdio>
#include <cstdlib>

#ifndef VX_FUZZ_TARGET
#error "define VX_FUZZ_TARGET (the harness name) before including fuzz_check.h"
#endif

[[noreturn]] inline void
vx_fuzz_fail(const char *what)
{
	std::fprintf(stderr, "%s property violated: %s\n", VX_FUZZ_TARGET, what);
	std::abort();
}

#define CHECK(cond)                                                                                \
	do                                                                                             \
	{                                                                                              \
		if (!(cond))                                                                               \
			vx_fuzz_fail(#cond);                                                                   \
	} while (0)
