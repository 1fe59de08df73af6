#!/usr/bin/env bash
# SmolLocal's engine against llama.cpp at its best (its own tools, built for this CPU by
# scripts/oracles/llama-cpp-native.sh: AVX-512 where the CPU has it), measured in the same run, same GGUF file,
# same thread count. One table: model, threads, prefill / decode tok/s (ours, llama.cpp, ratio ours/theirs),
# load time (process start to first token, ms).
#
#   scripts/bench/local-engine.sh [--docs] [MODEL.gguf...]
#
# Without models: the default rows, made on first use and cached under ~/.cache/swift-smolagents/models/bench
# (a sub-folder, so the model locator's `SmolLM2-135M-Instruct` prefix match still finds exactly one file):
#   SmolLM2-135M-Instruct Q4_1 (scripts/fetch-model.sh), the same file requantized by llama-quantize
#   --allow-requantize to Q4_K_M and to Q8_0, and a random-weight Qwen3-MoE (~0.95 B parameters, 32 experts,
#   top-4; scripts/bench/make_moe_bench_model.py, venv ~/.cache/swift-smolagents/venv-torch) as Q4_K_M.
# --docs replaces the section "Local engine vs llama.cpp at its best" of docs/benchmarks.md with this run's table.
#
# Protocol, per model × threads (1 and `nproc`; THREADS="1 2" overrides), best of RUNS (default 3) within a
# pass, and the whole table is measured PASSES times (default 2; ours and llama.cpp interleaved), each cell
# keeping its best, so that a burst of load from other jobs on the shared machine hits one pass, not the table:
#   prefill  ours: smol-local-bench MODEL 512 0 (512-token pseudo-random prompt, after a warm-up run);
#            llama.cpp: llama-bench -p 512 (pp512; max over its -r RUNS samples)
#   decode   ours: smol-local-bench MODEL 16 128 (128 greedy tokens, EOS masked, after a 16-token prompt);
#            llama.cpp: llama-bench -n 128 (tg128, empty context; max over its samples)
#   load     wall time of a fresh process that maps the file, prefills a short prompt (16 tokens) and picks one
#            token, then exits: `smol-local-bench load MODEL 16 T` against
#            `llama-completion -m MODEL -t T -c 64 -n 1 --no-warmup -no-cnv -p <16-token text>`; the file is in
#            the page cache (a warm-up run first), best of RUNS.
# A row that fails (e.g. a quant type this engine does not support yet) is reported and the others go on.
# Other environment: NO_BUILD=1 (use the existing .build/release/smol-local-bench), SMOL_BENCH_BIN (that binary).
# The machine is shared: run it when idle; only ratios from the same invocation mean much.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
CACHE="${SMOL_CACHE:-$HOME/.cache/swift-smolagents}"
MODELS="${SMOL_TEST_MODELS_DIR:-$CACHE/models}"
BENCH_MODELS="$MODELS/bench"
RUNS="${RUNS:-3}"
PASSES="${PASSES:-2}"
THREADS="${THREADS:-1 $(nproc)}"
WRITE_DOCS=0
if [ "${1:-}" = "--docs" ]; then WRITE_DOCS=1; shift; fi
log() { echo "local-engine: $*" >&2; }
die() { log "$*"; exit 1; }

LLAMA_BIN="$(bash scripts/oracles/llama-cpp-native.sh)" || die "could not build llama.cpp"
LLAMA_DIR="$CACHE/llama-cpp-python-0.3.36/vendor/llama.cpp"

