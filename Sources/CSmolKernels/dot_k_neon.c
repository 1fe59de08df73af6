// NEON fused dot kernels for the K-quant super-blocks beyond Q4_K and Q6_K and for the IQ4 types
// (dot_neon.c dispatches here); the arithmetic of dot_k_avx2.c. NEON shifts bytes directly, so the 16-bit
// shift-and-mask dance of the AVX2 versions is not needed.
#include "simd_neon.h"

#if CSK_ARM64
// Q5_K: as Q4_K, with bit j of qh[l] the fifth bit of element l of sub-block j. The minimums go through
// the 32-block sums of x: Σ (d·sc·q − dmin·m)·x = d·sc·Σ q·x − dmin·m·Σ x.
float csk_dot_q5_k_neon(const uint8_t *p, const float *x, const float *xs, int64_t nb) {
    float32x4_t acc = vdupq_n_f32(0);
    float off = 0;
    const uint8x16_t m4 = vdupq_n_u8(0x0F), one = vdupq_n_u8(1);
    for (int64_t b = 0; b < nb; b++, p += 176) {
        float d = csk_half_neon(p), dmin = csk_half_neon(p + 2);
        const uint8_t *scales = p + 4, *qs = p + 48;
        uint8x16_t qh0 = vld1q_u8(p + 16), qh1 = vld1q_u8(p + 32);
        for (int c = 0; c < 4; c++) {
            int sc0, m0, sc1, m1;
            csk_q4k_scale_min(scales, 2 * c, &sc0, &m0);
            csk_q4k_scale_min(scales, 2 * c + 1, &sc1, &m1);
            uint8x16_t r0 = vld1q_u8(qs + c * 32), r1 = vld1q_u8(qs + c * 32 + 16);
            // Bits 2c and 2c + 1 of each qh byte, moved to bit 4.
            uint8x16_t a0 = vorrq_u8(vandq_u8(r0, m4), vshlq_n_u8(vandq_u8(qh0, one), 4));
            uint8x16_t a1 = vorrq_u8(vandq_u8(r1, m4), vshlq_n_u8(vandq_u8(qh1, one), 4));
            uint8x16_t b0 = vorrq_u8(vshrq_n_u8(r0, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(qh0, 1), one), 4));
            uint8x16_t b1 = vorrq_u8(vshrq_n_u8(r1, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(qh1, 1), one), 4));
            qh0 = vshrq_n_u8(qh0, 2);
            qh1 = vshrq_n_u8(qh1, 2);
            const float *x0 = x + b * 256 + c * 64;
            acc = vfmaq_n_f32(acc, csk_u8x32_dot(a0, a1, x0), d * (float)sc0);
            acc = vfmaq_n_f32(acc, csk_u8x32_dot(b0, b1, x0 + 32), d * (float)sc1);
            off += dmin * ((float)m0 * xs[b * 8 + 2 * c] + (float)m1 * xs[b * 8 + 2 * c + 1]);
        }
    }
    return vaddvq_f32(acc) - off;
}

// Σ of 16 floats, as 4 partial sums.
static inline float32x4_t sum16(const float *x) {
    return vaddq_f32(vaddq_f32(vld1q_f32(x), vld1q_f32(x + 4)), vaddq_f32(vld1q_f32(x + 8), vld1q_f32(x + 12)));
}

// Q2_K: sub-blocks of 16, so the minimums cannot use the 32-block sums of x; Σ x over each 16 is
// accumulated as a vector and scaled by dmin·m instead.
float csk_dot_q2_k_neon(const uint8_t *p, const float *x, int64_t nb) {
    float32x4_t acc = vdupq_n_f32(0), accm = vdupq_n_f32(0);
    const uint8x16_t m2 = vdupq_n_u8(3);
    for (int64_t b = 0; b < nb; b++, p += 84) {
        const uint8_t *scales = p;
        float d = csk_half_neon(p + 80), dmin = csk_half_neon(p + 82);
        for (int half = 0; half < 2; half++) {
            uint8x16_t r0 = vld1q_u8(p + 16 + half * 32), r1 = vld1q_u8(p + 32 + half * 32);
            for (int s = 0; s < 4; s++) {
                const float *xb = x + b * 256 + half * 128 + s * 32;
                int j = half * 8 + s * 2;
                acc = vfmaq_n_f32(acc, csk_u8x16_dot(vandq_u8(r0, m2), xb), d * (float)(scales[j] & 0xF));
                acc = vfmaq_n_f32(acc, csk_u8x16_dot(vandq_u8(r1, m2), xb + 16), d * (float)(scales[j + 1] & 0xF));
                accm = vfmaq_n_f32(accm, sum16(xb), dmin * (float)(scales[j] >> 4));
                accm = vfmaq_n_f32(accm, sum16(xb + 16), dmin * (float)(scales[j + 1] >> 4));
                r0 = vshrq_n_u8(r0, 2);
                r1 = vshrq_n_u8(r1, 2);
            }
        }
    }
    return vaddvq_f32(vsubq_f32(acc, accm));
}

