import SmolCore

/// The shape and hyper-parameters of a decoder of the Llama lineage (Llama, SmolLM 2/3, Qwen 2/3, Qwen3-MoE,
/// Mistral, Gemma 2/3, Phi-3), read from an HF `config.json` or from GGUF metadata.
///
/// The properties after ``maxPositions`` describe how a family departs from Llama; their defaults are
/// Llama's, so a configuration made with the initializer is a Llama one until they are set.
public struct ModelConfig: Sendable, Equatable {
    /// The decoder family.
    public enum Architecture: String, Sendable, Equatable {
        /// Llama, SmolLM and other `LlamaForCausalLM` models.
        case llama
        /// Qwen2 / Qwen2.5 (`Qwen2ForCausalLM`): q/k/v projections carry biases.
        case qwen2
        /// Mistral (`MistralForCausalLM`), with its sliding window when the config sets one.
        case mistral
        /// Qwen3 (`Qwen3ForCausalLM`): RMSNorm on each query and key head, no q/k/v biases.
        case qwen3
        /// Qwen3-MoE (`Qwen3MoeForCausalLM`): Qwen3 attention, sparse mixture-of-experts MLP.
        case qwen3moe
        /// Gemma 2 (`Gemma2ForCausalLM`): GeGLU, sandwich norms, soft-capped attention and logits.
        case gemma2
        /// Gemma 3 text (`Gemma3ForCausalLM`): Gemma 2's layout with QK-norm and interleaved
        /// sliding-window / global layers with their own RoPE bases.
        case gemma3
        /// Phi-3 (`Phi3ForCausalLM`): fused qkv and gate/up projections, optional LongRoPE.
        case phi3
        /// SmolLM3 (`SmolLM3ForCausalLM`): Llama with RoPE skipped on some layers.
        case smollm3
    }

    /// How RoPE pairs the dimensions of a head.
    public enum RopeLayout: String, Sendable, Equatable {
        /// Dimension i is paired with i + headDim/2 (HF "rotate half", ggml NEOX).
        case rotateHalf
        /// Dimension 2i is paired with 2i + 1 (ggml NORMAL; llama GGUFs permute q/k rows for it).
        case interleaved
    }

    /// Llama 3 style frequency-dependent RoPE scaling (`rope_type: "llama3"`).
    public struct Llama3RopeScaling: Sendable, Equatable {
        /// `factor`.
        public var factor: Double
        /// `low_freq_factor`.
        public var lowFrequencyFactor: Double
        /// `high_freq_factor`.
        public var highFrequencyFactor: Double
        /// `original_max_position_embeddings`.
        public var originalMaxPositions: Int

        /// Creates the scaling parameters.
        public init(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalMaxPositions: Int) {
            self.factor = factor
            self.lowFrequencyFactor = lowFrequencyFactor
            self.highFrequencyFactor = highFrequencyFactor
            self.originalMaxPositions = originalMaxPositions
        }
    }

    /// The decoder family.
    public var architecture: Architecture
    /// Model width (`hidden_size`).
    public var hiddenSize: Int
    /// MLP width (`intermediate_size`).
    public var intermediateSize: Int
    /// Number of decoder layers.
    public var layerCount: Int
    /// Number of query heads.
    public var headCount: Int
    /// Number of key/value heads (GQA).
    public var kvHeadCount: Int
    /// Width of one head.
    public var headDim: Int
    /// Vocabulary size (rows of the embedding).
    public var vocabSize: Int
    /// RMSNorm epsilon.
    public var rmsNormEpsilon: Double
    /// RoPE base frequency.
    public var ropeTheta: Double
    /// Optional Llama 3 RoPE scaling.
    public var ropeScaling: Llama3RopeScaling?
    /// RoPE pairing for the stored q/k weights.
    public var ropeLayout: RopeLayout
    /// Whether the LM head reuses the token embedding.
    public var tieWordEmbeddings: Bool
    /// Whether q/k/v projections have biases.
    public var attentionBias: Bool
    /// The beginning-of-sequence token, if any.
    public var bosTokenID: Int?
    /// End-of-sequence tokens (HF allows a list).
    public var eosTokenIDs: [Int]
    /// Maximum positions the model was trained for.
    public var maxPositions: Int

