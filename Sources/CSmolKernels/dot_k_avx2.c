// AVX2 fused dot kernels for the K-quant super-blocks beyond Q4_K and Q6_K and for the IQ4 types
// (dot_avx2.c dispatches here).
#include "simd.h"

#if CSK_X86
// Q5_K: as Q4_K, with bit j of qh[l] the fifth bit of element l of sub-block j. The minimums are applied
// through the 32-block sums of x: Σ (d·sc·q − dmin·m)·x = d·sc·Σ q·x − dmin·m·Σ x.
AVX2 float csk_dot_q5_k_avx2(const uint8_t *p, const float *x, const float *xs, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    float off = 0;
    const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    for (int64_t b = 0; b < nb; b++, p += 176) {
        float d = half_avx2(p), dmin = half_avx2(p + 2);
        const uint8_t *scales = p + 4, *qs = p + 48;
        __m256i qh = _mm256_loadu_si256((const __m256i *)(p + 16));
        for (int c = 0; c < 4; c++) {
            int sc0, m0, sc1, m1;
            csk_q4k_scale_min(scales, 2 * c, &sc0, &m0);
            csk_q4k_scale_min(scales, 2 * c + 1, &sc1, &m1);
            __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + c * 32));
            // Bits 2c and 2c + 1 of each qh byte, moved to bit 4 (16-bit shifts; the masks drop what
            // crosses from the neighbouring byte).
            __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(qh, one), 4);
            __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 1), one), 4);
            qh = _mm256_srli_epi16(qh, 2);
            __m256i q0 = _mm256_or_si256(_mm256_and_si256(raw, m4), h0);
            __m256i q1 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(raw, 4), m4), h1);
            const float *x0 = x + b * 256 + c * 64;
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc0), u8x32_dot(q0, x0), acc);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc1), u8x32_dot(q1, x0 + 32), acc);
            off += dmin * ((float)m0 * xs[b * 8 + 2 * c] + (float)m1 * xs[b * 8 + 2 * c + 1]);
        }
    }
    return hsum256(acc) - off;
}

// Σ q_j * x_j over 16 signed bytes and 16 floats.
AVX2 static inline __m256 i8x16_dot(__m128i q, const float *x) {
    __m256 s = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), _mm256_loadu_ps(x));
    return fma_i8(_mm_srli_si128(q, 8), x + 8, s);
}

AVX2 static inline __m256 u8x16_dot(__m128i q, const float *x) {
    __m256 s = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(q)), _mm256_loadu_ps(x));
    return fma_u8(_mm_srli_si128(q, 8), x + 8, s);
}

// Q2_K: sub-blocks of 16, so the minimums cannot use the 32-block sums of x; Σ x over each 16 is
// accumulated as a vector and scaled by dmin·m instead.
AVX2 float csk_dot_q2_k_avx2(const uint8_t *p, const float *x, int64_t nb) {
    __m256 acc = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
    const __m256i m2 = _mm256_set1_epi8(3);
    for (int64_t b = 0; b < nb; b++, p += 84) {
        const uint8_t *scales = p;
        float d = half_avx2(p + 80), dmin = half_avx2(p + 82);
        for (int half = 0; half < 2; half++) {
            __m256i raw = _mm256_loadu_si256((const __m256i *)(p + 16 + half * 32));
            for (int s = 0; s < 4; s++) {
                __m256i q = _mm256_and_si256(raw, m2);
                raw = _mm256_srli_epi16(raw, 2);
                const float *xb = x + b * 256 + half * 128 + s * 32;
                int j = half * 8 + s * 2;
                __m256 x0 = _mm256_add_ps(_mm256_loadu_ps(xb), _mm256_loadu_ps(xb + 8));
                __m256 x1 = _mm256_add_ps(_mm256_loadu_ps(xb + 16), _mm256_loadu_ps(xb + 24));
                acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)(scales[j] & 0xF)), u8x16_dot(_mm256_castsi256_si128(q), xb), acc);
                acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)(scales[j + 1] & 0xF)), u8x16_dot(_mm256_extracti128_si256(q, 1), xb + 16), acc);
                accm = _mm256_fmadd_ps(_mm256_set1_ps(dmin * (float)(scales[j] >> 4)), x0, accm);
                accm = _mm256_fmadd_ps(_mm256_set1_ps(dmin * (float)(scales[j + 1] >> 4)), x1, accm);
            }
        }
    }
    return hsum256(_mm256_sub_ps(acc, accm));
}

// Q3_K: the codes are made signed (2 low bits | hmask bit << 2, minus 4) before widening.
AVX2 float csk_dot_q3_k_avx2(const uint8_t *p, const float *x, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    const __m256i m2 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1), four = _mm256_set1_epi8(4);
    for (int64_t b = 0; b < nb; b++, p += 110) {
        const uint8_t *scales = p + 96;
        float d = half_avx2(p + 108);
        __m256i hm = _mm256_loadu_si256((const __m256i *)p);
        for (int half = 0; half < 2; half++) {
            __m256i raw = _mm256_loadu_si256((const __m256i *)(p + 32 + half * 32));
            for (int s = 0; s < 4; s++) {
                __m256i h = _mm256_slli_epi16(_mm256_and_si256(hm, one), 2);
                hm = _mm256_srli_epi16(hm, 1);
                __m256i q = _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(raw, m2), h), four);
                raw = _mm256_srli_epi16(raw, 2);
                const float *xb = x + b * 256 + half * 128 + s * 32;
                int j = half * 8 + s * 2;
                acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)csk_q3k_scale(scales, j)), i8x16_dot(_mm256_castsi256_si128(q), xb), acc);
                acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)csk_q3k_scale(scales, j + 1)), i8x16_dot(_mm256_extracti128_si256(q, 1), xb + 16), acc);
            }
        }
    }
    return hsum256(acc);
}

// Σ value(code_j) * x_j over one IQ4 32-block: a byte shuffle looks the 4-bit codes up in the code book.
AVX2 static inline __m256 iq4_block_dot(const uint8_t *qs, const float *x) {
    const __m128i book = _mm_loadu_si128((const __m128i *)csk_iq4_values);
    const __m128i m4 = _mm_set1_epi8(0x0F);
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    __m128i lo = _mm_shuffle_epi8(book, _mm_and_si128(raw, m4));
    __m128i hi = _mm_shuffle_epi8(book, _mm_and_si128(_mm_srli_epi16(raw, 4), m4));
    return i8x32_dot(_mm256_set_m128i(hi, lo), x);
}

AVX2 float csk_dot_iq4_nl_avx2(const uint8_t *p, const float *x, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++, p += 18)
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half_avx2(p)), iq4_block_dot(p + 2, x + b * 32), acc);
    return hsum256(acc);
}

AVX2 float csk_dot_iq4_xs_avx2(const uint8_t *p, const float *x, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++, p += 136) {
        float d = half_avx2(p);
        for (int j = 0; j < 8; j++)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)csk_iq4xs_scale(p, j)), iq4_block_dot(p + 8 + j * 16, x + b * 256 + j * 32), acc);
    }
    return hsum256(acc);
}
#endif
