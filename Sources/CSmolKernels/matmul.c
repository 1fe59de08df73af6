#include "internal.h"
#include <stdatomic.h>

static atomic_int chosen_isa = 0;

static int best_isa(void) {
    uint32_t f = csk_cpu_features();
    int avx2 = (f & CSK_CPU_AVX2) && (f & CSK_CPU_FMA) && (f & CSK_CPU_F16C);
    if (avx2 && (f & CSK_CPU_AVX512F)) return CSK_ISA_AVX512;
    return avx2 ? CSK_ISA_AVX2 : CSK_ISA_SCALAR;
}

int csk_active_isa(void) {
    int isa = atomic_load_explicit(&chosen_isa, memory_order_relaxed);
    if (isa == 0) {
        isa = best_isa();
        atomic_store(&chosen_isa, isa);
    }
    return isa;
}

int csk_set_isa(int isa) {
    int best = best_isa();
    if (isa == CSK_ISA_AUTO || isa > best) isa = best;
    atomic_store(&chosen_isa, isa);
    return isa;
}

// Dot product with a precomputed table of 32-block sums of x (needed by the affine/offset types).
static inline float dot_with_sums(int isa, int type, const void *row, const float *x, const float *xs, int64_t n) {
    if (isa == CSK_ISA_AVX512 && csk_avx512_has(type)) return csk_dot_avx512(type, row, x, xs, n);
    if (isa >= CSK_ISA_AVX2) return csk_dot_avx2(type, row, x, xs, n);
    return csk_dot_scalar(type, row, x, n);
}

static inline float dot_f32(int isa, const float *a, const float *b, int64_t n) {
    if (isa >= CSK_ISA_AVX2) return csk_dot_f32_avx2(a, b, n);
    float s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

float csk_dot_row(int type, const void *row, const float *x, int64_t n) {
    return csk_dot_row_isa(CSK_ISA_AUTO, type, row, x, n);
}

float csk_dot_row_isa(int isa, int type, const void *row, const float *x, int64_t n) {
    float sums[4096];
    int best = best_isa();
    if (isa == CSK_ISA_AUTO) isa = csk_active_isa();
    if (isa > best) isa = best;
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

typedef struct {
    const csk_matmul_job *jobs;
    int njobs;
    int64_t total_rows;
    float *scratch;
    size_t scratch_stride;
    atomic_llong next_chunk;
    const float *sums[CSK_SUM_JOBS];  // per job: 32-block sums of x (single-token jobs), or NULL
} matmul_task;

// Rows are handed out in chunks from a shared counter, so a thread that starts late (a busy machine) only
// takes what is left instead of holding up the others with a fixed half of the work.
#define CHUNK_ROWS 256

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
        const uint8_t *w = (const uint8_t *)job->w;
        int64_t cols = job->cols;
        if (job->ntok == 1) {
            int usable = cols % 32 == 0 && cols / 32 <= MAX_SUM_BLOCKS && isa != CSK_ISA_SCALAR;
            const float *xs = sums;
            if (usable) {
                if (j < CSK_SUM_JOBS && t->sums[j]) xs = t->sums[j];
                else csk_block_sums32(job->x, cols, sums);
            }
            int64_t r = r0;
            if (usable && isa == CSK_ISA_AVX512 && csk_avx512_has4(job->type)) {
                float out[4];
                for (; r + 4 <= r1; r += 4) {
                    csk_dot4_avx512(job->type, w + r * job->row_bytes, job->row_bytes, job->x, xs, cols, out);
                    for (int k = 0; k < 4; k++) job->y[r + k] = job->bias ? out[k] + job->bias[r + k] : out[k];
                }
            }
            for (; r < r1; r++) {
                float v = usable ? dot_with_sums(isa, job->type, w + r * job->row_bytes, job->x, xs, cols)
                                 : csk_dot_scalar(job->type, w + r * job->row_bytes, job->x, cols);
                job->y[r] = job->bias ? v + job->bias[r] : v;
            }
        } else {
            // Dequantize rows once, then reuse them for every token while they sit in L1; AVX-512 works on
            // blocks of 4 rows × 4 tokens.
            float *rows4 = t->scratch + (size_t)tid * t->scratch_stride;
            int64_t rs = cols + 16;
            int64_t r = r0;
            if (isa == CSK_ISA_AVX512 && job->ntok >= 4) {
                for (; r + 4 <= r1; r += 4) {
                    for (int k = 0; k < 4; k++) csk_dequantize_row(job->type, w + (r + k) * job->row_bytes, rows4 + k * rs, cols);
                    int tok = 0;
                    for (; tok + 4 <= job->ntok; tok += 4)
                        csk_dot_f32_rows4_tokens4_avx512(rows4, rs, job->x + (int64_t)tok * cols, cols,
                                                        job->y + tok * job->y_stride + r, job->y_stride,
                                                        job->bias ? job->bias + r : NULL);
                    for (; tok < job->ntok; tok++)
                        for (int k = 0; k < 4; k++)
                            job->y[tok * job->y_stride + r + k] = dot_f32(isa, rows4 + k * rs, job->x + (int64_t)tok * cols, cols)
                                                                 + (job->bias ? job->bias[r + k] : 0);
                }
            }
            for (; r < r1; r++) {
                csk_dequantize_row(job->type, w + r * job->row_bytes, rows4, cols);
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

void csk_matmul(const csk_matmul_job *jobs, int njobs, float *scratch) {
    matmul_task t = { jobs, njobs, 0, scratch, 0, 0, { 0 } };
    int maxcols = 0;
    for (int j = 0; j < njobs; j++) {
        t.total_rows += jobs[j].rows;
        if (jobs[j].cols > maxcols) maxcols = jobs[j].cols;
    }
    t.scratch_stride = 4 * ((size_t)maxcols + 16);
    // Block sums of each single-token job's x, computed once here rather than in every chunk.
    float sums[CSK_SUM_JOBS][MAX_SUM_BLOCKS / 8];
    for (int j = 0; j < njobs && j < CSK_SUM_JOBS; j++) {
        t.sums[j] = NULL;
        if (jobs[j].ntok != 1 || jobs[j].cols % 32 != 0 || jobs[j].cols / 32 > MAX_SUM_BLOCKS / 8) continue;
        if (j > 0 && jobs[j].x == jobs[j - 1].x && jobs[j].cols == jobs[j - 1].cols && t.sums[j - 1]) {
            t.sums[j] = t.sums[j - 1];
            continue;
        }
        csk_block_sums32(jobs[j].x, jobs[j].cols, sums[j]);
        t.sums[j] = sums[j];
    }
    csk_pool_run(matmul_worker, &t);
}
