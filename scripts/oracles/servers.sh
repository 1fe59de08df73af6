#!/usr/bin/env bash
# Starts/stops the two real local servers the Swift end-to-end tests talk to (no network needed):
#   llama    llama-cpp-python's OpenAI-compatible server on the real SmolLM2-135M Q4_1 GGUF
#            (http://127.0.0.1:$SMOL_LLAMA_PORT/v1, default 18081; no auth; grammar-forced tool calls
#            through --chat_format chatml-function-calling)
#   litellm  the LiteLLM proxy (http://127.0.0.1:$SMOL_LITELLM_PORT/v1, default 18082) routing model
#            `smollm2` to the llama server; it adds the stream usage chunk llama.cpp does not send.
#            A callback (litellm_llama_adapter.py) rewrites a forced tool_choice "required" into the
#            named-function form llama-cpp-python supports, so Gemini/Anthropic forced calls work, and
#            drops llama-cpp-python's duplicate legacy `function_call` stream deltas on the Gemini and
#            Anthropic front-ends' upstream calls (LiteLLM's stream chunk builder crashes on them).
#            Auth: a random master key, written to $STATE/litellm.key.
# Why: these are independent, third-party implementations of the OpenAI wire protocol, so the Swift
# client is checked against real servers, not only against our own fakes. Install them with setup.sh.
# Usage: servers.sh start|stop|status. State (pid files, logs, config, servers.env) lives in
# ${SMOL_STATE:-$HOME/.cache/swift-smolagents/run}. `start` waits until both answer (120 s each at most)
# and writes $STATE/servers.env with SMOL_LLAMA_BASE, SMOL_LITELLM_BASE and SMOL_LITELLM_KEY.
set -euo pipefail
CACHE="${SMOL_CACHE:-$HOME/.cache/swift-smolagents}"
STATE="${SMOL_STATE:-$CACHE/run}"
LLAMA_PORT="${SMOL_LLAMA_PORT:-18081}"
LITELLM_PORT="${SMOL_LITELLM_PORT:-18082}"
GGUF="$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf"
LLAMA_BASE="http://127.0.0.1:$LLAMA_PORT/v1"
LITELLM_BASE="http://127.0.0.1:$LITELLM_PORT/v1"

log() { echo "servers: $*" >&2; }
pid_of() { cat "$STATE/$1.pid" 2>/dev/null || true; }
running() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

# wait_ready NAME URL: poll URL until HTTP 200; fail with the log tail if the server dies or 120 s pass.
wait_ready() {
    local name=$1 url=$2 start=$SECONDS
    until curl -sf -o /dev/null "$url"; do
        if ! running "$name" || [ $((SECONDS - start)) -ge 120 ]; then
            log "$name did not become ready ($url); last lines of $STATE/$name.log:"
            tail -n 30 "$STATE/$name.log" >&2
            return 1
        fi
        sleep 0.5
    done
    log "$name ready in $((SECONDS - start)) s at $url"
}

# launch NAME PORT CMD...: start CMD in the background unless NAME already runs; refuse a busy port.
launch() {
    local name=$1 port=$2; shift 2
    if running "$name"; then log "$name already running (pid $(pid_of "$name"))"; return 0; fi
    if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
        log "port $port is taken by another process; set SMOL_${name^^}_PORT"; return 1
    fi
    # A new session, so the server outlives the calling shell's process group; the child writes its
    # own pid (setsid may fork) and then becomes the server through exec.
    rm -f "$STATE/$name.pid"
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$STATE/$name.pid" "$@" >"$STATE/$name.log" 2>&1 </dev/null &
    for _ in $(seq 50); do [ -s "$STATE/$name.pid" ] && break; sleep 0.1; done
}

start() {
    mkdir -p "$STATE"
    [ -s "$GGUF" ] || { log "missing $GGUF: run scripts/oracles/setup.sh"; exit 1; }
    launch llama "$LLAMA_PORT" "$CACHE/venv-llama/bin/python" -m llama_cpp.server --model "$GGUF" \
        --host 127.0.0.1 --port "$LLAMA_PORT" --n_ctx 2048 --n_threads 2 --model_alias smollm2 \
        --chat_format chatml-function-calling
    if ! running litellm; then
        od -An -tx1 -N24 /dev/urandom | tr -d ' \n' | sed 's/^/sk-/' >"$STATE/litellm.key"
        # The callback turns a forced tool_choice ("required", which LiteLLM's Gemini and Anthropic
        # front-ends produce) into the named function llama-cpp-python accepts, and works around a
        # LiteLLM stream bug; see its docstring.
        # The proxy imports callback modules from the config's directory, hence the copy.
        cp "$(dirname "${BASH_SOURCE[0]}")/litellm_llama_adapter.py" "$STATE/litellm_llama_adapter.py"
        cat >"$STATE/litellm.yaml" <<EOF
model_list:
  - model_name: smollm2
    litellm_params: {model: openai/smollm2, api_base: "$LLAMA_BASE", api_key: none, use_chat_completions_api: true}
litellm_settings:
  callbacks: litellm_llama_adapter.proxy_handler_instance
EOF
    fi
    LITELLM_MASTER_KEY="$(cat "$STATE/litellm.key")" LITELLM_LOCAL_MODEL_COST_MAP=True \
        launch litellm "$LITELLM_PORT" "$CACHE/venv-litellm/bin/litellm" --config "$STATE/litellm.yaml" \
        --host 127.0.0.1 --port "$LITELLM_PORT"
    if ! wait_ready llama "$LLAMA_BASE/models" || ! wait_ready litellm "http://127.0.0.1:$LITELLM_PORT/health/liveliness"; then
        stop; exit 1
    fi
    printf 'SMOL_LLAMA_BASE=%s\nSMOL_LITELLM_BASE=%s\nSMOL_LITELLM_KEY=%s\n' \
        "$LLAMA_BASE" "$LITELLM_BASE" "$(cat "$STATE/litellm.key")" >"$STATE/servers.env"
    log "wrote $STATE/servers.env"
}

stop() {
    local name pid
    for name in litellm llama; do
        pid=$(pid_of "$name")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid"
            for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
            kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
            log "stopped $name (pid $pid)"
        fi
        rm -f "$STATE/$name.pid"
    done
    rm -f "$STATE/servers.env"
}

status() {
    local name rc=0
    for name in llama litellm; do
        if running "$name"; then log "$name running (pid $(pid_of "$name"))"; else log "$name not running"; rc=1; fi
    done
    [ -f "$STATE/servers.env" ] && cat "$STATE/servers.env"
    return $rc
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: servers.sh start|stop|status" >&2; exit 2 ;;
esac
