#!/usr/bin/env bash
# Issue 15's serving benchmark: `smol serve` on a local model against llama.cpp's own `llama-server` (built for
# this CPU by scripts/oracles/llama-cpp-native.sh: AVX-512 where the CPU has it, continuous batching on), same
# GGUF file, same thread count, measured in the same run. Prints one table on stdout; progress on stderr.
#
#   scripts/bench/serve-local.sh [--docs] [MODEL.gguf]
#
# Protocol: each server is started alone (the other one is stopped), with room for 16 sequences decoded together
# (`smol serve --parallel 16`, `llama-server -np 16 -c 16×1024`) and THREADS kernel threads (default: nproc). For
# each concurrency in CLIENTS (default 1 4 8 16), that many streaming clients (scripts/bench/serve_load.py,
# httpx from the LiteLLM virtualenv) each send one chat completion at once, greedy, max_tokens MAX_TOKENS (128),
# each with its own prompt ("Write a long, detailed essay about …"). Aggregate tokens/s = all completion tokens
# (from the usage chunk) over the wall time from the first request to the last [DONE]; time to first token =
# first content delta, median over clients. Best of RUNS (2) runs per cell, after one warm-up request.
# Both servers answer the same prompts with the same model, so completion lengths should match; the table shows
# each side's mean length so a difference is visible.
# --docs replaces the section "Local serving vs llama-server" of docs/benchmarks.md with this run's table.
# Environment: THREADS, CLIENTS, MAX_TOKENS, RUNS, SMOL_BENCH_BIN (a directory holding a release `smol`),
# SMOL_SERVE_PORT (18180), LLAMA_SERVER_PORT (18181). The machine is shared: run it when idle.
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE="${SMOL_CACHE:-$HOME/.cache/swift-smolagents}"
THREADS="${THREADS:-$(nproc)}"
CLIENTS="${CLIENTS:-1 4 8 16}"
MAX_TOKENS="${MAX_TOKENS:-128}"
RUNS="${RUNS:-2}"
OURS_PORT="${SMOL_SERVE_PORT:-18180}"
LLAMA_PORT="${LLAMA_SERVER_PORT:-18181}"
WRITE_DOCS=0
if [ "${1:-}" = "--docs" ]; then WRITE_DOCS=1; shift; fi
log() { echo "serve-local: $*" >&2; }
die() { log "$*"; exit 1; }

MODEL="${1:-$(bash scripts/fetch-model.sh | tail -1)}"
[ -s "$MODEL" ] || die "no model file at $MODEL"
LLAMA_BIN="$(bash scripts/oracles/llama-cpp-native.sh)" || die "could not build llama.cpp"
PY="$CACHE/venv-litellm/bin/python"  # httpx (the SDK venv has only httpx2)
if ! [ -x "$PY" ] || ! "$PY" -c 'import httpx' 2>/dev/null; then
    log "installing the LiteLLM virtualenv (for httpx)"; bash scripts/oracles/setup.sh litellm >&2
fi
if [ -n "${SMOL_BENCH_BIN:-}" ]; then
    BIN="$SMOL_BENCH_BIN"
else
    source scripts/build-env.sh
    log "building smol (release)"
    swift build "${SMOL_BUILD_FLAGS[@]}" --product smol >&2
    BIN=$(swift build "${SMOL_BUILD_FLAGS[@]}" --show-bin-path)
fi

PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
LOGDIR=$(mktemp -d /tmp/smol-serve-bench.XXXX)

wait_ready() {  # URL PID NAME
    for _ in $(seq 1 600); do
        kill -0 "$2" 2>/dev/null || { tail -20 "$LOGDIR/$3.log" >&2; die "$3 exited during start-up"; }
        curl -sf "$1" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "$3 not ready after 120 s"
}

# measure NAME BASE MODEL → lines "clients json" in $LOGDIR/NAME.results
measure() {
    "$PY" scripts/bench/serve_load.py "$2" "$3" 1 8 1 >/dev/null  # warm-up
    for c in $CLIENTS; do
        log "$1: $c clients"
        echo "$c $("$PY" scripts/bench/serve_load.py "$2" "$3" "$c" "$MAX_TOKENS" "$RUNS")" >> "$LOGDIR/$1.results"
    done
}

