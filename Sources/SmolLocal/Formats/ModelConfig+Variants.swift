#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ModelConfig {
    /// The gate activation of a gated MLP.
    public enum Activation: String, Sendable, Equatable {
        /// SiLU (SwiGLU): Llama, Qwen, Mistral, Phi-3, SmolLM.
        case silu
        /// GELU with the tanh approximation (GeGLU, transformers' `gelu_pytorch_tanh`): Gemma.
        case geluTanh
    }

    /// Which earlier positions a layer's attention sees.
    public enum LayerAttention: String, Sendable, Equatable {
        /// Every earlier position (causal).
        case full
        /// The last ``ModelConfig/slidingWindow`` positions, itself included.
        case sliding
    }

    /// Phi-3's LongRoPE: per-pair divisors of the RoPE frequencies for short and long contexts, and a
    /// factor on the rotated queries and keys.
    public struct LongRopeScaling: Sendable, Equatable {
        /// Divisors used while the context fits `originalMaxPositions`.
        public var shortFactors: [Double]
        /// Divisors used for longer contexts.
        public var longFactors: [Double]
        /// `original_max_position_embeddings`.
        public var originalMaxPositions: Int
        /// The factor cos and sin are multiplied by (transformers' `attention_factor`).
        public var attentionFactor: Double

        /// Creates LongRoPE parameters.
        public init(shortFactors: [Double], longFactors: [Double], originalMaxPositions: Int, attentionFactor: Double) {
            self.shortFactors = shortFactors
            self.longFactors = longFactors
            self.originalMaxPositions = originalMaxPositions
            self.attentionFactor = attentionFactor
        }
    }

    /// A sparse mixture-of-experts MLP (Qwen3-MoE): a router picks `topK` of `count` experts per token.
    public struct MixtureOfExperts: Sendable, Equatable {
        /// Experts per MoE layer (`num_experts`).
        public var count: Int
        /// Experts each token uses (`num_experts_per_tok`).
        public var topK: Int
        /// Width of one expert's MLP (`moe_intermediate_size`).
        public var intermediateSize: Int
        /// Whether the selected experts' weights are renormalized to sum to 1 (`norm_topk_prob`).
        public var normalizeTopK: Bool
        /// Layers with a dense MLP instead (`mlp_only_layers`, `decoder_sparse_step`).
        public var denseLayers: Set<Int>

        /// Creates mixture-of-experts parameters.
        public init(count: Int, topK: Int, intermediateSize: Int, normalizeTopK: Bool, denseLayers: Set<Int> = []) {
            self.count = count
            self.topK = topK
            self.intermediateSize = intermediateSize
            self.normalizeTopK = normalizeTopK
            self.denseLayers = denseLayers
        }
    }

    /// The attention span of layer `layer`.
    public func attention(ofLayer layer: Int) -> LayerAttention {
        if layerAttention.indices.contains(layer) { return layerAttention[layer] }
        return .full
    }

    /// The number of dimensions RoPE rotates in each head.
    public var ropeDimensions: Int { rotaryDimensions ?? headDim }

    /// Whether layer `layer` has a mixture-of-experts MLP.
    public func hasExperts(layer: Int) -> Bool {
        guard let experts else { return false }
        return !experts.denseLayers.contains(layer)
    }

    /// The per-pair inverse frequencies (``ropeDimensions`` / 2 values) of the global layers for a cache of
    /// `contextLength` tokens: Llama 3, linear or LongRoPE scaling applied. LongRoPE takes its long factors
    /// only when the context exceeds the original one (llama.cpp's choice; transformers switches when the
    /// sequence itself grows past it).
    public func ropeInverseFrequencies(contextLength: Int) -> [Float] {
        var out = ropeInverseFrequencies()
        if let factor = linearRopeFactor, factor != 1 {
            for i in out.indices { out[i] = Float(Double(out[i]) / factor) }
        }
        if let long = longRope {
            let factors = contextLength > long.originalMaxPositions ? long.longFactors : long.shortFactors
            // transformers: 1 / (ext_factors * base ** (arange(0, dim, 2) / dim)), all in float32.
            for i in out.indices where i < factors.count {
                let exponent = Float(2 * i) / Float(ropeDimensions)
                let power = Float(pow(Double(ropeTheta), Double(exponent)))
                out[i] = 1 / (Float(factors[i]) * power)
            }
        }
        return out
    }

    /// The inverse frequencies of sliding-window layers with their own base (Gemma 3), never scaled; nil
    /// when they share the global ones.
    public func localRopeInverseFrequencies() -> [Float]? {
        guard let base = localRopeTheta else { return nil }
        var local = self
        local.ropeTheta = base
        local.ropeScaling = nil
        return local.ropeInverseFrequencies()
    }

    /// The factor on attention scores from the rotary embedding (LongRoPE's `attention_factor`, squared
    /// because it multiplies both the queries and the keys).
    var ropeScoreFactor: Double {
        guard let long = longRope else { return 1 }
        return long.attentionFactor * long.attentionFactor
    }

    /// Checks the family-specific values (called by ``validate(path:)``).
    func validateVariants(path: String) throws(ModelFileError) {
        func check(_ ok: Bool, _ key: String, _ reason: String) throws(ModelFileError) {
            if !ok { throw .badConfig(path: path, key: key, reason: reason) }
        }
        if !layerAttention.isEmpty {
            try check(layerAttention.count == layerCount, "layer_types",
                      "lists \(layerAttention.count) layers, but num_hidden_layers is \(layerCount)")
        }
        if layerAttention.contains(.sliding) {
            try check((slidingWindow ?? 0) > 0, "sliding_window", "must be positive when layers use it, got \(slidingWindow.map(String.init) ?? "none")")
        }
        if let r = rotaryDimensions {
            try check(r > 0 && r % 2 == 0 && r <= headDim, "partial_rotary_factor",
                      "rotates \(r) of \(headDim) head dimensions; must be even and at most head_dim")
        }
        if let f = linearRopeFactor { try check(f > 0 && f.isFinite, "rope_scaling.factor", "must be positive, got \(f)") }
        if let s = attentionScale { try check(s > 0 && s.isFinite, "query_pre_attn_scalar", "gives a non-positive scale \(s)") }
        if let c = attentionSoftcap { try check(c > 0 && c.isFinite, "attn_logit_softcapping", "must be positive, got \(c)") }
        if let c = finalLogitSoftcap { try check(c > 0 && c.isFinite, "final_logit_softcapping", "must be positive, got \(c)") }
        if let t = localRopeTheta { try check(t > 1 && t.isFinite, "rope_local_base_freq", "out of range: \(t)") }
        if let long = longRope {
            let half = ropeDimensions / 2
            try check(long.shortFactors.count == half && long.longFactors.count == half, "rope_scaling",
                      "longrope needs \(half) short and long factors (head_dim / 2), got \(long.shortFactors.count) and \(long.longFactors.count)")
            try check((long.shortFactors + long.longFactors).allSatisfy { $0 > 0 && $0.isFinite }, "rope_scaling",
                      "longrope factors must be positive")
            try check(long.originalMaxPositions > 0, "original_max_position_embeddings", "must be positive")
        }
        for layer in noRopeLayers {
            try check((0..<layerCount).contains(layer), "no_rope_layers", "layer \(layer) is not in 0..<\(layerCount)")
        }
        if let e = experts {
            try check(e.count > 0 && e.count <= 1024, "num_experts", "out of range: \(e.count)")
            try check(e.topK > 0 && e.topK <= e.count, "num_experts_per_tok", "\(e.topK) must be in 1...num_experts (\(e.count))")
            try check(e.intermediateSize > 0 && e.intermediateSize <= 1 << 22, "moe_intermediate_size", "out of range: \(e.intermediateSize)")
        }
    }
}