// Q3_K: the codes are made signed (2 low bits | hmask bit << 2, minus 4) before widening.
float csk_dot_q3_k_neon(const uint8_t *p, const float *x, int64_t nb) {
    float32x4_t acc = vdupq_n_f32(0);
    const uint8x16_t m2 = vdupq_n_u8(3), one = vdupq_n_u8(1);
    const int8x16_t four = vdupq_n_s8(4);
    for (int64_t b = 0; b < nb; b++, p += 110) {
        const uint8_t *scales = p + 96;
        float d = csk_half_neon(p + 108);
        uint8x16_t hm0 = vld1q_u8(p), hm1 = vld1q_u8(p + 16);
        for (int half = 0; half < 2; half++) {
            uint8x16_t r0 = vld1q_u8(p + 32 + half * 32), r1 = vld1q_u8(p + 48 + half * 32);
            for (int s = 0; s < 4; s++) {
                int8x16_t q0 = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(r0, m2), vshlq_n_u8(vandq_u8(hm0, one), 2))), four);
                int8x16_t q1 = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(r1, m2), vshlq_n_u8(vandq_u8(hm1, one), 2))), four);
                hm0 = vshrq_n_u8(hm0, 1);
                hm1 = vshrq_n_u8(hm1, 1);
                r0 = vshrq_n_u8(r0, 2);
                r1 = vshrq_n_u8(r1, 2);
                const float *xb = x + b * 256 + half * 128 + s * 32;
                int j = half * 8 + s * 2;
                acc = vfmaq_n_f32(acc, csk_i8x16_dot(q0, xb), d * (float)csk_q3k_scale(scales, j));
                acc = vfmaq_n_f32(acc, csk_i8x16_dot(q1, xb + 16), d * (float)csk_q3k_scale(scales, j + 1));
            }
        }
    }
    return vaddvq_f32(acc);
}

// Σ value(code_j) * x_j over one IQ4 32-block: a table lookup (TBL) maps the 4-bit codes to the code book.
static inline float32x4_t iq4_block_dot(int8x16_t book, const uint8_t *qs, const float *x) {
    uint8x16_t raw = vld1q_u8(qs);
    int8x16_t lo = vqtbl1q_s8(book, vandq_u8(raw, vdupq_n_u8(0x0F)));
    int8x16_t hi = vqtbl1q_s8(book, vshrq_n_u8(raw, 4));
    return csk_i8x32_dot(lo, hi, x);
}

float csk_dot_iq4_nl_neon(const uint8_t *p, const float *x, int64_t nb) {
    const int8x16_t book = vld1q_s8(csk_iq4_values);
    float32x4_t acc = vdupq_n_f32(0);
    for (int64_t b = 0; b < nb; b++, p += 18)
        acc = vfmaq_n_f32(acc, iq4_block_dot(book, p + 2, x + b * 32), csk_half_neon(p));
    return vaddvq_f32(acc);
}

float csk_dot_iq4_xs_neon(const uint8_t *p, const float *x, int64_t nb) {
    const int8x16_t book = vld1q_s8(csk_iq4_values);
    float32x4_t acc = vdupq_n_f32(0);
    for (int64_t b = 0; b < nb; b++, p += 136) {
        float d = csk_half_neon(p);
        for (int j = 0; j < 8; j++)
            acc = vfmaq_n_f32(acc, iq4_block_dot(book, p + 8 + j * 16, x + b * 256 + j * 32), d * (float)csk_iq4xs_scale(p, j));
    }
    return vaddvq_f32(acc);
}
#endif
