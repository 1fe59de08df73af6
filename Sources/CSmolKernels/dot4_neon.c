// Four-row NEON kernels (the counterparts of dot_avx512.c's dot4_* and rows4_tokens4): each 32-block of x
// is loaded once into eight registers and shared by four rows, whose scales are converted together and
// applied with lane-indexed FMAs. AArch64's 32 vector registers hold x, the four accumulators and the
// temporaries without spilling.
#include "simd_neon.h"

#if CSK_ARM64
typedef struct { float32x4_t v[8]; } xblock;

static inline xblock load_x32(const float *x) {
    xblock r;
    for (int i = 0; i < 8; i++) r.v[i] = vld1q_f32(x + 4 * i);
    return r;
}

// Σ q_j * x_j over one 32-block of codes lo (elements 0..15) and hi (16..31), x already in registers.
static inline float32x4_t u8_dot_x(uint8x16_t lo, uint8x16_t hi, const xblock *x) {
    uint16x8_t a = vmovl_u8(vget_low_u8(lo)), b = vmovl_high_u8(lo), c = vmovl_u8(vget_low_u8(hi)), d = vmovl_high_u8(hi);
    float32x4_t s0 = vmulq_f32(csk_u16lo_f32(a), x->v[0]), s1 = vmulq_f32(csk_u16hi_f32(a), x->v[1]);
    s0 = vfmaq_f32(s0, csk_u16lo_f32(b), x->v[2]);
    s1 = vfmaq_f32(s1, csk_u16hi_f32(b), x->v[3]);
    s0 = vfmaq_f32(s0, csk_u16lo_f32(c), x->v[4]);
    s1 = vfmaq_f32(s1, csk_u16hi_f32(c), x->v[5]);
    s0 = vfmaq_f32(s0, csk_u16lo_f32(d), x->v[6]);
    s1 = vfmaq_f32(s1, csk_u16hi_f32(d), x->v[7]);
    return vaddq_f32(s0, s1);
}

static inline float32x4_t i8_dot_x(int8x16_t lo, int8x16_t hi, const xblock *x) {
    int16x8_t a = vmovl_s8(vget_low_s8(lo)), b = vmovl_high_s8(lo), c = vmovl_s8(vget_low_s8(hi)), d = vmovl_high_s8(hi);
    float32x4_t s0 = vmulq_f32(csk_s16lo_f32(a), x->v[0]), s1 = vmulq_f32(csk_s16hi_f32(a), x->v[1]);
    s0 = vfmaq_f32(s0, csk_s16lo_f32(b), x->v[2]);
    s1 = vfmaq_f32(s1, csk_s16hi_f32(b), x->v[3]);
    s0 = vfmaq_f32(s0, csk_s16lo_f32(c), x->v[4]);
    s1 = vfmaq_f32(s1, csk_s16hi_f32(c), x->v[5]);
    s0 = vfmaq_f32(s0, csk_s16lo_f32(d), x->v[6]);
    s1 = vfmaq_f32(s1, csk_s16hi_f32(d), x->v[7]);
    return vaddq_f32(s0, s1);
}

// The f16 at byte offset `off` of each of the four rows' current blocks, as four floats (one FCVTL).
static inline float32x4_t halves4(const uint8_t *p0, const uint8_t *p1, const uint8_t *p2, const uint8_t *p3, int off) {
    uint16x4_t h = vdup_n_u16(csk_load_u16(p0 + off));
    h = vset_lane_u16(csk_load_u16(p1 + off), h, 1);
    h = vset_lane_u16(csk_load_u16(p2 + off), h, 2);
    h = vset_lane_u16(csk_load_u16(p3 + off), h, 3);
    return vcvt_f32_f16(vreinterpret_f16_u16(h));
}

// The 32 codes of a block: 4-bit (Q4_0/Q4_1, codes at `q`), or 5-bit (Q5_1: fifth bits at q - 4).
static inline void codes4(const uint8_t *q, int five, uint8x16_t *lo, uint8x16_t *hi) {
    uint8x16_t raw = vld1q_u8(q);
    *lo = vandq_u8(raw, vdupq_n_u8(0x0F));
    *hi = vshrq_n_u8(raw, 4);
    if (five) {
        uint32_t qh = csk_load_u32(q - 4);
        *lo = vorrq_u8(*lo, csk_q5_high(qh, 0));
        *hi = vorrq_u8(*hi, csk_q5_high(qh, 16));
    }
}

