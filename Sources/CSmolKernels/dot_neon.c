// NEON fused dequantize-and-dot kernels, the AArch64 counterparts of dot_avx2.c with the same arithmetic:
// activations stay f32, codes are widened to f32 and multiplied with x, a block's scale multiplies the
// block's partial sum once, and minimums/offsets go through the precomputed 32-block sums of x.
#include "simd_neon.h"

#if CSK_ARM64
float csk_dot_f32_neon(const float *a, const float *b, int64_t n) {
    float32x4_t s[8];
    for (int k = 0; k < 8; k++) s[k] = vdupq_n_f32(0);
    int64_t i = 0;
    // Eight chains: an FMA's latency (4 cycles) times the 128-bit FMA pipes (2 on Neoverse N1/N2, 4 on
    // Apple M-class) is how many must be in flight; four chains measured half the throughput in llvm-mca.
    for (; i + 32 <= n; i += 32) {
        s[0] = vfmaq_f32(s[0], vld1q_f32(a + i), vld1q_f32(b + i));
        s[1] = vfmaq_f32(s[1], vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
        s[2] = vfmaq_f32(s[2], vld1q_f32(a + i + 8), vld1q_f32(b + i + 8));
        s[3] = vfmaq_f32(s[3], vld1q_f32(a + i + 12), vld1q_f32(b + i + 12));
        s[4] = vfmaq_f32(s[4], vld1q_f32(a + i + 16), vld1q_f32(b + i + 16));
        s[5] = vfmaq_f32(s[5], vld1q_f32(a + i + 20), vld1q_f32(b + i + 20));
        s[6] = vfmaq_f32(s[6], vld1q_f32(a + i + 24), vld1q_f32(b + i + 24));
        s[7] = vfmaq_f32(s[7], vld1q_f32(a + i + 28), vld1q_f32(b + i + 28));
    }
    for (; i + 4 <= n; i += 4) s[0] = vfmaq_f32(s[0], vld1q_f32(a + i), vld1q_f32(b + i));
    for (int k = 0; k < 4; k++) s[k] = vaddq_f32(s[k], s[k + 4]);
    float r = vaddvq_f32(vaddq_f32(vaddq_f32(s[0], s[1]), vaddq_f32(s[2], s[3])));
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}

static float dot_f16(const uint16_t *w, const float *x, int64_t n) {
    float32x4_t s0 = vdupq_n_f32(0), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        float16x8_t h0 = vreinterpretq_f16_u16(vld1q_u16(w + i)), h1 = vreinterpretq_f16_u16(vld1q_u16(w + i + 8));
        s0 = vfmaq_f32(s0, vcvt_f32_f16(vget_low_f16(h0)), vld1q_f32(x + i));
        s1 = vfmaq_f32(s1, vcvt_high_f32_f16(h0), vld1q_f32(x + i + 4));
        s2 = vfmaq_f32(s2, vcvt_f32_f16(vget_low_f16(h1)), vld1q_f32(x + i + 8));
        s3 = vfmaq_f32(s3, vcvt_high_f32_f16(h1), vld1q_f32(x + i + 12));
    }
    float s = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
    for (; i < n; i++) s += csk_half_neon((const uint8_t *)(w + i)) * x[i];
    return s;
}

// bf16 is the top half of an f32: a widening shift by 16 is the exact conversion.
static float dot_bf16(const uint16_t *w, const float *x, int64_t n) {
    float32x4_t s0 = vdupq_n_f32(0), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint16x8_t a = vld1q_u16(w + i), b = vld1q_u16(w + i + 8);
        s0 = vfmaq_f32(s0, vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(a), 16)), vld1q_f32(x + i));
        s1 = vfmaq_f32(s1, vreinterpretq_f32_u32(vshll_high_n_u16(a, 16)), vld1q_f32(x + i + 4));
        s2 = vfmaq_f32(s2, vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(b), 16)), vld1q_f32(x + i + 8));
        s3 = vfmaq_f32(s3, vreinterpretq_f32_u32(vshll_high_n_u16(b, 16)), vld1q_f32(x + i + 12));
    }
    float s = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
    for (; i < n; i++) s += csk_bf16(w[i]) * x[i];
    return s;
}

static float dot_q8_0(const uint8_t *p, const float *x, int64_t nb) {
    float32x4_t acc = vdupq_n_f32(0);
    for (int64_t b = 0; b < nb; b++, p += 34, x += 32) {
        float32x4_t s = csk_i8x32_dot(vld1q_s8((const int8_t *)(p + 2)), vld1q_s8((const int8_t *)(p + 18)), x);
        acc = vfmaq_n_f32(acc, s, csk_half_neon(p));
    }
    return vaddvq_f32(acc);
}

