// Fused dequantize-dot for Q4_0, Q4_1, Q5_1 and Q8_0 on AVX-512: `nrows` weight rows (1, 2 or 4) against
// `nt` tokens (up to 16 / nrows), each block's codes turned into its dequantized f32 weights once for all
// the tokens (decision 026).
//
// Every row is computed the same way, whatever the row group or the token count: per 32-block, the two
// vectors of weights w = d·q (+ m) are exactly what csk_dequantize_row gives (same roundings, no fused
// multiply-add in them), then acc = fma(w_lo, x_lo, acc); acc = fma(w_hi, x_hi, acc), and the 16 lanes are
// reduced once at the end. So a token's result is bit-identical alone, in a batch of any size, and through
// the one-row kernel (csk_dot_avx512 uses this code with one row), and each product is the reference
// w·x of the dequantized weights.
//
// Unpacking costs ~6 512-bit µops per row-block (the 4-bit codes index a 16-entry table d·i + m with
// vpermps, so no int→float conversion and no offset sums), then 2 FMAs per token: with eight tokens the
// codes cost under half an FMA per row-token, which is what makes batched decoding pay on a compute-bound
// CPU. The scales are stored as f32 on the stack and re-read as embedded broadcasts, which keeps the
// broadcasts off the shuffle port (port 5) that the code expansion and the table lookups already load.
#include "simd.h"

#if defined(__clang__)
// The weights must round like csk_dequantize_row's: no multiply-add fused behind our back.
#pragma STDC FP_CONTRACT OFF
#endif

#if CSK_X86

enum { KIND_Q4_0, KIND_Q4_1, KIND_Q5_1, KIND_Q8_0 };

// `kind`, `nr` and `nt` are compile-time constants at every call site (always_inline), so the branches fold
// and the nr × nt accumulators stay in registers.
AVX512 static inline __attribute__((always_inline)) void dot_rows_tokens(const int kind, const int nr, const int nt,
                                                                         const uint8_t *p, size_t stride, const float *x,
                                                                         int64_t x_stride, int64_t nb, float *out) {
    __m512 acc[4][8];
    for (int r = 0; r < nr; r++)
        for (int t = 0; t < nt; t++) acc[r][t] = _mm512_setzero_ps();
    const __m512 iota = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 iota16 = _mm512_setr_ps(16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
    const __m512 iota_m8 = _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
    const __m512i k15 = _mm512_set1_epi32(15), k16 = _mm512_set1_epi32(16);
    const int bb = kind == KIND_Q4_0 ? 18 : kind == KIND_Q4_1 ? 20 : kind == KIND_Q5_1 ? 24 : 34;
    const uint8_t *rows[4];
    for (int r = 0; r < nr; r++) rows[r] = p + (size_t)r * stride;
    for (int64_t b = 0; b < nb; b++) {
        // The next group of rows: the hardware prefetcher does not follow interleaved streams well.
        for (int r = 0; r < nr; r++) _mm_prefetch((const char *)(rows[r] + (size_t)nr * stride), _MM_HINT_T0);
        // Per row: lane 2r = d, lane 2r+1 = m (Q4_1/Q5_1; else code bytes, unused), as f32 in memory.
        float dm[8];
        __m128i h = _mm_setr_epi32((int)csk_load_u32(rows[0]), nr > 1 ? (int)csk_load_u32(rows[1]) : 0,
                                   nr > 2 ? (int)csk_load_u32(rows[2]) : 0, nr > 3 ? (int)csk_load_u32(rows[3]) : 0);
        _mm256_storeu_ps(dm, _mm256_cvtph_ps(h));
        // Keeps the compiler from forwarding the vector: the broadcasts below must come from memory.
        __asm__ volatile("" : : "r"(dm) : "memory");
        __m512 lo[4], hi[4];
        for (int r = 0; r < nr; r++) {
            const uint8_t *q = rows[r];
            const __m512 d = _mm512_set1_ps(dm[2 * r]);
            if (kind == KIND_Q8_0) {
                lo[r] = _mm512_mul_ps(i8x16(_mm_loadu_si128((const __m128i *)(q + 2))), d);
                hi[r] = _mm512_mul_ps(i8x16(_mm_loadu_si128((const __m128i *)(q + 18))), d);
            } else if (kind == KIND_Q5_1) {
                // 32-entry table over two registers; the fifth bits of qh as lane masks.
                const __m512 m = _mm512_set1_ps(dm[2 * r + 1]);
                __m512 t0 = _mm512_add_ps(_mm512_mul_ps(iota, d), m), t1 = _mm512_add_ps(_mm512_mul_ps(iota16, d), m);
                uint32_t qh = csk_load_u32(q + 4);
                __m512i e = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(q + 8)));
                __m512i l = _mm512_and_si512(e, k15), u = _mm512_srli_epi32(e, 4);
                l = _mm512_mask_or_epi32(l, (__mmask16)(qh & 0xFFFF), l, k16);
                u = _mm512_mask_or_epi32(u, (__mmask16)(qh >> 16), u, k16);
                lo[r] = _mm512_permutex2var_ps(t0, l, t1);
                hi[r] = _mm512_permutex2var_ps(t0, u, t1);
            } else {
                // vpermps reads the low four bits of each index: the zero-extended byte is the low nibble's.
                const __m512 table = kind == KIND_Q4_1 ? _mm512_add_ps(_mm512_mul_ps(iota, d), _mm512_set1_ps(dm[2 * r + 1]))
                                                       : _mm512_mul_ps(iota_m8, d);
                __m512i e = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(q + (kind == KIND_Q4_1 ? 4 : 2))));
                lo[r] = _mm512_permutexvar_ps(e, table);
                hi[r] = _mm512_permutexvar_ps(_mm512_srli_epi32(e, 4), table);
            }
            rows[r] += bb;
        }
        for (int t = 0; t < nt; t++) {
            const float *xt = x + t * x_stride + b * 32;
            __m512 x0 = _mm512_loadu_ps(xt), x1 = _mm512_loadu_ps(xt + 16);
            for (int r = 0; r < nr; r++) {
                acc[r][t] = _mm512_fmadd_ps(lo[r], x0, acc[r][t]);
                acc[r][t] = _mm512_fmadd_ps(hi[r], x1, acc[r][t]);
            }
        }
    }
    for (int t = 0; t < nt; t++)
        for (int r = 0; r < nr; r++) out[t * nr + r] = _mm512_reduce_add_ps(acc[r][t]);
}

