// Checks every SIMD kernel family this CPU runs (NEON on AArch64; AVX2 / AVX-512 on x86-64) against the
// scalar reference on random inputs: every weight type, odd lengths, unaligned rows and x, the four-row and
// prefill paths of csk_matmul, MLX affine rows of every width, group size and scale type, the attention
// helpers, and the f32 -> f16 store bit for bit. Tolerances are those of the Swift tests
// (Tests/SmolLocalTests/Kernels/DequantizationTests.swift, Engine/MLXCheckpointTests.swift).
// Usage: kernel_check [--isa scalar|avx2|avx512|neon] [--expect-features neon,fp16,dotprod,i8mm|none]
// Built and run by scripts/test-arm64.sh (under qemu-aarch64, once per CPU model) and natively.
#include "csmol_kernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next_u64(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }
static float uniform(float lo, float hi) { return lo + (hi - lo) * (float)(next_u64() >> 40) / (float)(1 << 24); }

static int failures = 0;

// One row of the printed table: the worst |error| / tolerance seen over `cases` comparisons.
typedef struct { const char *family, *check; long cases; double worst; } result;

static void report(const result *r) {
    const char *verdict = r->worst <= 1.0 ? "ok" : "FAIL";
    if (r->worst > 1.0) failures++;
    printf("  %-7s %-34s %7ld  %8.3f  %s\n", r->family, r->check, r->cases, r->worst, verdict);
}

static void note(result *r, double err, double tol, const char *what) {
    double ratio = err / tol;
    if (!(ratio <= 1.0) && r->worst <= 1.0) fprintf(stderr, "mismatch: %s %s %s: error %g > tolerance %g\n", r->family, r->check, what, err, tol);
    if (!(ratio <= r->worst)) r->worst = isnan(ratio) ? INFINITY : ratio;
    r->cases++;
}

static const int types[] = { CSK_F32, CSK_F16, CSK_BF16, CSK_Q4_0, CSK_Q4_1, CSK_Q5_0, CSK_Q5_1, CSK_Q8_0,
                             CSK_Q2_K, CSK_Q3_K, CSK_Q4_K, CSK_Q5_K, CSK_Q6_K, CSK_IQ4_NL, CSK_IQ4_XS };
#define NTYPES (int)(sizeof(types) / sizeof(types[0]))

static const char *type_name(int t) {
    switch (t) {
    case CSK_F32: return "F32"; case CSK_F16: return "F16"; case CSK_BF16: return "BF16";
    case CSK_Q4_0: return "Q4_0"; case CSK_Q4_1: return "Q4_1"; case CSK_Q5_0: return "Q5_0"; case CSK_Q5_1: return "Q5_1";
    case CSK_Q8_0: return "Q8_0"; case CSK_Q2_K: return "Q2_K"; case CSK_Q3_K: return "Q3_K"; case CSK_Q4_K: return "Q4_K";
    case CSK_Q5_K: return "Q5_K"; case CSK_Q6_K: return "Q6_K"; case CSK_IQ4_NL: return "IQ4_NL"; default: return "IQ4_XS";
    }
}

static void put_half(uint8_t *p, float f) { uint16_t h = csk_f32_to_f16(f); memcpy(p, &h, 2); }

