#ifndef CSMOL_KERNELS_H
#define CSMOL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// CPU features the kernels dispatch on (bit set).
enum {
    CSK_CPU_AVX2 = 1 << 0,
    CSK_CPU_FMA = 1 << 1,
    CSK_CPU_F16C = 1 << 2,
    CSK_CPU_AVX512F = 1 << 3,
    CSK_CPU_AVX512BF16 = 1 << 4,
    /// AArch64: Advanced SIMD (every AArch64 CPU the kernels run on has it).
    CSK_CPU_NEON = 1 << 8,
    /// AArch64: half-precision arithmetic, scalar and vector (FEAT_FP16; ARMv8.2-A).
    CSK_CPU_FP16 = 1 << 9,
    /// AArch64: SDOT/UDOT (FEAT_DotProd).
    CSK_CPU_DOTPROD = 1 << 10,
    /// AArch64: SMMLA/UMMLA/USDOT (FEAT_I8MM).
    CSK_CPU_I8MM = 1 << 11,
};

/// The CPUs in the calling thread's affinity mask (Linux), or -1 where there is none to read.
int csk_affinity_cpu_count(void);

/// The features of the running CPU, as a bit set of CSK_CPU_* values.
uint32_t csk_cpu_features(void);

/// Weight encodings, numbered as ggml_type (so GGUF type ids map directly).
enum {
    CSK_F32 = 0,
    CSK_F16 = 1,
    CSK_Q4_0 = 2,
    CSK_Q4_1 = 3,
    CSK_Q5_0 = 6,
    CSK_Q5_1 = 7,
    CSK_Q8_0 = 8,
    CSK_Q2_K = 10,
    CSK_Q3_K = 11,
    CSK_Q4_K = 12,
    CSK_Q5_K = 13,
    CSK_Q6_K = 14,
    CSK_IQ4_NL = 20,
    CSK_IQ4_XS = 23,
    CSK_BF16 = 30,
    /// MLX affine quantization (not a ggml type): codes, scales and biases described by csk_affine.
    CSK_AFFINE = 1001,
};

/// An MLX affine-quantized matrix (mlx `quantize(..., mode="affine")`): row r holds cols * bits / 8 bytes
/// of codes, an LSB-first bit stream (element i in bits [i*bits, (i+1)*bits)); scales and biases are
/// `rows × cols / group_size` matrices of `scale_type` (CSK_F32, CSK_F16 or CSK_BF16), and
/// w[r, i] = scales[r, i / group_size] * code[r, i] + biases[r, i / group_size].
typedef struct {
    const void *scales;
    const void *biases;
    int scale_type;
    int bits;
    int group_size;
} csk_affine;

/// Whether the kernels support this combination (bits 2, 3, 4, 5, 6 or 8; group size a multiple of 32
/// up to 1024; scales F32/F16/BF16).
int csk_affine_supported(int bits, int group_size, int scale_type);

/// Dequantizes row `row` (n elements) of the affine matrix whose codes start at `w`.
/// With `mlx_rounding` the arithmetic is done in the scale type, rounding after the product and after the
/// sum, as `mx.dequantize` does (bit-identical to it); without it, in f32 (what the dot kernels compute).
void csk_affine_dequantize_row(const csk_affine *a, const void *w, int64_t row, float *dst, int64_t n, int mlx_rounding);

/// dot(dequantize(row `row`), x) over n elements with a given kernel family (CSK_ISA_*; an unsupported one
/// becomes the best supported); for tests.
float csk_affine_dot_row_isa(int isa, const csk_affine *a, const void *w, int64_t row, const float *x, int64_t n);

/// Kernel families selectable for tests and benchmarks.
enum {
    CSK_ISA_AUTO = 0,
    CSK_ISA_SCALAR = 1,
    CSK_ISA_AVX2 = 2,
    CSK_ISA_AVX512 = 3,
    CSK_ISA_NEON = 4,
};

/// Whether this CPU runs kernel family `isa` (CSK_ISA_*; AUTO and SCALAR always). Families of another
/// architecture are unsupported, whatever their number.
int csk_isa_supported(int isa);

/// Forces a kernel family (CSK_ISA_*; AUTO or an unsupported one picks the best the CPU supports).
/// Returns the family in use.
int csk_set_isa(int isa);

/// The best kernel family this CPU supports (CSK_ISA_*), whatever csk_set_isa forced.
int csk_best_isa(void);

/// Whether `type` has dequantization and dot kernels.
int csk_type_supported(int type);

/// Elements per block of `type` (1 for plain types), 0 when unsupported.
int csk_block_size(int type);

/// Bytes per block of `type`, 0 when unsupported.
int csk_block_bytes(int type);

/// Dequantizes `n` elements (a multiple of the block size) from `src` to f32, with the exact operation
/// order of gguf-py's numpy reference, so results are bit-identical.
void csk_dequantize_row(int type, const void *src, float *dst, int64_t n);

/// Returns dot(dequantize(row), x) over `n` elements (a multiple of the block size).
float csk_dot_row(int type, const void *row, const float *x, int64_t n);

/// csk_dot_row with a given kernel family (CSK_ISA_*; an unsupported one becomes the best supported); for tests.
float csk_dot_row_isa(int isa, int type, const void *row, const float *x, int64_t n);