    /// RMSNorm over each query and key head before RoPE (Qwen3, Gemma 3).
    public var qkNorm = false
    /// The MLP's gate activation.
    public var activation = Activation.silu
    /// A factor applied to the token embedding (Gemma: `sqrt(hidden_size)`).
    public var embeddingScale: Float?
    /// Gemma's extra norms: after attention and after the MLP, before each residual add.
    public var sandwichNorms = false
    /// Score scale; nil means `1 / sqrt(headDim)` (Gemma: `query_pre_attn_scalar ** -0.5`).
    public var attentionScale: Double?
    /// `tanh` soft-capping of attention scores (Gemma 2's `attn_logit_softcapping`).
    public var attentionSoftcap: Double?
    /// `tanh` soft-capping of the final logits (Gemma 2's `final_logit_softcapping`).
    public var finalLogitSoftcap: Double?
    /// Each layer's attention span; empty means every layer attends to all earlier positions.
    public var layerAttention: [LayerAttention] = []
    /// Keys a sliding-window layer sees, itself included (`sliding_window`).
    public var slidingWindow: Int?
    /// RoPE base of sliding-window layers when it differs from ``ropeTheta`` (Gemma 3's
    /// `rope_local_base_freq`); their RoPE is never scaled.
    public var localRopeTheta: Double?
    /// Layers that skip RoPE (SmolLM3's `no_rope_layers`).
    public var noRopeLayers: Set<Int> = []
    /// Dimensions of each head that RoPE rotates (`partial_rotary_factor`); nil means all of them.
    public var rotaryDimensions: Int?
    /// Linear RoPE scaling (`rope_type: "linear"`): positions divided by this factor.
    public var linearRopeFactor: Double?
    /// Phi-3's LongRoPE scaling (`rope_type: "longrope"`).
    public var longRope: LongRopeScaling?
    /// The sparse mixture-of-experts MLP, when the model has one.
    public var experts: MixtureOfExperts?

    /// Creates a configuration; ``validate(path:)`` checks consistency.
    public init(architecture: Architecture, hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int,
                kvHeadCount: Int, headDim: Int, vocabSize: Int, rmsNormEpsilon: Double, ropeTheta: Double,
                ropeScaling: Llama3RopeScaling? = nil, ropeLayout: RopeLayout = .rotateHalf, tieWordEmbeddings: Bool,
                attentionBias: Bool, bosTokenID: Int? = nil, eosTokenIDs: [Int] = [], maxPositions: Int) {
        self.architecture = architecture
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        self.vocabSize = vocabSize
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.ropeLayout = ropeLayout
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        self.maxPositions = maxPositions
    }

    /// Throws ``ModelFileError/badConfig(path:key:reason:)`` when a value is out of range or inconsistent.
    public func validate(path: String) throws(ModelFileError) {
        func check(_ ok: Bool, _ key: String, _ reason: String) throws(ModelFileError) {
            if !ok { throw .badConfig(path: path, key: key, reason: reason) }
        }
        let limit = 1 << 20
        try check(hiddenSize > 0 && hiddenSize <= limit, "hidden_size", "must be in 1...\(limit), got \(hiddenSize)")
        try check(intermediateSize > 0 && intermediateSize <= 4 * limit, "intermediate_size", "out of range: \(intermediateSize)")
        try check(layerCount > 0 && layerCount <= 1024, "num_hidden_layers", "out of range: \(layerCount)")
        try check(headCount > 0 && headCount <= 4096, "num_attention_heads", "out of range: \(headCount)")
        try check(kvHeadCount > 0 && headCount % kvHeadCount == 0, "num_key_value_heads",
                  "\(kvHeadCount) must divide num_attention_heads \(headCount)")
        try check(headDim > 0 && headDim % 2 == 0 && headDim <= 1024, "head_dim", "must be even and positive, got \(headDim)")
        try check(vocabSize > 0 && vocabSize <= 1 << 24, "vocab_size", "out of range: \(vocabSize)")
        try check(rmsNormEpsilon > 0 && rmsNormEpsilon < 1, "rms_norm_eps", "out of range: \(rmsNormEpsilon)")
        try check(ropeTheta > 1 && ropeTheta.isFinite, "rope_theta", "out of range: \(ropeTheta)")
        try check(maxPositions > 0, "max_position_embeddings", "must be positive, got \(maxPositions)")
        if let s = ropeScaling {
            try check(s.factor > 0 && s.highFrequencyFactor > s.lowFrequencyFactor && s.lowFrequencyFactor > 0
                      && s.originalMaxPositions > 0, "rope_scaling", "invalid llama3 parameters")
        }
        try validateVariants(path: path)
    }

    /// The per-pair RoPE inverse frequencies (``ropeDimensions`` / 2 values), with Llama 3 scaling applied.
    public func ropeInverseFrequencies() -> [Float] {
        let half = ropeDimensions / 2
        var out = [Float](repeating: 0, count: half)
        for i in 0..<half {
            // transformers computes base ** (arange/dim) in float32; do the same so angles match.
            let exponent = Float(2 * i) / Float(ropeDimensions)
            var inv = Double(1 / Float(pow(Double(ropeTheta), Double(exponent))))
            if let s = ropeScaling {
                let old = Double(s.originalMaxPositions)
                let lowWave = old / s.lowFrequencyFactor
                let highWave = old / s.highFrequencyFactor
                let wave = 2 * Double.pi / inv
                if wave > lowWave {
                    inv /= s.factor
                } else if wave >= highWave {
                    let smooth = (old / wave - s.lowFrequencyFactor) / (s.highFrequencyFactor - s.lowFrequencyFactor)
                    inv = (1 - smooth) * inv / s.factor + smooth * inv
                }
            }
            out[i] = Float(inv)
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
