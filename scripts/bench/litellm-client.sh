#!/usr/bin/env bash
# Issue 6's benchmark: LiteLLMModel against `litellm.completion`, in one run, against one local static
# server (the nginx set-up of scripts/bench/openai-client.sh: a canned chat.completion on 127.0.0.1).
# Prints one table on stdout; progress on stderr.
#
#   scripts/bench/litellm-client.sh
#
# Two measurements per client and prefix (openai/ — LiteLLM's openai-SDK path — and hosted_vllm/ — its
# httpx path):
#   - import-to-first-request: wall time of a fresh process from start to its first answer and exit
#     (`smol generate --model-type LiteLLMModel …` vs `python -c "import litellm; litellm.completion(…)"`),
#     hyperfine, mean ± stddev;
#   - CPU per request: user+sys (getrusage of the client process) over a loop of N non-streamed calls at
#     concurrency 1, after one warm-up call (`smol-bench litellm-plain` vs a Python loop).
#
# Environment (all optional): SMOL_BENCH_PORT (18093), SMOL_BENCH_REPEAT (3: the CPU loops' runs, median
# shown), N_OURS (4000) and N_PY (300) calls per CPU loop, STARTUP_RUNS_OURS (30), STARTUP_RUNS_PY (5),
# SMOL_BENCH_BIN (a directory holding release `smol` and `smol-bench` already built: skips the build).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/build-env.sh

PORT=${SMOL_BENCH_PORT:-18093}
REPEAT=${SMOL_BENCH_REPEAT:-3}
N_OURS=${N_OURS:-4000}
N_PY=${N_PY:-300}
STARTUP_RUNS_OURS=${STARTUP_RUNS_OURS:-30}
STARTUP_RUNS_PY=${STARTUP_RUNS_PY:-5}
CACHE="${SMOL_CACHE:-$HOME/.cache/swift-smolagents}"
LPY="$CACHE/venv-litellm/bin/python"
PREFIX=/tmp/smol-bench-litellm.$PORT
BASE="http://127.0.0.1:$PORT"
OUT="$PREFIX/results"
export LITELLM_LOCAL_MODEL_COST_MAP=True   # LiteLLM would otherwise fetch its cost map over the network at import

log() { echo "bench: $*" >&2; }

command -v nginx >/dev/null || PATH="$PATH:/usr/sbin"
if ! command -v nginx >/dev/null; then log "installing nginx"; apt-get update -qq >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >&2; fi
if ! command -v hyperfine >/dev/null; then
    log "installing hyperfine"; apt-get update -qq >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >&2
fi
if ! [ -x "$LPY" ] || ! "$LPY" -c 'import litellm' 2>/dev/null; then
    log "installing LiteLLM"; bash scripts/oracles/setup.sh litellm
fi
LITELLM_VERSION=$("$LPY" -c 'import sys; from importlib.metadata import version as v; print(", ".join(f"{p} {v(p)}" for p in ("litellm", "openai", "httpx")) + ", Python " + sys.version.split()[0])')

if [ -n "${SMOL_BENCH_BIN:-}" ]; then
    BIN=$SMOL_BENCH_BIN   # release binaries already built (e.g. by scripts/test.sh's -enable-testing build)
else
    log "building smol-bench and smol (release)"
    swift build "${SMOL_BUILD_FLAGS[@]}" --product smol-bench >&2
    swift build "${SMOL_BUILD_FLAGS[@]}" --product smol >&2
    BIN=$(swift build "${SMOL_BUILD_FLAGS[@]}" --show-bin-path)
fi

# --- server: a canned chat.completion, as in openai-client.sh ---------------------------------------------
if [ -f "$PREFIX/nginx.pid" ]; then
    stale=$(cat "$PREFIX/nginx.pid" 2>/dev/null || true)
    if [ -n "$stale" ] && grep -qs "$PREFIX/nginx.conf" "/proc/$stale/cmdline"; then kill "$stale" 2>/dev/null || true; sleep 1; fi
