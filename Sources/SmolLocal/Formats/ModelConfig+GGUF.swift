extension ModelConfig {
    /// Builds a configuration from GGUF metadata (`general.architecture` and the `<arch>.*` keys).
    ///
    /// llama GGUFs store q/k rows permuted for interleaved RoPE, so their layout is ``RopeLayout/interleaved``;
    /// qwen2 GGUFs keep the rotate-half order. Tying is decided by the absence of `output.weight`.
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
        let scalingType = m.string(archName + ".rope.scaling.type") ?? "none"
        guard scalingType == "none" || scalingType == "linear" && (m.double(archName + ".rope.scaling.factor") ?? 1) == 1 else {
            throw .badConfig(path: path, key: archName + ".rope.scaling.type", reason: "unsupported RoPE scaling '\(scalingType)'")
        }
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
        try validate(path: path)
    }
}