log "smol serve ($BIN/smol), $THREADS threads"
"$BIN/smol" serve --model-type TransformersModel --model-id "$MODEL" --threads "$THREADS" --parallel 16 \
    --port "$OURS_PORT" > "$LOGDIR/ours.log" 2>&1 &
PIDS+=($!)
wait_ready "http://127.0.0.1:$OURS_PORT/health" "${PIDS[-1]}" ours
OURS_MODEL=$(curl -sf "http://127.0.0.1:$OURS_PORT/v1/models" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
measure ours "http://127.0.0.1:$OURS_PORT/v1" "$OURS_MODEL"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

log "llama-server ($LLAMA_BIN/llama-server), $THREADS threads"
"$LLAMA_BIN/llama-server" -m "$MODEL" -t "$THREADS" -tb "$THREADS" -np 16 -c $((16 * 1024)) --cont-batching \
    --host 127.0.0.1 --port "$LLAMA_PORT" > "$LOGDIR/llama.log" 2>&1 &
PIDS+=($!)
wait_ready "http://127.0.0.1:$LLAMA_PORT/health" "${PIDS[-1]}" llama
measure llama "http://127.0.0.1:$LLAMA_PORT/v1" "bench"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

TABLE=$("$PY" - "$LOGDIR" "$THREADS" "$MAX_TOKENS" "$(basename "$MODEL")" <<'EOF'
import json, sys
d, threads, max_tokens, model = sys.argv[1:5]
def load(name):
    out = {}
    for line in open(f"{d}/{name}.results"):
        c, js = line.split(" ", 1)
        out[int(c)] = json.loads(js)
    return out
ours, llama = load("ours"), load("llama")
print(f"Model {model}, {threads} threads, {max_tokens} new tokens per client, greedy, streamed.\n")
print("| clients | ours tok/s | llama-server tok/s | ratio | ours TTFT p50 (ms) | llama TTFT p50 (ms) | ours scaling vs 1 client | mean length ours / llama | failed |")
print("|--------:|-----------:|-------------------:|------:|-------------------:|--------------------:|-------------------------:|-------------------------:|-------:|")
base = ours[min(ours)]["aggregate_tok_s"]
for c in sorted(ours):
    o, l = ours[c], llama[c]
    print(f"| {c} | {o['aggregate_tok_s']:.1f} | {l['aggregate_tok_s']:.1f} | {o['aggregate_tok_s'] / l['aggregate_tok_s']:.2f}x "
          f"| {o['ttft_p50_ms']:.0f} | {l['ttft_p50_ms']:.0f} | {o['aggregate_tok_s'] / base:.2f}x "
          f"| {o['mean_tokens']:.0f} / {l['mean_tokens']:.0f} | {o['failed']} / {l['failed']} |")
EOF
)
echo "$TABLE"
if [ "$WRITE_DOCS" = 1 ]; then
    "$PY" - docs/benchmarks.md "$TABLE" "$(date -u +%Y-%m-%d)" "$(nproc)" <<'EOF'
import re, sys
path, table, day, cores = sys.argv[1:5]
text = open(path).read()
section = (f"## Local serving vs llama-server\n\n`bash scripts/bench/serve-local.sh --docs`, {day}, {cores} cores. "
           "`smol serve` (continuous batching, `--parallel 16`) against llama.cpp's `llama-server -np 16` "
           "(continuous batching) built for this CPU, same GGUF, same threads, one after the other in the same run; "
           "concurrent streaming clients, each with its own prompt (see the script's header for the protocol).\n\n"
           + table + "\n")
pattern = re.compile(r"## Local serving vs llama-server\n.*?(?=\n## |\Z)", re.S)
text = pattern.sub(lambda _: section.rstrip("\n"), text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
EOF
    log "docs/benchmarks.md updated"
fi
