#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The immutable weights of a decoder of the Llama lineage (Llama, SmolLM 2/3, Qwen 2/3, Qwen3-MoE, Mistral,
/// Gemma 2/3, Phi-3), read in place from a GGUF file or an HF checkpoint folder. Share one model between any
/// number of ``InferenceSession``s.
public struct LlamaModel: Sendable {
    /// A gated MLP: `down(act(gate(x)) * up(x))`.
    struct DenseMLP: Sendable {
        var gate: WeightMatrix
        var up: WeightMatrix
        var down: WeightMatrix
    }

    /// A sparse mixture of experts: the router's top-k experts per token, each a gated MLP.
    struct Experts: Sendable {
        var router: WeightMatrix
        var experts: [DenseMLP]
    }

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
        var qNorm: [Float]?
        var kNorm: [Float]?
        var postAttentionNorm: [Float]?
        var mlpNorm: [Float]
        var postMLPNorm: [Float]?
        var dense: DenseMLP?
        var experts: Experts?
    }

    /// Shape and hyper-parameters.
    public let config: ModelConfig
    /// Where the weights came from (file or folder path).
    public let source: String
    let embedding: WeightMatrix
    let layers: [Layer]
    let finalNorm: [Float]
    let lmHead: WeightMatrix
    /// Llama 3 GGUFs' per-pair divisors of the RoPE frequencies (`rope_freqs.weight`), if any.
    let ropeFrequencyDivisors: [Float]?

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
        case "mlp.gate_proj": return layer.dense?.gate
        case "mlp.up_proj": return layer.dense?.up
        case "mlp.down_proj": return layer.dense?.down
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
        // Llama 3 GGUFs carry the scaling as per-pair divisors of the frequency.
        let divisors = try gguf.tensor(named: "rope_freqs.weight").map { t throws(ModelFileError) in
            try loadVector(t, count: config.ropeDimensions / 2)
        }
        try self.init(config: config, source: path, ropeFrequencyDivisors: divisors,
                      names: .gguf(config.architecture), normOffset: 0, lookup: { name throws(ModelFileError) in try tensor(name) },
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
        // Gemma's RMSNorm scales by (1 + w); llama.cpp's converter adds the 1 when it writes a GGUF.
        let gemma = config.architecture == .gemma2 || config.architecture == .gemma3
        try self.init(config: config, source: directory, ropeFrequencyDivisors: nil,
                      names: .huggingFace(config.architecture), normOffset: gemma ? 1 : 0, lookup: { name throws(ModelFileError) in try tensor(name) },
                      optional: { checkpoint.tensors[$0] },
                      matrix: { name, rows, columns throws(ModelFileError) in try matrix(name, rows: rows, columns: columns) })
    }
}