// Random blocks with finite scales: random code bytes, then the f16 scale fields overwritten.
static void random_row(int type, uint8_t *p, int64_t n) {
    if (type == CSK_F32) { for (int64_t i = 0; i < n; i++) { float f = uniform(-1, 1); memcpy(p + 4 * i, &f, 4); } return; }
    if (type == CSK_F16) { for (int64_t i = 0; i < n; i++) put_half(p + 2 * i, uniform(-1, 1)); return; }
    if (type == CSK_BF16) {
        for (int64_t i = 0; i < n; i++) { float f = uniform(-1, 1); uint32_t u; memcpy(&u, &f, 4); uint16_t b = (uint16_t)(u >> 16); memcpy(p + 2 * i, &b, 2); }
        return;
    }
    int bs = csk_block_size(type), bb = csk_block_bytes(type);
    for (int64_t b = 0; b < n / bs; b++) {
        uint8_t *blk = p + b * bb;
        for (int i = 0; i < bb; i++) blk[i] = (uint8_t)next_u64();
        int offs[2] = { 0, -1 };
        switch (type) {
        case CSK_Q4_1: case CSK_Q5_1: case CSK_Q4_K: case CSK_Q5_K: offs[1] = 2; break;
        case CSK_Q2_K: offs[0] = 80; offs[1] = 82; break;
        case CSK_Q3_K: offs[0] = 108; break;
        case CSK_Q6_K: offs[0] = 208; break;
        default: break;
        }
        for (int k = 0; k < 2; k++) if (offs[k] >= 0) put_half(blk + offs[k], uniform(-0.05f, 0.05f));
    }
}

// dot(dequantize(row), x) in double, and Σ |w x| (the scale of the rounding error).
static double reference_dot(int type, const uint8_t *row, const float *x, int64_t n, double *mag) {
    float *w = malloc((size_t)n * sizeof(float));
    csk_dequantize_row(type, row, w, n);
    double s = 0, m = 0;
    for (int64_t i = 0; i < n; i++) { s += (double)w[i] * x[i]; m += fabs((double)w[i] * x[i]); }
    free(w);
    *mag = m;
    return s;
}

static void check_dots(int isa, const char *family) {
    static const int64_t plain[] = { 1, 7, 31, 33, 100, 256, 1000, 4099 };
    static const int64_t blocks32[] = { 1, 3, 7, 32, 129 }, blocks256[] = { 1, 2, 5, 16 };
    for (int ti = 0; ti < NTYPES; ti++) {
        int type = types[ti], bs = csk_block_size(type);
        char label[48];
        snprintf(label, sizeof label, "dot %s", type_name(type));
        result r = { family, "", 0, 0 };
        r.check = label;
        const int64_t *sizes = bs == 1 ? plain : bs == 32 ? blocks32 : blocks256;
        int nsizes = bs == 1 ? 8 : bs == 32 ? 5 : 4;
        for (int si = 0; si < nsizes; si++) {
            int64_t n = bs == 1 ? sizes[si] : sizes[si] * bs;
            size_t bytes = (size_t)(n / bs) * (size_t)csk_block_bytes(type);
            uint8_t *buf = malloc(bytes + 1);
            float *xbuf = malloc((size_t)(n + 1) * sizeof(float));
            for (int rep = 0; rep < 3; rep++) {
                // Unaligned on purpose: a row at an odd address, x one float past a vector boundary.
                uint8_t *row = buf + 1;
                float *x = xbuf + 1;
                random_row(type, row, n);
                for (int64_t i = 0; i < n; i++) x[i] = uniform(-2, 2);
                double mag, want = reference_dot(type, row, x, n, &mag);
                float got = csk_dot_row_isa(isa, type, row, x, n);
                note(&r, fabs((double)got - want), 2e-6 * mag + 1e-7, label);
            }
            free(buf);
            free(xbuf);
        }
        report(&r);
    }
}

