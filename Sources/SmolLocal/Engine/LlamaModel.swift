#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The immutable weights of a Llama-family decoder (Llama, SmolLM, Qwen2, Mistral), read in place from a
/// GGUF file or an HF checkpoint folder. Share one model between any number of ``InferenceSession``s.
public struct LlamaModel: Sendable {
    /// The weights of one decoder layer.
    struct Layer: Sendable {
        var attentionNorm: [Float]
        var q: WeightMatrix
        var k: WeightMatrix
        var v: WeightMatrix
        var o: WeightMatrix
        var qBias: [Float]?
        var kBias: [Float]?
        var vBias: [Float]?
        var mlpNorm: [Float]
        var gate: WeightMatrix
        var up: WeightMatrix
        var down: WeightMatrix
    }

    /// Shape and hyper-parameters.
    public let config: ModelConfig
    /// Where the weights came from (file or folder path).
    public let source: String
    let embedding: WeightMatrix
    let layers: [Layer]
    let finalNorm: [Float]
    let lmHead: WeightMatrix
    /// RoPE inverse frequencies (headDim / 2), scaling already applied.
    let ropeInverseFrequencies: [Float]

    /// The element encoding of the bulk of the weights (the first layer's q projection), for reports
    /// (`U32` for MLX affine-quantized checkpoints: see ``weightEncoding``).
    public var weightType: TensorType { layers.first?.q.tensor.type ?? embedding.tensor.type }

    /// A description of the bulk weights' encoding (`Q4_1`, `BF16`, `MLX 4-bit g64 BF16`).
    public var weightEncoding: String { layers.first?.q.encoding ?? embedding.encoding }

    /// The matrix an HF / MLX module path names (`model.embed_tokens`, `lm_head`,
    /// `model.layers.3.mlp.down_proj`, ...), for tests and tools; nil for an unknown path.
    public func matrix(_ modulePath: String) -> WeightMatrix? {
        if modulePath == "model.embed_tokens" { return embedding }
        if modulePath == "lm_head" { return lmHead }
        let parts = modulePath.split(separator: ".")
        guard parts.count == 5, parts[0] == "model", parts[1] == "layers", let i = Int(parts[2]), layers.indices.contains(i) else {
            return nil
        }
        let layer = layers[i]
        switch parts[3] + "." + parts[4] {
        case "self_attn.q_proj": return layer.q
        case "self_attn.k_proj": return layer.k
        case "self_attn.v_proj": return layer.v
        case "self_attn.o_proj": return layer.o
        case "mlp.gate_proj": return layer.gate
        case "mlp.up_proj": return layer.up
        case "mlp.down_proj": return layer.down
        default: return nil
        }
    }

