#ifndef CSK_SIMD_NEON_H
#define CSK_SIMD_NEON_H

// Small NEON helpers shared by the AArch64 kernel files (the counterparts of simd.h). Everything here is
// ARMv8.0-A Advanced SIMD: the kernels run on any AArch64 CPU (see docs/decisions/027-arm64-kernels.md for
// why no FEAT_FP16 / DotProd / I8MM instruction is used).
#include "internal.h"

#if CSK_ARM64
// One IEEE half to f32: FCVT is exact and in the base architecture (only half *arithmetic* is FEAT_FP16).
static inline float csk_half_neon(const uint8_t *p) {
    __fp16 h;
    memcpy(&h, p, 2);
    return (float)h;
}

static inline float32x4_t csk_u16lo_f32(uint16x8_t v) { return vcvtq_f32_u32(vmovl_u16(vget_low_u16(v))); }
static inline float32x4_t csk_u16hi_f32(uint16x8_t v) { return vcvtq_f32_u32(vmovl_high_u16(v)); }
static inline float32x4_t csk_s16lo_f32(int16x8_t v) { return vcvtq_f32_s32(vmovl_s16(vget_low_s16(v))); }
static inline float32x4_t csk_s16hi_f32(int16x8_t v) { return vcvtq_f32_s32(vmovl_high_s16(v)); }

// Σ q_j * x_j over 16 unsigned bytes and 16 floats, as 4 partial sums. Two chains, so consecutive FMAs do
// not wait for each other's 3-4 cycle latency.
static inline float32x4_t csk_u8x16_dot(uint8x16_t q, const float *x) {
    uint16x8_t a = vmovl_u8(vget_low_u8(q)), b = vmovl_high_u8(q);
    float32x4_t s0 = vmulq_f32(csk_u16lo_f32(a), vld1q_f32(x));
    float32x4_t s1 = vmulq_f32(csk_u16hi_f32(a), vld1q_f32(x + 4));
    s0 = vfmaq_f32(s0, csk_u16lo_f32(b), vld1q_f32(x + 8));
    s1 = vfmaq_f32(s1, csk_u16hi_f32(b), vld1q_f32(x + 12));
    return vaddq_f32(s0, s1);
}

// The same for signed bytes.
static inline float32x4_t csk_i8x16_dot(int8x16_t q, const float *x) {
    int16x8_t a = vmovl_s8(vget_low_s8(q)), b = vmovl_high_s8(q);
    float32x4_t s0 = vmulq_f32(csk_s16lo_f32(a), vld1q_f32(x));
    float32x4_t s1 = vmulq_f32(csk_s16hi_f32(a), vld1q_f32(x + 4));
    s0 = vfmaq_f32(s0, csk_s16lo_f32(b), vld1q_f32(x + 8));
    s1 = vfmaq_f32(s1, csk_s16hi_f32(b), vld1q_f32(x + 12));
    return vaddq_f32(s0, s1);
}

// Σ q_j * x_j over one 32-block whose codes are lo (elements 0..15) and hi (16..31).
static inline float32x4_t csk_u8x32_dot(uint8x16_t lo, uint8x16_t hi, const float *x) {
    return vaddq_f32(csk_u8x16_dot(lo, x), csk_u8x16_dot(hi, x + 16));
}

static inline float32x4_t csk_i8x32_dot(int8x16_t lo, int8x16_t hi, const float *x) {
    return vaddq_f32(csk_i8x16_dot(lo, x), csk_i8x16_dot(hi, x + 16));
}

// Byte i is 0x10 when bit `first + i` of qh is set (i in 0..15): the fifth bits of Q5 codes.
static inline uint8x16_t csk_q5_high(uint32_t qh, int first) {
    static const uint8_t bit[16] = { 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128 };
    uint8x8_t b0 = vdup_n_u8((uint8_t)(qh >> first)), b1 = vdup_n_u8((uint8_t)(qh >> (first + 8)));
    return vandq_u8(vtstq_u8(vcombine_u8(b0, b1), vld1q_u8(bit)), vdupq_n_u8(0x10));
}
#endif

#endif
