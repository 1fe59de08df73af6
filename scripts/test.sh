#!/usr/bin/env bash
# The project's one test command (README and .ci/run both call it): every test, oracles included.
# It installs the oracles (cached under ~/.cache/swift-smolagents: the first run builds llama.cpp
# from PyPI's source package, ~10-15 min; later runs take seconds), starts the real servers the
# end-to-end tests talk to, runs the whole Swift test suite, and stops the servers again.
set -euo pipefail
cd "$(dirname "$0")/.."

# The JSON and regex tests compare against Python itself (the oracle); fail early and clearly without it.
if ! command -v python3 >/dev/null 2>&1; then
    echo "scripts/test.sh: python3 is required as the test oracle (apt-get install python3)" >&2
    exit 1
fi
if ! command -v curl >/dev/null 2>&1; then
    echo "scripts/test.sh: curl is required to wait for the test servers (apt-get install curl)" >&2
    exit 1
fi

# One release build with testing enabled, the configuration scripts/main.sh uses too (scripts/build-env.sh):
# the local-engine tests run real models, and numeric code built without optimisation is 10-100x slower.
source scripts/build-env.sh
BUILD_FLAGS=("${SMOL_BUILD_FLAGS[@]}")

# Build while the oracles install: both are slow on a fresh machine.
bash scripts/oracles/setup.sh > .build-oracles.log 2>&1 &
setup_pid=$!
# The AArch64 kernels under qemu meanwhile (cross-compiled C only, ~30 s; docs/decisions/027-arm64-kernels.md).
bash scripts/test-arm64.sh > .build-arm64.log 2>&1 &
arm64_pid=$!
# The package's layering, read from its manifest (an app using only SmolRemote compiles no C kernels).
bash scripts/check-layers.sh
smol_build tests --build-tests
if ! wait "$setup_pid"; then
    cat .build-oracles.log >&2
    echo "scripts/test.sh: installing the test oracles failed (log above)" >&2
    exit 1
fi
cat .build-oracles.log >&2
if ! wait "$arm64_pid"; then
    cat .build-arm64.log >&2
    echo "scripts/test.sh: the AArch64 kernel checks failed (log above)" >&2
    exit 1
fi
sed -n '/^ARM64 kernel checks/,/^per-check/p' .build-arm64.log | sed '$d' >&2

trap 'bash scripts/oracles/servers.sh stop || true' EXIT
bash scripts/oracles/servers.sh start
if [ $# -gt 0 ]; then
    swift test --skip-build "${BUILD_FLAGS[@]}" "$@"
else
    # Three phases. Swift Testing runs synchronous tests on the cooperative pool, two threads here: the
    # CPU-bound ones (fuzzers, property runs, hostile templates and files, real models) can hold both for
    # seconds, and a test that measures time (stream deadlines, silence between bytes, cancellation,
    # router timeouts) then waits for tens of seconds and fails. So: everything else first, then the
    # timing suites on their own (AWSCredentialRefresh: instance metadata must give up within seconds), then the
    # fuzzers and parser property runs (and one llama.cpp gateway test).
    TIMING_SUITES='FaultInjection|TransportFault|StreamLimit|LiteLLMRouter|AWSCredentialRefresh'
    # The gateway test against the real llama.cpp server runs here too, away from the other suites that talk to
    # that server: llama-cpp-python answers one request at a time and has returned empty streams under their load.
    FUZZ_SUITES='FuzzTests|ParserPropertyTests|ServeGatewayLlamaCpp'
    swift test --skip-build "${BUILD_FLAGS[@]}" --skip "$TIMING_SUITES|$FUZZ_SUITES"
    swift test --skip-build "${BUILD_FLAGS[@]}" --filter "$TIMING_SUITES"
    swift test --skip-build "${BUILD_FLAGS[@]}" --filter "$FUZZ_SUITES"
fi

# The API documentation (DocC, every library target), warnings as errors: a broken symbol link fails here.
# Skipped when arguments narrow the test run (e.g. --filter), so a focused run stays quick.
if [ $# -eq 0 ]; then
    bash scripts/docs.sh
fi
