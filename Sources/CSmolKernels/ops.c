#include "internal.h"
#include <math.h>
#include <stdatomic.h>

void csk_rmsnorm(float *y, const float *x, const float *w, int n, float eps) {
    // Accumulate in double: the result then does not depend on summation order or SIMD width.
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (double)x[i] * (double)x[i];
    float scale = (float)(1.0 / sqrt(ss / n + (double)eps));
    for (int i = 0; i < n; i++) y[i] = (x[i] * scale) * w[i];
}

void csk_rope(float *x, int nheads, int head_dim, int rot_dim, int position, const float *inv_freq, int interleaved) {
    int half = rot_dim / 2;
    for (int i = 0; i < half; i++) {
        // transformers forms the angle as an f32 product, then takes cos/sin of it.
        float angle = (float)position * inv_freq[i];
        float c = cosf(angle), s = sinf(angle);
        for (int h = 0; h < nheads; h++) {
            float *v = x + (size_t)h * head_dim;
            int a = interleaved ? 2 * i : i;
            int b = interleaved ? 2 * i + 1 : i + half;
            float x0 = v[a], x1 = v[b];
            v[a] = x0 * c - x1 * s;
            v[b] = x1 * c + x0 * s;
        }
    }
}

void csk_softmax(float *x, int n) {
    float m = -INFINITY;
    for (int i = 0; i < n; i++) if (x[i] > m) m = x[i];
    double sum = 0;
    for (int i = 0; i < n; i++) { x[i] = expf(x[i] - m); sum += x[i]; }
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++) x[i] *= inv;
}

void csk_silu_mul(float *gate, const float *up, int n) {
    for (int i = 0; i < n; i++) {
        float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

void csk_gelu_tanh_mul(float *gate, const float *up, int n) {
    const float k = 0.7978845608028654f;  // sqrt(2 / pi)
    for (int i = 0; i < n; i++) {
        float g = gate[i];
        gate[i] = 0.5f * g * (1.0f + tanhf(k * (g + 0.044715f * g * g * g))) * up[i];
    }
}

void csk_softcap(float *x, int n, float cap) {
    for (int i = 0; i < n; i++) x[i] = tanhf(x[i] / cap) * cap;
}

void csk_add(float *y, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += x[i];
}

size_t csk_attention_scratch_floats(int ctx) { return (size_t)16 * ((size_t)ctx + 16); }

typedef struct {
    const float *q, *k, *v;
    float *out, *scratch;
    int nheads, nkv, head_dim, first, position;
    float scale, softcap;
    atomic_int next_head;
} attn_task;

#if CSK_X86
__attribute__((target("avx2,fma"))) static void axpy_avx2(float *y, float a, const float *x, int n) {
    int i = 0;
    __m256 va = _mm256_set1_ps(a);
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}
#endif

static void axpy(int isa, float *y, float a, const float *x, int n) {
#if CSK_X86
    if (isa >= CSK_ISA_AVX2) { axpy_avx2(y, a, x, n); return; }
#endif
    (void)isa;
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}

static void attention_worker(void *arg, int tid, int nthreads) {
    attn_task *t = (attn_task *)arg;
    int isa = csk_active_isa();
    (void)nthreads;
    int group = t->nheads / t->nkv, hd = t->head_dim, first = t->first, npos = t->position + 1 - first;
    size_t kv_row = (size_t)t->nkv * hd;
    float *scores = t->scratch + (size_t)tid * ((size_t)t->position + 1 + 16);
    const float *kbase = t->k + (size_t)first * kv_row, *vbase = t->v + (size_t)first * kv_row;
    // Heads are taken from a shared counter (see csk_pool_run: a late helper may not join at all).
    for (int h; (h = atomic_fetch_add_explicit(&t->next_head, 1, memory_order_relaxed)) < t->nheads;) {
        const float *q = t->q + (size_t)h * hd;
        int kvh = h / group;
        for (int p = 0; p < npos; p++) {
            const float *k = kbase + (size_t)p * kv_row + (size_t)kvh * hd;
            float s = isa >= CSK_ISA_AVX2 ? csk_dot_f32_avx2(q, k, hd) : 0;
            if (isa < CSK_ISA_AVX2) for (int d = 0; d < hd; d++) s += q[d] * k[d];
            scores[p] = s * t->scale;
        }
        if (t->softcap > 0) csk_softcap(scores, npos, t->softcap);
        csk_softmax(scores, npos);
        float *o = t->out + (size_t)h * hd;
        for (int d = 0; d < hd; d++) o[d] = 0;
        for (int p = 0; p < npos; p++) axpy(isa, o, scores[p], vbase + (size_t)p * kv_row + (size_t)kvh * hd, hd);
    }
}

void csk_axpy(float *y, float a, const float *x, int n) { axpy(csk_active_isa(), y, a, x, n); }

void csk_attention(const float *q, const float *k_cache, const float *v_cache, float *out,
                   int nheads, int nkv, int head_dim, int first, int position, float scale, float softcap, float *scratch) {
    if (first < 0) first = 0;
    if (first > position) first = position;
    attn_task t = { q, k_cache, v_cache, out, scratch, nheads, nkv, head_dim, first, position, scale, softcap, 0 };
    if (position - first < 64) attention_worker(&t, 0, 1);  // too little work to be worth a wake-up
    else csk_pool_run(attention_worker, &t);
}
