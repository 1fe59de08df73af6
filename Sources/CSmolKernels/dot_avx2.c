// AVX2 + FMA + F16C fused dequantize-and-dot kernels. Activations stay f32: codes are widened to
// f32 and multiplied with x, and a block's scale is applied once to the block's partial sum.
#include "simd.h"

#if CSK_X86
// Σ nibble_j * x_j over one 32-block whose 16 code bytes are at qs.
AVX2 static inline __m256 nibbles_dot(const uint8_t *qs, const float *x) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    __m128i m = _mm_set1_epi8(0x0F);
    __m128i lo = _mm_and_si128(raw, m);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(raw, 4), m);
    __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
    a = fma_u8(lo, x, a);
    b = fma_u8(_mm_srli_si128(lo, 8), x + 8, b);
    a = fma_u8(hi, x + 16, a);
    b = fma_u8(_mm_srli_si128(hi, 8), x + 24, b);
    return _mm256_add_ps(a, b);
}

AVX2 float csk_dot_f32_avx2(const float *a, const float *b, int64_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

AVX2 static float dot_f16(const uint16_t *w, const float *x, int64_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i))), _mm256_loadu_ps(x + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i + 8))), _mm256_loadu_ps(x + i + 8), s1);
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) s += _cvtsh_ss(w[i]) * x[i];
    return s;
}

AVX2 static float dot_bf16(const uint16_t *w, const float *x, int64_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i a = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + i))), 16);
        __m256i b = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + i + 8))), 16);
        s0 = _mm256_fmadd_ps(_mm256_castsi256_ps(a), _mm256_loadu_ps(x + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_castsi256_ps(b), _mm256_loadu_ps(x + i + 8), s1);
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) s += csk_bf16(w[i]) * x[i];
    return s;
}

AVX2 static float dot_q8_0(const uint8_t *p, const float *x, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++, p += 34, x += 32) {
        const uint8_t *qs = p + 2;
        __m128i q0 = _mm_loadu_si128((const __m128i *)qs);
        __m128i q1 = _mm_loadu_si128((const __m128i *)(qs + 16));
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        s0 = fma_i8(q0, x, s0);
        s1 = fma_i8(_mm_srli_si128(q0, 8), x + 8, s1);
        s0 = fma_i8(q1, x + 16, s0);
        s1 = fma_i8(_mm_srli_si128(q1, 8), x + 24, s1);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half_avx2(p)), _mm256_add_ps(s0, s1), acc);
    }
    return hsum256(acc);
}

AVX2 static float dot_q4_0(const uint8_t *p, const float *x, const float *xs, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    float off = 0;
    for (int64_t b = 0; b < nb; b++, p += 18) {
        float d = half_avx2(p);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), nibbles_dot(p + 2, x + b * 32), acc);
        off += d * xs[b];
    }
    return hsum256(acc) - 8.0f * off;
}

AVX2 static float dot_q4_1(const uint8_t *p, const float *x, const float *xs, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    float off = 0;
    for (int64_t b = 0; b < nb; b++, p += 20) {
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half_avx2(p)), nibbles_dot(p + 4, x + b * 32), acc);
        off += half_avx2(p + 2) * xs[b];
    }
    return hsum256(acc) + off;
}

// Σ q_j * x_j over one 5-bit 32-block: nibbles from qs, fifth bits from qh (bit j for element j).
AVX2 static inline __m256 q5_block_dot(uint32_t qh, const uint8_t *qs, const float *x) {
    const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                            2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bits = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    // Byte i of hb is 0x10 when bit i of qh is set.
    __m256i hb = _mm256_shuffle_epi8(_mm256_set1_epi32((int)qh), spread);
    hb = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hb, bits), bits), _mm256_set1_epi8(0x10));
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    __m128i m = _mm_set1_epi8(0x0F);
    __m256i q = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), m), _mm_and_si128(raw, m));
    return u8x32_dot(_mm256_or_si256(q, hb), x);
}

AVX2 static float dot_q5_0(const uint8_t *p, const float *x, const float *xs, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    float off = 0;
    for (int64_t b = 0; b < nb; b++, p += 22) {
        float d = half_avx2(p);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), q5_block_dot(csk_load_u32(p + 2), p + 6, x + b * 32), acc);
        off += d * xs[b];
    }
    return hsum256(acc) - 16.0f * off;
}

AVX2 static float dot_q5_1(const uint8_t *p, const float *x, const float *xs, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    float off = 0;
    for (int64_t b = 0; b < nb; b++, p += 24) {
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half_avx2(p)), q5_block_dot(csk_load_u32(p + 4), p + 8, x + b * 32), acc);
        off += half_avx2(p + 2) * xs[b];
    }
    return hsum256(acc) + off;
}

