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
