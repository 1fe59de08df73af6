#ifndef CSK_INTERNAL_H
#define CSK_INTERNAL_H

#include "csmol_kernels.h"
#include <string.h>

// SIMD code is compiled only for x86-64; -DCSK_PORTABLE builds the scalar fallbacks alone (as on other CPUs).
#if defined(__x86_64__) && !defined(CSK_PORTABLE)
#define CSK_X86 1
#include <immintrin.h>
#else
#define CSK_X86 0
#endif

// Advanced SIMD is part of the AArch64 base architecture (Linux and Apple alike), so the NEON files need
// no target attribute; CSK_PORTABLE leaves them out as it leaves out the x86 ones.
#if defined(__aarch64__) && !defined(CSK_PORTABLE)
#define CSK_ARM64 1
#include <arm_neon.h>
#else
#define CSK_ARM64 0
#endif

// Block layouts (ggml), all little-endian, no padding.
// Q4_0: f16 d | u8 qs[16]                      x = d * (q - 8)
// Q4_1: f16 d | f16 m | u8 qs[16]              x = d * q + m
// Q5_0: f16 d | u32 qh | u8 qs[16]             x = d * (q - 16), q = nibble | bit << 4
// Q8_0: f16 d | i8 qs[32]                      x = q * d
// Q4_K: f16 d | f16 dmin | u8 scales[12] | u8 qs[128]    8 sub-blocks of 32
// Q6_K: u8 ql[128] | u8 qh[64] | i8 scales[16] | f16 d   16 sub-blocks of 16
// Q5_1: f16 d | f16 m | u32 qh | u8 qs[16]     x = d * q + m, q = nibble | bit << 4
// IQ4_NL: f16 d | u8 qs[16]                    x = d * csk_iq4_values[nibble]
// Q2_K: u8 scales[16] | u8 qs[64] | f16 d | f16 dmin      16 sub-blocks of 16, 2-bit codes;
//       scale byte: low nibble scale, high nibble minimum    x = d * sc * q - dmin * m
// Q3_K: u8 hmask[32] | u8 qs[64] | u8 scales[12] | f16 d  16 sub-blocks of 16, 3-bit codes;
//       6-bit scales biased by 32; q = 2 low bits - (4 when the hmask bit is clear)
// Q5_K: f16 d | f16 dmin | u8 scales[12] | u8 qh[32] | u8 qs[128]   as Q4_K plus a fifth bit:
//       bit j of qh[l] is the high bit of element l of sub-block j
// IQ4_XS: f16 d | u16 scales_h | u8 scales_l[4] | u8 qs[128]   8 sub-blocks of 32 with 6-bit
//       scales biased by 32 (low nibbles in scales_l, 2 high bits each in scales_h); codes as IQ4_NL
// In the 32-blocks, byte j holds element j in its low nibble and element j + 16 in its high nibble.
// In Q2_K and Q3_K, each 128-element half reads 32 code bytes four times: element 32 * s + l of the
// half is bits [2s, 2s + 2) of byte l.

// The non-linear 4-bit code book of IQ4_NL and IQ4_XS.
static const int8_t csk_iq4_values[16] = { -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113 };

static inline uint16_t csk_load_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t csk_load_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static inline float csk_half(const uint8_t *p) { return csk_f16_to_f32(csk_load_u16(p)); }

static inline float csk_bf16(uint16_t b) {
    uint32_t u = (uint32_t)b << 16; float f; memcpy(&f, &u, 4); return f;
}

