#!/usr/bin/env bash
# Issue 15's gateway benchmark: `smol serve --model-list FILE` against the LiteLLM proxy (`litellm --config
# FILE`), in one run, with one configuration file and one upstream. Prints one markdown table on stdout;
# progress on stderr.
#
#   scripts/bench/serve-gateway.sh [--docs]
#
# Set-up, all on 127.0.0.1, each its own process:
#   - upstream: scripts/bench/fixed_latency_upstream.py, an OpenAI-compatible /v1/chat/completions that waits
#     UPSTREAM_DELAY_MS (20) and answers a canned chat.completion, or for "stream": true a canned SSE stream
#     (10 chunks + `data: [DONE]`);
#   - gateway A: `smol serve --model-list FILE` (release binary; its defaults: Swift's cooperative pool, one
#     thread per core, --parallel 16, the usual per-request log line, to a file);
#   - gateway B: `litellm --config FILE` with its defaults (one uvicorn worker process, i.e. at most about one
#     core of Python, LITELLM_WORKERS overrides; per-request access log, to a file),
#     LITELLM_LOCAL_MODEL_COST_MAP=True, LITELLM_TELEMETRY_DISABLED=True, no database (so no spend logs), no
#     callbacks: nothing leaves the machine;
#   - both require the same random bearer key (the proxy refuses to start without a master key; smol serve gets
#     it as --serve-api-key), and the client sends it;
#   - FILE is one JSON file, LiteLLM's config: {"model_list": [{"model_name": "bench", "litellm_params":
#     {"model": "openai/bench-model", "api_base": <upstream>/v1, "api_key": ...}}], "router_settings":
#     {"num_retries": 0}} (JSON is YAML, so the proxy reads the same file).
# The load generator (Python asyncio + aiohttp from the LiteLLM venv, a separate process whose CPU is not
# counted) sends the same request body to three targets: the upstream directly, smol serve, the LiteLLM proxy.
# Phases: non-streamed and streamed, each at concurrency 1 and CONCURRENCY (16); per phase and target, after a
# warm-up of WARMUP requests, N requests (a streamed request ends at `data: [DONE]`); the targets are
# interleaved phase by phase, so a burst of load from other jobs on the shared machine hits all three.
#   - added latency p50/p99 = the gateway's client-side latency percentile minus the same percentile for the
#     upstream hit directly by the same client in the same phase (so the fixed delay and the client's own
#     cost cancel out);
#   - requests/s at CONCURRENCY: N / wall time of the phase;
#   - CPU per request: user+sys of the gateway's whole process tree (every thread of every descendant) over
#     the phase, divided by N: per-thread run time from /proc/<pid>/task/<tid>/schedstat (ns) when no thread
#     ended during the phase, else utime+stime (+cutime+cstime) from /proc/<pid>/stat (clock ticks).
# Goal (issue 15): CPU per request of smol serve ≤ 1/10 of the LiteLLM proxy's.
#
# Environment (all optional): N (500) requests per phase and target, WARMUP (100), CONCURRENCY (16),
# UPSTREAM_DELAY_MS (20), UPSTREAM_PORT (18110), SMOL_PORT (18111), LITELLM_PORT (18112), LITELLM_WORKERS (1:
# the proxy's --num_workers), SMOL_BENCH_BIN (a directory holding a release `smol`; default .build/release,
# built only when missing).
# --docs replaces (or adds) the section "Gateway: smol serve vs the LiteLLM proxy" of docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"