    /// Loads a model from a `.gguf` file or an HF checkpoint folder (`config.json` + safetensors).
    public init(contentsOf path: String) throws(ModelFileError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            try self.init(checkpointDirectory: path)
        } else {
            try self.init(gguf: try GGUFFile(path: path))
        }
    }

    /// Loads a model from a parsed GGUF file (llama or qwen2 architecture).
    public init(gguf: GGUFFile) throws(ModelFileError) {
        let config = try ModelConfig(gguf: gguf)
        let path = gguf.file.path
        func tensor(_ name: String) throws(ModelFileError) -> TensorRef {
            guard let t = gguf.tensor(named: name) else { throw .missing(path: path, what: "tensor '\(name)'") }
            return t
        }
        var freqs = config.ropeInverseFrequencies()
        if let factors = gguf.tensor(named: "rope_freqs.weight") {
            // Llama 3 GGUFs carry the scaling as per-pair divisors of the frequency.
            let f = try loadVector(factors, count: config.headDim / 2)
            for i in freqs.indices where f[i] != 0 { freqs[i] /= f[i] }
        }
        try self.init(config: config, source: path, ropeInverseFrequencies: freqs,
                      names: .gguf, lookup: { name throws(ModelFileError) in try tensor(name) },
                      optional: { gguf.tensor(named: $0) },
                      matrix: { name, rows, columns throws(ModelFileError) in
                          try WeightMatrix(try tensor(name), rows: rows, columns: columns) })
    }

    /// Loads a model from an HF checkpoint folder, or an MLX one (mlx-community layout: the same names,
    /// with affine-quantized modules stored as `<module>.weight` codes + `.scales` + `.biases`).
    public init(checkpointDirectory directory: String) throws(ModelFileError) {
        let configPath = directory + "/config.json"
        let json = try readJSONFile(configPath)
        let config = try ModelConfig(hfConfig: json, path: configPath)
        let quantization = try MLXQuantization(config: json, path: configPath)
        let checkpoint = try SafetensorsCheckpoint(directory: directory)
        func tensor(_ name: String) throws(ModelFileError) -> TensorRef {
            guard let t = checkpoint.tensors[name] else { throw .missing(path: directory, what: "tensor '\(name)'") }
            return t
        }
        // As mlx-lm decides: a module is quantized iff `<module>.scales` exists; the config gives its bits and
        // group size (an override, else the default), and the shapes must agree with them.
        func matrix(_ name: String, rows: Int, columns: Int) throws(ModelFileError) -> WeightMatrix {
            let weight = try tensor(name)
            let module = name.hasSuffix(".weight") ? String(name.dropLast(7)) : name
            guard let scales = checkpoint.tensors[module + ".scales"] else {
                if weight.type == .u32 {
                    throw .missing(path: weight.file.path, what: "tensor '\(module).scales' for the U32 codes '\(name)'")
                }
                return try WeightMatrix(weight, rows: rows, columns: columns)
            }
            guard let quantization else {
                throw .badConfig(path: configPath, key: "quantization",
                                 reason: "missing, but '\(module)' is quantized (it has '\(module).scales')")
            }
            guard case .affine(let bits, let groupSize) = quantization.setting(for: module) else {
                throw .badConfig(path: configPath, key: "quantization.\(module)",
                                 reason: "false (not quantized), but the checkpoint has '\(module).scales'")
            }
            guard let biases = checkpoint.tensors[module + ".biases"] else {
                throw .missing(path: scales.file.path, what: "tensor '\(module).biases' (affine quantization needs biases)")
            }
            return try WeightMatrix(codes: weight, scales: scales, biases: biases, bits: bits, groupSize: groupSize,
                                    rows: rows, columns: columns)
        }
        try self.init(config: config, source: directory, ropeInverseFrequencies: config.ropeInverseFrequencies(),
                      names: .huggingFace, lookup: { name throws(ModelFileError) in try tensor(name) },
                      optional: { checkpoint.tensors[$0] },
                      matrix: { name, rows, columns throws(ModelFileError) in try matrix(name, rows: rows, columns: columns) })
    }

    private init(config: ModelConfig, source: String, ropeInverseFrequencies: [Float], names: TensorNames,
                 lookup: (String) throws(ModelFileError) -> TensorRef, optional: (String) -> TensorRef?,
                 matrix: (String, Int, Int) throws(ModelFileError) -> WeightMatrix) throws(ModelFileError) {
        self.config = config
        self.source = source
        self.ropeInverseFrequencies = ropeInverseFrequencies
        let h = config.hiddenSize, qDim = config.headCount * config.headDim, kvDim = config.kvHeadCount * config.headDim
        let inter = config.intermediateSize
        embedding = try matrix(names.embedding, config.vocabSize, h)
        finalNorm = try loadVector(try lookup(names.finalNorm), count: h)
        if !config.tieWordEmbeddings, optional(names.lmHead) != nil {
            lmHead = try matrix(names.lmHead, config.vocabSize, h)
        } else {
            lmHead = embedding
        }
        var layers: [Layer] = []
        for i in 0..<config.layerCount {
            func t(_ name: String) throws(ModelFileError) -> TensorRef { try lookup(names.layer(i, name)) }
            func bias(_ name: String, _ count: Int) throws(ModelFileError) -> [Float]? {
                guard let b = optional(names.layer(i, name)) else {
                    if config.attentionBias { throw .missing(path: source, what: "tensor '\(names.layer(i, name))'") }
                    return nil
                }
                return try loadVector(b, count: count)
            }
            layers.append(Layer(
                attentionNorm: try loadVector(try t(names.attentionNorm), count: h),
                q: try matrix(names.layer(i, names.q), qDim, h),
                k: try matrix(names.layer(i, names.k), kvDim, h),
                v: try matrix(names.layer(i, names.v), kvDim, h),
                o: try matrix(names.layer(i, names.o), h, qDim),
                qBias: try bias(names.qBias, qDim),
                kBias: try bias(names.kBias, kvDim),
                vBias: try bias(names.vBias, kvDim),
                mlpNorm: try loadVector(try t(names.mlpNorm), count: h),
                gate: try matrix(names.layer(i, names.gate), inter, h),
                up: try matrix(names.layer(i, names.up), inter, h),
                down: try matrix(names.layer(i, names.down), h, inter)))
        }
        self.layers = layers
    }
}

/// Tensor names of the two checkpoint layouts.
struct TensorNames {
    var embedding, finalNorm, lmHead: String
    var prefix: String, suffix: String
    var attentionNorm, q, k, v, o, qBias, kBias, vBias, mlpNorm, gate, up, down: String

    func layer(_ i: Int, _ name: String) -> String { prefix + String(i) + "." + name + suffix }

    static let gguf = TensorNames(
        embedding: "token_embd.weight", finalNorm: "output_norm.weight", lmHead: "output.weight",
        prefix: "blk.", suffix: "",
        attentionNorm: "attn_norm.weight", q: "attn_q.weight", k: "attn_k.weight", v: "attn_v.weight",
        o: "attn_output.weight", qBias: "attn_q.bias", kBias: "attn_k.bias", vBias: "attn_v.bias",
        mlpNorm: "ffn_norm.weight", gate: "ffn_gate.weight", up: "ffn_up.weight", down: "ffn_down.weight")

    static let huggingFace = TensorNames(
        embedding: "model.embed_tokens.weight", finalNorm: "model.norm.weight", lmHead: "lm_head.weight",
        prefix: "model.layers.", suffix: "",
        attentionNorm: "input_layernorm.weight", q: "self_attn.q_proj.weight", k: "self_attn.k_proj.weight",
        v: "self_attn.v_proj.weight", o: "self_attn.o_proj.weight", qBias: "self_attn.q_proj.bias",
        kBias: "self_attn.k_proj.bias", vBias: "self_attn.v_proj.bias", mlpNorm: "post_attention_layernorm.weight",
        gate: "mlp.gate_proj.weight", up: "mlp.up_proj.weight", down: "mlp.down_proj.weight")
}
