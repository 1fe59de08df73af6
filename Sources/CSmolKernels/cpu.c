// sched_getaffinity and CPU_COUNT are GNU extensions.
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif
#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif
#if defined(__aarch64__) && defined(__APPLE__)
#include <sys/sysctl.h>
#endif
#include "csmol_kernels.h"

#if defined(__aarch64__) && defined(__linux__)
// The HWCAP bits (arch/arm64/include/uapi/asm/hwcap.h), spelled out because older C libraries' headers
// lack the newer ones; the kernel's numbering never changes.
#define CSK_HWCAP_FP (1UL << 0)
#define CSK_HWCAP_ASIMD (1UL << 1)
#define CSK_HWCAP_FPHP (1UL << 9)
#define CSK_HWCAP_ASIMDHP (1UL << 10)
#define CSK_HWCAP_ASIMDDP (1UL << 20)
#define CSK_HWCAP2_I8MM (1UL << 13)

static uint32_t arm64_features(void) {
    unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    uint32_t f = 0;
    if ((hw & CSK_HWCAP_FP) && (hw & CSK_HWCAP_ASIMD)) f |= CSK_CPU_NEON;
    // Scalar and vector half arithmetic come together in FEAT_FP16; one without the other is not a level.
    if ((hw & CSK_HWCAP_FPHP) && (hw & CSK_HWCAP_ASIMDHP)) f |= CSK_CPU_FP16;
    if (hw & CSK_HWCAP_ASIMDDP) f |= CSK_CPU_DOTPROD;
    if (hw2 & CSK_HWCAP2_I8MM) f |= CSK_CPU_I8MM;
    return f;
}
#elif defined(__aarch64__) && defined(__APPLE__)
static int sysctl_flag(const char *name) {
    int v = 0;
    size_t len = sizeof(v);
    // An unknown name (an older OS) fails: the feature then counts as absent.
    return sysctlbyname(name, &v, &len, NULL, 0) == 0 && v != 0;
}

static uint32_t arm64_features(void) {
    // Every Apple arm64 CPU has Advanced SIMD; the rest are named FEAT_* since macOS 12 / iOS 15.
    uint32_t f = CSK_CPU_NEON;
    if (sysctl_flag("hw.optional.arm.FEAT_FP16")) f |= CSK_CPU_FP16;
    if (sysctl_flag("hw.optional.arm.FEAT_DotProd")) f |= CSK_CPU_DOTPROD;
    if (sysctl_flag("hw.optional.arm.FEAT_I8MM")) f |= CSK_CPU_I8MM;
    return f;
}
#elif defined(__aarch64__)
// Another AArch64 system: only the base architecture is certain.
static uint32_t arm64_features(void) { return CSK_CPU_NEON; }
#endif

uint32_t csk_cpu_features(void) {
    uint32_t f = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) f |= CSK_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) f |= CSK_CPU_FMA;
    if (__builtin_cpu_supports("f16c")) f |= CSK_CPU_F16C;
    if (__builtin_cpu_supports("avx512f")) f |= CSK_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512bf16")) f |= CSK_CPU_AVX512BF16;
#elif defined(__aarch64__)
    f = arm64_features();
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