// The 6-bit scale and minimum of sub-block j of a Q4_K super-block.
static inline void csk_q4k_scale_min(const uint8_t *s, int j, int *sc, int *m) {
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
        *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

// The signed 6-bit scale of sub-block j (0..<16) of a Q3_K super-block.
static inline int csk_q3k_scale(const uint8_t *s, int j) {
    int lo = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
    int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    return (lo | hi << 4) - 32;
}

// The signed 6-bit scale of sub-block j (0..<8) of an IQ4_XS super-block (b points at the block).
static inline int csk_iq4xs_scale(const uint8_t *b, int j) {
    int lo = (b[4 + j / 2] >> (4 * (j % 2))) & 0xF;
    int hi = (csk_load_u16(b + 2) >> (2 * j)) & 3;
    return (lo | hi << 4) - 32;
}

// Sums of x over consecutive 32-element blocks (n a multiple of 32).
static inline void csk_block_sums32(const float *x, int64_t n, float *sums) {
    for (int64_t b = 0; b < n / 32; b++) {
        float s = 0;
        for (int i = 0; i < 32; i++) s += x[b * 32 + i];
        sums[b] = s;
    }
}

float csk_dot_scalar(int type, const void *row, const float *x, int64_t n);
// Super-block dequantizers in dequant_k.c (b: one block; y: 256 floats).
void csk_deq_q2_k(const uint8_t *b, float *y);
void csk_deq_q3_k(const uint8_t *b, float *y);
void csk_deq_q5_k(const uint8_t *b, float *y);
void csk_deq_iq4_xs(const uint8_t *b, float *y);
// Fused kernels in dot_k_avx2.c / dot_k_avx512.c (nb: blocks; xs: 32-block sums of x).
float csk_dot_q5_k_avx2(const uint8_t *p, const float *x, const float *xs, int64_t nb);
float csk_dot_q2_k_avx2(const uint8_t *p, const float *x, int64_t nb);
float csk_dot_q3_k_avx2(const uint8_t *p, const float *x, int64_t nb);
float csk_dot_iq4_nl_avx2(const uint8_t *p, const float *x, int64_t nb);
float csk_dot_iq4_xs_avx2(const uint8_t *p, const float *x, int64_t nb);
float csk_dot_q5_k_avx512(const uint8_t *p, const float *x, const float *xs, int64_t nb);
float csk_dot_avx2(int type, const void *row, const float *x, const float *xsum32, int64_t n);
float csk_dot_avx512(int type, const void *row, const float *x, const float *xsum32, int64_t n);
float csk_dot_f32_avx2(const float *a, const float *b, int64_t n);
int csk_avx512_has(int type);
int csk_avx512_has4(int type);
void csk_dot_f32_rows4_tokens4_avx512(const float *w, int64_t w_stride, const float *x, int64_t n,
                                      float *y, int64_t y_stride, const float *bias);
// `nrows` (1, 2 or 4) rows `stride` bytes apart against `nt` tokens (nt ≤ 4 with four rows, ≤ 8 with two;
// one row takes any count) of Q4_0/Q4_1/Q5_1/Q8_0 (csk_avx512_has4): token t's x at x + t * x_stride,
// out[t * nrows + r]. A row's result is bit-identical whatever nrows and nt (dot_tokens_avx512.c).
void csk_dot_rows_tokens_avx512(int type, const void *rows, size_t stride, int nrows, const float *x,
                                int64_t x_stride, int nt, int64_t n, float *out);
// Grouped-query attention over an f16 cache on AVX-512 (attention_avx512.c), for head dimensions it handles.
int csk_attention_avx512_handles(int head_dim);
void csk_attend_group_f16_avx512(const float *q, const uint16_t *k, const uint16_t *v, size_t kv_row, int group,
                                 int head_dim, int npos, float scale, float softcap, float *scores, float *out);
int csk_active_isa(void);
int csk_best_isa(void);
// `isa` when this CPU runs it, AUTO -> the active family, anything else -> the best supported.
int csk_resolve_isa(int isa);

#if CSK_ARM64
// NEON kernels (dot_neon.c, dot_k_neon.c, dot4_neon.c, affine_neon.c, ops_neon.c), the counterparts of the
// AVX2 / AVX-512 ones above.
float csk_dot_neon(int type, const void *row, const float *x, const float *xsum32, int64_t n);
float csk_dot_f32_neon(const float *a, const float *b, int64_t n);
float csk_dot_q5_k_neon(const uint8_t *p, const float *x, const float *xs, int64_t nb);
float csk_dot_q2_k_neon(const uint8_t *p, const float *x, int64_t nb);
float csk_dot_q3_k_neon(const uint8_t *p, const float *x, int64_t nb);
float csk_dot_iq4_nl_neon(const uint8_t *p, const float *x, int64_t nb);
float csk_dot_iq4_xs_neon(const uint8_t *p, const float *x, int64_t nb);
int csk_neon_has4(int type);
void csk_dot4_neon(int type, const void *rows, size_t stride, const float *x, const float *xs, int64_t n, float *out);
void csk_dot_f32_rows4_tokens4_neon(const float *w, int64_t w_stride, const float *x, int64_t n,
                                    float *y, int64_t y_stride, const float *bias);
void csk_axpy_neon(float *y, float a, const float *x, int n);
void csk_axpy_f16_neon(float *y, float a, const uint16_t *x, int n);
float csk_dot_f16_neon(const float *q, const uint16_t *k, int n);
void csk_store_f16_neon(uint16_t *dst, const float *src, int n);
#endif

// MLX affine kernels. q, s and b point at the row's codes, scales and biases; gs holds the sums of x
// over each group of a->group_size elements (csk_affine_group_sums).
float csk_affine_dot_scalar(const csk_affine *a, const uint8_t *q, const uint8_t *s, const uint8_t *b,
                            const float *x, const float *gs, int64_t n);
float csk_affine_dot_avx2(const csk_affine *a, const uint8_t *q, const uint8_t *s, const uint8_t *b,
                          const float *x, const float *gs, int64_t n);
float csk_affine_dot_avx512(const csk_affine *a, const uint8_t *q, const uint8_t *s, const uint8_t *b,
                            const float *x, const float *gs, int64_t n);
// Four consecutive rows (codes `qstride`, scales/biases `sstride` bytes apart); AVX-512, 4-bit only.
// xp: x permuted by csk_affine_permute4, or NULL.
int csk_affine_avx512_has4(const csk_affine *a);
void csk_affine_dot4_avx512(const csk_affine *a, const uint8_t *q, size_t qstride, const uint8_t *s, const uint8_t *b,
                            size_t sstride, const float *x, const float *xp, const float *gs, int64_t n, float *out);
// Per 32-block of x: the 16 even-indexed elements, then the 16 odd-indexed ones (the order of a code
// byte's low and high nibbles in MLX's 4-bit packing).
void csk_affine_permute4(const float *x, int64_t n, float *xp);
#if CSK_ARM64
float csk_affine_dot_neon(const csk_affine *a, const uint8_t *q, const uint8_t *s, const uint8_t *b,
                          const float *x, const float *gs, int64_t n);
int csk_affine_neon_has4(const csk_affine *a);
void csk_affine_dot4_neon(const csk_affine *a, const uint8_t *q, size_t qstride, const uint8_t *s, const uint8_t *b,
                          size_t sstride, const float *x, const float *xp, const float *gs, int64_t n, float *out);
#endif
void csk_affine_group_sums(const float *x, int64_t n, int group_size, float *sums);
void csk_affine_dequantize_f32(const csk_affine *a, const uint8_t *q, const uint8_t *s, const uint8_t *b, float *dst, int64_t n);

static inline size_t csk_scale_bytes(int type) { return type == CSK_F32 ? 4 : 2; }

// Element i of a row of scale_type values, as f32.
static inline float csk_scale_at(int type, const uint8_t *p, int64_t i) {
    if (type == CSK_F32) { float f; memcpy(&f, p + 4 * i, 4); return f; }
    uint16_t h = csk_load_u16(p + 2 * i);
    return type == CSK_BF16 ? csk_bf16(h) : csk_f16_to_f32(h);
}

// The 8 codes of `bits` bits that start at byte p (an LSB-first stream of exactly `bits` bytes).
static inline uint64_t csk_load_bits8(const uint8_t *p, int bits) {
    uint64_t v = 0;
    memcpy(&v, p, (size_t)bits);
    return v;
}

// The most threads the pool runs (thread ids are below it).
#define CSK_MAX_POOL_THREADS 16
typedef void (*csk_task_fn)(void *arg, int tid, int nthreads);
void csk_pool_run(csk_task_fn fn, void *arg);
int csk_pool_threads(void);

#endif
