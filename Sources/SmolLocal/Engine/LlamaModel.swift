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

    /// The element encoding of the bulk of the weights (the first layer's q projection), for reports.
    public var weightType: TensorType { layers.first?.q.tensor.type ?? embedding.tensor.type }

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
                      optional: { gguf.tensor(named: $0) })
    }

    /// Loads a model from an HF checkpoint folder.
    public init(checkpointDirectory directory: String) throws(ModelFileError) {
        let config = try ModelConfig(configJSONAt: directory + "/config.json")
        let checkpoint = try SafetensorsCheckpoint(directory: directory)
        func tensor(_ name: String) throws(ModelFileError) -> TensorRef {
            guard let t = checkpoint.tensors[name] else { throw .missing(path: directory, what: "tensor '\(name)'") }
            return t
        }
        try self.init(config: config, source: directory, ropeInverseFrequencies: config.ropeInverseFrequencies(),
                      names: .huggingFace, lookup: { name throws(ModelFileError) in try tensor(name) },
                      optional: { checkpoint.tensors[$0] })
    }

    private init(config: ModelConfig, source: String, ropeInverseFrequencies: [Float], names: TensorNames,
                 lookup: (String) throws(ModelFileError) -> TensorRef, optional: (String) -> TensorRef?) throws(ModelFileError) {
        self.config = config
        self.source = source
        self.ropeInverseFrequencies = ropeInverseFrequencies
        let h = config.hiddenSize, qDim = config.headCount * config.headDim, kvDim = config.kvHeadCount * config.headDim
        let inter = config.intermediateSize
        embedding = try WeightMatrix(try lookup(names.embedding), rows: config.vocabSize, columns: h)
        finalNorm = try loadVector(try lookup(names.finalNorm), count: h)
        if !config.tieWordEmbeddings, let head = optional(names.lmHead) {
            lmHead = try WeightMatrix(head, rows: config.vocabSize, columns: h)
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
                q: try WeightMatrix(try t(names.q), rows: qDim, columns: h),
                k: try WeightMatrix(try t(names.k), rows: kvDim, columns: h),
                v: try WeightMatrix(try t(names.v), rows: kvDim, columns: h),
                o: try WeightMatrix(try t(names.o), rows: h, columns: qDim),
                qBias: try bias(names.qBias, qDim),
                kBias: try bias(names.kBias, kvDim),
                vBias: try bias(names.vBias, kvDim),
                mlpNorm: try loadVector(try t(names.mlpNorm), count: h),
                gate: try WeightMatrix(try t(names.gate), rows: inter, columns: h),
                up: try WeightMatrix(try t(names.up), rows: inter, columns: h),
                down: try WeightMatrix(try t(names.down), rows: h, columns: inter)))
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