# ---------------------------------------------------------------- models
declare -a ROWS NOTES
if [ $# -gt 0 ]; then
    for m in "$@"; do ROWS+=("$m"); NOTES+=(""); done
else
    mkdir -p "$BENCH_MODELS"
    Q41="$(bash scripts/fetch-model.sh | tail -1)" || die "scripts/fetch-model.sh failed"
    quantize() {  # quantize IN OUT TYPE
        [ -s "$2" ] && return 0
        log "llama-quantize $(basename "$1") → $3"
        "$LLAMA_BIN/llama-quantize" --allow-requantize "$1" "$2.part" "$3" > "$2.log" 2>&1 \
            && mv "$2.part" "$2" || { tail -5 "$2.log" >&2; rm -f "$2.part"; return 1; }
    }
    ROWS+=("$Q41"); NOTES+=("")
    for t in Q4_K_M Q8_0; do
        out="$BENCH_MODELS/SmolLM2-135M-Instruct.requant-$t.gguf"
        quantize "$Q41" "$out" "$t" && { ROWS+=("$out"); NOTES+=("requantized from Q4_1"); }
    done
    MOE_F16="$BENCH_MODELS/qwen3moe-bench-1B.f16.gguf"
    MOE="$BENCH_MODELS/qwen3moe-bench-1B.Q4_K_M.gguf"
    if [ ! -s "$MOE" ]; then
        if [ ! -s "$MOE_F16" ]; then
            log "making the random Qwen3-MoE bench model (a few minutes)"
            "$CACHE/venv-torch/bin/python" scripts/bench/make_moe_bench_model.py "$LLAMA_DIR" \
                "$MODELS/SmolLM2-135M-Instruct-MLX-4bit" "$MOE_F16" > /dev/null || log "MoE model generation failed"
        fi
        [ -s "$MOE_F16" ] && quantize "$MOE_F16" "$MOE" Q4_K_M
    fi
    [ -s "$MOE" ] && { ROWS+=("$MOE"); NOTES+=("random weights, 32 experts top-4"); }
fi

# ---------------------------------------------------------------- our binary
if [ -n "${SMOL_BENCH_BIN:-}" ]; then
    BIN="$SMOL_BENCH_BIN"
else
    source scripts/build-env.sh
    if [ "${NO_BUILD:-0}" != 1 ]; then
        swift build "${SMOL_BUILD_FLAGS[@]}" --product smol-local-bench >&2 || die "swift build failed"
    fi
    BIN="$ROOT/$SMOL_BIN/smol-local-bench"
fi
[ -x "$BIN" ] || die "missing $BIN"

# ---------------------------------------------------------------- measuring
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
now_ns() { date +%s%N; }
field() { sed -n "s/.*[ ^]$1=\([0-9.]*\).*/\1/p" <<<"$2" | head -1; }
# why FILE: a short reason for a failed run, from its stderr.
why() {
    if grep -qiE "not supported|unsupported" "$1"; then echo "type not yet supported"
    else echo "failed: $(grep -iE 'error' "$1" | head -1 | cut -c1-80)"; fi
}
# best_wall_ms CMD...: the fastest of RUNS wall times (ms) after a warm-up; empty when the command fails.
best_wall_ms() {
    local best="" t0 t1 ms
    "$@" > "$TMP/wall.out" 2> "$TMP/wall.err" || return 1
    for _ in $(seq "$RUNS"); do
        t0=$(now_ns); "$@" > /dev/null 2>&1 || return 1; t1=$(now_ns)
        ms=$(( (t1 - t0) / 1000000 ))
        if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
    done
    echo "$best"
}
ratio() { python3 -c "import sys; a,b=sys.argv[1:]; print(f'{float(a)/float(b):.2f}×' if a and b and float(b) > 0 else '—')" "$1" "$2" 2>/dev/null || echo "—"; }
# A prompt of roughly 16 tokens for llama-completion (ours uses 16 pseudo-random ids).
TEXT_PROMPT="The quick brown fox jumps over the lazy dog while the sun sets behind the old mill"
SYSTEM_INFO=""

TABLE="$TMP/table.md"
{
    echo "| model | threads | prefill ours | prefill llama.cpp | ratio | decode ours | decode llama.cpp | ratio | load ours (ms) | load llama.cpp (ms) |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
} > "$TABLE"

declare -A BEST FAIL
# keep KEY VALUE max|min: the best value of a cell over the passes.
keep() {
    [ -n "$2" ] || return 0
    local old="${BEST[$1]:-}"
    if [ -z "$old" ] || awk -v a="$2" -v b="$old" -v m="$3" 'BEGIN { exit !((m == "max") ? a + 0 > b + 0 : a + 0 < b + 0) }'; then
        BEST[$1]="$2"
    fi
}
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
for pass in $(seq "$PASSES"); do
for i in "${!ROWS[@]}"; do
    model="${ROWS[$i]}"
    [ -f "$model" ] || { log "missing $model"; continue; }
    for t in $THREADS; do
        log "pass $pass: $(basename "$model"), $t thread(s)"
        k="$i/$t"
        p_ours="" d_ours="" l_ours="" p_them="" d_them="" l_them=""
        # ours
        if [ -z "${FAIL[$k]:-}" ]; then
            if out=$("$BIN" "$model" 512 0 "$RUNS" "$t" 2> "$TMP/ours.err"); then
                p_ours=$(field prefill_tok_s "$(grep '^RESULT' <<<"$out")")
                out=$("$BIN" "$model" 16 128 "$RUNS" "$t" 2> "$TMP/ours.err") \
                    && d_ours=$(field decode_tok_s "$(grep '^RESULT' <<<"$out")")
                l_ours=$(best_wall_ms "$BIN" load "$model" 16 "$t") || l_ours=""
            else
                FAIL[$k]="$(why "$TMP/ours.err")"
                log "ours: $(tail -1 "$TMP/ours.err")"
            fi
        fi
        # llama.cpp
        if "$LLAMA_BIN/llama-bench" -m "$model" -t "$t" -p 512 -n 128 -r "$RUNS" -o json \
                > "$TMP/bench.json" 2> "$TMP/bench.err"; then
            read -r p_them d_them < <(python3 - "$TMP/bench.json" <<'PY'
import json, sys
best = {}
for r in json.load(open(sys.argv[1])):
    key = "p" if r["n_gen"] == 0 else "d"
    best[key] = max(r["samples_ts"])
print(f'{best.get("p", 0):.1f} {best.get("d", 0):.1f}')
PY
            )
        else
            log "llama-bench: $(tail -2 "$TMP/bench.err")"
        fi
        l_them=$(best_wall_ms "$LLAMA_BIN/llama-completion" -m "$model" -t "$t" -c 64 -n 1 --no-warmup -no-cnv \
            --temp 0 -p "$TEXT_PROMPT" < /dev/null) || l_them=""
        if [ -z "$SYSTEM_INFO" ]; then
            SYSTEM_INFO="$(grep -m1 'system_info' "$TMP/wall.err" | sed 's/^.*system_info/system_info/; s/ *| *$//')"
        fi
        log "  ours prefill ${p_ours:-—} decode ${d_ours:-—} load ${l_ours:-—} ms;" \
            "llama.cpp prefill ${p_them:-—} decode ${d_them:-—} load ${l_them:-—} ms"
        keep "$k/p_ours" "$p_ours" max; keep "$k/d_ours" "$d_ours" max; keep "$k/l_ours" "$l_ours" min
        keep "$k/p_them" "$p_them" max; keep "$k/d_them" "$d_them" max; keep "$k/l_them" "$l_them" min
    done
done
done

for i in "${!ROWS[@]}"; do
    model="${ROWS[$i]}"; note="${NOTES[$i]}"
    name="$(basename "$model" .gguf)"; [ -n "$note" ] && name="$name ($note)"
    for t in $THREADS; do
        k="$i/$t"
        p_ours="${BEST[$k/p_ours]:-}" d_ours="${BEST[$k/d_ours]:-}" l_ours="${BEST[$k/l_ours]:-}"
        p_them="${BEST[$k/p_them]:-}" d_them="${BEST[$k/d_them]:-}" l_them="${BEST[$k/l_them]:-}"
        if [ -n "${FAIL[$k]:-}" ]; then p_ours="${FAIL[$k]}"; d_ours="${FAIL[$k]}"; l_ours="—"; fi
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$t" \
            "${p_ours:-—}" "${p_them:-—}" "$(ratio "$p_ours" "$p_them")" \
            "${d_ours:-—}" "${d_them:-—}" "$(ratio "$d_ours" "$d_them")" \
            "${l_ours:-—}" "${l_them:-—}" >> "$TABLE"
    done
done

CPU="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
ISA_FLAGS="$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|fma|f16c|bmi2|avx512.*|avx_vnni|amx.*)$' | tr '\n' ' ')"
HEADER="$(date -u '+%Y-%m-%d %H:%M UTC'), $CPU, $(nproc) CPUs usable (flags: ${ISA_FLAGS% }), load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end."
echo
echo "$HEADER"
echo "llama.cpp: $(basename "$(dirname "$(dirname "$LLAMA_BIN")")") build of llama-cpp-python 0.3.36's vendor/llama.cpp; $SYSTEM_INFO"
echo
cat "$TABLE"

if [ "$WRITE_DOCS" = 1 ]; then
    python3 - docs/benchmarks.md "$TABLE" "$HEADER" "$SYSTEM_INFO" "$RUNS" "$PASSES" <<'PY'
import re, sys
path, table_path, header, sysinfo, runs, passes = sys.argv[1:]
doc = open(path).read()
table = open(table_path).read().rstrip("\n")
section = f"""## Local engine vs llama.cpp at its best

```sh
bash scripts/bench/local-engine.sh --docs   # builds llama.cpp for this CPU once (~15 min), makes the models once
```

{header}
llama.cpp's own tools (llama-bench, llama-completion) from llama-cpp-python 0.3.36's vendored sources, built by
`scripts/oracles/llama-cpp-native.sh` for this CPU (AVX-512 with VBMI/VNNI/BF16 where listed, no AMX):
`{sysinfo.strip()}`

Same GGUF file and thread count on both sides; each cell is the best over {passes} passes (ours and llama.cpp
interleaved) of best-of-{runs}. Prefill: 512-token prompt (llama-bench pp512). Decode: 128 greedy tokens after a
16-token prompt (llama-bench tg128, empty context). Load: wall time of a fresh process that maps the file,
prefills 16 tokens and picks one token (`smol-local-bench load` vs `llama-completion -n 1 --no-warmup -c 64`),
file in the page cache. Ratios are ours / llama.cpp (above 1 = we are faster). The Q4_K_M and Q8_0 SmolLM2
files are requantized from the Q4_1 release by `llama-quantize --allow-requantize` (SmolLM2's 576-wide rows
make Q4_K_M fall back to Q5_0 for most tensors and Q8_0 for the Q6_K ones); the MoE model has random weights
(scripts/bench/make_moe_bench_model.py: hidden 1024, 16 layers, 32 experts top-4, expert FFN 512, vocabulary
49,152; ~0.95 B parameters, ~0.19 B active per token), quantized from F16 to Q4_K_M (Q4_K with some Q6_K).

{table}
"""
pattern = re.compile(r"^## Local engine vs llama\.cpp at its best\n.*?(?=^## )", re.S | re.M)
if pattern.search(doc):
    doc = pattern.sub(lambda m: section + "\n", doc, count=1)
else:
    doc = doc.replace("\n## Structured generation", "\n" + section + "\n## Structured generation", 1)
open(path, "w").write(doc)
PY
    log "docs/benchmarks.md updated"
fi
