#!/usr/bin/env bash
# The project's one test command (README and .ci/run both call it): every test, oracles included.
set -euo pipefail
cd "$(dirname "$0")/.."

# The JSON and regex tests compare against Python itself (the oracle); fail early and clearly without it.
if ! command -v python3 >/dev/null 2>&1; then
    echo "scripts/test.sh: python3 is required as the test oracle (apt-get install python3)" >&2
    exit 1
fi

swift build --build-tests
swift test --skip-build "$@"
