#ifndef CSK_SIMD_H
#define CSK_SIMD_H

// Small AVX2 / AVX-512 helpers shared by the dot kernel files (inline, each with its target attribute,
// so including this header enables nothing in the including file's other functions).
#include "internal.h"

#if CSK_X86
#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define AVX512 __attribute__((target("avx512f,avx2,fma,f16c")))

AVX2 static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX2 static inline float half_avx2(const uint8_t *p) {
    return _cvtsh_ss(csk_load_u16(p));
}

// Dot of 8 unsigned bytes (widened to f32) with 8 floats, accumulated.
AVX2 static inline __m256 fma_u8(__m128i bytes8, const float *x, __m256 acc) {
    __m256 q = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes8));
    return _mm256_fmadd_ps(q, _mm256_loadu_ps(x), acc);
}

AVX2 static inline __m256 fma_i8(__m128i bytes8, const float *x, __m256 acc) {
    __m256 q = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes8));
    return _mm256_fmadd_ps(q, _mm256_loadu_ps(x), acc);
}

// Σ q_j * x_j over 32 unsigned bytes q and 32 floats (two chains, so the FMAs overlap).
AVX2 static inline __m256 u8x32_dot(__m256i q, const float *x) {
    __m128i q0 = _mm256_castsi256_si128(q), q1 = _mm256_extracti128_si256(q, 1);
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    s0 = fma_u8(q0, x, s0);
    s1 = fma_u8(_mm_srli_si128(q0, 8), x + 8, s1);
    s0 = fma_u8(q1, x + 16, s0);
    s1 = fma_u8(_mm_srli_si128(q1, 8), x + 24, s1);
    return _mm256_add_ps(s0, s1);
}

// The same for signed bytes.
AVX2 static inline __m256 i8x32_dot(__m256i q, const float *x) {
    __m128i q0 = _mm256_castsi256_si128(q), q1 = _mm256_extracti128_si256(q, 1);
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    s0 = fma_i8(q0, x, s0);
    s1 = fma_i8(_mm_srli_si128(q0, 8), x + 8, s1);
    s0 = fma_i8(q1, x + 16, s0);
    s1 = fma_i8(_mm_srli_si128(q1, 8), x + 24, s1);
    return _mm256_add_ps(s0, s1);
}

AVX512 static inline float half512(const uint8_t *p) { return _cvtsh_ss(csk_load_u16(p)); }

AVX512 static inline __m512 u8x16(__m128i b) { return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)); }
AVX512 static inline __m512 i8x16(__m128i b) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(b)); }

// Σ q_j * x_j over 32 unsigned bytes q and 32 floats, as 16 partial sums.
AVX512 static inline __m512 u8x32_dot512(__m256i q, const float *x) {
    __m512 s = _mm512_mul_ps(u8x16(_mm256_castsi256_si128(q)), _mm512_loadu_ps(x));
    return _mm512_fmadd_ps(u8x16(_mm256_extracti128_si256(q, 1)), _mm512_loadu_ps(x + 16), s);
}
#endif

#endif
