#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ModelConfig {
    /// Builds a configuration from GGUF metadata (`general.architecture` and the `<arch>.*` keys).
    ///
    /// llama GGUFs store q/k rows permuted for interleaved RoPE, so their layout is ``RopeLayout/interleaved``;
    /// qwen2 GGUFs keep the rotate-half order. Tying is decided by the absence of `output.weight`.
    /// What llama.cpp hard-codes per family rather than storing (Gemma 3's local RoPE base and layer
    /// pattern, SmolLM3's RoPE-less layers, Gemma's attention scale) is applied the same way here.
    public init(gguf: GGUFFile) throws(ModelFileError) {
        let m = gguf.metadata
        let path = gguf.file.path
        guard let archName = m.string("general.architecture") else {
            throw .badConfig(path: path, key: "general.architecture", reason: "missing")
        }
        let architecture: Architecture
        let layout: RopeLayout
        switch archName {
        case "llama": architecture = .llama; layout = .interleaved
        case "qwen2": architecture = .qwen2; layout = .rotateHalf
        case "qwen3": architecture = .qwen3; layout = .rotateHalf
        case "qwen3moe": architecture = .qwen3moe; layout = .rotateHalf
        case "gemma2": architecture = .gemma2; layout = .rotateHalf
        case "gemma3": architecture = .gemma3; layout = .rotateHalf
        case "phi3": architecture = .phi3; layout = .rotateHalf
        // llama.cpp's converter permutes SmolLM3's q/k rows as it does Llama's.
        case "smollm3": architecture = .smollm3; layout = .interleaved
        default:
            throw .badConfig(path: path, key: "general.architecture", reason: "unsupported architecture '\(archName)'")
        }
        func int(_ key: String) throws(ModelFileError) -> Int {
            guard let v = m[archName + "." + key] else { throw .badConfig(path: path, key: archName + "." + key, reason: "missing") }
            guard let i = v.intValue else { throw .badConfig(path: path, key: archName + "." + key, reason: "not an integer") }
            return i
        }
        let hidden = try int("embedding_length")
        let heads = try int("attention.head_count")
        guard heads > 0 else { throw .badConfig(path: path, key: archName + ".attention.head_count", reason: "must be positive") }
        let headDim = m.int(archName + ".attention.key_length") ?? (m.int(archName + ".rope.dimension_count") ?? hidden / heads)
        guard let embedding = gguf.tensor(named: "token_embd.weight"), embedding.shape.count == 2 else {
            throw .missing(path: path, what: "tensor 'token_embd.weight'")
        }
        let vocab = m.int(archName + ".vocab_size") ?? embedding.shape[0]
        var eos: [Int] = []
        if let e = m.int("tokenizer.ggml.eos_token_id") { eos.append(e) }
        if let e = m.int("tokenizer.ggml.eot_token_id"), !eos.contains(e) { eos.append(e) }
        self.init(architecture: architecture,
                  hiddenSize: hidden,
                  intermediateSize: try int("feed_forward_length"),
                  layerCount: try int("block_count"),
                  headCount: heads,
                  kvHeadCount: m.int(archName + ".attention.head_count_kv") ?? heads,
                  headDim: headDim,
                  vocabSize: vocab,
                  rmsNormEpsilon: m.double(archName + ".attention.layer_norm_rms_epsilon") ?? 1e-5,
                  ropeTheta: m.double(archName + ".rope.freq_base") ?? 10000,
                  ropeScaling: nil,
                  ropeLayout: layout,
                  tieWordEmbeddings: gguf.tensor(named: "output.weight") == nil,
                  attentionBias: gguf.tensor(named: "blk.0.attn_q.bias") != nil,
                  bosTokenID: m.int("tokenizer.ggml.bos_token_id"),
                  eosTokenIDs: eos,
                  maxPositions: m.int(archName + ".context_length") ?? 2048)
        try applyFamily(gguf: gguf, prefix: archName + ".")
        try validate(path: path)
    }
}

