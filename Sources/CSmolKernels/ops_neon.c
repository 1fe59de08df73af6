// NEON helpers of the attention kernels (attention.c dispatches here): the f32 and f16 cache rows, and
// the f32 -> f16 store of new cache entries. FCVTN rounds to nearest even under the default FPCR, as
// csk_f32_to_f16 does, so the store is bit-identical to the scalar one (NaN payloads aside).
#include "simd_neon.h"

#if CSK_ARM64
void csk_axpy_neon(float *y, float a, const float *x, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), vld1q_f32(x + i), a));
        vst1q_f32(y + i + 4, vfmaq_n_f32(vld1q_f32(y + i + 4), vld1q_f32(x + i + 4), a));
    }
    for (; i < n; i++) y[i] += a * x[i];
}

void csk_axpy_f16_neon(float *y, float a, const uint16_t *x, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(x + i));
        vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), vcvt_f32_f16(vget_low_f16(h)), a));
        vst1q_f32(y + i + 4, vfmaq_n_f32(vld1q_f32(y + i + 4), vcvt_high_f32_f16(h), a));
    }
    for (; i < n; i++) y[i] += a * csk_half_neon((const uint8_t *)(x + i));
}

float csk_dot_f16_neon(const float *q, const uint16_t *k, int n) {
    int i = 0;
    float32x4_t a0 = vdupq_n_f32(0), a1 = a0;
    for (; i + 8 <= n; i += 8) {
        float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(k + i));
        a0 = vfmaq_f32(a0, vld1q_f32(q + i), vcvt_f32_f16(vget_low_f16(h)));
        a1 = vfmaq_f32(a1, vld1q_f32(q + i + 4), vcvt_high_f32_f16(h));
    }
    float r = vaddvq_f32(vaddq_f32(a0, a1));
    for (; i < n; i++) r += q[i] * csk_half_neon((const uint8_t *)(k + i));
    return r;
}

void csk_store_f16_neon(uint16_t *dst, const float *src, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        float16x8_t h = vcvt_high_f16_f32(vcvt_f16_f32(vld1q_f32(src + i)), vld1q_f32(src + i + 4));
        vst1q_u16(dst + i, vreinterpretq_u16_f16(h));
    }
    for (; i < n; i++) dst[i] = csk_f32_to_f16(src[i]);
}
#endif
