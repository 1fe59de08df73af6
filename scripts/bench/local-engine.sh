#!/usr/bin/env bash
# Decode and prefill tokens/s of SmolLocal's engine against llama.cpp (llama-cpp-python) on the same GGUF:
# 32-token prompt, 128 new tokens (EOS masked), best of 3 after a warm-up, 2 threads. Release build.
#
#   scripts/bench/local-engine.sh [MODEL.gguf] [THREADS]
#
# Needs the executable target `smol-local-bench` (Sources/smol-local-bench) and the venv
# ~/.cache/swift-smolagents/venv-llama (llama-cpp-python). The machine is shared: run it when idle and
# compare numbers from the same invocation only.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/build-env.sh
MODELS="${SMOL_TEST_MODELS_DIR:-$HOME/.cache/swift-smolagents/models}"
MODEL="${1:-$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf}"
THREADS="${2:-2}"
RUNS="${RUNS:-3}"
PY="${LLAMA_VENV:-$HOME/.cache/swift-smolagents/venv-llama}/bin/python"
SCRATCH_ARGS=()
[ -n "${SCRATCH:-}" ] && SCRATCH_ARGS=(--scratch-path "$SCRATCH")
[ -f "$MODEL" ] || { echo "missing model $MODEL" >&2; exit 1; }

swift build "${SMOL_BUILD_FLAGS[@]}" "${SCRATCH_ARGS[@]}" --product smol-local-bench >&2
BIN="$(swift build "${SMOL_BUILD_FLAGS[@]}" "${SCRATCH_ARGS[@]}" --show-bin-path)/smol-local-bench"

ours=$("$BIN" "$MODEL" 32 128 "$RUNS" "$THREADS" | tee /dev/stderr | grep '^RESULT')
theirs=$("$PY" scripts/bench/llama_cpp_bench.py "$MODEL" "$THREADS" "$RUNS" 2>/dev/null | tee /dev/stderr | grep '^RESULT')

field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"$1"; }
printf '\n%-24s %8s %16s %16s\n' "engine ($(basename "$MODEL"))" threads "prefill tok/s" "decode tok/s"
printf '%-24s %8s %16s %16s\n' "SmolLocal" "$THREADS" "$(field "$ours" prefill_tok_s)" "$(field "$ours" decode_tok_s)"
printf '%-24s %8s %16s %16s\n' "llama.cpp (0.3.36)" "$THREADS" "$(field "$theirs" prefill_tok_s)" "$(field "$theirs" decode_tok_s)"
