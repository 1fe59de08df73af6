#!/usr/bin/env bash
# Builds the `smol` command-line tool (release) if needed and runs it with the given arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/build-env.sh
smol_build smol --product smol
exec "$SMOL_BIN/smol" "$@"
