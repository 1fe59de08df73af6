#!/usr/bin/env python3
"""mlx-lm side of scripts/bench/mlx-engine.sh: `mlx_lm_bench.py MLX_DIR [RUNS] [NEW] [DTYPE]`.

Same protocol as smol-local-bench: a fixed 32-token pseudo-random prompt, then NEW (default 128) greedy
tokens with EOS masked, best of RUNS after a short warm-up; mlx's CPU backend with a KV cache, the model in
its stored dtype (`native`, bf16 here) or cast to `float32` (scales and biases too, which is exact).
mlx picks its own thread count.
"""
import sys, time
import numpy as np
import mlx.core as mx
from mlx_lm.utils import load
from mlx_lm.models.cache import make_prompt_cache

path = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
new = int(sys.argv[3]) if len(sys.argv) > 3 else 128
dtype = sys.argv[4] if len(sys.argv) > 4 else "native"
model, tokenizer = load(path)
if dtype == "float32":
    model.set_dtype(mx.float32)
rng = np.random.default_rng(42)
prompt = [int(x) for x in rng.integers(0, 20000, 32)]
eos = list(tokenizer.eos_token_ids)
best_p = best_d = 0
for run in range(runs + 1):
    cache = make_prompt_cache(model)
    t0 = time.perf_counter()
    logits = model(mx.array([prompt]), cache=cache)[0, -1]
    mx.eval(logits)
    t1 = time.perf_counter()
    for _ in range(new if run > 0 else 2):
        logits[eos] = -float("inf")
        nxt = mx.argmax(logits)
        logits = model(nxt.reshape(1, 1), cache=cache)[0, -1]
        mx.eval(logits)
    t2 = time.perf_counter()
    p, d = 32 / (t1 - t0), (new if run > 0 else 2) / (t2 - t1)
    if run > 0:
        best_p, best_d = max(best_p, p), max(best_d, d)
        print(f"run {run}: prefill {p:.1f} tok/s, decode {d:.1f} tok/s")
print(f"RESULT engine=mlx-lm dtype={dtype} prefill_tok_s={best_p:.1f} decode_tok_s={best_d:.1f}")
