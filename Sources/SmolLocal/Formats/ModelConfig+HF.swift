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

        var theta: Double?
        var scalingObject: JSONValue?
        if let t = json["rope_theta"]?.doubleValue { theta = t }
        if let params = json["rope_parameters"], params.objectValue != nil {
            if theta == nil { theta = params["rope_theta"]?.doubleValue }
            scalingObject = params
        }
        if let s = json["rope_scaling"], s.objectValue != nil { scalingObject = s }
        var scaling: Llama3RopeScaling?
        if let s = scalingObject {
            let type = s["rope_type"]?.stringValue ?? s["type"]?.stringValue ?? "default"
            switch type {
            case "default": break
            case "llama3":
                guard let factor = s["factor"]?.doubleValue, let low = s["low_freq_factor"]?.doubleValue,
                      let high = s["high_freq_factor"]?.doubleValue,
                      let original = s["original_max_position_embeddings"]?.intValue else {
                    throw .badConfig(path: path, key: "rope_scaling", reason: "llama3 scaling lacks a parameter")
                }
                scaling = Llama3RopeScaling(factor: factor, lowFrequencyFactor: low, highFrequencyFactor: high,
                                            originalMaxPositions: original)
            default:
                throw .badConfig(path: path, key: "rope_scaling", reason: "unsupported rope_type '\(type)'")
            }
        }
        var eos: [Int] = []
        if let e = json["eos_token_id"] {
            if let i = e.intValue { eos = [i] } else if let list = e.arrayValue { eos = list.compactMap(\.intValue) }
        }
        let bias = architecture == .qwen2 ? true : (json["attention_bias"]?.boolValue ?? false)
        self.init(architecture: architecture,
                  hiddenSize: hidden,
                  intermediateSize: try int("intermediate_size"),
                  layerCount: try int("num_hidden_layers"),
                  headCount: heads,
                  kvHeadCount: try optionalInt("num_key_value_heads") ?? heads,
                  headDim: headDim,
                  vocabSize: try int("vocab_size"),
                  rmsNormEpsilon: json["rms_norm_eps"]?.doubleValue ?? 1e-6,
                  ropeTheta: theta ?? 10000,
                  ropeScaling: scaling,
                  ropeLayout: .rotateHalf,
                  tieWordEmbeddings: json["tie_word_embeddings"]?.boolValue ?? false,
                  attentionBias: bias,
                  bosTokenID: try optionalInt("bos_token_id"),
                  eosTokenIDs: eos,
                  maxPositions: try optionalInt("max_position_embeddings") ?? 2048)
        try validate(path: path)
    }
}