#define DOT_CASE(KIND, NR, NT)                                                                             \
    case NT: dot_rows_tokens(KIND, NR, NT, p, stride, x, x_stride, nb, out); return;

// Four rows take 1–4 tokens, two rows 1–8, one row 1–8 (the caller splits larger counts).
#define DOT_KIND(KIND)                                                                                     \
    if (nrows == 4) {                                                                                      \
        switch (nt) { DOT_CASE(KIND, 4, 1) DOT_CASE(KIND, 4, 2) DOT_CASE(KIND, 4, 3) default:             \
            dot_rows_tokens(KIND, 4, 4, p, stride, x, x_stride, nb, out); return; }                        \
    } else if (nrows == 2) {                                                                               \
        switch (nt) { DOT_CASE(KIND, 2, 1) DOT_CASE(KIND, 2, 2) DOT_CASE(KIND, 2, 3) DOT_CASE(KIND, 2, 4)  \
            DOT_CASE(KIND, 2, 5) DOT_CASE(KIND, 2, 6) DOT_CASE(KIND, 2, 7) default:                        \
            dot_rows_tokens(KIND, 2, 8, p, stride, x, x_stride, nb, out); return; }                        \
    } else {                                                                                               \
        for (int t = 0; t < nt; t++) dot_rows_tokens(KIND, 1, 1, p, stride, x + t * x_stride, 0, nb, out + t); \
        return;                                                                                            \
    }

AVX512 void csk_dot_rows_tokens_avx512(int type, const void *rows, size_t stride, int nrows, const float *x,
                                       int64_t x_stride, int nt, int64_t n, float *out) {
    const uint8_t *p = (const uint8_t *)rows;
    int64_t nb = n / 32;
    if (type == CSK_Q8_0) { DOT_KIND(KIND_Q8_0) }
    else if (type == CSK_Q4_1) { DOT_KIND(KIND_Q4_1) }
    else if (type == CSK_Q5_1) { DOT_KIND(KIND_Q5_1) }
    else { DOT_KIND(KIND_Q4_0) }
}
#else
void csk_dot_rows_tokens_avx512(int type, const void *rows, size_t stride, int nrows, const float *x,
                                int64_t x_stride, int nt, int64_t n, float *out) {
    (void)type; (void)rows; (void)stride; (void)nrows; (void)x; (void)x_stride; (void)nt; (void)n; (void)out;
}
#endif
