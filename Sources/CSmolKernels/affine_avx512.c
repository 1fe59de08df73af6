// AVX-512 kernels for MLX affine-quantized rows: 16 codes per widening instruction, and for 4-bit codes
// a four-row kernel that shares each load of x between four rows (decode is bound by weight bandwidth
// and by the widening shuffles, not by x).
#include "internal.h"

#if CSK_X86
#define AVX512 __attribute__((target("avx512f,avx2,fma,f16c")))

AVX512 static inline float scale512(int type, const uint8_t *p, int64_t i) {
    if (type == CSK_F16) return _cvtsh_ss(csk_load_u16(p + 2 * i));
    return csk_scale_at(type, p, i);
}

AVX512 static inline __m512 u8x16(__m128i b) { return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)); }

// The 32 codes of 16 bytes of 4-bit codes, in element order: low nibble first.
AVX512 static inline void nibbles_in_order(const uint8_t *q, __m128i *c0, __m128i *c1) {
    const __m128i m = _mm_set1_epi8(0x0F);
    __m128i raw = _mm_loadu_si128((const __m128i *)q);
    __m128i lo = _mm_and_si128(raw, m), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), m);
    *c0 = _mm_unpacklo_epi8(lo, hi);
    *c1 = _mm_unpackhi_epi8(lo, hi);
}

AVX512 static inline __m512 group4(const uint8_t *q, const float *x, int g) {
    __m512 a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
    for (int c = 0; c < g; c += 32, q += 16, x += 32) {
        __m128i c0, c1;
        nibbles_in_order(q, &c0, &c1);
        a = _mm512_fmadd_ps(u8x16(c0), _mm512_loadu_ps(x), a);
        b = _mm512_fmadd_ps(u8x16(c1), _mm512_loadu_ps(x + 16), b);
    }
    return _mm512_add_ps(a, b);
}

AVX512 static inline __m512 group8(const uint8_t *q, const float *x, int g) {
    __m512 a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
    for (int c = 0; c < g; c += 32, q += 32, x += 32) {
        a = _mm512_fmadd_ps(u8x16(_mm_loadu_si128((const __m128i *)q)), _mm512_loadu_ps(x), a);
        b = _mm512_fmadd_ps(u8x16(_mm_loadu_si128((const __m128i *)(q + 16))), _mm512_loadu_ps(x + 16), b);
    }
    return _mm512_add_ps(a, b);
}

AVX512 static inline __m512 group_bits(const uint8_t *q, const float *x, int g, int bits) {
    const uint64_t mask = (1u << bits) - 1;
    __m512 a = _mm512_setzero_ps();
    for (int c = 0; c < g; c += 16, x += 16) {
        uint64_t v0 = csk_load_bits8(q + (c / 8) * bits, bits), v1 = csk_load_bits8(q + (c / 8 + 1) * bits, bits);
        uint64_t s0 = 0, s1 = 0;
        for (int k = 0; k < 8; k++) {
            s0 |= ((v0 >> (k * bits)) & mask) << (8 * k);
            s1 |= ((v1 >> (k * bits)) & mask) << (8 * k);
        }
        a = _mm512_fmadd_ps(u8x16(_mm_set_epi64x((long long)s1, (long long)s0)), _mm512_loadu_ps(x), a);
    }
    return a;
}

AVX512 float csk_affine_dot_avx512(const csk_affine *a, const uint8_t *q, const uint8_t *s, const uint8_t *b,
                                   const float *x, const float *gs, int64_t n) {
    const int G = a->group_size, bits = a->bits, t = a->scale_type;
    const int64_t ng = n / G, gbytes = (int64_t)G * bits / 8;
    __m512 acc = _mm512_setzero_ps();
    float off = 0;
    for (int64_t g = 0; g < ng; g++, q += gbytes, x += G) {
        __m512 d = bits == 4 ? group4(q, x, G) : bits == 8 ? group8(q, x, G) : group_bits(q, x, G, bits);
        acc = _mm512_fmadd_ps(_mm512_set1_ps(scale512(t, s, g)), d, acc);
        off += scale512(t, b, g) * gs[g];
    }
    return _mm512_reduce_add_ps(acc) + off;
}

int csk_affine_avx512_has4(const csk_affine *a) { return a->bits == 4; }

