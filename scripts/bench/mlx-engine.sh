#!/usr/bin/env bash
# MLX 4-bit decode (and prefill) tokens/s against the same model as Q4_0 / Q4_1 GGUF, in this engine and in
# llama.cpp, and mlx-lm itself on the MLX checkpoint (mlx CPU backend): one table, all from this run.
# Same protocol everywhere: 32-token pseudo-random prompt, 128 greedy tokens with EOS masked, best of RUNS
# after a warm-up, THREADS threads.
#
#   scripts/bench/mlx-engine.sh [THREADS]
#
# Needs `bash scripts/oracles/setup.sh model llama mlx` (the Q4_1 GGUF, venv-llama, venv-mlx and the MLX
# 4-bit SmolLM2). The Q4_0 GGUF is made once from the Q4_1 one with llama.cpp's own quantizer
# (llama_model_quantize, requantizing through f32) into ~/.cache/swift-smolagents/bench/.
# The machine is shared: run it when idle and compare numbers from the same invocation only.
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE="${SMOL_CACHE:-$HOME/.cache/swift-smolagents}"
MODELS="${SMOL_TEST_MODELS_DIR:-$CACHE/models}"
THREADS="${1:-2}"
RUNS="${RUNS:-3}"
Q41="$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
MLX="$MODELS/SmolLM2-135M-Instruct-MLX-4bit"
Q40="$CACHE/bench/SmolLM2-135M-Instruct.Q4_0.gguf"
LLAMA_PY="$CACHE/venv-llama/bin/python"
MLX_PY="$CACHE/venv-mlx/bin/python"
for f in "$Q41" "$MLX/config.json" "$LLAMA_PY" "$MLX_PY"; do
    [ -e "$f" ] || { echo "missing $f: run bash scripts/oracles/setup.sh model llama mlx" >&2; exit 1; }
done
if [ ! -s "$Q40" ]; then
    mkdir -p "$(dirname "$Q40")"
    "$LLAMA_PY" - "$Q41" "$Q40.part" <<'PY'
import ctypes, sys, llama_cpp
params = llama_cpp.llama_model_quantize_default_params()
params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0
params.allow_requantize = True
rc = llama_cpp.llama_model_quantize(sys.argv[1].encode(), sys.argv[2].encode(), ctypes.byref(params))
sys.exit(rc)
PY
    mv "$Q40.part" "$Q40"
fi

# The test command's build flags, so that the benchmark reuses its build (the hot loops are C either way).
BUILD_FLAGS=(-c release -Xswiftc -enable-testing)
swift build "${BUILD_FLAGS[@]}" --product smol-local-bench >&2
BIN="$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)/smol-local-bench"

declare -A PREFILL DECODE
run() {  # name command...
    local name=$1; shift
    local out line
    out=$("$@" 2>/dev/null) || true
    echo "$name: $out" >&2
    line=$(grep '^RESULT' <<<"$out" || true)
    PREFILL[$name]=$(sed -n 's/.*prefill_tok_s=\([0-9.]*\).*/\1/p' <<<"$line")
    DECODE[$name]=$(sed -n 's/.*decode_tok_s=\([0-9.]*\).*/\1/p' <<<"$line")
}
run "SmolLocal MLX 4-bit g64 (bf16 scales)" "$BIN" "$MLX" 32 128 "$RUNS" "$THREADS"
run "SmolLocal GGUF Q4_0" "$BIN" "$Q40" 32 128 "$RUNS" "$THREADS"
run "SmolLocal GGUF Q4_1" "$BIN" "$Q41" 32 128 "$RUNS" "$THREADS"
run "llama.cpp GGUF Q4_0" "$LLAMA_PY" scripts/bench/llama_cpp_bench.py "$Q40" "$THREADS" "$RUNS"
run "llama.cpp GGUF Q4_1" "$LLAMA_PY" scripts/bench/llama_cpp_bench.py "$Q41" "$THREADS" "$RUNS"
# mlx's CPU backend is slow on this model (seconds per token in bf16): one run of 16 tokens each.
run "mlx-lm MLX 4-bit, bf16 (mlx CPU)*" "$MLX_PY" scripts/bench/mlx_lm_bench.py "$MLX" 1 16 native
run "mlx-lm MLX 4-bit, f32 (mlx CPU)*" "$MLX_PY" scripts/bench/mlx_lm_bench.py "$MLX" 1 16 float32

printf '\nSmolLM2-135M-Instruct, %s threads, 32-token prompt, 128 new tokens, best of %s\n' "$THREADS" "$RUNS"
printf '| %-38s | %14s | %13s |\n' "engine / weights" "prefill tok/s" "decode tok/s"
printf '|%s|%s|%s|\n' "----------------------------------------" "----------------" "---------------"
for name in "SmolLocal MLX 4-bit g64 (bf16 scales)" "SmolLocal GGUF Q4_0" "SmolLocal GGUF Q4_1" \
            "llama.cpp GGUF Q4_0" "llama.cpp GGUF Q4_1" "mlx-lm MLX 4-bit, bf16 (mlx CPU)*" "mlx-lm MLX 4-bit, f32 (mlx CPU)*"; do
    printf '| %-38s | %14s | %13s |\n' "$name" "${PREFILL[$name]:-n/a}" "${DECODE[$name]:-n/a}"
done
echo "* mlx-lm: one run, 16 new tokens (mlx 0.32.4 CPU backend, its own thread count)."
