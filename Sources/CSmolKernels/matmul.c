#include "internal.h"
#include <stdatomic.h>

static atomic_int chosen_isa = 0;

static int best_isa(void) {
    uint32_t f = csk_cpu_features();
#if CSK_ARM64
    return (f & CSK_CPU_NEON) ? CSK_ISA_NEON : CSK_ISA_SCALAR;
#else
    int avx2 = CSK_X86 && (f & CSK_CPU_AVX2) && (f & CSK_CPU_FMA) && (f & CSK_CPU_F16C);
    if (avx2 && (f & CSK_CPU_AVX512F)) return CSK_ISA_AVX512;
    return avx2 ? CSK_ISA_AVX2 : CSK_ISA_SCALAR;
#endif
}

int csk_best_isa(void) { return best_isa(); }

// The families form one chain per architecture (SCALAR < AVX2 < AVX512 on x86-64, SCALAR < NEON on
// AArch64); the numbers of the other architecture's families are not "less than" anything here.
int csk_isa_supported(int isa) {
    int best = best_isa();
    if (isa == CSK_ISA_AUTO || isa == CSK_ISA_SCALAR) return 1;
    if (best == CSK_ISA_NEON) return isa == CSK_ISA_NEON;
    return (isa == CSK_ISA_AVX2 || isa == CSK_ISA_AVX512) && isa <= best;
}

int csk_active_isa(void) {
    int isa = atomic_load_explicit(&chosen_isa, memory_order_relaxed);
    if (isa == 0) {
        isa = best_isa();
        atomic_store(&chosen_isa, isa);
    }
    return isa;
}

int csk_resolve_isa(int isa) {
    if (isa == CSK_ISA_AUTO) return csk_active_isa();
    return csk_isa_supported(isa) ? isa : best_isa();
}

int csk_set_isa(int isa) {
    if (isa == CSK_ISA_AUTO || !csk_isa_supported(isa)) isa = best_isa();
    atomic_store(&chosen_isa, isa);
    return isa;
}

// Dot product with a precomputed table of 32-block sums of x (needed by the affine/offset types).
static inline float dot_with_sums(int isa, int type, const void *row, const float *x, const float *xs, int64_t n) {
#if CSK_ARM64
    if (isa == CSK_ISA_NEON) return csk_dot_neon(type, row, x, xs, n);
#endif
    if (isa == CSK_ISA_AVX512 && csk_avx512_has(type)) return csk_dot_avx512(type, row, x, xs, n);
    if (isa == CSK_ISA_AVX2 || isa == CSK_ISA_AVX512) return csk_dot_avx2(type, row, x, xs, n);
    return csk_dot_scalar(type, row, x, n);
}

