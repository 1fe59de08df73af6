// Scalar dequantization of the K-quant super-blocks and IQ4_XS (dequant.c has the 32-blocks). As there,
// the rounding steps follow gguf-py's numpy code (scale products first, then code × scale, then the
// minimum), and no multiply-add may be fused.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#else
// GCC ignores the standard pragma and contracts by default, which on AArch64 (FMA in the base ISA) fuses.
#pragma GCC optimize("fp-contract=off")
#endif
#include "internal.h"

void csk_deq_q2_k(const uint8_t *b, float *y) {
    const uint8_t *scales = b, *qs = b + 16;
    float d = csk_half(b + 80), dmin = csk_half(b + 82);
    for (int e = 0; e < 256; e++) {
        int half = e / 128, s = (e / 32) % 4, l = e % 32;
        int q = (qs[half * 32 + l] >> (2 * s)) & 3;
        uint8_t sc = scales[e / 16];
        float dl = d * (float)(sc & 0xF), ml = dmin * (float)(sc >> 4);
        float t = dl * (float)q;
        y[e] = t - ml;
    }
}

void csk_deq_q3_k(const uint8_t *b, float *y) {
    const uint8_t *hmask = b, *qs = b + 32, *scales = b + 96;
    float d = csk_half(b + 108);
    for (int j = 0; j < 16; j++) {
        float dl = d * (float)csk_q3k_scale(scales, j);
        for (int i = 0; i < 16; i++) {
            int e = j * 16 + i;
            int half = e / 128, s = (e / 32) % 4, l = e % 32;
            int q = (qs[half * 32 + l] >> (2 * s)) & 3;
            // A clear hmask bit (bit e / 32 of hmask[l]) subtracts 4.
            if (!((hmask[l] >> (e / 32)) & 1)) q -= 4;
            y[e] = dl * (float)q;
        }
    }
}

void csk_deq_q5_k(const uint8_t *b, float *y) {
    float d = csk_half(b), dmin = csk_half(b + 2);
    const uint8_t *scales = b + 4, *qh = b + 16, *qs = b + 48;
    for (int j = 0; j < 8; j++) {
        int sc, m;
        csk_q4k_scale_min(scales, j, &sc, &m);
        float ds = d * (float)sc, dm = dmin * (float)m;
        const uint8_t *q = qs + (j / 2) * 32;
        int shift = (j & 1) * 4;
        for (int l = 0; l < 32; l++) {
            int v = ((q[l] >> shift) & 0xF) | (((qh[l] >> j) & 1) << 4);
            float t = ds * (float)v;
            y[j * 32 + l] = t - dm;
        }
    }
}

void csk_deq_iq4_xs(const uint8_t *b, float *y) {
    float d = csk_half(b);
    const uint8_t *qs = b + 8;
    for (int j = 0; j < 8; j++) {
        float dl = d * (float)csk_iq4xs_scale(b, j);
        const uint8_t *q = qs + j * 16;
        for (int l = 0; l < 16; l++) {
            y[j * 32 + l] = dl * (float)csk_iq4_values[q[l] & 0xF];
            y[j * 32 + l + 16] = dl * (float)csk_iq4_values[q[l] >> 4];
        }
    }
}