// csk_matmul (with isa forced): 9 rows = two four-row groups and one single row; 1 token (fused dots)
// and 5 tokens (4×4 prefill blocks plus a remainder), with a bias.
static void check_matmul(const char *family) {
    enum { ROWS = 9, COLS = 512, NTOK = 5 };
    float *x = malloc(sizeof(float) * COLS * NTOK), *y = malloc(sizeof(float) * ROWS * NTOK), bias[ROWS];
    float *scratch = malloc(sizeof(float) * csk_matmul_scratch_floats(COLS));
    for (int i = 0; i < COLS * NTOK; i++) x[i] = uniform(-1, 1);
    for (int r = 0; r < ROWS; r++) bias[r] = uniform(-1, 1);
    result res = { family, "matmul all types, 1 and 5 tokens", 0, 0 };
    for (int ti = 0; ti < NTYPES; ti++) {
        int type = types[ti];
        size_t rb = (size_t)(COLS / csk_block_size(type)) * (size_t)csk_block_bytes(type);
        uint8_t *w = malloc(rb * ROWS);
        random_row(type, w, (int64_t)COLS * ROWS);
        for (int ntok = 1; ntok <= NTOK; ntok += NTOK - 1) {
            csk_matmul_job job = { type, ROWS, COLS, ntok, w, rb, x, y, ROWS, bias, { 0 } };
            csk_matmul(&job, 1, scratch);
            for (int t = 0; t < ntok; t++)
                for (int r = 0; r < ROWS; r++) {
                    double mag, want = reference_dot(type, w + r * rb, x + t * COLS, COLS, &mag) + bias[r];
                    note(&res, fabs((double)y[t * ROWS + r] - want), 1e-4 * (fabs(want) + 1), type_name(type));
                }
        }
        free(w);
    }
    report(&res);
    free(x); free(y); free(scratch);
}

// MLX affine rows: every width, group sizes 32/64/128, f32/f16/bf16 scales; csk_affine_dot_row_isa and
// csk_matmul (four-row 4-bit kernel with and without the permuted x, prefill).
static void fill_scales(int st, uint8_t *p, int count, float lo, float hi) {
    for (int i = 0; i < count; i++) {
        float f = uniform(lo, hi);
        if (st == CSK_F32) memcpy(p + 4 * i, &f, 4);
        else if (st == CSK_F16) put_half(p + 2 * i, f);
        else { uint32_t u; memcpy(&u, &f, 4); uint16_t b = (uint16_t)(u >> 16); memcpy(p + 2 * i, &b, 2); }
    }
}

// csk_matmul_rowwise (batched decoding): each token's row bit-identical to a one-token csk_matmul for the
// GGUF types, as the Swift test RowwiseMatmulTests demands; 11 rows (two four-row groups and three
// leftovers), 1...9 tokens. (MLX affine rows: check_affine.)
static void check_rowwise(const char *family) {
    enum { ROWS = 11, COLS = 512, NTOK = 9 };
    float *x = malloc(sizeof(float) * COLS * NTOK), *y = malloc(sizeof(float) * ROWS * NTOK), one[ROWS], bias[ROWS];
    float *scratch = malloc(sizeof(float) * csk_matmul_scratch_floats(COLS));
    for (int i = 0; i < COLS * NTOK; i++) x[i] = uniform(-1, 1);
    for (int r = 0; r < ROWS; r++) bias[r] = uniform(-1, 1);
    result res = { family, "rowwise == one token (bit-exact)", 0, 0 };
    for (int ti = 0; ti < NTYPES; ti++) {
        int type = types[ti];
        size_t rb = (size_t)(COLS / csk_block_size(type)) * (size_t)csk_block_bytes(type);
        uint8_t *w = malloc(rb * ROWS);
        random_row(type, w, (int64_t)COLS * ROWS);
        for (int ntok = 1; ntok <= NTOK; ntok++) {
            csk_matmul_job job = { type, ROWS, COLS, ntok, w, rb, x, y, ROWS, bias, { 0 } };
            csk_matmul_rowwise(&job, 1, scratch);
            for (int t = 0; t < ntok; t++) {
                csk_matmul_job single = { type, ROWS, COLS, 1, w, rb, x + t * COLS, one, ROWS, bias, { 0 } };
                csk_matmul(&single, 1, scratch);
                for (int r = 0; r < ROWS; r++) note(&res, memcmp(&one[r], &y[t * ROWS + r], 4) ? 1 : 0, 0.5, type_name(type));
            }
        }
        free(w);
    }
    report(&res);
    free(x); free(y); free(scratch);
}

