/// Tensor names of the two checkpoint layouts (GGUF as llama.cpp's converter writes it, and Hugging Face's),
/// per family where a family names a tensor differently.
struct TensorNames {
    var embedding, finalNorm, lmHead: String
    var prefix: String
    var attentionNorm, q, k, v, o, qBias, kBias, vBias, mlpNorm, gate, up, down: String
    /// Per-head query and key norms (Qwen3, Gemma 3).
    var qNorm, kNorm: String
    /// Gemma's norm after attention / after the MLP (before the residual adds).
    var postAttentionNorm, postMLPNorm: String
    /// Phi-3's fused projections: rows q, k, v in one matrix, and gate then up in another.
    var fusedQKV, fusedGateUp: String
    /// The MoE router (`[experts, hidden]`).
    var router: String
    /// Stacked expert tensors (`[experts, rows, columns]`): GGUF, and transformers 5's fused layout.
    var stackedGate, stackedUp, stackedDown, stackedGateUp: String?
    /// One expert's matrix (`mlp.experts.E.gate_proj.weight`), for checkpoints that store them one by one.
    var expert: ((Int, String) -> String)?
    var expertGate, expertUp, expertDown: String

    func layer(_ i: Int, _ name: String) -> String { prefix + String(i) + "." + name }

    static func gguf(_ architecture: ModelConfig.Architecture) -> TensorNames {
        var names = TensorNames(
            embedding: "token_embd.weight", finalNorm: "output_norm.weight", lmHead: "output.weight",
            prefix: "blk.",
            attentionNorm: "attn_norm.weight", q: "attn_q.weight", k: "attn_k.weight", v: "attn_v.weight",
            o: "attn_output.weight", qBias: "attn_q.bias", kBias: "attn_k.bias", vBias: "attn_v.bias",
            mlpNorm: "ffn_norm.weight", gate: "ffn_gate.weight", up: "ffn_up.weight", down: "ffn_down.weight",
            qNorm: "attn_q_norm.weight", kNorm: "attn_k_norm.weight",
            postAttentionNorm: "post_attention_norm.weight", postMLPNorm: "post_ffw_norm.weight",
            fusedQKV: "attn_qkv.weight", fusedGateUp: "ffn_up.weight",
            router: "ffn_gate_inp.weight",
            stackedGate: "ffn_gate_exps.weight", stackedUp: "ffn_up_exps.weight", stackedDown: "ffn_down_exps.weight",
            stackedGateUp: nil, expert: nil, expertGate: "", expertUp: "", expertDown: "")
        if architecture == .phi3 { names.gate = "" }
        return names
    }

    static func huggingFace(_ architecture: ModelConfig.Architecture) -> TensorNames {
        var names = TensorNames(
            embedding: "model.embed_tokens.weight", finalNorm: "model.norm.weight", lmHead: "lm_head.weight",
            prefix: "model.layers.",
            attentionNorm: "input_layernorm.weight", q: "self_attn.q_proj.weight", k: "self_attn.k_proj.weight",
            v: "self_attn.v_proj.weight", o: "self_attn.o_proj.weight", qBias: "self_attn.q_proj.bias",
            kBias: "self_attn.k_proj.bias", vBias: "self_attn.v_proj.bias", mlpNorm: "post_attention_layernorm.weight",
            gate: "mlp.gate_proj.weight", up: "mlp.up_proj.weight", down: "mlp.down_proj.weight",
            qNorm: "self_attn.q_norm.weight", kNorm: "self_attn.k_norm.weight",
            postAttentionNorm: "", postMLPNorm: "",
            fusedQKV: "self_attn.qkv_proj.weight", fusedGateUp: "mlp.gate_up_proj.weight",
            router: "mlp.gate.weight",
            stackedGate: nil, stackedUp: nil, stackedDown: "mlp.experts.down_proj", stackedGateUp: "mlp.experts.gate_up_proj",
            expert: { e, name in "mlp.experts.\(e).\(name)" },
            expertGate: "gate_proj.weight", expertUp: "up_proj.weight", expertDown: "down_proj.weight")
        if architecture == .gemma2 || architecture == .gemma3 {
            // Gemma's `post_attention_layernorm` follows attention; its MLP norm is `pre_feedforward_layernorm`.
            names.postAttentionNorm = "post_attention_layernorm.weight"
            names.mlpNorm = "pre_feedforward_layernorm.weight"
            names.postMLPNorm = "post_feedforward_layernorm.weight"
        }
        return names
    }
}