// Σ nibble_j * x_j over one 32-block: byte j holds element j (low nibble) and j + 16 (high nibble).
static inline float32x4_t nibbles_dot(const uint8_t *qs, const float *x) {
    uint8x16_t raw = vld1q_u8(qs);
    return csk_u8x32_dot(vandq_u8(raw, vdupq_n_u8(0x0F)), vshrq_n_u8(raw, 4), x);
}

static float dot_q4_0(const uint8_t *p, const float *x, const float *xs, int64_t nb) {
    float32x4_t acc = vdupq_n_f32(0);
    float off = 0;
    for (int64_t b = 0; b < nb; b++, p += 18) {
        float d = csk_half_neon(p);
        acc = vfmaq_n_f32(acc, nibbles_dot(p + 2, x + b * 32), d);
        off += d * xs[b];
    }
    return vaddvq_f32(acc) - 8.0f * off;
}

static float dot_q4_1(const uint8_t *p, const float *x, const float *xs, int64_t nb) {
    float32x4_t acc = vdupq_n_f32(0);
    float off = 0;
    for (int64_t b = 0; b < nb; b++, p += 20) {
        acc = vfmaq_n_f32(acc, nibbles_dot(p + 4, x + b * 32), csk_half_neon(p));
        off += csk_half_neon(p + 2) * xs[b];
    }
    return vaddvq_f32(acc) + off;
}

// Σ q_j * x_j over one 5-bit 32-block: nibbles from qs, fifth bits from qh (bit j for element j).
static inline float32x4_t q5_block_dot(uint32_t qh, const uint8_t *qs, const float *x) {
    uint8x16_t raw = vld1q_u8(qs);
    uint8x16_t lo = vorrq_u8(vandq_u8(raw, vdupq_n_u8(0x0F)), csk_q5_high(qh, 0));
    uint8x16_t hi = vorrq_u8(vshrq_n_u8(raw, 4), csk_q5_high(qh, 16));
    return csk_u8x32_dot(lo, hi, x);
}

static float dot_q5_0(const uint8_t *p, const float *x, const float *xs, int64_t nb) {
    float32x4_t acc = vdupq_n_f32(0);
    float off = 0;
    for (int64_t b = 0; b < nb; b++, p += 22) {
        float d = csk_half_neon(p);
        acc = vfmaq_n_f32(acc, q5_block_dot(csk_load_u32(p + 2), p + 6, x + b * 32), d);
        off += d * xs[b];
    }
    return vaddvq_f32(acc) - 16.0f * off;
}

static float dot_q5_1(const uint8_t *p, const float *x, const float *xs, int64_t nb) {
    float32x4_t acc = vdupq_n_f32(0);
    float off = 0;
    for (int64_t b = 0; b < nb; b++, p += 24) {
        acc = vfmaq_n_f32(acc, q5_block_dot(csk_load_u32(p + 4), p + 8, x + b * 32), csk_half_neon(p));
        off += csk_half_neon(p + 2) * xs[b];
    }
    return vaddvq_f32(acc) + off;
}

static float dot_q4_k(const uint8_t *p, const float *x, const float *xs, int64_t nb) {
    float32x4_t acc = vdupq_n_f32(0);
    float off = 0;
    const uint8x16_t m4 = vdupq_n_u8(0x0F);
    for (int64_t b = 0; b < nb; b++, p += 144) {
        float d = csk_half_neon(p), dmin = csk_half_neon(p + 2);
        const uint8_t *scales = p + 4, *qs = p + 16;
        for (int c = 0; c < 4; c++) {
            int sc0, m0, sc1, m1;
            csk_q4k_scale_min(scales, 2 * c, &sc0, &m0);
            csk_q4k_scale_min(scales, 2 * c + 1, &sc1, &m1);
            const float *x0 = x + b * 256 + c * 64;
            uint8x16_t r0 = vld1q_u8(qs + c * 32), r1 = vld1q_u8(qs + c * 32 + 16);
            float32x4_t lo = csk_u8x32_dot(vandq_u8(r0, m4), vandq_u8(r1, m4), x0);
            float32x4_t hi = csk_u8x32_dot(vshrq_n_u8(r0, 4), vshrq_n_u8(r1, 4), x0 + 32);
            acc = vfmaq_n_f32(acc, lo, d * (float)sc0);
            acc = vfmaq_n_f32(acc, hi, d * (float)sc1);
            off += dmin * ((float)m0 * xs[b * 8 + 2 * c] + (float)m1 * xs[b * 8 + 2 * c + 1]);
        }
    }
    return vaddvq_f32(acc) - off;
}

