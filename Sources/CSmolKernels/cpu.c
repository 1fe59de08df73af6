// sched_getaffinity and CPU_COUNT are GNU extensions.
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif
#if defined(__linux__)
#include <sched.h>
#endif
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

int csk_affinity_cpu_count(void) {
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return -1;
    return CPU_COUNT(&set);
#else
    return -1;
#endif
}