static void check_affine(int isa, const char *family) {
    static const int bits[] = { 2, 3, 4, 5, 6, 8 }, groups[] = { 32, 64, 128 }, sts[] = { CSK_F32, CSK_F16, CSK_BF16 };
    result rd = { family, "affine dot (6 widths x 3 groups x 3)", 0, 0 }, rm = { family, "affine matmul 1/3 tokens, 3 jobs", 0, 0 };
    result rr = { family, "affine rowwise == one token (bit-exact)", 0, 0 };
    enum { ROWS = 9 };
    for (int bi = 0; bi < 6; bi++) for (int gi = 0; gi < 3; gi++) for (int si = 0; si < 3; si++) {
        int G = groups[gi], st = sts[si];
        int64_t n = (int64_t)G * 5;
        size_t qb = (size_t)(n * bits[bi] / 8), sb = (size_t)(n / G) * (st == CSK_F32 ? 4 : 2);
        uint8_t *q = malloc(qb * ROWS + 1), *s = malloc(sb * ROWS), *b = malloc(sb * ROWS);
        float *x = malloc(sizeof(float) * (size_t)(n * 3 + 1)), *w = malloc(sizeof(float) * (size_t)n);
        float y[ROWS * 3], bias[ROWS] = { 0 };
        for (size_t i = 0; i < qb * ROWS + 1; i++) q[i] = (uint8_t)next_u64();
        fill_scales(st, s, (int)(n / G) * ROWS, 0.001f, 0.05f);
        fill_scales(st, b, (int)(n / G) * ROWS, -0.1f, 0.1f);
        for (int64_t i = 0; i < n * 3 + 1; i++) x[i] = uniform(-1, 1);
        csk_affine a = { s, b, st, bits[bi], G };
        double want[ROWS * 3], mag[ROWS * 3];
        for (int t = 0; t < 3; t++) for (int r = 0; r < ROWS; r++) {
            csk_affine_dequantize_row(&a, q + 1, r, w, n, 0);
            double d = 0, m = 0;
            for (int64_t i = 0; i < n; i++) { d += (double)w[i] * x[1 + t * n + i]; m += fabs((double)w[i] * x[1 + t * n + i]); }
            want[t * ROWS + r] = d; mag[t * ROWS + r] = m;
        }
        for (int r = 0; r < ROWS; r++) {
            float got = csk_affine_dot_row_isa(isa, &a, q + 1, r, x + 1, n);
            note(&rd, fabs((double)got - want[r]), 1e-5 * fmax(1, mag[r]), "affine dot");
        }
        float scratch[16 * 4 * (5 * 128 + 16)];
        for (int ntok = 1; ntok <= 3; ntok += 2) {
            // x at an aligned address for the matmul: the jobs' x is what csk_affine_permute4 copies.
            memmove(x, x + 1, sizeof(float) * (size_t)(n * 3));
            csk_matmul_job job = { CSK_AFFINE, ROWS, (int)n, ntok, q + 1, qb, x, y, ROWS, bias, a };
            csk_matmul(&job, 1, scratch);
            memmove(x + 1, x, sizeof(float) * (size_t)(n * 3));
            for (int i = 0; i < ntok * ROWS; i++) note(&rm, fabs((double)y[i] - want[i]), 1e-5 * fmax(1, mag[i]), "affine matmul");
        }
        // Three single-token jobs with three different x: csk_matmul permutes x for two at most, so the
        // third runs the four-row kernel without the permuted copy.
        memmove(x, x + 1, sizeof(float) * (size_t)(n * 3));
        csk_matmul_job jobs[3];
        for (int t = 0; t < 3; t++) {
            csk_matmul_job job = { CSK_AFFINE, ROWS, (int)n, 1, q + 1, qb, x + t * n, y + t * ROWS, ROWS, bias, a };
            jobs[t] = job;
        }
        csk_matmul(jobs, 3, scratch);
        memmove(x + 1, x, sizeof(float) * (size_t)(n * 3));
        for (int i = 0; i < 3 * ROWS; i++) note(&rm, fabs((double)y[i] - want[i]), 1e-5 * fmax(1, mag[i]), "affine matmul, 3 jobs");
        // Batched (rowwise) rows equal one-token rows bit for bit: three jobs of two tokens each, every job its
        // own x, so the third job gets no permuted copy, exactly as in the one-token call of the same jobs.
        float *xb = malloc(sizeof(float) * (size_t)(n * 6)), yb[ROWS * 6], y1[ROWS * 3];
        for (int64_t i = 0; i < n * 6; i++) xb[i] = uniform(-1, 1);
        csk_matmul_job batched[3], single[3];
        for (int j = 0; j < 3; j++) {
            csk_matmul_job job = { CSK_AFFINE, ROWS, (int)n, 2, q + 1, qb, xb + j * 2 * n, yb + j * 2 * ROWS, ROWS, bias, a };
            batched[j] = job;
        }
        csk_matmul_rowwise(batched, 3, scratch);
        for (int t = 0; t < 2; t++) {
            for (int j = 0; j < 3; j++) {
                csk_matmul_job job = { CSK_AFFINE, ROWS, (int)n, 1, q + 1, qb, xb + j * 2 * n + t * n, y1 + j * ROWS, ROWS, bias, a };
                single[j] = job;
            }
            csk_matmul(single, 3, scratch);
            for (int j = 0; j < 3; j++)
                for (int r = 0; r < ROWS; r++)
                    note(&rr, memcmp(&y1[j * ROWS + r], &yb[j * 2 * ROWS + t * ROWS + r], 4) ? 1 : 0, 0.5, "affine rowwise");
        }
        free(xb);
        free(q); free(s); free(b); free(x); free(w);
    }
    report(&rd);
    report(&rm);
    report(&rr);
}

