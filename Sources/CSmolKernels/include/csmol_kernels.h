#ifndef CSMOL_KERNELS_H
#define CSMOL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// CPU features the kernels dispatch on (bit set).
enum {
    CSK_CPU_AVX2 = 1 << 0,
    CSK_CPU_FMA = 1 << 1,
    CSK_CPU_F16C = 1 << 2,
    CSK_CPU_AVX512F = 1 << 3,
    CSK_CPU_AVX512BF16 = 1 << 4,
};

/// The features of the running CPU, as a bit set of CSK_CPU_* values.
uint32_t csk_cpu_features(void);

#ifdef __cplusplus
}
#endif

#endif