extension ModelConfig {
    /// Sets what the family of a GGUF file changes from Llama (called by ``init(gguf:)``).
    mutating func applyFamily(gguf: GGUFFile, prefix: String) throws(ModelFileError) {
        let m = gguf.metadata, path = gguf.file.path
        func require(_ key: String) throws(ModelFileError) -> Int {
            guard let v = m.int(prefix + key) else { throw .badConfig(path: path, key: prefix + key, reason: "missing or not an integer") }
            return v
        }
        let scalingType = m.string(prefix + "rope.scaling.type") ?? "none"
        let scalingFactor = m.double(prefix + "rope.scaling.factor") ?? 1
        switch scalingType {
        case "none": break
        case "linear": if scalingFactor != 1 { linearRopeFactor = scalingFactor }
        default:
            // Phi-3's LongRoPE is stored as factor tensors, read below; other kinds are not implemented.
            if !(architecture == .phi3 && scalingType == "longrope") {
                throw .badConfig(path: path, key: prefix + "rope.scaling.type", reason: "unsupported RoPE scaling '\(scalingType)'")
            }
        }
        if let rotary = m.int(prefix + "rope.dimension_count"), rotary != headDim { rotaryDimensions = rotary }
        let window = m.int(prefix + "attention.sliding_window")
        switch architecture {
        case .qwen3, .qwen3moe:
            qkNorm = gguf.tensor(named: "blk.0.attn_q_norm.weight") != nil
        case .gemma2, .gemma3:
            activation = .geluTanh
            embeddingScale = Float(Double(hiddenSize).squareRoot())
            sandwichNorms = true
            qkNorm = architecture == .gemma3
            // llama.cpp's choice, since the file does not keep query_pre_attn_scalar: hidden / heads for the
            // 27B models (whose scalar is that), the head width otherwise.
            let is27B = (architecture == .gemma2 && layerCount == 46) || (architecture == .gemma3 && layerCount == 62)
            attentionScale = 1 / Double(is27B ? hiddenSize / headCount : headDim).squareRoot()
            if let scale = m.double(prefix + "attention.scale"), scale > 0 { attentionScale = scale }
            attentionSoftcap = m.double(prefix + "attn_logit_softcapping")
            finalLogitSoftcap = m.double(prefix + "final_logit_softcapping")
            if let window {
                slidingWindow = window
                if architecture == .gemma2 {
                    layerAttention = (0..<layerCount).map { $0 % 2 == 0 ? .sliding : .full }
                } else {
                    let pattern = m.int(prefix + "attention.sliding_window_pattern") ?? 6
                    layerAttention = (0..<layerCount).map { pattern > 0 && ($0 + 1) % pattern != 0 ? .sliding : .full }
                }
            }
            if architecture == .gemma3 { localRopeTheta = m.double(prefix + "rope.freq_base_swa") ?? 10000 }
        case .phi3:
            if let window, window > 0, window < maxPositions {
                slidingWindow = window
                layerAttention = Array(repeating: .sliding, count: layerCount)
            }
            if let long = gguf.tensor(named: "rope_factors_long.weight"), let short = gguf.tensor(named: "rope_factors_short.weight") {
                let half = ropeDimensions / 2
                let original = m.int(prefix + "rope.scaling.original_context_length") ?? maxPositions
                let factor = Double(maxPositions) / Double(original)
                let computed = factor <= 1 ? 1 : (1 + log(factor) / log(Double(original))).squareRoot()
                longRope = LongRopeScaling(shortFactors: try loadVector(short, count: half).map(Double.init),
                                           longFactors: try loadVector(long, count: half).map(Double.init),
                                           originalMaxPositions: original,
                                           attentionFactor: m.double(prefix + "rope.scaling.attn_factor") ?? computed)
            }
        case .smollm3:
            // llama.cpp: every 4th layer skips RoPE (n_no_rope_layer_step, not stored in the file).
            let step = m.int(prefix + "no_rope_layer_step") ?? 4
            noRopeLayers = Set((0..<layerCount).filter { step > 0 && ($0 + 1) % step == 0 })
        case .mistral, .llama, .qwen2:
            if let window, window > 0, window < maxPositions, architecture == .mistral {
                slidingWindow = window
                layerAttention = Array(repeating: .sliding, count: layerCount)
            }
        }
        if architecture == .qwen3moe {
            let count = try require("expert_count")
            experts = MixtureOfExperts(count: count, topK: try require("expert_used_count"),
                                       intermediateSize: try require("expert_feed_forward_length"),
                                       normalizeTopK: m.bool(prefix + "expert_weights_norm") ?? true,
                                       denseLayers: Set((0..<layerCount).filter { gguf.tensor(named: "blk.\($0).ffn_gate_inp.weight") == nil }))
        }
    }
}
