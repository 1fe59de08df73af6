// AVX-512 variants of the dot kernels for the common weight types. On Zen 4 the 512-bit units are
// double-pumped, so the gain comes from widening 16 codes per instruction instead of 8 (fewer shuffle uops).
#include "simd.h"

#if CSK_X86

AVX512 static float dot_f32(const float *a, const float *b, int64_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    float s = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

AVX512 static float dot_f16(const uint16_t *w, const float *x, int64_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w + i))), _mm512_loadu_ps(x + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w + i + 16))), _mm512_loadu_ps(x + i + 16), s1);
    }
    float s = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    for (; i < n; i++) s += _cvtsh_ss(w[i]) * x[i];
    return s;
}

AVX512 static float dot_bf16(const uint16_t *w, const float *x, int64_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512i a = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(w + i))), 16);
        __m512i b = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(w + i + 16))), 16);
        s0 = _mm512_fmadd_ps(_mm512_castsi512_ps(a), _mm512_loadu_ps(x + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_castsi512_ps(b), _mm512_loadu_ps(x + i + 16), s1);
    }
    float s = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    for (; i < n; i++) s += csk_bf16(w[i]) * x[i];
    return s;
}

// A 4-row × 4-token block: 16 accumulators, so each loaded weight and activation vector feeds 4 FMAs.
// w rows are w_stride floats apart; y[t * y_stride + r].
AVX512 void csk_dot_f32_rows4_tokens4_avx512(const float *w, int64_t w_stride, const float *x, int64_t n,
                                             float *y, int64_t y_stride, const float *bias) {
    __m512 acc[4][4];
    for (int r = 0; r < 4; r++) for (int t = 0; t < 4; t++) acc[r][t] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 wv[4];
        for (int r = 0; r < 4; r++) wv[r] = _mm512_loadu_ps(w + r * w_stride + i);
        for (int t = 0; t < 4; t++) {
            __m512 xv = _mm512_loadu_ps(x + t * n + i);
            for (int r = 0; r < 4; r++) acc[r][t] = _mm512_fmadd_ps(wv[r], xv, acc[r][t]);
        }
    }
    for (int r = 0; r < 4; r++) {
        for (int t = 0; t < 4; t++) {
            float s = _mm512_reduce_add_ps(acc[r][t]);
            for (int64_t j = i; j < n; j++) s += w[r * w_stride + j] * x[t * n + j];
            y[t * y_stride + r] = s + (bias ? bias[r] : 0);
        }
    }
}

int csk_avx512_has4(int type) { return type == CSK_Q4_0 || type == CSK_Q4_1 || type == CSK_Q5_1 || type == CSK_Q8_0; }

int csk_avx512_has(int type) {
    switch (type) {
    case CSK_F32: case CSK_F16: case CSK_BF16: case CSK_Q8_0: case CSK_Q4_0: case CSK_Q4_1: case CSK_Q5_1: case CSK_Q5_K:
        return 1;
    default: return 0;
    }
}

AVX512 float csk_dot_avx512(int type, const void *row, const float *x, const float *xs, int64_t n) {
    const uint8_t *p = (const uint8_t *)row;
    switch (type) {
    case CSK_F32: return dot_f32((const float *)row, x, n);
    case CSK_F16: return dot_f16((const uint16_t *)row, x, n);
    case CSK_BF16: return dot_bf16((const uint16_t *)row, x, n);
    case CSK_Q8_0: case CSK_Q4_0: case CSK_Q4_1: case CSK_Q5_1: {
        // One row of the multi-row kernel, so a row's result is the same whichever kernel a caller picks.
        float v;
        csk_dot_rows_tokens_avx512(type, p, 0, 1, x, 0, 1, n, &v);
        return v;
    }
    case CSK_Q5_K: return csk_dot_q5_k_avx512(p, x, xs, n / 256);
    default: return csk_dot_avx2(type, row, x, xs, n);
    }
}
#else
void csk_dot_f32_rows4_tokens4_avx512(const float *w, int64_t w_stride, const float *x, int64_t n,
                                      float *y, int64_t y_stride, const float *bias) {
    for (int r = 0; r < 4; r++) for (int t = 0; t < 4; t++) {
        float s = 0;
        for (int64_t i = 0; i < n; i++) s += w[r * w_stride + i] * x[t * n + i];
        y[t * y_stride + r] = s + (bias ? bias[r] : 0);
    }
}
int csk_avx512_has(int type) { (void)type; return 0; }
int csk_avx512_has4(int type) { (void)type; return 0; }
float csk_dot_avx512(int type, const void *row, const float *x, const float *xs, int64_t n) {
    (void)xs;
    return csk_dot_scalar(type, row, x, n);
}
#endif
