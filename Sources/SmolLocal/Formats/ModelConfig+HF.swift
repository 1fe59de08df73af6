import SmolCore

extension ModelConfig {
    /// Reads an HF `config.json` (hub layout with top-level `rope_theta`, or the transformers 5 layout with
    /// `rope_parameters`).
    public init(configJSONAt path: String) throws(ModelFileError) {
        try self.init(hfConfig: try readJSONFile(path), path: path)
    }

    /// Builds a configuration from a parsed HF `config.json` object.
    public init(hfConfig json: JSONValue, path: String) throws(ModelFileError) {
        func int(_ key: String) throws(ModelFileError) -> Int {
            guard let v = json[key] else { throw .badConfig(path: path, key: key, reason: "missing") }
            guard let i = v.intValue else { throw .badConfig(path: path, key: key, reason: "not an integer: \(v)") }
            return i
        }
        func optionalInt(_ key: String) throws(ModelFileError) -> Int? {
            guard let v = json[key], !v.isNull else { return nil }
            guard let i = v.intValue else { throw .badConfig(path: path, key: key, reason: "not an integer: \(v)") }
            return i
        }
        let modelType = json["model_type"]?.stringValue ?? ""
        let archName = json["architectures"]?[0]?.stringValue ?? ""
        // model_type decides when present; `architectures` is the fallback for configs without it.
        let architecture: Architecture
        switch modelType.isEmpty ? archName : modelType {
        case "llama", "LlamaForCausalLM": architecture = .llama
        case "qwen2", "Qwen2ForCausalLM": architecture = .qwen2
        case "mistral", "MistralForCausalLM": architecture = .mistral
        case "qwen3", "Qwen3ForCausalLM": architecture = .qwen3
        case "qwen3_moe", "Qwen3MoeForCausalLM": architecture = .qwen3moe
        case "gemma2", "Gemma2ForCausalLM": architecture = .gemma2
        case "gemma3_text", "Gemma3ForCausalLM": architecture = .gemma3
        case "phi3", "Phi3ForCausalLM": architecture = .phi3
        case "smollm3", "SmolLM3ForCausalLM": architecture = .smollm3
        case "gemma3", "Gemma3ForConditionalGeneration":
            throw .badConfig(path: path, key: "model_type", reason: "'\(modelType)' is Gemma 3's vision-language checkpoint; "
                             + "only the text model (model_type 'gemma3_text', Gemma3ForCausalLM) is supported")
        default:
            throw .badConfig(path: path, key: "model_type", reason: "unsupported architecture '\(modelType)' / '\(archName)'")
        }
        if json["mlp_bias"]?.boolValue == true {
            throw .badConfig(path: path, key: "mlp_bias", reason: "MLP biases are not supported")
        }
        let hidden = try int("hidden_size")
        let heads = try int("num_attention_heads")
        guard heads > 0 else { throw .badConfig(path: path, key: "num_attention_heads", reason: "must be positive") }
        let headDim = try optionalInt("head_dim") ?? hidden / heads

        let rope = try HFRopeParameters(json: json, path: path)
        var eos: [Int] = []
        if let e = json["eos_token_id"] {
            if let i = e.intValue { eos = [i] } else if let list = e.arrayValue { eos = list.compactMap(\.intValue) }
        }
        let bias = architecture == .qwen2 ? true : (json["attention_bias"]?.boolValue ?? false)
        // Gemma ties its head to the embedding unless told otherwise; the others untie by default.
        let tiedByDefault = architecture == .gemma2 || architecture == .gemma3
        self.init(architecture: architecture,
                  hiddenSize: hidden,
                  intermediateSize: try int("intermediate_size"),
                  layerCount: try int("num_hidden_layers"),
                  headCount: heads,
                  kvHeadCount: try optionalInt("num_key_value_heads") ?? heads,
                  headDim: headDim,
                  vocabSize: try int("vocab_size"),
                  rmsNormEpsilon: json["rms_norm_eps"]?.doubleValue ?? 1e-6,
                  ropeTheta: rope.theta ?? 10000,
                  ropeScaling: rope.llama3,
                  ropeLayout: .rotateHalf,
                  tieWordEmbeddings: json["tie_word_embeddings"]?.boolValue ?? tiedByDefault,
                  attentionBias: bias,
                  bosTokenID: try optionalInt("bos_token_id"),
                  eosTokenIDs: eos,
                  maxPositions: try optionalInt("max_position_embeddings") ?? 2048)
        try applyFamily(hfConfig: json, rope: rope, path: path)
        try validate(path: path)
    }
}