// The f16 store bit for bit (NaN: any NaN), random bit patterns and the rounding edge cases.
static void check_f16(const char *family) {
    enum { N = 1 << 16 };
    static float src[N];
    static uint16_t got[N];
    result r = { family, "f32->f16 store (bit-exact)", 0, 0 };
    for (int i = 0; i < N; i++) { uint32_t u = (uint32_t)next_u64(); memcpy(&src[i], &u, 4); }
    // Around the half range, subnormals and ties: exponents 2^-26 .. 2^17.
    for (int i = 0; i < N / 2; i++) { uint32_t u = (uint32_t)next_u64(); u = (u & 0x80FFFFFFu) | ((uint32_t)(101 + i % 44) << 23); memcpy(&src[i], &u, 4); }
    csk_store_f16(got, src, N - 3);  // an odd length: the vector loop plus a scalar tail
    for (int i = 0; i < N - 3; i++) {
        uint16_t want = csk_f32_to_f16(src[i]);
        int same = got[i] == want || (isnan(src[i]) && (got[i] & 0x7C00) == 0x7C00 && (got[i] & 0x3FF));
        note(&r, same ? 0 : 1, 0.5, "f16 store");
    }
    report(&r);
}

// Attention (f32 and f16 caches, enough positions to use the pool) and axpy against the scalar family.
static void check_attention(int isa, const char *family) {
    enum { H = 4, KV = 2, D = 72, P = 100 };
    static float q[H * D], k[P * KV * D], v[P * KV * D], out[2][H * D], scratch[16 * (H / KV) * (P + 17)];
    static uint16_t k16[P * KV * D], v16[P * KV * D];
    for (int i = 0; i < H * D; i++) q[i] = uniform(-1, 1);
    for (int i = 0; i < P * KV * D; i++) { k[i] = uniform(-1, 1); v[i] = uniform(-1, 1); }
    csk_store_f16(k16, k, P * KV * D);
    csk_store_f16(v16, v, P * KV * D);
    result r = { family, "attention f32/f16 cache, axpy", 0, 0 };
    for (int f16 = 0; f16 < 2; f16++) {
        for (int pass = 0; pass < 2; pass++) {
            csk_set_isa(pass ? isa : CSK_ISA_SCALAR);
            if (f16) csk_attention_f16(q, k16, v16, out[pass], H, KV, D, 3, P - 1, 0.125f, 0, scratch);
            else csk_attention(q, k, v, out[pass], H, KV, D, 0, P - 1, 0.125f, 30.0f, scratch);
        }
        for (int i = 0; i < H * D; i++) note(&r, fabs((double)out[1][i] - out[0][i]), 1e-5 * (fabs((double)out[0][i]) + 1), "attention");
    }
    float y0[D + 3], y1[D + 3];
    for (int i = 0; i < D + 3; i++) y0[i] = y1[i] = uniform(-1, 1);
    csk_set_isa(CSK_ISA_SCALAR); csk_axpy(y0, 0.37f, k, D + 3);
    csk_set_isa(isa); csk_axpy(y1, 0.37f, k, D + 3);
    for (int i = 0; i < D + 3; i++) note(&r, fabs((double)y1[i] - y0[i]), 1e-6 * (fabs((double)y0[i]) + 1), "axpy");
    report(&r);
}

