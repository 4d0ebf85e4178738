/* AVX-512 kernels (compiled with -mavx512f -mavx512dq -mavx512vl -mavx512bw -mavx2 -mfma). */
#define VX_ISA_NS   avx512
#define VX_ISA_NAME "avx512"
#include "kernels_impl.h"
