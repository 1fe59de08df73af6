import SmolCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RoPE settings of an HF `config.json`, wherever the config keeps them: top-level `rope_theta` and
/// `rope_scaling` (hub layout), `rope_parameters` (transformers 5), or `rope_parameters` per layer kind
/// (`full_attention` / `sliding_attention`, Gemma 3 in transformers 5).
struct HFRopeParameters {
    var theta: Double?
    var localTheta: Double?
    var llama3: ModelConfig.Llama3RopeScaling?
    var linearFactor: Double?
    var longRope: (short: [Double], long: [Double], original: Int?, attentionFactor: Double?, factor: Double?)?
    var partialRotaryFactor: Double?

    init(json: JSONValue, path: String) throws(ModelFileError) {
        var scaling: JSONValue?
        theta = json["rope_theta"]?.doubleValue
        localTheta = json["rope_local_base_freq"]?.doubleValue
        partialRotaryFactor = json["partial_rotary_factor"]?.doubleValue
        if let params = json["rope_parameters"], params.objectValue != nil {
            if let full = params["full_attention"], full.objectValue != nil {
                scaling = full
                if theta == nil { theta = full["rope_theta"]?.doubleValue }
                if let local = params["sliding_attention"]?["rope_theta"]?.doubleValue { localTheta = local }
            } else {
                scaling = params
                if theta == nil { theta = params["rope_theta"]?.doubleValue }
            }
            if partialRotaryFactor == nil { partialRotaryFactor = (scaling?["partial_rotary_factor"])?.doubleValue }
        }
        if let s = json["rope_scaling"], s.objectValue != nil { scaling = s }
        guard let s = scaling else { return }
        let type = s["rope_type"]?.stringValue ?? s["type"]?.stringValue ?? "default"
        switch type {
        case "default":
            break
        case "llama3":
            guard let factor = s["factor"]?.doubleValue, let low = s["low_freq_factor"]?.doubleValue,
                  let high = s["high_freq_factor"]?.doubleValue,
                  let original = s["original_max_position_embeddings"]?.intValue else {
                throw .badConfig(path: path, key: "rope_scaling", reason: "llama3 scaling lacks a parameter")
            }
            llama3 = ModelConfig.Llama3RopeScaling(factor: factor, lowFrequencyFactor: low, highFrequencyFactor: high,
                                                   originalMaxPositions: original)
        case "linear":
            guard let factor = s["factor"]?.doubleValue else {
                throw .badConfig(path: path, key: "rope_scaling.factor", reason: "linear scaling lacks its factor")
            }
            linearFactor = factor
        case "longrope", "su":
            guard let short = s["short_factor"]?.arrayValue?.compactMap(\.doubleValue),
                  let long = s["long_factor"]?.arrayValue?.compactMap(\.doubleValue) else {
                throw .badConfig(path: path, key: "rope_scaling", reason: "longrope needs short_factor and long_factor lists of numbers")
            }
            let original = s["original_max_position_embeddings"]?.intValue ?? json["original_max_position_embeddings"]?.intValue
            longRope = (short, long, original, s["attention_factor"]?.doubleValue, s["factor"]?.doubleValue)
        default:
            throw .badConfig(path: path, key: "rope_scaling", reason: "unsupported rope_type '\(type)'")
        }
    }
}