// Q4_0 (kind 0), Q4_1 (1) and Q5_1 (2); `kind` is a constant at each call site, so the branches fold away.
static inline __attribute__((always_inline)) void dot4_q(const int kind, const uint8_t *p, size_t stride,
                                                         const float *x, const float *xs, int64_t nb, float *out) {
    const int bb = kind == 0 ? 18 : kind == 1 ? 20 : 24, q = kind == 0 ? 2 : kind == 1 ? 4 : 8;
    const uint8_t *p0 = p, *p1 = p + stride, *p2 = p + 2 * stride, *p3 = p + 3 * stride;
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = acc0, acc2 = acc0, acc3 = acc0, off = acc0;
    for (int64_t b = 0; b < nb; b++) {
        // The next group of rows: as on x86, four interleaved streams defeat the hardware prefetcher.
        __builtin_prefetch(p0 + 4 * stride);
        __builtin_prefetch(p1 + 4 * stride);
        __builtin_prefetch(p2 + 4 * stride);
        __builtin_prefetch(p3 + 4 * stride);
        xblock xb = load_x32(x + b * 32);
        float32x4_t d = halves4(p0, p1, p2, p3, 0);
        // Q4_0: Σ d·xs (times -8 at the end); Q4_1/Q5_1: Σ m·xs.
        off = vfmaq_n_f32(off, kind == 0 ? d : halves4(p0, p1, p2, p3, 2), xs[b]);
        uint8x16_t lo, hi;
        codes4(p0 + q, kind == 2, &lo, &hi);
        acc0 = vfmaq_laneq_f32(acc0, u8_dot_x(lo, hi, &xb), d, 0);
        codes4(p1 + q, kind == 2, &lo, &hi);
        acc1 = vfmaq_laneq_f32(acc1, u8_dot_x(lo, hi, &xb), d, 1);
        codes4(p2 + q, kind == 2, &lo, &hi);
        acc2 = vfmaq_laneq_f32(acc2, u8_dot_x(lo, hi, &xb), d, 2);
        codes4(p3 + q, kind == 2, &lo, &hi);
        acc3 = vfmaq_laneq_f32(acc3, u8_dot_x(lo, hi, &xb), d, 3);
        p0 += bb; p1 += bb; p2 += bb; p3 += bb;
    }
    float o[4];
    vst1q_f32(o, kind == 0 ? vmulq_n_f32(off, -8.0f) : off);
    out[0] = vaddvq_f32(acc0) + o[0];
    out[1] = vaddvq_f32(acc1) + o[1];
    out[2] = vaddvq_f32(acc2) + o[2];
    out[3] = vaddvq_f32(acc3) + o[3];
}

static void dot4_q8_0(const uint8_t *p, size_t stride, const float *x, int64_t nb, float *out) {
    const uint8_t *p0 = p, *p1 = p + stride, *p2 = p + 2 * stride, *p3 = p + 3 * stride;
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int64_t b = 0; b < nb; b++) {
        __builtin_prefetch(p0 + 4 * stride);
        __builtin_prefetch(p1 + 4 * stride);
        __builtin_prefetch(p2 + 4 * stride);
        __builtin_prefetch(p3 + 4 * stride);
        xblock xb = load_x32(x + b * 32);
        float32x4_t d = halves4(p0, p1, p2, p3, 0);
#define ROW(P, ACC, LANE) \
        ACC = vfmaq_laneq_f32(ACC, i8_dot_x(vld1q_s8((const int8_t *)(P + 2)), vld1q_s8((const int8_t *)(P + 18)), &xb), d, LANE);
        ROW(p0, acc0, 0) ROW(p1, acc1, 1) ROW(p2, acc2, 2) ROW(p3, acc3, 3)
#undef ROW
        p0 += 34; p1 += 34; p2 += 34; p3 += 34;
    }
    out[0] = vaddvq_f32(acc0);
    out[1] = vaddvq_f32(acc1);
    out[2] = vaddvq_f32(acc2);
    out[3] = vaddvq_f32(acc3);
}

int csk_neon_has4(int type) { return type == CSK_Q4_0 || type == CSK_Q4_1 || type == CSK_Q5_1 || type == CSK_Q8_0; }

void csk_dot4_neon(int type, const void *rows, size_t stride, const float *x, const float *xs, int64_t n, float *out) {
    const uint8_t *p = (const uint8_t *)rows;
    if (type == CSK_Q8_0) dot4_q8_0(p, stride, x, n / 32, out);
    else if (type == CSK_Q4_1) dot4_q(1, p, stride, x, xs, n / 32, out);
    else if (type == CSK_Q5_1) dot4_q(2, p, stride, x, xs, n / 32, out);
    else dot4_q(0, p, stride, x, xs, n / 32, out);
}

// A 4-row × 4-token block: 16 accumulators, so each loaded weight and activation vector feeds 4 FMAs
// (16 + 4 + 1 of the 32 vector registers). w rows are w_stride floats apart; y[t * y_stride + r].
void csk_dot_f32_rows4_tokens4_neon(const float *w, int64_t w_stride, const float *x, int64_t n,
                                    float *y, int64_t y_stride, const float *bias) {
    float32x4_t acc[4][4];
    for (int r = 0; r < 4; r++) for (int t = 0; t < 4; t++) acc[r][t] = vdupq_n_f32(0);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t wv[4];
        for (int r = 0; r < 4; r++) wv[r] = vld1q_f32(w + r * w_stride + i);
        for (int t = 0; t < 4; t++) {
            float32x4_t xv = vld1q_f32(x + t * n + i);
            for (int r = 0; r < 4; r++) acc[r][t] = vfmaq_f32(acc[r][t], wv[r], xv);
        }
    }
    for (int r = 0; r < 4; r++) {
        for (int t = 0; t < 4; t++) {
            float s = vaddvq_f32(acc[r][t]);
            for (int64_t j = i; j < n; j++) s += w[r * w_stride + j] * x[t * n + j];
            y[t * y_stride + r] = s + (bias ? bias[r] : 0);
        }
    }
}
#endif
