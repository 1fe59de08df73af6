// MLX affine quantization: scalar kernels, dequantization (bit-identical to mx.dequantize) and dispatch.
// The dot kernels never dequantize a row: per group they compute scale * Σ code·x + bias * Σ x, with the
// group sums of x computed once per token by the caller.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#else
// GCC ignores the standard pragma and contracts by default, which on AArch64 (FMA in the base ISA) fuses.
#pragma GCC optimize("fp-contract=off")
#endif
#include "internal.h"

int csk_affine_supported(int bits, int group_size, int scale_type) {
    int bits_ok = bits == 2 || bits == 3 || bits == 4 || bits == 5 || bits == 6 || bits == 8;
    int group_ok = group_size >= 32 && group_size <= 1024 && group_size % 32 == 0;
    int type_ok = scale_type == CSK_F32 || scale_type == CSK_F16 || scale_type == CSK_BF16;
    return bits_ok && group_ok && type_ok;
}

// Round-to-nearest-even f32 -> bf16 -> f32, as MLX's bfloat16 type converts.
static float round_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) {
        u |= 0x00400000u;  // NaN stays a (quiet) NaN
    } else {
        u += 0x7FFFu + ((u >> 16) & 1u);
    }
    u &= 0xFFFF0000u;
    memcpy(&f, &u, 4);
    return f;
}

// Round-to-nearest-even f32 -> IEEE half -> f32 (handles subnormals, overflow to infinity and NaN).
static float round_f16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t sign = (u >> 16) & 0x8000u, abs = u & 0x7FFFFFFFu;
    uint16_t h;
    if (abs > 0x7F800000u) {
        h = (uint16_t)(sign | 0x7E00u);
    } else if (abs >= 0x47800000u) {  // >= 65536: rounds to infinity (65520 and up do too, handled below)
        h = (uint16_t)(sign | 0x7C00u);
    } else if (abs < 0x38800000u) {  // below the smallest normal half: a subnormal (or zero)
        uint32_t man = (abs & 0x7FFFFFu) | 0x800000u;
        int e = (int)(abs >> 23);
        int shift = 126 - e;  // value = man * 2^(e-150); in units of 2^-24: man >> (126 - e)
        if (shift > 24 || abs == 0) {
            h = (uint16_t)sign;
        } else {
            uint32_t q = man >> shift, rem = man & ((1u << shift) - 1), halfway = 1u << (shift - 1);
            if (rem > halfway || (rem == halfway && (q & 1))) q++;
            h = (uint16_t)(sign | q);
        }
    } else {
        uint32_t q = ((abs >> 13) - (112u << 10));  // rebias exponent 127 -> 15, keep 10 mantissa bits
        uint32_t rem = abs & 0x1FFFu;
        if (rem > 0x1000u || (rem == 0x1000u && (q & 1))) q++;  // a carry may round up to infinity: correct
        h = (uint16_t)(sign | q);
    }
    return csk_f16_to_f32(h);
}

static inline float round_to(int type, float f) {
    return type == CSK_BF16 ? round_bf16(f) : type == CSK_F16 ? round_f16(f) : f;
}

// Codes of one group of `g` elements starting at bit offset 0 of `q` (g * bits is a multiple of 64).
static inline void unpack_group(const uint8_t *q, int bits, int g, uint8_t *codes) {
    uint64_t mask = (1u << bits) - 1;
    for (int c = 0; c < g; c += 8) {
        uint64_t v = csk_load_bits8(q + (c / 8) * bits, bits);
        for (int k = 0; k < 8; k++) codes[c + k] = (uint8_t)((v >> (k * bits)) & mask);
    }
}

void csk_affine_permute4(const float *x, int64_t n, float *xp) {
    for (int64_t b = 0; b < n; b += 32) {
        for (int j = 0; j < 16; j++) {
            xp[b + j] = x[b + 2 * j];
            xp[b + 16 + j] = x[b + 2 * j + 1];
        }
    }
}

void csk_affine_group_sums(const float *x, int64_t n, int group_size, float *sums) {
    for (int64_t g = 0; g < n / group_size; g++) {
        float s = 0;
        for (int i = 0; i < group_size; i++) s += x[g * group_size + i];
        sums[g] = s;
    }
}

