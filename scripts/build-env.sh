# Sourced by scripts/main.sh, scripts/smol.sh and scripts/test.sh: the one build configuration they share,
# so that running one after the other never rebuilds (release, because the local engine's Swift and C code
# is 10-100x slower unoptimised; `-enable-testing`, because the tests use `@testable import`).
SMOL_BUILD_FLAGS=(-c release -Xswiftc -enable-testing)
SMOL_BIN=.build/release

# smol_build LABEL [swift build arguments...]: builds quietly. The full output (dependency warnings
# included) goes to .build-logs/LABEL.log; on a failure its last lines are shown.
smol_build() {
    local label=$1
    shift
    mkdir -p .build-logs
    local log=".build-logs/$label.log"
    if [ ! -d "$SMOL_BIN" ]; then
        echo "building $label (release; the first build takes several minutes on 2 cores, log: $log)…" >&2
    fi
    if ! swift build "${SMOL_BUILD_FLAGS[@]}" "$@" >"$log" 2>&1; then
        grep -E "error:" "$log" | head -20 >&2 || true
        tail -30 "$log" >&2
        echo "build failed (full log: $log)" >&2
        return 1
    fi
}