N=${N:-500}
WARMUP=${WARMUP:-100}
CONCURRENCY=${CONCURRENCY:-16}
UPSTREAM_DELAY_MS=${UPSTREAM_DELAY_MS:-20}
UPSTREAM_PORT=${UPSTREAM_PORT:-18110}
SMOL_PORT=${SMOL_PORT:-18111}
LITELLM_PORT=${LITELLM_PORT:-18112}
LITELLM_WORKERS=${LITELLM_WORKERS:-1}
CACHE="${SMOL_CACHE:-$HOME/.cache/swift-smolagents}"
VENV="$CACHE/venv-litellm"
LPY="$VENV/bin/python"
WRITE_DOCS=0
if [ "${1:-}" = "--docs" ]; then WRITE_DOCS=1; shift; fi
[ $# -eq 0 ] || { echo "usage: $0 [--docs]" >&2; exit 2; }

log() { echo "serve-gateway: $*" >&2; }
die() { log "$*"; exit 1; }

# ---------------------------------------------------------------- prerequisites
command -v curl >/dev/null || die "curl is needed"
if ! [ -x "$LPY" ] || ! "$LPY" -c 'import litellm.proxy.proxy_server, aiohttp' >/dev/null 2>&1; then
    log "the LiteLLM venv lacks litellm[proxy]: bash scripts/oracles/setup.sh litellm"
    bash scripts/oracles/setup.sh litellm >&2
    "$LPY" -c 'import litellm.proxy.proxy_server, aiohttp' >/dev/null 2>&1 \
        || die "$VENV still cannot import litellm.proxy.proxy_server and aiohttp"
fi
[ -x "$VENV/bin/litellm" ] || die "missing $VENV/bin/litellm"

if [ -n "${SMOL_BENCH_BIN:-}" ]; then
    SMOL="$SMOL_BENCH_BIN/smol"
else
    source scripts/build-env.sh
    SMOL="$ROOT/$SMOL_BIN/smol"
    if ! [ -x "$SMOL" ]; then
        log "building smol (release)"
        swift build "${SMOL_BUILD_FLAGS[@]}" --product smol >&2 || die "swift build failed"
    fi
fi
[ -x "$SMOL" ] || die "missing $SMOL"

for p in "$UPSTREAM_PORT" "$SMOL_PORT" "$LITELLM_PORT"; do
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$p/"; then
        die "port $p is taken by another process (set UPSTREAM_PORT, SMOL_PORT, LITELLM_PORT)"
    fi
done

# ---------------------------------------------------------------- processes
TMP="$(mktemp -d /tmp/smol-bench-gateway.XXXXXX)"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_ready NAME PID LOGFILE SECONDS CURL_ARGS...: polls until the command succeeds; dies when the process exits.
wait_ready() {
    local name=$1 pid=$2 logfile=$3 seconds=$4
    shift 4
    local deadline=$((SECONDS + seconds))
    while ! curl -sf -o /dev/null --max-time 5 "$@"; do
        if ! kill -0 "$pid" 2>/dev/null; then log "$name exited before answering; last lines of $logfile:"; tail -20 "$logfile" >&2; exit 1; fi
        if [ "$SECONDS" -ge "$deadline" ]; then log "$name did not answer within ${seconds}s; last lines of $logfile:"; tail -20 "$logfile" >&2; exit 1; fi
        sleep 0.2
    done
}

UPSTREAM="http://127.0.0.1:$UPSTREAM_PORT/v1"
"$LPY" scripts/bench/fixed_latency_upstream.py "$UPSTREAM_PORT" "$UPSTREAM_DELAY_MS" > "$TMP/upstream.log" 2>&1 &
UPSTREAM_PID=$!; PIDS+=("$UPSTREAM_PID")
wait_ready upstream "$UPSTREAM_PID" "$TMP/upstream.log" 30 "$UPSTREAM/models"

CONFIG="$TMP/config.json"
cat > "$CONFIG" <<JSON
{
  "model_list": [
    {"model_name": "bench", "litellm_params": {"model": "openai/bench-model", "api_base": "$UPSTREAM", "api_key": "sk-bench-upstream"}}
  ],
  "router_settings": {"num_retries": 0}
}
JSON

MASTER_KEY="sk-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"   # both gateways require it (the proxy refuses to start without one)
export MASTER_KEY
BODY='{"model": "bench", "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 16}'

log "starting smol serve ($SMOL)"
"$SMOL" serve --model-list "$CONFIG" --port "$SMOL_PORT" --serve-api-key "$MASTER_KEY" > "$TMP/smol.log" 2>&1 &
SMOL_PID=$!; PIDS+=("$SMOL_PID")
wait_ready "smol serve" "$SMOL_PID" "$TMP/smol.log" 60 -H "authorization: Bearer $MASTER_KEY" "http://127.0.0.1:$SMOL_PORT/v1/models"

log "starting the LiteLLM proxy (its start takes a while)"
(
    cd "$TMP"   # the proxy may write files (e.g. a .env lookup) into its working directory
    export LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY_DISABLED=True LITELLM_DONT_SHOW_FEEDBACK_BOX=True
    unset DATABASE_URL OPENAI_API_KEY OPENAI_BASE_URL OPENAI_API_BASE
    export LITELLM_MASTER_KEY="$MASTER_KEY"
    exec "$VENV/bin/litellm" --config "$CONFIG" --host 127.0.0.1 --port "$LITELLM_PORT" --num_workers "$LITELLM_WORKERS"
) > "$TMP/litellm.log" 2>&1 &
LITELLM_PID=$!; PIDS+=("$LITELLM_PID")
wait_ready "LiteLLM proxy" "$LITELLM_PID" "$TMP/litellm.log" 180 "http://127.0.0.1:$LITELLM_PORT/health/liveliness"

for target in "$UPSTREAM" "http://127.0.0.1:$SMOL_PORT/v1" "http://127.0.0.1:$LITELLM_PORT/v1"; do
    answer=$(curl -sf --max-time 30 -H 'content-type: application/json' -H "authorization: Bearer $MASTER_KEY" -d "$BODY" "$target/chat/completions") \
        || die "no answer from $target/chat/completions"
    grep -q 'How can I assist you today' <<<"$answer" || die "unexpected answer from $target: $answer"
done
LITELLM_VERSION=$("$LPY" -c 'import sys; from importlib.metadata import version as v; print(", ".join(f"{p} {v(p)}" for p in ("litellm", "uvicorn", "fastapi", "openai", "aiohttp")) + ", Python " + sys.version.split()[0])')

# ---------------------------------------------------------------- load generator
cat > "$TMP/load.py" <<'PY'
# load.py URL N CONCURRENCY STREAM(0|1) PID(0 = none) OUT.json: N POSTs of BODY at CONCURRENCY; per-request
# latency (ms); the CPU of PID's process tree over the run.
import asyncio, json, os, sys, time
import aiohttp

url, n, conc, stream, pid, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", int(sys.argv[5]), sys.argv[6]
body = json.loads(os.environ["BODY"])
if stream:
    body["stream"] = True
payload = json.dumps(body).encode()
HEADERS = {"content-type": "application/json", "authorization": "Bearer " + os.environ["MASTER_KEY"]}
EXPECTED = "Hello! How can I assist you today?"
TICK = os.sysconf("SC_CLK_TCK")

def tree(root):
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                ppid = int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d))
    found, todo = [], [root]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found

