// Scalar dequantization. Bit-exactness with gguf-py's numpy code needs the same rounding steps, so
// no multiply-add may be fused into an FMA here.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#else
// GCC ignores the standard pragma and contracts by default, which on AArch64 (FMA in the base ISA) fuses.
#pragma GCC optimize("fp-contract=off")
#endif
#include "internal.h"

float csk_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F;
    uint32_t man = h & 0x3FF;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else {
            // Subnormal half: renormalize into an f32 normal.
            int e = -1;
            do { man <<= 1; e++; } while ((man & 0x400) == 0);
            man &= 0x3FF;
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | (man << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

int csk_type_supported(int type) { return csk_block_size(type) != 0; }

int csk_block_size(int type) {
    switch (type) {
    case CSK_F32: case CSK_F16: case CSK_BF16: return 1;
    case CSK_Q4_0: case CSK_Q4_1: case CSK_Q5_0: case CSK_Q5_1: case CSK_Q8_0: case CSK_IQ4_NL: return 32;
    case CSK_Q2_K: case CSK_Q3_K: case CSK_Q4_K: case CSK_Q5_K: case CSK_Q6_K: case CSK_IQ4_XS: return 256;
    default: return 0;
    }
}

int csk_block_bytes(int type) {
    switch (type) {
    case CSK_F32: return 4;
    case CSK_F16: case CSK_BF16: return 2;
    case CSK_Q4_0: return 18;
    case CSK_Q4_1: return 20;
    case CSK_Q5_0: return 22;
    case CSK_Q5_1: return 24;
    case CSK_Q8_0: return 34;
    case CSK_IQ4_NL: return 18;
    case CSK_Q2_K: return 84;
    case CSK_Q3_K: return 110;
    case CSK_Q4_K: return 144;
    case CSK_Q5_K: return 176;
    case CSK_Q6_K: return 210;
    case CSK_IQ4_XS: return 136;
    default: return 0;
    }
}

static void deq_q4_0(const uint8_t *b, float *y) {
    float d = csk_half(b);
    const uint8_t *qs = b + 2;
    for (int j = 0; j < 16; j++) {
        y[j] = d * (float)((int)(qs[j] & 0xF) - 8);
        y[j + 16] = d * (float)((int)(qs[j] >> 4) - 8);
    }
}

static void deq_q4_1(const uint8_t *b, float *y) {
    float d = csk_half(b), m = csk_half(b + 2);
    const uint8_t *qs = b + 4;
    for (int j = 0; j < 16; j++) {
        float t0 = d * (float)(qs[j] & 0xF);
        float t1 = d * (float)(qs[j] >> 4);
        y[j] = t0 + m;
        y[j + 16] = t1 + m;
    }
}

static void deq_q5_0(const uint8_t *b, float *y) {
    float d = csk_half(b);
    uint32_t qh = csk_load_u32(b + 2);
    const uint8_t *qs = b + 6;
    for (int j = 0; j < 16; j++) {
        int lo = (qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4);
        int hi = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
        y[j] = d * (float)(lo - 16);
        y[j + 16] = d * (float)(hi - 16);
    }
}

static void deq_q5_1(const uint8_t *b, float *y) {
    float d = csk_half(b), m = csk_half(b + 2);
    uint32_t qh = csk_load_u32(b + 4);
    const uint8_t *qs = b + 8;
    for (int j = 0; j < 16; j++) {
        int lo = (qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4);
        int hi = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
        float t0 = d * (float)lo, t1 = d * (float)hi;
        y[j] = t0 + m;
        y[j + 16] = t1 + m;
    }
}

static void deq_iq4_nl(const uint8_t *b, float *y) {
    float d = csk_half(b);
    const uint8_t *qs = b + 2;
    for (int j = 0; j < 16; j++) {
        y[j] = d * (float)csk_iq4_values[qs[j] & 0xF];
        y[j + 16] = d * (float)csk_iq4_values[qs[j] >> 4];
    }
}

static void deq_q8_0(const uint8_t *b, float *y) {
    float d = csk_half(b);
    const int8_t *qs = (const int8_t *)(b + 2);
    for (int j = 0; j < 32; j++) y[j] = (float)qs[j] * d;
}

static void deq_q4_k(const uint8_t *b, float *y) {
    float d = csk_half(b), dmin = csk_half(b + 2);
    const uint8_t *scales = b + 4, *qs = b + 16;
    for (int j = 0; j < 8; j++) {
        int sc, m;
        csk_q4k_scale_min(scales, j, &sc, &m);
        float ds = d * (float)sc, dm = dmin * (float)m;
        const uint8_t *q = qs + (j / 2) * 32;
        int shift = (j & 1) * 4;
        for (int l = 0; l < 32; l++) {
            float t = ds * (float)((q[l] >> shift) & 0xF);
            y[j * 32 + l] = t - dm;
        }
    }
}

static void deq_q6_k(const uint8_t *b, float *y) {
    const uint8_t *ql = b, *qh = b + 128;
    const int8_t *sc = (const int8_t *)(b + 192);
    float d = csk_half(b + 208);
    for (int half = 0; half < 2; half++) {
        const uint8_t *l8 = ql + half * 64, *h8 = qh + half * 32;
        float *out = y + half * 128;
        for (int l = 0; l < 32; l++) {
            int q1 = ((l8[l] & 0xF) | ((h8[l] & 3) << 4)) - 32;
            int q2 = ((l8[l + 32] & 0xF) | (((h8[l] >> 2) & 3) << 4)) - 32;
            int q3 = ((l8[l] >> 4) | (((h8[l] >> 4) & 3) << 4)) - 32;
            int q4 = ((l8[l + 32] >> 4) | (((h8[l] >> 6) & 3) << 4)) - 32;
            int e[4] = {l, l + 32, l + 64, l + 96};
            int q[4] = {q1, q2, q3, q4};
            for (int k = 0; k < 4; k++) {
                int idx = half * 128 + e[k];
                float ds = d * (float)sc[idx / 16];
                out[e[k]] = ds * (float)q[k];
            }
        }
    }
}

void csk_dequantize_row(int type, const void *src, float *dst, int64_t n) {
    const uint8_t *p = (const uint8_t *)src;
    switch (type) {
    case CSK_F32: memcpy(dst, src, (size_t)n * 4); return;
    case CSK_F16: for (int64_t i = 0; i < n; i++) dst[i] = csk_f16_to_f32(csk_load_u16(p + 2 * i)); return;
    case CSK_BF16: for (int64_t i = 0; i < n; i++) dst[i] = csk_bf16(csk_load_u16(p + 2 * i)); return;
    default: break;
    }
    int bs = csk_block_size(type), bb = csk_block_bytes(type);
    if (bs == 0) return;
    for (int64_t i = 0; i < n / bs; i++) {
        const uint8_t *b = p + i * bb;
        float *y = dst + i * bs;
        switch (type) {
        case CSK_Q4_0: deq_q4_0(b, y); break;
        case CSK_Q4_1: deq_q4_1(b, y); break;
        case CSK_Q5_0: deq_q5_0(b, y); break;
        case CSK_Q5_1: deq_q5_1(b, y); break;
        case CSK_Q8_0: deq_q8_0(b, y); break;
        case CSK_IQ4_NL: deq_iq4_nl(b, y); break;
        case CSK_Q2_K: csk_deq_q2_k(b, y); break;
        case CSK_Q3_K: csk_deq_q3_k(b, y); break;
        case CSK_Q4_K: deq_q4_k(b, y); break;
        case CSK_Q5_K: csk_deq_q5_k(b, y); break;
        case CSK_Q6_K: deq_q6_k(b, y); break;
        case CSK_IQ4_XS: csk_deq_iq4_xs(b, y); break;
        default: return;
        }
    }
}

float csk_dot_scalar(int type, const void *row, const float *x, int64_t n) {
    const uint8_t *p = (const uint8_t *)row;
    float buf[256];
    int bs = csk_block_size(type), bb = csk_block_bytes(type);
    if (bs == 0) return 0;
    if (bs == 1) bs = 256;  // plain types: convert 256 at a time
    float total = 0;
    for (int64_t i = 0; i < n; i += bs) {
        int len = (int)(n - i < bs ? n - i : bs);
        int64_t off = (csk_block_size(type) == 1) ? i * bb : (i / bs) * bb;
        csk_dequantize_row(type, p + off, buf, len);
        float s = 0;
        for (int j = 0; j < len; j++) s += buf[j] * x[i + j];
        total += s;
    }
    return total;
}