static uint32_t parse_features(const char *s) {
    uint32_t f = 0;
    if (strstr(s, "neon")) f |= CSK_CPU_NEON;
    if (strstr(s, "fp16")) f |= CSK_CPU_FP16;
    if (strstr(s, "dotprod")) f |= CSK_CPU_DOTPROD;
    if (strstr(s, "i8mm")) f |= CSK_CPU_I8MM;
    return f;
}

int main(int argc, char **argv) {
    const char *only = NULL, *expect = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--isa")) only = argv[i + 1];
        else if (!strcmp(argv[i], "--expect-features")) expect = argv[i + 1];
    }
    uint32_t f = csk_cpu_features();
    const uint32_t arm = CSK_CPU_NEON | CSK_CPU_FP16 | CSK_CPU_DOTPROD | CSK_CPU_I8MM;
    printf("features: %s%s%s%s%s%s%s (best family %d)\n", f & CSK_CPU_NEON ? "neon " : "", f & CSK_CPU_FP16 ? "fp16 " : "",
           f & CSK_CPU_DOTPROD ? "dotprod " : "", f & CSK_CPU_I8MM ? "i8mm " : "", f & CSK_CPU_AVX2 ? "avx2 " : "",
           f & CSK_CPU_FMA ? "fma " : "", f & CSK_CPU_AVX512F ? "avx512f" : "", csk_best_isa());
    if (expect && (f & arm) != parse_features(expect)) {
        printf("  FAIL feature detection: expected %s\n", expect);
        failures++;
    }
    csk_set_threads(2);
    static const struct { int isa; const char *name; } families[] = {
        { CSK_ISA_SCALAR, "scalar" }, { CSK_ISA_AVX2, "avx2" }, { CSK_ISA_AVX512, "avx512" }, { CSK_ISA_NEON, "neon" } };
    printf("  %-7s %-34s %7s  %8s\n", "family", "check", "cases", "err/tol");
    for (int i = 0; i < 4; i++) {
        int isa = families[i].isa;
        if (!csk_isa_supported(isa) || (only && strcmp(only, families[i].name))) continue;
        csk_set_isa(isa);
        check_dots(isa, families[i].name);
        check_matmul(families[i].name);
        check_rowwise(families[i].name);
        check_affine(isa, families[i].name);
        if (isa != CSK_ISA_SCALAR) {
            check_f16(families[i].name);
            check_attention(isa, families[i].name);
        }
    }
    printf("%s\n", failures ? "FAILED" : "all checks passed");
    return failures ? 1 : 0;
}