void csk_affine_dequantize_f32(const csk_affine *a, const uint8_t *q, const uint8_t *s, const uint8_t *b, float *dst, int64_t n) {
    uint8_t codes[1024];
    int G = a->group_size;
    if (a->bits == 4 || a->bits == 8) {
        // The common widths without the generic bit-stream unpacking (same arithmetic, so the same values);
        // prefill dequantizes every row once per chunk.
        for (int64_t g = 0; g < n / G; g++) {
            float scale = csk_scale_at(a->scale_type, s, g), bias = csk_scale_at(a->scale_type, b, g);
            float *y = dst + g * G;
            if (a->bits == 4) {
                const uint8_t *p = q + g * G / 2;
                for (int i = 0; i < G / 2; i++) {
                    y[2 * i] = scale * (float)(p[i] & 15) + bias;
                    y[2 * i + 1] = scale * (float)(p[i] >> 4) + bias;
                }
            } else {
                const uint8_t *p = q + g * G;
                for (int i = 0; i < G; i++) y[i] = scale * (float)p[i] + bias;
            }
        }
        return;
    }
    for (int64_t g = 0; g < n / G; g++) {
        float scale = csk_scale_at(a->scale_type, s, g), bias = csk_scale_at(a->scale_type, b, g);
        unpack_group(q + g * G * a->bits / 8, a->bits, G, codes);
        for (int i = 0; i < G; i++) dst[g * G + i] = scale * (float)codes[i] + bias;
    }
}

static inline void row_pointers(const csk_affine *a, const void *w, int64_t row, int64_t n,
                                const uint8_t **q, const uint8_t **s, const uint8_t **b) {
    size_t sb = (size_t)(n / a->group_size) * csk_scale_bytes(a->scale_type);
    *q = (const uint8_t *)w + (size_t)row * (size_t)(n * a->bits / 8);
    *s = (const uint8_t *)a->scales + (size_t)row * sb;
    *b = (const uint8_t *)a->biases + (size_t)row * sb;
}

void csk_affine_dequantize_row(const csk_affine *a, const void *w, int64_t row, float *dst, int64_t n, int mlx_rounding) {
    const uint8_t *q, *s, *b;
    row_pointers(a, w, row, n, &q, &s, &b);
    if (!mlx_rounding || a->scale_type == CSK_F32) {
        csk_affine_dequantize_f32(a, q, s, b, dst, n);
        return;
    }
    uint8_t codes[1024];
    int G = a->group_size, t = a->scale_type;
    for (int64_t g = 0; g < n / G; g++) {
        float scale = csk_scale_at(t, s, g), bias = csk_scale_at(t, b, g);
        unpack_group(q + g * G * a->bits / 8, a->bits, G, codes);
        // MLX evaluates `scale * code + bias` in the scale type: each operation rounds.
        for (int i = 0; i < G; i++) dst[g * G + i] = round_to(t, round_to(t, scale * (float)codes[i]) + bias);
    }
}

float csk_affine_dot_scalar(const csk_affine *a, const uint8_t *q, const uint8_t *s, const uint8_t *b,
                            const float *x, const float *gs, int64_t n) {
    uint8_t codes[1024];
    int G = a->group_size;
    float total = 0;
    for (int64_t g = 0; g < n / G; g++) {
        unpack_group(q + g * G * a->bits / 8, a->bits, G, codes);
        float d = 0;
        for (int i = 0; i < G; i++) d += (float)codes[i] * x[g * G + i];
        total += csk_scale_at(a->scale_type, s, g) * d + csk_scale_at(a->scale_type, b, g) * gs[g];
    }
    return total;
}

float csk_affine_dot_row_isa(int isa, const csk_affine *a, const void *w, int64_t row, const float *x, int64_t n) {
    float sums[1024];
    if (n / a->group_size > 1024) return 0;
    isa = csk_resolve_isa(isa);
    const uint8_t *q, *s, *b;
    row_pointers(a, w, row, n, &q, &s, &b);
    csk_affine_group_sums(x, n, a->group_size, sums);
#if CSK_ARM64
    if (isa == CSK_ISA_NEON) return csk_affine_dot_neon(a, q, s, b, x, sums, n);
#endif
    if (isa == CSK_ISA_AVX512) return csk_affine_dot_avx512(a, q, s, b, x, sums, n);
    if (isa == CSK_ISA_AVX2) return csk_affine_dot_avx2(a, q, s, b, x, sums, n);
    return csk_affine_dot_scalar(a, q, s, b, x, sums, n);
}