static inline float dot_f32(int isa, const float *a, const float *b, int64_t n) {
#if CSK_ARM64
    if (isa == CSK_ISA_NEON) return csk_dot_f32_neon(a, b, n);
#endif
    if (isa == CSK_ISA_AVX2 || isa == CSK_ISA_AVX512) return csk_dot_f32_avx2(a, b, n);
    float s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

float csk_dot_row(int type, const void *row, const float *x, int64_t n) {
    return csk_dot_row_isa(CSK_ISA_AUTO, type, row, x, n);
}

float csk_dot_row_isa(int isa, int type, const void *row, const float *x, int64_t n) {
    float sums[4096];
    isa = csk_resolve_isa(isa);
    if (n / 32 > 4096 || isa == CSK_ISA_SCALAR) return csk_dot_scalar(type, row, x, n);
    if (n % 32 == 0) csk_block_sums32(x, n, sums);
    return dot_with_sums(isa, type, row, x, sums, n);
}

size_t csk_matmul_scratch_floats(int cols) {
    // per thread: a dequantized row + the block sums of each token's x are computed on the fly
    return (size_t)16 * 4 * ((size_t)cols + 16);
}

#define CSK_SUM_JOBS 8
#define MAX_SUM_BLOCKS 4096
#define MAX_PERM 4096

typedef struct {
    const csk_matmul_job *jobs;
    int njobs;
    int64_t total_rows;
    float *scratch;
    size_t scratch_stride;
    atomic_llong next_chunk;
    const float *sums[CSK_SUM_JOBS];  // per job: 32-block sums of x (single-token jobs), or NULL
    const float *xperm[CSK_SUM_JOBS];  // per 4-bit affine single-token job: x in nibble order, or NULL
    int rowwise;  // every token through the single-token path, rows outer (csk_matmul_rowwise)
    int perm_slot[CSK_SUM_JOBS];  // which of (rowwise: a token's) two permuted copies of x job j reads (-1: none)
} matmul_task;

// Rows are handed out in chunks from a shared counter, so a thread that starts late (a busy machine) only
// takes what is left instead of holding up the others with a fixed half of the work.
#define CHUNK_ROWS 256

// Row r of a job's weights as f32 (prefill dequantizes rows once and reuses them for every token).
static inline void dequantize_job_row(const csk_matmul_job *job, int64_t r, float *dst) {
    const uint8_t *w = (const uint8_t *)job->w + r * job->row_bytes;
    if (job->type != CSK_AFFINE) {
        csk_dequantize_row(job->type, w, dst, job->cols);
        return;
    }
    const csk_affine *a = &job->affine;
    size_t sb = (size_t)(job->cols / a->group_size) * csk_scale_bytes(a->scale_type);
    csk_affine_dequantize_f32(a, w, (const uint8_t *)a->scales + r * sb, (const uint8_t *)a->biases + r * sb, dst, job->cols);
}

// Whether `isa` has a four-row kernel for this affine job.
static inline int affine_has4(int isa, const csk_affine *a) {
#if CSK_ARM64
    if (isa == CSK_ISA_NEON) return csk_affine_neon_has4(a);
#endif
    return isa == CSK_ISA_AVX512 && csk_affine_avx512_has4(a);
}

// Single-token rows r0..<r1 of an MLX affine job: fused dequantize-dot, four rows at a time on AVX-512
// and NEON.
static void affine_rows(matmul_task *t, const csk_matmul_job *job, int j, int isa, int64_t r0, int64_t r1, float *local_sums,
                        const float *xp) {
    const csk_affine *a = &job->affine;
    int64_t cols = job->cols;
    const float *gs = j >= 0 && j < CSK_SUM_JOBS ? t->sums[j] : NULL;
    if (!gs) {
        csk_affine_group_sums(job->x, cols, a->group_size, local_sums);
        gs = local_sums;
    }
    const uint8_t *w = (const uint8_t *)job->w;
    size_t sb = (size_t)(cols / a->group_size) * csk_scale_bytes(a->scale_type);
    const uint8_t *s = (const uint8_t *)a->scales, *b = (const uint8_t *)a->biases;
    int64_t r = r0;
    if (affine_has4(isa, a)) {
        float out[4];
        for (; r + 4 <= r1; r += 4) {
#if CSK_ARM64
            csk_affine_dot4_neon(a, w + r * job->row_bytes, job->row_bytes, s + r * sb, b + r * sb, sb, job->x, xp, gs, cols, out);
#else
            csk_affine_dot4_avx512(a, w + r * job->row_bytes, job->row_bytes, s + r * sb, b + r * sb, sb, job->x, xp, gs, cols, out);
#endif
            for (int k = 0; k < 4; k++) job->y[r + k] = job->bias ? out[k] + job->bias[r + k] : out[k];
        }
    }
    for (; r < r1; r++) {
        const uint8_t *q = w + r * job->row_bytes;
        float v;
#if CSK_ARM64
        if (isa == CSK_ISA_NEON) v = csk_affine_dot_neon(a, q, s + r * sb, b + r * sb, job->x, gs, cols);
        else
#endif
        v = isa == CSK_ISA_AVX512 ? csk_affine_dot_avx512(a, q, s + r * sb, b + r * sb, job->x, gs, cols)
          : isa == CSK_ISA_AVX2 ? csk_affine_dot_avx2(a, q, s + r * sb, b + r * sb, job->x, gs, cols)
          : csk_affine_dot_scalar(a, q, s + r * sb, b + r * sb, job->x, gs, cols);
        job->y[r] = job->bias ? v + job->bias[r] : v;
    }
}

// Single-token rows r0..<r1 of `job`, fused dequantize-dot; `j` indexes the task's precomputed sums of x
// (-1: none, computed here); `xp`: x in the affine codes' nibble order, or NULL.
static void single_rows(matmul_task *t, const csk_matmul_job *job, int j, int isa, int64_t r0, int64_t r1, float *sums,
                        const float *xp) {
    if (job->type == CSK_AFFINE) {
        affine_rows(t, job, j, isa, r0, r1, sums, xp);
        return;
    }
    const uint8_t *w = (const uint8_t *)job->w;
    int64_t cols = job->cols;
    int usable = cols % 32 == 0 && cols / 32 <= MAX_SUM_BLOCKS && isa != CSK_ISA_SCALAR;
    const float *xs = sums;
    if (usable) {
        if (j >= 0 && j < CSK_SUM_JOBS && t->sums[j]) xs = t->sums[j];
        else csk_block_sums32(job->x, cols, sums);
    }
    int64_t r = r0;
#if CSK_ARM64
    int four = usable && isa == CSK_ISA_NEON && csk_neon_has4(job->type);
#else
    int four = usable && isa == CSK_ISA_AVX512 && csk_avx512_has4(job->type);
#endif
    if (four) {
        float out[4];
        for (; r + 4 <= r1; r += 4) {
#if CSK_ARM64
            csk_dot4_neon(job->type, w + r * job->row_bytes, job->row_bytes, job->x, xs, cols, out);
#else
            csk_dot_rows_tokens_avx512(job->type, w + r * job->row_bytes, job->row_bytes, 4, job->x, 0, 1, cols, out);
#endif
            for (int k = 0; k < 4; k++) job->y[r + k] = job->bias ? out[k] + job->bias[r + k] : out[k];
        }
    }
    for (; r < r1; r++) {
        float v = usable ? dot_with_sums(isa, job->type, w + r * job->row_bytes, job->x, xs, cols)
                         : csk_dot_scalar(job->type, w + r * job->row_bytes, job->x, cols);
        job->y[r] = job->bias ? v + job->bias[r] : v;
    }
}

// Rows r0..<r1 of a several-token job on AVX-512: up to four tokens against four rows at a time, five to
// eight against two, larger counts in groups of eight (each block's codes dequantized once per group);
// leftover rows through the one-row kernel. A row's result does not depend on the grouping
// (dot_tokens_avx512.c), so every token gets exactly what a one-token csk_matmul gives it. Returns 0
// (nothing done) where single_rows would not use these kernels.
static int rowwise_tokens(const csk_matmul_job *job, int isa, int64_t r0, int64_t r1) {
    int64_t cols = job->cols;
    if (isa != CSK_ISA_AVX512 || job->type == CSK_AFFINE || !csk_avx512_has4(job->type) || cols % 32 != 0 ||
        cols / 32 > MAX_SUM_BLOCKS)
        return 0;
    const uint8_t *w = (const uint8_t *)job->w;
    for (int tok0 = 0; tok0 < job->ntok; tok0 += 8) {
        int nt = job->ntok - tok0 < 8 ? job->ntok - tok0 : 8;
        int nr = nt <= 4 ? 4 : 2;
        const float *x = job->x + (int64_t)tok0 * cols;
        float out[16];
        for (int64_t r = r0; r < r1;) {
            int g = r + nr <= r1 ? nr : 1;
            csk_dot_rows_tokens_avx512(job->type, w + r * job->row_bytes, job->row_bytes, g, x, cols, nt, cols, out);
            for (int k = 0; k < nt; k++)
                for (int i = 0; i < g; i++)
                    job->y[(tok0 + k) * job->y_stride + r + i] = job->bias ? out[k * g + i] + job->bias[r + i] : out[k * g + i];
            r += g;
        }
    }
    return 1;
}

static void matmul_range(matmul_task *t, int tid, int64_t begin, int64_t end) {
    int isa = csk_active_isa();
    float sums[MAX_SUM_BLOCKS];
    int64_t base = 0;
    for (int j = 0; j < t->njobs && base < end; j++) {
        const csk_matmul_job *job = &t->jobs[j];
        int64_t r0 = begin > base ? begin - base : 0;
        int64_t r1 = end - base < job->rows ? end - base : job->rows;
        base += job->rows;
        if (r0 >= r1) continue;
        int64_t cols = job->cols;
        if (t->rowwise) {
            if (rowwise_tokens(job, isa, r0, r1)) continue;
            // Each token through the single-token (fused) path while rows r0..<r1 are still in cache: the
            // weights are read from memory once for all tokens, and a token's result is what a one-token
            // call gives, whatever else is in the call.
            // An affine job that a one-token call would give a permuted copy of x gets one here too, per token
            // (the four-row kernels sum in another order with and without it).
            int slot = j < CSK_SUM_JOBS ? t->perm_slot[j] : -1;
            float xp[slot >= 0 ? MAX_PERM : 1];
            for (int tok = 0; tok < job->ntok; tok++) {
                csk_matmul_job one = *job;
                one.ntok = 1;
                one.x = job->x + (int64_t)tok * cols;
                one.y = job->y + (int64_t)tok * job->y_stride;
                if (slot >= 0) csk_affine_permute4(one.x, cols, xp);
                single_rows(t, &one, -1, isa, r0, r1, sums, slot >= 0 ? xp : NULL);
            }
            continue;
        }
        if (job->ntok == 1) {
            single_rows(t, job, j, isa, r0, r1, sums, j < CSK_SUM_JOBS ? t->xperm[j] : NULL);
        } else {
            // Dequantize rows once, then reuse them for every token while they sit in L1; AVX-512 and NEON
            // work on blocks of 4 rows × 4 tokens.
            float *rows4 = t->scratch + (size_t)tid * t->scratch_stride;
            int64_t rs = cols + 16;
            int64_t r = r0;
            if ((isa == CSK_ISA_AVX512 || isa == CSK_ISA_NEON) && job->ntok >= 4) {
                for (; r + 4 <= r1; r += 4) {
                    for (int k = 0; k < 4; k++) dequantize_job_row(job, r + k, rows4 + k * rs);
                    int tok = 0;
                    for (; tok + 4 <= job->ntok; tok += 4)
#if CSK_ARM64
                        csk_dot_f32_rows4_tokens4_neon(
#else
                        csk_dot_f32_rows4_tokens4_avx512(
#endif
rows4, rs, job->x + (int64_t)tok * cols, cols,
                                                        job->y + tok * job->y_stride + r, job->y_stride,
                                                        job->bias ? job->bias + r : NULL);
                    for (; tok < job->ntok; tok++)
                        for (int k = 0; k < 4; k++)
                            job->y[tok * job->y_stride + r + k] = dot_f32(isa, rows4 + k * rs, job->x + (int64_t)tok * cols, cols)
                                                                 + (job->bias ? job->bias[r + k] : 0);
                }
            }
            for (; r < r1; r++) {
                dequantize_job_row(job, r, rows4);
                float b = job->bias ? job->bias[r] : 0;
                for (int tok = 0; tok < job->ntok; tok++)
                    job->y[tok * job->y_stride + r] = dot_f32(isa, rows4, job->x + (int64_t)tok * cols, cols) + b;
            }
        }
    }
}

static void matmul_worker(void *arg, int tid, int nthreads) {
    (void)nthreads;
    matmul_task *t = (matmul_task *)arg;
    for (;;) {
        int64_t c = atomic_fetch_add_explicit(&t->next_chunk, 1, memory_order_relaxed);
        int64_t begin = c * CHUNK_ROWS;
        if (begin >= t->total_rows) break;
        int64_t end = begin + CHUNK_ROWS < t->total_rows ? begin + CHUNK_ROWS : t->total_rows;
        matmul_range(t, tid, begin, end);
    }
}

static void matmul_run(const csk_matmul_job *jobs, int njobs, float *scratch, int rowwise);

void csk_matmul(const csk_matmul_job *jobs, int njobs, float *scratch) { matmul_run(jobs, njobs, scratch, 0); }

void csk_matmul_rowwise(const csk_matmul_job *jobs, int njobs, float *scratch) { matmul_run(jobs, njobs, scratch, 1); }

// Whether a job before `j` already reads permuted copy `slot`.
static int matmul_slot_used(const matmul_task *t, int j, int slot) {
    for (int k = 0; k < j; k++)
        if (t->perm_slot[k] == slot) return 1;
    return 0;
}

static void matmul_run(const csk_matmul_job *jobs, int njobs, float *scratch, int rowwise) {
    matmul_task t = { jobs, njobs, 0, scratch, 0, 0, { 0 }, { 0 }, rowwise, { 0 } };
    int maxcols = 0;
    for (int j = 0; j < njobs; j++) {
        t.total_rows += jobs[j].rows;
        if (jobs[j].cols > maxcols) maxcols = jobs[j].cols;
    }
    t.scratch_stride = 4 * ((size_t)maxcols + 16);
    // Block sums of each single-token job's x, computed once here rather than in every chunk.
    float sums[CSK_SUM_JOBS][MAX_SUM_BLOCKS / 8];
    // Affine jobs need sums over their quantization groups instead of 32-blocks.
    for (int j = 0; j < njobs && j < CSK_SUM_JOBS && !rowwise; j++) {
        t.sums[j] = NULL;
        int span = jobs[j].type == CSK_AFFINE ? jobs[j].affine.group_size : 32;
        if (jobs[j].ntok != 1 || jobs[j].cols % span != 0 || jobs[j].cols / 32 > MAX_SUM_BLOCKS / 8) continue;
        int prev_span = j > 0 ? (jobs[j - 1].type == CSK_AFFINE ? jobs[j - 1].affine.group_size : 32) : 0;
        if (j > 0 && jobs[j].x == jobs[j - 1].x && jobs[j].cols == jobs[j - 1].cols && span == prev_span && t.sums[j - 1]) {
            t.sums[j] = t.sums[j - 1];
            continue;
        }
        if (jobs[j].type == CSK_AFFINE) csk_affine_group_sums(jobs[j].x, jobs[j].cols, span, sums[j]);
        else csk_block_sums32(jobs[j].x, jobs[j].cols, sums[j]);
        t.sums[j] = sums[j];
    }
    // 4-bit affine jobs on AVX-512 and NEON read x in the codes' nibble order; jobs sharing an x share the copy.
    // csk_matmul_rowwise gives each token's affine jobs the copies a one-token call of the same jobs gives them.
    float xperm[2][MAX_PERM];
    int nperm = 0;
    int isa = csk_active_isa();
    for (int j = 0; j < CSK_SUM_JOBS; j++) t.perm_slot[j] = -1;
    if (isa == CSK_ISA_AVX512 || isa == CSK_ISA_NEON) {
        for (int j = 0; j < njobs && j < CSK_SUM_JOBS; j++) {
            const csk_matmul_job *job = &jobs[j];
            if (job->type != CSK_AFFINE || (job->ntok != 1 && !rowwise) || !affine_has4(isa, &job->affine) || job->cols > MAX_PERM) continue;
            for (int k = 0; k < j && t.perm_slot[j] < 0; k++)
                if (t.perm_slot[k] >= 0 && jobs[k].x == job->x && jobs[k].cols == job->cols) t.perm_slot[j] = t.perm_slot[k];
            if (t.perm_slot[j] < 0 && nperm < 2) t.perm_slot[j] = nperm++;
            // A one-token call permutes each slot's x once, here; a rowwise call per token, in the workers.
            if (!rowwise && t.perm_slot[j] >= 0) {
                if (!matmul_slot_used(&t, j, t.perm_slot[j])) csk_affine_permute4(job->x, job->cols, xperm[t.perm_slot[j]]);
                t.xperm[j] = xperm[t.perm_slot[j]];
            }
        }
    }
    csk_pool_run(matmul_worker, &t);
}