extension ModelConfig {
    /// Sets what the family of an HF config changes from Llama (called by ``init(hfConfig:path:)``).
    mutating func applyFamily(hfConfig json: JSONValue, rope: HFRopeParameters, path: String) throws(ModelFileError) {
        func int(_ key: String) throws(ModelFileError) -> Int? {
            guard let v = json[key], !v.isNull else { return nil }
            guard let i = v.intValue else { throw .badConfig(path: path, key: key, reason: "not an integer: \(v)") }
            return i
        }
        func double(_ key: String) throws(ModelFileError) -> Double? {
            guard let v = json[key], !v.isNull else { return nil }
            guard let d = v.doubleValue else { throw .badConfig(path: path, key: key, reason: "not a number: \(v)") }
            return d
        }
        linearRopeFactor = rope.linearFactor
        if let factor = rope.partialRotaryFactor, factor != 1 {
            rotaryDimensions = Int((Double(headDim) * factor).rounded(.down))
        }
        if let long = rope.longRope {
            let original = long.original ?? maxPositions
            // transformers: attention_factor, else sqrt(1 + log(factor) / log(original)) for a factor above 1,
            // where the factor is given or max_position_embeddings / original_max_position_embeddings.
            let factor = long.factor ?? Double(maxPositions) / Double(original)
            let attention = long.attentionFactor ?? (factor <= 1 ? 1 : (1 + log(factor) / log(Double(original))).squareRoot())
            longRope = LongRopeScaling(shortFactors: long.short, longFactors: long.long, originalMaxPositions: original,
                                       attentionFactor: attention)
        }
        let window = try int("sliding_window")
        let useWindow = json["use_sliding_window"]?.boolValue
        switch architecture {
        case .qwen3, .qwen3moe:
            qkNorm = true
        case .gemma2, .gemma3:
            activation = .geluTanh
            embeddingScale = Float(Double(hiddenSize).squareRoot())
            sandwichNorms = true
            qkNorm = architecture == .gemma3
            if let scalar = try double("query_pre_attn_scalar") { attentionScale = 1 / scalar.squareRoot() }
            attentionSoftcap = try double("attn_logit_softcapping")
            finalLogitSoftcap = try double("final_logit_softcapping")
            if architecture == .gemma3 { localRopeTheta = rope.localTheta ?? 10000 }
        case .smollm3:
            if let flags = json["no_rope_layers"]?.arrayValue {
                guard flags.count == layerCount else {
                    throw .badConfig(path: path, key: "no_rope_layers", reason: "lists \(flags.count) layers, but num_hidden_layers is \(layerCount)")
                }
                // 1 means the layer uses RoPE.
                noRopeLayers = Set(flags.indices.filter { flags[$0].intValue == 0 })
            } else {
                let interval = try int("no_rope_layer_interval") ?? 4
                guard interval > 0 else { throw .badConfig(path: path, key: "no_rope_layer_interval", reason: "must be positive") }
                noRopeLayers = Set((0..<layerCount).filter { ($0 + 1) % interval == 0 })
            }
        case .llama, .qwen2, .mistral, .phi3:
            break
        }
        if architecture == .qwen3moe {
            let named = try int("num_experts"), local = try int("num_local_experts")
            guard let count = named ?? local, let topK = try int("num_experts_per_tok"),
                  let width = try int("moe_intermediate_size") else {
                throw .badConfig(path: path, key: "num_experts", reason: "Qwen3-MoE needs num_experts (or num_local_experts), num_experts_per_tok and moe_intermediate_size")
            }
            let step = try int("decoder_sparse_step") ?? 1
            guard step > 0 else { throw .badConfig(path: path, key: "decoder_sparse_step", reason: "must be positive") }
            let denseOnly = Set((json["mlp_only_layers"]?.arrayValue ?? []).compactMap(\.intValue))
            let dense = Set((0..<layerCount).filter { denseOnly.contains($0) || ($0 + 1) % step != 0 })
            experts = MixtureOfExperts(count: count, topK: topK, intermediateSize: width,
                                       normalizeTopK: json["norm_topk_prob"]?.boolValue ?? false, denseLayers: dense)
        }
        try applyLayerTypes(json: json, window: window, useWindow: useWindow, path: path)
    }

    /// Which layers use the sliding window: `layer_types` when the config lists them, else the family's rule.
    private mutating func applyLayerTypes(json: JSONValue, window: Int?, useWindow: Bool?, path: String) throws(ModelFileError) {
        if let types = json["layer_types"]?.arrayValue {
            guard types.count == layerCount else {
                throw .badConfig(path: path, key: "layer_types", reason: "lists \(types.count) layers, but num_hidden_layers is \(layerCount)")
            }
            var kinds: [LayerAttention] = []
            for (i, t) in types.enumerated() {
                switch t.stringValue {
                case "full_attention": kinds.append(.full)
                case "sliding_attention": kinds.append(.sliding)
                default:
                    throw .badConfig(path: path, key: "layer_types[\(i)]", reason: "unsupported layer type \(t)")
                }
            }
            layerAttention = kinds
        } else {
            switch architecture {
            case .mistral, .phi3:
                if window != nil { layerAttention = Array(repeating: .sliding, count: layerCount) }
            case .qwen2, .qwen3, .qwen3moe:
                if useWindow == true, window != nil {
                    let first = (json["max_window_layers"]?.intValue) ?? layerCount
                    layerAttention = (0..<layerCount).map { $0 >= first ? .sliding : .full }
                }
            case .gemma2:
                layerAttention = (0..<layerCount).map { $0 % 2 == 0 ? .sliding : .full }
            case .gemma3:
                let pattern = json["sliding_window_pattern"]?.intValue ?? 6
                layerAttention = (0..<layerCount).map { pattern > 0 && ($0 + 1) % pattern != 0 ? .sliding : .full }
            case .llama, .smollm3:
                break
            }
        }
        // Qwen configs carry a sliding_window they do not use unless use_sliding_window is set.
        if layerAttention.contains(.sliding) { slidingWindow = window }
        if !layerAttention.contains(.sliding) { layerAttention = [] }
    }
}
