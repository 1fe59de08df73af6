#!/usr/bin/env bash
# The speed estimate of the NEON kernels against the x86 ones without an ARM machine
# (docs/decisions/027-arm64-kernels.md): each kernel's hot loop, compiled by clang as the package compiles
# it (-O2; loops not unrolled, so one iteration is one source iteration), through llvm-mca's scheduling
# models. Prints a Markdown table of cycles per row × 32 weights (steady state, 200 iterations).
# Needs clang with the aarch64 target and llvm-mca (16 or later: apt-get install llvm-16).
set -euo pipefail
cd "$(dirname "$0")/../.."
K=$PWD/Sources/CSmolKernels
CC=${CC:-$(command -v clang || echo /opt/swift/usr/bin/clang)}
MCA=${MCA:-$(command -v llvm-mca-16 || command -v llvm-mca)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The body of the loop in function mca_entry (label .. the backward branch to it): the kernel, inlined.
cat >"$TMP/loop.py" <<'EOF'
import re, sys
lines = open(sys.argv[1]).read().split('\n')
start = next(i for i, l in enumerate(lines) if l.startswith('mca_entry:'))
labels, body = {}, None
for i in range(start, len(lines)):
    if lines[i].startswith('.Lfunc_end'): break
    m = re.match(r'^(\.LBB\w+):', lines[i])
    if m: labels[m.group(1)] = i
    m = re.match(r'^\s+(b\.\w+|cbn?z|tbn?z|j\w+)\s+.*?(\.LBB\w+)\s*$', lines[i])
    if m and m.group(2) in labels and body is None: body = lines[labels[m.group(2)] + 1:i + 1]
print('\n'.join(l for l in body if l.strip() and not l.strip().startswith(('.', '//', '#'))))
EOF

# cycles ARCH FILE CALL ATTR MCPU: cycles per iteration of the loop that CALL (inlined) runs.
cycles() {
    local arch=$1 file=$2 call=$3 attr=$4 mcpu=$5 target=() mtriple=()
    printf '#include "%s/%s"\n%s float mca_entry(const uint8_t *p, const float *x, const float *xs, int64_t nb, size_t stride, float *out) {\n(void)p; (void)x; (void)xs; (void)nb; (void)stride; (void)out;\n%s\n}\n' \
        "$K" "$file" "$attr" "$call" >"$TMP/w.c"
    [ "$arch" = arm ] && { target=(--target=aarch64-linux-gnu); mtriple=(-mtriple=aarch64); }
    "$CC" "${target[@]}" -O2 -fno-unroll-loops -I"$K/include" -I"$K" -S "$TMP/w.c" -o "$TMP/w.s"
    python3 "$TMP/loop.py" "$TMP/w.s" | "$MCA" "${mtriple[@]}" -mcpu="$mcpu" -iterations=200 2>/dev/null | awk '/Total Cycles/ { print $3 / 200 }'
}

A2='__attribute__((target("avx2,fma,f16c")))'
A5='__attribute__((target("avx512f,avx2,fma,f16c")))'
# label | per-iteration divisor to one row × 32 weights | NEON call | AVX2 file, call | AVX-512 file, call
KERNELS=(
    "f32 dot|1|1|dot_neon.c|return csk_dot_f32_neon(x, xs, nb);|dot_avx2.c|return csk_dot_f32_avx2(x, xs, nb);|dot_avx512.c|return dot_f32(x, xs, nb);"
    "Q8_0 dot|1|1|dot_neon.c|return dot_q8_0(p, x, nb);|dot_avx2.c|return dot_q8_0(p, x, nb);|dot_avx512.c|return dot_q8_0(p, x, nb);"
    "Q4_0 dot|1|1|dot_neon.c|return dot_q4_0(p, x, xs, nb);|dot_avx2.c|return dot_q4_0(p, x, xs, nb);|dot_avx512.c|return dot_q4_0(p, x, xs, nb);"
    "Q4_0 four rows|4|4|dot4_neon.c|dot4_q(0, p, stride, x, xs, nb, out); return 0;|||dot_avx512.c|dot4_q4_0(p, stride, x, xs, nb, out); return 0;"
    "MLX 4-bit group|1|1|affine_neon.c|return vaddvq_f32(group4(p, x, (int)nb));|affine_avx2.c|return hsum256(group4(p, x, (int)nb));|affine_avx512.c|return _mm512_reduce_add_ps(group4(p, x, (int)nb));"
)
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
echo "| kernel | NEON apple-m1 | NEON neoverse-n2 | AVX2 znver3 | AVX2 icelake-server | AVX-512 icelake-server |"
echo "|---|---|---|---|---|---|"
for k in "${KERNELS[@]}"; do
    IFS='|' read -r label ndiv xdiv nfile ncall a2file a2call a5file a5call <<<"$k"
    row="| $label"
    for c in apple-m1 neoverse-n2; do row+=" | $(div "$(cycles arm "$nfile" "$ncall" "" "$c")" "$ndiv")"; done
    for c in znver3 icelake-server; do
        if [ -n "$a2file" ]; then row+=" | $(div "$(cycles x86 "$a2file" "$a2call" "$A2" "$c")" "$xdiv")"; else row+=" | -"; fi
    done
    row+=" | $(div "$(cycles x86 "$a5file" "$a5call" "$A5" icelake-server)" "$xdiv") |"
    echo "$row"
done
