#!/usr/bin/env python3
"""The real SmolLM2-135M-Instruct as an mlx-community style 4-bit checkpoint, with mlx-lm's greedy answer.

    make_mlx_smollm2.py GGUF OUT_DIR

Runs in the `mlx` venv of scripts/oracles/setup.sh (mlx[cpu], mlx-lm, gguf; no torch):
1. GGUF -> HF folder (f32), torch-free: tensors dequantized with gguf-py, llama.cpp's q/k row permutation
   undone, GGUF dims reversed; tokenizer.json (byte-level BPE) and tokenizer_config.json (chat template,
   special tokens) from the GGUF vocabulary; a hub-style config.json (top-level rope_theta, which mlx-lm
   0.32.2 needs).
2. `mlx_lm.convert(quantize=True, q_bits=4, q_group_size=64, dtype="bfloat16")` -> OUT_DIR (BF16 scales).
3. `mlx_lm.stream_generate` (greedy, max_tokens 64) on the capital-of-France chat, as smolagents' MLXModel
   drives it, in the stored dtype (bf16 activations), and again with the model cast to f32 (exact for the
   scales); written to OUT_DIR/mlx-reference.json.
"""
import json, os, shutil, sys, tempfile

import numpy as np
import gguf
from safetensors.numpy import save_file

GGUF_PATH, OUT = sys.argv[1], sys.argv[2]
MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]

NAMES = {"attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
         "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
         "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}


def field(reader, key):
    f = reader.fields[key]
    if f.types[0] == gguf.GGUFValueType.ARRAY:
        if f.types[-1] == gguf.GGUFValueType.STRING:
            return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        return [f.parts[i].tolist()[0] for i in f.data]
    if f.types[0] == gguf.GGUFValueType.STRING:
        return bytes(f.parts[f.data[0]]).decode("utf-8")
    return f.parts[f.data[0]].tolist()[0]


def unpermute(w, heads):
    # Inverse of llama.cpp's convert permute: rows of each head were interleaved for its RoPE layout.
    return w.reshape(heads, w.shape[0] // heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def hf_folder(dst):
    r = gguf.GGUFReader(GGUF_PATH)
    heads, kv = field(r, "llama.attention.head_count"), field(r, "llama.attention.head_count_kv")
    tensors = {}
    for t in r.tensors:
        w = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        w = w.reshape([int(d) for d in reversed(t.shape)])
        name = t.name
        if name == "token_embd.weight":
            key = "model.embed_tokens.weight"
        elif name == "output_norm.weight":
            key = "model.norm.weight"
        elif name == "output.weight":
            key = "lm_head.weight"
        else:
            _, layer, kind, _ = name.split(".")
            key = f"model.layers.{layer}.{NAMES[kind]}.weight"
            if kind == "attn_q":
                w = unpermute(w, heads)
            elif kind == "attn_k":
                w = unpermute(w, kv)
        tensors[key] = np.ascontiguousarray(w)
    save_file(tensors, os.path.join(dst, "model.safetensors"), metadata={"format": "pt"})
    vocab = field(r, "tokenizer.ggml.tokens")
    types = field(r, "tokenizer.ggml.token_type")
    merges = field(r, "tokenizer.ggml.merges")
    ids = {k: field(r, f"tokenizer.ggml.{k}_token_id") for k in ("bos", "eos", "unknown", "padding")
           if f"tokenizer.ggml.{k}_token_id" in r.fields}
    special = [i for i, t in enumerate(types) if t == 3]  # CONTROL
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": vocab[i], "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i in special],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {tok: i for i, tok in enumerate(vocab)}, "merges": [m.split(" ") for m in merges]},
    }
    json.dump(tokenizer, open(os.path.join(dst, "tokenizer.json"), "w"), ensure_ascii=False)
    tok_cfg = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": field(r, "llama.context_length"),
               "chat_template": field(r, "tokenizer.chat_template"), "add_bos_token": False, "add_eos_token": False,
               "clean_up_tokenization_spaces": False}
    for k, name in (("bos", "bos_token"), ("eos", "eos_token"), ("unknown", "unk_token"), ("padding", "pad_token")):
        if k in ids:
            tok_cfg[name] = vocab[ids[k]]
    json.dump(tok_cfg, open(os.path.join(dst, "tokenizer_config.json"), "w"), indent=1, ensure_ascii=False)
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": field(r, "llama.embedding_length"), "intermediate_size": field(r, "llama.feed_forward_length"),
        "num_hidden_layers": field(r, "llama.block_count"), "num_attention_heads": heads, "num_key_value_heads": kv,
        "rms_norm_eps": field(r, "llama.attention.layer_norm_rms_epsilon"),
        "rope_theta": field(r, "llama.rope.freq_base"), "vocab_size": len(vocab),
        "max_position_embeddings": field(r, "llama.context_length"),
        "tie_word_embeddings": "lm_head.weight" not in tensors, "hidden_act": "silu",
        "bos_token_id": ids.get("bos"), "eos_token_id": ids.get("eos"), "pad_token_id": ids.get("padding"),
        "torch_dtype": "float32",
    }
    json.dump(config, open(os.path.join(dst, "config.json"), "w"), indent=1)


def greedy(model, tokenizer, prompt_ids):
    from mlx_lm import stream_generate
    text, tokens = "", []
    for response in stream_generate(model, tokenizer, prompt=prompt_ids, max_tokens=64):
        text += response.text
        tokens.append(int(response.token))
    return text, tokens


def main():
    import mlx.core as mx
    from mlx_lm import convert
    from mlx_lm.utils import load
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "hf")
        os.makedirs(src)
        hf_folder(src)
        part = OUT + ".part"
        shutil.rmtree(part, ignore_errors=True)
        convert(src, mlx_path=part, quantize=True, q_bits=4, q_group_size=64, dtype="bfloat16")
    model, tokenizer = load(part)
    prompt_ids = tokenizer.apply_chat_template(MESSAGES, add_generation_prompt=True)
    text, tokens = greedy(model, tokenizer, prompt_ids)
    model.set_dtype(mx.float32)
    text32, tokens32 = greedy(model, tokenizer, prompt_ids)
    ref = {"generator": "scripts/oracles/make_mlx_smollm2.py", "mlx": mx.__version__,
           "mlx_lm": __import__("importlib.metadata").metadata.version("mlx-lm"), "messages": MESSAGES,
           "prompt_ids": list(prompt_ids), "max_tokens": 64,
           "text": text, "tokens": tokens, "f32_text": text32, "f32_tokens": tokens32}
    json.dump(ref, open(os.path.join(part, "mlx-reference.json"), "w"), indent=1, ensure_ascii=False)
    shutil.rmtree(OUT, ignore_errors=True)
    os.rename(part, OUT)
    print("bf16:", repr(text), "\nf32: ", repr(text32), file=sys.stderr)


main()