static float dot_q6_k(const uint8_t *p, const float *x, int64_t nb) {
    float32x4_t acc = vdupq_n_f32(0);
    const uint8x16_t m4 = vdupq_n_u8(0x0F), m2 = vdupq_n_u8(0x03);
    const int8x16_t k32 = vdupq_n_s8(32);
    for (int64_t b = 0; b < nb; b++, p += 210) {
        const uint8_t *ql = p, *qh = p + 128;
        const int8_t *sc = (const int8_t *)(p + 192);
        float d = csk_half_neon(p + 208);
        for (int half = 0; half < 2; half++) {
            // Index 0 covers elements l = 0..15 of each 32, index 1 elements 16..31.
            for (int i = 0; i < 2; i++) {
                uint8x16_t l0 = vld1q_u8(ql + half * 64 + 16 * i), l1 = vld1q_u8(ql + half * 64 + 32 + 16 * i);
                uint8x16_t h = vld1q_u8(qh + half * 32 + 16 * i);
                uint8x16_t q[4];
                q[0] = vorrq_u8(vandq_u8(l0, m4), vshlq_n_u8(vandq_u8(h, m2), 4));
                q[1] = vorrq_u8(vandq_u8(l1, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h, 2), m2), 4));
                q[2] = vorrq_u8(vshrq_n_u8(l0, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h, 4), m2), 4));
                q[3] = vorrq_u8(vshrq_n_u8(l1, 4), vshlq_n_u8(vshrq_n_u8(h, 6), 4));
                for (int k = 0; k < 4; k++) {
                    int e = half * 128 + k * 32 + 16 * i;  // first element: one 16-element sub-block
                    float32x4_t s = csk_i8x16_dot(vsubq_s8(vreinterpretq_s8_u8(q[k]), k32), x + b * 256 + e);
                    acc = vfmaq_n_f32(acc, s, d * (float)sc[e / 16]);
                }
            }
        }
    }
    return vaddvq_f32(acc);
}

// A type in the dequantization tables without a fused kernel here (none today): dequantize up to 256
// elements at a time and take an f32 dot, rather than answer 0.
static float dot_dequantized(int type, const uint8_t *p, const float *x, int64_t n) {
    int bs = csk_block_size(type), bb = csk_block_bytes(type);
    if (bs <= 1) return csk_dot_scalar(type, p, x, n);
    float buf[256];
    float total = 0;
    for (int64_t i = 0; i < n; i += 256) {
        int64_t len = n - i < 256 ? n - i : 256;
        csk_dequantize_row(type, p + i / bs * bb, buf, len);
        total += csk_dot_f32_neon(buf, x + i, len);
    }
    return total;
}

float csk_dot_neon(int type, const void *row, const float *x, const float *xs, int64_t n) {
    const uint8_t *p = (const uint8_t *)row;
    switch (type) {
    case CSK_F32: return csk_dot_f32_neon((const float *)row, x, n);
    case CSK_F16: return dot_f16((const uint16_t *)row, x, n);
    case CSK_BF16: return dot_bf16((const uint16_t *)row, x, n);
    case CSK_Q8_0: return dot_q8_0(p, x, n / 32);
    case CSK_Q4_0: return dot_q4_0(p, x, xs, n / 32);
    case CSK_Q4_1: return dot_q4_1(p, x, xs, n / 32);
    case CSK_Q5_0: return dot_q5_0(p, x, xs, n / 32);
    case CSK_Q5_1: return dot_q5_1(p, x, xs, n / 32);
    case CSK_Q4_K: return dot_q4_k(p, x, xs, n / 256);
    case CSK_Q5_K: return csk_dot_q5_k_neon(p, x, xs, n / 256);
    case CSK_Q6_K: return dot_q6_k(p, x, n / 256);
    case CSK_Q2_K: return csk_dot_q2_k_neon(p, x, n / 256);
    case CSK_Q3_K: return csk_dot_q3_k_neon(p, x, n / 256);
    case CSK_IQ4_NL: return csk_dot_iq4_nl_neon(p, x, n / 32);
    case CSK_IQ4_XS: return csk_dot_iq4_xs_neon(p, x, n / 256);
    default: return dot_dequantized(type, p, x, n);
    }
}
#endif