// Four rows of 4-bit codes. With `xp` (x permuted per 32-block: even elements, then odd ones, see
// csk_affine_permute4) the low and high nibbles of 16 code bytes multiply 16 consecutive floats each, with no
// byte shuffles; without it the nibbles are put in element order first.
AVX512 void csk_affine_dot4_avx512(const csk_affine *a, const uint8_t *q, size_t qstride, const uint8_t *s, const uint8_t *b,
                                   size_t sstride, const float *x, const float *xp, const float *gs, int64_t n, float *out) {
    const int G = a->group_size, t = a->scale_type;
    const int64_t ng = n / G;
    const uint8_t *q0 = q, *q1 = q + qstride, *q2 = q + 2 * qstride, *q3 = q + 3 * qstride;
    const __m128i m = _mm_set1_epi8(0x0F);
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps(), acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
    float off[4] = {0, 0, 0, 0};
    for (int64_t g = 0; g < ng; g++) {
        __m512 d0 = _mm512_setzero_ps(), d1 = _mm512_setzero_ps(), d2 = _mm512_setzero_ps(), d3 = _mm512_setzero_ps();
        for (int c = 0; c < G; c += 32) {
            int64_t o = (g * G + c) / 2;
            // The next rows: the hardware prefetcher does not follow four interleaved streams well.
            _mm_prefetch((const char *)(q0 + o + 4 * qstride), _MM_HINT_T0);
            _mm_prefetch((const char *)(q1 + o + 4 * qstride), _MM_HINT_T0);
            _mm_prefetch((const char *)(q2 + o + 4 * qstride), _MM_HINT_T0);
            _mm_prefetch((const char *)(q3 + o + 4 * qstride), _MM_HINT_T0);
            __m128i c0, c1;
            if (xp) {
                const float *xc = xp + g * G + c;
                __m512 x0 = _mm512_loadu_ps(xc), x1 = _mm512_loadu_ps(xc + 16);
#define ROW(Q, D) { __m128i raw = _mm_loadu_si128((const __m128i *)(Q + o)); \
                D = _mm512_fmadd_ps(u8x16(_mm_and_si128(raw, m)), x0, D); \
                D = _mm512_fmadd_ps(u8x16(_mm_and_si128(_mm_srli_epi16(raw, 4), m)), x1, D); }
                ROW(q0, d0) ROW(q1, d1) ROW(q2, d2) ROW(q3, d3)
#undef ROW
            } else {
                const float *xc = x + g * G + c;
                __m512 x0 = _mm512_loadu_ps(xc), x1 = _mm512_loadu_ps(xc + 16);
#define ROW(Q, D) nibbles_in_order(Q + o, &c0, &c1); \
                D = _mm512_fmadd_ps(u8x16(c0), x0, D); D = _mm512_fmadd_ps(u8x16(c1), x1, D);
                ROW(q0, d0) ROW(q1, d1) ROW(q2, d2) ROW(q3, d3)
#undef ROW
            }
        }
        float x_sum = gs[g];
        acc0 = _mm512_fmadd_ps(_mm512_set1_ps(scale512(t, s, g)), d0, acc0);
        acc1 = _mm512_fmadd_ps(_mm512_set1_ps(scale512(t, s + sstride, g)), d1, acc1);
        acc2 = _mm512_fmadd_ps(_mm512_set1_ps(scale512(t, s + 2 * sstride, g)), d2, acc2);
        acc3 = _mm512_fmadd_ps(_mm512_set1_ps(scale512(t, s + 3 * sstride, g)), d3, acc3);
        for (int k = 0; k < 4; k++) off[k] += scale512(t, b + k * sstride, g) * x_sum;
    }
    out[0] = _mm512_reduce_add_ps(acc0) + off[0];
    out[1] = _mm512_reduce_add_ps(acc1) + off[1];
    out[2] = _mm512_reduce_add_ps(acc2) + off[2];
    out[3] = _mm512_reduce_add_ps(acc3) + off[3];
}
#else
float csk_affine_dot_avx512(const csk_affine *a, const uint8_t *q, const uint8_t *s, const uint8_t *b,
                            const float *x, const float *gs, int64_t n) {
    return csk_affine_dot_scalar(a, q, s, b, x, gs, n);
}
int csk_affine_avx512_has4(const csk_affine *a) { (void)a; return 0; }
void csk_affine_dot4_avx512(const csk_affine *a, const uint8_t *q, size_t qstride, const uint8_t *s, const uint8_t *b,
                            size_t sstride, const float *x, const float *xp, const float *gs, int64_t n, float *out) {
    (void)a; (void)q; (void)qstride; (void)s; (void)b; (void)sstride; (void)x; (void)xp; (void)gs; (void)n; (void)out;
}
#endif