/// One matrix-vector (or matrix-matrix) product: y[t, r] = dot(W[r, :], x[t, :]) (+ bias[r]),
/// for r in 0..<rows and t in 0..<ntok. W rows are `row_bytes` apart; x rows are `cols` floats apart;
/// y rows are `y_stride` floats apart.
typedef struct {
    int type;
    int rows;
    int cols;
    int ntok;
    const void *w;
    size_t row_bytes;
    const float *x;
    float *y;
    int64_t y_stride;
    const float *bias;
    /// Used when type == CSK_AFFINE (then `w` holds the codes and row_bytes = cols * bits / 8).
    csk_affine affine;
} csk_matmul_job;

/// Runs the jobs together, rows split over the thread pool. `scratch` must hold
/// `csk_matmul_scratch_floats(max cols)` floats (used only when a job has ntok > 1).
void csk_matmul(const csk_matmul_job *jobs, int njobs, float *scratch);

/// csk_matmul computing every token row with the single-token (fused dequantize-dot) kernels, rows outer
/// and tokens inner so each weight chunk is read from memory once for all tokens: a row's result is what
/// a one-token csk_matmul gives, whatever the other rows of the call. For batched decoding, where the rows
/// belong to different sequences.
void csk_matmul_rowwise(const csk_matmul_job *jobs, int njobs, float *scratch);

/// Floats of scratch that csk_matmul needs for rows of `cols` elements.
size_t csk_matmul_scratch_floats(int cols);

/// Sets the number of threads used by csk_matmul and csk_attention (1...16). Returns the count in use.
int csk_set_threads(int n);

/// Caps the threads the calling thread's csk_matmul / csk_attention calls use at `n` (0 or less: no cap
/// below the pool's count). Per thread, so one model's generation threads can use fewer than the pool.
void csk_set_caller_threads(int n);

/// The number of threads used by csk_matmul and csk_attention.
int csk_thread_count(void);

/// y = x / sqrt(mean(x^2) + eps) * w, over n elements (x and y may alias).
void csk_rmsnorm(float *y, const float *x, const float *w, int n, float eps);

/// Rotates the first `rot_dim` values of each of `nheads` heads of `head_dim` values at `position` in place
/// (the rest stay as they are: partial rotary). `inv_freq` holds rot_dim/2 inverse frequencies.
/// `interleaved` pairs (2i, 2i+1) (ggml NORMAL); otherwise (i, i + rot_dim/2).
void csk_rope(float *x, int nheads, int head_dim, int rot_dim, int position, const float *inv_freq, int interleaved);

/// x = softmax(x) over n elements.
void csk_softmax(float *x, int n);

/// gate[i] = silu(gate[i]) * up[i].
void csk_silu_mul(float *gate, const float *up, int n);

/// gate[i] = gelu_tanh(gate[i]) * up[i] (GeGLU with PyTorch's tanh-approximated GELU).
void csk_gelu_tanh_mul(float *gate, const float *up, int n);

/// x[i] = tanh(x[i] / cap) * cap (soft-capping).
void csk_softcap(float *x, int n, float cap);

/// y[i] += x[i].
void csk_add(float *y, const float *x, int n);

/// y[i] += a * x[i].
void csk_axpy(float *y, float a, const float *x, int n);

/// Causal attention for one query position. q: [nheads * head_dim]. The caches hold rows of
/// nkv * head_dim floats per position; positions first...position are read (first > 0 for a sliding
/// window). Scores are multiplied by `scale`, then soft-capped by `softcap` when it is positive.
/// out: [nheads * head_dim]. scratch: csk_attention_scratch_floats(ctx, nheads / nkv) floats, ctx > position.
void csk_attention(const float *q, const float *k_cache, const float *v_cache, float *out,
                   int nheads, int nkv, int head_dim, int first, int position, float scale, float softcap, float *scratch);

/// csk_attention over a cache of IEEE half rows.
void csk_attention_f16(const float *q, const uint16_t *k_cache, const uint16_t *v_cache, float *out,
                       int nheads, int nkv, int head_dim, int first, int position, float scale, float softcap, float *scratch);

/// One query row of csk_attention_rows: its heads, its layer's caches (f32 or f16 as the call says), the
/// positions first...position it reads, and where its heads' outputs go.
typedef struct {
    const float *q;
    const void *k_cache;
    const void *v_cache;
    float *out;
    int first;
    int position;
} csk_attention_row;

/// csk_attention for several rows (batched decoding: one row per sequence, each with its own cache), in one
/// parallel region over (row, kv head) pairs. A row's output is bit-identical to a one-row call's.
/// scratch: csk_attention_scratch_floats(ctx, nheads / nkv) floats, ctx above every row's position.
void csk_attention_rows(const csk_attention_row *rows, int nrows, int f16, int nheads, int nkv, int head_dim, float scale,
                        float softcap, float *scratch);

/// dst[i] = src[i] rounded to the nearest IEEE half (ties to even; overflow to infinity).
void csk_store_f16(uint16_t *dst, const float *src, int n);

/// One float rounded to the nearest IEEE half (ties to even).
uint16_t csk_f32_to_f16(float f);

/// Floats of scratch csk_attention needs for a context of `ctx` positions and `group` query heads per kv head.
size_t csk_attention_scratch_floats(int ctx, int group);

/// Converts one IEEE half (bits) to float exactly.
float csk_f16_to_f32(uint16_t h);

#ifdef __cplusplus
}
#endif

#endif
