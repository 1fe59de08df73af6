#!/usr/bin/env bash
# Encode throughput of the Swift tokenizer next to Hugging Face tokenizers, on the same ~1 MB text, in one run.
# Usage: scripts/bench/run_tokenizer_bench.sh [PACKAGE_DIR] [PYTHON]
#   PACKAGE_DIR: a package with the SmolLocalTests target (default: the repository root)
#   PYTHON: a Python with tokenizers 0.23.3 and gguf (default: ~/.cache/swift-smolagents/venv-tok/bin/python)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PACKAGE="${1:-$ROOT}"
PYTHON="${2:-$HOME/.cache/swift-smolagents/venv-tok/bin/python}"
OUT="${SMOL_TOKENIZER_BENCH:-/tmp/smol-tokenizer-bench}"
cd "$PACKAGE"
swift build -c release --build-tests --scratch-path .build-release -Xswiftc -enable-testing >/dev/null
for round in 1 2; do
  echo "round $round"
  "$PYTHON" "$ROOT/scripts/bench/tokenizer_bench.py" "$OUT"
  SMOL_TOKENIZER_BENCH="$OUT" swift test -c release --skip-build --scratch-path .build-release \
    -Xswiftc -enable-testing --filter TokenizerBenchmark 2>&1 | grep -E '^swift |✘'
done