AVX2 static float dot_q4_k(const uint8_t *p, const float *x, const float *xs, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    float off = 0;
    const __m128i m = _mm_set1_epi8(0x0F);
    for (int64_t b = 0; b < nb; b++, p += 144) {
        float d = half_avx2(p), dmin = half_avx2(p + 2);
        const uint8_t *scales = p + 4, *qs = p + 16;
        for (int c = 0; c < 4; c++) {
            int sc0, m0, sc1, m1;
            csk_q4k_scale_min(scales, 2 * c, &sc0, &m0);
            csk_q4k_scale_min(scales, 2 * c + 1, &sc1, &m1);
            const float *x0 = x + b * 256 + c * 64;
            __m128i r0 = _mm_loadu_si128((const __m128i *)(qs + c * 32));
            __m128i r1 = _mm_loadu_si128((const __m128i *)(qs + c * 32 + 16));
            __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
            __m128i l0 = _mm_and_si128(r0, m), l1 = _mm_and_si128(r1, m);
            __m128i h0 = _mm_and_si128(_mm_srli_epi16(r0, 4), m), h1 = _mm_and_si128(_mm_srli_epi16(r1, 4), m);
            lo = fma_u8(l0, x0, lo);
            lo = fma_u8(_mm_srli_si128(l0, 8), x0 + 8, lo);
            lo = fma_u8(l1, x0 + 16, lo);
            lo = fma_u8(_mm_srli_si128(l1, 8), x0 + 24, lo);
            hi = fma_u8(h0, x0 + 32, hi);
            hi = fma_u8(_mm_srli_si128(h0, 8), x0 + 40, hi);
            hi = fma_u8(h1, x0 + 48, hi);
            hi = fma_u8(_mm_srli_si128(h1, 8), x0 + 56, hi);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc0), lo, acc);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc1), hi, acc);
            off += dmin * ((float)m0 * xs[b * 8 + 2 * c] + (float)m1 * xs[b * 8 + 2 * c + 1]);
        }
    }
    return hsum256(acc) - off;
}

AVX2 static float dot_q6_k(const uint8_t *p, const float *x, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x03), k32 = _mm256_set1_epi8(32);
    for (int64_t b = 0; b < nb; b++, p += 210) {
        const uint8_t *ql = p, *qh = p + 128;
        const int8_t *sc = (const int8_t *)(p + 192);
        float d = half_avx2(p + 208);
        for (int half = 0; half < 2; half++) {
            __m256i l0 = _mm256_loadu_si256((const __m256i *)(ql + half * 64));
            __m256i l1 = _mm256_loadu_si256((const __m256i *)(ql + half * 64 + 32));
            __m256i h = _mm256_loadu_si256((const __m256i *)(qh + half * 32));
            __m256i q[4];
            q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(h, m2), 4));
            q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m2), 4));
            q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m2), 4));
            q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m2), 4));
            for (int k = 0; k < 4; k++) {
                __m256i qs = _mm256_sub_epi8(q[k], k32);
                const float *xb = x + b * 256 + half * 128 + k * 32;
                __m128i a = _mm256_castsi256_si128(qs), c = _mm256_extracti128_si256(qs, 1);
                __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
                s0 = fma_i8(a, xb, s0);
                s0 = fma_i8(_mm_srli_si128(a, 8), xb + 8, s0);
                s1 = fma_i8(c, xb + 16, s1);
                s1 = fma_i8(_mm_srli_si128(c, 8), xb + 24, s1);
                int si = (half * 128 + k * 32) / 16;
                acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc[si]), s0, acc);
                acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc[si + 1]), s1, acc);
            }
        }
    }
    return hsum256(acc);
}

// A type in the dequantization tables without a fused kernel here (none today): dequantize up to 256
// elements at a time and take an f32 dot, rather than answer 0.
AVX2 static float dot_dequantized(int type, const uint8_t *p, const float *x, int64_t n) {
    int bs = csk_block_size(type), bb = csk_block_bytes(type);
    if (bs <= 1) return csk_dot_scalar(type, p, x, n);
    float buf[256];
    float total = 0;
    for (int64_t i = 0; i < n; i += 256) {
        int64_t len = n - i < 256 ? n - i : 256;
        csk_dequantize_row(type, p + i / bs * bb, buf, len);
        total += csk_dot_f32_avx2(buf, x + i, len);
    }
    return total;
}

AVX2 float csk_dot_avx2(int type, const void *row, const float *x, const float *xs, int64_t n) {
    const uint8_t *p = (const uint8_t *)row;
    switch (type) {
    case CSK_F32: return csk_dot_f32_avx2((const float *)row, x, n);
    case CSK_F16: return dot_f16((const uint16_t *)row, x, n);
    case CSK_BF16: return dot_bf16((const uint16_t *)row, x, n);
    case CSK_Q8_0: return dot_q8_0(p, x, n / 32);
    case CSK_Q4_0: return dot_q4_0(p, x, xs, n / 32);
    case CSK_Q4_1: return dot_q4_1(p, x, xs, n / 32);
    case CSK_Q5_0: return dot_q5_0(p, x, xs, n / 32);
    case CSK_Q5_1: return dot_q5_1(p, x, xs, n / 32);
    case CSK_Q4_K: return dot_q4_k(p, x, xs, n / 256);
    case CSK_Q5_K: return csk_dot_q5_k_avx2(p, x, xs, n / 256);
    case CSK_Q6_K: return dot_q6_k(p, x, n / 256);
    case CSK_Q2_K: return csk_dot_q2_k_avx2(p, x, n / 256);
    case CSK_Q3_K: return csk_dot_q3_k_avx2(p, x, n / 256);
    case CSK_IQ4_NL: return csk_dot_iq4_nl_avx2(p, x, n / 32);
    case CSK_IQ4_XS: return csk_dot_iq4_xs_avx2(p, x, n / 256);
    default: return dot_dequantized(type, p, x, n);
    }
}
#else
float csk_dot_avx2(int type, const void *row, const float *x, const float *xs, int64_t n) {
    (void)xs;
    return csk_dot_scalar(type, row, x, n);
}
float csk_dot_f32_avx2(const float *a, const float *b, int64_t n) {
    float s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}
#endif
