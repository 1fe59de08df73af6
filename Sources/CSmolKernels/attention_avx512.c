// Attention over an f16 cache on AVX-512 for the query heads that share one kv head (grouped-query
// attention): each cached key and value row is loaded and widened once for the whole group instead of
// once per query head, the value sums stay in registers across positions, and the dot products of 16
// positions are reduced together (a transpose-and-add tree: ~3 µops per score instead of ~8 for a
// horizontal sum each).
#include "simd.h"

#if CSK_X86

// r[i] = Σ lanes of v[s(i)], where slot s(4k + m) = 4m + k (the caller stores position i at slot s(i)).
AVX512 static inline __m512 hsum16(const __m512 *v) {
    __m512 a[8], b[4], c[2];
    for (int i = 0; i < 8; i++)
        a[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0x44), _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0xEE));
    for (int i = 0; i < 4; i++)
        b[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0x88), _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0xDD));
    for (int i = 0; i < 2; i++)
        c[i] = _mm512_add_ps(_mm512_shuffle_ps(b[2 * i], b[2 * i + 1], 0x44), _mm512_shuffle_ps(b[2 * i], b[2 * i + 1], 0xEE));
    return _mm512_add_ps(_mm512_shuffle_ps(c[0], c[1], 0x88), _mm512_shuffle_ps(c[0], c[1], 0xDD));
}

static inline int slot16(int i) { return ((i & 3) << 2) | (i >> 2); }

// scores[j * npos + p] = scale · q_j · k_p for the G heads of the group.
AVX512 static inline __attribute__((always_inline)) void group_scores(const int G, const float *q, int hd, const uint16_t *k,
                                                                      size_t kv_row, int npos, float scale, float *scores) {
    const int nc = hd / 16;
    __m512 tmp[8][16];
    const __m512 vscale = _mm512_set1_ps(scale);
    for (int p0 = 0; p0 < npos; p0 += 16) {
        int n = npos - p0 < 16 ? npos - p0 : 16;
        for (int i = 0; i < n; i++) {
            const uint16_t *kp = k + (size_t)(p0 + i) * kv_row;
            __m512 acc[8];
            for (int j = 0; j < G; j++) acc[j] = _mm512_setzero_ps();
            for (int c = 0; c < nc; c++) {
                __m512 kc = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(kp + c * 16)));
                for (int j = 0; j < G; j++) acc[j] = _mm512_fmadd_ps(_mm512_loadu_ps(q + j * hd + c * 16), kc, acc[j]);
            }
            for (int j = 0; j < G; j++) tmp[j][slot16(i)] = acc[j];
        }
        for (int i = n; i < 16; i++)
            for (int j = 0; j < G; j++) tmp[j][slot16(i)] = _mm512_setzero_ps();
        __mmask16 mask = (__mmask16)((1u << n) - 1);
        for (int j = 0; j < G; j++) _mm512_mask_storeu_ps(scores + j * npos + p0, mask, _mm512_mul_ps(hsum16(tmp[j]), vscale));
    }
}

// out_j = Σ_p scores[j * npos + p] · v_p, chunks of CB × 16 dimensions at a time (G × CB accumulators).
AVX512 static inline __attribute__((always_inline)) void group_values(const int G, const int CB, int c0, int hd,
                                                                      const uint16_t *v, size_t kv_row, int npos,
                                                                      const float *scores, float *out) {
    __m512 acc[8][4];
    for (int j = 0; j < G; j++)
        for (int b = 0; b < CB; b++) acc[j][b] = _mm512_setzero_ps();
    for (int p = 0; p < npos; p++) {
        const uint16_t *vp = v + (size_t)p * kv_row + c0 * 16;
        __m512 vc[4];
        for (int b = 0; b < CB; b++) vc[b] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(vp + b * 16)));
        for (int j = 0; j < G; j++) {
            __m512 s = _mm512_set1_ps(scores[j * npos + p]);
            for (int b = 0; b < CB; b++) acc[j][b] = _mm512_fmadd_ps(s, vc[b], acc[j][b]);
        }
    }
    for (int j = 0; j < G; j++)
        for (int b = 0; b < CB; b++) _mm512_storeu_ps(out + j * hd + (c0 + b) * 16, acc[j][b]);
}

AVX512 static inline __attribute__((always_inline)) void attend_group(const int G, const float *q, const uint16_t *k,
                                                                      const uint16_t *v, size_t kv_row, int hd, int npos,
                                                                      float scale, float softcap, float *scores, float *out) {
    group_scores(G, q, hd, k, kv_row, npos, scale, scores);
    for (int j = 0; j < G; j++) {
        if (softcap > 0) csk_softcap(scores + j * npos, npos, softcap);
        csk_softmax(scores + j * npos, npos);
    }
    const int nc = hd / 16, CB = G <= 4 ? 4 : 2;
    int c0 = 0;
    for (; c0 + CB <= nc; c0 += CB) group_values(G, CB, c0, hd, v, kv_row, npos, scores, out);
    for (; c0 < nc; c0++) group_values(G, 1, c0, hd, v, kv_row, npos, scores, out);
}

int csk_attention_avx512_handles(int head_dim) { return head_dim % 16 == 0 && head_dim > 0; }

AVX512 void csk_attend_group_f16_avx512(const float *q, const uint16_t *k, const uint16_t *v, size_t kv_row, int group,
                                        int head_dim, int npos, float scale, float softcap, float *scores, float *out) {
    switch (group) {
    case 1: attend_group(1, q, k, v, kv_row, head_dim, npos, scale, softcap, scores, out); return;
    case 2: attend_group(2, q, k, v, kv_row, head_dim, npos, scale, softcap, scores, out); return;
    case 3: attend_group(3, q, k, v, kv_row, head_dim, npos, scale, softcap, scores, out); return;
    case 4: attend_group(4, q, k, v, kv_row, head_dim, npos, scale, softcap, scores, out); return;
    case 5: attend_group(5, q, k, v, kv_row, head_dim, npos, scale, softcap, scores, out); return;
    case 6: attend_group(6, q, k, v, kv_row, head_dim, npos, scale, softcap, scores, out); return;
    case 7: attend_group(7, q, k, v, kv_row, head_dim, npos, scale, softcap, scores, out); return;
    case 8: attend_group(8, q, k, v, kv_row, head_dim, npos, scale, softcap, scores, out); return;
    default:
        // Larger groups: eight heads at a time (each head's numbers are the same either way).
        for (int j0 = 0; j0 < group; j0 += 8) {
            int g = group - j0 < 8 ? group - j0 : 8;
            csk_attend_group_f16_avx512(q + (size_t)j0 * head_dim, k, v, kv_row, g, head_dim, npos, scale, softcap,
                                        scores + (size_t)j0 * npos, out + (size_t)j0 * head_dim);
        }
    }
}
#else
int csk_attention_avx512_handles(int head_dim) { (void)head_dim; return 0; }
void csk_attend_group_f16_avx512(const float *q, const uint16_t *k, const uint16_t *v, size_t kv_row, int group,
                                 int head_dim, int npos, float scale, float softcap, float *scores, float *out) {
    (void)q; (void)k; (void)v; (void)kv_row; (void)group; (void)head_dim; (void)npos; (void)scale; (void)softcap;
    (void)scores; (void)out;
}
#endif
