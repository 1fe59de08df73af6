#!/usr/bin/env bash
# Builds llama.cpp's own command-line tools for THIS CPU, as the speed anchor at its best (spec
# local-inference.md §9): llama-bench, llama-completion (the classic one-shot CLI; measures load → first token),
# llama-server and llama-quantize, from the vendored llama.cpp of the llama-cpp-python==0.3.36 sdist.
#
#   scripts/oracles/llama-cpp-native.sh        → prints the bin directory (the only line on stdout)
#
# ISA: AVX-512 when /proc/cpuinfo lists avx512f (VBMI / VNNI / BF16 only when listed too), never AMX, no
# -march=native (GGML_NATIVE=OFF), AVX/AVX2/FMA/F16C/BMI2 always on. Without avx512f it builds the AVX2 flavour
# and says so. Output: ~/.cache/swift-smolagents/llama-cpp-<isa>/build/bin, static binaries, with a stamp file
# holding the configuration, so a rerun with the same configuration returns at once. cmake and ninja come from
# PyPI in ~/.cache/swift-smolagents/venv-cmake. The build takes ~10-15 min on 2 cores; progress goes to stderr
# and to <out>/build.log.
set -euo pipefail
CACHE="${SMOL_CACHE:-$HOME/.cache/swift-smolagents}"
VERSION=0.3.36
SDIST="$CACHE/llama-cpp-python-$VERSION"
TARGETS=(llama-bench llama-completion llama-server llama-quantize)
log() { echo "llama-cpp-native: $*" >&2; }

flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
has() { [[ "$flags" == *" $1 "* ]]; }
ARGS=(-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
      -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF)
if has avx512f; then
    ISA=avx512
    ARGS+=(-DGGML_AVX512=ON)
    has avx512vbmi && ARGS+=(-DGGML_AVX512_VBMI=ON) || ARGS+=(-DGGML_AVX512_VBMI=OFF)
    has avx512_vnni && ARGS+=(-DGGML_AVX512_VNNI=ON) || ARGS+=(-DGGML_AVX512_VNNI=OFF)
    has avx512_bf16 && ARGS+=(-DGGML_AVX512_BF16=ON) || ARGS+=(-DGGML_AVX512_BF16=OFF)
else
    ISA=avx2
    ARGS+=(-DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF)
    log "this CPU lists no avx512f: building the AVX2 flavour (a handicapped anchor on an AVX-512 machine)"
fi
ARGS+=(-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF
       -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON
       -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF)

OUT="$CACHE/llama-cpp-$ISA"
BIN="$OUT/build/bin"
STAMP="$OUT/.stamp"
SPEC="llama-cpp-python==$VERSION ${ARGS[*]} targets=${TARGETS[*]}"
all_built() { for t in "${TARGETS[@]}"; do [ -x "$BIN/$t" ] || return 1; done; }
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SPEC" ] && all_built; then
    echo "$BIN"; exit 0
fi
log "building for $ISA: ${ARGS[*]}"

# The sources: an extracted sdist, else `pip download` it. `--no-binary llama-cpp-python`, not `:all:`, which
# would also compile its build dependencies (cmake) from source.
if [ ! -f "$SDIST/vendor/llama.cpp/CMakeLists.txt" ]; then
    tmp="$(mktemp -d)"
    log "downloading the llama-cpp-python==$VERSION sdist"
    python3 -m pip download -q --no-deps --no-binary llama-cpp-python "llama-cpp-python==$VERSION" -d "$tmp" >&2
    mkdir -p "$CACHE"
    tar -xzf "$tmp"/llama_cpp_python-$VERSION.tar.gz -C "$tmp"
    rm -rf "$SDIST"; mv "$tmp/llama_cpp_python-$VERSION" "$SDIST"; rm -rf "$tmp"
fi

# cmake + ninja from PyPI.
VENV="$CACHE/venv-cmake"
if [ ! -x "$VENV/bin/cmake" ] || [ ! -x "$VENV/bin/ninja" ]; then
    log "installing cmake and ninja into $VENV"
    rm -rf "$VENV"; python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip >&2
    "$VENV/bin/python" -m pip install -q cmake ninja >&2
fi
export PATH="$VENV/bin:$PATH"

mkdir -p "$OUT"
rm -f "$STAMP"
start=$SECONDS
{
    cmake -S "$SDIST/vendor/llama.cpp" -B "$OUT/build" -G Ninja "${ARGS[@]}"
    cmake --build "$OUT/build" --target "${TARGETS[@]}" -j "$(nproc)"
} > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log" >&2; log "build failed (log: $OUT/build.log)"; exit 1; }
all_built || { log "build finished but a target is missing in $BIN"; exit 1; }
echo "$SPEC" > "$STAMP"
log "built in $((SECONDS - start)) s into $BIN"
echo "$BIN"
