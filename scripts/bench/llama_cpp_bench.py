#!/usr/bin/env python3
"""llama-cpp-python side of scripts/bench/mlx-engine.sh: `llama_cpp_bench.py MODEL.gguf THREADS [RUNS]`.

Same protocol as smol-local-bench: a fixed 32-token pseudo-random prompt, then 128 greedy tokens with EOS
masked, best of RUNS after one warm-up; Llama(n_threads=THREADS, n_ctx=512) from llama-cpp-python.
"""
import sys, time
import numpy as np
from llama_cpp import Llama
model, threads = sys.argv[1], int(sys.argv[2])
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
llm = Llama(model_path=model, n_threads=threads, n_ctx=512, verbose=False)
rng = np.random.default_rng(42)
prompt = [int(x) for x in rng.integers(0, 20000, 32)]
eos = llm.token_eos()
best_p = best_d = 0
for run in range(runs + 1):
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(prompt)
    t1 = time.perf_counter()
    for _ in range(128):
        logits = np.array(llm.scores[llm.n_tokens - 1], copy=True)
        logits[eos] = -np.inf
        llm.eval([int(np.argmax(logits))])
    t2 = time.perf_counter()
    p, d = 32 / (t1 - t0), 128 / (t2 - t1)
    if run > 0:
        best_p, best_d = max(best_p, p), max(best_d, d)
        print(f"run {run}: prefill {p:.1f} tok/s, decode {d:.1f} tok/s")
print(f"RESULT engine=llama.cpp threads={threads} prefill_tok_s={best_p:.1f} decode_tok_s={best_d:.1f}")