def cpu(root):
    """(seconds from /proc/PID/stat incl. reaped children, {tid: ns from schedstat}) over the process tree."""
    ticks, threads = 0, {}
    for p in tree(root):
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            ticks += sum(int(x) for x in f[11:15])  # utime stime cutime cstime
            for t in os.listdir(f"/proc/{p}/task"):
                try:
                    threads[(p, int(t))] = int(open(f"/proc/{p}/task/{t}/schedstat").read().split()[0])
                except (OSError, ValueError):
                    pass
        except OSError:
            pass
    return ticks / TICK, threads

async def one(session, lat, errors):
    t0 = time.perf_counter()
    try:
        async with session.post(url, data=payload, headers=HEADERS) as r:
            if r.status != 200:
                errors.append(f"HTTP {r.status}: {(await r.text())[:200]}")
                return
            if stream:
                text, done = [], False
                async for line in r.content:
                    if line.startswith(b"data: "):
                        data = line[6:].strip()
                        if data == b"[DONE]":
                            done = True
                            break
                        for c in json.loads(data).get("choices", []):
                            text.append((c.get("delta") or {}).get("content") or "")
                ok = done and "".join(text) == EXPECTED
            else:
                ok = (await r.json())["choices"][0]["message"]["content"] == EXPECTED
            lat.append((time.perf_counter() - t0) * 1e3)
            if not ok:
                errors.append("unexpected answer")
    except Exception as e:  # noqa: BLE001 - counted and reported
        errors.append(f"{type(e).__name__}: {e}")

async def main():
    lat, errors = [], []
    left = [n]
    async def worker(session):
        while left[0] > 0:
            left[0] -= 1
            await one(session, lat, errors)
    connector = aiohttp.TCPConnector(limit=conc, limit_per_host=conc, force_close=False)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        before = cpu(pid) if pid else None
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(conc)))
        wall = time.perf_counter() - start
        after = cpu(pid) if pid else None
    result = {"n": n, "concurrency": conc, "stream": stream, "wall_s": wall, "latencies_ms": lat,
              "errors": len(errors), "first_errors": errors[:3]}
    if pid:
        stat_s = after[0] - before[0]
        ended = [t for t in before[1] if t not in after[1]]
        if ended:
            result.update(cpu_s=stat_s, cpu_method="stat")
        else:
            result.update(cpu_s=sum(after[1][t] - before[1].get(t, 0) for t in after[1]) / 1e9, cpu_method="schedstat")
        result["cpu_stat_s"] = stat_s
    json.dump(result, open(out, "w"))

try:
    import uvloop
    uvloop.install()
except ImportError:
    pass
asyncio.run(main())
PY
export BODY

TARGETS=(direct smol litellm)
declare -A URL=([direct]="$UPSTREAM/chat/completions" [smol]="http://127.0.0.1:$SMOL_PORT/v1/chat/completions"
                [litellm]="http://127.0.0.1:$LITELLM_PORT/v1/chat/completions")
