#include "csmol_kernels.h"

uint32_t csk_cpu_features(void) {
    uint32_t f = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) f |= CSK_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) f |= CSK_CPU_FMA;
    if (__builtin_cpu_supports("f16c")) f |= CSK_CPU_F16C;
    if (__builtin_cpu_supports("avx512f")) f |= CSK_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512bf16")) f |= CSK_CPU_AVX512BF16;
#endif
    return f;
}
