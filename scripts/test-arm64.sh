#!/usr/bin/env bash
# The AArch64 kernels, proven on this x86-64 machine (docs/decisions/027-arm64-kernels.md): cross-compiles
# Sources/CSmolKernels and Tests/ARM64Kernels/kernel_check.c statically for aarch64, once with GCC and once
# with clang (the compiler SwiftPM uses) when it is there, and runs the checks under qemu-aarch64 (user
# mode) on three CPU models:
#   cortex-a53   ARMv8.0-A: no FEAT_FP16, no DotProd (proves the NEON files use nothing beyond the base)
#   neoverse-n1  ARMv8.2-A + FP16 + DotProd (Graviton 2, Ampere Altra)
#   max          everything qemu emulates, I8MM included (Apple M2 and later, Graviton 3/4)
# Each run checks the CPU features the kernels detect against what the model has, and forces every kernel
# family the CPU runs in turn (csk_set_isa: scalar, then NEON), so each path runs on each model. The same
# program is built natively too (scalar, AVX2, AVX-512 as this CPU has them). Also checked: the kernel
# sources compile without warnings (-Wall -Wextra -Werror) for both targets, and the objects of the
# bit-exact dequantization hold no fused multiply-add.
# Usage: test-arm64.sh [--isa scalar|neon] (one family only).  Needs gcc-aarch64-linux-gnu and qemu-user
# (installed with apt-get when missing and possible). Prints a summary table; exits non-zero on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRA=("$@")

need_packages() {
    local missing=()
    command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing+=(gcc-aarch64-linux-gnu)
    command -v qemu-aarch64 >/dev/null 2>&1 || missing+=(qemu-user)
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
            echo "test-arm64: ${missing[*]} missing and not root (run: apt-get install -y ${missing[*]})" >&2
            exit 1
        fi
    fi
    echo "test-arm64: installing ${missing[*]}" >&2
    if ! { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"; } >/dev/null 2>&1; then
        echo "test-arm64: could not install ${missing[*]} with apt-get (install them by hand)" >&2
        exit 1
    fi
}
need_packages

OUT=.build-arm64
mkdir -p "$OUT"
SRC=(Sources/CSmolKernels/*.c)
INC=(-ISources/CSmolKernels/include -ISources/CSmolKernels)
CFLAGS=(-std=gnu11 -O2 -Wall -Wextra -Werror)
CLANG=""
for c in clang /opt/swift/usr/bin/clang; do command -v "$c" >/dev/null 2>&1 && { CLANG=$c; break; }; done

# build NAME COMPILER... : the kernels (warnings are errors) and the check program, statically linked.
build() {
    local name=$1; shift
    "$@" "${CFLAGS[@]}" -static "${INC[@]}" "${SRC[@]}" Tests/ARM64Kernels/kernel_check.c -o "$OUT/$name" -pthread -lm
}

status=0
summary=()
run() {  # run LABEL EXPECTED-FEATURES COMMAND...
    local label=$1 expect=$2; shift 2
    local log="$OUT/$label.log"
    if "$@" --expect-features "$expect" "${EXTRA[@]}" >"$log" 2>&1; then
        summary+=("$(printf '%-26s %-22s %5s checks  ok' "$label" "$(head -1 "$log" | sed 's/features: //; s/ (best.*//')" "$(grep -c ' ok$' "$log")")")
    else
        status=1
        summary+=("$(printf '%-26s FAILED (log: %s)' "$label" "$log")")
        grep -vE ' ok$' "$log" >&2 || true
    fi
}

build arm64-gcc aarch64-linux-gnu-gcc
compilers=(gcc)
if [ -n "$CLANG" ] && "$CLANG" --target=aarch64-linux-gnu -fuse-ld=lld -x c -c /dev/null -o /dev/null 2>/dev/null \
    && build arm64-clang "$CLANG" --target=aarch64-linux-gnu --sysroot=/usr/aarch64-linux-gnu --gcc-toolchain=/usr -fuse-ld=lld 2>"$OUT/clang-build.log"; then
    compilers+=(clang)
elif [ -n "$CLANG" ]; then
    echo "test-arm64: clang could not cross-link for aarch64 (see $OUT/clang-build.log); GCC build only" >&2
fi

# Bit-exact dequantization (equal to gguf-py's numpy) needs separate rounding of every product and sum.
for f in dequant dequant_k affine; do
    for cc in aarch64-linux-gnu-gcc ${CLANG:+"$CLANG --target=aarch64-linux-gnu"}; do
        $cc "${CFLAGS[@]}" "${INC[@]}" -c "Sources/CSmolKernels/$f.c" -o "$OUT/$f.o"
        if aarch64-linux-gnu-objdump -d "$OUT/$f.o" | grep -qE '\sf(n?madd|n?msub|mla|mls)\s'; then
            echo "test-arm64: $f.c compiled by ${cc%% *} contains fused multiply-adds (the dequantization is no longer bit-exact)" >&2
            status=1
        fi
    done
done

for cc in "${compilers[@]}"; do
    run "aarch64 $cc cortex-a53" neon qemu-aarch64 -cpu cortex-a53 "$OUT/arm64-$cc"
    run "aarch64 $cc neoverse-n1" neon,fp16,dotprod qemu-aarch64 -cpu neoverse-n1 "$OUT/arm64-$cc"
    run "aarch64 $cc max" neon,fp16,dotprod,i8mm qemu-aarch64 -cpu max "$OUT/arm64-$cc"
done

# Natively: the x86 families against the same reference (cheap, and keeps the two sets of kernels honest
# against each other's tolerances).
if [ "$(uname -m)" = x86_64 ] && command -v gcc >/dev/null 2>&1; then
    build x86_64-gcc gcc
    run "x86_64 gcc native" none "$OUT/x86_64-gcc"
    if [ -n "$CLANG" ]; then
        build x86_64-clang "$CLANG"
        run "x86_64 clang native" none "$OUT/x86_64-clang"
    fi
fi

echo "ARM64 kernel checks (each run: every kernel family of the CPU against the scalar reference):"
printf '  %s\n' "${summary[@]}"
echo "per-check table of the last AArch64 run ($OUT/aarch64 ${compilers[-1]} max.log):"
sed -n '2,$p' "$OUT/aarch64 ${compilers[-1]} max.log" | grep -E '^  (family|neon)' || true
exit $status