declare -A PID_OF=([direct]=0 [smol]="$SMOL_PID" [litellm]="$LITELLM_PID")
PHASES=("0 1" "0 $CONCURRENCY" "1 1" "1 $CONCURRENCY")

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
for phase in "${PHASES[@]}"; do
    read -r stream conc <<<"$phase"
    kind=$([ "$stream" = 1 ] && echo streamed || echo non-streamed)
    for t in "${TARGETS[@]}"; do
        log "$kind, concurrency $conc: $t (warm-up $WARMUP, then $N)"
        "$LPY" "$TMP/load.py" "${URL[$t]}" "$WARMUP" "$conc" "$stream" 0 "$TMP/warmup.json" \
            || die "load generator failed (warm-up, $t)"
        "$LPY" "$TMP/load.py" "${URL[$t]}" "$N" "$conc" "$stream" "${PID_OF[$t]}" "$TMP/result-$t-$stream-$conc.json" \
            || die "load generator failed ($t)"
        for f in "$TMP/warmup.json" "$TMP/result-$t-$stream-$conc.json"; do
            errors=$("$LPY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["errors"], *r["first_errors"])' "$f")
            [ "${errors%% *}" = 0 ] || die "$t: $errors"
        done
    done
done
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
for pid in "$SMOL_PID" "$LITELLM_PID" "$UPSTREAM_PID"; do
    kill -0 "$pid" 2>/dev/null || die "a server (pid $pid) exited during the run"
done

# ---------------------------------------------------------------- table
TABLE="$TMP/table.md"
"$LPY" - "$TMP" "$CONCURRENCY" > "$TABLE" <<'PY'
import json, math, sys
tmp, conc = sys.argv[1], int(sys.argv[2])
r = lambda t, s, c: json.load(open(f"{tmp}/result-{t}-{s}-{c}.json"))
def pct(xs, q):  # nearest-rank percentile
    xs = sorted(xs)
    return xs[max(0, math.ceil(q / 100 * len(xs)) - 1)]
def added(t, s, c, q):
    return pct(r(t, s, c)["latencies_ms"], q) - pct(r("direct", s, c)["latencies_ms"], q)
rps = lambda t, s, c: r(t, s, c)["n"] / r(t, s, c)["wall_s"]
cpu_us = lambda t, s, c: r(t, s, c)["cpu_s"] / r(t, s, c)["n"] * 1e6
rows = []
def row(name, ours, theirs, fmt, lower_better=True, goal=None):
    ratio = (theirs / ours if lower_better else ours / theirs) if ours > 0 and theirs > 0 else float("nan")
    met = "—"
    if goal is not None:
        met = "yes" if ours * goal <= theirs else "no"
    rows.append([name, fmt(ours), fmt(theirs), "—" if math.isnan(ratio) else f"{ratio:,.1f}×",
                 f"≤ 1/{goal} of LiteLLM's" if goal else "—", met])
ms = lambda x: f"{x:,.2f}"
for s, kind in ((0, "non-streamed"), (1, "streamed")):
    for c in (1, conc):
        for q in (50, 99):
            row(f"added latency p{q}, {kind}, concurrency {c} (ms)", added("smol", s, c, q), added("litellm", s, c, q), ms)
    row(f"requests/s, {kind}, concurrency {conc}", rps("smol", s, conc), rps("litellm", s, conc),
        lambda x: f"{x:,.0f}", lower_better=False)
    for c in (1, conc):
        row(f"gateway CPU per request, {kind}, concurrency {c} (µs)", cpu_us("smol", s, c), cpu_us("litellm", s, c),
            lambda x: f"{x:,.0f}", goal=10)
print("| metric | smol serve | LiteLLM proxy | ratio | goal | met? |")
print("|---|---|---|---|---|---|")
for x in rows:
    print("| " + " | ".join(x) + " |")
direct = lambda s, c, q: pct(r("direct", s, c)["latencies_ms"], q)
print()
import textwrap
print(textwrap.fill(f"Upstream hit directly (the baseline subtracted above), p50/p99 ms: non-streamed "
      f"{direct(0, 1, 50):.2f}/{direct(0, 1, 99):.2f} at concurrency 1, {direct(0, conc, 50):.2f}/{direct(0, conc, 99):.2f} "
      f"at {conc}; streamed {direct(1, 1, 50):.2f}/{direct(1, 1, 99):.2f} at 1, {direct(1, conc, 50):.2f}/{direct(1, conc, 99):.2f} at {conc}; "
      f"{rps('direct', 0, conc):,.0f} non-streamed requests/s at {conc}.", 110))
methods = sorted({r(t, s, c)["cpu_method"] for t in ("smol", "litellm") for s in (0, 1) for c in (1, conc)})
print(f"CPU read from: {', '.join(methods)}.")
PY

COMMIT="$(git -C "$ROOT" rev-parse --short HEAD)"
git -C "$ROOT" diff --quiet HEAD -- Sources || COMMIT="$COMMIT + uncommitted changes in Sources"
HEADER="$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs usable (nproc), load average $LOAD_START at the start,"
HEADER+=" $LOAD_END at the end. $LITELLM_VERSION; smol: ${SMOL#"$ROOT"/} ($COMMIT, binary built"
HEADER+=" $(date -u -r "$SMOL" '+%Y-%m-%d %H:%M UTC')). N=$N requests per phase and target after $WARMUP warm-up,"
HEADER+=" upstream delay $UPSTREAM_DELAY_MS ms, LiteLLM workers $LITELLM_WORKERS."
echo "$HEADER"
echo
cat "$TABLE"

if [ "$WRITE_DOCS" = 1 ]; then
    python3 - docs/benchmarks.md "$TABLE" "$HEADER" "$N" "$WARMUP" "$CONCURRENCY" "$UPSTREAM_DELAY_MS" "$LITELLM_WORKERS" <<'PY'
import re, sys, textwrap
path, table_path, header, n, warmup, conc, delay, workers = sys.argv[1:]
fill = lambda text: textwrap.fill(" ".join(text.split()), 110, break_on_hyphens=False, break_long_words=False)
doc = open(path).read()
table = open(table_path).read().rstrip("\n")
title = "## Gateway: smol serve vs the LiteLLM proxy"
protocol = fill(f"""One JSON config for both gateways (LiteLLM's `model_list`, one group `bench` → `openai/bench-model` on the
upstream; `router_settings: num_retries 0`): `smol serve --model-list FILE` (release build; Swift's
cooperative pool, one thread per core, `--parallel 16`) and `litellm --config FILE` (its default: one uvicorn
worker process, `--num_workers {workers}`: Python with one worker uses at most about one core, which caps
its requests/s but not its CPU per request; `LITELLM_LOCAL_MODEL_COST_MAP=True`, `LITELLM_TELEMETRY_DISABLED=True`, no database, no
callbacks). Both check the same bearer key (the proxy's master key, `--serve-api-key`). Both keep their per-request log line (to a file). The upstream is
`scripts/bench/fixed_latency_upstream.py` (asyncio, its own process): it waits {delay} ms, then answers a canned
`chat.completion`, or a canned SSE stream of 10 chunks + `data: [DONE]`. One Python asyncio/aiohttp client (its
own process, not counted) sends the same request to the upstream directly, to smol serve and to the proxy,
interleaved phase by phase (non-streamed and streamed, at concurrency 1 and {conc}); each phase has {warmup}
warm-up requests, then {n} measured ones. Added latency = the gateway's client-side percentile minus the same
percentile of the upstream hit directly in the same phase (nearest rank; a streamed request ends at
`data: [DONE]`). Requests/s = {n} / the phase's wall time; the client and the upstream share the 2 cores with the
gateway, so this is a lower bound for both. CPU per request = user+sys of the gateway's whole process tree over
the measured phase / {n} (per-thread schedstat, or /proc/PID/stat when a thread ended during the phase). Ratio:
how many times better smol serve is (LiteLLM / smol for latency and CPU, smol / LiteLLM for requests/s).
Added latency is a difference of two percentiles measured one after the other on a shared machine: values
within a few ms of zero (negative ones included) are noise, and so are latency ratios built on them.""")
section = f"""{title}

```sh
bash scripts/bench/serve-gateway.sh --docs   # N={n} WARMUP={warmup} CONCURRENCY={conc} UPSTREAM_DELAY_MS={delay} LITELLM_WORKERS={workers}
```

{fill(header)}

{protocol}

{table}
"""
pattern = re.compile(r"^" + re.escape(title) + r"\n.*?(?=^## |\Z)", re.S | re.M)
if pattern.search(doc):
    doc = pattern.sub(lambda m: section + "\n", doc, count=1)
elif "\n## Local engine: MLX" in doc:
    doc = doc.replace("\n## Local engine: MLX", "\n" + section + "\n## Local engine: MLX", 1)
else:
    doc = doc.rstrip("\n") + "\n\n" + section
open(path, "w").write(doc)
PY
    log "docs/benchmarks.md updated"
fi
