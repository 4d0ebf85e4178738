/* AVX2 + FMA kernels (compiled with -mavx2 -mfma). */
#define VX_ISA_NS   avx2
#define VX_ISA_NAME "avx2"
#include "kernels_impl.h"
