// AVX2 + FMA + F16C kernels for MLX affine-quantized rows. Codes are widened to f32 and multiplied with
// x; a group's scale multiplies the group's partial sum once, and its bias the precomputed Σ x.
#include "internal.h"

#if CSK_X86
#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX2 static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX2 static inline float scale_avx2(int type, const uint8_t *p, int64_t i) {
    if (type == CSK_F16) return _cvtsh_ss(csk_load_u16(p + 2 * i));
    return csk_scale_at(type, p, i);
}

AVX2 static inline __m256 fma_u8(__m128i bytes8, const float *x, __m256 acc) {
    __m256 q = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes8));
    return _mm256_fmadd_ps(q, _mm256_loadu_ps(x), acc);
}

// Σ code·x over g codes of 4 bits: byte j holds element 2j (low nibble) and 2j+1 (high nibble).
AVX2 static inline __m256 group4(const uint8_t *q, const float *x, int g) {
    const __m128i m = _mm_set1_epi8(0x0F);
    __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
    for (int c = 0; c < g; c += 32, q += 16, x += 32) {
        __m128i raw = _mm_loadu_si128((const __m128i *)q);
        __m128i lo = _mm_and_si128(raw, m), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), m);
        __m128i c0 = _mm_unpacklo_epi8(lo, hi), c1 = _mm_unpackhi_epi8(lo, hi);
        a = fma_u8(c0, x, a);
        b = fma_u8(_mm_srli_si128(c0, 8), x + 8, b);
        a = fma_u8(c1, x + 16, a);
        b = fma_u8(_mm_srli_si128(c1, 8), x + 24, b);
    }
    return _mm256_add_ps(a, b);
}

// Σ code·x over g byte codes.
AVX2 static inline __m256 group8(const uint8_t *q, const float *x, int g) {
    __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
    for (int c = 0; c < g; c += 16, q += 16, x += 16) {
        __m128i raw = _mm_loadu_si128((const __m128i *)q);
        a = fma_u8(raw, x, a);
        b = fma_u8(_mm_srli_si128(raw, 8), x + 8, b);
    }
    return _mm256_add_ps(a, b);
}

// Other widths (2, 3, 5, 6 bits): 8 codes come from `bits` bytes of the stream; spread them to bytes.
AVX2 static inline __m256 group_bits(const uint8_t *q, const float *x, int g, int bits) {
    const uint64_t mask = (1u << bits) - 1;
    __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
    for (int c = 0; c < g; c += 16, x += 16) {
        uint64_t v0 = csk_load_bits8(q + (c / 8) * bits, bits), v1 = csk_load_bits8(q + (c / 8 + 1) * bits, bits);
        uint64_t s0 = 0, s1 = 0;
        for (int k = 0; k < 8; k++) {
            s0 |= ((v0 >> (k * bits)) & mask) << (8 * k);
            s1 |= ((v1 >> (k * bits)) & mask) << (8 * k);
        }
        a = fma_u8(_mm_cvtsi64_si128((long long)s0), x, a);
        b = fma_u8(_mm_cvtsi64_si128((long long)s1), x + 8, b);
    }
    return _mm256_add_ps(a, b);
}

AVX2 float csk_affine_dot_avx2(const csk_affine *a, const uint8_t *q, const uint8_t *s, const uint8_t *b,
                               const float *x, const float *gs, int64_t n) {
    const int G = a->group_size, bits = a->bits, t = a->scale_type;
    const int64_t ng = n / G, gbytes = (int64_t)G * bits / 8;
    __m256 acc = _mm256_setzero_ps();
    float off = 0;
    for (int64_t g = 0; g < ng; g++, q += gbytes, x += G) {
        __m256 d = bits == 4 ? group4(q, x, G) : bits == 8 ? group8(q, x, G) : group_bits(q, x, G, bits);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(scale_avx2(t, s, g)), d, acc);
        off += scale_avx2(t, b, g) * gs[g];
    }
    return hsum256(acc) + off;
}
#else
float csk_affine_dot_avx2(const csk_affine *a, const uint8_t *q, const uint8_t *s, const uint8_t *b,
                          const float *x, const float *gs, int64_t n) {
    return csk_affine_dot_scalar(a, q, s, b, x, gs, n);
}
#endif