fi
rm -rf "$PREFIX"
mkdir -p "$PREFIX/tmp" "$PREFIX/www/plain/v1/chat" "$PREFIX/www/stream" "$OUT"
cat > "$PREFIX/www/plain/v1/chat/completions" <<'JSON'
{"id":"chatcmpl-BbenchAbCdEfGhIjKlMnOpQrStUvW","created":1748000000,"model":"gpt-4o-mini-2024-07-18","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today?","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_34a54ae93c"}
JSON
chmod -R a+rX "$PREFIX"
sed -e "s#@PREFIX@#$PREFIX#g" -e "s#@PORT@#$PORT#g" scripts/bench/nginx.conf.template > "$PREFIX/nginx.conf"
nginx -t -q -p "$PREFIX" -c "$PREFIX/nginx.conf"
NGINX_PID=
cleanup() {
    if [ -n "$NGINX_PID" ]; then
        kill "$NGINX_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if curl -s -o /dev/null "$BASE/"; then log "port $PORT is taken by another process; set SMOL_BENCH_PORT"; exit 1; fi
nginx -p "$PREFIX" -c "$PREFIX/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 50); do
    kill -0 "$NGINX_PID" 2>/dev/null || { log "nginx exited:"; cat "$PREFIX/error.log" >&2; exit 1; }
    curl -sf -o /dev/null -X POST -d '{}' "$BASE/plain/v1/chat/completions" && break
    sleep 0.1
done
curl -sf -o /dev/null -X POST -d '{}' "$BASE/plain/v1/chat/completions" || { log "nginx does not answer"; exit 1; }

PLAIN="$BASE/plain/v1"
PREFIXES=(openai/gpt-4o-mini hosted_vllm/gpt-4o-mini)

# --- import-to-first-request --------------------------------------------------------------------------------
for id in "${PREFIXES[@]}"; do
    tag=${id%%/*}
    ours=("$BIN/smol" generate --model-type LiteLLMModel --model-id "$id" --api-base "$PLAIN" --api-key sk-bench "Say hello.")
    answer=$("${ours[@]}")
    [ -n "$answer" ] || { log "smol generate gave no answer"; exit 1; }
    py="import litellm; r = litellm.completion(model='$id', api_base='$PLAIN', api_key='sk-bench', messages=[{'role': 'user', 'content': 'Say hello.'}]); print(r.choices[0].message.content)"
    answer=$("$LPY" -c "$py")
    [ -n "$answer" ] || { log "litellm.completion gave no answer"; exit 1; }
    log "first request, $tag: hyperfine"
    hyperfine -N --warmup 2 --runs "$STARTUP_RUNS_OURS" --style none --export-json "$OUT/start-ours-$tag.json" \
        "$(printf '%q ' "${ours[@]}")" >&2
    hyperfine -N --warmup 1 --runs "$STARTUP_RUNS_PY" --style none --export-json "$OUT/start-py-$tag.json" \
        "$LPY -c \"$py\"" >&2
done

# --- CPU per request ----------------------------------------------------------------------------------------
cat > "$PREFIX/litellm_loop.py" <<'PYEOF'
# N non-streamed litellm.completion calls, one after another, after one warm-up; one JSON line like smol-bench's.
import json, resource, sys, time
import litellm
n, model, base = int(sys.argv[1]), sys.argv[2], sys.argv[3]
call = lambda: litellm.completion(model=model, api_base=base, api_key="sk-bench",
                                  messages=[{"role": "user", "content": "Say hello."}])
assert call().choices[0].message.content
cpu = lambda: (lambda u: u.ru_utime + u.ru_stime)(resource.getrusage(resource.RUSAGE_SELF))
before, start = cpu(), time.monotonic()
for _ in range(n):
    call()
wall, used = time.monotonic() - start, cpu() - before
print(json.dumps({"client": "litellm", "mode": "plain", "requests": n, "wall_s": wall, "cpu_s": used}))
PYEOF
for id in "${PREFIXES[@]}"; do
    tag=${id%%/*}
    for i in $(seq "$REPEAT"); do
        log "CPU loop $tag ($i/$REPEAT)"
        "$BIN/smol-bench" litellm-plain "$N_OURS" "$id" "$PLAIN" | tail -n 1 >> "$OUT/cpu-ours-$tag.jsonl"
        "$LPY" "$PREFIX/litellm_loop.py" "$N_PY" "$id" "$PLAIN" 2>/dev/null | tail -n 1 >> "$OUT/cpu-py-$tag.jsonl"
    done
done

# --- table --------------------------------------------------------------------------------------------------
"$LPY" - "$OUT" "$LITELLM_VERSION" "$(nproc)" "$REPEAT" "${PREFIXES[@]}" <<'PYEOF'
import json, statistics, sys
out, versions, cores, repeat, *ids = sys.argv[1:]
start = lambda who, tag: json.load(open(f"{out}/start-{who}-{tag}.json"))["results"][0]
cpu = lambda who, tag: statistics.median(r["cpu_s"] / r["requests"] * 1e6 for r in
                                         (json.loads(l) for l in open(f"{out}/cpu-{who}-{tag}.jsonl") if l.strip()))
rps = lambda who, tag: statistics.median(r["requests"] / r["wall_s"] for r in
                                         (json.loads(l) for l in open(f"{out}/cpu-{who}-{tag}.jsonl") if l.strip()))
rows = []
for model in ids:
    tag = model.split("/")[0]
    ours, py = start("ours", tag), start("py", tag)
    rows.append([f"process start → first answer, {tag}/ (ms)", f"{ours['mean'] * 1e3:,.1f} ± {ours['stddev'] * 1e3:,.1f}",
                 f"{py['mean'] * 1e3:,.0f} ± {py['stddev'] * 1e3:,.0f}", f"{py['mean'] / ours['mean']:,.1f}"])
    rows.append([f"CPU per request, {tag}/ (µs)", f"{cpu('ours', tag):,.1f}", f"{cpu('py', tag):,.1f}",
                 f"{cpu('py', tag) / cpu('ours', tag):,.1f}"])
    rows.append([f"requests/s, concurrency 1, {tag}/", f"{rps('ours', tag):,.0f}", f"{rps('py', tag):,.0f}",
                 f"{rps('ours', tag) / rps('py', tag):,.1f} (ours faster)"])
header = ["metric", "LiteLLMModel (swift)", "litellm.completion", "ratio litellm/ours"]
widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
line = lambda r: "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) + " |"
print(line(header))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in rows:
    print(line(r))
print()
print(f"{versions}; {cores} cores; nginx static chat.completion on 127.0.0.1 (1 worker, keep-alive).")
print("First answer: hyperfine wall time of a fresh process (smol generate --model-type LiteLLMModel vs "
      "python -c 'import litellm; litellm.completion(...)'), mean ± stddev, LITELLM_LOCAL_MODEL_COST_MAP=True.")
print(f"CPU: user+sys of the client process (getrusage) over a loop of non-streamed calls at concurrency 1 "
      f"after one warm-up; median of {repeat} runs.")
PYEOF
