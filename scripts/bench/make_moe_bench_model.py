#!/usr/bin/env python3
"""A random-weight Qwen3-MoE GGUF big enough to measure MoE speed (not quality): scripts/bench/local-engine.sh's
MoE row.

Usage (venv ~/.cache/swift-smolagents/venv-torch: torch + transformers 5):
  make_moe_bench_model.py LLAMA_CPP_DIR TOKENIZER_DIR OUT.f16.gguf

Shape: hidden 1024, 16 layers, 16 query heads / 4 KV heads of 64, 32 experts (top-4, normalised), expert FFN
512, every layer sparse, untied LM head; ~0.95 B parameters, ~0.19 B active per token. The vocabulary is
TOKENIZER_DIR's tokenizer.json (SmolLM2's, 49,152 tokens, a pre-tokenizer llama.cpp's converter recognises);
the embedding is sized to it and random anyway. Weights: transformers' own initialisation (normal, std 0.02),
torch.manual_seed(0), saved in bf16, converted by llama.cpp's convert_hf_to_gguf.py (from LLAMA_CPP_DIR, the
llama-cpp-python 0.3.36 sdist's vendor/llama.cpp, with its own gguf-py) to F16. Quantize the result with
llama-quantize. Idempotent: does nothing when OUT exists.
"""
import os
import runpy
import shutil
import subprocess
import sys
import tempfile

llama_dir, tok_dir, out = sys.argv[1:4]
if os.path.exists(out):
    print(out)
    sys.exit(0)

import json  # noqa: E402
import torch  # noqa: E402
from transformers import AutoModelForCausalLM, Qwen3MoeConfig  # noqa: E402

with open(os.path.join(tok_dir, "tokenizer.json")) as f:
    tj = json.load(f)
vocab = max([*tj["model"]["vocab"].values(), *(t["id"] for t in tj.get("added_tokens", []))]) + 1
cfg = Qwen3MoeConfig(
    vocab_size=vocab, hidden_size=1024, intermediate_size=2048, num_hidden_layers=16,
    num_attention_heads=16, num_key_value_heads=4, head_dim=64, rms_norm_eps=1e-6,
    num_experts=32, num_experts_per_tok=4, norm_topk_prob=True, moe_intermediate_size=512,
    decoder_sparse_step=1, mlp_only_layers=[], tie_word_embeddings=False, max_position_embeddings=4096,
    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, attention_bias=False,
    use_sliding_window=False, bos_token_id=None, eos_token_id=2, pad_token_id=2)
cfg.architectures = ["Qwen3MoeForCausalLM"]
torch.manual_seed(0)
model = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)
params = sum(p.numel() for p in model.parameters())
print(f"qwen3moe bench model: {params / 1e9:.2f} B parameters, vocab {vocab}", file=sys.stderr)

with tempfile.TemporaryDirectory() as hf:
    model.save_pretrained(hf)
    del model
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tok_dir, name), hf)
    tmp_out = out + ".tmp"
    # The converter imports its `conversion` package and gguf-py from LLAMA_CPP_DIR: run it in a child process.
    code = ("import runpy, sys; d = sys.argv.pop(1); sys.path[0:0] = [d, d + '/gguf-py']; "
            "sys.argv[0] = d + '/convert_hf_to_gguf.py'; runpy.run_path(sys.argv[0], run_name='__main__')")
    subprocess.run([sys.executable, "-c", code, llama_dir, hf, "--outfile", tmp_out, "--outtype", "f16"],
                   check=True, stdout=sys.stderr)
    os.replace(tmp_out, out)
print(out)
