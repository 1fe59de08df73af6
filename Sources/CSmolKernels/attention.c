// Attention for one query position over a KV cache of f32 or f16 rows. f16 halves the cache's memory and
// the bytes each decode step reads from it; the products and sums stay in f32.
#include "internal.h"
#include <math.h>
#include <stdatomic.h>

uint16_t csk_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, mag = x & 0x7FFFFFFFu;
    if (mag >= 0x7F800000u) return (uint16_t)(sign | 0x7C00u | (mag > 0x7F800000u ? 0x200u : 0));  // inf, NaN
    if (mag >= 0x477FF000u) return (uint16_t)(sign | 0x7C00u);  // rounds past the largest half: inf
    if (mag < 0x38800000u) {
        // A half subnormal (or zero): the value in units of 2^-24, rounded to nearest even.
        if (mag < 0x33000000u) return (uint16_t)sign;  // below half the smallest subnormal
        uint32_t e = mag >> 23, m = (mag & 0x7FFFFFu) | 0x800000u;
        uint32_t shift = 126 - e;  // m * 2^(e-150) / 2^-24 = m >> (126 - e)
        uint32_t q = m >> shift, rest = m & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (q & 1))) q++;
        return (uint16_t)(sign | q);
    }
    uint32_t q = (mag >> 13) - (112u << 10), rest = mag & 0x1FFFu;  // rebias 127 -> 15
    if (rest > 0x1000u || (rest == 0x1000u && (q & 1))) q++;
    return (uint16_t)(sign | q);
}

typedef struct {
    const csk_attention_row *rows;
    int nrows, f16;
    int nheads, nkv, head_dim;
    float scale, softcap;
    float *scratch;
    size_t slice;  // scratch floats per thread
    atomic_int next;
} attn_task;

#if CSK_X86
#define AVX2 __attribute__((target("avx2,fma,f16c")))
AVX2 static void axpy_avx2(float *y, float a, const float *x, int n) {
    int i = 0;
    __m256 va = _mm256_set1_ps(a);
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

AVX2 static void axpy_f16_avx2(float *y, float a, const uint16_t *x, int n) {
    int i = 0;
    __m256 va = _mm256_set1_ps(a);
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i)));
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, v, _mm256_loadu_ps(y + i)));
    }
    for (; i < n; i++) y[i] += a * csk_f16_to_f32(x[i]);
}

AVX2 static float dot_f16_avx2(const float *q, const uint16_t *k, int n) {
    int i = 0;
    __m256 acc = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8)
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + i))), acc);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float r = _mm_cvtss_f32(s);
    for (; i < n; i++) r += q[i] * csk_f16_to_f32(k[i]);
    return r;
}

AVX2 static void store_f16_avx2(uint16_t *dst, const float *src, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) dst[i] = csk_f32_to_f16(src[i]);
}
#endif

// The x86 families are AVX2 and AVX512 (both have the AVX2 helpers), the AArch64 one NEON.
static void axpy(int isa, float *y, float a, const float *x, int n) {
#if CSK_X86
    if (isa == CSK_ISA_AVX2 || isa == CSK_ISA_AVX512) { axpy_avx2(y, a, x, n); return; }
#elif CSK_ARM64
    if (isa == CSK_ISA_NEON) { csk_axpy_neon(y, a, x, n); return; }
#endif
    (void)isa;
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}

static void axpy_f16(int isa, float *y, float a, const uint16_t *x, int n) {
#if CSK_X86
    if (isa == CSK_ISA_AVX2 || isa == CSK_ISA_AVX512) { axpy_f16_avx2(y, a, x, n); return; }
#elif CSK_ARM64
    if (isa == CSK_ISA_NEON) { csk_axpy_f16_neon(y, a, x, n); return; }
#endif
    (void)isa;
    for (int i = 0; i < n; i++) y[i] += a * csk_f16_to_f32(x[i]);
}

static float dot_f16(int isa, const float *q, const uint16_t *k, int n) {
#if CSK_X86
    if (isa == CSK_ISA_AVX2 || isa == CSK_ISA_AVX512) return dot_f16_avx2(q, k, n);
#elif CSK_ARM64
    if (isa == CSK_ISA_NEON) return csk_dot_f16_neon(q, k, n);
#endif
    (void)isa;
    float s = 0;
    for (int i = 0; i < n; i++) s += q[i] * csk_f16_to_f32(k[i]);
    return s;
}

void csk_store_f16(uint16_t *dst, const float *src, int n) {
    int isa = csk_active_isa();
#if CSK_X86
    if (isa == CSK_ISA_AVX2 || isa == CSK_ISA_AVX512) { store_f16_avx2(dst, src, n); return; }
#elif CSK_ARM64
    if (isa == CSK_ISA_NEON) { csk_store_f16_neon(dst, src, n); return; }
#endif
    (void)isa;
    for (int i = 0; i < n; i++) dst[i] = csk_f32_to_f16(src[i]);
}

