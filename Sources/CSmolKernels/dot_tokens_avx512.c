// Four weight rows against one to four tokens: the fused dequantize-dot of dot_avx512.c with the unpacking
// of each block hoisted out of the token loop, so batched decoding converts a block's codes to floats once
// for up to four sequences. A token's arithmetic is exactly the one-token kernel's (same instructions on the
// same operands, in the same order): the one-token four-row kernel *is* this code with one token, so a
// sequence's logits are bit-identical whether it is decoded alone or in a batch of any size.
#include "simd.h"

#if CSK_X86

enum { KIND_Q4_0, KIND_Q4_1, KIND_Q5_1, KIND_Q8_0 };

// `kind` and `nt` are compile-time constants at every call site (always_inline), so the branches fold and
// the accumulators stay in registers: 4 rows × `nt` tokens.
AVX512 static inline __attribute__((always_inline)) void dot4_tokens(const int kind, const int nt, const uint8_t *p,
                                                                     size_t stride, const float *x, int64_t x_stride,
                                                                     const float *xs, int64_t xs_stride, int64_t nb,
                                                                     float *out) {
    __m512 acc[4][4];
    __m256 off[4];  // per token: lanes 2r = Σ d·xs, lanes 2r+1 = Σ m·xs, for row r
    for (int t = 0; t < nt; t++) {
        off[t] = _mm256_setzero_ps();
        for (int r = 0; r < 4; r++) acc[r][t] = _mm512_setzero_ps();
    }
    const __m128i m = _mm_set1_epi8(0x0F);
    const __m512i k16 = _mm512_set1_epi32(16);
    const int bb = kind == KIND_Q4_0 ? 18 : kind == KIND_Q4_1 ? 20 : kind == KIND_Q5_1 ? 24 : 34;
    const uint8_t *rows[4] = { p, p + stride, p + 2 * stride, p + 3 * stride };
    for (int64_t b = 0; b < nb; b++) {
        // The next group of rows: the hardware prefetcher does not follow four interleaved streams well.
        for (int r = 0; r < 4; r++) _mm_prefetch((const char *)(rows[r] + 4 * stride), _MM_HINT_T0);
        // Even lanes: the four rows' f16 scales; odd lanes: the Q4_1/Q5_1 minimums (else code bytes, unused).
        __m128i dm = _mm_setr_epi32((int)csk_load_u32(rows[0]), (int)csk_load_u32(rows[1]), (int)csk_load_u32(rows[2]),
                                    (int)csk_load_u32(rows[3]));
        __m256 dmf = _mm256_cvtph_ps(dm);
        if (kind != KIND_Q8_0)
            for (int t = 0; t < nt; t++) off[t] = _mm256_fmadd_ps(dmf, _mm256_set1_ps(xs[t * xs_stride + b]), off[t]);
        __m512 scales = _mm512_castps256_ps512(dmf);
        __m512 lo[4], hi[4], sc[4];
        for (int r = 0; r < 4; r++) {
            const uint8_t *q = rows[r];
            if (kind == KIND_Q8_0) {
                lo[r] = i8x16(_mm_loadu_si128((const __m128i *)(q + 2)));
                hi[r] = i8x16(_mm_loadu_si128((const __m128i *)(q + 18)));
            } else if (kind == KIND_Q5_1) {
                uint32_t qh = csk_load_u32(q + 4);
                __m128i raw = _mm_loadu_si128((const __m128i *)(q + 8));
                __m512i l = _mm512_cvtepu8_epi32(_mm_and_si128(raw, m));
                __m512i h = _mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(raw, 4), m));
                // The fifth bits of qh as lane masks (AVX-512F has no byte masks).
                l = _mm512_mask_or_epi32(l, (__mmask16)(qh & 0xFFFF), l, k16);
                h = _mm512_mask_or_epi32(h, (__mmask16)(qh >> 16), h, k16);
                lo[r] = _mm512_cvtepi32_ps(l);
                hi[r] = _mm512_cvtepi32_ps(h);
            } else {
                __m128i raw = _mm_loadu_si128((const __m128i *)(q + (kind == KIND_Q4_1 ? 4 : 2)));
                lo[r] = u8x16(_mm_and_si128(raw, m));
                hi[r] = u8x16(_mm_and_si128(_mm_srli_epi16(raw, 4), m));
            }
            sc[r] = _mm512_permutexvar_ps(_mm512_set1_epi32(2 * r), scales);
            rows[r] += bb;
        }
        for (int t = 0; t < nt; t++) {
            const float *xt = x + t * x_stride + b * 32;
            __m512 x0 = _mm512_loadu_ps(xt), x1 = _mm512_loadu_ps(xt + 16);
            for (int r = 0; r < 4; r++) {
                __m512 s = _mm512_mul_ps(lo[r], x0);
                s = _mm512_fmadd_ps(hi[r], x1, s);
                acc[r][t] = _mm512_fmadd_ps(sc[r], s, acc[r][t]);
            }
        }
    }
    for (int t = 0; t < nt; t++) {
        float o[8];
        _mm256_storeu_ps(o, off[t]);
        for (int r = 0; r < 4; r++) {
            float v = _mm512_reduce_add_ps(acc[r][t]);
            if (kind == KIND_Q4_0) v += -8.0f * o[2 * r];
            else if (kind != KIND_Q8_0) v += o[2 * r + 1];
            out[t * 4 + r] = v;
        }
    }
}

#define DISPATCH_NT(KIND)                                                                                  \
    switch (nt) {                                                                                          \
    case 1: dot4_tokens(KIND, 1, p, stride, x, x_stride, xs, xs_stride, nb, out); break;                   \
    case 2: dot4_tokens(KIND, 2, p, stride, x, x_stride, xs, xs_stride, nb, out); break;                   \
    case 3: dot4_tokens(KIND, 3, p, stride, x, x_stride, xs, xs_stride, nb, out); break;                   \
    default: dot4_tokens(KIND, 4, p, stride, x, x_stride, xs, xs_stride, nb, out); break;                  \
    }

AVX512 void csk_dot4_tokens_avx512(int type, const void *rows, size_t stride, const float *x, int64_t x_stride,
                                   const float *xs, int64_t xs_stride, int nt, int64_t n, float *out) {
    const uint8_t *p = (const uint8_t *)rows;
    int64_t nb = n / 32;
    if (type == CSK_Q8_0) { DISPATCH_NT(KIND_Q8_0) }
    else if (type == CSK_Q4_1) { DISPATCH_NT(KIND_Q4_1) }
    else if (type == CSK_Q5_1) { DISPATCH_NT(KIND_Q5_1) }
    else { DISPATCH_NT(KIND_Q4_0) }
}

AVX512 void csk_dot4_avx512(int type, const void *rows, size_t stride, const float *x, const float *xs, int64_t n, float *out) {
    csk_dot4_tokens_avx512(type, rows, stride, x, 0, xs, 0, 1, n, out);
}
#else
void csk_dot4_tokens_avx512(int type, const void *rows, size_t stride, const float *x, int64_t x_stride,
                            const float *xs, int64_t xs_stride, int nt, int64_t n, float *out) {
    (void)type; (void)rows; (void)stride; (void)x; (void)x_stride; (void)xs; (void)xs_stride; (void)nt; (void)n; (void)out;
}
void csk_dot4_avx512(int type, const void *rows, size_t stride, const float *x, const float *xs, int64_t n, float *out) {
    (void)type; (void)rows; (void)stride; (void)x; (void)xs; (void)n; (void)out;
}
#endif
