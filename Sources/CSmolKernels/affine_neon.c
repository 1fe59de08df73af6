// NEON kernels for MLX affine-quantized rows, the arithmetic of affine_avx2.c (a group's scale multiplies
// its partial sum once, its bias the precomputed Σ x), plus the four-row 4-bit kernel of affine_avx512.c.
#include "simd_neon.h"

#if CSK_ARM64
static inline float scale_neon(int type, const uint8_t *p, int64_t i) {
    if (type == CSK_F16) return csk_half_neon(p + 2 * i);
    return csk_scale_at(type, p, i);
}

// The 32 codes of 16 bytes of 4-bit codes in element order (byte j: element 2j low, 2j + 1 high nibble).
static inline void nibbles_in_order(const uint8_t *q, uint8x16_t *c0, uint8x16_t *c1) {
    uint8x16_t raw = vld1q_u8(q);
    uint8x16_t lo = vandq_u8(raw, vdupq_n_u8(0x0F)), hi = vshrq_n_u8(raw, 4);
    *c0 = vzip1q_u8(lo, hi);
    *c1 = vzip2q_u8(lo, hi);
}

static inline float32x4_t group4(const uint8_t *q, const float *x, int g) {
    float32x4_t a = vdupq_n_f32(0), b = a;
    for (int c = 0; c < g; c += 32, q += 16, x += 32) {
        uint8x16_t c0, c1;
        nibbles_in_order(q, &c0, &c1);
        a = vaddq_f32(a, csk_u8x16_dot(c0, x));
        b = vaddq_f32(b, csk_u8x16_dot(c1, x + 16));
    }
    return vaddq_f32(a, b);
}

static inline float32x4_t group8(const uint8_t *q, const float *x, int g) {
    float32x4_t a = vdupq_n_f32(0), b = a;
    for (int c = 0; c < g; c += 32, q += 32, x += 32) {
        a = vaddq_f32(a, csk_u8x16_dot(vld1q_u8(q), x));
        b = vaddq_f32(b, csk_u8x16_dot(vld1q_u8(q + 16), x + 16));
    }
    return vaddq_f32(a, b);
}

// Other widths (2, 3, 5, 6 bits): 8 codes come from `bits` bytes of the stream; spread them to bytes.
static inline float32x4_t group_bits(const uint8_t *q, const float *x, int g, int bits) {
    const uint64_t mask = (1u << bits) - 1;
    float32x4_t a = vdupq_n_f32(0);
    for (int c = 0; c < g; c += 16, x += 16) {
        uint64_t v0 = csk_load_bits8(q + (c / 8) * bits, bits), v1 = csk_load_bits8(q + (c / 8 + 1) * bits, bits);
        uint64_t s0 = 0, s1 = 0;
        for (int k = 0; k < 8; k++) {
            s0 |= ((v0 >> (k * bits)) & mask) << (8 * k);
            s1 |= ((v1 >> (k * bits)) & mask) << (8 * k);
        }
        a = vaddq_f32(a, csk_u8x16_dot(vcombine_u8(vcreate_u8(s0), vcreate_u8(s1)), x));
    }
    return a;
}

float csk_affine_dot_neon(const csk_affine *a, const uint8_t *q, const uint8_t *s, const uint8_t *b,
                          const float *x, const float *gs, int64_t n) {
    const int G = a->group_size, bits = a->bits, t = a->scale_type;
    const int64_t ng = n / G, gbytes = (int64_t)G * bits / 8;
    float32x4_t acc = vdupq_n_f32(0);
    float off = 0;
    for (int64_t g = 0; g < ng; g++, q += gbytes, x += G) {
        float32x4_t d = bits == 4 ? group4(q, x, G) : bits == 8 ? group8(q, x, G) : group_bits(q, x, G, bits);
        acc = vfmaq_n_f32(acc, d, scale_neon(t, s, g));
        off += scale_neon(t, b, g) * gs[g];
    }
    return vaddvq_f32(acc) + off;
}

int csk_affine_neon_has4(const csk_affine *a) { return a->bits == 4; }

// Four rows of 4-bit codes. With `xp` (x permuted per 32-block: even elements, then odd ones, see
// csk_affine_permute4) the low and high nibbles of 16 code bytes multiply 16 consecutive floats each, with
// no zips; without it the nibbles are put in element order first.
void csk_affine_dot4_neon(const csk_affine *a, const uint8_t *q, size_t qstride, const uint8_t *s, const uint8_t *b,
                          size_t sstride, const float *x, const float *xp, const float *gs, int64_t n, float *out) {
    const int G = a->group_size, t = a->scale_type;
    const int64_t ng = n / G;
    const uint8_t *q0 = q, *q1 = q + qstride, *q2 = q + 2 * qstride, *q3 = q + 3 * qstride;
    const uint8x16_t m = vdupq_n_u8(0x0F);
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    float off[4] = {0, 0, 0, 0};
    for (int64_t g = 0; g < ng; g++) {
        float32x4_t d0 = vdupq_n_f32(0), d1 = d0, d2 = d0, d3 = d0;
        for (int c = 0; c < G; c += 32) {
            int64_t o = (g * G + c) / 2;
            // The next rows: the hardware prefetcher does not follow four interleaved streams well.
            __builtin_prefetch(q0 + o + 4 * qstride);
            __builtin_prefetch(q1 + o + 4 * qstride);
            __builtin_prefetch(q2 + o + 4 * qstride);
            __builtin_prefetch(q3 + o + 4 * qstride);
            const float *xc = (xp ? xp : x) + g * G + c;
            uint8x16_t lo, hi;
#define ROW(Q, D) \
            if (xp) { uint8x16_t raw = vld1q_u8(Q + o); lo = vandq_u8(raw, m); hi = vshrq_n_u8(raw, 4); } \
            else nibbles_in_order(Q + o, &lo, &hi); \
            D = vaddq_f32(D, csk_u8x32_dot(lo, hi, xc));
            ROW(q0, d0) ROW(q1, d1) ROW(q2, d2) ROW(q3, d3)
#undef ROW
        }
        float x_sum = gs[g];
        acc0 = vfmaq_n_f32(acc0, d0, scale_neon(t, s, g));
        acc1 = vfmaq_n_f32(acc1, d1, scale_neon(t, s + sstride, g));
        acc2 = vfmaq_n_f32(acc2, d2, scale_neon(t, s + 2 * sstride, g));
        acc3 = vfmaq_n_f32(acc3, d3, scale_neon(t, s + 3 * sstride, g));
        for (int k = 0; k < 4; k++) off[k] += scale_neon(t, b + k * sstride, g) * x_sum;
    }
    out[0] = vaddvq_f32(acc0) + off[0];
    out[1] = vaddvq_f32(acc1) + off[1];
    out[2] = vaddvq_f32(acc2) + off[2];
    out[3] = vaddvq_f32(acc3) + off[3];
}
#endif