// The query heads of kv head g of one row: on AVX-512 with an f16 cache, all of them at once
// (attention_avx512.c); otherwise head by head. `scores`: group * npos floats.
static void attend_heads(int isa, const attn_task *t, const csk_attention_row *row, int g, float *scores) {
    int group = t->nheads / t->nkv, hd = t->head_dim;
    int first = row->first < 0 ? 0 : row->first > row->position ? row->position : row->first;
    int npos = row->position + 1 - first;
    size_t kv_row = (size_t)t->nkv * hd, esize = t->f16 ? 2 : 4;
    const uint8_t *kbase = (const uint8_t *)row->k_cache + ((size_t)first * kv_row + (size_t)g * hd) * esize;
    const uint8_t *vbase = (const uint8_t *)row->v_cache + ((size_t)first * kv_row + (size_t)g * hd) * esize;
    const float *q = row->q + (size_t)g * group * hd;
    float *out = row->out + (size_t)g * group * hd;
    if (t->f16 && isa == CSK_ISA_AVX512 && csk_attention_avx512_handles(hd)) {
        csk_attend_group_f16_avx512(q, (const uint16_t *)kbase, (const uint16_t *)vbase, kv_row, group, hd, npos, t->scale,
                                    t->softcap, scores, out);
        return;
    }
    for (int j = 0; j < group; j++, q += hd, out += hd) {
        for (int p = 0; p < npos; p++) {
            const void *k = kbase + (size_t)p * kv_row * esize;
            float s;
            if (t->f16) {
                s = dot_f16(isa, q, (const uint16_t *)k, hd);
            } else if (isa == CSK_ISA_AVX2 || isa == CSK_ISA_AVX512) {
                s = csk_dot_f32_avx2(q, (const float *)k, hd);
#if CSK_ARM64
            } else if (isa == CSK_ISA_NEON) {
                s = csk_dot_f32_neon(q, (const float *)k, hd);
#endif
            } else {
                s = 0;
                for (int d = 0; d < hd; d++) s += q[d] * ((const float *)k)[d];
            }
            scores[p] = s * t->scale;
        }
        if (t->softcap > 0) csk_softcap(scores, npos, t->softcap);
        csk_softmax(scores, npos);
        for (int d = 0; d < hd; d++) out[d] = 0;
        for (int p = 0; p < npos; p++) {
            const void *v = vbase + (size_t)p * kv_row * esize;
            if (t->f16) axpy_f16(isa, out, scores[p], (const uint16_t *)v, hd);
            else axpy(isa, out, scores[p], (const float *)v, hd);
        }
    }
}

static void attention_worker(void *arg, int tid, int nthreads) {
    attn_task *t = (attn_task *)arg;
    int isa = csk_active_isa();
    (void)nthreads;
    float *scores = t->scratch + (size_t)tid * t->slice;
    // (row, kv head) pairs are taken from a shared counter (see csk_pool_run: a late helper may not join at all).
    int total = t->nrows * t->nkv;
    for (int i; (i = atomic_fetch_add_explicit(&t->next, 1, memory_order_relaxed)) < total;)
        attend_heads(isa, t, &t->rows[i / t->nkv], i % t->nkv, scores);
}

void csk_axpy(float *y, float a, const float *x, int n) { axpy(csk_active_isa(), y, a, x, n); }

size_t csk_attention_scratch_floats(int ctx, int group) {
    return (size_t)CSK_MAX_POOL_THREADS * (size_t)(group > 0 ? group : 1) * ((size_t)ctx + 16);
}

void csk_attention_rows(const csk_attention_row *rows, int nrows, int f16, int nheads, int nkv, int head_dim, float scale,
                        float softcap, float *scratch) {
    if (nrows <= 0) return;
    int longest = 0, work = 0;
    for (int i = 0; i < nrows; i++) {
        int npos = rows[i].position + 1 - (rows[i].first > 0 ? rows[i].first : 0);
        if (rows[i].position + 1 > longest) longest = rows[i].position + 1;
        work += npos;
    }
    attn_task t = { rows, nrows, f16, nheads, nkv, head_dim, scale, softcap, scratch,
                    (size_t)(nheads / nkv) * ((size_t)longest + 16), 0 };
    if (work < 64) attention_worker(&t, 0, 1);  // too little work to be worth a wake-up
    else csk_pool_run(attention_worker, &t);
}

void csk_attention(const float *q, const float *k_cache, const float *v_cache, float *out,
                   int nheads, int nkv, int head_dim, int first, int position, float scale, float softcap, float *scratch) {
    csk_attention_row row = { q, k_cache, v_cache, out, first, position };
    csk_attention_rows(&row, 1, 0, nheads, nkv, head_dim, scale, softcap, scratch);
}

void csk_attention_f16(const float *q, const uint16_t *k_cache, const uint16_t *v_cache, float *out,
                       int nheads, int nkv, int head_dim, int first, int position, float scale, float softcap, float *scratch) {
    csk_attention_row row = { q, k_cache, v_cache, out, first, position };
    csk_attention_rows(&row, 1, 1, nheads, nkv, head_dim, scale, softcap, scratch);
}
