/* Baseline x86-64 (SSE2) kernels, runnable on every x86-64 CPU. */
#define VX_ISA_NS   base
#define VX_ISA_NAME "baseline"
#include "kernels_impl.h"
