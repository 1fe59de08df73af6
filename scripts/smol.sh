#!/usr/bin/env bash
# Builds the `smol` command-line tool (release) if needed and runs it with the given arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product smol >&2
exec .build/release/smol "$@"
