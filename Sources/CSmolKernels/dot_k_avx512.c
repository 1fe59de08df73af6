// AVX-512 fused dot kernels for K-quant super-blocks (dot_avx512.c dispatches here).
#include "simd.h"

#if CSK_X86
// Q5_K (layout and minimum handling as in csk_dot_q5_k_avx2); two accumulators, one per sub-block of a pair.
AVX512 float csk_dot_q5_k_avx512(const uint8_t *p, const float *x, const float *xs, int64_t nb) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    float off = 0;
    const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    for (int64_t b = 0; b < nb; b++, p += 176) {
        float d = half512(p), dmin = half512(p + 2);
        const uint8_t *scales = p + 4, *qs = p + 48;
        __m256i qh = _mm256_loadu_si256((const __m256i *)(p + 16));
        for (int c = 0; c < 4; c++) {
            int sc0, m0, sc1, m1;
            csk_q4k_scale_min(scales, 2 * c, &sc0, &m0);
            csk_q4k_scale_min(scales, 2 * c + 1, &sc1, &m1);
            __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + c * 32));
            __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(qh, one), 4);
            __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 1), one), 4);
            qh = _mm256_srli_epi16(qh, 2);
            __m256i q0 = _mm256_or_si256(_mm256_and_si256(raw, m4), h0);
            __m256i q1 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(raw, 4), m4), h1);
            const float *x0 = x + b * 256 + c * 64;
            acc0 = _mm512_fmadd_ps(_mm512_set1_ps(d * (float)sc0), u8x32_dot512(q0, x0), acc0);
            acc1 = _mm512_fmadd_ps(_mm512_set1_ps(d * (float)sc1), u8x32_dot512(q1, x0 + 32), acc1);
            off += dmin * ((float)m0 * xs[b * 8 + 2 * c] + (float)m1 * xs[b * 8 + 2 * c + 1]);
        }
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) - off;
}
#endif
