#!/usr/bin/env python3
"""Encode throughput of Hugging Face `tokenizers` on ~1 MB of mixed text, and the data for the Swift side.

    ~/.cache/swift-smolagents/venv-tok/bin/python scripts/bench/tokenizer_bench.py [OUT_DIR]
    SMOL_TOKENIZER_BENCH=OUT_DIR swift test -c release --filter TokenizerBenchmark

Writes OUT_DIR (default /tmp/smol-tokenizer-bench): text.txt, and per tokenizer a folder with tokenizer.json
and ids.json (the ids `tokenizers` produced, which the Swift benchmark checks before timing itself). The
tokenizers are the real SmolLM2 vocabulary (rebuilt from the GGUF, SmolLM2's hub pre-tokenizer) and the
committed qwen2 fixture.
"""
import json
import os
import random
import shutil
import sys
import time

import gguf
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "fixtures"))
from make_tokenizer_vectors import TRAINING_TEXT, corpus  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/smol-tokenizer-bench"
MODELS = os.environ.get("SMOL_TEST_MODELS_DIR", os.path.expanduser("~/.cache/swift-smolagents/models"))


def mixed_text(target=1_000_000):
    rng = random.Random(0)
    pieces = corpus() + TRAINING_TEXT.split("\n")
    words = " ".join(pieces).split()
    out, size = [], 0
    while size < target:
        if rng.random() < 0.3:
            s = rng.choice(pieces)
        else:  # new word orders, so the text is not one paragraph repeated
            s = " ".join(rng.choice(words) for _ in range(rng.randint(5, 30))) + rng.choice([". ", "\n", ", ", "\n\n"])
        out.append(s)
        size += len(s.encode())
    return "".join(out)


def smollm2():
    reader = gguf.GGUFReader(os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf"))
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    types = reader.fields["tokenizer.ggml.token_type"].contents()
    merges = reader.fields["tokenizer.ggml.merges"].contents()
    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=[tuple(m.split(" ", 1)) for m in merges]))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t, ty in zip(tokens, types) if ty == 3])
    return tok


def main():
    os.makedirs(OUT, exist_ok=True)
    text = mixed_text()
    with open(os.path.join(OUT, "text.txt"), "w", encoding="utf-8") as f:
        f.write(text)
    megabytes = len(text.encode()) / 1e6
    tokenizers = {"smollm2": smollm2(),
                  "qwen2": Tokenizer.from_file(os.path.join(ROOT, "Tests/SmolLocalTests/Fixtures/Tokenizer/qwen2/tokenizer.json"))}
    for name, tok in tokenizers.items():
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        tok.save(os.path.join(folder, "tokenizer.json"))
        tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        ids = tok.encode(text, add_special_tokens=False).ids  # warm-up (fills the word cache)
        times = []
        for _ in range(3):
            fresh = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
            start = time.perf_counter()
            fresh.encode(text, add_special_tokens=False)
            times.append(time.perf_counter() - start)
        with open(os.path.join(folder, "ids.json"), "w") as f:
            json.dump(ids, f)
        best = min(times)
        print(f"tokenizers {name}: {megabytes:.2f} MB, {len(ids)} ids, one encode() call, best of 3 (cold cache) "
              f"{best * 1000:.0f} ms = {megabytes / best:.2f} MB/s")
        lines = text.splitlines(keepends=True)
        fresh = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        start = time.perf_counter()
        for line in lines:
            fresh.encode(line, add_special_tokens=False)
        elapsed = time.perf_counter() - start
        print(f"tokenizers {name}: {len(lines)} encode() calls, one per line, cold cache: {elapsed * 1000:.0f} ms = "
              f"{megabytes / elapsed:.2f} MB/s")


if __name__ == "__main__":
    main()
